"""tf.keras.layers preprocessing (the numeric half): adapted statistics, outputs of the
deterministic layers, the random layers at inference, and config keys, as Keras 3.15 has them."""

import numpy as np
import pytest

RNG = np.random.default_rng(21)
X = RNG.normal(2.0, 3.0, size=(40, 3)).astype(np.float32)
IMG = np.arange(2 * 4 * 4 * 1, dtype=np.float32).reshape(2, 4, 4, 1)


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def keys(layer):
    return sorted(layer.get_config())


BASE = ["dtype", "name", "trainable"]


def test_normalization_adapt(tf):
    layer = tf.keras.layers.Normalization()
    layer.adapt(X)
    close(layer.mean, X.mean(0, keepdims=True))
    close(layer.variance, X.var(0, keepdims=True), 1e-4)
    close(layer(X), (X - X.mean(0)) / X.std(0), 1e-4)
    weights = layer.get_weights()
    assert [np.shape(w) for w in weights] == [(3,), (3,), ()]
    assert keys(layer) == sorted(BASE + ["axis", "invert", "mean", "variance"])
    from_ds = tf.keras.layers.Normalization()
    from_ds.adapt(tf.data.Dataset.from_tensor_slices(X).batch(7))
    close(from_ds.mean, layer.mean)
    close(from_ds.variance, layer.variance, 1e-4)


def test_normalization_axis_and_invert(tf):
    x = np.arange(24.0, dtype=np.float32).reshape(2, 3, 4)
    layer = tf.keras.layers.Normalization(axis=(1, 2))
    layer.adapt(x)
    assert tuple(np.shape(layer.mean)) == (1, 3, 4)
    close(layer.mean, x.mean(0, keepdims=True))
    inv = tf.keras.layers.Normalization(mean=2.0, variance=4.0, invert=True)
    close(inv(np.array([[1.0, 2.0]], np.float32)), [[4.0, 6.0]])
    assert inv.get_config()["mean"] == 2.0 and inv.get_config()["invert"] is True


def test_discretization_adapt_and_modes(tf):
    layer = tf.keras.layers.Discretization(num_bins=3)
    layer.adapt(np.arange(1.0, 11.0))
    close(layer.bin_boundaries, [10 / 3, 20 / 3])
    layer = tf.keras.layers.Discretization(num_bins=4, epsilon=0.01)
    layer.adapt(np.random.default_rng(0).normal(size=(100,)).astype(np.float32))
    close(layer.bin_boundaries, [-0.6538287401199341, 0.052028920501470566, 0.6960425972938538])
    assert layer.get_config()["bin_boundaries"] == layer.bin_boundaries
    assert keys(layer) == sorted(
        ["bin_boundaries", "dtype", "epsilon", "name", "num_bins", "output_mode", "sparse"]
    )
    x = np.array([[-1.0, 0.0, 0.5, 1.0, 2.0, 3.0]], np.float32)
    ints = tf.keras.layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0])(x)
    close(ints, [[0, 1, 1, 2, 3, 3]])
    assert ints.dtype.name == "int32"
    count = tf.keras.layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0], output_mode="count")
    close(count(x), [[1.0, 2.0, 1.0, 2.0]])


def test_category_encoding(tf):
    enc = tf.keras.layers.CategoryEncoding
    close(enc(4, output_mode="count")(np.array([[0, 1, 1, 3]])), [[1.0, 2.0, 0.0, 1.0]])
    close(enc(4)(np.array([0, 1, 3])), [1.0, 1.0, 0.0, 1.0])  # rank 1: one sample
    close(enc(4, output_mode="one_hot")(np.array([0, 1, 3])), np.eye(4)[[0, 1, 3]])
    assert enc(4, output_mode="one_hot")(np.array([[0, 1], [3, 2]])).shape == (2, 2, 4)
    assert keys(enc(4)) == sorted(BASE + ["num_tokens", "output_mode"])


def test_integer_lookup(tf):
    layer = tf.keras.layers.IntegerLookup()
    layer.adapt(np.array([5, 3, 3, 7, 7, 7, 9]))
    assert [int(v) for v in layer.get_vocabulary()] == [-1, 7, 3, 9, 5]
    close(layer(np.array([7, 3, 5, 9, 100])), [1, 2, 4, 3, 0])
    cfg = layer.get_config()
    assert cfg["vocabulary_size"] == 5 and cfg["vocabulary"] is None
    assert keys(layer) == sorted(BASE + [
        "invert", "max_tokens", "num_oov_indices", "oov_token", "mask_token", "output_mode",
        "sparse", "pad_to_max_tokens", "vocabulary_dtype", "idf_weights", "vocabulary",
        "vocabulary_size", "oov_method", "salt",
    ])  # fmt: skip
    masked = tf.keras.layers.IntegerLookup(
        vocabulary=[12, 36, 1138, 42], num_oov_indices=2, mask_token=0
    )
    close(masked(np.array([[12, 1138, 13, 0, 14]])), [[3, 5, 2, 0, 1]])
    inv = tf.keras.layers.IntegerLookup(vocabulary=[12, 36, 1138, 42], invert=True)
    close(inv(np.array([1, 3, 0, 4])), [12, 1138, -1, 42])
    tfidf = tf.keras.layers.IntegerLookup(output_mode="tf_idf")
    tfidf.adapt(np.array([[12, 36, 36], [12, 5, 99]]))
    close(
        tfidf(np.array([[12, 36, 36, 5, 7]])),
        [[0.6475668, 1.3862944, 0.51082563, 0.0, 0.6931472]],
    )
    multi = tf.keras.layers.IntegerLookup(
        vocabulary=[12, 36], mask_token=0, output_mode="multi_hot"
    )
    close(multi(np.array([[12, 0, 7]])), [[1, 1, 0]])


def test_rescaling_center_crop_resizing(tf):
    L = tf.keras.layers
    close(L.Rescaling(2.0, offset=1.0)(IMG), IMG * 2 + 1)
    close(L.CenterCrop(2, 3)(IMG)[0, ..., 0], [[4, 5, 6], [8, 9, 10]])
    close(
        L.CenterCrop(6, 3)(IMG)[0, :3, :, 0],
        [[1.0, 1.5, 2.0], [3.0, 3.5, 4.0], [5.666667, 6.166667, 6.666667]],
    )
    close(
        L.Resizing(3, 5)(IMG)[0, ..., 0],
        [
            [0.66666675, 1.3666668, 2.1666667, 2.9666667, 3.6666667],
            [6.0, 6.7, 7.5, 8.3, 9.0],
            [11.333334, 12.033334, 12.833334, 13.633334, 14.333334],
        ],
    )
    close(
        L.Resizing(3, 5, interpolation="nearest")(IMG)[0, ..., 0],
        [[0, 1, 2, 2, 3], [8, 9, 10, 10, 11], [12, 13, 14, 14, 15]],
    )
    close(L.Resizing(2, 2)(IMG)[0, ..., 0], [[2.5, 4.5], [10.5, 12.5]])
    close(
        L.Resizing(2, 4, crop_to_aspect_ratio=True)(IMG)[0, ..., 0], [[4, 5, 6, 7], [8, 9, 10, 11]]
    )
    assert keys(L.Resizing(2, 2)) == sorted(BASE + [
        "data_format", "height", "width", "interpolation", "crop_to_aspect_ratio",
        "pad_to_aspect_ratio", "fill_mode", "fill_value", "antialias",
    ])  # fmt: skip
    assert keys(L.CenterCrop(2, 2)) == sorted(BASE + ["data_format", "height", "width"])


@pytest.mark.parametrize(
    "name, kwargs, extra",
    [
        ("RandomFlip", {"seed": 1}, ["data_format", "seed", "mode"]),
        ("RandomContrast", {"factor": 0.2, "seed": 1},
         ["data_format", "factor", "value_range", "seed"]),
        ("RandomBrightness", {"factor": 0.2, "seed": 1},
         ["data_format", "factor", "value_range", "seed"]),
        ("RandomCrop", {"height": 2, "width": 2, "seed": 1},
         ["data_format", "height", "width", "seed"]),
    ],
)  # fmt: skip
def test_random_layers(tf, name, kwargs, extra):
    layer = getattr(tf.keras.layers, name)(**kwargs)
    close(layer(IMG, training=False), IMG)
    assert keys(layer) == sorted(BASE + extra)
    out = np.asarray(layer(IMG))  # no flag: Keras transforms (training defaults to true)
    if name == "RandomCrop":
        assert out.shape == (2, 2, 2, 1)
    else:
        assert out.shape == IMG.shape


def test_random_factors(tf):
    L = tf.keras.layers
    assert tuple(L.RandomContrast(0.2).factor) == (0, 0.2)
    assert tuple(L.RandomContrast((0.3, 0.1)).factor) == (0.1, 0.3)
    assert tuple(L.RandomBrightness(0.5).factor) == (-0.5, 0.5)
    assert list(L.RandomBrightness(0.1, value_range=(1, 0)).value_range) == [0, 1]
    with pytest.raises(ValueError, match="factor"):
        L.RandomContrast(1.5)
    contrast = L.RandomContrast((0.0, 0.5), seed=3)
    x = RNG.uniform(100, 150, size=(6, 5, 5, 1)).astype(np.float32)
    mean = x.mean(axis=(1, 2), keepdims=True)
    c = ((np.asarray(contrast(x, training=True)) - mean) / (x - mean)).reshape(6, -1)
    assert np.all((c > 1 - 1e-3) & (c < 1.5 + 1e-3))


SQ = np.arange(25, dtype=np.float32).reshape(1, 5, 5, 1) + 1.0


@pytest.mark.parametrize(
    "fill_mode, first_rows",
    [
        ("reflect", [[6, 7, 8, 9, 10], [1, 2, 3, 4, 5]]),
        ("wrap", [[16, 17, 18, 19, 20], [21, 22, 23, 24, 25]]),
        ("constant", [[-3] * 5, [-3] * 5]),
        ("nearest", [[1, 2, 3, 4, 5], [1, 2, 3, 4, 5]]),
    ],
)
def test_random_translation_fill_modes(tf, fill_mode, first_rows):
    layer = tf.keras.layers.RandomTranslation((0.4, 0.4), 0.0, fill_mode=fill_mode, fill_value=-3.0)
    out = np.asarray(layer(SQ, training=True))[0, :, :, 0]
    close(out[:2], first_rows, 1e-4)
    close(out[2:], SQ[0, :3, :, 0], 1e-4)


def test_random_rotation_values(tf):
    x = np.arange(30, dtype=np.float32).reshape(1, 5, 6, 1) + 1.0
    out = np.asarray(tf.keras.layers.RandomRotation((0.1, 0.1))(x, training=True))[0, :, :, 0]
    close(out[0], [3.178011, 3.462045, 4.7995024, 9.135231, 13.470959, 17.108574], 1e-4)
    close(out[4], [13.891426, 17.529043, 21.864767, 26.200497, 27.537956, 27.821987], 1e-4)
    quarter = tf.keras.layers.RandomRotation((0.25, 0.25))(SQ, training=True)
    close(np.asarray(quarter)[0, :, :, 0], np.rot90(SQ[0, :, :, 0], 1), 1e-4)
    layer = tf.keras.layers.RandomRotation(0.2, seed=1)
    close(layer(SQ, training=False), SQ)
    assert keys(layer) == sorted(BASE + [
        "data_format", "factor", "fill_mode", "fill_value", "interpolation", "seed",
    ])  # fmt: skip
    assert tuple(layer.get_config()["factor"]) == (-0.2, 0.2)


def test_random_zoom_values(tf):
    layer = tf.keras.layers.RandomZoom((-0.5, -0.5), interpolation="nearest")
    src = [1, 2, 2, 3, 3]
    close(np.asarray(layer(SQ, training=True))[0, :, :, 0], SQ[0, :, :, 0][src][:, src])
    zoom = tf.keras.layers.RandomZoom(0.2, seed=1)
    close(zoom(SQ, training=False), SQ)
    assert keys(zoom) == sorted(BASE + [
        "data_format", "height_factor", "width_factor", "fill_mode", "interpolation", "seed",
        "fill_value",
    ])  # fmt: skip
    with pytest.raises(ValueError):
        tf.keras.layers.RandomZoom(-1.0)


def test_random_flip_draws_once_per_image(tf):
    x = RNG.normal(size=(6, 3, 4, 2)).astype(np.float32)
    layer = tf.keras.layers.RandomFlip(seed=5)
    kinds = set()
    for _ in range(4):
        out = np.asarray(layer(x, training=True))
        for i in range(6):
            if np.array_equal(out[i], x[i]):
                kinds.add("none")
            else:  # horizontal_and_vertical: both axes flip together
                np.testing.assert_array_equal(out[i], x[i, ::-1, ::-1])
                kinds.add("both")
    assert kinds == {"none", "both"}
