"""Keras 3's ``keras.ops.image`` on the ops layer's ``image`` module: resizing (with Keras's
crop / pad to the target's aspect ratio), crops and pads by margins or target sizes, colour
conversions and patch extraction. Images are rank 3 (one) or rank 4 (a batch), channels last
or first (``data_format``, default ``keras.config.image_data_format()``)."""

from __future__ import annotations

import functools
import itertools
import operator

import numpy as np

import tensorhouse_ops as tops
from tensorhouse_ops import image as timage

from . import config
from ._dtypes import result_type, standardize_dtype, to_tensor

__all__ = [
    "affine_transform", "crop_images", "extract_patches", "extract_patches_3d", "gaussian_blur",
    "hsv_to_rgb", "map_coordinates", "pad_images", "perspective_transform", "resize",
    "rgb_to_grayscale", "rgb_to_hsv", "sobel_edges", "ssim",
]  # fmt: skip

_INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic", "area")


def _format(data_format):
    data_format = data_format or config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
            f"Received: data_format={data_format}"
        )
    return data_format


def _images(images):
    images = to_tensor(images)
    if len(images.shape) not in (3, 4):
        raise ValueError(
            "Invalid images rank: expected rank 3 (single image) or rank 4 (batch of images). "
            f"Received input with shape: images.shape={images.shape}"
        )
    return images


def _to_last(images, data_format):
    """Channels-last ``images`` and the function that puts the result back in ``data_format``."""
    if data_format == "channels_last":
        return images, lambda y: y
    if len(images.shape) == 4:
        return tops.transpose(images, [0, 2, 3, 1]), lambda y: tops.transpose(y, [0, 3, 1, 2])
    return tops.transpose(images, [1, 2, 0]), lambda y: tops.transpose(y, [2, 0, 1])


def _f32_int(value):
    """``int(float32(value))``: Keras computes the aspect-ratio boxes in float32."""
    return int(np.float32(value))


def resize(
    images,
    size,
    interpolation="bilinear",
    antialias=False,
    crop_to_aspect_ratio=False,
    pad_to_aspect_ratio=False,
    fill_mode="constant",
    fill_value=0.0,
    data_format=None,
):
    """``images`` resized to ``size = (height, width)`` (TF's ``tf.image.resize``: float32
    results, nearest keeps the dtype); first cropped (or padded with ``fill_value``) to the
    target's aspect ratio when asked."""
    if len(size) != 2:
        raise ValueError(f"Expected `size` to be a tuple of 2 integers. Received: size={size}")
    if size[0] <= 0 or size[1] <= 0:
        raise ValueError(f"`size` must have positive height and width. Received: size={size}")
    images = _images(images)
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError(
            "Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be `True`."
        )
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            "Invalid value for argument `interpolation`. Expected of one "
            f"{_INTERPOLATIONS}. Received: interpolation={interpolation}"
        )
    if fill_mode != "constant":
        raise ValueError(
            "Invalid value for argument `fill_mode`. Only `'constant'` is supported. "
            f"Received: fill_mode={fill_mode}"
        )
    x, back = _to_last(images, _format(data_format))
    th, tw = int(size[0]), int(size[1])
    if crop_to_aspect_ratio or pad_to_aspect_ratio:
        h, w = x.shape[-3], x.shape[-2]
        if h is None or w is None:
            raise ValueError(
                "resize: `crop_to_aspect_ratio` / `pad_to_aspect_ratio` need a known height and "
                f"width. Received: images.shape={images.shape}"
            )
        lead = [slice(None)] * (len(x.shape) - 3)
        if crop_to_aspect_ratio:
            ch = max(min(h, _f32_int(np.float32(w * th) / np.float32(tw))), 1)
            cw = max(min(w, _f32_int(np.float32(h * tw) / np.float32(th))), 1)
            top, left = _f32_int(np.float32(h - ch) / 2), _f32_int(np.float32(w - cw) / 2)
            x = x[(*lead, slice(top, top + ch), slice(left, left + cw))]
        else:
            ph = max(h, _f32_int(np.float32(w * th) / np.float32(tw)))
            pw = max(w, _f32_int(np.float32(h * tw) / np.float32(th)))
            top, left = _f32_int(np.float32(ph - h) / 2), _f32_int(np.float32(pw - w) / 2)
            pads = [[0, 0]] * len(lead) + [[top, top], [left, left], [0, 0]]
            x = tops.pad(x, pads, constant_values=tops.cast(fill_value, x.dtype))
    return back(timage.resize(x, (th, tw), method=interpolation, antialias=antialias))


def _check_channels(images, axis):
    if images.shape[axis] not in (1, 3):
        raise ValueError(
            "Invalid channel size: expected 3 (RGB) or 1 (Grayscale). "
            f"Received input with shape: images.shape={images.shape}"
        )


def rgb_to_grayscale(images, data_format=None):
    """``0.2989 R + 0.5870 G + 0.1140 B`` with a channel axis of 1, in the input's dtype
    (computed in float); one-channel images pass unchanged."""
    images = _images(images)
    axis = -1 if _format(data_format) == "channels_last" else -3
    _check_channels(images, axis)
    if images.shape[axis] == 1:
        return tops.identity(images)
    dtype = images.dtype
    x = images if dtype.is_floating else tops.cast(images, config.floatx())
    shape = [1] * len(x.shape)
    shape[axis] = 3
    weights = tops.reshape(tops.constant([0.2989, 0.5870, 0.1140], x.dtype), shape)
    gray = tops.reduce_sum(x * weights, axis=axis, keepdims=True)
    return gray if gray.dtype == dtype else tops.cast(gray, dtype)


def _float_images(images):
    images = _images(images)
    if not images.dtype.is_floating:
        raise ValueError(
            "Invalid images dtype: expected float dtype. "
            f"Received: images.dtype={standardize_dtype(images.dtype)}"
        )
    return images


def rgb_to_hsv(images, data_format=None):
    """Hue, saturation and value in [0, 1] (float images only)."""
    x, back = _to_last(_float_images(images), _format(data_format))
    return back(timage.rgb_to_hsv(x))


def hsv_to_rgb(images, data_format=None):
    """The inverse of ``rgb_to_hsv`` (float images only)."""
    x, back = _to_last(_float_images(images), _format(data_format))
    return back(timage.hsv_to_rgb(x))


def _two_of(first, second, target, names):
    if [first, second, target].count(None) != 1:
        raise ValueError(
            f"Must specify exactly two of {', '.join(names)}. Received: {names[0]}={first}, "
            f"{names[1]}={second}, {names[2]}={target}"
        )
    for value, name in zip((first, second, target), names, strict=True):
        if value is not None and value < 0:
            raise ValueError(f"{name} must be >= 0. Received: {name}={value}")


def _spatial(images, data_format):
    images = _images(images)
    data_format = _format(data_format)
    axes = (-3, -2) if data_format == "channels_last" else (-2, -1)
    return images, axes, [images.shape[a] for a in axes]


def pad_images(
    images,
    top_padding=None,
    left_padding=None,
    bottom_padding=None,
    right_padding=None,
    target_height=None,
    target_width=None,
    data_format=None,
):
    """``images`` padded with zeros: two of each (top, bottom, target height) and (left,
    right, target width) given, the third follows."""
    images, axes, (h, w) = _spatial(images, data_format)
    _two_of(top_padding, bottom_padding, target_height,
            ("top_padding", "bottom_padding", "target_height"))  # fmt: skip
    _two_of(left_padding, right_padding, target_width,
            ("left_padding", "right_padding", "target_width"))  # fmt: skip
    top = target_height - bottom_padding - h if top_padding is None else top_padding
    bottom = target_height - top - h if bottom_padding is None else bottom_padding
    left = target_width - right_padding - w if left_padding is None else left_padding
    right = target_width - left - w if right_padding is None else right_padding
    for value, name in ((top, "top_padding"), (left, "left_padding"),
                        (right, "right_padding"), (bottom, "bottom_padding")):  # fmt: skip
        if value < 0:
            raise ValueError(f"{name} must be >= 0. Received: {name}={value}")
    pads = [[0, 0] for _ in images.shape]
    pads[axes[0]], pads[axes[1]] = [top, bottom], [left, right]
    return tops.pad(images, pads)


def crop_images(
    images,
    top_cropping=None,
    left_cropping=None,
    bottom_cropping=None,
    right_cropping=None,
    target_height=None,
    target_width=None,
    data_format=None,
):
    """The ``target_height`` x ``target_width`` window of ``images``: two of each (top, bottom,
    target height) and (left, right, target width) given, the third follows."""
    images, axes, (h, w) = _spatial(images, data_format)
    _two_of(top_cropping, bottom_cropping, target_height,
            ("top_cropping", "bottom_cropping", "target_height"))  # fmt: skip
    _two_of(left_cropping, right_cropping, target_width,
            ("left_cropping", "right_cropping", "target_width"))  # fmt: skip
    top = h - target_height - bottom_cropping if top_cropping is None else top_cropping
    height = h - bottom_cropping - top if target_height is None else target_height
    left = w - target_width - right_cropping if left_cropping is None else left_cropping
    width = w - right_cropping - left if target_width is None else target_width
    for value, name in ((top, "top_cropping"), (height, "target_height"),
                        (left, "left_cropping"), (width, "target_width")):  # fmt: skip
        if value < 0:
            raise ValueError(f"{name} must be >= 0. Received: {name}={value}")
    window = [slice(None) for _ in images.shape]
    window[axes[0]], window[axes[1]] = slice(top, top + height), slice(left, left + width)
    return images[tuple(window)]


def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    """Each ``size`` patch flattened (rows, columns, channels) into the channel axis: a
    convolution with an identity kernel, as Keras computes it."""
    from ._nn import conv

    if not isinstance(size, int):
        if not isinstance(size, tuple | list):
            raise TypeError(
                "Invalid `size` argument. Expected an int or a tuple. "
                f"Received: size={size} of type {type(size).__name__}"
            )
        if len(size) not in (2, 3):
            raise ValueError(
                "Invalid `size` argument. Expected a tuple of length 2 or 3. "
                f"Received: size={size} with length {len(size)}"
            )
        if len(size) == 3:
            return extract_patches_3d(images, size, strides, dilation_rate, padding, data_format)
    ph, pw = (size, size) if isinstance(size, int) else size
    images = _images(images)
    data_format = _format(data_format)
    channels = images.shape[-1 if data_format == "channels_last" else -3]
    out = ph * pw * channels
    kernel = tops.reshape(tops.eye(out, dtype=images.dtype), [ph, pw, channels, out])
    batched = len(images.shape) == 4
    x = images if batched else tops.expand_dims(images, 0)
    patches = conv(x, kernel, strides=strides or size, padding=padding,
                   data_format=data_format, dilation_rate=dilation_rate)  # fmt: skip
    return patches if batched else tops.squeeze(patches, 0)


_MAP_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def _mirror(index, size):
    """``d c b | a b c d | c b a``: a triangular wave of half-period ``size - 1``."""
    if size == 1:
        return tops.zeros_like(index)
    return tops.abs(tops.math.floormod(index + (size - 1), 2 * (size - 1)) - (size - 1))


def _fold_index(index, size, fill_mode):
    """An int index brought inside ``[0, size)`` by ``fill_mode``, and whether it was inside
    (only ``constant`` fills the points outside)."""
    inside = tops.ones_like(index, dtype="bool")
    if fill_mode == "constant":
        inside = tops.logical_and(index >= 0, index < size)
        return tops.clip_by_value(index, 0, size - 1), inside
    if fill_mode == "nearest":
        return tops.clip_by_value(index, 0, size - 1), inside
    if fill_mode == "wrap":
        return tops.math.floormod(index, size), inside
    if fill_mode == "mirror":
        return _mirror(index, size), inside
    # reflect, ``d c b a | a b c d | d c b a``: the mirror of the half-integer grid
    return tops.math.floordiv(_mirror(2 * index + 1, 2 * size + 1) - 1, 2), inside


def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    """``inputs`` read at ``coordinates`` (one array of positions per input axis), by nearest
    (``order=0``, halves to even) or linear (``order=1``) interpolation; points outside are
    folded in by ``fill_mode`` or, for ``constant``, read as ``fill_value``."""
    x = to_tensor(inputs)
    coords = to_tensor(coordinates)
    if coords.shape[0] != len(x.shape):
        raise ValueError(
            "First dim of `coordinates` must be the same as the rank of `inputs`. Received "
            f"inputs with shape: {x.shape} and coordinate leading dim of {coords.shape[0]}"
        )
    if len(coords.shape) < 2:
        raise ValueError(
            "Invalid coordinates rank: expected at least rank 2. Received input with shape: "
            f"{coords.shape}"
        )
    if fill_mode not in _MAP_FILL_MODES:
        raise ValueError(
            f"Invalid value for argument `fill_mode`. Expected one of {set(_MAP_FILL_MODES)}. "
            f"Received: fill_mode={fill_mode}"
        )
    if order not in (0, 1):
        raise NotImplementedError("map_coordinates currently requires order<=1")
    per_axis = []
    for c, size in zip(tops.unstack(coords, axis=0), x.shape, strict=True):
        if order == 0:
            c = c if c.dtype.is_integer else tops.round(c)
            nodes = [(tops.cast(c, "int32"), tops.constant(1, c.dtype))]
        else:
            low = tops.math.floor(c)
            index = tops.cast(low, "int32")
            nodes = [(index, 1 - (c - low)), (index + 1, c - low)]
        per_axis.append([(*_fold_index(i, size, fill_mode), w) for i, w in nodes])
    terms = []
    for corner in itertools.product(*per_axis):
        indices, inside, weights = zip(*corner, strict=True)
        dtype = weights[0].dtype
        values = tops.cast(tops.gather_nd(x, tops.stack(indices, axis=-1)), dtype)
        if fill_mode == "constant":
            ok = functools.reduce(tops.logical_and, inside)
            values = tops.where(ok, values, tops.cast(fill_value, dtype) + tops.zeros_like(values))
        terms.append(functools.reduce(operator.mul, weights) * values)
    result = functools.reduce(operator.add, terms)
    if x.dtype.is_integer:
        result = tops.round(result)
    return tops.cast(result, x.dtype)


_AFFINE_INTERPOLATIONS = ("nearest", "bilinear")
_AFFINE_FILL_MODES = ("constant", "nearest", "wrap", "reflect")


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant",
                     fill_value=0, data_format=None):  # fmt: skip
    """``images`` resampled through ``transform`` (8 numbers per image, TF's projective
    ``a0 a1 a2 b0 b1 b2 c0 c1``): output pixel ``(x, y)`` reads the input at
    ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)``, ``k = c0 x + c1 y + 1``."""
    from ..layers.preprocessing._geometric import affine_transform as resample

    if interpolation not in _AFFINE_INTERPOLATIONS:
        raise ValueError(
            "Invalid value for argument `interpolation`. Expected of one "
            f"{_AFFINE_INTERPOLATIONS}. Received: interpolation={interpolation}"
        )
    if fill_mode not in _AFFINE_FILL_MODES:
        raise ValueError(
            "Invalid value for argument `fill_mode`. Expected of one "
            f"{_AFFINE_FILL_MODES}. Received: fill_mode={fill_mode}"
        )
    images, transform = _images(images), to_tensor(transform)
    if len(transform.shape) not in (1, 2):
        raise ValueError(
            "Invalid transform rank: expected rank 1 (single transform) or rank 2 (batch of "
            f"transforms). Received input with shape: transform.shape={transform.shape}"
        )
    if transform.shape[-1] != 8:
        raise ValueError(
            "affine_transform: a transform has 8 numbers (a0 a1 a2 b0 b1 b2 c0 c1). "
            f"Received: transform.shape={transform.shape}"
        )
    if len(transform.shape) == 1:
        transform = tops.expand_dims(transform, 0)
    if transform.shape[0] == 1 and len(images.shape) == 4:  # one transform for every image
        transform = tops.tile(transform, tops.stack([tops.shape(images)[0], 1]))
    dtype = images.dtype
    x = images if dtype.is_floating else tops.cast(images, "float32")
    out = resample(x, transform, interpolation, fill_mode, fill_value, _format(data_format))
    return out if out.dtype == dtype else tops.cast(out, dtype)


def _triple(value, name):
    value = (value,) * 3 if isinstance(value, int) else tuple(value)
    if len(value) != 3:
        raise ValueError(f"Invalid `{name}` argument. Got: {value}")
    return value


def extract_patches_3d(volumes, size, strides=None, dilation_rate=1, padding="valid",
                       data_format=None):  # fmt: skip
    """Each ``size`` patch of a volume flattened (depth, rows, columns, channels) into the
    channel axis, as Keras's identity-kernel 3-D convolution: one strided slice per tap."""
    if not isinstance(size, int) and len(size) != 3:
        raise TypeError(
            "Invalid `size` argument. Expected an int or a tuple of length 3. "
            f"Received: size={size}"
        )
    size = _triple(size, "size")
    strides, dilation = _triple(strides or size, "strides"), _triple(dilation_rate, "dilation_rate")
    if padding not in ("valid", "same"):
        raise ValueError(f"Invalid padding: {padding}. Expected 'valid' or 'same'.")
    if max(strides) > 1 and max(dilation) > 1:  # TF's convolution refuses it
        raise ValueError(
            "`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
            f"Received: strides={list(strides)} and dilation_rate={list(dilation)}"
        )
    volumes, data_format = to_tensor(volumes), _format(data_format)
    if len(volumes.shape) not in (4, 5):
        raise ValueError(
            "Invalid volumes rank: expected rank 4 (single volume) or rank 5 (batch of volumes). "
            f"Received input with shape: volumes.shape={volumes.shape}"
        )
    batched = len(volumes.shape) == 5
    x = volumes if batched else tops.expand_dims(volumes, 0)
    if data_format == "channels_first":
        x = tops.transpose(x, [0, 2, 3, 4, 1])
    spans = [(k - 1) * d + 1 for k, d in zip(size, dilation, strict=True)]
    lengths, pads = [], [[0, 0]]
    for n, span, stride in zip(x.shape[1:4], spans, strides, strict=True):
        out = -(-n // stride) if padding == "same" else max(-(-(n - span + 1) // stride), 0)
        total = max((out - 1) * stride + span - n, 0) if padding == "same" else 0
        lengths.append(out)
        pads.append([total // 2, total - total // 2])
    x = tops.pad(x, pads + [[0, 0]]) if padding == "same" else x
    taps = []
    for offsets in itertools.product(*(range(k) for k in size)):
        start = [0] + [o * d for o, d in zip(offsets, dilation, strict=True)] + [0]
        end = [0] + [b + (n - 1) * s + 1 for b, n, s in zip(start[1:], lengths, strides)] + [0]
        taps.append(tops.strided_slice(x, start, end, [1, *strides, 1], begin_mask=17, end_mask=17))
    patches = tops.concat(taps, axis=-1)
    if data_format == "channels_first":
        patches = tops.transpose(patches, [0, 4, 1, 2, 3])
    return patches if batched else tops.squeeze(patches, 0)


def _batch_last(images, data_format):
    """Batched channels-last ``images`` and the function that restores the layout."""
    images, data_format = _images(images), _format(data_format)
    batched = len(images.shape) == 4
    x = images if batched else tops.expand_dims(images, 0)
    if data_format == "channels_first":
        x = tops.transpose(x, [0, 2, 3, 1])

    def back(y, moved=(0, 3, 1, 2)):
        y = tops.transpose(y, list(moved)) if data_format == "channels_first" else y
        return y if batched else tops.squeeze(y, 0)

    return x, back


def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """A depthwise ``SAME`` convolution with a separable Gaussian kernel, as Keras's TF
    backend builds it (the row profile uses ``kernel_size[1]`` and ``sigma[1]``)."""
    from ._nn import depthwise_conv

    x, back = _batch_last(images, data_format)
    dtype = x.dtype

    def profile(n, s):
        r = tops.cast(tops.range(n), dtype) - (n - 1) / 2
        k = tops.exp(-0.5 * tops.square(r / tops.cast(s, dtype)))
        return k / tops.reduce_sum(k)

    (kh, kw), (sh, sw) = kernel_size, sigma
    kernel = tops.reshape(profile(kw, sw)[:, None] * profile(kh, sh)[None, :], [kh, kw, 1, 1])
    kernel = tops.tile(kernel, [1, 1, x.shape[-1], 1])
    return back(depthwise_conv(x, kernel, padding="same", data_format="channels_last"))


def sobel_edges(images, data_format=None):
    """The Sobel gradients (dy, dx) stacked on a new last axis, as ``tf.image.sobel_edges``."""
    x, back = _batch_last(images, data_format)
    return back(timage.sobel_edges(x), moved=(0, 3, 1, 2, 4))


def _homography(start, end):
    """The 8 projective numbers mapping each ``end`` quad onto its ``start`` quad."""
    rows, target = [], []
    zero = tops.zeros_like(end[:, 0, 0])
    for i in range(4):
        (ex, ey), (sx, sy) = (end[:, i, 0], end[:, i, 1]), (start[:, i, 0], start[:, i, 1])
        one = tops.ones_like(ex)
        rows.append(tops.stack([ex, ey, one, zero, zero, zero, -sx * ex, -sx * ey], axis=-1))
        rows.append(tops.stack([zero, zero, zero, ex, ey, one, -sy * ex, -sy * ey], axis=-1))
        target += [sx, sy]
    solved = tops.linalg.solve(tops.stack(rows, axis=1), tops.stack(target, axis=-1)[..., None])
    return tops.reshape(solved, [-1, 8])


def perspective_transform(images, start_points, end_points, interpolation="bilinear",
                          fill_value=0, data_format=None):  # fmt: skip
    """``images`` warped so the quad ``start_points`` lands on ``end_points`` (4 ``(x, y)``
    corners each, one set or one per image); outside pixels take ``fill_value``."""
    if interpolation not in _AFFINE_INTERPOLATIONS:
        raise ValueError(
            "Invalid value for argument `interpolation`. Expected of one "
            f"{_AFFINE_INTERPOLATIONS}. Received: interpolation={interpolation}"
        )
    start, end = to_tensor(start_points, "float32"), to_tensor(end_points, "float32")
    for name, p in (("start_points", start), ("end_points", end)):
        if len(p.shape) not in (2, 3) or tuple(p.shape[-2:]) != (4, 2):
            raise ValueError(
                f"Invalid {name} shape: expected (4,2) for a single image or (N,4,2) for a "
                f"batch. Received shape: {p.shape}"
            )
    if tuple(start.shape) != tuple(end.shape):
        raise ValueError(
            "start_points and end_points must have the same shape. Received "
            f"start_points.shape={start.shape}, end_points.shape={end.shape}"
        )
    if len(start.shape) == 2:
        start, end = tops.expand_dims(start, 0), tops.expand_dims(end, 0)
    return affine_transform(images, _homography(start, end), interpolation, "constant",
                            fill_value, data_format)  # fmt: skip


def ssim(image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03,
         data_format=None):  # fmt: skip
    """The structural similarity of two images (or batches), averaged over the ``VALID``
    Gaussian windows and the channels, as Keras 3 computes it (cast back to the input dtype)."""
    from ._nn import depthwise_conv

    original = to_tensor(image1).dtype
    dtype = result_type(original.name, float)
    ranks = {len(to_tensor(i).shape) for i in (image1, image2)}
    if not ranks <= {3, 4}:
        raise ValueError(
            "Invalid image rank: expected rank 3 (single image) or rank 4 (batch of images). "
            f"Received input shapes: {to_tensor(image1).shape}, {to_tensor(image2).shape}"
        )
    x, back = _batch_last(tops.cast(to_tensor(image1), dtype), data_format)
    y, _ = _batch_last(tops.cast(to_tensor(image2), dtype), data_format)
    r = tops.cast(tops.range(filter_size), dtype) - (filter_size - 1) / 2.0
    g = tops.exp(-tops.square(r) / (2.0 * filter_sigma**2))
    g = g / tops.reduce_sum(g)
    kernel = tops.reshape(g[:, None] * g[None, :], [filter_size, filter_size, 1, 1])
    kernel = tops.tile(kernel, tops.stack([1, 1, tops.shape(x)[-1], 1]))

    def blur(t):
        return depthwise_conv(t, kernel, padding="valid", data_format="channels_last")

    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    mu1, mu2 = blur(x), blur(y)
    var1, var2 = blur(x * x) - mu1 * mu1, blur(y * y) - mu2 * mu2
    cov = blur(x * y) - mu1 * mu2
    ssim_map = (2.0 * mu1 * mu2 + c1) * (2.0 * cov + c2)
    ssim_map = ssim_map / ((mu1 * mu1 + mu2 * mu2 + c1) * (var1 + var2 + c2))
    out = tops.reduce_mean(ssim_map, axis=[1, 2, 3])
    out = out if len(to_tensor(image1).shape) == 4 else tops.squeeze(out, 0)
    return tops.cast(out, original)
