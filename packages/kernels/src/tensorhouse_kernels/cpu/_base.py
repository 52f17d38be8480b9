"""What every CPU family module shares: registration, and 16-bit / bool / complex wrappers."""

from __future__ import annotations

import numpy as np

from .. import _cpu
from ..opdefs import ALL, FLOAT16, get_op_def
from ..runtime import register_kernel

_NUMERIC_CPP = ("float32", "float64", "int32", "int64", "uint8", "int8", "int16")
_SOURCE = "tensorhouse_kernels.cpu"  # every family registers under this name
FLOAT_NAMES = ("float32", "float64")
ALL_NAMES = tuple(d.name for d in ALL)  # every dtype the structural kernels move


_ALLOWED: dict = {}  # a tuple of dtype names -> their set of np.dtype (built once per tuple)


def _dtypes(op_type, supported=_NUMERIC_CPP):
    key = tuple(supported)
    allowed = _ALLOWED.get(key)
    if allowed is None:
        allowed = _ALLOWED[key] = {np.dtype(d) for d in key}
    return [d for d in get_op_def(op_type).dtypes if d in allowed]


def _register(op_type, fn, supported=_NUMERIC_CPP, half=None):
    """``fn`` for the op's dtypes in ``supported``; ``half(fn)`` for its 16-bit float ones."""
    native = _dtypes(op_type, supported)
    if half is not None:
        native = [d for d in native if d not in FLOAT16]
    register_kernel(op_type, "CPU", native, source=_SOURCE)(fn)
    if half is not None:
        halves = [d for d in get_op_def(op_type).dtypes if d in FLOAT16]
        register_kernel(op_type, "CPU", halves, source=_SOURCE)(half(fn))


# ---- 16-bit floats and bool through the kernels of other dtypes ----------------------------


def _widen(x):
    """A float32 copy of a float16 / bfloat16 array; other arrays as they are."""
    code = _storage16(x.dtype)
    if not code:
        return x
    wide = np.empty(x.shape, np.float32)
    _cpu.cast16(x, wide, code, 0)
    return wide


def _in_float32(kernel):
    """``kernel`` computing 16-bit floats in float32, each result rounded back (as TF's CPU
    kernels for float16 and bfloat16: Eigen converts, computes in float, rounds)."""

    def run(inputs, outputs, attrs):
        ins = [_widen(x) for x in inputs]
        if outputs and outputs[0] is None:  # empty slots (Where): the kernel sets them
            kernel(ins, outputs, attrs)
            return
        outs = [np.empty(o.shape, np.float32) if _storage16(o.dtype) else o for o in outputs]
        kernel(ins, outs, attrs)
        for out, wide in zip(outputs, outs):
            if wide is not out:
                _cpu.cast16(wide, out, 0, _storage16(out.dtype))

    return run


def _as_bits(kernel, value_attr=None):
    """``kernel`` moving 16-bit floats as int16 bit patterns (copies, gathers, pads); the
    scalar attr ``value_attr`` (a fill value) becomes the pattern of the output's dtype."""

    def bits(a):
        return a.view(np.int16) if _storage16(a.dtype) else a

    def run(inputs, outputs, attrs):
        if value_attr is not None and outputs and _storage16(outputs[0].dtype):
            value = np.asarray(attrs.get(value_attr, 0), outputs[0].dtype)
            attrs = {**attrs, value_attr: int(value.view(np.int16))}
        kernel([bits(x) for x in inputs], [bits(o) for o in outputs], attrs)

    return run


def _bool_as_uint8(kernel):
    """``kernel`` reading bool inputs as uint8 0 / 1 (Equal, NotEqual, ArgMax on bool)."""

    def run(inputs, outputs, attrs):
        kernel([x.view(np.uint8) for x in inputs], outputs, attrs)

    return run


def _storage16(dtype):
    """0: a native type; 1: float16; 2: bfloat16 (the C++ kernel converts the bits)."""
    if dtype.itemsize != 2:
        return 0
    return 1 if dtype == np.float16 else 2 if dtype.name == "bfloat16" else 0


# ---- complex64 / complex128 ------------------------------------------------------------------
# Arithmetic, the complex-only ops and the transforms run the C++ complex kernels (complex.cpp,
# fft.cpp); the linear ops (data movement, sums, fills) run the real kernels once per plane.


def _real_of(dtype):
    return np.dtype(np.float32) if dtype.itemsize == 8 else np.dtype(np.float64)


def _split_planes(x):
    re = np.empty(x.shape, _real_of(x.dtype))
    im = np.empty(x.shape, re.dtype)
    _cpu.complex_split(x, re, im)
    return re, im
