"""CUDA reductions and ops along one axis: Sum ..., ArgMax / ArgMin, cumulative, TopKV2."""

from __future__ import annotations

import numpy as np

from ..runtime import errors
from ._cuda import (
    _SELECT_THREADS,
    MAX_BLOCKS,
    _copy_from_view,
    _launch,
    _num,
    _op_codes,
    c_strides,
    ptr,
)


def _normalize_axes(attrs, ndim):
    axes = attrs.get("axis")
    if axes is None:
        return list(range(ndim))
    if isinstance(axes, int | np.integer):
        axes = (axes,)
    return sorted({int(a) % ndim for a in axes}) if ndim else []


def reduce_layout(shape, axes):
    """``(outer, r, inner, perm)``: the input as (outer, r, inner) with r reduced; ``perm`` is
    the transpose that makes the reduced axes one block (None when they already are one).
    Size-1 dims are ignored."""
    axes = set(axes)
    live = [i for i, d in enumerate(shape) if d != 1]
    red = [i for i in live if i in axes]
    kept = [i for i in live if i not in axes]
    r = int(np.prod([shape[i] for i in red], dtype=np.int64))
    if not red:
        return int(np.prod(shape, dtype=np.int64)), 1, 1, None
    if red == live[live.index(red[0]) : live.index(red[0]) + len(red)]:
        outer = int(np.prod([shape[i] for i in live if i < red[0]], dtype=np.int64))
        inner = int(np.prod([shape[i] for i in live if i > red[-1]], dtype=np.int64))
        return outer, r, inner, None
    return int(np.prod([shape[i] for i in kept], dtype=np.int64)), r, 1, kept + red


def _transposed(dev, x, perm):
    """A contiguous copy of x transposed by perm."""
    shape = [x.shape[i] for i in perm]
    tmp = dev.allocate(tuple(shape), x.dtype)
    st = c_strides(x.shape)
    _copy_from_view(dev, x, shape, 0, [st[i] for i in perm], tmp)
    return tmp


def _reduce_into(dev, x, out, axes, code):
    outer, r, inner, perm = reduce_layout(x.shape, axes)
    if perm is not None:
        x = _transposed(dev, x, perm)
    typ = "u8" if x.dtype == np.bool_ else _num(x.dtype, "reduce")
    if inner == 1:
        grid = (min(max(outer, 1), MAX_BLOCKS), 1, 1)
        if outer == 0:
            return
        _launch(dev, "reduce", f"reduce_{typ}", [
            ptr(x), ptr(out), np.int64(outer), np.int64(r), np.int64(inner), np.int32(code),
        ], grid=grid)  # fmt: skip
    else:
        _launch(dev, "reduce", f"reduce_{typ}", [
            ptr(x), ptr(out), np.int64(outer), np.int64(r), np.int64(inner), np.int32(code),
        ], n=outer * inner)  # fmt: skip


def _reduce(code):
    def fn(dev, inputs, outputs, attrs):
        x = inputs[0]
        _reduce_into(dev, x, outputs[0], _normalize_axes(attrs, x.ndim), code)

    return fn


def _split_axis(shape, axis):
    outer = int(np.prod(shape[:axis], dtype=np.int64))
    inner = int(np.prod(shape[axis + 1 :], dtype=np.int64))
    return outer, shape[axis] if shape else 1, inner


def _arg(is_max):
    def fn(dev, inputs, outputs, attrs):
        x, out = inputs[0], outputs[0]
        axis = int(attrs.get("axis", 0)) % max(x.ndim, 1)
        outer, n, inner = _split_axis(x.shape, axis)
        _launch(dev, "reduce", f"arg_{_num(x.dtype, 'ArgMax')}_{_num(out.dtype, 'ArgMax')}", [
            ptr(x), ptr(out), np.int64(outer), np.int64(n), np.int64(inner), np.int32(is_max),
        ], n=out.size)  # fmt: skip

    return fn


def _cumulative(prod):
    def fn(dev, inputs, outputs, attrs):
        x, out = inputs[0], outputs[0]
        axis = int(attrs.get("axis", 0)) % max(x.ndim, 1)
        outer, n, inner = _split_axis(x.shape, axis)
        _launch(dev, "reduce", f"cumulative_{_num(x.dtype, 'Cumsum')}", [
            ptr(x), ptr(out), np.int64(outer), np.int64(n), np.int64(inner), np.int32(prod),
            np.int32(bool(attrs.get("exclusive", False))),
            np.int32(bool(attrs.get("reverse", False))),
        ], n=outer * inner)  # fmt: skip

    return fn


_TOPK_SHARED = 2048  # select.cu's TH_TOPK_SHARED: longest padded row sorted in shared memory
_TOPK_SCRATCH_BYTES = 1 << 28  # global scratch of the long-row path, at most


def top_k_plan(rows: int, n: int, itemsize: int) -> tuple[str, int, int]:
    """``(kernel, p, grid)`` for TopKV2 on ``rows`` rows of ``n``: rows padded to ``p`` (the
    next power of two), sorted in ``"shared"`` memory or, for longer rows, in a ``"global"``
    scratch of ``grid * p`` pairs; one block per row, ``grid`` blocks (grid-stride over rows)."""
    p = 1 << max(0, (n - 1).bit_length())
    if p <= _TOPK_SHARED:
        return "shared", p, max(1, min(rows, MAX_BLOCKS))
    per_block = p * (itemsize + 4)
    return "global", p, max(1, min(rows, MAX_BLOCKS, _TOPK_SCRATCH_BYTES // per_block))


def _top_k(dev, inputs, outputs, attrs):
    x = inputs[0]
    values, indices = outputs
    n, k = x.shape[-1], int(attrs["k"])
    rows = int(np.prod(x.shape[:-1], dtype=np.int64))
    if rows == 0 or k == 0:
        return
    if n > 2**31 - 1:
        raise errors.InvalidArgumentError(
            f"TopKV2: last dim {n} too large for int32 indices [Op:TopKV2]"
        )
    typ = _num(x.dtype, "TopKV2")
    kind, p, grid = top_k_plan(rows, n, x.dtype.itemsize)
    args = [ptr(x), ptr(values), ptr(indices), np.int64(rows), np.int64(n), np.int64(k),
            np.int64(p)]  # fmt: skip
    if kind == "global":
        scratch_v = dev.allocate((grid * p,), x.dtype)
        scratch_i = dev.allocate((grid * p,), np.int32)
        args += [ptr(scratch_v), ptr(scratch_i)]
    _launch(dev, "select", f"top_k_{kind}_{typ}", args, grid=(grid, 1, 1),
            block=(_SELECT_THREADS, 1, 1))  # fmt: skip


TABLE: dict = {  # op type -> fn(device, inputs, outputs, attrs)
    **{name: _reduce(code) for name, code in _op_codes()[4].items()},
    "ArgMax": _arg(1), "ArgMin": _arg(0), "Cumsum": _cumulative(0), "Cumprod": _cumulative(1),
    "TopKV2": _top_k,
}  # fmt: skip
