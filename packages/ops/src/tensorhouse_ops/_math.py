"""Math ops (``tf.math``): elementwise, reductions, matmul, cast; Tensor's operators."""

from __future__ import annotations

import types
from collections import namedtuple

import numpy as np

from tensorhouse_kernels import eager_elementwise, eager_shortcut
from tensorhouse_kernels.runtime import current_device

from . import (
    _batch_gather,  # noqa: F401 - sets _array.HOOKS["batch_gather*"]
    _record,
)
from . import _tensor as _ts
from . import dtypes as _dt
from ._array import HOOKS as _ARRAY_HOOKS
from ._array import (
    expand_dims,
    eye,
    fill,
    reshape,
    squeeze,
    stack,
    transpose,
)
from ._array import shape as _array_shape
from ._composite import CompositeTensor
from ._composite import composite_binary as _composite_binary
from ._tensor import (
    _RAW_ERRORS,
    Tensor,
    VariableLike,
    _coerce_pair,
    _execute,
    _int_arg,
    _op,
    _op_kernel,
    _tf_error,
    convert_to_tensor,
    errors,
)

__all__ = [
    "abs", "add", "add_n", "argmax", "argmin", "cast", "ceil", "clip_by_global_norm",
    "clip_by_norm", "clip_by_value", "cos", "cumprod", "cumsum", "einsum", "global_norm",
    "matvec", "norm",
    "tensordot",
    "divide", "elu_grad", "equal", "erf", "exp", "expm1", "floor", "floordiv", "floormod",
    "greater", "greater_equal", "is_finite", "is_nan", "less", "less_equal", "log", "log1p",
    "logical_and", "logical_not", "logical_or", "matmul", "maximum", "minimum", "mod",
    "multiply", "negative", "not_equal", "pow", "realdiv", "reciprocal", "reduce_all",
    "reduce_any", "reduce_max", "reduce_mean", "reduce_min", "reduce_prod", "reduce_sum",
    "relu6_grad", "relu_grad", "round", "rsqrt", "selu_grad", "sigmoid", "sigmoid_grad", "sign",
    "sin", "softplus", "softplus_grad", "sqrt", "square", "squared_difference", "subtract",
    "tan", "tanh", "tanh_grad", "top_k", "truediv", "unsorted_segment_sum",
    "truncatediv", "truncatemod", "reduce_std", "reduce_variance", "reduce_logsumexp",
    "log_sigmoid", "divide_no_nan", "xdivy", "xlogy", "is_inf", "reduce_euclidean_norm",
    "atan", "acos", "asin", "sinh", "cosh", "acosh", "asinh", "atanh", "rint", "lgamma",
    "digamma", "reciprocal_no_nan", "atan2", "logical_xor", "zeta", "polygamma",
]  # fmt: skip


def _t(x):
    return x if type(x) is Tensor else convert_to_tensor(x)


def _unary(op_type, name=None):
    fast = eager_elementwise(op_type)

    def fn(x, name=None):
        # Eager, untaped, unscoped, on a plain tensor: the kernels' shortcut, when it applies.
        if fast is not None and type(x) is Tensor and not (_record._active or _ts._tracing):
            if current_device() is None:
                out = fast(x._device, x._value)
                if out is not None:
                    return Tensor(out, x._device)
        if isinstance(x, CompositeTensor):  # ragged / sparse: their own rule
            return type(x)._th_unary(fn, x)
        return _op(op_type, [x if type(x) is Tensor else convert_to_tensor(x)])

    fn.__name__ = name or op_type.lower()
    fn.__doc__ = f"Elementwise ``{op_type}`` (TF's op of that name)."
    return fn


_OBJECT = np.dtype(object)  # a string tensor's buffer dtype
_NO_ATTRS: dict = {}
_SCALARS: dict = {}  # (type, value, dtype) -> a 0-d tensor: ``x + 1.0`` converts 1.0 once


def _scalar_operand(v, dtype):
    """``v`` (a Python int or float beside an eager tensor of ``dtype``) as a 0-d tensor, from a
    small cache: tensors are immutable. Zeros (the sign of -0.0) and NaNs are not cached; None
    where the value does not fit ``dtype`` (the general path raises TF's error)."""
    key = (type(v), v, dtype)
    t = _SCALARS.get(key)
    if t is None:
        try:
            t = _ts.constant(v, dtype)
        except (TypeError, ValueError):
            return None
        if v and v == v:
            if len(_SCALARS) >= 512:
                _SCALARS.clear()
            _SCALARS[key] = t
    return t


def _binary(op_type, name=None, on_strings=None):
    """``op_type`` with the eager fast path; ``on_strings(x, y)`` takes the calls where an
    operand is a string tensor (checked off the fast path only)."""
    fast = eager_elementwise(op_type)

    def fn(x, y, name=None):
        if (
            fast is not None
            and type(x) is Tensor
            and type(y) is Tensor
            and not (_record._active or _ts._tracing)
        ):
            device = x._device
            if device is y._device and current_device() is None:
                out = fast(device, x._value, y._value)
                if out is not None:
                    return Tensor(out, device)
        if type(x) is Tensor and type(y) is Tensor:  # plain tensors (broadcast, or a device scope)
            if on_strings is None or (x._value.dtype != _OBJECT and y._value.dtype != _OBJECT):
                return _op_kernel(op_type, [x, y], _NO_ATTRS)
        elif not _ts._tracing and (
            (type(x) is Tensor and type(y) in (float, int))
            or (type(y) is Tensor and type(x) in (float, int))
        ):  # ``x + 1.0``: the scalar converted once (TF's rule: it takes the tensor's dtype)
            t = x if type(x) is Tensor else y
            if t._value.dtype != _OBJECT:
                c = _scalar_operand(y if t is x else x, t.dtype)
                if c is not None:
                    return _op_kernel(op_type, [x, c] if t is x else [c, y], _NO_ATTRS)
        if type(x) is Tensor and isinstance(y, VariableLike):  # a tensor and a variable: read
            return fn(x, y._th_read())
        if type(y) is Tensor and isinstance(x, VariableLike):
            return fn(x._th_read(), y)
        if isinstance(x, CompositeTensor) or isinstance(y, CompositeTensor):
            return _composite_binary(fn, x, y)
        if on_strings is not None and (
            getattr(x, "dtype", None) is _dt.string or getattr(y, "dtype", None) is _dt.string
        ):
            return on_strings(x, y)
        return _op(op_type, list(_coerce_pair(x, y)))

    fn.__name__ = name or op_type.lower()
    fn.__doc__ = f"Elementwise ``{op_type}`` with NumPy broadcasting; no dtype promotion."
    return fn


negative = _unary("Neg")
_real_abs = _unary("Abs", "abs")


def abs(x, name=None):  # noqa: A001 - TF's name
    """TF's ``tf.abs``: elementwise ``|x|``; a complex tensor's magnitude is real."""
    dt = getattr(x, "dtype", None)
    if dt is None and not isinstance(x, CompositeTensor):
        x = convert_to_tensor(x)
        dt = x.dtype
    if getattr(dt, "is_complex", False):
        return _op("ComplexAbs", [x if type(x) is Tensor else convert_to_tensor(x)])
    return _real_abs(x, name)


sign = _unary("Sign")
square = _unary("Square")
sqrt = _unary("Sqrt")
rsqrt = _unary("Rsqrt")
exp = _unary("Exp")
expm1 = _unary("Expm1")
log = _unary("Log")
log1p = _unary("Log1p")
reciprocal = _unary("Reciprocal")
sin = _unary("Sin")
cos = _unary("Cos")
tan = _unary("Tan")
tanh = _unary("Tanh")
sigmoid = _unary("Sigmoid")
floor = _unary("Floor")
ceil = _unary("Ceil")
erf = _unary("Erf")
round = _unary("Round")  # noqa: A001 - TF's name; ties to even, as TF
softplus = _unary("Softplus")
is_nan = _unary("IsNan", "is_nan")
is_finite = _unary("IsFinite", "is_finite")
logical_not = _unary("LogicalNot", "logical_not")


# ``+`` on strings is ``tf.strings``' op, its module loaded on first use (off the first op's import
# path): the package sets "add_strings" at import, a hook rather than an import.
HOOKS: dict = {}


def _add_strings(x, y):
    return HOOKS["add_strings"](x, y)


# TF's ``tf.add`` / ``+``: ``AddV2`` on numbers; on string tensors their elementwise
# concatenation (TF's ``Add`` op, which has a string kernel), broadcasting as TF's
add = _binary("AddV2", on_strings=_add_strings)


subtract = _binary("Sub")
multiply = _binary("Mul")
realdiv = _binary("RealDiv")
maximum = _binary("Maximum")
minimum = _binary("Minimum")
squared_difference = _binary("SquaredDifference")
pow = _binary("Pow")  # noqa: A001 - TF's name
relu_grad = _binary("ReluGrad")
sigmoid_grad = _binary("SigmoidGrad")  # (y, dy) -> dy * y * (1 - y)
tanh_grad = _binary("TanhGrad")  # (y, dy) -> dy * (1 - y^2)
elu_grad = _binary("EluGrad", "elu_grad")  # (gradients, outputs)
selu_grad = _binary("SeluGrad", "selu_grad")  # (gradients, outputs)
softplus_grad = _binary("SoftplusGrad", "softplus_grad")  # (gradients, features)
relu6_grad = _binary("Relu6Grad", "relu6_grad")  # (gradients, features)
floordiv = _binary("FloorDiv", "floordiv")  # Python's //; integer division by zero is an error
floormod = _binary("FloorMod", "floormod")  # Python's %
mod = floormod
logical_and = _binary("LogicalAnd", "logical_and")
logical_or = _binary("LogicalOr", "logical_or")
equal = _binary("Equal")
not_equal = _binary("NotEqual")
less = _binary("Less")
less_equal = _binary("LessEqual")
greater = _binary("Greater")
greater_equal = _binary("GreaterEqual")
atan = _unary("Atan")
acos = _unary("Acos")
asin = _unary("Asin")
sinh = _unary("Sinh")
cosh = _unary("Cosh")
acosh = _unary("Acosh")
asinh = _unary("Asinh")
atanh = _unary("Atanh")
rint = _unary("Rint")  # ties to even; TF's CPU kernels: float32, float64
lgamma = _unary("Lgamma")  # log |Gamma(x)|
digamma = _unary("Digamma")
_atan2 = _binary("Atan2")
_zeta = _binary("Zeta")
_polygamma = _binary("Polygamma")
# tf.bitwise (bitwise.py): every integer dtype; shift counts are clamped to [0, bits - 1]
bitwise_and = _binary("BitwiseAnd", "bitwise_and")
bitwise_or = _binary("BitwiseOr", "bitwise_or")
bitwise_xor = _binary("BitwiseXor", "bitwise_xor")
left_shift = _binary("LeftShift", "left_shift")
right_shift = _binary("RightShift", "right_shift")
invert = _unary("Invert", "invert")

_TRUEDIV_TARGET = {
    "int8": _dt.float32, "int16": _dt.float32, "uint8": _dt.float32,
    "int32": _dt.float64, "int64": _dt.float64,
}  # fmt: skip


def divide(x, y, name=None):
    """TF's ``x / y``: integers are first cast to float (int32 -> float64, as TF does)."""
    if isinstance(x, Tensor) and isinstance(y, Tensor) and x.dtype is not y.dtype:
        # TF checks this in Python, before any op: a TypeError, not InvalidArgumentError
        raise TypeError(
            f"`x` and `y` must have the same dtype, got tf.{x.dtype.name} != tf.{y.dtype.name}."
        )
    if isinstance(x, CompositeTensor) or isinstance(y, CompositeTensor):
        return _composite_binary(divide, x, y)
    return _op("RealDiv", _true_division_operands(x, y))


def _true_division_operands(x, y):
    """``x`` and ``y`` as the floats TF divides: integers cast (int32 -> float64, as TF)."""
    x, y = _coerce_pair(x, y)
    target = _TRUEDIV_TARGET.get(x.dtype.name)
    if target is not None and x.dtype is y.dtype:
        x, y = cast(x, target), cast(y, target)
    return x, y


truediv = divide


def truncatediv(x, y, name=None):
    """TF's ``tf.truncatediv``: division rounded toward zero (C's ``/`` on integers)."""
    x, y = _coerce_pair(x, y)
    if not x.dtype.is_integer:
        q = realdiv(x, y)
        return _ts_where(less(q, 0), ceil(q), floor(q))
    q, r = floordiv(x, y), floormod(x, y)
    # floor and truncation differ by one where the remainder is nonzero and the signs differ
    fix = logical_and(not_equal(r, 0), less(multiply(sign(x), sign(y)), 0))
    return add(q, cast(fix, x.dtype))


def truncatemod(x, y, name=None):
    """TF's ``tf.truncatemod``: C's remainder (``fmod``, ``%``); it has the dividend's sign."""
    x, y = _coerce_pair(x, y)
    return _op("TruncateMod", [x, y])


def _ts_where(c, a, b):
    return _op("SelectV2", [c, a, b])


def _require_real_float(x):
    if not x.dtype.is_floating:  # TF checks this in Python, before any op
        raise TypeError(
            f"Input must be either real or complex. Received integer type <dtype: "
            f"'{x.dtype.name}'>."
        )


def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    """TF's ``tf.math.reduce_variance`` (the population variance, floats only)."""
    x = _t(input_tensor)
    _require_real_float(x)
    mean = reduce_mean(x, axis=axis, keepdims=True)
    return reduce_mean(squared_difference(x, mean), axis=axis, keepdims=keepdims)


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    """TF's ``tf.math.reduce_std``: the square root of ``reduce_variance``."""
    _require_real_float(_t(input_tensor))
    return sqrt(reduce_variance(input_tensor, axis=axis, keepdims=keepdims))


def reduce_logsumexp(input_tensor, axis=None, keepdims=False, name=None):
    """TF's ``tf.math.reduce_logsumexp``, stable for large inputs (the max is taken out)."""
    x = _t(input_tensor)
    m = reduce_max(x, axis=axis, keepdims=True)
    m = _ts_where(is_finite(m), m, _ts.constant(0, dtype=x.dtype))
    out = log(reduce_sum(exp(subtract(x, m)), axis=axis, keepdims=True)) + m
    return out if keepdims else reduce_sum(out, axis=axis)  # the sum drops the size-1 axes


def _require_float(x, op):
    """TF's error for a float-only op given another dtype (its kernel's type list)."""
    if not x.dtype.is_floating:
        raise errors.InvalidArgumentError(
            f"Value for attr 'T' of {x.dtype.name} is not in the list of allowed values: "
            f"float32, float64 [Op:{op}]"
        )


def divide_no_nan(x, y, name=None):
    """TF's ``tf.math.divide_no_nan``: ``x / y``, and 0 wherever ``y`` is 0 (even for a NaN
    or infinite ``x``). Integers are cast to float first, as ``tf.math.divide``."""
    x, y = _true_division_operands(x, y)
    zero = equal(y, _ts.constant(0, dtype=y.dtype))
    safe_y = _ts_where(zero, _ts.constant(1, dtype=y.dtype), y)  # no inf / NaN gradient
    return _ts_where(zero, _ts.constant(0, dtype=x.dtype), realdiv(x, safe_y))


def xdivy(x, y, name=None):
    """TF's ``tf.math.xdivy``: 0 where ``x`` is 0, else ``x / y`` (floats)."""
    x, y = _coerce_pair(x, y)
    if not x.dtype.is_complex:  # TF's Xdivy also takes complex64 / complex128
        _require_float(x, "Xdivy")
    zero = equal(x, _ts.constant(0, dtype=x.dtype))
    return _ts_where(zero, _ts.constant(0, dtype=x.dtype), realdiv(x, y))


def xlogy(x, y, name=None):
    """TF's ``tf.math.xlogy``: 0 where ``x`` is 0 (whatever ``y``), else ``x * log(y)``."""
    x, y = _coerce_pair(x, y)
    if not x.dtype.is_complex:  # TF's Xlogy also takes complex64 / complex128
        _require_float(x, "Xlogy")
    zero = equal(x, _ts.constant(0, dtype=x.dtype))
    safe_y = _ts_where(zero, _ts.constant(1, dtype=y.dtype), y)
    return _ts_where(zero, _ts.constant(0, dtype=x.dtype), multiply(x, log(safe_y)))


def is_inf(x, name=None):
    """TF's ``tf.math.is_inf``: True for +inf and -inf (floats)."""
    x = _t(x)
    _require_float(x, "IsInf")
    return logical_and(logical_not(is_finite(x)), logical_not(is_nan(x)))


def reduce_euclidean_norm(input_tensor, axis=None, keepdims=False, name=None):
    """TF's ``tf.math.reduce_euclidean_norm``: ``sqrt(sum(x ** 2))``. Integers square and sum
    in their own type (wrapping, as TF) and take the integer part of the root."""
    x = _t(input_tensor)
    ss = reduce_sum(square(x), axis=axis, keepdims=keepdims)
    if x.dtype.is_floating:
        return sqrt(ss)
    return cast(floor(sqrt(cast(ss, _dt.float64))), x.dtype)


def log_sigmoid(x, name=None):
    """TF's ``tf.math.log_sigmoid``: ``-softplus(-x)``, stable for large ``|x|``."""
    return negative(softplus(negative(_t(x))))


def add_n(inputs, name=None):
    if not inputs:
        raise ValueError("add_n needs at least one input tensor")
    out = convert_to_tensor(inputs[0])
    for t in inputs[1:]:
        out = add(out, t)
    return out


def cast(x, dtype, name=None):
    """TF's ``tf.cast``: float to int truncates toward zero; NaN becomes 0."""
    dtype = _dt.as_dtype(dtype)
    if isinstance(x, CompositeTensor):
        return type(x)._th_unary(lambda v: cast(v, dtype), x)
    x = x if type(x) is Tensor else convert_to_tensor(x)
    if x.dtype is dtype:
        return x
    return _op("Cast", [x], {"DstT": dtype._np})


def _reduce(op_type):
    fast = eager_shortcut(op_type)  # the kernels' own shortcut, or None

    def fn(input_tensor, axis=None, keepdims=False, name=None):
        if type(input_tensor) is Tensor and (axis is None or type(axis) is int):  # common case
            axis = None if axis is None else (axis,)
            keep = bool(keepdims)
            if not (_record._active or _ts._tracing) and current_device() is None and fast:
                device = input_tensor._device
                try:
                    out = fast(device, input_tensor._value, axis, keep)
                except _RAW_ERRORS as e:
                    raise _tf_error(op_type, [input_tensor._value], e) from None
                if out is not None:
                    return Tensor(out, device)
            return _op_kernel(op_type, [input_tensor], {"axis": axis, "keep_dims": keep})
        if isinstance(input_tensor, CompositeTensor):
            return type(input_tensor)._th_reduce(op_type, input_tensor, axis, keepdims)
        x = input_tensor if type(input_tensor) is Tensor else convert_to_tensor(input_tensor)
        if axis is not None:
            axis = _axis_tuple(axis)
            _check_unique_axes(axis, x.shape.rank, op_type)
        return _op(op_type, [x], {"axis": axis, "keep_dims": bool(keepdims)})

    fn.__doc__ = f"TF's ``{op_type}`` reduction over ``axis`` (all axes when None)."
    return fn


def _check_unique_axes(axis, rank, op_type):
    """TF's error for an axis named twice (``[0, -2]`` on a matrix)."""
    if rank is None or len(axis) < 2:
        return
    seen = set()
    for a in axis:
        if -rank <= a < rank:
            d = a % rank
            if d in seen:
                raise errors.InvalidArgumentError(
                    None,
                    None,
                    "Invalid reduction arguments: Axes contains duplicate dimension: "
                    f"{d} [Op:{op_type}]",
                )
            seen.add(d)


def _axis_tuple(axis):
    if isinstance(axis, Tensor):
        axis = axis.numpy().tolist()
    if isinstance(axis, int):
        return (axis,)
    return tuple(_int_arg(a) for a in axis)


reduce_sum = _reduce("Sum")
reduce_mean = _reduce("Mean")
reduce_max = _reduce("Max")
reduce_min = _reduce("Min")
reduce_prod = _reduce("Prod")
reduce_all = _reduce("All")
reduce_any = _reduce("Any")


def _arg(op_type):
    def fn(input, axis=None, output_type=_dt.int64, name=None):  # noqa: A002 - TF's name
        axis = 0 if axis is None else _int_arg(axis)
        out = _dt.as_dtype(output_type)._np
        return _op(op_type, [_t(input)], {"axis": axis, "output_type": out})

    fn.__doc__ = f"TF's ``{op_type}``: the index of the first extreme along ``axis`` (default 0)."
    return fn


argmax = _arg("ArgMax")
argmin = _arg("ArgMin")


def _cumulative(op_type):
    def fn(x, axis=0, exclusive=False, reverse=False, name=None):
        attrs = {"axis": _int_arg(axis), "exclusive": bool(exclusive), "reverse": bool(reverse)}
        return _op(op_type, [_t(x)], attrs)

    fn.__doc__ = f"TF's ``{op_type}`` along ``axis``, optionally exclusive and / or reversed."
    return fn


cumsum = _cumulative("Cumsum")
cumprod = _cumulative("Cumprod")


def _traced_range(args, dtype):
    """``tf.range`` with a bound only known when the graph runs: ``start + i * delta`` for
    ``i < ceil((limit - start) / delta)``, a vector of unknown length."""
    start, limit, delta = (cast(convert_to_tensor(v), dtype) for v in args)
    span = divide(cast(subtract(limit, start), _dt.float64), cast(delta, _dt.float64))
    n = maximum(cast(ceil(span), _dt.int32), 0)
    i = subtract(cumsum(fill([n], 1, dtype=_dt.int32)), 1)
    return add(start, multiply(cast(i, dtype), delta))


_ARRAY_HOOKS["traced_range"] = _traced_range  # ``_array.range``'s, for run-time bounds

TopKV2 = namedtuple("TopKV2", ["values", "indices"])


def top_k(input, k=1, sorted=True, name=None):  # noqa: A002 - TF's names
    """TF's ``tf.math.top_k``: the ``k`` largest entries of the last axis and their indices."""
    values, indices = _execute("TopKV2", [_t(input)], {"k": _int_arg(k), "sorted": bool(sorted)})
    return TopKV2(values, indices)


def unsorted_segment_sum(data, segment_ids, num_segments, name=None):
    """TF's ``tf.math.unsorted_segment_sum``; negative ids are dropped."""
    n = _int_arg(num_segments)
    return _op("UnsortedSegmentSum", [_t(data), _t(segment_ids)], {"num_segments": n})


_MATMUL = eager_shortcut("MatMul")


def matmul(
    a,
    b,
    transpose_a=False,
    transpose_b=False,
    adjoint_a=False,
    adjoint_b=False,
    a_is_sparse=False,
    b_is_sparse=False,
    output_type=None,
    name=None,
):
    """TF's ``tf.linalg.matmul`` on float tensors of rank >= 2; batch dims broadcast.

    Real dtypes only, so ``adjoint`` is ``transpose``. Rank 2 runs ``MatMul``, higher ranks
    ``BatchMatMulV2``.
    """
    if type(a) is Tensor and isinstance(b, VariableLike):  # a layer's kernel: read it once
        b = b._th_read()
    if type(a) is Tensor and type(b) is Tensor and not (adjoint_a or adjoint_b):
        va, vb = a._value, b._value  # two real matrices, the common case: MatMul directly
        if len(va.shape) == 2 and len(vb.shape) == 2 and va.dtype.kind != "c":
            ta, tb = bool(transpose_a), bool(transpose_b)
            device = a._device
            if (
                b._device is device
                and not (_record._active or _ts._tracing)
                and current_device() is None
            ):
                try:
                    out = _MATMUL(device, va, vb, ta, tb)
                except _RAW_ERRORS as e:
                    raise _tf_error("MatMul", [va, vb], e) from None
                if out is not None:
                    return Tensor(out, device)
            return _op_kernel("MatMul", [a, b], {"transpose_a": ta, "transpose_b": tb})
    a, b = _coerce_pair(a, b)
    if 0 <= a.ndim < 2 or 0 <= b.ndim < 2:  # ndim -1: unknown rank (BatchMatMulV2)
        raise errors.InvalidArgumentError(
            f"matmul needs inputs of rank >= 2, got shapes {a.shape} and {b.shape}"
        )
    ta, tb = bool(transpose_a or adjoint_a), bool(transpose_b or adjoint_b)
    if a.dtype.is_complex:  # MatMul transposes, BatchMatMulV2 conjugates too: conj the rest
        batch = not (a.ndim == 2 and b.ndim == 2)
        if (adjoint_a and not batch) or (transpose_a and not adjoint_a and batch):
            a = _op("Conj", [a])
        if (adjoint_b and not batch) or (transpose_b and not adjoint_b and batch):
            b = _op("Conj", [b])
    if a.ndim == 2 and b.ndim == 2:
        return _op("MatMul", [a, b], {"transpose_a": ta, "transpose_b": tb})
    return _op("BatchMatMulV2", [a, b], {"adj_x": ta, "adj_y": tb})


# ---- composed ops -----------------------------------------------------------------------------


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """TF's ``tf.clip_by_value``: ``maximum(minimum(t, max), min)`` (``min`` wins when it is
    above ``max``), traced as nodes ``clip_by_value/Minimum`` and ``clip_by_value``."""
    name = name or "clip_by_value"
    t = _t(t)
    return maximum(minimum(t, clip_value_max), clip_value_min)


def _l2(t, axes=None):
    return sqrt(reduce_sum(square(t), axis=axes, keepdims=axes is not None))


def clip_by_norm(t, clip_norm, axes=None, name=None):
    """TF's ``tf.clip_by_norm``: ``t * clip_norm / max(l2norm(t), clip_norm)``."""
    t = _t(t)
    clip_norm = _coerce_pair(t, clip_norm)[1]
    norm = _l2(t, axes)
    return divide(multiply(t, clip_norm), maximum(norm, clip_norm))


def global_norm(t_list, name=None):
    """TF's ``tf.linalg.global_norm``: the L2 norm of all the tensors together."""
    ts = [_t(t) for t in t_list if t is not None]
    if not ts:
        raise ValueError("global_norm needs at least one tensor")
    return sqrt(add_n([reduce_sum(square(t)) for t in ts]))


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """TF's ``tf.clip_by_global_norm``: ``(clipped list, global norm)``; None entries stay."""
    if isinstance(t_list, Tensor):
        raise TypeError("`t_list` should be a sequence of tensors, not a single tensor")
    t_list = list(t_list)
    norm = global_norm(t_list) if use_norm is None else _t(use_norm)
    clip = _coerce_pair(norm, clip_norm)[1]
    scale = divide(clip, maximum(norm, clip))
    out = [None if t is None else multiply(_t(t), cast(scale, _t(t).dtype)) for t in t_list]
    return out, norm


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None):  # noqa: A002 - TF's
    """TF's ``tf.norm`` / ``tf.linalg.norm``. Vector norms (``axis`` None or an int): 'euclidean'
    (2), 1, ``inf`` and any p > 0. Matrix norms (``axis`` a pair): 'fro' / 'euclidean', 1 (the
    largest column sum of |x|) and ``inf`` (the largest row sum); the spectral norm (2) is not
    supported (an error, never another norm)."""
    x = _t(tensor)
    keep = bool(keepdims)
    inf_ord = ord in ("inf",) or (isinstance(ord, int | float) and ord == np_inf)
    if isinstance(axis, list | tuple) and len(axis) == 2:
        a0, a1 = (int(a) + x.ndim if int(a) < 0 else int(a) for a in axis)
        if a0 == a1:
            raise ValueError(f"'axis' must contain two different axes, got {list(axis)}")
        if ord in ("euclidean", "fro"):
            return sqrt(reduce_sum(square(x), axis=[a0, a1], keepdims=keep))
        if ord == 2 and not isinstance(ord, bool):
            raise errors.UnimplementedError(
                "tf.norm: the matrix 2-norm (spectral norm) is not supported"
            )
        if ord == 1 and not isinstance(ord, bool):
            out = reduce_max(reduce_sum(abs(x), axis=a0, keepdims=True), axis=a1, keepdims=True)
        elif inf_ord:
            out = reduce_max(reduce_sum(abs(x), axis=a1, keepdims=True), axis=a0, keepdims=True)
        else:
            raise ValueError(
                "'ord' must be a supported matrix norm in ['euclidean', 'fro', 1, 2, inf], "
                f"got {ord}"
            )
        return out if keep else squeeze(out, [a0, a1])
    if ord in ("euclidean", 2, 2.0) and not isinstance(ord, bool):
        return sqrt(reduce_sum(square(x), axis=axis, keepdims=keep))
    if ord in (1, 1.0) and not isinstance(ord, bool):
        return reduce_sum(abs(x), axis=axis, keepdims=keep)
    if inf_ord:
        return reduce_max(abs(x), axis=axis, keepdims=keep)
    if isinstance(ord, int | float) and not isinstance(ord, bool) and ord > 0:
        p = _ts.constant(float(ord), dtype=x.dtype)
        total = reduce_sum(pow(abs(x), p), axis=axis, keepdims=keep)
        return pow(total, _ts.constant(1.0 / float(ord), dtype=x.dtype))
    raise ValueError(
        "'ord' must be a supported vector norm, got ord="
        f"{ord!r} (expected 'euclidean', 1, 2, inf or a positive number)"
    )


np_inf = float("inf")


def matvec(a, b, transpose_a=False, adjoint_a=False, name=None):
    """TF's ``tf.linalg.matvec``: ``a @ b[..., None]`` squeezed."""
    a, b = _coerce_pair(a, b)
    return squeeze(matmul(a, expand_dims(b, -1), transpose_a=transpose_a or adjoint_a), -1)


def tensordot(a, b, axes, name=None):
    """TF's ``tf.tensordot``: contract ``axes`` (an int, or two lists) with one matmul."""
    a, b = _coerce_pair(a, b)
    ra, rb = a.ndim, b.ndim
    if isinstance(axes, int):
        if axes < 0 or axes > min(ra, rb):
            raise ValueError(f"'axes' must be in [0, {min(ra, rb)}], got {axes}")
        ax_a, ax_b = list(range(ra - axes, ra)), list(range(axes))
    else:
        ax_a, ax_b = axes
        ax_a = [ax_a] if isinstance(ax_a, int) else list(ax_a)
        ax_b = [ax_b] if isinstance(ax_b, int) else list(ax_b)
        if len(ax_a) != len(ax_b):
            raise ValueError(f"tensordot axes {ax_a} and {ax_b} have different lengths")
    for name, axs, r, t in (("a", ax_a, ra, a), ("b", ax_b, rb, b)):
        for x in axs:
            if not -r <= int(x) < r:
                raise errors.InvalidArgumentError(
                    f"tensordot: axis {int(x)} of {name} is out of range [{-r}, {r}) for shape "
                    f"{t.shape} (dtype {t.dtype.name})"
                )
    ax_a, ax_b = [int(x) % ra for x in ax_a], [int(x) % rb for x in ax_b]
    da, db = a.shape.as_list(), b.shape.as_list()
    for i, j in zip(ax_a, ax_b):
        if None not in (da[i], db[j]) and da[i] != db[j]:
            raise errors.InvalidArgumentError(
                f"tensordot: dim {i} of a ({da[i]}) does not match dim {j} of b ({db[j]}); "
                f"shapes {a.shape} and {b.shape}"
            )
    free_a = [i for i in range(ra) if i not in ax_a]
    free_b = [i for i in range(rb) if i not in ax_b]
    fa, fb = _dims_of(a, da, free_a), _dims_of(b, db, free_b)
    known_b = None not in [db[j] for j in ax_b]
    k = _size(_dims_of(b, db, ax_b) if known_b else _dims_of(a, da, ax_a))
    a2 = reshape(transpose(a, free_a + ax_a), _shape_arg([_size(fa), k]))
    b2 = reshape(transpose(b, ax_b + free_b), _shape_arg([k, _size(fb)]))
    out = reshape(matmul(a2, b2), _shape_arg(fa + fb))
    if not all(isinstance(d, int) for d in fa + fb):  # traced, unknown dims: keep the rest
        out.set_shape([d if isinstance(d, int) else None for d in fa + fb])
    return out


def _dims_of(t, static, idx):
    """The sizes of ``t``'s dimensions ``idx``: ints where static, int32 scalars read at run
    time where unknown (``tensordot`` under a trace with ``None`` dimensions)."""
    if all(static[i] is not None for i in idx):
        return [static[i] for i in idx]
    dyn = _array_shape(t)
    return [static[i] if static[i] is not None else dyn[i] for i in idx]


def _size(dims):
    n = 1
    for d in dims:
        n = n * d
    return n


def _shape_arg(dims):
    return dims if all(isinstance(d, int) for d in dims) else stack(dims)


def einsum(equation, *inputs, **kwargs):
    """TF's ``tf.einsum`` for one or two operands, composed from ``Transpose``, ``Sum``,
    ``Reshape`` and one (batched) ``MatMul``; an index repeated in one operand takes its
    diagonal; no ``...`` (``UnimplementedError``)."""
    if not isinstance(equation, str):
        raise TypeError(f"einsum's equation must be a string, got {equation!r}")
    eq = equation.replace(" ", "")
    if "..." in eq:
        raise errors.UnimplementedError("einsum with an ellipsis ('...') is not supported")
    lhs, arrow, out = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(inputs) or len(terms) not in (1, 2):
        raise ValueError(f"einsum {equation!r}: expected 1 or 2 operands, got {len(inputs)}")
    if not arrow:  # implicit output: the indices seen once, sorted
        every = "".join(terms)
        out = "".join(sorted(c for c in set(every) if every.count(c) == 1))
    ts = [_t(x) for x in inputs]
    for k, (term, t) in enumerate(zip(terms, ts)):
        if len(term) != t.ndim:
            raise ValueError(f"einsum {equation!r}: {term!r} does not match shape {t.shape}")
        if len(set(term)) != len(term):  # an index repeated in one operand: its diagonal
            ts[k], terms[k] = _einsum_diagonal(t, term)
    if len(ts) == 2:
        ts = list(_coerce_pair(*ts))
    # indices an operand alone carries and the output drops: summed first
    for k, term in enumerate(terms):
        others = "".join(terms[:k] + terms[k + 1 :]) + out
        drop = [i for i, c in enumerate(term) if c not in others]
        if drop:
            ts[k] = reduce_sum(ts[k], axis=drop)
            terms[k] = "".join(c for c in term if c in others)
    if len(ts) == 1:
        (term,), (x,) = terms, ts
        return transpose(x, [term.index(c) for c in out]) if term != out else x
    (ta, tb), (a, b) = terms, ts
    size = {}
    for term, t in ((ta, a), (tb, b)):
        for c, d in zip(term, t.shape.as_list()):
            if size.setdefault(c, d) != d:
                raise errors.InvalidArgumentError(
                    f"einsum {equation!r}: index {c!r} has sizes {size[c]} and {d}"
                )
    batch = [c for c in out if c in ta and c in tb]
    contract = [c for c in ta if c in tb and c not in out]
    fa = [c for c in ta if c not in tb]
    fb = [c for c in tb if c not in ta]

    def prod(cs):
        n = 1
        for c in cs:
            n *= size[c]
        return n

    nb, m, k, n = prod(batch), prod(fa), prod(contract), prod(fb)
    a3 = reshape(transpose(a, [ta.index(c) for c in batch + fa + contract]), [nb, m, k])
    b3 = reshape(transpose(b, [tb.index(c) for c in batch + contract + fb]), [nb, k, n])
    r = reshape(matmul(a3, b3), [size[c] for c in batch + fa + fb])
    order = batch + fa + fb
    perm = [order.index(c) for c in out]
    return transpose(r, perm) if perm != list(range(len(perm))) else r


def _einsum_diagonal(x, term):
    """``x`` (labelled ``term``) reduced to the diagonal of each repeated index (``'bxby'`` ->
    ``'bxy'``): masked by an identity matrix on the two axes, then summed over the second."""
    while len(set(term)) != len(term):
        i = next(k for k, c in enumerate(term) if term.count(c) > 1)
        j = term.index(term[i], i + 1)
        n, m = x.shape[i], x.shape[j]
        if n is None or m is None:
            raise errors.UnimplementedError(
                f"einsum: the diagonal of index {term[i]!r} needs its size known, got {x.shape}"
            )
        if n != m:
            dims = ",".join(str(d) for d in x.shape.as_list())
            raise errors.InvalidArgumentError(
                f"Expected dimension {n} at axis {j} of the input shaped [{dims}] but got "
                f"dimension {m} [Op:Einsum]"
            )
        shape = [1] * x.ndim
        shape[i] = shape[j] = n
        x = reduce_sum(x * reshape(eye(n, dtype=x.dtype), shape), axis=j)
        term = term[:j] + term[j + 1 :]
    return x, term


# ---- more math: atan2, zeta, polygamma, reciprocal_no_nan, logical_xor ----------------------


def atan2(y, x, name=None):
    """TF's ``tf.math.atan2``: the angle of the point ``(x, y)``, in ``[-pi, pi]``."""
    return _atan2(y, x)


def _require_float32_or_64(x, op):
    """TF's error for an op whose type list is float32 / float64 only (16-bit floats too)."""
    if x.dtype.name not in ("float32", "float64"):
        raise errors.InvalidArgumentError(
            f"Value for attr 'T' of {x.dtype.name} is not in the list of allowed values: "
            f"float, double [Op:{op}]"
        )


def zeta(x, q, name=None):
    """TF's ``tf.math.zeta``: the Hurwitz zeta function, ``sum_k (k + q) ** -x``."""
    x, q = _coerce_pair(x, q)
    _require_float32_or_64(x, "Zeta")
    return _zeta(x, q)


def polygamma(a, x, name=None):
    """TF's ``tf.math.polygamma``: the ``a``-th derivative of ``digamma`` (``a`` an integer
    value of the float dtype; a non-integer ``a`` gives NaN)."""
    a, x = _coerce_pair(a, x)
    _require_float32_or_64(a, "Polygamma")
    return _polygamma(a, x)


def reciprocal_no_nan(x, name=None):
    """TF's ``tf.math.reciprocal_no_nan``: ``1 / x``, and 0 where ``x`` is 0 (floats)."""
    x = _t(x)
    if not (x.dtype.is_floating or x.dtype.is_complex):  # TF's DivNoNan: no integer kernels
        raise errors.InvalidArgumentError(
            f"Value for attr 'T' of {x.dtype.name} is not in the list of allowed values: "
            "half, float, bfloat16, double, complex64, complex128 [Op:DivNoNan]"
        )
    return divide_no_nan(_ts.constant(1, dtype=x.dtype), x)


def logical_xor(x, y, name="LogicalXor"):
    """TF's ``tf.math.logical_xor``: ``(x or y) and not (x and y)``, broadcasting (bools)."""
    return logical_and(logical_or(x, y), logical_not(logical_and(x, y)))


def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    """TF's ``tf.linalg.matrix_transpose``: swaps the last two dims (real dtypes: ``conjugate``
    changes nothing)."""
    x = _t(a)
    rank = x.shape.rank
    if rank is None or rank < 2:
        shown = x if _ts._tracing else x.numpy()
        raise ValueError(
            "Argument `a` should be a (batch) matrix with rank >= 2.  Received `a` = "
            f"{shown} with shape: {x.shape}"
        )
    perm = list(range(rank - 2)) + [rank - 1, rank - 2]
    return transpose(x, perm, conjugate=conjugate)


def adjoint(matrix, name=None):
    """TF's ``tf.linalg.adjoint``: the conjugate transpose of each matrix (real: transpose)."""
    return matrix_transpose(matrix, conjugate=True)


# ---- operators ------------------------------------------------------------------------------


def _rev(fn):
    return lambda self, other: fn(other, self)


# The op functions take (x, y, name=None), so they serve as methods directly (one frame less
# on every eager operator call than a wrapping lambda).

Tensor.__add__ = add
Tensor.__radd__ = _rev(add)
Tensor.__sub__ = subtract
Tensor.__rsub__ = _rev(subtract)
Tensor.__mul__ = multiply
Tensor.__rmul__ = _rev(multiply)
Tensor.__truediv__ = divide
Tensor.__rtruediv__ = _rev(divide)
Tensor.__pow__ = pow
Tensor.__rpow__ = _rev(pow)
# ``a @ b``: ``matmul`` itself (no extra frame) with ``name`` defaulting to "matmul", the node
# name TF gives the operator
_defaults = (*matmul.__defaults__[:-1], "matmul")
_matmul_op = types.FunctionType(matmul.__code__, matmul.__globals__, "matmul", _defaults)
Tensor.__matmul__ = _matmul_op
Tensor.__rmatmul__ = _rev(_matmul_op)
Tensor.__floordiv__ = floordiv
Tensor.__rfloordiv__ = _rev(floordiv)
Tensor.__mod__ = floormod
Tensor.__rmod__ = _rev(floormod)


def _by_dtype(logical, bitwise):
    """TF's ``&``, ``|``, ``^``: the logical op on bools, the bitwise op on integers."""

    def fn(x, y, name=None):
        dt = getattr(x, "dtype", None)
        if dt is None:
            dt = getattr(y, "dtype", None)
        return bitwise(x, y) if dt is not None and dt.is_integer else logical(x, y)

    return fn


def _invert(x, name=None):
    """TF's ``~``: ``logical_not`` on bools, the bitwise ``invert`` on integers."""
    return invert(x) if x.dtype.is_integer else logical_not(x)


_and, _or, _xor = (_by_dtype(logical_and, bitwise_and), _by_dtype(logical_or, bitwise_or),
                   _by_dtype(logical_xor, bitwise_xor))  # fmt: skip
Tensor.__and__ = _and
Tensor.__rand__ = _rev(_and)
Tensor.__or__ = _or
Tensor.__ror__ = _rev(_or)
Tensor.__xor__ = _xor
Tensor.__rxor__ = _rev(_xor)
Tensor.__invert__ = _invert
Tensor.__neg__ = negative
Tensor.__abs__ = abs
Tensor.__lt__ = less
Tensor.__le__ = less_equal
Tensor.__gt__ = greater
Tensor.__ge__ = greater_equal


def _eq(self, other):
    if other is None:
        return False
    try:
        return equal(self, other)
    except (TypeError, ValueError, errors.InvalidArgumentError):
        return False


def _ne(self, other):
    if other is None:
        return True
    try:
        return not_equal(self, other)
    except (TypeError, ValueError, errors.InvalidArgumentError):
        return True


Tensor.__eq__ = _eq
Tensor.__ne__ = _ne
