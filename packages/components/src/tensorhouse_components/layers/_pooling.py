"""Pooling layers: max and average pooling over windows, and global pooling, in 1, 2 and 3-D.

Windows run on the ops layer's NHWC 2-D pooling kernels. 1-D inputs get a height of one; 3-D
pooling pools height and width first, then depth (max and average both separate this way, and
TF's "same" average counts only in-bounds elements, which is a product over the axes too).
"""

from __future__ import annotations

from tensorhouse_ops import cast, expand_dims, math, nn, reshape

from .._signatures import keras_signature
from ..keras_ops import _extra
from . import _args as A
from . import _conv_utils as U
from ._layer import Layer

__all__ = [
    "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D", "AveragePooling1D",
    "AveragePooling2D", "AveragePooling3D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
    "GlobalAveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
]  # fmt: skip


class _Pooling(Layer):
    """Max or average over windows of ``pool_size`` moved by ``strides`` (default: the pool)."""

    rank = 2
    _mode = "max"

    def __init__(
        self, pool_size, strides=None, padding="valid", data_format=None, name=None, **kwargs
    ):
        super().__init__(name=name or U.default_name(type(self)), **kwargs)
        self.pool_size = A.int_tuple(pool_size, self.rank, "pool_size", allow_zero=False)
        self.strides = (
            self.pool_size
            if strides is None
            else A.int_tuple(strides, self.rank, "strides", allow_zero=False)
        )
        self.padding = U.normalize_padding(padding)
        self.data_format = A.data_format(data_format)

    def _spatial(self, input_shape):
        dims = tuple(input_shape)
        return dims[1:-1] if self.data_format == "channels_last" else dims[2:]

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        A.check_ndim(self, input_shape, self.rank + 2)
        spatial = tuple(
            U.output_length(n, p, s, 1, self.padding)
            for n, p, s in zip(self._spatial(input_shape), self.pool_size, self.strides)
        )
        if self.data_format == "channels_last":
            return (input_shape[0], *spatial, input_shape[-1])
        return (input_shape[0], input_shape[1], *spatial)

    def build(self, input_shape):
        out = self.compute_output_shape(input_shape)
        if any(n is not None and n <= 0 for n in self._spatial(out)):
            raise ValueError(
                "Computed output size would be zero or negative. Received "
                f"`inputs shape={tuple(input_shape)}`, `pool_size={self.pool_size}`, "
                f"`strides={self.strides}`, `padding={self.padding}`."
            )
        self.built = True

    def _pool2d(self, x, window, strides):
        op = nn.max_pool2d if self._mode == "max" else nn.avg_pool2d
        return op(x, list(window), list(strides), self.padding.upper())

    def call(self, inputs):
        x = inputs
        if self._mode == "avg" and not x.dtype.is_floating:
            x = cast(x, self.compute_dtype)
        if self.rank == 1:
            x = U.to_nhwc(x, 1, self.data_format)
            y = self._pool2d(x, (1, *self.pool_size), (1, *self.strides))
            return U.from_nhwc(y, 1, self.data_format)
        if self.rank == 2:
            x = U.to_nhwc(x, 2, self.data_format)
            return U.from_nhwc(self._pool2d(x, self.pool_size, self.strides), 2, self.data_format)
        x = U.to_nhwc(x, 3, self.data_format)  # channels-last (batch, depth, height, width, c)
        _, depth, height, width, channels = x.shape.as_list()
        y = self._pool2d(reshape(x, [-1, height, width, channels]),
                         self.pool_size[1:], self.strides[1:])  # fmt: skip
        _, h, w, _ = y.shape.as_list()
        y = reshape(y, [-1, depth, h * w, channels])
        y = self._pool2d(y, (self.pool_size[0], 1), (self.strides[0], 1))
        y = reshape(y, [-1, y.shape[1], h, w, channels])
        return U.from_nhwc(y, 3, self.data_format)

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "padding": self.padding,
            "strides": self.strides,
            "data_format": self.data_format,
        }


class MaxPooling1D(_Pooling):
    """Max over windows of ``(batch, steps, channels)``."""

    rank = 1

    __init__ = keras_signature(pool_size=2)(_Pooling.__init__)


class MaxPooling2D(_Pooling):
    """Max over windows of ``(batch, height, width, channels)``."""

    __init__ = keras_signature(pool_size=(2, 2))(_Pooling.__init__)


class MaxPooling3D(_Pooling):
    """Max over windows of ``(batch, depth, height, width, channels)``."""

    rank = 3

    __init__ = keras_signature(pool_size=(2, 2, 2))(_Pooling.__init__)


class AveragePooling1D(_Pooling):
    """Mean over windows of ``(batch, steps, channels)`` ("same" padding is not counted)."""

    rank = 1
    _mode = "avg"


class AveragePooling2D(_Pooling):
    """Mean over windows of ``(batch, height, width, channels)``."""

    _mode = "avg"


class AveragePooling3D(_Pooling):
    """Mean over windows of ``(batch, depth, height, width, channels)``."""

    rank = 3
    _mode = "avg"


class _GlobalPooling(Layer):
    """Max or mean over every spatial axis; ``keepdims`` keeps them with length one."""

    rank = 2
    _mode = "max"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        kwargs["name"] = kwargs.get("name") or U.default_name(type(self))
        super().__init__(**kwargs)
        self.data_format = A.data_format(data_format)
        self.keepdims = bool(keepdims)

    def _axes(self):
        first = 1 if self.data_format == "channels_last" else 2
        return list(range(first, first + self.rank))

    def build(self, input_shape):
        A.check_ndim(self, input_shape, self.rank + 2)
        self.built = True

    def call(self, inputs):
        x = inputs
        if self._mode == "max":
            return math.reduce_max(x, axis=self._axes(), keepdims=self.keepdims)
        if not x.dtype.is_floating:
            x = cast(x, self.compute_dtype)
        return math.reduce_mean(x, axis=self._axes(), keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        A.check_ndim(self, input_shape, self.rank + 2)
        axes = self._axes()
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in axes)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalMaxPooling1D(_GlobalPooling):
    """Max over the steps of ``(batch, steps, channels)``."""

    rank = 1


class GlobalMaxPooling2D(_GlobalPooling):
    """Max over height and width of ``(batch, height, width, channels)``."""


class GlobalMaxPooling3D(_GlobalPooling):
    """Max over depth, height and width of ``(batch, depth, height, width, channels)``."""

    rank = 3


class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over the steps of ``(batch, steps, channels)``; a ``(batch, steps)`` mask leaves
    the masked steps out of the mean."""

    rank = 1
    _mode = "avg"
    supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        x = inputs if inputs.dtype.is_floating else cast(inputs, self.compute_dtype)
        weights = expand_dims(cast(mask, x.dtype), -1 if self.data_format == "channels_last" else 1)
        axis = self._axes()
        total = math.reduce_sum(x * weights, axis=axis, keepdims=self.keepdims)
        return total / math.reduce_sum(weights, axis=axis, keepdims=self.keepdims)

    def compute_mask(self, inputs, previous_mask=None):
        return None


class GlobalAveragePooling2D(_GlobalPooling):
    """Mean over height and width of ``(batch, height, width, channels)``."""

    _mode = "avg"


class GlobalAveragePooling3D(_GlobalPooling):
    """Mean over depth, height and width of ``(batch, depth, height, width, channels)``."""

    rank = 3
    _mode = "avg"


class _AdaptivePooling(Layer):
    """Max or mean over ``output_size`` windows that split each spatial axis as evenly as they
    can (``keras.ops.adaptive_max_pool`` / ``adaptive_average_pool``)."""

    rank = 2
    _mode = "max"
    _AXES = {1: "tuple of 1 integer", 2: "(height, width) tuple", 3: "(depth, height, width) tuple"}

    def __init__(self, output_size, data_format=None, **kwargs):
        if isinstance(output_size, int):
            output_size = (output_size,) * self.rank
        elif self.rank == 1 and isinstance(output_size, (tuple, list)):
            if len(output_size) != 1:
                raise ValueError(
                    f"For 1D input, `output_size` tuple must have length 1. Received: {output_size}"
                )
        elif not (isinstance(output_size, (tuple, list)) and len(output_size) == self.rank):
            raise TypeError(
                f"`output_size` must be an integer or {self._AXES[self.rank]}. "
                f"Received: {output_size} of type {type(output_size)}"
            )
        kwargs["name"] = kwargs.get("name") or U.default_name(type(self))
        super().__init__(**kwargs)
        self.output_size = tuple(output_size)
        self.data_format = A.data_format(data_format)

    def build(self, input_shape):
        A.check_ndim(self, input_shape, self.rank + 2)
        self.built = True

    def call(self, inputs):
        pool = _extra.adaptive_max_pool if self._mode == "max" else _extra.adaptive_average_pool
        return pool(inputs, self.output_size, self.data_format)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.data_format == "channels_last":
            return (input_shape[0], *self.output_size, input_shape[-1])
        return (input_shape[0], input_shape[1], *self.output_size)

    def get_config(self):
        return {
            **super().get_config(),
            "output_size": self.output_size,
            "data_format": self.data_format,
        }


class AdaptiveMaxPooling1D(_AdaptivePooling):
    """Max over ``output_size`` adaptive windows of ``(batch, steps, channels)``."""

    rank = 1


class AdaptiveMaxPooling2D(_AdaptivePooling):
    """Max over adaptive windows of ``(batch, height, width, channels)``."""


class AdaptiveMaxPooling3D(_AdaptivePooling):
    """Max over adaptive windows of ``(batch, depth, height, width, channels)``."""

    rank = 3


class AdaptiveAveragePooling1D(_AdaptivePooling):
    """Mean over ``output_size`` adaptive windows of ``(batch, steps, channels)``."""

    rank = 1
    _mode = "avg"


class AdaptiveAveragePooling2D(_AdaptivePooling):
    """Mean over adaptive windows of ``(batch, height, width, channels)``."""

    _mode = "avg"


class AdaptiveAveragePooling3D(_AdaptivePooling):
    """Mean over adaptive windows of ``(batch, depth, height, width, channels)``."""

    rank = 3
    _mode = "avg"
