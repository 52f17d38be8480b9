"""CPU fused optimizer updates: every variable of a step in one C++ call (optim.cpp)."""

from __future__ import annotations

from .. import _cpu
from ..opdefs.optim import FUSED_APPLY
from ._base import FLOAT_NAMES, _register


def _fused_kernel(op_type):
    kind, scalars, slots_of, flags_of = FUSED_APPLY[op_type]
    ns = len(scalars)

    def kernel(inputs, outputs, attrs):
        n = int(attrs["n"])
        decay = attrs.get("decay")
        decay = [False] * n if decay is None else [bool(d) for d in decay]
        _cpu.fused_apply(kind, flags_of(attrs), inputs[:-ns], outputs, inputs[-ns:], decay)

    kernel.writes_in_place = True  # output j may be input j's buffer (optim.cpp)
    return kernel


def register():
    """Register the FusedApply* kernels (float32 and float64)."""
    for op_type in FUSED_APPLY:
        _register(op_type, _fused_kernel(op_type), FLOAT_NAMES)
