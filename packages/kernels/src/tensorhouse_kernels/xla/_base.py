"""Scalar conversions as the C++ kernels do them (host side, on attrs)."""

from __future__ import annotations

import math

import numpy as np

# ---- scalar conversions as the C++ kernels do them (host side, on attrs) ---------------------


def _convert_scalar(value, dtype):
    """C++ ``convert<T, double>``: bool is != 0, float to int saturates and NaN gives 0."""
    dtype = np.dtype(dtype)
    if dtype.kind == "c":
        return dtype.type(complex(value))
    v = float(value)
    if dtype == np.bool_:
        return np.bool_(v != 0)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        if math.isnan(v):
            return dtype.type(0)
        if v <= float(info.min):
            return dtype.type(info.min)
        if v >= float(info.max):
            return dtype.type(info.max)
        return dtype.type(int(v))
    return dtype.type(v)


def _static_cast(value, dtype):
    """C++ ``static_cast<T>(double)`` (OneHot's on / off values): truncation for ints."""
    dtype = np.dtype(dtype)
    v = float(value)
    if dtype == np.bool_:
        return np.bool_(v != 0)
    if dtype.kind in "iu":  # out of range is undefined in C++; this wraps, as x86 does
        return np.array(0 if math.isnan(v) else int(v)).astype(dtype)[()]
    return dtype.type(v)


def _is_16bit_float(dtype):
    return dtype.itemsize == 2 and dtype.kind in "fV"
