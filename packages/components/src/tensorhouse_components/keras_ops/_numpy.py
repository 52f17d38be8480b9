"""Keras 3's NumPy-like functions (``keras.ops.numpy``) on the ops layer, with Keras's dtypes."""

# ruff: noqa: A001  (Keras's names: abs, all, any, max, min, round, sum)

from __future__ import annotations

import builtins

import numpy as np

import tensorhouse_ops as tops

from ._dtypes import dtype_of, promote, result_type, standardize_dtype, to_float, to_tensor

_t = to_tensor


def _axes(axis, ndim):
    """``axis`` (None, an int or a sequence) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axis = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(sorted(a % ndim if ndim else 0 for a in axis))


def _binary(op, x1, x2):
    x1, x2 = promote(x1, x2)
    return op(x1, x2)


def _compare(op, x1, x2):
    x1, x2 = promote(x1, x2)
    if x1.dtype.is_bool:  # the comparison kernels take numbers
        x1, x2 = tops.cast(x1, "int32"), tops.cast(x2, "int32")
    return op(x1, x2)


def _sum_dtype(dtype):
    return "int32" if dtype in ("bool", "uint8", "int8", "int16") else dtype


def _reduce(op, x, axis, keepdims):
    x = _t(x)
    if axis is not None:
        axis = list(_axes(axis, len(x.shape)))
    return op(x, axis=axis, keepdims=keepdims)


# ---------------------------------------------------------------- arithmetic
def add(x1, x2):
    """``x1 + x2`` elementwise, in the promoted dtype."""
    return _binary(tops.add, x1, x2)


def subtract(x1, x2):
    """``x1 - x2`` elementwise."""
    return _binary(tops.subtract, x1, x2)


def multiply(x1, x2):
    """``x1 * x2`` elementwise."""
    return _binary(tops.multiply, x1, x2)


def divide(x1, x2):
    """True division; integers and booleans divide in floatx."""
    x1, x2 = promote(x1, x2, dtype=result_type(dtype_of(x1), dtype_of(x2), float))
    return tops.divide(x1, x2)


def true_divide(x1, x2):
    """``x1 / x2`` (``divide``; its own function, as Keras saves it as its own operation)."""
    return divide(x1, x2)


def divide_no_nan(x1, x2):
    """``x1 / x2``, 0 where ``x2 == 0``."""
    x1, x2 = promote(x1, x2, dtype=result_type(dtype_of(x1), dtype_of(x2), float))
    return tops.math.divide_no_nan(x1, x2)


def floor_divide(x1, x2):
    """Floor division in the promoted dtype."""
    return _binary(tops.math.floordiv, x1, x2)


def mod(x1, x2):
    """The remainder with the sign of the divisor; booleans compute in int32."""
    dtype = result_type(dtype_of(x1), dtype_of(x2))
    x1, x2 = promote(x1, x2, dtype="int32" if dtype == "bool" else dtype)
    return tops.math.floormod(x1, x2)


def power(x1, x2):
    """``x1 ** x2`` in the promoted dtype."""
    return _binary(tops.pow, x1, x2)


def maximum(x1, x2):
    """The elementwise maximum."""
    return _binary(tops.maximum, x1, x2)


def minimum(x1, x2):
    """The elementwise minimum."""
    return _binary(tops.minimum, x1, x2)


def negative(x):
    """``-x``."""
    return tops.negative(_t(x))


def abs(x):
    """The absolute value (booleans stay booleans)."""
    x = _t(x)
    return x if x.dtype.is_bool or x.dtype.name == "uint8" else tops.abs(x)


absolute = abs


def sign(x):
    """-1, 0 or 1 by sign."""
    return tops.sign(_t(x))


def square(x):
    """``x * x``; booleans give int32."""
    x = _t(x)
    if x.dtype.is_bool:
        x = tops.cast(x, "int32")
    return tops.multiply(x, x)


def reciprocal(x):
    """``1 / x`` of a float tensor."""
    x = _t(x)
    return tops.math.reciprocal(x)


def clip(x, x_min, x_max):
    """Clip to ``[x_min, x_max]``; booleans clip in int32."""
    x = _t(x)
    if x.dtype.is_bool:
        x = tops.cast(x, "int32")
    lo, hi = _t(x_min, x.dtype), _t(x_max, x.dtype)
    return tops.minimum(tops.maximum(x, lo), hi)


def round(x, decimals=0):
    """Round half to even, to ``decimals`` places."""
    x = _t(x)
    if decimals == 0:
        return tops.round(x) if x.dtype.is_floating else x
    if x.dtype.is_floating:
        factor = _t(10.0**decimals, x.dtype)
        return tops.round(x * factor) / factor
    factor = 10 ** (-decimals) if decimals < 0 else 1
    if factor == 1:
        return x
    y = tops.round(tops.cast(x, "float64") / factor) * factor
    return tops.cast(y, x.dtype)


def _unary_float(op):
    def f(x):
        return op(to_float(x))

    return f


sqrt = _unary_float(tops.sqrt)
exp = _unary_float(tops.exp)
expm1 = _unary_float(tops.math.expm1)
log = _unary_float(tops.math.log)
log1p = _unary_float(tops.math.log1p)
sin = _unary_float(tops.sin)
cos = _unary_float(tops.cos)
tan = _unary_float(tops.tan)
tanh = _unary_float(tops.tanh)
floor = _unary_float(tops.floor)
ceil = _unary_float(tops.math.ceil)
for _f, _doc in [
    (sqrt, "square root"), (exp, "exponential"), (expm1, "``exp(x) - 1``"),
    (log, "natural logarithm"), (log1p, "``log(1 + x)``"), (sin, "sine"), (cos, "cosine"),
    (tan, "tangent"), (tanh, "hyperbolic tangent"), (floor, "floor"), (ceil, "ceiling"),
]:  # fmt: skip
    _f.__doc__ = f"The elementwise {_doc} (integers and booleans in floatx)."
sqrt.__name__, exp.__name__, expm1.__name__, log.__name__ = "sqrt", "exp", "expm1", "log"
log1p.__name__, sin.__name__, cos.__name__, tan.__name__ = "log1p", "sin", "cos", "tan"
tanh.__name__, floor.__name__, ceil.__name__ = "tanh", "floor", "ceil"


def log2(x):
    """Base-2 logarithm."""
    x = to_float(x)
    return tops.math.log(x) / _t(np.log(2.0), x.dtype)


def log10(x):
    """Base-10 logarithm."""
    x = to_float(x)
    return tops.math.log(x) / _t(np.log(10.0), x.dtype)


def sinh(x):
    """Hyperbolic sine."""
    x = to_float(x)
    return (tops.exp(x) - tops.exp(-x)) / 2


def cosh(x):
    """Hyperbolic cosine."""
    x = to_float(x)
    return (tops.exp(x) + tops.exp(-x)) / 2


# ---------------------------------------------------------------- comparison and logic
def equal(x1, x2):
    """``x1 == x2`` elementwise."""
    return _compare(tops.equal, x1, x2)


def not_equal(x1, x2):
    """``x1 != x2`` elementwise."""
    return _compare(tops.not_equal, x1, x2)


def greater(x1, x2):
    """``x1 > x2`` elementwise."""
    return _compare(tops.greater, x1, x2)


def greater_equal(x1, x2):
    """``x1 >= x2`` elementwise."""
    return _compare(tops.greater_equal, x1, x2)


def less(x1, x2):
    """``x1 < x2`` elementwise."""
    return _compare(tops.less, x1, x2)


def less_equal(x1, x2):
    """``x1 <= x2`` elementwise."""
    return _compare(tops.less_equal, x1, x2)


def _bool(x):
    x = _t(x)
    return x if x.dtype.is_bool else tops.not_equal(x, _t(0, x.dtype))


def logical_and(x1, x2):
    """Elementwise AND of truth values."""
    return tops.logical_and(_bool(x1), _bool(x2))


def logical_or(x1, x2):
    """Elementwise OR of truth values."""
    return tops.logical_or(_bool(x1), _bool(x2))


def logical_not(x):
    """Elementwise NOT of truth values."""
    return tops.logical_not(_bool(x))


def logical_xor(x1, x2):
    """Elementwise XOR of truth values."""
    return tops.not_equal(tops.cast(_bool(x1), "int32"), tops.cast(_bool(x2), "int32"))


def isnan(x):
    """True where ``x`` is NaN (never for integers)."""
    x = _t(x)
    return tops.math.is_nan(x) if x.dtype.is_floating else tops.zeros(x.shape, "bool")


def isinf(x):
    """True where ``x`` is infinite."""
    x = _t(x)
    return tops.math.is_inf(x) if x.dtype.is_floating else tops.zeros(x.shape, "bool")


def isfinite(x):
    """True where ``x`` is neither infinite nor NaN."""
    x = _t(x)
    return tops.math.is_finite(x) if x.dtype.is_floating else tops.ones(x.shape, "bool")


def where(condition, x1=None, x2=None):
    """``x1`` where ``condition`` else ``x2``, promoted; alone, the indices of true entries."""
    if (x1 is None) != (x2 is None):
        raise ValueError(
            "`x1` and `x2` either both should be `None` or both should have non-None value."
        )
    condition = _bool(condition)
    if x1 is None:
        idx = tops.cast(tops.where(condition), "int32")
        return [idx[:, i] for i in range(len(condition.shape))]
    x1, x2 = promote(x1, x2)
    shape = np.broadcast_shapes(tuple(condition.shape), tuple(x1.shape), tuple(x2.shape))
    return tops.where(
        tops.broadcast_to(condition, shape), tops.broadcast_to(x1, shape),
        tops.broadcast_to(x2, shape),
    )  # fmt: skip


# ---------------------------------------------------------------- reductions
def sum(x, axis=None, keepdims=False):
    """The sum over ``axis``; small integers and booleans sum in int32."""
    x = _t(x)
    x = tops.cast(x, _sum_dtype(x.dtype.name)) if x.dtype.name != _sum_dtype(x.dtype.name) else x
    return _reduce(tops.reduce_sum, x, axis, keepdims)


def prod(x, axis=None, keepdims=False, dtype=None):
    """The product over ``axis`` (as Keras's TensorFlow backend, a given ``dtype`` is not
    applied; without one, small integers and booleans multiply in int32)."""
    x = _t(x)
    if dtype is None:
        x = _t(x, _sum_dtype(x.dtype.name))
    return _reduce(tops.reduce_prod, x, axis, keepdims)


def mean(x, axis=None, keepdims=False):
    """The mean over ``axis`` (integers in floatx)."""
    return _reduce(tops.reduce_mean, to_float(x), axis, keepdims)


def var(x, axis=None, keepdims=False):
    """The population variance over ``axis``."""
    return _reduce(tops.math.reduce_variance, to_float(x), axis, keepdims)


def std(x, axis=None, keepdims=False):
    """The population standard deviation over ``axis``."""
    return _reduce(tops.math.reduce_std, to_float(x), axis, keepdims)


def _extreme(op, pick, x, axis, keepdims, initial, name):
    x = _t(x)
    if 0 in x.shape and initial is None and (axis is None or x.shape[axis] == 0):
        raise tops.errors.InvalidArgumentError(
            None, None, f"Cannot compute the {name} of an empty tensor."
        )
    src = tops.cast(x, "int32") if x.dtype.is_bool else x
    out = _reduce(op, src, axis, keepdims)
    if initial is not None:
        out = pick(out, _t(initial, src.dtype))
    return tops.cast(out, "bool") if x.dtype.is_bool else out


def max(x, axis=None, keepdims=False, initial=None):
    """The maximum over ``axis``, at least ``initial``."""
    return _extreme(tops.reduce_max, tops.maximum, x, axis, keepdims, initial, "max")


def min(x, axis=None, keepdims=False, initial=None):
    """The minimum over ``axis``, at most ``initial``."""
    return _extreme(tops.reduce_min, tops.minimum, x, axis, keepdims, initial, "min")


def amax(x, axis=None, keepdims=False):
    """The maximum over ``axis``."""
    return max(x, axis, keepdims)


def amin(x, axis=None, keepdims=False):
    """The minimum over ``axis``."""
    return min(x, axis, keepdims)


def all(x, axis=None, keepdims=False):
    """Whether all entries over ``axis`` are true."""
    return _reduce(tops.reduce_all, _bool(x), axis, keepdims)


def any(x, axis=None, keepdims=False):
    """Whether any entry over ``axis`` is true."""
    return _reduce(tops.reduce_any, _bool(x), axis, keepdims)


def count_nonzero(x, axis=None):
    """The number of non-zero entries over ``axis``, int32."""
    return _reduce(tops.reduce_sum, tops.cast(_bool(x), "int32"), axis, False)


def _arg(op, x, axis, keepdims):
    x = _t(x)
    if x.dtype.is_bool:
        x = tops.cast(x, "int32")
    if axis is None:
        out = op(tops.reshape(x, [-1]), axis=0, output_type="int32")
        return tops.reshape(out, [1] * len(x.shape)) if keepdims else out
    out = op(x, axis=axis % len(x.shape), output_type="int32")
    return expand_dims(out, axis) if keepdims else out


def argmax(x, axis=None, keepdims=False):
    """The index of the first maximum over ``axis`` (of the flattened tensor when None)."""
    return _arg(tops.argmax, x, axis, keepdims)


def argmin(x, axis=None, keepdims=False):
    """The index of the first minimum over ``axis``."""
    return _arg(tops.argmin, x, axis, keepdims)


def average(x, axis=None, weights=None):
    """The (weighted) mean over ``axis``."""
    if weights is None:
        return mean(x, axis)
    x, weights = promote(x, weights, dtype=result_type(dtype_of(x), dtype_of(weights), float))
    if axis is not None and len(weights.shape) == 1 and len(x.shape) > 1:
        shape = [1] * len(x.shape)
        shape[axis] = weights.shape[0]
        weights = tops.reshape(weights, shape)
    return tops.reduce_sum(x * weights, axis=axis) / tops.reduce_sum(
        tops.broadcast_to(weights, x.shape), axis=axis
    )


def median(x, axis=None, keepdims=False):
    """The median over ``axis`` (the mean of the two middle values for an even count)."""
    x = to_float(x)
    nd = len(x.shape)
    axes = _axes(axis, nd)
    rest = [a for a in range(nd) if a not in axes]
    moved = tops.transpose(x, rest + list(axes)) if nd else x
    n = int(np.prod([x.shape[a] for a in axes]))
    flat = tops.sort(tops.reshape(moved, [x.shape[a] for a in rest] + [n]), axis=-1)
    mid = (flat[..., (n - 1) // 2] + flat[..., n // 2]) / 2
    if keepdims:
        mid = tops.reshape(mid, [1 if a in axes else x.shape[a] for a in range(nd)])
    return mid


def cumsum(x, axis=None, dtype=None):
    """The cumulative sum along ``axis`` (of the flattened tensor when None)."""
    x = _t(x)
    x = _t(x, dtype or ("int32" if x.dtype.is_bool else x.dtype.name))
    if axis is None:
        x, axis = tops.reshape(x, [-1]), 0
    return tops.cumsum(x, axis=axis)


def cumprod(x, axis=None, dtype=None):
    """The cumulative product along ``axis``."""
    x = _t(x)
    x = _t(x, dtype or ("int32" if x.dtype.is_bool else x.dtype.name))
    if axis is None:
        x, axis = tops.reshape(x, [-1]), 0
    return tops.math.cumprod(x, axis=axis)


def trace(x, offset=0, axis1=0, axis2=1):
    """The sum along a diagonal."""
    return sum(diagonal(x, offset, axis1, axis2), axis=-1)


# ---------------------------------------------------------------- creation
def array(x, dtype=None):
    """A tensor of ``x``."""
    return _t(x, dtype)


def _shape_list(shape):
    return [int(shape)] if isinstance(shape, int | np.integer) else [int(s) for s in shape]


def zeros(shape, dtype=None):
    """Zeros of ``shape`` (floatx by default)."""
    return tops.zeros(_shape_list(shape), standardize_dtype(dtype))


def ones(shape, dtype=None):
    """Ones of ``shape`` (floatx by default)."""
    return tops.ones(_shape_list(shape), standardize_dtype(dtype))


def empty(shape, dtype=None):
    """A tensor of ``shape`` (zeros)."""
    return zeros(shape, dtype)


def full(shape, fill_value, dtype=None):
    """``fill_value`` broadcast to ``shape`` (floatx by default)."""
    value = _t(fill_value, standardize_dtype(dtype))
    return tops.broadcast_to(value, _shape_list(shape))


def zeros_like(x, dtype=None):
    """Zeros of ``x``'s shape and dtype."""
    x = _t(x)
    return tops.zeros(x.shape.as_list(), standardize_dtype(dtype or x.dtype))


def ones_like(x, dtype=None):
    """Ones of ``x``'s shape and dtype."""
    x = _t(x)
    return tops.ones(x.shape.as_list(), standardize_dtype(dtype or x.dtype))


def full_like(x, fill_value, dtype=None):
    """``fill_value`` in ``x``'s shape and dtype."""
    x = _t(x)
    return full(x.shape.as_list(), fill_value, dtype or x.dtype)


def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values in ``[start, stop)``; the dtype comes from the arguments."""
    if stop is None:
        start, stop = 0, start
    if step is None:
        step = 1
    if dtype is None:
        parts = [dtype_of(v) for v in (start, stop, step)]
        dtype = result_type(*parts)
    dtype = standardize_dtype(dtype)
    n = builtins.max(int(np.ceil((float(stop) - float(start)) / float(step))), 0)
    values = float(start) + float(step) * np.arange(n, dtype=np.float64)
    return _t(values.astype(dtype))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop``."""
    dtype = standardize_dtype(dtype)
    start, stop = promote(start, stop, dtype="float64")  # Python numbers straight to float64
    div = (num - 1) if endpoint else num
    step = (stop - start) / float(builtins.max(div, 1))
    t = tops.cast(tops.range(num), "float64")
    shape = [num] + [1] * len(start.shape)
    values = start + tops.reshape(t, shape) * step
    if axis != 0:
        values = moveaxis(values, 0, axis)
    if dtype.startswith("int") or dtype == "uint8":
        values = tops.floor(values)
    out = tops.cast(values, dtype)
    return (out, tops.cast(step, dtype)) if retstep else out


def eye(N, M=None, k=0, dtype=None):
    """A matrix with ones on diagonal ``k``."""
    M = N if M is None else M
    rows = tops.reshape(tops.range(N), [N, 1])
    cols = tops.reshape(tops.range(M), [1, M])
    return tops.cast(tops.equal(cols - rows, k), standardize_dtype(dtype))


def identity(n, dtype=None):
    """The ``n`` by ``n`` identity matrix."""
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None):
    """Ones at and below diagonal ``k``."""
    M = N if M is None else M
    return tops.cast(_lower_mask(N, M, k), standardize_dtype(dtype))


def _lower_mask(n, m, k):
    rows = tops.reshape(tops.range(n), [n, 1])
    cols = tops.reshape(tops.range(m), [1, m])
    return tops.less_equal(cols - rows, k)


def tril(x, k=0):
    """``x`` with entries above diagonal ``k`` zeroed."""
    x = _t(x)
    mask = _lower_mask(x.shape[-2], x.shape[-1], k)
    return tops.where(tops.broadcast_to(mask, x.shape), x, tops.zeros_like(x))


def triu(x, k=0):
    """``x`` with entries below diagonal ``k`` zeroed."""
    x = _t(x)
    mask = _lower_mask(x.shape[-2], x.shape[-1], k - 1)
    return tops.where(tops.broadcast_to(mask, x.shape), tops.zeros_like(x), x)


def meshgrid(*x, indexing="xy"):
    """Coordinate grids of 1-D tensors (``"xy"`` or ``"ij"`` indexing)."""
    if indexing not in ("xy", "ij"):
        raise ValueError(
            f"Argument `indexing` parameter must be either 'xy' or 'ij', got '{indexing}'"
        )
    return tops.meshgrid(*[_t(v) for v in x], indexing=indexing)


def copy(x):
    """A copy of ``x``."""
    return tops.identity(_t(x))


# ---------------------------------------------------------------- shapes
def reshape(x, newshape):
    """``x`` in shape ``newshape`` (one entry may be -1)."""
    return tops.reshape(_t(x), _shape_list(newshape))


def ravel(x):
    """``x`` flattened."""
    return tops.reshape(_t(x), [-1])


def expand_dims(x, axis):
    """``x`` with new size-1 axes at ``axis``."""
    x = _t(x)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    nd = len(x.shape) + len(axes)
    axes = sorted(a % nd for a in axes)
    shape = list(x.shape)
    for a in axes:
        shape.insert(a, 1)
    return tops.reshape(x, shape)


def squeeze(x, axis=None):
    """``x`` without its size-1 axes (or only those in ``axis``)."""
    x = _t(x)
    if axis is None:
        return tops.reshape(x, [d for d in x.shape if d != 1])
    axes = _axes(axis, len(x.shape))
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(f"Cannot squeeze axis={a}, because the dimension is not 1.")
    return tops.reshape(x, [d for i, d in enumerate(x.shape) if i not in axes])


def transpose(x, axes=None):
    """``x`` with its axes permuted (reversed by default)."""
    x = _t(x)
    perm = list(range(len(x.shape)))[::-1] if axes is None else [a % len(x.shape) for a in axes]
    return tops.transpose(x, perm)


def moveaxis(x, source, destination):
    """``x`` with axes ``source`` moved to ``destination``."""
    x = _t(x)
    nd = len(x.shape)
    src = [s % nd for s in ((source,) if isinstance(source, int) else source)]
    dst = [d % nd for d in ((destination,) if isinstance(destination, int) else destination)]
    order = [a for a in range(nd) if a not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        order.insert(d, s)
    return tops.transpose(x, order)


def swapaxes(x, axis1, axis2):
    """``x`` with two axes exchanged."""
    x = _t(x)
    perm = list(range(len(x.shape)))
    a, b = axis1 % len(perm), axis2 % len(perm)
    perm[a], perm[b] = perm[b], perm[a]
    return tops.transpose(x, perm)


def broadcast_to(x, shape):
    """``x`` broadcast to ``shape``."""
    return tops.broadcast_to(_t(x), _shape_list(shape))


def size(x):
    """The number of elements, int32."""
    return tops.size(_t(x), out_type="int32")


def concatenate(xs, axis=0):
    """Tensors joined along ``axis`` (promoted to one dtype)."""
    xs = promote(*xs)
    if axis is None:
        xs, axis = [tops.reshape(v, [-1]) for v in xs], 0
    return tops.concat(xs, axis=axis)


def append(x1, x2, axis=None):
    """``x2`` appended to ``x1`` along ``axis`` (flattened when None)."""
    return concatenate([x1, x2], axis=axis)


def stack(x, axis=0):
    """Tensors stacked along a new ``axis``."""
    return tops.stack(promote(*x), axis=axis)


def hstack(xs):
    """Tensors joined along axis 1 (axis 0 for 1-D)."""
    xs = promote(*xs)
    return tops.concat(xs, axis=0 if len(xs[0].shape) == 1 else 1)


def vstack(xs):
    """Tensors joined along axis 0 (1-D ones end to end, as Keras's TensorFlow backend)."""
    return tops.concat(promote(*xs), axis=0)


def split(x, indices_or_sections, axis=0):
    """``x`` split into equal sections, or at the given indices, along ``axis``."""
    x = _t(x)
    n = x.shape[axis]
    if isinstance(indices_or_sections, int):
        if n % indices_or_sections:
            raise tops.errors.InvalidArgumentError(
                None, None,
                "Number of ways to split should evenly divide the split dimension, but got "
                f"split_dim {axis} (size = {n}) and num_split {indices_or_sections}",
            )  # fmt: skip
        return tops.split(x, indices_or_sections, axis=axis)
    bounds = [0] + [int(i) for i in indices_or_sections] + [n]
    sizes = [builtins.max(b - a, 0) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    return tops.split(x, sizes, axis=axis)


def unstack(x, num=None, axis=0):
    """``x`` as a list of tensors along ``axis``."""
    return tops.unstack(_t(x), num=num, axis=axis)


def flip(x, axis=None):
    """``x`` reversed along ``axis`` (all axes when None)."""
    x = _t(x)
    return tops.reverse(x, list(_axes(axis, len(x.shape))))


def roll(x, shift, axis=None):
    """``x`` rolled by ``shift`` along ``axis`` (flattened when None)."""
    x = _t(x)
    if axis is None:
        return tops.reshape(tops.roll(tops.reshape(x, [-1]), shift, 0), x.shape)
    return tops.roll(x, shift, axis)


def tile(x, repeats):
    """``x`` repeated ``repeats`` times per axis."""
    x = _t(x)
    reps = _shape_list(repeats)
    if len(reps) < len(x.shape):
        reps = [1] * (len(x.shape) - len(reps)) + reps
    elif len(reps) > len(x.shape):
        x = tops.reshape(x, [1] * (len(reps) - len(x.shape)) + x.shape.as_list())
    return tops.tile(x, reps)


def repeat(x, repeats, axis=None):
    """Each entry repeated ``repeats`` times along ``axis`` (flattened when None)."""
    x = _t(x)
    return tops.repeat(x, repeats, axis=axis)


def pad(x, pad_width, mode="constant", constant_values=None):
    """``x`` padded by ``pad_width`` (NumPy's forms) with ``mode`` constant/reflect/symmetric."""
    x = _t(x)
    nd = len(x.shape)
    if np.ndim(pad_width) == 0:
        widths = np.full((nd, 2), int(pad_width))
    else:
        widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64).reshape(-1, 2), (nd, 2))
    if mode not in ("constant", "reflect", "symmetric"):
        raise ValueError(
            'Value of argument `mode` expected to be one of "CONSTANT", "REFLECT", or '
            f'"SYMMETRIC". Received `mode` = {str(mode).upper()}'
        )
    if constant_values is not None and mode != "constant":
        raise ValueError(
            "Argument `constant_values` can only be provided when `mode == 'constant'`. "
            f"Received: mode={mode}"
        )
    value = 0 if constant_values is None else constant_values
    return tops.pad(x, widths.tolist(), mode=mode.upper(), constant_values=value)


def diag(x, k=0):
    """The matrix with 1-D ``x`` on diagonal ``k``, or the diagonal ``k`` of a 2-D ``x``."""
    x = _t(x)
    if len(x.shape) == 1:
        n = x.shape[0] + builtins.abs(k)
        src = tops.cast(x, "int32") if x.dtype.is_bool else x
        out = tops.linalg.diag(src, k=k, num_rows=n, num_cols=n)
        return tops.cast(out, "bool") if x.dtype.is_bool else out
    if len(x.shape) == 2:
        return diagonal(x, k)
    raise ValueError(f"`x` must be 1-D or 2-D. Received: x.shape={x.shape}")


def diagonal(x, offset=0, axis1=0, axis2=1):
    """The diagonal ``offset`` of the matrices on ``axis1``, ``axis2``, as the last axis."""
    x = _t(x)
    nd = len(x.shape)
    a1, a2 = axis1 % nd, axis2 % nd
    rest = [a for a in range(nd) if a not in (a1, a2)]
    x = tops.transpose(x, rest + [a1, a2])
    n, m = x.shape[-2], x.shape[-1]
    length = builtins.max(
        builtins.min(n, m - offset) if offset >= 0 else builtins.min(n + offset, m), 0
    )
    if length == 0:
        return tops.zeros([x.shape[a] for a in range(nd - 2)] + [0], x.dtype)
    r0, c0 = (0, offset) if offset >= 0 else (-offset, 0)
    flat = tops.reshape(x, x.shape.as_list()[:-2] + [n * m])
    idx = tops.constant([(r0 + i) * m + c0 + i for i in range(length)], "int32")
    return tops.gather(flat, idx, axis=len(flat.shape) - 1)


def diff(a, n=1, axis=-1):
    """The ``n``-th discrete difference along ``axis``."""
    a = _t(a)
    axis %= len(a.shape)
    for _ in range(n):
        hi = [slice(None)] * len(a.shape)
        lo = [slice(None)] * len(a.shape)
        hi[axis], lo[axis] = slice(1, None), slice(None, -1)
        a = a[tuple(hi)] - a[tuple(lo)]
    return a


def sort(x, axis=-1):
    """``x`` sorted ascending along ``axis``."""
    x = _t(x)
    if axis is None:
        x, axis = tops.reshape(x, [-1]), -1
    return tops.sort(x, axis=axis)


def argsort(x, axis=-1):
    """The indices that sort ``x`` along ``axis`` (stable), int32."""
    x = _t(x)
    if axis is None:
        x, axis = tops.reshape(x, [-1]), -1
    if x.dtype.is_bool:
        x = tops.cast(x, "int32")
    return tops.cast(tops.argsort(x, axis=axis, stable=True), "int32")


def _wrap(indices, n):
    indices = _t(indices)
    if indices.dtype.is_floating:
        indices = tops.cast(indices, "int32")
    return tops.where(indices < 0, indices + tops.cast(n, indices.dtype), indices)


def take(x, indices, axis=None):
    """Entries of ``x`` at ``indices`` along ``axis`` (of the flattened ``x`` when None);
    negative indices count from the end."""
    x = _t(x)
    if axis is None:
        x, axis = tops.reshape(x, [-1]), 0
    axis %= len(x.shape)
    return tops.gather(x, _wrap(indices, x.shape[axis]), axis=axis)


def take_along_axis(x, indices, axis=None):
    """Entries of ``x`` at ``indices`` matched along ``axis`` (broadcast on the others)."""
    x = _t(x)
    if axis is None:
        x, axis = tops.reshape(x, [-1]), 0
    indices = _wrap(indices, x.shape[axis])
    nd = len(x.shape)
    axis %= nd
    xs, ids = list(x.shape), list(indices.shape)
    xs[axis], ids[axis] = 1, 1
    common = list(np.broadcast_shapes(tuple(xs), tuple(ids)))
    x = tops.broadcast_to(x, common[:axis] + [x.shape[axis]] + common[axis + 1 :])
    indices = tops.broadcast_to(indices, common[:axis] + [indices.shape[axis]] + common[axis + 1 :])
    x = moveaxis(x, axis, -1)
    indices = moveaxis(indices, axis, -1)
    lead = x.shape.as_list()[:-1]
    n, k = x.shape[-1], indices.shape[-1]
    rows = int(np.prod(lead))
    offsets = tops.reshape(tops.range(rows) * n, [rows, 1])  # gather on the flat tensor
    flat_idx = tops.cast(tops.reshape(indices, [rows, k]), "int32") + offsets
    out = tops.gather(tops.reshape(x, [-1]), tops.reshape(flat_idx, [-1]))
    return moveaxis(tops.reshape(out, lead + [indices.shape[-1]]), -1, axis)


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """``x`` with NaN and infinities replaced (by the dtype's extremes by default)."""
    x = _t(x)
    if not x.dtype.is_floating:
        return x
    info = np.finfo(x.dtype.name if x.dtype.name != "bfloat16" else "float32")
    big = info.max if posinf is None else posinf
    small = info.min if neginf is None else neginf
    x = tops.where(tops.math.is_nan(x), _t(nan, x.dtype) + tops.zeros_like(x), x)
    x = tops.where(tops.equal(x, _t(np.inf, x.dtype)), _t(big, x.dtype) + tops.zeros_like(x), x)
    return tops.where(
        tops.equal(x, _t(-np.inf, x.dtype)), _t(small, x.dtype) + tops.zeros_like(x), x
    )


# ---------------------------------------------------------------- products
def _float_matmul(a, b):
    if a.dtype.is_floating:
        return tops.matmul(a, b)
    dtype = a.dtype
    out = tops.matmul(tops.cast(a, "float64"), tops.cast(b, "float64"))
    return tops.cast(out, dtype)


def matmul(x1, x2):
    """The matrix product with batch broadcasting (int8 multiplies into int32, as Keras)."""
    x1, x2 = promote(x1, x2)
    if x1.dtype.name == "int8":
        x1, x2 = tops.cast(x1, "int32"), tops.cast(x2, "int32")
    squeeze_a, squeeze_b = len(x1.shape) == 1, len(x2.shape) == 1
    if squeeze_a:
        x1 = tops.reshape(x1, [1, -1])
    if squeeze_b:
        x2 = tops.reshape(x2, [-1, 1])
    out = _float_matmul(x1, x2) if not x1.dtype.is_bool else tops.cast(
        _float_matmul(tops.cast(x1, "int32"), tops.cast(x2, "int32")), "bool")  # fmt: skip
    if squeeze_a:
        out = out[..., 0, :]
    if squeeze_b:
        out = out[..., 0]
    return out


def dot(x1, x2):
    """NumPy's ``dot``: scalars multiply, 1-D and 2-D as ``matmul``, N-D over the last and
    second-to-last axes."""
    x1, x2 = promote(x1, x2)
    if len(x1.shape) == 0 or len(x2.shape) == 0:
        return multiply(x1, x2)
    if len(x2.shape) <= 2:
        return matmul(x1, x2)
    return tensordot(x1, x2, [[len(x1.shape) - 1], [len(x2.shape) - 2]])


def tensordot(x1, x2, axes=2):
    """The sum of products over ``axes`` (an int or two lists of axes)."""
    x1, x2 = promote(x1, x2)
    if isinstance(axes, int):
        axes = [list(range(len(x1.shape) - axes, len(x1.shape))), list(range(axes))]
    a_ax = [a % len(x1.shape) for a in np.atleast_1d(axes[0]).tolist()]
    b_ax = [a % len(x2.shape) for a in np.atleast_1d(axes[1]).tolist()]
    a_free = [a for a in range(len(x1.shape)) if a not in a_ax]
    b_free = [a for a in range(len(x2.shape)) if a not in b_ax]
    k = int(np.prod([x1.shape[a] for a in a_ax]))
    a = tops.reshape(tops.transpose(x1, a_free + a_ax), [-1, k])
    b = tops.reshape(tops.transpose(x2, b_ax + b_free), [k, -1])
    out = _float_matmul(a, b) if not a.dtype.is_bool else tops.cast(
        _float_matmul(tops.cast(a, "int32"), tops.cast(b, "int32")), "bool")  # fmt: skip
    return tops.reshape(out, [x1.shape[i] for i in a_free] + [x2.shape[i] for i in b_free])


def outer(x1, x2):
    """The outer product of the flattened tensors."""
    x1, x2 = promote(x1, x2)
    return multiply(tops.reshape(x1, [-1, 1]), tops.reshape(x2, [1, -1]))


def einsum(subscripts, *operands, **kwargs):
    """Einstein summation (int8 into int32, as Keras): ``...`` axes get letters of their own,
    repeated indices in one operand take its diagonal, and three or more operands contract
    left to right."""
    operands = promote(*operands)
    dtype = operands[0].dtype
    if dtype.name == "int8":
        operands, dtype = [tops.cast(o, "int32") for o in operands], tops.as_dtype("int32")
    if not dtype.is_floating:
        operands = [tops.cast(o, "float64") for o in operands]
        return tops.cast(_einsum(subscripts, operands), dtype)
    return _einsum(subscripts, operands)


def _einsum(subscripts, operands):
    spec = subscripts.replace(" ", "")
    lhs, arrow, rhs = spec.partition("->")
    terms = lhs.split(",")
    if not arrow:
        letters = "".join(terms).replace(".", "")
        rhs = ("..." if "..." in lhs else "") + "".join(
            sorted(c for c in set(letters) if letters.count(c) == 1)
        )
    if "..." in spec:  # name the ellipsis axes with unused letters, aligned on the right
        spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in spec]
        counts = [len(x.shape) - len(t) + 3 if "..." in t else 0 for t, x in zip(terms, operands)]
        names = "".join(spare[: max(counts)])
        terms = [t.replace("...", names[len(names) - n :]) for t, n in zip(terms, counts)]
        rhs = rhs.replace("...", names)
    ops = []
    for term, x in zip(terms, operands, strict=True):
        while len(set(term)) < len(term):  # a repeated index: take that diagonal
            c = next(c for c in term if term.count(c) > 1)
            i = term.index(c)
            j = term.index(c, i + 1)
            x = diagonal(x, 0, i, j)
            term = "".join(t for k, t in enumerate(term) if k not in (i, j)) + c
        ops.append((term, x))
    if len(ops) <= 2:
        return tops.einsum(",".join(t for t, _ in ops) + "->" + rhs, *[x for _, x in ops])
    term, out = ops[0]
    for k in range(1, len(ops)):
        nxt, x = ops[k]
        needed = set(rhs).union(*[set(t) for t, _ in ops[k + 1 :]])
        keep = "".join(c for c in dict.fromkeys(term + nxt) if c in needed)
        out = tops.einsum(f"{term},{nxt}->{keep}", out, x)
        term = keep
    return out if term == rhs else tops.einsum(f"{term}->{rhs}", out)


__all__ = sorted(
    n
    for n, v in globals().items()
    if callable(v) and not n.startswith("_") and getattr(v, "__module__", None) == __name__
)
