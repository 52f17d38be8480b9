"""More of Keras 3's NumPy-like functions: closeness, splits and flips, quantiles, searches,
NaN-ignoring reductions and small helpers, composed from ``_numpy``."""

from __future__ import annotations

import builtins

import numpy as np

import tensorhouse_ops as tops

from ._dtypes import dtype_of, promote, result_type, to_float, to_tensor
from ._numpy import (
    _axes,
    diag,
    flip,
    linspace,
    moveaxis,
    multiply,
    power,
    reshape,
    sort,
    split,
    swapaxes,
    transpose,
    where,
    zeros_like,
)

_t = to_tensor


def _floats(x1, x2):
    return promote(x1, x2, dtype=result_type(dtype_of(x1), dtype_of(x2), float))


def isclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether ``|x1 - x2| <= atol + rtol * |x2|`` elementwise (as Keras's TensorFlow backend,
    equal infinities are not close)."""
    x1, x2 = _floats(x1, x2)
    close = tops.less_equal(tops.abs(x1 - x2), atol + rtol * tops.abs(x2))
    if equal_nan:
        both = tops.logical_and(tops.math.is_nan(x1), tops.math.is_nan(x2))
        close = tops.logical_or(close, both)
    return close


def allclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether ``isclose`` holds everywhere."""
    return tops.reduce_all(isclose(x1, x2, rtol, atol, equal_nan))


def logaddexp(x1, x2):
    """``log(exp(x1) + exp(x2))``, stable."""
    x1, x2 = _floats(x1, x2)
    m = tops.maximum(x1, x2)
    return m + tops.math.log1p(tops.exp(-tops.abs(x1 - x2)))


def logaddexp2(x1, x2):
    """``log2(2 ** x1 + 2 ** x2)``, stable."""
    x1, x2 = _floats(x1, x2)
    ln2 = _t(np.log(2.0), x1.dtype)
    return logaddexp(x1 * ln2, x2 * ln2) / ln2


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """``base ** linspace(start, stop)``, computed in ``dtype`` (by default the inputs' float
    dtype, as Keras)."""
    dtype = dtype or result_type(dtype_of(start), dtype_of(stop), float)
    exps = linspace(start, stop, num, endpoint=endpoint, dtype=dtype, axis=axis)
    return tops.pow(_t(float(base), exps.dtype), exps)


def exp2(x):
    """``2 ** x``."""
    x = to_float(x)
    return tops.pow(_t(2.0, x.dtype), x)


def cbrt(x):
    """The real cube root."""
    x = to_float(x)
    return tops.sign(x) * tops.pow(tops.abs(x), 1.0 / 3.0)


def erfc(x):
    """``1 - erf(x)``."""
    x = to_float(x)
    return 1.0 - tops.math.erf(x)


def sinc(x):
    """``sin(pi x) / (pi x)``, 1 at 0."""
    x = to_float(x)
    px = x * _t(np.pi, x.dtype)
    safe = tops.where(tops.equal(x, 0.0), tops.ones_like(x), px)
    return tops.where(tops.equal(x, 0.0), tops.ones_like(x), tops.sin(safe) / safe)


def trunc(x):
    """Round toward zero."""
    x = _t(x)
    if not x.dtype.is_floating:
        return x
    return tops.sign(x) * tops.floor(tops.abs(x))


def fabs(x):
    """The absolute value, as a float."""
    return tops.abs(to_float(x))


def fmod(x1, x2):
    """The remainder with the sign of the dividend (C's ``fmod``)."""
    x1, x2 = promote(x1, x2)
    return tops.truncatemod(x1, x2)


def hypot(x1, x2):
    """``sqrt(x1 ** 2 + x2 ** 2)``."""
    x1, x2 = _floats(x1, x2)
    return tops.sqrt(x1 * x1 + x2 * x2)


def heaviside(x1, x2):
    """0 below 0, ``x2`` at 0, 1 above."""
    x1, x2 = _floats(x1, x2)
    shape = np.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    x1, x2 = tops.broadcast_to(x1, shape), tops.broadcast_to(x2, shape)
    step = tops.cast(tops.greater(x1, 0.0), x1.dtype)
    return tops.where(tops.equal(x1, 0.0), x2, step)


def signbit(x):
    """True where the sign bit is set (negative numbers and -0.0)."""
    x = _t(x)
    if not x.dtype.is_floating:
        return tops.less(x, tops.zeros_like(x)) if x.dtype.name != "bool" else zeros_like(x)
    negative_zero = tops.logical_and(tops.equal(x, 0.0), tops.less(1.0 / x, 0.0))
    return tops.logical_or(tops.less(x, 0.0), negative_zero)


def deg2rad(x):
    """Degrees to radians."""
    x = to_float(x)
    return x * _t(np.pi / 180.0, x.dtype)


def rad2deg(x):
    """Radians to degrees."""
    x = to_float(x)
    return x * _t(180.0 / np.pi, x.dtype)


def isposinf(x):
    """True where ``x`` is +inf."""
    x = _t(x)
    if not x.dtype.is_floating:
        return tops.zeros(x.shape.as_list(), "bool")
    return tops.equal(x, _t(np.inf, x.dtype))


def isneginf(x):
    """True where ``x`` is -inf."""
    x = _t(x)
    if not x.dtype.is_floating:
        return tops.zeros(x.shape.as_list(), "bool")
    return tops.equal(x, _t(-np.inf, x.dtype))


def conj(x):
    """The complex conjugate (the identity on real tensors)."""
    return _t(x)


conjugate = conj


def real(x):
    """The real part (the identity on real tensors)."""
    return _t(x)


def imag(x):
    """The imaginary part (zeros on real tensors)."""
    return zeros_like(x)


def ndim(x):
    """The number of axes."""
    return len(_t(x).shape)


def empty_like(x, dtype=None):
    """A tensor of ``x``'s shape (zeros)."""
    return zeros_like(x, dtype)


def nonzero(x):
    """The indices of the non-zero entries, one int32 tensor per axis."""
    return where(x)


def ptp(x, axis=None, keepdims=False):
    """The range (max - min) over ``axis``."""
    x = _t(x)
    kw = {"axis": None if axis is None else list(_axes(axis, len(x.shape))), "keepdims": keepdims}
    return tops.reduce_max(x, **kw) - tops.reduce_min(x, **kw)


def vdot(x1, x2):
    """The dot product of the flattened tensors."""
    x1, x2 = promote(x1, x2)
    return tops.reduce_sum(tops.reshape(x1, [-1]) * tops.reshape(x2, [-1]))


def inner(x1, x2):
    """The sum of products over the last axes (scalars multiply)."""
    x1, x2 = promote(x1, x2)
    if len(x1.shape) == 0 or len(x2.shape) == 0:
        return multiply(x1, x2)
    from ._numpy import tensordot

    return tensordot(x1, x2, [[len(x1.shape) - 1], [len(x2.shape) - 1]])


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of 3-vectors (2-vectors are taken with a zero third entry)."""
    if axis is not None:
        axisa = axisb = axisc = axis
    x1, x2 = promote(x1, x2)
    a, b = moveaxis(x1, axisa, -1), moveaxis(x2, axisb, -1)

    def parts(v):
        comps = tops.unstack(v, axis=-1)
        return comps if len(comps) == 3 else [*comps, tops.zeros_like(comps[0])]

    (a0, a1, a2), (b0, b1, b2) = parts(a), parts(b)
    if a.shape[-1] == 2 and b.shape[-1] == 2:
        return a0 * b1 - a1 * b0
    out = tops.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)
    return moveaxis(out, -1, axisc)


def select(condlist, choicelist, default=0):
    """The choice of the first true condition per entry, else ``default``."""
    if len(condlist) != len(choicelist):
        raise ValueError(
            "`condlist` and `choicelist` must have the same length. "
            f"Received: len(condlist)={len(condlist)}, len(choicelist)={len(choicelist)}"
        )
    choices = promote(*choicelist, default)
    out = choices[-1]
    for cond, choice in zip(reversed(condlist), reversed(choices[:-1])):
        out = where(cond, choice, out)
    return out


def fliplr(x):
    """``x`` reversed along axis 1."""
    return flip(x, 1)


def flipud(x):
    """``x`` reversed along axis 0."""
    return flip(x, 0)


def rot90(array, k=1, axes=(0, 1)):
    """``array`` rotated by 90 degrees ``k`` times in the plane of ``axes``."""
    x = _t(array)
    k %= 4
    a0, a1 = axes
    for _ in range(k):
        x = swapaxes(flip(x, a1), a0, a1)
    return x


def diagflat(x, k=0):
    """The flattened ``x`` on diagonal ``k`` of a matrix."""
    return diag(reshape(x, (-1,)), k)


def array_split(x, indices_or_sections, axis=0):
    """``split`` that allows sections of unequal size (the first ones one longer)."""
    x = _t(x)
    if not isinstance(indices_or_sections, int):
        return split(x, indices_or_sections, axis)
    n, parts = x.shape[axis], indices_or_sections
    sizes = [n // parts + (1 if i < n % parts else 0) for i in range(parts)]
    return tops.split(x, sizes, axis=axis)


def hsplit(x, indices_or_sections):
    """``split`` along axis 1 (axis 0 for 1-D)."""
    x = _t(x)
    return split(x, indices_or_sections, axis=0 if len(x.shape) == 1 else 1)


def vsplit(x, indices_or_sections):
    """``split`` along axis 0."""
    return split(x, indices_or_sections, axis=0)


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of 1-D ``x``."""
    x = _t(x)
    n = x.shape[0] if N is None else N
    powers = np.arange(n) if increasing else np.arange(n)[::-1]
    return power(tops.reshape(x, [-1, 1]), _t(powers.astype(np.int32), x.dtype)[None, :])


def _nan_fill(x, value):
    x = _t(x)
    if not x.dtype.is_floating:
        return x
    return tops.where(tops.math.is_nan(x), _t(value, x.dtype) + tops.zeros_like(x), x)


def nansum(x, axis=None, keepdims=False):
    """The sum ignoring NaNs."""
    from ._numpy import sum as _sum

    return _sum(_nan_fill(x, 0.0), axis, keepdims)


def nanmean(x, axis=None, keepdims=False):
    """The mean ignoring NaNs."""
    x = to_float(x)
    count = tops.cast(tops.logical_not(tops.math.is_nan(x)), x.dtype)
    kw = {"axis": None if axis is None else list(_axes(axis, len(x.shape))), "keepdims": keepdims}
    return tops.reduce_sum(_nan_fill(x, 0.0), **kw) / tops.reduce_sum(count, **kw)


def nanmax(x, axis=None, keepdims=False):
    """The maximum ignoring NaNs (NaN where all are NaN)."""
    return _nan_extreme(tops.reduce_max, -np.inf, x, axis, keepdims)


def nanmin(x, axis=None, keepdims=False):
    """The minimum ignoring NaNs (NaN where all are NaN)."""
    return _nan_extreme(tops.reduce_min, np.inf, x, axis, keepdims)


def _nan_extreme(op, fill, x, axis, keepdims):
    x = _t(x)
    kw = {"axis": None if axis is None else list(_axes(axis, len(x.shape))), "keepdims": keepdims}
    if not x.dtype.is_floating:
        return op(x, **kw)
    out = op(_nan_fill(x, fill), **kw)
    all_nan = tops.reduce_all(tops.math.is_nan(x), **kw)
    return tops.where(all_nan, _t(np.nan, x.dtype) + tops.zeros_like(out), out)


def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The ``q``-th quantiles (``q`` in [0, 1]) over ``axis``; methods ``linear``, ``lower``,
    ``higher``, ``nearest``, ``midpoint``."""
    methods = ("linear", "lower", "higher", "midpoint", "nearest")
    if method not in methods:
        raise ValueError(f"`method` must be one of {methods}. Received: method={method}")
    x = to_float(x)
    nd = len(x.shape)
    axes = _axes(axis, nd)
    rest = [a for a in range(nd) if a not in axes]
    n = int(np.prod([x.shape[a] for a in axes]))
    flat = tops.reshape(transpose(x, rest + list(axes)), [x.shape[a] for a in rest] + [n])
    srt = sort(flat, axis=-1)
    qs = np.atleast_1d(np.asarray(q, dtype=np.float64))
    outs = []
    for qi in qs:
        pos = qi * (n - 1)
        lo, hi = int(np.floor(pos)), int(np.ceil(pos))
        frac = pos - lo
        if method == "lower":
            v = srt[..., lo]
        elif method == "higher":
            v = srt[..., hi]
        elif method == "nearest":
            v = srt[..., int(np.round(pos))]
        elif method == "midpoint":
            v = (srt[..., lo] + srt[..., hi]) / 2
        else:
            v = srt[..., lo] + (srt[..., hi] - srt[..., lo]) * _t(frac, x.dtype)
        if keepdims:
            v = tops.reshape(v, [1 if a in axes else x.shape[a] for a in range(nd)])
        outs.append(v)
    return outs[0] if np.ndim(q) == 0 else tops.stack(outs, axis=0)


def percentile(x, q, axis=None, method="linear", keepdims=False):
    """``quantile`` with ``q`` in percent."""
    q = np.asarray(q, dtype=np.float64) / 100.0
    return quantile(x, q if q.ndim else float(q), axis, method, keepdims)


def searchsorted(sorted_sequence, values, side="left"):
    """Where ``values`` would be inserted into the 1-D ``sorted_sequence``, int32."""
    if side not in ("left", "right"):
        raise ValueError(f"Invalid value for keyword 'side': {side}. Expected 'left' or 'right'.")
    seq, vals = promote(sorted_sequence, values)
    if len(seq.shape) != 1:
        raise ValueError(
            "`searchsorted` only supports 1-D sorted sequences. "
            f"Received: sorted_sequence.shape={tuple(seq.shape)}"
        )
    cmp = tops.less if side == "left" else tops.less_equal
    below = cmp(tops.reshape(seq, [1] * len(vals.shape) + [-1]), tops.expand_dims(vals, -1))
    return tops.reduce_sum(tops.cast(below, "int32"), axis=-1)


def digitize(x, bins):
    """The index of the bin of each entry of ``x`` (increasing ``bins``), int32."""
    return searchsorted(bins, x, side="right")


def bincount(x, weights=None, minlength=0, sparse=False):
    """Counts (or summed ``weights``) of each non-negative integer in 1-D or 2-D ``x``."""
    if sparse:
        raise ValueError("tensorhouse has no sparse tensors: `sparse=True` is not supported.")
    x = tops.cast(_t(x), "int32")
    try:
        top = int(np.max(x.numpy())) + 1 if np.prod(x.shape.as_list()) else 0
    except NotImplementedError:
        top = 0
    length = builtins.max(top, minlength)
    if length == 0:
        raise ValueError("`bincount` needs `minlength` inside a traced function.")
    if weights is None:
        hot = tops.one_hot(x, length, dtype="int32")
        return tops.reduce_sum(hot, axis=-2)
    w = _t(weights)
    hot = tops.one_hot(x, length, dtype=w.dtype)
    return tops.reduce_sum(hot * tops.expand_dims(w, -1), axis=-2)


def unravel_index(indices, shape):
    """The coordinates of flat ``indices`` in ``shape``, one tensor per axis."""
    idx = _t(indices)
    out = []
    for d in reversed([int(s) for s in shape]):
        out.append(tops.math.floormod(idx, _t(d, idx.dtype)))
        idx = tops.math.floordiv(idx, _t(d, idx.dtype))
    return tuple(reversed(out))


def get_item(x, key):
    """``x[key]``; a list key (as a saved model stores a tuple) indexes as a tuple."""
    return _t(x)[tuple(key) if isinstance(key, list) else key]


def kron(x1, x2):
    """The Kronecker product (NumPy's ``kron``: the lower rank padded with leading ones)."""
    x1, x2 = promote(x1, x2)
    n = builtins.max(len(x1.shape), len(x2.shape))
    x1 = tops.reshape(x1, [1] * (n - len(x1.shape)) + _dims(x1)) if len(x1.shape) < n else x1
    x2 = tops.reshape(x2, [1] * (n - len(x2.shape)) + _dims(x2)) if len(x2.shape) < n else x2
    a, b = x1, x2
    for i in range(n):  # a: (d1, 1, d2, 1, ...), b: (1, e1, 1, e2, ...)
        a = tops.expand_dims(a, 2 * i + 1)
        b = tops.expand_dims(b, 2 * i)
    s1, s2 = _dims(x1), _dims(x2)
    if all(isinstance(d, int) for d in s1 + s2):
        shape = [d * e for d, e in zip(s1, s2)]
    else:
        shape = tops.shape(x1) * tops.shape(x2)
    return tops.reshape(a * b, shape)


def _dims(x):
    """``x``'s shape as a list: ints where known, else scalar tensors."""
    dyn = None
    out = []
    for i, d in enumerate(x.shape):
        if d is None:
            dyn = tops.shape(x) if dyn is None else dyn
            d = dyn[i]
        out.append(d)
    return out


def isin(x1, x2, assume_unique=False, invert=False):
    """Whether each element of ``x1`` occurs in ``x2`` (the opposite with ``invert``)."""
    del assume_unique  # the result is the same; Keras takes it for NumPy's signature
    x1, x2 = promote(x1, x2)
    found = tops.reduce_any(tops.equal(tops.expand_dims(x1, -1), tops.reshape(x2, [-1])), -1)
    return tops.logical_not(found) if invert else found


__all__ = sorted(
    n
    for n, v in globals().items()
    if callable(v) and not n.startswith("_") and getattr(v, "__module__", None) == __name__
)
