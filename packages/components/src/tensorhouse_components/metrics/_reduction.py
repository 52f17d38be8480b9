"""``Sum``, ``Mean`` and ``MeanMetricWrapper`` (the mean of a per-sample function)."""

from __future__ import annotations

from tensorhouse_ops import broadcast_to, cast, math, reduce_mean, reduce_sum

from .._masks import get_keras_mask
from .._tensor_utils import ones_as, squeeze_or_expand_to_same_rank, to_tensor
from ._metric import Metric

__all__ = ["Mean", "MeanMetricWrapper", "PlainConfig", "Sum", "reduce_to_samplewise"]


def reduce_to_samplewise(values, sample_weight, reduce_fn, dtype):
    """Keras's weighting: one (weighted) value per sample, and the matching weights."""
    values = to_tensor(values, dtype)
    if sample_weight is not None:
        sample_weight = to_tensor(sample_weight, dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        w_ndim, v_ndim = sample_weight.shape.ndims, values.shape.ndims
        if v_ndim > w_ndim:
            values = reduce_fn(values, axis=list(range(w_ndim, v_ndim)))
        if values.shape.is_fully_defined():
            sample_weight = broadcast_to(sample_weight, values.shape.as_list())
        else:
            sample_weight = sample_weight * ones_as(values)
        values = values * sample_weight
        if w_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=list(range(1, w_ndim)))
    if values.shape.ndims > 1:
        values = reduce_fn(values, axis=list(range(1, values.shape.ndims)))
    return values, sample_weight


class Sum(Metric):
    """The (weighted) sum of all values seen."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise(values, sample_weight, reduce_sum, self._dtype)
        self.total.assign_add(reduce_sum(values))

    def result(self):
        return self.total.value()


class Mean(Metric):
    """The (weighted) mean of all values seen: ``total / count``, 0 before any update."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, values, sample_weight=None):
        values, sample_weight = reduce_to_samplewise(
            values, sample_weight, reduce_mean, self._dtype
        )
        self.total.assign_add(reduce_sum(values))
        if sample_weight is not None:
            self.count.assign_add(reduce_sum(sample_weight))
        else:
            n = values.shape[0] if values.shape.ndims >= 1 else 1
            if n is None:  # a batch size unknown at trace time
                n = reduce_sum(ones_as(values))
            self.count.assign_add(cast(n, self._dtype))

    def result(self):
        return math.divide_no_nan(self.total.value(), self.count.value())


class MeanMetricWrapper(Mean):
    """The mean of a per-sample function ``fn(y_true, y_pred, **kwargs)``."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        mask = get_keras_mask(y_pred)  # Keras: the predictions' mask weights the samples
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        if mask is not None:
            float_mask = cast(to_tensor(mask), self._dtype)
            if sample_weight is None:
                sample_weight = float_mask
            else:
                float_mask, weights = squeeze_or_expand_to_same_rank(
                    float_mask, to_tensor(sample_weight, self._dtype)
                )
                sample_weight = weights * float_mask
        return super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        from . import serialize  # the package's serializer; imported late (a cycle otherwise)

        return {**super().get_config(), "fn": serialize(self._fn), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("fn"), str | dict):
            from . import deserialize

            config["fn"] = deserialize(config["fn"])
        return cls(**config)


class PlainConfig:
    """Mixin: the config of most built-in mean metrics holds only ``name`` and ``dtype``."""

    def get_config(self):
        return Metric.get_config(self)
