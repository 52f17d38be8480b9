"""py_function / numpy_function as host-callback graph nodes, and executing_eagerly,
init_scope, control_dependencies."""

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_ops import errors


def test_executing_eagerly_and_init_scope():
    seen = []

    @tf.function
    def f(x):
        seen.append(tf.executing_eagerly())
        with tf.init_scope():
            seen.append(tf.executing_eagerly())
            c = tf.constant(2.0) * 3.0  # runs now: a real value
            seen.append(float(c.numpy()))
        return x + c

    assert tf.executing_eagerly()
    np.testing.assert_allclose(f(tf.constant(1.0)).numpy(), 7.0)
    assert seen == [False, True, 6.0]
    assert tf.executing_eagerly()


def test_init_scope_pauses_the_tape():
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        with tf.init_scope():
            y = x * x
        z = x * 2.0
    assert tape.gradient(y, x) is None
    with tf.GradientTape() as tape:
        tape.watch(x)
        z = x * 2.0
    np.testing.assert_allclose(tape.gradient(z, x).numpy(), 2.0)


def test_control_dependencies_orders_side_effects():
    v = tf.Variable(1.0)

    @tf.function
    def f():
        a = v.assign_add(1.0)
        with tf.control_dependencies([a]):
            return v.read_value() * 2.0

    np.testing.assert_allclose(f().numpy(), 4.0)
    np.testing.assert_allclose(f().numpy(), 6.0)
    with tf.control_dependencies([tf.constant(1.0)]):  # eagerly a no-op
        pass


def test_control_dependencies_rejects_non_tensors_in_a_trace():
    @tf.function
    def f(x):
        with tf.control_dependencies([3]):
            return x

    with pytest.raises(TypeError, match="Control input must be Operation or Tensor: 3"):
        f(tf.constant(1.0))


def test_py_function_eager_gets_tensors_and_converts_to_tout():
    got = []

    def fn(a, b):
        got.append((type(a), type(b)))
        return np.float64(a.numpy() + b.numpy())

    r = tf.py_function(fn, [tf.constant(1.5), 2.0], tf.float32)
    assert r.dtype == tf.float32
    np.testing.assert_allclose(r.numpy(), 3.5)
    assert got == [(tf.Tensor, tf.Tensor)]
    pair = tf.py_function(lambda a: (a, a * 2), [tf.constant([1, 2])], [tf.int32, tf.int32])
    assert isinstance(pair, list) and len(pair) == 2
    np.testing.assert_array_equal(pair[1].numpy(), [2, 4])
    assert tf.py_function(lambda: None, [], []) == []


def test_py_function_in_a_graph_runs_at_each_call():
    calls = []

    def fn(a):
        calls.append(float(a.numpy().sum()))
        return a * 10.0

    @tf.function
    def f(x):
        y = tf.py_function(fn, [x], tf.float32)
        return y + 1.0

    assert calls == []
    np.testing.assert_allclose(f(tf.constant([1.0, 2.0])).numpy(), [11.0, 21.0])
    np.testing.assert_allclose(f(tf.constant([3.0, 4.0])).numpy(), [31.0, 41.0])
    assert calls == [3.0, 7.0]  # nothing ran while tracing, once per call after
    ops = [
        op.type for op in f.get_concrete_function(tf.constant([1.0, 2.0])).graph.get_operations()
    ]
    assert ops.count("EagerPyFunc") == 1


def test_py_function_output_shape_in_a_trace():
    shapes = {}

    @tf.function
    def f(x):
        y = tf.py_function(lambda a: a, [x], tf.float32)
        z = tf.py_function(lambda a: tf.reduce_sum(a), [x], tf.TensorSpec([], tf.float32))
        shapes["y"], shapes["z"] = y.shape, z.shape
        return y, z

    y, z = f(tf.constant([[1.0, 2.0]]))
    assert shapes["y"] == tf.TensorShape([None, None])
    assert shapes["z"] == tf.TensorShape([])
    np.testing.assert_allclose(z.numpy(), 3.0)

    @tf.function
    def bad(x):
        return tf.py_function(lambda a: tf.reduce_sum(a), [x], tf.float32)

    with pytest.raises(errors.InvalidArgumentError, match="expects shape \\(None,\\); TF leaves"):
        bad(tf.constant([1.0, 2.0]))


def test_unused_py_function_is_not_pruned():
    calls = []

    @tf.function
    def f(x):
        tf.py_function(lambda a: calls.append(float(a.numpy())), [x], [])
        return x + 1.0

    f(tf.constant(2.0))
    f(tf.constant(5.0))
    assert calls == [2.0, 5.0]


def test_py_function_gradient_eager_and_across_a_function():
    x = tf.constant(0.7)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.py_function(lambda a: tf.sin(a) * a, [x], tf.float32)
    want = np.cos(0.7) * 0.7 + np.sin(0.7)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), want, rtol=1e-6)

    @tf.function
    def f(a):
        return tf.py_function(lambda t: tf.sin(t) * t, [a], tf.float32) * 2.0

    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), 2 * want, rtol=1e-6)


def test_py_function_gradient_from_a_tape_inside_the_function():
    @tf.function
    def f(x, w):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.py_function(lambda a, b: a * a * a * b, [x, w], tf.float32)
            loss = y * 2.0
        return tape.gradient(loss, x)

    np.testing.assert_allclose(f(tf.constant(3.0), tf.constant(0.5)).numpy(), 2 * 3 * 9 * 0.5)
    np.testing.assert_allclose(f(tf.constant(2.0), tf.constant(1.0)).numpy(), 2 * 3 * 4.0)


def test_py_function_errors():
    with pytest.raises(errors.UnknownError, match="ZeroDivisionError"):
        tf.py_function(lambda a: 1 / 0, [tf.constant(1.0)], tf.float32)
    with pytest.raises(errors.InvalidArgumentError, match="ValueError: bad"):
        tf.py_function(lambda a: (_ for _ in ()).throw(ValueError("bad")), [1.0], tf.float32)
    with pytest.raises(errors.InvalidArgumentError, match="returns 1 values, but expects to see 2"):
        tf.py_function(lambda a: a, [tf.constant(1.0)], [tf.float32, tf.float32])
    with pytest.raises(errors.InvalidArgumentError):
        tf.py_function(lambda a: "abc", [tf.constant(1.0)], tf.float32)
    with pytest.raises(TypeError, match="Tout"):
        tf.py_function(lambda: 1, [], None)

    @tf.function
    def f(x):
        return tf.py_function(lambda a: 1 / 0, [x], tf.float32)

    with pytest.raises(errors.UnknownError, match="division by zero"):
        f(tf.constant(1.0))


def test_numpy_function_gets_arrays_and_has_no_gradient():
    got = []

    def fn(a):
        got.append(type(a))
        a += 1  # writable: a copy of the input
        return a * 2

    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.numpy_function(fn, [x], tf.float32)
    np.testing.assert_allclose(y.numpy(), [4.0, 6.0])
    np.testing.assert_allclose(x.numpy(), [1.0, 2.0])
    assert got == [np.ndarray]
    assert tape.gradient(y, x) is None
    # eagerly, TF keeps the value's own dtype (no check against Tout)
    assert tf.numpy_function(lambda a: np.float64(1.0), [x], tf.float32).dtype == tf.float64
    s = tf.numpy_function(lambda a: "abc", [x], tf.string)
    assert s.dtype == tf.string and s.numpy() == b"abc"


def test_numpy_function_in_a_graph():
    @tf.function
    def f(x):
        a = tf.numpy_function(lambda v: np.sort(v)[::-1].copy(), [x], tf.float32)
        b = tf.numpy_function(lambda v: v.astype(np.float64), [x], tf.float32, stateful=False)
        return a, b

    a_ops = [op.type for op in f.get_concrete_function(tf.constant([1.0])).graph.get_operations()]
    assert "PyFunc" in a_ops and "PyFuncStateless" in a_ops

    @tf.function
    def g(x):
        return tf.numpy_function(lambda v: np.sort(v)[::-1].copy(), [x], tf.float32) * 2.0

    np.testing.assert_allclose(g(tf.constant([3.0, 1.0, 2.0])).numpy(), [6.0, 4.0, 2.0])
    with pytest.raises(errors.InvalidArgumentError, match="float64"):
        f(tf.constant([1.0]))


def test_numpy_function_in_a_graph_owns_its_arrays():
    """In a graph the function gets writable copies (the input tensor never changes), a view it
    returns is copied (later writes to its array do not reach the output), and outputs are
    checked against Tout's dtype and shape."""
    kept = []

    def fn(v):
        v *= 2.0  # a copy: x stays as it was
        kept.append(v)
        return v[::-1]  # a reversed view, not C-contiguous

    @tf.function
    def f(x):
        return tf.numpy_function(fn, [x], tf.float32) + 1.0, x * 1.0

    x = tf.constant([1.0, 2.0, 3.0])
    y, same = f(x)
    kept[-1][:] = -100.0
    np.testing.assert_allclose(y.numpy(), [7.0, 5.0, 3.0])
    np.testing.assert_allclose(same.numpy(), [1.0, 2.0, 3.0])
    np.testing.assert_allclose(x.numpy(), [1.0, 2.0, 3.0])

    @tf.function
    def words(x):
        return tf.numpy_function(lambda v: np.array([b"a", b"bc"], dtype=object), [x], tf.string)

    assert list(words(x).numpy()) == [b"a", b"bc"]
    spec = tf.TensorSpec([2], tf.float32)
    shaped = tf.function(lambda x: tf.numpy_function(lambda v: v, [x], spec))
    with pytest.raises(errors.InvalidArgumentError, match=r"shape \(3,\)"):
        shaped(x)


def test_py_function_inside_cond_and_while_loop():
    calls = []

    def fn(a):
        calls.append(1)
        return a + 1.0

    @tf.function
    def f(x):
        y = tf.cond(x > 0.0, lambda: tf.py_function(fn, [x], tf.TensorSpec([], tf.float32)),
                    lambda: x)  # fmt: skip
        return tf.while_loop(
            lambda i, v: i < 3,
            lambda i, v: (i + 1, tf.py_function(fn, [v], tf.TensorSpec([], tf.float32))),
            (tf.constant(0), y),
        )[1]

    np.testing.assert_allclose(f(tf.constant(1.0)).numpy(), 5.0)
    assert len(calls) == 4
    np.testing.assert_allclose(f(tf.constant(-1.0)).numpy(), 2.0)
    assert len(calls) == 7


def test_jit_compile_raises_tf_error_class():
    @tf.function(jit_compile=True)
    def f(x):
        return tf.py_function(lambda a: a, [x], tf.float32)

    try:
        import jax  # noqa: F401
    except ImportError:
        pytest.skip("no XLA kernels")
    with pytest.raises(errors.InvalidArgumentError, match="EagerPyFunc"):
        f(tf.constant(1.0))


def test_set_shape_on_py_function_outputs():
    shapes = {}

    @tf.function
    def f(x):
        y = tf.py_function(lambda a: tf.reduce_sum(a), [x], tf.float32)
        y.set_shape([])  # the guessed rank 1 becomes rank 0
        z = tf.py_function(lambda a: tf.reshape(a, [-1, 1]), [x], tf.float32)
        z.set_shape([None, 1])
        shapes["y"], shapes["z"] = y.shape, z.shape
        with pytest.raises(ValueError, match="Dimension 0 in both shapes must be equal, but are 2"):
            x.set_shape([5])
        with pytest.raises(ValueError, match="Shapes must be equal rank, but are 2 and 1"):
            z.set_shape([3])
        return y * 2.0, z

    y, z = f(tf.constant([1.0, 2.0]))
    assert shapes == {"y": tf.TensorShape([]), "z": tf.TensorShape([None, 1])}
    np.testing.assert_allclose(y.numpy(), 6.0)
    np.testing.assert_allclose(z.numpy(), [[1.0], [2.0]])

    @tf.function
    def lying(x):
        y = tf.py_function(lambda a: a, [x], tf.float32)
        y.set_shape([3])
        return y

    # TF does not check a set shape when the node runs; here the graph relies on it
    with pytest.raises(errors.InvalidArgumentError, match="expects shape \\(3,\\)"):
        lying(tf.constant([1.0, 2.0]))
