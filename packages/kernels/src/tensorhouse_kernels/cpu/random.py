"""CPU random kernels: stateful and stateless (Philox), as TF's CPU streams."""

from __future__ import annotations

from .. import _cpu
from ..opdefs import check_int_bounds, stateless_seed
from ._base import FLOAT_NAMES, _in_float32, _register


def _random_kernel(kind):
    def kernel(inputs, outputs, attrs):
        _cpu.random_fill(kind, outputs[0], int(attrs["seed"]), int(attrs["seed2"]))

    return kernel


def _random_int(inputs, outputs, attrs):
    _cpu.random_int(
        outputs[0], int(attrs["minval"]), int(attrs["maxval"]),
        int(attrs["seed"]), int(attrs["seed2"]),
    )  # fmt: skip


def _stateless_int(inputs, outputs, attrs):
    seed, minval, maxval = inputs
    lo, hi = check_int_bounds("StatelessRandomUniformIntV2", minval, maxval)
    _cpu.random_int(outputs[0], lo, hi, *stateless_seed(seed))


def _truncated_normal(inputs, outputs, attrs):
    _cpu.truncated_normal(outputs[0], int(attrs["seed"]), int(attrs["seed2"]))


def _stateless_kernel(kind):
    """The stateless ops: seed input [0] is the Philox key, [1] the counter's upper half."""

    def kernel(inputs, outputs, attrs):
        key, counter = stateless_seed(inputs[0])
        if kind == 2:
            _cpu.truncated_normal(outputs[0], key, counter)
        else:
            _cpu.random_fill(kind, outputs[0], key, counter)

    return kernel


def register():
    """Register the random kernels."""
    _register("RandomUniform", _random_kernel(0), FLOAT_NAMES, half=_in_float32)
    _register("RandomStandardNormal", _random_kernel(1), FLOAT_NAMES, half=_in_float32)
    _register("TruncatedNormal", _truncated_normal, FLOAT_NAMES, half=_in_float32)
    _register("RandomUniformInt", _random_int, ("int32", "int64"))
    for kind, name in enumerate(
        ("StatelessRandomUniformV2", "StatelessRandomNormalV2", "StatelessTruncatedNormalV2")
    ):
        _register(name, _stateless_kernel(kind), FLOAT_NAMES, half=_in_float32)
    _register("StatelessRandomUniformIntV2", _stateless_int, ("int32", "int64"))
