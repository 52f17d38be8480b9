"""Probabilistic metrics: the mean cross-entropies, KL divergence and Poisson."""

from __future__ import annotations

from tensorhouse_ops import cast

from .._tensor_utils import squeeze_or_expand_to_same_rank, to_tensor
from ..losses import (
    binary_crossentropy,
    categorical_crossentropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from ..losses._probabilistic import ignore_class_mask
from ._reduction import MeanMetricWrapper, PlainConfig

__all__ = [
    "BinaryCrossentropy", "CategoricalCrossentropy", "KLDivergence", "Poisson",
    "SparseCategoricalCrossentropy",
]  # fmt: skip


class _CrossentropyMetric(MeanMetricWrapper):
    """Keeps ``fn``'s keyword arguments as attributes; the config is name, dtype and those."""

    def __init__(self, fn, name, dtype, **kwargs):
        super().__init__(fn, name=name, dtype=dtype, **kwargs)
        for key, value in kwargs.items():
            setattr(self, key, value)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype} | {
            key: getattr(self, key) for key in self._fn_kwargs
        }


class BinaryCrossentropy(_CrossentropyMetric):
    """The mean binary cross-entropy."""

    def __init__(
        self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0
    ):
        super().__init__(
            binary_crossentropy, name, dtype, from_logits=from_logits,
            label_smoothing=label_smoothing,
        )  # fmt: skip


class CategoricalCrossentropy(_CrossentropyMetric):
    """The mean categorical cross-entropy of one-hot labels."""

    def __init__(
        self, name="categorical_crossentropy", dtype=None, from_logits=False, label_smoothing=0,
        axis=-1,
    ):  # fmt: skip
        super().__init__(
            categorical_crossentropy, name, dtype, from_logits=from_logits,
            label_smoothing=label_smoothing, axis=axis,
        )  # fmt: skip


class SparseCategoricalCrossentropy(_CrossentropyMetric):
    """The mean cross-entropy of integer labels; ``ignore_class`` labels add 0, and count only
    when no ``sample_weight`` is given (as in Keras)."""

    def __init__(
        self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
        ignore_class=None, axis=-1,
    ):  # fmt: skip
        super().__init__(
            sparse_categorical_crossentropy, name, dtype, from_logits=from_logits,
            ignore_class=ignore_class, axis=axis,
        )  # fmt: skip

    def update_state(self, y_true, y_pred, sample_weight=None):
        # Keras's Mean folds the loss output's ignore_class mask into ``sample_weight`` (so
        # ignored labels drop out of the count), but only when weights are given.
        if self.ignore_class is not None and sample_weight is not None:
            y_true, y_pred = to_tensor(y_true), to_tensor(y_pred)
            mask = ignore_class_mask(y_true, y_pred, self.ignore_class, self.axis)
            mask, sample_weight = squeeze_or_expand_to_same_rank(
                cast(mask, self._dtype), to_tensor(sample_weight, self._dtype)
            )
            sample_weight = sample_weight * mask
        return super().update_state(y_true, y_pred, sample_weight=sample_weight)


class KLDivergence(PlainConfig, MeanMetricWrapper):
    """The mean Kullback-Leibler divergence of ``y_pred`` from ``y_true``."""

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, name=name, dtype=dtype)


class Poisson(PlainConfig, MeanMetricWrapper):
    """The mean Poisson loss ``y_pred - y_true * log(y_pred)``."""

    def __init__(self, name="poisson", dtype=None):
        super().__init__(poisson, name=name, dtype=dtype)
