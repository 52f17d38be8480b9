"""Weight constraints (``keras.constraints``): projections the optimizers apply to a variable
after each update (``add_weight(constraint=...)``, ``kernel_constraint=`` on layers)."""

from __future__ import annotations

from tensorhouse_ops import (
    cast,
    clip_by_value,
    convert_to_tensor,
    maximum,
    reduce_sum,
    sqrt,
    square,
)

from . import _serialization
from .keras_ops.config import epsilon

__all__ = [
    "Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "deserialize", "get",
    "max_norm", "min_max_norm", "non_neg", "serialize", "unit_norm",
]  # fmt: skip


def _norms(w, axis):
    return sqrt(reduce_sum(square(w), axis=axis, keepdims=True))


def _float(w):
    w = convert_to_tensor(w)
    return w if w.dtype.is_floating else cast(w, "float32")


class Constraint:
    """Base class: ``constraint(w)`` returns the projected weight (the base: ``w`` itself)."""

    def __call__(self, w):
        return w

    def get_config(self) -> dict:
        """The constructor arguments (``{}`` for the base)."""
        return {}

    @classmethod
    def from_config(cls, config):
        """A constraint from ``get_config``'s dict."""
        return cls(**config)


class MaxNorm(Constraint):
    """Rescales the weights whose norm along ``axis`` exceeds ``max_value`` down to it."""

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        w = _float(w)
        norms = _norms(w, self.axis)
        desired = clip_by_value(norms, 0.0, float(self.max_value))
        return w * (desired / (epsilon() + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Clips the weights below zero to zero."""

    def __call__(self, w):
        w = convert_to_tensor(w)
        return maximum(w, cast(0, w.dtype))


class UnitNorm(Constraint):
    """Divides the weights by their norm along ``axis``."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = _float(w)
        return w / (epsilon() + _norms(w, self.axis))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves the norms along ``axis`` into ``[min_value, max_value]`` by a fraction ``rate``."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        w = _float(w)
        norms = _norms(w, self.axis)
        clipped = clip_by_value(norms, float(self.min_value), float(self.max_value))
        desired = self.rate * clipped + (1 - self.rate) * norms
        return w * (desired / (epsilon() + norms))

    def get_config(self):
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }


max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm

_CLASSES = (Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm)
_TABLE = {c.__name__: c for c in _CLASSES}
_TABLE.update({_serialization.snake_case(c.__name__): c for c in _CLASSES})


def serialize(constraint):
    """Keras's dict form of a constraint (None stays None)."""
    if constraint is None:
        return None
    if not hasattr(constraint, "get_config"):  # a plain function: its name
        return getattr(constraint, "__name__", constraint)
    return _serialization.serialize(constraint, "keras.constraints")


def deserialize(config, custom_objects=None):
    """A constraint from its dict form or name."""
    if isinstance(config, str):
        return get(config)
    return _serialization.deserialize(config, _TABLE, "constraint", custom_objects)


def get(identifier):
    """A constraint from None, a name, a config dict, a class or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = _TABLE.get(identifier)
    else:
        obj = identifier
    if isinstance(obj, type):
        obj = obj()
    if not callable(obj):
        raise ValueError(f"Could not interpret constraint identifier: {identifier}")
    return obj
