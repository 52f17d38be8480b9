"""Gradient rules of the segment family: segment reductions (sorted and unsorted)."""

from __future__ import annotations

from .. import _array as A
from .. import _math as M
from .. import _tensor
from .._tensor import _op
from .base import (
    _shape,
    ones_like,
    rule,
    zeros_like,
)


def _gather_drop_negatives(params, ids):
    """``params`` gathered at ``max(ids, 0)``, and where ``ids >= 0`` (shaped to broadcast)."""
    clipped = M.maximum(ids, 0)
    gathered = A.gather(params, clipped)
    keep = M.greater_equal(ids, 0)
    extra = len(gathered.shape.as_list()) - len(ids.shape.as_list())
    keep = A.reshape(keep, _shape(ids) + [1] * extra) if extra else keep
    return gathered, clipped, keep


@rule("UnsortedSegmentMax", "UnsortedSegmentMin")
def _unsorted_segment_min_max(x, y, attrs, dy):
    """TF's rule: the gradient goes to the rows equal to their segment's result, split evenly
    between ties."""
    data, ids = x
    out, _, keep = _gather_drop_negatives(y[0], ids)
    selected = M.logical_and(M.equal(data, out), keep)
    count = M.unsorted_segment_sum(M.cast(selected, dy.dtype), ids, attrs["num_segments"])
    g, _, _ = _gather_drop_negatives(M.divide(dy, count), ids)
    return [A.where(selected, g, zeros_like(g)), None]


@rule("UnsortedSegmentProd")
def _unsorted_segment_prod(x, y, attrs, dy):
    """TF's rule: ``prod / x``, or the product of the other rows where ``x`` is 0 (no gradient
    through a segment with several zeros)."""
    data, ids = x
    n = attrs["num_segments"]
    is_zero = M.equal(data, 0)
    zeros = M.unsorted_segment_sum(M.cast(is_zero, _tensor._dt.int32), ids, n)
    dy = A.where(M.greater(zeros, 1), zeros_like(dy), dy)
    nonzero = A.where(is_zero, ones_like(data), data)
    nonzero_prod = _op("UnsortedSegmentProd", [nonzero, ids], {"num_segments": n})
    prod, clipped, keep = _gather_drop_negatives(y[0], ids)
    other = A.gather(nonzero_prod, clipped)
    partial = A.where(is_zero, other, M.divide(prod, data))
    g, _, _ = _gather_drop_negatives(dy, ids)
    return [A.where(keep, M.multiply(g, partial), zeros_like(data)), None]


@rule("SegmentSum")
def _sorted_segment_sum(x, y, attrs, dy):
    return [A.gather(dy, x[1]), None]


@rule("SegmentMean")
def _sorted_segment_mean(x, y, attrs, dy):
    data, ids = x
    ones = A.ones_like(ids, dtype=dy.dtype)
    count = _op("SegmentSum", [ones, ids])
    count = A.reshape(count, [-1] + [1] * (len(data.shape.as_list()) - 1))
    return [A.gather(M.divide(dy, count), ids), None]


@rule("SegmentMax", "SegmentMin")
def _sorted_segment_min_max(x, y, attrs, dy):
    data, ids = x
    selected = M.equal(data, A.gather(y[0], ids))
    count = _op("SegmentSum", [M.cast(selected, dy.dtype), ids])
    g = A.gather(M.divide(dy, count), ids)
    return [A.where(selected, g, zeros_like(g)), None]


@rule("SegmentProd")
def _sorted_segment_prod(x, y, attrs, dy):
    data, ids = x
    is_zero = M.equal(data, 0)
    zeros = _op("SegmentSum", [M.cast(is_zero, _tensor._dt.int32), ids])
    dy = A.where(M.greater(zeros, 1), zeros_like(dy), dy)
    nonzero_prod = _op("SegmentProd", [A.where(is_zero, ones_like(data), data), ids])
    partial = A.where(is_zero, A.gather(nonzero_prod, ids), M.divide(A.gather(y[0], ids), data))
    return [M.multiply(A.gather(dy, ids), partial), None]
