"""Overlap losses for segmentation: Dice and Tversky."""

from __future__ import annotations

from tensorhouse_ops import reduce_sum

from .._tensor_utils import EPSILON, float_pair
from ._loss import Loss, LossFunctionWrapper

__all__ = ["Dice", "Tversky", "dice", "tversky"]


def dice(y_true, y_pred, axis=None):
    """``1 - 2 sum(y_true y_pred) / (sum(y_true) + sum(y_pred) + eps)`` over ``axis`` (all
    axes when None: one value for the batch)."""
    y_true, y_pred = float_pair(y_true, y_pred)
    overlap = reduce_sum(y_true * y_pred, axis=axis)
    total = reduce_sum(y_true, axis=axis) + reduce_sum(y_pred, axis=axis) + EPSILON
    return 1.0 - 2.0 * overlap / total


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """``1 - TP / (TP + alpha FP + beta FN + eps)`` with Keras's soft counts over ``axis``."""
    y_true, y_pred = float_pair(y_true, y_pred)
    overlap = reduce_sum(y_true * y_pred, axis=axis)
    fp = reduce_sum((1.0 - y_pred) * y_true, axis=axis)
    fn = reduce_sum(y_pred * (1.0 - y_true), axis=axis)
    return 1.0 - overlap / (overlap + alpha * fp + beta * fn + EPSILON)


class Dice(LossFunctionWrapper):
    """The Dice loss, ``1 - F1`` of soft predictions."""

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(dice, name=name, reduction=reduction, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self):
        return {**Loss.get_config(self), "axis": self.axis}


class Tversky(LossFunctionWrapper):
    """The Tversky loss: Dice with separate weights for false positives and negatives."""

    def __init__(
        self,
        alpha=0.5,
        beta=0.5,
        reduction="sum_over_batch_size",
        name="tversky",
        axis=None,
        dtype=None,
    ):
        super().__init__(
            tversky, name=name, reduction=reduction, dtype=dtype, alpha=alpha, beta=beta, axis=axis
        )
        self.alpha, self.beta, self.axis = alpha, beta, axis

    def get_config(self):
        config = Loss.get_config(self)
        return {**config, "alpha": self.alpha, "beta": self.beta, "axis": self.axis}
