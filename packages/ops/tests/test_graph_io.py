"""graph_io: traced graphs written as JSON data plus tensor bytes, read back and run."""

import json

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_ops import graph_io


def _roundtrip(fn, variables):
    """Serialize ``fn`` through real JSON text and bytes; read it back bound to copies of
    ``variables`` (initialized to the same values); returns (restored, new variables)."""
    store = graph_io.TensorStore()
    d = graph_io.serialize_function(fn, {id(v): i for i, v in enumerate(variables)}, store)
    text = json.dumps(d, allow_nan=False)
    entries = json.loads(json.dumps(store.entries))
    fresh = [tf.Variable(v.numpy(), trainable=v.trainable) for v in variables]
    back = graph_io.TensorStore(store.data(), entries, "mem.bin")
    return graph_io.deserialize_function(json.loads(text), fresh, back, "mem.json"), fresh


def test_control_flow_constants_and_variables_round_trip():
    v = tf.Variable([1.0, 2.0, 3.0])
    w = tf.Variable(2.0, trainable=False)
    table = tf.constant(np.arange(6, dtype=np.float32).reshape(2, 3))

    @tf.function(input_signature=[tf.TensorSpec([None, 3])])
    def f(x):
        y = x * v + w + tf.reduce_sum(table, axis=0)
        if tf.reduce_sum(y) > 0:
            y = y * 2.0
        i = tf.constant(0)
        while i < 3:
            y = y + 1.0
            i += 1
        return {"a": y, "b": tf.nn.relu(-y)}

    r, (v2, w2) = _roundtrip(f, [v, w])
    for x in ([[1.0, -1.0, 0.5]], [[-9.0, -9.0, -9.0], [0.0, 0.0, 0.0]]):
        x = tf.constant(x)
        xv = x.numpy()
        y = xv * [1, 2, 3] + 2 + [3, 5, 7]
        y = np.where(y.sum() > 0, y * 2, y) + 3
        got = r(x)
        np.testing.assert_allclose(got["a"].numpy(), y, rtol=1e-6)
        np.testing.assert_allclose(got["b"].numpy(), np.maximum(-y, 0), rtol=1e-6)
    types = {op.type for op in r.concrete_functions[0].graph.ops}
    assert {"StatelessIf", "StatelessWhile", "ReadVariableOp", "Const"} <= types
    # the restored graph reads the new variables, not the old ones
    v2.assign([0.0, 0.0, 0.0])
    x = tf.constant([[5.0, 5.0, 5.0]])
    np.testing.assert_allclose(r(x)["a"].numpy(), [[(2 + 3) * 2 + 3, (2 + 5) * 2 + 3,
                                                     (2 + 7) * 2 + 3]])  # fmt: skip
    x = tf.constant([[1.0, 1.0, 1.0]])
    np.testing.assert_allclose(f(x)["a"].numpy(), [[(1 + 2 + 3) * 2 + 3, (2 + 2 + 5) * 2 + 3,
                                                     (3 + 2 + 7) * 2 + 3]])  # fmt: skip


def test_restored_function_is_differentiable_wrt_restored_variables():
    v = tf.Variable([1.0, -2.0])

    @tf.function(input_signature=[tf.TensorSpec([2])])
    def f(x):
        return tf.reduce_sum(tf.tanh(x * v) ** 2)

    r, (v2,) = _roundtrip(f, [v])
    x = tf.constant([0.3, 0.7])
    with tf.GradientTape() as tape:
        out = r(x)
    g = tape.gradient(out, v2).numpy()
    # finite differences on the restored function
    eps, fd = 1e-3, []
    for i in range(2):
        d = np.zeros(2, np.float32)
        d[i] = eps
        v2.assign(np.array([1.0, -2.0], np.float32) + d)
        hi = r(x).numpy()
        v2.assign(np.array([1.0, -2.0], np.float32) - d)
        lo = r(x).numpy()
        fd.append((hi - lo) / (2 * eps))
    np.testing.assert_allclose(g, fd, rtol=1e-2)


def test_attr_kinds_conv_pool_strided_slice_dtypes_and_random_seeds():
    k = tf.Variable(np.random.default_rng(0).normal(size=(3, 3, 2, 4)).astype(np.float32))

    @tf.function(input_signature=[tf.TensorSpec([None, 8, 8, 2])])
    def f(x):
        y = tf.nn.conv2d(x, k, strides=[1, 1, 1, 1], padding="SAME")
        y = tf.nn.max_pool2d(y, ksize=2, strides=2, padding="VALID")
        y = tf.cast(y[:, 1:, ::2, :], tf.float64)
        noise = tf.random.uniform([4], seed=7)
        return tf.reshape(y, [-1, 3 * 2 * 4]), noise

    x = tf.constant(np.random.default_rng(1).normal(size=(2, 8, 8, 2)).astype(np.float32))
    r, _ = _roundtrip(f, [k])
    want, noise = f(x)
    got, noise2 = r(x)
    assert got.dtype == tf.float64 and got.shape == (2, 24)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    # the random op keeps its seeds: the restored copy continues the same seeded stream
    assert noise2.shape == (4,) and np.all((noise2.numpy() >= 0) & (noise2.numpy() < 1))
    assert not np.array_equal(r(x)[1].numpy(), noise2.numpy())  # each run draws anew


def test_python_values_and_several_traces_dispatch_by_signature():
    @tf.function
    def f(x, scale=2.0):
        return x * scale

    f(tf.constant([1.0, 2.0]))
    f(tf.constant([[1, 2]], dtype=tf.int32), scale=3)
    r, _ = _roundtrip(f, [])
    assert len(r.concrete_functions) == 2
    np.testing.assert_allclose(r(tf.constant([4.0, 5.0])).numpy(), [8.0, 10.0])
    np.testing.assert_array_equal(r(tf.constant([[1, 1]], tf.int32), 3).numpy(), [[3, 3]])
    with pytest.raises(TypeError, match="Binding inputs"):
        r(tf.constant([1.0, 2.0, 3.0, 4.0], tf.float64))
    with pytest.raises(TypeError, match="Binding inputs"):
        r(tf.constant([1.0, 2.0]), 5.0)  # traced with scale=2.0 only


def test_py_function_and_custom_gradient_are_refused():
    @tf.function(input_signature=[tf.TensorSpec([2])])
    def f(x):
        return tf.py_function(lambda a: a * 2, [x], tf.float32)

    with pytest.raises(ValueError, match="EagerPyFunc"):
        graph_io.serialize_function(f, {}, graph_io.TensorStore())
    other = tf.Variable(1.0)

    @tf.function(input_signature=[tf.TensorSpec([])])
    def g(x):
        return x * other

    with pytest.raises(ValueError, match="not being saved"):
        graph_io.serialize_function(g, {}, graph_io.TensorStore())


def test_malformed_data_gives_value_errors_naming_the_source():
    v = tf.Variable([1.0, 2.0])

    @tf.function(input_signature=[tf.TensorSpec([2])])
    def f(x):
        return x * v + tf.constant([3.0, 4.0])

    store = graph_io.TensorStore()
    d = graph_io.serialize_function(f, {id(v): 0}, store)
    good = json.dumps(d)

    def load(doc, data=None, entries=store.entries, variables=(v,)):
        s = graph_io.TensorStore(store.data() if data is None else data, entries, "t.bin")
        return graph_io.deserialize_function(doc, list(variables), s, "f.json")

    np.testing.assert_allclose(load(json.loads(good))(tf.constant([1.0, 1.0])).numpy(), [4, 6])
    bad_type = json.loads(good.replace('"Mul"', '"NoSuchOp"'))
    with pytest.raises(ValueError, match="f.json.*NoSuchOp"):
        load(bad_type)
    with pytest.raises(ValueError, match="version"):
        load(dict(json.loads(good), version=99))
    with pytest.raises(ValueError, match="variable index"):
        load(json.loads(good), variables=())
    with pytest.raises(ValueError, match="t.bin.*past the end"):
        load(json.loads(good), data=store.data()[:3])(tf.constant([1.0, 1.0]))
    broken = json.loads(good)
    broken["concrete"][0]["graph"]["ops"][2]["inputs"] = [[99, 0]]
    with pytest.raises(ValueError, match="bad tensor reference"):
        load(broken)
    with pytest.raises(ValueError, match="f.json"):
        load({"format": graph_io.FORMAT, "version": 1, "concrete": [{"graph": 5}]})
