"""The rest of Keras 3's ``keras.ops.numpy``: inverse trigonometry, bitwise functions, NaN-aware
reductions, windows and a few shape helpers, with the dtypes Keras's TF backend gives them."""

from __future__ import annotations

import numpy as np

import tensorhouse_ops as tops

from . import config
from ._dtypes import dtype_of, promote, result_type, to_float, to_tensor
from ._numpy import argmax, argmin, cumprod, cumsum, moveaxis, nan_to_num, prod, split
from ._numpy_more import logspace, nanmean

_t = to_tensor


def _unary(op, doc):
    def f(x):
        return op(to_float(x))

    f.__doc__ = f"The elementwise {doc} (integers and booleans in floatx)."
    return f


arccos = _unary(tops.acos, "inverse cosine")
arccosh = _unary(tops.acosh, "inverse hyperbolic cosine")
arcsin = _unary(tops.asin, "inverse sine")
arcsinh = _unary(tops.asinh, "inverse hyperbolic sine")
arctan = _unary(tops.atan, "inverse tangent")
arctanh = _unary(tops.atanh, "inverse hyperbolic tangent")
for _name in ("arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctanh"):
    globals()[_name].__name__ = globals()[_name].__qualname__ = _name


def arctan2(x1, x2):
    """The angle of ``(x2, x1)``, in the promoted float dtype."""
    x1, x2 = promote(x1, x2, dtype=result_type(dtype_of(x1), dtype_of(x2), float))
    return tops.atan2(x1, x2)


def angle(x):
    """The complex argument (0 or pi for reals)."""
    return tops.math.angle(to_float(x))


def isreal(x):
    """True where the imaginary part is 0 (everywhere for real dtypes)."""
    x = _t(x)
    if x.dtype.is_complex:
        return tops.equal(tops.math.imag(x), tops.zeros([], x.dtype.real_dtype))
    return tops.ones_like(x, dtype="bool")


# ---------------------------------------------------------------- bitwise
def bitwise_and(x, y):
    """Bitwise AND in the promoted integer dtype."""
    return tops.bitwise.bitwise_and(*promote(x, y))


def bitwise_or(x, y):
    """Bitwise OR in the promoted integer dtype."""
    return tops.bitwise.bitwise_or(*promote(x, y))


def bitwise_xor(x, y):
    """Bitwise XOR in the promoted integer dtype."""
    return tops.bitwise.bitwise_xor(*promote(x, y))


def bitwise_invert(x):
    """Bitwise NOT."""
    return tops.bitwise.invert(_t(x))


def bitwise_not(x):
    """Bitwise NOT (``bitwise_invert``)."""
    return bitwise_invert(x)


def _shift_args(x, y):
    x = _t(x)
    return (x, _t(y, x.dtype)) if isinstance(y, int) else tuple(promote(x, y))


def bitwise_left_shift(x, y):
    """``x << y``; a Python int ``y`` takes ``x``'s dtype."""
    return tops.bitwise.left_shift(*_shift_args(x, y))


def left_shift(x, y):
    """``x << y`` (``bitwise_left_shift``)."""
    return bitwise_left_shift(x, y)


def bitwise_right_shift(x, y):
    """``x >> y``; a Python int ``y`` takes ``x``'s dtype."""
    return tops.bitwise.right_shift(*_shift_args(x, y))


def right_shift(x, y):
    """``x >> y`` (``bitwise_right_shift``)."""
    return bitwise_right_shift(x, y)


# ---------------------------------------------------------------- NaN-aware and float helpers
def _fpick(op, x1, x2):
    x1, x2 = promote(x1, x2)
    out = op(x1, x2)
    if not x1.dtype.is_floating:
        return out
    nan1, nan2 = tops.math.is_nan(x1), tops.math.is_nan(x2)
    out = tops.where(tops.logical_and(nan1, tops.logical_not(nan2)), x2, out)
    return tops.where(tops.logical_and(nan2, tops.logical_not(nan1)), x1, out)


def fmax(x1, x2):
    """The elementwise maximum, ignoring a NaN on one side."""
    return _fpick(tops.maximum, x1, x2)


def fmin(x1, x2):
    """The elementwise minimum, ignoring a NaN on one side."""
    return _fpick(tops.minimum, x1, x2)


def ldexp(x1, x2):
    """``x1 * 2 ** x2`` (``x2`` an integer tensor), in the promoted float dtype."""
    x1, x2 = _t(x1), _t(x2)
    if not x2.dtype.is_integer:
        raise TypeError(f"ldexp exponent must be an integer type. Received: x2 dtype={x2.dtype}")
    x1 = tops.cast(x1, result_type(x1.dtype.name, x2.dtype.name, float))
    out = x1 * tops.pow(_t(2.0, x1.dtype), tops.cast(x2, x1.dtype))
    keep = tops.logical_or(tops.math.is_inf(x1), tops.equal(x1, tops.zeros_like(x1)))
    return tops.where(keep, x1, out)


def nanprod(x, axis=None, keepdims=False):
    """``prod`` with NaNs counted as 1."""
    x = _t(x)
    if x.dtype.is_floating:
        x = tops.where(tops.math.is_nan(x), tops.ones_like(x), x)
    return prod(x, axis=axis, keepdims=keepdims)


def nancumsum(x, axis=None, dtype=None):
    """``cumsum`` with NaNs counted as 0."""
    return cumsum(nan_to_num(x), axis=axis, dtype=dtype)


def nancumprod(x, axis=None, dtype=None):
    """``cumprod`` with NaNs counted as 1."""
    return cumprod(nan_to_num(x, nan=1.0), axis=axis, dtype=dtype)


def nanvar(x, axis=None, keepdims=False):
    """The variance of the non-NaN values."""
    x = to_float(x)
    valid = tops.logical_not(tops.math.is_nan(x))
    centered = tops.where(valid, x - nanmean(x, axis=axis, keepdims=True), tops.zeros_like(x))
    count = tops.reduce_sum(tops.cast(valid, x.dtype), axis=axis, keepdims=keepdims)
    return tops.reduce_sum(tops.square(centered), axis=axis, keepdims=keepdims) / count


def nanstd(x, axis=None, keepdims=False):
    """The standard deviation of the non-NaN values."""
    return tops.sqrt(nanvar(x, axis=axis, keepdims=keepdims))


def _nan_arg(pick, fill, x, axis, keepdims):
    x = _t(x)
    if not x.dtype.is_floating:
        return pick(x, axis=axis, keepdims=keepdims)
    nan = tops.math.is_nan(x)
    index = pick(tops.where(nan, tops.fill(tops.shape(x), _t(fill, x.dtype)), x), axis, keepdims)
    all_nan = tops.reduce_all(nan, axis=axis, keepdims=keepdims)
    return tops.where(all_nan, tops.fill(tops.shape(index), _t(-1, index.dtype)), index)


def nanargmax(x, axis=None, keepdims=False):
    """The index of the largest non-NaN value (-1 where all are NaN)."""
    return _nan_arg(argmax, -np.inf, x, axis, keepdims)


def nanargmin(x, axis=None, keepdims=False):
    """The index of the smallest non-NaN value (-1 where all are NaN)."""
    return _nan_arg(argmin, np.inf, x, axis, keepdims)


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The integral of ``y`` along ``axis`` by the trapezoidal rule (at ``x``, or spaced ``dx``)."""
    y = moveaxis(to_float(y), axis, -1)
    mid = (y[..., 1:] + y[..., :-1]) / 2
    if x is None:
        return tops.reduce_sum(mid, axis=-1) * tops.cast(dx, y.dtype)
    x = tops.cast(_t(x), y.dtype)
    x = moveaxis(x, axis, -1) if len(x.shape) > 1 else x
    return tops.reduce_sum(mid * (x[..., 1:] - x[..., :-1]), axis=-1)


# ---------------------------------------------------------------- windows
def hamming(x):
    """The symmetric Hamming window of ``x`` points (floatx)."""
    return tops.signal.hamming_window(int(x), periodic=False)


def hanning(x):
    """The symmetric Hann window of ``x`` points."""
    return tops.signal.hann_window(int(x), periodic=False)


def bartlett(x):
    """The triangular (Bartlett) window of ``x`` points."""
    n = int(x)
    if n <= 1:
        return tops.ones([n], "float32")
    k = tops.cast(tops.range(n), "float32")
    return 1.0 - tops.abs(2.0 * k / (n - 1) - 1.0)


def blackman(x):
    """The Blackman window of ``x`` points."""
    n = int(x)
    if n <= 1:
        return tops.ones([n], "float32")
    phase = 2 * np.pi * tops.cast(tops.range(n), "float32") / (n - 1)
    return 0.42 - 0.5 * tops.cos(phase) + 0.08 * tops.cos(2 * phase)


# ---------------------------------------------------------------- shapes
def dstack(xs):
    """Stack along the third axis: ``(N,)`` as ``(1, N, 1)``, ``(M, N)`` as ``(M, N, 1)``."""
    xs = promote(*xs) if len(xs) > 1 else [_t(xs[0])]
    shaped = []
    for x in xs:
        if len(x.shape) < 3:
            x = tops.reshape(x, {0: [1, 1, 1], 1: [1, -1, 1]}.get(len(x.shape), [*x.shape, 1]))
        shaped.append(x)
    return tops.concat(shaped, axis=2)


def dsplit(x, indices_or_sections):
    """``split`` along the third axis."""
    return split(x, indices_or_sections, axis=2)


def gcd(x1, x2):
    """The greatest common divisor of integers (Euclid's loop, one ``while_loop``)."""
    x1, x2 = promote(x1, x2)
    if not x1.dtype.is_integer:
        raise TypeError("Arguments to gcd must be integers.")
    shape = tops.broadcast_dynamic_shape(tops.shape(x1), tops.shape(x2))
    a, b = tops.broadcast_to(x1, shape), tops.broadcast_to(x2, shape)
    if not x1.dtype.is_unsigned:
        a, b = tops.abs(a), tops.abs(b)

    def body(a, b):
        nonzero = tops.not_equal(b, tops.zeros_like(b))
        safe = tops.where(nonzero, b, tops.ones_like(b))
        return tops.where(nonzero, b, a), tops.where(nonzero, tops.math.floormod(a, safe), b)

    return tops.while_loop(lambda a, b: tops.reduce_any(tops.not_equal(b, 0)), body, [a, b])[0]


def lcm(x1, x2):
    """The least common multiple of integers (0 where either is 0)."""
    x1, x2 = _t(x1), _t(x2)
    if not (x1.dtype.is_integer and x2.dtype.is_integer):
        raise TypeError(
            "Arguments to lcm must be integers. "
            f"Received: x1.dtype={x1.dtype.name}, x2.dtype={x2.dtype.name}"
        )
    x1, x2 = promote(x1, x2)
    if not x1.dtype.is_unsigned:
        x1, x2 = tops.abs(x1), tops.abs(x2)
    divisor = gcd(x1, x2)
    zero = tops.equal(divisor, tops.zeros_like(divisor))
    out = x1 * tops.math.floordiv(x2, tops.where(zero, tops.ones_like(divisor), divisor))
    return tops.where(zero, tops.zeros_like(out), out)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """Numbers spaced evenly on a log scale from ``start`` to ``stop`` (same sign)."""
    start, stop = _t(start), _t(stop)
    floatx = dtype or config.floatx()
    ten = _t(np.log(10.0), floatx)
    lo = tops.math.log(tops.cast(tops.abs(start), floatx)) / ten
    hi = tops.math.log(tops.cast(tops.abs(stop), floatx)) / ten
    out = logspace(lo, hi, num=num, endpoint=endpoint, base=10, dtype=dtype, axis=axis)
    return out * tops.cast(tops.sign(tops.cast(start, floatx)), out.dtype)


def corrcoef(x):
    """The Pearson correlation matrix of the rows of ``x`` (clipped to [-1, 1])."""
    x = _t(x)
    if x.dtype.name in ("bool", "int8", "int16", "int32", "uint8", "uint16", "uint32"):
        x = tops.cast(x, config.floatx())
    if len(x.shape) == 0:
        return _t(np.nan, config.floatx())
    centered = x - tops.reduce_mean(x, axis=-1, keepdims=True)
    n = tops.cast(tops.shape(x)[-1], x.dtype)
    cov = tops.matmul(centered, centered, transpose_b=True) / (n - 1)
    std = tops.sqrt(tops.linalg.diag_part(cov))
    return tops.clip_by_value(cov / tops.tensordot(std, std, axes=0), -1.0, 1.0)


__all__ = sorted(
    n
    for n, v in globals().items()
    if callable(v) and not n.startswith("_") and getattr(v, "__module__", None) == __name__
)
