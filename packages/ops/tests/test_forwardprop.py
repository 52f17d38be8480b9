"""``autodiff.ForwardAccumulator`` (forward-mode JVPs by double VJP) and ``recompute_grad``,
checked against hand-computed derivatives and finite differences, eagerly and traced."""

from __future__ import annotations

import numpy as np
import pytest

import tensorhouse_ops as tf

ForwardAccumulator = tf.autodiff.ForwardAccumulator


def test_jvp_of_elementwise_and_matmul_matches_finite_differences():
    x0 = np.array([[0.3, -1.2], [0.7, 0.4]], np.float64)
    m0 = np.array([[1.0, 0.5], [-0.3, 2.0]], np.float64)
    t0 = np.array([[1.0, -0.5], [0.25, 2.0]], np.float64)

    def f(x, m):
        return tf.tanh(tf.matmul(x, m)) * x

    x, m = tf.constant(x0), tf.constant(m0)
    with ForwardAccumulator(x, tf.constant(t0)) as acc:
        y = f(x, m)
    eps = 1e-6
    fd = (f(tf.constant(x0 + eps * t0), m).numpy() - f(tf.constant(x0 - eps * t0), m).numpy()) / (
        2 * eps
    )
    np.testing.assert_allclose(acc.jvp(y).numpy(), fd, rtol=1e-6, atol=1e-9)


def test_jvp_structure_unconnected_and_primals_themselves():
    x = tf.constant([1.0, 2.0])
    v = tf.constant([1.0, 0.5])
    with ForwardAccumulator(x, v) as acc:
        y = x * x
        z = tf.constant(3.0) * 2.0
    np.testing.assert_array_equal(acc.jvp(y).numpy(), [2.0, 2.0])  # 2 x v
    np.testing.assert_array_equal(acc.jvp(x).numpy(), [1.0, 0.5])
    assert acc.jvp(z) is None
    assert float(acc.jvp(z, unconnected_gradients=tf.UnconnectedGradients.ZERO)) == 0.0
    out = acc.jvp([y, {"a": y}])
    np.testing.assert_array_equal(out[1]["a"].numpy(), [2.0, 2.0])
    assert acc.jvp(x * 3.0) is None  # computed after the context closed: not watched


def test_several_primals_and_a_variable():
    w = tf.Variable([1.0, 2.0])
    b = tf.constant(0.5)
    with ForwardAccumulator([w, b], [tf.constant([1.0, -1.0]), tf.constant(2.0)]) as acc:
        y = tf.reduce_sum(w * w) * b
    # d/dw = 2 w b . [1, -1] = (1 - 2) = -1 ; d/db = sum(w^2) * 2 = 10
    assert float(acc.jvp(y)) == pytest.approx(-1.0 + 10.0)


def test_bad_tangents_raise_tf_errors():
    x = tf.constant([1.0, 2.0])
    with pytest.raises(ValueError, match="int32"):
        ForwardAccumulator(x, tf.constant([1, 2]))
    with pytest.raises(ValueError, match="same nested structure"):
        ForwardAccumulator([x], tf.constant([1.0, 0.5]))


def test_jvp_inside_function_and_hessian_vector_products():
    x = tf.constant([1.0, 2.0])
    v = tf.constant([1.0, 0.5])

    @tf.function
    def f(x, v):
        with ForwardAccumulator(x, v) as acc:
            y = tf.sin(x)
        return acc.jvp(y)

    np.testing.assert_allclose(f(x, v).numpy(), np.cos([1.0, 2.0]) * [1.0, 0.5], rtol=1e-6)
    # forward over backward: H v with H = diag(6 x) for sum(x^3)
    with ForwardAccumulator(x, v) as acc:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(x**3)
        g = tape.gradient(y, x)
    np.testing.assert_allclose(acc.jvp(g).numpy(), [6.0, 6.0], rtol=1e-6)
    # backward over forward
    with tf.GradientTape() as tape:
        tape.watch(x)
        with ForwardAccumulator(x, v) as acc:
            y = tf.reduce_sum(x**3)
        j = acc.jvp(y)
    np.testing.assert_allclose(tape.gradient(j, x).numpy(), [6.0, 6.0], rtol=1e-6)


def test_recompute_grad_values_and_forward_runs_twice():
    w = tf.Variable([1.0, 2.0])
    calls = []

    def block(a):
        calls.append(1)
        return tf.tanh(a * w)

    rb = tf.recompute_grad(block)
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as t:
        t.watch(x)
        out = tf.reduce_sum(rb(x))
    assert len(calls) == 1
    gx, gw = t.gradient(out, [x, w])
    assert len(calls) == 2  # the backward pass ran the forward again
    sech2 = 1 - np.tanh([1.0, 4.0]) ** 2
    np.testing.assert_allclose(float(out), np.sum(np.tanh([1.0, 4.0])), rtol=1e-6)
    np.testing.assert_allclose(gx.numpy(), sech2 * [1.0, 2.0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gw.numpy(), sech2 * [1.0, 2.0], rtol=1e-5, atol=1e-6)

    @tf.function
    def traced(x):
        with tf.GradientTape() as t:
            t.watch(x)
            out = tf.reduce_sum(rb(x))
        return t.gradient(out, [x, w])

    tx, tw = traced(x)
    np.testing.assert_allclose(tx.numpy(), gx.numpy(), rtol=1e-6)
    np.testing.assert_allclose(tw.numpy(), gw.numpy(), rtol=1e-6)
    ops = [op.type for op in traced.get_concrete_function(x).graph.get_operations()]
    assert ops.count("Tanh") == 2  # forward, and the forward again for the gradient


def test_recompute_grad_without_a_tape_is_the_function():
    rb = tf.recompute_grad(lambda a, b: a * b + 1.0)
    np.testing.assert_array_equal(rb(tf.constant([2.0]), tf.constant([3.0])).numpy(), [7.0])
