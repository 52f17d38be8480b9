"""Graphs of op nodes: symbolic tensors and tracing (the graph IR every interpreter reads).

While a graph is being traced, ``_tensor._execute`` hands every op to ``trace_op`` (a hook this
module sets at import), which adds it to the current graph with ``Graph.add_op``: the kernels
layer's op definition (``infer``) gives the output shapes and dtypes, nothing runs. Eager
tensors that a traced op uses become ``Const`` nodes; variables are captured by reference
(``ReadVariableOp`` / ``Assign*VariableOp`` nodes hold the variable itself).

A traced graph then goes to ``_graph_passes.optimize`` and one of three interpreters, each
with one rule table for the nodes that are not plain kernel calls: ``_graph_exec`` (compiled
CPU schedule, ``CPU_RULES``), ``_graph_replay`` (eager replay under a tape, ``REPLAY_RULES``)
and ``_graph_xla`` (``jit_compile=True``, ``XLA_RULES``).
"""

from __future__ import annotations

import functools
import itertools
import re
import sys
import threading

import numpy as np

from tensorhouse_kernels import DTypeError, get_op_def
from tensorhouse_kernels.runtime import errors

from . import _graph_names, _record, _tensor, _unknown_rank
from . import dtypes as _dt
from ._tensor import Tensor, TensorShape

__all__ = ["Graph", "GraphTensor", "Operation", "current_graph", "tracing", "eager_scope",
           "trace_op", "HOOKS"]  # fmt: skip

# Host callbacks (``_pyfunc.HostCall``, the node's ``host_call`` attr): Python run when the
# node runs; all but the stateless PyFunc and the string ``Add`` are side effects.
HOST_CALLS = {"EagerPyFunc", "PyFunc", "PyFuncStateless", "WriteSummary", "FlushSummaryWriter",
              "Add"}  # fmt: skip
# Ops that must not be folded, merged or (for the side-effecting ones) pruned.
SIDE_EFFECTS = {"AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp", "PrintV2",
                "If", "While"} | (HOST_CALLS - {"PyFuncStateless", "Add"})  # fmt: skip
# The stateful random ops: each run draws new numbers (``_random.node_attrs``).
RANDOM = {"RandomUniform", "RandomStandardNormal", "TruncatedNormal", "RandomUniformInt"}
STATEFUL = SIDE_EFFECTS | RANDOM | {"ReadVariableOp", "Placeholder"}
# The backward pass of a ``While`` node that stored its iterations (``_control_flow_grad``).
LOOP_GRAD = "WhileGrad"
HANDLED = {"Placeholder", "Const", "ReadVariableOp", "AssignVariableOp", "AssignAddVariableOp",
           "AssignSubVariableOp", "PrintV2", "If", "StatelessIf", "While",
           "StatelessWhile", LOOP_GRAD} | RANDOM | HOST_CALLS  # fmt: skip
ASSIGNS = ("AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp")
# What the interpreters need from modules above them, set by those modules at import (hooks,
# not imports): ``_control_flow_grad`` sets ``grad_handler(op, device)`` (the compiled
# ``WhileGrad``), ``grad_replay(op, ins)`` (``WhileGrad`` replayed) and ``eager_while(op, ins)``
# (a ``While`` replayed under a tape: outputs, or None to unroll); ``_function`` sets
# ``print_write(attrs, arrays)`` (``tf.print``'s output) and ``variable_created(var)``.
HOOKS: dict = {}
# The shape rules of the graph-only ops (``Shape``, ``Size``, ``DynamicShape``), by op type:
# ``rule(op_type, shapes, dtypes, attrs) -> specs``; ``_dynamic`` fills it in at import.
GRAPH_ONLY_SHAPES: dict = {}

_tls = threading.local()


class _Scopes(threading.local):  # per thread, as TF's name scopes
    def __init__(self):
        self.stack: list[str] = []  # the full names of the open ``tf.name_scope`` s


_scopes = _Scopes()


def scopes():
    """The full names of the ``tf.name_scope`` s open on this thread (``enter_scope``)."""
    return _scopes.stack


_PACKAGE = __name__.rpartition(".")[0]


def _call_name(graph):
    """``(name, call)``: the ``name=`` of the public function of this package making the op
    being traced (the outermost of its frames with a ``name`` parameter) and a number of that
    call; ``(None, None)`` when it was given none. Trace time only: nothing runs it in a step."""
    found = None
    f = sys._getframe(3)
    while f is not None and f.f_globals.get("__name__", "").startswith(_PACKAGE):
        code = f.f_code
        if "name" in code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]:
            found = f
        f = f.f_back
    name = None if found is None else found.f_locals["name"]
    if not isinstance(name, str) or not name:
        return None, None
    last, n = graph._last_call  # held until the trace ends, so a new call is a new frame
    if found is not last:
        graph._last_call = (found, n + 1)
    return name, graph._last_call[1]


def enter_scope(name):
    """Open the scope of ``tf.name_scope(name)``; returns its full name. While tracing, it is
    made unique in the graph as TF's (``blk``, ``blk_1``) under the scopes opened in the trace;
    a name ending in ``/`` is taken as it is (a ``tf.Module`` 's)."""
    g = current_graph()
    base = 0 if g is None else g._scope_base
    stack = _scopes.stack
    outer = stack[-1] + "/" if len(stack) > base else ""
    if name.endswith("/"):
        full = name[:-1]
    elif g is None:
        full = outer + name
    else:
        full = _graph_names.unique(g._scope_names, outer + name)
    stack.append(full)
    return full


def current_graph():
    return getattr(_tls, "graph", None)


class Operation:
    """One node: TF's ``tf.Operation`` (``type``, ``name``, ``inputs``, ``outputs``). ``name``
    is TF's name for it (``_graph_names``); ``_name`` the graph's own unique key."""

    __slots__ = ("type", "_name", "given", "scope", "call", "inputs", "outputs", "attrs",
                 "graph", "__weakref__")  # fmt: skip

    def __init__(self, graph, op_type, name, inputs, attrs, given=None, scope="", call=None):
        self.graph = graph
        self.type = op_type
        self._name = name
        self.given = given  # the name asked for (``name=``), without the scope
        self.scope = scope  # the ``tf.name_scope`` s it was traced under: "" or "a/b/"
        self.call = call  # the public call that asked for ``given``, when one did
        self.inputs = list(inputs)
        self.outputs = []
        self.attrs = attrs

    @property
    def name(self):
        return self.graph.tf_names().get(id(self), self._name)

    def get_attr(self, name):
        return self.attrs[name]

    def __repr__(self):
        return f"<tf.Operation '{self.name}' type={self.type}>"


class InaccessibleTensorError(ValueError):
    """TF's error for a tensor used outside the code block (a loop body) that made it."""


def shape_text(dims) -> str:
    """A shape as TF's messages print it: ``[2,?,3]``."""
    return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"


def _trace_error(e, op_type, shapes):
    """TF's error for an op that cannot be built while tracing (its shape function failed):
    ``TypeError`` for an input of the wrong dtype, else ``ValueError`` naming the node and
    its input shapes (eagerly the same op raises ``InvalidArgumentError``)."""
    text = re.sub(r" \[Op:\w+\]$", "", e.message)
    if isinstance(e, DTypeError):
        return TypeError(text)
    dims = ", ".join("?" if s is None else shape_text(s) for s in shapes)
    return ValueError(f"{text} for '{{{{node {op_type}}}}}' with input shapes: {dims}.")


class GraphTensor(Tensor):
    """A symbolic tensor: one output of an ``Operation`` in a traced graph."""

    __slots__ = ("_op", "_index", "_gshape", "_dtype", "_dimref")

    def __init__(self, op, index, shape, dtype):
        self._value = None
        self._device = None
        self._op = op
        self._index = index
        self._gshape = None if shape is None else tuple(shape)  # None: unknown rank
        self._dtype = _dt.from_numpy(np.dtype(dtype))
        self._dimref = None  # for a shape tensor: the (tensor, dim) or int of each entry

    dtype = property(lambda self: self._dtype)
    shape = property(lambda self: TensorShape(self._gshape))
    ndim = property(lambda self: -1 if self._gshape is None else len(self._gshape))
    op = property(lambda self: self._op)
    graph = property(lambda self: self._op.graph)
    name = property(lambda self: f"{self._op.name}:{self._index}")
    device = property(lambda self: "")

    def numpy(self):
        raise NotImplementedError(
            f"Cannot convert a symbolic tf.Tensor ({self.name}) to a numpy array: it has no "
            "value while a tf.function is being traced"
        )

    def __array__(self, dtype=None, copy=None):
        self.numpy()

    def __bool__(self):
        raise errors.OperatorNotAllowedInGraphError(
            f"Using a symbolic `tf.Tensor` ({self.name}) as a Python `bool` is not allowed in "
            "a traced tf.function; use tf.cond / tf.while_loop for control flow on tensors"
        )

    def __len__(self):
        raise TypeError(
            f"len is not well defined for a symbolic Tensor ({self.name}). Please call "
            "`x.shape` rather than `len(x)` for shape information."
        )

    def __iter__(self):
        if self._gshape is None:
            raise TypeError("Cannot iterate over a tensor with unknown shape.")
        if not self._gshape:
            raise TypeError("Cannot iterate over a scalar tensor.")
        if self._gshape[0] is None:
            raise TypeError("Cannot iterate over a tensor with unknown first dimension.")
        return (self[i] for i in range(self._gshape[0]))

    def __float__(self):
        self.__bool__()

    __int__ = __index__ = __float__

    def set_shape(self, shape):
        """TF's ``set_shape``: refine the static shape (a ValueError when incompatible)."""
        shape = TensorShape(shape)
        if shape.rank is None:
            return
        if self._op.type in HOST_CALLS:  # the callback checks what it returns against it
            self._gshape = self._op.attrs["host_call"].set_shape(self._index, shape.dims)
            return
        if self._gshape is None:
            self._gshape = tuple(shape.dims)
            return
        self._gshape = merge_shapes(self._gshape, shape.dims)

    def __repr__(self):
        return f"<tf.Tensor '{self.name}' shape={self.shape} dtype={self._dtype.name}>"

    def __str__(self):  # TF's print() of a symbolic tensor
        if self._gshape is None:
            return f'Tensor("{self.name}", dtype={self._dtype.name})'
        return f'Tensor("{self.name}", shape={self.shape}, dtype={self._dtype.name})'

    def __format__(self, format_spec):  # as TF: its text, and no format spec (no value yet)
        return object.__format__(self, format_spec)


GraphTensor.__name__ = GraphTensor.__qualname__ = "SymbolicTensor"  # TF's name for its type
SymbolicTensor = GraphTensor


def merge_shapes(a, b):
    """The static shape both ``a`` and ``b`` describe; TF's ValueError when they conflict."""
    if len(a) != len(b):
        raise ValueError(f"Shapes must be equal rank, but are {len(a)} and {len(b)}")
    for i, (x, y) in enumerate(zip(a, b)):
        if x is not None and y is not None and x != y:
            raise ValueError(
                f"Dimension {i} in both shapes must be equal, but are {x} and {y}. Shapes are "
                f"{shape_text(a)} and {shape_text(b)}."
            )
    return tuple(x if y is None else y for x, y in zip(a, b))


class Graph:
    """A function graph: ops in creation order (a valid topological order, which keeps the
    order of side effects), its input placeholders, outputs and captured variables."""

    _ids = itertools.count()

    def __init__(self, name="graph", outer=None):
        self.name = name
        self.outer = outer
        self.ops: list[Operation] = []
        self.inputs: list[GraphTensor] = []
        self.outputs: list = []
        self.captures: list = []  # (outer tensor, placeholder), for branch and loop graphs
        self._capture_ids: dict = {}
        self._consts: dict = {}  # id(eager tensor) -> (tensor, Const output)
        self._reads: dict = {}  # id(variable) -> its current ReadVariableOp output
        self.variables: dict = {}  # id(variable) -> variable, captured by reference
        self._names: dict = {}
        # in a branch or loop graph, a variable read is a placeholder fed by a read in the graph
        # around it (so tapes see the read): (variable, placeholder), settled by
        # ``settle_variable_reads`` once the branches are traced
        self.var_reads: list = []
        self._assigned: set = set()  # ids of the variables this graph assigns
        self._tf_names: tuple = (0, {})  # (op count, ``tf_names()``)
        self._scope_base = len(_scopes.stack)  # the name scopes open around the trace are not its
        self._scope_names: dict = {}  # the scope names taken (``enter_scope``)
        self._last_call = (None, 0)  # (frame, number) of the last call given a name

    def get_operations(self):
        return list(self.ops)

    def as_graph_def(self):
        """TF's ``GraphDef`` protocol buffer of this graph (its nodes, inputs and data attrs)."""
        from ._graph_def import graph_def  # protobuf, loaded on first use

        return graph_def(self)

    def tf_names(self):
        """TF's node names (``_graph_names.node_names``), computed again after new ops."""
        if self._tf_names[0] != len(self.ops):
            self._tf_names = (len(self.ops), _graph_names.node_names(self))
        return self._tf_names[1]

    def _unique(self, base):
        n = self._names.get(base, 0)
        self._names[base] = n + 1
        return base if n == 0 else f"{base}_{n}"

    def _new_op(self, op_type, inputs, attrs, specs, name=None, scope="", call=None):
        key = self._unique(scope + (name or op_type))
        op = Operation(self, op_type, key, inputs, attrs, name, scope, call)
        op.outputs = [GraphTensor(op, i, s, d) for i, (s, d) in enumerate(specs)]
        self.ops.append(op)
        return op

    # ---- building ---------------------------------------------------------------------
    def placeholder(self, shape, dtype, name="Placeholder"):
        shape = None if shape is None else tuple(shape)
        op = self._new_op("Placeholder", [], {"shape": shape}, [(shape, dtype)], name)
        self.inputs.append(op.outputs[0])
        return op.outputs[0]

    def const(self, t, name=None):
        """``t`` as a ``Const`` node (one per tensor); ``name``: a node TF names so, in the
        open ``tf.name_scope`` (``tf.ones`` 's ``ones``)."""
        hit = self._consts.get(id(t))
        if hit is not None:
            return hit[1]
        stack = _scopes.stack
        scope = stack[-1] + "/" if name and len(stack) > self._scope_base else ""
        spec = [(t._value.shape, t._value.dtype)]
        op = self._new_op("Const", [], {"value": t}, spec, name, scope)
        self._consts[id(t)] = (t, op.outputs[0])
        return op.outputs[0]

    def _input(self, t):
        if type(t) is GraphTensor:
            if t._op.graph is self:
                return t
            return self._capture(t)
        if isinstance(t, Tensor):
            return self.const(t)
        raise TypeError(f"Expected a tensor as an op input, got {t!r}")

    def _capture(self, t):
        """An outer graph's tensor used here: a placeholder fed by the outer tensor."""
        hit = self._capture_ids.get(id(t))
        if hit is not None:
            return hit
        g, chain = self.outer, [self]
        while g is not None and g is not t._op.graph:
            chain.append(g)
            g = g.outer
        if g is None:
            home, ours = t._op.graph, set(map(id, chain))
            while home is not None and id(home) not in ours:
                home = home.outer
            if home is not None:  # a sibling block's (a loop body's) tensor: TF's ValueError
                raise InaccessibleTensorError(
                    f"{t!r} is out of scope and cannot be used here. Use return values, "
                    "explicit Python locals or TensorFlow collections to access it."
                )
            raise TypeError(
                f"The tensor {t!r} cannot be accessed from here, because it was defined in "
                "another tf.function or trace, which is out of scope."
            )
        outer_t = t if self.outer is t._op.graph else self.outer._capture(t)
        ph = self._new_op("Placeholder", [], {"shape": t._gshape}, [(t._gshape, t._dtype._np)])
        ph = ph.outputs[0]
        self.captures.append((outer_t, ph))
        self._capture_ids[id(t)] = ph
        return ph

    def add_op(self, op_type, inputs, attrs, name=None):
        """Add one op; returns its symbolic outputs (the kernels' shape rule, nothing runs)."""
        ins = [self._input(t) for t in inputs]
        shapes, dts = [t._gshape for t in ins], [t._dtype._np for t in ins]
        local = GRAPH_ONLY_SHAPES.get(op_type)
        if local is not None:  # shapes known at run time (``_dynamic``)
            rule = functools.partial(local, op_type)
        else:
            opdef = get_op_def(op_type)
            if opdef.num_inputs is not None and len(ins) != opdef.num_inputs:
                raise errors.InvalidArgumentError(
                    f"{op_type} expects {opdef.num_inputs} inputs, got {len(ins)} [Op:{op_type}]"
                )
            rule = opdef.infer
        if None in shapes:  # an input of unknown rank
            rule = functools.partial(_unknown_rank.infer, rule)
        try:
            specs = rule(shapes, dts, attrs)
        except errors.InvalidArgumentError as e:
            raise _trace_error(e, op_type, shapes) from None
        stack = _scopes.stack
        scope = stack[-1] + "/" if len(stack) > self._scope_base else ""
        call = None
        if name is None:
            name, call = _call_name(self)
        return self._new_op(op_type, ins, attrs, specs, name, scope, call).outputs

    def read_variable(self, var):
        r = self._reads.get(id(var))
        if r is None:
            self.variables[id(var)] = var
            v = var._value
            if self.outer is not None and id(var) not in self._assigned:
                spec = [(v._value.shape, v.dtype._np)]
                r = self._new_op("Placeholder", [], {"shape": tuple(v._value.shape)}, spec)
                r = self._reads[id(var)] = r.outputs[0]
                self.var_reads.append((var, r))
                return r
            op = self._new_op("ReadVariableOp", [], {"var": var}, [(v._value.shape, v.dtype._np)])
            r = self._reads[id(var)] = op.outputs[0]
        return r

    def assign_variable(self, var, op_type, value):
        self.variables[id(var)] = var
        self._assigned.add(id(var))
        self._new_op(op_type, [self._input(value)], {"var": var}, [])
        self._reads.pop(id(var), None)  # later reads see the new value

    def __repr__(self):
        return f"<FuncGraph {self.name}: {len(self.ops)} ops>"


def assigned_variables(graph, out=None):
    """Ids of the variables ``graph`` and the branch and loop graphs inside it assign."""
    out = set() if out is None else out
    for op in graph.ops:
        if op.type in ("AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp"):
            out.add(id(op.attrs["var"]))
        for k in ("then_branch", "else_branch", "cond", "body"):
            if k in op.attrs:
                assigned_variables(op.attrs[k], out)
    return out


def settle_variable_reads(graphs):
    """After tracing the branches (or cond and body) of one control-flow op, in the graph
    around them: each variable they read but no branch assigns is read once around the op and
    captured (tapes see the read, so gradients reach the variable); a variable some branch
    assigns is read inside, where its placeholder stood."""
    assigned: set = set()
    for g in graphs:
        assigned_variables(g, assigned)
    for g in graphs:
        for var, ph in g.var_reads:
            if id(var) in assigned:
                ph._op.type, ph._op.attrs = "ReadVariableOp", {"var": var}
            else:
                g.captures.append((var._th_read(), ph))
        g.var_reads = []


# ---- tracing context ------------------------------------------------------------------------


class tracing:
    """Make ``graph`` the graph that ops are added to in this thread; outer tapes are hidden
    (a tape inside the function records the traced ops, one outside sees the call)."""

    def __init__(self, graph):
        self.graph = graph

    def __enter__(self):
        self._prev = current_graph()
        _tls.graph = self.graph
        _tensor._trace_enter()
        self._saved_tapes = _record._stack()[:]
        self._recording = [t for t in self._saved_tapes if t._recording]
        _record._stack().clear()
        _record._adjust_active(-len(self._recording))
        return self.graph

    def __exit__(self, *exc):
        _tls.graph = self._prev
        self.graph._last_call = (None, self.graph._last_call[1])  # the frame, let go
        _tensor._trace_exit()
        stack = _record._stack()
        stack.clear()
        stack.extend(self._saved_tapes)
        _record._adjust_active(len(self._recording))
        return False


class eager_scope:
    """Run ops eagerly inside a trace (TF's ``init_scope``): used to create variables."""

    def __enter__(self):
        self._prev = current_graph()
        _tls.graph = None
        _tensor._trace_exit()

    def __exit__(self, *exc):
        _tls.graph = self._prev
        _tensor._trace_enter()
        return False


def trace_op(op_type, inputs, attrs):
    """``_tensor._execute``'s path while tracing: add the op to the current graph (None when
    this thread traces nothing: the op runs eagerly)."""
    g = getattr(_tls, "graph", None)
    if g is None:
        return None
    outputs = g.add_op(op_type, inputs, attrs)
    if _record._active:
        _record.record(op_type, inputs, outputs, attrs)
    return outputs


def next_random_attrs(attrs):
    """The kernel attrs of the next run of a traced random op (its seed stream advances)."""
    stream = attrs.get("_stream")
    return attrs if stream is None else stream.next_attrs(attrs)


_tensor._trace_op = trace_op  # the hook ``_tensor._execute`` calls while tracing
