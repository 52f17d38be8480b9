"""``FBetaScore`` and ``F1Score``: per-class or averaged F-scores of thresholded predictions."""

from __future__ import annotations

from tensorhouse_ops import abs as _abs
from tensorhouse_ops import (
    cast,
    greater,
    greater_equal,
    logical_and,
    reduce_max,
    reduce_mean,
    reduce_sum,
)

from .._tensor_utils import EPSILON, expand, to_tensor
from ._metric import Metric

__all__ = ["F1Score", "FBetaScore"]


class FBetaScore(Metric):
    """``(1 + beta^2) * P * R / (beta^2 * P + R)``, per class or averaged (micro, macro,
    weighted); predictions are 1 above ``threshold`` (default: the row's maximum)."""

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(
                "Invalid `average` argument value. Expected one of: "
                f"{{None, 'micro', 'macro', 'weighted'}}. Received: average={average}"
            )
        if not isinstance(beta, float):
            raise ValueError(
                "Invalid `beta` argument value. It should be a Python float. "
                f"Received: beta={beta} of type '{type(beta)}'"
            )
        if beta <= 0.0:
            raise ValueError(
                f"Invalid `beta` argument value. It should be > 0. Received: beta={beta}"
            )
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(
                    "Invalid `threshold` argument value. It should be a Python float. "
                    f"Received: threshold={threshold} of type '{type(threshold)}'"
                )
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError(
                    "Invalid `threshold` argument value. It should verify 0 < threshold <= 1. "
                    f"Received: threshold={threshold}"
                )
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, true_shape, pred_shape):
        if len(pred_shape) != 2 or len(true_shape) != 2:
            raise ValueError(
                "FBetaScore expects 2D inputs with shape (batch_size, output_dim). "
                f"Received input shapes: y_pred.shape={tuple(pred_shape)} and "
                f"y_true.shape={tuple(true_shape)}."
            )
        if pred_shape[-1] is None or true_shape[-1] is None:
            raise ValueError(
                "FBetaScore expects 2D inputs with shape (batch_size, output_dim), "
                "with output_dim fully defined (not None). Received input shapes: "
                f"y_pred.shape={tuple(pred_shape)} and y_true.shape={tuple(true_shape)}."
            )
        shape = () if self.average == "micro" else (pred_shape[-1],)
        for attr in ("true_positives", "false_positives", "false_negatives",
                     "intermediate_weights"):  # fmt: skip
            setattr(self, attr, self.add_variable(shape=shape, initializer="zeros", name=attr))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = to_tensor(y_true, self._dtype)
        y_pred = to_tensor(y_pred, self._dtype)
        if not self._built:
            self._build(y_true.shape.as_list(), y_pred.shape.as_list())
        if self.threshold is None:
            top = reduce_max(y_pred, axis=-1, keepdims=True)
            y_pred = logical_and(greater_equal(y_pred, top), greater(_abs(y_pred), 1e-9))
        else:
            y_pred = greater(y_pred, self.threshold)
        y_pred = cast(y_pred, self._dtype)
        weight = None if sample_weight is None else to_tensor(sample_weight, self._dtype)

        def weighted_sum(values):
            if weight is not None:
                values = values * expand(weight, 1)
            return reduce_sum(values, axis=self.axis)

        self.true_positives.assign_add(weighted_sum(y_pred * y_true))
        self.false_positives.assign_add(weighted_sum(y_pred * (1.0 - y_true)))
        self.false_negatives.assign_add(weighted_sum((1.0 - y_pred) * y_true))
        self.intermediate_weights.assign_add(weighted_sum(y_true))

    def result(self):
        tp = self.true_positives.value()
        precision = tp / (tp + self.false_positives.value() + EPSILON)
        recall = tp / (tp + self.false_negatives.value() + EPSILON)
        b2 = self.beta**2
        score = precision * recall / (b2 * precision + recall + EPSILON) * (1.0 + b2)
        if self.average == "weighted":
            w = self.intermediate_weights.value()
            return reduce_sum(score * (w / (reduce_sum(w) + EPSILON)))
        if self.average is not None:
            return reduce_mean(score)
        return score

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        return {
            **super().get_config(),
            "average": self.average,
            "beta": self.beta,
            "threshold": self.threshold,
        }


class F1Score(FBetaScore):
    """The F-score with ``beta = 1``: the harmonic mean of precision and recall."""

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config
