"""TF's node names for a traced graph, read by ``Operation.name`` (so ``get_operations()`` and
a symbolic tensor's name) and by ``Graph.as_graph_def()``.

An op takes the name its public function was given (``tf.add(x, 1, name="a")``: ``a``; the
other ops of that call ``a/<op>``), else the name of the Python function TF makes it with
(``add`` for ``AddV2``: ``TF_NAMES``), under the ``tf.name_scope`` s open where it was traced
(``outer/Exp``), made unique as TF's ``Graph.unique_name`` does (one count per lower-cased
name: ``a``, ``a_1``, ``A_2``). A constant operand of one op is ``<op>/<input>`` (``add/y``).
Operands that TF gives some ops as constant inputs and the kernels here carry as attrs
(``Reshape``'s shape, a reduction's axes: ``ATTR_OPERANDS``) are GraphDef nodes of their own
(``Reshape/shape``; an all-axes reduction's ``Const``), as TF shows them.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ATTR_OPERANDS", "attr_operands", "node_names", "unique"]

# Node names TF gives these op types: the name of the Python function (or operator) that
# makes them, where it differs from the op type (``x * y`` is node ``mul`` of op ``Mul``).
TF_NAMES = {
    "AddV2": "add", "Sub": "sub", "Mul": "mul", "RealDiv": "truediv", "Pow": "pow",
    "FloorDiv": "floordiv", "FloorMod": "mod", "ConcatV2": "concat", "Pack": "stack",
    "Unpack": "unstack", "Transpose": "transpose", "StridedSlice": "strided_slice",
    "Range": "range", "If": "cond", "StatelessIf": "cond", "While": "while",
    "StatelessWhile": "while", "OneHot": "one_hot",
}  # fmt: skip

# TF's input names of the ops whose constant operands it names after them
_XY = ("x", "y")
INPUT_NAMES = {
    **dict.fromkeys(("AddV2", "Sub", "Mul", "RealDiv", "Pow", "Maximum", "Minimum", "FloorDiv",
                     "FloorMod", "SquaredDifference", "Greater", "GreaterEqual", "Less",
                     "LessEqual", "Equal", "NotEqual", "BatchMatMulV2", "LogicalAnd",
                     "LogicalOr"), _XY),
    "MatMul": ("a", "b"), "GatherV2": ("params", "indices"), "BiasAdd": ("value", "bias"),
    "SelectV2": ("condition", "t", "e"),
}  # fmt: skip

# op type -> (attr, TF's input name) of the operands TF passes as constant inputs (after the
# tensor inputs, in TF's order); a dtype of None: the op's output dtype, else int32
_REDUCE = (("axis", "reduction_indices"),)
ATTR_OPERANDS = {
    "Reshape": (("shape", "shape"),), "Transpose": (("perm", "perm"),),
    "ConcatV2": (("axis", "axis"),), "Tile": (("multiples", "multiples"),),
    "Pad": (("paddings", "paddings"),), "Slice": (("begin", "begin"), ("size", "size")),
    "StridedSlice": (("begin", "stack"), ("end", "stack_1"), ("strides", "stack_2")),
    "ArgMax": (("axis", "dimension"),), "ArgMin": (("axis", "dimension"),),
    "GatherV2": (("axis", "axis"),), "Fill": (("shape", "dims"), ("value", "value")),
    "Range": (("start", "start"), ("limit", "limit"), ("delta", "delta")),
    "Cumsum": (("axis", "axis"),), "Cumprod": (("axis", "axis"),),
    "ReverseV2": (("axis", "axis"),), "BroadcastTo": (("shape", "shape"),),
    "OneHot": (("depth", "depth"), ("on_value", "on_value"), ("off_value", "off_value")),
    **dict.fromkeys(("Sum", "Mean", "Max", "Min", "Prod", "All", "Any"), _REDUCE),
}  # fmt: skip
_OF_OUTPUT = {("Fill", "value"), ("Range", "start"), ("Range", "limit"), ("Range", "delta"),
              ("OneHot", "on_value"), ("OneHot", "off_value")}  # fmt: skip


def attr_operands(op):
    """``[(input name, value)]``: the constant inputs TF gives ``op`` that it carries as attrs;
    the name is None for a reduction over all axes (TF's unscoped ``Const``). Empty where the
    attrs are not what the op takes (a graph read from a damaged file): a name never fails."""
    try:
        return _attr_operands(op)
    except (TypeError, ValueError, OverflowError):
        return []


def _attr_operands(op):
    out = []
    for attr, input_name in ATTR_OPERANDS.get(op.type, ()):
        if attr not in op.attrs:
            return []
        value = op.attrs[attr]
        if (op.type, input_name) in _OF_OUTPUT:
            out.append((input_name, np.asarray(value, op.outputs[0]._dtype._np)))
        elif value is None and input_name == "reduction_indices":
            shape = op.inputs[0]._gshape
            if shape is None:
                return []
            out.append((None, np.arange(len(shape), dtype=np.int32)))
        elif value is None or (op.type == "Pad" and op.attrs.get("constant_values", 0) != 0):
            return []  # not the form TF makes as this op
        else:
            out.append((input_name, np.asarray(value, np.int32)))
    return out


def unique(used, name):
    """TF's ``Graph.unique_name``: ``name``, or ``name_<n>`` with the first free count."""
    key = name.lower()
    i = used.get(key, 0)
    used[key] = i + 1
    if i == 0:
        return name
    base = key
    while key in used:
        key = f"{base}_{i}"
        i += 1
    used[key] = 1
    return f"{name}_{i - 1}"


def _operand_consts(graph) -> dict:
    """``id(Const op) -> (consumer op, input index)`` for the unnamed constants that feed one
    input of one binary op: TF makes those from a Python number inside the op's name scope
    (``pow/y``); a named one (``tf.ones``'s ``ones``) keeps its name."""
    uses: dict = {}
    for op in graph.ops:
        for i, t in enumerate(op.inputs):
            src = getattr(t, "_op", None)
            if src is not None and src.type == "Const" and src.given is None:
                uses.setdefault(id(src), []).append((op, i))
    return {k: v[0] for k, v in uses.items() if len(v) == 1 and v[0][0].type in INPUT_NAMES}


def node_names(graph) -> dict:
    """``id(op) -> name`` for each op of ``graph``, and ``(id(op), k) -> name`` for its k-th
    ``attr_operands`` node (module docstring)."""
    used: dict = {}
    out: dict = {}
    operands = _operand_consts(graph)
    last = {op.call: op for op in graph.ops if op.call is not None}  # the call's named op
    scopes: dict = {}  # call -> its unique name (its ops' scope)
    for op in graph.ops:
        if id(op) in operands:
            continue
        extra = attr_operands(op)
        for k, (input_name, _) in enumerate(extra):
            if input_name is None:
                out[(id(op), k)] = unique(used, f"{op.scope}Const")
        base = op.given or TF_NAMES.get(op.type, op.type)
        if op.call is None:
            name = unique(used, op.scope + base)
        else:
            if op.call not in scopes:
                scopes[op.call] = unique(used, op.scope + op.given)
            name = scopes[op.call]
            if last[op.call] is not op:
                name = unique(used, f"{name}/{TF_NAMES.get(op.type, op.type)}")
        out[id(op)] = name
        for k, (input_name, _) in enumerate(extra):
            if input_name is not None:
                out[(id(op), k)] = unique(used, f"{name}/{input_name}")
    for key, (consumer, index) in operands.items():
        out[key] = f"{out[id(consumer)]}/{INPUT_NAMES[consumer.type][index]}"
    return out
