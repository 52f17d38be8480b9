"""Keras 3's CTC loss: ``CTC`` / ``ctc`` on ``keras.ops.ctc_loss``."""

from __future__ import annotations

import tensorhouse_ops as tops

from .. import keras_ops
from .._tensor_utils import float_tensor, to_tensor
from ._loss import Loss, LossFunctionWrapper

__all__ = ["CTC", "ctc"]


def ctc(y_true, y_pred):
    """The CTC loss of each row of integer labels ``y_true`` ``(batch, max_length)`` (0 is the
    blank, and pads a shorter row) against the logits ``y_pred`` ``(batch, time, classes)``,
    every row of ``y_pred`` read to its last step."""
    y_true, y_pred = to_tensor(y_true), float_tensor(y_pred)
    if y_true.shape.rank != 2:
        raise ValueError(
            "Targets `y_true` are expected to be a tensor of shape `(batch_size, max_length)` "
            f"in integer format. Received: y_true.shape={tuple(y_true.shape.as_list())}"
        )
    if y_pred.shape.rank != 3:
        raise ValueError(
            "Logits `y_pred` are expected to be a tensor of shape "
            f"`(batch_size, max_length, num_classes)`. Received: "
            f"y_pred.shape={tuple(y_pred.shape.as_list())}"
        )
    dims = tops.shape(y_pred)
    steps = tops.fill(dims[:1], tops.cast(dims[1], "int32"))
    labels = tops.cast(y_true, "int32")
    lengths = tops.reduce_sum(tops.cast(tops.not_equal(labels, 0), "int32"), axis=-1)
    return keras_ops.ctc_loss(labels, y_pred, lengths, steps, mask_index=0)


class CTC(LossFunctionWrapper):
    """The CTC (connectionist temporal classification) loss of label rows against logits."""

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(ctc, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)
