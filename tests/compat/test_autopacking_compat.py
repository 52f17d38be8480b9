"""TF's auto-packing: lists and tuples holding tensors become one tensor (``Pack``), eagerly
and inside ``tf.function``, in ``convert_to_tensor`` and in every op argument that takes one."""

import numpy as np
import pytest


def _both(tf, fn, *args):
    """``fn(*args)`` eagerly and traced, as NumPy arrays (each checked to be the same)."""
    eager = fn(*args)
    traced = tf.function(fn)(*args)
    np.testing.assert_allclose(np.asarray(traced), np.asarray(eager), rtol=1e-6)
    assert traced.dtype == eager.dtype and traced.shape == eager.shape
    return np.asarray(eager), eager.dtype


def test_brief_example_packs_in_a_traced_function(tf):
    @tf.function
    def f(s, x):
        a = tf.convert_to_tensor([x, 2.0 * x])
        b = tf.reshape(s, [tf.shape(s)[0], 1])
        return a, b, tf.concat([s, [x]], 0)

    a, b, c = f(tf.constant([1.0, 2.0]), tf.constant(3.0))
    np.testing.assert_allclose(a.numpy(), [3.0, 6.0])
    np.testing.assert_allclose(b.numpy(), [[1.0], [2.0]])
    np.testing.assert_allclose(c.numpy(), [1.0, 2.0, 3.0])
    a, _, c = f(tf.constant([5.0, 6.0]), tf.constant(-1.0))  # run time values: nothing folded
    np.testing.assert_allclose(a.numpy(), [-1.0, -2.0])
    np.testing.assert_allclose(c.numpy(), [5.0, 6.0, -1.0])


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda tf, x: [[x, 1.0], [2.0, x]], [[3.0, 1.0], [2.0, 3.0]]),
        (lambda tf, x: ((x, x * x), [4.0, 5.0]), [[3.0, 9.0], [4.0, 5.0]]),
        (lambda tf, x: [x, 2], [3.0, 2.0]),  # a Python int takes the tensor's dtype
        (lambda tf, x: [np.float32(0.5), x], [0.5, 3.0]),
        (lambda tf, x: [tf.stack([x, x]), [1.0, x]], [[3.0, 3.0], [1.0, 3.0]]),
    ],
)
def test_nested_and_mixed_lists(tf, make, expected):
    out, dtype = _both(tf, lambda x: tf.convert_to_tensor(make(tf, x)), tf.constant(3.0))
    np.testing.assert_allclose(out, expected)
    assert dtype == tf.float32


def test_int_tensors_pack_as_int32(tf):
    out, dtype = _both(tf, lambda n: tf.convert_to_tensor([n, 2, n * 3]), tf.constant(2))
    np.testing.assert_array_equal(out, [2, 2, 6])
    assert dtype == tf.int32


def test_dtype_hint_yields_to_the_tensors_dtype(tf):
    out, dtype = _both(
        tf, lambda x: tf.convert_to_tensor([x, 1.5], dtype_hint=tf.int32), tf.constant(3.0)
    )
    np.testing.assert_allclose(out, [3.0, 1.5])
    assert dtype == tf.float32


@pytest.mark.parametrize(
    "fn",
    [
        lambda tf, s, x: tf.convert_to_tensor([x, 1.0], dtype=tf.float64),
        lambda tf, s, x: s + [x, 1.0],
        lambda tf, s, x: tf.concat([s, [x, 1.0]], 0)[2:],
    ],
)
def test_a_requested_dtype_casts_the_tensors(tf, fn):
    s = tf.constant([1.0, 2.0], tf.float64)
    out, dtype = _both(tf, lambda s, x: fn(tf, s, x), s, tf.constant(3.0))
    assert dtype == tf.float64
    assert out.shape == (2,)


def test_mixed_tensor_dtypes_eager_is_invalid_argument(tf):
    with pytest.raises(tf.errors.InvalidArgumentError, match="Pack"):
        tf.convert_to_tensor([tf.constant(3.0), tf.constant(1)])


def test_mixed_tensor_dtypes_traced_is_type_error(tf):
    f = tf.function(lambda x, n: tf.convert_to_tensor([x, n]))
    with pytest.raises(TypeError, match="int32"):
        f(tf.constant(3.0), tf.constant(1))


def test_float_beside_int_tensor_is_type_error(tf):
    with pytest.raises(TypeError, match="1.5"):
        tf.convert_to_tensor([tf.constant(1), 1.5])
    with pytest.raises(TypeError, match="1.5"):
        tf.function(lambda n: tf.convert_to_tensor([n, 1.5]))(tf.constant(1))


def test_shape_mismatch_errors(tf):
    s, x = tf.constant([1.0, 2.0]), tf.constant(3.0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Shapes of all inputs must match"):
        tf.convert_to_tensor([s, x])
    with pytest.raises(ValueError, match="equal rank, but are 1 and 0"):
        tf.function(lambda s, x: tf.convert_to_tensor([s, x]))(s, x)


def test_unknown_dims_merge_in_the_static_shape(tf):
    seen = []

    @tf.function(input_signature=[tf.TensorSpec([None]), tf.TensorSpec([3])])
    def f(a, b):
        out = tf.convert_to_tensor([a, b])
        seen.append(out.shape.as_list())
        return out

    out = f(tf.constant([1.0, 2.0, 3.0]), tf.constant([4.0, 5.0, 6.0]))
    np.testing.assert_allclose(out.numpy(), [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert seen == [[2, 3]]


def test_tf_constant_does_not_pack_symbolic_tensors(tf):
    f = tf.function(lambda x: tf.constant([x, 1.0]))
    with pytest.raises(TypeError, match="non-tensor"):
        f(tf.constant(3.0))


@pytest.mark.parametrize(
    "name, expected, static",
    [
        ("zeros", np.zeros((2, 3)), [None, 3]),
        ("ones", np.ones((2, 2)), [2, None]),
        ("fill", np.full((2, 2), 3.0), [None, 2]),
        ("broadcast_to", np.full((2, 3), 3.0), [None, 3]),
        ("reshape", np.array([[1.0, 2.0]]).T, [None, None]),
        ("tile", np.array([[1.0, 1.0], [2.0, 2.0]] * 2), [None, 2]),
        ("pad", np.array([0.0, 0.0, 1.0, 2.0, 0.0]), [None]),
        ("slice_begin", np.array([2.0]), [1]),
        ("slice_size", np.array([1.0, 2.0]), [None]),
        ("gather", np.array([2.0, 1.0]), [2]),
    ],
)
def test_shape_arguments_with_a_traced_dim(tf, name, expected, static):
    ops = {
        "zeros": lambda s, x, n: tf.zeros([n, 3]),
        "ones": lambda s, x, n: tf.ones([2, n]),
        "fill": lambda s, x, n: tf.fill([n, 2], x),
        "broadcast_to": lambda s, x, n: tf.broadcast_to(x, [n, 3]),
        "reshape": lambda s, x, n: tf.reshape(s, [n, -1]),
        "tile": lambda s, x, n: tf.tile(tf.reshape(s, [2, 1]), [n, 2]),
        "pad": lambda s, x, n: tf.pad(s, [[n, 1]]),
        "slice_begin": lambda s, x, n: tf.slice(s, [n - 1], [1]),
        "slice_size": lambda s, x, n: tf.slice(s, [0], [n]),
        "gather": lambda s, x, n: tf.gather(s, [n - 1, 0]),
    }
    seen = []

    def fn(s, x, n):
        out = ops[name](s, x, n)
        seen.append(out.shape.as_list())
        return out

    args = tf.constant([1.0, 2.0]), tf.constant(3.0), tf.constant(2)
    out, _ = _both(tf, fn, *args)
    np.testing.assert_allclose(out, expected)
    assert seen[-1] == static  # the trace's static shape: the traced dim is unknown


def test_graph_shows_pack_nodes(tf):
    f = tf.function(lambda x: tf.convert_to_tensor([x, 2.0 * x]))
    graph = f.get_concrete_function(tf.TensorSpec([], tf.float32)).graph
    types = [op.type for op in graph.get_operations()]
    assert "Pack" in types


def test_packed_list_is_not_a_constant_in_the_graph(tf):
    f = tf.function(lambda x: tf.convert_to_tensor([[x, 1.0], [2.0, x]]))
    c = f.get_concrete_function(tf.TensorSpec([], tf.float32))
    types = [op.type for op in c.graph.get_operations()]
    assert types.count("Placeholder") == 1 and "Const" in types
    np.testing.assert_allclose(c(tf.constant(7.0)).numpy(), [[7.0, 1.0], [2.0, 7.0]])


W = [[1.0, 2.0], [3.0, 4.0]]


def _loss(tf, x, v):
    return tf.reduce_sum(tf.convert_to_tensor([[x, 1.0], [v, x * x]]) * W)


def test_gradients_through_an_eager_packed_list(tf):
    x, v = tf.constant(3.0), tf.Variable(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = _loss(tf, x, v)
    gx, gv = tape.gradient(loss, [x, v])
    assert float(gx) == pytest.approx(1.0 + 4.0 * 2.0 * 3.0)  # W[0][0] + W[1][1] * 2x
    assert float(gv) == pytest.approx(3.0)


def test_gradients_tape_inside_the_function(tf):
    v = tf.Variable(2.0)

    @tf.function
    def f(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = _loss(tf, x, v)
        return tape.gradient(loss, [x, v])

    gx, gv = f(tf.constant(3.0))
    assert float(gx) == pytest.approx(25.0)
    assert float(gv) == pytest.approx(3.0)


def test_gradients_tape_outside_the_function(tf):
    v = tf.Variable(2.0)
    f = tf.function(lambda x: _loss(tf, x, v))
    x = tf.constant(-1.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = f(x)
    gx, gv = tape.gradient(loss, [x, v])
    assert float(loss) == pytest.approx(-1.0 + 2.0 + 6.0 + 4.0)
    assert float(gx) == pytest.approx(1.0 - 8.0)
    assert float(gv) == pytest.approx(3.0)


def test_gradients_through_traced_shape_arguments(tf):
    v = tf.Variable([1.0, 2.0])

    @tf.function
    def f(n):
        with tf.GradientTape() as tape:
            loss = (
                tf.reduce_sum(tf.slice(v, [n - 1], [1]) * 3.0)
                + tf.reduce_sum(tf.pad(v, [[n, 0]]) * [1.0, 2.0, 3.0, 4.0])
                + tf.reduce_sum(tf.tile(v, [n]) * [1.0, 10.0, 100.0, 1000.0])
            )
        return loss, tape.gradient(loss, v)

    loss, grad = f(tf.constant(2))
    assert float(loss) == pytest.approx(6.0 + 11.0 + 2121.0)
    np.testing.assert_allclose(grad.numpy(), [3.0 + 101.0, 4.0 + 1010.0 + 3.0])


# ---- tf.stack / tf.unstack: one Pack / Unpack node ---------------------------------------------


def test_stack_and_unstack_are_one_node_each(tf):
    def fn(a, b):
        return tf.unstack(tf.stack([a, b], axis=1), axis=2)

    c = tf.function(fn).get_concrete_function(tf.TensorSpec([2, 3]), tf.TensorSpec([2, 3]))
    types = [op.type for op in c.graph.get_operations()]
    assert types.count("Pack") == 1 and types.count("Unpack") == 1
    assert "ConcatV2" not in types and "Reshape" not in types
    a = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    out = c(tf.constant(a), tf.constant(-a))
    assert len(out) == 3
    np.testing.assert_allclose(out[1].numpy(), [[1.0, -1.0], [4.0, -4.0]])


@pytest.mark.parametrize("axis", [0, 1, -1, -3])
def test_stack_axes_eager_and_traced(tf, axis):
    a = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    out, _ = _both(tf, lambda x, y: tf.stack([x, y, x], axis=axis), tf.constant(a), tf.constant(-a))
    np.testing.assert_allclose(out, np.stack([a, -a, a], axis=axis))


def test_stack_merges_unknown_dims_and_unstack_takes_num(tf):
    seen = []

    @tf.function(input_signature=[tf.TensorSpec([None, 3]), tf.TensorSpec([2, None])])
    def f(a, b):
        out = tf.stack([a, b], axis=1)
        parts = tf.unstack(a, num=2)
        seen.append((out.shape.as_list(), [p.shape.as_list() for p in parts]))
        return out, parts[1]

    a = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    out, second = f(tf.constant(a), tf.constant(a + 10))
    np.testing.assert_allclose(out.numpy(), np.stack([a, a + 10], axis=1))
    np.testing.assert_allclose(second.numpy(), a[1])
    assert seen == [([2, 2, 3], [[3], [3]])]
    g = tf.function(lambda x: tf.unstack(x, num=2), input_signature=[tf.TensorSpec([None])])
    with pytest.raises(tf.errors.InvalidArgumentError, match="axis 0 must equal 2, got shape"):
        g(tf.constant([1.0, 2.0, 3.0]))


def test_stack_and_unstack_errors(tf):
    with pytest.raises(tf.errors.InvalidArgumentError, match="Shapes of all inputs must match"):
        tf.stack([tf.ones(2), tf.ones(3)])
    with pytest.raises(ValueError, match=r"`axis` = 2 not in range \[-2, 2\)"):
        tf.stack([tf.ones(2), tf.ones(2)], axis=2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="axis 0 must equal 3, got shape"):
        tf.unstack(tf.ones((2, 3)), num=3, axis=-2)

    def traced(x):
        with pytest.raises(ValueError, match="Dimension 0 in both shapes must be equal"):
            tf.stack([x, tf.ones(3)])
        with pytest.raises(ValueError, match="Dimension must be 3 but is 2"):
            tf.unstack(x, num=3)
        return x

    tf.function(traced).get_concrete_function(tf.TensorSpec([2]))
    f = tf.function(lambda x: tf.unstack(x), input_signature=[tf.TensorSpec([None])])
    with pytest.raises(ValueError, match="Cannot infer argument `num`"):
        f.get_concrete_function()


def test_stack_unstack_gradients_eager_and_traced(tf):
    a = np.array([[1.0, 2.0], [3.0, -1.0]], np.float32)

    def grads(x, y):
        with tf.GradientTape() as tape:
            tape.watch([x, y])
            s = tf.stack([x * x, y], axis=-1)
            u = tf.unstack(s, axis=1)
            loss = tf.reduce_sum(s * s) + tf.reduce_sum(u[0] * 3.0)
        return tape.gradient(loss, [x, y])

    for fn in (grads, tf.function(grads)):
        gx, gy = fn(tf.constant(a), tf.constant(-a))
        want_x = 4.0 * a**3 + np.array([[6.0, 0.0], [6.0, 0.0]]) * a
        np.testing.assert_allclose(gx.numpy(), want_x, rtol=1e-6)
        # u[0] = s[:, 0, :] holds column 0 of x^2 and of y
        np.testing.assert_allclose(gy.numpy(), -2.0 * a + np.array([[3.0, 0.0], [3.0, 0.0]]))
