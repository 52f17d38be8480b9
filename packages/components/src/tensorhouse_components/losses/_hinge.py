"""Hinge losses: hinge, squared hinge and categorical hinge."""

from __future__ import annotations

from tensorhouse_ops import (
    equal,
    logical_or,
    maximum,
    reduce_all,
    reduce_max,
    reduce_mean,
    reduce_sum,
    square,
    where,
)

from .._tensor_utils import float_pair
from ._loss import LossFunctionWrapper, PlainConfig

__all__ = [
    "CategoricalHinge", "Hinge", "SquaredHinge", "categorical_hinge", "hinge", "squared_hinge",
]  # fmt: skip


def _signed_labels(y_true):
    """Labels that are all 0 or 1 become -1 or 1; any other labels are kept as they are."""
    is_binary = reduce_all(logical_or(equal(y_true, 0.0), equal(y_true, 1.0)))
    return where(is_binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true, y_pred):
    """``mean(maximum(1 - y_true * y_pred, 0), axis=-1)`` with labels in {-1, 1} (or {0, 1})."""
    y_true, y_pred = float_pair(y_true, y_pred)
    y_true = _signed_labels(y_true)
    return reduce_mean(maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """``mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)``."""
    y_true, y_pred = float_pair(y_true, y_pred)
    y_true = _signed_labels(y_true)
    return reduce_mean(square(maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true, y_pred):
    """``maximum(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)`` over the last axis."""
    y_true, y_pred = float_pair(y_true, y_pred)
    pos = reduce_sum(y_true * y_pred, axis=-1)
    neg = reduce_max((1.0 - y_true) * y_pred, axis=-1)
    return maximum(neg - pos + 1.0, 0.0)


class Hinge(PlainConfig, LossFunctionWrapper):
    """The hinge loss."""

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(hinge, name=name, reduction=reduction, dtype=dtype)


class SquaredHinge(PlainConfig, LossFunctionWrapper):
    """The squared hinge loss."""

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, name=name, reduction=reduction, dtype=dtype)


class CategoricalHinge(PlainConfig, LossFunctionWrapper):
    """The categorical hinge loss."""

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, name=name, reduction=reduction, dtype=dtype)
