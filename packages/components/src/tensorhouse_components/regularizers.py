"""Weight regularizers (``keras.regularizers``): a penalty tensor added to the training loss."""

from __future__ import annotations

from tensorhouse_ops import abs as _abs
from tensorhouse_ops import reduce_sum, square

from . import _serialization

__all__ = [
    "L1", "L1L2", "L2", "Regularizer", "deserialize", "get", "l1", "l1_l2", "l2", "serialize",
]  # fmt: skip


class Regularizer:
    """Base class: ``regularizer(weight)`` returns a scalar penalty."""

    def __call__(self, x):
        return 0.0

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _check(value, name):
    value = float(value)
    if value < 0:
        raise ValueError(f"`{name}` must be >= 0. Received: {name}={value}")
    return value


class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x^2)``."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = _check(l1, "l1"), _check(l2, "l2")

    def __call__(self, x):
        penalty = None
        if self.l1:
            penalty = self.l1 * reduce_sum(_abs(x))
        if self.l2:
            term = self.l2 * reduce_sum(square(x))
            penalty = term if penalty is None else penalty + term
        return 0.0 * reduce_sum(x) if penalty is None else penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


l1, l2, l1_l2 = L1, L2, L1L2

_TABLE = {
    "L1": L1, "L2": L2, "L1L2": L1L2, "l1": L1, "l2": L2, "l1_l2": L1L2,
}  # fmt: skip


def serialize(regularizer) -> dict:
    return _serialization.serialize(regularizer, "keras.regularizers")


def deserialize(config, custom_objects=None):
    return _serialization.deserialize(config, _TABLE, "regularizer", custom_objects)


def get(identifier, custom_objects=None):
    return _serialization.resolve(identifier, _TABLE, "regularizer", custom_objects)
