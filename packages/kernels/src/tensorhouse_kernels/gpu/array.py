"""CUDA data movement: ConcatV2, Pack, Split, slices, Pad, Tile, Transpose, Reshape, Fill,
Range."""

from __future__ import annotations

import numpy as np

from ..opdefs import mirror_pad_copies, normalized_reverse_axes, slice_bounds, strided_slice_spec
from ._cuda import (
    _copy_from_view,
    _copy_view,
    _fill,
    _launch,
    _num,
    broadcast_strides,
    c_strides,
    ptr,
    view_geometry,
)

# Array ops: the host computes each view's (offset, strides); one strided copy moves the data.


def _along(ndim, axis, start, stop):
    return (slice(None),) * axis + (slice(start, stop),) + (slice(None),) * (ndim - axis - 1)


def _concat(dev, inputs, outputs, attrs):
    out = outputs[0]
    axis = int(attrs.get("axis", 0)) % out.ndim
    offset = 0
    for x in inputs:
        d = x.shape[axis]
        if d and x.size:
            shape, off, st = view_geometry(out.shape, _along(out.ndim, axis, offset, offset + d))
            _copy_view(dev, x, 0, c_strides(x.shape), out, off, st, shape)
        offset += d


def _split(dev, inputs, outputs, attrs):
    x = inputs[0]
    axis = int(attrs.get("axis", 0)) % x.ndim
    offset = 0
    for out in outputs:
        d = out.shape[axis]
        shape, off, st = view_geometry(x.shape, _along(x.ndim, axis, offset, offset + d))
        _copy_from_view(dev, x, shape, off, st, out)
        offset += d


def _stack(dev, inputs, outputs, attrs):
    out = outputs[0]
    axis = int(attrs.get("axis", 0)) % out.ndim
    for i, x in enumerate(inputs):  # input i fills out[..., i, ...]: a size-1 view on the axis
        shape, off, st = view_geometry(out.shape, _along(out.ndim, axis, i, i + 1))
        _copy_view(dev, x, 0, c_strides(shape), out, off, st, shape)


def _unstack(dev, inputs, outputs, attrs):
    x = inputs[0]
    axis = int(attrs.get("axis", 0)) % x.ndim
    for i, out in enumerate(outputs):
        shape, off, st = view_geometry(x.shape, _along(x.ndim, axis, i, i + 1))
        _copy_from_view(dev, x, shape, off, st, out)


def _slice(dev, inputs, outputs, attrs):
    x = inputs[0]
    begin, size = slice_bounds("Slice", x.shape, attrs["begin"], attrs["size"])
    index = [slice(b, b + s) for b, s in zip(begin, size)]
    shape, off, st = view_geometry(x.shape, index)
    _copy_from_view(dev, x, shape, off, st, outputs[0])


def _strided_slice(dev, inputs, outputs, attrs):
    x = inputs[0]
    index, _ = strided_slice_spec("StridedSlice", x.shape, attrs)
    shape, off, st = view_geometry(x.shape, index)
    _copy_from_view(dev, x, shape, off, st, outputs[0])


def _strided_slice_grad(dev, inputs, outputs, attrs):
    dy, out = inputs[0], outputs[0]
    index, _ = strided_slice_spec("StridedSliceGrad", out.shape, attrs)
    _fill(dev, out, 0)
    shape, off, st = view_geometry(out.shape, index)
    _copy_view(dev, dy, 0, c_strides(shape), out, off, st, shape)


def _pad(dev, inputs, outputs, attrs):
    x, out = inputs[0], outputs[0]
    pads = [(int(a), int(b)) for a, b in attrs["paddings"]]
    if any(a or b for a, b in pads):
        _fill(dev, out, float(attrs.get("constant_values", 0)))
    if x.size:
        index = [slice(a, a + d) for (a, _), d in zip(pads, x.shape)]
        shape, off, st = view_geometry(out.shape, index)
        _copy_view(dev, x, 0, c_strides(x.shape), out, off, st, shape)


def _tile(dev, inputs, outputs, attrs):
    x, out = inputs[0], outputs[0]
    if out.size == 0:
        return
    mult = [int(m) for m in attrs["multiples"]]
    pairs = [v for m, d in zip(mult, x.shape) for v in (m, d)]
    st = c_strides(x.shape)
    src = [v for s in st for v in (0, s)]  # each tile repeats x: stride 0 over the repeats
    _copy_from_view(dev, x, pairs, 0, src, out)


def _reverse(dev, inputs, outputs, attrs):
    x = inputs[0]
    axes = normalized_reverse_axes("ReverseV2", attrs["axis"], x.ndim)
    index = [slice(None, None, -1 if i in axes else 1) for i in range(x.ndim)]
    shape, off, st = view_geometry(x.shape, index)
    _copy_from_view(dev, x, shape, off, st, outputs[0])


def _transpose(dev, inputs, outputs, attrs):
    x = inputs[0]
    perm = [int(p) % max(x.ndim, 1) for p in attrs["perm"]]
    st = c_strides(x.shape)
    _copy_from_view(dev, x, [x.shape[i] for i in perm], 0, [st[i] for i in perm], outputs[0])


def _broadcast_to(dev, inputs, outputs, attrs):
    x, out = inputs[0], outputs[0]
    _copy_from_view(dev, x, out.shape, 0, broadcast_strides(x.shape, out.shape), out)


def _identity(dev, inputs, outputs, attrs):
    x, out = inputs[0], outputs[0]
    _copy_from_view(dev, x, x.shape, 0, c_strides(x.shape), out)


def _reshape(dev, inputs, outputs, attrs):
    return [inputs[0].reshape(tuple(int(d) for d in attrs["shape"]))]  # a view, no copy


def _fill_op(dev, inputs, outputs, attrs):
    _fill(dev, outputs[0], float(attrs["value"]))


def _mirror_pad(dev, inputs, outputs, attrs):
    x, out = inputs[0], outputs[0]
    if out.size == 0:
        return
    centre, pairs = mirror_pad_copies("MirrorPad", x.shape, attrs)
    shape, off, st = view_geometry(out.shape, centre)
    _copy_view(dev, x, 0, c_strides(x.shape), out, off, st, shape)
    for src, dst in pairs:  # in order: a border may read what an earlier copy wrote
        _, s_off, s_st = view_geometry(out.shape, src)
        shape, d_off, d_st = view_geometry(out.shape, dst)
        _copy_view(dev, out, s_off, s_st, out, d_off, d_st, shape)


def range_scalars(start, delta, dtype):
    """Range's start and delta as kernel arguments of ``dtype``: floats rounded as the CPU's
    cast, integers wrapped (two's complement)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return dtype.type(float(start)), dtype.type(float(delta))
    bits = np.dtype(f"u{dtype.itemsize}")
    return tuple(
        np.array(int(v) % (1 << (8 * dtype.itemsize)), bits).view(dtype)[()] for v in (start, delta)
    )


def _range(dev, inputs, outputs, attrs):
    out = outputs[0]
    if out.size == 0:
        return
    start, delta = range_scalars(attrs["start"], attrs["delta"], out.dtype)
    _launch(dev, "elementwise", f"range_{_num(out.dtype, 'Range')}",
            [ptr(out), np.int64(out.size), start, delta], n=out.size)  # fmt: skip


TABLE: dict = {  # op type -> fn(device, inputs, outputs, attrs)
    "ConcatV2": _concat, "Split": _split, "SplitV": _split, "Slice": _slice, "Pack": _stack,
    "Unpack": _unstack, "StridedSlice": _strided_slice, "StridedSliceGrad": _strided_slice_grad,
    "Pad": _pad, "MirrorPad": _mirror_pad, "Tile": _tile, "ReverseV2": _reverse,
    "Transpose": _transpose, "BroadcastTo": _broadcast_to, "Identity": _identity,
    "Reshape": _reshape, "Fill": _fill_op, "Range": _range,
}  # fmt: skip
