"""``tf.image.resize`` bilinear / nearest (TF 2's half-pixel centres) against a NumPy
reference, their dtypes, gradients and use on images of unknown size in ``Dataset.map``."""

from __future__ import annotations

import numpy as np
import pytest


def _axis(n, m):
    src = (np.arange(m) + 0.5) * n / m - 0.5
    below = np.floor(src)
    lo = np.clip(below, 0, n - 1).astype(int)
    hi = np.clip(below + 1, 0, n - 1).astype(int)
    return lo, hi, src - below


def bilinear(x, h, w):
    """Half-pixel bilinear resize of (h, w, c) or (n, h, w, c) in float64."""
    x = np.asarray(x, np.float64)
    ylo, yhi, yf = _axis(x.shape[-3], h)
    xlo, xhi, xf = _axis(x.shape[-2], w)
    yf, xf = yf[:, None, None], xf[:, None]
    rows = np.take(x, ylo, -3) * (1 - yf) + np.take(x, yhi, -3) * yf
    return np.take(rows, xlo, -2) * (1 - xf) + np.take(rows, xhi, -2) * xf


def nearest(x, h, w):
    rows = np.floor((np.arange(h) + 0.5) * x.shape[-3] / h).astype(int)
    cols = np.floor((np.arange(w) + 0.5) * x.shape[-2] / w).astype(int)
    rows, cols = np.minimum(rows, x.shape[-3] - 1), np.minimum(cols, x.shape[-2] - 1)
    return np.take(np.take(x, rows, -3), cols, -2)


@pytest.mark.parametrize("dtype", ["uint8", "float32", "float64", "int32"])
@pytest.mark.parametrize("size", [(48, 48), (5, 13), (64, 64), (1, 1)])
def test_bilinear_values_and_dtype(tf, dtype, size):
    x = np.random.default_rng(0).integers(0, 256, (2, 64, 37, 3)).astype(dtype)
    y = tf.image.resize(tf.constant(x), size)
    assert y.dtype == tf.float32 and tuple(y.shape) == (2, *size, 3)
    np.testing.assert_allclose(y.numpy(), bilinear(x, *size), rtol=1e-5, atol=2e-4)


@pytest.mark.parametrize("dtype", ["uint8", "float32", "int64"])
def test_nearest_keeps_dtype(tf, dtype):
    x = np.random.default_rng(1).integers(0, 256, (9, 14, 2)).astype(dtype)
    for size in ((4, 4), (20, 31)):
        y = tf.image.resize(tf.constant(x), size, method="nearest")
        assert y.dtype == tf.as_dtype(dtype)
        np.testing.assert_array_equal(y.numpy(), nearest(x, *size))


@pytest.mark.parametrize("method", ["bilinear", "nearest"])
def test_gradient_is_the_adjoint(tf, method):
    rng = np.random.default_rng(2)
    x = tf.constant(rng.standard_normal((2, 6, 5, 3)).astype(np.float32))
    g = rng.standard_normal((2, 4, 9, 3)).astype(np.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(tf.image.resize(x, [4, 9], method=method) * g)
    dx = tape.gradient(loss, x).numpy()
    # d<resize(x), g>/dx at one entry equals the resize of the unit image at that entry
    for index in [(0, 0, 0, 0), (1, 3, 2, 1), (0, 5, 4, 2)]:
        unit = np.zeros(x.shape, np.float32)
        unit[index] = 1.0
        picked = tf.image.resize(tf.constant(unit), [4, 9], method=method).numpy()
        assert np.isclose(dx[index], (picked * g).sum(), rtol=1e-5, atol=1e-6)


def test_gradient_of_integer_image_is_none(tf):
    x = tf.constant(np.ones((4, 4, 1), np.int32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.image.resize(x, [2, 2])
    assert tape.gradient(y, x) is None


def test_traced_resize_of_unknown_size_matches_eager(tf):
    rng = np.random.default_rng(4)
    fn = tf.function(lambda im: tf.image.resize(im, [6, 5]),
                     input_signature=[tf.TensorSpec([None, None, 3], tf.uint8)])  # fmt: skip
    for shape in ((7, 3, 3), (12, 20, 3)):
        x = rng.integers(0, 256, shape, dtype=np.uint8)
        np.testing.assert_allclose(fn(x).numpy(), bilinear(x, 6, 5), rtol=1e-5, atol=2e-4)


def test_dataset_map_resizes_images_of_several_sizes(tf):
    rng = np.random.default_rng(5)
    images = [rng.integers(0, 256, (4 + i, 9 - i, 3), dtype=np.uint8) for i in range(4)]
    pngs = tf.stack([tf.io.encode_png(image) for image in images])

    def load(contents):
        image = tf.io.decode_png(contents, channels=3)
        return tf.image.resize(image, [5, 5], method="bilinear") / 255.0

    ds = tf.data.Dataset.from_tensor_slices(pngs).map(load, num_parallel_calls=2)
    assert ds.element_spec == tf.TensorSpec([5, 5, 3], tf.float32)
    got = [x.numpy() for x in ds]
    for image, out in zip(images, got):
        np.testing.assert_allclose(out, bilinear(image, 5, 5) / 255.0, rtol=1e-5, atol=1e-6)


def test_map_function_is_traced_once(tf):
    calls = []

    def fn(x):
        calls.append(1)
        return tf.cast(x, tf.float32) * 2.0

    ds = tf.data.Dataset.range(5).map(fn)
    assert [float(v) for v in ds] == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert [float(v) for v in ds] == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert len(calls) == 1
