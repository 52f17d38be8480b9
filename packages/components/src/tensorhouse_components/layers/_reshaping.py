"""Reshaping layers: ``Reshape``, ``Permute``, ``RepeatVector``, ``ZeroPadding1D/2D/3D``,
``Cropping1D/2D/3D``, ``UpSampling1D/2D``.

Every shape decision uses the static shape (known at trace time); the data moves with ops.
"""

from __future__ import annotations

import math as _pymath

import numpy as np

from tensorhouse_ops import expand_dims, gather, pad, repeat, reshape, tile, transpose

from ._args import check_ndim, int_tuple
from ._args import data_format as _data_format
from ._layer import Layer

__all__ = [
    "Cropping1D", "Cropping2D", "Cropping3D", "Permute", "RepeatVector", "Reshape",
    "UpSampling1D", "UpSampling2D", "UpSampling3D", "ZeroPadding1D", "ZeroPadding2D",
    "ZeroPadding3D",
]  # fmt: skip


class Reshape(Layer):
    """Reshapes every sample to ``target_shape`` (the batch axis is kept); one entry may be -1."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        target = tuple(target_shape)
        if sum(1 for d in target if d == -1) > 1:
            raise ValueError(
                "There must be at most one unknown dimension (-1) in `target_shape`. "
                f"Received: target_shape={target}."
            )
        if any(
            not isinstance(d, int) or isinstance(d, bool) or (d < 1 and d != -1) for d in target
        ):
            raise ValueError(
                "`target_shape` must be a tuple of positive integers (and at most one -1). "
                f"Received: target_shape={target}."
            )
        self.target_shape = target

    def _resolve(self, sample_shape):
        """``target_shape`` with the -1 filled in for ``sample_shape`` (None if unknown)."""
        target = list(self.target_shape)
        if any(d is None for d in sample_shape):
            return [None if d == -1 else d for d in target]
        size = _pymath.prod(sample_shape)
        known = _pymath.prod(d for d in target if d != -1)
        if -1 in target:
            if known == 0 or size % known:
                self._size_error(sample_shape)
            target[target.index(-1)] = size // known
        elif known != size:
            self._size_error(sample_shape)
        return target

    def _size_error(self, sample_shape):
        raise ValueError(
            "The total size of the tensor must be unchanged. Received: "
            f"input_shape={tuple(sample_shape)}, target_shape={self.target_shape}"
        )

    def call(self, inputs):
        dims = inputs.shape.as_list()
        return reshape(inputs, [-1, *self._resolve(dims[1:])])

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self._resolve(tuple(input_shape)[1:]))

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}


class Permute(Layer):
    """Permutes the non-batch axes: ``Permute((2, 1))`` swaps axes 1 and 2 (1-based)."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(
                "Invalid permutation argument `dims` for Permute Layer. The set of indices in "
                f"`dims` must be consecutive and start from 1. Received dims={self.dims}"
            )

    def call(self, inputs):
        return transpose(inputs, [0, *self.dims])

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """``(batch, features) -> (batch, n, features)``: the input repeated ``n`` times."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"Expected an integer value for `n`, got {type(n)}.")
        self.n = n

    def build(self, input_shape):
        check_ndim(self, input_shape, 2)
        self.built = True

    def call(self, inputs):
        check_ndim(self, inputs.shape.as_list(), 2)
        return tile(expand_dims(inputs, 1), [1, self.n, 1])

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}


def _pairs(padding, rank, name, noun):
    """An int, ``rank`` ints or ``rank`` pairs of ints -> ``rank`` (before, after) pairs."""
    if isinstance(padding, int) and not isinstance(padding, bool):
        return tuple((padding, padding) for _ in range(rank))
    if not hasattr(padding, "__len__") or len(padding) != rank:
        raise ValueError(f"`{name}` should have {noun} elements. Received: {name}={padding}.")
    out = []
    for i, p in enumerate(padding):
        if isinstance(p, int) and not isinstance(p, bool):
            p = (p, p)
        out.append(int_tuple(p, 2, f"{_ordinal(i)} entry of {name}"))
    return tuple(out)


def _ordinal(i):
    return ("1st", "2nd", "3rd")[i]


def _spatial_axes(rank, fmt):
    """The spatial axes of a ``rank``-D input (batch, spatial..., channels or channels first)."""
    n = rank - 2
    return list(range(2, 2 + n)) if fmt == "channels_first" else list(range(1, 1 + n))


class _ZeroPadding(Layer):
    _rank = 0
    _noun = ""

    def __init__(self, padding, data_format_=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = _pairs(padding, self._rank, "padding", self._noun)
        self.data_format = _data_format(data_format_)

    def _spatial(self):
        return _spatial_axes(self._rank + 2, self.data_format)

    def call(self, inputs):
        check_ndim(self, inputs.shape.as_list(), self._rank + 2)
        pads = [[0, 0]] * (self._rank + 2)
        for axis, p in zip(self._spatial(), self.padding):
            pads[axis] = list(p)
        return pad(inputs, pads)

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        for axis, (a, b) in zip(self._spatial(), self.padding):
            out[axis] = None if out[axis] is None else out[axis] + a + b
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class ZeroPadding1D(_ZeroPadding):
    """Pads axis 1 of ``(batch, steps, features)`` with zeros: ``padding`` int or (left, right)."""

    _rank, _noun = 1, "one"

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__((int_tuple(padding, 2, "padding"),), data_format, **kwargs)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding[0]}


class ZeroPadding2D(_ZeroPadding):
    """Pads the two spatial axes with zeros: int, (h, w) or ((top, bottom), (left, right))."""

    _rank, _noun = 2, "two"

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    """Pads the three spatial axes with zeros: int, 3 ints or 3 (before, after) pairs."""

    _rank, _noun = 3, "three"

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class _Cropping(Layer):
    _rank = 0
    _noun = ""

    def __init__(self, cropping, data_format_=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pairs(cropping, self._rank, "cropping", self._noun)
        self.data_format = _data_format(data_format_)

    def _spatial(self):
        return _spatial_axes(self._rank + 2, self.data_format)

    def _check(self, shape):
        check_ndim(self, shape, self._rank + 2)
        for axis, (a, b) in zip(self._spatial(), self.cropping):
            if shape[axis] is not None and a + b >= shape[axis]:
                raise ValueError(
                    "Values in `cropping` argument should be smaller than the corresponding "
                    f"spatial dimension of the input. Received: input_shape={tuple(shape)}, "
                    f"cropping={self._config_cropping()}"
                )

    def _config_cropping(self):
        return self.cropping

    def call(self, inputs):
        dims = inputs.shape.as_list()
        self._check(dims)
        index = [slice(None)] * len(dims)
        for axis, (a, b) in zip(self._spatial(), self.cropping):
            index[axis] = slice(a, dims[axis] - b)
        return inputs[tuple(index)]

    def compute_output_shape(self, input_shape):
        self._check(tuple(input_shape))
        out = list(input_shape)
        for axis, (a, b) in zip(self._spatial(), self.cropping):
            out[axis] = None if out[axis] is None else out[axis] - a - b
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "cropping": self._config_cropping(),
                "data_format": self.data_format}  # fmt: skip


class Cropping1D(_Cropping):
    """Crops axis 1 of ``(batch, steps, features)``: ``cropping`` int or (start, end)."""

    _rank, _noun = 1, "one"

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__((int_tuple(cropping, 2, "cropping"),), None, **kwargs)

    def _config_cropping(self):
        return self.cropping[0]

    def get_config(self):
        cfg = super().get_config()
        del cfg["data_format"]
        return cfg


class Cropping2D(_Cropping):
    """Crops the two spatial axes: int, (h, w) or ((top, bottom), (left, right))."""

    _rank, _noun = 2, "two"

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    """Crops the three spatial axes: int, 3 ints or 3 (start, end) pairs."""

    _rank, _noun = 3, "three"

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class UpSampling1D(Layer):
    """Repeats each step of ``(batch, steps, features)`` ``size`` times along axis 1."""

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        self.size = int(size)

    def call(self, inputs):
        check_ndim(self, inputs.shape.as_list(), 3)
        return repeat(inputs, self.size, axis=1)

    def compute_output_shape(self, input_shape):
        steps = input_shape[1]
        return (input_shape[0], None if steps is None else steps * self.size, input_shape[2])

    def get_config(self):
        return {**super().get_config(), "size": self.size}


class UpSampling3D(Layer):
    """Repeats the depth, height and width steps of a 5-D input ``size`` times each."""

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.size = int_tuple(size, 3, "size", allow_zero=False)
        self.data_format = _data_format(data_format)

    def call(self, inputs):
        check_ndim(self, inputs.shape.as_list(), 5)
        x = inputs
        for axis, s in zip(_spatial_axes(5, self.data_format), self.size):
            x = repeat(x, s, axis=axis)
        return x

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        for axis, s in zip(_spatial_axes(5, self.data_format), self.size):
            out[axis] = None if out[axis] is None else out[axis] * s
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}


_KERAS_ONLY = ("bicubic", "lanczos3", "lanczos5", "area", "gaussian", "lanczos", "mitchellcubic")


def _bilinear_axis(x, axis, scale):
    """Half-pixel-centre linear interpolation of ``x`` along ``axis`` to ``scale`` times the
    length (TF's ``resize`` with ``half_pixel_centers``); indices and weights are constants."""
    n = x.shape.as_list()[axis]
    src = (np.arange(n * scale) + 0.5) / scale - 0.5
    low = np.floor(src)
    frac = src - low
    i0 = np.clip(low, 0, n - 1).astype(np.int32)
    i1 = np.clip(low + 1, 0, n - 1).astype(np.int32)
    shape = [1] * len(x.shape)
    shape[axis] = n * scale
    w = reshape(np.asarray(frac, x.dtype.as_numpy_dtype), shape)
    a, b = gather(x, i0, axis=axis), gather(x, i1, axis=axis)
    return a + (b - a) * w


class UpSampling2D(Layer):
    """Repeats rows and columns ``size`` times (``"nearest"``) or interpolates (``"bilinear"``)."""

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.size = int_tuple(size, 2, "size", allow_zero=False)
        self.data_format = _data_format(data_format)
        interpolation = str(interpolation)
        if interpolation in _KERAS_ONLY:
            raise NotImplementedError(
                f"UpSampling2D(interpolation={interpolation!r}) is not supported yet; use "
                "'nearest' or 'bilinear'"
            )
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(
                "`interpolation` argument should be one of: 'nearest', 'bilinear'. "
                f"Received: interpolation={interpolation!r}"
            )
        self.interpolation = interpolation

    def call(self, inputs):
        check_ndim(self, inputs.shape.as_list(), 4)
        x = inputs
        for axis, s in zip(_spatial_axes(4, self.data_format), self.size):
            if self.interpolation == "nearest":
                x = repeat(x, s, axis=axis)
            else:
                x = _bilinear_axis(x, axis, s)
        return x

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        for axis, s in zip(_spatial_axes(4, self.data_format), self.size):
            out[axis] = None if out[axis] is None else out[axis] * s
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format,
                "interpolation": self.interpolation}  # fmt: skip
