"""Data movement: Transpose, Reshape, BroadcastTo, Fill, ConcatV2, Pack, Split, slices, Pad,
Range."""

from __future__ import annotations

import math

import numpy as np

from ..runtime import errors
from ._base import (
    ALL,
    BOOL,
    NUMERIC_U8,
    OpDef,
    _axis,
    _compatible,
    _fmt,
    _key_attr_dtype,
    _merge,
    _register,
    _same_dtypes,
    broadcast_shape,
)


def _transpose_infer(shapes, dts, attrs):
    shape, perm = shapes[0], tuple(attrs["perm"])
    if sorted(perm) != list(range(len(shape))):
        raise errors.InvalidArgumentError(
            f"perm {list(perm)} is not a permutation of the {len(shape)} dims of a tensor of "
            f"shape {_fmt(shape)} [Op:Transpose]"
        )
    return [(tuple(shape[p] for p in perm), dts[0])]


_register(OpDef("Transpose", 1, _transpose_infer, ALL))


def reshape_shape(shape, target):
    """TF's Reshape of an input of ``shape`` to ``target`` (a -1 inferred, TF's errors); a
    ``None`` in ``shape`` leaves the -1 unknown."""
    target = [int(d) for d in target]
    unknown = []
    for i, d in enumerate(target):  # TF's checks, in TF's order and words
        if d == -1 and unknown:
            raise errors.InvalidArgumentError(
                f"Only one input size may be -1, not both {unknown[0]} and {i} [Op:Reshape]"
            )
        if d == -1:
            unknown.append(i)
        elif d < -1:
            raise errors.InvalidArgumentError(
                f"Size {i} must be non-negative, not {d} [Op:Reshape]"
            )
    if None in shape:
        return tuple(None if d == -1 else d for d in target)
    size = math.prod(shape)  # Python ints: a NumPy reduction costs microseconds per call
    if unknown:  # TF leaves zero sizes out of both products, so -1 is inferable beside a 0
        zero = 0 in target
        known = math.prod(d for d in target if d > 0)
        rest = math.prod(d for d in shape if d or not zero)
        if rest % known and not (zero and 0 in shape):
            raise errors.InvalidArgumentError(
                f"Input to reshape is a tensor with {rest} values, but the requested shape "
                f"requires a multiple of {known} [Op:Reshape]"
            )
        target[unknown[0]] = rest // known
    if math.prod(target) != size:
        raise errors.InvalidArgumentError(
            f"Input to reshape is a tensor with {size} values, but the requested shape has "
            f"{math.prod(target)} [Op:Reshape]"
        )
    return tuple(target)


def _reshape_infer(shapes, dts, attrs):
    return [(reshape_shape(shapes[0], attrs["shape"]), dts[0])]


_register(OpDef("Reshape", 1, _reshape_infer, ALL, allocates=False))


def _broadcast_to_infer(shapes, dts, attrs):
    shape, target = shapes[0], tuple(int(d) for d in attrs["shape"])
    out = broadcast_shape("BroadcastTo", shape, target)
    if out != target:
        raise errors.InvalidArgumentError(
            f"Unable to broadcast tensor of shape {_fmt(shape)} to tensor of shape "
            f"{_fmt(target)} [Op:BroadcastTo]"
        )
    return [(target, dts[0])]


_register(OpDef("BroadcastTo", 1, _broadcast_to_infer, ALL))
_register(OpDef("Identity", 1, lambda s, d, a: [(s[0], d[0])], ALL))


# Bitcast: the same bytes as another dtype (TF's list: every number type, no bool or string).
# A wider dtype takes the last dim (of the width ratio) away, a narrower one adds it.
BITCAST_TYPES = tuple(d for d in ALL if d != BOOL) + tuple(
    np.dtype(n) for n in ("uint16", "uint32", "uint64", "complex64", "complex128")
)
_BITCAST_NAMES = (
    "bfloat16, half, float, double, int64, int32, uint8, uint16, uint32, uint64, int8, int16, "
    "complex64, complex128, qint8, quint8, qint16, quint16, qint32"
)


def _bitcast_infer(shapes, dts, attrs):
    src, dst = dts[0], np.dtype(attrs["type"])
    for attr, dt in (("T", src), ("type", dst)):
        if dt not in _OPS_BITCAST.dtypes:
            name = "string" if dt.kind == "O" else dt.name
            raise errors.InvalidArgumentError(
                f"Value for attr '{attr}' of {name} is not in the list of allowed values: "
                f"{_BITCAST_NAMES} [Op:Bitcast]"
            )
    shape = tuple(shapes[0])
    if src.itemsize > dst.itemsize:
        return [(shape + (src.itemsize // dst.itemsize,), dst)]
    if src.itemsize < dst.itemsize:
        ratio = dst.itemsize // src.itemsize
        if not shape or shape[-1] not in (ratio, None):
            raise errors.InvalidArgumentError(
                f"Cannot bitcast from {dst.itemsize} to {src.itemsize} [Op:Bitcast]"
            )
        shape = shape[:-1]
    return [(shape, dst)]


_OPS_BITCAST = _register(OpDef("Bitcast", 1, _bitcast_infer, BITCAST_TYPES, doc="attrs: type"))


def _shape_attr_infer(shapes, dts, attrs):
    shape = tuple(int(d) for d in attrs["shape"])
    if any(d < 0 for d in shape):
        raise errors.InvalidArgumentError(f"Dimensions must be >= 0, got shape {list(shape)}")
    return [(shape, np.dtype(attrs["dtype"]))]


_register(OpDef("Fill", 0, _shape_attr_infer, ALL, key=_key_attr_dtype, doc="shape, value"))


# ---- array ops ---------------------------------------------------------------------------------


def _concat_infer(shapes, dts, attrs):
    op = "ConcatV2"
    if not shapes:
        raise errors.InvalidArgumentError(f"{op} needs at least one input [Op:{op}]")
    dt = _same_dtypes(op, dts)
    first = tuple(shapes[0])
    rank = len(first)
    if rank == 0:
        raise errors.InvalidArgumentError(
            f"Can't concatenate scalars (use tf.stack instead) [Op:{op}]"
        )
    axis = int(attrs.get("axis", 0))
    if not -rank <= axis < rank:
        raise errors.InvalidArgumentError(
            f"ConcatOp : Expected concatenating dimensions in the range [{-rank}, {rank}), "
            f"but got {axis} [Op:{op}]"
        )
    axis %= rank
    out = list(first)
    total = 0
    for i, s in enumerate(shapes):
        s = tuple(s)
        if len(s) != rank:
            raise errors.InvalidArgumentError(
                f"ConcatOp : Ranks of all input tensors should match: shape[0] = {_fmt(first)} "
                f"vs. shape[{i}] = {_fmt(s)} [Op:{op}]"
            )
        for d in range(rank):
            if d == axis:
                continue
            if out[d] is not None and s[d] is not None and out[d] != s[d]:
                raise errors.InvalidArgumentError(
                    f"ConcatOp : Dimension {d} in both shapes must be equal: shape[0] = "
                    f"{_fmt(first)} vs. shape[{i}] = {_fmt(s)} [Op:{op}]"
                )
            out[d] = s[d] if out[d] is None else out[d]
        total = None if total is None or s[axis] is None else total + s[axis]
    out[axis] = total
    return [(tuple(out), dt)]


_register(OpDef("ConcatV2", None, _concat_infer, ALL, doc="N inputs; attrs: axis"))


def _pack_infer(shapes, dts, attrs):
    op = "Pack"
    if not shapes:
        raise errors.InvalidArgumentError(f"{op} needs at least one input [Op:{op}]")
    dt = _same_dtypes(op, dts)
    first = tuple(shapes[0])
    merged = first
    for i, s in enumerate(shapes[1:], 1):
        s = tuple(s)
        if not _compatible(merged, s):
            raise errors.InvalidArgumentError(
                f"Shapes of all inputs must match: values[0].shape = {_fmt(first)} != "
                f"values[{i}].shape = {_fmt(s)} [Op:{op}]"
            )
        merged = _merge(merged, s)
    rank = len(first) + 1
    axis = int(attrs.get("axis", 0))
    if not -rank <= axis < rank:
        raise errors.InvalidArgumentError(f"axis = {axis} not in [{-rank}, {rank}) [Op:{op}]")
    axis %= rank
    return [(merged[:axis] + (len(shapes),) + merged[axis:], dt)]


def _unpack_infer(shapes, dts, attrs):
    op = "Unpack"
    shape, num = tuple(shapes[0]), int(attrs["num"])
    rank = len(shape)
    axis = int(attrs.get("axis", 0))
    if not -rank <= axis < rank:
        raise errors.InvalidArgumentError(f"axis = {axis} not in [{-rank}, {rank}) [Op:{op}]")
    axis %= rank
    if shape[axis] is not None and shape[axis] != num:
        raise errors.InvalidArgumentError(
            f"Input shape axis {axis} must equal {num}, got shape {_fmt(shape)} [Op:{op}]"
        )
    return [(shape[:axis] + shape[axis + 1 :], dts[0])] * num


_register(OpDef("Pack", None, _pack_infer, ALL, doc="N inputs; attrs: N, axis"))
_register(OpDef("Unpack", 1, _unpack_infer, ALL, doc="attrs: num, axis"))


def _split_axis(op, shape, attrs):
    if not shape:
        raise errors.InvalidArgumentError(f"Can't split a scalar (rank 0) tensor [Op:{op}]")
    return _axis(op, attrs.get("axis", 0), len(shape), "split dimension")


def _split_infer(shapes, dts, attrs):
    op = "Split"
    shape, num = tuple(shapes[0]), int(attrs["num_split"])
    if num < 1:
        raise errors.InvalidArgumentError(
            f"Number of ways to split should be > 0, but got {num} [Op:{op}]"
        )
    axis = _split_axis(op, shape, attrs)
    d = shape[axis]
    if d is not None and d % num:
        raise errors.InvalidArgumentError(
            "Number of ways to split should evenly divide the split dimension, but got "
            f"split_dim {axis} (size = {d}) and num_split {num} [Op:{op}]"
        )
    part = None if d is None else d // num
    return [(shape[:axis] + (part,) + shape[axis + 1 :], dts[0])] * num


def split_sizes(op, dim, size_splits):
    """SplitV's sizes with the one -1 resolved (None when ``dim`` is unknown)."""
    sizes = [int(v) for v in size_splits]
    unknown = [i for i, v in enumerate(sizes) if v == -1]
    if not sizes or len(unknown) > 1 or any(v < -1 for v in sizes):
        raise errors.InvalidArgumentError(
            f"size_splits must be non-empty sizes >= 0 with at most one -1, got {sizes} [Op:{op}]"
        )
    known = sum(v for v in sizes if v != -1)
    if dim is None:
        return [None if v == -1 else v for v in sizes]
    if (unknown and known > dim) or (not unknown and known != dim):
        raise errors.InvalidArgumentError(
            "Determined shape must either match input shape along split_dim exactly if fully "
            "specified, or be less than the size of the input along split_dim if not fully "
            f"specified.  Got: {known} for split_dim of size {dim} [Op:{op}]"
        )
    if unknown:
        sizes[unknown[0]] = dim - known
    return sizes


def _split_v_infer(shapes, dts, attrs):
    op = "SplitV"
    shape = tuple(shapes[0])
    axis = _split_axis(op, shape, attrs)
    sizes = split_sizes(op, shape[axis], attrs["size_splits"])
    return [(shape[:axis] + (s,) + shape[axis + 1 :], dts[0]) for s in sizes]


_register(OpDef("Split", 1, _split_infer, ALL, doc="attrs: num_split, axis"))
_register(OpDef("SplitV", 1, _split_v_infer, ALL, doc="attrs: size_splits, axis"))


def slice_bounds(op, shape, begin, size):
    """Slice's (begin, size) per dim with -1 sizes resolved; TF's errors on bad bounds."""
    begin, size = [int(v) for v in begin], [int(v) for v in size]
    if len(begin) != len(shape) or len(size) != len(shape):
        raise errors.InvalidArgumentError(
            f"Expected begin and size arguments to be 1-D tensors of size {len(shape)}, but got "
            f"shapes [{len(begin)}] and [{len(size)}] instead. [Op:{op}]"
        )
    out = []
    for i, (b, s, d) in enumerate(zip(begin, size, shape)):
        if d is None:
            out.append(None if s == -1 else s)
            continue
        if not 0 <= b <= d:
            raise errors.InvalidArgumentError(
                f"Expected begin[{i}] in [0, {d}], but got {b} [Op:{op}]"
            )
        s = d - b if s == -1 else s
        if not 0 <= s <= d - b:
            raise errors.InvalidArgumentError(
                f"Expected size[{i}] in [0, {d - b}], but got {s} [Op:{op}]"
            )
        out.append(s)
    return begin, out


def _slice_infer(shapes, dts, attrs):
    _, size = slice_bounds("Slice", tuple(shapes[0]), attrs["begin"], attrs["size"])
    return [(tuple(size), dts[0])]


_register(OpDef("Slice", 1, _slice_infer, ALL, doc="attrs: begin, size"))

_MASKS = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")


def strided_slice_spec(op, shape, attrs):
    """TF's strided-slice rules: ``(index, final_shape)``.

    ``index`` is a NumPy basic index (ints, slices, None) that selects the slice as a view, or
    None when a dim of ``shape`` is unknown. Masks, negative indices and clamping follow TF's
    ``ValidateStridedSliceOp``.
    """
    begin = [int(v) for v in attrs.get("begin", ())]
    end = [int(v) for v in attrs.get("end", ())]
    strides = attrs.get("strides")
    strides = [1] * len(begin) if strides is None else [int(v) for v in strides]
    if not len(begin) == len(end) == len(strides):
        raise errors.InvalidArgumentError(
            "Expected begin, end, and strides to be 1D equal size tensors, but got shapes "
            f"[{len(begin)}], [{len(end)}], and [{len(strides)}] instead. [Op:{op}]"
        )
    bm, em, ellipsis, new_axis, shrink = (int(attrs.get(k, 0)) for k in _MASKS)
    if ellipsis & (ellipsis - 1):
        raise errors.InvalidArgumentError(f"Multiple ellipses in slice spec not allowed [Op:{op}]")
    n, rank = len(begin), len(shape)
    sparse = n
    if not ellipsis & ((1 << n) - 1):  # no ellipsis: one is implied at the end
        ellipsis = 1 << n
        sparse = n + 1
    ell_at = ellipsis.bit_length() - 1
    new_after = sum(1 for i in range(ell_at + 1, n) if new_axis >> i & 1)
    # Sparse spec -> one (begin, end, stride, begin_masked, end_masked, shrink) per input dim.
    dense, items = [], []
    for i in range(sparse):
        if ellipsis >> i & 1:
            stop = min(rank - (sparse - i) + 1 + new_after, rank)
            while len(dense) < stop:
                items.append(len(dense))
                dense.append((0, 0, 1, True, True, False))
        elif new_axis >> i & 1:
            items.append(None)
        else:
            if len(dense) == rank:
                raise errors.InvalidArgumentError(
                    f"Index out of range using input dim {rank}; input has only {rank} dims "
                    f"[Op:{op}]"
                )
            items.append(len(dense))
            dense.append(
                (begin[i], end[i], strides[i], bool(bm >> i & 1), bool(em >> i & 1),
                 bool(shrink >> i & 1))
            )  # fmt: skip
    index, sizes = [], []
    for i, (b, e, s, b_masked, e_masked, shrink_i) in enumerate(dense):
        d = shape[i]
        if s == 0:
            raise errors.InvalidArgumentError(f"strides[{i}] must be non-zero [Op:{op}]")
        if shrink_i and s <= 0:
            raise errors.InvalidArgumentError(
                f"only stride 1 allowed on non-range indexing. [Op:{op}]"
            )
        if d is None:
            index, sizes = None, sizes + [1 if shrink_i else None]
            continue
        if shrink_i:
            b = b + d if b < 0 else b
            if not 0 <= b < d:
                raise errors.InvalidArgumentError(
                    f"slice index {b} of dimension {i} out of bounds. [Op:{op}]"
                )
            sizes.append(1)
            if index is not None:
                index.append(b)
            continue
        lo, hi = (0, d) if s > 0 else (-1, d - 1)

        def canonical(x, masked, c, lo=lo, hi=hi, s=s, d=d):
            if masked:
                return (lo, hi)[c] if s > 0 else (lo, hi)[1 - c]
            x = x + d if x < 0 else x
            return min(max(x, lo), hi)

        b, e = canonical(b, b_masked, 0), canonical(e, e_masked, 1)
        length = e - b
        if length == 0 or (length < 0) != (s < 0):
            size = 0
        else:
            size = -(-abs(length) // abs(s))
        sizes.append(size)
        if index is not None:
            index.append(slice(0, 0) if size == 0 else slice(b, None if e < 0 else e, s))
    final = []
    np_index = []
    for it in items:
        if it is None:
            final.append(1)
            np_index.append(None)
        else:
            if not dense[it][5]:
                final.append(sizes[it])
            if index is not None:
                np_index.append(index[it])
    return (None if index is None else tuple(np_index)), tuple(final)


def _strided_slice_infer(shapes, dts, attrs):
    _, final = strided_slice_spec("StridedSlice", tuple(shapes[0]), attrs)
    return [(final, dts[0])]


def _strided_slice_grad_infer(shapes, dts, attrs):
    op = "StridedSliceGrad"
    shape = tuple(int(d) for d in attrs["shape"])
    _, final = strided_slice_spec(op, shape, attrs)
    dy = tuple(shapes[0])
    if not _compatible(dy, final):
        raise errors.InvalidArgumentError(
            f"shape of dy was {_fmt(dy)} instead of {_fmt(final)} [Op:{op}]"
        )
    return [(shape, dts[0])]


_SLICE_DOC = "attrs: begin, end, strides, begin_mask, end_mask, ellipsis_mask, new_axis_mask, "
_register(OpDef("StridedSlice", 1, _strided_slice_infer, ALL, doc=_SLICE_DOC + "shrink_axis_mask"))
_register(
    OpDef("StridedSliceGrad", 1, _strided_slice_grad_infer, ALL, doc="dy; attrs: shape, and "
          + _SLICE_DOC[7:] + "shrink_axis_mask")
)  # fmt: skip


def _pad_infer(shapes, dts, attrs):
    op = "Pad"
    shape = tuple(shapes[0])
    pads = [tuple(int(v) for v in p) for p in attrs["paddings"]]
    if len(pads) != len(shape) or any(len(p) != 2 for p in pads):
        raise errors.InvalidArgumentError(
            f"paddings must be a [{len(shape)}, 2] list for an input of shape {_fmt(shape)}, "
            f"got {[list(p) for p in pads]} [Op:{op}]"
        )
    for a, b in pads:
        if a < 0 or b < 0:
            raise errors.InvalidArgumentError(f"Paddings must be non-negative: {a} {b} [Op:{op}]")
    return [(tuple(None if d is None else a + d + b for d, (a, b) in zip(shape, pads)), dts[0])]


_register(OpDef("Pad", 1, _pad_infer, ALL, doc="attrs: paddings, constant_values"))


def mirror_pad_mode(op, attrs):
    """MirrorPad's mode attr: ``"REFLECT"`` (the edge is not repeated) or ``"SYMMETRIC"``."""
    mode = str(attrs.get("mode", "")).upper()
    if mode not in ("REFLECT", "SYMMETRIC"):
        raise errors.InvalidArgumentError(
            f"mode must be REFLECT or SYMMETRIC, got {attrs.get('mode')!r} [Op:{op}]"
        )
    return mode


def mirror_pad_copies(op, shape, attrs):
    """MirrorPad as a list of (source index, destination index) pairs of slices of the output,
    in order: the input goes to the centre, then each axis's borders are mirrored from the
    part already written (all of the earlier axes, the centre of the later ones)."""
    pads = [(int(a), int(b)) for a, b in attrs["paddings"]]
    off = 1 if mirror_pad_mode(op, attrs) == "REFLECT" else 0
    centre = [slice(a, a + d) for (a, _), d in zip(pads, shape)]
    pairs = []
    for ax, ((a, b), d) in enumerate(zip(pads, shape)):

        def at(sl, ax=ax):
            return tuple(slice(None) if i < ax else sl if i == ax else centre[i]
                         for i in range(len(shape)))  # fmt: skip

        if a:  # out[a - 1 - j] = out[a + off + j]
            pairs.append((at(slice(a + off + a - 1, a + off - 1, -1)), at(slice(0, a))))
        if b:  # out[a + d + j] = out[a + d - 1 - off - j]
            stop = a + d - off - b - 1
            pairs.append((at(slice(a + d - 1 - off, stop if stop >= 0 else None, -1)),
                          at(slice(a + d, a + d + b))))  # fmt: skip
    return centre, pairs


def _mirror_pad_infer(shapes, dts, attrs):
    op = "MirrorPad"
    mode = mirror_pad_mode(op, attrs)
    out = _pad_infer(shapes, dts, attrs)
    for d, (a, b) in zip(shapes[0], attrs["paddings"]):
        a, b = int(a), int(b)
        if d is None:
            continue
        if mode == "REFLECT" and (a >= d or b >= d):
            raise errors.InvalidArgumentError(
                f"paddings must be less than the dimension size: {a}, {b} not less than {d} "
                f"(REFLECT) for an input of shape {_fmt(shapes[0])} [Op:{op}]"
            )
        if mode == "SYMMETRIC" and (a > d or b > d):
            raise errors.InvalidArgumentError(
                f"paddings must be no greater than the dimension size: {a}, {b} greater than "
                f"{d} (SYMMETRIC) for an input of shape {_fmt(shapes[0])} [Op:{op}]"
            )
    return out


_register(
    OpDef("MirrorPad", 1, _mirror_pad_infer, ALL,
          doc="attrs: paddings, mode (REFLECT: the edge row is not repeated; SYMMETRIC: it is)")
)  # fmt: skip


def _tile_infer(shapes, dts, attrs):
    op = "Tile"
    shape = tuple(shapes[0])
    mult = [int(m) for m in attrs["multiples"]]
    if len(mult) != len(shape):
        raise errors.InvalidArgumentError(
            f"Expected multiples argument to be a vector of length {len(shape)} but got length "
            f"{len(mult)} [Op:{op}]"
        )
    for i, m in enumerate(mult):
        if m < 0:
            raise errors.InvalidArgumentError(
                f"Expected multiples[{i}] >= 0, but got {m} [Op:{op}]"
            )
    return [(tuple(None if d is None else d * m for d, m in zip(shape, mult)), dts[0])]


_register(OpDef("Tile", 1, _tile_infer, ALL, doc="attrs: multiples"))


def _reverse_infer(shapes, dts, attrs):
    op = "ReverseV2"
    shape = tuple(shapes[0])
    normalized_reverse_axes(op, attrs["axis"], len(shape))
    return [(shape, dts[0])]


def normalized_reverse_axes(op, axis, rank):
    axes = [axis] if isinstance(axis, int | np.integer) else list(axis)
    out = []
    for i, a in enumerate(axes):
        a = int(a)
        if not -rank <= a < rank:
            raise errors.InvalidArgumentError(
                f"'axis'[{i}] = {a} is out of valid range [0, {rank - 1}] [Op:{op}]"
            )
        if a % rank in out:
            raise errors.InvalidArgumentError(
                f"axis {a % rank} specified more than once. [Op:{op}]"
            )
        out.append(a % rank)
    return out


_register(OpDef("ReverseV2", 1, _reverse_infer, ALL, doc="attrs: axis (list)"))


def range_size(start, limit, delta, dtype):
    """The length of TF's Range, computed in ``dtype`` as TF does; TF's errors on bad bounds."""
    op = "Range"
    dtype = np.dtype(dtype)
    if delta == 0:
        raise errors.InvalidArgumentError(f"Requires delta != 0: {delta} [Op:{op}]")
    if delta > 0 and start > limit:
        raise errors.InvalidArgumentError(
            f"Requires start <= limit when delta > 0: {start}/{limit} [Op:{op}]"
        )
    if delta < 0 and start < limit:
        raise errors.InvalidArgumentError(
            f"Requires start >= limit when delta < 0: {start}/{limit} [Op:{op}]"
        )
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        for name, v in (("start", start), ("limit", limit), ("delta", delta)):
            if not info.min <= int(v) <= info.max:
                raise errors.InvalidArgumentError(
                    f"{name} = {v} is out of range for dtype {dtype.name} [Op:{op}]"
                )
        return (abs(int(limit) - int(start)) + abs(int(delta)) - 1) // abs(int(delta))
    t = dtype.type
    with np.errstate(all="ignore"):
        return int(np.ceil(np.abs((t(limit) - t(start)) / t(delta))))


def _range_infer(shapes, dts, attrs):
    dtype = np.dtype(attrs["dtype"])
    return [((range_size(attrs["start"], attrs["limit"], attrs["delta"], dtype),), dtype)]


_register(
    OpDef("Range", 0, _range_infer, NUMERIC_U8, key=_key_attr_dtype,
          doc="attrs: start, limit, delta, dtype")
)  # fmt: skip
