"""Weight regularizers (``keras.regularizers``): a penalty tensor added to the training loss."""

from __future__ import annotations

import math

import numpy as np

from tensorhouse_ops import abs as _abs
from tensorhouse_ops import cast, eye, matmul, reduce_sum, square

from . import _serialization
from .keras_ops import _nn
from .keras_ops._dtypes import to_float

__all__ = [
    "L1", "L1L2", "L2", "OrthogonalRegularizer", "Regularizer", "deserialize", "get", "l1",
    "l1_l2", "l2", "orthogonal_regularizer", "serialize",
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


class OrthogonalRegularizer(Regularizer):
    """``factor`` times the mean absolute cosine between pairs of distinct rows (or columns,
    ``mode="columns"``) of a 2-D weight."""

    def __init__(self, factor=0.01, mode="rows"):
        if (
            isinstance(factor, bool) or not isinstance(factor, float | int)
            or math.isinf(factor) or math.isnan(factor) or factor < 0
        ):  # fmt: skip
            raise ValueError(
                "Invalid value for argument factor: expected a non-negative float."
                f"Received: factor={factor}"
            )
        if mode not in {"rows", "columns"}:
            raise ValueError(
                "Invalid value for argument `mode`. Expected one of "
                f'{{"rows", "columns"}}. Received: mode={mode}'
            )
        self.factor = float(np.float32(factor))  # Keras keeps it as a float32 tensor
        self.mode = mode

    def __call__(self, inputs):
        x = to_float(inputs)
        if len(x.shape) != 2:
            raise ValueError(
                "Inputs to OrthogonalRegularizer must have rank 2. "
                f"Received: inputs.shape={x.shape}"
            )
        rows = self.mode == "rows"
        x = _nn.normalize(x, axis=1 if rows else 0)
        product = matmul(x, x, transpose_b=True) if rows else matmul(x, x, transpose_a=True)
        size = int(x.shape[0 if rows else 1])
        off_diagonal = product * (1.0 - eye(size, dtype=x.dtype))
        pairs = size * (size - 1.0) / 2.0
        return cast(self.factor, x.dtype) * 0.5 * reduce_sum(_abs(off_diagonal)) / pairs

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer

_TABLE = {
    "L1": L1, "L2": L2, "L1L2": L1L2, "l1": L1, "l2": L2, "l1_l2": L1L2,
    "OrthogonalRegularizer": OrthogonalRegularizer,
    "orthogonal_regularizer": OrthogonalRegularizer,
}  # fmt: skip


def serialize(regularizer) -> dict:
    return _serialization.serialize(regularizer, "keras.regularizers")


def deserialize(config, custom_objects=None):
    return _serialization.deserialize(config, _TABLE, "regularizer", custom_objects)


def get(identifier, custom_objects=None):
    return _serialization.resolve(identifier, _TABLE, "regularizer", custom_objects)
