"""Random ops: stateful (seed, seed2) and stateless (Philox key and counter)."""

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
)
from .array import (
    _shape_attr_infer,
)

for _n in ("RandomUniform", "RandomStandardNormal", "TruncatedNormal"):
    _register(OpDef(_n, 0, _shape_attr_infer, FLOATS, key=_key_attr_dtype, doc="seed, seed2"))


def _random_int_infer(shapes, dts, attrs, op="RandomUniformInt"):
    lo, hi = int(attrs["minval"]), int(attrs["maxval"])
    if lo >= hi:
        raise errors.InvalidArgumentError(f"Need minval < maxval: {lo} >= {hi} [Op:{op}]")
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


def stateless_seed(op, attrs):
    """The stateless ops' shape-[2] seed as the Philox (key, counter) pair."""
    seed = [int(s) for s in np.asarray(attrs["seed"]).ravel()]
    if np.asarray(attrs["seed"]).shape != (2,):
        raise errors.InvalidArgumentError(
            f"seed must have shape [2], not {_fmt(np.asarray(attrs['seed']).shape)} [Op:{op}]"
        )
    return seed[0] & (2**64 - 1), seed[1] & (2**64 - 1)


def _stateless_infer(op):
    def infer(shapes, dts, attrs):
        stateless_seed(op, attrs)
        return _shape_attr_infer(shapes, dts, attrs)

    return infer


_STATELESS_DOC = "shape, dtype, seed (2 ints): the same numbers for the same seed"
for _n in ("StatelessRandomUniformV2", "StatelessRandomNormalV2", "StatelessTruncatedNormalV2"):
    _register(OpDef(_n, 0, _stateless_infer(_n), FLOATS, key=_key_attr_dtype, doc=_STATELESS_DOC))


def _stateless_int_infer(shapes, dts, attrs):
    op = "StatelessRandomUniformIntV2"
    stateless_seed(op, attrs)
    return _random_int_infer(shapes, dts, attrs, op)


_register(
    OpDef("StatelessRandomUniformIntV2", 0, _stateless_int_infer, INT, key=_key_attr_dtype,
          doc=_STATELESS_DOC + "; minval, maxval: minval + bits % (maxval - minval), as "
          "RandomUniformInt")
)  # fmt: skip
