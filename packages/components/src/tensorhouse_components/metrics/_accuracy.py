"""Accuracy metrics: exact match, binary, categorical, sparse categorical and top-k."""

from __future__ import annotations

from tensorhouse_ops import (
    argmax,
    cast,
    dtypes,
    equal,
    greater,
    logical_and,
    math,
    reduce_any,
    reduce_sum,
    reshape,
    where,
)
from tensorhouse_ops import (
    range as _range,
)

from .._tensor_utils import expand, squeeze, squeeze_or_expand_to_same_rank, to_tensor
from ._reduction import MeanMetricWrapper

__all__ = [
    "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy", "TopKCategoricalAccuracy", "accuracy", "binary_accuracy",
    "categorical_accuracy", "in_top_k", "sparse_categorical_accuracy",
    "sparse_top_k_categorical_accuracy", "top_k_categorical_accuracy",
]  # fmt: skip

_F32 = dtypes.float32


def accuracy(y_true, y_pred):
    """1.0 where ``y_true == y_pred``, else 0.0 (element-wise)."""
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return cast(equal(y_true, y_pred), _F32)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where ``(y_pred > threshold)`` equals the binary label (element-wise)."""
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    predicted = cast(greater(y_pred, cast(threshold, y_pred.dtype)), y_true.dtype)
    return cast(equal(y_true, predicted), _F32)


def categorical_accuracy(y_true, y_pred):
    """1.0 where the argmax of the prediction is the argmax of the one-hot label."""
    y_pred = to_tensor(y_pred)
    labels = argmax(to_tensor(y_true), axis=-1)
    return cast(equal(labels, argmax(y_pred, axis=-1)), _F32)


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the argmax of the prediction equals the integer label."""
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true, y_pred.dtype)
    if y_true.shape.ndims == y_pred.shape.ndims and y_true.shape[-1] == 1:
        y_true = squeeze(y_true)
    predicted = cast(argmax(y_pred, axis=-1), y_true.dtype)
    return cast(equal(y_true, predicted), _F32)


def in_top_k(targets, predictions, k):
    """TF's ``in_top_k``: whether ``predictions[i, targets[i]]`` ranks among the top ``k``.

    Ties at the boundary count as inside (fewer than ``k`` scores are strictly larger).
    """
    num_classes = predictions.shape[-1]
    targets = cast(targets, dtypes.int32)
    hit = equal(expand(targets, -1), _range(num_classes))
    target_score = reduce_sum(where(hit, predictions, 0.0), axis=-1)
    larger = cast(greater(predictions, expand(target_score, -1)), dtypes.int32)
    valid = logical_and(reduce_any(hit, axis=-1), math.is_finite(target_score))
    return logical_and(valid, reduce_sum(larger, axis=-1) < k)


def _flat_top_k(y_true, y_pred, match):
    true_shape = y_true.shape
    if y_pred.shape.ndims > 2:
        y_pred = reshape(y_pred, [-1, y_pred.shape[-1]])
    flat = reshape(y_true, [-1]) if true_shape.ndims > 1 else y_true
    matches = cast(match(flat, y_pred), _F32)
    if true_shape.ndims > 1:
        dims = true_shape.as_list()
        matches = reshape(matches, [-1 if d is None else d for d in dims])
    return matches


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the one-hot label's class is among the ``k`` highest predictions."""
    y_pred = to_tensor(y_pred)
    y_true = argmax(to_tensor(y_true, y_pred.dtype), axis=-1)
    return _flat_top_k(y_true, y_pred, lambda t, p: in_top_k(t, p, k))


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1.0 where the integer label is among the ``k`` highest predictions (or, with
    ``from_sorted_ids``, among the first ``k`` ids of ``y_pred``)."""
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true, y_pred.dtype if from_sorted_ids else dtypes.int32)

    def match(t, p):
        if from_sorted_ids:
            return reduce_any(equal(expand(t, 1), p[:, :k]), axis=1)
        return in_top_k(t, p, k)

    return _flat_top_k(y_true, y_pred, match)


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(fn=accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches the binary label."""

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(fn=binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of the prediction matches the one-hot label."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(fn=categorical_accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of the prediction equals the integer label."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(fn=sparse_categorical_accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label's class is among the top ``k`` predictions."""

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(fn=top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the top ``k`` predictions."""

    def __init__(
        self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids=False
    ):
        super().__init__(
            fn=sparse_top_k_categorical_accuracy,
            name=name,
            dtype=dtype,
            k=k,
            from_sorted_ids=from_sorted_ids,
        )
        self.k = k
        self.from_sorted_ids = from_sorted_ids

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config
