"""tf.py_function / tf.numpy_function, tf.executing_eagerly, tf.init_scope and
tf.control_dependencies: TF 2's behaviour, eagerly and inside tf.function."""

import numpy as np
import pytest


def test_executing_eagerly_and_init_scope(tf):
    seen = []

    @tf.function
    def f(x):
        seen.append(tf.executing_eagerly())
        with tf.init_scope():
            seen.append(tf.executing_eagerly())
            seen.append(float(tf.constant(2.0).numpy()))
        return x * 2.0

    assert tf.executing_eagerly()
    np.testing.assert_allclose(f(tf.constant(1.5)).numpy(), 3.0)
    assert seen == [False, True, 2.0]


def test_control_dependencies_after_an_assignment(tf):
    v = tf.Variable(1.0)

    @tf.function
    def f():
        a = v.assign_add(1.0)
        with tf.control_dependencies([a]):
            return v.read_value() * 2.0

    assert float(f().numpy()) == 4.0
    assert float(f().numpy()) == 6.0


def test_py_function_eagerly(tf):
    r = tf.py_function(lambda a, b: a + b, [1.0, 2.0], tf.float32)
    assert r.dtype == tf.float32 and float(r.numpy()) == 3.0
    r = tf.py_function(lambda a: np.float64(a.numpy()) * 2, [tf.constant(2.0)], tf.float32)
    assert r.dtype == tf.float32 and float(r.numpy()) == 4.0
    pair = tf.py_function(lambda a: (a, a + 1), [tf.constant(1)], [tf.int32, tf.int32])
    assert [int(p.numpy()) for p in pair] == [1, 2]
    assert tf.py_function(lambda: None, [], []) == []


def test_py_function_runs_when_the_graph_runs(tf):
    calls = []

    def fn(a):
        calls.append(float(a.numpy()))
        return a * 10.0

    @tf.function
    def f(x):
        return tf.py_function(fn, [x], tf.float32) + 1.0

    assert float(f(tf.constant(1.0)).numpy()) == 11.0
    assert float(f(tf.constant(2.0)).numpy()) == 21.0
    assert calls == [1.0, 2.0]
    graph = f.get_concrete_function(tf.constant(1.0)).graph
    assert [op.type for op in graph.get_operations()].count("EagerPyFunc") == 1


def test_py_function_gradients(tf):
    x = tf.constant(0.7)
    want = np.cos(0.7) * 0.7 + np.sin(0.7)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.py_function(lambda a: tf.sin(a) * a, [x], tf.float32)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), want, rtol=1e-6)

    @tf.function
    def across(a):
        return tf.py_function(lambda t: tf.sin(t) * t, [a], tf.float32)

    with tf.GradientTape() as tape:
        tape.watch(x)
        y = across(x)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), want, rtol=1e-6)

    @tf.function
    def inside(a):
        with tf.GradientTape() as tape:
            tape.watch(a)
            y = tf.py_function(lambda t: t * t * t, [a], tf.float32)
        return tape.gradient(y, a)

    np.testing.assert_allclose(inside(tf.constant(3.0)).numpy(), 27.0)


def test_py_function_errors(tf):
    with pytest.raises(tf.errors.UnknownError):
        tf.py_function(lambda a: 1 / 0, [tf.constant(1.0)], tf.float32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="but expects to see 2 values"):
        tf.py_function(lambda a: a, [tf.constant(1.0)], [tf.float32, tf.float32])

    @tf.function
    def f(x):
        return tf.py_function(lambda a: 1 / 0, [x], tf.float32)

    with pytest.raises(tf.errors.UnknownError, match="division by zero"):
        f(tf.constant(1.0))


def test_py_function_under_jit_compile_is_unsupported(tf):
    @tf.function(jit_compile=True)
    def f(x):
        return tf.py_function(lambda a: a * 2.0, [x], tf.float32)

    with pytest.raises(tf.errors.InvalidArgumentError, match="EagerPyFunc"):
        f(tf.constant(1.0))


def test_numpy_function(tf):
    got = []

    def fn(a):
        got.append(type(a))
        return np.sort(a)[::-1].copy()

    x = tf.constant([3.0, 1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.numpy_function(fn, [x], tf.float32)
    np.testing.assert_array_equal(y.numpy(), [3.0, 2.0, 1.0])
    assert got == [np.ndarray]
    assert tape.gradient(y, x) is None
    # eagerly the value keeps its own dtype
    assert tf.numpy_function(lambda a: np.float64(1.0), [x], tf.float32).dtype == tf.float64
    assert tf.numpy_function(lambda a: "abc", [x], tf.string).numpy() == b"abc"

    @tf.function
    def f(v):
        return tf.numpy_function(fn, [v], tf.float32) * 2.0

    np.testing.assert_array_equal(f(x).numpy(), [6.0, 4.0, 2.0])
    graph = f.get_concrete_function(x).graph
    assert "PyFunc" in [op.type for op in graph.get_operations()]

    @tf.function
    def wrong(v):
        return tf.numpy_function(lambda a: a.astype(np.float64), [v], tf.float32)

    with pytest.raises(tf.errors.InvalidArgumentError):
        wrong(x)


def test_set_shape_on_py_function_outputs(tf):
    shapes = {}

    @tf.function
    def f(x):
        y = tf.py_function(lambda a: tf.reduce_sum(a), [x], tf.float32)
        y.set_shape([])
        z = tf.py_function(lambda a: tf.reshape(a, [-1, 1]), [x], tf.float32)
        z.set_shape([None, 1])
        shapes["y"], shapes["z"] = y.shape, z.shape
        with pytest.raises(ValueError, match="Dimension 0 in both shapes must be equal, but are 2"):
            x.set_shape([5])
        return y * 2.0, z

    y, z = f(tf.constant([1.0, 2.0]))
    assert shapes == {"y": tf.TensorShape([]), "z": tf.TensorShape([None, 1])}
    assert float(y.numpy()) == 6.0
    np.testing.assert_array_equal(z.numpy(), [[1.0], [2.0]])
