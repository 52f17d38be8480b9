"""Gradient rules of the indexing family: gather, gather_nd, scatter_nd,
tensor_scatter_nd_update."""

from __future__ import annotations

import math

from .. import _array as A
from .. import _math as M
from .._tensor import _op
from .base import (
    _axis_of,
    rule,
    zeros_like,
)


@rule("TensorScatterUpdate")
def _tensor_scatter_update(x, y, attrs, dy):
    """The replaced slices pass no gradient to ``tensor``; each update gets its slot's gradient
    if it is the one written there (with duplicate indices the last one; TF's rule hands the
    slot's gradient to every duplicate, which finite differences do not bear out)."""
    tensor, indices, updates = x
    d_tensor = _op("TensorScatterUpdate", [dy, indices, zeros_like(updates)])
    d_updates = _op("GatherNd", [dy, indices])
    batch = indices.shape.as_list()[:-1]
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


@rule("GatherV2")
def _gather(x, y, attrs, dy):
    """A dense UnsortedSegmentSum of the gathered slices back into params' shape."""
    params, indices = x
    shape = params.shape.as_list()
    axis = _axis_of(attrs, len(shape))
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


@rule("GatherNd")
def _gather_nd(x, y, attrs, dy):
    params, indices = x
    shape = tuple(params.shape.as_list())
    return [_op("ScatterNd", [indices, dy], {"shape": shape}), None]


@rule("ScatterNd")
def _scatter_nd(x, y, attrs, dy):
    return [None, _op("GatherNd", [dy, x[0]])]
