"""``tf.function``: trace Python into a graph, cache one concrete function per signature, run
the optimized graph; ``tf.cond``, ``tf.while_loop``, ``tf.print``, ``run_functions_eagerly``.

Retracing follows TF's rules: a call is keyed by its tensors' shapes and dtypes, its Python
values (as TF's trace types: by value, or by a weak reference where one can be taken) and its
variables (by identity). A new key
goes to the most specific earlier trace covering it (unknown dims or rank, as TF's dispatch
table), else traces again (relaxed against every trace with ``reduce_retracing``). Without a
``GradientTape`` recording, a call runs the optimized graph compiled into one Python function
(``_graph_exec.compile_graph``). With a tape recording, the traced graph is replayed op by op
through ``_execute`` so the tape records each op and the usual gradient rules apply: gradients
flow through and across functions with no rule of their own (the choice documented in
``docs/architecture.md``).
"""

from __future__ import annotations

import collections
import contextlib
import functools
import inspect
import itertools
import numbers
import sys
import threading
import weakref

import numpy as np

from tensorhouse_kernels.runtime import (
    copy_to_device,
    current_device,
    default_device,
    errors,
    from_host,
    list_kernels,
    to_host,
)

from . import (
    _autograph,
    _graph,
    _graph_exec,
    _graph_passes,
    _graph_replay,
    _graph_xla,
    _record,
    _tape,
    _tensor,
    _tensor_array,
    _unknown_rank,
)
from . import config as _config
from . import dtypes as _dt
from ._array import zeros
from ._composite import CompositeTensor, TensorSpec, TypeSpec
from ._graph import Graph, GraphTensor
from ._math import add, less, logical_and
from ._tensor import Tensor, VariableLike, convert_to_tensor
from .config import functions_run_eagerly, run_functions_eagerly
from .nest import assert_same_structure, flatten, map_structure, pack_sequence_as

__all__ = [
    "ConcreteFunction", "Function", "TensorSpec", "cond", "function", "functions_run_eagerly",
    "print", "run_functions_eagerly", "while_loop",
]  # fmt: skip

_logger = _autograph._logger  # logging.getLogger("tensorhouse"), imported on first use
# ``tf.summary.trace_on``: the concrete functions called since, in call order (None: off)
traced_calls: list | None = None


# ---- variable creation bookkeeping ------------------------------------------------------------

_creation = threading.local()
# ``_control_flow_grad`` (above this module: it imports ``cond`` / ``while_loop``) sets
# ``portable_traces`` at import: a hook rather than an import.
HOOKS: dict = {}


def _variable_created(var):
    """Called by ``Variable.__init__`` while tracing: TF allows it only on the first trace."""
    state = getattr(_creation, "state", None)
    if state is None:
        return
    if not state["allowed"]:
        raise ValueError(
            "tf.function only supports singleton tf.Variables created on the first call. Make "
            "sure the tf.Variable is only created once or created outside tf.function. See "
            "https://www.tensorflow.org/guide/function#creating_tfvariables for more information."
        )
    state["created"].append(var)


# ---- concrete functions -----------------------------------------------------------------------


def _tf_type_name(dtype) -> str:
    """TF's DataTypeString (``float`` for float32, ``double``, ``half``): ``_example``'s table."""
    from ._example import _DT  # protobuf, loaded on first use

    return _DT.get(dtype.name, (None, dtype.name))[1]


_NAN = ("nan",)  # TF's trace types match a Python NaN with any other


def _leaf_key(x):
    """A flat argument's part of a call key, by TF's trace types: tensors by dtype and shape;
    an object with ``__tf_tracing_type__`` by the type it gives; one that takes a weak
    reference by that reference (TF's ``Weakref``: the function
    does not keep it alive; equal objects share a trace); any other value by value (TF's
    ``Literal``: ``1``, ``1.0`` and ``True`` are one key); NaN matches NaN."""
    if isinstance(x, Tensor):
        return ("T", x.dtype.name, tuple(x.shape))
    if isinstance(x, VariableLike):
        return ("V", id(x))
    if isinstance(x, TensorSpec):
        return ("T", x.dtype.name, None if x.shape.rank is None else tuple(x.shape))
    if isinstance(x, np.ndarray):
        return ("T", str(x.dtype), x.shape)
    protocol = getattr(type(x), "__tf_tracing_type__", None)
    if protocol is not None:  # TF's tracing protocol: the object's own TraceType
        return ("P", protocol(x, None))
    key = _held(x)
    try:
        hash(key)
    except TypeError:
        raise TypeError(
            f"Could not generate a generic TraceType for {x!r}.Please verify that it is "
            "immutable/hashable. Otherwise, consider implementing the Tracing Protocol for it."
        ) from None
    return ("P", _NAN if isinstance(x, numbers.Number) and x != x else key)


def _held(x):
    """How a trace holds a Python argument: a weak reference where it takes one, else itself."""
    if x is None or isinstance(x, Tensor | VariableLike | np.ndarray | CompositeTensor | TypeSpec):
        return x
    try:
        return weakref.ref(x)
    except TypeError:
        return x


class _NotFast(Exception):
    """Raised by ``_fast_key`` on a leaf that is not an eager Tensor or None."""


def _fast_key(x, flat):
    """The call key of nested tuples / lists of eager Tensors and Nones; the tensors are appended
    to ``flat`` in ``nest.flatten``'s order. Raises ``_NotFast`` on anything else."""
    t = type(x)
    if t is Tensor:
        v = x._value
        flat.append(x)
        return (v.shape, v.dtype)
    if t is tuple or t is list:
        key = [t]
        for c in x:  # tensors here, without a call each (the common (x, y) batch)
            if type(c) is Tensor:
                v = c._value
                flat.append(c)
                key.append((v.shape, v.dtype))
            else:
                key.append(_fast_key(c, flat))
        return tuple(key)
    if x is None:
        return None
    raise _NotFast


def _covers(traced, given):
    """Does a trace's leaf key accept this leaf (a None dim accepts any size, a None shape
    any shape)?"""
    if traced[0] != "T" or given[0] != "T":
        return traced == given
    if traced[2] is None:
        return traced[1] == given[1]
    return (
        given[2] is not None
        and traced[1] == given[1]
        and len(traced[2]) == len(given[2])
        and all(a is None or a == b for a, b in zip(traced[2], given[2]))
    )


def _relax(traced, given):
    """The most specific leaf key covering both, or None when none exists."""
    if traced[0] != "T" or given[0] != "T":
        return traced if traced == given else None
    if traced[1] != given[1]:
        return None
    if traced[2] is None or given[2] is None or len(traced[2]) != len(given[2]):
        return ("T", traced[1], None)  # ranks differ: TF relaxes to an unknown rank
    return ("T", traced[1], tuple(a if a == b else None for a, b in zip(traced[2], given[2])))


def _key_covers(traced, given):
    """Does the trace of call key ``traced`` accept calls of key ``given``?"""
    return (
        traced[1] == given[1]
        and len(traced[0]) == len(given[0])
        and all(_covers(a, b) for a, b in zip(traced[0], given[0]))
    )


def _key_relax(a, b):
    """The most specific call key covering call keys ``a`` and ``b``, or None."""
    if a[1] != b[1] or len(a[0]) != len(b[0]):
        return None
    leaves = tuple(_relax(x, y) for x, y in zip(a[0], b[0]))
    return None if any(r is None for r in leaves) else (leaves, a[1])


def _composites_as_specs(args, flat):
    """RaggedTensor / SparseTensor args as their TypeSpecs, and the flat component specs (as
    TF: a trace is per spec, so its ragged dims are unknown); ``(args, flat)`` without any."""
    found = []

    def swap(x):
        if isinstance(x, CompositeTensor | TypeSpec):
            found.append(x)
            return x if isinstance(x, TypeSpec) else x._type_spec
        return x

    specs = map_structure(swap, args)
    if not found:
        return args, flat
    return specs, flatten(specs, expand_composites=True)


def _struct_key(x):
    if isinstance(x, TypeSpec):
        return ("composite", x)
    if isinstance(x, CompositeTensor):
        return ("composite", x._type_spec)  # a SparseTensor's dense shape is in its spec
    if isinstance(x, list | tuple):
        return (type(x).__name__, tuple(_struct_key(v) for v in x))
    if isinstance(x, dict):
        return ("dict", tuple((k, _struct_key(x[k])) for k in sorted(x, key=repr)))
    return None


def _is_tensor_arg(x):
    return isinstance(x, Tensor | TensorSpec | np.ndarray)


class ConcreteFunction:
    """One traced graph for one input signature (TF's ``ConcreteFunction``).

    ``graph`` is the graph as traced (TF's op type names, as ``get_operations()`` lists
    them); ``optimized_graph`` the graph that runs (a tensorhouse addition).
    """

    def __init__(self, graph, structured_inputs, structured_outputs, tensor_positions, device,
                 name):  # fmt: skip
        self.graph = graph
        self._held = map_structure(_held, structured_inputs)  # objects weakly (``_held``)
        self.structured_outputs = structured_outputs
        self._positions = tensor_positions  # indices of the flat args that are tensors
        self._device = device
        self._name = name
        self._optimized = None
        self._run = None
        self._build = None  # the run's buffers -> the structured outputs (``_output_builder``)
        self._jit_compile = False
        self._py_signature = None  # the traced Python function's, for the printed type
        self._slot_names = None  # (value names, tensor value names): ``_slots``
        self._retrace = None  # jit_compile: a trace with some inputs' values (``_per_value``)

    @property
    def _args(self):
        """The bound values traced with (``_bind``'s order); None for a collected object."""
        return map_structure(lambda x: x() if isinstance(x, weakref.ref) else x, self._held)

    @property
    def structured_input_signature(self):
        """TF's ``(args, kwargs)``: each tensor as a ``TensorSpec`` named as TF names it."""
        slots = _param_slots(self._py_signature, len(self._args))
        shapes = iter(self.graph.inputs)
        args, kwargs = [], {}
        for (name, kind), value in zip(slots, self._args):
            if kind == "VAR_KEYWORD":
                kwargs.update({k: _named_specs(value[k], k, shapes) for k in sorted(value)})
            elif kind == "KEYWORD_ONLY":
                kwargs[name] = _named_specs(value, name, shapes)
            else:
                args.append(_named_specs(value, name, shapes))
        return tuple(args), kwargs

    @property
    def function_type(self):
        """TF's ``FunctionType`` of this trace (``tf.types.experimental.FunctionType``)."""
        params = _parameters(self._py_signature, self._held)
        return FunctionType(params, _type_text(self.structured_outputs))

    @property
    def output_shapes(self):
        return map_structure(lambda t: t.shape, self.structured_outputs)

    @property
    def output_dtypes(self):
        return map_structure(lambda t: t.dtype, self.structured_outputs)

    @property
    def optimized_graph(self):
        if self._optimized is None:
            self._optimized = _graph_passes.optimize(self.graph, self._device)
        return self._optimized

    @property
    def inputs(self):
        return list(self.graph.inputs)

    @property
    def outputs(self):
        return [t for t in self.graph.outputs if type(t) is GraphTensor]

    @property
    def variables(self):
        return tuple(self.graph.variables.values())

    @property
    def trainable_variables(self):
        return tuple(v for v in self.graph.variables.values() if v.trainable)

    def _compiled(self):
        if self._run is None:
            if any(ph._gshape is None for ph in self.graph.inputs):  # unknown rank: per shape
                live = _unknown_rank.live_copy(self.graph, _graph.SIDE_EFFECTS)
                compile_fn = (
                    _graph_xla.compile_xla if self._jit_compile else _graph_exec.compile_graph
                )
                self._run = _specializing(live, self._device, compile_fn)
            elif self._jit_compile:
                self._run = _graph_xla.compile_xla(self.optimized_graph, self._device)
                if self._retrace is not None:
                    self._run = self._per_value(self._run)
            else:
                self._run = _graph_exec.compile_graph(self.optimized_graph, self._device)
        return self._run

    def _per_value(self, run):
        """TF's XLA compile-time constants: once a run's shapes depend on the data (a
        TensorArray's size, a loop's trip count), each call runs a trace made with its small
        integer inputs as constants, one per set of their values and the other shapes."""
        ints = [j for j, ph in enumerate(self.graph.inputs) if ph._dtype.is_integer]
        traces: dict = {}
        dev = self._device

        def run_per_value(*bufs):
            if not traces:
                try:
                    return run(*bufs)
                except errors.InvalidArgumentError as e:
                    if not (ints and getattr(e, "shapes_from_data", False)):
                        raise
            small = [j for j in ints if np.prod(bufs[j].shape) <= 64]
            values = {j: np.asarray(to_host(bufs[j], dev)) for j in small}
            key = tuple((j, v.dtype.str, v.shape, v.tobytes()) for j, v in values.items())
            key += tuple(b.shape for b in bufs)
            cf = traces.get(key)
            if cf is None:
                consts = {self._positions[j]: _tensor.constant(v) for j, v in values.items()}
                cf = traces[key] = self._retrace(consts)
            rest = [b for j, b in enumerate(bufs) if j not in values]
            return (cf._run or cf._compiled())(*rest)

        return run_per_value

    def _call_flat(self, tensors):
        """Run on the flat list of input tensors; returns the structured outputs."""
        if _record.profile is not None:  # ``tf.profiler`` runs: the call is one event
            return _record.profile(f"__inference_{self._name}", self._run_flat, tensors)
        return self._run_flat(tensors)

    def _run_flat(self, tensors):
        if traced_calls is not None and all(self is not c for c in traced_calls):
            traced_calls.append(self)
        if _record._active:  # correctness first: a recording tape sees every op
            outs = _graph_replay.replay(self.graph, tensors)
            return pack_sequence_as(self.structured_outputs, outs, expand_composites=True)
        run = self._run or self._compiled()
        dev = self._device
        bufs = run(*[t._value if t._device is dev else _to(t, dev) for t in tensors])
        build = self._build
        if build is None:
            build = self._build = _output_builder(self.structured_outputs, self.graph.outputs, dev)
        return build(bufs)

    def host_fn(self):
        """tensorhouse's call on host values (tf.data's map workers): ``run(*arrays) -> list of
        arrays``, the graph's flat tensor inputs and outputs as host (NumPy) arrays, without
        tensors or the structures around them; None where the outputs are not all tensors.
        Arrays of the placeholders' dtypes and shapes go straight to the compiled graph; any
        other call, or one while a tape records or the profiler runs, takes ``__call__``'s
        checked path (its errors too)."""
        if any(type(t) is not GraphTensor for t in self.graph.outputs):
            return None
        run, dev = self._run or self._compiled(), self._device
        specs = [(ph._dtype._np, ph._gshape) for ph in self.graph.inputs]

        def checked(arrays):
            outs = flatten(self._call_flat(self._tensors(arrays)), expand_composites=True)
            return [to_host(t._value, t._device) for t in outs]

        def host_run(*arrays):
            if _record._active or _record.profile is not None or len(arrays) != len(specs):
                return checked(arrays)
            for a, (npd, shape) in zip(arrays, specs):
                if type(a) is not np.ndarray or a.dtype != npd or not a.flags.c_contiguous:
                    return checked(arrays)
                if shape is not None and (len(shape) != a.ndim or any(
                        s is not None and s != d for s, d in zip(shape, a.shape))):  # fmt: skip
                    return checked(arrays)
            return [to_host(b, dev) for b in run(*[from_host(a, dev) for a in arrays])]

        return host_run

    def __call__(self, *args, **kwargs):
        if kwargs or (self._py_signature is not None and len(args) > len(self._slots()[1])):
            args = self._bind_call(args, kwargs)
        return self._call_flat(self._tensors(flatten(list(args), expand_composites=True)))

    def _tensors(self, flat):
        """The flat arguments as the input tensors, checked against the placeholders."""
        specs = self.graph.inputs
        if len(flat) != len(specs):
            raise TypeError(
                f"ConcreteFunction {self._name} expects {len(specs)} tensor arguments, got "
                f"{len(flat)}"
            )
        tensors = []
        for i, (x, ph) in enumerate(zip(flat, specs)):
            if isinstance(x, VariableLike):
                t = x._th_read()
            else:
                t = x if isinstance(x, Tensor) else convert_to_tensor(x, ph.dtype)
            if t.dtype != ph.dtype:  # TF's error for a tensor of another dtype
                raise errors.InvalidArgumentError(
                    f"cannot compute __inference_{self._name} as input #{i}(zero-based) was "
                    f"expected to be a {_tf_type_name(ph.dtype)} tensor but is a "
                    f"{_tf_type_name(t.dtype)} tensor [Op:__inference_{self._name}]"
                )
            _check_spec(t, ph.shape, ph.dtype, self._name)
            tensors.append(t)
        return tensors

    def _slots(self):
        """``(names of the traced values, names of those holding tensors)``, made once."""
        if self._slot_names is None:
            values = self._args
            names = [n for n, _ in _param_slots(self._py_signature, len(values))]
            tensors = [n for n, v in zip(names, values)
                       if any(_is_tensor_arg(x) or isinstance(x, VariableLike)
                              for x in flatten(v, expand_composites=True))]  # fmt: skip
            self._slot_names = (names, tensors)
        return self._slot_names

    def _bind_call(self, args, kwargs):
        """Positional and keyword arguments as the tensor arguments in order (a parameter
        traced with a Python value may be left out, or passed again with that value)."""
        names, tensor_names = self._slots()
        literals = getattr(self, "_literals", None)  # an input_signature's uncovered defaults
        if literals and kwargs:
            kwargs = {
                k: v
                for k, v in kwargs.items()
                if k in names or k not in literals or not _same_literal(v, literals[k])
            }
        traced = dict(zip(names, self._args))
        given = dict(zip(names, args))
        if len(args) > len(names) or set(kwargs) - set(names) or set(kwargs) & set(given):
            raise TypeError(
                f"Binding inputs to tf.function failed: cannot bind args {args!r} and kwargs "
                f"{kwargs!r} to {self.pretty_printed_signature(False)}"
            )
        given.update(kwargs)
        out = []
        for name, value in traced.items():
            if name in tensor_names:
                if name not in given:
                    raise TypeError(
                        "Binding inputs to tf.function failed due to `missing a required "
                        f"argument: '{name}'`. Received args: {args!r} and kwargs: {kwargs!r} "
                        f"for signature: {self.pretty_printed_signature(False)}."
                    )
                out.append(given[name])
            elif name in given and given[name] != value:
                flat = f"{self._name}({', '.join(tensor_names)})"
                extra = ", ".join(k for k in kwargs if k not in tensor_names)
                flat += (
                    f" got unexpected keyword arguments: {extra}."
                    if name in kwargs
                    else f" takes {len(tensor_names)} positional arguments, got {len(args)}."
                )
                cast = ValueError(f"Can not cast {given[name]!r} to Literal[{value!r}]")
                _bind_failed(cast, args, kwargs, self.pretty_printed_signature(False), flat)
        return out

    def pretty_printed_signature(self, verbose=True):
        """TF's text of this function's type: its parameters, output type and captures (one
        line, as ``repr`` shows it, with ``verbose=False``)."""
        params = _parameters(self._py_signature, self._held)
        out = _type_text(self.structured_outputs)
        if not verbose:
            args = ", ".join(f"{name}: {text}" for name, _, text in params)
            return f"({args}) -> {out}"
        lines = ["Input Parameters:"]
        lines += [f"  {name} ({kind}): {text}" for name, kind, text in params]
        lines += ["Output Type:", f"  {out}", "Captures:"]
        captured = list(self.graph.variables)
        lines += [f"  {key}: TensorSpec(shape=(), dtype=tf.resource, name=None)"
                  for key in captured] or ["  None"]  # fmt: skip
        return "\n".join(lines)

    def __str__(self):
        return f"ConcreteFunction {self.pretty_printed_signature()}"

    def __repr__(self):
        return f"<ConcreteFunction {self.pretty_printed_signature(False)} at 0x{id(self):X}>"


def _output_builder(structure, graph_outputs, device):
    """``build(buffers)``: the structured outputs of a compiled run, whose buffers are those of
    the graph's tensor outputs. For outputs nested in plain dicts, lists and tuples, a function
    generated for the structure; else the buffers as tensors through ``pack_sequence_as``."""
    ns: dict = {"T": Tensor, "D": device}
    leaves = iter(graph_outputs)
    count = itertools.count()

    def name(value):  # a global of the generated function holding ``value``
        n = f"C{len(ns)}"
        ns[n] = value
        return n

    def expr(s):
        t = type(s)
        if t is dict:  # leaves in sorted key order, keys in the dict's order (as ``nest``)
            parts = {k: expr(s[k]) for k in sorted(s)}
            return "{" + ", ".join(f"{name(k)}: {parts[k]}" for k in s) + "}"
        if t is list or t is tuple:
            inner = ", ".join(expr(c) for c in s)
            return f"[{inner}]" if t is list else f"({inner}{',' if s else ''})"
        if isinstance(s, list | tuple | dict | CompositeTensor | TypeSpec):
            raise _NotFast  # namedtuples, dict subclasses, composites: nest rebuilds them
        leaf = next(leaves)
        if type(leaf) is GraphTensor:
            return f"T(b[{next(count)}], D)"
        return name(leaf)  # a Python value the function returns as traced

    try:
        src = f"def build(b):\n    return {expr(structure)}\n"
    except _NotFast:
        is_tensor = [type(t) is GraphTensor for t in graph_outputs]

        def build(bufs):
            it = iter(bufs)
            outs = [Tensor(next(it), device) if is_t else t
                    for is_t, t in zip(is_tensor, graph_outputs)]  # fmt: skip
            return pack_sequence_as(structure, outs, expand_composites=True)

        return build
    exec(compile(src, "<tf.function outputs>", "exec"), ns)
    return ns["build"]


def _specializing(graph, device, compile_fn):
    """``run`` for a graph with inputs of unknown rank: per set of input shapes, the graph
    specialized to them (``_specialize``), optimized and compiled by ``compile_fn`` once."""
    cache: dict = {}

    def run(*bufs):
        key = tuple(tuple(b.shape) for b in bufs)
        fn = cache.get(key)
        if fn is None:
            fn = compile_fn(_graph_passes.optimize(_specialize(graph, key), device), device)
            cache[key] = fn
        return fn(*bufs)

    return run


_CONTROL_FLOW = ("If", "StatelessIf", "While", "StatelessWhile")


def _specialize(graph, shapes):
    """``graph`` traced again with inputs of ``shapes`` (``_graph_replay.specialize``), the
    branches and bodies of its ``If`` / ``While`` nodes specialized to their inputs too."""
    g = Graph(graph.name + "_specialized")
    env: dict = {}
    with _graph.tracing(g):
        for ph, shape in zip(graph.inputs, shapes):
            env[id(ph)] = g.placeholder(shape, ph._dtype._np)
        for op in graph.ops:
            if op.type == "Placeholder":
                continue
            ins = [env[id(t)] for t in op.inputs]
            if op.type in _CONTROL_FLOW:
                outs = _specialize_control_flow(g, op, ins)
            elif op.type in _graph.RANDOM:  # its seed stream kept: each run draws anew
                outs = g.add_op(op.type, ins, op.attrs)
            else:
                outs = _graph_replay.replay_op(op, ins, env)
            for o, v in zip(op.outputs, outs):
                env[id(o)] = v
        g.outputs = [g._input(env[id(t)]) if type(t) is GraphTensor else t for t in graph.outputs]
    return g


def _specialize_control_flow(g, op, ins):
    """An ``If`` / ``While`` node of ``g`` for inputs of known shapes: its subgraphs
    specialized to them, its outputs of the shapes they give."""
    attrs = dict(op.attrs)
    ins = [g._input(t) for t in ins]
    if "then_branch" in attrs:
        nt = len(attrs["then_branch"].inputs)
        parts = {"then_branch": ins[1 : 1 + nt], "else_branch": ins[1 + nt :]}
    else:
        n = attrs["num_loop_vars"]
        nc = len(attrs["cond"].inputs) - n
        parts = {"cond": ins[: n + nc], "body": ins[:n] + ins[n + nc :]}
    for key, sub_ins in parts.items():
        attrs[key] = _specialize(attrs[key], [t._gshape for t in sub_ins])
    if "then_branch" in attrs:
        first = [(a._gshape, a._dtype._np) for a in attrs["then_branch"].outputs]
        other = [b._gshape for b in attrs["else_branch"].outputs]
        specs = [(s if s == o else _merged(s, o), d) for (s, d), o in zip(first, other)]
    else:
        specs = [(t._gshape, t._dtype._np) for t in ins[:n]]
        for t, o in zip(ins[:n], attrs["body"].outputs):
            if o._gshape != t._gshape:
                raise errors.InvalidArgumentError(
                    f"a loop variable of shape {t.shape} has shape {o.shape} after one "
                    "iteration (a tf.while_loop over a tensor of unknown rank)"
                )
    specs += [(o._gshape, o._dtype._np) for o in op.outputs[len(specs) :]]
    return _graph_replay.emit_control_flow(g, op.type, ins, attrs, specs)


def _merged(a, b):
    if a is None or b is None or len(a) != len(b):
        return None
    return tuple(x if x == y else None for x, y in zip(a, b))


def _to(t, dev):
    return copy_to_device(t._value, t._device, dev)


def _check_spec(t, shape, dtype, name):
    if t.dtype != dtype or not shape.is_compatible_with(t.shape):
        raise TypeError(
            f"Binding inputs to tf.function {name!r} failed: a tensor of shape {t.shape} and "
            f"dtype {t.dtype.name} is not compatible with TensorSpec(shape={shape}, "
            f"dtype=tf.{dtype.name})"
        )


# ---- Function -------------------------------------------------------------------------------


class Function:
    """TF's ``tf.function`` object (``tensorflow.python.eager.polymorphic_function``)."""

    def __init__(self, python_function, input_signature=None, jit_compile=None,
                 reduce_retracing=False, name=None, autograph=True):  # fmt: skip
        self._python_function = python_function
        self._signature = inspect.signature(python_function)
        self._input_signature = None
        if input_signature is not None:
            self._input_signature = tuple(input_signature)
            for s in flatten(list(self._input_signature), expand_composites=True):
                if not isinstance(s, TensorSpec):
                    raise TypeError(f"input_signature must contain TensorSpecs, got {s!r}")
            self._sig_plan = _signature_plan(self._signature, len(self._input_signature))
        self._jit_compile = bool(jit_compile)
        self._reduce_retracing = bool(reduce_retracing)
        self._autograph = bool(autograph)
        self._converted = None  # the AutoGraph-converted python_function, made at first trace
        self._name = name or getattr(python_function, "__name__", "function")
        self._cache: dict = {}  # call key -> concrete function (traced or dispatched to)
        self._targets: list = []  # (key, concrete function) of each trace, in tracing order
        self._fast: dict = {}
        self._tracing_count = 0
        self._first_trace_done = False
        self._calls = 0
        self._trace_calls: list = []  # call numbers of the recent traces (for the warning)
        self._warnings = 0
        self._lock = threading.RLock()
        self._descriptor_cache = weakref.WeakKeyDictionary()
        functools.update_wrapper(self, python_function)

    python_function = property(lambda self: self._python_function)
    input_signature = property(lambda self: self._input_signature)

    def experimental_get_tracing_count(self):
        return self._tracing_count

    def __get__(self, instance, owner):
        if instance is None:
            return self
        try:
            bound = self._descriptor_cache.get(instance)
        except TypeError:  # not weak-referenceable or not hashable: cache on the instance
            cache = instance.__dict__.setdefault("_tf_function_cache", {})
            bound = cache.get(id(self))
            if bound is None:
                bound = cache[id(self)] = self._bind_to(instance)
            return bound
        if bound is None:
            bound = self._descriptor_cache[instance] = self._bind_to(instance)
        return bound

    def _bind_to(self, instance):
        return Function(
            functools.partial(self._python_function, instance),
            self._input_signature,
            self._jit_compile,
            self._reduce_retracing,
            self._name,
            self._autograph,
        )

    # ---- binding and keys ---------------------------------------------------------------
    def _bind(self, args, kwargs):
        if not kwargs and self._input_signature is None and _simple(self._signature, len(args)):
            return list(args)
        try:
            bound = self._signature.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"Binding inputs to tf.function {self._name!r} failed: {e}") from None
        bound.apply_defaults()
        out = []
        for p, v in bound.arguments.items():
            kind = self._signature.parameters[p].kind
            if kind is inspect.Parameter.VAR_POSITIONAL:
                out.extend(v)
            elif kind is inspect.Parameter.VAR_KEYWORD:
                out.append(dict(v))
            else:
                out.append(v)
        return out

    def _bind_signature(self, args, kwargs):
        """TF's binding under an input_signature: the parameters it covers, in order, as a
        list; the others keep their defaults (a value passed for one must equal it)."""
        try:
            bound = self._signature.bind(*args, **kwargs)
        except TypeError as e:
            raise _binding_error(e, args, kwargs) from None
        covered, varargs, literals, varkw = self._sig_plan
        out = []
        for name in covered:
            if name in bound.arguments:
                out.append(bound.arguments[name])
            else:  # a covered parameter with a default, not passed
                out.append(self._signature.parameters[name].default)
        if varargs is not None:
            name, n = varargs
            got = bound.arguments.get(name, ())
            if len(got) < n:
                raise _binding_error(f"missing a required argument: '{name}_{len(got)}'",
                                     args, kwargs)  # fmt: skip
            if len(got) > n:
                raise _binding_error("too many positional arguments", args, kwargs)
            out.extend(got)
        if varkw is not None and bound.arguments.get(varkw):
            extra = next(iter(bound.arguments[varkw]))
            raise _binding_error(f"got an unexpected keyword argument '{extra}'", args, kwargs)
        for name, default in literals:
            if name in bound.arguments and not _same_literal(bound.arguments[name], default):
                v = bound.arguments[name]
                raise _binding_error(f"Can not cast {v!r} to Literal[{default!r}]", args, kwargs)
        return out

    def _signature_args(self, args):
        """With an input_signature: the args converted and checked against it."""
        sig = self._input_signature
        if len(args) != len(sig):
            raise TypeError(
                f"tf.function {self._name!r} was called with {len(args)} arguments but its "
                f"input_signature has {len(sig)}"
            )
        out = []
        for a, s in zip(args, sig):
            flat_s = flatten(s, expand_composites=True)
            try:
                flat_a = flatten(a, expand_composites=True)
                pack_sequence_as(s, flat_a, expand_composites=True)
            except (TypeError, ValueError):
                raise TypeError(
                    f"Binding inputs to tf.function {self._name!r} failed: {a!r} does not match "
                    f"the structure of {s!r}"
                ) from None
            if len(flat_a) != len(flat_s):
                raise TypeError(f"{a!r} does not match the input_signature {s!r}")
            ts = []
            for x, spec in zip(flat_a, flat_s):
                t = x._th_read() if isinstance(x, VariableLike) else x
                if not isinstance(t, Tensor):
                    try:
                        t = convert_to_tensor(t, spec.dtype)
                    except (TypeError, ValueError):
                        raise TypeError(
                            f"Binding inputs to tf.function {self._name!r} failed: {x!r} is not "
                            f"compatible with {spec!r}"
                        ) from None
                _check_spec(t, spec.shape, spec.dtype, self._name)
                ts.append(t)
            out.append(pack_sequence_as(s, ts, expand_composites=True))
        return out

    # ---- calling ------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if _config._run_eagerly:
            return self._python_function(*args, **kwargs)
        if _tensor._tracing and _graph.current_graph() is not None:
            return self._python_function(*args, **kwargs)  # a function called while tracing
        if self._jit_compile:
            _check_xla()
        fkey = None
        if not kwargs and self._input_signature is None:
            # the fast path: tuples / lists of eager tensors (and Nones), keyed in one walk by
            # structure, buffer shapes and dtypes; anything else takes the general path
            fflat: list = []
            try:
                fkey = _fast_key(args, fflat)
            except _NotFast:
                fkey = None
            if fkey is not None:
                cf = self._fast.get(fkey)
                if cf is not None:
                    self._calls += 1
                    return cf._call_flat(fflat)
        self._calls += 1
        if self._input_signature is not None:
            # one trace for the signature; the args were checked against it
            args = self._bind_signature(args, kwargs)
            flat = flatten(self._signature_args(args), expand_composites=True)
            return self.get_concrete_function()._call_flat(flat)
        args = self._bind(args, kwargs)
        flat = flatten(args, expand_composites=True)
        targs, tflat = _composites_as_specs(args, flat)
        key = (tuple(_leaf_key(x) for x in tflat), _struct_key(args))
        cf = self._cache.get(key)
        if cf is None:
            count = self._tracing_count
            cf = self._lookup_or_trace(targs, tflat, key)
            if self._tracing_count != count:  # as TF: only calls count towards the warning
                self._retrace_warning()
        tensors = []
        for i in cf._positions:
            x = flat[i]
            if type(x) is not Tensor:
                x = convert_to_tensor(x) if not isinstance(x, VariableLike) else x._th_read()
            tensors.append(x)
        if (
            fkey is not None
            and len(fflat) == len(tensors)
            and all(a is b for a, b in zip(fflat, tensors))
        ):
            self._fast[fkey] = cf  # later calls of this key skip binding and keying
        return cf._call_flat(tensors)

    def get_concrete_function(self, *args, **kwargs):
        """The concrete function for these args (tensors, TensorSpecs or Python values)."""
        if self._input_signature is not None:
            cf = self._cache.get("signature")
            if cf is None:
                args = list(self._input_signature)
                with self._lock:
                    cf = self._trace(args, flatten(args, expand_composites=True), "signature")
            return cf
        args = self._bind(args, kwargs)
        args, flat = _composites_as_specs(args, flatten(args, expand_composites=True))
        key = (tuple(_leaf_key(x) for x in flat), _struct_key(args))
        cf = self._cache.get(key)
        return cf if cf is not None else self._lookup_or_trace(args, flat, key)

    def _lookup_or_trace(self, args, flat, key):
        """TF's trace matching for a key not in the cache: the most specific trace covering it
        (earliest first on a tie), else a new trace (of the key generalized against every
        trace so far, with ``reduce_retracing``). The answer is cached under ``key``."""
        with self._lock:
            cf = self._cache.get(key)
            if cf is None:
                cf = self._dispatch(key)
            if cf is None and self._reduce_retracing:
                cf = self._relaxed(args, flat, key)
            if cf is None:
                cf = self._trace(args, flat, key)
            self._cache[key] = cf
        return cf

    def _dispatch(self, key):
        """TF's ``TypeDispatchTable.dispatch``: of the traces whose key covers ``key``, the one
        each other covers (the earliest such one), or None."""
        best = None
        for tkey, cf in self._targets:
            if _key_covers(tkey, key) and (best is None or _key_covers(best[0], tkey)):
                best = (tkey, cf)
        return None if best is None else best[1]

    def _relaxed(self, args, flat, key):
        """``reduce_retracing=True``: trace ``key`` relaxed, in tracing order, against every
        earlier trace it has a common supertype with (TF's ``try_generalizing_function_type``);
        None when no trace relaxes it."""
        if any(isinstance(x, TypeSpec) for x in flatten(args)):
            return None  # composites are traced with their specs' unknown dims already
        relaxed = key
        for tkey, _cf in self._targets:
            common = _key_relax(relaxed, tkey)
            if common is not None:
                relaxed = common
        if relaxed == key:
            return None
        leaves = relaxed[0]
        specs = [TensorSpec(r[2], r[1]) if r[0] == "T" else x for r, x in zip(leaves, flat)]
        try:
            return self._trace(
                pack_sequence_as(args, specs, expand_composites=True), specs, relaxed
            )
        except errors.UnimplementedError:
            if all(r[0] != "T" or r[2] is not None for r in leaves):
                raise
            return None  # not traceable at an unknown rank here: a trace of these shapes

    def _trace(self, args, flat, key):
        graph, positions, result, created = self._build_graph(args, flat)
        if created:
            # As TF: a first trace that created variables is traced once more, so a function
            # that creates variables on every call fails now, with TF's ValueError.
            self._tracing_count += 1
            graph, positions, result, _ = self._build_graph(args, flat)
        device = current_device() or default_device()
        cf = ConcreteFunction(graph, tuple(args), _structure(result, graph), positions, device,
                              self._name)  # fmt: skip
        cf._jit_compile = self._jit_compile
        cf._py_signature = self._signature
        if self._jit_compile:
            cf._retrace = functools.partial(self._trace_with_values, args, flat, device)
        if key == "signature":
            cf._literals = dict(self._sig_plan[2])
        self._cache[key] = cf
        if key != "signature":
            self._targets.append((key, cf))
        self._tracing_count += 1
        return cf

    def _trace_with_values(self, args, flat, device, consts):
        """A trace (not cached) with the flat args at the keys of ``consts`` those tensors."""
        flat = [consts.get(i, x) for i, x in enumerate(flat)]
        args = pack_sequence_as(args, flat, expand_composites=True)
        with self._lock:
            graph, positions, result, _ = self._build_graph(args, flat, consts)
        cf = ConcreteFunction(graph, tuple(args), _structure(result, graph), positions, device,
                              self._name)  # fmt: skip
        cf._jit_compile = True
        return cf

    def _build_graph(self, args, flat, consts=()):
        """Trace the Python function once (the flat args at indices in ``consts`` as they are);
        returns (graph, tensor positions, its result, the variables it created)."""
        graph = Graph(self._name)
        positions = []
        sym = []
        names = self._placeholder_names(args, len(flat))
        with _graph.tracing(graph):
            for i, x in enumerate(flat):
                if _is_tensor_arg(x) and i not in consts:
                    if isinstance(x, np.ndarray):
                        x = convert_to_tensor(x)
                    shape = x.shape.dims  # None: unknown rank (``_unknown_rank``)
                    name = getattr(x, "name", None) if isinstance(x, TensorSpec) else None
                    sym.append(graph.placeholder(shape, x.dtype._np, name or names[i]))
                    positions.append(i)
                elif hasattr(type(x), "__tf_tracing_type__"):  # traced with its placeholder
                    sym.append(x.__tf_tracing_type__(None).placeholder_value(None))
                else:
                    sym.append(x)
            sym_args = pack_sequence_as(args, sym, expand_composites=True)
            state = {"allowed": not self._first_trace_done, "created": [], "name": self._name}
            prev = getattr(_creation, "state", None)
            _creation.state = state
            # under jit_compile, loop gradients take the form XLA can hold (no ``WhileGrad``),
            # TensorArrays XLA's fixed-size lists
            portable = HOOKS.get("portable_traces") if self._jit_compile else None
            try:
                with contextlib.ExitStack() as stack:
                    if portable is not None:
                        stack.enter_context(portable())
                        stack.enter_context(_tensor_array.under_jit())
                    result = self._call_python(sym_args)
            finally:
                _creation.state = prev
            outs = []
            for o in flatten(result, expand_composites=True):
                if isinstance(o, VariableLike):
                    o = o._th_read()
                elif isinstance(o, _PY_VALUES):  # TF returns Python numbers / strings as tensors
                    o = convert_to_tensor(o)
                if isinstance(o, Tensor):
                    o = _array_op("Identity", o)
                outs.append(o)
        graph.outputs = outs
        self._first_trace_done = True
        return graph, positions, result, state["created"]

    def _placeholder_names(self, args, n_flat):
        """Each flat argument's placeholder name, after its Python parameter as TF names them
        (``x``; ``x_1``, ``x_2`` for more tensors in the same argument; ``args_0``, ... for
        ``*args``)."""
        names = []
        try:
            top = [name for name, _ in _param_slots(self._signature, len(args))]
        except (AttributeError, TypeError, ValueError):
            top = []
        for j, arg in enumerate(args):
            base = top[j] if j < len(top) else f"args_{j}"
            count = len(flatten(arg, expand_composites=True))
            names += [base if k == 0 else f"{base}_{k}" for k in range(count)]
        if len(names) != n_flat:  # a structure this cannot follow: TF's generic names
            names = [f"args_{k}" for k in range(n_flat)]
        return names

    def _call_python(self, sym_args):
        if not self._autograph:
            return self._call_bound(self._python_function, sym_args)
        if self._converted is None:  # trace time only: the converted function is cached
            self._converted = _autograph.convert(self._python_function)
        try:
            return self._call_bound(self._converted, sym_args)
        except Exception as e:  # as TF: the error shows the user's frames
            shown = _autograph.in_user_code(e)
            if shown is e:
                raise
            raise shown from None

    def _call_bound(self, fn, sym_args):
        if self._input_signature is not None or self._signature_is_simple_positional(sym_args):
            return fn(*sym_args)  # under a signature, the parameters it covers (in order)
        pos, kw = self._unbind(sym_args)
        return fn(*pos, **kw)

    def _signature_is_simple_positional(self, sym_args):
        return not any(
            p.kind in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
            for p in self._signature.parameters.values()
        )

    def _unbind(self, sym_args):
        params = list(self._signature.parameters.values())
        n_var = len(sym_args) - sum(p.kind is not inspect.Parameter.VAR_POSITIONAL for p in params)
        pos, kw = [], {}
        it = iter(sym_args)
        for p in params:
            if p.kind is inspect.Parameter.VAR_POSITIONAL:  # _bind spread them in place
                pos.extend(next(it) for _ in range(max(n_var, 0)))
                continue
            v = next(it)
            if p.kind is inspect.Parameter.VAR_KEYWORD:
                kw.update(v)
            elif p.kind is inspect.Parameter.KEYWORD_ONLY:
                kw[p.name] = v
            else:
                pos.append(v)
        return pos, kw

    def _retrace_portable(self, cf):
        """``cf`` traced again with its loop gradients in their differentiable form, the form
        a saved graph can hold (for saving; the traced-for-speed ``cf`` stays in use)."""
        args = list(cf._args)
        flat = flatten(args, expand_composites=True)
        with HOOKS["portable_traces"](), self._lock:
            graph, positions, result, _ = self._build_graph(args, flat)
        new = ConcreteFunction(graph, tuple(args), _structure(result, graph), positions, cf._device,
                               self._name)  # fmt: skip
        new._jit_compile = cf._jit_compile
        new._py_signature = self._signature
        return new

    def pretty_printed_concrete_signatures(self, verbose=True):
        """The printed types of every concrete function traced so far, in tracing order."""
        seen, texts = set(), []
        for cf in self._cache.values():
            if id(cf) not in seen:
                seen.add(id(cf))
                texts.append(cf.pretty_printed_signature(verbose))
        return "\n\n".join(texts)

    def _retrace_warning(self):
        """TF's warning (through logging, as TF) when most recent calls traced again."""
        self._trace_calls.append(self._calls)
        self._trace_calls = [c for c in self._trace_calls if self._calls - c < 10]
        if self._warnings < 2 and len(self._trace_calls) >= 5 and self._tracing_count >= 5:
            self._warnings += 1
            _logger.warning(
                "%d out of the last %d calls to %s triggered tf.function retracing. Tracing is "
                "expensive and the excessive number of tracings could be due to (1) creating "
                "@tf.function repeatedly in a loop, (2) passing tensors with different shapes, "
                "(3) passing Python objects instead of tensors.",
                len(self._trace_calls),
                min(self._calls, 10),
                self._python_function,
            )

    def __repr__(self):
        return f"<tf.function {self._name}>"


def _signature_plan(signature, n):
    """TF's type constraints of an input_signature of ``n`` specs over ``signature``: the
    positional parameters it covers, in order; ``(name, count)`` of ``*args`` (which takes the
    rest); the other parameters with their defaults (literals); the ``**kwargs`` name."""
    covered, varargs, literals, varkw = [], None, [], None
    left = n
    for p in signature.parameters.values():
        if p.name == "self":  # a method's instance takes no constraint
            continue
        if p.kind is p.VAR_KEYWORD:
            varkw = p.name
        elif p.kind is p.VAR_POSITIONAL:
            varargs, left = (p.name, left), 0
        elif p.kind is p.KEYWORD_ONLY:
            if p.default is p.empty:
                raise TypeError(
                    "Since input_signature is defined, keyword-only parameter"
                    f" `{p.name}` must have a default value"
                )
            literals.append((p.name, p.default))
        elif left:
            covered.append(p.name)
            left -= 1
        elif p.default is not p.empty:
            literals.append((p.name, p.default))
        else:
            raise TypeError(f"input_signature missing type constraint for {p.name}")
    if left:
        raise TypeError(f"input_signature contains {left} extra type constraints.")
    return covered, varargs, literals, varkw


def _same_literal(value, default):
    """Whether ``value`` passes for the literal ``default`` (TF: an equal Python value)."""
    if value is default:
        return True
    if isinstance(value, Tensor | VariableLike) or isinstance(default, Tensor | VariableLike):
        return False
    if isinstance(value, bool) or isinstance(default, bool):
        return False  # True and False are singletons: ``is`` above decided
    try:
        return bool(value == default)
    except Exception:  # no single truth value (arrays) or no comparison
        return False


def _bind_failed(reason, args, kwargs, signature, flat):
    """TF's error when neither the signature nor the flat one binds a call, chained as TF's."""
    try:
        raise TypeError(
            f"Binding inputs to tf.function failed due to `{reason}`. Received args: {args!r} "
            f"and kwargs: {kwargs!r} for signature: {signature}."
        ) from reason
    except TypeError as bound:
        try:
            raise TypeError(flat)  # TF's chain: each "during handling" the one before
        except TypeError as fallback:
            msg = f"{bound}\nFallback to flat signature also failed due to: {fallback}"
            raise TypeError(msg)  # noqa: B904


def _binding_error(e, args, kwargs):
    return TypeError(
        f"Binding inputs to tf.function failed due to `{e}`. Received args: {tuple(args)!r} "
        f"and kwargs: {kwargs!r}"
    )


def _simple(signature, nargs):
    params = list(signature.parameters.values())
    if len(params) != nargs:
        return False
    return all(p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in params)


def _spec_text(x) -> str:
    if isinstance(x, TensorSpec):
        return repr(x)
    name = None
    return f"TensorSpec(shape={x.shape}, dtype=tf.{x.dtype.name}, name={name!r})"


def _type_text(x) -> str:
    """TF's printed type of a value in a function's signature or result."""
    if isinstance(x, Tensor | TensorSpec) or isinstance(x, VariableLike):
        return _spec_text(x)
    if x is None:
        return "None"
    if isinstance(x, dict):
        items = ", ".join(f"[{k!r}, {_type_text(v)}]" for k, v in x.items())
        return f"Dict[{items}]"
    if isinstance(x, list | tuple):
        kind = "List" if isinstance(x, list) else "Tuple"
        return f"{kind}[{', '.join(_type_text(v) for v in x)}]"
    if isinstance(x, weakref.ref):
        return f"Weakref[{x!r}])"  # sic: TF's text
    return f"Literal[{x!r}]"


def _param_slots(signature, n_values):
    """``(name, kind)`` of each of the ``n_values`` bound values (``_bind``'s order: ``*args``
    spread as ``args_0``, ``args_1``, ...; ``**kwargs`` one dict), as TF names them."""
    if signature is None:
        return [(f"args_{i}", "POSITIONAL_ONLY") for i in range(n_values)]
    params = list(signature.parameters.values())
    has_var = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params)
    n_var = n_values - (len(params) - 1)
    out = []
    for p in params:
        if p.kind is inspect.Parameter.VAR_POSITIONAL:
            out += [(f"{p.name}_{k}", "POSITIONAL_ONLY") for k in range(max(n_var, 0))]
        elif has_var and p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD:
            out.append((p.name, "POSITIONAL_ONLY"))  # TF's: before *args, positional only
        else:
            out.append((p.name, p.kind.name))
    return out[:n_values]


def _parameters(signature, values):
    """``(name, kind, type text)`` for each parameter a concrete function was traced with."""
    values = list(values)
    out = []
    for (name, kind), v in zip(_param_slots(signature, len(values)), values):
        if kind == "VAR_KEYWORD":
            out += [(k, "KEYWORD_ONLY", _type_text(v[k])) for k in sorted(v)]
        else:
            out.append((name, kind, _type_text(v)))
    return out


class _Parameter(inspect.Parameter):
    """One parameter of a ``FunctionType``, with the type it was traced with."""

    __slots__ = ("type_constraint",)

    def __init__(self, name, kind, type_constraint):
        super().__init__(name, getattr(inspect.Parameter, kind))
        self.type_constraint = type_constraint

    def __repr__(self):
        return (f"Parameter(name={self.name}, kind={self.kind.name}, optional=False, "
                f"type_constraint={self.type_constraint})")  # fmt: skip


class FunctionType(inspect.Signature):
    """TF's ``FunctionType``: the parameters a function was traced for (each a ``Parameter``
    with its ``type_constraint``) and its ``output``; prints as TF prints it."""

    __slots__ = ("output",)

    def __init__(self, parameters, output):
        params = [_Parameter(name, kind, text) for name, kind, text in parameters]
        super().__init__(params, __validate_parameters__=False)
        self.output = output

    def __str__(self):
        args = ", ".join(f"{p.name}: {p.type_constraint}" for p in self.parameters.values())
        return f"({args}) -> {self.output}"

    __repr__ = __str__


# Python values a traced function may return; TF returns them as (constant) tensors
_PY_VALUES = (bool, int, float, complex, str, bytes, np.ndarray, np.generic)


def _structure(result, graph):
    """The result's structure holding the graph's outputs (TF's ``Identity`` tensors)."""
    return _key_order(result, pack_sequence_as(result, graph.outputs, expand_composites=True))


def _key_order(like, packed):
    """``packed`` with its dicts' keys in ``like``'s order (packing sorts them)."""
    if type(like) in (dict, collections.OrderedDict):
        return type(like)((k, _key_order(like[k], packed[k])) for k in like)
    if type(like) in (list, tuple):
        return type(like)(_key_order(a, b) for a, b in zip(like, packed))
    return packed


def _named_specs(value, name, placeholders):
    """``value`` with each tensor leaf a ``TensorSpec`` of its placeholder's shape, named as TF
    names it (``x``; ``x_0``, ``x_k`` inside a list or dict); Python values kept."""
    if isinstance(value, dict):
        return {k: _named_specs(value[k], f"{name}_{k}", placeholders) for k in sorted(value)}
    if isinstance(value, list | tuple) and not hasattr(value, "_fields"):
        items = [_named_specs(v, f"{name}_{i}", placeholders) for i, v in enumerate(value)]
        return type(value)(items)
    if _is_tensor_arg(value) and not isinstance(value, CompositeTensor | TypeSpec):
        ph = next(placeholders)
        given = value.name if isinstance(value, TensorSpec) else None
        return TensorSpec(ph.shape, ph.dtype, given or name)
    for _ in flatten(value, expand_composites=True):  # a composite: skip its components
        if _is_tensor_arg(_):
            next(placeholders)
    return value


def _array_op(op_type, t):
    return _tensor._execute(op_type, [t], {})[0]


def _check_xla():
    if not list_kernels(device_type="XLA_CPU"):
        raise errors.UnimplementedError(
            "tf.function(jit_compile=True) needs the XLA kernels (device type XLA_CPU), and none "
            "are registered (is JAX installed?); call the function without jit_compile"
        )


def function(
    func=None,
    input_signature=None,
    autograph=True,
    jit_compile=None,
    reduce_retracing=False,
    experimental_relax_shapes=None,
    name=None,
    **kwargs,
):
    """TF's ``tf.function`` decorator; ``autograph=True`` converts Python control flow on
    tensors into ``cond`` / ``while_loop`` (``_autograph.py``)."""
    if func is None:
        return functools.partial(
            function,
            input_signature=input_signature,
            autograph=autograph,
            jit_compile=jit_compile,
            reduce_retracing=reduce_retracing,
            name=name,
        )
    return Function(func, input_signature, jit_compile, reduce_retracing, name, autograph)


# ---- control flow -----------------------------------------------------------------------------


def _tracing_now():
    return _tensor._tracing and _graph.current_graph() is not None


def _trace_branch(fn, args, name):
    """Trace ``fn(*args)`` into a subgraph of the current graph."""
    outer = _graph.current_graph()
    g = Graph(name, outer)
    g._names = outer._names  # unique names across the function
    phs = []
    with _graph.tracing(g):
        for a in args:
            phs.append(g.placeholder(a._gshape, a._dtype._np) if type(a) is GraphTensor else a)
        result = fn(*phs)
        flat = flatten(result)
        outs = [convert_to_tensor(o) if not isinstance(o, Tensor) else o for o in flat]
        outs = [g._input(o) for o in outs]
    g.outputs = outs
    outer.variables.update(g.variables)  # the function's variables include the branches'
    return g, result


def cond(pred, true_fn=None, false_fn=None, name=None):
    """TF's ``tf.cond``: a Python ``if`` eagerly; an ``If`` op (both branches traced) in a
    graph. The branches must return the same structure and dtypes."""
    if true_fn is None or false_fn is None:
        raise TypeError("tf.cond needs true_fn and false_fn")
    if not callable(true_fn) or not callable(false_fn):
        raise TypeError("true_fn and false_fn must be callable")
    if not (_tracing_now() and type(pred) is GraphTensor):
        return true_fn() if bool(pred) else false_fn()
    pred = convert_to_tensor(pred)
    if pred.dtype != _dt.bool or pred.ndim != 0:
        raise TypeError(
            f"tf.cond's pred must be a scalar bool tensor, got {pred.dtype.name}{pred.shape}"
        )
    tg, tres = _trace_branch(true_fn, (), "cond_true")
    fg, fres = _trace_branch(false_fn, (), "cond_false")
    try:
        assert_same_structure(tres, fres)
    except (TypeError, ValueError) as e:
        raise ValueError(f"true_fn and false_fn must return the same structure: {e}") from None
    specs = []
    for a, b in zip(tg.outputs, fg.outputs):
        if a._dtype != b._dtype:
            raise TypeError(
                f"true_fn and false_fn return different dtypes: {a._dtype.name} vs {b._dtype.name}"
            )
        if a._gshape is None or b._gshape is None:  # unknown rank (``_unknown_rank``)
            specs.append((None, a._dtype._np))
            continue
        if len(a._gshape) != len(b._gshape):
            raise ValueError(f"branches return different ranks: {a.shape} vs {b.shape}")
        shape = tuple(x if x == y else None for x, y in zip(a._gshape, b._gshape))
        specs.append((shape, a._dtype._np))
    g = _graph.current_graph()
    _graph.settle_variable_reads([tg, fg])
    inputs = [pred] + [o for o, _ in tg.captures] + [o for o, _ in fg.captures]
    attrs = {"then_branch": tg, "else_branch": fg}
    stateful = _graph_passes.branches_stateful(type("O", (), {"attrs": attrs})())
    # a branch's placeholders are its captures, in order
    tg.inputs, fg.inputs = [p for _, p in tg.captures], [p for _, p in fg.captures]
    # under a tape or in a loop body (whose gradient may store them), the draws are outputs too
    drawn = _export_random_values(tg, fg) if _record._active or _in_loop_body(g) else []
    specs += [(o._gshape, o._dtype._np) for o in drawn]
    op_type = "If" if stateful else "StatelessIf"
    if drawn:
        attrs["random_values"] = [id(o) for o in drawn]
    outs = _graph_replay.emit_control_flow(g, op_type, inputs, attrs, specs)
    return pack_sequence_as(tres, list(outs)[: len(outs) - len(drawn)])


def _in_loop_body(g):
    while g is not None:
        if g.name == "while_body":
            return True
        g = g.outer
    return False


def _export_random_values(tg, fg):
    """Under a recording tape (or in a loop body), what the branches' random ops draw: extra
    outputs of the ``If`` (zeros from the other branch; their ids are its ``random_values``),
    so that its gradient replays the branch on the same numbers. Returns those random outputs
    (then branch's, else branch's)."""
    rt = [o for op in tg.ops if op.type in _graph.RANDOM for o in op.outputs]
    rf = [o for op in fg.ops if op.type in _graph.RANDOM for o in op.outputs]
    if not (rt or rf) or any(None in o._gshape for o in rt + rf):
        return []

    def zeros_in(graph, like):
        with _graph.tracing(graph):
            return [graph._input(zeros(list(o._gshape), o.dtype)) for o in like]

    tg.outputs = tg.outputs + rt + zeros_in(tg, rf)
    fg.outputs = fg.outputs + zeros_in(fg, rt) + rf
    return rt + rf


def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10,
               back_prop=True, swap_memory=False, maximum_iterations=None, name=None):  # fmt: skip
    """TF's ``tf.while_loop``: a Python loop eagerly; a ``While`` op in a graph. The body
    must keep each loop variable's dtype and shape."""
    if not callable(cond) or not callable(body):
        raise TypeError("tf.while_loop needs callable cond and body")
    flat = flatten(loop_vars)
    if not _tracing_now():
        vs = loop_vars
        i = 0
        while (maximum_iterations is None or i < int(maximum_iterations)) and bool(
            cond(*_as_args(vs, loop_vars))
        ):
            vs = body(*_as_args(vs, loop_vars))
            i += 1
        return vs
    g = _graph.current_graph()
    flat = [g._input(convert_to_tensor(v)) for v in flat]

    def as_struct(vals):
        return _as_args(pack_sequence_as(loop_vars, vals), loop_vars)

    if type(maximum_iterations) is GraphTensor:  # known when the graph runs: a counter
        limit = maximum_iterations

        def counted_cond(i, *v):
            return logical_and(less(i, limit), cond(*as_struct(list(v))))

        def counted_body(i, *v):
            return (add(i, 1), *flatten(body(*as_struct(list(v)))))

        start = [convert_to_tensor(0, dtype=limit.dtype), *flat]
        out = while_loop(counted_cond, counted_body, start, back_prop=back_prop)
        return pack_sequence_as(loop_vars, list(out[1:]))

    cg, _ = _trace_branch(lambda *v: cond(*as_struct(list(v))), flat, "while_cond")
    bg, bres = _trace_branch(lambda *v: body(*as_struct(list(v))), flat, "while_body")
    again = [g._input(convert_to_tensor(v)) for v in flatten(loop_vars)]
    if any(a._gshape != v._gshape for a, v in zip(again, flat)):
        # the body told a loop variable its shape (a TensorArray's first write gives its
        # element shape, and so a static buffer): trace once more with it
        flat = again
        cg, _ = _trace_branch(lambda *v: cond(*as_struct(list(v))), flat, "while_cond")
        bg, bres = _trace_branch(lambda *v: body(*as_struct(list(v))), flat, "while_body")
    bflat = bg.outputs
    if len(bflat) != len(flat):
        raise ValueError("tf.while_loop body must return the same structure as loop_vars")
    for v, o in zip(flat, bflat):
        if v._dtype != o._dtype or v._gshape != o._gshape:
            raise ValueError(
                f"Input tensor {v.name} enters the loop with shape {v.shape} and dtype "
                f"{v._dtype.name}, but has shape {o.shape} and dtype {o._dtype.name} after one "
                "iteration (shape_invariants are not supported)"
            )
    n = len(flat)
    _graph.settle_variable_reads([cg, bg])
    cg.inputs = cg.inputs[:n] + [p for _, p in cg.captures]
    bg.inputs = bg.inputs[:n] + [p for _, p in bg.captures]
    attrs = {"cond": cg, "body": bg, "num_loop_vars": n}
    if maximum_iterations is not None:
        attrs["maximum_iterations"] = int(maximum_iterations)
    inputs = flat + [o for o, _ in cg.captures] + [o for o, _ in bg.captures]
    stateful = _graph_passes.branches_stateful(type("O", (), {"attrs": attrs})())
    op_type = "While" if stateful else "StatelessWhile"
    specs = [(v._gshape, v._dtype._np) for v in flat]
    outs = _graph_replay.emit_control_flow(g, op_type, inputs, attrs, specs)
    if not back_prop:  # TF's deprecated switch: no gradient through the loop
        outs = [_tape.stop_gradient(o) for o in outs]
    return pack_sequence_as(loop_vars, list(outs))


def _as_args(vs, loop_vars):
    return tuple(vs) if isinstance(loop_vars, list | tuple) else (vs,)


# ---- tf.print -------------------------------------------------------------------------------


def print(*inputs, output_stream=None, summarize=3, sep=" ", end="\n", name=None):  # noqa: A001
    """TF's ``tf.print``: prints when the op runs (eagerly now; in a graph, on each call)."""
    stream = output_stream if output_stream is not None else sys.stderr
    if stream is sys.stderr:
        stream = "stderr"
    elif stream is sys.stdout:
        stream = "stdout"
    parts, tensors = [], []  # a part: None (a tensor), text, or a structure's [text / None]
    for x in inputs:
        if isinstance(x, VariableLike):
            x = x._th_read()
        if isinstance(x, Tensor):
            parts.append(None)
            tensors.append(x)
        elif isinstance(x, str):
            parts.append(x)
        else:  # a structure: its Python text, each tensor in it printed as a tensor
            found = []

            def mark(v, found=found):
                if isinstance(v, VariableLike | Tensor):
                    found.append(v._th_read() if isinstance(v, VariableLike) else v)
                    return _Mark()
                return v

            pieces = str(map_structure(mark, x)).split(_Mark.TOKEN)
            parts.append(pieces[0] if len(pieces) == 1 else
                         [s for p in pieces for s in (None, p)][1:])  # fmt: skip
            tensors += found
    attrs = {"parts": parts, "stream": stream, "summarize": summarize, "sep": sep, "end": end}
    if _tracing_now():
        g = _graph.current_graph()
        g._new_op("PrintV2", [g._input(t) for t in tensors], attrs, [])
        return None
    _print_write(attrs, [t.numpy() for t in tensors])
    return None


class _Mark:  # a tensor's place in a printed structure
    TOKEN = "\x00tensor\x00"

    def __repr__(self):
        return self.TOKEN


def _text(v):
    return v.decode("utf-8", "backslashreplace") if isinstance(v, bytes) else str(v)


def _format(arr, summarize):
    """A tensor's value as TF prints it: strings quoted, bools as 1 / 0, floats short."""
    arr = np.asarray(arr)
    threshold = sys.maxsize if summarize is None or summarize < 0 else 2 * summarize
    kw = {"separator": " ", "threshold": threshold, "edgeitems": max(summarize or 3, 1)}
    if arr.dtype.kind in "SUO":
        kw["formatter"] = {"all": lambda v: f'"{_text(v)}"'}
    elif arr.dtype.kind in "biu":  # TF pads no column
        kw["formatter"] = {"all": lambda v: str(int(v))}
    elif arr.dtype.kind == "f":  # TF's digits: 6 (15) when they read back, else 9 (17)
        short, full = (6, 9) if arr.dtype.itemsize <= 4 else (15, 17)
        exact = arr.dtype.type

        def text(v):
            t = f"{v:.{short}g}"
            return t if not np.isfinite(v) or exact(t) == v else f"{v:.{full}g}"

        kw["formatter"] = {"float_kind": text}
    return np.array2string(arr, **kw)


def _print_write(attrs, arrays):
    it, summarize, parts = iter(arrays), attrs["summarize"], attrs["parts"]

    def part(p):
        if p is None:
            return _format(next(it), summarize)
        return p if isinstance(p, str) else "".join(part(q) if q is None else q for q in p)

    lone = np.asarray(arrays[0]) if parts == [None] else None
    if lone is not None and lone.ndim == 0 and lone.dtype.kind in "SUO":
        out = _text(lone.item())  # TF prints a lone string scalar as it is
    else:
        out = attrs["sep"].join(part(p) for p in parts)
    stream = attrs["stream"]
    if stream == "stderr":
        stream = sys.stderr
    elif stream == "stdout":
        stream = sys.stdout
    stream.write(out + attrs["end"])


_graph.HOOKS["print_write"] = _print_write  # what the graph interpreters print with
_graph.HOOKS["variable_created"] = _variable_created  # called by Variable.__init__


_autograph.HOOKS.update(  # what converted code calls (``_autograph`` sits below this module)
    cond=cond, while_loop=while_loop, trace_branch=_trace_branch, Function=Function
)
