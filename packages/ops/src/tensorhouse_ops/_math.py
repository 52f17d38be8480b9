"""Math ops (``tf.math``): elementwise, reductions, matmul, cast; Tensor's operators."""

from __future__ import annotations

from collections import namedtuple

from . import dtypes as _dt
from ._tensor import Tensor, _coerce_pair, _execute, _op, convert_to_tensor, errors

__all__ = [
    "abs", "add", "add_n", "argmax", "argmin", "cast", "ceil", "cos", "cumprod", "cumsum",
    "divide", "elu_grad", "equal", "erf", "exp", "expm1", "floor", "floordiv", "floormod",
    "greater", "greater_equal", "is_finite", "is_nan", "less", "less_equal", "log", "log1p",
    "logical_and", "logical_not", "logical_or", "matmul", "maximum", "minimum", "mod",
    "multiply", "negative", "not_equal", "pow", "realdiv", "reciprocal", "reduce_all",
    "reduce_any", "reduce_max", "reduce_mean", "reduce_min", "reduce_prod", "reduce_sum",
    "relu6_grad", "relu_grad", "round", "rsqrt", "selu_grad", "sigmoid", "sigmoid_grad", "sign",
    "sin", "softplus", "softplus_grad", "sqrt", "square", "squared_difference", "subtract",
    "tan", "tanh", "tanh_grad", "top_k", "truediv", "unsorted_segment_sum",
]  # fmt: skip


def _t(x):
    return x if type(x) is Tensor else convert_to_tensor(x)


def _unary(op_type, name=None):
    def fn(x, name=None):
        return _op(op_type, [x if type(x) is Tensor else convert_to_tensor(x)])

    fn.__name__ = name or op_type.lower()
    fn.__doc__ = f"Elementwise ``{op_type}`` (TF's op of that name)."
    return fn


def _binary(op_type, name=None):
    def fn(x, y, name=None):
        return _op(op_type, list(_coerce_pair(x, y)))

    fn.__name__ = name or op_type.lower()
    fn.__doc__ = f"Elementwise ``{op_type}`` with NumPy broadcasting; no dtype promotion."
    return fn


negative = _unary("Neg")
abs = _unary("Abs")  # noqa: A001 - TF's name
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

add = _binary("AddV2")
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

_TRUEDIV_TARGET = {
    "int8": _dt.float32, "int16": _dt.float32, "uint8": _dt.float32,
    "int32": _dt.float64, "int64": _dt.float64,
}  # fmt: skip


def divide(x, y, name=None):
    """TF's ``x / y``: integers are first cast to float (int32 -> float64, as TF does)."""
    x, y = _coerce_pair(x, y)
    target = _TRUEDIV_TARGET.get(x.dtype.name)
    if target is not None and x.dtype is y.dtype:
        x, y = cast(x, target), cast(y, target)
    return _op("RealDiv", [x, y])


truediv = divide


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
    x = x if type(x) is Tensor else convert_to_tensor(x)
    if x.dtype is dtype:
        return x
    return _op("Cast", [x], {"DstT": dtype._np})


def _reduce(op_type):
    def fn(input_tensor, axis=None, keepdims=False, name=None):
        x = input_tensor if type(input_tensor) is Tensor else convert_to_tensor(input_tensor)
        if axis is not None:
            axis = _axis_tuple(axis)
        return _op(op_type, [x], {"axis": axis, "keep_dims": bool(keepdims)})

    fn.__doc__ = f"TF's ``{op_type}`` reduction over ``axis`` (all axes when None)."
    return fn


def _axis_tuple(axis):
    if isinstance(axis, Tensor):
        axis = axis.numpy().tolist()
    if isinstance(axis, int):
        return (axis,)
    return tuple(int(a) for a in axis)


reduce_sum = _reduce("Sum")
reduce_mean = _reduce("Mean")
reduce_max = _reduce("Max")
reduce_min = _reduce("Min")
reduce_prod = _reduce("Prod")
reduce_all = _reduce("All")
reduce_any = _reduce("Any")


def _arg(op_type):
    def fn(input, axis=None, output_type=_dt.int64, name=None):  # noqa: A002 - TF's name
        axis = 0 if axis is None else int(axis)
        out = _dt.as_dtype(output_type)._np
        return _op(op_type, [_t(input)], {"axis": axis, "output_type": out})

    fn.__doc__ = f"TF's ``{op_type}``: the index of the first extreme along ``axis`` (default 0)."
    return fn


argmax = _arg("ArgMax")
argmin = _arg("ArgMin")


def _cumulative(op_type):
    def fn(x, axis=0, exclusive=False, reverse=False, name=None):
        attrs = {"axis": int(axis), "exclusive": bool(exclusive), "reverse": bool(reverse)}
        return _op(op_type, [_t(x)], attrs)

    fn.__doc__ = f"TF's ``{op_type}`` along ``axis``, optionally exclusive and / or reversed."
    return fn


cumsum = _cumulative("Cumsum")
cumprod = _cumulative("Cumprod")

TopKV2 = namedtuple("TopKV2", ["values", "indices"])


def top_k(input, k=1, sorted=True, name=None):  # noqa: A002 - TF's names
    """TF's ``tf.math.top_k``: the ``k`` largest entries of the last axis and their indices."""
    values, indices = _execute("TopKV2", [_t(input)], {"k": int(k), "sorted": bool(sorted)})
    return TopKV2(values, indices)


def unsorted_segment_sum(data, segment_ids, num_segments, name=None):
    """TF's ``tf.math.unsorted_segment_sum``; negative ids are dropped."""
    n = int(num_segments.numpy()) if isinstance(num_segments, Tensor) else int(num_segments)
    return _op("UnsortedSegmentSum", [_t(data), _t(segment_ids)], {"num_segments": n})


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
    a, b = _coerce_pair(a, b)
    if a.ndim < 2 or b.ndim < 2:
        raise errors.InvalidArgumentError(
            f"matmul needs inputs of rank >= 2, got shapes {a.shape} and {b.shape}"
        )
    ta, tb = bool(transpose_a or adjoint_a), bool(transpose_b or adjoint_b)
    if a.ndim == 2 and b.ndim == 2:
        return _op("MatMul", [a, b], {"transpose_a": ta, "transpose_b": tb})
    return _op("BatchMatMulV2", [a, b], {"adj_x": ta, "adj_y": tb})


# ---- operators ------------------------------------------------------------------------------


def _rev(fn):
    return lambda self, other: fn(other, self)


Tensor.__add__ = lambda self, other: add(self, other)
Tensor.__radd__ = _rev(add)
Tensor.__sub__ = lambda self, other: subtract(self, other)
Tensor.__rsub__ = _rev(subtract)
Tensor.__mul__ = lambda self, other: multiply(self, other)
Tensor.__rmul__ = _rev(multiply)
Tensor.__truediv__ = lambda self, other: divide(self, other)
Tensor.__rtruediv__ = _rev(divide)
Tensor.__pow__ = lambda self, other: pow(self, other)
Tensor.__rpow__ = _rev(pow)
Tensor.__matmul__ = lambda self, other: matmul(self, other)
Tensor.__rmatmul__ = _rev(matmul)
Tensor.__floordiv__ = lambda self, other: floordiv(self, other)
Tensor.__rfloordiv__ = _rev(floordiv)
Tensor.__mod__ = lambda self, other: floormod(self, other)
Tensor.__rmod__ = _rev(floormod)
Tensor.__and__ = lambda self, other: logical_and(self, other)
Tensor.__rand__ = _rev(logical_and)
Tensor.__or__ = lambda self, other: logical_or(self, other)
Tensor.__ror__ = _rev(logical_or)
Tensor.__invert__ = lambda self: logical_not(self)
Tensor.__neg__ = lambda self: negative(self)
Tensor.__abs__ = lambda self: abs(self)
Tensor.__lt__ = lambda self, other: less(self, other)
Tensor.__le__ = lambda self, other: less_equal(self, other)
Tensor.__gt__ = lambda self, other: greater(self, other)
Tensor.__ge__ = lambda self, other: greater_equal(self, other)


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
