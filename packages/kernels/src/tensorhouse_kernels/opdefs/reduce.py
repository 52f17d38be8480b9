"""Reductions and ops along one axis: Sum ... Any, ArgMax / ArgMin, Cumsum / Cumprod, TopKV2."""

from __future__ import annotations

import numpy as np

from ..runtime import errors
from ._base import (
    BOOL,
    INT,
    NUMERIC,
    NUMERIC_U8,
    OpDef,
    _axis,
    _fmt,
    _register,
    _require_dtype,
    normalize_axes,
)


def _reduce(name, dtypes=NUMERIC):
    def infer(shapes, dts, attrs):
        if dtypes == (BOOL,):
            _require_dtype(name, dts, 0, dtypes)
        shape = shapes[0]
        axis = attrs.get("axis")
        if axis is None:  # every axis (the common eager call): no normalizing
            return [((1,) * len(shape) if attrs.get("keep_dims") else (), dts[0])]
        axes = normalize_axes(name, axis, len(shape))
        if attrs.get("keep_dims", False):
            out = tuple(1 if i in axes else d for i, d in enumerate(shape))
        else:
            out = tuple(d for i, d in enumerate(shape) if i not in axes)
        return [(out, dts[0])]

    return _register(OpDef(name, 1, infer, dtypes))


for _n in ("Sum", "Prod", "Max", "Min", "Mean"):
    _reduce(_n, NUMERIC_U8)
for _n in ("All", "Any"):
    _reduce(_n, (BOOL,))


# ---- ops along one axis ------------------------------------------------------------------------


def _arg_infer(name):
    def infer(shapes, dts, attrs):
        shape = tuple(shapes[0])
        axis = _axis(name, attrs.get("axis", 0), len(shape), "dimension")
        if shape[axis] == 0:
            raise errors.InvalidArgumentError(
                f"Reduction axis {axis} is empty in shape {_fmt(shape)} [Op:{name}]"
            )
        out_type = np.dtype(attrs.get("output_type", "int64"))
        if out_type not in INT:
            raise errors.InvalidArgumentError(
                f"output_type must be int32 or int64, got {out_type.name} [Op:{name}]"
            )
        return [(shape[:axis] + shape[axis + 1 :], out_type)]

    return _register(OpDef(name, 1, infer, NUMERIC_U8 + (BOOL,), doc="attrs: axis, output_type"))


def _cumulative_infer(name):
    def infer(shapes, dts, attrs):
        shape = tuple(shapes[0])
        _axis(name, attrs.get("axis", 0), len(shape))
        return [(shape, dts[0])]

    return _register(OpDef(name, 1, infer, NUMERIC_U8, doc="attrs: axis, exclusive, reverse"))


for _n in ("ArgMax", "ArgMin"):
    _arg_infer(_n)
for _n in ("Cumsum", "Cumprod"):
    _cumulative_infer(_n)


def _top_k_infer(shapes, dts, attrs):
    op = "TopKV2"
    shape, k = tuple(shapes[0]), int(attrs["k"])
    if k < 0:
        raise errors.InvalidArgumentError(f"Need k >= 0, got {k} [Op:{op}]")
    if not shape:
        raise errors.InvalidArgumentError(
            f"input must be >= 1-D, got shape {_fmt(shape)} [Op:{op}]"
        )
    if shape[-1] is not None and shape[-1] < k:
        raise errors.InvalidArgumentError(
            f"input must have at least k columns. Had {shape[-1]}, needed {k} [Op:{op}]"
        )
    out = shape[:-1] + (k,)
    return [(out, dts[0]), (out, np.dtype("int32"))]


_register(OpDef("TopKV2", 1, _top_k_infer, NUMERIC_U8, doc="attrs: k, sorted"))
