"""Gradient (VJP) rules, one per differentiable op type, written in ops.

``RULES[op_type](x_inputs, y_outputs, attrs, dy) -> [dx per input]``, where ``dy`` is the
gradient of the (single) output. Because the rules call ops, the backward pass is itself
recorded by any outer tape, which gives higher-order derivatives.
"""

from __future__ import annotations

from . import _array as A
from . import _math as M

__all__ = ["RULES", "NON_DIFFERENTIABLE", "backward", "ones_like", "zeros_like"]

RULES: dict = {}

# Ops whose outputs carry no gradient (comparisons, integer and random outputs).
NON_DIFFERENTIABLE = {
    "Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual",
    "Sign", "Floor", "Ceil", "Fill", "RandomUniform", "RandomStandardNormal",
}  # fmt: skip


def rule(*op_types):
    def wrap(fn):
        for op in op_types:
            RULES[op] = fn
        return fn

    return wrap


def ones_like(t):
    return A.fill(t.shape.as_list(), 1, dtype=t.dtype)


def zeros_like(t):
    return A.fill(t.shape.as_list(), 0, dtype=t.dtype)


def backward(rec, output_grads):
    """Input gradients of one recorded op, given the gradients of its outputs."""
    if rec.op_type in NON_DIFFERENTIABLE:
        return [None] * len(rec.inputs)
    fn = RULES.get(rec.op_type)
    if fn is None:
        from ._tensor import errors

        raise errors.UnimplementedError(
            f"No gradient is defined for op type '{rec.op_type}' (inputs: "
            + ", ".join(f"{x.dtype.name}{x.shape}" for x in rec.inputs)
            + ")"
        )
    dy = output_grads[0]
    if dy is None:
        return [None] * len(rec.inputs)
    return fn(rec.inputs, rec.outputs, rec.attrs, dy)


def unbroadcast(g, shape):
    """Sum ``g`` over the dims that broadcasting added or stretched to reach ``shape``."""
    gshape = tuple(g.shape)
    shape = tuple(shape)
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    axes = list(range(lead))
    for i, d in enumerate(shape):
        if d == 1 and gshape[lead + i] != 1:
            axes.append(lead + i)
    if axes:
        g = M.reduce_sum(g, axis=axes, keepdims=True)
    return A.reshape(g, shape)


# ---- elementwise ---------------------------------------------------------------------------


@rule("Identity")
def _identity(x, y, attrs, dy):
    return [dy]


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


@rule("AddV2")
def _add(x, y, attrs, dy):
    return [unbroadcast(dy, x[0].shape), unbroadcast(dy, x[1].shape)]


@rule("Sub")
def _sub(x, y, attrs, dy):
    return [unbroadcast(dy, x[0].shape), unbroadcast(M.negative(dy), x[1].shape)]


@rule("Mul")
def _mul(x, y, attrs, dy):
    a, b = x
    return [unbroadcast(M.multiply(dy, b), a.shape), unbroadcast(M.multiply(dy, a), b.shape)]


@rule("RealDiv")
def _div(x, y, attrs, dy):
    a, b = x
    da = M.divide(dy, b)
    db = M.negative(M.multiply(dy, M.divide(y[0], b)))
    return [unbroadcast(da, a.shape), unbroadcast(db, b.shape)]


@rule("SquaredDifference")
def _sqdiff(x, y, attrs, dy):
    a, b = x
    d = M.multiply(M.multiply(dy, 2), M.subtract(a, b))
    return [unbroadcast(d, a.shape), unbroadcast(M.negative(d), b.shape)]


@rule("Pow")
def _pow(x, y, attrs, dy):
    a, b = x
    da = M.multiply(dy, M.multiply(b, M.pow(a, M.subtract(b, 1))))
    safe_log = M.log(M.maximum(a, M.cast(1e-37 if a.dtype.name == "float32" else 1e-307, a.dtype)))
    db = M.multiply(dy, M.multiply(y[0], safe_log))
    return [unbroadcast(da, a.shape), unbroadcast(db, b.shape)]


def _select_grad(dy, a, b, take_a):
    mask = M.cast(take_a, dy.dtype)
    return [
        unbroadcast(M.multiply(dy, mask), a.shape),
        unbroadcast(M.multiply(dy, M.subtract(1, mask)), b.shape),
    ]


@rule("Maximum")
def _maximum(x, y, attrs, dy):
    return _select_grad(dy, x[0], x[1], M.greater_equal(x[0], x[1]))


@rule("Minimum")
def _minimum(x, y, attrs, dy):
    return _select_grad(dy, x[0], x[1], M.less_equal(x[0], x[1]))


# ---- reductions, matmul, shapes --------------------------------------------------------------


def _reduced_shape(shape, axes):
    return [1 if i in axes else d for i, d in enumerate(shape)]


def _axes(attrs, rank):
    axis = attrs.get("axis")
    return set(range(rank)) if axis is None else {a % rank for a in axis}


@rule("Sum")
def _sum(x, y, attrs, dy):
    shape = x[0].shape.as_list()
    g = A.reshape(dy, _reduced_shape(shape, _axes(attrs, len(shape))))
    return [A.broadcast_to(g, shape)]


@rule("Mean")
def _mean(x, y, attrs, dy):
    shape = x[0].shape.as_list()
    axes = _axes(attrs, len(shape))
    count = 1
    for a in axes:
        count *= shape[a]
    g = A.reshape(dy, _reduced_shape(shape, axes))
    return [A.broadcast_to(M.divide(g, max(count, 1)), shape)]


@rule("Max", "Min")
def _max_min(x, y, attrs, dy):  # split the gradient between ties, as TF does
    shape = x[0].shape.as_list()
    kept = _reduced_shape(shape, _axes(attrs, len(shape)))
    hit = M.cast(M.equal(x[0], A.reshape(y[0], kept)), dy.dtype)
    count = M.reduce_sum(hit, axis=sorted(_axes(attrs, len(shape))), keepdims=True)
    return [M.divide(M.multiply(hit, A.reshape(dy, kept)), count)]


@rule("MatMul")
def _matmul(x, y, attrs, dy):
    a, b = x
    ta, tb = bool(attrs.get("transpose_a")), bool(attrs.get("transpose_b"))
    mm = M.matmul
    if not ta and not tb:
        return [mm(dy, b, transpose_b=True), mm(a, dy, transpose_a=True)]
    if not ta and tb:
        return [mm(dy, b), mm(dy, a, transpose_a=True)]
    if ta and not tb:
        return [mm(b, dy, transpose_b=True), mm(a, dy)]
    return [
        mm(b, dy, transpose_a=True, transpose_b=True),
        mm(dy, a, transpose_a=True, transpose_b=True),
    ]


@rule("Reshape")
def _reshape(x, y, attrs, dy):
    return [A.reshape(dy, x[0].shape.as_list())]


@rule("Transpose")
def _transpose(x, y, attrs, dy):
    perm = list(attrs["perm"])
    inverse = [0] * len(perm)
    for i, p in enumerate(perm):
        inverse[p] = i
    return [A.transpose(dy, inverse)]


@rule("BroadcastTo")
def _broadcast_to(x, y, attrs, dy):
    return [unbroadcast(dy, x[0].shape)]


@rule("Cast")
def _cast(x, y, attrs, dy):
    src = x[0].dtype
    return [M.cast(dy, src) if src.is_floating and dy.dtype.is_floating else None]


@rule("Prod")
def _prod(x, y, attrs, dy):
    """d prod / d x_i = product of the others, computed without dividing by zero."""
    shape = x[0].shape.as_list()
    axes = sorted(_axes(attrs, len(shape)))
    kept = _reduced_shape(shape, set(axes))
    is_zero = M.cast(M.equal(x[0], 0), x[0].dtype)
    x_safe = M.add(x[0], is_zero)  # zeros replaced by ones
    nonzero_prod = M.reduce_prod(x_safe, axis=axes, keepdims=True)
    zeros = M.reduce_sum(is_zero, axis=axes, keepdims=True)
    no_zero = M.cast(M.equal(zeros, 0), x[0].dtype)
    one_zero = M.cast(M.equal(zeros, 1), x[0].dtype)
    others = M.add(
        M.multiply(M.subtract(1, is_zero), M.multiply(M.divide(nonzero_prod, x_safe), no_zero)),
        M.multiply(is_zero, M.multiply(nonzero_prod, one_zero)),
    )
    return [M.multiply(others, A.reshape(dy, kept))]
