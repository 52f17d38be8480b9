"""tf.image: resize weights against hand-computed values, gradients by finite differences,
crops / flips / colour against NumPy, the codecs against Pillow, eager == traced, errors."""

from __future__ import annotations

import io

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_ops import errors

PIL = pytest.importorskip("PIL.Image")


def img(*shape, seed=0):
    return np.random.default_rng(seed).random(shape, dtype=np.float32)


def test_bilinear_half_pixel_by_hand():
    x = np.array([0.0, 1.0], np.float32).reshape(1, 2, 1)
    got = tf.image.resize(x, [1, 4]).numpy().ravel()
    # sample points (i + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25, clamped at the edges
    np.testing.assert_allclose(got, [0.0, 0.25, 0.75, 1.0], rtol=1e-6)


def test_area_nearest_and_dtypes():
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    area = tf.image.resize(x, [2, 2], method="area").numpy().reshape(2, 2)
    np.testing.assert_allclose(area, [[2.5, 4.5], [10.5, 12.5]])
    u8 = (np.arange(16) * 10).astype(np.uint8).reshape(4, 4, 1)
    near = tf.image.resize(u8, [2, 8], method=tf.image.ResizeMethod.NEAREST_NEIGHBOR)
    assert near.dtype == tf.uint8
    # half-pixel centres: rows (0.5, 1.5) * 2 -> 1, 3; columns (j + 0.5) / 2 -> 0, 0, 1, 1, ...
    np.testing.assert_array_equal(near.numpy()[:, :, 0], u8[[1, 3]][:, [0, 0, 1, 1, 2, 2, 3, 3], 0])
    assert tf.image.resize(u8, [4, 4]).dtype == tf.float32
    assert tf.image.resize(x.astype(np.float64), [3, 3]).dtype == tf.float32


@pytest.mark.parametrize("method", ["bilinear", "bicubic", "area", "lanczos3", "gaussian"])
@pytest.mark.parametrize("antialias", [False, True])
def test_resize_gradient_by_finite_differences(method, antialias):
    x = img(1, 5, 4, 2, seed=1).astype(np.float64)
    probe = img(1, 3, 7, 2, seed=2)

    def f(v):
        y = tf.image.resize(tf.constant(v, tf.float32), [3, 7], method=method, antialias=antialias)
        return float(tf.reduce_sum(y * probe).numpy())

    xv = tf.Variable(x.astype(np.float32))
    with tf.GradientTape() as tape:
        y = tf.image.resize(xv, [3, 7], method=method, antialias=antialias)
        loss = tf.reduce_sum(y * probe)
    grad = tape.gradient(loss, xv).numpy()
    eps = 1e-2
    for index in [(0, 0, 0, 0), (0, 2, 1, 1), (0, 4, 3, 0)]:
        up, down = x.copy(), x.copy()
        up[index] += eps
        down[index] -= eps
        numeric = (f(up) - f(down)) / (2 * eps)
        assert grad[index] == pytest.approx(numeric, rel=2e-3, abs=2e-4)


def test_resize_traced_equals_eager_and_errors():
    x = img(2, 6, 6, 3)
    traced = tf.function(lambda v: tf.image.resize(v, [4, 9], method="bicubic"))
    eager = tf.image.resize(x, [4, 9], method="bicubic").numpy()
    np.testing.assert_allclose(traced(tf.constant(x)).numpy(), eager, rtol=1e-6)
    with pytest.raises(ValueError, match="must have either 3 or 4 dimensions"):
        tf.image.resize(np.zeros((4, 4), np.float32), [2, 2])
    with pytest.raises(ValueError, match="Resize method is not implemented"):
        tf.image.resize(x, [2, 2], method="cubic")
    with pytest.raises(ValueError, match="must be positive"):
        tf.image.resize(x, [0, 2])


def test_aspect_ratio_and_pad():
    x = img(10, 20, 3)
    assert tf.image.resize(x, [8, 8], preserve_aspect_ratio=True).shape == (4, 8, 3)
    padded = tf.image.resize_with_pad(x, 8, 8).numpy()
    assert padded.shape == (8, 8, 3)
    np.testing.assert_array_equal(padded[:2], 0)
    np.testing.assert_array_equal(padded[6:], 0)


def test_crops_pads_flips_against_numpy():
    x = img(2, 5, 6, 3)
    np.testing.assert_array_equal(tf.image.crop_to_bounding_box(x, 1, 2, 3, 4).numpy(),
                                  x[:, 1:4, 2:6])  # fmt: skip
    padded = tf.image.pad_to_bounding_box(x, 1, 0, 7, 8).numpy()
    np.testing.assert_array_equal(padded, np.pad(x, [[0, 0], [1, 1], [0, 2], [0, 0]]))
    np.testing.assert_array_equal(tf.image.flip_left_right(x).numpy(), x[:, :, ::-1])
    np.testing.assert_array_equal(tf.image.flip_up_down(x).numpy(), x[:, ::-1])
    np.testing.assert_array_equal(tf.image.rot90(x[0]).numpy(), np.rot90(x[0]))
    np.testing.assert_array_equal(tf.image.rot90(x, 3).numpy(), np.rot90(x, 3, axes=(1, 2)))
    np.testing.assert_array_equal(tf.image.central_crop(x[0], 0.5).numpy(), x[0, 1:4, 1:5])
    crop = tf.image.random_crop(x[0], [2, 3, 3], seed=3).numpy()
    found = [
        (i, j)
        for i in range(4)
        for j in range(4)
        if np.array_equal(x[0, i : i + 2, j : j + 3], crop)
    ]
    assert len(found) == 1
    with pytest.raises(ValueError, match="height must be >= target \\+ offset"):
        tf.image.crop_to_bounding_box(x, 3, 0, 3, 2)
    with pytest.raises(ValueError, match="central_fraction"):
        tf.image.central_crop(x, 1.5)


def test_random_flips_flip_whole_images():
    x = img(64, 2, 3, 1)
    out = tf.image.random_flip_left_right(x, seed=5).numpy()
    same = [np.array_equal(o, i) for o, i in zip(out, x)]
    flipped = [np.array_equal(o, i[:, ::-1]) for o, i in zip(out, x)]
    assert all(a or b for a, b in zip(same, flipped))
    assert 10 < sum(flipped) < 54


def test_colour_against_numpy():
    x = img(4, 5, 3)
    np.testing.assert_allclose(tf.image.adjust_brightness(x, 0.1).numpy(), x + 0.1, rtol=1e-6)
    mean = x.mean(axis=(0, 1), keepdims=True)
    np.testing.assert_allclose(tf.image.adjust_contrast(x, 2.0).numpy(), (x - mean) * 2 + mean,
                               rtol=1e-5, atol=1e-6)  # fmt: skip
    gray = tf.image.rgb_to_grayscale(x).numpy()
    np.testing.assert_allclose(gray[..., 0], x @ np.array([0.2989, 0.587, 0.114]), rtol=1e-5)
    hsv = tf.image.rgb_to_hsv(x)
    np.testing.assert_allclose(tf.image.hsv_to_rgb(hsv).numpy(), x, atol=1e-5)
    import colorsys

    want = np.array([colorsys.rgb_to_hsv(*p) for p in x.reshape(-1, 3)]).reshape(x.shape)
    np.testing.assert_allclose(hsv.numpy(), want, atol=1e-5)
    std = tf.image.per_image_standardization(x).numpy()
    np.testing.assert_allclose(std, (x - x.mean()) / x.std(), rtol=1e-4, atol=1e-5)
    u8 = (x * 255).astype(np.uint8)
    bright = tf.image.adjust_brightness(u8, 0.5).numpy()
    assert bright.dtype == np.uint8 and bright.max() == 255  # saturates


def test_convert_image_dtype_rules():
    u8 = np.array([0, 1, 128, 255], np.uint8).reshape(1, 4, 1)
    np.testing.assert_allclose(tf.image.convert_image_dtype(u8, tf.float32).numpy().ravel(),
                               [0, 1 / 255, 128 / 255, 1.0], rtol=1e-6)  # fmt: skip
    f = np.array([0.0, 0.5, 1.0, 1.2], np.float32).reshape(1, 4, 1)
    np.testing.assert_array_equal(
        tf.image.convert_image_dtype(f, tf.uint8, saturate=True).numpy().ravel(),
        [0, 127, 255, 255],
    )
    # integer to integer: shifted by the bit widths (uint8 -> int16: * 128)
    np.testing.assert_array_equal(tf.image.convert_image_dtype(u8, tf.int16).numpy().ravel(),
                                  u8.ravel().astype(np.int16) * 128)  # fmt: skip


def _png(array):
    out = io.BytesIO()
    PIL.fromarray(array).save(out, format="PNG")
    return out.getvalue()


def _jpeg(array, quality=90):
    out = io.BytesIO()
    PIL.fromarray(array).save(out, format="JPEG", quality=quality)
    return out.getvalue()


def test_codecs_against_pillow_and_traced():
    rng = np.random.default_rng(4)
    rgb = rng.integers(0, 256, (6, 7, 3), dtype=np.uint8)
    decoded = tf.io.decode_png(_png(rgb)).numpy()
    np.testing.assert_array_equal(decoded, rgb)
    assert tf.image.decode_png(_png(rgb), channels=1).shape == (6, 7, 1)
    smooth = np.tile(np.linspace(0, 255, 16).astype(np.uint8), (16, 1))[:, :, None].repeat(3, -1)
    data = _jpeg(smooth)
    want = np.asarray(PIL.open(io.BytesIO(data)).convert("RGB"))
    np.testing.assert_array_equal(tf.io.decode_jpeg(data).numpy(), want)
    np.testing.assert_array_equal(tf.io.decode_image(data, channels=3).numpy(), want)
    assert bool(tf.io.is_jpeg(data).numpy()) and not bool(tf.io.is_jpeg(_png(rgb)).numpy())
    as_float = tf.io.decode_image(_png(rgb), dtype=tf.float32).numpy()
    np.testing.assert_allclose(as_float, rgb / 255, rtol=1e-6)
    encoded = tf.io.encode_jpeg(smooth, quality=95).numpy()
    np.testing.assert_allclose(np.asarray(PIL.open(io.BytesIO(encoded))), smooth, atol=8)

    @tf.function
    def pipeline(contents):
        image = tf.image.decode_png(contents, channels=3)
        return tf.image.resize(tf.image.convert_image_dtype(image, tf.float32), [3, 3])

    out = pipeline(tf.constant(_png(rgb)))
    np.testing.assert_allclose(out.numpy(), tf.image.resize(rgb / np.float32(255), [3, 3]).numpy(),
                               rtol=1e-5)  # fmt: skip


def test_codecs_traced_on_host_arrays_match_eager_and_pillow():
    """Traced codec nodes run on the host buffers: same values as eager and as Pillow, a
    uint16 PNG keeps its dtype, encode -> decode round-trips, and a bad image in a trace is
    TF's error class."""
    rng = np.random.default_rng(11)
    rgb = rng.integers(0, 256, (5, 4, 3), dtype=np.uint8)
    deep = rng.integers(0, 65536, (3, 2), dtype=np.uint16)
    buf = io.BytesIO()
    PIL.fromarray(deep).save(buf, format="PNG")

    @tf.function
    def codecs(png, png16):
        image = tf.io.decode_png(png, channels=3)
        again = tf.io.decode_png(tf.io.encode_png(image))
        gray = tf.io.decode_image(png, channels=1)
        wide = tf.io.decode_png(png16, dtype=tf.uint16)
        return image, again, gray, tf.io.decode_png(tf.io.encode_png(wide), dtype=tf.uint16)

    image, again, gray, wide = codecs(tf.constant(_png(rgb)), tf.constant(buf.getvalue()))
    np.testing.assert_array_equal(image.numpy(), rgb)
    np.testing.assert_array_equal(again.numpy(), rgb)
    weights = np.array([9797, 19234, 3737])  # TF's libpng: 0.299, 0.587 in 1/32768ths, truncated
    np.testing.assert_array_equal(gray.numpy()[..., 0], rgb.astype(np.int64) @ weights >> 15)
    np.testing.assert_array_equal(gray.numpy(), tf.io.decode_image(_png(rgb), channels=1).numpy())
    assert wide.dtype == tf.uint16
    np.testing.assert_array_equal(wide.numpy()[:, :, 0], deep)
    with pytest.raises(errors.InvalidArgumentError, match="not a valid PNG"):
        codecs(tf.constant(b"\x89PNG\r\n\x1a\n bad"), tf.constant(buf.getvalue()))
    is_jpeg = tf.function(tf.io.is_jpeg)
    got = [bool(is_jpeg(tf.constant(b)).numpy()) for b in (b"\xff\xd8\xffa", b"\xff\xd8", b"")]
    assert got == [True, False, False]


def test_codec_errors():
    with pytest.raises(errors.InvalidArgumentError, match="not a valid PNG"):
        tf.io.decode_png(b"not a png")
    with pytest.raises(errors.InvalidArgumentError, match="Unknown image file format"):
        tf.io.decode_image(b"????")
    with pytest.raises(errors.InvalidArgumentError, match="channels"):
        tf.io.decode_jpeg(b"", channels=2)
    with pytest.raises(errors.InvalidArgumentError, match="3-dimensional"):
        tf.io.encode_png(np.zeros((2, 2), np.uint8))
    with pytest.raises(errors.InvalidArgumentError, match="not a valid PNG"):
        tf.io.decode_png(b"\x89PNG\r\n\x1a\n truncated")  # a PNG header, no image


def test_decoders_take_any_format_by_its_leading_bytes():
    """As TF: decode_png also decodes a JPEG or a BMP (Pillow is told the format it sees)."""
    pixels = np.random.default_rng(8).integers(0, 256, (5, 6, 3), dtype=np.uint8)
    for fmt in ("BMP", "PNG", "GIF"):
        buf = io.BytesIO()
        PIL.fromarray(pixels).save(buf, format=fmt)
        got = tf.io.decode_png(buf.getvalue(), channels=3).numpy()
        want = np.asarray(PIL.open(io.BytesIO(buf.getvalue())).convert("RGB"))
        np.testing.assert_array_equal(got, want)
    jpeg = tf.io.encode_jpeg(pixels).numpy()
    assert tf.io.decode_png(jpeg).shape == (5, 6, 3)


@pytest.mark.parametrize(
    "method", ["bilinear", "nearest", "bicubic", "area", "lanczos3", "gaussian", "mitchellcubic"]
)
@pytest.mark.parametrize("antialias", [False, True])
def test_unknown_sizes_give_the_static_weights(method, antialias):
    x = img(2, 7, 9, 3, seed=6)
    for size in ((4, 5), (11, 14)):
        dynamic = _dynamic_resize(size, method, antialias)
        want = tf.image.resize(x, size, method=method, antialias=antialias).numpy()
        np.testing.assert_allclose(dynamic(x).numpy(), want, rtol=1e-5, atol=1e-6)


def _dynamic_resize(size, method, antialias):
    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)])
    def dynamic(v):
        return tf.image.resize(v, size, method=method, antialias=antialias)

    return dynamic


@pytest.mark.parametrize("method", ["bilinear", "nearest"])
def test_resize_op_gradients_traced_float64_and_second_order(method):
    x = tf.constant(img(2, 5, 6, 3, seed=4).astype(np.float64))
    probe = tf.constant(img(2, 8, 4, 3, seed=5))

    def grad_of(v):
        with tf.GradientTape() as tape:
            tape.watch(v)
            y = tf.image.resize(v, [8, 4], method=method)
            loss = tf.reduce_sum(y * tf.cast(probe, y.dtype))
        return tape.gradient(loss, v)

    eager = grad_of(x)
    assert eager.dtype == tf.float64 and eager.shape == x.shape
    traced = tf.function(grad_of, input_signature=[tf.TensorSpec([2, None, None, 3], tf.float64)])
    np.testing.assert_allclose(traced(x).numpy(), eager.numpy(), rtol=1e-6)
    # the gradient is linear in the output gradient: its own gradient is the forward resize
    g = tf.constant(img(2, 8, 4, 3, seed=6))
    with tf.GradientTape() as outer:
        outer.watch(g)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.cast(tf.image.resize(x, [8, 4], method=method), tf.float32)
        dx = inner.gradient(y, x, output_gradients=g)
        total = tf.reduce_sum(dx * x)
    dg = outer.gradient(total, g).numpy()
    want = tf.image.resize(x, [8, 4], method=method).numpy()
    np.testing.assert_allclose(dg, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("method", ["bilinear", "nearest"])
def test_resize_under_jit_compile_matches_the_kernels(method):
    pytest.importorskip("jax")
    x = img(2, 5, 7, 3, seed=9)

    def grad(v):
        with tf.GradientTape() as tape:
            tape.watch(v)
            y = tf.image.resize(v, [4, 9], method=method)
            loss = tf.reduce_sum(y * y)
        return y, tape.gradient(loss, v)

    jitted = tf.function(grad, jit_compile=True)
    for v in (tf.constant(x), tf.constant(x[0].astype(np.float64))):
        (y, dx), (y_ref, dx_ref) = jitted(v), grad(v)
        assert y.dtype == y_ref.dtype and dx.dtype == dx_ref.dtype == v.dtype
        np.testing.assert_allclose(y.numpy(), y_ref.numpy(), rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(dx.numpy(), dx_ref.numpy(), rtol=1e-5, atol=1e-6)
    u8 = (x * 255).astype(np.uint8)
    resize = tf.function(lambda v: tf.image.resize(v, [4, 9], method=method), jit_compile=True)
    np.testing.assert_allclose(resize(u8).numpy(), tf.image.resize(u8, [4, 9], method=method),
                               rtol=1e-6, atol=2e-5)  # fmt: skip
