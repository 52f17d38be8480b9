"""Gradient rules of the reduce family: reductions, cumulative sums and products, top_k."""

from __future__ import annotations

from .. import _array as A
from .. import _dynamic as _dyn
from .. import _math as M
from .base import (
    _shape,
    rule,
)


def _reduced_shape(shape, axes):
    return [1 if i in axes else d for i, d in enumerate(shape)]


def _axes(attrs, rank):
    axis = attrs.get("axis")
    return set(range(rank)) if axis is None else {a % rank for a in axis}


@rule("Sum")
def _sum(x, y, attrs, dy):
    shape = _shape(x[0])
    g = A.reshape(dy, _reduced_shape(shape, _axes(attrs, len(shape))))
    return [A.broadcast_to(g, shape)]


@rule("Mean")
def _mean(x, y, attrs, dy):
    shape = _shape(x[0])
    axes = _axes(attrs, len(shape))
    count = 1
    for a in axes:
        if type(shape[a]) is not int:  # an unknown dim: size(x) / size(mean), at run time
            sizes = [M.cast(A.size(t), dy.dtype) for t in (x[0], y[0])]
            count = M.maximum(M.divide(sizes[0], M.maximum(sizes[1], 1)), 1)
            break
        count *= shape[a]
    g = A.reshape(dy, _reduced_shape(shape, axes))
    if not isinstance(count, int):
        return [A.broadcast_to(M.divide(g, count), shape)]
    return [A.broadcast_to(M.divide(g, max(count, 1)), shape)]


@rule("Max", "Min")
def _max_min(x, y, attrs, dy):  # split the gradient between ties, as TF does
    shape = _shape(x[0])
    kept = _reduced_shape(shape, _axes(attrs, len(shape)))
    hit = M.cast(M.equal(x[0], A.reshape(y[0], kept)), dy.dtype)
    count = M.reduce_sum(hit, axis=sorted(_axes(attrs, len(shape))), keepdims=True)
    return [M.divide(M.multiply(hit, A.reshape(dy, kept)), count)]


@rule("Prod")
def _prod(x, y, attrs, dy):
    """d prod / d x_i = product of the others, computed without dividing by zero."""
    shape = _shape(x[0])
    axes = sorted(_axes(attrs, len(shape)))
    kept = _reduced_shape(shape, set(axes))
    is_zero = M.cast(M.equal(x[0], 0), x[0].dtype)
    x_safe = M.add(x[0], is_zero)  # zeros replaced by ones
    nonzero_prod = M.reduce_prod(x_safe, axis=axes, keepdims=True)
    zeros = M.reduce_sum(is_zero, axis=axes, keepdims=True)
    no_zero = M.cast(M.equal(zeros, 0), x[0].dtype)
    one_zero = M.cast(M.equal(zeros, 1), x[0].dtype)
    others = M.add(
        M.multiply(M.subtract(1, is_zero), M.multiply(M.divide(nonzero_prod, x_safe), no_zero)),
        M.multiply(is_zero, M.multiply(nonzero_prod, one_zero)),
    )
    return [M.multiply(others, A.reshape(dy, kept))]


@rule("Cumsum")
def _cumsum(x, y, attrs, dy):
    return [
        M.cumsum(
            dy,
            axis=attrs.get("axis", 0),
            exclusive=attrs.get("exclusive", False),
            reverse=not attrs.get("reverse", False),
        )
    ]


@rule("Cumprod")
def _cumprod(x, y, attrs, dy):  # as TF: needs x != 0
    axis, exclusive = attrs.get("axis", 0), attrs.get("exclusive", False)
    reverse = attrs.get("reverse", False)
    prod = M.cumprod(x[0], axis=axis, exclusive=exclusive, reverse=reverse)
    out = M.cumsum(M.multiply(prod, dy), axis=axis, exclusive=exclusive, reverse=not reverse)
    return [M.divide(out, x[0])]


@rule("TopKV2")
def _top_k(x, y, attrs, dy):
    """The values' gradient goes back to the positions they came from."""
    dvalues = dy[0]
    if dvalues is None:
        return [None]
    shape = x[0].shape.as_list()
    n, k = shape[-1], int(attrs["k"])
    if None in shape:  # sizes known at run time: a scatter into the flat input
        idx = M.cast(A.reshape(y[1], [-1, k]), "int64")
        first = A.gather(idx, 0, axis=1)
        row = M.subtract(M.cumsum(A.ones_like(first), 0), 1)  # each row's number
        width = M.cast(A.shape(x[0])[-1], "int64")
        flat = A.reshape(M.add(idx, A.expand_dims(M.multiply(row, width), 1)), [-1, 1])
        size = A.reshape(A.size(x[0], out_type="int64"), [1])
        g = _dyn.shaped_op("ScatterNd", [flat, A.reshape(dvalues, [-1])], {}, size)
        return [A.reshape(g, _shape(x[0]))]
    rows = 1
    for d in shape[:-1]:
        rows *= d
    idx = M.cast(A.reshape(y[1], [rows, k]), "int64")
    base = A.reshape(M.multiply(A.range(rows, dtype="int64"), n), [rows, 1])
    flat = A.reshape(M.add(idx, base), [rows * k])
    g = M.unsorted_segment_sum(A.reshape(dvalues, [rows * k]), flat, rows * n)
    return [A.reshape(g, shape)]
