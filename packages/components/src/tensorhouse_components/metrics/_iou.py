"""Intersection-over-union metrics on a running ``num_classes x num_classes`` confusion matrix."""

from __future__ import annotations

import warnings

from tensorhouse_ops import (
    argmax,
    cast,
    constant,
    dtypes,
    gather,
    greater,
    greater_equal,
    less,
    linalg,
    logical_and,
    math,
    not_equal,
    reduce_sum,
    reshape,
    where,
)

from .._tensor_utils import EPSILON, ones_as, to_tensor
from ._metric import Metric

__all__ = ["BinaryIoU", "IoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU"]


class _IoUBase(Metric):
    """Accumulates the confusion matrix (rows: labels, columns: predictions)."""

    def __init__(
        self,
        num_classes,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_true=True,
        sparse_y_pred=True,
        axis=-1,
    ):
        super().__init__(name=name, dtype=dtype or "int")
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable(
            shape=(num_classes, num_classes), initializer="zeros", name="total_confusion_matrix"
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        dtype = self._dtype
        if not self.sparse_y_true:
            y_true = argmax(to_tensor(y_true), axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = argmax(to_tensor(y_pred), axis=self.axis)
        y_true = reshape(to_tensor(y_true, dtype), [-1])
        y_pred = reshape(to_tensor(y_pred, dtype), [-1])
        if sample_weight is None:
            sample_weight = constant(1, dtype)
        else:
            sw = to_tensor(sample_weight)
            if sw.dtype.is_floating and dtype.is_integer:
                warnings.warn(
                    "You are passing weight as `float`, but dtype is `int`. This may result in "
                    "an incorrect weight due to type casting Consider using integer weights.",
                    stacklevel=2,
                )
            sample_weight = to_tensor(sw, dtype)
            if sample_weight.shape.ndims > 1:
                sample_weight = reshape(sample_weight, [-1])
        sample_weight = ones_as(y_true) * sample_weight
        n = constant(self.num_classes, dtype)
        zero = constant(0, dtype)
        valid = logical_and(
            logical_and(greater_equal(y_true, zero), less(y_true, n)),
            logical_and(greater_equal(y_pred, zero), less(y_pred, n)),
        )
        if self.ignore_class is not None:
            valid = logical_and(valid, not_equal(y_true, constant(self.ignore_class, dtype)))
        y_true = cast(where(valid, y_true, zero), dtypes.int32)
        y_pred = cast(where(valid, y_pred, zero), dtypes.int32)
        sample_weight = where(valid, sample_weight, zero)
        cells = y_true * self.num_classes + y_pred
        counts = math.unsorted_segment_sum(sample_weight, cells, self.num_classes**2)
        self.total_cm.assign_add(reshape(counts, [self.num_classes, self.num_classes]))


class IoU(_IoUBase):
    """``tp / (tp + fp + fn)`` of each class in ``target_class_ids``, averaged over the classes
    that occur."""

    def __init__(
        self,
        num_classes,
        target_class_ids,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_true=True,
        sparse_y_pred=True,
        axis=-1,
    ):
        super().__init__(
            name=name,
            num_classes=num_classes,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
            dtype=dtype,
        )
        if max(target_class_ids) >= num_classes:
            raise ValueError(
                f"Target class id {max(target_class_ids)} is out of range, which is "
                f"[0, {num_classes})."
            )
        self.target_class_ids = list(target_class_ids)

    def result(self):
        cm = cast(self.total_cm.value(), dtypes.float32)
        tp = linalg.diag_part(cm)
        denominator = reduce_sum(cm, axis=0) + reduce_sum(cm, axis=1) - tp
        ids = constant(self.target_class_ids, dtypes.int32)
        tp, denominator = gather(tp, ids), gather(denominator, ids)
        valid = greater(denominator, 1e-9)
        iou = where(valid, tp / (denominator + EPSILON), 0.0)
        return reduce_sum(iou, axis=self.axis) / (reduce_sum(cast(valid, tp.dtype)) + EPSILON)

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class BinaryIoU(IoU):
    """IoU of two classes, predictions thresholded at ``threshold`` (``>=``)."""

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = to_tensor(y_pred, dtypes.float32)
        y_pred = cast(greater_equal(y_pred, self.threshold), self._dtype)
        return super().update_state(to_tensor(y_true, self._dtype), y_pred, sample_weight)

    def get_config(self):
        return {
            "target_class_ids": self.target_class_ids,
            "threshold": self.threshold,
            "name": self.name,
            "dtype": self.dtype,
        }


class MeanIoU(IoU):
    """IoU averaged over all ``num_classes`` classes."""

    def __init__(
        self,
        num_classes,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_true=True,
        sparse_y_pred=True,
        axis=-1,
    ):
        super().__init__(
            name=name,
            num_classes=num_classes,
            target_class_ids=list(range(num_classes)),
            axis=axis,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
        )

    def get_config(self):
        return {
            "num_classes": self.num_classes,
            "name": self.name,
            "dtype": self.dtype,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class OneHotIoU(IoU):
    """``IoU`` for one-hot labels (and, by default, per-class scores as predictions)."""

    def __init__(
        self,
        num_classes,
        target_class_ids,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_pred=False,
        axis=-1,
    ):
        super().__init__(
            num_classes=num_classes,
            target_class_ids=target_class_ids,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self):
        return {
            "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids,
            "name": self.name,
            "dtype": self.dtype,
            "ignore_class": self.ignore_class,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class OneHotMeanIoU(MeanIoU):
    """``MeanIoU`` for one-hot labels (and, by default, per-class scores as predictions)."""

    def __init__(
        self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1
    ):
        super().__init__(
            num_classes=num_classes,
            axis=axis,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
        )

    def get_config(self):
        return {
            "num_classes": self.num_classes,
            "name": self.name,
            "dtype": self.dtype,
            "ignore_class": self.ignore_class,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }
