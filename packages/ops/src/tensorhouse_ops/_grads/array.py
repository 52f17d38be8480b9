"""Gradient rules of the array family: reshaping, transposing, broadcasting, concat / split,
stack / unstack, slicing, padding, tiling, reversing, Identity.
"""

from __future__ import annotations

from .. import _array as A
from .. import _dynamic as _dyn
from .. import _math as M
from .. import _tensor
from .._tensor import _execute, _op
from .base import (
    MULTI_OUTPUT,
    NON_DIFFERENTIABLE,
    RULES,
    _axis_of,
    _shape,
    _with_shape,
    rule,
    unbroadcast,
    zeros_like,
)


@rule("Identity")
def _identity(x, y, attrs, dy):
    return [None] if attrs.get("stop_gradient") else [dy]


@rule("Reshape")
def _reshape(x, y, attrs, dy):
    return [A.reshape(dy, _shape(x[0]))]


@rule("Transpose")
def _transpose(x, y, attrs, dy):
    perm = list(attrs["perm"])
    inverse = [0] * len(perm)
    for i, p in enumerate(perm):
        inverse[p] = i
    return [A.transpose(dy, inverse)]


@rule("BroadcastTo")
def _broadcast_to(x, y, attrs, dy):
    return [unbroadcast(dy, x[0])]


@rule("ConcatV2")
def _concat(x, y, attrs, dy):
    axis = _axis_of(attrs, len(x[0].shape))
    sizes = [t.shape[axis] for t in x]
    if None in sizes and _tensor._tracing:  # the sizes read at run time
        sizes = [(t, axis) if d is None else d for t, d in zip(x, sizes)]
        return list(_dyn.shaped_op_outputs("SplitV", [dy], {"axis": axis}, sizes, "size_splits"))
    return _execute("SplitV", [dy], {"size_splits": tuple(sizes), "axis": axis})


@rule("Split", "SplitV")
def _split(x, y, attrs, dy):
    parts = [zeros_like(o) if g is None else g for g, o in zip(dy, y)]
    axis = _axis_of(attrs, len(x[0].shape))
    return [_op("ConcatV2", parts, {"axis": axis}) if len(parts) > 1 else parts[0]]


@rule("Pack")
def _pack(x, y, attrs, dy):
    return _execute("Unpack", [dy], {"num": len(x), "axis": attrs.get("axis", 0)})


@rule("Unpack")
def _unpack(x, y, attrs, dy):
    parts = [zeros_like(o) if g is None else g for g, o in zip(dy, y)]
    return [_op("Pack", parts, {"N": len(parts), "axis": attrs.get("axis", 0)})]


MULTI_OUTPUT.add("Unpack")


@rule("Slice")
def _slice(x, y, attrs, dy):
    shape = x[0].shape.as_list()
    begin = [int(b) for b in attrs["begin"]]
    size = y[0].shape.as_list()
    if None in shape or None in size:  # padded back to x's shape, the "after"s at run time
        after = M.subtract(M.subtract(A.shape(x[0]), begin), A.shape(y[0]))
        pads = [e for i, b in enumerate(begin) for e in (b, after[i])]
        return [_dyn.shaped_op("Pad", [dy], {}, pads, "paddings")]
    pads = tuple((b, d - b - s) for b, d, s in zip(begin, shape, size))
    return [_op("Pad", [dy], {"paddings": pads})]


@rule("Pad")
def _pad(x, y, attrs, dy):
    begin = tuple(int(a) for a, _ in attrs["paddings"])
    return [_with_shape("Slice", [dy], {"begin": begin}, x[0], "size")]


@rule("MirrorPad")
def _mirror_pad(x, y, attrs, dy):
    """Each axis's borders fold back onto the entries they mirror: REFLECT's left border
    [a-1 .. 0] holds x[1 .. a], SYMMETRIC's x[0 .. a-1] (and likewise on the right)."""
    off = 1 if str(attrs["mode"]).upper() == "REFLECT" else 0
    pads = [(int(a), int(b)) for a, b in attrs["paddings"]]
    shape = list(dy.shape.as_list())
    g = dy
    for ax, ((a, b), d) in enumerate(zip(pads, x[0].shape.as_list())):
        if not (a or b):
            continue

        def part(start, size, g=g, ax=ax):
            begin = [0] * len(shape)
            sizes = list(shape)
            begin[ax], sizes[ax] = start, size
            return _op("Slice", [g], {"begin": tuple(begin), "size": tuple(sizes)})

        def placed(t, lo, hi, ax=ax):
            t = _op("ReverseV2", [t], {"axis": (ax,)})
            p = [(0, 0)] * len(shape)
            p[ax] = (lo, hi)
            return _op("Pad", [t], {"paddings": tuple(p)})

        out = part(a, d)
        if a:
            out = M.add(out, placed(part(0, a), off, d - off - a))
        if b:
            out = M.add(out, placed(part(a + d, b), d - off - b, off))
        g = out
        shape[ax] = d
    return [g]


@rule("StridedSlice")
def _strided_slice(x, y, attrs, dy):
    return [_with_shape("StridedSliceGrad", [dy], attrs, x[0])]


@rule("StridedSliceGrad")
def _strided_slice_grad(x, y, attrs, dy):
    return [_op("StridedSlice", [dy], {k: v for k, v in attrs.items() if k != "shape"})]


@rule("Tile")
def _tile(x, y, attrs, dy):
    shape = _shape(x[0])
    mult = [int(m) for m in attrs["multiples"]]
    split = [v for m, d in zip(mult, shape) for v in (m, d)]
    g = M.reduce_sum(A.reshape(dy, split), axis=list(range(0, 2 * len(shape), 2)))
    return [A.reshape(g, shape)]


@rule("ReverseV2")
def _reverse(x, y, attrs, dy):
    return [_op("ReverseV2", [dy], {"axis": attrs["axis"]})]


@rule("SumTo")
def _sum_to(x, y, attrs, dy):
    """A run-time broadcast's gradient (``_dynamic.sum_to``): back to ``g``'s shape."""
    return [_with_shape("BroadcastTo", [dy], {}, x[0]), None]


@rule("DynamicShape")
def _dynamic_shape(x, y, attrs, dy):
    """A kernel op whose shape attr was read at run time: that op's rule; none for the
    tensors the shape came from."""
    n, key = attrs["n"], attrs["key"]
    rest = [None] * (len(x) - n)
    if not n or attrs["op"] in NON_DIFFERENTIABLE:
        return [None] * len(x)
    if attrs["op"] == "Transpose" and any(
        type(it) is tuple and it[0] == "rev" for it in attrs["items"]
    ):
        return [A.transpose(dy)] + rest  # axes reversed at run time: its own inverse
    base = {k: v for k, v in attrs["base"] if k != key}
    if not any(type(it) is tuple and it[0] == "all" for it in attrs["items"]):
        # the attr with its run-time entries as None (Pad's rule reads its static "before"s)
        base[key] = _dyn.attr_of(key, [it if type(it) is int else None for it in attrs["items"]])
    return list(RULES[attrs["op"]](x[:n], y, base, dy)) + rest


MULTI_OUTPUT.update({"Unique", "UniqueWithCounts"})


NON_DIFFERENTIABLE.update({"Unique", "UniqueWithCounts", "DenseBincount", "LowerBound",
                           "UpperBound"})  # fmt: skip
