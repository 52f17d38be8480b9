"""The gradient-rule table and what every family's rules share (``_grads/<family>.py``).

``RULES[op_type](x_inputs, y_outputs, attrs, dy) -> [dx per input]``, where ``dy`` is the
gradient of the (single) output; for the ops in ``MULTI_OUTPUT`` it is the list of the
outputs' gradients (None where an output got none). Because the rules call ops, the backward
pass is itself recorded by any outer tape, which gives higher-order derivatives.
"""

from __future__ import annotations

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
    "StatelessTruncatedNormalV2", "StatelessRandomUniformIntV2", "Shape", "Size",
}  # fmt: skip

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


def _shape(t):
    """``t``'s dims as a shape argument; while tracing, an unknown dim is read at run time."""
    return _dyn.entries_of(t) if _tensor._tracing else t.shape.as_list()


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
    """Gradients of a fused backprop op, by differentiating a composed copy of it."""
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
