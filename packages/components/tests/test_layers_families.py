"""Normalization, reshaping, merging, activation, regularization and further core layers,
checked against NumPy references, hand computations and central differences."""

import warnings

import numpy as np
import pytest

import tensorhouse_ops as tfo
from tensorhouse_components import layers, regularizers

RNG = np.random.default_rng(7)
X3 = RNG.normal(size=(2, 4, 6)).astype(np.float32)
X4 = RNG.normal(size=(2, 3, 4, 6)).astype(np.float32)
X2 = RNG.normal(size=(3, 5)).astype(np.float32)
G6 = np.linspace(0.5, 1.5, 6).astype(np.float32)
B6 = np.linspace(-0.2, 0.3, 6).astype(np.float32)


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def np_norm(x, axes, eps, gamma=1.0, beta=0.0):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


# ---- BatchNormalization --------------------------------------------------------------------
def test_batch_norm_training_uses_batch_stats_and_updates_moving_stats_by_hand():
    bn = layers.BatchNormalization(momentum=0.9, epsilon=1e-3)
    bn.build((None, 4, 6))
    mm0, mv0 = np.linspace(-0.1, 0.1, 6), np.linspace(0.5, 2.0, 6)
    bn.set_weights([G6, B6, mm0.astype(np.float32), mv0.astype(np.float32)])
    assert [w.name.split("/")[-1].split(":")[0] for w in bn.weights] == [
        "gamma", "beta", "moving_mean", "moving_variance",
    ]  # fmt: skip
    assert [w.trainable for w in bn.weights] == [True, True, False, False]
    mm, mv = mm0.copy(), mv0.copy()
    for k in range(3):
        x = X3 * (k + 1) + k
        out = bn(x, training=True)
        close(out, np_norm(x, (0, 1), 1e-3, G6, B6), 1e-4)
        mm = 0.9 * mm + 0.1 * x.mean(axis=(0, 1))
        mv = 0.9 * mv + 0.1 * x.var(axis=(0, 1))  # the biased batch variance (Keras 3)
    close(bn.moving_mean, mm, 1e-5)
    close(bn.moving_variance, mv, 1e-4)
    # inference: the moving statistics
    close(bn(X3), (X3 - mm) / np.sqrt(mv + 1e-3) * G6 + B6, 1e-4)
    close(bn(X3, training=False), (X3 - mm) / np.sqrt(mv + 1e-3) * G6 + B6, 1e-4)


def test_batch_norm_frozen_layer_runs_in_inference_mode():
    bn = layers.BatchNormalization()
    bn(X3)
    bn.trainable = False
    out = bn(X3 * 3, training=True)
    close(out, X3 * 3 / np.sqrt(1 + 1e-3), 1e-5)
    close(bn.moving_mean, np.zeros(6))
    assert bn.trainable_weights == [] and len(bn.non_trainable_weights) == 4


def test_batch_norm_axis_1_and_no_center_no_scale():
    bn = layers.BatchNormalization(axis=1, center=False, scale=False, momentum=0.5)
    out = bn(X3, training=True)
    assert [tuple(w.shape.as_list()) for w in bn.weights] == [(4,), (4,)]
    close(out, np_norm(X3, (0, 2), 1e-3), 1e-4)
    close(bn.moving_variance, 0.5 + 0.5 * X3.var(axis=(0, 2)), 1e-5)


def test_batch_norm_mask_excludes_masked_steps_from_the_statistics():
    mask = np.array([[True, True, False, True], [False, True, True, False]])
    bn = layers.BatchNormalization(momentum=0.0)
    bn(X3, training=True, mask=tfo.constant(mask))
    kept = X3[mask]
    close(bn.moving_mean, kept.mean(0))
    close(bn.moving_variance, kept.var(0), 1e-4)


def test_batch_norm_moving_stats_updated_the_same_when_traced():
    eager, traced = layers.BatchNormalization(momentum=0.8), layers.BatchNormalization(momentum=0.8)
    step = tfo.function(lambda x: traced(x, training=True))
    for k in range(3):
        x = X3 + k
        close(step(x), eager(x, training=True), 1e-5)
    close(traced.moving_mean, eager.moving_mean, 1e-6)
    close(traced.moving_variance, eager.moving_variance, 1e-6)
    assert not np.allclose(eager.moving_mean.numpy(), 0.0)


def _central_difference(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        grad[i] = (f(up) - f(down)) / (2 * eps)
    return grad


@pytest.mark.parametrize("make", [
    lambda: layers.BatchNormalization(dtype="float64"),
    lambda: layers.LayerNormalization(dtype="float64"),
    lambda: layers.LayerNormalization(axis=[1, 2], dtype="float64"),
])  # fmt: skip
def test_normalization_gradients_match_central_differences(make):
    x = RNG.normal(size=(3, 2, 4))
    layer = make()
    layer(x, training=True)
    weights = [w.numpy() + RNG.normal(size=w.shape.as_list()) * 0.3 for w in layer.weights]
    layer.set_weights(weights)
    coef = RNG.normal(size=x.shape)  # a random linear functional of the output

    def loss_np(xv):
        return float(np.sum(layer(xv, training=True).numpy() * coef))

    xt = tfo.constant(x)
    with tfo.GradientTape() as tape:
        tape.watch(xt)
        loss = tfo.reduce_sum(layer(xt, training=True) * coef)
    gx, gg = tape.gradient(loss, [xt, layer.weights[0]])
    close(gx, _central_difference(loss_np, x), 1e-6)
    gamma0 = layer.weights[0].numpy()

    def loss_gamma(g):
        layer.weights[0].assign(g)
        return loss_np(x)

    num = _central_difference(loss_gamma, gamma0.copy())
    layer.weights[0].assign(gamma0)
    close(gg, num, 1e-6)


# ---- Layer / Group / Unit normalization ----------------------------------------------------
def test_layer_norm_last_axis_several_axes_and_rms_scaling():
    ln = layers.LayerNormalization(epsilon=1e-3)
    ln.build((None, 4, 6))
    ln.set_weights([G6, B6])
    close(ln(X3), np_norm(X3, -1, 1e-3, G6, B6), 1e-5)
    ln2 = layers.LayerNormalization(axis=[1, 2], epsilon=1e-2)
    g = RNG.normal(size=(4, 6)).astype(np.float32)
    ln2.build((None, 4, 6))
    ln2.set_weights([g, g * 0 + 0.5])
    close(ln2(X3), np_norm(X3, (1, 2), 1e-2, g, 0.5), 1e-5)
    with pytest.warns(UserWarning, match="rms_scaling"):
        rms = layers.LayerNormalization(rms_scaling=True)
    rms.build((None, 4, 6))
    assert [w.name.split("/")[-1].split(":")[0] for w in rms.weights] == ["gamma"]
    rms.set_weights([G6])
    close(rms(X3), X3 / np.sqrt(X3.var(-1, keepdims=True) + 1e-3) * G6, 1e-5)


def test_group_norm_matches_numpy_for_channels_last_and_first():
    gn = layers.GroupNormalization(groups=3)
    gn.build((None, 4, 6))
    gn.set_weights([G6, B6])
    grouped = X3.reshape(2, 4, 3, 2)
    ref = np_norm(grouped, (1, 3), 1e-3).reshape(2, 4, 6) * G6 + B6
    close(gn(X3), ref, 1e-5)
    gn1 = layers.GroupNormalization(groups=2, axis=1)
    ref1 = np_norm(X3.reshape(2, 2, 2, 6), (2, 3), 1e-3).reshape(2, 4, 6)
    close(gn1(X3), ref1, 1e-5)


def test_unit_norm_scales_to_unit_length_and_keeps_zeros():
    x = np.concatenate([X2, np.zeros((1, 5), np.float32)])
    out = layers.UnitNormalization()(x).numpy()
    close(out[:3], X2 / np.linalg.norm(X2, axis=-1, keepdims=True))
    close(out[3], np.zeros(5))
    out2 = layers.UnitNormalization(axis=[1, 2])(X3)
    close(out2, X3 / np.sqrt((X3**2).sum(axis=(1, 2), keepdims=True)))


# ---- reshaping -----------------------------------------------------------------------------
def test_reshape_permute_repeat_vector():
    close(layers.Reshape((-1, 3))(X3), X3.reshape(2, 8, 3))
    assert layers.Reshape((3, -1)).compute_output_shape((None, 4, 6)) == (None, 3, 8)
    close(layers.Permute((2, 1))(X3), X3.transpose(0, 2, 1))
    close(layers.RepeatVector(3)(X2), np.repeat(X2[:, None], 3, axis=1))


def test_zero_padding_and_cropping_match_numpy():
    close(layers.ZeroPadding1D((1, 2))(X3), np.pad(X3, ((0, 0), (1, 2), (0, 0))))
    close(layers.ZeroPadding2D(((1, 0), (2, 1)))(X4), np.pad(X4, ((0, 0), (1, 0), (2, 1), (0, 0))))
    cf = layers.ZeroPadding2D(1, data_format="channels_first")(X4)
    close(cf, np.pad(X4, ((0, 0), (0, 0), (1, 1), (1, 1))))
    x5 = X4[..., None]
    close(layers.ZeroPadding3D(1)(x5), np.pad(x5, ((0, 0), (1, 1), (1, 1), (1, 1), (0, 0))))
    close(layers.Cropping1D((1, 2))(X3), X3[:, 1:2])
    close(layers.Cropping2D(((1, 0), (1, 2)))(X4), X4[:, 1:, 1:2])
    close(layers.Cropping3D(((1, 0), (1, 2), (0, 1)))(x5), x5[:, 1:, 1:2, :-1])


def test_upsampling_nearest_and_bilinear():
    close(layers.UpSampling1D(3)(X3), np.repeat(X3, 3, axis=1))
    close(layers.UpSampling2D((2, 3))(X4), np.repeat(np.repeat(X4, 2, axis=1), 3, axis=2))
    row = np.array([0.0, 1.0, 3.0], np.float32).reshape(1, 1, 3, 1)
    out = layers.UpSampling2D((1, 2), interpolation="bilinear")(row).numpy().ravel()
    # half-pixel centres: source x = (i + 0.5) / 2 - 0.5, clamped at the borders
    close(out, [0.0, 0.25, 0.75, 1.5, 2.5, 3.0])
    with pytest.raises(NotImplementedError, match="bicubic"):
        layers.UpSampling2D(interpolation="bicubic")


# ---- merging -------------------------------------------------------------------------------
def test_elementwise_merges_and_function_forms():
    a, b, c = X3, X3[::-1] * 2, X3 + 1
    close(layers.Add()([a, b, c]), a + b + c)
    close(layers.Subtract()([a, b]), a - b)
    close(layers.Multiply()([a, b]), a * b)
    close(layers.Average()([a, b, c]), (a + b + c) / 3)
    close(layers.Maximum()([a, b, c]), np.maximum(np.maximum(a, b), c))
    close(layers.Minimum()([a, b]), np.minimum(a, b))
    close(layers.add([a, b]), a + b)
    close(layers.subtract([a, b]), a - b)
    close(layers.multiply([a, b]), a * b)
    close(layers.average([a, b]), (a + b) / 2)
    close(layers.maximum([a, b]), np.maximum(a, b))
    close(layers.minimum([a, b]), np.minimum(a, b))
    close(layers.concatenate([a, b], axis=1), np.concatenate([a, b], 1))
    close(layers.Add()([a, a[:, :1]]), a + a[:, :1])  # broadcasting
    close(layers.Add()([a, X3[:, 0]]), a + X3[:, None, 0])  # lower rank: new axis 1


def test_dot_matches_numpy_batch_dot():
    close(layers.Dot(axes=1)([X2, X2[::-1]]), np.sum(X2 * X2[::-1], 1, keepdims=True))
    y = RNG.normal(size=(2, 6, 5)).astype(np.float32)
    close(layers.dot([X3, y], axes=(2, 1)), np.einsum("bij,bjk->bik", X3, y))
    close(layers.Dot(axes=(1, 1))([X3, X3]), np.einsum("bij,bik->bjk", X3, X3), 1e-4)
    cos = layers.Dot(axes=1, normalize=True)([X2, X2 * 3 + 1]).numpy().ravel()
    ref = [u @ v / np.linalg.norm(u) / np.linalg.norm(v) for u, v in zip(X2, X2 * 3 + 1)]
    close(cos, ref)


def test_merge_masks():
    m1 = tfo.constant([[True, False, False]])
    m2 = tfo.constant([[False, False, True]])
    close(layers.Add().compute_mask([X2, X2], [m1, m2]), [[True, False, True]])
    assert layers.Add().compute_mask([X2, X2], [m1, None]) is None
    x = np.ones((1, 3, 2), np.float32)
    mask = layers.Concatenate(axis=1).compute_mask([x, x], [m1, None])
    close(mask, [[True, False, False, True, True, True]])


# ---- activations ---------------------------------------------------------------------------
def test_activation_layers_match_numpy():
    x = X3
    close(layers.ReLU()(x), np.maximum(x, 0))
    thr = layers.ReLU(max_value=0.8, negative_slope=0.1, threshold=0.3)(x)
    close(thr, np.where(x > 0.3, np.minimum(x, 0.8), 0.1 * (x - 0.3)))
    close(layers.ReLU(threshold=0.5)(x), np.where(x > 0.5, x, 0))
    close(layers.ReLU(negative_slope=0.2)(x), np.where(x > 0, x, 0.2 * x))
    close(layers.LeakyReLU()(x), np.where(x > 0, x, 0.3 * x))
    close(layers.ELU()(x), np.where(x > 0, x, np.expm1(x)))
    close(layers.ELU(alpha=0.5)(x), np.where(x > 0, x, 0.5 * np.expm1(x)))
    alpha = np.linspace(0, 1, 6).reshape(1, 6).astype(np.float32)
    prelu = layers.PReLU(shared_axes=[1])
    prelu.build((None, 4, 6))
    assert tuple(prelu.alpha.shape.as_list()) == (1, 6)
    prelu.set_weights([alpha])
    close(prelu(x), np.where(x > 0, x, alpha * x))


def np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def test_softmax_axis_tuple_and_mask():
    close(layers.Softmax()(X3), np_softmax(X3, -1))
    close(layers.Softmax(axis=(1, 2))(X3), np_softmax(X3, (1, 2)))
    keep = np.array([True, False, True, True, False, True])
    out = layers.Softmax()(X3, mask=tfo.constant(np.broadcast_to(keep, X3.shape)))
    ref = np.zeros_like(X3)
    ref[..., keep] = np_softmax(X3[..., keep], -1)
    close(out, ref)
    with pytest.raises(ValueError, match="mask.shape=\\(1, 2, 2, 3\\)"):
        layers.Softmax()(X2, mask=tfo.ones((1, 2, 2, 3)))


# ---- regularization ------------------------------------------------------------------------
@pytest.mark.parametrize("layer", [
    layers.SpatialDropout1D(0.5), layers.GaussianNoise(0.5), layers.GaussianDropout(0.5),
    layers.AlphaDropout(0.5),
])  # fmt: skip
def test_random_layers_are_the_identity_outside_training(layer):
    close(layer(X3), X3)
    close(layer(X3, training=False), X3)


def test_spatial_dropout_drops_whole_channels():
    x = np.ones((8, 5, 6), np.float32)
    out = layers.SpatialDropout1D(0.5, seed=3)(x, training=True).numpy()
    assert set(np.unique(out)) <= {0.0, 2.0}
    assert (out == out[:, :1, :]).all()  # one draw per (sample, channel)
    assert 0 < (out == 0).mean() < 1
    x4 = np.ones((4, 3, 3, 6), np.float32)
    cf = layers.SpatialDropout2D(0.5, data_format="channels_first", seed=1)(x4, training=True)
    assert (cf.numpy() == cf.numpy()[:, :, :1, :1]).all()
    x5 = np.ones((4, 2, 2, 2, 6), np.float32)
    out5 = layers.SpatialDropout3D(0.5, seed=1)(x5, training=True).numpy()
    assert (out5 == out5[:, :1, :1, :1, :]).all()


def test_gaussian_layers_statistics_and_traced_draws():
    x = np.ones((200, 100), np.float32)
    noisy = layers.GaussianNoise(0.3, seed=5)(x, training=True).numpy()
    assert abs(noisy.std() - 0.3) < 0.01 and abs(noisy.mean() - 1.0) < 0.01
    drop = layers.GaussianDropout(0.2, seed=5)(x, training=True).numpy()
    assert abs(drop.std() - np.sqrt(0.2 / 0.8)) < 0.01 and abs(drop.mean() - 1.0) < 0.01
    layer = layers.GaussianNoise(0.5, seed=1)
    step = tfo.function(lambda v: layer(v, training=True))
    first, second = step(X2).numpy(), step(X2).numpy()
    assert not np.allclose(first, second)  # the draw happens inside the traced function


def test_alpha_dropout_values_and_moments():
    rate = 0.2
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - rate) * (1 + rate * alpha_p**2)) ** -0.5
    b = -a * alpha_p * rate
    x = RNG.normal(size=(400, 100)).astype(np.float32)
    out = layers.AlphaDropout(rate, seed=2)(x, training=True).numpy()
    kept = np.isclose(out, a * x + b, atol=1e-5)
    dropped = np.isclose(out, a * alpha_p + b, atol=1e-5)
    assert (kept | dropped).all() and abs(dropped.mean() - rate) < 0.01
    assert abs(out.mean()) < 0.02 and abs(out.std() - 1.0) < 0.02  # SELU's fixed point


def test_activity_regularization_adds_the_penalty_over_the_batch_size():
    layer = layers.ActivityRegularization(l1=0.1, l2=0.01)
    close(layer(X3), X3)
    expected = (0.1 * np.abs(X3).sum() + 0.01 * (X3**2).sum()) / 2
    assert len(layer.losses) == 1
    close(layer.losses[0], expected)


# ---- further core layers -------------------------------------------------------------------
def test_embedding_lookup_mask_and_weights_argument():
    table = np.arange(12, dtype=np.float32).reshape(4, 3)
    emb = layers.Embedding(4, 3, mask_zero=True, weights=[table])
    ids = np.array([[0, 1, 3], [2, 2, 0]])
    close(emb(ids), table[ids])
    close(emb.compute_mask(tfo.constant(ids)), ids != 0)
    assert emb.weights[0].name.split("/")[-1].split(":")[0] == "embeddings"
    default = layers.Embedding(50, 8)
    default.build()
    w = default.embeddings.numpy()
    assert w.shape == (50, 8) and np.abs(w).max() <= 0.05 and w.std() > 0.01  # uniform(-.05,.05)
    assert layers.Embedding(4, 3).compute_mask(ids) is None


def test_masking_zeroes_masked_steps_and_computes_the_mask():
    x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]], np.float32)
    layer = layers.Masking(mask_value=0.0)
    close(layer(x), x)
    close(layer.compute_mask(tfo.constant(x)), [[True, False, True]])
    x2 = np.array([[[5.0, 5.0], [1.0, 5.0]]], np.float32)
    close(layers.Masking(5.0)(x2), [[[0.0, 0.0], [1.0, 5.0]]])


def scale_by_three(x):
    return x * 3.0


def test_lambda_calls_and_serializes_only_named_functions():
    layer = layers.Lambda(scale_by_three, output_shape=(4, 6))
    close(layer(X3), X3 * 3)
    cfg = layer.get_config()
    assert cfg["function"]["config"] == "scale_by_three"
    assert "scale_by_three" not in repr({k: v for k, v in cfg.items() if k != "function"})
    again = layers.Lambda.from_config(cfg, custom_objects={"scale_by_three": scale_by_three})
    close(again(X2), X2 * 3)
    with pytest.raises(ValueError, match="Unknown function 'scale_by_three'"):
        layers.Lambda.from_config(cfg)
    layers.register_serializable(package="FamiliesTest")(scale_by_three)
    restored = layers.deserialize(layers.serialize(layer))  # found among registered objects
    close(restored(X2), X2 * 3)
    with pytest.raises(ValueError, match="not a named function"):
        layers.Lambda(lambda x: x + 1).get_config()
    with_args = layers.Lambda(lambda x, k: x * k, arguments={"k": 2.0})
    close(with_args(X2), X2 * 2)
    assert layers.Lambda(scale_by_three, output_shape=(2,)).compute_output_shape((5, 3)) == (5, 2)


def test_identity_and_einsum_dense():
    close(layers.Identity()(X3), X3)
    k = RNG.normal(size=(6, 2, 3)).astype(np.float32)
    bias = RNG.normal(size=(2, 3)).astype(np.float32)
    layer = layers.EinsumDense("abc,cde->abde", output_shape=(None, 2, 3), bias_axes="de")
    layer.build((None, 4, 6))
    layer.set_weights([k, bias])
    close(layer(X3), np.einsum("abc,cde->abde", X3, k) + bias, 1e-4)
    assert layer.compute_output_shape((None, 4, 6)) == (None, 4, 2, 3)
    left = layers.EinsumDense("...b,bc->...c", output_shape=5, bias_axes="c", activation="relu")
    left.build((None, 4, 6))
    assert [tuple(w.shape.as_list()) for w in left.weights] == [(6, 5), (5,)]
    k2, b2 = RNG.normal(size=(6, 5)).astype(np.float32), np.arange(5, dtype=np.float32)
    left.set_weights([k2, b2])
    close(left(X3), np.maximum(X3 @ k2 + b2, 0), 1e-4)
    right = layers.EinsumDense("ab...,bc->ac...", output_shape=(3,), bias_axes="c")
    right.build((None, 4, 6))
    assert [tuple(w.shape.as_list()) for w in right.weights] == [(4, 3), (3, 1)]
    k3 = RNG.normal(size=(4, 3)).astype(np.float32)
    right.set_weights([k3, np.ones((3, 1), np.float32)])
    close(right(X3), np.einsum("abx,bc->acx", X3, k3) + 1, 1e-4)


# ---- eager == traced -----------------------------------------------------------------------
TRACE_CASES = [
    (lambda: layers.LayerNormalization(), X3),
    (lambda: layers.GroupNormalization(groups=2), X3),
    (lambda: layers.UnitNormalization(), X3),
    (lambda: layers.Reshape((-1, 2)), X3),
    (lambda: layers.Permute((2, 1)), X3),
    (lambda: layers.RepeatVector(2), X2),
    (lambda: layers.ZeroPadding2D(1), X4),
    (lambda: layers.Cropping2D(1), X4),
    (lambda: layers.UpSampling2D(2, interpolation="bilinear"), X4),
    (lambda: layers.Concatenate(), [X3, X3]),
    (lambda: layers.Average(), [X3, X3 * 2]),
    (lambda: layers.Dot(axes=(2, 2)), [X3, X3]),
    (lambda: layers.ReLU(max_value=1.0, negative_slope=0.1), X3),
    (lambda: layers.PReLU(alpha_initializer="ones"), X3),
    (lambda: layers.Softmax(axis=(1, 2)), X3),
    (lambda: layers.Embedding(5, 3), np.array([[1, 4], [0, 2]])),
    (lambda: layers.Masking(), X3),
    (lambda: layers.EinsumDense("abc,cd->abd", (None, 3), bias_axes="d"), X3),
    (lambda: layers.ActivityRegularization(l2=0.1), X3),
]


@pytest.mark.parametrize("make, x", TRACE_CASES)
def test_eager_equals_traced(make, x):
    layer = make()
    eager = layer(x).numpy()
    traced = tfo.function(lambda v: layer(v))(x if not isinstance(x, list) else list(x))
    close(traced, eager, 1e-6)


# ---- config round trip ---------------------------------------------------------------------
CONFIG_CASES = [
    lambda: layers.BatchNormalization(
        axis=1, momentum=0.8, center=False, gamma_regularizer=regularizers.L2(0.1)
    ),  # fmt: skip
    lambda: layers.LayerNormalization(axis=[1, 2], epsilon=1e-5, scale=False),
    lambda: layers.GroupNormalization(groups=4, axis=1),
    lambda: layers.UnitNormalization(axis=[1, 2]),
    lambda: layers.Reshape((3, -1)),
    lambda: layers.Permute((2, 1)),
    lambda: layers.RepeatVector(4),
    lambda: layers.ZeroPadding1D((1, 2)),
    lambda: layers.ZeroPadding2D(((1, 2), (3, 4)), data_format="channels_first"),
    lambda: layers.ZeroPadding3D(2),
    lambda: layers.Cropping1D(2),
    lambda: layers.Cropping2D((1, 2)),
    lambda: layers.Cropping3D(1),
    lambda: layers.UpSampling1D(3),
    lambda: layers.UpSampling2D((2, 3), interpolation="bilinear"),
    lambda: layers.Add(),
    lambda: layers.Subtract(),
    lambda: layers.Multiply(),
    lambda: layers.Average(),
    lambda: layers.Maximum(),
    lambda: layers.Minimum(),
    lambda: layers.Concatenate(axis=1),
    lambda: layers.Dot(axes=(1, 2), normalize=True),
    lambda: layers.ReLU(max_value=2.0, negative_slope=0.1, threshold=0.5),
    lambda: layers.LeakyReLU(0.2),
    lambda: layers.PReLU(shared_axes=[1, 2]),
    lambda: layers.ELU(alpha=0.7),
    lambda: layers.Softmax(axis=1),
    lambda: layers.SpatialDropout1D(0.2, seed=3),
    lambda: layers.SpatialDropout2D(0.2, data_format="channels_first"),
    lambda: layers.SpatialDropout3D(0.3),
    lambda: layers.GaussianNoise(0.1, seed=1),
    lambda: layers.GaussianDropout(0.4),
    lambda: layers.AlphaDropout(0.1, noise_shape=(None, 1)),
    lambda: layers.ActivityRegularization(l1=0.1, l2=0.2),
    lambda: layers.Embedding(10, 4, mask_zero=True),
    lambda: layers.Masking(mask_value=-1.0),
    lambda: layers.Identity(),
    lambda: layers.EinsumDense("abc,cd->abd", (None, 5), bias_axes="d", activation="relu"),
    lambda: layers.Lambda(scale_by_three, output_shape=(4,)),
]


@pytest.mark.parametrize("make", CONFIG_CASES)
def test_config_round_trip(make):
    layer = make()
    config = layer.get_config()
    clone = layers.deserialize(
        layers.serialize(layer), custom_objects={"scale_by_three": scale_by_three}
    ) if not isinstance(layer, layers.Lambda) else layers.Lambda.from_config(
        config, custom_objects={"scale_by_three": scale_by_three}
    )  # fmt: skip
    assert type(clone) is type(layer)
    assert clone.get_config() == config
    assert layers.get(type(layer).__name__) is type(layer)


# ---- errors --------------------------------------------------------------------------------
ERROR_CASES = [
    (lambda: layers.BatchNormalization(axis=3)(X2), ValueError, "axis=3"),
    (lambda: layers.BatchNormalization(axis="x"), TypeError, "axis='x'"),
    (lambda: layers.LayerNormalization(axis=1.5), TypeError, "1.5"),
    (lambda: layers.GroupNormalization(groups=4)(X3), ValueError, "groups \\(4\\) must be"),
    (lambda: layers.GroupNormalization(groups=8)(X3), ValueError, "cannot be more than"),
    (lambda: layers.Reshape((-1, -1)), ValueError, "at most one unknown dimension"),
    (lambda: layers.Reshape((4,))(X2), ValueError, "target_shape=\\(4,\\)"),
    (lambda: layers.Permute((1, 3)), ValueError, "dims=\\(1, 3\\)"),
    (lambda: layers.RepeatVector(2.0), TypeError, "integer value for `n`"),
    (lambda: layers.RepeatVector(2)(X3), ValueError, "expected ndim=2, found ndim=3"),
    (lambda: layers.ZeroPadding2D(((1, 2),)), ValueError, "padding=\\(\\(1, 2\\),\\)"),
    (lambda: layers.ZeroPadding1D(-1), ValueError, "padding=-1"),
    (lambda: layers.ZeroPadding2D(data_format="nhwc"), ValueError, "data_format=nhwc"),
    (lambda: layers.Cropping1D((3, 3))(X3), ValueError, "cropping=\\(3, 3\\)"),
    (lambda: layers.UpSampling2D(interpolation="cubic2"), ValueError, "interpolation='cubic2'"),
    (lambda: layers.Add()(X2), ValueError, "list of inputs"),
    (lambda: layers.Subtract()([X2, X2, X2]), ValueError, "exactly 2 inputs"),
    (lambda: layers.Add()([X2, X2[:, :2]]), ValueError, "incompatible shapes"),
    (lambda: layers.Concatenate()([X2, X3]), ValueError, "matching shapes"),
    (lambda: layers.Dot(axes=(1, 1, 1)), ValueError, "axes=\\(1, 1, 1\\)"),
    (lambda: layers.Dot(axes="x"), TypeError, "axes=x"),
    (lambda: layers.Dot(axes=1)([X2, X3[:, 0]]), ValueError, "axis values 5"),
    (lambda: layers.ReLU(max_value=-1), ValueError, "max_value=-1"),
    (lambda: layers.ReLU(threshold=-0.5), ValueError, "threshold=-0.5"),
    (lambda: layers.LeakyReLU(-1), ValueError, "negative_slope=-1"),
    (lambda: layers.SpatialDropout1D(2), ValueError, "rate=2"),
    (lambda: layers.SpatialDropout1D(0.5)(X2), ValueError, "expected ndim=3"),
    (lambda: layers.GaussianNoise(-1), ValueError, "stddev=-1"),
    (lambda: layers.GaussianDropout(1.5), ValueError, "rate=1.5"),
    (lambda: layers.Embedding(0, 4), ValueError, "input_dim=0"),
    (lambda: layers.Embedding(4, -2), ValueError, "output_dim=-2"),
    (lambda: layers.Lambda(3), TypeError, "function=3"),
    (lambda: layers.EinsumDense("ab,bc->ad", 3).build((None, 2)), ValueError, "Dimension 'd'"),
    (
        lambda: layers.EinsumDense("ab,bc->ac", 3, bias_axes="x").build((None, 2)),
        ValueError,
        "Bias dimension 'x'",
    ),  # fmt: skip
    (lambda: layers.EinsumDense("a+b", 3).build((None, 2)), ValueError, "equation='a\\+b'"),
]


@pytest.mark.parametrize("make, error, message", ERROR_CASES)
def test_bad_arguments_raise_keras_errors(make, error, message):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error, match=message):
            make()


def test_symbolic_inputs_give_the_computed_output_shapes():
    inp = layers.Input(shape=(4, 6))
    assert layers.Concatenate(axis=1)([inp, inp]).shape == (None, 8, 6)
    assert layers.Dot(axes=(2, 2))([inp, inp]).shape == (None, 4, 4)
    assert layers.BatchNormalization()(inp).shape == (None, 4, 6)
    assert layers.Cropping1D(1)(inp).shape == (None, 2, 6)
    assert layers.UpSampling1D(2)(inp).shape == (None, 8, 6)
    assert layers.Embedding(10, 3)(layers.Input(shape=(5,), dtype="int32")).shape == (None, 5, 3)


def test_masking_flags_on_the_base_layer():
    assert layers.Layer().supports_masking is False
    given = tfo.constant([True])  # Keras's default compute_mask returns it (never attached)
    assert layers.Layer().compute_mask(X2, given) is given
    mask = tfo.constant([True, False])
    assert layers.ReLU().compute_mask(X2, mask) is mask
    assert layers.BatchNormalization().supports_masking
