"""Keras 3.15's colour augmentation layers against NumPy references written from their
definitions: the deterministic layers (AutoContrast, Equalization, CLAHE) outright, the random
ones where the draw is pinned (factor ranges of zero width, probabilities 0 and 1); output dtypes
and config keys as Keras has them."""

import numpy as np
import pytest

RNG = np.random.default_rng(14)
IMG = RNG.integers(0, 256, size=(2, 6, 7, 3)).astype(np.float32)
U8 = IMG.astype(np.uint8)
BASE = ["data_format", "dtype", "name", "trainable"]


def close(a, b, tol=1e-3):
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b), rtol=tol, atol=tol)


def gray(x):
    return x[..., :1] * 0.2989 + x[..., 1:2] * 0.5870 + x[..., 2:3] * 0.1140


# ---- deterministic layers ------------------------------------------------------------------
def np_auto_contrast(x, low=0.0, high=255.0):
    y = (x - low) / (high - low) * 255.0
    lo, hi = y.min(axis=(1, 2), keepdims=True), y.max(axis=(1, 2), keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.clip((y - lo) * (255.0 / (hi - lo)), 0, 255) / 255.0 * (high - low) + low
    return np.where(hi == lo, x, out)  # a constant channel passes unchanged


def test_auto_contrast(tf):
    x = IMG.copy()
    x[1, ..., 2] = 7.0  # a constant channel
    layer = tf.keras.layers.AutoContrast()
    out = layer(x)
    assert out.dtype == tf.float32
    close(out, np_auto_contrast(x))
    close(layer(x, training=False), np_auto_contrast(x))
    close(tf.keras.layers.AutoContrast(value_range=(1, 0))(x / 255.0), np_auto_contrast(x) / 255.0)
    assert tf.keras.layers.AutoContrast()(U8).dtype == tf.float32
    assert sorted(layer.get_config()) == sorted(BASE + ["value_range"])
    assert layer.get_config()["value_range"] == [0, 255]


def np_equalize(x, bins=256, low=0.0, high=255.0):
    """Per channel, one histogram over the whole batch (Keras's)."""
    x = (x - low) * (255.0 / (high - low))
    out = np.empty_like(x, dtype=np.float64)
    for c in range(x.shape[-1]):
        ch = x[..., c]
        index = np.clip((ch * (bins - 1) / 255.0).astype(np.int32), 0, bins - 1)
        hist = np.bincount(index.ravel(), minlength=bins)
        if np.count_nonzero(hist) <= 1:
            out[..., c] = ch
            continue
        cdf = np.cumsum(hist)
        cdf_min = cdf[np.nonzero(cdf)[0][0]]
        table = np.clip(np.round((cdf - cdf_min) * 255 / max(cdf[-1] - cdf_min, 1)), 0, 255)
        out[..., c] = table[np.clip(ch / 255.0 * (bins - 1), 0, bins - 1).astype(np.int32)]
    return out * ((high - low) / 255.0) + low


def test_equalization(tf):
    x = IMG.copy()
    x[..., 1] = np.minimum(x[..., 1], 40.0) / 4.0  # a dark channel, stretched
    x[..., 2] = 9.0  # one bin: unchanged
    layer = tf.keras.layers.Equalization()
    close(layer(x), np_equalize(x))
    close(tf.keras.layers.Equalization(bins=16)(x), np_equalize(x, bins=16))
    close(tf.keras.layers.Equalization(value_range=(0, 1))(x / 255.0), np_equalize(x) / 255.0)
    close(layer(x[0]), np_equalize(x[:1])[0])
    first = tf.keras.layers.Equalization(data_format="channels_first")
    close(first(np.moveaxis(x, -1, 1)), np.moveaxis(np_equalize(x), -1, 1))
    # Keras's code equalizes only while training: the input passes through at inference
    kept = layer(U8, training=False)
    assert kept.dtype == tf.uint8
    close(kept, U8)
    assert sorted(layer.get_config()) == sorted(BASE + ["bins", "value_range"])


def np_clahe(x, clip_limit=4.0, grid=(8, 8)):
    """CLAHE as Keras 3.15 computes it, on a (batch, h, w, c) float image in [0, 255]."""
    b, h, w, c = x.shape
    gh, gw = grid
    th, tw = -(-h // gh), -(-w // gw)
    xp = np.pad(x, [(0, 0), (0, th * gh - h), (0, tw * gw - w), (0, 0)], mode="symmetric")
    tiles = xp.reshape(b, gh, th, gw, tw, c).transpose(0, 1, 3, 5, 2, 4)
    tiles = np.clip(tiles.astype(np.int32), 0, 255).reshape(b, gh, gw, c, th * tw)
    hist = np.zeros((b, gh, gw, c, 256))
    for idx in np.ndindex(b, gh, gw, c):
        hist[idx] = np.bincount(tiles[idx], minlength=256)
    if clip_limit > 0:
        clipped = np.minimum(hist, clip_limit * th * tw / 256.0)
        hist = clipped + (hist - clipped).sum(-1, keepdims=True) / 256.0
    cdf = np.cumsum(hist, -1)
    cdf_min = cdf.min(-1, keepdims=True)
    den = th * tw - cdf_min
    cdf = np.clip((cdf - cdf_min) * 255.0 / np.where(den == 0, 1, den), 0, 255)
    cdf = np.pad(cdf, [(0, 0), (1, 1), (1, 1), (0, 0), (0, 0)], mode="edge")

    def grid_of(n, tile, count):
        g = (np.arange(n) - tile / 2.0) / tile + 1.0
        low = np.floor(g)
        return (np.clip(low, 0, count + 1).astype(int), np.clip(low + 1, 0, count + 1).astype(int),
                g - low)  # fmt: skip

    y0, y1, wy = grid_of(th * gh, th, gh)
    x0, x1, wx = grid_of(tw * gw, tw, gw)
    pix = np.clip(xp, 0, 255).astype(int)
    bi, ci = np.arange(b)[:, None, None, None], np.arange(c)[None, None, None, :]

    def at(yi, xi):
        return cdf[bi, yi[None, :, None, None], xi[None, None, :, None], ci, pix]

    wx, wy = wx[None, None, :, None], wy[None, :, None, None]
    top = at(y0, x0) * (1 - wx) + at(y0, x1) * wx
    bottom = at(y1, x0) * (1 - wx) + at(y1, x1) * wx
    return (top * (1 - wy) + bottom * wy)[:, :h, :w]


def test_clahe(tf):
    x = RNG.integers(60, 120, size=(2, 10, 9, 3)).astype(np.float32)
    layer = tf.keras.layers.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(3, 2))
    close(layer(x), np_clahe(x, grid=(3, 2)), 1e-2)
    no_clip = tf.keras.layers.ContrastLimitedAdaptiveHistogramEqualization(
        clip_limit=0.0, tile_grid_size=(2, 3), value_range=(0, 1)
    )
    close(no_clip(x / 255.0, training=False), np_clahe(x, 0.0, (2, 3)) / 255.0, 1e-4)
    out = layer(x.astype(np.uint8))
    assert out.dtype == tf.uint8  # the input's dtype, truncated as a cast truncates
    close(out, np.floor(np_clahe(x, grid=(3, 2)) + 1e-3), 1.0)
    assert sorted(layer.get_config()) == sorted(
        BASE + ["value_range", "clip_limit", "tile_grid_size"]
    )


# ---- random layers, draws pinned -----------------------------------------------------------
def test_solarization(tf):
    layer = tf.keras.layers.Solarization()  # threshold 0: every value inverted
    close(layer(IMG), 255.0 - IMG)
    close(tf.keras.layers.Solarization(value_range=(0, 1))(IMG / 255.0), 1.0 - IMG / 255.0)
    close(layer(U8, training=False), IMG)
    assert layer(U8, training=False).dtype == tf.float32
    # a threshold drawn in [0.5, 127.5): values >= 127.5 always invert, 0 never
    x = np.array([0.0, 130.0, 255.0], np.float32).reshape(1, 1, 3, 1)
    close(tf.keras.layers.Solarization(threshold_factor=(0.5, 0.5))(x).numpy().ravel(),
          [0.0, 125.0, 0.0])  # fmt: skip
    assert tf.keras.layers.Solarization(0.5, (0.2, 0.1)).get_config()["threshold_factor"] == (
        0.1, 0.2,
    )  # fmt: skip
    assert sorted(layer.get_config()) == sorted(
        BASE + ["value_range", "addition_factor", "threshold_factor", "seed"]
    )
    with pytest.raises(ValueError, match="addition_factor"):
        tf.keras.layers.Solarization(addition_factor=1.5)


def test_random_color_degeneration(tf):
    layer = tf.keras.layers.RandomColorDegeneration((0.5, 0.5), seed=1)
    close(layer(IMG), np.clip(IMG + 0.5 * (gray(IMG) - IMG), 0, 255))
    close(tf.keras.layers.RandomColorDegeneration((1.0, 1.0))(IMG[0]),
          np.broadcast_to(gray(IMG[0]), IMG[0].shape))  # fmt: skip
    kept = layer(U8, training=False)
    assert kept.dtype == tf.uint8
    assert tuple(tf.keras.layers.RandomColorDegeneration(0.5).factor) == (-0.5, 0.5)
    assert sorted(layer.get_config()) == sorted(BASE + ["factor", "value_range", "seed"])


def test_random_grayscale(tf):
    always = tf.keras.layers.RandomGrayscale(1.0)
    expect = np.broadcast_to(gray(IMG), IMG.shape)
    close(always(IMG), expect)
    out = always(U8)
    assert out.dtype == tf.uint8
    close(out, np.floor(expect + 1e-3), 1.0)
    close(tf.keras.layers.RandomGrayscale(0.0)(IMG), IMG)
    first = tf.keras.layers.RandomGrayscale(1.0, data_format="channels_first")
    close(first(np.moveaxis(IMG, -1, 1)), np.moveaxis(expect, -1, 1))
    assert sorted(always.get_config()) == sorted(BASE + ["factor"])
    with pytest.raises(ValueError, match="factor"):
        tf.keras.layers.RandomGrayscale(1.5)


def test_random_hue(tf):
    # a half turn either way maps each pixel (r, g, b) to max + min - (r, g, b)
    layer = tf.keras.layers.RandomHue((1.0, 1.0), seed=2)
    turned = IMG.max(-1, keepdims=True) + IMG.min(-1, keepdims=True) - IMG
    close(layer(IMG), turned, 2e-2)
    close(tf.keras.layers.RandomHue(0.0)(IMG), IMG, 2e-2)
    first = tf.keras.layers.RandomHue((1.0, 1.0), data_format="channels_first")
    close(first(np.moveaxis(IMG, -1, 1)), np.moveaxis(turned, -1, 1), 2e-2)
    assert tuple(tf.keras.layers.RandomHue(0.4).factor) == (0, 0.4)
    assert sorted(layer.get_config()) == sorted(BASE + ["factor", "value_range", "seed"])


def test_random_saturation(tf):
    # scaling HSV saturation by f keeps value and hue: c -> max - f * (max - c)
    f = np.float32(0.3) / (np.float32(0.7) + np.float32(1e-7))
    layer = tf.keras.layers.RandomSaturation((0.3, 0.3), seed=3)
    mx = IMG.max(-1, keepdims=True)
    close(layer(IMG), mx - f * (mx - IMG), 2e-2)
    close(tf.keras.layers.RandomSaturation((0.0, 0.0))(IMG), np.broadcast_to(mx, IMG.shape), 2e-2)
    first = tf.keras.layers.RandomSaturation((0.3, 0.3), data_format="channels_first")
    close(first(np.moveaxis(IMG, -1, 1)), np.moveaxis(mx - f * (mx - IMG), -1, 1), 2e-2)
    with pytest.raises(ValueError, match="float"):
        layer(U8)  # HSV needs float images
    assert sorted(layer.get_config()) == sorted(BASE + ["factor", "value_range", "seed"])


def test_random_invert(tf):
    close(tf.keras.layers.RandomInvert((1.0, 1.0))(IMG), 255.0 - IMG)
    close(tf.keras.layers.RandomInvert(0.0)(IMG), IMG)
    close(tf.keras.layers.RandomInvert((1.0, 1.0), value_range=(0, 1))(IMG / 255), 1 - IMG / 255)
    layer = tf.keras.layers.RandomInvert()
    assert tuple(layer.factor) == (0, 1.0)
    assert layer(U8, training=False).dtype == tf.uint8
    assert sorted(layer.get_config()) == sorted(BASE + ["factor", "value_range", "seed"])


def test_random_posterization(tf):
    layer = tf.keras.layers.RandomPosterization((3, 3))
    close(layer(IMG), (U8 >> 5) << 5)
    close(tf.keras.layers.RandomPosterization((8, 8))(IMG), IMG)
    close(tf.keras.layers.RandomPosterization((1, 1), value_range=(0, 1))(IMG / 255.0),
          ((U8 >> 7) << 7) / 255.0)  # fmt: skip
    assert tuple(tf.keras.layers.RandomPosterization(4).factor) == (1, 4)
    assert sorted(layer.get_config()) == sorted(BASE + ["factor", "value_range", "seed"])


def np_sharpen(x, f):
    xp = np.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)])
    h, w = x.shape[1:3]
    smooth = sum(xp[:, i : i + h, j : j + w] for i in range(3) for j in range(3)) / 13.0
    smooth = smooth + x * (4.0 / 13.0)  # the centre weighs 5/13
    return np.clip(x + (1.0 - 2.0 * f) * (smooth - x), 0, 255)


def test_random_sharpness(tf):
    layer = tf.keras.layers.RandomSharpness((0.4, 0.4), seed=4)
    close(layer(IMG), np_sharpen(IMG, 0.4))
    close(tf.keras.layers.RandomSharpness((1.0, 1.0))(IMG), np_sharpen(IMG, 1.0))
    first = tf.keras.layers.RandomSharpness((0.4, 0.4), data_format="channels_first")
    close(first(np.moveaxis(IMG, -1, 1)), np.moveaxis(np_sharpen(IMG, 0.4), -1, 1))
    assert layer(U8, training=False).dtype == tf.float32
    assert sorted(layer.get_config()) == sorted(BASE + ["factor", "value_range", "seed"])


def test_random_color_jitter(tf):
    layer = tf.keras.layers.RandomColorJitter(
        brightness_factor=(0.1, 0.1), saturation_factor=(0.3, 0.3), hue_factor=(1.0, 1.0),
        seed=5,
    )  # fmt: skip
    x = np.clip(IMG + 25.5, 0, 255)
    f = np.float32(0.3) / (np.float32(0.7) + np.float32(1e-7))
    mx = x.max(-1, keepdims=True)
    x = mx - f * (mx - x)
    close(layer(IMG), x.max(-1, keepdims=True) + x.min(-1, keepdims=True) - x, 2e-2)
    assert layer(U8, training=False).dtype == tf.uint8
    assert sorted(layer.get_config()) == sorted(BASE + [
        "value_range", "brightness_factor", "contrast_factor", "saturation_factor",
        "hue_factor", "seed"])  # fmt: skip


def test_symbolic_output_dtypes(tf):
    # on a uint8 Input, Keras's symbolic output is float32, but Equalization's and
    # RandomGrayscale's keep the input's dtype
    L = tf.keras.layers
    made = {L.AutoContrast(): "float32", L.Equalization(): "uint8",
            L.ContrastLimitedAdaptiveHistogramEqualization(): "float32",
            L.Solarization(): "float32", L.RandomColorDegeneration(0.5): "float32",
            L.RandomColorJitter(brightness_factor=0.1): "float32", L.RandomGrayscale(): "uint8",
            L.RandomHue(0.5): "float32", L.RandomInvert(): "float32",
            L.RandomPosterization(3): "float32", L.RandomSharpness(0.5): "float32"}  # fmt: skip
    for layer, dtype in made.items():
        out = layer(tf.keras.Input((8, 8, 3), dtype="uint8"))
        assert (type(layer).__name__, str(out.dtype)) == (type(layer).__name__, dtype)
        assert tuple(out.shape) == (None, 8, 8, 3)
