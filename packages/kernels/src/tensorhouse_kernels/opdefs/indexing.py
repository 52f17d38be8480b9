"""Index-driven ops: gathers, scatters, UnsortedSegmentSum, OneHot, Where."""

from __future__ import annotations

import numpy as np

from ..runtime import errors
from ._base import (
    ALL,
    BOOL,
    INT,
    NUMERIC_U8,
    DTypeError,
    OpDef,
    _axis,
    _compatible,
    _fmt,
    _register,
    _require_dtype,
)

# ---- index-driven ops ----------------------------------------------------------------------


def _gather_infer(shapes, dts, attrs):
    op = "GatherV2"
    _require_dtype(op, dts, 1, INT)
    params, idx = tuple(shapes[0]), tuple(shapes[1])
    batch_dims = int(attrs.get("batch_dims", 0))
    if batch_dims != 0:
        raise errors.UnimplementedError(
            f"GatherV2 with batch_dims={batch_dims} is not supported (only 0) [Op:{op}]"
        )
    if not params:
        raise errors.InvalidArgumentError(f"params must be at least 1-D, got shape [] [Op:{op}]")
    axis = _axis(op, attrs.get("axis", 0), len(params))
    return [(params[:axis] + idx + params[axis + 1 :], dts[0])]


_register(OpDef("GatherV2", 2, _gather_infer, ALL, doc="params, indices; attrs: axis, batch_dims"))


def _gather_nd_infer(shapes, dts, attrs):
    op = "GatherNd"
    _require_dtype(op, dts, 1, INT)
    params, idx = tuple(shapes[0]), tuple(shapes[1])
    if not idx or idx[-1] is None:
        raise errors.InvalidArgumentError(
            f"indices must be at least 1-D with a known last dim, got shape {_fmt(idx)} [Op:{op}]"
        )
    k = idx[-1]
    if k > len(params):
        raise errors.InvalidArgumentError(
            "index innermost dimension length must be <= params rank; saw: "
            f"{k} vs. {len(params)} [Op:{op}]"
        )
    return [(idx[:-1] + params[k:], dts[0])]


_register(OpDef("GatherNd", 2, _gather_nd_infer, ALL, doc="params, indices"))


def _scatter_nd_infer(shapes, dts, attrs):
    op = "ScatterNd"
    _require_dtype(op, dts, 0, INT)
    shape = tuple(int(d) for d in attrs["shape"])
    if any(d < 0 for d in shape):
        raise errors.InvalidArgumentError(f"Dimensions must be >= 0, got shape {list(shape)}")
    _check_scatter_shapes(op, tuple(shapes[0]), tuple(shapes[1]), shape)
    return [(shape, dts[1])]


def _check_scatter_shapes(op, idx, upd, shape):
    """ScatterNd / TensorScatterUpdate: indices (batch..., k) address the first k dims of the
    output ``shape``, and updates must have shape batch + shape[k:]."""
    if not idx or idx[-1] is None:
        raise errors.InvalidArgumentError(
            f"indices must be at least 1-D with a known last dim, got shape {_fmt(idx)} [Op:{op}]"
        )
    k = idx[-1]
    if k > len(shape):
        raise errors.InvalidArgumentError(
            "index innermost dimension length must be <= output rank; saw: "
            f"{k} vs. {len(shape)} [Op:{op}]"
        )
    expect = idx[:-1] + shape[k:]
    if not _compatible(upd, expect):
        raise errors.InvalidArgumentError(
            f"updates must have shape {_fmt(expect)} (indices.shape[:-1] + shape[{k}:]) for "
            f"indices of shape {_fmt(idx)} and output shape {_fmt(shape)}, got {_fmt(upd)} "
            f"[Op:{op}]"
        )


_register(
    OpDef("ScatterNd", 2, _scatter_nd_infer, NUMERIC_U8 + (BOOL,), key=lambda dts, attrs: dts[1],
          doc="indices, updates; attrs: shape")
)  # fmt: skip


def _tensor_scatter_update_infer(shapes, dts, attrs):
    op = "TensorScatterUpdate"
    _require_dtype(op, dts, 1, INT)
    if dts[2] != dts[0]:
        raise DTypeError(
            f"cannot compute {op} as input #2(zero-based) was expected to be a {dts[0].name} "
            f"tensor but is a {dts[2].name} tensor [Op:{op}]"
        )
    shape = tuple(shapes[0])
    _check_scatter_shapes(op, tuple(shapes[1]), tuple(shapes[2]), shape)
    return [(shape, dts[0])]


_register(
    OpDef("TensorScatterUpdate", 3, _tensor_scatter_update_infer, ALL,
          doc="tensor, indices, updates: a copy of tensor with the slices at indices replaced "
          "(in index order: with duplicate indices the last update wins)")
)  # fmt: skip


def _unsorted_segment_infer(op):
    """The rule of the unsorted segment ops: ``(num_segments,) + data.shape[ids.ndim:]``."""

    def infer(shapes, dts, attrs):
        _require_dtype(op, dts, 1, INT)
        data, ids = tuple(shapes[0]), tuple(shapes[1])
        n = int(attrs["num_segments"])
        if n < 0:
            raise errors.InvalidArgumentError(
                f"Input num_segments == {n} must not be negative. [Op:{op}]"
            )
        if not _compatible(data[: len(ids)], ids):
            raise errors.InvalidArgumentError(
                f"data.shape = {_fmt(data)} does not start with segment_ids.shape = "
                f"{_fmt(ids)} [Op:{op}]"
            )
        return [((n,) + data[len(ids) :], dts[0])]

    return infer


_register(
    OpDef("UnsortedSegmentSum", 2, _unsorted_segment_infer("UnsortedSegmentSum"), NUMERIC_U8,
          doc="data, segment_ids; attrs: num_segments")
)  # fmt: skip


def _one_hot_infer(shapes, dts, attrs):
    op = "OneHot"
    idx = tuple(shapes[0])
    depth, axis = int(attrs["depth"]), int(attrs.get("axis", -1))
    if depth < 0:
        raise errors.InvalidArgumentError(f"depth must be non-negative, got: {depth} [Op:{op}]")
    rank = len(idx)
    if not -1 <= axis <= rank:
        raise errors.InvalidArgumentError(
            f"Expected axis to be -1 or between [0, {rank + 1}).  But received: {axis} [Op:{op}]"
        )
    dt = np.dtype(attrs.get("dtype", "float32"))
    if dt not in ALL:
        raise errors.UnimplementedError(f"OneHot to {dt.name} is not supported [Op:{op}]")
    pos = rank if axis == -1 else axis
    return [(idx[:pos] + (depth,) + idx[pos:], dt)]


_register(
    OpDef("OneHot", 1, _one_hot_infer, INT + (np.dtype("uint8"), np.dtype("int8")),
          doc="indices; attrs: depth, on_value, off_value, axis, dtype")
)  # fmt: skip


def _where_infer(shapes, dts, attrs):
    return [((None, len(shapes[0])), np.dtype("int64"))]


_register(OpDef("Where", 1, _where_infer, ALL, allocates=False, doc="int64 [num_true, rank]"))
