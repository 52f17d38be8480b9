"""``Graph.as_graph_def()``: a traced graph as TF's ``GraphDef`` protocol buffer.

The messages (``GraphDef``, ``NodeDef``, ``AttrValue`` and its ``ListValue``, ``VersionDef``,
``NameAttrList``) are declared here with TF's field numbers (facts of TF's wire format) on the
``protobuf`` package, in ``_example``'s descriptor pool beside its ``TensorProto``. A node's
inputs are named as TF names them (``op`` for output 0, ``op:1`` for the others), nodes as
``_graph_names`` names them (operands TF has as constant inputs are ``Const`` nodes); its attrs
map to ``AttrValue``s: integers, floats, bools, strings, dtypes (TF's ``DataType`` numbers),
shapes, constant tensors, lists of these, and nested graphs (``If`` / ``While`` bodies) as
function names. Python objects an op carries for the runtime (variables, callbacks) are not
attrs of a GraphDef and are left out.
"""

from __future__ import annotations

import numpy as np
from google.protobuf import descriptor_pb2

from . import _example
from ._graph_names import ATTR_OPERANDS, attr_operands
from ._tensor import Tensor

__all__ = ["GraphDef", "NodeDef", "AttrValue", "graph_def"]

_F = descriptor_pb2.FieldDescriptorProto
_REP = _F.LABEL_REPEATED
_field = _example._field


def _descriptor():
    fd = descriptor_pb2.FileDescriptorProto(
        name="tensorhouse/graph.proto", package="tensorflow", syntax="proto3",
        dependency=["tensorhouse/tensor.proto"],
    )  # fmt: skip
    shape, tensor = ".tensorflow.TensorShapeProto", ".tensorflow.TensorProto"
    name_attrs = fd.message_type.add(name="NameAttrList")
    _field(name_attrs, "name", 1, _F.TYPE_STRING)
    lst = fd.message_type.add(name="AttrValue").nested_type.add(name="ListValue")
    attr = fd.message_type[-1]
    for name, number, ftype, type_name in (
        ("s", 2, _F.TYPE_BYTES, None), ("i", 3, _F.TYPE_INT64, None),
        ("f", 4, _F.TYPE_FLOAT, None), ("b", 5, _F.TYPE_BOOL, None),
        ("type", 6, _F.TYPE_INT32, None), ("shape", 7, _F.TYPE_MESSAGE, shape),
        ("tensor", 8, _F.TYPE_MESSAGE, tensor),
        ("func", 9, _F.TYPE_MESSAGE, ".tensorflow.NameAttrList"),
    ):  # fmt: skip
        _field(lst, name, number, ftype, _REP, type_name)
    attr.oneof_decl.add(name="value")
    for name, number, ftype, type_name in (
        ("list", 1, _F.TYPE_MESSAGE, ".tensorflow.AttrValue.ListValue"),
        ("s", 2, _F.TYPE_BYTES, None), ("i", 3, _F.TYPE_INT64, None),
        ("f", 4, _F.TYPE_FLOAT, None), ("b", 5, _F.TYPE_BOOL, None),
        ("type", 6, _F.TYPE_INT32, None), ("shape", 7, _F.TYPE_MESSAGE, shape),
        ("tensor", 8, _F.TYPE_MESSAGE, tensor), ("placeholder", 9, _F.TYPE_STRING, None),
        ("func", 10, _F.TYPE_MESSAGE, ".tensorflow.NameAttrList"),
    ):  # fmt: skip
        _field(attr, name, number, ftype, type_name=type_name, oneof=0)
    node = fd.message_type.add(name="NodeDef")
    _field(node, "name", 1, _F.TYPE_STRING)
    _field(node, "op", 2, _F.TYPE_STRING)
    _field(node, "input", 3, _F.TYPE_STRING, _REP)
    _field(node, "device", 4, _F.TYPE_STRING)
    entry = node.nested_type.add(name="AttrEntry")
    entry.options.map_entry = True
    _field(entry, "key", 1, _F.TYPE_STRING)
    _field(entry, "value", 2, _F.TYPE_MESSAGE, type_name=".tensorflow.AttrValue")
    _field(node, "attr", 5, _F.TYPE_MESSAGE, _REP, ".tensorflow.NodeDef.AttrEntry")
    versions = fd.message_type.add(name="VersionDef")
    _field(versions, "producer", 1, _F.TYPE_INT32)
    _field(versions, "min_consumer", 2, _F.TYPE_INT32)
    _field(versions, "bad_consumers", 3, _F.TYPE_INT32, _REP)
    graph = fd.message_type.add(name="GraphDef")
    _field(graph, "node", 1, _F.TYPE_MESSAGE, _REP, ".tensorflow.NodeDef")
    _field(graph, "versions", 4, _F.TYPE_MESSAGE, type_name=".tensorflow.VersionDef")
    return fd


_example._POOL.Add(_descriptor())  # beside the TensorProto it refers to

GraphDef = _example._message("GraphDef")
NodeDef = _example._message("NodeDef")
AttrValue = _example._message("AttrValue")


def _dtype_number(value):
    """TF's ``DataType`` number of a dtype-like attr value, or None."""
    name = getattr(value, "name", None)
    if isinstance(value, np.dtype):
        name = "string" if value.kind in "OSU" else value.name
    entry = _example._DT.get(name) if isinstance(name, str) else None
    if entry is not None:
        return entry[0]
    return 14 if name == "bfloat16" else None


def _shape(dims, msg):
    if dims is None:
        msg.unknown_rank = True
        return
    for d in dims:
        msg.dim.add(size=-1 if d is None else int(d))


def _set(attr, value, graph_names, graph_type) -> bool:
    """Fill ``attr`` (an AttrValue) from an op attr; False when it is not GraphDef data.
    ``graph_type``: the class of the graph being written (a branch or loop body is one too;
    taken from the caller, so this module need not import ``_graph``, which loads it)."""
    if isinstance(value, bool | np.bool_):
        attr.b = bool(value)
    elif isinstance(value, int | np.integer):
        attr.i = int(value)
    elif isinstance(value, float | np.floating):
        attr.f = float(value)
    elif isinstance(value, str | bytes):
        attr.s = value.encode() if isinstance(value, str) else value
    elif _dtype_number(value) is not None:
        attr.type = _dtype_number(value)
    elif isinstance(value, graph_type):
        attr.func.name = graph_names.setdefault(id(value), value.name)
    elif isinstance(value, Tensor | np.ndarray):
        arr = np.asarray(value)
        number = _dtype_number(value.dtype)
        if number is None:
            return False
        attr.tensor.dtype = number
        _shape(arr.shape, attr.tensor.tensor_shape)
        if arr.dtype.kind in "OSU":
            attr.tensor.string_val.extend(
                v if isinstance(v, bytes) else str(v).encode() for v in arr.reshape(-1)
            )
        else:
            attr.tensor.tensor_content = np.ascontiguousarray(arr).tobytes()
    elif isinstance(value, list | tuple) and all(
        isinstance(v, int | np.integer) and not isinstance(v, bool) for v in value
    ):
        attr.list.i.extend(int(v) for v in value)
    elif isinstance(value, list | tuple) and all(isinstance(v, float) for v in value):
        attr.list.f.extend(value)
    elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        attr.list.s.extend(v.encode() for v in value)
    else:
        return False
    return True


def _input_name(t, names) -> str:
    name = names.get(id(t._op), t._op.name)
    return name if t._index == 0 else f"{name}:{t._index}"


def graph_def(graph):
    """``graph`` as a ``GraphDef`` message."""
    out = GraphDef()
    out.versions.producer = 1
    names: dict = {}
    node_names = graph.tf_names()
    for op in graph.ops:
        extra = attr_operands(op)
        for k, (_, value) in enumerate(extra):  # TF's constant inputs this op holds as attrs
            const = out.node.add(name=node_names[(id(op), k)], op="Const")
            _set(const.attr["value"], value, names, type(graph))
            const.attr["dtype"].type = _dtype_number(value.dtype)
        node = out.node.add(name=node_names[id(op)], op=op.type)
        node.input.extend(_input_name(t, node_names) for t in op.inputs if hasattr(t, "_op"))
        node.input.extend(node_names[(id(op), k)] for k in range(len(extra)))
        as_inputs = {attr for attr, _ in ATTR_OPERANDS[op.type]} if extra else ()
        for key, value in sorted(op.attrs.items()):
            if key in as_inputs:
                continue
            if key == "shape" and op.type == "Placeholder":
                _shape(value, node.attr[key].shape)
                continue
            attr = AttrValue()
            if _set(attr, value, names, type(graph)):
                node.attr[key].CopyFrom(attr)
        if op.outputs and "T" not in node.attr and op.type not in ("Const", "Placeholder"):
            number = _dtype_number(op.outputs[0]._dtype)
            if number is not None:
                node.attr["T"].type = number
        if op.type in ("Const", "Placeholder") and op.outputs:
            number = _dtype_number(op.outputs[0]._dtype)
            if number is not None:
                node.attr["dtype"].type = number
    return out
