"""Random ops: stateful (seed, seed2 attrs) and stateless (a seed input: Philox key, counter)."""

from __future__ import annotations

import numpy as np

from ..runtime import errors
from ._base import (
    FLOATS,
    INT,
    OpDef,
    _fmt,
    _key_attr_dtype,
    _register,
    _require_dtype,
)
from .array import (
    _shape_attr_infer,
)

for _n in ("RandomUniform", "RandomStandardNormal", "TruncatedNormal"):
    _register(OpDef(_n, 0, _shape_attr_infer, FLOATS, key=_key_attr_dtype, doc="seed, seed2"))


def check_int_bounds(op, minval, maxval):
    """The integer ops' bounds (ints, or scalars read from the inputs when the op runs), with
    each op's TF message."""
    lo, hi = int(minval), int(maxval)
    if lo >= hi:
        got = ", got" if op.startswith("Stateless") else ":"
        raise errors.InvalidArgumentError(f"Need minval < maxval{got} {lo} >= {hi} [Op:{op}]")
    return lo, hi


def _random_int_infer(shapes, dts, attrs):
    op = "RandomUniformInt"
    lo, hi = check_int_bounds(op, attrs["minval"], attrs["maxval"])
    out = _shape_attr_infer(shapes, dts, attrs)
    info = np.iinfo(out[0][1]) if out[0][1] in INT else None
    if info is not None and (lo < info.min or hi > info.max):
        raise errors.InvalidArgumentError(
            f"minval {lo} or maxval {hi} out of range for {out[0][1].name} [Op:{op}]"
        )
    return out


_register(
    OpDef("RandomUniformInt", 0, _random_int_infer, INT, key=_key_attr_dtype,
          doc="shape, dtype, minval, maxval, seed, seed2: minval + bits % (maxval - minval)")
)  # fmt: skip


def stateless_seed(seed):
    """A stateless op's shape-[2] seed input (a host array) as the Philox (key, counter) pair."""
    s0, s1 = (int(v) for v in seed)
    return s0 & (2**64 - 1), s1 & (2**64 - 1)


def _check_seed(op, shapes, dts):
    """The seed input: int32 or int64 of shape [2] (a dim unknown while tracing passes)."""
    _require_dtype(op, dts, 0, INT, "seed")
    shape = shapes[0]
    if len(shape) != 1 or shape[0] not in (2, None):
        raise errors.InvalidArgumentError(f"seed must have shape [2], not {_fmt(shape)} [Op:{op}]")


def _stateless_infer(op):
    def infer(shapes, dts, attrs):
        _check_seed(op, shapes, dts)
        return _shape_attr_infer(shapes, dts, attrs)

    return infer


_STATELESS_DOC = (
    "input seed (int32 / int64, shape [2]: Philox key, counter); attrs shape, dtype: the same "
    "numbers for the same seed"
)
for _n in ("StatelessRandomUniformV2", "StatelessRandomNormalV2", "StatelessTruncatedNormalV2"):
    _register(OpDef(_n, 1, _stateless_infer(_n), FLOATS, key=_key_attr_dtype, doc=_STATELESS_DOC))


def _stateless_int_infer(shapes, dts, attrs):
    op = "StatelessRandomUniformIntV2"
    _check_seed(op, shapes, dts)
    out = _shape_attr_infer(shapes, dts, attrs)
    for i, what in ((1, "minval"), (2, "maxval")):
        _require_dtype(op, dts, i, (out[0][1],), what)
        if shapes[i] is not None and len(shapes[i]) != 0:
            raise errors.InvalidArgumentError(
                f"{what} must be 0-D, got shape {_fmt(shapes[i])} [Op:{op}]"
            )
    return out


_register(
    OpDef("StatelessRandomUniformIntV2", 3, _stateless_int_infer, INT, key=_key_attr_dtype,
          doc=_STATELESS_DOC + "; inputs minval, maxval (scalars of the dtype): minval + bits "
          "% (maxval - minval), as RandomUniformInt")
)  # fmt: skip
