"""``nn.lstm_sequence`` / ``nn.gru_sequence``: gradients against central differences (float64),
eagerly and inside ``function`` (also with an unknown batch size and under XLA), and the fused
ops against their composed op-by-op copies."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_ops import _rnn_ops

RNG = np.random.default_rng(3)
B, T, F, U = 2, 4, 3, 3


def lstm_args():
    shapes = [(B, T, F), (B, U), (B, U), (F, 4 * U), (U, 4 * U), (4 * U,)]
    return [RNG.uniform(-1, 1, s) for s in shapes]


def gru_args(after):
    shapes = [(B, T, F), (B, U), (F, 3 * U), (U, 3 * U), (2, 3 * U) if after else (3 * U,)]
    return [RNG.uniform(-1, 1, s) for s in shapes]


def _weighted(outs):
    """A scalar that weighs every output element differently."""
    total = 0.0
    for k, o in enumerate(outs):
        w = np.linspace(0.5, 1.5 + k, int(np.prod(o.shape))).reshape(o.shape)
        total = total + tf.reduce_sum(o * tf.constant(w))
    return total


def _finite_differences(loss, args, eps=1e-6):
    grads = []
    for i, a in enumerate(args):
        g = np.zeros_like(a)
        for idx in np.ndindex(*a.shape):
            plus = [v.copy() for v in args]
            minus = [v.copy() for v in args]
            plus[i][idx] += eps
            minus[i][idx] -= eps
            diff = float(loss(*map(tf.constant, plus))) - float(loss(*map(tf.constant, minus)))
            g[idx] = diff / (2 * eps)
        grads.append(g)
    return grads


def _tape_grads(loss, args, traced=False, signature=None):
    def grads(*xs):
        with tf.GradientTape() as tape:
            for x in xs:
                tape.watch(x)
            value = loss(*xs)
        return tape.gradient(value, list(xs))

    fn = tf.function(grads, input_signature=signature) if traced else grads
    return [g.numpy() for g in fn(*map(tf.constant, args))]


CONFIGS = [("lstm", False, None), ("lstm", True, None), ("gru", False, True),
           ("gru", True, True), ("gru", False, False), ("gru", True, False)]  # fmt: skip


def _case(kind, back, after):
    if kind == "lstm":
        return (lambda *a: _weighted(tf.nn.lstm_sequence(*a, go_backwards=back))), lstm_args()
    return (
        lambda *a: _weighted(tf.nn.gru_sequence(*a, go_backwards=back, reset_after=after)),
        gru_args(after),
    )


@pytest.mark.parametrize("kind,back,after", CONFIGS)
def test_gradients_match_finite_differences_eager_and_traced(kind, back, after):
    loss, args = _case(kind, back, after)
    expected = _finite_differences(loss, args)
    for traced in (False, True):
        for got, exp in zip(_tape_grads(loss, args, traced), expected):
            np.testing.assert_allclose(got, exp, rtol=1e-6, atol=1e-8)


def test_unknown_batch_size_when_traced():
    def loss(*a):
        y, h, c = tf.nn.lstm_sequence(*a, go_backwards=True)
        return tf.reduce_sum(y * y) + tf.reduce_sum(h * 3.0) + tf.reduce_sum(c * c)

    args = lstm_args()
    sig = [tf.TensorSpec([None, T, F], tf.float64), tf.TensorSpec([None, U], tf.float64),
           tf.TensorSpec([None, U], tf.float64)] + [
               tf.TensorSpec(a.shape, tf.float64) for a in args[3:]]  # fmt: skip
    eager = _tape_grads(loss, args)
    for got, exp in zip(_tape_grads(loss, args, True, sig), eager):
        np.testing.assert_allclose(got, exp, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("back", [False, True])
def test_fused_outputs_equal_the_composed_copy(back):
    args = [tf.constant(a.astype(np.float32)) for a in lstm_args()]
    fused = tf.nn.lstm_sequence(*args, go_backwards=back)
    composed = _rnn_ops.lstm_composed(*args, go_backwards=back)
    for a, b in zip(fused, composed[:3]):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    for after in (True, False):
        args = [tf.constant(a.astype(np.float32)) for a in gru_args(after)]
        fused = tf.nn.gru_sequence(*args, go_backwards=back, reset_after=after)
        composed = _rnn_ops.gru_composed(*args, go_backwards=back, reset_after=after)
        for a, b in zip(fused, composed[:2]):
            np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_second_order_through_the_fused_lstm():
    """d/dx of (d loss / d kernel . w) from the fused ops equals that of the composed copy."""
    args = [tf.constant(a) for a in lstm_args()]
    w = tf.constant(RNG.uniform(-1, 1, (F, 4 * U)))

    def second(fn):
        with tf.GradientTape() as outer:
            outer.watch(args[0])
            with tf.GradientTape() as inner:
                inner.watch(args[3])
                value = _weighted(fn(*args)[:3])
            g = tf.reduce_sum(inner.gradient(value, args[3]) * w)
        return outer.gradient(g, args[0]).numpy()

    np.testing.assert_allclose(second(tf.nn.lstm_sequence), second(_rnn_ops.lstm_composed),
                               rtol=1e-10, atol=1e-12)  # fmt: skip


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="needs jax")
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_jit_compile_matches_eager(kind):
    loss, args = _case(kind, True, True)

    def grads(*xs):
        with tf.GradientTape() as tape:
            for x in xs:
                tape.watch(x)
            value = loss(*xs)
        return [value] + tape.gradient(value, list(xs))

    eager = grads(*map(tf.constant, args))
    jitted = tf.function(grads, jit_compile=True)(*map(tf.constant, args))
    for a, b in zip(jitted, eager):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)
