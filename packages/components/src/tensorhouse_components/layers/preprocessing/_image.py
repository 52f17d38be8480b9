"""Image preprocessing: ``Resizing``, ``CenterCrop``, ``RandomCrop``, ``RandomFlip``,
``RandomContrast``, ``RandomBrightness``.

Images are ``(height, width, channels)`` or batches of them (``data_format`` says where the
channels are). Sizes are static, so crops are slices and resizes are gathers with constant
indices and weights (TF's half-pixel-centre ``resize``). The random layers draw from a seeded
``random.Generator`` of their own (a traced function draws anew on each run), transform only while
training, and, as in Keras, count a call without a ``training`` flag as training.
"""

from __future__ import annotations

import random as _pyrandom

import numpy as np

from tensorhouse_ops import cast, gather, math, random, reshape, reverse

from .._args import data_format as _data_format
from .._args import dynamic_shape
from .._layer import Layer

__all__ = [
    "CenterCrop", "RandomBrightness", "RandomContrast", "RandomCrop", "RandomFlip", "Resizing",
]  # fmt: skip


def _hw_axes(ndim, data_format):
    """The (height, width) axes of a rank-3 image or a rank-4 batch."""
    if ndim not in (3, 4):
        raise ValueError(
            f"Expected the input image to be rank 3 or 4. Received: inputs.shape rank {ndim}"
        )
    return (ndim - 2, ndim - 1) if data_format == "channels_first" else (ndim - 3, ndim - 2)


def _resize_axis(x, axis, size, interpolation):
    """``x`` resized to ``size`` along ``axis`` (half-pixel centres, no antialiasing)."""
    n = x.shape.as_list()[axis]
    if n == size:
        return x
    scale = np.float32(n) / np.float32(size)
    centres = (np.arange(size, dtype=np.float32) + np.float32(0.5)) * scale
    if interpolation == "nearest":
        index = np.minimum(np.floor(centres), n - 1).astype(np.int32)
        return gather(x, index, axis=axis)
    src = centres - np.float32(0.5)
    low = np.floor(src)
    frac = (src - low).astype(x.dtype.as_numpy_dtype)
    i0 = np.clip(low, 0, n - 1).astype(np.int32)
    i1 = np.clip(low + 1, 0, n - 1).astype(np.int32)
    shape = [1] * len(x.shape)
    shape[axis] = size
    a, b = gather(x, i0, axis=axis), gather(x, i1, axis=axis)
    return a + (b - a) * reshape(frac, shape)


def _resize(x, height, width, interpolation, data_format):
    h_axis, w_axis = _hw_axes(len(x.shape), data_format)
    return _resize_axis(
        _resize_axis(x, h_axis, height, interpolation), w_axis, width, interpolation
    )


def _slice_hw(x, h_axis, w_axis, h0, h, w0, w):
    index = [slice(None)] * len(x.shape)
    index[h_axis] = slice(h0, h0 + h)
    index[w_axis] = slice(w0, w0 + w)
    return x[tuple(index)]


def _crop_to_aspect(x, height, width, data_format):
    """The largest centred crop of ``x`` with the aspect ratio ``height : width``."""
    h_axis, w_axis = _hw_axes(len(x.shape), data_format)
    in_h, in_w = x.shape.as_list()[h_axis], x.shape.as_list()[w_axis]
    crop_h = max(min(in_h, int(float(in_w * height) / width)), 1)
    crop_w = max(min(in_w, int(float(in_h * width) / height)), 1)
    h0, w0 = int(float(in_h - crop_h) / 2), int(float(in_w - crop_w) / 2)
    return _slice_hw(x, h_axis, w_axis, h0, crop_h, w0, crop_w)


def _check_size(height, width):
    for name, v in (("height", height), ("width", width)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"`{name}` must be a positive integer. Received: {name}={v}")


def _out_shape(input_shape, h, w, data_format):
    out = list(input_shape)
    h_axis, w_axis = _hw_axes(len(out), data_format)
    out[h_axis], out[w_axis] = h, w
    return tuple(out)


class Resizing(Layer):
    """Resizes images to ``(height, width)`` (``"bilinear"`` or ``"nearest"``), optionally after
    a centred crop to the target aspect ratio."""

    def __init__(
        self,
        height,
        width,
        interpolation="bilinear",
        crop_to_aspect_ratio=False,
        pad_to_aspect_ratio=False,
        fill_mode="constant",
        fill_value=0.0,
        antialias=False,
        data_format=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        _check_size(height, width)
        if interpolation not in ("bilinear", "nearest"):
            raise NotImplementedError(
                f"Resizing(interpolation={interpolation!r}) is not supported here; use "
                "'bilinear' or 'nearest'."
            )
        if pad_to_aspect_ratio and crop_to_aspect_ratio:
            raise ValueError(
                "Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be True."
            )
        if pad_to_aspect_ratio or antialias:
            raise NotImplementedError(
                "Resizing with `pad_to_aspect_ratio` or `antialias` is not supported here."
            )
        self.height, self.width = height, width
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = antialias
        self.data_format = _data_format(data_format)

    def call(self, inputs):
        x = inputs
        if not x.dtype.is_floating:
            x = cast(x, self.compute_dtype)
        if self.crop_to_aspect_ratio:
            x = _crop_to_aspect(x, self.height, self.width, self.data_format)
        out = _resize(x, self.height, self.width, self.interpolation, self.data_format)
        return out if inputs.dtype.is_floating else cast(out, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return _out_shape(input_shape, self.height, self.width, self.data_format)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "height": self.height,
                "width": self.width, "interpolation": self.interpolation,
                "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "antialias": self.antialias}  # fmt: skip


class CenterCrop(Layer):
    """The centred ``(height, width)`` crop of each image; an image smaller than that is
    cropped to the aspect ratio and resized up (bilinear), as Keras does."""

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(**kwargs)
        _check_size(height, width)
        self.height, self.width = height, width
        self.data_format = _data_format(data_format)

    def call(self, inputs):
        x = cast(inputs, self.compute_dtype)
        h_axis, w_axis = _hw_axes(len(x.shape), self.data_format)
        in_h, in_w = x.shape.as_list()[h_axis], x.shape.as_list()[w_axis]
        if in_h >= self.height and in_w >= self.width:
            h0, w0 = (in_h - self.height) // 2, (in_w - self.width) // 2
            return _slice_hw(x, h_axis, w_axis, h0, self.height, w0, self.width)
        x = _crop_to_aspect(x, self.height, self.width, self.data_format)
        return _resize(x, self.height, self.width, "bilinear", self.data_format)

    def compute_output_shape(self, input_shape):
        return _out_shape(input_shape, self.height, self.width, self.data_format)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "height": self.height,
                "width": self.width}  # fmt: skip


class RandomImageLayer(Layer):
    """Shared by the random image layers: ``training`` None counts as true (Keras's default).
    A seeded layer draws from its own generator (a new draw each call, eager or traced; equal
    seeds repeat the same draws, as Keras's ``SeedGenerator``); an unseeded one from the global
    seed."""

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.data_format = _data_format(data_format)
        # made here: a traced call cannot create the generator's state
        self._generator = None if seed is None else random.Generator.from_seed(seed)

    def _uniform(self, shape, minval, maxval, dtype="float32"):
        if self._generator is None:
            return random.uniform(shape, minval, maxval, dtype=dtype)
        return self._generator.uniform(shape, minval, maxval, dtype=dtype)

    def _per_image_shape(self, x):
        """One draw per image: (1, 1, 1) for an image, (batch, 1, 1, 1) for a batch."""
        ndim = len(x.shape)
        _hw_axes(ndim, self.data_format)
        return [dynamic_shape(x)[0], 1, 1, 1] if ndim == 4 else [1, 1, 1]

    def call(self, inputs, training=None):
        x = cast(inputs, self.compute_dtype)
        if training is False:
            return x
        return self._transform(x)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


def set_factor(factor, bounds):
    """Keras's ``factor``: a number ``f`` is ``(max(-|f|, low), |f|)``; a pair is sorted."""
    message = (
        "The `factor` argument should be a number (or a list of two numbers) in the range "
        f"[{bounds[0]}, {bounds[1]}]. Received: factor={factor}"
    )
    if isinstance(factor, tuple | list):
        if len(factor) != 2 or factor[0] > bounds[1] or factor[1] < bounds[0]:
            raise ValueError(message)
        return tuple(sorted(factor))
    if isinstance(factor, int | float) and not isinstance(factor, bool):
        if not bounds[0] <= factor <= bounds[1]:
            raise ValueError(message)
        return (max(-abs(factor), bounds[0]), abs(factor))
    raise ValueError(message)


class RandomCrop(RandomImageLayer):
    """While training, a random ``(height, width)`` crop (one offset for the whole batch); an
    input not larger than that is cropped to the aspect ratio and resized. Identity at
    inference."""

    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        if seed is None:  # Keras stores a drawn seed in the config
            seed = _pyrandom.randint(1, 10**9)
        super().__init__(seed, data_format, name=name, **kwargs)
        _check_size(height, width)
        self.height, self.width = height, width

    def call(self, inputs, training=None):
        if training is False:
            return inputs
        return self._transform(cast(inputs, self.compute_dtype))

    def _transform(self, x):
        h_axis, w_axis = _hw_axes(len(x.shape), self.data_format)
        in_h, in_w = x.shape.as_list()[h_axis], x.shape.as_list()[w_axis]
        if in_h > self.height and in_w > self.width:
            h0 = cast(self._uniform([], 0.0, float(in_h - self.height + 1)), "int32")
            w0 = cast(self._uniform([], 0.0, float(in_w - self.width + 1)), "int32")
            rows = math.minimum(h0 + np.arange(self.height, dtype=np.int32), in_h - 1)
            cols = math.minimum(w0 + np.arange(self.width, dtype=np.int32), in_w - 1)
            return gather(gather(x, rows, axis=h_axis), cols, axis=w_axis)
        x = _crop_to_aspect(x, self.height, self.width, self.data_format)
        return _resize(x, self.height, self.width, "bilinear", self.data_format)

    def compute_output_shape(self, input_shape):
        return _out_shape(input_shape, self.height, self.width, self.data_format)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "seed": self.seed}  # fmt: skip


class RandomFlip(RandomImageLayer):
    """While training, flips each image with probability 1/2 (``mode``: ``"horizontal"``,
    ``"vertical"`` or ``"horizontal_and_vertical"``: both axes at once)."""

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(seed, data_format, **kwargs)
        self.mode = mode

    def _transform(self, x):
        h_axis, w_axis = _hw_axes(len(x.shape), self.data_format)
        # One draw per image for both axes, as Keras: both flips or none.
        u = self._uniform(self._per_image_shape(x), 0.0, 1.0)
        flip = cast(math.less_equal(u, 0.5), x.dtype)
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            x = flip * reverse(x, [w_axis]) + (1.0 - flip) * x
        if self.mode in ("vertical", "horizontal_and_vertical"):
            x = flip * reverse(x, [h_axis]) + (1.0 - flip) * x
        return x

    def get_config(self):
        return {**super().get_config(), "seed": self.seed, "mode": self.mode}


class RandomContrast(RandomImageLayer):
    """While training, ``(x - mean) * c + mean`` per image and channel (mean over height and
    width), ``c`` uniform in ``[1 - lower, 1 + upper]`` of ``factor``, clipped to
    ``value_range``."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed, kwargs.pop("data_format", None), **kwargs)
        self.factor = set_factor(factor, (0, 1))
        self.value_range = value_range

    def _transform(self, x):
        h_axis, w_axis = _hw_axes(len(x.shape), self.data_format)
        c = cast(self._uniform(self._per_image_shape(x), 1.0 - self.factor[0],
                               1.0 + self.factor[1]), x.dtype)  # fmt: skip
        mean = math.reduce_mean(x, axis=[h_axis, w_axis], keepdims=True)
        out = (x - mean) * c + mean
        return math.minimum(math.maximum(out, self.value_range[0]), self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range,
                "seed": self.seed}  # fmt: skip


class RandomBrightness(RandomImageLayer):
    """While training, adds ``d * (high - low)`` of ``value_range`` to each image, ``d``
    uniform in ``factor``'s range, and clips to ``value_range``."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed, kwargs.pop("data_format", None), **kwargs)
        self.factor = set_factor(factor, (-1, 1))
        if not isinstance(value_range, tuple | list) or len(value_range) != 2:
            raise ValueError(
                "The `value_range` argument should be a list of two numbers. "
                f"Received: value_range={value_range}"
            )
        self.value_range = sorted(value_range)

    def _transform(self, x):
        low, high = self.value_range
        delta = self._uniform(self._per_image_shape(x), float(self.factor[0]),
                              float(self.factor[1]))  # fmt: skip
        out = x + cast(delta * float(high - low), x.dtype)
        return math.minimum(math.maximum(out, low), high)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range,
                "seed": self.seed}  # fmt: skip
