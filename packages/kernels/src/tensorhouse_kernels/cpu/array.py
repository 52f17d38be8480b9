"""CPU data movement: Transpose, Reshape (a view), Fill, ConcatV2, Pack, Split, slices, Pad,
Range."""

from __future__ import annotations

import numpy as np

from .. import _cpu
from ..opdefs import (
    mirror_pad_copies,
    normalized_reverse_axes,
    reshape_shape,
    slice_bounds,
    strided_slice_spec,
)
from ..opdefs._base import RuleCache
from ..opdefs.array import BITCAST_TYPES
from ..runtime import register_fast_path
from ._base import ALL_NAMES, _as_bits, _register


def _transpose(inputs, outputs, attrs):
    _move(inputs[0].transpose(attrs["perm"]), outputs[0])  # the method: no NumPy wrapper


def _move(src, out):
    """Copy the strided view ``src`` into ``out``: NumPy's assignment for small arrays (a C++
    call costs more than the copy), the C++ copy kernel above."""
    if out.size < _SMALL_COPY:
        out[...] = src
    else:
        _cpu.copy(src, out)


def _broadcast_to(inputs, outputs, attrs):
    _cpu.copy(np.broadcast_to(inputs[0], outputs[0].shape), outputs[0])


def _identity(inputs, outputs, attrs):
    _cpu.copy(inputs[0], outputs[0])


def _bitcast(inputs, outputs, attrs):
    out = outputs[0]
    np.copyto(out, inputs[0].reshape(-1).view(out.dtype).reshape(out.shape))


def _reshape(inputs, outputs, attrs):
    # A view: C-contiguous in, C-contiguous out, no copy. Tensors never write their buffers.
    x, shape = inputs[0], attrs["shape"]
    outputs[0] = x.reshape(reshape_shape(x.shape, shape) if x.size == 0 else shape)


def _fill(inputs, outputs, attrs):
    value = attrs["value"]
    if isinstance(value, int | np.integer) and abs(int(value)) > 2**53:
        outputs[0][...] = value  # beyond a double's 53 bits: every bit of the integer kept
        return
    _cpu.fill(outputs[0], float(value))


# Array ops: NumPy builds the strided views (no data moves); the C++ copy / assign kernels move
# the elements (threads above the size threshold, GIL released).


def _view(a, index):
    """``a[index]`` as a view, 0-d results included (a trailing Ellipsis keeps them arrays)."""
    return a[tuple(index) + (Ellipsis,)]


def _along(axis, start, stop):
    return (slice(None),) * axis + (slice(start, stop),)


_SMALL_COPY = 1 << 15  # elements: below this, one NumPy call beats a C++ call per input


def _concat(inputs, outputs, attrs):
    out = outputs[0]
    axis = int(attrs.get("axis", 0)) % out.ndim
    if out.size < _SMALL_COPY:
        np.concatenate(inputs, axis, out=out)
        return
    offset = 0
    for x in inputs:
        d = x.shape[axis]
        if d:
            _cpu.assign(x, out[_along(axis, offset, offset + d)])
        offset += d


def _pack(inputs, outputs, attrs):
    out = outputs[0]
    axis = int(attrs.get("axis", 0)) % out.ndim
    if out.size < _SMALL_COPY:  # one NumPy call on the inputs as views with the new axis
        row = out.shape[:axis] + (1,) + out.shape[axis + 1 :]
        np.concatenate([x.reshape(row) for x in inputs], axis, out=out)
        return
    for i, x in enumerate(inputs):
        _cpu.assign(x, out[(slice(None),) * axis + (i,)])


def _unpack(inputs, outputs, attrs):
    x = inputs[0]
    axis = int(attrs.get("axis", 0)) % x.ndim
    for i, out in enumerate(outputs):
        _move(x[(slice(None),) * axis + (i,)], out)


def _split(inputs, outputs, attrs):
    x = inputs[0]
    axis = int(attrs.get("axis", 0)) % x.ndim
    offset = 0
    for out in outputs:
        d = out.shape[axis]
        _cpu.copy(x[_along(axis, offset, offset + d)], out)
        offset += d


def _slice(inputs, outputs, attrs):
    x = inputs[0]
    begin, size = slice_bounds("Slice", x.shape, attrs["begin"], attrs["size"])
    _cpu.copy(_view(x, (slice(b, b + s) for b, s in zip(begin, size))), outputs[0])


def _strided_slice(inputs, outputs, attrs):
    x = inputs[0]
    index, _ = strided_slice_spec("StridedSlice", x.shape, attrs)
    _cpu.copy(_view(x, index), outputs[0])


def _strided_slice_grad(inputs, outputs, attrs):
    out = outputs[0]
    index, _ = strided_slice_spec("StridedSliceGrad", out.shape, attrs)
    _cpu.fill(out, 0.0)
    _cpu.assign(inputs[0], _view(out, index))


def _pad(inputs, outputs, attrs):
    x, out = inputs[0], outputs[0]
    pads = [(int(a), int(b)) for a, b in attrs["paddings"]]
    if any(a or b for a, b in pads):
        _cpu.fill(out, float(attrs.get("constant_values", 0)))
    if x.size:
        _cpu.assign(x, _view(out, (slice(a, a + d) for (a, _), d in zip(pads, x.shape))))


def _mirror_pad(inputs, outputs, attrs):
    x, out = inputs[0], outputs[0]
    if out.size == 0:
        return
    centre, pairs = mirror_pad_copies("MirrorPad", x.shape, attrs)
    _cpu.assign(x, _view(out, centre))
    for src, dst in pairs:
        _cpu.assign(_view(out, src), _view(out, dst))


def _tile(inputs, outputs, attrs):
    x, out = inputs[0], outputs[0]
    if out.size == 0:
        return
    mult = [int(m) for m in attrs["multiples"]]
    pairs = [v for m, d in zip(mult, x.shape) for v in (m, d)]
    src = np.broadcast_to(x.reshape([v for d in x.shape for v in (1, d)]), pairs)
    _cpu.copy(src, out.reshape(pairs))


_REVERSED = RuleCache("ReverseV2")  # (axes, rank) -> the index of the reversed view


def _reverse(inputs, outputs, attrs):
    """A reversed view copied by C++ (the GIL released); the checked index per (axes, rank)."""
    x, axis = inputs[0], attrs["axis"]
    key = (axis if isinstance(axis, int | np.integer) else tuple(axis), x.ndim)
    index = _REVERSED.get(key)
    if index is None:
        axes = normalized_reverse_axes("ReverseV2", axis, x.ndim)
        steps = (slice(None, None, -1 if i in axes else 1) for i in range(x.ndim))
        index = _REVERSED.put(key, (*steps, Ellipsis))
    _cpu.copy(x[index], outputs[0])


def _range(inputs, outputs, attrs):
    out = outputs[0]
    as_type = float if out.dtype.kind == "f" else int
    _cpu.range(as_type(attrs["start"]), as_type(attrs["delta"]), out)


def _range_half(inputs, outputs, attrs):
    """Range on float16 / bfloat16 as TF's: i * delta + start, each step rounded to the dtype
    (NumPy's and ml_dtypes' 16-bit arithmetic computes in float32 and rounds)."""
    out = outputs[0]
    t = out.dtype.type
    out[...] = np.arange(out.size).astype(out.dtype) * t(attrs["delta"]) + t(attrs["start"])


# ---- eager shortcuts (``register_fast_path``): the kernels above, the shape rule remembered ----

_RESHAPED = RuleCache("Reshape")  # (input shape, target) -> output shape
_TRANSPOSED = RuleCache("Transpose")  # (input shape, perm) -> output shape
_JOINED = RuleCache("ConcatV2")  # (*input shapes, axis) -> (output shape, axis >= 0)


def _reshape_fast(device, x, shape):
    """``Reshape`` to the tuple of ints ``shape``: the view."""
    key = (x.shape, shape)
    out = _RESHAPED.get(key)
    if out is None:
        specs = _RESHAPED.infer([x.shape], [x.dtype], {"shape": shape})
        if specs is None:
            return None
        out = _RESHAPED.put(key, specs[0][0])
    return x.reshape(out)


def _transpose_fast(device, x, perm):
    """``Transpose`` by the tuple of ints ``perm`` into a buffer allocated on ``device``."""
    key = (x.shape, perm)
    shape = _TRANSPOSED.get(key)
    if shape is None:
        specs = _TRANSPOSED.infer([x.shape], [x.dtype], {"perm": perm})
        if specs is None:
            return None
        shape = _TRANSPOSED.put(key, specs[0][0])
    out = device.allocate(shape, x.dtype)
    if out.size < _SMALL_COPY:  # as ``_move``, without its call
        out[...] = x.transpose(perm)
    else:
        _cpu.copy(x.transpose(perm), out)
    return out


def _concat_fast(device, xs, axis):
    """``ConcatV2`` of the list of buffers ``xs`` along the int ``axis``."""
    if len(xs) == 2:  # the common pair without a loop
        x, y = xs
        dt = x.dtype
        if y.dtype is not dt:  # the full path names the dtypes
            return None
        key = (x.shape, y.shape, axis)
    else:
        dt = xs[0].dtype
        shapes = []
        for x in xs:
            if x.dtype is not dt:
                return None
            shapes.append(x.shape)
        key = (*shapes, axis)
    plan = _JOINED.get(key)
    if plan is None:
        specs = _JOINED.infer(list(key[:-1]), [dt] * len(xs), {"axis": axis})
        if specs is None:
            return None
        shape = specs[0][0]
        plan = _JOINED.put(key, (shape, axis % len(shape)))
    out = device.allocate(plan[0], dt)
    if out.size < _SMALL_COPY:
        np.concatenate(xs, plan[1], out=out)
    else:
        _concat(xs, [out], {"axis": plan[1]})
    return out


_PACKED = RuleCache("Pack")  # (*input shapes, axis) -> (output shape, axis >= 0)


def _pack_fast(device, xs, axis):
    """``Pack`` of the list of buffers ``xs`` along the int ``axis``."""
    dt = xs[0].dtype
    shapes = []
    for x in xs:
        if x.dtype is not dt:  # the full path names the dtypes
            return None
        shapes.append(x.shape)
    key = (*shapes, axis)
    plan = _PACKED.get(key)
    if plan is None:
        specs = _PACKED.infer(shapes, [dt] * len(xs), {"axis": axis})
        if specs is None:
            return None
        shape = specs[0][0]
        plan = _PACKED.put(key, (shape, axis % len(shape)))
    out = device.allocate(plan[0], dt)
    _pack(xs, [out], {"axis": plan[1]})
    return out


def register():
    """Register the data-movement kernels (16-bit floats move as int16 bit patterns)."""
    for name, fn in (
        ("ConcatV2", _concat), ("Pack", _pack), ("Unpack", _unpack), ("Split", _split),
        ("SplitV", _split), ("Slice", _slice),
        ("StridedSlice", _strided_slice), ("StridedSliceGrad", _strided_slice_grad),
        ("Tile", _tile), ("ReverseV2", _reverse),
    ):  # fmt: skip
        _register(name, fn, ALL_NAMES, half=_as_bits)
    _register("Pad", _pad, ALL_NAMES, half=lambda fn: _as_bits(fn, "constant_values"))
    _register("MirrorPad", _mirror_pad, ALL_NAMES, half=_as_bits)
    _register("Range", _range, half=lambda fn: _range_half)
    _register("Transpose", _transpose, ALL_NAMES, half=_as_bits)
    _register("BroadcastTo", _broadcast_to, ALL_NAMES, half=_as_bits)
    _register("Identity", _identity, ALL_NAMES, half=_as_bits)
    _register("Reshape", _reshape, ALL_NAMES, half=lambda fn: fn)  # a view of any dtype
    _register("Bitcast", _bitcast, BITCAST_TYPES, half=lambda fn: fn)  # bytes, any dtype
    register_fast_path("Reshape", _reshape, _reshape_fast)
    register_fast_path("Transpose", _transpose, _transpose_fast)
    register_fast_path("ConcatV2", _concat, _concat_fast)
    register_fast_path("Pack", _pack, _pack_fast)
    _register("Fill", _fill, ALL_NAMES, half=lambda fn: _as_bits(fn, "value"))
