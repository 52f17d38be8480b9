"""Gradient rules of the indexing family: gather, gather_nd, scatter_nd,
tensor_scatter_nd_update, unsorted_segment_sum (its kernel is indexing.cpp's)."""

from __future__ import annotations

import math

from .. import _array as A
from .. import _dynamic as _dyn
from .. import _math as M
from .. import _tensor
from .._tensor import _op
from .base import (
    _axis_of,
    _shape,
    _with_shape,
    rule,
    zeros_like,
)


@rule("UnsortedSegmentSum")
def _segment_sum(x, y, attrs, dy):
    data, ids = x
    keep = M.greater_equal(ids, 0)
    g = A.gather(dy, M.maximum(ids, 0))  # ids.shape + dy.shape[1:] == data.shape
    mask = A.reshape(M.cast(keep, dy.dtype), ids.shape.as_list() + [1] * (data.ndim - ids.ndim))
    return [M.multiply(g, mask), None]


@rule("TensorScatterUpdate")
def _tensor_scatter_update(x, y, attrs, dy):
    """The replaced slices pass no gradient to ``tensor``; each update gets its slot's gradient
    if it is the one written there (with duplicate indices the last one; TF's rule hands the
    slot's gradient to every duplicate, which finite differences do not bear out)."""
    tensor, indices, updates = x
    d_tensor = _op("TensorScatterUpdate", [dy, indices, zeros_like(updates)])
    d_updates = _op("GatherNd", [dy, indices])
    batch = indices.shape.as_list()[:-1]
    if None in batch or None in tensor.shape.as_list()[: indices.shape.as_list()[-1]]:
        return [d_tensor, None, _last_writer_only(tensor, indices, updates, d_updates)]
    count = math.prod(batch)
    if count > 1:  # duplicates are possible
        k = indices.shape.as_list()[-1]
        lead = tensor.shape.as_list()[:k]
        order = A.reshape(A.range(count), batch)
        writer = _op("TensorScatterUpdate", [A.fill(lead, -1, dtype=order.dtype), indices, order])
        won = M.equal(_op("GatherNd", [writer, indices]), order)
        won = A.reshape(won, batch + [1] * (updates.shape.rank - len(batch)))
        d_updates = _op("SelectV2", [won, d_updates, zeros_like(d_updates)])
    return [d_tensor, None, d_updates]


def _last_writer_only(tensor, indices, updates, d_updates):
    """``d_updates`` kept where its update is the one written last (sizes known at run time):
    each update's number, scattered, is read back at its index."""
    first = A.gather(indices, 0, axis=-1)  # the batch shape
    order = M.subtract(M.cumsum(A.reshape(A.ones_like(first, dtype="int64"), [-1]), 0), 1)
    order = A.reshape(order, _shape(first))
    k = indices.shape.as_list()[-1]
    writer = _op("TensorScatterUpdate", [A.fill(_shape(tensor)[:k], -1, dtype=order.dtype),
                                         indices, order])  # fmt: skip
    won = M.equal(_op("GatherNd", [writer, indices]), order)
    won = A.reshape(won, _shape(first) + [1] * (updates.shape.rank - first.shape.rank))
    return _op("SelectV2", [won, d_updates, zeros_like(d_updates)])


@rule("GatherV2")
def _gather(x, y, attrs, dy):
    """A dense UnsortedSegmentSum of the gathered slices back into params' shape."""
    params, indices = x
    shape = params.shape.as_list()
    axis = _axis_of(attrs, len(shape))
    if None in shape or None in indices.shape.as_list():
        return [_gather_run_time(params, indices, axis, dy), None]
    outer, inner, m = 1, 1, 1
    for d in shape[:axis]:
        outer *= d
    for d in shape[axis + 1 :]:
        inner *= d
    for d in indices.shape.as_list():
        m *= d
    ids = A.reshape(indices, [m])
    g = A.reshape(dy, [outer, m, inner])
    if outer == 1:
        s = M.unsorted_segment_sum(A.reshape(g, [m, inner]), ids, shape[axis])
    else:
        s = M.unsorted_segment_sum(A.transpose(g, [1, 0, 2]), ids, shape[axis])
        s = A.transpose(s, [1, 0, 2])
    return [A.reshape(s, shape), None]


def _gather_run_time(params, indices, axis, dy):
    """GatherV2's gradient with sizes known at run time: the gathered slices (indices' dims
    moved first) scattered, summing, into params' shape."""
    k, rank = indices.shape.rank, params.shape.rank
    if axis:  # dy is params[:axis] + indices + params[axis + 1:]: indices' dims first
        perm = [*range(axis, axis + k), *range(axis), *range(axis + k, k + rank - 1)]
        dy = A.transpose(dy, perm)
    dims = _shape(params)
    rest = dims[:axis] + dims[axis + 1 :]
    rows = A.reshape(dy, [-1, *rest])
    ids = A.reshape(indices, [-1, 1])
    s = _dyn.shaped_op("ScatterNd", [ids, rows], {}, [dims[axis], *rest])
    if axis:
        s = A.transpose(s, [*range(1, axis + 1), 0, *range(axis + 1, rank)])
    return s


@rule("GatherNd")
def _gather_nd(x, y, attrs, dy):
    params, indices = x
    if _tensor._tracing:
        return [_with_shape("ScatterNd", [indices, dy], {}, params), None]
    return [_op("ScatterNd", [indices, dy], {"shape": tuple(params.shape.as_list())}), None]


@rule("ScatterNd")
def _scatter_nd(x, y, attrs, dy):
    return [None, _op("GatherNd", [dy, x[0]])]
