"""Traced graphs as data: a versioned, JSON-able form of a ``ConcreteFunction`` and back.

A function is written as a dict of plain JSON values (``FORMAT``, ``VERSION``): its graph's ops
(type, name, inputs as ``[op index, output index]``, attrs, output shapes and dtypes), its
placeholders and outputs, and the nested structure of its arguments and results. Attr values
are tagged JSON (``{"list": [...]}``, ``{"tuple": [...]}``, ``{"dtype": "float32"}``,
``{"graph": {...}}`` for ``If`` / ``While`` bodies, ``{"tensor": i}`` for a constant,
``{"variable": i}`` for a captured variable, ``{"random_stream": n}`` for a random op's draw
counter). Tensor values go to a ``TensorStore``: one byte buffer plus a JSON list of
``{dtype, shape, offset, nbytes}`` entries (string tensors inline, base64). Reading builds new
graphs and ``ConcreteFunction`` objects bound to the variables the caller restored; they run
through the same optimizer and compiled execution, and a ``GradientTape`` differentiates them
through the replayed ops. Nothing read is ever executed as code: op types are looked up in the
kernels' op table, attrs are data. Python callbacks (``py_function``, summaries) and
``custom_gradient`` functions cannot be written: ``ValueError`` names the op.
"""

from __future__ import annotations

import base64
import inspect
import math

import numpy as np

from tensorhouse_kernels import get_op_def
from tensorhouse_kernels.runtime import current_device, default_device

from . import _dynamic, _graph
from . import dtypes as _dt
from ._control_flow_grad import has_runtime_only_ops
from ._function import ConcreteFunction, Function, TensorSpec, _check_spec
from ._graph import Graph, GraphTensor
from ._random import NodeStream
from ._tensor import Tensor, TensorShape, VariableLike, convert_to_tensor
from .nest import flatten, pack_sequence_as

__all__ = [
    "FORMAT", "VERSION", "RestoredFunction", "SignatureFunction", "TensorStore",
    "concrete_functions", "deserialize_function", "deserialize_signature",
    "function_variables", "serialize_function", "serialize_signature",
]  # fmt: skip

FORMAT = "tensorhouse.graph"
VERSION = 1
_CONTROL = {"If", "StatelessIf", "While", "StatelessWhile"}


class TensorStore:
    """Tensor values of serialized graphs: ``add`` while writing, ``get`` while reading."""

    def __init__(self, data=b"", entries=(), source="<tensors>"):
        self._buf = bytearray(data)
        self.entries = list(entries)
        self._source = source

    def add(self, value) -> int:
        """Store an array (or eager tensor); returns its index."""
        arr = np.asarray(value)
        dtype = _dt.as_dtype(arr.dtype) if arr.dtype.kind not in "OSU" else _dt.string
        entry = {"dtype": dtype.name, "shape": list(arr.shape)}
        if dtype.name == "string":
            flat = [x if isinstance(x, bytes) else str(x).encode() for x in arr.reshape(-1)]
            entry["strings"] = [base64.b64encode(x).decode("ascii") for x in flat]
        else:
            raw = np.ascontiguousarray(arr).tobytes()
            entry["offset"], entry["nbytes"] = len(self._buf), len(raw)
            self._buf += raw
        self.entries.append(entry)
        return len(self.entries) - 1

    def data(self) -> bytes:
        return bytes(self._buf)

    def get(self, index) -> np.ndarray:
        """The array at ``index``; ``ValueError`` naming the source when the entry is bad."""
        where = f"{self._source}: tensor entry {index!r}"
        if not isinstance(index, int) or not 0 <= index < len(self.entries):
            raise ValueError(f"{where} does not exist ({len(self.entries)} entries)")
        e = self.entries[index]
        try:
            shape = tuple(int(d) for d in e["shape"])
            if any(d < 0 for d in shape):
                raise ValueError("negative dimension")
            dtype = _dt.as_dtype(e["dtype"])
            if dtype.name == "string":
                items = [base64.b64decode(s, validate=True) for s in e["strings"]]
                arr = np.empty(len(items), dtype=object)
                arr[:] = items
                return arr.reshape(shape)
            offset, nbytes = int(e["offset"]), int(e["nbytes"])
            count = math.prod(shape)
            if nbytes != count * dtype._np.itemsize or offset < 0:
                raise ValueError(f"{nbytes} bytes do not hold shape {list(shape)} {dtype.name}")
            if offset + nbytes > len(self._buf):
                raise ValueError(f"bytes {offset}..{offset + nbytes} lie past the end of the data")
            raw = bytes(self._buf[offset : offset + nbytes])
            return np.frombuffer(raw, dtype._np).reshape(shape).copy()
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise ValueError(f"{where} is malformed: {err}") from None


# ---- attrs -------------------------------------------------------------------------------


class _Writer:
    def __init__(self, var_ids, store):
        self.var_ids = var_ids
        self.store = store

    def attr(self, v, where):
        if v is None or isinstance(v, bool | str):
            return v
        if isinstance(v, int):
            return v
        if isinstance(v, float):
            return v if math.isfinite(v) else {"float": repr(v)}
        if isinstance(v, list):
            return {"list": [self.attr(x, where) for x in v]}
        if isinstance(v, tuple):
            return {"tuple": [self.attr(x, where) for x in v]}
        if isinstance(v, dict) and all(isinstance(k, str) for k in v):
            return {"dict": {k: self.attr(x, where) for k, x in v.items()}}
        if isinstance(v, bytes):
            return {"bytes": base64.b64encode(v).decode("ascii")}
        if isinstance(v, np.dtype):
            return {"dtype": _dt.as_dtype(v).name}
        if isinstance(v, _dt.DType):
            return {"tf_dtype": v.name}
        if isinstance(v, type) and issubclass(v, np.generic):
            return {"dtype_type": _dt.as_dtype(v).name}
        if isinstance(v, np.generic):
            return {"scalar": self.store.add(np.asarray(v))}
        if isinstance(v, Tensor) and type(v) is not GraphTensor:
            return {"tensor": self.store.add(v)}
        if isinstance(v, np.ndarray):
            return {"array": self.store.add(v)}
        if isinstance(v, Graph):
            return {"graph": self.graph(v)}
        if isinstance(v, VariableLike):
            key = self.var_ids.get(id(v))
            if key is None:
                raise ValueError(f"{where} uses variable {v.name!r}, which is not being saved")
            return {"variable": key}
        if type(v).__name__ in ("NodeStream", "GeneratorStream"):
            return {"random_stream": int(v.draws)}
        raise ValueError(f"{where}: attr value {v!r} ({type(v).__name__}) cannot be serialized")

    def graph(self, g):
        index = {}
        for i, op in enumerate(g.ops):
            for k, o in enumerate(op.outputs):
                index[id(o)] = [i, k]
        ops = []
        for op in g.ops:
            where = f"op {op.name!r} (type {op.type}) of graph {g.name!r}"
            if op.type in _graph.HOST_CALLS:
                raise ValueError(
                    f"Cannot serialize {where}: it calls back into Python "
                    "(py_function / numpy_function / summaries), which a saved graph cannot hold"
                )
            if "custom_gradient" in op.attrs:
                raise ValueError(
                    f"Cannot serialize {where}: it holds a tf.custom_gradient Python function"
                )
            ops.append({
                "type": op.type,
                "name": op.name,
                "inputs": [index[id(t)] for t in op.inputs],
                "attrs": {k: self.attr(v, where) for k, v in op.attrs.items()},
                "outputs": [_spec_json(o) for o in op.outputs],
            })  # fmt: skip
        outs = [
            {"ref": index[id(t)]} if type(t) is GraphTensor else {"value": self.attr(t, "output")}
            for t in g.outputs
        ]
        return {"name": g.name, "ops": ops, "inputs": [index[id(t)] for t in g.inputs],
                "outputs": outs}  # fmt: skip


def _spec_json(t):
    return {"shape": list(t._gshape), "dtype": t._dtype.name}


class _Reader:
    def __init__(self, variables, store, source):
        self.variables = variables
        self.store = store
        self.source = source

    def fail(self, where, msg):
        raise ValueError(f"{self.source}: {where}: {msg}")

    def attr(self, v, where):
        if v is None or isinstance(v, bool | str | int | float):
            return v
        if not isinstance(v, dict) or len(v) != 1:
            self.fail(where, f"malformed attr value {v!r:.80}")
        (tag, x), = v.items()  # fmt: skip
        if tag == "list":
            return [self.attr(i, where) for i in self._list(x, where)]
        if tag == "tuple":
            return tuple(self.attr(i, where) for i in self._list(x, where))
        if tag == "dict" and isinstance(x, dict):
            return {k: self.attr(i, where) for k, i in x.items()}
        if tag == "float" and x in ("nan", "inf", "-inf"):
            return float(x)
        if tag == "bytes" and isinstance(x, str):
            return base64.b64decode(x)
        if tag in ("dtype", "tf_dtype", "dtype_type") and isinstance(x, str):
            try:
                d = _dt.as_dtype(x)
            except (TypeError, ValueError):
                self.fail(where, f"unknown dtype {x!r}")
            return {"dtype": d._np, "tf_dtype": d, "dtype_type": d._np.type}[tag]
        if tag == "scalar":
            return self.store.get(x)[()]
        if tag == "array":
            return self.store.get(x)
        if tag == "tensor":
            return convert_to_tensor(self.store.get(x))
        if tag == "graph":
            return self.graph(x, where)
        if tag == "variable":
            if not isinstance(x, int) or not 0 <= x < len(self.variables):
                self.fail(where, f"variable index {x!r} out of range")
            return self.variables[x]
        if tag == "random_stream" and isinstance(x, int):
            stream = NodeStream()
            stream.draws = x
            return stream
        self.fail(where, f"malformed attr value {v!r:.80}")

    def _list(self, x, where):
        if not isinstance(x, list):
            self.fail(where, f"expected a list, got {x!r:.80}")
        return x

    def graph(self, d, where="graph", outer=None):
        try:
            g = Graph(str(d["name"]), outer)
            tensors = []
            for i, od in enumerate(d["ops"]):
                self._op(g, od, tensors, f"{where} {d['name']!r} op {i}")
            g.inputs = [self._ref(tensors, r, f"{where} inputs") for r in d["inputs"]]
            g.outputs = [
                self._ref(tensors, o["ref"], f"{where} outputs")
                if "ref" in o
                else self.attr(o["value"], f"{where} outputs")
                for o in d["outputs"]
            ]
        except (KeyError, TypeError, AttributeError) as err:
            self.fail(where, f"malformed graph ({type(err).__name__}: {err})")
        return g

    def _ref(self, tensors, ref, where):
        if not (isinstance(ref, list) and len(ref) == 2 and 0 <= ref[0] < len(tensors)):
            self.fail(where, f"bad tensor reference {ref!r:.80}")
        outs = tensors[ref[0]]
        if not 0 <= ref[1] < len(outs):
            self.fail(where, f"op {ref[0]} has no output {ref[1]}")
        return outs[ref[1]]

    def _op(self, g, od, tensors, where):
        op_type = od["type"]
        if not isinstance(op_type, str):
            self.fail(where, f"bad op type {op_type!r:.80}")
        where = f"{where} ({op_type})"
        if op_type in _graph.HOST_CALLS:
            self.fail(where, "Python callback ops cannot be loaded")
        if op_type not in _graph.HANDLED and op_type not in _dynamic.LOCAL:
            try:
                get_op_def(op_type)
            except Exception:  # the kernels' lookup error, whatever its class
                self.fail(where, f"unknown op type {op_type!r}")
        ins = [self._ref(tensors, r, where) for r in od["inputs"]]
        attrs = {k: self.attr(v, where) for k, v in od["attrs"].items()}
        specs = []
        for s in od["outputs"]:
            shape = tuple(None if x is None else int(x) for x in s["shape"])
            try:
                specs.append((shape, _dt.as_dtype(s["dtype"])._np))
            except (TypeError, ValueError):
                self.fail(where, f"unknown dtype {s['dtype']!r}")
        name = str(od["name"])
        if op_type in _graph.HANDLED and op_type not in _graph.RANDOM:
            self._check_handled(op_type, ins, attrs, specs, where)
            op = g._new_op(op_type, ins, attrs, specs, name)
        else:  # the kernels' shape rule gives the outputs, as when tracing
            try:
                with _graph.tracing(g):
                    outs = g.add_op(op_type, ins, attrs, name)
            except Exception as e:  # any rejection of the saved op is bad data
                self.fail(where, f"the op rejects its saved inputs / attrs ({e})")
            got = [(o._gshape, o._dtype._np) for o in outs]
            if len(got) != len(specs) or any(
                a[1] != b[1] or not _compatible(a[0], b[0]) for a, b in zip(got, specs)
            ):
                self.fail(where, f"saved outputs {specs} do not match the op's {got}")
            op = outs[0]._op if outs else g.ops[-1]
        if "var" in attrs:
            g.variables[id(attrs["var"])] = attrs["var"]
        for k in ("then_branch", "else_branch", "cond", "body"):
            if k in attrs:
                g.variables.update(attrs[k].variables)
        tensors.append(op.outputs)

    def _check_handled(self, op_type, ins, attrs, specs, where):
        """The ops without a kernel shape rule: their outputs checked against their data."""
        if op_type == "Placeholder":
            want = [(tuple(attrs.get("shape", ())), None)]
        elif op_type == "Const":
            value = attrs.get("value")
            if not isinstance(value, Tensor):
                self.fail(where, "Const without a tensor value")
            want = [(tuple(value.shape), value.dtype._np)]
        elif op_type == "ReadVariableOp" or op_type.startswith("Assign"):
            var = attrs.get("var")
            if not isinstance(var, VariableLike):
                self.fail(where, "no variable")
            want = [(tuple(var.shape), _dt.as_dtype(var.dtype)._np)]
            if op_type.startswith("Assign"):
                if len(ins) != 1 or ins[0]._dtype._np != want[0][1]:
                    self.fail(where, "the assigned value does not match the variable")
                want = []
        elif op_type == "PrintV2":
            want = []
        else:
            want = self._control_flow(op_type, ins, attrs, where)
        if len(want) != len(specs) or any(
            (d is not None and d != s[1]) or not _compatible(w, s[0])
            for (w, d), s in zip(want, specs)
        ):
            self.fail(where, f"saved outputs {specs} do not match the op's {want}")

    def _control_flow(self, op_type, ins, attrs, where):
        keys = ("then_branch", "else_branch") if "If" in op_type else ("cond", "body")
        for k in keys:
            if not isinstance(attrs.get(k), Graph):
                self.fail(where, f"attr {k} is not a graph")
        if "If" in op_type:
            then, other = attrs["then_branch"], attrs["else_branch"]
            if len(ins) != 1 + len(then.inputs) + len(other.inputs):
                self.fail(where, "input count does not match the branches")
            outs = [t for t in then.outputs if type(t) is GraphTensor]
            if len(outs) != len(other.outputs):
                self.fail(where, "the branches return different numbers of tensors")
            return [(o._gshape, o._dtype._np) for o in outs]
        n = attrs.get("num_loop_vars")
        body, cond = attrs["body"], attrs["cond"]
        if not isinstance(n, int) or len(body.outputs) != n or n > len(ins):
            self.fail(where, "num_loop_vars does not match the body")
        if len(ins) != n + len(cond.inputs) - n + len(body.inputs) - n:
            self.fail(where, "input count does not match the loop graphs")
        for v, o in zip(ins[:n], body.outputs):
            if type(o) is not GraphTensor or v._gshape != o._gshape or v._dtype != o._dtype:
                self.fail(where, "the body changes a loop variable's shape or dtype")
        return [(v._gshape, v._dtype._np) for v in ins[:n]]


def _compatible(a, b):
    return len(a) == len(b) and all(x is None or y is None or x == y for x, y in zip(a, b))


# ---- structures ----------------------------------------------------------------------------


def _structure(x, leaf, where):
    """A nested list / tuple / dict as JSON, ``leaf(x)`` for each leaf in ``nest`` order."""
    if isinstance(x, dict):
        keys = sorted(x)
        if not all(isinstance(k, str) for k in keys):
            raise ValueError(f"{where}: only dicts with string keys can be saved, got {keys!r}")
        return {"dict": [[k, _structure(x[k], leaf, where)] for k in keys]}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        raise ValueError(f"{where}: namedtuples cannot be saved ({type(x).__name__})")
    if isinstance(x, list | tuple):
        return {type(x).__name__: [_structure(v, leaf, where) for v in x]}
    return leaf(x)


def _unstructure(d, leaf, where):
    if isinstance(d, dict) and len(d) == 1:
        (tag, x), = d.items()  # fmt: skip
        if tag == "dict" and isinstance(x, list):
            return {k: _unstructure(v, leaf, where) for k, v in x}
        if tag in ("list", "tuple") and isinstance(x, list):
            items = [_unstructure(v, leaf, where) for v in x]
            return items if tag == "list" else tuple(items)
    return leaf(d)


# ---- functions -------------------------------------------------------------------------------


def concrete_functions(fn):
    """The concrete functions of a ``tf.function`` (traced so far, or its input_signature's)."""
    if isinstance(fn, ConcreteFunction):
        return [fn]
    if not isinstance(fn, Function):
        raise TypeError(f"Expected a tf.function or a ConcreteFunction, got {fn!r}")
    if fn.input_signature is not None:
        fn.get_concrete_function()
    out, portable = [], {}
    for cf in fn._cache.values():
        if id(cf) in portable:
            continue
        # a loop gradient traced for speed walks a runtime-only history: save a retrace
        portable[id(cf)] = fn._retrace_portable(cf) if has_runtime_only_ops(cf.graph) else cf
        out.append(portable[id(cf)])
    return out


def function_variables(fn) -> list:
    """The variables the graphs of ``fn`` (a tf.function or ConcreteFunction) capture."""
    seen = {}
    for cf in concrete_functions(fn):
        for v in cf.graph.variables.values():
            seen.setdefault(id(v), v)
    return list(seen.values())


def _arg_names(fn):
    if isinstance(fn, Function):
        try:
            return list(inspect.signature(fn.python_function).parameters)
        except (TypeError, ValueError):
            return []
    return []


def _concrete_to_json(cf, writer):
    where = f"function {cf._name!r}"
    positions = iter(range(len(cf.graph.inputs)))
    placeholders = cf.graph.inputs

    def in_leaf(x):
        if isinstance(x, Tensor | TensorSpec | np.ndarray):
            i = next(positions)
            return {"input": i, **_spec_json(placeholders[i])}
        return {"value": writer.attr(x, where + " argument")}

    count = iter(range(len(cf.graph.outputs)))

    def out_leaf(_):
        return {"output": next(count)}

    return {
        "name": cf._name,
        "graph": writer.graph(cf.graph),
        "inputs": _structure(list(cf._args), in_leaf, where),
        "outputs": _structure(cf.structured_outputs, out_leaf, where),
    }


def serialize_function(fn, var_ids, store) -> dict:
    """A tf.function's (or ConcreteFunction's) traced graphs as JSON data; ``var_ids`` maps
    ``id(variable)`` to the index the reader's variable list will have."""
    writer = _Writer(var_ids, store)
    cfs = concrete_functions(fn)
    name = getattr(fn, "_name", "function")
    return {"format": FORMAT, "version": VERSION, "name": name, "arg_names": _arg_names(fn),
            "concrete": [_concrete_to_json(cf, writer) for cf in cfs]}  # fmt: skip


def _check_header(d, source):
    if not isinstance(d, dict) or d.get("format") != FORMAT:
        raise ValueError(f"{source}: not a serialized tensorhouse function")
    if d.get("version") != VERSION:
        raise ValueError(
            f"{source}: serialized function version {d.get('version')!r} is not supported "
            f"(this tensorhouse reads version {VERSION})"
        )


def _concrete_from_json(d, reader, where):
    try:
        graph = reader.graph(d["graph"], where)
        outs = iter(graph.outputs)
        structured_out = _unstructure(d["outputs"], lambda _: next(outs), where)
        leaves = []

        def in_leaf(x):
            if "input" in x:
                ph = graph.inputs[x["input"]]
                spec = TensorSpec(TensorShape(ph._gshape), ph._dtype)
                leaves.append(("T", x["input"], spec))
                return spec
            value = reader.attr(x["value"], where)
            leaves.append(("P", None, value))
            return value

        structured_in = _unstructure(d["inputs"], in_leaf, where)
    except (KeyError, TypeError, IndexError, StopIteration) as err:
        reader.fail(where, f"malformed function ({type(err).__name__}: {err})")
    device = current_device() or default_device()
    positions = [i for i, (k, _, _) in enumerate(leaves) if k == "T"]
    cf = ConcreteFunction(graph, tuple(structured_in), structured_out, positions, device,
                          str(d.get("name", "function")))  # fmt: skip
    return cf, structured_in, leaves


class RestoredFunction:
    """A loaded tf.function: calls the first saved concrete function its arguments match."""

    def __init__(self, name, arg_names, concretes):
        self._name = name
        self._arg_names = arg_names
        self._concretes = concretes  # (ConcreteFunction, structured inputs, leaves)

    @property
    def concrete_functions(self):
        return [c for c, _, _ in self._concretes]

    def get_concrete_function(self, *args, **kwargs):
        """The saved concrete function these arguments (tensors or TensorSpecs) select."""
        if not args and not kwargs and len(self._concretes) == 1:
            return self._concretes[0][0]
        return self._select(args, kwargs)[0]

    def _bind(self, args, kwargs, n):
        args = list(args)
        if kwargs:
            names = self._arg_names[len(args) : n]
            unknown = set(kwargs) - set(names)
            if unknown:
                raise TypeError(f"{self._name}() got unexpected keyword arguments {unknown}")
            args += [kwargs.get(k, _MISSING) for k in names]
        return args

    def _select(self, args, kwargs):
        errors = []
        for cf, structure, leaves in self._concretes:
            bound = self._bind(args, kwargs, len(structure))
            bound += [_MISSING] * (len(structure) - len(bound))
            try:
                return cf, _match(cf, structure, leaves, bound)
            except (TypeError, ValueError) as e:
                errors.append(str(e))
        raise TypeError(
            f"Binding inputs to tf.function {self._name!r} failed: no saved concrete function "
            f"matches the arguments {args!r}, {kwargs!r} ({'; '.join(errors)})"
        )

    def __call__(self, *args, **kwargs):
        cf, tensors = self._select(args, kwargs)
        return cf._call_flat(tensors)

    def __repr__(self):
        return f"<RestoredFunction {self._name}>"


_MISSING = object()


def _match(cf, structure, leaves, args):
    if len(args) != len(structure):
        raise TypeError(f"expected {len(structure)} arguments, got {len(args)}")
    # a missing argument takes the saved Python value it was traced with
    args = [s if a is _MISSING and not isinstance(s, TensorSpec) else a
            for a, s in zip(args, structure)]  # fmt: skip
    if any(a is _MISSING for a in args):
        raise TypeError("a tensor argument is missing")
    try:
        flat = flatten(list(args))
        pack_sequence_as(list(structure), flat)
    except (TypeError, ValueError) as e:
        raise TypeError(f"the arguments do not match the saved structure: {e}") from None
    if len(flat) != len(leaves):
        raise TypeError(f"{len(flat)} values do not match the {len(leaves)} saved ones")
    tensors = []
    for x, (kind, _, saved) in zip(flat, leaves):
        if kind == "P":
            if x is not saved and x != saved:
                raise TypeError(f"Python argument {x!r} differs from the traced {saved!r}")
            continue
        t = x._th_read() if isinstance(x, VariableLike) else x
        if not isinstance(t, Tensor):
            t = convert_to_tensor(t, saved.dtype)
        _check_spec(t, saved.shape, saved.dtype, cf._name)
        tensors.append(t)
    return tensors


def deserialize_function(d, variables, store, source="<function>") -> RestoredFunction:
    """A ``RestoredFunction`` from ``serialize_function``'s data, bound to ``variables``."""
    _check_header(d, source)
    reader = _Reader(list(variables), store, source)
    name = str(d.get("name", "function"))
    concretes = [_concrete_from_json(c, reader, f"function {name!r} concrete {i}")
                 for i, c in enumerate(d.get("concrete", []))]  # fmt: skip
    if not concretes:
        raise ValueError(f"{source}: function {name!r} has no concrete function")
    arg_names = [str(a) for a in d.get("arg_names", [])]
    return RestoredFunction(name, arg_names, concretes)


# ---- signatures ------------------------------------------------------------------------------


def _output_names(outputs):
    """TF's names of a signature's outputs: a dict's keys, else ``output_<i>``."""
    if isinstance(outputs, dict):
        items = sorted(outputs.items())
    elif isinstance(outputs, list | tuple):
        items = [(f"output_{i}", v) for i, v in enumerate(outputs)]
    else:
        items = [("output_0", outputs)]
    for key, value in items:
        if not isinstance(value, Tensor):
            raise ValueError(
                f"Got a non-Tensor value {value!r} for key {key!r} in the output of a function "
                "used to generate a SavedModel signature. Outputs for functions used as "
                "signatures must be a single Tensor, a sequence of Tensors, or a dictionary "
                "from string to Tensor."
            )
    return [k for k, _ in items]


def serialize_signature(fn, var_ids, store) -> dict:
    """A signature (a tf.function with an input_signature, or a ConcreteFunction): its graph
    with the input names (the arguments' or TensorSpecs' names) and TF's output names."""
    cfs = concrete_functions(fn)
    if len(cfs) != 1:
        raise ValueError(
            "A signature must be a tf.function with an input_signature or a ConcreteFunction "
            f"(got {fn!r}, traced {len(cfs)} times)"
        )
    cf = cfs[0]
    arg_names = _arg_names(fn)
    names = []
    for i, arg in enumerate(cf._args):
        leaves = flatten(arg)
        base = arg_names[i] if i < len(arg_names) else f"input_{i}"
        for j, leaf in enumerate(leaves):
            if not isinstance(leaf, Tensor | TensorSpec):
                raise ValueError(f"signature argument {base!r} is not a tensor ({leaf!r})")
            spec_name = getattr(leaf, "name", None) if isinstance(leaf, TensorSpec) else None
            names.append(spec_name or (base if len(leaves) == 1 else f"{base}_{j}"))
    d = serialize_function(cf, var_ids, store)
    d["input_names"] = names
    d["output_names"] = _output_names(cf.structured_outputs)
    return d


class SignatureFunction:
    """A loaded signature: keyword tensors in, a dict of named output tensors out (TF's)."""

    def __init__(self, name, cf, input_names, output_names):
        self._name = name
        self._cf = cf
        self._input_names = input_names
        self._output_names = output_names
        specs = {n: TensorSpec(TensorShape(p._gshape), p._dtype, n)
                 for n, p in zip(input_names, cf.graph.inputs)}  # fmt: skip
        self.structured_input_signature = ((), {n: specs[n] for n in sorted(specs)})
        outs = [t for t in cf.graph.outputs]
        self.structured_outputs = {
            n: TensorSpec(TensorShape(t._gshape), t._dtype, n) for n, t in zip(output_names, outs)
        }

    graph = property(lambda self: self._cf.graph)
    inputs = property(lambda self: self._cf.inputs)
    outputs = property(lambda self: self._cf.outputs)
    variables = property(lambda self: self._cf.variables)
    trainable_variables = property(lambda self: self._cf.trainable_variables)

    def __call__(self, *args, **kwargs):
        if args:
            raise TypeError(
                f"Binding inputs to tf.function failed: signature {self._name!r} takes keyword "
                f"arguments only ({', '.join(self._input_names)}); got {len(args)} positional"
            )
        missing = [n for n in self._input_names if n not in kwargs]
        extra = sorted(set(kwargs) - set(self._input_names))
        if missing or extra:
            raise TypeError(
                f"Binding inputs to tf.function failed: signature {self._name!r} takes "
                f"{self._input_names}; missing {missing}, unexpected {extra}"
            )
        specs = self.structured_input_signature[1]
        tensors = []
        for n in self._input_names:
            x, spec = kwargs[n], specs[n]
            t = x._th_read() if isinstance(x, VariableLike) else x
            if not isinstance(t, Tensor):
                t = convert_to_tensor(t, spec.dtype)
            _check_spec(t, spec.shape, spec.dtype, self._name)
            tensors.append(t)
        flat = flatten(self._cf._call_flat(tensors))
        return dict(zip(self._output_names, flat))

    def __repr__(self):
        return f"<ConcreteFunction signature_wrapper({', '.join(self._input_names)})>"


def deserialize_signature(name, d, variables, store, source="<signature>") -> SignatureFunction:
    """A ``SignatureFunction`` from ``serialize_signature``'s data."""
    fn = deserialize_function(d, variables, store, source)
    cf = fn.concrete_functions[0]
    try:
        inputs = [str(n) for n in d["input_names"]]
        outputs = [str(n) for n in d["output_names"]]
    except (KeyError, TypeError):
        raise ValueError(f"{source}: signature {name!r} lacks its input / output names") from None
    if len(inputs) != len(cf.graph.inputs) or len(outputs) != len(flatten(cf.structured_outputs)):
        raise ValueError(f"{source}: signature {name!r}'s names do not match its graph")
    return SignatureFunction(name, cf, inputs, outputs)
