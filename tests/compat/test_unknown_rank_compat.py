"""``tf.TensorSpec(None, dtype)``: traces of unknown rank, as TF 2.21 makes and runs them."""

from __future__ import annotations

import numpy as np
import pytest


def _shapes(tf):
    seen = {}

    @tf.function
    def f(x, y):
        seen["x"] = x.shape
        seen["add"] = (x + y).shape
        seen["sum_all"] = tf.reduce_sum(x).shape
        seen["sum_0"] = tf.reduce_sum(x, axis=0).shape
        seen["flat"] = tf.reshape(x, [-1]).shape
        seen["rows"] = tf.reshape(x, [2, -1]).shape
        seen["shape"] = tf.shape(x).shape
        seen["size"] = tf.size(x).shape
        seen["concat_known"] = tf.concat([x, tf.zeros([2, 3])], 0).shape
        seen["concat_unknown"] = tf.concat([x, x], 0).shape
        seen["matmul"] = tf.matmul(x, tf.ones([3, 4])).shape
        seen["rank"] = x.shape.rank
        return x + y

    cf = f.get_concrete_function(tf.TensorSpec(None, tf.float32), tf.TensorSpec([3], tf.float32))
    return f, cf, seen


def test_static_shapes_of_ops_on_unknown_rank(tf):
    _, _, seen = _shapes(tf)
    text = {k: str(v) for k, v in seen.items() if k != "rank"}
    assert text == {
        "x": "<unknown>", "add": "<unknown>", "sum_all": "()", "sum_0": "<unknown>",
        "flat": "(None,)", "rows": "(2, None)", "shape": "(None,)", "size": "()",
        "concat_known": "(None, 3)", "concat_unknown": "<unknown>", "matmul": "<unknown>",
    }  # fmt: skip
    assert seen["rank"] is None


def test_unknown_rank_trace_runs_any_rank(tf):
    f, cf, _ = _shapes(tf)
    y = tf.constant([1.0, 2.0, 3.0])
    out2 = cf(tf.ones([2, 3]), y)
    out1 = cf(tf.constant([5.0, 6.0, 7.0]), y)
    out0 = cf(tf.constant(10.0), y)
    np.testing.assert_allclose(out2.numpy(), [[2, 3, 4], [2, 3, 4]])
    np.testing.assert_allclose(out1.numpy(), [6, 8, 10])
    np.testing.assert_allclose(out0.numpy(), [11, 12, 13])
    # a later call of the tf.function reuses the unknown-rank trace
    np.testing.assert_allclose(f(tf.ones([1, 1, 3]), y).numpy(), [[[2, 3, 4]]])
    assert f.experimental_get_tracing_count() == 1


def test_unknown_rank_printed_signature(tf):
    _, cf, _ = _shapes(tf)
    assert str(cf) == (
        "ConcreteFunction Input Parameters:\n"
        "  x (POSITIONAL_OR_KEYWORD): TensorSpec(shape=<unknown>, dtype=tf.float32, name=None)\n"
        "  y (POSITIONAL_OR_KEYWORD): TensorSpec(shape=(3,), dtype=tf.float32, name=None)\n"
        "Output Type:\n"
        "  TensorSpec(shape=<unknown>, dtype=tf.float32, name=None)\n"
        "Captures:\n"
        "  None"
    )
    assert repr(tf.TensorSpec(None, tf.int32)) == (
        "TensorSpec(shape=<unknown>, dtype=tf.int32, name=None)"
    )
    ph = cf.inputs[0]
    assert repr(ph) == "<tf.Tensor 'x:0' shape=<unknown> dtype=float32>"


def test_unknown_rank_matmul_and_reduce_run(tf):
    @tf.function
    def g(a, b):
        return tf.reduce_sum(tf.matmul(a, b), axis=-1)

    cf = g.get_concrete_function(tf.TensorSpec(None), tf.TensorSpec(None))
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.arange(6, dtype=np.float32).reshape(3, 2)
    np.testing.assert_allclose(cf(tf.constant(a), tf.constant(b)).numpy(), (a @ b).sum(-1))
    a3 = np.arange(12, dtype=np.float32).reshape(2, 2, 3)
    b3 = np.arange(12, dtype=np.float32).reshape(2, 3, 2)
    np.testing.assert_allclose(cf(tf.constant(a3), tf.constant(b3)).numpy(), (a3 @ b3).sum(-1))


def test_unknown_rank_input_signature_with_strings(tf):
    @tf.function(input_signature=[tf.TensorSpec(None, tf.string)])
    def double(a):
        return a + a

    assert double(tf.constant("a")).numpy() == b"aa"
    assert double(tf.constant(["a", "b"])).numpy().tolist() == [b"aa", b"bb"]
    assert "TensorSpec(shape=<unknown>, dtype=tf.string, name=None)" in str(
        double.get_concrete_function()
    )


def test_unknown_rank_wrong_dtype_is_rejected(tf):
    _, cf, _ = _shapes(tf)
    with pytest.raises(tf.errors.InvalidArgumentError, match="expected to be a float tensor"):
        cf(tf.ones([2], tf.int32), tf.ones([3]))


def test_unknown_rank_gradient(tf):
    @tf.function
    def f(x):
        return tf.reduce_sum(x * x)

    cf = f.get_concrete_function(tf.TensorSpec(None, tf.float32))
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = cf(x)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), 2 * x.numpy())


def test_graph_def_node_names_follow_the_python_functions(tf):
    @tf.function
    def f(x, y):
        a = (x * y + x - y) / y
        b = tf.matmul(tf.reshape(a, [1, -1]), tf.reshape(x, [-1, 1]))
        return tf.concat([tf.reduce_sum(b, axis=0), x * 2.0], 0) ** 2.0

    gd = f.get_concrete_function(tf.TensorSpec([2]), tf.TensorSpec([2])).graph.as_graph_def()
    ops = {n.name: n.op for n in gd.node}
    expected = {
        "x": "Placeholder", "y": "Placeholder", "mul": "Mul", "add": "AddV2", "sub": "Sub",
        "truediv": "RealDiv", "MatMul": "MatMul", "Sum": "Sum", "mul_1": "Mul",
        "concat": "ConcatV2", "pow": "Pow", "pow/y": "Const", "Identity": "Identity",
    }  # fmt: skip
    assert {k: ops.get(k) for k in expected} == expected
    names = set(ops)
    for n in gd.node:
        assert all(i.split(":")[0].lstrip("^") in names for i in n.input)
    assert {n.name for n in gd.node if n.op == "Reshape"} == {"Reshape", "Reshape_1"}


def test_reduce_retracing_relaxes_different_ranks_to_unknown(tf):
    @tf.function(reduce_retracing=True)
    def f(x):
        return x * 2.0

    f(tf.ones([2]))
    f(tf.ones([2, 3]))
    np.testing.assert_array_equal(f(tf.ones([1, 2, 1])).numpy(), np.full([1, 2, 1], 2.0))
    assert f.experimental_get_tracing_count() == 2
    text = f.pretty_printed_concrete_signatures()
    assert "x (POSITIONAL_OR_KEYWORD): TensorSpec(shape=<unknown>, dtype=tf.float32" in text


def test_bound_python_argument_with_unknown_rank_tensor(tf):
    @tf.function
    def power(a, b):
        return a**b

    square = power.get_concrete_function(a=tf.TensorSpec(None, tf.float32), b=2)
    assert float(square(tf.constant(10.0))) == 100.0
    np.testing.assert_array_equal(square(tf.constant([[1.0, 2.0]])).numpy(), [[1.0, 4.0]])
    with pytest.raises(TypeError):
        square(tf.constant(10.0), b=3)
    edges = [(list(n.input), n.name) for n in square.graph.as_graph_def().node]
    assert edges == [([], "a"), ([], "pow/y"), (["a", "pow/y"], "pow"), (["pow"], "Identity")]
