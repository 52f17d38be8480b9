"""The gradient-rule table and what every family's rules share (``_grads/<family>.py``).

``RULES[op_type](x_inputs, y_outputs, attrs, dy) -> [dx per input]``, where ``dy`` is the
gradient of the (single) output; for the ops in ``MULTI_OUTPUT`` it is the list of the
outputs' gradients (None where an output got none). Because the rules call ops, the backward
pass is itself recorded by any outer tape, which gives higher-order derivatives.
"""

from __future__ import annotations

from tensorhouse_kernels import FUSED_APPLY

from .. import _array as A
from .. import _dynamic as _dyn
from .. import _math as M
from .. import _tensor
from .._tape import GradientTape
from .._tensor import Tensor, _op, errors
from ..nest import flatten

__all__ = ["RULES", "NON_DIFFERENTIABLE", "MULTI_OUTPUT", "backward", "ones_like", "zeros_like",
           "rule", "unbroadcast"]  # fmt: skip

RULES: dict = {}

# Ops whose outputs carry no gradient (comparisons, integer, bool and random outputs; TF
# defines none for Round and FloorDiv either).
NON_DIFFERENTIABLE = {
    "Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual",
    "Sign", "Floor", "Ceil", "Fill", "RandomUniform", "RandomStandardNormal",
    "Round", "FloorDiv", "IsNan", "IsFinite", "LogicalNot", "LogicalAnd", "LogicalOr",
    "All", "Any", "ArgMax", "ArgMin", "OneHot", "Range", "Where",
    "RandomUniformInt", "TruncatedNormal", "StatelessRandomUniformV2", "StatelessRandomNormalV2",
    "StatelessTruncatedNormalV2", "StatelessRandomUniformIntV2", "Shape", "Size", "Bitcast",
}  # fmt: skip
# The fused optimizer updates carry none either (as TF's ResourceApply* training ops).
NON_DIFFERENTIABLE.update(FUSED_APPLY)

# Ops with several outputs: their rules get every output's gradient.
MULTI_OUTPUT = {
    "Split", "SplitV", "TopKV2", "SoftmaxCrossEntropyWithLogits",
    "SparseSoftmaxCrossEntropyWithLogits", "FusedBatchNormV3", "FusedBatchNormGradV3",
    "LayerNorm", "LayerNormGrad", "LogMatrixDeterminant",
}  # fmt: skip


def rule(*op_types):
    """Decorator: the function is the gradient rule of each of ``op_types``."""

    def wrap(fn):
        for op in op_types:
            RULES[op] = fn
        return fn

    return wrap


# Ops whose rules need known shapes: inside a trace with an unknown dim, their gradient is a
# ``GradOf`` node that runs the rule once the shapes are known (``_dynamic``). With an unknown
# rank every rule is run so.
NEEDS_SHAPES = {
    "MirrorPad", "Cholesky", "Lu", "Qr", "Svd", "SelfAdjointEigV2", "MatrixInverse",
    "MatrixSolve", "MatrixDeterminant", "LogMatrixDeterminant", "LSTMSequence",
    "LSTMSequenceGrad", "GRUSequence", "GRUSequenceGrad", "FFT", "IFFT", "FFT2D", "IFFT2D",
    "FFT3D", "IFFT3D", "RFFT", "IRFFT", "RFFT2D", "IRFFT2D", "RFFT3D", "IRFFT3D", "GradOf",
}  # fmt: skip


def _shape(t):
    """``t``'s dims as a shape argument; while tracing, an unknown dim is read at run time
    (an unknown rank: the whole shape, ``("all", t)``)."""
    if not _tensor._tracing:
        return t.shape.as_list()
    return [("all", t)] if t.shape.rank is None else _dyn.entries_of(t)


def _with_shape(op_type, ins, attrs, t, key="shape"):
    """Kernel op ``op_type`` with ``attrs[key]`` = ``t``'s shape (read at run time if needed)."""
    if _tensor._tracing:
        return _dyn.shaped_op(op_type, ins, attrs, _dyn.entries_of(t), key)
    return _op(op_type, ins, {**attrs, key: tuple(t.shape.as_list())})


def ones_like(t):
    """Ones of ``t``'s shape and dtype (the seed of a gradient)."""
    return A.fill(_shape(t), 1, dtype=t.dtype)


def zeros_like(t):
    """Zeros of ``t``'s shape and dtype (a gradient that did not flow)."""
    return A.fill(_shape(t), 0, dtype=t.dtype)


def backward(rec, output_grads):
    """Input gradients of one recorded op, given the gradients of its outputs."""
    if rec.op_type in NON_DIFFERENTIABLE:
        return [None] * len(rec.inputs)
    if rec.op_type == "CustomGradient":
        return _custom(rec.inputs, rec.outputs, rec.attrs, list(output_grads))
    fn = RULES.get(rec.op_type)
    if fn is None:
        raise errors.UnimplementedError(
            f"No gradient is defined for op type '{rec.op_type}' (inputs: "
            + ", ".join(f"{x.dtype.name}{x.shape}" for x in rec.inputs)
            + ")"
        )
    multi = rec.op_type in MULTI_OUTPUT or (
        rec.op_type == "DynamicShape" and rec.attrs["op"] in MULTI_OUTPUT
    )
    dy = list(output_grads) if multi else output_grads[0]
    if all(g is None for g in dy) if multi else dy is None:
        return [None] * len(rec.inputs)
    if _tensor._tracing and _deferred(rec):
        return _defer(rec, dy if multi else [dy])
    return fn(rec.inputs, rec.outputs, rec.attrs, dy)


def _deferred(rec):
    """Whether ``rec``'s rule waits for known shapes (a ``GradOf`` node)."""
    ts = [*rec.inputs, *rec.outputs]
    if any(t.shape.rank is None for t in ts):
        return rec.op_type != "SumTo" and rec.op_type not in _dyn.LOCAL - {"GradOf"}
    return rec.op_type in NEEDS_SHAPES and any(None in t.shape.as_list() for t in ts)


def _defer(rec, dys):
    """A ``GradOf`` node for ``rec``'s input gradients (its float and complex inputs get one;
    a rule's None comes out as zeros)."""
    xs, ys = list(rec.inputs), list(rec.outputs)
    out = tuple(i for i, t in enumerate(xs) if t.dtype.is_floating or t.dtype.is_complex)
    if not out:
        return [None] * len(xs)
    attrs = {
        "op": rec.op_type,
        "attrs": tuple(sorted(rec.attrs.items())),
        "n": (len(xs), len(ys)),
        "dy": tuple(g is not None for g in dys),
        "out": out,
    }
    got = _tensor._execute("GradOf", xs + ys + [g for g in dys if g is not None], attrs)
    grads = [None] * len(xs)
    for i, g in zip(out, got):
        grads[i] = g
    return grads


def _run_grad_of(attrs, ins):
    """A ``GradOf`` node's outputs: the rule it holds, on tensors of known shapes."""
    nx, ny = attrs["n"]
    xs, ys, rest = ins[:nx], ins[nx : nx + ny], iter(ins[nx + ny :])
    dys = [next(rest) if present else None for present in attrs["dy"]]
    op = attrs["op"]
    multi = op in MULTI_OUTPUT
    grads = RULES[op](xs, ys, dict(attrs["attrs"]), dys if multi else dys[0])
    return [_or_zeros(grads[i], xs[i]) for i in attrs["out"]]


def _grad_of_grad(x, y, attrs, dys):
    """A ``GradOf`` node's own gradient: the rule it holds, differentiated."""
    return list(_grad_of_composed(lambda *ins: _run_grad_of(attrs, list(ins)), list(x), dys))


RULES["GradOf"] = _grad_of_grad
MULTI_OUTPUT.add("GradOf")
_dyn.GRAD_OF = _run_grad_of


def unbroadcast(g, x, peers=None):
    """Sum ``g`` over the dims that broadcasting added or stretched to reach ``x``'s shape
    (``x`` a tensor or a shape). Where an unknown dim of ``x`` leaves that open, the sum is
    decided at run time (``_dynamic.sum_to``); ``peers``, the tensors ``x`` was broadcast
    against (an elementwise op's inputs), settle the dims none of them can have stretched."""
    if isinstance(x, Tensor) and _tensor._tracing and _run_time_broadcast(g.shape, x, peers):
        return _dyn.sum_to(g, x)
    gshape = tuple(g.shape)
    if isinstance(x, Tensor):
        shape = target = tuple(x.shape)
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


def _run_time_broadcast(gshape, x, peers):
    """Whether only the run-time shapes tell which dims of ``g`` broadcasting stretched from
    ``x``: an unknown rank, or an unknown dim of ``x`` facing a dim of ``g`` other than 1 (and,
    given ``peers``, a dim of a peer that is unknown or above 1)."""
    xshape = x.shape
    if gshape.rank is None or xshape.rank is None:
        return True
    lead = gshape.rank - xshape.rank
    others = None if peers is None else [p.shape for p in peers if p is not x]
    for i, d in enumerate(xshape.as_list()):
        if d is not None or gshape[lead + i] == 1:
            continue
        if others is None:
            return True
        for o in others:
            if o.rank is None:
                return True
            j = o.rank - (xshape.rank - i)  # the peer's dim facing this one
            if j >= 0 and o[j] != 1:
                return True
    return False


def _custom(x, y, attrs, dy):
    """``tf.custom_gradient``'s record: the user's ``grad_fn``, one gradient per tensor input
    (not in ``RULES``: it is no op type, and finite differences cannot check a user's rule)."""
    dy = [zeros_like(o) if g is None else g for g, o in zip(dy, y)]
    grads = attrs["grad_fn"](*dy)
    grads = flatten(grads) if isinstance(grads, list | tuple) else [grads]
    if len(grads) != len(x):
        raise ValueError(
            f"custom_gradient's grad_fn returned {len(grads)} gradients for {len(x)} inputs"
        )
    return grads


def _grad_of_composed(composed, inputs, dys):
    """Gradients of a fused backprop op, by differentiating a composed copy of it. A tensor
    given at several positions is copied for all but the first (an ``Identity`` the outer tape
    sees): the tape would give each position the gradient of every use."""
    seen, distinct = set(), []
    for t in inputs:
        if isinstance(t, Tensor) and id(t) in seen:
            t = A.identity(t)
        seen.add(id(t))
        distinct.append(t)
    inputs = distinct
    with GradientTape() as tape:
        for t in inputs:
            tape.watch(t)
        outs = composed(*inputs)
    pairs = [(o, g) for o, g in zip(outs, dys) if g is not None]
    return tape.gradient(
        [o for o, _ in pairs], list(inputs), output_gradients=[g for _, g in pairs]
    )


def _or_zeros(g, like):
    """``g``, or zeros like ``like`` when no gradient reached it."""
    return g if g is not None else zeros_like(like)


def _axis_of(attrs, rank):
    """The op's ``axis`` attr as a non-negative axis of a rank-``rank`` input."""
    return int(attrs.get("axis", 0)) % rank
