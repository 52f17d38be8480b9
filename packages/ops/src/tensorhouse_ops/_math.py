"""Math ops (``tf.math``): elementwise, reductions, matmul, cast; Tensor's operators."""

from __future__ import annotations

from . import dtypes as _dt
from ._tensor import Tensor, _coerce_pair, _op, convert_to_tensor, errors

__all__ = [
    "abs", "add", "add_n", "cast", "ceil", "cos", "divide", "equal", "exp", "expm1", "floor",
    "greater", "greater_equal", "less", "less_equal", "log", "log1p", "matmul", "maximum",
    "minimum", "multiply", "negative", "not_equal", "pow", "realdiv", "reciprocal",
    "reduce_max", "reduce_mean", "reduce_min", "reduce_prod", "reduce_sum", "relu_grad",
    "rsqrt", "sigmoid", "sigmoid_grad", "sign", "sin", "sqrt", "square", "squared_difference",
    "subtract", "tan", "tanh", "tanh_grad", "truediv",
]  # fmt: skip


def _unary(op_type):
    def fn(x, name=None):
        return _op(op_type, [x if type(x) is Tensor else convert_to_tensor(x)])

    fn.__name__ = op_type.lower()
    fn.__doc__ = f"Elementwise ``{op_type}`` (TF's op of that name)."
    return fn


def _binary(op_type):
    def fn(x, y, name=None):
        return _op(op_type, list(_coerce_pair(x, y)))

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
    """TF's ``tf.linalg.matmul`` on rank-2 float tensors (batched matmul: a later release)."""
    a, b = _coerce_pair(a, b)
    if a.ndim != 2 or b.ndim != 2:
        raise errors.UnimplementedError(
            f"matmul of shapes {a.shape} and {b.shape} ({a.dtype.name}): only rank-2 inputs "
            "are supported in this release"
        )
    attrs = {
        "transpose_a": bool(transpose_a or adjoint_a),
        "transpose_b": bool(transpose_b or adjoint_b),
    }
    return _op("MatMul", [a, b], attrs)


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
