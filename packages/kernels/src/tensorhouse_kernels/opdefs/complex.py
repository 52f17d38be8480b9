"""Complex dtypes: the ops that take complex64 / complex128, Complex / Real / ..., the FFTs."""

from __future__ import annotations

import numpy as np

from ..runtime import errors

# the definitions this module extends (strings first: object before complex, as TF lists them)
from . import array, elementwise, indexing, linalg, reduce, strings  # noqa: F401
from ._base import (
    _OPS,
    ALL,
    FLOAT,
    OpDef,
    _fmt,
    _register,
    _require_dtype,
    _same_dtypes,
    broadcast_shape,
)

# ---- complex dtypes (complex64, complex128) ------------------------------------------------------
# The ops TF's CPU kernels run on complex too (arithmetic, sums, products of matrices, data
# movement), and the complex-only ones: Complex, Real, Imag, Conj, ComplexAbs, Angle and the
# Fourier transforms over the innermost 1, 2 or 3 dims.
COMPLEX = (np.dtype("complex64"), np.dtype("complex128"))
_REAL_OF = {COMPLEX[0]: FLOAT[0], COMPLEX[1]: FLOAT[1]}
_COMPLEX_OF = {r: c for c, r in _REAL_OF.items()}
COMPLEX_OPS = (
    "Neg", "Square", "Sqrt", "Rsqrt", "Exp", "Log", "Reciprocal", "Sign", "Sin", "Cos", "Tanh",
    "Tan", "Sinh", "Cosh", "Asin", "Acos", "Atan", "Asinh", "Acosh", "Atanh", "Sigmoid",
    "Expm1", "Log1p",
    "AddV2", "Sub", "Mul", "RealDiv", "Pow", "Equal", "NotEqual", "Sum", "Mean", "Prod",
    "Cumsum",
    "MatMul", "BatchMatMulV2", "Transpose", "Reshape", "BroadcastTo", "Identity", "Cast", "Fill",
    "SelectV2", "ConcatV2", "Split", "SplitV", "Slice", "StridedSlice", "StridedSliceGrad",
    "Pad", "Tile", "ReverseV2", "GatherV2", "GatherNd", "ScatterNd", "TensorScatterUpdate",
    "UnsortedSegmentSum",
)  # fmt: skip
for _n in COMPLEX_OPS:
    _OPS[_n].dtypes = _OPS[_n].dtypes + COMPLEX
CAST_TYPES = ALL + COMPLEX  # Cast's dtypes, complex included (as its op definition's)


def real_dtype(dt):
    """float32 for complex64, float64 for complex128; a real dtype as it is."""
    return _REAL_OF.get(np.dtype(dt), np.dtype(dt))


def _complex_infer(shapes, dts, attrs):
    op = "Complex"
    dt = _same_dtypes(op, dts)
    _require_dtype(op, dts, 0, FLOAT)
    return [(broadcast_shape(op, tuple(shapes[0]), tuple(shapes[1])), _COMPLEX_OF[dt])]


def _to_real_infer(op):
    def infer(shapes, dts, attrs):
        _require_dtype(op, dts, 0, COMPLEX)
        return [(tuple(shapes[0]), _REAL_OF[dts[0]])]

    return infer


def _conj_infer(shapes, dts, attrs):
    _require_dtype("Conj", dts, 0, COMPLEX)
    return [(tuple(shapes[0]), dts[0])]


_register(OpDef("Complex", 2, _complex_infer, FLOAT, doc="real, imag (broadcast) -> complex"))
for _n in ("Real", "Imag", "ComplexAbs", "Angle"):
    _register(OpDef(_n, 1, _to_real_infer(_n), COMPLEX, doc="complex -> its real dtype"))
_register(OpDef("Conj", 1, _conj_infer, COMPLEX))


def fft_rank(op):
    """The number of innermost dims an FFT op transforms (FFT: 1, RFFT2D: 2, IFFT3D: 3)."""
    return int(op[-2]) if op.endswith("D") else 1


def _check_fft_rank(op, shape):
    rank = fft_rank(op)
    if len(shape) < rank:
        raise errors.InvalidArgumentError(
            f"Input must have rank of at least {rank} but got: {_fmt(shape)} [Op:{op}]"
        )
    return rank


def fft_lengths(op, attrs, rank):
    """RFFT / IRFFT's ``fft_length`` attr: ``rank`` non-negative ints."""
    lengths = [int(v) for v in np.asarray(attrs["fft_length"]).reshape(-1)]
    if len(lengths) != rank or any(v < 0 for v in lengths):
        raise errors.InvalidArgumentError(
            f"fft_length must be {rank} non-negative values, got {lengths} [Op:{op}]"
        )
    return lengths


def _fft_infer(op):
    def infer(shapes, dts, attrs):
        _require_dtype(op, dts, 0, COMPLEX)
        _check_fft_rank(op, tuple(shapes[0]))
        return [(tuple(shapes[0]), dts[0])]

    return infer


def _rfft_infer(op):
    def infer(shapes, dts, attrs):
        _require_dtype(op, dts, 0, FLOAT)
        shape = tuple(shapes[0])
        lengths = fft_lengths(op, attrs, _check_fft_rank(op, shape))
        inner = lengths[:-1] + [lengths[-1] // 2 + 1 if lengths[-1] else 0]
        return [(shape[: len(shape) - len(inner)] + tuple(inner), _COMPLEX_OF[dts[0]])]

    return infer


def _irfft_infer(op):
    def infer(shapes, dts, attrs):
        _require_dtype(op, dts, 0, COMPLEX)
        shape = tuple(shapes[0])
        lengths = fft_lengths(op, attrs, _check_fft_rank(op, shape))
        return [(shape[: len(shape) - len(lengths)] + tuple(lengths), _REAL_OF[dts[0]])]

    return infer


FFT_OPS = ("FFT", "IFFT", "FFT2D", "IFFT2D", "FFT3D", "IFFT3D")
RFFT_OPS = ("RFFT", "RFFT2D", "RFFT3D")
IRFFT_OPS = ("IRFFT", "IRFFT2D", "IRFFT3D")
for _n in FFT_OPS:
    _register(OpDef(_n, 1, _fft_infer(_n), COMPLEX, doc="over the innermost dims"))
for _n in RFFT_OPS:
    _register(OpDef(_n, 1, _rfft_infer(_n), FLOAT, doc="attrs: fft_length (cropped / padded)"))
for _n in IRFFT_OPS:
    _register(OpDef(_n, 1, _irfft_infer(_n), COMPLEX, doc="attrs: fft_length (real output)"))
