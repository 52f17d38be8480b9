"""CUDA random kernels: the CPU's Philox streams, stateful and stateless."""

from __future__ import annotations

import numpy as np

from ..opdefs import stateless_seed
from ..runtime import errors
from ._cuda import (
    _launch,
    _num,
    ptr,
)


def _random(kind):
    def fn(dev, inputs, outputs, attrs):
        out = outputs[0]
        seed, seed2 = int(attrs["seed"]) & (2**64 - 1), int(attrs["seed2"]) & (2**64 - 1)
        _random_fill(dev, out, kind, seed, seed2)

    return fn


def _random_fill(dev, out, kind, seed, seed2):
    typ = _num(out.dtype, "Random")
    per = 4 if typ == "f32" else 2
    n = out.size
    if kind == 2:
        _launch(dev, "random", f"truncated_{typ}",
                [ptr(out), np.int64(n), np.uint64(seed), np.uint64(seed2)], n=n)  # fmt: skip
    else:
        _launch(dev, "random", f"random_{typ}", [
            ptr(out), np.int64(n), np.uint64(seed), np.uint64(seed2), np.int32(kind),
        ], n=-(-n // per))  # fmt: skip


def _random_int(dev, inputs, outputs, attrs):
    _random_int_launch(dev, outputs[0], "RandomUniformInt", attrs, int(attrs["seed"]),
                       int(attrs["seed2"]))  # fmt: skip


def _stateless_int(dev, inputs, outputs, attrs):
    key, counter = stateless_seed("StatelessRandomUniformIntV2", attrs)
    _random_int_launch(dev, outputs[0], "StatelessRandomUniformIntV2", attrs, key, counter)


def _random_int_launch(dev, out, op, attrs, key, counter):
    """``minval + bits % (maxval - minval)`` from Philox (key, counter): 4 int32s or 2 int64s
    a block."""
    lo, hi = int(attrs["minval"]), int(attrs["maxval"])
    if lo >= hi:
        raise errors.InvalidArgumentError(f"Need minval < maxval: {lo} >= {hi} [Op:{op}]")
    typ = _num(out.dtype, op)
    per = 4 if typ == "i32" else 2
    _launch(dev, "random", f"random_int_{typ}", [
        ptr(out), np.int64(out.size), np.int64(lo), np.int64(hi),
        np.uint64(key & (2**64 - 1)), np.uint64(counter & (2**64 - 1)),
    ], n=-(-out.size // per))  # fmt: skip


def _stateless(op, kind):
    def fn(dev, inputs, outputs, attrs):
        key, counter = stateless_seed(op, attrs)
        _random_fill(dev, outputs[0], kind, key, counter)

    return fn


TABLE: dict = {  # op type -> fn(device, inputs, outputs, attrs)
    "RandomUniform": _random(0), "RandomStandardNormal": _random(1),
    "TruncatedNormal": _random(2), "RandomUniformInt": _random_int,
    "StatelessRandomUniformV2": _stateless("StatelessRandomUniformV2", 0),
    "StatelessRandomNormalV2": _stateless("StatelessRandomNormalV2", 1),
    "StatelessTruncatedNormalV2": _stateless("StatelessTruncatedNormalV2", 2),
    "StatelessRandomUniformIntV2": _stateless_int,
}  # fmt: skip
