"""Preprocessing layers: NumPy references, adapt from arrays and Datasets, config round trips,
traced == eager, and the random layers' inference identity and training ranges."""

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_components import layers
from tensorhouse_components.data import Dataset

RNG = np.random.default_rng(3)
IMG = RNG.uniform(0, 255, size=(3, 6, 8, 2)).astype(np.float32)


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def traced(layer, x, **kwargs):
    return tf.function(lambda t: layer(t, **kwargs))(tf.constant(x))


def round_trip(layer):
    return layers.deserialize(layers.serialize(layer))


# ---- reference resize (TF's half-pixel centres), written straight from the definition --------
def np_resize_bilinear(img, out_h, out_w):
    def axis_weights(n, m):
        src = np.clip((np.arange(m) + 0.5) * n / m - 0.5, 0, None)
        lo = np.floor(src).astype(int)
        hi = np.minimum(lo + 1, n - 1)
        return lo, hi, src - lo

    h0, h1, fh = axis_weights(img.shape[1], out_h)
    w0, w1, fw = axis_weights(img.shape[2], out_w)
    out = np.zeros((img.shape[0], out_h, out_w, img.shape[3]))
    for i in range(out_h):
        for j in range(out_w):
            top = img[:, h0[i], w0[j]] * (1 - fw[j]) + img[:, h0[i], w1[j]] * fw[j]
            bot = img[:, h1[i], w0[j]] * (1 - fw[j]) + img[:, h1[i], w1[j]] * fw[j]
            out[:, i, j] = top * (1 - fh[i]) + bot * fh[i]
    return out


# ---- Normalization ------------------------------------------------------------------------
def test_normalization_adapt_array_matches_numpy():
    x = RNG.normal(3.0, 2.0, size=(50, 4)).astype(np.float32)
    layer = layers.Normalization()
    layer.adapt(x)
    close(layer.mean, x.mean(0, keepdims=True))
    close(layer.variance, x.var(0, keepdims=True), 1e-4)
    close(layer(x), (x - x.mean(0)) / x.std(0), 1e-4)
    assert [w.name.split("/")[-1].split(":")[0] for w in layer.weights] == [
        "mean", "variance", "count",
    ]  # fmt: skip


def test_normalization_adapt_dataset_and_batches_agree():
    x = RNG.normal(size=(37, 2, 3)).astype(np.float32)
    ref = layers.Normalization(axis=(1, 2))
    ref.adapt(x)
    from_ds = layers.Normalization(axis=(1, 2))
    from_ds.adapt(Dataset.from_tensor_slices(x).batch(5))
    batched = layers.Normalization(axis=(1, 2))
    batched.adapt(x, batch_size=8)
    for other in (from_ds, batched):
        close(other.mean, ref.mean)
        close(other.variance, ref.variance, 1e-5)
    close(ref.mean, x.mean(0, keepdims=True))
    steps = layers.Normalization(axis=(1, 2))
    steps.adapt(Dataset.from_tensor_slices(x).batch(10), steps=2)
    close(steps.mean, x[:20].mean(0, keepdims=True))


def test_normalization_axis_none_scalar_dataset_and_invert():
    values = np.arange(10.0, dtype=np.float32)
    layer = layers.Normalization(axis=None)
    layer.adapt(Dataset.from_tensor_slices(values))
    close(np.ravel(layer.mean), [4.5])
    close(np.ravel(layer.variance), [8.25])
    inv = layers.Normalization(mean=2.0, variance=4.0, invert=True)
    close(inv(np.array([[1.0, 2.0]], np.float32)), [[4.0, 6.0]])


def test_normalization_state_round_trip_and_traced():
    x = RNG.normal(size=(20, 3)).astype(np.float32)
    layer = layers.Normalization()
    layer.adapt(x)
    copy = round_trip(layer)
    copy.set_weights(layer.get_weights())
    close(copy(x), layer(x))
    close(traced(layer, x), layer(x))
    cfg = layer.get_config()
    assert cfg["axis"] == (-1,) and cfg["mean"] is None and cfg["invert"] is False
    given = layers.Normalization(mean=[1.0, 2.0, 3.0], variance=[1.0, 4.0, 9.0])
    again = layers.Normalization.from_config(given.get_config())
    close(again(x), (x - [1.0, 2.0, 3.0]) / [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="both `mean` and `variance`"):
        layers.Normalization(mean=1.0)


# ---- Discretization -----------------------------------------------------------------------
def np_quantile_summary(values, num_bins, epsilon=0.01):
    """Keras's quantile approximation for one batch, written from its definition."""
    v = np.sort(values.ravel()).astype(np.float32)
    step = max(v.size * epsilon, 1)
    picked = v[int(step - 1) :: int(step)]
    weights = np.full(picked.shape, step)
    if picked.size * epsilon >= 1:  # compress to 1 / epsilon points first
        pct = np.arange(0.0, 1.0, epsilon) + epsilon
        cum = np.cumsum(weights)
        picked, weights = (
            np.interp(pct, cum / cum[-1], picked),
            np.diff(np.interp(pct, cum / cum[-1], cum), prepend=0.0),
        )
    pct = np.arange(0.0, 1.0, 1.0 / num_bins) + 1.0 / num_bins
    cum = np.cumsum(weights)
    return np.interp(pct, cum / cum[-1], picked)[:-1]


def test_discretization_adapt_quantiles():
    layer = layers.Discretization(num_bins=3)
    layer.adapt(np.arange(1.0, 11.0))
    close(layer.bin_boundaries, [10 / 3, 20 / 3])
    data = RNG.normal(size=(500,)).astype(np.float32)
    layer = layers.Discretization(num_bins=4)
    layer.adapt(data)
    close(layer.bin_boundaries, np_quantile_summary(data, 4), 1e-5)
    close(layer.bin_boundaries, np.quantile(data, [0.25, 0.5, 0.75]), 0.05)
    from_ds = layers.Discretization(num_bins=4)
    from_ds.adapt(Dataset.from_tensor_slices(data).batch(100))
    close(from_ds.bin_boundaries, np.quantile(data, [0.25, 0.5, 0.75]), 0.1)
    assert round_trip(layer).bin_boundaries == layer.bin_boundaries  # stored in the config


@pytest.mark.parametrize(
    "mode, expected",
    [
        ("int", [[0, 1, 1, 2, 3, 3]]),
        ("count", [[1.0, 2.0, 1.0, 2.0]]),
        ("multi_hot", [[1.0, 1.0, 1.0, 1.0]]),
    ],
)
def test_discretization_modes(mode, expected):
    layer = layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0], output_mode=mode)
    x = np.array([[-1.0, 0.0, 0.5, 1.0, 2.0, 3.0]], np.float32)
    out = layer(x)
    close(out, expected)
    close(traced(layer, x), expected)
    assert out.dtype.name == ("int32" if mode == "int" else "float32")
    one_hot = layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0], output_mode="one_hot")
    close(one_hot(np.array([-1.0, 0.5, 5.0])), np.eye(4)[[0, 1, 3]])


def test_discretization_errors():
    with pytest.raises(ValueError, match="output_mode"):
        layers.Discretization(bin_boundaries=[0.0], output_mode="tf_idf")
    with pytest.raises(ValueError, match="Cannot adapt"):
        layers.Discretization(bin_boundaries=[0.0]).adapt(np.zeros(3))


# ---- CategoryEncoding / IntegerLookup ---------------------------------------------------
def test_category_encoding_matches_numpy():
    ids = np.array([[0, 1, 1, 3], [2, 2, 2, 0]])
    counts = np.stack([np.bincount(r, minlength=5) for r in ids]).astype(np.float32)
    close(layers.CategoryEncoding(5, output_mode="count")(ids), counts)
    close(layers.CategoryEncoding(5)(ids), np.minimum(counts, 1))
    close(
        layers.CategoryEncoding(5, output_mode="one_hot")(np.array([[3], [1]])), np.eye(5)[[3, 1]]
    )
    close(traced(layers.CategoryEncoding(5, output_mode="count"), ids), counts)
    cfg = layers.CategoryEncoding(5, output_mode="count").get_config()
    assert cfg["num_tokens"] == 5 and cfg["output_mode"] == "count"
    with pytest.raises(ValueError, match="output_mode"):
        layers.CategoryEncoding(3, output_mode="int")


def test_integer_lookup_adapt_order_and_oov():
    layer = layers.IntegerLookup()
    layer.adapt(Dataset.from_tensor_slices(np.array([5, 3, 3, 7, 7, 7, 9])).batch(3))
    assert layer.get_vocabulary() == [-1, 7, 3, 9, 5]  # by count, ties by the larger token
    x = np.array([7, 3, 5, 9, 100])
    close(layer(x), [1, 2, 4, 3, 0])
    close(traced(layer, x), [1, 2, 4, 3, 0])
    assert layer(x).dtype.name == "int64"
    assert layer.get_config()["vocabulary_size"] == 5


def test_integer_lookup_mask_multiple_oov_invert():
    layer = layers.IntegerLookup(vocabulary=[12, 36, 1138, 42], num_oov_indices=2, mask_token=0)
    assert layer.get_vocabulary() == [0, -1, -1, 12, 36, 1138, 42]
    close(layer(np.array([[12, 1138, 13, 0, 14]])), [[3, 5, 2, 0, 1]])  # 13 % 2 -> slot 1 + 1
    inv = layers.IntegerLookup(vocabulary=[12, 36, 1138, 42], invert=True)
    close(inv(np.array([1, 3, 0, 4, 9])), [12, 1138, -1, 42, -1])
    copy = round_trip(layer)
    assert copy.get_vocabulary() == layer.get_vocabulary()


def test_integer_lookup_encodings_and_tf_idf():
    layer = layers.IntegerLookup(vocabulary=[12, 36], output_mode="count")
    close(layer(np.array([[12, 36, 36, 7]])), [[1, 1, 2]])
    masked = layers.IntegerLookup(vocabulary=[12, 36], mask_token=0, output_mode="multi_hot")
    close(masked(np.array([[12, 0, 7]])), [[1, 1, 0]])
    given = layers.IntegerLookup(
        vocabulary=[12, 36, 1138, 42], output_mode="tf_idf", idf_weights=[0.25, 0.75, 0.6, 0.4]
    )
    close(given(np.array([[12, 1138, 1138, 13]])), [[0.5, 0.25, 0.0, 1.2, 0.0]])
    learned = layers.IntegerLookup(output_mode="tf_idf")
    learned.adapt(np.array([[12, 36, 36], [12, 5, 99]]))
    idf = {36: np.log(2.0), 12: np.log(1 + 2 / 3), 99: np.log(2.0), 5: np.log(2.0)}
    oov = np.mean(list(idf.values()))
    expected = [[oov, 2 * idf[36], idf[12], 0.0, idf[5]]]
    close(learned(np.array([[12, 36, 36, 5, 7]])), expected)
    close(traced(learned, np.array([[12, 36, 36, 5, 7]])), expected)


def test_integer_lookup_max_tokens_padding_and_no_oov():
    layer = layers.IntegerLookup(max_tokens=3)
    layer.adapt(np.array([1, 1, 1, 2, 2, 3]))
    assert layer.get_vocabulary() == [-1, 1, 2]
    padded = layers.IntegerLookup(
        max_tokens=5, pad_to_max_tokens=True, output_mode="multi_hot", vocabulary=[4, 5]
    )
    close(padded(np.array([[4, 9]])), [[1, 1, 0, 0, 0]])
    no_oov = layers.IntegerLookup(vocabulary=[12, 36], num_oov_indices=0, mask_token=0)
    close(no_oov(np.array([12, 36, 0])), [1, 2, 0])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"found OOV values \[7\]"):
        no_oov(np.array([12, 36, 7, 0]))
    inv = layers.IntegerLookup(vocabulary=[12, 36], mask_token=0, invert=True)
    close(inv(np.array([0, 1, 2, 3, 4])), [0, -1, 12, 36, -1])
    with pytest.raises(ValueError, match="repeated"):
        layers.IntegerLookup(vocabulary=[1, 2, 1])


# ---- Rescaling, crops, resizing ------------------------------------------------------------
def test_rescaling_and_center_crop():
    close(layers.Rescaling(1 / 255, offset=-1.0)(IMG), IMG / 255 - 1, 1e-6)
    crop = layers.CenterCrop(4, 5)
    close(crop(IMG), IMG[:, 1:5, 1:6])
    close(traced(crop, IMG), IMG[:, 1:5, 1:6])
    up = layers.CenterCrop(8, 4)  # taller than the input: crop to 1:2 then resize up
    close(up(IMG), np_resize_bilinear(IMG[:, :, 2:5], 8, 4), 1e-3)
    cfg = crop.get_config()
    assert (cfg["height"], cfg["width"], cfg["data_format"]) == (4, 5, "channels_last")


@pytest.mark.parametrize("size", [(3, 5), (9, 11), (6, 4)])
def test_resizing_bilinear_matches_reference(size):
    layer = layers.Resizing(*size)
    close(layer(IMG), np_resize_bilinear(IMG, *size), 1e-3)
    close(traced(layer, IMG), layer(IMG))


def test_resizing_nearest_crop_and_channels_first():
    near = layers.Resizing(3, 5, interpolation="nearest")
    rows = np.minimum(np.floor((np.arange(3) + 0.5) * 6 / 3), 5).astype(int)
    cols = np.minimum(np.floor((np.arange(5) + 0.5) * 8 / 5), 7).astype(int)
    close(near(IMG), IMG[:, rows][:, :, cols])
    crop = layers.Resizing(6, 6, crop_to_aspect_ratio=True)
    close(crop(IMG), IMG[:, :, 1:7])
    first = layers.Resizing(3, 5, data_format="channels_first")
    close(
        first(IMG.transpose(0, 3, 1, 2)), layers.Resizing(3, 5)(IMG).numpy().transpose(0, 3, 1, 2)
    )
    again = round_trip(crop)
    assert again.crop_to_aspect_ratio and again.height == 6


# ---- random layers -------------------------------------------------------------------------
RANDOM = [
    (layers.RandomFlip, {"seed": 1}),
    (layers.RandomContrast, {"factor": 0.5, "seed": 1}),
    (layers.RandomBrightness, {"factor": 0.3, "seed": 1}),
    (layers.RandomCrop, {"height": 6, "width": 8, "seed": 1}),
]


@pytest.mark.parametrize("cls, kwargs", RANDOM)
def test_random_layers_identity_at_inference(cls, kwargs):
    layer = cls(**kwargs)
    close(layer(IMG, training=False), IMG)
    close(traced(layer, IMG, training=False), IMG)
    cfg = round_trip(layer).get_config()
    assert cfg == layer.get_config() | {"name": cfg["name"]}


def test_random_flip_each_image_is_a_flip():
    layer = layers.RandomFlip(seed=3)
    seen = set()
    for _ in range(6):
        out = np.asarray(traced(layer, IMG, training=True))
        for i in range(3):
            # Keras draws once per image: both axes flip together, or neither does.
            if np.array_equal(out[i], IMG[i]):
                seen.add("none")
            else:
                assert np.array_equal(out[i], IMG[i, ::-1, ::-1])
                seen.add("both")
    assert seen == {"none", "both"}
    for mode, index in (("horizontal", np.s_[:, ::-1]), ("vertical", np.s_[::-1, :])):
        out = np.asarray(layers.RandomFlip(mode, seed=4)(IMG))
        for i in range(3):
            assert np.array_equal(out[i], IMG[i]) or np.array_equal(out[i], IMG[i][index])


def test_random_contrast_factor_range():
    layer = layers.RandomContrast(0.5, seed=2)
    assert layer.factor == (0, 0.5)  # Keras: a number f means contrast in [1, 1 + f]
    x = RNG.uniform(100, 150, size=(8, 5, 5, 1)).astype(np.float32)
    out = np.asarray(layer(x))
    mean = x.mean(axis=(1, 2), keepdims=True)
    c = ((out - mean) / (x - mean)).reshape(8, -1)
    close(c, np.repeat(c[:, :1], 25, axis=1), 1e-3)  # one factor per image
    assert np.all((c >= 1 - 1e-4) & (c <= 1.5 + 1e-4))
    assert c[:, 0].std() > 0
    with pytest.raises(ValueError, match=r"in the range \[0, 1\]"):
        layers.RandomContrast(1.5)


def test_random_brightness_range_and_clip():
    layer = layers.RandomBrightness((-0.2, 0.1), value_range=(0, 1), seed=5)
    x = RNG.uniform(0.3, 0.6, size=(10, 4, 4, 3)).astype(np.float32)
    delta = (np.asarray(traced(layer, x, training=True)) - x).reshape(10, -1)
    close(delta, np.repeat(delta[:, :1], 48, axis=1), 1e-5)
    assert np.all((delta >= -0.2 - 1e-6) & (delta <= 0.1 + 1e-6))
    clipped = layers.RandomBrightness((0.9, 1.0), value_range=(0, 1), seed=5)(x)
    close(clipped, np.ones_like(x))


def test_random_crop_is_a_window():
    layer = layers.RandomCrop(3, 4, seed=7)
    starts = set()
    for _ in range(5):
        out = np.asarray(layer(IMG))
        assert out.shape == (3, 3, 4, 2)
        hits = [
            (h, w) for h in range(4) for w in range(5)
            if np.array_equal(out, IMG[:, h : h + 3, w : w + 4])
        ]  # fmt: skip
        assert hits
        starts.add(hits[0])
    assert len(starts) > 1
    assert layers.RandomCrop(2, 2).get_config()["seed"] is not None  # Keras draws one


# ---- affine layers -------------------------------------------------------------------------
SQ = np.arange(25, dtype=np.float32).reshape(1, 5, 5, 1) + 1.0


def np_shift_rows(x, k, fill_mode, fill_value=0.0):
    """Rows of ``x`` (1, h, w, 1) moved down by ``k``: row y reads row y - k, folded."""
    h = x.shape[1]
    out = np.empty_like(x)
    for y in range(h):
        s = y - k
        if 0 <= s < h:
            out[:, y] = x[:, s]
        elif fill_mode == "constant":
            out[:, y] = fill_value
        elif fill_mode == "nearest":
            out[:, y] = x[:, min(max(s, 0), h - 1)]
        elif fill_mode == "wrap":
            out[:, y] = x[:, s % h]
        else:  # reflect: d c b a | a b c d
            out[:, y] = x[:, -s - 1 if s < 0 else 2 * h - s - 1]
    return out


@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_random_translation_integer_shift(fill_mode, interpolation):
    layer = layers.RandomTranslation(
        (0.4, 0.4), 0.0, fill_mode=fill_mode, interpolation=interpolation, fill_value=-3.0
    )
    expected = np_shift_rows(SQ, 2, fill_mode, -3.0)
    close(layer(SQ), expected, 1e-4)
    close(traced(layer, SQ, training=True), expected, 1e-4)


def test_random_translation_half_pixel_is_an_average():
    layer = layers.RandomTranslation(0.0, (0.1, 0.1), fill_mode="nearest")  # 0.5 px right
    x = SQ[0, :, :, 0]
    expected = 0.5 * (x + np.concatenate([x[:, :1], x[:, :-1]], axis=1))
    close(np.asarray(layer(SQ))[0, :, :, 0], expected, 1e-4)


def test_random_rotation_quarter_turn_and_range():
    quarter = layers.RandomRotation((0.25, 0.25))
    close(quarter(SQ)[0, :, :, 0], np.rot90(SQ[0, :, :, 0], 1), 1e-4)
    first = layers.RandomRotation((0.25, 0.25), data_format="channels_first")
    close(first(SQ.transpose(0, 3, 1, 2))[0, 0], np.rot90(SQ[0, :, :, 0], 1), 1e-4)
    layer = layers.RandomRotation(0.1, seed=4)
    assert layer.factor == (-0.1, 0.1)
    x = np.zeros((4, 9, 9, 1), np.float32)
    x[:, 4, 8] = 1.0  # one dot on the right edge of the centre row
    out = np.asarray(layer(x, training=True))[..., 0]
    for img in out:
        y, c = np.unravel_index(np.argmax(img), img.shape)
        angle = np.degrees(np.arctan2(4 - y, c - 4))  # the dot turns by at most 36 degrees
        assert abs(angle) <= 36 + 8
    close(layer(x, training=False), x)


def test_random_zoom_formula_and_config():
    layer = layers.RandomZoom((-0.5, -0.5), interpolation="nearest")
    src = np.floor(0.5 * np.arange(5) + 1.0 + 0.5).astype(int)  # 2x zoom in about the centre
    close(layer(SQ)[0, :, :, 0], SQ[0, :, :, 0][src][:, src])
    out = np.asarray(layers.RandomZoom((0.0, 0.0), (1.0, 1.0), fill_mode="constant")(SQ))[0, ..., 0]
    # width zoomed out 2x: column x reads 2x - 2 (columns 0 and 4 fall outside: filled with 0)
    close(out[:, 1:4], SQ[0, :, [0, 2, 4], 0].T)
    close(out[:, [0, 4]], 0.0)
    zoom = layers.RandomZoom(0.2, seed=1)
    cfg = zoom.get_config()
    assert cfg["height_factor"] == 0.2 and cfg["width_factor"] is None
    assert round_trip(zoom).get_config() == cfg
    with pytest.raises(ValueError, match="height_factor"):
        layers.RandomZoom(-1.0)
    with pytest.raises(NotImplementedError, match="fill_mode"):
        layers.RandomRotation(0.1, fill_mode="mirror")


# ---- the shared layer checks (shapes, symbolic call, config round trip, eager == traced) ------
@pytest.mark.parametrize(
    "cls, kwargs, shape, out_shape, extra",
    [
        (layers.Rescaling, {"scale": 0.5, "offset": 1.0}, (2, 3, 4), (2, 3, 4), {}),
        (layers.Normalization, {"mean": 0.5, "variance": 2.0}, (2, 3), (2, 3), {}),
        (layers.Normalization, {}, (2, 3), (2, 3), {"expected_num_non_trainable_weights": 3}),
        (layers.Resizing, {"height": 5, "width": 3}, (2, 4, 6, 2), (2, 5, 3, 2), {}),
        (layers.CenterCrop, {"height": 2, "width": 3}, (2, 4, 6, 2), (2, 2, 3, 2), {}),
        (layers.RandomFlip, {"seed": 1}, (2, 4, 6, 2), (2, 4, 6, 2), {"random": True}),
        (layers.RandomRotation, {"factor": 0.2, "seed": 1}, (2, 4, 6, 2), (2, 4, 6, 2),
         {"random": True}),
        (layers.RandomZoom, {"height_factor": 0.2, "seed": 1}, (2, 4, 6, 2), (2, 4, 6, 2),
         {"random": True}),
    ],
)  # fmt: skip
def test_run_layer_test(cls, kwargs, shape, out_shape, extra):
    from tensorhouse_components.testing import run_layer_test

    extra = dict(extra)
    random_layer = extra.pop("random", False)
    run_layer_test(
        cls,
        kwargs,
        input_shape=shape,
        expected_output_shape=out_shape,
        random_in_training=random_layer,
        call_kwargs={"training": False} if random_layer else None,  # no flag: Keras trains
        check_gradients=not random_layer,
        **extra,
    )
