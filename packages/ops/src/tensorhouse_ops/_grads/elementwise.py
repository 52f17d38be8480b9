"""Gradient rules of the elementwise family: unary and binary elementwise math, activations and
their backprops, casts, the fused elementwise program.
"""

from __future__ import annotations

from .. import _array as A
from .. import _math as M
from .._tensor import _op
from .base import (
    MULTI_OUTPUT,
    NON_DIFFERENTIABLE,
    RULES,
    _grad_of_composed,
    _shape,
    rule,
    unbroadcast,
    zeros_like,
)


@rule("Neg")
def _neg(x, y, attrs, dy):
    return [M.negative(dy)]


@rule("Abs")
def _abs(x, y, attrs, dy):
    return [M.multiply(dy, M.sign(x[0]))]


@rule("Square")
def _square(x, y, attrs, dy):
    return [M.multiply(dy, M.multiply(x[0], 2))]


@rule("Sqrt")
def _sqrt(x, y, attrs, dy):
    return [M.divide(M.multiply(dy, 0.5), y[0])]


@rule("Rsqrt")
def _rsqrt(x, y, attrs, dy):  # d/dx x^-1/2 = -1/2 y^3
    return [M.multiply(dy, M.multiply(M.multiply(y[0], M.square(y[0])), -0.5))]


@rule("Exp")
def _exp(x, y, attrs, dy):
    return [M.multiply(dy, y[0])]


@rule("Expm1")
def _expm1(x, y, attrs, dy):
    return [M.multiply(dy, M.exp(x[0]))]


@rule("Log")
def _log(x, y, attrs, dy):
    return [M.divide(dy, x[0])]


@rule("Log1p")
def _log1p(x, y, attrs, dy):
    return [M.divide(dy, M.add(x[0], 1))]


@rule("Reciprocal")
def _reciprocal(x, y, attrs, dy):
    return [M.negative(M.multiply(dy, M.square(y[0])))]


@rule("Sin")
def _sin(x, y, attrs, dy):
    return [M.multiply(dy, M.cos(x[0]))]


@rule("Cos")
def _cos(x, y, attrs, dy):
    return [M.negative(M.multiply(dy, M.sin(x[0])))]


@rule("Tan")
def _tan(x, y, attrs, dy):
    return [M.multiply(dy, M.add(M.square(y[0]), 1))]


@rule("Tanh")
def _tanh(x, y, attrs, dy):
    return [M.multiply(dy, M.subtract(1, M.square(y[0])))]


@rule("Sigmoid")
def _sigmoid(x, y, attrs, dy):
    return [M.multiply(dy, M.multiply(y[0], M.subtract(1, y[0])))]


@rule("Relu")
def _relu(x, y, attrs, dy):
    return [M.relu_grad(dy, x[0])]


@rule("ReluGrad")
def _relu_grad(x, y, attrs, dy):  # ReluGrad(g, features): linear in g, flat in features
    return [M.relu_grad(dy, x[1]), None]


@rule("SigmoidGrad")
def _sigmoid_grad(x, y, attrs, dy):  # out = d * y * (1 - y)
    yv, d = x
    return [
        M.multiply(dy, M.multiply(d, M.subtract(1, M.multiply(yv, 2)))),
        M.multiply(dy, M.multiply(yv, M.subtract(1, yv))),
    ]


@rule("TanhGrad")
def _tanh_grad(x, y, attrs, dy):  # out = d * (1 - y^2)
    yv, d = x
    return [
        M.multiply(dy, M.multiply(d, M.multiply(yv, -2))),
        M.multiply(dy, M.subtract(1, M.square(yv))),
    ]


@rule("Erf")
def _erf(x, y, attrs, dy):  # 2 / sqrt(pi) * exp(-x^2)
    return [M.multiply(dy, M.multiply(M.exp(M.negative(M.square(x[0]))), 1.1283791670955126))]


@rule("Elu")
def _elu(x, y, attrs, dy):
    return [M.elu_grad(dy, y[0])]


@rule("Selu")
def _selu(x, y, attrs, dy):
    return [M.selu_grad(dy, y[0])]


@rule("Softplus")
def _softplus(x, y, attrs, dy):
    return [M.softplus_grad(dy, x[0])]


@rule("Relu6")
def _relu6(x, y, attrs, dy):
    return [M.relu6_grad(dy, x[0])]


def _where_negative(outputs, g):
    """``g`` where ``outputs < 0``, else 0."""
    return A.where(M.less(outputs, 0), g, zeros_like(g))


def _grad_of_grad(again):
    """EluGrad / SeluGrad(g, outputs): g * (outputs + c) below 0, g * scale above; linear in g."""

    def fn(x, y, attrs, dy):
        g, outputs = x
        return [again(dy, outputs), _where_negative(outputs, M.multiply(dy, g))]

    return fn


RULES["EluGrad"] = _grad_of_grad(M.elu_grad)


RULES["SeluGrad"] = _grad_of_grad(M.selu_grad)


@rule("SoftplusGrad")
def _softplus_grad(x, y, attrs, dy):  # out = g * sigmoid(f)
    g, f = x
    s = M.sigmoid(f)
    return [M.softplus_grad(dy, f), M.multiply(M.multiply(dy, g), M.multiply(s, M.subtract(1, s)))]


@rule("Relu6Grad")
def _relu6_grad(x, y, attrs, dy):  # linear in the gradients, flat in the features
    return [M.relu6_grad(dy, x[1]), None]


@rule("SelectV2")
def _select(x, y, attrs, dy):
    cond, t, e = x
    zeros = zeros_like(dy)
    return [
        None,
        unbroadcast(A.where(cond, dy, zeros), t, x),
        unbroadcast(A.where(cond, zeros, dy), e, x),
    ]


@rule("FloorMod")
def _floor_mod(x, y, attrs, dy):  # a - floor(a / b) * b
    a, b = x
    return [
        unbroadcast(dy, a, x),
        unbroadcast(M.multiply(M.negative(dy), M.floordiv(a, b)), b, x),
    ]


@rule("TruncateMod")
def _truncate_mod(x, y, attrs, dy):  # TF registers no gradient for it, and says so
    raise LookupError("gradient registry has no entry for: TruncateMod")


@rule("AddV2")
def _add(x, y, attrs, dy):
    return [unbroadcast(dy, x[0], x), unbroadcast(dy, x[1], x)]


@rule("Sub")
def _sub(x, y, attrs, dy):
    return [unbroadcast(dy, x[0], x), unbroadcast(M.negative(dy), x[1], x)]


@rule("Mul")
def _mul(x, y, attrs, dy):
    a, b = x
    return [unbroadcast(M.multiply(dy, b), a, x), unbroadcast(M.multiply(dy, a), b, x)]


@rule("RealDiv")
def _div(x, y, attrs, dy):
    a, b = x
    da = M.divide(dy, b)
    db = M.negative(M.multiply(dy, M.divide(y[0], b)))
    return [unbroadcast(da, a, x), unbroadcast(db, b, x)]


@rule("SquaredDifference")
def _sqdiff(x, y, attrs, dy):
    a, b = x
    d = M.multiply(M.multiply(dy, 2), M.subtract(a, b))
    return [unbroadcast(d, a, x), unbroadcast(M.negative(d), b, x)]


@rule("Pow")
def _pow(x, y, attrs, dy):
    a, b = x
    da = M.multiply(dy, M.multiply(b, M.pow(a, M.subtract(b, 1))))
    safe_log = M.log(M.maximum(a, M.cast(1e-37 if a.dtype.name == "float32" else 1e-307, a.dtype)))
    db = M.multiply(dy, M.multiply(y[0], safe_log))
    return [unbroadcast(da, a, x), unbroadcast(db, b, x)]


def _select_grad(dy, a, b, take_a):
    mask = M.cast(take_a, dy.dtype)
    return [
        unbroadcast(M.multiply(dy, mask), a, (a, b)),
        unbroadcast(M.multiply(dy, M.subtract(1, mask)), b, (a, b)),
    ]


@rule("Maximum")
def _maximum(x, y, attrs, dy):
    return _select_grad(dy, x[0], x[1], M.greater_equal(x[0], x[1]))


@rule("Minimum")
def _minimum(x, y, attrs, dy):
    return _select_grad(dy, x[0], x[1], M.less_equal(x[0], x[1]))


@rule("Cast")
def _cast(x, y, attrs, dy):
    src = x[0].dtype
    return [M.cast(dy, src) if src.is_floating and dy.dtype.is_floating else None]


@rule("FusedElementwise")
def _fused_elementwise(x, y, attrs, dys):
    """tensorhouse's fused program (only optimized graphs run it, so tapes rarely see it):
    through the program rebuilt from the ops it names, whose rules differentiate again."""

    def composed(*inputs):
        regs = []
        for ins in attrs["program"]:
            if ins[0] == "input":
                regs.append(inputs[ins[1]])
            elif ins[0] == "const":
                regs.append(A.fill([], ins[1], dtype=inputs[0].dtype))
            else:
                regs.append(_op(ins[1], [regs[r] for r in ins[2:]]))
        return [A.broadcast_to(regs[r], _shape(y[0])) for r in attrs["outputs"]]

    return list(_grad_of_composed(composed, list(x), dys))


MULTI_OUTPUT.add("FusedElementwise")


# Rint has no gradient in TF (None); the bitwise ops are integer only.
NON_DIFFERENTIABLE.update({"Rint", "Invert", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "LeftShift",
                       "RightShift"})  # fmt: skip


@rule("Atan")
def _atan(x, y, attrs, dy):  # 1 / (1 + x^2)
    return [M.divide(dy, M.add(M.square(x[0]), 1))]


@rule("Acos")
def _acos(x, y, attrs, dy):  # -1 / sqrt(1 - x^2)
    return [M.negative(M.multiply(dy, M.rsqrt(M.subtract(1, M.square(x[0])))))]


@rule("Asin")
def _asin(x, y, attrs, dy):  # 1 / sqrt(1 - x^2)
    return [M.multiply(dy, M.rsqrt(M.subtract(1, M.square(x[0]))))]


@rule("Sinh")
def _sinh(x, y, attrs, dy):
    return [M.multiply(dy, M.cosh(x[0]))]


@rule("Cosh")
def _cosh(x, y, attrs, dy):
    return [M.multiply(dy, M.sinh(x[0]))]


@rule("Acosh")
def _acosh(x, y, attrs, dy):  # 1 / sinh(acosh x)
    return [M.divide(dy, M.sinh(y[0]))]


@rule("Asinh")
def _asinh(x, y, attrs, dy):  # 1 / cosh(asinh x)
    return [M.divide(dy, M.cosh(y[0]))]


@rule("Atanh")
def _atanh(x, y, attrs, dy):  # 1 / (1 - x^2)
    return [M.divide(dy, M.subtract(1, M.square(x[0])))]


@rule("Lgamma")
def _lgamma(x, y, attrs, dy):
    return [M.multiply(dy, M.digamma(x[0]))]


@rule("Digamma")
def _digamma(x, y, attrs, dy):  # the trigamma function
    return [M.multiply(dy, M.polygamma(M.cast(1, x[0].dtype), x[0]))]


@rule("Atan2")
def _atan2(x, y, attrs, dy):  # atan2(b, a): (a, -b) / (a^2 + b^2)
    b, a = x
    d = M.divide(dy, M.add(M.square(a), M.square(b)))
    return [unbroadcast(M.multiply(d, a), b), unbroadcast(M.negative(M.multiply(d, b)), a)]


@rule("Zeta")
def _zeta(x, y, attrs, dy):  # d/dq zeta(s, q) = -s zeta(s + 1, q); none for s, as TF
    s, q = x
    dq = M.multiply(dy, M.negative(M.multiply(s, M.zeta(M.add(s, 1), q))))
    return [None, unbroadcast(dq, q)]


@rule("Polygamma")
def _polygamma(x, y, attrs, dy):  # d/dx polygamma(n, x) = polygamma(n + 1, x); none for n
    n, v = x
    return [None, unbroadcast(M.multiply(dy, M.polygamma(M.add(n, 1), v)), v)]
