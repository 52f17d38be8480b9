"""Elementwise fusion in the optimized graph: results equal the unfused ones, the traced graph
keeps TF's op types, nothing is computed twice, no cycles, side effects keep their order."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import tensorhouse_ops as tf

RNG = np.random.default_rng(0)


def _types(graph):
    return [op.type for op in graph.get_operations()]


def _fused(graph):
    return [op for op in graph.get_operations() if op.type == "FusedElementwise"]


def _program_ops(graph):
    return [ins[1] for op in _fused(graph) for ins in op.attrs["program"] if ins[0] != "input"
            and ins[0] != "const"]  # fmt: skip


def _eager(f, *args):
    tf.config.run_functions_eagerly(True)
    try:
        return f(*args)
    finally:
        tf.config.run_functions_eagerly(False)


def _same(got, expected, rtol=1e-6):
    got = got if isinstance(got, tuple | list) else [got]
    expected = expected if isinstance(expected, tuple | list) else [expected]
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=rtol, atol=1e-7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_expressions_fuse_and_match_eager(dtype):
    @tf.function
    def f(x, y, s):
        a = tf.exp(-tf.square(x)) * 2.0 + y / s
        b = tf.nn.relu(a - 1.0) + tf.sigmoid(y) * tf.tanh(x)
        c = tf.maximum(a, b) - tf.minimum(x, s)
        return a, b * 3.0, tf.sqrt(tf.abs(c)) + tf.math.log1p(tf.abs(x))

    x = tf.constant(RNG.standard_normal((37, 70)).astype(dtype))
    y = tf.constant(RNG.standard_normal((37, 70)).astype(dtype))
    s = tf.constant(np.asarray(1.5, dtype))
    _same(f(x, y, s), _eager(f, x, y, s))
    cf = f.get_concrete_function(x, y, s)
    assert _types(cf.optimized_graph).count("FusedElementwise") == 1
    (node,) = _fused(cf.optimized_graph)
    assert len(node.outputs) == 3 and [o.shape.as_list() for o in node.outputs] == [[37, 70]] * 3
    # the traced graph still shows what the function traced, in TF's op types
    traced = _types(cf.graph)
    assert "FusedElementwise" not in traced
    assert {"Exp", "Square", "Relu", "Sigmoid", "Tanh", "Maximum", "Sqrt"} <= set(traced)


def test_values_used_outside_a_group_are_outputs_not_recomputed():
    @tf.function
    def f(x, w):
        a = tf.exp(x) * 2.0  # used by the group below and by the MatMul
        m = tf.matmul(a, w)
        s = tf.reduce_sum(a)  # a scalar that depends on the group
        return m + 1.0, a * s + tf.tanh(a)

    x = tf.constant(RNG.standard_normal((8, 8)).astype(np.float32))
    w = tf.constant(RNG.standard_normal((8, 8)).astype(np.float32))
    _same(f(x, w), _eager(f, x, w))
    g = f.get_concrete_function(x, w).optimized_graph
    assert _program_ops(g).count("Exp") == 1  # once, its value an output of its group
    assert "Exp" not in _types(g)
    # a * s + tanh(a) reads s, which depends on a's group: it cannot join that group
    types = _types(g)
    assert types.index("Sum") < max(i for i, t in enumerate(types) if t == "FusedElementwise")


def test_diamond_through_an_unfusable_op_does_not_make_a_cycle():
    @tf.function
    def f(x):
        a = x * 2.0
        b = tf.reduce_max(a, axis=1, keepdims=True)  # not elementwise
        c = tf.broadcast_to(b, [4, 5])
        return (a + c) * a

    x = tf.constant(RNG.standard_normal((4, 5)).astype(np.float32))
    _same(f(x), _eager(f, x))


def test_integer_and_unknown_shapes_are_left_alone():
    @tf.function
    def ints(a):
        return (a * 2 + 1) * a

    a = tf.constant([1, 2, 3])
    assert ints(a).numpy().tolist() == [3, 10, 21]
    assert not _fused(ints.get_concrete_function(a).optimized_graph)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def unknown(x):
        return tf.exp(x) * 2.0 + x

    x = tf.constant([0.5, 1.0, 2.0])
    _same(unknown(x), tf.exp(x) * 2.0 + x)
    assert not _fused(unknown.get_concrete_function().optimized_graph)


class _Adam(tf.Module):
    def __init__(self, shapes, seed):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.params = [tf.Variable(rng.standard_normal(s).astype(np.float32)) for s in shapes]
        self.m = [tf.Variable(tf.zeros_like(p.value())) for p in self.params]
        self.v = [tf.Variable(tf.zeros_like(p.value())) for p in self.params]
        self.t = tf.Variable(0.0)

    def step(self, x):
        with tf.GradientTape() as tape:
            h = x
            for p in self.params:
                h = tf.tanh(tf.matmul(h, p))
            loss = tf.reduce_mean(tf.square(h))
        grads = tape.gradient(loss, self.params)
        self.t.assign_add(1.0)
        t = self.t.value()
        lr = 0.01 * tf.sqrt(1.0 - tf.pow(0.999, t)) / (1.0 - tf.pow(0.9, t))
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m.assign(0.9 * m + 0.1 * g)
            v.assign(0.999 * v + 0.001 * tf.square(g))
            p.assign_sub(lr * m / (tf.sqrt(v.value()) + 1e-7))
        return loss


def test_adam_update_fuses_across_its_assignments_and_matches_eager():
    shapes = [(6, 16), (16, 16), (16, 3)]
    x = tf.constant(RNG.standard_normal((5, 6)).astype(np.float32))
    eager, traced = _Adam(shapes, 1), _Adam(shapes, 1)
    step = tf.function(traced.step)
    for _ in range(4):
        le, lt = eager.step(x), step(x)
        np.testing.assert_allclose(lt.numpy(), le.numpy(), rtol=1e-5)
    for a, b in zip(eager.variables, traced.variables):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-5, atol=1e-6)
    g = step.get_concrete_function(x).optimized_graph
    fused = _fused(g)
    # one node per parameter: m, v and p's updates in one pass; the tanh backward too
    per_param = [op for op in fused if op.outputs[0].shape.as_list() in [list(s) for s in shapes]]
    updates = [op for op in per_param if {"Sqrt", "RealDiv"} <= {i[1] for i in
               op.attrs["program"] if i[0] in ("unary", "binary")}]  # fmt: skip
    assert len(updates) == len(shapes)
    assert all(len(op.outputs) == 3 for op in updates)  # m, v, p: the assigned values
    assert "Sqrt" not in _types(g) and "RealDiv" not in _types(g)


def test_reads_after_assignments_and_side_effects_keep_their_order(capsys):
    v = tf.Variable([1.0, 2.0])

    @tf.function
    def f(x):
        before = v.read_value() * 1.0
        v.assign(x * 2.0)
        after = v.read_value() + 1.0  # reads x * 2
        v.assign_add(x)
        added = v.read_value() * 10.0  # reads x * 3
        tf.print("v:", v.read_value())
        v.assign(added * 0.5)
        return before, after, added

    x = tf.constant([1.0, 3.0])
    b, a, d = f(x)
    assert b.numpy().tolist() == [1.0, 2.0]
    assert a.numpy().tolist() == [3.0, 7.0]
    assert d.numpy().tolist() == [30.0, 90.0]
    assert v.numpy().tolist() == [15.0, 45.0]
    assert "v: [3 9]" in capsys.readouterr().err  # tf.print writes to stderr, as TF


def test_gradients_through_a_fused_function():
    @tf.function
    def f(x, y):
        return tf.exp(x) * y + tf.sin(x * y)

    x = tf.constant(RNG.standard_normal((3, 4)))
    y = tf.constant(RNG.standard_normal((3, 4)))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, y])
        z = tf.reduce_sum(f(x, y))
    gx, gy = tape.gradient(z, [x, y])
    xn, yn = x.numpy(), y.numpy()
    np.testing.assert_allclose(gx.numpy(), np.exp(xn) * yn + np.cos(xn * yn) * yn, rtol=1e-12)
    np.testing.assert_allclose(gy.numpy(), np.exp(xn) + np.cos(xn * yn) * xn, rtol=1e-12)

    @tf.function
    def grad(x, y):  # the backward graph is traced and fused too
        with tf.GradientTape() as t:
            t.watch(x)
            z = tf.reduce_sum(tf.exp(x) * y + tf.sin(x * y))
        return t.gradient(z, x)

    np.testing.assert_allclose(grad(x, y).numpy(), gx.numpy(), rtol=1e-12)
    assert _fused(grad.get_concrete_function(x, y).optimized_graph)


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="needs jax")
def test_jit_compile_runs_the_fused_graph():
    f = tf.function(lambda x: tf.exp(x) * 2.0 + tf.square(x), jit_compile=True)
    x = tf.constant(RNG.standard_normal((4, 3)).astype(np.float32))
    _same(f(x), tf.exp(x) * 2.0 + tf.square(x), rtol=1e-5)
