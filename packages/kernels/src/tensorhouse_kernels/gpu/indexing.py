"""CUDA index-driven kernels: gathers, scatters, UnsortedSegmentSum, OneHot, Where."""

from __future__ import annotations

import numpy as np

from ..runtime import errors
from ._cuda import (
    _SELECT_THREADS,
    MAX_DIMS,
    Dims,
    _as_bits,
    _bits,
    _copy_from_view,
    _fill,
    _launch,
    _num,
    _static_cast,
    c_strides,
    ptr,
)
from .reduce import (
    _split_axis,
)


def _gather(dev, inputs, outputs, attrs):
    params, idx = inputs
    out = outputs[0]
    axis = int(attrs.get("axis", 0)) % params.ndim
    outer, limit, inner = _split_axis(params.shape, axis)
    name = f"gather_{_bits(params.dtype)}_{_num(idx.dtype, 'GatherV2')}"
    _launch(dev, "indexing", name, [
        ptr(params), ptr(idx), ptr(out), np.int64(outer), np.int64(limit),
        np.int64(idx.size), np.int64(inner),
    ], n=out.size)  # fmt: skip


def _nd_layout(indices, target_shape):
    k = indices.shape[-1] if indices.ndim else 0
    count = indices.size // k if k else int(np.prod(indices.shape[:-1], dtype=np.int64))
    slice_size = int(np.prod(target_shape[k:], dtype=np.int64))
    return k, count, list(target_shape[:k]), slice_size


def _gather_nd(dev, inputs, outputs, attrs):
    params, idx = inputs
    out = outputs[0]
    k, count, dims, slice_size = _nd_layout(idx, params.shape)
    name = f"gather_nd_{_bits(params.dtype)}_{_num(idx.dtype, 'GatherNd')}"
    _launch(dev, "indexing", name, [
        ptr(params), ptr(idx), ptr(out), np.int64(count), np.int32(k), Dims(dims),
        np.int64(slice_size),
    ], n=out.size)  # fmt: skip


def _scatter_nd(dev, inputs, outputs, attrs):
    idx, updates = inputs
    out = outputs[0]
    _fill(dev, out, 0)
    k, count, dims, slice_size = _nd_layout(idx, out.shape)
    name = f"scatter_nd_{_num(out.dtype, 'ScatterNd')}_{_num(idx.dtype, 'ScatterNd')}"
    _launch(dev, "indexing", name, [
        ptr(idx), ptr(updates), ptr(out), np.int64(count), np.int32(k), Dims(dims),
        np.int64(slice_size),
    ], n=count * slice_size)  # fmt: skip


def _tensor_scatter_update(dev, inputs, outputs, attrs):
    x, idx, updates = inputs
    out = outputs[0]
    if out.size == 0:
        return
    _copy_from_view(dev, x, x.shape, 0, c_strides(x.shape), out)
    k, count, dims, slice_size = _nd_layout(idx, x.shape)
    if count == 0 or slice_size == 0:
        return
    name = f"scatter_set_{_bits(out.dtype)}_{_num(idx.dtype, 'TensorScatterUpdate')}"
    _launch(dev, "indexing", name, [
        ptr(idx), ptr(updates), ptr(out), np.int64(count), np.int32(k), Dims(dims),
        np.int64(slice_size),
    ], n=slice_size)  # fmt: skip


def _segment_sum(dev, inputs, outputs, attrs):
    data, ids = inputs
    out = outputs[0]
    _fill(dev, out, 0)
    m = ids.size
    inner = data.size // m if m else 0
    op = "UnsortedSegmentSum"
    _launch(dev, "indexing", f"segment_sum_{_num(out.dtype, op)}_{_num(ids.dtype, op)}", [
        ptr(data), ptr(ids), ptr(out), np.int64(m), np.int64(inner), np.int64(out.shape[0]),
    ], n=m * inner)  # fmt: skip


def _one_hot(dev, inputs, outputs, attrs):
    x, out = inputs[0], outputs[0]
    axis = int(attrs.get("axis", -1))
    axis = x.ndim if axis == -1 else axis
    depth = int(attrs["depth"])
    outer = int(np.prod(x.shape[:axis], dtype=np.int64))
    inner = int(np.prod(x.shape[axis:], dtype=np.int64))
    on = _as_bits(_static_cast(attrs.get("on_value", 1), out.dtype), out.dtype)
    off = _as_bits(_static_cast(attrs.get("off_value", 0), out.dtype), out.dtype)
    ix = "u8" if x.dtype == np.uint8 else _num(x.dtype, "OneHot")
    if out.dtype.itemsize == 2:
        raise errors.InvalidArgumentError("OneHot has no 16-bit GPU kernel [Op:OneHot]")
    _launch(dev, "elementwise", f"one_hot_{ix}_{_bits(out.dtype)}", [
        ptr(x), ptr(out), np.int64(outer), np.int64(depth), np.int64(inner), on, off,
    ], n=out.size)  # fmt: skip


def where_layout(n: int) -> tuple[int, int]:
    """``(chunks, per)``: Where's passes split the flat input into ``chunks`` fixed chunks of
    ``per`` elements (the last one shorter), one block each; at most 1024 chunks, so a
    block's offset (the sum of the earlier counts) is a short loop."""
    if n == 0:
        return 0, 0
    chunks = min(1024, -(-n // 4096))
    return chunks, -(-n // chunks)


def _where(dev, inputs, outputs, attrs):
    x = inputs[0]
    rank, n = x.ndim, x.size
    if rank > MAX_DIMS:
        raise errors.UnimplementedError(f"Where on GPU takes at most {MAX_DIMS} dims [Op:Where]")
    chunks, per = where_layout(n)
    if chunks == 0:
        return [dev.allocate((0, rank), np.int64)]
    typ = "u8" if x.dtype == np.bool_ else _num(x.dtype, "Where")
    counts = dev.allocate((chunks,), np.int64)
    launch = {"grid": (chunks, 1, 1), "block": (_SELECT_THREADS, 1, 1)}
    _launch(dev, "select", f"where_count_{typ}", [
        ptr(x), ptr(counts), np.int64(n), np.int64(per), np.int64(chunks),
    ], **launch)  # fmt: skip
    total = int(counts.get().sum())  # the read back sizes the output (it waits for pass 1)
    out = dev.allocate((total, rank), np.int64)
    if total and rank:
        _launch(dev, "select", f"where_write_{typ}", [
            ptr(x), ptr(counts), ptr(out), np.int64(n), np.int64(per), np.int64(chunks),
            np.int32(rank), Dims(x.shape),
        ], **launch)  # fmt: skip
    return [out]


TABLE: dict = {  # op type -> fn(device, inputs, outputs, attrs)
    "GatherV2": _gather, "GatherNd": _gather_nd, "ScatterNd": _scatter_nd,
    "TensorScatterUpdate": _tensor_scatter_update, "UnsortedSegmentSum": _segment_sum,
    "OneHot": _one_hot, "Where": _where,
}  # fmt: skip
