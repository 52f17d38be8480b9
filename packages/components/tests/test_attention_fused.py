"""MultiHeadAttention's self-attention path (``layer(x, x)``: the three projections as one
GEMM, head-major heads) gives the numbers of the separate projections (``layer(x, copy)``),
values and gradients, with masks, causal masks, returned scores, unknown batch sizes."""

from __future__ import annotations

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_components import layers

RNG = np.random.default_rng(3)
X = RNG.standard_normal((2, 5, 6)).astype("float32")


def _pair(layer, x, **kwargs):
    """(fused, separate) outputs and input gradients of ``sum(out * w)``."""
    results = []
    for same in (True, False):
        t = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(t)
            other = t if same else tf.identity(t)
            out = layer(t, other, **kwargs)
            main = out[0] if isinstance(out, tuple) else out
            loss = tf.reduce_sum(main * np.linspace(-1, 1, main.shape[-1]).astype("float32"))
        grads = tape.gradient(loss, [t, *layer.trainable_weights])
        results.append((out, grads))
    return results


def _fused_calls(layer):
    """How many times the fused path ran (and did not decline) during a call."""
    calls = []
    inner = type(layer)._self_attention_heads

    def spy(self, x):
        out = inner(self, x)
        calls.append(out is not None)
        return out

    layer._self_attention_heads = spy.__get__(layer)
    return calls


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"use_causal_mask": True}, {"return_attention_scores": True},
     {"attention_mask": RNG.uniform(size=(2, 5, 5)) > 0.3}],
)  # fmt: skip
def test_fused_self_attention_matches_separate_projections(kwargs):
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    layer(tf.constant(X), tf.constant(X))
    calls = _fused_calls(layer)
    (fused, g_fused), (separate, g_separate) = _pair(layer, X, **kwargs)
    assert calls == [True]  # asked only where query, key and value are one tensor
    fused = fused if isinstance(fused, tuple) else (fused,)
    separate = separate if isinstance(separate, tuple) else (separate,)
    for a, b in zip(fused, separate):
        assert a.shape.as_list() == b.shape.as_list()
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
    assert len(g_fused) == 9  # input + 4 kernels + 4 biases
    for a, b in zip(g_fused, g_separate):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5)


def test_fused_path_against_numpy_and_traced_unknown_batch():
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    layer(tf.constant(X), tf.constant(X))
    wq, bq, wk, bk, wv, bv, wo, bo = (w.numpy() for w in layer.weights)
    q = (np.einsum("btd,dnh->btnh", X, wq) + bq) / np.sqrt(3.0)
    k = np.einsum("btd,dnh->btnh", X, wk) + bk
    v = np.einsum("btd,dnh->btnh", X, wv) + bv
    s = np.einsum("btnh,bsnh->bnts", q, k)
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    want = np.einsum("bnts,bsnh->btnh", p, v)
    want = np.einsum("btnh,nhd->btd", want, wo) + bo
    eager = layer(tf.constant(X), tf.constant(X))
    spec = [tf.TensorSpec([None, 5, 6])]
    traced = tf.function(lambda x: layer(x, x), input_signature=spec)
    for got in (eager, traced(tf.constant(X))):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "kwargs", [{"value_dim": 4}, {"attention_axes": (1,)}, {"use_bias": False}]
)
def test_fused_path_is_taken_or_declined(kwargs):
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, **kwargs)
    x = tf.constant(X)
    layer(x, x)
    calls = _fused_calls(layer)
    (fused, _), (separate, _) = _pair(layer, X)
    assert calls[0] is ("value_dim" not in kwargs)
    np.testing.assert_allclose(fused.numpy(), separate.numpy(), rtol=1e-5, atol=1e-6)


def test_4d_inputs_take_the_separate_projections():
    x = tf.constant(RNG.standard_normal((2, 3, 4, 6)).astype("float32"))
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, attention_axes=(1, 2))
    layer(x, x)
    calls = _fused_calls(layer)
    out = layer(x, x)
    assert calls == [False] and out.shape.as_list() == [2, 3, 4, 6]
