"""Shapes known only at run time, inside traced graphs (dims that are ``None``).

The kernels take shapes as attrs, so a traced graph with unknown dims uses three graph-only op
types, run by the ops layer itself:

- ``Shape`` / ``Size``: TF's ops, an int tensor read from the input's buffer at run time.
- ``DynamicShape``: a kernel op (``Reshape``, ``BroadcastTo``, ``Fill``) whose shape attr is
  built at run time from ``items``: ints, ``("dim", j, i)`` (dim ``i`` of input ``j``) and
  ``("val", j, i)`` (element ``i`` of the int tensor input ``j``, read on the host).
  An item ``("all", j)`` stands for every dim of input ``j`` (a shape of unknown rank),
  ``("rev", j)`` for input ``j``'s axes reversed (``tf.transpose``'s default perm).
- ``SumTo``: ``g`` summed down to the shape of ``x`` (a broadcast's gradient, TF's
  ``BroadcastGradientArgs`` + ``Sum``) when which dims were broadcast is known only at run time.
- ``GradOf``: a gradient rule that needs known shapes, run where they are: ``apply`` runs it
  once the graph is specialized to its input shapes, the compiled graph's handler on each run
  (through the ``GRAD_OF`` hook, which ``_grads`` sets).

Eagerly, and in a trace where the shapes are known, none of these are made: ``tf.shape`` is a
constant and shape attrs are ints, as before. ``apply`` runs one of these nodes on tensors;
given symbolic tensors whose dims are now known (``specialize``) it emits the static ops.
"""

from __future__ import annotations

import numpy as np

from tensorhouse_kernels import execute, get_op_def
from tensorhouse_kernels.runtime import from_host, to_host

from . import _graph as _graph_module
from . import _record, _tensor
from . import dtypes as _dt
from ._tensor import Tensor, TensorShape, VariableLike

__all__ = ["LOCAL", "apply", "infer", "shape_of", "size_of", "entries_of", "shape_entries",
           "shaped_op", "shaped_op_outputs", "sum_to", "attr_of", "handler",
           "note_index"]  # fmt: skip

LOCAL = frozenset({"Shape", "Size", "DynamicShape", "SumTo", "GradOf"})

# ``GRAD_OF(attrs, inputs) -> outputs``: a ``GradOf`` node's rule on tensors (``_grads``'s).
GRAD_OF = None


def _graph():
    return _graph_module


def _symbolic(t):
    return type(t) is not Tensor and hasattr(t, "_gshape") and getattr(t, "_value", None) is None


def _static_shape(t):
    return t._gshape if _symbolic(t) else tuple(t._value.shape)


# ---- building -------------------------------------------------------------------------------


def shape_of(x, out_type=_dt.int32):
    """``tf.shape``: a constant when every dim is known, else a ``Shape`` node."""
    out_type = _dt.as_dtype(out_type)
    dims = _static_shape(x)
    if dims is None:  # unknown rank: a Shape node of unknown length, usable as a shape
        out = _tensor._execute("Shape", [x], {"out_type": out_type._np})[0]
        _set_dims(out, [("all", x)])
        return out
    if None not in dims:
        return _tensor.constant(list(dims), dtype=out_type)
    out = _tensor._execute("Shape", [x], {"out_type": out_type._np})[0]
    _set_dims(out, [d if d is not None else (x, i) for i, d in enumerate(dims)])
    return out


def size_of(x, out_type=_dt.int32):
    """``tf.size``: a constant when every dim is known, else a ``Size`` node."""
    out_type = _dt.as_dtype(out_type)
    dims = _static_shape(x)
    if dims is not None and None not in dims:
        return _tensor.constant(int(np.prod(dims, dtype=np.int64)), dtype=out_type)
    return _tensor._execute("Size", [x], {"out_type": out_type._np})[0]


def entries_of(x):
    """``x``'s dims as shape entries: ints where known, ``(x, i)`` where not."""
    return [d if d is not None else (x, i) for i, d in enumerate(_static_shape(x))]


def _set_dims(t, entries):
    if _symbolic(t):
        t._dimref = tuple(entries)


def note_index(src, key, out):
    """``shape_tensor[i]``: the result remembers which tensor's dim it is."""
    ref = getattr(src, "_dimref", None)
    if ref is not None and any(_whole(e) for e in ref):  # a shape of unknown rank
        return
    if ref is not None and isinstance(key, int) and -len(ref) <= key < len(ref):
        _set_dims(out, (ref[key],))


def _whole(e):
    """Whether entry ``e`` is a whole shape's item (``("all", t)`` or ``("rev", t)``)."""
    return type(e) is tuple and isinstance(e[0], str) and e[0] in ("all", "rev")


def shape_entries(shape):
    """A shape argument (list, TensorShape, tensor) as a list of entries: ints, ``(tensor, i)``
    for a dim of a symbolic tensor, or ``("val", t, i)`` for an element of an int tensor."""
    if isinstance(shape, TensorShape):
        if not shape.is_fully_defined():
            raise ValueError(f"Cannot use the partially known shape {shape} as a shape argument")
        return shape.as_list()
    if isinstance(shape, int | np.integer):
        return [int(shape)]
    if isinstance(shape, Tensor):
        return _tensor_entries(shape)
    if isinstance(shape, VariableLike):
        return _tensor_entries(shape._th_read())
    out = []
    for d in shape:
        if isinstance(d, Tensor):
            e = _tensor_entries(d)
            if len(e) != 1:
                raise ValueError(f"A shape's entries must be scalars, got {d!r}")
            out.append(e[0])
        elif type(d) is tuple:  # (tensor, i) or ("val", tensor, i), from entries_of
            out.append(d)
        elif d is None:
            raise ValueError(f"Cannot use a shape with an unknown (None) entry: {list(shape)}")
        else:
            out.append(int(d))
    return out


def _tensor_entries(t):
    if not _symbolic(t):
        return [int(d) for d in t.numpy().reshape(-1)]
    if not t._dtype.is_integer:
        raise TypeError(f"A shape tensor must be int32 or int64, got {t._dtype.name}")
    ref = getattr(t, "_dimref", None)
    if ref is not None:
        return list(ref)
    if len(t._gshape) > 1:
        raise ValueError(f"A shape tensor must be a vector or a scalar, got shape {t.shape}")
    n = t._gshape[0] if t._gshape else 1
    if n is None:
        raise ValueError(f"A shape tensor must have a known length while tracing, got {t.shape}")
    return [("val", t, i) for i in range(n)]


def shaped_op(op_type, inputs, attrs, shape, key="shape"):
    """Run kernel op ``op_type`` with ``attrs[key]`` = ``shape`` (a list, TensorShape or
    tensor); a ``DynamicShape`` node when the shape is only known at run time."""
    return shaped_op_outputs(op_type, inputs, attrs, shape, key)[0]


def _expand_all(entries):
    """``("all", t)`` entries replaced by ``t``'s dims where its rank is known."""
    out = []
    for e in entries:
        if _whole(e):
            dims = _static_shape(e[1])
            if dims is not None:
                rev = list(reversed(range(len(dims))))
                out.extend(entries_of(e[1]) if e[0] == "all" else rev)
                continue
        out.append(e)
    return out


def shaped_op_outputs(op_type, inputs, attrs, shape, key="shape"):
    """``shaped_op``'s every output (``SplitV`` with ``size_splits`` read at run time)."""
    entries = _expand_all(shape_entries(shape))
    if all(type(e) is int for e in entries):
        return _tensor._execute(op_type, inputs, {**attrs, key: attr_of(key, entries)})
    refs, items = [], []
    for e in entries:
        if type(e) is int:
            items.append(e)
            continue
        # e[0] is a tensor for a dim: `==` on a string tensor would be elementwise
        if isinstance(e[0], str):
            kind, t, i = (e[0], e[1], None) if _whole(e) else ("val", e[1], e[2])
        else:
            kind, t, i = "dim", e[0], e[1]
        if kind == "dim" and not _symbolic(t):
            items.append(int(t._value.shape[i]))
            continue
        ins = list(inputs) + refs
        j = next((k for k, r in enumerate(ins) if r is t), None)
        if j is None:
            refs.append(t)
            j = len(ins)
        items.append((kind, j) if kind in ("all", "rev") else (kind, j, i))
    node = {"op": op_type, "key": key, "n": len(inputs), "items": tuple(items),
            "base": tuple(sorted(attrs.items()))}  # fmt: skip
    return _tensor._execute("DynamicShape", list(inputs) + refs, node)


def _sum_axes(gshape, xshape):
    """The axes of ``g`` to sum so that it broadcasts as ``x`` did (both shapes known)."""
    lead = len(gshape) - len(xshape)
    return list(range(lead)) + [
        lead + i for i, d in enumerate(xshape) if d == 1 and gshape[lead + i] != 1
    ]


def sum_to(g, x):
    """``g`` summed over the dims broadcasting stretched to reach it from ``x``'s shape; a
    ``SumTo`` node when an unknown dim of ``x`` makes that a run-time question."""
    gs, xs = _static_shape(g), _static_shape(x)
    if gs is not None and xs is not None and None not in gs and None not in xs:
        axes = _sum_axes(gs, xs)
        if axes:
            g = _tensor._execute("Sum", [g], {"axis": tuple(axes), "keep_dims": True})[0]
        if len(gs) == len(xs):
            return g
        return _tensor._execute("Reshape", [g], {"shape": tuple(xs)})[0]
    return _tensor._execute("SumTo", [g, x], {})[0]


# ---- shape rules and running ----------------------------------------------------------------


def infer(op_type, shapes, dts, attrs):
    """The output specs of a graph-only op from its input shapes (dims may be None)."""
    if op_type == "Shape":
        return [((len(shapes[0]),), np.dtype(attrs["out_type"]))]
    if op_type == "Size":
        return [((), np.dtype(attrs["out_type"]))]
    if op_type == "SumTo":
        return [(shapes[1], dts[0])]
    if op_type == "GradOf":  # each gradient has its input's shape and dtype
        return [(shapes[i], dts[i]) for i in attrs["out"]]
    target = []
    for it in attrs["items"]:
        if type(it) is int:
            target.append(it)
        elif it[0] == "dim":
            target.append(shapes[it[1]][it[2]])
        elif it[0] == "rev" and shapes[it[1]] is not None:
            target.extend(reversed(range(len(shapes[it[1]]))))
        elif it[0] in ("all", "rev"):  # a whole shape of unknown rank: so is the output's
            base = dict(attrs["base"])
            return [(None, np.dtype(base["dtype"]) if "dtype" in base else dts[0])]
        else:
            target.append(None)
    base = dict(attrs["base"])
    n = attrs["n"]
    if None not in target:
        attr = attr_of(attrs["key"], target)
        return get_op_def(attrs["op"]).infer(shapes[:n], dts[:n], {**base, attrs["key"]: attr})
    if attrs["op"] == "Reshape":
        target = _reshape_target(shapes[0], target, attrs["items"])
    if attrs["key"] == "paddings":  # (before, after) pairs: a dim is known where all three are
        pads = attr_of("paddings", target)
        dims = [None if None in (d, a, b) else d + a + b for d, (a, b) in zip(shapes[0], pads)]
        return [(tuple(dims), dts[0])]
    if attrs["op"] == "SplitV":  # one output per size, the sizes along the axis
        axis = int(base["axis"]) % len(shapes[0])
        return [(shapes[0][:axis] + (d,) + shapes[0][axis + 1 :], dts[0]) for d in target]
    return [(tuple(target), _out_dtype(attrs["op"], shapes[:n], dts[:n], base, attrs["key"],
                                       target))]  # fmt: skip


def attr_of(key, values):
    """A shape attr's value from its flat entries (``paddings``: ``(before, after)`` pairs)."""
    values = tuple(values)
    return tuple(zip(values[::2], values[1::2])) if key == "paddings" else values


def _out_dtype(op_type, shapes, dts, base, key, target):
    """The output dtype of ``op_type`` with a shape attr known only at run time: its shape
    rule's, run on stand-in dims of 1 (else the dtype attr, or the data input's dtype)."""
    stand = [tuple(1 if d is None else d for d in s) for s in shapes]
    attrs = {**base, key: attr_of(key, [1 if d is None else d for d in target])}
    try:
        return get_op_def(op_type).infer(stand, dts, attrs)[0][1]
    except Exception:  # the stand-in dims do not fit the op: by its inputs
        if "dtype" in base:
            return np.dtype(base["dtype"])
        return dts[1] if op_type == "ScatterNd" else dts[0]


def _reshape_target(shape, target, items):
    """Reshape's static output: the -1 is known when the unknown dims of the input are the
    target's other unknown dims (``tf.reshape(x, [tf.shape(x)[0], -1])``)."""
    same = {it[2] for it in items if type(it) is tuple and it[:2] == ("dim", 0)}
    rest_in = [d for i, d in enumerate(shape) if i not in same or d is not None]
    rest_out = [d for d, it in zip(target, items) if d != -1 and not (type(it) is tuple
                and it[:2] == ("dim", 0) and shape[it[2]] is None)]  # fmt: skip
    if target.count(-1) == 1 and None not in rest_in and None not in rest_out:
        known = int(np.prod(rest_out, dtype=np.int64))
        total = int(np.prod(rest_in, dtype=np.int64))
        if known and total % known == 0:
            return [total // known if d == -1 else d for d in target]
    return [None if d == -1 else d for d in target]


def _value_at(t, i):
    return int(np.asarray(to_host(t._value, t._device)).reshape(-1)[i])


def apply(op_type, ins, attrs):
    """Run a graph-only op on tensors (eager, or symbolic while tracing) through ``_execute``:
    eager inputs give eager static kernel ops (a recording tape sees them); symbolic inputs
    with known dims give the static ops, else the node itself."""
    if op_type == "Shape":
        x = ins[0]
        if not _symbolic(x):
            arr = np.array(x._value.shape, np.dtype(attrs["out_type"]))
            return [Tensor(from_host(arr, x._device), x._device)]
        return [shape_of(x, _dt.from_numpy(np.dtype(attrs["out_type"])))]
    if op_type == "Size":
        x = ins[0]
        if not _symbolic(x):
            arr = np.array(int(np.prod(x._value.shape, dtype=np.int64)), attrs["out_type"])
            return [Tensor(from_host(arr, x._device), x._device)]
        return [size_of(x, _dt.from_numpy(np.dtype(attrs["out_type"])))]
    if op_type == "SumTo":
        return [sum_to(ins[0], ins[1])]
    if op_type == "GradOf":
        if any(_symbolic(t) and (t._gshape is None or None in t._gshape) for t in ins):
            return _tensor._execute("GradOf", list(ins), attrs)  # shapes still unknown
        return list(GRAD_OF(attrs, list(ins)))
    entries = []
    for it in attrs["items"]:
        if type(it) is int:
            entries.append(it)
            continue
        if it[0] in ("all", "rev"):
            entries.append((it[0], ins[it[1]]))
            continue
        kind, j, i = it
        t = ins[j]
        if kind == "dim":
            d = _static_shape(t)[i]
            entries.append(d if d is not None else (t, i))
        elif _symbolic(t):
            entries.append(("val", t, i))
        else:
            entries.append(_value_at(t, i))
    n, base = attrs["n"], dict(attrs["base"])
    if "_stream" in base and _graph().current_graph() is None:  # a random op's next draw
        base = _graph_module.next_random_attrs(base)
    return list(shaped_op_outputs(attrs["op"], ins[:n], base, entries, attrs["key"]))


def handler(op, device):
    """The compiled graph's callable for a graph-only node: buffers in, buffers out."""
    t, attrs = op.type, op.attrs
    if t == "Shape":
        dtype = np.dtype(attrs["out_type"])
        return lambda b: (from_host(np.array(b.shape, dtype), device),)
    if t == "Size":
        dtype = np.dtype(attrs["out_type"])
        return lambda b: (from_host(np.array(int(np.prod(b.shape, dtype=np.int64)), dtype),
                                    device),)  # fmt: skip
    if t == "SumTo":
        return _sum_to_handler(device)
    if t == "GradOf":
        return _grad_of_handler(attrs, device)
    n, op_type, key = attrs["n"], attrs["op"], attrs["key"]
    base, items = dict(attrs["base"]), attrs["items"]
    stream = base.get("_stream")

    def run(*bufs):
        shape = []
        for it in items:
            if type(it) is int:
                shape.append(it)
            elif it[0] == "dim":
                shape.append(int(bufs[it[1]].shape[it[2]]))
            elif it[0] == "all":
                shape.extend(int(d) for d in bufs[it[1]].shape)
            elif it[0] == "rev":
                shape.extend(reversed(range(len(bufs[it[1]].shape))))
            else:
                shape.append(int(np.asarray(to_host(bufs[it[1]], device)).reshape(-1)[it[2]]))
        attrs = base if stream is None else _graph_module.next_random_attrs(base)
        outs, _ = execute(op_type, list(bufs[:n]), {**attrs, key: attr_of(key, shape)}, device)
        return tuple(outs)

    return run


def _grad_of_handler(attrs, device):
    def run(*bufs):
        with _record.stop_gradient_scope():
            outs = GRAD_OF(attrs, [Tensor(b, device) for b in bufs])
        return tuple(o._value for o in outs)

    return run


def _sum_to_handler(device):
    def run(g, x):
        axes = _sum_axes(tuple(g.shape), tuple(x.shape))
        if axes:
            g = execute("Sum", [g], {"axis": tuple(axes), "keep_dims": True}, device)[0][0]
        if len(g.shape) != len(x.shape):
            g = execute("Reshape", [g], {"shape": tuple(x.shape)}, device)[0][0]
        return (g,)

    return run


_graph_module.GRAPH_ONLY_SHAPES.update(dict.fromkeys(LOCAL, infer))  # the tracer's rules
