"""``tf.image``: resizing, crops, flips, colour adjustments and conversions, by TF's rules.

Images are ``(height, width, channels)`` or batches ``(batch, height, width, channels)`` with
static heights and widths. A resize is linear along each axis, so it is computed as two matrix
products with per-axis weight matrices built at trace time from TF's sampling rules (half-pixel
centres; ``ResizeBilinear`` / ``ResizeBicubic`` taps, ``ResizeArea`` box overlaps, and
``ScaleAndTranslate``'s kernels, widened when shrinking with ``antialias``): the products run on
the BLAS kernels, trace, and differentiate for free. Nearest-neighbour resizes, crops and flips
are gathers and slices and keep the dtype; everything else follows TF: integer images go to
float through ``convert_image_dtype`` and back with saturation.
"""

from __future__ import annotations

import functools
import math as _pymath

import numpy as np

from . import _array, _math, _random
from . import dtypes as _dt
from ._function import cond
from ._tensor import Tensor, VariableLike, _op, convert_to_tensor

__all__ = [
    "ResizeMethod", "adjust_brightness", "adjust_contrast", "adjust_gamma", "adjust_hue",
    "adjust_saturation", "central_crop", "convert_image_dtype", "crop_to_bounding_box",
    "flip_left_right", "flip_up_down", "grayscale_to_rgb", "hsv_to_rgb", "image_gradients",
    "pad_to_bounding_box", "per_image_standardization", "random_brightness", "random_contrast",
    "random_crop", "random_flip_left_right", "random_flip_up_down", "random_hue",
    "random_saturation", "resize", "resize_with_crop_or_pad", "resize_with_pad", "rgb_to_grayscale",
    "rgb_to_hsv", "rgb_to_yuv", "rot90", "total_variation", "transpose", "yuv_to_rgb",
]  # fmt: skip


class ResizeMethod:
    """The methods ``resize`` takes."""

    BILINEAR = "bilinear"
    NEAREST_NEIGHBOR = "nearest"
    BICUBIC = "bicubic"
    AREA = "area"
    LANCZOS3 = "lanczos3"
    LANCZOS5 = "lanczos5"
    GAUSSIAN = "gaussian"
    MITCHELLCUBIC = "mitchellcubic"


_METHODS = {v for k, v in vars(ResizeMethod).items() if k.isupper()}


# ---- shapes ------------------------------------------------------------------------------------
def _image(image, name="image"):
    image = image._th_read() if isinstance(image, VariableLike) else convert_to_tensor(image)
    rank = image.shape.rank
    if rank not in (3, 4):
        raise ValueError(f"'{name}' (shape {image.shape}) must have either 3 or 4 dimensions.")
    return image


def _batched(image):
    """``(batch image, was a batch)``: a single image gets a batch axis of 1."""
    image = _image(image)
    if image.shape.rank == 3:
        return _array.expand_dims(image, 0), False
    return image, True


def _unbatched(image, was_batch):
    return image if was_batch else _array.squeeze(image, axis=0)


def _static_hw(image):
    h, w = image.shape.as_list()[-3:-1]
    if h is None or w is None:
        raise ValueError(
            f"tf.image here needs static heights and widths; got an image of shape {image.shape}"
        )
    return h, w


def _int(value, name):
    if isinstance(value, Tensor):
        value = value.numpy()
    value = np.asarray(value)
    if value.ndim or value.dtype.kind not in "iu":
        raise TypeError(f"`{name}` must be an integer, got {value!r}")
    return int(value)


# ---- resize weights ---------------------------------------------------------------------------
def _keys_cubic(x):
    x = np.abs(x)
    return np.where(
        x >= 2,
        0.0,
        np.where(x >= 1, ((-0.5 * x + 2.5) * x - 4) * x + 2, ((1.5 * x - 2.5) * x) * x + 1),
    )


def _lanczos(radius):
    def kernel(x):
        x = np.abs(x)
        with np.errstate(invalid="ignore", divide="ignore"):
            v = radius * np.sin(np.pi * x) * np.sin(np.pi * x / radius) / (np.pi**2 * x * x)
        return np.where(x == 0, 1.0, np.where(x >= radius, 0.0, v))

    return kernel


def _mitchell(x):
    x = np.abs(x)
    near = (((7.0 / 6.0) * x - 2.0) * x) * x + 8.0 / 9.0
    far = (((-7.0 / 18.0) * x + 2.0) * x - 10.0 / 3.0) * x + 16.0 / 9.0
    return np.where(x >= 2, 0.0, np.where(x >= 1, far, near))


# ScaleAndTranslate's kernels: (function, radius)
_KERNELS = {
    "triangle": (lambda x: np.maximum(0.0, 1.0 - np.abs(x)), 1.0),
    "keyscubic": (_keys_cubic, 2.0),
    "lanczos3": (_lanczos(3.0), 3.0),
    "lanczos5": (_lanczos(5.0), 5.0),
    "gaussian": (lambda x: np.where(np.abs(x) >= 1.5, 0.0, np.exp(-(x * x) / 0.5)), 1.5),
    "mitchellcubic": (_mitchell, 2.0),
}


def _scale_translate_weights(n, m, kernel_name, antialias):
    """``ScaleAndTranslate``'s (m, n) sampling weights, no translation."""
    kernel, radius = _KERNELS[kernel_name]
    scale = np.float32(m) / np.float32(n)
    inv_scale = np.float32(1.0) / scale
    kernel_scale = max(float(inv_scale), 1.0) if antialias else 1.0
    w = np.zeros((m, n), np.float64)
    for i in range(m):
        sample = (i + 0.5) * float(inv_scale)
        if sample < 0 or sample > n:
            continue
        start = int(np.ceil(sample - radius * kernel_scale - 0.5))
        end = int(np.floor(sample + radius * kernel_scale - 0.5))
        start, end = min(max(start, 0), n - 1), min(max(end, 0), n - 1) + 1
        src = np.arange(start, end)
        weights = kernel(np.abs((src + 0.5 - sample) / kernel_scale))
        total = weights.sum()
        if abs(total) >= 1000.0 * np.finfo(np.float32).tiny:
            weights = weights / total
        w[i, start:end] = weights
    return w


def _bilinear_weights(n, m):
    """``ResizeBilinear`` with half-pixel centres: two taps, clamped at the edges."""
    scale = np.float32(n) / np.float32(m)
    src = (np.arange(m, dtype=np.float32) + np.float32(0.5)) * scale - np.float32(0.5)
    low = np.floor(src)
    frac = (src - low).astype(np.float64)
    i0 = np.clip(low, 0, n - 1).astype(np.int64)
    i1 = np.clip(low + 1, 0, n - 1).astype(np.int64)
    w = np.zeros((m, n), np.float64)
    rows = np.arange(m)
    np.add.at(w, (rows, i0), 1 - frac)
    np.add.at(w, (rows, i1), frac)
    return w


_TABLE_SIZE = 1024


def _keys_table():
    """``ResizeBicubic``'s coefficient table: the Keys cubic (a = -0.5) sampled at 1/1024
    steps, ``(weight at distance t, weight at distance 1 + t)`` per step."""
    a = -0.5
    x = np.arange(_TABLE_SIZE + 1, dtype=np.float32) / np.float32(_TABLE_SIZE)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    y = x + 1
    far = ((a * y - 5 * a) * y + 8 * a) * y - 4 * a
    return near.astype(np.float32), far.astype(np.float32)


def _bicubic_weights(n, m):
    """``ResizeBicubic`` with half-pixel centres: the Keys cubic from its 1024-step table on
    four taps; taps outside the image get no weight and the rest are renormalized."""
    near, far = _keys_table()
    scale = np.float32(n) / np.float32(m)
    w = np.zeros((m, n), np.float64)
    for i in range(m):
        src = (np.float32(i) + np.float32(0.5)) * scale - np.float32(0.5)
        base = int(np.floor(src))
        offset = int(np.rint(np.float32(src - np.float32(base)) * np.float32(_TABLE_SIZE)))
        taps = (base - 1, base, base + 1, base + 2)
        coeffs = np.array([far[offset], near[offset], near[_TABLE_SIZE - offset],
                           far[_TABLE_SIZE - offset]], np.float32)  # fmt: skip
        inside = np.array([0 <= t < n for t in taps])
        coeffs = np.where(inside, coeffs, np.float32(0))
        total = coeffs.sum(dtype=np.float32)
        if abs(total) >= 1000.0 * np.finfo(np.float32).tiny:
            coeffs = coeffs * (np.float32(1) / total)
        for tap, c, ok in zip(taps, coeffs, inside):
            if ok:
                w[i, tap] += c
    return w


def _area_weights(n, m):
    """``ResizeArea``: each output pixel averages the input span it covers (fractional
    overlaps at its ends)."""
    scale = n / m
    w = np.zeros((m, n), np.float64)
    for i in range(m):
        lo, hi = i * scale, (i + 1) * scale
        for j in range(int(np.floor(lo)), int(np.ceil(hi))):
            overlap = min(j + 1, hi) - max(j, lo)
            w[i, min(j, n - 1)] += overlap / scale
    return w


def _weights(n, m, method, antialias):
    if method == "bilinear":
        return (
            _scale_translate_weights(n, m, "triangle", True)
            if antialias
            else (_bilinear_weights(n, m))
        )
    if method == "bicubic":
        return (
            _scale_translate_weights(n, m, "keyscubic", True)
            if antialias
            else (_bicubic_weights(n, m))
        )
    if method == "area":
        return _area_weights(n, m)
    return _scale_translate_weights(n, m, method, antialias)


@functools.lru_cache(maxsize=256)
def _weights32(n, m, method, antialias):
    """``_weights`` as float32, kept for the sizes seen last (a pipeline resizes many images of
    a few sizes); read-only, as every caller only reads them."""
    w = _weights(n, m, method, antialias).astype(np.float32)
    w.flags.writeable = False
    return w


def _nearest_index(n, m):
    scale = np.float32(n) / np.float32(m)
    centres = (np.arange(m, dtype=np.float32) + np.float32(0.5)) * scale
    return np.minimum(np.floor(centres), n - 1).astype(np.int32)


# ---- the same weights from a size known only when the graph runs ------------------------------
def _f32(v):
    return _math.cast(v, _dt.float32)


def _dyn_kernel(name, x):
    """``ScaleAndTranslate``'s kernel ``name`` on a float32 tensor of distances."""
    x = _math.abs(x)
    zero = _array.zeros_like(x)
    if name == "triangle":
        return _math.maximum(zero, 1.0 - x)
    if name == "keyscubic":
        near = ((1.5 * x - 2.5) * x) * x + 1.0
        far = ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
        return _array.where(x >= 2.0, zero, _array.where(x >= 1.0, far, near))
    if name in ("lanczos3", "lanczos5"):
        r = 3.0 if name == "lanczos3" else 5.0
        px = np.float32(np.pi) * x
        v = _math.divide_no_nan(r * _math.sin(px) * _math.sin(px / r), px * px)
        return _array.where(_math.equal(x, zero), zero + 1.0, _array.where(x >= r, zero, v))
    if name == "gaussian":
        return _array.where(x >= 1.5, zero, _math.exp(-(x * x) / 0.5))
    near = (((7.0 / 6.0) * x - 2.0) * x) * x + 8.0 / 9.0
    far = (((-7.0 / 18.0) * x + 2.0) * x - 10.0 / 3.0) * x + 16.0 / 9.0
    return _array.where(x >= 2.0, zero, _array.where(x >= 1.0, far, near))


def _dyn_weights(n_int, m, method, antialias):
    """The (m, n) weights of ``_weights`` as float32 tensors, for a run-time size ``n_int``."""
    n = _f32(n_int)
    i = _array.expand_dims(_f32(_array.range(m)), 1)
    j = _array.expand_dims(_f32(_array.range(n_int)), 0)
    zero = _array.zeros_like(i * j)
    if method == "area":
        scale = n / float(m)
        lo, hi = i * scale, (i + 1.0) * scale
        return _math.maximum(_math.minimum(j + 1.0, hi) - _math.maximum(j, lo), zero) / scale
    if method in ("bilinear", "bicubic") and not antialias:
        src = (i + 0.5) * (n / float(m)) - 0.5
        base = _math.floor(src)
        if method == "bilinear":
            frac = src - base
            i0 = _math.clip_by_value(base, 0.0, n - 1.0)
            i1 = _math.clip_by_value(base + 1.0, 0.0, n - 1.0)
            return _array.where(_math.equal(j, i0), zero + (1.0 - frac), zero) + _array.where(
                _math.equal(j, i1), zero + frac, zero
            )
        near, far = (convert_to_tensor(t) for t in _keys_table())
        offset = _math.cast(_math.round((src - base) * float(_TABLE_SIZE)), _dt.int32)
        back = _TABLE_SIZE - offset
        coeffs = [_array.gather(far, offset), _array.gather(near, offset),
                  _array.gather(near, back), _array.gather(far, back)]  # fmt: skip
        taps = [base - 1.0, base, base + 1.0, base + 2.0]
        inside = [_math.logical_and(t >= 0.0, t < n) for t in taps]
        coeffs = [_array.where(ok, c, _array.zeros_like(c)) for ok, c in zip(inside, coeffs)]
        total = coeffs[0] + coeffs[1] + coeffs[2] + coeffs[3]
        w = zero
        for t, c in zip(taps, coeffs):
            w = w + _array.where(_math.equal(j, t), zero + c / total, zero)
        return w
    kernel = {"bilinear": "triangle", "bicubic": "keyscubic"}.get(method, method)
    radius = _KERNELS[kernel][1]
    inv_scale = 1.0 / (float(m) / n)  # as TF rounds it: 1 / (m / n) in float32
    kernel_scale = _math.maximum(inv_scale, 1.0) if antialias else _f32(1.0)
    sample = (i + 0.5) * inv_scale
    start = _math.clip_by_value(_math.ceil(sample - radius * kernel_scale - 0.5), 0.0, n - 1.0)
    end = _math.clip_by_value(_math.floor(sample + radius * kernel_scale - 0.5), 0.0, n - 1.0)
    span = _math.logical_and(j >= start, j < end + 1.0)
    w = _array.where(span, _dyn_kernel(kernel, (j + 0.5 - sample) / kernel_scale), zero)
    total = _math.reduce_sum(w, axis=1, keepdims=True)
    tiny = 1000.0 * float(np.finfo(np.float32).tiny)
    return _array.where(_math.abs(total) >= tiny, w / total, w)


def _dyn_nearest_index(n_int, m):
    n = _f32(n_int)
    centres = (_f32(_array.range(m)) + 0.5) * (n / float(m))
    return _math.cast(_math.minimum(_math.floor(centres), n - 1.0), _dt.int32)


def _resize_axis(x, axis, m, method, antialias):
    """``x`` (batch, height, width, channels) resized along ``axis`` (1 or 2) to ``m``."""
    static = x.shape.as_list()[axis]
    if method == "nearest":
        if static == m:
            return x
        index = (
            _nearest_index(static, m)
            if static is not None
            else _dyn_nearest_index(_array.shape(x)[axis], m)
        )
        return _array.gather(x, index, axis=axis)
    # gaussian and Mitchell kernels smooth even at scale 1; the others sample exactly there
    if static == m and method not in ("gaussian", "mitchellcubic"):
        return x
    if static is not None:
        w = convert_to_tensor(_weights32(static, m, method, antialias))
    else:
        w = _dyn_weights(_array.shape(x)[axis], m, method, antialias)
    # contract the axis last: (b, w, c, h) @ W^T -> (b, w, c, m), then put it back
    perm, back = ([0, 2, 3, 1], [0, 3, 1, 2]) if axis == 1 else ([0, 1, 3, 2], [0, 1, 3, 2])
    moved = _math.matmul(_array.transpose(x, perm), w, transpose_b=True)
    return _array.transpose(moved, back)


def _resize_static(x, h, w, method, antialias):
    """A float32 image (or batch of them) of static shape resized with two matrix products and
    no transposes: ``Wh @`` the rows of each image, then ``Ww @`` each output row."""
    *lead, n_h, n_w, c = x.shape.as_list()
    rows = lead + [n_h]
    smooth = method in ("gaussian", "mitchellcubic")  # kernels that filter even at scale 1
    if n_h != h or smooth:
        wh = convert_to_tensor(_weights32(n_h, h, method, antialias))
        x = _math.matmul(wh, _array.reshape(x, [*lead, n_h, n_w * c]))
        rows = lead + [h]
    if n_w != w or smooth:
        ww = convert_to_tensor(_weights32(n_w, w, method, antialias))
        x = _math.matmul(ww, _array.reshape(x, [int(np.prod(rows)), n_w, c]))
    return _array.reshape(x, [*lead, h, w, c])


def _resize_batch(images, h, w, method, antialias):
    x = images
    if method != "nearest" and images.dtype != _dt.float32:
        x = _math.cast(images, _dt.float32)
    return _resize_axis(_resize_axis(x, 1, h, method, antialias), 2, w, method, antialias)


def _resize_op(images, h, w, method):
    """One ``ResizeBilinear`` (float32 out) or ``ResizeNearestNeighbor`` (same dtype) op with
    TF 2's half-pixel centres; any height and width, known or not when traced."""
    op = "ResizeBilinear" if method == "bilinear" else "ResizeNearestNeighbor"
    attrs = {"size": (h, w), "align_corners": False, "half_pixel_centers": True}
    return _op(op, [images], attrs)


def _target_size(size):
    if isinstance(size, Tensor):
        size = size.numpy()
    size = np.asarray(size)
    if size.shape != (2,) or size.dtype.kind not in "iu":
        raise ValueError("'size' must be a 1-D int32 Tensor of 2 elements: new_height, new_width")
    h, w = int(size[0]), int(size[1])
    if h <= 0 or w <= 0:
        raise ValueError(f"'size' must be positive: got [{h}, {w}]")
    return h, w


def resize(images, size, method=ResizeMethod.BILINEAR, preserve_aspect_ratio=False,
           antialias=False, name=None):  # fmt: skip
    """TF 2's ``tf.image.resize``: float32 results (nearest keeps the dtype), also when the
    size does not change."""
    method = method.lower() if isinstance(method, str) else method
    if method not in _METHODS:
        raise ValueError(f"Resize method is not implemented: [{method}]")
    images = _image(images)
    h, w = _target_size(size)
    if preserve_aspect_ratio:
        in_h, in_w = _static_hw(images)
        factor = min(np.float32(h) / np.float32(in_h), np.float32(w) / np.float32(in_w))
        h = int(np.round(np.float32(factor) * np.float32(in_h)))
        w = int(np.round(np.float32(factor) * np.float32(in_w)))
    if method == "nearest" or (method == "bilinear" and not antialias):
        return _resize_op(images, h, w, method)
    if images.shape.is_fully_defined():
        x = images if images.dtype == _dt.float32 else _math.cast(images, _dt.float32)
        return _resize_static(x, h, w, method, antialias)
    images, was_batch = _batched(images)
    return _unbatched(_resize_batch(images, h, w, method, antialias), was_batch)


# ---- crops and pads ----------------------------------------------------------------------------
def crop_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """The ``target_height`` x ``target_width`` window at the offsets."""
    image, was_batch = _batched(image)
    h, w = _static_hw(image)
    oh, ow = _int(offset_height, "offset_height"), _int(offset_width, "offset_width")
    th, tw = _int(target_height, "target_height"), _int(target_width, "target_width")
    if oh < 0 or ow < 0:
        raise ValueError("offset_height must be >= 0." if oh < 0 else "offset_width must be >= 0.")
    if th <= 0 or tw <= 0:
        raise ValueError("target_height must be > 0." if th <= 0 else "target_width must be > 0.")
    if w < tw + ow:
        raise ValueError("width must be >= target + offset.")
    if h < th + oh:
        raise ValueError("height must be >= target + offset.")
    return _unbatched(image[:, oh : oh + th, ow : ow + tw, :], was_batch)


def pad_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """``image`` placed at the offsets on a zero canvas of the target size."""
    image, was_batch = _batched(image)
    h, w = _static_hw(image)
    oh, ow = _int(offset_height, "offset_height"), _int(offset_width, "offset_width")
    th, tw = _int(target_height, "target_height"), _int(target_width, "target_width")
    if oh < 0 or ow < 0:
        raise ValueError("offset_height must be >= 0" if oh < 0 else "offset_width must be >= 0")
    if th - oh - h < 0:
        raise ValueError("height must be <= target - offset")
    if tw - ow - w < 0:
        raise ValueError("width must be <= target - offset")
    paddings = [[0, 0], [oh, th - oh - h], [ow, tw - ow - w], [0, 0]]
    return _unbatched(_array.pad(image, paddings), was_batch)


def resize_with_crop_or_pad(image, target_height, target_width):
    """Centre-crop and / or zero-pad to the target size (TF's rounding of the offsets)."""
    image = _image(image)
    h, w = _static_hw(image)
    th, tw = _int(target_height, "target_height"), _int(target_width, "target_width")
    if th <= 0 or tw <= 0:
        raise ValueError("target_height must be > 0." if th <= 0 else "target_width must be > 0.")
    crop_h, crop_w = min(h, th), min(w, tw)
    cropped = crop_to_bounding_box(
        image, max((h - th) // 2, 0), max((w - tw) // 2, 0), crop_h, crop_w
    )
    return pad_to_bounding_box(cropped, max((th - h) // 2, 0), max((tw - w) // 2, 0), th, tw)


def resize_with_pad(image, target_height, target_width, method=ResizeMethod.BILINEAR,
                    antialias=False):  # fmt: skip
    """Resize keeping the aspect ratio, then zero-pad (centred) to the target size."""
    image, was_batch = _batched(image)
    h, w = _static_hw(image)
    th, tw = _int(target_height, "target_height"), _int(target_width, "target_width")
    if th <= 0 or tw <= 0:
        raise ValueError("target_height must be > 0." if th <= 0 else "target_width must be > 0.")
    ratio = max(np.float32(w) / np.float32(tw), np.float32(h) / np.float32(th))
    rh = int(np.floor(np.float32(h) / ratio))
    rw = int(np.floor(np.float32(w) / ratio))
    ph = max(0, int(np.floor((th - np.float32(h) / ratio) / 2)))
    pw = max(0, int(np.floor((tw - np.float32(w) / ratio) / 2)))
    resized = resize(image, [rh, rw], method=method, antialias=antialias)
    return _unbatched(pad_to_bounding_box(resized, ph, pw, th, tw), was_batch)


def central_crop(image, central_fraction):
    """The centred ``central_fraction`` of the height and width."""
    image, was_batch = _batched(image)
    if not 0.0 < central_fraction <= 1.0:
        raise ValueError("central_fraction must be within (0, 1]")
    if central_fraction == 1.0:
        return _unbatched(image, was_batch)
    h, w = _static_hw(image)
    start_h = int((h - h * central_fraction) / 2)
    start_w = int((w - w * central_fraction) / 2)
    out = image[:, start_h : h - start_h, start_w : w - start_w, :]
    return _unbatched(out, was_batch)


def random_crop(value, size, seed=None, name=None):
    """A window of shape ``size`` at a uniformly drawn offset."""
    value = value._th_read() if isinstance(value, VariableLike) else convert_to_tensor(value)
    shape = value.shape.as_list()
    size = [_int(s, "size") for s in (size.numpy() if isinstance(size, Tensor) else size)]
    if len(size) != len(shape) or any(s > d for s, d in zip(size, shape)):
        raise ValueError(f"Need value.shape >= size, got {shape} and {size}")
    limit = [d - s + 1 for d, s in zip(shape, size)]
    r = _random.uniform([len(shape)], 0, 2**31 - 1, dtype=_dt.int32, seed=seed)
    offset = _math.floormod(r, convert_to_tensor(np.asarray(limit, np.int32)))
    return _array.slice(value, offset, size)


# ---- flips and rotations -----------------------------------------------------------------------
def flip_left_right(image):
    """Mirror the width axis."""
    image = _image(image)
    return _array.reverse(image, [image.shape.rank - 2])


def flip_up_down(image):
    """Mirror the height axis."""
    image = _image(image)
    return _array.reverse(image, [image.shape.rank - 3])


def _random_flip(image, axis_from_end, seed):
    image = _image(image)
    rank = image.shape.rank
    n = 1 if rank == 3 else image.shape.as_list()[0]
    if n is None:
        raise ValueError("random flips here need a static batch size")
    flip = _math.less(_random.uniform([n, 1, 1, 1][4 - rank :], 0, 1.0, seed=seed), 0.5)
    axis = rank - axis_from_end
    if rank == 3:  # one image: TF's cond, so only the chosen image is made
        flip = _array.reshape(flip, [])
        return cond(flip, lambda: _array.reverse(image, [axis]), lambda: _array.identity(image))
    return _array.where(flip, _array.reverse(image, [axis]), image)  # a mask per image


def random_flip_left_right(image, seed=None):
    """Each image mirrored left-right with probability 1/2."""
    return _random_flip(image, 2, seed)


def random_flip_up_down(image, seed=None):
    """Each image mirrored up-down with probability 1/2."""
    return _random_flip(image, 3, seed)


def transpose(image, name=None):
    """Swap height and width."""
    image = _image(image)
    perm = [1, 0, 2] if image.shape.rank == 3 else [0, 2, 1, 3]
    return _array.transpose(image, perm)


def rot90(image, k=1, name=None):
    """Rotate by ``k`` quarter turns anticlockwise."""
    image = _image(image)
    k = _int(k, "k") % 4
    if k == 0:
        return image
    if k == 2:
        return flip_up_down(flip_left_right(image))
    if k == 1:
        return flip_up_down(transpose(image))
    return flip_left_right(transpose(image))


# ---- dtypes ------------------------------------------------------------------------------------
def convert_image_dtype(image, dtype, saturate=False, name=None):
    """TF's image dtype conversion: integers span [0, MAX], floats [0, 1]."""
    image = image._th_read() if isinstance(image, VariableLike) else convert_to_tensor(image)
    dtype = _dt.as_dtype(dtype)
    src = image.dtype
    if not (src.is_integer or src.is_floating) or not (dtype.is_integer or dtype.is_floating):
        raise AttributeError("dtype must be either floating point or integer")
    if src == dtype:
        return image
    if src.is_integer and dtype.is_integer:
        in_max, out_max = int(src.max), int(dtype.max)
        if in_max > out_max:
            scale = (in_max + 1) // (out_max + 1)
            scaled = _math.floordiv(image, _math.cast(scale, src))
            return _dt.saturate_cast(scaled, dtype) if saturate else _math.cast(scaled, dtype)
        scale = (out_max + 1) // (in_max + 1)
        scaled = _dt.saturate_cast(image, dtype) if saturate else _math.cast(image, dtype)
        return scaled * _math.cast(scale, dtype)
    if src.is_floating and dtype.is_floating:
        return _math.cast(image, dtype)
    if src.is_integer:
        return _math.cast(image, dtype) * _math.cast(1.0 / src.max, dtype)
    scaled = image * _math.cast(dtype.max + 0.5, src)
    return _dt.saturate_cast(scaled, dtype) if saturate else _math.cast(scaled, dtype)


def _as_float(image):
    image = _image(image)
    if image.dtype in (_dt.float16, _dt.float32, _dt.float64, _dt.bfloat16):
        return image, image.dtype
    return convert_image_dtype(image, _dt.float32), image.dtype


def _back(image, dtype):
    return convert_image_dtype(image, dtype, saturate=True)


# ---- colour ------------------------------------------------------------------------------------
def adjust_brightness(image, delta):
    """Add ``delta`` (in [0, 1] units for integer images, saturating)."""
    flt, dtype = _as_float(image)
    return _back(flt + _math.cast(delta, flt.dtype), dtype)


def adjust_contrast(images, contrast_factor):
    """Scale each channel's distance from its per-image mean by ``contrast_factor``."""
    flt, dtype = _as_float(images)
    mean = _math.reduce_mean(flt, axis=[-3, -2], keepdims=True)
    scaled = (flt - mean) * _math.cast(contrast_factor, flt.dtype)
    # TF's AdjustContrastv2 has no gradient: the last node says so (``_grads/image.py``)
    out = _op("AddV2", [scaled, mean], {"gradient_rule": "AdjustContrastv2"})
    return _back(out, dtype)


def adjust_gamma(image, gamma=1, gain=1):
    """``gain * image ** gamma`` on [0, 1] values."""
    flt, dtype = _as_float(image)
    if isinstance(gamma, int | float) and gamma < 0:
        raise ValueError("Gamma should be a non-negative real number.")
    out = _math.cast(gain, flt.dtype) * _math.pow(flt, _math.cast(gamma, flt.dtype))
    return _back(out, dtype)


def rgb_to_hsv(images, name=None):
    """RGB in [0, 1] to HSV in [0, 1] (TF's formulas; grey pixels get hue 0)."""
    images = _image(images, "images")
    r, g, b = _array.unstack(images, axis=-1)
    value = _math.maximum(_math.maximum(r, g), b)
    minimum = _math.minimum(_math.minimum(r, g), b)
    rng = value - minimum
    zero = _array.zeros_like(value)
    saturation = _array.where(value > 0, _math.divide_no_nan(rng, value), zero)
    norm = _math.divide_no_nan(_array.ones_like(rng), rng * 6.0)
    hue = _array.where(
        _math.equal(g, value),
        norm * (b - r) + 2.0 / 6.0,
        norm * (r - g) + 4.0 / 6.0,
    )
    hue = _array.where(_math.equal(r, value), norm * (g - b), hue)
    hue = _array.where(rng > 0, hue, zero)
    hue = _array.where(hue < 0, hue + 1.0, hue)
    return _array.stack([hue, saturation, value], axis=-1)


def hsv_to_rgb(images, name=None):
    """HSV in [0, 1] back to RGB."""
    images = _image(images, "images")
    h, s, v = _array.unstack(images, axis=-1)
    c = s * v
    m = v - c
    dh = h * 6.0

    def channel(offset):
        x = _math.abs(_math.floormod(dh + offset, 6.0) - 3.0) - 1.0
        return _math.clip_by_value(x, 0.0, 1.0)

    r, g, b = channel(0.0), channel(4.0), channel(2.0)
    return _array.stack([r * c + m, g * c + m, b * c + m], axis=-1)


def adjust_saturation(image, saturation_factor, name=None):
    """Scale the HSV saturation by ``saturation_factor`` (clipped to [0, 1])."""
    flt, dtype = _as_float(image)
    hsv = rgb_to_hsv(flt)
    h, s, v = _array.unstack(hsv, axis=-1)
    s = _math.clip_by_value(s * _math.cast(saturation_factor, s.dtype), 0.0, 1.0)
    return _back(hsv_to_rgb(_array.stack([h, s, v], axis=-1)), dtype)


def adjust_hue(image, delta, name=None):
    """Rotate the HSV hue by ``delta`` (in [-1, 1], turns)."""
    flt, dtype = _as_float(image)
    hsv = rgb_to_hsv(flt)
    h, s, v = _array.unstack(hsv, axis=-1)
    h = _math.floormod(h + _math.cast(delta, h.dtype), 1.0)
    return _back(hsv_to_rgb(_array.stack([h, s, v], axis=-1)), dtype)


def random_brightness(image, max_delta, seed=None):
    """``adjust_brightness`` by a delta drawn from ``[-max_delta, max_delta)``."""
    if max_delta < 0:
        raise ValueError("max_delta must be non-negative.")
    delta = _random.uniform([], -max_delta, max_delta, seed=seed)
    return adjust_brightness(image, delta)


def random_contrast(image, lower, upper, seed=None):
    """``adjust_contrast`` by a factor drawn from ``[lower, upper)``."""
    if upper <= lower:
        raise ValueError("upper must be > lower.")
    if lower < 0:
        raise ValueError("lower must be non-negative.")
    return adjust_contrast(image, _random.uniform([], lower, upper, seed=seed))


def random_saturation(image, lower, upper, seed=None):
    """``adjust_saturation`` by a factor drawn from ``[lower, upper)``."""
    if upper <= lower:
        raise ValueError("upper must be > lower.")
    if lower < 0:
        raise ValueError("lower must be non-negative.")
    return adjust_saturation(image, _random.uniform([], lower, upper, seed=seed))


def random_hue(image, max_delta, seed=None):
    """``adjust_hue`` by a delta drawn from ``[-max_delta, max_delta)``, ``max_delta <= 0.5``."""
    if max_delta > 0.5:
        raise ValueError("max_delta must be <= 0.5.")
    if max_delta < 0:
        raise ValueError("max_delta must be non-negative.")
    return adjust_hue(image, _random.uniform([], -max_delta, max_delta, seed=seed))


_GRAY = np.array([0.2989, 0.5870, 0.1140], np.float32)


def rgb_to_grayscale(images, name=None):
    """Luma (ITU-R 601 weights), keeping a channel axis of 1 and the dtype."""
    flt, dtype = _as_float(images)
    weights = convert_to_tensor(_GRAY.astype(flt.dtype.as_numpy_dtype))
    gray = _math.reduce_sum(flt * weights, axis=-1, keepdims=True)
    return convert_image_dtype(gray, dtype)


def grayscale_to_rgb(images, name=None):
    """Repeat the one channel three times."""
    images = images._th_read() if isinstance(images, VariableLike) else convert_to_tensor(images)
    if images.shape.rank is not None and images.shape.rank < 2:
        raise ValueError(f"'images' (shape {images.shape}) must be at least two-dimensional.")
    if images.shape.as_list()[-1] != 1:
        raise ValueError(f"Dimension -1 of 'images' (shape {images.shape}) must be 1")
    return _array.concat([images, images, images], axis=-1)


_YUV = np.array(
    [[0.299, -0.14714119, 0.61497538], [0.587, -0.28886916, -0.51496512],
     [0.114, 0.43601035, -0.10001026]], np.float32)  # fmt: skip


def rgb_to_yuv(images):
    """RGB in [0, 1] to YUV."""
    images = _image(images, "images")
    return _math.tensordot(images, convert_to_tensor(_YUV.astype(images.dtype.as_numpy_dtype)),
                           axes=[[images.shape.rank - 1], [0]])  # fmt: skip


def yuv_to_rgb(images):
    """YUV back to RGB."""
    images = _image(images, "images")
    inverse = np.linalg.inv(_YUV.astype(np.float64)).astype(images.dtype.as_numpy_dtype)
    return _math.tensordot(images, convert_to_tensor(inverse),
                           axes=[[images.shape.rank - 1], [0]])  # fmt: skip


def per_image_standardization(image):
    """Each image scaled to zero mean and unit variance (the deviation floored at
    ``1 / sqrt(pixels)``), as float32 unless the image is already floating."""
    image = _image(image)
    if not image.dtype.is_floating:
        image = _math.cast(image, _dt.float32)
    h, w, c = image.shape.as_list()[-3:]
    pixels = h * w * c
    mean = _math.reduce_mean(image, axis=[-1, -2, -3], keepdims=True)
    std = _math.reduce_std(image, axis=[-1, -2, -3], keepdims=True)
    floor = _math.cast(1.0 / _pymath.sqrt(pixels), image.dtype)
    return (image - mean) / _math.maximum(std, floor)


def image_gradients(image):
    """``(dy, dx)``: forward differences down and across, zero in the last row / column."""
    image = _image(image)
    if image.shape.rank != 4:
        raise ValueError(
            f"image_gradients expects a 4D tensor [batch_size, h, w, d], not {image.shape}."
        )
    dy = image[:, 1:, :, :] - image[:, :-1, :, :]
    dx = image[:, :, 1:, :] - image[:, :, :-1, :]
    dy = _array.pad(dy, [[0, 0], [0, 1], [0, 0], [0, 0]])
    dx = _array.pad(dx, [[0, 0], [0, 0], [0, 1], [0, 0]])
    return dy, dx


def total_variation(images, name=None):
    """Sum of absolute differences between neighbouring pixels (per image for a batch)."""
    images = _image(images, "images")
    if images.shape.rank == 3:
        dy = images[1:, :, :] - images[:-1, :, :]
        dx = images[:, 1:, :] - images[:, :-1, :]
        return _math.reduce_sum(_math.abs(dy)) + _math.reduce_sum(_math.abs(dx))
    dy = images[:, 1:, :, :] - images[:, :-1, :, :]
    dx = images[:, :, 1:, :] - images[:, :, :-1, :]
    return _math.reduce_sum(_math.abs(dy), axis=[1, 2, 3]) + _math.reduce_sum(
        _math.abs(dx), axis=[1, 2, 3]
    )
