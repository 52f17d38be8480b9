"""The rest of Keras 3's ``keras.ops.numpy``: inverse trigonometry, bitwise functions, NaN-aware
reductions, windows and a few shape helpers, with the dtypes Keras's TF backend gives them."""

from __future__ import annotations

import functools

import numpy as np

import tensorhouse_ops as tops

from . import config
from ._dtypes import dtype_of, promote, result_type, to_float, to_tensor
from ._numpy import argmax, argmin, argsort, cumprod, cumsum, moveaxis, nan_to_num, prod, split
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


# ---------------------------------------------------------------- NaN-aware quantiles
def _pick(srt, at, batch):
    return tops.gather(srt, tops.cast(at, "int32")[..., None], batch_dims=batch)[..., 0]


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """``quantile`` of the non-NaN values (NaN where a slice has none)."""
    methods = ("linear", "lower", "higher", "midpoint", "nearest")
    if method not in methods:
        raise ValueError(f"`method` must be one of {methods}. Received: method={method}")
    x = to_float(x)
    nd = len(x.shape)
    axes = sorted(a % nd for a in ((axis,) if isinstance(axis, int) else axis or range(nd)))
    rest = [a for a in range(nd) if a not in axes]
    n = int(np.prod([x.shape[a] for a in axes]))
    flat = tops.reshape(tops.transpose(x, rest + axes), [x.shape[a] for a in rest] + [n])
    nan = tops.math.is_nan(flat)
    srt = tops.sort(tops.where(nan, tops.fill(tops.shape(flat), _t(np.inf, x.dtype)), flat), -1)
    count = tops.reduce_sum(tops.cast(tops.logical_not(nan), "float64"), axis=-1)
    pick, outs = functools.partial(_pick, srt, batch=len(rest)), []
    for qi in np.atleast_1d(np.asarray(q, np.float32)).astype(np.float64):  # Keras's rounding
        pos = qi * tops.maximum(count - 1, _t(0.0, "float64"))
        lo, hi = tops.floor(pos), tops.math.ceil(pos)
        at = {"lower": lo, "higher": hi, "nearest": tops.round(pos)}.get(method)
        if at is not None:
            v = pick(at)
        elif method == "midpoint":
            v = (pick(lo) + pick(hi)) / 2
        else:
            v = pick(lo) + (pick(hi) - pick(lo)) * tops.cast(pos - lo, x.dtype)
        v = tops.where(tops.equal(count, 0.0), tops.fill(tops.shape(v), _t(np.nan, x.dtype)), v)
        if keepdims:
            v = tops.reshape(v, [1 if a in axes else x.shape[a] for a in range(nd)])
        outs.append(v)
    return outs[0] if np.ndim(q) == 0 else tops.stack(outs, axis=0)


def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    """``nanquantile`` with ``q`` in percent."""
    q = np.asarray(q, dtype=np.float64) / 100.0
    return nanquantile(x, q if q.ndim else float(q), axis, method, keepdims)


def nanmedian(x, axis=None, keepdims=False):
    """The median of the non-NaN values."""
    return nanquantile(x, 0.5, axis=axis, keepdims=keepdims)


# ---------------------------------------------------------------- histogram, correlate
def histogram(x, bins=10, range=None):  # noqa: A002  (Keras's name)
    """``(counts, bin_edges)`` of ``bins`` equal bins over ``range`` (the data's min and max by
    default); the last bin is closed; counts in ``x``'s dtype."""
    x = tops.reshape(_t(x), [-1])
    lo, hi = (tops.reduce_min(x), tops.reduce_max(x)) if range is None else range
    lo, hi = tops.cast(lo, x.dtype), tops.cast(hi, x.dtype)
    edges = tops.cast(
        tops.linspace(tops.cast(lo, "float32"), tops.cast(hi, "float32"), bins + 1), x.dtype
    )
    inside = tops.cast(tops.logical_and(x >= lo, x <= hi), x.dtype)
    index = tops.searchsorted(edges[1:-1], x, side="right")
    counts = tops.reduce_sum(tops.one_hot(index, bins, dtype=x.dtype) * inside[:, None], axis=0)
    return counts, edges


def correlate(x1, x2, mode="valid"):
    """NumPy's cross-correlation of two 1-D tensors (``full``, ``same`` or ``valid``), in float32
    (float64 for int64 / float64 inputs; float16 and bfloat16 kept)."""
    if mode not in ("full", "same", "valid"):
        raise ValueError(f"Invalid mode: '{mode}'. Mode must be one of: 'full', 'same', 'valid'.")
    dtype = result_type(dtype_of(x1), dtype_of(x2))
    dtype = "float64" if dtype == "int64" else dtype
    dtype = dtype if dtype in ("float64", "float16", "bfloat16") else "float32"
    x1, x2 = tops.cast(_t(x1), dtype), tops.cast(_t(x2), dtype)
    n, m = int(x1.shape[0]), int(x2.shape[0])
    if m > n:  # NumPy's rule: the longer one slides, the result reversed
        return tops.reverse(correlate(x2, x1, mode), [0])
    if mode != "valid":
        x1 = tops.pad(x1, [[m - 1, m - 1]])
    out = tops.nn.conv1d(x1[None, :, None], x2[:, None, None], stride=1, padding="VALID")[0, :, 0]
    if mode == "same":
        start = (n + m - 1 - max(n, m)) // 2
        out = out[start : start + max(n, m)]
    return out


def argpartition(x, kth, axis=-1):
    """Indices that partition ``x`` along ``axis`` around its ``kth`` smallest value, int32 (a
    full stable sort: one valid partition; Keras's TF backend orders the two sides otherwise)."""
    x = _t(x)
    n = int(np.prod(x.shape)) if axis is None else int(x.shape[axis])
    if not -n <= int(kth) < n:
        raise ValueError(f"kth(={kth}) out of bounds for argpartition on an axis of size {n}")
    return argsort(x, axis=axis)


def _unique_rows(x, axis):
    """``unique`` along ``axis``: the distinct slices, sorted lexicographically, with the first
    indices, the inverse and the counts (int32)."""
    rows = tops.reshape(moveaxis(x, axis, 0), [tops.shape(x)[axis], -1])

    def body(i, order):  # a stable sort on each column, last to first: lexicographic order
        column = tops.gather(tops.gather(rows, i, axis=1), order)
        return i - 1, tops.gather(order, tops.argsort(column, stable=True))

    n_rows, n_cols = tops.shape(rows)[0], tops.shape(rows)[1]
    _, order = tops.while_loop(lambda i, _: i >= 0, body, [n_cols - 1, tops.range(n_rows)])
    ranked = tops.gather(rows, order)
    new = tops.concat(  # where a new distinct slice starts, in sorted order
        [tops.fill([tops.minimum(n_rows, 1)], True),
         tops.reduce_any(tops.not_equal(ranked[1:], ranked[:-1]), axis=1)], 0
    )  # fmt: skip
    seg = tops.cumsum(tops.cast(new, "int32")) - 1  # each sorted slice's rank among the distinct
    inverse = tops.scatter_nd(order[:, None], seg, [n_rows])
    n = tops.reduce_sum(tops.cast(new, "int32"))
    first = tops.math.unsorted_segment_min(tops.range(tops.size(inverse)), inverse, n)
    counts = tops.math.unsorted_segment_sum(tops.ones_like(inverse), inverse, n)
    return tops.gather(x, first, axis=axis), first, inverse, counts


def unique(
    x,
    sorted=True,  # noqa: A002  (Keras's name)
    return_index=False,
    return_inverse=False,
    return_counts=False,
    axis=None,
    size=None,
    fill_value=None,
):
    """The distinct values of ``x`` (flattened; with ``axis``, its distinct slices along
    ``axis``), sorted unless ``sorted=False`` (then in order of first appearance); with the first
    indices, the inverse (``x``'s shape when flattened) and counts (int32) as asked; ``size``
    truncates or pads with ``fill_value`` (0), indices with 1 and counts with 0, as Keras's TF
    backend."""
    x = _t(x)
    if axis is None:
        flat, axis = tops.reshape(x, [-1]), 0
        y, inverse, counts = tops.unique_with_counts(flat)
        first = tops.math.unsorted_segment_min(tops.range(tops.size(flat)), inverse, tops.size(y))
        inverse = tops.reshape(inverse, tops.shape(x))
        order = tops.argsort(y, stable=True) if sorted else None
    else:
        axis = axis % len(x.shape)
        y, first, inverse, counts = _unique_rows(x, axis)
        order = None if sorted else tops.argsort(first, stable=True)
    if order is not None:
        y = tops.gather(y, order, axis=axis)
        first, counts = tops.gather(first, order), tops.gather(counts, order)
        inverse = tops.gather(tops.math.invert_permutation(order), inverse)
    if size is not None:
        n = tops.shape(y)[axis]
        keep, extra = tops.range(tops.minimum(n, size)), tops.maximum(0, size - n)
        pad = [[0, extra if i == axis else 0] for i in range(len(y.shape))]
        fill = tops.cast(fill_value or 0, y.dtype)
        y = tops.pad(tops.gather(y, keep, axis=axis), pad, constant_values=fill)
        first = tops.pad(tops.gather(first, keep), [[0, extra]], constant_values=1)
        counts = tops.pad(tops.gather(counts, keep), [[0, extra]])
    out = [y] + [
        t
        for t, ask in (
            (first, return_index),
            (inverse, return_inverse),
            (counts, return_counts),
        )
        if ask
    ]
    return tuple(out) if len(out) > 1 else y


__all__ = sorted(
    n
    for n, v in globals().items()
    if callable(v) and not n.startswith("_") and getattr(v, "__module__", None) == __name__
)
