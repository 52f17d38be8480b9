"""Regression metrics: mean errors of per-sample functions, ``RootMeanSquaredError``,
``CosineSimilarity``, ``LogCoshError``, ``R2Score`` and the Pearson / concordance correlations."""

from __future__ import annotations

from tensorhouse_ops import math, reduce_mean, reduce_sum, sqrt, square, where

from .. import losses
from .._tensor_utils import expand, ones_as, squeeze_or_expand_to_same_rank, to_tensor
from ..keras_ops import config as _config
from ..losses import (
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from ._metric import Metric
from ._reduction import Mean, MeanMetricWrapper, PlainConfig

__all__ = [
    "ConcordanceCorrelation", "CosineSimilarity", "LogCoshError", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredError", "MeanSquaredLogarithmicError",
    "PearsonCorrelation", "R2Score", "RootMeanSquaredError", "concordance_correlation",
    "cosine_similarity", "pearson_correlation",
]  # fmt: skip


def cosine_similarity(y_true, y_pred, axis=-1):
    """The cosine of the angle between ``y_true`` and ``y_pred`` along ``axis`` (in [-1, 1])."""
    # Keras's metric version is the only one that differs from the loss: the loss is minimized,
    # so ``losses.cosine_similarity`` is minus this (-1 for equal directions, here 1).
    return -losses.cosine_similarity(y_true, y_pred, axis=axis)


class MeanSquaredError(PlainConfig, MeanMetricWrapper):
    """The mean of ``square(y_true - y_pred)``."""

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(PlainConfig, MeanMetricWrapper):
    """The mean of ``abs(y_true - y_pred)``."""

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(PlainConfig, MeanMetricWrapper):
    """The mean absolute error as a percentage of ``abs(y_true)``."""

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(PlainConfig, MeanMetricWrapper):
    """The mean squared difference of ``log(1 + y)``."""

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, name=name, dtype=dtype)


class CosineSimilarity(PlainConfig, MeanMetricWrapper):
    """The mean cosine similarity of labels and predictions along ``axis``."""

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)


class LogCoshError(PlainConfig, MeanMetricWrapper):
    """The mean of ``log(cosh(y_pred - y_true))``."""

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(log_cosh, name=name, dtype=dtype)


class RootMeanSquaredError(Mean):
    """``sqrt`` of the (weighted) mean squared error over everything seen."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = to_tensor(y_true, self._dtype)
        y_pred = to_tensor(y_pred, self._dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return super().update_state(square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        return sqrt(super().result())


class R2Score(Metric):
    """The coefficient of determination, per output or aggregated; optionally adjusted for
    ``num_regressors``."""

    def __init__(
        self, class_aggregation="uniform_average", num_regressors=0, name="r2_score", dtype=None
    ):
        super().__init__(name=name, dtype=dtype)
        valid = (None, "uniform_average", "variance_weighted_average")
        if class_aggregation not in valid:
            raise ValueError(
                f"Invalid value for argument `class_aggregation`. Expected one of {valid}. "
                f"Received: class_aggregation={class_aggregation}"
            )
        if num_regressors < 0:
            raise ValueError(
                "Invalid value for argument `num_regressors`. Expected a value >= 0. "
                f"Received: num_regressors={num_regressors}"
            )
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable(shape=(), initializer="zeros", name="num_samples")
        self._built = False

    def _build(self, true_shape, pred_shape):
        if len(pred_shape) != 2 or len(true_shape) != 2:
            raise ValueError(
                "R2Score expects 2D inputs with shape (batch_size, output_dim). Received input "
                f"shapes: y_pred.shape={tuple(pred_shape)} and y_true.shape={tuple(true_shape)}."
            )
        if pred_shape[-1] is None or true_shape[-1] is None:
            raise ValueError(
                "R2Score expects 2D inputs with shape (batch_size, output_dim), with output_dim "
                "fully defined (not None). Received input shapes: "
                f"y_pred.shape={tuple(pred_shape)} and y_true.shape={tuple(true_shape)}."
            )
        n = pred_shape[-1]
        self.squared_sum = self.add_variable(shape=[n], initializer="zeros", name="squared_sum")
        self.sum = self.add_variable(shape=[n], initializer="zeros", name="sum")
        self.total_mse = self.add_variable(shape=[n], initializer="zeros", name="residual")
        self.count = self.add_variable(shape=[n], initializer="zeros", name="count")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = to_tensor(y_true, self._dtype)
        y_pred = to_tensor(y_pred, self._dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if not self._built:
            self._build(y_true.shape.as_list(), y_pred.shape.as_list())
        weight = to_tensor(1.0 if sample_weight is None else sample_weight, self._dtype)
        if weight.shape.ndims == 1:
            weight = expand(weight, 1)
        weight = ones_as(y_true) * weight
        weighted = y_true * weight
        self.sum.assign_add(reduce_sum(weighted, axis=0))
        self.squared_sum.assign_add(reduce_sum(y_true * weighted, axis=0))
        self.total_mse.assign_add(reduce_sum(square(y_true - y_pred) * weight, axis=0))
        self.count.assign_add(reduce_sum(weight, axis=0))
        self.num_samples.assign_add(reduce_sum(ones_as(y_true, self._dtype)))

    def result(self):
        total_sum = self.sum.value()
        mean = total_sum / self.count.value()
        total = self.squared_sum.value() - total_sum * mean
        raw = 1.0 - self.total_mse.value() / total
        raw = where(math.is_inf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            score = reduce_mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            score = reduce_sum(total * raw) / reduce_sum(total)
        else:
            score = raw
        if self.num_regressors == 0:
            return score
        return self._adjust(score)

    def _adjust(self, score):
        # Keras falls back to the plain score when num_regressors >= num_samples - 1.
        n = self.num_samples.value()
        p = float(self.num_regressors)
        adjusted = 1.0 - (1.0 - score) * (n - 1.0) / (n - p - 1.0)
        return where(n - 1.0 > p, adjusted, score)

    def get_config(self):
        return {
            **super().get_config(),
            "class_aggregation": self.class_aggregation,
            "num_regressors": self.num_regressors,
        }


def _same_rank(y_true, y_pred):
    y_pred = to_tensor(y_pred)
    return squeeze_or_expand_to_same_rank(to_tensor(y_true, y_pred.dtype), y_pred)


def pearson_correlation(y_true, y_pred, axis=-1):
    """Pearson's correlation of ``y_true`` and ``y_pred`` along ``axis``."""
    y_true, y_pred = _same_rank(y_true, y_pred)
    t = y_true - reduce_mean(y_true, axis=axis, keepdims=True)
    p = y_pred - reduce_mean(y_pred, axis=axis, keepdims=True)
    t = t / math.reduce_std(t, axis=axis, keepdims=True)
    p = p / math.reduce_std(p, axis=axis, keepdims=True)
    return reduce_mean(t * p, axis=axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    """Lin's concordance correlation along ``axis``, with Keras 3's covariance term
    ``(y_true - mean(y_pred)) * (y_pred - mean(y_pred))``."""
    y_true, y_pred = _same_rank(y_true, y_pred)
    t_mean = reduce_mean(y_true, axis=axis, keepdims=True)
    p_mean = reduce_mean(y_pred, axis=axis, keepdims=True)
    t_var = math.reduce_variance(y_true - t_mean, axis=axis, keepdims=True)
    p_var = math.reduce_variance(y_pred - p_mean, axis=axis, keepdims=True)
    covar = (y_true - p_mean) * (y_pred - p_mean)
    norm = t_var + p_var + square(t_mean - p_mean)
    return reduce_mean(2 * covar / (norm + _config.epsilon()), axis=axis)


class _Correlation(MeanMetricWrapper):
    def get_config(self):
        return {**Metric.get_config(self), "axis": self._fn_kwargs["axis"]}


class PearsonCorrelation(_Correlation):
    """The mean Pearson correlation of labels and predictions along ``axis``."""

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(pearson_correlation, name=name, dtype=dtype, axis=axis)


class ConcordanceCorrelation(_Correlation):
    """The mean concordance correlation of labels and predictions along ``axis``."""

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(concordance_correlation, name=name, dtype=dtype, axis=axis)
