"""Regression losses: squared, absolute, percentage and logarithmic errors, Huber, log-cosh
and cosine similarity."""

from __future__ import annotations

import math as _pymath

from tensorhouse_ops import (
    abs,
    convert_to_tensor,
    log,
    math,
    maximum,
    minimum,
    reduce_mean,
    reduce_sum,
    square,
    where,
)

from .._tensor_utils import EPSILON, float_pair, squeeze_or_expand_to_same_rank
from ._loss import LossFunctionWrapper, PlainConfig

__all__ = [
    "CosineSimilarity", "Huber", "LogCosh", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredError", "MeanSquaredLogarithmicError", "cosine_similarity", "huber", "log_cosh",
    "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
    "mean_squared_logarithmic_error",
]  # fmt: skip


def _aligned(y_true, y_pred):
    return squeeze_or_expand_to_same_rank(*float_pair(y_true, y_pred))


def _const(value, like):
    return convert_to_tensor(value, dtype=like.dtype)


def mean_squared_error(y_true, y_pred):
    """``mean(square(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = _aligned(y_true, y_pred)
    return reduce_mean(square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """``mean(abs(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = _aligned(y_true, y_pred)
    return reduce_mean(abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(abs((y_true - y_pred) / maximum(abs(y_true), epsilon)), axis=-1)``."""
    y_true, y_pred = _aligned(y_true, y_pred)
    diff = abs((y_true - y_pred) / maximum(abs(y_true), _const(EPSILON, y_pred)))
    return 100.0 * reduce_mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)``."""
    y_true, y_pred = _aligned(y_true, y_pred)
    eps = _const(EPSILON, y_pred)
    first = log(maximum(y_pred, eps) + 1.0)
    second = log(maximum(y_true, eps) + 1.0)
    return reduce_mean(square(first - second), axis=-1)


def _l2_normalize(x, axis):
    inv_norm = math.rsqrt(reduce_sum(square(x), axis=axis, keepdims=True))
    return x * minimum(inv_norm, _const(1.0 / EPSILON, x))


def cosine_similarity(y_true, y_pred, axis=-1):
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``: -1 for equal directions."""
    y_true, y_pred = _aligned(y_true, y_pred)
    return -reduce_sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


def huber(y_true, y_pred, delta=1.0):
    """Mean over the last axis of ``0.5 e^2`` where ``|e| <= delta``, else
    ``delta |e| - 0.5 delta^2``."""
    y_true, y_pred = _aligned(y_true, y_pred)
    delta = _const(delta, y_pred)
    error = y_pred - y_true
    abs_error = abs(error)
    quadratic = 0.5 * square(error)
    linear = delta * abs_error - 0.5 * square(delta)
    return reduce_mean(where(abs_error <= delta, quadratic, linear), axis=-1)


def log_cosh(y_true, y_pred):
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, computed without overflow."""
    y_true, y_pred = _aligned(y_true, y_pred)
    x = y_pred - y_true
    return reduce_mean(x + math.softplus(-2.0 * x) - _const(_pymath.log(2.0), x), axis=-1)


class MeanSquaredError(PlainConfig, LossFunctionWrapper):
    """The mean of squared errors."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, reduction=reduction, dtype=dtype)


class MeanAbsoluteError(PlainConfig, LossFunctionWrapper):
    """The mean of absolute errors."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, reduction=reduction, dtype=dtype)


class MeanAbsolutePercentageError(PlainConfig, LossFunctionWrapper):
    """The mean absolute percentage error."""

    def __init__(
        self,
        reduction="sum_over_batch_size",
        name="mean_absolute_percentage_error",
        dtype=None,
    ):
        super().__init__(
            mean_absolute_percentage_error, name=name, reduction=reduction, dtype=dtype
        )


class MeanSquaredLogarithmicError(PlainConfig, LossFunctionWrapper):
    """The mean squared error of ``log(x + 1)``."""

    def __init__(
        self,
        reduction="sum_over_batch_size",
        name="mean_squared_logarithmic_error",
        dtype=None,
    ):
        super().__init__(
            mean_squared_logarithmic_error, name=name, reduction=reduction, dtype=dtype
        )


class CosineSimilarity(PlainConfig, LossFunctionWrapper):
    """Minus the cosine similarity along ``axis``."""

    def __init__(
        self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None
    ):
        super().__init__(cosine_similarity, name=name, reduction=reduction, dtype=dtype, axis=axis)


class Huber(PlainConfig, LossFunctionWrapper):
    """The Huber loss: quadratic up to ``delta``, linear beyond."""

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(huber, name=name, reduction=reduction, dtype=dtype, delta=delta)


class LogCosh(PlainConfig, LossFunctionWrapper):
    """The mean of ``log(cosh(error))``."""

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(log_cosh, name=name, reduction=reduction, dtype=dtype)
