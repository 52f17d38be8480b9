"""tf.TensorArray eagerly, in traced Python loops, in tf.while_loop and AutoGraph loops over
tf.range, with gradients; tf.range with a tensor bound inside tf.function; Variable ==."""

import numpy as np
import pytest

import tensorhouse_ops as tf

X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)


def test_eager_write_read_stack_in_place_as_tf2():
    ta = tf.TensorArray(tf.float32, size=3)
    ta.write(0, [1.0, 2.0])  # eager arrays update in place
    np.testing.assert_array_equal(ta.stack().numpy(), [[1, 2], [0, 0], [0, 0]])
    np.testing.assert_array_equal(ta.read(1).numpy(), [0, 0])  # never written: zeros
    assert ta.read(0).numpy().tolist() == [1.0, 2.0]
    with pytest.raises(tf.errors.InvalidArgumentError, match="twice because it was cleared"):
        ta.read(0)
    with pytest.raises(tf.errors.OutOfRangeError, match="not resizeable and size is: 3"):
        ta.write(3, [1.0, 2.0])
    with pytest.raises(ValueError, match="Incompatible shape"):
        ta.write(1, [1.0, 2.0, 3.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="TensorArray dtype is float32"):
        ta.write(1, tf.constant([1, 2]))
    assert ta.size().numpy() == 3 and ta.size().dtype == tf.int32
    assert ta.element_shape == tf.TensorShape([2]) and not ta.dynamic_size


def test_eager_dynamic_unstack_gather_scatter_split_concat():
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True).write(2, 5.0)
    assert ta.stack().numpy().tolist() == [0.0, 0.0, 5.0] and int(ta.size()) == 3
    ta = tf.TensorArray(tf.float32, size=3).unstack(X)
    np.testing.assert_array_equal(ta.gather([2, 0]).numpy(), X[[2, 0]])
    ta = tf.TensorArray(tf.float32, size=3).scatter([2, 0], X[:2])
    np.testing.assert_array_equal(ta.stack().numpy(), [X[1], [0, 0], X[0]])
    ta = tf.TensorArray(tf.float32, size=2).split([1.0, 2.0, 3.0], [1, 2])
    assert ta.read(1).numpy().tolist() == [2.0, 3.0]
    ragged = tf.TensorArray(tf.int32, size=0, dynamic_size=True, infer_shape=False)
    ragged = ragged.write(0, [1, 2]).write(1, [3])
    assert ragged.concat().numpy().tolist() == [1, 2, 3]
    assert tf.TensorArray(tf.float32, size=0, element_shape=[2]).stack().shape == (0, 2)
    assert type(tf.TensorArray(tf.float32, size=1)).__name__ == "TensorArray"


def test_gradient_through_write_stack_and_read():
    x = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        ta = tf.TensorArray(tf.float32, size=3)
        for i in range(3):
            ta = ta.write(i, x[i] * x[i])
        y = tf.reduce_sum(ta.stack()) + ta.read(1)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0, 8.0, 6.0])

    @tf.function
    def traced():
        with tf.GradientTape() as t:
            ta = tf.TensorArray(tf.float32, size=3)
            for i in range(3):  # unrolled while tracing
                ta = ta.write(i, x[i] * x[i])
            out = tf.reduce_sum(ta.stack()) + ta.read(1)
        return t.gradient(out, x)

    np.testing.assert_allclose(traced().numpy(), [2.0, 8.0, 6.0])


@pytest.mark.parametrize("element_shape", [None, [2]])
def test_autograph_for_over_tf_range_accumulates(element_shape):
    @tf.function
    def f(x):
        ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True, element_shape=element_shape)
        for i in tf.range(tf.shape(x)[0]):
            ta = ta.write(i, x[i] * 2.0)
        return ta.stack(), ta.size()

    out, n = f(tf.constant(X))
    np.testing.assert_array_equal(out.numpy(), X * 2)
    assert int(n) == 3
    out, n = f(tf.constant(X[:1]))  # the same trace, another length
    np.testing.assert_array_equal(out.numpy(), X[:1] * 2)


def test_while_loop_with_fixed_and_dynamic_arrays():
    @tf.function
    def f(x):
        src = tf.TensorArray(tf.float32, size=3).unstack(x)
        out = tf.TensorArray(tf.float32, size=0, dynamic_size=True)

        def body(i, out):
            return i + 1, out.write(i, src.read(i) * 3.0)

        _, out = tf.while_loop(lambda i, o: i < src.size(), body, [tf.constant(0), out])
        return out.stack(), out.concat(), src.gather([1, 0])

    stacked, joined, picked = f(tf.constant(X))
    np.testing.assert_array_equal(stacked.numpy(), X * 3)
    np.testing.assert_array_equal(joined.numpy(), (X * 3).reshape(-1))
    np.testing.assert_array_equal(picked.numpy(), X[[1, 0]])


def test_traced_fixed_size_array_keeps_static_shapes():
    @tf.function
    def f(x):
        ta = tf.TensorArray(tf.float32, size=3, element_shape=[2])
        for i in range(3):
            ta = ta.write(i, x[i] + 1.0)
        assert ta.stack().shape == (3, 2)
        return ta.stack(), ta.read(2)

    stacked, last = f(tf.constant(X))
    np.testing.assert_array_equal(stacked.numpy(), X + 1)
    np.testing.assert_array_equal(last.numpy(), X[2] + 1)


def test_range_with_a_tensor_bound_inside_tf_function():
    @tf.function
    def f(n):
        return tf.range(n), tf.range(1, n, 2), tf.range(n, 0, -2), tf.range(n, dtype=tf.float32)

    for n in (5, 0, 1):
        a, b, c, d = f(tf.constant(n))
        assert a.numpy().tolist() == list(range(n))
        assert b.numpy().tolist() == list(range(1, n, 2))
        assert c.numpy().tolist() == list(range(n, 0, -2))
        assert d.dtype == tf.float32 and d.numpy().tolist() == [float(i) for i in range(n)]


def test_variable_equality_is_elementwise_and_hash_is_identity():
    a, b = tf.Variable([1.0, 2.0]), tf.Variable([1.0, 3.0])
    assert (a == b).numpy().tolist() == [True, False]
    assert (a != b).numpy().tolist() == [False, True]
    assert (a == tf.constant([1.0, 2.0])).numpy().all()
    assert {a: 1, b: 2}[a] == 1 and hash(a) != hash(b)
    assert (a == None) is False  # noqa: E711 - TF's rule for None
