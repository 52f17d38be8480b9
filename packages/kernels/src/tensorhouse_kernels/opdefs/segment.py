"""Segments, distinct values, counts and sorted search."""

from __future__ import annotations

import numpy as np

from ..runtime import errors
from ._base import (
    BOOL,
    FLOAT,
    INT,
    NUMERIC,
    NUMERIC_U8,
    OpDef,
    _compatible,
    _fmt,
    _merge,
    _register,
    _require_dtype,
    _same_dtypes,
)
from .indexing import _unsorted_segment_infer
from .linalg import (
    _index_type,
)

# ---- segments, distinct values, counts, sorted search -----------------------------------------


def _sorted_segment_infer(op):
    def infer(shapes, dts, attrs):
        _require_dtype(op, dts, 1, INT)
        data, ids = tuple(shapes[0]), tuple(shapes[1])
        if len(ids) != 1:
            raise errors.InvalidArgumentError(
                f"segment_ids should be a vector, got shape {_fmt(ids)} [Op:{op}]"
            )
        if not data or not _compatible(data[:1], ids):
            raise errors.InvalidArgumentError(
                f"segment_ids should be the same size as dimension 0 of input. [Op:{op}]"
            )
        return [((None,) + data[1:], dts[0])]

    return infer


for _n in ("UnsortedSegmentMax", "UnsortedSegmentMin", "UnsortedSegmentProd"):
    _register(OpDef(_n, 2, _unsorted_segment_infer(_n), NUMERIC_U8,
                    doc="data, segment_ids; attrs: num_segments (an empty segment holds the "
                    "identity: lowest, highest or 1)"))  # fmt: skip
for _n in ("SegmentSum", "SegmentMean", "SegmentMax", "SegmentMin", "SegmentProd"):
    _register(
        OpDef(
            _n,
            2,
            _sorted_segment_infer(_n),
            NUMERIC_U8,
            allocates=False,
            doc="data, sorted segment_ids: ids[-1] + 1 rows (a missing id: 0, Prod 1)",
        )
    )


def _unique_infer(op, outputs):
    def infer(shapes, dts, attrs):
        x = tuple(shapes[0])
        if len(x) != 1:
            raise errors.InvalidArgumentError(f"unique expects a 1D vector. [Op:{op}]")
        idx = _index_type(op, attrs, "out_idx")
        return [((None,), dts[0]), (x, idx), ((None,), idx)][:outputs]

    return infer


_register(OpDef("Unique", 1, _unique_infer("Unique", 2), NUMERIC_U8 + (BOOL,), allocates=False,
                doc="y (first appearances), idx; attrs: out_idx"))  # fmt: skip
_register(OpDef("UniqueWithCounts", 1, _unique_infer("UniqueWithCounts", 3),
                NUMERIC_U8 + (BOOL,), allocates=False,
                doc="y, idx, count; attrs: out_idx"))  # fmt: skip


def _bincount_infer(shapes, dts, attrs):
    op = "DenseBincount"
    _require_dtype(op, dts, 0, INT)
    arr, size, w = tuple(shapes[0]), tuple(shapes[1]), tuple(shapes[2])
    if len(arr) > 2:
        raise errors.InvalidArgumentError(
            f"Input must be at most 2-D, got shape {_fmt(arr)} [Op:{op}]"
        )
    if size != ():
        raise errors.InvalidArgumentError(f"size must be a scalar, got {_fmt(size)} [Op:{op}]")
    if w != (0,) and not _compatible(w, arr):
        raise errors.InvalidArgumentError(
            f"Input must have the same shape as weights or weights must have 0 elements: "
            f"input {_fmt(arr)}, weights {_fmt(w)} [Op:{op}]"
        )
    if dts[2] not in (np.dtype("int32"), np.dtype("int64")) + FLOAT:
        raise errors.InvalidArgumentError(
            f"weights must be int32, int64, float32 or float64, got {dts[2].name} [Op:{op}]"
        )
    return [(arr[:-1] + (None,), dts[2])]


_register(
    OpDef(
        "DenseBincount",
        3,
        _bincount_infer,
        INT,
        allocates=False,
        doc="arr [n] or [rows, n], size (scalar), weights (arr's shape or [0]): the "
        "counts [size] or [rows, size] in weights' dtype; attrs: binary_output",
    )
)


def _bound_infer(op):
    def infer(shapes, dts, attrs):
        _same_dtypes(op, dts)
        s, v = tuple(shapes[0]), tuple(shapes[1])
        if len(s) != 2 or len(v) != 2 or not _compatible(s[:1], v[:1]):
            raise errors.InvalidArgumentError(
                f"Leading dim_size of both tensors must match: sorted_inputs {_fmt(s)}, "
                f"values {_fmt(v)} [Op:{op}]"
            )
        out = np.dtype(attrs.get("out_type", "int32"))
        if out not in INT:
            raise errors.InvalidArgumentError(
                f"out_type must be int32 or int64, got {out.name} [Op:{op}]"
            )
        return [(_merge(v[:1], s[:1]) + v[1:], out)]

    return infer


for _n in ("LowerBound", "UpperBound"):
    _register(
        OpDef(
            _n,
            2,
            _bound_infer(_n),
            NUMERIC,
            doc="sorted_inputs [B, N], values [B, M] -> [B, M]; attrs: out_type",
        )
    )
