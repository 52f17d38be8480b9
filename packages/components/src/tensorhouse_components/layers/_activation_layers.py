"""Activation layers: ``ReLU``, ``LeakyReLU``, ``PReLU``, ``ELU``, ``Softmax``."""

from __future__ import annotations

import warnings

from tensorhouse_ops import cast, convert_to_tensor, exp, greater, math, nn, where

from .. import constraints, initializers, regularizers
from ._args import initializer, regularizer_config
from ._layer import Layer

__all__ = ["ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax"]


class _Elementwise(Layer):
    supports_masking = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


def _non_negative(value, what, layer):
    if value is None or value < 0:
        raise ValueError(
            f"{what} of a {layer} layer cannot be None or a negative value. "
            f"Received: {what}={value}"
        )


class ReLU(_Elementwise):
    """``max(x, 0)`` with Keras's options: a ``max_value`` cap, a ``negative_slope`` below the
    ``threshold``, and values at or below ``threshold`` (when > 0) set to zero."""

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0.0:
            raise ValueError(
                "max_value of a ReLU layer cannot be a negative value. "
                f"Received: max_value={max_value}"
            )
        _non_negative(negative_slope, "negative_slope", "ReLU")
        _non_negative(threshold, "threshold", "ReLU")
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold

    def call(self, inputs):
        x = inputs
        slope, thr, cap = float(self.negative_slope), float(self.threshold), self.max_value
        if slope and cap is None and not thr:
            return nn.leaky_relu(x, alpha=slope)
        below = nn.relu(thr - x) if thr else nn.relu(-x)
        if thr:
            out = x * cast(greater(x, thr), x.dtype)
        else:
            out = nn.relu(x)
        if cap is not None:
            out = math.minimum(out, float(cap))
        if slope:
            out = out - slope * below
        return out

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}  # fmt: skip


class LeakyReLU(_Elementwise):
    """``x`` for ``x >= 0``, ``negative_slope * x`` otherwise (default slope 0.3)."""

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn(
                "Argument `alpha` is deprecated. Use `negative_slope` instead.", stacklevel=2
            )
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError(
                "The negative_slope value of a Leaky ReLU layer cannot be None or negative "
                f"value. Expected a float. Received: negative_slope={negative_slope}"
            )
        self.negative_slope = negative_slope

    def call(self, inputs):
        return nn.leaky_relu(inputs, alpha=float(self.negative_slope))

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class PReLU(_Elementwise):
    """Leaky ReLU with a learned slope ``alpha`` per input element (shared along
    ``shared_axes``): ``relu(x) - alpha * relu(-x)``."""

    def __init__(
        self,
        alpha_initializer="Zeros",
        alpha_regularizer=None,
        alpha_constraint=None,
        shared_axes=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.alpha_initializer = initializer(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, list | tuple):
            self.shared_axes = list(shared_axes)
        else:
            self.shared_axes = [shared_axes]
        self.alpha = None

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            if not 1 <= axis <= len(shape):
                raise ValueError(
                    f"`shared_axes` of {self.name!r} must name axes 1..{len(shape)} of the "
                    f"input. Received: shared_axes={self.shared_axes}, input_shape="
                    f"{tuple(input_shape)}"
                )
            shape[axis - 1] = 1
        if any(d is None for d in shape):
            raise ValueError(
                f"PReLU needs known non-batch dimensions outside `shared_axes`. Received: "
                f"input_shape={tuple(input_shape)}"
            )
        self.alpha = self.add_weight(
            shape=shape, initializer=self.alpha_initializer, regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint, name="alpha",
        )  # fmt: skip
        self.built = True

    def call(self, inputs):
        return nn.relu(inputs) - self.alpha * nn.relu(-inputs)

    def get_config(self):
        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizer_config(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        }


class ELU(_Elementwise):
    """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha

    def call(self, inputs):
        if self.alpha == 1.0:
            return nn.elu(inputs)
        return where(greater(inputs, 0.0), inputs, float(self.alpha) * nn.elu(inputs))

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


def _large_negative(dtype):
    return -3e4 if dtype.name in ("float16", "bfloat16") else -1e9


class Softmax(_Elementwise):
    """Softmax over ``axis`` (an int or a tuple); ``mask`` (True / > 0.5 keeps) excludes the
    masked positions, which come out as 0."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs, mask=None):
        x = inputs
        if mask is not None:
            mask = convert_to_tensor(mask)
            ishape, mshape = inputs.shape.as_list(), mask.shape.as_list()
            ok = len(mshape) <= len(ishape) and all(
                m in (1, i) or m is None or i is None for m, i in zip(mshape[::-1], ishape[::-1])
            )
            if not ok:
                raise ValueError(
                    "The `mask` must be broadcastable to `inputs` and must not have more "
                    f"dimensions. Received: inputs.shape={tuple(ishape)}, "
                    f"mask.shape={tuple(mshape)}"
                )
            if mask.dtype.name != "bool":
                mask = greater(mask, cast(0.5, mask.dtype))
            x = where(mask, x, _large_negative(x.dtype))
        if isinstance(self.axis, list | tuple) and len(self.axis) > 1:
            axes = list(self.axis)
            out = exp(x - math.reduce_logsumexp(x, axis=axes, keepdims=True))
        else:
            axis = self.axis[0] if isinstance(self.axis, list | tuple) else self.axis
            out = nn.softmax(x, axis=axis)
        if mask is not None:
            out = where(mask, out, 0.0)
        return out

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
