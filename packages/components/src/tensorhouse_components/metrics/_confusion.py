"""Confusion-matrix metrics: counts at thresholds, precision, recall, AUC and the
"X at fixed Y" metrics.

Every update is ops only. Thresholds that are not evenly spaced are compared with the
predictions by broadcasting (``[thresholds, predictions]``) and counted with ``reduce_sum``.
Evenly spaced thresholds (AUC's default) put each prediction in one bucket, count the buckets
with ``unsorted_segment_sum`` and turn them into "above threshold" counts with a reversed
``cumsum``: linear in the batch and the number of thresholds, as in Keras.
"""

from __future__ import annotations

import numpy as np

from tensorhouse_ops import (
    cast,
    clip_by_value,
    constant,
    cumsum,
    dtypes,
    greater,
    greater_equal,
    logical_and,
    logical_not,
    math,
    maximum,
    minimum,
    not_equal,
    one_hot,
    reduce_max,
    reduce_mean,
    reduce_sum,
    reshape,
    sigmoid,
    transpose,
    where,
)
from tensorhouse_ops import log as _log
from tensorhouse_ops import range as _range

from .._tensor_utils import EPSILON, expand, ones_as, squeeze_or_expand_to_same_rank, to_tensor
from ._metric import Metric

__all__ = [
    "AUC", "FalseNegatives", "FalsePositives", "Precision", "PrecisionAtRecall", "Recall",
    "RecallAtPrecision", "SensitivityAtSpecificity", "SpecificityAtSensitivity",
    "TrueNegatives", "TruePositives",
]  # fmt: skip

NEG_INF = -1e10
TP, FP, TN, FN = "tp", "fp", "tn", "fn"


def _to_list(x):
    return list(x) if isinstance(x, list | tuple | np.ndarray) else [x]


def _parse_thresholds(thresholds, default):
    if thresholds is not None:
        bad = [t for t in _to_list(thresholds) if t is None or t < 0 or t > 1]
        if bad:
            raise ValueError(f"Threshold values must be in [0, 1]. Received: {bad}")
        return [float(t) for t in _to_list(thresholds)]
    return [float(default)]


def _evenly_spaced(thresholds):
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=EPSILON))


def _filter_top_k(x, k):
    """Keep the ``k`` largest values of the last axis; the rest become -1e10."""
    _, idx = math.top_k(x, k)
    mask = reduce_sum(one_hot(idx, x.shape[-1], dtype=x.dtype), axis=-2)
    return x * mask + NEG_INF * (1.0 - mask)


def _bucket_counts(variables, y_true, y_pred, weights, num_thresholds, with_epsilon, multi):
    """Counts for evenly spaced thresholds ``i / (T - 1)``: bucket, segment-sum, reverse cumsum."""
    dtype = y_pred.dtype
    t = num_thresholds
    y_pred = clip_by_value(y_pred, 0.0, 1.0)
    labels = cast(not_equal(y_true, 0.0), dtype)
    true_w, false_w = labels * weights, (1.0 - labels) * weights
    # A prediction p is above threshold i exactly when i <= ceil(p * (T - 1)) - 1.
    bucket = math.ceil(y_pred * float(t - 1)) - 1.0
    if with_epsilon:
        bucket = maximum(bucket, 0.0)
    bucket = cast(bucket, dtypes.int32) + 1  # bucket 0 holds "below every threshold"
    n_labels = y_pred.shape[-1] if multi else 1
    if multi:
        bucket = bucket + _range(n_labels) * (t + 1)
    ids = reshape(bucket, [-1])

    def above(values):
        per_bucket = math.unsorted_segment_sum(reshape(values, [-1]), ids, n_labels * (t + 1))
        per_bucket = reshape(per_bucket, [n_labels, t + 1])[:, 1:]
        counts = cumsum(per_bucket, axis=1, reverse=True)
        return transpose(counts) if multi else reshape(counts, [t])

    axis = 0 if multi else None
    tp = above(true_w)
    fp = above(false_w)
    if TP in variables:
        variables[TP].assign_add(tp)
    if FP in variables:
        variables[FP].assign_add(fp)
    if TN in variables:
        variables[TN].assign_add(reduce_sum(false_w, axis=axis) - fp)
    if FN in variables:
        variables[FN].assign_add(reduce_sum(true_w, axis=axis) - tp)


def _broadcast_counts(variables, y_true, y_pred, weights, thresholds, multi):
    """Counts for any thresholds: ``y_pred > threshold`` by broadcasting, then ``reduce_sum``."""
    dtype = y_pred.dtype
    thr = constant(np.asarray(thresholds, dtype=dtype.as_numpy_dtype))
    if multi:  # [T, N, L], summed over the samples
        pred, label, w = y_pred, not_equal(y_true, 0.0), weights
        thr = reshape(thr, [-1, 1, 1])
    else:  # [T, N * L]
        pred, label = reshape(y_pred, [1, -1]), reshape(not_equal(y_true, 0.0), [1, -1])
        w = weights if weights.shape.ndims == 0 else reshape(weights, [1, -1])
        thr = reshape(thr, [-1, 1])
    pos = greater(expand(pred, 0) if multi else pred, thr)
    label = expand(label, 0) if multi else label
    w = expand(w, 0) if multi and w.shape.ndims else w
    neg, unlabelled = logical_not(pos), logical_not(label)

    def count(a, b):
        return reduce_sum(cast(logical_and(a, b), dtype) * w, axis=1)

    for key, (a, b) in {TP: (label, pos), FP: (unlabelled, pos), TN: (unlabelled, neg),
                        FN: (label, neg)}.items():  # fmt: skip
        if key in variables:
            variables[key].assign_add(count(a, b))


def update_confusion_matrix(
    variables,
    y_true,
    y_pred,
    thresholds,
    evenly=False,
    top_k=None,
    class_id=None,
    sample_weight=None,
    multi_label=False,
    label_weights=None,
):
    """Add one batch's true/false positive/negative counts (per threshold) to ``variables``."""
    dtype = next(iter(variables.values())).dtype
    y_true = to_tensor(y_true, dtype)
    y_pred = to_tensor(y_pred, dtype)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = expand(to_tensor(sample_weight, dtype), -1)
        _, sample_weight = squeeze_or_expand_to_same_rank(
            y_true, sample_weight, expand_rank_1=False
        )
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.shape.ndims == 1:
            raise ValueError(
                "When class_id is provided, y_pred must be a 2D array with shape "
                f"(num_samples, num_classes), found shape: {y_pred.shape}"
            )
        y_true = y_true[..., class_id : class_id + 1]
        y_pred = y_pred[..., class_id : class_id + 1]
    weights = constant(1.0, dtype)
    if sample_weight is not None or label_weights is not None:
        weights = ones_as(y_pred)
        if sample_weight is not None:
            weights = weights * sample_weight
        if label_weights is not None:
            weights = weights * label_weights
    if evenly:
        with_epsilon = thresholds[0] < 0.0 or thresholds[-1] > 1.0
        _bucket_counts(
            variables, y_true, y_pred, weights, len(thresholds), with_epsilon, multi_label
        )
    else:
        _broadcast_counts(variables, y_true, y_pred, weights, thresholds, multi_label)


class _ConfusionCount(Metric):
    """One confusion-matrix count at each threshold."""

    _KEY = TP

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = _parse_thresholds(thresholds, 0.5)
        self._evenly = _evenly_spaced(self.thresholds)
        self.accumulator = self.add_variable(
            shape=(len(self.thresholds),), initializer="zeros", name="accumulator"
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        update_confusion_matrix(
            {self._KEY: self.accumulator}, y_true, y_pred, self.thresholds,
            evenly=self._evenly, sample_weight=sample_weight,
        )  # fmt: skip

    def result(self):
        value = self.accumulator.value()
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConfusionCount):
    """The (weighted) number of true positives at each threshold."""

    _KEY = TP


class FalsePositives(_ConfusionCount):
    """The (weighted) number of false positives at each threshold."""

    _KEY = FP


class TrueNegatives(_ConfusionCount):
    """The (weighted) number of true negatives at each threshold."""

    _KEY = TN


class FalseNegatives(_ConfusionCount):
    """The (weighted) number of false negatives at each threshold."""

    _KEY = FN


class _PrecisionRecall(Metric):
    _OTHER = FP

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else NEG_INF
        self.thresholds = _parse_thresholds(thresholds, default)
        self._evenly = _evenly_spaced(self.thresholds)
        n = len(self.thresholds)
        self.true_positives = self.add_variable(
            shape=(n,), initializer="zeros", name="true_positives"
        )
        other = "false_positives" if self._OTHER == FP else "false_negatives"
        self._other = self.add_variable(shape=(n,), initializer="zeros", name=other)
        setattr(self, other, self._other)

    def update_state(self, y_true, y_pred, sample_weight=None):
        update_confusion_matrix(
            {TP: self.true_positives, self._OTHER: self._other}, y_true, y_pred,
            self.thresholds, evenly=self._evenly, top_k=self.top_k, class_id=self.class_id,
            sample_weight=sample_weight,
        )  # fmt: skip

    def result(self):
        tp = self.true_positives.value()
        value = math.divide_no_nan(tp, tp + self._other.value())
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self):
        return {
            **super().get_config(),
            "thresholds": self.init_thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


class Precision(_PrecisionRecall):
    """``tp / (tp + fp)`` at each threshold (optionally of the top-k or of one class)."""

    _OTHER = FP


class Recall(_PrecisionRecall):
    """``tp / (tp + fn)`` at each threshold (optionally of the top-k or of one class)."""

    _OTHER = FN


def _rates(tp, fp, tn, fn):
    recall = math.divide_no_nan(tp, tp + fn)
    return {
        "recall": recall,
        "sensitivity": recall,
        "precision": math.divide_no_nan(tp, tp + fp),
        "specificity": math.divide_no_nan(tn, tn + fp),
    }


class _AtConstraint(Metric):
    """The best ``_TARGET`` rate among the thresholds where ``_GIVEN`` >= the value."""

    _GIVEN = _TARGET = ""

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        if value < 0 or value > 1:
            raise ValueError(
                f"Argument `{self._GIVEN}` must be in the range [0, 1]. "
                f"Received: {self._GIVEN}={value}"
            )
        if num_thresholds <= 0:
            raise ValueError(
                "Argument `num_thresholds` must be an integer > 0. "
                f"Received: num_thresholds={num_thresholds}"
            )
        super().__init__(name=name, dtype=dtype)
        setattr(self, self._GIVEN, value)
        self.value = value
        self.num_thresholds = num_thresholds
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds, self._evenly = [0.5], False
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds, self._evenly = [0.0, *inner, 1.0], True
        n = len(self.thresholds)
        for attr in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            setattr(self, attr, self.add_variable(shape=(n,), initializer="zeros", name=attr))

    def update_state(self, y_true, y_pred, sample_weight=None):
        update_confusion_matrix(
            {TP: self.true_positives, TN: self.true_negatives, FP: self.false_positives,
             FN: self.false_negatives}, y_true, y_pred, self.thresholds, evenly=self._evenly,
            class_id=self.class_id, sample_weight=sample_weight,
        )  # fmt: skip

    def result(self):
        rates = _rates(
            self.true_positives.value(), self.false_positives.value(),
            self.true_negatives.value(), self.false_negatives.value(),
        )  # fmt: skip
        feasible = greater_equal(rates[self._GIVEN], self.value)
        target = rates[self._TARGET]
        return maximum(reduce_max(where(feasible, target, 0.0)), 0.0)

    def get_config(self):
        return {
            **super().get_config(),
            "class_id": self.class_id,
            "num_thresholds": self.num_thresholds,
            self._GIVEN: self.value,
        }


class SensitivityAtSpecificity(_AtConstraint):
    """The best sensitivity (recall) where specificity >= ``specificity``."""

    _GIVEN, _TARGET = "specificity", "sensitivity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)


class SpecificityAtSensitivity(_AtConstraint):
    """The best specificity where sensitivity (recall) >= ``sensitivity``."""

    _GIVEN, _TARGET = "sensitivity", "specificity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)


class PrecisionAtRecall(_AtConstraint):
    """The best precision where recall >= ``recall``."""

    _GIVEN, _TARGET = "recall", "precision"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)


class RecallAtPrecision(_AtConstraint):
    """The best recall where precision >= ``precision``."""

    _GIVEN, _TARGET = "precision", "recall"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)


_CURVES = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
_SUMMATIONS = {"interpolation", "majoring", "minoring"}


class AUC(Metric):
    """Area under the ROC or PR curve, a Riemann sum over ``num_thresholds`` thresholds."""

    def __init__(
        self,
        num_thresholds=200,
        curve="ROC",
        summation_method="interpolation",
        name=None,
        dtype=None,
        thresholds=None,
        multi_label=False,
        num_labels=None,
        label_weights=None,
        from_logits=False,
    ):
        if not isinstance(curve, str) or curve not in ("ROC", "roc", "PR", "pr", "PRGAIN",
                                                       "prgain"):  # fmt: skip
            raise ValueError(
                f'Invalid AUC curve value: "{curve}". Expected values are ["PR", "ROC", "PRGAIN"]'
            )
        if not isinstance(summation_method, str) or summation_method.lower() not in _SUMMATIONS:
            raise ValueError(
                f'Invalid AUC summation method value: "{summation_method}". '
                'Expected values are ["interpolation", "majoring", "minoring"]'
            )
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            thresholds = sorted(float(t) for t in thresholds)
            self.num_thresholds = len(thresholds) + 2
            self._evenly = _evenly_spaced([0.0, *thresholds, 1.0])
        else:
            if num_thresholds <= 1:
                raise ValueError(
                    "Argument `num_thresholds` must be an integer > 1. "
                    f"Received: num_thresholds={num_thresholds}"
                )
            self.num_thresholds = num_thresholds
            n = num_thresholds
            thresholds = [(i + 1) * 1.0 / (n - 1) for i in range(n - 2)]
            self._evenly = True
        self._thresholds = [0.0 - EPSILON, *thresholds, 1.0 + EPSILON]
        self.curve = _CURVES[curve.lower()]
        self.summation_method = summation_method.lower()
        super().__init__(name=name, dtype=dtype)
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else [float(w) for w in label_weights]
        self._from_logits = from_logits
        self._built = False
        if multi_label:
            if num_labels:
                self._build([None, num_labels])
        else:
            if num_labels:
                raise ValueError("`num_labels` is needed only when `multi_label` is True.")
            self._build(None)

    @property
    def thresholds(self):
        """The thresholds, the two outer ones (just below 0, just above 1) included."""
        return list(self._thresholds)

    def _build(self, shape):
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(
                    "`y_pred` must have rank 2 when `multi_label=True`. "
                    f"Found rank {len(shape)}. Full shape received for `y_pred`: {shape}"
                )
            self._num_labels = shape[1]
            var_shape = [self.num_thresholds, self._num_labels]
        else:
            var_shape = [self.num_thresholds]
        for attr in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            setattr(self, attr, self.add_variable(shape=var_shape, initializer="zeros", name=attr))
        self._built = True

    def _label_weights(self):
        return constant(np.asarray(self.label_weights, dtype=self._dtype.as_numpy_dtype))

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = to_tensor(y_pred, self._dtype)
        if not self._built:
            self._build(y_pred.shape.as_list())
        if self._from_logits:
            y_pred = sigmoid(y_pred)
        label_weights = None
        if self.label_weights is not None and not self.multi_label:
            label_weights = self._label_weights()
        update_confusion_matrix(
            {TP: self.true_positives, TN: self.true_negatives, FP: self.false_positives,
             FN: self.false_negatives}, y_true, y_pred, self._thresholds, evenly=self._evenly,
            sample_weight=sample_weight, multi_label=self.multi_label,
            label_weights=label_weights,
        )  # fmt: skip

    def _by_label(self, per_threshold):
        if not self.multi_label:
            return reduce_sum(per_threshold)
        by_label = reduce_sum(per_threshold, axis=0)
        if self.label_weights is None:
            return reduce_mean(by_label)
        w = self._label_weights()
        return math.divide_no_nan(reduce_sum(by_label * w), reduce_sum(w))

    def _interpolate_pr(self, tp, fp, fn):
        # Davis & Goadrich (2006): precision interpolated along the recall axis.
        n = self.num_thresholds
        dtp = tp[: n - 1] - tp[1:]
        p = tp + fp
        dp = p[: n - 1] - p[1:]
        slope = math.divide_no_nan(dtp, maximum(dp, 0.0))
        intercept = tp[1:] - slope * p[1:]
        both = logical_and(greater(p[: n - 1], 0.0), greater(p[1:], 0.0))
        ratio = where(both, math.divide_no_nan(p[: n - 1], maximum(p[1:], 0.0)), 1.0)
        increment = math.divide_no_nan(
            slope * (dtp + intercept * _log(ratio)), maximum(tp[1:] + fn[1:], 0.0)
        )
        return self._by_label(increment)

    def result(self):
        tp, fp = self.true_positives.value(), self.false_positives.value()
        tn, fn = self.true_negatives.value(), self.false_negatives.value()
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr(tp, fp, fn)
        recall = math.divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = math.divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, math.divide_no_nan(tp, tp + fp)
        else:  # PRGAIN
            scale = math.divide_no_nan(tp + fn, tn + fp)
            no_tp = tp <= 0.0
            x = where(no_tp, 0.0, 1.0 - scale * math.divide_no_nan(fn, tp))
            y = where(no_tp, 1.0, 1.0 - scale * math.divide_no_nan(fp, tp))
            x = maximum(x, 0.0)
        n = self.num_thresholds
        if self.summation_method == "interpolation":
            heights = (y[: n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = minimum(y[: n - 1], y[1:])
        else:
            heights = maximum(y[: n - 1], y[1:])
        return self._by_label((x[: n - 1] - x[1:]) * heights)

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        config = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": self.label_weights,
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config
