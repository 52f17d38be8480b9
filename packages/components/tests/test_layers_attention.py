"""Attention layers against NumPy references written here, central differences, eager against
traced, config round trips and Keras's errors."""

import numpy as np
import pytest

import tensorhouse_ops as tfo
from tensorhouse_components import layers, regularizers

RNG = np.random.default_rng(3)
Q = RNG.normal(size=(2, 4, 5)).astype(np.float32)
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


def np_softmax(s, mask=None, zero=False, axes=(-1,)):
    if mask is not None:
        s = np.where(mask, s, -1e9)
    e = np.exp(s - s.max(axis=axes, keepdims=True))
    w = e / e.sum(axis=axes, keepdims=True)
    return np.where(mask, w, 0.0) if mask is not None and zero else w


def np_mha(weights, q, v, k=None, mask=None, zero=False):
    """Multi-head attention of 3-D inputs; ``mask`` (B, T, S) with True = attend."""
    wq, bq, wk, bk, wv, bv, wo, bo = weights
    k = v if k is None else k
    qh = (np.einsum("btd,dnh->btnh", q, wq) + bq) / np.sqrt(wq.shape[-1])
    kh = np.einsum("bsd,dnh->bsnh", k, wk) + bk
    vh = np.einsum("bsd,dnh->bsnh", v, wv) + bv
    scores = np.einsum("btnh,bsnh->bnts", qh, kh)
    w = np_softmax(scores, None if mask is None else mask[:, None], zero)
    out = np.einsum("bnts,bsnh->btnh", w, vh)
    return np.einsum("btnh,nhd->btd", out, wo) + bo, w


def seeded(layer, scale=0.5, seed=0):
    rng = np.random.default_rng(seed)
    ws = [rng.normal(size=w.shape.as_list()).astype(w.dtype.as_numpy_dtype) * scale
          for w in layer.weights]  # fmt: skip
    layer.set_weights(ws)
    return ws


def mha(q=Q, v=V, k=None, **kwargs):
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, **kwargs)
    layer(q, v, k)
    return layer, seeded(layer)


# ---- Attention, AdditiveAttention ----------------------------------------------------------
def np_attention(scores, v, q_mask=None, v_mask=None, causal=False):
    mask = None if v_mask is None else v_mask[:, None, :]
    if causal:
        tri = np.tril(np.ones(scores.shape[-2:], bool))[None]
        mask = tri if mask is None else mask & tri
    w = np_softmax(scores, mask)
    out = w @ v
    if q_mask is not None:
        out = np.where(q_mask[..., None], out, 0.0)
    return out, w


@pytest.mark.parametrize("use_scale", [False, True])
def test_attention_dot_matches_numpy_with_masks_and_causal(use_scale):
    q = RNG.normal(size=(2, 4, 7)).astype(np.float32)
    layer = layers.Attention(use_scale=use_scale)
    layer([q, V])
    if use_scale:
        layer.set_weights([np.float32(0.7)])
    scale = 0.7 if use_scale else 1.0
    scores = q @ V.transpose(0, 2, 1) * scale
    close(layer([q, V]), np_attention(scores, V)[0])
    out, w = layer([q, V], mask=[QM, VM], return_attention_scores=True)
    ref_out, ref_w = np_attention(scores, V, QM, VM)
    close(out, ref_out)
    close(w, ref_w)
    assert np.all(np.asarray(w)[0, :, 2] == 0)  # masked key positions get no weight
    out, w = layer([q, V], mask=[None, VM], return_attention_scores=True, use_causal_mask=True)
    ref_out, ref_w = np_attention(scores, V, v_mask=VM, causal=True)
    close(out, ref_out)
    close(w, ref_w)
    # a separate key: scores from the key, values from the value
    key = RNG.normal(size=(2, 6, 7)).astype(np.float32)
    close(layer([q, V, key]), np_attention(q @ key.transpose(0, 2, 1) * scale, V)[0])


def test_attention_concat_score_mode_matches_numpy():
    q = RNG.normal(size=(2, 4, 7)).astype(np.float32)
    layer = layers.Attention(use_scale=True, score_mode="concat")
    layer([q, V])
    assert [w.name.split("/")[-1].split(":")[0] for w in layer.weights] == [
        "scale", "concat_score_weight",
    ]  # fmt: skip
    layer.set_weights([np.float32(0.5), np.float32(1.5)])
    scores = 1.5 * np.tanh(0.5 * (q[:, :, None, :] + V[:, None, :, :])).sum(-1)
    out, w = layer([q, V], mask=[None, VM], return_attention_scores=True)
    ref_out, ref_w = np_attention(scores, V, v_mask=VM)
    close(out, ref_out)
    close(w, ref_w)


def test_additive_attention_matches_numpy():
    q = RNG.normal(size=(2, 4, 7)).astype(np.float32)
    key = RNG.normal(size=(2, 6, 7)).astype(np.float32)
    layer = layers.AdditiveAttention()
    layer([q, V, key])
    assert [tuple(w.shape.as_list()) for w in layer.weights] == [(7,)]
    scale = np.linspace(-1, 1, 7).astype(np.float32)
    layer.set_weights([scale])
    scores = (scale * np.tanh(q[:, :, None, :] + key[:, None, :, :])).sum(-1)
    out, w = layer([q, V, key], mask=[QM, VM], return_attention_scores=True)
    ref_out, ref_w = np_attention(scores, V, QM, VM)
    close(out, ref_out)
    close(w, ref_w)
    plain = layers.AdditiveAttention(use_scale=False)
    close(plain([q, V]), np_attention(np.tanh(q[:, :, None] + V[:, None]).sum(-1), V)[0])


def test_attention_dropout_only_while_training_and_weights_returned_after_dropout():
    q = RNG.normal(size=(2, 4, 7)).astype(np.float32)
    layer = layers.Attention(dropout=0.5, seed=1)
    ref_out, ref_w = np_attention(q @ V.transpose(0, 2, 1), V)
    close(layer([q, V]), ref_out)  # training defaults to inference
    out, w = layer([q, V], training=True, return_attention_scores=True)
    w = np.asarray(w)
    kept = w != 0
    assert 0 < kept.mean() < 1
    close(w[kept], 2.0 * ref_w[kept])  # kept weights scaled by 1 / (1 - rate)
    close(out, w @ V)


# ---- MultiHeadAttention --------------------------------------------------------------------
def test_mha_weights_names_shapes_and_order():
    layer, _ = mha(v=V, k=K)
    got = [(w.path.split("/", 1)[1], tuple(w.shape.as_list())) for w in layer.weights]
    assert got == [
        ("query/kernel", (5, 2, 3)), ("query/bias", (2, 3)),
        ("key/kernel", (3, 2, 3)), ("key/bias", (2, 3)),
        ("value/kernel", (7, 2, 3)), ("value/bias", (2, 3)),
        ("attention_output/kernel", (2, 3, 5)), ("attention_output/bias", (5,)),
    ]  # fmt: skip
    assert layer.count_params() == (30 + 6) + (18 + 6) + (42 + 6) + (30 + 5)
    nobias = layers.MultiHeadAttention(2, 3, use_bias=False)
    nobias(Q, V)
    assert [tuple(w.shape.as_list()) for w in nobias.weights] == [
        (5, 2, 3), (7, 2, 3), (7, 2, 3), (2, 3, 5),
    ]  # fmt: skip


def test_mha_matches_numpy_plain_masked_and_with_a_key():
    layer, ws = mha()
    close(layer(Q, V), np_mha(ws, Q, V)[0])
    out, w = layer(Q, V, attention_mask=AM, return_attention_scores=True)
    ref_out, ref_w = np_mha(ws, Q, V, mask=AM, zero=True)
    close(out, ref_out)
    close(w, ref_w)
    assert np.asarray(w).shape == (2, 2, 4, 6)
    keyed, kws = mha(v=V, k=K)
    close(keyed(Q, V, K), np_mha(kws, Q, V, K)[0])


def test_mha_query_value_key_masks_and_causal_mask_combine_with_and():
    layer, ws = mha()
    out = layer(Q, V, value_mask=VM, key_mask=VM[::-1], query_mask=QM, attention_mask=AM,
                use_causal_mask=True)  # fmt: skip
    # As Keras 3.15: a given `query_mask` is replaced by the query's own (here absent) mask.
    mask = AM & VM[:, None, :] & VM[::-1][:, None, :] & CAUSAL
    close(out, np_mha(ws, Q, V, mask=mask)[0])
    out, w = layer(Q, V, use_causal_mask=True, return_attention_scores=True)
    close(out, np_mha(ws, Q, V, mask=np.broadcast_to(CAUSAL, (2, 4, 6)))[0])
    assert np.all(np.asarray(w)[:, :, 0, 1:] == 0)  # the first query sees only the first key


def test_mha_fully_masked_row_uniform_unless_scores_returned_as_keras():
    layer, ws = mha()
    mask = AM.copy()
    mask[0, 3, :] = False
    close(layer(Q, V, attention_mask=mask), np_mha(ws, Q, V, mask=mask)[0])
    out, w = layer(Q, V, attention_mask=mask, return_attention_scores=True)
    close(out, np_mha(ws, Q, V, mask=mask, zero=True)[0])
    assert np.all(np.asarray(w)[0, :, 3] == 0)
    close(np.asarray(out)[0, 3], ws[-1])  # no weight at all: only the output bias remains


def test_mha_value_dim_output_shape_and_attention_axes_match_numpy():
    q4 = RNG.normal(size=(2, 3, 4, 5)).astype(np.float32)
    layer = layers.MultiHeadAttention(2, 3, value_dim=4, output_shape=(2, 3),
                                      attention_axes=(1, 2))  # fmt: skip
    out = layer(q4, q4)
    assert tuple(out.shape.as_list()) == (2, 3, 4, 2, 3)
    assert layer.get_config()["attention_axes"] == (1, 2)
    wq, bq, wk, bk, wv, bv, wo, bo = seeded(layer)
    qh = (np.einsum("bxyd,dnh->bxynh", q4, wq) + bq) / np.sqrt(3)
    kh = np.einsum("bxyd,dnh->bxynh", q4, wk) + bk
    vh = np.einsum("bxyd,dnh->bxynh", q4, wv) + bv
    scores = np.einsum("bxynh,buvnh->bnxyuv", qh, kh)
    w = np_softmax(scores, axes=(-2, -1))
    ctx = np.einsum("bnxyuv,buvnh->bxynh", w, vh)
    close(layer(q4, q4), np.einsum("bxynh,nhij->bxyij", ctx, wo) + bo, 1e-4)


def test_mha_dropout_only_while_training_and_seeded():
    layer, ws = mha(dropout=0.5, seed=3)
    close(layer(Q, V), np_mha(ws, Q, V)[0])
    close(layer(Q, V, training=False), np_mha(ws, Q, V)[0])
    dropped = np.asarray(layer(Q, V, training=True))
    assert np.abs(dropped - np_mha(ws, Q, V)[0]).max() > 1e-3
    twin, _ = mha(dropout=0.5, seed=3)
    close(twin(Q, V, training=True), dropped)  # same seed, same stream


def test_seeded_dropout_traced_draws_a_fresh_mask_each_call_from_the_same_stream():
    eager, _ = mha(dropout=0.5, seed=7)
    traced, _ = mha(dropout=0.5, seed=7)
    step = tfo.function(lambda q, v: traced(q, v, training=True))
    first, second = step(Q, V), step(Q, V)
    assert np.abs(np.asarray(first) - np.asarray(second)).max() > 1e-3
    close(first, eager(Q, V, training=True), 1e-6)
    close(second, eager(Q, V, training=True), 1e-6)


def test_mha_gradients_match_central_differences():
    q = RNG.normal(size=(1, 3, 2))
    v = RNG.normal(size=(1, 2, 2))
    layer = layers.MultiHeadAttention(2, 2, dtype="float64")
    layer(q, v)
    seeded(layer, 0.7, seed=5)
    coef = RNG.normal(size=(1, 3, 2))
    mask = np.array([[[1, 1], [1, 0], [0, 1]]], bool)

    def loss_np():
        return float(np.sum(layer(q, v, attention_mask=mask).numpy() * coef))

    qt = tfo.constant(q)
    with tfo.GradientTape() as tape:
        tape.watch(qt)
        loss = tfo.reduce_sum(layer(qt, v, attention_mask=mask) * coef)
    grads = tape.gradient(loss, [qt, *layer.weights])
    eps = 1e-6
    for target, grad in zip([None, *layer.weights], grads):
        base = q if target is None else target.numpy()
        num = np.zeros(base.shape)
        for idx in np.ndindex(base.shape):
            vals = []
            for sign in (1, -1):
                moved = base.copy()
                moved[idx] += sign * eps
                if target is None:
                    q_saved, q = q, moved
                    vals.append(loss_np())
                    q = q_saved
                else:
                    target.assign(moved)
                    vals.append(loss_np())
            num[idx] = (vals[0] - vals[1]) / (2 * eps)
        if target is not None:
            target.assign(base)
        close(grad, num, 1e-6)


# ---- GroupQueryAttention -------------------------------------------------------------------
def test_group_query_attention_matches_numpy_with_shared_heads():
    q = RNG.normal(size=(2, 4, 7)).astype(np.float32)
    layer = layers.GroupQueryAttention(head_dim=3, num_query_heads=4, num_key_value_heads=2)
    layer(q, V)
    assert layer.name.startswith("grouped_query_attention")
    assert [tuple(w.shape.as_list()) for w in layer.weights] == [
        (7, 4, 3), (4, 3), (7, 2, 3), (2, 3), (7, 2, 3), (2, 3), (4, 3, 7), (7,),
    ]  # fmt: skip
    wq, bq, wk, bk, wv, bv, wo, bo = seeded(layer)
    qh = (np.einsum("btd,dnh->btnh", q, wq) + bq) / np.sqrt(3)
    kh = np.repeat(np.einsum("bsd,dnh->bsnh", V, wk) + bk, 2, axis=2)
    vh = np.repeat(np.einsum("bsd,dnh->bsnh", V, wv) + bv, 2, axis=2)
    w = np_softmax(np.einsum("btnh,bsnh->bnts", qh, kh), (AM & CAUSAL)[:, None], zero=True)
    ref = np.einsum("btnh,nhd->btd", np.einsum("bnts,bsnh->btnh", w, vh), wo) + bo
    out, scores = layer(q, V, attention_mask=AM, use_causal_mask=True,
                        return_attention_scores=True)  # fmt: skip
    close(out, ref)
    close(scores, w)


# ---- eager == traced, config, functional use, regularizers ---------------------------------
@pytest.mark.parametrize("case", ["attention", "additive", "mha", "gqa"])
def test_eager_equals_traced(case):
    q = RNG.normal(size=(2, 4, 7)).astype(np.float32)
    if case in ("attention", "additive"):
        layer = (
            layers.Attention(use_scale=True) if case == "attention" else layers.AdditiveAttention()
        )

        def run(q, v):
            return layer([q, v], mask=[QM, VM], use_causal_mask=True,
                         return_attention_scores=True)  # fmt: skip
    else:
        if case == "mha":
            layer = layers.MultiHeadAttention(2, 3, dropout=0.0)
        else:
            layer = layers.GroupQueryAttention(3, 4, 2)

        def run(q, v):
            return layer(q, v, value_mask=VM, attention_mask=AM, use_causal_mask=True,
                         return_attention_scores=True)  # fmt: skip

    eager = run(q, V)
    traced = tfo.function(run)(tfo.constant(q), tfo.constant(V))
    for a, b in zip(eager, traced):
        close(a, b, 1e-6)


@pytest.mark.parametrize("make", [
    lambda: layers.Attention(use_scale=True, score_mode="concat", dropout=0.1, seed=2),
    lambda: layers.AdditiveAttention(use_scale=False, dropout=0.2),
    lambda: layers.MultiHeadAttention(3, 2, value_dim=4, dropout=0.1, use_bias=False,
                                      output_shape=6, kernel_regularizer="l2", seed=4),
    lambda: layers.GroupQueryAttention(2, 4, 1, use_bias=False, bias_initializer="ones"),
])  # fmt: skip
def test_config_round_trip(make):
    layer = make()
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    again = layers.deserialize(layers.serialize(layer))
    assert type(again) is type(layer) and again.get_config() == config


def test_mha_serialize_carries_build_config_and_rebuilds_same_weights():
    layer, _ = mha(v=V, k=K)
    data = layers.serialize(layer)
    assert data["build_config"] == {
        "shapes_dict": {"query_shape": (2, 4, 5), "value_shape": (2, 6, 7),
                        "key_shape": (2, 6, 3)},
    }  # fmt: skip
    again = layers.deserialize(data)
    assert again.built
    assert [w.shape.as_list() for w in again.weights] == [w.shape.as_list() for w in layer.weights]
    again.set_weights(layer.get_weights())
    close(again(Q, V, K), layer(Q, V, K))


def test_mha_config_keys_and_regularizer_losses():
    layer = layers.MultiHeadAttention(2, 3, kernel_regularizer=regularizers.L2(0.1))
    assert layer.get_config()["attention_axes"] is None  # filled in by build
    layer(Q, V)
    assert layer.get_config()["attention_axes"] == (1,)
    assert len(layer.losses) == 4
    kernels = [w.numpy() for w in layer.weights if "kernel" in w.name]
    close(sum(float(x) for x in layer.losses), 0.1 * sum((k**2).sum() for k in kernels))
    assert set(layer.get_config()) >= {
        "num_heads", "key_dim", "value_dim", "dropout", "use_bias", "output_shape",
        "attention_axes", "kernel_initializer", "bias_initializer", "kernel_regularizer",
        "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint",
        "seed", "use_gate", "sliding_window",
    }  # fmt: skip


def test_functional_inputs_give_output_shapes():
    q, v = layers.Input((4, 5)), layers.Input((6, 7))
    assert tuple(layers.MultiHeadAttention(2, 3)(q, v).shape) == (None, 4, 5)
    assert tuple(layers.MultiHeadAttention(2, 3, output_shape=8)(q, v).shape) == (None, 4, 8)
    assert tuple(layers.Attention()([q, v]).shape) == (None, 4, 7)


# ---- errors --------------------------------------------------------------------------------
@pytest.mark.parametrize("case", [
    (lambda: layers.Attention(score_mode="add"), "score_mode=add"),
    (lambda: layers.Attention()(Q), "must be called on a list of inputs"),
    (lambda: layers.Attention()([Q, Q, Q, Q]), "Received length: 4"),
    (lambda: layers.Attention()([Q, Q], mask=QM), "mask must be a list"),
    (lambda: layers.MultiHeadAttention(0, 3), "num_heads=0"),
    (lambda: layers.MultiHeadAttention(2, -1), "key_dim=-1"),
    (lambda: layers.MultiHeadAttention(2, 3, value_dim=0), "value_dim=0"),
    (lambda: layers.MultiHeadAttention(2, 3, attention_axes="x"), "attention_axes=x"),
    (lambda: layers.MultiHeadAttention(2, 3, dropout=2.0), "dropout=2.0"),
    (lambda: layers.MultiHeadAttention(2, 3)(Q, V, K[:, :5]), "key_shape=(2, 5, 3)"),
    (lambda: layers.GroupQueryAttention(3, 4, 3), "divisible by `num_key_value_heads`"),
], ids=lambda c: str(c[1]))  # fmt: skip
def test_bad_arguments_raise_value_errors(case):
    make, message = case
    with pytest.raises(ValueError) as info:
        make()
    assert message in str(info.value)


def test_unsupported_keras_options_say_so():
    with pytest.raises(NotImplementedError, match="use_gate"):
        layers.MultiHeadAttention(2, 3, use_gate=True)
    with pytest.raises(TypeError, match="Unrecognized keyword arguments"):
        layers.MultiHeadAttention(2, 3, not_an_argument=1)
