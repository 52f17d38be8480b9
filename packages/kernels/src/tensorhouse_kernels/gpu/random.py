"""CUDA random kernels: the CPU's Philox streams, stateful and stateless."""

from __future__ import annotations

import numpy as np

from ..opdefs import check_int_bounds, stateless_seed
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
    lo, hi = check_int_bounds("RandomUniformInt", attrs["minval"], attrs["maxval"])
    _random_int_launch(dev, outputs[0], "RandomUniformInt", lo, hi, int(attrs["seed"]),
                       int(attrs["seed2"]))  # fmt: skip


def _stateless_int(dev, inputs, outputs, attrs):
    op = "StatelessRandomUniformIntV2"
    seed, lo, hi = (x.get() for x in inputs)  # read back to the host
    _random_int_launch(dev, outputs[0], op, *check_int_bounds(op, lo, hi), *stateless_seed(seed))


def _random_int_launch(dev, out, op, lo, hi, key, counter):
    """``minval + bits % (maxval - minval)`` from Philox (key, counter): 4 int32s or 2 int64s
    a block."""
    typ = _num(out.dtype, op)
    per = 4 if typ == "i32" else 2
    _launch(dev, "random", f"random_int_{typ}", [
        ptr(out), np.int64(out.size), np.int64(lo), np.int64(hi),
        np.uint64(key & (2**64 - 1)), np.uint64(counter & (2**64 - 1)),
    ], n=-(-out.size // per))  # fmt: skip


def _stateless(kind):
    def fn(dev, inputs, outputs, attrs):
        key, counter = stateless_seed(inputs[0].get())  # the seed, read back to the host
        _random_fill(dev, outputs[0], kind, key, counter)

    return fn


TABLE: dict = {  # op type -> fn(device, inputs, outputs, attrs)
    "RandomUniform": _random(0), "RandomStandardNormal": _random(1),
    "TruncatedNormal": _random(2), "RandomUniformInt": _random_int,
    "StatelessRandomUniformV2": _stateless(0),
    "StatelessRandomNormalV2": _stateless(1),
    "StatelessTruncatedNormalV2": _stateless(2),
    "StatelessRandomUniformIntV2": _stateless_int,
}  # fmt: skip
