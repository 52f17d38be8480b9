"""tf.keras.layers: normalization, reshaping, merging, activation, regularization and further
core layers. Fixed weights via set_weights; outputs against NumPy references that Keras 3
matches (or values read off Keras 3.15), weight names / shapes / order and config keys."""

import warnings

import numpy as np
import pytest

RNG = np.random.default_rng(11)
X3 = RNG.normal(size=(2, 4, 6)).astype(np.float32)
X4 = RNG.normal(size=(2, 3, 4, 6)).astype(np.float32)
X2 = RNG.normal(size=(3, 5)).astype(np.float32)
G6 = np.linspace(0.5, 1.5, 6).astype(np.float32)
B6 = np.linspace(-0.2, 0.3, 6).astype(np.float32)
MM6 = np.linspace(-0.1, 0.1, 6).astype(np.float32)
MV6 = np.linspace(0.5, 2.0, 6).astype(np.float32)


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def names(layer):
    return [(w.name.split("/")[-1].split(":")[0], tuple(w.shape)) for w in layer.weights]


def np_norm(x, axes, eps, gamma=1.0, beta=0.0):
    mean = x.mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=axes, keepdims=True) + eps) * gamma + beta


def np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def built(layer, shape, weights):
    layer.build(shape)
    layer.set_weights(weights)
    return layer


# ---- normalization -------------------------------------------------------------------------
def test_batch_normalization_weights_training_and_moving_statistics(tf):
    bn = built(tf.keras.layers.BatchNormalization(momentum=0.9), (None, 4, 6), [G6, B6, MM6, MV6])
    assert names(bn) == [
        ("gamma", (6,)), ("beta", (6,)), ("moving_mean", (6,)), ("moving_variance", (6,)),
    ]  # fmt: skip
    assert len(bn.trainable_weights) == 2 and len(bn.non_trainable_weights) == 2
    close(bn(X3), (X3 - MM6) / np.sqrt(MV6 + 1e-3) * G6 + B6, 1e-5)
    mm, mv = MM6.astype(np.float64), MV6.astype(np.float64)
    for k in range(3):
        x = X3 * (k + 1) - k
        close(bn(x, training=True), np_norm(x, (0, 1), 1e-3, G6, B6), 1e-4)
        mm = 0.9 * mm + 0.1 * x.mean(axis=(0, 1))
        mv = 0.9 * mv + 0.1 * x.var(axis=(0, 1))
    close(bn.moving_mean, mm)
    close(bn.moving_variance, mv, 1e-4)


def test_batch_normalization_hard_coded_keras_values(tf):
    x = np.array([[1.0, 2.0], [3.0, 6.0], [5.0, 10.0]], np.float32)
    bn = tf.keras.layers.BatchNormalization(momentum=0.5, epsilon=0.01)
    y = bn(x, training=True)
    # values read off Keras 3.15 (TF backend)
    close(y, [[-1.2224548, -1.2241712], [0.0, 0.0], [1.222455, 1.2241712]], 1e-5)
    close(bn.moving_mean, [1.5, 3.0])
    close(bn.moving_variance, [1.8333334, 5.8333335], 1e-5)


def test_batch_normalization_frozen_runs_in_inference_mode_and_traces(tf):
    frozen = built(tf.keras.layers.BatchNormalization(), (None, 6), [G6, B6, MM6, MV6])
    frozen.trainable = False
    x = X2 @ np.ones((5, 6), np.float32)
    close(frozen(x, training=True), (x - MM6) / np.sqrt(MV6 + 1e-3) * G6 + B6, 1e-5)
    close(frozen.moving_mean, MM6)
    eager = tf.keras.layers.BatchNormalization(momentum=0.7)
    traced = tf.keras.layers.BatchNormalization(momentum=0.7)
    step = tf.function(lambda v: traced(v, training=True))
    for k in range(3):
        close(step(tf.constant(X3 + k)), eager(X3 + k, training=True), 1e-5)
    close(traced.moving_mean, eager.moving_mean, 1e-6)
    close(traced.moving_variance, eager.moving_variance, 1e-6)


def test_batch_normalization_config(tf):
    config = tf.keras.layers.BatchNormalization(axis=1, momentum=0.8).get_config()
    assert {
        "axis", "momentum", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer",
        "moving_mean_initializer", "moving_variance_initializer", "beta_regularizer",
        "gamma_regularizer", "beta_constraint", "gamma_constraint", "synchronized",
    } <= set(config)  # fmt: skip
    assert config["axis"] == 1 and config["momentum"] == 0.8 and config["epsilon"] == 1e-3
    assert config["gamma_initializer"]["class_name"] == "Ones"


def test_layer_group_and_unit_normalization(tf):
    layers = tf.keras.layers
    ln = built(layers.LayerNormalization(), (None, 4, 6), [G6, B6])
    assert names(ln) == [("gamma", (6,)), ("beta", (6,))]
    close(ln(X3), np_norm(X3, -1, 1e-3, G6, B6), 1e-5)
    g46 = RNG.normal(size=(4, 6)).astype(np.float32)
    ln2 = built(layers.LayerNormalization(axis=[1, 2]), (None, 4, 6), [g46, g46 * 0 + 0.5])
    close(ln2(X3), np_norm(X3, (1, 2), 1e-3, g46, 0.5), 1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rms = layers.LayerNormalization(rms_scaling=True)
    rms = built(rms, (None, 4, 6), [G6])
    assert names(rms) == [("gamma", (6,))]
    close(rms(X3), X3 / np.sqrt(X3.var(-1, keepdims=True) + 1e-3) * G6, 1e-5)
    gn = built(layers.GroupNormalization(groups=3), (None, 4, 6), [G6, B6])
    close(gn(X3), np_norm(X3.reshape(2, 4, 3, 2), (1, 3), 1e-3).reshape(2, 4, 6) * G6 + B6, 1e-5)
    assert set(gn.get_config()) >= {"groups", "axis", "epsilon", "center", "scale"}
    close(layers.UnitNormalization()(X2), X2 / np.linalg.norm(X2, axis=-1, keepdims=True))
    assert ln.get_config()["rms_scaling"] is False


# ---- reshaping -----------------------------------------------------------------------------
def test_reshaping_layers(tf):
    layers = tf.keras.layers
    close(layers.Reshape((-1, 3))(X3), X3.reshape(2, 8, 3))
    close(layers.Permute((2, 1))(X3), X3.transpose(0, 2, 1))
    close(layers.RepeatVector(3)(X2), np.repeat(X2[:, None], 3, axis=1))
    close(layers.ZeroPadding1D((1, 2))(X3), np.pad(X3, ((0, 0), (1, 2), (0, 0))))
    close(layers.ZeroPadding2D(((1, 0), (2, 1)))(X4), np.pad(X4, ((0, 0), (1, 0), (2, 1), (0, 0))))
    cf = layers.ZeroPadding2D(1, data_format="channels_first")(X4)
    close(cf, np.pad(X4, ((0, 0), (0, 0), (1, 1), (1, 1))))
    x5 = X4[..., None]
    close(layers.ZeroPadding3D(1)(x5), np.pad(x5, ((0, 0), (1, 1), (1, 1), (1, 1), (0, 0))))
    close(layers.Cropping1D((1, 2))(X3), X3[:, 1:2])
    close(layers.Cropping2D(((1, 0), (1, 2)))(X4), X4[:, 1:, 1:2])
    close(layers.Cropping3D(((1, 0), (1, 2), (0, 1)))(x5), x5[:, 1:, 1:2, :-1])
    close(layers.UpSampling1D(3)(X3), np.repeat(X3, 3, axis=1))
    close(layers.UpSampling2D((2, 3))(X4), np.repeat(np.repeat(X4, 2, axis=1), 3, axis=2))


def test_upsampling_bilinear_hard_coded(tf):
    x = np.arange(6, dtype=np.float32).reshape(1, 2, 3, 1)
    y = np.asarray(tf.keras.layers.UpSampling2D(2, interpolation="bilinear")(x))[0, :, :, 0]
    # values read off Keras 3.15 (tf.image.resize, half-pixel centres)
    close(y, [
        [0.0, 0.25, 0.75, 1.25, 1.75, 2.0],
        [0.75, 1.0, 1.5, 2.0, 2.5, 2.75],
        [2.25, 2.5, 3.0, 3.5, 4.0, 4.25],
        [3.0, 3.25, 3.75, 4.25, 4.75, 5.0],
    ])  # fmt: skip


def test_reshaping_configs(tf):
    layers = tf.keras.layers
    assert layers.ZeroPadding2D(2).get_config()["padding"] == ((2, 2), (2, 2))
    assert layers.ZeroPadding1D().get_config()["padding"] == (1, 1)
    assert layers.Cropping1D().get_config()["cropping"] == (1, 1)
    assert "data_format" not in layers.Cropping1D().get_config()
    cfg = layers.UpSampling2D().get_config()
    assert (cfg["size"], cfg["data_format"], cfg["interpolation"]) == (
        (2, 2), "channels_last", "nearest",
    )  # fmt: skip
    assert tuple(layers.Reshape((2, -1)).get_config()["target_shape"]) == (2, -1)
    assert tuple(layers.Permute((2, 1)).get_config()["dims"]) == (2, 1)


# ---- merging -------------------------------------------------------------------------------
def test_merging_layers_and_functions(tf):
    layers = tf.keras.layers
    a, b = X3, X3[::-1] * 2
    close(layers.Add()([a, b, a]), a + b + a)
    close(layers.Subtract()([a, b]), a - b)
    close(layers.Multiply()([a, b]), a * b)
    close(layers.Average()([a, b]), (a + b) / 2)
    close(layers.Maximum()([a, b]), np.maximum(a, b))
    close(layers.Minimum()([a, b]), np.minimum(a, b))
    close(layers.Concatenate(axis=1)([a, b]), np.concatenate([a, b], 1))
    close(layers.add([a, b]), a + b)
    close(layers.concatenate([a, b]), np.concatenate([a, b], -1))
    close(layers.maximum([a, b]), np.maximum(a, b))
    close(layers.Add()([a, a[:, :1]]), a + a[:, :1])
    assert layers.Concatenate(axis=1).get_config()["axis"] == 1


def test_dot(tf):
    layers = tf.keras.layers
    close(layers.Dot(axes=1)([X2, X2[::-1]]), np.sum(X2 * X2[::-1], 1, keepdims=True))
    y = RNG.normal(size=(2, 6, 5)).astype(np.float32)
    close(layers.Dot(axes=(2, 1))([X3, y]), np.einsum("bij,bjk->bik", X3, y), 1e-4)
    close(layers.dot([X3, X3], axes=1), np.einsum("bij,bik->bjk", X3, X3), 1e-4)
    cos = np.asarray(layers.Dot(axes=1, normalize=True)([X2, X2 * 3 + 1])).ravel()
    close(cos, [u @ v / np.linalg.norm(u) / np.linalg.norm(v) for u, v in zip(X2, X2 * 3 + 1)])
    cfg = layers.Dot(axes=(1, 2), normalize=True).get_config()
    assert tuple(cfg["axes"]) == (1, 2) and cfg["normalize"] is True


# ---- activations ---------------------------------------------------------------------------
def test_activation_layers(tf):
    layers = tf.keras.layers
    x = X3
    close(layers.ReLU()(x), np.maximum(x, 0))
    close(layers.ReLU(max_value=0.8, negative_slope=0.1, threshold=0.3)(x),
          np.where(x > 0.3, np.minimum(x, 0.8), 0.1 * (x - 0.3)))  # fmt: skip
    close(layers.ReLU(threshold=0.5)(x), np.where(x > 0.5, x, 0))
    close(layers.LeakyReLU()(x), np.where(x > 0, x, 0.3 * x))
    close(layers.ELU(alpha=0.5)(x), np.where(x > 0, x, 0.5 * np.expm1(x)))
    alpha = np.linspace(0, 1, 6).reshape(1, 6).astype(np.float32)
    prelu = built(layers.PReLU(shared_axes=[1]), (None, 4, 6), [alpha])
    assert names(prelu) == [("alpha", (1, 6))]
    close(prelu(x), np.where(x > 0, x, alpha * x))
    assert layers.ReLU().get_config()["negative_slope"] == 0.0
    assert layers.LeakyReLU().get_config()["negative_slope"] == 0.3
    assert layers.ELU().get_config()["alpha"] == 1.0


def test_softmax_axes_and_mask(tf):
    layers = tf.keras.layers
    close(layers.Softmax()(X3), np_softmax(X3, -1))
    close(layers.Softmax(axis=(1, 2))(X3), np_softmax(X3, (1, 2)))
    keep = np.array([True, False, True, True, False, True])
    out = layers.Softmax()(X3, mask=tf.constant(np.broadcast_to(keep, X3.shape)))
    ref = np.zeros_like(X3)
    ref[..., keep] = np_softmax(X3[..., keep], -1)
    close(out, ref)


# ---- regularization ------------------------------------------------------------------------
def test_random_layers_in_inference_and_training(tf):
    layers = tf.keras.layers
    for layer in (layers.SpatialDropout1D(0.5), layers.GaussianNoise(0.5),
                  layers.GaussianDropout(0.5), layers.AlphaDropout(0.5)):  # fmt: skip
        close(layer(X3, training=False), X3)
    out = np.asarray(layers.SpatialDropout1D(0.5, seed=3)(np.ones((8, 5, 6), np.float32),
                                                          training=True))  # fmt: skip
    assert set(np.unique(out)) <= {0.0, 2.0} and (out == out[:, :1, :]).all()
    noisy = np.asarray(layers.GaussianNoise(0.3, seed=5)(np.ones((200, 100)), training=True))
    assert abs(noisy.std() - 0.3) < 0.01
    assert set(layers.SpatialDropout2D(0.2).get_config()) == {
        "rate", "seed", "name", "dtype", "data_format",
    }  # fmt: skip
    assert {"rate", "seed"} <= set(layers.AlphaDropout(0.1).get_config())


def test_activity_regularization_loss(tf):
    layer = tf.keras.layers.ActivityRegularization(l1=0.1, l2=0.01)
    close(layer(X3), X3)
    close(layer.losses[0], (0.1 * np.abs(X3).sum() + 0.01 * (X3**2).sum()) / 2, 1e-4)
    cfg = layer.get_config()
    assert (cfg["l1"], cfg["l2"]) == (0.1, 0.01)


# ---- further core layers -------------------------------------------------------------------
def test_embedding(tf):
    table = np.arange(12, dtype=np.float32).reshape(4, 3)
    emb = built(tf.keras.layers.Embedding(4, 3, mask_zero=True), None, [table])
    ids = np.array([[0, 1, 3], [2, 2, 0]])
    close(emb(ids), table[ids])
    assert names(emb) == [("embeddings", (4, 3))]
    close(emb.compute_mask(tf.constant(ids)), ids != 0)
    cfg = tf.keras.layers.Embedding(4, 3).get_config()
    assert cfg["embeddings_initializer"]["class_name"] == "RandomUniform"
    assert {"input_dim", "output_dim", "mask_zero", "embeddings_regularizer"} <= set(cfg)


def test_masking_identity_lambda(tf):
    layers = tf.keras.layers
    x = np.array([[[1.0, 2.0], [5.0, 5.0], [3.0, 0.0]]], np.float32)
    masking = layers.Masking(mask_value=5.0)
    close(masking(x), [[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]])
    close(masking.compute_mask(tf.constant(x)), [[True, False, True]])
    close(layers.Identity()(X3), X3)
    close(layers.Lambda(lambda v: v * 3.0)(X2), X2 * 3)


def test_einsum_dense(tf):
    layers = tf.keras.layers
    k = RNG.normal(size=(6, 2, 3)).astype(np.float32)
    bias = RNG.normal(size=(2, 3)).astype(np.float32)
    layer = built(layers.EinsumDense("abc,cde->abde", output_shape=(None, 2, 3), bias_axes="de"),
                  (None, 4, 6), [k, bias])  # fmt: skip
    assert names(layer) == [("kernel", (6, 2, 3)), ("bias", (2, 3))]
    close(layer(X3), np.einsum("abc,cde->abde", X3, k) + bias, 1e-4)
    left = layers.EinsumDense("...b,bc->...c", output_shape=5, bias_axes="c")
    left.build((None, 4, 6))
    assert names(left) == [("kernel", (6, 5)), ("bias", (5,))]
    right = layers.EinsumDense("ab...,bc->ac...", output_shape=(3,), bias_axes="c")
    right.build((None, 4, 6))
    assert names(right) == [("kernel", (4, 3)), ("bias", (3, 1))]
    cfg = layer.get_config()
    assert cfg["equation"] == "abc,cde->abde" and cfg["bias_axes"] == "de"
    assert tuple(cfg["output_shape"]) == (None, 2, 3)


# ---- errors --------------------------------------------------------------------------------
@pytest.mark.parametrize("case", [
    ("Reshape", lambda L: L.Reshape((-1, -1)), "at most one unknown dimension"),
    ("Reshape call", lambda L: L.Reshape((4,))(X2), "total size"),
    ("Permute", lambda L: L.Permute((1, 3)), "dims=(1, 3)"),
    ("RepeatVector", lambda L: L.RepeatVector(2)(X3), "expected ndim=2, found ndim=3"),
    ("GroupNormalization", lambda L: L.GroupNormalization(groups=4)(X3), "groups (4)"),
    ("Concatenate", lambda L: L.Concatenate()([X2, X3[:, 0]]), "matching shapes"),
    ("Subtract", lambda L: L.Subtract()([X2, X2, X2]), "exactly 2 inputs"),
    ("Dot", lambda L: L.Dot(axes=(1, 1, 1)), "axes=(1, 1, 1)"),
    ("Dot shapes", lambda L: L.Dot(axes=1)([X2, X3[:, 0]]), "axis values 5"),
    ("LeakyReLU", lambda L: L.LeakyReLU(-1), "negative_slope=-1"),
    ("ReLU", lambda L: L.ReLU(max_value=-1), "max_value=-1"),
    ("SpatialDropout1D", lambda L: L.SpatialDropout1D(2), "rate=2"),
    ("GaussianNoise", lambda L: L.GaussianNoise(-1), "stddev=-1"),
    ("Embedding", lambda L: L.Embedding(0, 4), "input_dim=0"),
    ("EinsumDense", lambda L: L.EinsumDense("ab,bc->ad", 3).build((None, 2)), "Dimension 'd'"),
], ids=lambda c: c[0])  # fmt: skip
def test_bad_arguments_raise_value_errors(tf, case):
    _, make, message = case
    with pytest.raises(ValueError) as info:
        make(tf.keras.layers)
    assert message in str(info.value)
