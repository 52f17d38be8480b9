"""Random affine augmentation: ``RandomRotation``, ``RandomTranslation``, ``RandomZoom``.

Each image gets its own affine map from output pixel ``(x, y)`` to input point
``(a0 x + a1 y + a2, b0 x + b1 y + b2)`` (TF's ``ImageProjectiveTransformV3``): the point is
folded back into the image by ``fill_mode`` and read by bilinear or nearest interpolation, with
gathers at indices computed by ops, so the layers trace.
"""

from __future__ import annotations

import math as _pymath

import numpy as np

from tensorhouse_ops import (
    cast,
    concat,
    cos,
    expand_dims,
    gather,
    math,
    ones,
    reshape,
    sin,
    squeeze,
    stack,
    transpose,
    zeros,
)

from .._args import dynamic_shape
from ._image import RandomImageLayer, set_factor

__all__ = ["RandomRotation", "RandomTranslation", "RandomZoom"]

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")


def _fold(c, n, fill_mode):
    """Input coordinates ``c`` (float) on an axis of length ``n`` mapped inside by
    ``fill_mode`` (TF's rules; ``constant`` leaves them, the read fills)."""
    if fill_mode == "constant":
        return c
    top = float(n - 1)
    if fill_mode == "nearest" or n <= 1:
        return math.minimum(math.maximum(c, 0.0), top)
    if fill_mode == "reflect":  # d c b a | a b c d | d c b a
        period = 2.0 * n
        low = period * math.floor(-c / period) + c
        low = math.add(
            cast(math.less(low, -n), c.dtype) * (low + period),
            cast(math.greater_equal(low, -n), c.dtype) * (-low - 1.0),
        )
        high = c - period * math.floor(c / period)
        high = math.add(
            cast(math.greater_equal(high, n), c.dtype) * (period - high - 1.0),
            cast(math.less(high, n), c.dtype) * high,
        )
    else:  # wrap: a b c d | a b c d | a b c d
        span = float(n - 1)
        low = c + n * (math.floor(-c / span) + 1.0)
        high = c - n * math.floor(c / span)
    below = cast(math.less(c, 0.0), c.dtype)
    above = cast(math.greater(c, top), c.dtype)
    folded = below * low + above * high + (1.0 - below - above) * c
    return math.minimum(math.maximum(folded, 0.0), top)


def _read(flat, yi, xi, height, width, fill_value):
    """``flat[(b, y, x)]`` for int index grids ``(batch, h, w)``, ``fill_value`` outside."""
    inside = math.logical_and(
        math.logical_and(math.greater_equal(yi, 0), math.less(yi, height)),
        math.logical_and(math.greater_equal(xi, 0), math.less(xi, width)),
    )
    batch = dynamic_shape(yi)[0]
    if isinstance(batch, int):
        ids = np.arange(batch, dtype=np.int32)
    else:  # a run-time batch size: 0, 1, ..., batch - 1 as a cumulative sum of ones
        ids = math.cumsum(ones([batch], dtype="int32")) - 1
    base = reshape(ids * (height * width), [batch, 1, 1])
    y = math.minimum(math.maximum(yi, 0), height - 1)
    x = math.minimum(math.maximum(xi, 0), width - 1)
    values = gather(flat, base + y * width + x)  # (batch, h, w, channels)
    keep = expand_dims(cast(inside, flat.dtype), -1)
    return values * keep + (1.0 - keep) * fill_value


def affine_transform(images, matrix, interpolation, fill_mode, fill_value, data_format):
    """``images`` (rank 3 or 4) resampled at ``matrix`` ``(batch, 6)``: a0 a1 a2 b0 b1 b2, or
    ``(batch, 8)``, the point divided by ``c0 x + c1 y + 1`` (``fill_value`` where that is 0)."""
    x = images
    unbatched = len(x.shape) == 3
    if unbatched:
        x = expand_dims(x, 0)
    if data_format == "channels_first":
        x = transpose(x, [0, 2, 3, 1])
    batch, height, width, channels = dynamic_shape(x)
    cols, rows = np.meshgrid(np.arange(width), np.arange(height))
    cols, rows = cols.astype(x.dtype.as_numpy_dtype), rows.astype(x.dtype.as_numpy_dtype)
    m = reshape(cast(matrix, x.dtype), [batch, -1, 1, 1])
    src_x = m[:, 0] * cols + m[:, 1] * rows + m[:, 2]
    src_y = m[:, 3] * cols + m[:, 4] * rows + m[:, 5]
    if matrix.shape[-1] == 8:
        k = m[:, 6] * cols + m[:, 7] * rows + 1.0
        at_infinity = math.equal(k, 0.0)
        k = math.add(k, cast(at_infinity, k.dtype))
        src_x, src_y = src_x / k, src_y / k
    src_x = _fold(src_x, width, fill_mode)
    src_y = _fold(src_y, height, fill_mode)
    flat = reshape(x, [batch * height * width, channels])
    if interpolation == "nearest":  # C's round: halves away from zero
        xi = cast(math.sign(src_x) * math.floor(math.abs(src_x) + 0.5), "int32")
        yi = cast(math.sign(src_y) * math.floor(math.abs(src_y) + 0.5), "int32")
        out = _read(flat, yi, xi, height, width, fill_value)
    else:
        x0, y0 = math.floor(src_x), math.floor(src_y)
        fx, fy = expand_dims(src_x - x0, -1), expand_dims(src_y - y0, -1)
        x0, y0 = cast(x0, "int32"), cast(y0, "int32")
        x1, y1 = x0 + 1, y0 + 1
        top = (
            _read(flat, y0, x0, height, width, fill_value) * (1.0 - fx)
            + _read(flat, y0, x1, height, width, fill_value) * fx
        )
        bottom = (
            _read(flat, y1, x0, height, width, fill_value) * (1.0 - fx)
            + _read(flat, y1, x1, height, width, fill_value) * fx
        )
        out = top * (1.0 - fy) + bottom * fy
    if matrix.shape[-1] == 8:
        keep = expand_dims(1.0 - cast(at_infinity, out.dtype), -1)
        out = out * keep + (1.0 - keep) * fill_value
    if data_format == "channels_first":
        out = transpose(out, [0, 3, 1, 2])
    return squeeze(out, 0) if unbatched else out


def _check_modes(fill_mode, interpolation):
    if fill_mode not in FILL_MODES:
        raise NotImplementedError(f"Unknown `fill_mode` {fill_mode}. Expected of one {FILL_MODES}.")
    if interpolation not in INTERPOLATIONS:
        raise NotImplementedError(
            f"Unknown `interpolation` {interpolation}. Expected of one {INTERPOLATIONS}."
        )


def _range(factor, name, open_low):
    """Keras's ``height_factor`` / ``width_factor``: ``f`` is ``(-|f|, |f|)``, a pair sorted;
    values in [-1, 1] (``(-1, 1]`` for zoom)."""
    interval = "(-1.0, 1.0]" if open_low else "[-1.0, 1.0]"
    message = (
        f"The `{name}` argument should be a number (or a list of two numbers) in the range "
        f"{interval}. Received: {name}={factor}"
    )

    def check(v):
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise ValueError(message)
        if v > 1.0 or v < -1.0 or (open_low and v == -1.0):
            raise ValueError(message)

    if isinstance(factor, tuple | list):
        if len(factor) != 2:
            raise ValueError(message)
        check(factor[0])
        check(factor[1])
        return tuple(sorted(factor))
    check(factor)
    return (-abs(factor), abs(factor))


class _AffineLayer(RandomImageLayer):
    def __init__(self, fill_mode, interpolation, seed, fill_value, data_format, **kwargs):
        super().__init__(seed, data_format, **kwargs)
        _check_modes(fill_mode, interpolation)
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = fill_value

    def _size(self, x):
        dims = x.shape.as_list()
        batch = dynamic_shape(x)[0] if len(dims) == 4 else 1
        if self.data_format == "channels_first":
            return batch, dims[-2], dims[-1]
        return batch, dims[-3], dims[-2]

    def _transform(self, x):
        matrix = self._matrix(*self._size(x))
        return affine_transform(
            x, matrix, self.interpolation, self.fill_mode, float(self.fill_value), self.data_format
        )


class RandomRotation(_AffineLayer):
    """While training, rotates each image about its centre by a random angle: ``factor`` is a
    fraction of a full turn (``0.1``: up to 36 degrees either way)."""

    def __init__(
        self,
        factor,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.factor = set_factor(factor, (-1, 1))

    def _matrix(self, batch, height, width):
        degrees = self._uniform([batch], self.factor[0] * 360.0, self.factor[1] * 360.0)
        angle = degrees * (_pymath.pi / 180.0)
        cx, cy = 0.5 * (width - 1), 0.5 * (height - 1)
        c, s = cos(angle), sin(angle)
        a2 = cx - cx * c + cy * s
        b2 = cy - cx * s - cy * c
        return stack([c, -s, a2, s, c, b2], axis=1)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "interpolation": self.interpolation,
                "seed": self.seed}  # fmt: skip


class RandomTranslation(_AffineLayer):
    """While training, shifts each image by random fractions of its height and width
    (``height_factor``, ``width_factor``: a number ``f`` is ``[-f, f]``)."""

    def __init__(
        self,
        height_factor,
        width_factor,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_lower, self.height_upper = _range(height_factor, "height_factor", False)
        self.width_lower, self.width_upper = _range(width_factor, "width_factor", False)

    def _matrix(self, batch, height, width):
        dy = self._uniform([batch, 1], self.height_lower, self.height_upper) * float(height)
        dx = self._uniform([batch, 1], self.width_lower, self.width_upper) * float(width)
        one, zero = zeros([batch, 1]) + 1.0, zeros([batch, 1])
        return concat([one, zero, -dx, zero, one, -dy], axis=1)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor, "fill_mode": self.fill_mode,
                "interpolation": self.interpolation, "seed": self.seed,
                "fill_value": self.fill_value}  # fmt: skip


class RandomZoom(_AffineLayer):
    """While training, zooms each image about its centre: a factor ``z`` of ``height_factor``
    (and ``width_factor``, else the same draw) reads ``1 + z`` times the extent (``z < 0``
    zooms in)."""

    def __init__(
        self,
        height_factor,
        width_factor=None,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_lower, self.height_upper = _range(height_factor, "height_factor", True)
        if width_factor is not None:
            self.width_lower, self.width_upper = _range(width_factor, "width_factor", True)

    def _matrix(self, batch, height, width):
        zy = self._uniform([batch, 1], 1.0 + self.height_lower, 1.0 + self.height_upper)
        zx = zy
        if self.width_factor is not None:
            zx = self._uniform([batch, 1], 1.0 + self.width_lower, 1.0 + self.width_upper)
        zero = zeros([batch, 1])
        x_off = (width - 1.0) / 2.0 * (1.0 - zx)
        y_off = (height - 1.0) / 2.0 * (1.0 - zy)
        return concat([zx, zero, x_off, zero, zy, y_off], axis=1)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor, "fill_mode": self.fill_mode,
                "interpolation": self.interpolation, "seed": self.seed,
                "fill_value": self.fill_value}  # fmt: skip
