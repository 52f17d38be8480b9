"""Gradient (VJP) rules, one per differentiable op type, written in ops.

``RULES[op_type](x_inputs, y_outputs, attrs, dy) -> [dx per input]``, where ``dy`` is the
gradient of the (single) output; for the ops in ``MULTI_OUTPUT`` it is the list of the
outputs' gradients (None where an output got none). Because the rules call ops, the backward
pass is itself recorded by any outer tape, which gives higher-order derivatives.
"""

from __future__ import annotations

import math

from . import _array as A
from . import _dynamic as _dyn
from . import _math as M
from . import _tensor
from ._tensor import Tensor, _execute, _op

__all__ = ["RULES", "NON_DIFFERENTIABLE", "MULTI_OUTPUT", "backward", "ones_like", "zeros_like"]

RULES: dict = {}

# Ops whose outputs carry no gradient (comparisons, integer, bool and random outputs; TF
# defines none for Round and FloorDiv either).
NON_DIFFERENTIABLE = {
    "Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual",
    "Sign", "Floor", "Ceil", "Fill", "RandomUniform", "RandomStandardNormal",
    "Round", "FloorDiv", "IsNan", "IsFinite", "LogicalNot", "LogicalAnd", "LogicalOr",
    "All", "Any", "ArgMax", "ArgMin", "OneHot", "Range", "Where",
    "RandomUniformInt", "TruncatedNormal", "StatelessRandomUniformV2", "StatelessRandomNormalV2",
    "StatelessTruncatedNormalV2", "StatelessRandomUniformIntV2", "Shape", "Size",
}  # fmt: skip

# Ops with several outputs: their rules get every output's gradient.
MULTI_OUTPUT = {
    "Split", "SplitV", "TopKV2", "SoftmaxCrossEntropyWithLogits",
    "SparseSoftmaxCrossEntropyWithLogits", "FusedBatchNormV3", "FusedBatchNormGradV3",
    "LayerNorm", "LayerNormGrad", "LogMatrixDeterminant",
}  # fmt: skip


def rule(*op_types):
    def wrap(fn):
        for op in op_types:
            RULES[op] = fn
        return fn

    return wrap


def _shape(t):
    """``t``'s dims as a shape argument; while tracing, an unknown dim is read at run time."""
    return _dyn.entries_of(t) if _tensor._tracing else t.shape.as_list()


def _with_shape(op_type, ins, attrs, t, key="shape"):
    """Kernel op ``op_type`` with ``attrs[key]`` = ``t``'s shape (read at run time if needed)."""
    if _tensor._tracing:
        return _dyn.shaped_op(op_type, ins, attrs, _dyn.entries_of(t), key)
    return _op(op_type, ins, {**attrs, key: tuple(t.shape.as_list())})


def ones_like(t):
    return A.fill(_shape(t), 1, dtype=t.dtype)


def zeros_like(t):
    return A.fill(_shape(t), 0, dtype=t.dtype)


def backward(rec, output_grads):
    """Input gradients of one recorded op, given the gradients of its outputs."""
    if rec.op_type in NON_DIFFERENTIABLE:
        return [None] * len(rec.inputs)
    if rec.op_type == "CustomGradient":
        return _custom(rec.inputs, rec.outputs, rec.attrs, list(output_grads))
    fn = RULES.get(rec.op_type)
    if fn is None:
        from ._tensor import errors

        raise errors.UnimplementedError(
            f"No gradient is defined for op type '{rec.op_type}' (inputs: "
            + ", ".join(f"{x.dtype.name}{x.shape}" for x in rec.inputs)
            + ")"
        )
    if rec.op_type in MULTI_OUTPUT:
        dy = list(output_grads)
        if all(g is None for g in dy):
            return [None] * len(rec.inputs)
        return fn(rec.inputs, rec.outputs, rec.attrs, dy)
    dy = output_grads[0]
    if dy is None:
        return [None] * len(rec.inputs)
    return fn(rec.inputs, rec.outputs, rec.attrs, dy)


def unbroadcast(g, x):
    """Sum ``g`` over the dims that broadcasting added or stretched to reach ``x``'s shape
    (``x`` a tensor or a shape). An unknown dim is taken to match ``g``'s (not broadcast)."""
    gshape = tuple(g.shape)
    if isinstance(x, Tensor):
        shape = target = tuple(x.shape)
        if _tensor._tracing and None in shape:
            target = _dyn.entries_of(x)
    else:
        shape = target = tuple(x)
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    axes = list(range(lead))
    for i, d in enumerate(shape):
        if d == 1 and gshape[lead + i] != 1:
            axes.append(lead + i)
    if axes:
        g = M.reduce_sum(g, axis=axes, keepdims=True)
    return A.reshape(g, target)


# ---- elementwise ---------------------------------------------------------------------------


@rule("Identity")
def _identity(x, y, attrs, dy):
    return [None] if attrs.get("stop_gradient") else [dy]


def _custom(x, y, attrs, dy):
    """``tf.custom_gradient``'s record: the user's ``grad_fn``, one gradient per tensor input
    (not in ``RULES``: it is no op type, and finite differences cannot check a user's rule)."""
    from .nest import flatten

    dy = [zeros_like(o) if g is None else g for g, o in zip(dy, y)]
    grads = attrs["grad_fn"](*dy)
    grads = flatten(grads) if isinstance(grads, list | tuple) else [grads]
    if len(grads) != len(x):
        raise ValueError(
            f"custom_gradient's grad_fn returned {len(grads)} gradients for {len(x)} inputs"
        )
    return grads


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
        unbroadcast(A.where(cond, dy, zeros), t),
        unbroadcast(A.where(cond, zeros, dy), e),
    ]


@rule("FloorMod")
def _floor_mod(x, y, attrs, dy):  # a - floor(a / b) * b
    a, b = x
    return [
        unbroadcast(dy, a),
        unbroadcast(M.multiply(M.negative(dy), M.floordiv(a, b)), b),
    ]


@rule("TruncateMod")
def _truncate_mod(x, y, attrs, dy):  # TF registers no gradient for it, and says so
    raise LookupError("gradient registry has no entry for: TruncateMod")


@rule("AddV2")
def _add(x, y, attrs, dy):
    return [unbroadcast(dy, x[0]), unbroadcast(dy, x[1])]


@rule("Sub")
def _sub(x, y, attrs, dy):
    return [unbroadcast(dy, x[0]), unbroadcast(M.negative(dy), x[1])]


@rule("Mul")
def _mul(x, y, attrs, dy):
    a, b = x
    return [unbroadcast(M.multiply(dy, b), a), unbroadcast(M.multiply(dy, a), b)]


@rule("RealDiv")
def _div(x, y, attrs, dy):
    a, b = x
    da = M.divide(dy, b)
    db = M.negative(M.multiply(dy, M.divide(y[0], b)))
    return [unbroadcast(da, a), unbroadcast(db, b)]


@rule("SquaredDifference")
def _sqdiff(x, y, attrs, dy):
    a, b = x
    d = M.multiply(M.multiply(dy, 2), M.subtract(a, b))
    return [unbroadcast(d, a), unbroadcast(M.negative(d), b)]


@rule("Pow")
def _pow(x, y, attrs, dy):
    a, b = x
    da = M.multiply(dy, M.multiply(b, M.pow(a, M.subtract(b, 1))))
    safe_log = M.log(M.maximum(a, M.cast(1e-37 if a.dtype.name == "float32" else 1e-307, a.dtype)))
    db = M.multiply(dy, M.multiply(y[0], safe_log))
    return [unbroadcast(da, a), unbroadcast(db, b)]


def _select_grad(dy, a, b, take_a):
    mask = M.cast(take_a, dy.dtype)
    return [
        unbroadcast(M.multiply(dy, mask), a),
        unbroadcast(M.multiply(dy, M.subtract(1, mask)), b),
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
    shape = _shape(x[0])
    g = A.reshape(dy, _reduced_shape(shape, _axes(attrs, len(shape))))
    return [A.broadcast_to(g, shape)]


@rule("Mean")
def _mean(x, y, attrs, dy):
    shape = _shape(x[0])
    axes = _axes(attrs, len(shape))
    count = 1
    for a in axes:
        if type(shape[a]) is not int:  # an unknown dim: size(x) / size(mean), at run time
            sizes = [M.cast(A.size(t), dy.dtype) for t in (x[0], y[0])]
            count = M.maximum(M.divide(sizes[0], M.maximum(sizes[1], 1)), 1)
            break
        count *= shape[a]
    g = A.reshape(dy, _reduced_shape(shape, axes))
    if not isinstance(count, int):
        return [A.broadcast_to(M.divide(g, count), shape)]
    return [A.broadcast_to(M.divide(g, max(count, 1)), shape)]


@rule("Max", "Min")
def _max_min(x, y, attrs, dy):  # split the gradient between ties, as TF does
    shape = _shape(x[0])
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
    return [A.reshape(dy, _shape(x[0]))]


@rule("Transpose")
def _transpose(x, y, attrs, dy):
    perm = list(attrs["perm"])
    inverse = [0] * len(perm)
    for i, p in enumerate(perm):
        inverse[p] = i
    return [A.transpose(dy, inverse)]


@rule("BroadcastTo")
def _broadcast_to(x, y, attrs, dy):
    return [unbroadcast(dy, x[0])]


@rule("Cast")
def _cast(x, y, attrs, dy):
    src = x[0].dtype
    return [M.cast(dy, src) if src.is_floating and dy.dtype.is_floating else None]


@rule("Prod")
def _prod(x, y, attrs, dy):
    """d prod / d x_i = product of the others, computed without dividing by zero."""
    shape = _shape(x[0])
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


# ---- ops along one axis, batched matmul ------------------------------------------------------


@rule("Cumsum")
def _cumsum(x, y, attrs, dy):
    return [
        M.cumsum(
            dy,
            axis=attrs.get("axis", 0),
            exclusive=attrs.get("exclusive", False),
            reverse=not attrs.get("reverse", False),
        )
    ]


@rule("Cumprod")
def _cumprod(x, y, attrs, dy):  # as TF: needs x != 0
    axis, exclusive = attrs.get("axis", 0), attrs.get("exclusive", False)
    reverse = attrs.get("reverse", False)
    prod = M.cumprod(x[0], axis=axis, exclusive=exclusive, reverse=reverse)
    out = M.cumsum(M.multiply(prod, dy), axis=axis, exclusive=exclusive, reverse=not reverse)
    return [M.divide(out, x[0])]


@rule("TopKV2")
def _top_k(x, y, attrs, dy):
    """The values' gradient goes back to the positions they came from."""
    dvalues = dy[0]
    if dvalues is None:
        return [None]
    shape = x[0].shape.as_list()
    n, k = shape[-1], int(attrs["k"])
    rows = 1
    for d in shape[:-1]:
        rows *= d
    idx = M.cast(A.reshape(y[1], [rows, k]), "int64")
    base = A.reshape(M.multiply(A.range(rows, dtype="int64"), n), [rows, 1])
    flat = A.reshape(M.add(idx, base), [rows * k])
    g = M.unsorted_segment_sum(A.reshape(dvalues, [rows * k]), flat, rows * n)
    return [A.reshape(g, shape)]


@rule("BatchMatMulV2")
def _batch_matmul(x, y, attrs, dy):
    a, b = x
    adj_x, adj_y = bool(attrs.get("adj_x")), bool(attrs.get("adj_y"))

    def mm(p, q, adj_p=False, adj_q=False):
        return _op("BatchMatMulV2", [p, q], {"adj_x": adj_p, "adj_y": adj_q})

    if not adj_x and not adj_y:
        da, db = mm(dy, b, adj_q=True), mm(a, dy, adj_p=True)
    elif not adj_x:
        da, db = mm(dy, b), mm(dy, a, adj_p=True)
    elif not adj_y:
        da, db = mm(b, dy, adj_q=True), mm(a, dy)
    else:
        da, db = mm(b, dy, True, True), mm(dy, a, True, True)
    return [unbroadcast(da, a), unbroadcast(db, b)]


# ---- softmax and the fused losses --------------------------------------------------------------


@rule("Softmax")
def _softmax(x, y, attrs, dy):  # (dy - sum(dy * y)) * y
    s = y[0]
    inner = M.reduce_sum(M.multiply(dy, s), axis=-1, keepdims=True)
    return [M.multiply(M.subtract(dy, inner), s)]


@rule("LogSoftmax")
def _log_softmax(x, y, attrs, dy):  # dy - exp(y) * sum(dy)
    return [M.subtract(dy, M.multiply(M.exp(y[0]), M.reduce_sum(dy, axis=-1, keepdims=True)))]


def _softmax_grad_grad(logits, grad_backprop):
    """The path through the backprop output: (g - sum(g * softmax)) * softmax."""
    s = _op("Softmax", [logits])
    inner = M.reduce_sum(M.multiply(grad_backprop, s), axis=-1, keepdims=True)
    return M.multiply(M.subtract(grad_backprop, inner), s)


@rule("SoftmaxCrossEntropyWithLogits")
def _xent(x, y, attrs, dy):
    logits, _ = x
    d_loss, d_backprop = dy
    dx, dlabels = None, None
    if d_loss is not None:
        g = A.reshape(d_loss, [-1, 1])
        dx = M.multiply(g, y[1])
        dlabels = M.multiply(g, M.negative(_op("LogSoftmax", [logits])))
    if d_backprop is not None:
        extra = _softmax_grad_grad(logits, d_backprop)
        dx = extra if dx is None else M.add(dx, extra)
        dlabels = M.negative(d_backprop) if dlabels is None else M.subtract(dlabels, d_backprop)
    return [dx, dlabels]


@rule("SparseSoftmaxCrossEntropyWithLogits")
def _sparse_xent(x, y, attrs, dy):
    logits, _ = x
    d_loss, d_backprop = dy
    dx = None
    if d_loss is not None:
        dx = M.multiply(A.reshape(d_loss, [-1, 1]), y[1])
    if d_backprop is not None:
        extra = _softmax_grad_grad(logits, d_backprop)
        dx = extra if dx is None else M.add(dx, extra)
    return [dx, None]


# ---- array ops -------------------------------------------------------------------------------


def _axis_of(attrs, rank):
    return int(attrs.get("axis", 0)) % rank


@rule("ConcatV2")
def _concat(x, y, attrs, dy):
    axis = _axis_of(attrs, len(x[0].shape))
    sizes = [t.shape[axis] for t in x]
    return _execute("SplitV", [dy], {"size_splits": tuple(sizes), "axis": axis})


@rule("Split", "SplitV")
def _split(x, y, attrs, dy):
    parts = [zeros_like(o) if g is None else g for g, o in zip(dy, y)]
    axis = _axis_of(attrs, len(x[0].shape))
    return [_op("ConcatV2", parts, {"axis": axis}) if len(parts) > 1 else parts[0]]


@rule("Slice")
def _slice(x, y, attrs, dy):
    shape = x[0].shape.as_list()
    begin = [int(b) for b in attrs["begin"]]
    size = y[0].shape.as_list()
    pads = tuple((b, d - b - s) for b, d, s in zip(begin, shape, size))
    return [_op("Pad", [dy], {"paddings": pads})]


@rule("Pad")
def _pad(x, y, attrs, dy):
    begin = tuple(int(a) for a, _ in attrs["paddings"])
    return [_with_shape("Slice", [dy], {"begin": begin}, x[0], "size")]


@rule("MirrorPad")
def _mirror_pad(x, y, attrs, dy):
    """Each axis's borders fold back onto the entries they mirror: REFLECT's left border
    [a-1 .. 0] holds x[1 .. a], SYMMETRIC's x[0 .. a-1] (and likewise on the right)."""
    off = 1 if str(attrs["mode"]).upper() == "REFLECT" else 0
    pads = [(int(a), int(b)) for a, b in attrs["paddings"]]
    shape = list(dy.shape.as_list())
    g = dy
    for ax, ((a, b), d) in enumerate(zip(pads, x[0].shape.as_list())):
        if not (a or b):
            continue

        def part(start, size, g=g, ax=ax):
            begin = [0] * len(shape)
            sizes = list(shape)
            begin[ax], sizes[ax] = start, size
            return _op("Slice", [g], {"begin": tuple(begin), "size": tuple(sizes)})

        def placed(t, lo, hi, ax=ax):
            t = _op("ReverseV2", [t], {"axis": (ax,)})
            p = [(0, 0)] * len(shape)
            p[ax] = (lo, hi)
            return _op("Pad", [t], {"paddings": tuple(p)})

        out = part(a, d)
        if a:
            out = M.add(out, placed(part(0, a), off, d - off - a))
        if b:
            out = M.add(out, placed(part(a + d, b), d - off - b, off))
        g = out
        shape[ax] = d
    return [g]


@rule("TensorScatterUpdate")
def _tensor_scatter_update(x, y, attrs, dy):
    """The replaced slices pass no gradient to ``tensor``; each update gets its slot's gradient
    if it is the one written there (with duplicate indices the last one; TF's rule hands the
    slot's gradient to every duplicate, which finite differences do not bear out)."""
    tensor, indices, updates = x
    d_tensor = _op("TensorScatterUpdate", [dy, indices, zeros_like(updates)])
    d_updates = _op("GatherNd", [dy, indices])
    batch = indices.shape.as_list()[:-1]
    count = math.prod(batch)
    if count > 1:  # duplicates are possible
        k = indices.shape.as_list()[-1]
        lead = tensor.shape.as_list()[:k]
        order = A.reshape(A.range(count), batch)
        writer = _op("TensorScatterUpdate", [A.fill(lead, -1, dtype=order.dtype), indices, order])
        won = M.equal(_op("GatherNd", [writer, indices]), order)
        won = A.reshape(won, batch + [1] * (updates.shape.rank - len(batch)))
        d_updates = _op("SelectV2", [won, d_updates, zeros_like(d_updates)])
    return [d_tensor, None, d_updates]


@rule("StridedSlice")
def _strided_slice(x, y, attrs, dy):
    return [_with_shape("StridedSliceGrad", [dy], attrs, x[0])]


@rule("StridedSliceGrad")
def _strided_slice_grad(x, y, attrs, dy):
    return [_op("StridedSlice", [dy], {k: v for k, v in attrs.items() if k != "shape"})]


@rule("Tile")
def _tile(x, y, attrs, dy):
    shape = x[0].shape.as_list()
    mult = [int(m) for m in attrs["multiples"]]
    split = [v for m, d in zip(mult, shape) for v in (m, d)]
    g = M.reduce_sum(A.reshape(dy, split), axis=list(range(0, 2 * len(shape), 2)))
    return [A.reshape(g, shape)]


@rule("ReverseV2")
def _reverse(x, y, attrs, dy):
    return [_op("ReverseV2", [dy], {"axis": attrs["axis"]})]


@rule("GatherV2")
def _gather(x, y, attrs, dy):
    """A dense UnsortedSegmentSum of the gathered slices back into params' shape."""
    params, indices = x
    shape = params.shape.as_list()
    axis = _axis_of(attrs, len(shape))
    outer, inner, m = 1, 1, 1
    for d in shape[:axis]:
        outer *= d
    for d in shape[axis + 1 :]:
        inner *= d
    for d in indices.shape.as_list():
        m *= d
    ids = A.reshape(indices, [m])
    g = A.reshape(dy, [outer, m, inner])
    if outer == 1:
        s = M.unsorted_segment_sum(A.reshape(g, [m, inner]), ids, shape[axis])
    else:
        s = M.unsorted_segment_sum(A.transpose(g, [1, 0, 2]), ids, shape[axis])
        s = A.transpose(s, [1, 0, 2])
    return [A.reshape(s, shape), None]


@rule("UnsortedSegmentSum")
def _segment_sum(x, y, attrs, dy):
    data, ids = x
    keep = M.greater_equal(ids, 0)
    g = A.gather(dy, M.maximum(ids, 0))  # ids.shape + dy.shape[1:] == data.shape
    mask = A.reshape(M.cast(keep, dy.dtype), ids.shape.as_list() + [1] * (data.ndim - ids.ndim))
    return [M.multiply(g, mask), None]


@rule("GatherNd")
def _gather_nd(x, y, attrs, dy):
    params, indices = x
    shape = tuple(params.shape.as_list())
    return [_op("ScatterNd", [indices, dy], {"shape": shape}), None]


@rule("ScatterNd")
def _scatter_nd(x, y, attrs, dy):
    return [None, _op("GatherNd", [dy, x[0]])]


# ---- neural-network ops (NHWC) ---------------------------------------------------------------
# The convolutions are bilinear: each backprop op's rule is written with the other two ops of
# its family, so gradients of any order stay within them.


def _with(attrs, **extra):
    out = {k: v for k, v in attrs.items() if k not in ("input_sizes", "filter_sizes")}
    out.update(extra)
    return out


def _dims(t):
    return tuple(t.shape.as_list())


def _backprop_input_op(op_type, inputs, attrs, like):
    """``op_type`` (a ``*BackpropInput``) with ``input_sizes`` = ``like``'s shape: an attr when
    it is known, read at run time when a dim of ``like`` is unknown (a traced batch of None)."""
    dims = _dims(like)
    if None not in dims:
        return _op(op_type, inputs, _with(attrs, input_sizes=dims))
    return _dyn.shaped_op(op_type, inputs, _with(attrs), _dyn.shape_of(like), key="input_sizes")


def _conv_family(fwd):
    bin_, bfil = fwd + "BackpropInput", fwd + "BackpropFilter"

    @rule(fwd)
    def _forward(x, y, attrs, dy):
        inp, filt = x
        return [
            _backprop_input_op(bin_, [filt, dy], attrs, inp),
            _op(bfil, [inp, dy], _with(attrs, filter_sizes=_dims(filt))),
        ]

    @rule(bin_)
    def _backprop_input(x, y, attrs, g):  # (filter, dy) -> d input; g is input-shaped
        filt, dy = x
        return [
            _op(bfil, [g, dy], _with(attrs, filter_sizes=_dims(filt))),
            _op(fwd, [g, filt], _with(attrs)),
        ]

    @rule(bfil)
    def _backprop_filter(x, y, attrs, g):  # (input, dy) -> d filter; g is filter-shaped
        inp, dy = x
        return [
            _backprop_input_op(bin_, [g, dy], attrs, inp),
            _op(fwd, [inp, g], _with(attrs)),
        ]


_conv_family("Conv2D")
_conv_family("DepthwiseConv2dNative")


@rule("MaxPool")
def _max_pool(x, y, attrs, dy):
    return [_op("MaxPoolGrad", [x[0], y[0], dy], attrs)]


@rule("MaxPoolGrad")
def _max_pool_grad(x, y, attrs, g):  # linear in the gradient; flat in the input and output
    return [None, None, _op("MaxPoolGradGrad", [x[0], x[1], g], attrs)]


@rule("MaxPoolGradGrad")
def _max_pool_grad_grad(x, y, attrs, g):
    return [None, None, _op("MaxPoolGrad", [x[0], x[1], g], attrs)]


@rule("AvgPool")
def _avg_pool(x, y, attrs, dy):
    return [_op("AvgPoolGrad", [dy], dict(attrs, orig_input_shape=_dims(x[0])))]


@rule("AvgPoolGrad")
def _avg_pool_grad(x, y, attrs, g):
    return [_op("AvgPool", [g], {k: v for k, v in attrs.items() if k != "orig_input_shape"})]


@rule("BiasAdd")
def _bias_add(x, y, attrs, dy):
    return [dy, _op("BiasAddGrad", [dy], {})]


@rule("BiasAddGrad")
def _bias_add_grad(x, y, attrs, g):
    return [A.broadcast_to(g, _shape(x[0]))]


@rule("FusedBatchNormV3")
def _fused_batch_norm(x, y, attrs, dys):
    """Only y's gradient flows (as TF): batch statistics and reserve spaces carry none."""
    if dys[0] is None:
        return [None] * 5
    dx, dscale, doffset, _, _ = _execute(
        "FusedBatchNormGradV3", [dys[0], x[0], x[1], y[3], y[4], y[5]],
        {k: attrs[k] for k in ("epsilon", "is_training", "data_format") if k in attrs},
    )  # fmt: skip
    return [dx, dscale, doffset, None, None]


def _grad_of_composed(composed, inputs, dys):
    """Gradients of a fused backprop op, by differentiating a composed copy of it."""
    from ._tape import GradientTape

    with GradientTape() as tape:
        for t in inputs:
            tape.watch(t)
        outs = composed(*inputs)
    pairs = [(o, g) for o, g in zip(outs, dys) if g is not None]
    return tape.gradient(
        [o for o, _ in pairs], list(inputs), output_gradients=[g for _, g in pairs]
    )


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
        shape = x[max(range(len(x)), key=lambda i: x[i].shape.rank)].shape.as_list()
        return [A.broadcast_to(regs[r], shape) for r in attrs["outputs"]]

    return list(_grad_of_composed(composed, list(x), dys))


MULTI_OUTPUT.add("FusedElementwise")


@rule("FusedBatchNormGradV3")
def _fused_batch_norm_grad(x, y, attrs, dys):
    """Through a composed copy; in training the statistics are recomputed from x (they are
    functions of x there), so the reserve spaces get no gradient, as in TF."""
    dy, xv, scale, mean, var = x[:5]
    eps = float(attrs.get("epsilon", 1e-4))
    training = bool(attrs.get("is_training", True))
    axes = [0, 1, 2]

    def composed(dy, xv, scale, mean, var):
        if training:
            mean = M.reduce_mean(xv, axis=axes)
            var = M.reduce_mean(M.square(M.subtract(xv, mean)), axis=axes)
        rstd = M.rsqrt(M.add(var, eps))
        xh = M.multiply(M.subtract(xv, mean), rstd)
        doffset = M.reduce_sum(dy, axis=axes)
        dscale = M.reduce_sum(M.multiply(dy, xh), axis=axes)
        k = M.multiply(scale, rstd)
        if training:
            n = 1
            for d in xv.shape.as_list()[:3]:
                n *= d
            inner = M.subtract(M.subtract(dy, M.divide(doffset, n)),
                               M.multiply(xh, M.divide(dscale, n)))  # fmt: skip
            dx = M.multiply(k, inner)
        else:
            dx = M.multiply(k, dy)
        return [dx, dscale, doffset]

    grads = _grad_of_composed(composed, [dy, xv, scale, mean, var], dys[:3])
    if training:
        grads[3] = grads[4] = None
    return list(grads) + [None]


@rule("LayerNorm")
def _layer_norm(x, y, attrs, dys):
    """Only y's gradient flows (mean and rstd are statistics, as batch norm's)."""
    if dys[0] is None:
        return [None] * 3
    eps = {"epsilon": attrs.get("epsilon", 1e-3)}  # for LayerNormGrad's own rule
    return _execute("LayerNormGrad", [dys[0], x[0], x[1], y[1], y[2]], eps)


@rule("LayerNormGrad")
def _layer_norm_grad(x, y, attrs, dys):
    """Through a composed copy; mean and rstd are recomputed from x (LayerNorm's outputs are
    functions of x), so they get no gradient of their own."""
    dy, xv, gamma, mean, rstd = x
    eps = float(attrs.get("epsilon", 1e-3))

    def composed(dy, xv, gamma):
        mu = M.reduce_mean(xv, axis=-1, keepdims=True)
        var = M.reduce_mean(M.square(M.subtract(xv, mu)), axis=-1, keepdims=True)
        rs = M.rsqrt(M.add(var, eps))
        xh = M.multiply(M.subtract(xv, mu), rs)
        g = M.multiply(dy, gamma)
        s1 = M.reduce_mean(g, axis=-1, keepdims=True)
        s2 = M.reduce_mean(M.multiply(g, xh), axis=-1, keepdims=True)
        dx = M.multiply(rs, M.subtract(M.subtract(g, s1), M.multiply(xh, s2)))
        lead = list(range(xv.ndim - 1))
        return [dx, M.reduce_sum(M.multiply(dy, xh), axis=lead), M.reduce_sum(dy, axis=lead)]

    grads = _grad_of_composed(composed, [dy, xv, gamma], dys)
    return list(grads) + [None, None]


# ---- dense linear algebra ---------------------------------------------------------------------
# Written with MatrixInverse / MatrixSolve / BatchMatMulV2, so the rules differentiate again.


def _bmm(p, q, adj_p=False, adj_q=False):
    return _op("BatchMatMulV2", [p, q], {"adj_x": adj_p, "adj_y": adj_q})


def _per_matrix(t):
    """A ``[...]`` tensor as ``[..., 1, 1]``, to scale a batch of matrices."""
    return A.expand_dims(A.expand_dims(t, -1), -1)


@rule("MatrixInverse")
def _matrix_inverse(x, y, attrs, dy):
    """Y = inv(A): dA = -Y^T dY Y^T; with adjoint, Y = inv(A^T): dA = -Y dY^T Y."""
    inv = y[0]
    if attrs.get("adjoint"):
        return [M.negative(_bmm(inv, _bmm(dy, inv, adj_p=True)))]
    return [M.negative(_bmm(inv, _bmm(dy, inv, adj_q=True), adj_p=True))]


@rule("MatrixSolve")
def _matrix_solve(x, y, attrs, dy):
    """X = A^-1 B: dB = A^-T dX, dA = -dB X^T; with adjoint, X = A^-T B: dB = A^-1 dX,
    dA = -X dB^T."""
    adjoint = bool(attrs.get("adjoint"))
    db = _op("MatrixSolve", [x[0], dy], {"adjoint": not adjoint})
    if adjoint:
        return [M.negative(_bmm(y[0], db, adj_q=True)), db]
    return [M.negative(_bmm(db, y[0], adj_q=True)), db]


@rule("MatrixDeterminant")
def _matrix_determinant(x, y, attrs, dy):
    """d det(A) = det(A) tr(A^-1 dA): dA = dy * det * A^-T."""
    inv_t = _op("MatrixInverse", [x[0]], {"adjoint": True})
    return [M.multiply(_per_matrix(M.multiply(dy, y[0])), inv_t)]


@rule("LogMatrixDeterminant")
def _log_matrix_determinant(x, y, attrs, dys):
    """Only log |det| carries a gradient (the sign is piecewise constant): d = dy * A^-T."""
    if dys[1] is None:
        return [None]
    inv_t = _op("MatrixInverse", [x[0]], {"adjoint": True})
    return [M.multiply(_per_matrix(dys[1]), inv_t)]


@rule("Cholesky")
def _cholesky(x, y, attrs, dy):
    """TF's rule (Murray 2016): with Phi the lower triangle with its diagonal halved,
    dA = sym(L^-T Phi(L^T dL) L^-1), sym(G) = (G + G^T) / 2. The gradient is that of a
    symmetric input (TF's convention), not of the lower triangle the kernel reads."""
    import numpy as np

    from ._tensor import constant

    chol = y[0]
    n = chol.shape.as_list()[-1]
    phi = constant(np.tril(np.ones((n, n)), -1) + 0.5 * np.eye(n), dtype=chol.dtype)
    chol_inv = _op("MatrixInverse", [chol])
    middle = M.multiply(_bmm(chol, dy, adj_p=True), phi)
    g = _bmm(_bmm(chol_inv, middle, adj_p=True), chol_inv)
    rank = len(chol.shape.as_list())
    perm = list(range(rank - 2)) + [rank - 1, rank - 2]
    return [M.multiply(M.add(g, A.transpose(g, perm)), 0.5)]


@rule("DynamicShape")
def _dynamic_shape(x, y, attrs, dy):
    """A kernel op whose shape attr was read at run time: that op's rule; none for the
    tensors the shape came from."""
    n = attrs["n"]
    rest = [None] * (len(x) - n)
    if not n or attrs["op"] in NON_DIFFERENTIABLE:
        return [None] * len(x)
    base = {k: v for k, v in attrs["base"] if k != attrs["key"]}
    return list(RULES[attrs["op"]](x[:n], y, base, dy)) + rest


# ---- matrix decompositions (TF's rules), segments, distinct values ------------------------------

MULTI_OUTPUT |= {"Qr", "Svd", "SelfAdjointEigV2", "Lu", "Unique", "UniqueWithCounts"}
NON_DIFFERENTIABLE |= {"Unique", "UniqueWithCounts", "DenseBincount", "LowerBound", "UpperBound"}


def _mt(t):
    """The transpose of each matrix of ``t``."""
    r = len(t.shape.as_list())
    return A.transpose(t, list(range(r - 2)) + [r - 1, r - 2])


def _or_zeros(g, like):
    return g if g is not None else zeros_like(like)


def _tri_solve_right(x, r):
    """``x @ inv(r)^T`` for square ``r`` (TF's _TriangularSolve, through MatrixSolve)."""
    return _mt(_op("MatrixSolve", [r, _mt(x)], {"adjoint": False}))


def _qr_grad_deep(q, r, dq, dr):
    """TF's QR rule for ``m >= n`` (reduced ``q`` [m, n], ``r`` [n, n])."""
    from ._composed import band_part

    qdq = _bmm(q, dq, adj_p=True)
    rdr = _bmm(r, dr, adj_q=True)
    tril = band_part(M.add(M.subtract(qdq, _mt(qdq)), M.subtract(rdr, _mt(rdr))), -1, 0)
    grad_a = _bmm(q, M.add(dr, _tri_solve_right(tril, r)))
    grad_b = _tri_solve_right(M.subtract(dq, _bmm(q, qdq)), r)
    return M.add(grad_a, grad_b)


@rule("Qr")
def _qr(x, y, attrs, dys):
    """TF's rule: deep or square inputs directly, wide ones ``[X | Y]`` through the square
    block; not defined for ``full_matrices`` with more rows than columns (as TF)."""
    q, r = y
    dq, dr = _or_zeros(dys[0], q), _or_zeros(dys[1], r)
    m, n = x[0].shape.as_list()[-2:]
    if m > n and attrs.get("full_matrices"):
        raise NotImplementedError(
            "QrGrad not implemented when nrows > ncols and full_matrices is true."
        )
    if m >= n:
        return [_qr_grad_deep(q, r, dq, dr)]
    _, ya = A.split(x[0], [m, n - m], axis=-1)
    u, _ = A.split(r, [m, n - m], axis=-1)
    du, dv = A.split(dr, [m, n - m], axis=-1)
    dx = _qr_grad_deep(q, u, M.add(dq, _bmm(ya, dv, adj_q=True)), du)
    return [A.concat([dx, _bmm(q, dv)], axis=-1)]


def _offdiag_reciprocal(d):
    """``1 / d`` off the diagonal of each square matrix ``d``, 0 on it (and where ``d`` is 0)."""
    from ._array import eye

    eye_n = eye(d.shape.as_list()[-1], dtype=d.dtype)
    safe = M.add(d, eye_n)
    inv = M.divide_no_nan(A.ones_like(d), safe)
    return M.multiply(inv, M.subtract(1.0, eye_n))


def _diag_of(v):
    """``[..., k]`` as ``[..., k, k]`` diagonal matrices."""
    from ._array import eye

    return M.multiply(A.expand_dims(v, -1), eye(v.shape.as_list()[-1], dtype=v.dtype))


@rule("SelfAdjointEigV2")
def _self_adjoint_eig(x, y, attrs, dys):
    """TF's rule: ``V (diag(de) + F * (V^T dV)) V^T`` with ``F_ij = 1 / (e_j - e_i)``, then
    symmetrised into the lower triangle the kernel reads (its diagonal halved)."""
    from ._array import eye
    from ._composed import band_part

    e, v = y
    de = _or_zeros(dys[0], e)
    if not attrs.get("compute_v", True):
        _, v = _execute("SelfAdjointEigV2", [x[0]], {"compute_v": True})
        g = _bmm(v, _bmm(_diag_of(de), v, adj_q=True))
    else:
        dv = _or_zeros(dys[1], v)
        f = _offdiag_reciprocal(M.subtract(A.expand_dims(e, -2), A.expand_dims(e, -1)))
        inner = M.add(_diag_of(de), M.multiply(f, _bmm(v, dv, adj_p=True)))
        g = _bmm(v, _bmm(inner, v, adj_q=True))
    g = band_part(M.add(g, _mt(g)), -1, 0)
    half = M.subtract(1.0, M.multiply(eye(g.shape.as_list()[-1], dtype=g.dtype), 0.5))
    return [M.multiply(g, half)]


def _safe_reciprocal(t, eps=1e-20):
    return M.divide(t, M.add(M.multiply(t, t), eps))


@rule("Svd")
def _svd(x, y, attrs, dys):
    """TF's SVD rule (the deep case through the adjoint); with ``full_matrices`` only for
    ``|m - n| <= 1``, as TF."""
    a = x[0]
    s, u, v = y
    ds = _or_zeros(dys[0], s)
    ds_mat = _diag_of(ds)
    if not attrs.get("compute_uv", True):
        _, u, v = _execute("Svd", [a], {"compute_uv": True, "full_matrices": False})
        return [_bmm(u, _bmm(ds_mat, v, adj_q=True))]
    du, dv = _or_zeros(dys[1], u), _or_zeros(dys[2], v)
    m, n = a.shape.as_list()[-2:]
    full = bool(attrs.get("full_matrices"))
    adjoint = m > n
    if adjoint:
        m, n, u, v, du, dv = n, m, v, u, dv, du
    if full and abs(m - n) > 1:
        raise NotImplementedError(
            "svd gradient is not implemented for abs(m - n) > 1 when full_matrices is True"
        )
    s_mat = _diag_of(s)
    s2 = M.square(s)
    f = _offdiag_reciprocal(M.subtract(A.expand_dims(s2, -2), A.expand_dims(s2, -1)))
    if n > m:
        v1, v2 = A.split(v, [m, v.shape.as_list()[-1] - m], axis=-1)
        dv1, dv2 = A.split(dv, [m, v.shape.as_list()[-1] - m], axis=-1)
    else:
        v1, v2, dv1, dv2 = v, None, dv, None
    f_u = M.multiply(f, _bmm(u, du, adj_p=True))
    f_v = M.multiply(f, _bmm(v1, dv1, adj_p=True))
    inner = M.add(ds_mat, M.add(_bmm(M.add(f_u, _mt(f_u)), s_mat),
                                _bmm(s_mat, M.add(f_v, _mt(f_v)))))  # fmt: skip
    grad = _bmm(u, _bmm(inner, v1, adj_q=True))
    if n > m:
        gv1t = _mt(dv1)
        term2 = M.subtract(gv1t, _bmm(_bmm(gv1t, v1), v1, adj_q=True))
        if full and v2.shape.as_list()[-1]:
            term2 = M.subtract(term2, _bmm(_bmm(v1, dv2, adj_p=True), v2, adj_q=True))
        grad = M.add(grad, _bmm(_bmm(u, _diag_of(_safe_reciprocal(s))), term2))
    return [_mt(grad) if adjoint else grad]


def _gather_drop_negatives(params, ids):
    """``params`` gathered at ``max(ids, 0)``, and where ``ids >= 0`` (shaped to broadcast)."""
    clipped = M.maximum(ids, 0)
    gathered = A.gather(params, clipped)
    keep = M.greater_equal(ids, 0)
    extra = len(gathered.shape.as_list()) - len(ids.shape.as_list())
    keep = A.reshape(keep, _shape(ids) + [1] * extra) if extra else keep
    return gathered, clipped, keep


@rule("UnsortedSegmentMax", "UnsortedSegmentMin")
def _unsorted_segment_min_max(x, y, attrs, dy):
    """TF's rule: the gradient goes to the rows equal to their segment's result, split evenly
    between ties."""
    data, ids = x
    out, _, keep = _gather_drop_negatives(y[0], ids)
    selected = M.logical_and(M.equal(data, out), keep)
    count = M.unsorted_segment_sum(M.cast(selected, dy.dtype), ids, attrs["num_segments"])
    g, _, _ = _gather_drop_negatives(M.divide(dy, count), ids)
    return [A.where(selected, g, zeros_like(g)), None]


@rule("UnsortedSegmentProd")
def _unsorted_segment_prod(x, y, attrs, dy):
    """TF's rule: ``prod / x``, or the product of the other rows where ``x`` is 0 (no gradient
    through a segment with several zeros)."""
    data, ids = x
    n = attrs["num_segments"]
    is_zero = M.equal(data, 0)
    zeros = M.unsorted_segment_sum(M.cast(is_zero, _tensor._dt.int32), ids, n)
    dy = A.where(M.greater(zeros, 1), zeros_like(dy), dy)
    nonzero = A.where(is_zero, ones_like(data), data)
    nonzero_prod = _op("UnsortedSegmentProd", [nonzero, ids], {"num_segments": n})
    prod, clipped, keep = _gather_drop_negatives(y[0], ids)
    other = A.gather(nonzero_prod, clipped)
    partial = A.where(is_zero, other, M.divide(prod, data))
    g, _, _ = _gather_drop_negatives(dy, ids)
    return [A.where(keep, M.multiply(g, partial), zeros_like(data)), None]


@rule("SegmentSum")
def _sorted_segment_sum(x, y, attrs, dy):
    return [A.gather(dy, x[1]), None]


@rule("SegmentMean")
def _sorted_segment_mean(x, y, attrs, dy):
    data, ids = x
    ones = A.ones_like(ids, dtype=dy.dtype)
    count = _op("SegmentSum", [ones, ids])
    count = A.reshape(count, [-1] + [1] * (len(data.shape.as_list()) - 1))
    return [A.gather(M.divide(dy, count), ids), None]


@rule("SegmentMax", "SegmentMin")
def _sorted_segment_min_max(x, y, attrs, dy):
    data, ids = x
    selected = M.equal(data, A.gather(y[0], ids))
    count = _op("SegmentSum", [M.cast(selected, dy.dtype), ids])
    g = A.gather(M.divide(dy, count), ids)
    return [A.where(selected, g, zeros_like(g)), None]


@rule("SegmentProd")
def _sorted_segment_prod(x, y, attrs, dy):
    data, ids = x
    is_zero = M.equal(data, 0)
    zeros = _op("SegmentSum", [M.cast(is_zero, _tensor._dt.int32), ids])
    dy = A.where(M.greater(zeros, 1), zeros_like(dy), dy)
    nonzero_prod = _op("SegmentProd", [A.where(is_zero, ones_like(data), data), ids])
    partial = A.where(is_zero, A.gather(nonzero_prod, ids), M.divide(A.gather(y[0], ids), data))
    return [M.multiply(A.gather(dy, ids), partial), None]


@rule("Lu")
def _lu(x, y, attrs, dys):
    """TF's rule for ``P A = L U``: ``A_bar = P^T L^-T (tril(L^T L_bar, -1) + triu(U_bar U^T))
    U^-T``, with ``L_bar`` / ``U_bar`` the strictly lower / upper parts of the packed gradient."""
    from ._array import eye, one_hot
    from ._composed import band_part

    packed, perm = y
    dlu = dys[0]
    if dlu is None:
        return [None]
    n = packed.shape.as_list()[-1]
    # unit lower L: the strictly lower part of the packed factors plus the identity
    low = M.add(M.subtract(band_part(packed, -1, 0), _diag_of(_diag_part(packed))),
                eye(n, dtype=packed.dtype))  # fmt: skip
    up = band_part(packed, 0, -1)
    low_bar, up_bar = band_part(dlu, -1, 0), band_part(dlu, 0, -1)
    low_bar = M.subtract(low_bar, _diag_of(_diag_part(dlu)))  # strictly lower
    l_lbar = _bmm(low, low_bar, adj_p=True)
    strict = M.subtract(band_part(l_lbar, -1, 0), _diag_of(_diag_part(l_lbar)))
    middle = M.add(strict, band_part(_bmm(up_bar, up, adj_q=True), 0, -1))
    left = _op("MatrixSolve", [low, middle], {"adjoint": True})  # L^-T middle
    grad_p = _mt(_op("MatrixSolve", [up, _mt(left)], {"adjoint": False}))  # ... U^-T
    p_mat = one_hot(perm, n, dtype=packed.dtype)  # P[i, p[i]] = 1: (P A)[i] = A[p[i]]
    return [_bmm(p_mat, grad_p, adj_p=True)]


def _diag_part(t):
    """The diagonals of ``[..., n, n]`` matrices, ``[..., n]``."""
    from ._array import eye

    return M.reduce_sum(M.multiply(t, eye(t.shape.as_list()[-1], dtype=t.dtype)), axis=-1)


# ---- whole-sequence LSTM / GRU (_rnn_ops) -------------------------------------------------------
# The fused backward kernels take the gradients of the outputs y, h (and c); where the saved gates
# get gradients too (a higher-order pass), and for the backward ops themselves, the rules
# differentiate the composed op-by-op copies instead.
MULTI_OUTPUT.update({"LSTMSequence", "LSTMSequenceGrad", "GRUSequence", "GRUSequenceGrad"})


def _or_zeros(g, like):
    return zeros_like(like) if g is None else g


def _vjp_of_composed(composed, ins, out_grads, count):
    """The gradients of ``composed(*ins)[:count]`` for ``out_grads``, on a tape of its own (so
    an outer tape records the backward pass)."""
    from ._tape import GradientTape

    with GradientTape() as tape:
        for t in ins:
            tape.watch(t)
        outs = composed(*ins)
    return tape.gradient(outs[:count], list(ins), output_gradients=out_grads)


@rule("LSTMSequence")
def _lstm_sequence(x, y, attrs, dys):
    from ._rnn_ops import lstm_composed

    back = attrs.get("go_backwards", False)
    if dys[3] is not None or dys[4] is not None:
        g = _grad_of_composed(lambda *a: lstm_composed(*a, go_backwards=back), x, dys)
        return [*g[:6], *[None] * len(x[6:])]  # an optional mask (last input) has none
    dy, dh, dc = (_or_zeros(g, t) for g, t in zip(dys[:3], y[:3]))
    ins = [dy, dh, dc, *x[:5], y[0], y[3], y[4], x[5], *x[6:]]
    return [*_execute("LSTMSequenceGrad", ins, attrs), *[None] * len(x[6:])]


@rule("LSTMSequenceGrad")
def _lstm_sequence_grad(x, y, attrs, dys):
    from ._rnn_ops import lstm_composed

    back = attrs.get("go_backwards", False)

    def composed(dy, dh, dc, *ins):
        return _vjp_of_composed(lambda *a: lstm_composed(*a, go_backwards=back), ins,
                                [dy, dh, dc], 3)  # fmt: skip

    g = _grad_of_composed(composed, [*x[:8], *x[11:]], dys)
    return [*g[:8], None, None, None, g[8], *[None] * len(x[12:])]


@rule("GRUSequence")
def _gru_sequence(x, y, attrs, dys):
    from ._rnn_ops import gru_composed

    kw = {"go_backwards": attrs.get("go_backwards", False),
          "reset_after": attrs.get("reset_after", True)}  # fmt: skip
    if dys[2] is not None:
        g = _grad_of_composed(lambda *a: gru_composed(*a, **kw), x, dys)
        return [*g[:5], *[None] * len(x[5:])]
    dy, dh = (_or_zeros(g, t) for g, t in zip(dys[:2], y[:2]))
    ins = [dy, dh, *x[:4], y[0], y[2], x[4], *x[5:]]
    return [*_execute("GRUSequenceGrad", ins, attrs), *[None] * len(x[5:])]


@rule("GRUSequenceGrad")
def _gru_sequence_grad(x, y, attrs, dys):
    from ._rnn_ops import gru_composed

    kw = {"go_backwards": attrs.get("go_backwards", False),
          "reset_after": attrs.get("reset_after", True)}  # fmt: skip

    def composed(dy, dh, *ins):
        return _vjp_of_composed(lambda *a: gru_composed(*a, **kw), ins, [dy, dh], 2)

    g = _grad_of_composed(composed, [*x[:6], *x[8:]], dys)
    return [*g[:6], None, None, g[6], *[None] * len(x[9:])]


# ---- inverse trigonometric / hyperbolic functions, lgamma, digamma, atan2, zeta, polygamma -----

# Rint has no gradient in TF (None); the bitwise ops are integer only.
NON_DIFFERENTIABLE |= {"Rint", "Invert", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "LeftShift",
                       "RightShift"}  # fmt: skip


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
