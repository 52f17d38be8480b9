"""tf.keras.layers attention: Attention, AdditiveAttention, MultiHeadAttention,
GroupQueryAttention. Fixed weights via set_weights (seeded arrays in Keras's weight order),
outputs against NumPy references that Keras 3.15 matches, weight names / shapes / order, config
keys, build config and Keras's errors."""

import numpy as np
import pytest

RNG = np.random.default_rng(21)
Q = RNG.normal(size=(2, 4, 5)).astype(np.float32)
Q7 = RNG.normal(size=(2, 4, 7)).astype(np.float32)
V = RNG.normal(size=(2, 6, 7)).astype(np.float32)
K = RNG.normal(size=(2, 6, 3)).astype(np.float32)
QM = np.array([[1, 1, 1, 0], [1, 1, 1, 1]], bool)
VM = np.array([[1, 1, 0, 1, 1, 1], [1, 1, 1, 1, 0, 0]], bool)
AM = np.ones((2, 4, 6), bool)
AM[0, 1, 3:] = False
AM[1, 2, :2] = False
CAUSAL = np.tril(np.ones((4, 6), bool))[None]


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def names(layer):
    return [(w.path if hasattr(w, "path") else w.name).split(":")[0].split("/")[-2:]
            + [tuple(w.shape)] for w in layer.weights]  # fmt: skip


def seeded(layer, seed=0):
    rng = np.random.default_rng(seed)
    ws = [rng.normal(size=tuple(w.shape)).astype(np.float32) * 0.5 for w in layer.weights]
    layer.set_weights(ws)
    return ws


def np_softmax(s, mask=None, zero=False, axes=(-1,)):
    if mask is not None:
        s = np.where(mask, s, -1e9)
    e = np.exp(s - s.max(axis=axes, keepdims=True))
    w = e / e.sum(axis=axes, keepdims=True)
    return np.where(mask, w, 0.0) if mask is not None and zero else w


def np_heads(weights, q, v, k=None, mask=None, zero=False, repeats=1):
    """Multi-head (or grouped-query, ``repeats`` > 1) attention of 3-D inputs."""
    wq, bq, wk, bk, wv, bv, wo, bo = weights
    k = v if k is None else k
    qh = (np.einsum("btd,dnh->btnh", q, wq) + bq) / np.sqrt(wq.shape[-1])
    kh = np.repeat(np.einsum("bsd,dnh->bsnh", k, wk) + bk, repeats, axis=2)
    vh = np.repeat(np.einsum("bsd,dnh->bsnh", v, wv) + bv, repeats, axis=2)
    w = np_softmax(np.einsum("btnh,bsnh->bnts", qh, kh), None if mask is None else mask[:, None],
                   zero)  # fmt: skip
    return np.einsum("btnh,nhd->btd", np.einsum("bnts,bsnh->btnh", w, vh), wo) + bo, w


def np_attention(scores, v, q_mask=None, v_mask=None, causal=False):
    mask = None if v_mask is None else v_mask[:, None, :]
    if causal:
        mask = CAUSAL if mask is None else mask & CAUSAL
    w = np_softmax(scores, mask)
    out = w @ v
    return (out if q_mask is None else np.where(q_mask[..., None], out, 0.0)), w


# ---- Attention, AdditiveAttention ----------------------------------------------------------
def test_attention_dot_scaled_with_masks_and_causal(tf):
    layer = tf.keras.layers.Attention(use_scale=True)
    layer([Q7, V])
    assert [n[-2:] for n in names(layer)] == [["scale", ()]]
    layer.set_weights([np.float32(0.7)])
    scores = 0.7 * Q7 @ V.transpose(0, 2, 1)
    close(layer([Q7, V]), np_attention(scores, V)[0])
    out, w = layer([Q7, V], mask=[QM, VM], return_attention_scores=True, use_causal_mask=True)
    ref_out, ref_w = np_attention(scores, V, QM, VM, causal=True)
    close(out, ref_out)
    close(w, ref_w)
    assert layer.get_config()["score_mode"] == "dot"
    assert {"use_scale", "score_mode", "dropout", "seed"} <= set(layer.get_config())


def test_attention_concat_and_additive_attention(tf):
    layer = tf.keras.layers.Attention(use_scale=True, score_mode="concat")
    layer([Q7, V])
    assert [tuple(w.shape) for w in layer.weights] == [(), ()]
    layer.set_weights([np.float32(0.5), np.float32(1.5)])
    scores = 1.5 * np.tanh(0.5 * (Q7[:, :, None] + V[:, None])).sum(-1)
    close(layer([Q7, V], mask=[None, VM]), np_attention(scores, V, v_mask=VM)[0])
    key = RNG.normal(size=(2, 6, 7)).astype(np.float32)
    add = tf.keras.layers.AdditiveAttention()
    add([Q7, V, key])
    assert [tuple(w.shape) for w in add.weights] == [(7,)]
    scale = np.linspace(-1, 1, 7).astype(np.float32)
    add.set_weights([scale])
    scores = (scale * np.tanh(Q7[:, :, None] + key[:, None])).sum(-1)
    out, w = add([Q7, V, key], mask=[QM, VM], return_attention_scores=True)
    ref_out, ref_w = np_attention(scores, V, QM, VM)
    close(out, ref_out)
    close(w, ref_w)
    config = add.get_config()
    assert "score_mode" not in config and config["use_scale"] is True


# ---- MultiHeadAttention --------------------------------------------------------------------
def test_mha_weights_names_shapes_order_and_config(tf):
    layer = tf.keras.layers.MultiHeadAttention(num_heads=2, key_dim=3)
    layer(Q, V, K)
    assert names(layer) == [
        ["query", "kernel", (5, 2, 3)], ["query", "bias", (2, 3)],
        ["key", "kernel", (3, 2, 3)], ["key", "bias", (2, 3)],
        ["value", "kernel", (7, 2, 3)], ["value", "bias", (2, 3)],
        ["attention_output", "kernel", (2, 3, 5)], ["attention_output", "bias", (5,)],
    ]  # fmt: skip
    config = layer.get_config()
    assert set(config) == {
        "name", "trainable", "dtype", "num_heads", "key_dim", "value_dim", "dropout",
        "use_bias", "use_gate", "output_shape", "attention_axes", "sliding_window",
        "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
        "activity_regularizer", "kernel_constraint", "bias_constraint", "seed",
    }  # fmt: skip
    assert config["value_dim"] == 3 and tuple(config["attention_axes"]) == (1,)
    assert config["output_shape"] is None
    assert layer.get_build_config() == {
        "shapes_dict": {"query_shape": (2, 4, 5), "value_shape": (2, 6, 7),
                        "key_shape": (2, 6, 3)},
    }  # fmt: skip


def test_mha_outputs_masks_and_scores(tf):
    layer = tf.keras.layers.MultiHeadAttention(num_heads=2, key_dim=3)
    layer(Q, V)
    ws = seeded(layer)
    close(layer(Q, V), np_heads(ws, Q, V)[0])
    out, w = layer(Q, V, attention_mask=AM, return_attention_scores=True)
    ref_out, ref_w = np_heads(ws, Q, V, mask=AM, zero=True)
    close(out, ref_out)
    close(w, ref_w)
    close(layer(Q, V, use_causal_mask=True), np_heads(ws, Q, V, mask=np.broadcast_to(
        CAUSAL, (2, 4, 6)))[0])  # fmt: skip
    mask = AM & VM[:, None] & VM[::-1][:, None] & CAUSAL
    out = layer(Q, V, value_mask=VM, key_mask=VM[::-1], attention_mask=AM, use_causal_mask=True)
    close(out, np_heads(ws, Q, V, mask=mask)[0])


def test_mha_fully_masked_row_uniform_without_scores_zero_with_them(tf):
    layer = tf.keras.layers.MultiHeadAttention(num_heads=2, key_dim=3)
    layer(Q, V)
    ws = seeded(layer, 1)
    mask = AM.copy()
    mask[0, 3] = False
    close(layer(Q, V, attention_mask=mask), np_heads(ws, Q, V, mask=mask)[0])
    out, w = layer(Q, V, attention_mask=mask, return_attention_scores=True)
    close(out, np_heads(ws, Q, V, mask=mask, zero=True)[0])
    assert np.all(np.asarray(w)[0, :, 3] == 0)


def test_mha_separate_key_value_dim_output_shape_no_bias(tf):
    layer = tf.keras.layers.MultiHeadAttention(2, 3, value_dim=4, use_bias=False, output_shape=6)
    layer(Q, V, K)
    assert [tuple(w.shape) for w in layer.weights] == [(5, 2, 3), (3, 2, 3), (7, 2, 4),
                                                       (2, 4, 6)]  # fmt: skip
    wq, wk, wv, wo = seeded(layer, 2)
    zeros = [np.zeros(s) for s in ((2, 3), (2, 3), (2, 4), (6,))]
    full = [wq, zeros[0], wk, zeros[1], wv, zeros[2], wo, zeros[3]]
    close(layer(Q, V, K), np_heads(full, Q, V, K)[0])
    assert tuple(layer.get_config()["output_shape"]) == (6,)


def test_mha_attention_axes_over_two_axes(tf):
    q4 = RNG.normal(size=(2, 3, 4, 5)).astype(np.float32)
    layer = tf.keras.layers.MultiHeadAttention(2, 3, attention_axes=(1, 2))
    layer(q4, q4)
    wq, bq, wk, bk, wv, bv, wo, bo = seeded(layer, 3)
    qh = (np.einsum("bxyd,dnh->bxynh", q4, wq) + bq) / np.sqrt(3)
    kh = np.einsum("bxyd,dnh->bxynh", q4, wk) + bk
    vh = np.einsum("bxyd,dnh->bxynh", q4, wv) + bv
    w = np_softmax(np.einsum("bxynh,buvnh->bnxyuv", qh, kh), axes=(-2, -1))
    ctx = np.einsum("bnxyuv,buvnh->bxynh", w, vh)
    close(layer(q4, q4), np.einsum("bxynh,nhd->bxyd", ctx, wo) + bo, 1e-4)


def test_mha_dropout_inactive_outside_training(tf):
    layer = tf.keras.layers.MultiHeadAttention(2, 3, dropout=0.5, seed=1)
    layer(Q, V)
    ws = seeded(layer, 4)
    close(layer(Q, V), np_heads(ws, Q, V)[0])
    assert np.abs(np.asarray(layer(Q, V, training=True)) - np_heads(ws, Q, V)[0]).max() > 1e-3


# ---- GroupQueryAttention -------------------------------------------------------------------
def test_group_query_attention(tf):
    layer = tf.keras.layers.GroupQueryAttention(head_dim=3, num_query_heads=4,
                                                num_key_value_heads=2)  # fmt: skip
    layer(Q7, V)
    assert names(layer) == [
        ["query", "kernel", (7, 4, 3)], ["query", "bias", (4, 3)],
        ["key", "kernel", (7, 2, 3)], ["key", "bias", (2, 3)],
        ["value", "kernel", (7, 2, 3)], ["value", "bias", (2, 3)],
        ["attention_output", "kernel", (4, 3, 7)], ["attention_output", "bias", (7,)],
    ]  # fmt: skip
    ws = seeded(layer, 5)
    close(layer(Q7, V), np_heads(ws, Q7, V, repeats=2)[0])
    mask = AM & CAUSAL
    out, w = layer(Q7, V, attention_mask=AM, use_causal_mask=True, return_attention_scores=True)
    ref_out, ref_w = np_heads(ws, Q7, V, mask=mask, zero=True, repeats=2)
    close(out, ref_out)
    close(w, ref_w)
    assert set(layer.get_config()) == {
        "name", "trainable", "dtype", "head_dim", "num_query_heads", "num_key_value_heads",
        "use_bias", "use_gate", "sliding_window", "dropout", "kernel_initializer",
        "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer",
        "kernel_constraint", "bias_constraint", "seed",
    }  # fmt: skip
    assert layer.name.startswith("grouped_query_attention")


# ---- errors --------------------------------------------------------------------------------
@pytest.mark.parametrize("case", [
    ("score_mode", lambda L: L.Attention(score_mode="add"), "score_mode=add"),
    ("not a list", lambda L: L.Attention()(Q), "must be called on a list of inputs"),
    ("four inputs", lambda L: L.Attention()([Q, Q, Q, Q]), "Received length: 4"),
    ("num_heads", lambda L: L.MultiHeadAttention(0, 3), "num_heads=0"),
    ("key_dim", lambda L: L.MultiHeadAttention(2, -1), "key_dim=-1"),
    ("value_dim", lambda L: L.MultiHeadAttention(2, 3, value_dim=0), "value_dim=0"),
    ("key shape", lambda L: L.MultiHeadAttention(2, 3)(Q, V, K[:, :5]), "must be equal"),
    ("groups", lambda L: L.GroupQueryAttention(3, 4, 3), "divisible"),
], ids=lambda c: c[0])  # fmt: skip
def test_bad_arguments_raise_value_errors(tf, case):
    _, make, message = case
    with pytest.raises(ValueError) as info:
        make(tf.keras.layers)
    assert message in str(info.value)
