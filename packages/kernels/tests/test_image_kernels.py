"""The resize kernels (image.cpp; opdefs/image.py, cpu/image.py): TF's sampling rules,
dtypes, gradients as the adjoints of the forward resizes, and results that do not depend on
the thread count."""

from __future__ import annotations

import numpy as np
import pytest

import tensorhouse_kernels as tk
from tensorhouse_hw_runtime import errors

HALF = {"align_corners": False, "half_pixel_centers": True}
IMAGE = np.array([[1.0, 4.0, 2.0], [8.0, 0.0, 5.0]], np.float32).reshape(1, 2, 3, 1)


def _bilinear_reference(x, h, w):
    """Half-pixel bilinear resize in float64: each output samples the input at
    ((i + 0.5) * in / out - 0.5), clamped to the edges."""

    def axis(n, m):
        src = (np.arange(m) + 0.5) * n / m - 0.5
        lo = np.clip(np.floor(src), 0, n - 1).astype(int)
        hi = np.clip(np.floor(src) + 1, 0, n - 1).astype(int)
        frac = src - np.floor(src)
        return lo, hi, frac

    x = x.astype(np.float64)
    ylo, yhi, yf = axis(x.shape[1], h)
    xlo, xhi, xf = axis(x.shape[2], w)
    rows = x[:, ylo] * (1 - yf)[None, :, None, None] + x[:, yhi] * yf[None, :, None, None]
    return (
        rows[:, :, xlo] * (1 - xf)[None, None, :, None] + rows[:, :, xhi] * xf[None, None, :, None]
    )


# TF 2.21's tf.raw_ops values for IMAGE resized to 3 x 5
TF_BILINEAR = {
    (True, False): [[1.0, 2.5, 4.0, 3.0, 2.0], [4.5, 3.25, 2.0, 2.75, 3.5],
                    [8.0, 4.0, 0.0, 2.5, 5.0]],
    (False, False): [[1.0, 2.8, 3.6, 2.4, 2.0], [17 / 3, 3.0666659, 1.866667, 3.466667, 4.0],
                     [8.0, 3.2, 1.0, 4.0, 5.0]],
    (False, True): [[1.0, 2.2, 4.0, 2.8, 2.0], [4.5, 3.5, 2.0, 2.9, 3.5],
                    [8.0, 4.8, 0.0, 3.0, 5.0]],
}  # fmt: skip
TF_NEAREST = {
    (True, False): [[1, 4, 4, 2, 2], [8, 0, 0, 5, 5], [8, 0, 0, 5, 5]],
    (False, False): [[1, 1, 4, 4, 2], [1, 1, 4, 4, 2], [8, 8, 0, 0, 5]],
    (False, True): [[1, 1, 4, 2, 2], [8, 8, 0, 5, 5], [8, 8, 0, 5, 5]],
}


@pytest.mark.parametrize("flags", sorted(TF_BILINEAR))
def test_sampling_rules_match_tf(run, flags):
    attrs = {"size": (3, 5), "align_corners": flags[0], "half_pixel_centers": flags[1]}
    y = run("ResizeBilinear", [IMAGE], attrs)
    assert y.dtype == np.float32 and y.shape == (1, 3, 5, 1)
    np.testing.assert_allclose(y[0, :, :, 0], TF_BILINEAR[flags], rtol=1e-6, atol=1e-6)
    z = run("ResizeNearestNeighbor", [IMAGE], attrs)
    np.testing.assert_array_equal(z[0, :, :, 0], TF_NEAREST[flags])


@pytest.mark.parametrize("dtype", ["uint8", "int32", "float32", "float64", "float16"])
@pytest.mark.parametrize("shape", [(2, 7, 5, 3), (9, 4, 2), (6, 5, 4), (3, 8, 1), (5, 6, 5)])
def test_bilinear_matches_reference_for_each_dtype(run, dtype, shape):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 255, shape).astype(dtype)
    y = run("ResizeBilinear", [x], {"size": (4, 11), **HALF})
    assert y.dtype == np.float32 and y.shape == shape[:-3] + (4, 11, shape[-1])
    batch = x if x.ndim == 4 else x[None]
    want = _bilinear_reference(batch.astype(np.float32), 4, 11)
    np.testing.assert_allclose(y.reshape(want.shape), want, rtol=1e-5, atol=1e-4)


def test_nearest_keeps_dtype_and_picks_centres(run):
    x = np.arange(2 * 6 * 4 * 2, dtype=np.int64).reshape(2, 6, 4, 2)
    y = run("ResizeNearestNeighbor", [x], {"size": (3, 8), **HALF})
    assert y.dtype == np.int64
    rows = np.floor((np.arange(3) + 0.5) * 6 / 3).astype(int)
    cols = np.minimum(np.floor((np.arange(8) + 0.5) * 4 / 8).astype(int), 3)
    np.testing.assert_array_equal(y, x[:, rows][:, :, cols])


@pytest.mark.parametrize("flags", sorted(TF_BILINEAR))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gradients_are_the_adjoints(run, flags, dtype):
    """<resize(x), g> == <x, resize_grad(g)> for random x and g."""
    rng = np.random.default_rng(1)
    attrs = {"size": (5, 3), "align_corners": flags[0], "half_pixel_centers": flags[1]}
    x = rng.standard_normal((2, 4, 7, 3)).astype(dtype)
    g = rng.standard_normal((2, 5, 3, 3)).astype(np.float32)
    dx = run("ResizeBilinearGrad", [g, x], attrs)
    assert dx.dtype == np.dtype(dtype) and dx.shape == x.shape
    forward = run("ResizeBilinear", [x], attrs).astype(np.float64)
    assert np.isclose((forward * g).sum(), (x * dx.astype(np.float64)).sum(), rtol=1e-5)
    gn = g.astype(dtype)
    dxn = run("ResizeNearestNeighborGrad", [gn, x], attrs)
    nearest = run("ResizeNearestNeighbor", [x], attrs)
    assert np.isclose((nearest * gn).sum(), (x * dxn).sum(), rtol=1e-5)


def test_upsampled_gradient_by_hand(run):
    """2x upsampling of one row [a, b] to 4: weights 1, .75/.25, .25/.75, 1."""
    g = np.ones((1, 1, 4, 1), np.float32)
    dx = run("ResizeBilinearGrad", [g, np.zeros((1, 1, 2, 1), np.float32)],
             {"size": (1, 4), **HALF})  # fmt: skip
    np.testing.assert_allclose(dx.ravel(), [2.0, 2.0])
    g = np.array([1.0, 10.0, 100.0, 1000.0], np.float32).reshape(1, 1, 4, 1)
    dx = run("ResizeBilinearGrad", [g, np.zeros((1, 1, 2, 1), np.float32)],
             {"size": (1, 4), **HALF})  # fmt: skip
    np.testing.assert_allclose(dx.ravel(), [1 + 7.5 + 25, 2.5 + 75 + 1000])


def test_threads_give_identical_results(run, kernel_threads):
    x = np.random.default_rng(2).random((4, 64, 64, 8), dtype=np.float32)
    out = []
    for n in (1, 3):
        kernel_threads(n)
        out.append(run("ResizeBilinear", [x], {"size": (96, 40), **HALF}))
        out.append(run("ResizeBilinearGrad", [out[-1], x], {"size": (96, 40), **HALF}))
    np.testing.assert_array_equal(out[0], out[2])
    np.testing.assert_array_equal(out[1], out[3])


def test_unknown_sizes_infer_and_bad_input_raises(run):
    opdef = tk.get_op_def("ResizeBilinear")
    (shape, dtype), = opdef.infer([(None, None, None, 3)], [np.dtype("uint8")],
                                  {"size": (4, 5), **HALF})  # fmt: skip
    assert shape == (None, 4, 5, 3) and dtype == np.float32
    with pytest.raises(errors.InvalidArgumentError, match=r"must be 3-dimensional.*\[2,3\]"):
        run("ResizeBilinear", [np.zeros((2, 3), np.float32)], {"size": (4, 5), **HALF})
    with pytest.raises(errors.InvalidArgumentError, match="output dimensions must be positive"):
        run("ResizeBilinear", [IMAGE], {"size": (0, 5), **HALF})
    with pytest.raises(errors.InvalidArgumentError, match="align_corners must be False"):
        run("ResizeNearestNeighbor", [IMAGE], {"size": (2, 2), "align_corners": True,
                                              "half_pixel_centers": True})  # fmt: skip
    with pytest.raises(errors.InvalidArgumentError, match="attr 'T' of bool"):
        run("ResizeBilinear", [IMAGE > 1], {"size": (2, 2), **HALF})
