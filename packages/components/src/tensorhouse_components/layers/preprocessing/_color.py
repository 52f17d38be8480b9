"""Colour augmentation (Keras 3.15's): ``AutoContrast``, ``Equalization``,
``ContrastLimitedAdaptiveHistogramEqualization``, ``Solarization`` and the random colour layers
``RandomColorDegeneration``, ``RandomColorJitter``, ``RandomGrayscale``, ``RandomHue``,
``RandomInvert``, ``RandomPosterization``, ``RandomSaturation``, ``RandomSharpness``.

Each works on a batch (a single image goes through as a batch of one) and draws one value per
image from the layer's seeded generator. As Keras, most random layers pass their input through
unchanged at inference (``Solarization`` and ``RandomSharpness`` cast it to the compute dtype),
and the three equalizers work at inference too (``Equalization`` only while training, as Keras's
code does). Histograms are segment sums, so everything traces.
"""

from __future__ import annotations

import numpy as np

from tensorhouse_ops import (
    bitwise,
    cast,
    concat,
    constant,
    expand_dims,
    fill,
    gather,
    math,
    ones_like,
    pad,
    reshape,
    squeeze,
    stack,
    transpose,
    where,
)
from tensorhouse_ops import range as trange

from ...keras_ops._image import hsv_to_rgb, rgb_to_grayscale, rgb_to_hsv
from .._args import dynamic_shape
from ._image import RandomBrightness, RandomContrast, RandomImageLayer, set_factor

__all__ = [
    "AutoContrast", "ContrastLimitedAdaptiveHistogramEqualization", "Equalization",
    "RandomColorDegeneration", "RandomColorJitter", "RandomGrayscale", "RandomHue",
    "RandomInvert", "RandomPosterization", "RandomSaturation", "RandomSharpness", "Solarization",
]  # fmt: skip


def _value_range(value_range):
    if not isinstance(value_range, tuple | list) or len(value_range) != 2:
        raise ValueError(
            "The `value_range` argument should be a list of two numbers. "
            f"Received: value_range={value_range}"
        )
    return sorted(value_range)


def _rescale(x, source, target, dtype):
    """``x`` mapped from the range ``source`` to ``target`` (Keras's order of operations)."""
    if source[0] == target[0] and source[1] == target[1]:
        return x
    x = cast(x, dtype)
    s0, s1 = constant(source[0], dtype), constant(source[1], dtype)
    t0, t1 = constant(target[0], dtype), constant(target[1], dtype)
    return (x - s0) / (s1 - s0) * (t1 - t0) + t0


def _clip(x, low, high):
    return math.minimum(math.maximum(x, low), high)


class _ColorLayer(RandomImageLayer):
    """Batched transforms in ``_transform(x)``; ``_AT_INFERENCE``: ``"same"`` returns the input,
    ``"cast"`` casts it to the compute dtype, ``"apply"`` transforms it anyway."""

    _AT_INFERENCE = "same"

    def call(self, inputs, training=None):
        if len(inputs.shape) not in (3, 4):
            raise ValueError(
                "Expected image tensor to have rank 3 (single image) or 4 (batch of images). "
                f"Received: data.shape={tuple(inputs.shape.as_list())}"
            )
        if training is False and self._AT_INFERENCE != "apply":
            return inputs if self._AT_INFERENCE == "same" else cast(inputs, self.compute_dtype)
        if len(inputs.shape) == 3:
            return squeeze(self._transform(expand_dims(inputs, 0)), 0)
        return self._transform(inputs)

    def _per_image(self, x, low, high, shape=(1, 1, 1), dtype="float32"):
        """One uniform draw in ``[low, high)`` per image, shaped ``(batch, *shape)``."""
        return self._uniform([dynamic_shape(x)[0], *shape], low, high, dtype)

    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else -3

    def _hsv(self, x):
        """The three channels of a batch, each ``(batch, height, width)``."""
        return [x[..., i] if self.data_format == "channels_last" else x[:, i] for i in range(3)]


class AutoContrast(_ColorLayer):
    """Stretches each image's values to fill ``value_range`` (minimum and maximum over axes 1
    and 2, as Keras computes them); a constant channel, whose stretch is NaN, passes unchanged."""

    _AT_INFERENCE = "apply"

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(None, kwargs.pop("data_format", None), **kwargs)
        self.value_range = _value_range(value_range)

    def _transform(self, x):
        dtype = self.compute_dtype
        images = cast(_rescale(x, self.value_range, (0, 255), dtype), dtype)
        low = math.reduce_min(images, axis=[1, 2], keepdims=True)
        high = math.reduce_max(images, axis=[1, 2], keepdims=True)
        scale = 255.0 / (high - low)
        out = _clip(images * scale + -low * scale, 0.0, 255.0)
        out = _rescale(out, (0, 255), self.value_range, dtype)
        return where(math.is_nan(out), cast(x, dtype), out)

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range}


class Equalization(_ColorLayer):
    """Histogram equalization per channel, with ``bins`` bins; the histogram of a channel is
    taken over the whole batch, as Keras does. Applied while training only (Keras's code)."""

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(None, data_format, **kwargs)
        self.bins = bins
        self.value_range = _value_range(value_range)

    def _transform(self, x):
        bins, (v0, v1) = self.bins, self.value_range
        last = self.data_format == "channels_last"
        x = cast(x if last else transpose(x, [0, 2, 3, 1]), self.compute_dtype)
        channels = x.shape.as_list()[-1]
        scale, offset = 255 / (v1 - v0), 0 - v0 * (255 / (v1 - v0))
        x = x * scale + offset  # to [0, 255]
        index = _clip(cast(x * (bins - 1) / 255.0, "int32"), 0, bins - 1)
        shift = np.arange(channels, dtype=np.int32) * bins
        hist = math.unsorted_segment_sum(ones_like(index), index + shift, channels * bins)
        hist = reshape(hist, [channels, bins])
        cdf = cast(math.cumsum(hist, axis=1), "float64")
        cdf_min = math.reduce_min(where(cdf > 0, cdf, np.inf), axis=1, keepdims=True)
        denominator = cdf[:, -1:] - cdf_min
        denominator = where(math.equal(denominator, 0.0), 1.0, denominator)
        table = _clip(math.round((cdf - cdf_min) * 255.0 / denominator), 0.0, 255.0)
        look = cast(_clip(x / 255.0 * (bins - 1), 0.0, bins - 1), "int32")
        out = gather(reshape(table, [-1]), look + shift)
        flat = math.count_nonzero(hist, axis=1) <= 1  # one bin or none: left as it is
        out = where(reshape(flat, [channels]), cast(x, "float64"), out)
        out = out * ((v1 - v0) / 255) + v0
        out = cast(out, self.compute_dtype)
        return out if last else transpose(out, [0, 3, 1, 2])

    def compute_output_spec(self, inputs, **kwargs):
        return inputs  # Keras's symbolic output: the input's shape and dtype

    def get_config(self):
        return {**super().get_config(), "bins": self.bins, "value_range": self.value_range}


class ContrastLimitedAdaptiveHistogramEqualization(_ColorLayer):
    """CLAHE: a histogram per tile of a ``tile_grid_size`` grid, clipped at
    ``clip_limit * tile_pixels / 256`` (the excess spread evenly), its normalized CDF looked up at
    each pixel and interpolated bilinearly between the four nearest tile centres. The image is
    padded symmetrically to whole tiles; the output keeps the input's dtype."""

    _AT_INFERENCE = "apply"

    def __init__(
        self, value_range=(0, 255), clip_limit=4.0, tile_grid_size=(8, 8), data_format=None,
        **kwargs,
    ):  # fmt: skip
        super().__init__(None, data_format, **kwargs)
        self.value_range = value_range
        self.clip_limit = clip_limit
        self.tile_grid_size = tile_grid_size

    def _transform(self, x):
        last = self.data_format == "channels_last"
        dtype = x.dtype
        images = x if last else transpose(x, [0, 2, 3, 1])
        images = cast(_rescale(images, self.value_range, (0, 255), "float32"), "float32")
        out = _rescale(self._clahe(images), (0, 255), self.value_range, "float32")
        out = cast(out, dtype)
        return out if last else transpose(out, [0, 3, 1, 2])

    def _clahe(self, x):
        batch, height, width, channels = dynamic_shape(x)
        if not all(isinstance(d, int) for d in (height, width, channels)):
            raise ValueError(
                "ContrastLimitedAdaptiveHistogramEqualization needs a static height, width and "
                f"channel count here. Received: images.shape={x.shape} (channels last)"
            )
        gh, gw = self.tile_grid_size
        th, tw = -(-height // gh), -(-width // gw)
        hp, wp = th * gh, tw * gw
        if (hp, wp) != (height, width):
            x = pad(x, [[0, 0], [0, hp - height], [0, wp - width], [0, 0]], mode="SYMMETRIC")
        # histograms: one segment per (image, tile row, tile column, channel, value)
        rows, cols = np.arange(hp) // th, np.arange(wp) // tw
        tiles = (rows[:, None, None] * gw + cols[None, :, None]) * channels
        tiles = ((tiles + np.arange(channels)[None, None, :]) * 256).astype(np.int32)
        per_image = gh * gw * channels * 256
        first = reshape(trange(batch) * per_image, [-1, 1, 1, 1])
        value = _clip(cast(x, "int32"), 0, 255)
        hist = math.unsorted_segment_sum(ones_like(x), first + tiles + value, batch * per_image)
        hist = reshape(hist, [-1, gh, gw, channels, 256])
        if self.clip_limit > 0:
            clipped = _clip(hist, 0.0, float(self.clip_limit * (th * tw) / 256.0))
            excess = math.reduce_sum(hist - clipped, axis=-1, keepdims=True)
            hist = clipped + excess / 256.0
        cdf = math.cumsum(hist, axis=-1)
        cdf_min = math.reduce_min(cdf, axis=-1, keepdims=True)
        denominator = float(th * tw) - cdf_min
        denominator = where(math.equal(denominator, 0.0), 1.0, denominator)
        cdf = _clip((cdf - cdf_min) * 255.0 / denominator, 0.0, 255.0)
        cdf = concat([cdf[:, :1], cdf, cdf[:, -1:]], axis=1)
        cdf = reshape(concat([cdf[:, :, :1], cdf, cdf[:, :, -1:]], axis=2), [-1])

        def grid(n, tile, count):  # each pixel's two tile centres and its weight between them
            g = (np.arange(n, dtype=np.float32) - np.float32(tile / 2.0)) / np.float32(tile)
            g = g + np.float32(1.0)
            low = np.floor(g)
            i0 = np.clip(low, 0, count + 1).astype(np.int32)
            i1 = np.clip(low + 1.0, 0, count + 1).astype(np.int32)
            return i0, i1, (g - low).astype(np.float32)

        sx = 256 * channels
        sy, sb = sx * (gw + 2), sx * (gw + 2) * (gh + 2)
        y0, y1, wy = grid(hp, th, gh)
        x0, x1, wx = grid(wp, tw, gw)
        wy, wx = wy[:, None, None], wx[None, :, None]
        pixel = cast(_clip(x, 0.0, 255.0), "int32")
        base = reshape(trange(batch) * sb, [-1, 1, 1, 1]) + pixel
        base = base + (np.arange(channels) * 256).astype(np.int32)

        def at(yi, xi):
            return gather(cdf, base + (yi[:, None, None] * sy + xi[None, :, None] * sx))

        top = at(y0, x0) * (1.0 - wx) + at(y0, x1) * wx
        bottom = at(y1, x0) * (1.0 - wx) + at(y1, x1) * wx
        out = top * (1.0 - wy) + bottom * wy
        return out[:, :height, :width, :]

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "clip_limit": self.clip_limit, "tile_grid_size": self.tile_grid_size}  # fmt: skip


def _unit_factor(factor, name):
    """Solarization's factors: a number ``f`` is ``(0, f)``, a pair is sorted; all in [0, 1]."""
    message = (
        "The `addition_factor` and `threshold_factor` arguments should be a number (or a list "
        "of two numbers) in the range [0, 1]. "
    )
    if isinstance(factor, tuple | list):
        if len(factor) != 2:
            raise ValueError(message + f"Received: {name}={factor}")
        values = factor
    elif isinstance(factor, int | float):
        values = (0, factor)
    else:
        raise ValueError(message + f"Received: {name}={factor}")
    for v in values:
        if v > 1.0 or v < 0:
            raise ValueError(message + f"Received: input_number={v}")
    return tuple(sorted(values)) if isinstance(factor, tuple | list) else (0, factor)


class Solarization(_ColorLayer):
    """While training, adds ``a`` (uniform in ``[addition_factor[0], 255 * addition_factor[1]]``
    on the 0-255 scale), clips, and inverts (``255 - x``) the values at or above ``t`` (drawn
    the same way from ``threshold_factor``)."""

    _AT_INFERENCE = "cast"

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255),
                 seed=None, **kwargs):  # fmt: skip
        super().__init__(seed, kwargs.pop("data_format", None), **kwargs)
        self.addition_factor = _unit_factor(addition_factor, "addition_factor")
        self.threshold_factor = _unit_factor(threshold_factor, "threshold_factor")
        self.value_range = _value_range(value_range)

    def _transform(self, x):
        dtype = self.compute_dtype
        (a0, a1), (t0, t1) = self.addition_factor, self.threshold_factor
        add = self._per_image(x, a0, a1 * 255, dtype=dtype)
        thr = self._per_image(x, t0, t1 * 255, dtype=dtype)
        images = _rescale(cast(x, dtype), self.value_range, (0, 255), dtype)
        out = _clip(images + add, 0.0, 255.0)
        out = where(out < thr, out, 255.0 - out)
        return _rescale(out, (0, 255), self.value_range, dtype)

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "addition_factor": self.addition_factor,
                "threshold_factor": self.threshold_factor, "seed": self.seed}  # fmt: skip


class _FactorLayer(_ColorLayer):
    """A random colour layer with Keras's ``factor`` (in ``_BOUNDS``), ``value_range`` and
    ``seed``, in that order in the config."""

    _BOUNDS = (-1, 1)
    _SORT_RANGE = True

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed, data_format, **kwargs)
        self.factor = set_factor(factor, self._BOUNDS)
        self.value_range = _value_range(value_range) if self._SORT_RANGE else value_range

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range,
                "seed": self.seed}  # fmt: skip


class RandomColorDegeneration(_FactorLayer):
    """While training, blends each image towards its grayscale version by ``f`` drawn from
    ``factor`` (``x + f * (gray - x)``), clipped to ``value_range``."""

    def _transform(self, x):
        x = cast(x, self.compute_dtype)
        f = cast(self._per_image(x, *self.factor), x.dtype)
        gray = rgb_to_grayscale(x, data_format=self.data_format)
        return _clip(x + f * (gray - x), *self.value_range)


class RandomHue(_FactorLayer):
    """While training, turns each image's hue by ``±f / 2`` of a circle (the sign a coin toss,
    ``f`` drawn from ``factor`` in [0, 1])."""

    _BOUNDS = (0, 1)
    _SORT_RANGE = False

    def _transform(self, x):
        invert = self._per_image(x, 0.0, 1.0, shape=())
        invert = where(invert > 0.5, -1.0, 1.0)
        delta = invert * self._per_image(x, *self.factor, shape=()) * 0.5
        images = _rescale(cast(x, self.compute_dtype), self.value_range, (0, 1),
                          self.compute_dtype)  # fmt: skip
        hsv = rgb_to_hsv(images, data_format=self.data_format)
        h, s, v = self._hsv(hsv)
        h = h + reshape(cast(delta, h.dtype), [-1, 1, 1])
        h = where(h > 1.0, h - 1.0, h)
        h = where(h < 0.0, h + 1.0, h)
        out = hsv_to_rgb(stack([h, s, v], axis=self._channel_axis()), data_format=self.data_format)
        out = _rescale(_clip(out, 0.0, 1.0), (0, 1), self.value_range, self.compute_dtype)
        return cast(out, self.compute_dtype)


class RandomSaturation(_FactorLayer):
    """While training, multiplies each image's HSV saturation by ``f / (1 - f + 1e-7)``, ``f``
    drawn from ``factor`` (0.5: unchanged, 0: gray), clipped to ``value_range``. Float images
    only, as Keras."""

    def _transform(self, x):
        f = self._per_image(x, *self.factor, shape=())
        f = reshape(cast(f / (1.0 - f + 1e-7), self.compute_dtype), [-1, 1, 1])
        hsv = rgb_to_hsv(x, data_format=self.data_format)
        h, s, v = self._hsv(hsv)
        s = _clip(s * f, *self.value_range)
        return hsv_to_rgb(stack([h, s, v], axis=self._channel_axis()),
                          data_format=self.data_format)  # fmt: skip


class RandomSharpness(_FactorLayer):
    """While training, moves each image away from (or towards) its 3x3 smoothed version
    (weights 1/13, centre 5/13, zero padding): ``x + (1 - 2 f) * (smooth - x)``, ``f`` drawn
    from ``factor`` in [0, 1], clipped to ``value_range``."""

    _BOUNDS = (0, 1)
    _AT_INFERENCE = "cast"

    def _transform(self, x):
        x = cast(x, self.compute_dtype)
        images = x if self.data_format == "channels_last" else transpose(x, [0, 2, 3, 1])
        f = reshape(cast(self._per_image(x, *self.factor, shape=()) * 2.0, x.dtype),
                    [-1, 1, 1, 1])  # fmt: skip
        # the 3x3 smoothing (1/13 around, 5/13 at the centre, zero padding) as a separable sum
        padded = pad(images, [[0, 0], [1, 1], [1, 1], [0, 0]])
        rows = padded[:, :-2] + padded[:, 1:-1] + padded[:, 2:]
        box = rows[:, :, :-2] + rows[:, :, 1:-1] + rows[:, :, 2:]
        smooth = (box + 4.0 * images) * (1.0 / 13.0)
        out = _clip(images + (1.0 - f) * (smooth - images), *self.value_range)
        return out if self.data_format == "channels_last" else transpose(out, [0, 3, 1, 2])


class RandomInvert(_ColorLayer):
    """While training, replaces an image by ``value_range[1] - x`` with probability ``p``
    itself drawn from ``factor`` (a number ``f``: ``[0, f]``)."""

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed, data_format, **kwargs)
        self.factor = set_factor(factor, (0, 1))
        self.value_range = value_range

    def _transform(self, x):
        x = cast(x, self.compute_dtype)
        p = self._per_image(x, *self.factor)
        return where(self._per_image(x, 0.0, 1.0) < p, self.value_range[1] - x, x)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range,
                "seed": self.seed}  # fmt: skip


class RandomPosterization(_FactorLayer):
    """While training, keeps the ``b`` high bits of each 8-bit value, ``b`` an integer drawn
    from ``[factor[0], factor[1])`` (or ``factor[0]`` when they are equal), ``factor`` in
    [1, 8]."""

    _BOUNDS = (1, 8)

    def _transform(self, x):
        low, high = self.factor
        if low != high:
            bits = cast(self._per_image(x, int(low), int(high), dtype="int32"), "uint8")
        else:
            bits = fill([dynamic_shape(x)[0], 1, 1, 1], np.uint8(low))
        shift = 8 - bits
        images = cast(_rescale(x, self.value_range, (0, 255), self.compute_dtype), "uint8")
        images = bitwise.left_shift(bitwise.right_shift(images, shift), shift)
        images = cast(images, self.compute_dtype)
        return _rescale(images, (0, 255), self.value_range, self.compute_dtype)


class RandomGrayscale(_ColorLayer):
    """While training, turns each image to grayscale (on all channels) with probability
    ``factor``; the dtype is kept."""

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        if factor < 0 or factor > 1:
            raise ValueError(f"`factor` should be between 0 and 1. Received: factor={factor}")
        super().__init__(seed, data_format, **kwargs)
        self.factor = factor

    def _transform(self, x):
        gray = rgb_to_grayscale(x, data_format=self.data_format)
        return where(self._per_image(x, 0.0, 1.0) < self.factor, gray, x)

    def compute_output_spec(self, inputs, **kwargs):
        return inputs  # Keras's symbolic output: the input's shape and dtype

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class RandomColorJitter(_ColorLayer):
    """While training, ``RandomBrightness``, ``RandomContrast``, ``RandomSaturation`` and
    ``RandomHue`` in that order, each where its factor is given."""

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None,
                 saturation_factor=None, hue_factor=None, seed=None, data_format=None,
                 **kwargs):  # fmt: skip
        super().__init__(seed, data_format, **kwargs)
        self.value_range = value_range
        self.brightness_factor, self.contrast_factor = brightness_factor, contrast_factor
        self.saturation_factor, self.hue_factor = saturation_factor, hue_factor
        steps = ((RandomBrightness, brightness_factor), (RandomContrast, contrast_factor),
                 (RandomSaturation, saturation_factor), (RandomHue, hue_factor))  # fmt: skip
        self._steps = [
            cls(factor, value_range=value_range, seed=seed, data_format=self.data_format)
            for cls, factor in steps
            if factor is not None
        ]

    def _transform(self, x):
        x = cast(x, self.compute_dtype)
        for step in self._steps:
            x = step._transform(x)
        return cast(x, self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "brightness_factor": self.brightness_factor,
                "contrast_factor": self.contrast_factor,
                "saturation_factor": self.saturation_factor, "hue_factor": self.hue_factor,
                "seed": self.seed}  # fmt: skip
