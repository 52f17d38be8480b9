"""Metric-learning losses on L2-normalised embeddings: Circle."""

from __future__ import annotations

from tensorhouse_ops import (
    cast,
    equal,
    greater,
    logical_and,
    logical_not,
    matmul,
    maximum,
    nn,
    reduce_logsumexp,
    reshape,
    size,
    transpose,
    where,
)
from tensorhouse_ops import (
    range as index_range,
)

from .._masks import set_keras_mask
from .._tensor_utils import to_tensor
from ._loss import Loss, LossFunctionWrapper

__all__ = ["Circle", "circle"]


def _pair_masks(labels, ref_labels, remove_diagonal):
    """Boolean ``(n, m)`` masks of same-label (positive) and other-label (negative) pairs."""
    if len(labels.shape) == 1:
        labels = reshape(labels, (-1, 1))
    if len(ref_labels.shape) == 1:
        ref_labels = reshape(ref_labels, (-1, 1))
    positive = equal(labels, transpose(ref_labels))
    negative = logical_not(positive)
    if remove_diagonal:
        # the diagonal by comparing row and column indices (also for unknown sizes)
        diagonal = equal(reshape(index_range(size(labels)), (-1, 1)), index_range(size(ref_labels)))
        positive = logical_and(positive, logical_not(diagonal))
    return positive, negative


def circle(
    y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80, margin=0.4
):
    """Circle loss of each embedding in ``y_pred`` (integer labels ``y_true``) against the
    reference embeddings (``y_pred`` itself by default), on cosine distances ``d``:
    ``softplus(logsumexp(-gamma a_p (margin - d)) + logsumexp(gamma a_n (1 - margin - d)))``
    over the positive / negative pairs, with ``a_p = relu(margin + d)`` and
    ``a_n = relu(1 + margin - d)``. A row without positives gives 0, and the output is masked
    where it is 0 (so the mean reductions average over the rows that have positives)."""
    y_pred = to_tensor(y_pred)
    y_true = cast(y_true, "int32")
    ref_embeddings = y_pred if ref_embeddings is None else to_tensor(ref_embeddings)
    ref_labels = y_true if ref_labels is None else cast(ref_labels, "int32")
    distances = maximum(1.0 - matmul(y_pred, transpose(ref_embeddings)), 0.0)
    positive, negative = _pair_masks(y_true, ref_labels, remove_diagonal)
    pos_weights = maximum((margin + distances) * cast(positive, distances.dtype), 0.0)
    neg_weights = maximum((1.0 + margin - distances) * cast(negative, distances.dtype), 0.0)
    pos_logits = -gamma * pos_weights * (margin - distances)
    neg_logits = gamma * neg_weights * (1.0 - margin - distances)
    minus_inf = to_tensor(float("-inf"), distances.dtype)
    p_loss = reduce_logsumexp(where(positive, pos_logits, minus_inf), axis=1)
    n_loss = reduce_logsumexp(where(negative, neg_logits, minus_inf), axis=1)
    loss = nn.softplus(p_loss + n_loss)
    set_keras_mask(loss, greater(loss, 0.0))
    return loss


class Circle(LossFunctionWrapper):
    """The Circle loss between integer labels and L2-normalised embeddings (``circle``)."""

    def __init__(
        self,
        gamma=80.0,
        margin=0.4,
        remove_diagonal=True,
        reduction="sum_over_batch_size",
        name="circle",
        dtype=None,
    ):
        super().__init__(
            circle, name=name, reduction=reduction, dtype=dtype, gamma=gamma, margin=margin,
            remove_diagonal=remove_diagonal,
        )  # fmt: skip
        self.gamma, self.margin, self.remove_diagonal = gamma, margin, remove_diagonal

    def get_config(self):
        config = Loss.get_config(self)
        return {**config, "gamma": self.gamma, "margin": self.margin,
                "remove_diagonal": self.remove_diagonal}  # fmt: skip
