"""Graphs of op nodes: symbolic tensors, tracing, the optimizer and compiled execution.

While a graph is being traced, ``_tensor._execute`` hands every op to ``Graph.add_op``: the
kernels layer's op definition (``infer``) gives the output shapes and dtypes, nothing runs.
Eager tensors that a traced op uses become ``Const`` nodes; variables are captured by
reference (``ReadVariableOp`` / ``Assign*VariableOp`` nodes hold the variable itself).

Before a graph runs it is optimized (``optimize``): identity elimination, constant folding,
common-subexpression elimination, fusion into the fused kernels that exist (``Sub`` +
``Square`` -> ``SquaredDifference``, ``Sqrt`` + ``Reciprocal`` -> ``Rsqrt``, the exp / sum /
divide softmax pattern -> ``Softmax``), dead-node pruning, and last elementwise fusion: groups
of elementwise ops become one ``FusedElementwise`` node (``_fuse_elementwise``; the traced
graph keeps its TF op types). ``compile_graph`` then turns
the optimized graph into one generated Python function: a flat schedule of kernel calls with
the kernels, output shapes and attrs looked up once, so a call runs no shape rules where the
shapes are static.
"""

from __future__ import annotations

import itertools
import operator
import threading

import numpy as np

from tensorhouse_kernels import FUSED_BINARY, FUSED_UNARY, get_op_def
from tensorhouse_kernels import execute as _kernel_execute
from tensorhouse_kernels.runtime import dispatch, errors, to_host

from . import _dynamic, _tape, _tensor
from . import dtypes as _dt
from ._tensor import Tensor, TensorShape

__all__ = ["Graph", "GraphTensor", "Operation", "compile_graph", "compile_xla", "optimize",
           "replay"]  # fmt: skip

# Host callbacks (``_pyfunc.HostCall``, the node's ``host_call`` attr): Python run when the
# node runs; all but the stateless PyFunc are side effects.
HOST_CALLS = {"EagerPyFunc", "PyFunc", "PyFuncStateless", "WriteSummary", "FlushSummaryWriter"}
# Ops that must not be folded, merged or (for the side-effecting ones) pruned.
SIDE_EFFECTS = {"AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp", "PrintV2",
                "If", "While"} | (HOST_CALLS - {"PyFuncStateless"})  # fmt: skip
# The stateful random ops: each run draws new numbers (``_random.node_attrs``).
RANDOM = {"RandomUniform", "RandomStandardNormal", "TruncatedNormal", "RandomUniformInt"}
STATEFUL = SIDE_EFFECTS | RANDOM | {"ReadVariableOp", "Placeholder"}
# The backward pass of a ``While`` node that stored its iterations (``_control_flow_grad``).
LOOP_GRAD = "WhileGrad"
HANDLED = {"Placeholder", "Const", "ReadVariableOp", "AssignVariableOp", "AssignAddVariableOp",
           "AssignSubVariableOp", "PrintV2", "If", "StatelessIf", "While",
           "StatelessWhile", LOOP_GRAD} | RANDOM | HOST_CALLS  # fmt: skip
# Hooks ``_control_flow_grad`` fills in (it imports this module): ``grad_handler(op, device)``
# (the compiled ``WhileGrad``), ``grad_replay(op, ins)`` (``WhileGrad`` replayed) and
# ``eager_while(op, ins)`` (a ``While`` replayed under a tape: outputs, or None to unroll).
LOOP_HOOKS: dict = {}

_tls = threading.local()


def current_graph():
    return getattr(_tls, "graph", None)


class Operation:
    """One node: TF's ``tf.Operation`` (``type``, ``name``, ``inputs``, ``outputs``)."""

    __slots__ = ("type", "name", "inputs", "outputs", "attrs", "graph", "__weakref__")

    def __init__(self, graph, op_type, name, inputs, attrs):
        self.graph = graph
        self.type = op_type
        self.name = name
        self.inputs = list(inputs)
        self.outputs = []
        self.attrs = attrs

    def get_attr(self, name):
        return self.attrs[name]

    def __repr__(self):
        return f"<tf.Operation '{self.name}' type={self.type}>"


class GraphTensor(Tensor):
    """A symbolic tensor: one output of an ``Operation`` in a traced graph."""

    __slots__ = ("_op", "_index", "_gshape", "_dtype", "_dimref")

    def __init__(self, op, index, shape, dtype):
        self._value = None
        self._device = None
        self._op = op
        self._index = index
        self._gshape = tuple(shape)
        self._dtype = _dt.from_numpy(np.dtype(dtype))
        self._dimref = None  # for a shape tensor: the (tensor, dim) or int of each entry

    dtype = property(lambda self: self._dtype)
    shape = property(lambda self: TensorShape(self._gshape))
    ndim = property(lambda self: len(self._gshape))
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
        raise TypeError(
            f"Using a symbolic `tf.Tensor` ({self.name}) as a Python `bool` is not allowed in "
            "a traced tf.function; use tf.cond / tf.while_loop for control flow on tensors"
        )

    def __len__(self):
        raise TypeError(
            f"len is not well defined for a symbolic Tensor ({self.name}). Please call "
            "`x.shape` rather than `len(x)` for shape information."
        )

    def __iter__(self):
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
        self._gshape = merge_shapes(self._gshape, shape.dims)

    def __repr__(self):
        return f"<tf.Tensor '{self.name}' shape={self.shape} dtype={self._dtype.name}>"

    def __str__(self):  # TF's print() of a symbolic tensor
        return f'Tensor("{self.name}", shape={self.shape}, dtype={self._dtype.name})'


def merge_shapes(a, b):
    """The static shape both ``a`` and ``b`` describe; TF's ValueError when they conflict."""

    def text(dims):
        return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"

    if len(a) != len(b):
        raise ValueError(f"Shapes must be equal rank, but are {len(a)} and {len(b)}")
    for i, (x, y) in enumerate(zip(a, b)):
        if x is not None and y is not None and x != y:
            raise ValueError(
                f"Dimension {i} in both shapes must be equal, but are {x} and {y}. Shapes are "
                f"{text(a)} and {text(b)}."
            )
    return tuple(x if y is None else y for x, y in zip(a, b))


def _shape_of(t):
    return t._gshape if type(t) is GraphTensor else tuple(t._value.shape)


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

    def get_operations(self):
        return list(self.ops)

    def as_graph_def(self):
        """TF's ``GraphDef`` protocol buffer of this graph (its nodes, inputs and data attrs)."""
        from ._graph_def import graph_def

        return graph_def(self)

    def _unique(self, base):
        n = self._names.get(base, 0)
        self._names[base] = n + 1
        return base if n == 0 else f"{base}_{n}"

    def _new_op(self, op_type, inputs, attrs, specs, name=None):
        op = Operation(self, op_type, self._unique(name or op_type), inputs, attrs)
        op.outputs = [GraphTensor(op, i, s, d) for i, (s, d) in enumerate(specs)]
        self.ops.append(op)
        return op

    # ---- building ---------------------------------------------------------------------
    def placeholder(self, shape, dtype, name="Placeholder"):
        op = self._new_op("Placeholder", [], {"shape": tuple(shape)}, [(shape, dtype)], name)
        self.inputs.append(op.outputs[0])
        return op.outputs[0]

    def const(self, t):
        hit = self._consts.get(id(t))
        if hit is not None:
            return hit[1]
        op = self._new_op("Const", [], {"value": t}, [(t._value.shape, t._value.dtype)])
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
            raise errors.InvalidArgumentError(
                f"Tensor {t.name} belongs to another graph (a tensor that leaked out of a "
                "tf.function or a finished trace cannot be used here)"
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
        if op_type in _dynamic.LOCAL:  # shapes known at run time (``_dynamic``)
            specs = _dynamic.infer(op_type, [t._gshape for t in ins],
                                   [t._dtype._np for t in ins], attrs)  # fmt: skip
            return self._new_op(op_type, ins, attrs, specs, name).outputs
        opdef = get_op_def(op_type)
        if opdef.num_inputs is not None and len(ins) != opdef.num_inputs:
            raise errors.InvalidArgumentError(
                f"{op_type} expects {opdef.num_inputs} inputs, got {len(ins)} [Op:{op_type}]"
            )
        specs = opdef.infer([t._gshape for t in ins], [t._dtype._np for t in ins], attrs)
        return self._new_op(op_type, ins, attrs, specs, name).outputs

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
        self._saved_tapes = _tape._stack()[:]
        self._recording = [t for t in self._saved_tapes if t._recording]
        _tape._stack().clear()
        _tape._adjust_active(-len(self._recording))
        return self.graph

    def __exit__(self, *exc):
        _tls.graph = self._prev
        _tensor._trace_exit()
        stack = _tape._stack()
        stack.clear()
        stack.extend(self._saved_tapes)
        _tape._adjust_active(len(self._recording))
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
    """``_tensor._execute``'s path while tracing: add the op to the current graph."""
    g = current_graph()
    outputs = g.add_op(op_type, inputs, attrs)
    if _tape._active:
        _tape.record(op_type, inputs, outputs, attrs)
    return outputs


def evaluate_eagerly(t):
    """The value of a symbolic tensor that depends on no placeholder (variable initializers
    written inside a function); a ``ValueError`` when it depends on the function's inputs."""
    if type(t) is not GraphTensor:
        return t
    needed, stack = {}, [t._op]
    while stack:
        op = stack.pop()
        if id(op) in needed:
            continue
        if op.type == "Placeholder" or op.type in SIDE_EFFECTS:
            raise ValueError(
                "A tf.Variable created inside a tf.function must be initialized from values "
                f"that do not depend on the function's inputs; {t.name} depends on {op.name}"
            )
        needed[id(op)] = op
        stack.extend(i._op for i in op.inputs)
    env: dict = {}
    with eager_scope():
        for node in t._op.graph.ops:
            if id(node) in needed:
                outs = _replay_op(node, [env[id(i)] for i in node.inputs], env)
                for o, v in zip(node.outputs, outs):
                    env[id(o)] = v
    return env[id(t)]


# ---- optimization ---------------------------------------------------------------------------


def _attrs_key(attrs):
    try:
        key = tuple(sorted((k, _hashable(v)) for k, v in attrs.items()))
        hash(key)
        return key
    except TypeError:
        return None


def _hashable(v):
    if isinstance(v, list):
        return tuple(_hashable(x) for x in v)
    if isinstance(v, np.dtype | type):
        return ("dtype", np.dtype(v).str)
    return v


def _has_kernel(op_type, dtype, device):
    from tensorhouse_kernels.runtime import registry

    return registry.has(op_type, device.device_type, np.dtype(dtype))


def optimize(graph, device):
    """A new, optimized graph computing the same outputs with the same side effects."""
    new = Graph(graph.name + "_optimized")
    new.variables = dict(graph.variables)
    sub: dict = {}  # id(old tensor) -> new tensor
    cse: dict = {}
    const_vals: dict = {}  # small constants by value
    producer: dict = {}  # id(new tensor) -> new op
    for ph in graph.inputs:
        op = ph._op
        sub[id(ph)] = new._new_op("Placeholder", [], op.attrs, [(ph._gshape, ph._dtype._np)],
                                  op.name).outputs[0]  # fmt: skip
        new.inputs.append(sub[id(ph)])

    def emit(op_type, ins, attrs, specs=None, name=None):
        if specs is None:
            specs = get_op_def(op_type).infer(
                [t._gshape for t in ins], [t._dtype._np for t in ins], attrs
            )
        nop = new._new_op(op_type, ins, attrs, specs, name)
        for o in nop.outputs:
            producer[id(o)] = nop
        return nop

    def const_of(t):  # eager value of a new tensor when it is a constant
        p = producer.get(id(t))
        return p.attrs["value"] if p is not None and p.type == "Const" else None

    def new_const(value):
        small = value._value.size <= 16 and isinstance(value._value, np.ndarray)
        buf = value._value
        key = (buf.dtype.str, buf.shape, buf.tobytes()) if small else None
        if key is not None and key in const_vals:
            return const_vals[key]
        out = emit("Const", [], {"value": value}, [(value._value.shape, value._value.dtype)])
        out = out.outputs[0]
        if key is not None:
            const_vals[key] = out
        return out

    for op in graph.ops:
        if op.type == "Placeholder":
            continue
        ins = [sub[id(t)] for t in op.inputs]
        if op.type == "Const":
            sub[id(op.outputs[0])] = new_const(op.attrs["value"])
            continue
        if op.type == "Identity":  # identity elimination
            sub[id(op.outputs[0])] = ins[0]
            continue
        attrs = op.attrs
        if op.type in ("If", "StatelessIf", "While", "StatelessWhile"):
            attrs = dict(attrs)
            for k in ("then_branch", "else_branch", "cond", "body"):
                if k in attrs:
                    attrs[k] = optimize(attrs[k], device)
        if op.type not in STATEFUL and op.type not in HANDLED:
            # constant folding
            vals = [const_of(t) for t in ins]
            if all(v is not None for v in vals):
                with _tape.stop_gradient_scope():
                    if op.type in _dynamic.LOCAL:
                        outs = _dynamic.apply(op.type, vals, attrs)
                    else:
                        outs = _tensor._execute(op.type, vals, attrs, device)
                for o, v in zip(op.outputs, outs):
                    sub[id(o)] = new_const(v)
                continue
            fused = _fuse(op.type, ins, attrs, producer, device)
            if fused is not None:
                op_type, ins, attrs = fused
            key = _attrs_key(attrs)
            if key is not None:  # common-subexpression elimination
                ck = (op_type if fused else op.type, tuple(id(t) for t in ins), key)
                hit = cse.get(ck)
                if hit is not None:
                    for o, h in zip(op.outputs, hit.outputs):
                        sub[id(o)] = h
                    continue
            nop = emit(fused[0] if fused else op.type, ins, attrs,
                       None if fused else [(o._gshape, o._dtype._np) for o in op.outputs],
                       op.name)  # fmt: skip
            if key is not None:
                cse[ck] = nop
        else:
            nop = emit(op.type, ins, attrs, [(o._gshape, o._dtype._np) for o in op.outputs],
                       op.name)  # fmt: skip
        for o, n in zip(op.outputs, nop.outputs):
            sub[id(o)] = n
    new.outputs = [sub[id(t)] if type(t) is GraphTensor else t for t in graph.outputs]
    new.captures = [(outer, sub[id(ph)]) for outer, ph in graph.captures]
    _prune(new)
    _fuse_elementwise(new, device)
    return new


def _fuse(op_type, ins, attrs, producer, device):
    """Peephole fusions into kernels that exist; None when nothing applies."""
    if op_type == "Square":
        p = producer.get(id(ins[0]))
        if (
            p is not None
            and p.type == "Sub"
            and _has_kernel("SquaredDifference", ins[0]._dtype._np, device)
        ):
            return "SquaredDifference", list(p.inputs), {}
    elif op_type == "Reciprocal":
        p = producer.get(id(ins[0]))
        if p is not None and p.type == "Sqrt" and _has_kernel("Rsqrt", ins[0]._dtype._np, device):
            return "Rsqrt", list(p.inputs), {}
    elif op_type == "RealDiv":
        x = _softmax_input(ins, producer)
        if x is not None and _has_kernel("Softmax", x._dtype._np, device):
            return "Softmax", [x], {}
    return None


def _softmax_input(ins, producer):
    """``exp(z) / sum(exp(z), -1, keepdims)`` (z = x or x - max(x, -1, keepdims)) -> x."""
    num, den = (producer.get(id(t)) for t in ins)
    if num is None or den is None or num.type != "Exp" or den.type != "Sum":
        return None
    if den.inputs[0] is not num.outputs[0] or not _last_axis_keep(den):
        return None
    z = num.inputs[0]
    if ins[0]._gshape != z._gshape or not z._gshape:
        return None
    zp = producer.get(id(z))
    if zp is not None and zp.type == "Sub":
        x, m = zp.inputs
        mp = producer.get(id(m))
        if mp is not None and mp.type == "Max" and mp.inputs[0] is x and _last_axis_keep(mp):
            return x if x._gshape == z._gshape else None
    return z


def _last_axis_keep(op):
    rank = len(op.inputs[0]._gshape)
    axis = op.attrs.get("axis")
    if axis is None or not op.attrs.get("keep_dims"):
        return rank == 1 and bool(op.attrs.get("keep_dims"))
    return len(axis) == 1 and int(axis[0]) % rank == rank - 1


def _prune(graph):
    """Dead-node pruning: keep what the outputs and the side effects need."""
    live: set = set()
    stack = [t._op for t in graph.outputs if type(t) is GraphTensor]
    stack += [op for op in graph.ops if op.type in SIDE_EFFECTS]
    stack += [ph._op for ph in graph.inputs]
    while stack:
        op = stack.pop()
        if id(op) in live:
            continue
        live.add(id(op))
        stack.extend(t._op for t in op.inputs)
    graph.ops = [op for op in graph.ops if id(op) in live]
    for op in graph.ops:  # a branch that lost its side effects may become stateless
        if op.type in ("If", "While") and not _branches_stateful(op):
            op.type = "Stateless" + op.type


def _branches_stateful(op):
    subs = [op.attrs[k] for k in ("then_branch", "else_branch", "cond", "body") if k in op.attrs]
    return any(o.type in SIDE_EFFECTS or o.type in RANDOM for g in subs for o in g.ops)


# ---- elementwise fusion: chains of elementwise ops -> one FusedElementwise node ---------------
# The last pass of ``optimize``, on the optimized graph only (the traced graph keeps TF's op
# types). Maximal connected groups of unary / binary float ops whose operands have the group's
# shape or are scalars become one FusedElementwise node (the kernels layer's fused kernel runs
# the group tile by tile in one pass); the group's values used outside it are the node's
# outputs, so nothing is computed twice. Groups never close a cycle: a group is only extended
# when no value outside it that it would read depends on it, counting the order the variable
# ops and the side effects impose as dependencies. A variable read after an AssignVariableOp
# of the same variable reads the assigned value, which lets Adam-style updates fuse across
# their assignments.

_FUSED_OP = "FusedElementwise"
_FUSABLE = {name: 1 for name in FUSED_UNARY} | {name: 2 for name in FUSED_BINARY}
_FLOATS = (np.dtype("float32"), np.dtype("float64"))
_ASSIGNS = ("AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp")
# Ops every stateful op keeps its order with: they print, draw numbers, or may run variable
# ops in their branches.
_BARRIERS = (SIDE_EFFECTS - set(_ASSIGNS)) | RANDOM | {"StatelessIf", "StatelessWhile"}


def _fuse_elementwise(graph, device):
    """Collapse the graph's elementwise groups into FusedElementwise nodes, in place."""
    if not any(_has_kernel(_FUSED_OP, dt, device) for dt in _FLOATS):
        return
    _forward_assigned_values(graph)
    order = _order_deps(graph.ops)
    groups = _elementwise_groups(graph.ops, order, device)
    repl: dict = {}  # id(member output) -> the fused node's output
    fused: dict = {}  # id(member) -> the fused node standing for its group
    for members in groups:
        node = _fused_node(graph, members, repl)
        if node is not None:
            for m in members:
                fused[id(m)] = node
    if not fused:
        return
    position = {id(op): i for i, op in enumerate(graph.ops)}
    ops, seen = [], set()
    for op in graph.ops:
        node = fused.get(id(op), op)
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node is not op:
            position[id(node)] = position[id(op)]  # runs where its first member ran
        node.inputs = [repl.get(id(t), t) for t in node.inputs]
        ops.append(node)
    graph.outputs = [repl.get(id(t), t) if type(t) is GraphTensor else t for t in graph.outputs]
    graph.ops = _schedule(ops, order, position)
    _prune(graph)


def _forward_assigned_values(graph):
    """Variable updates as plain values, so elementwise groups can run across them.

    A float ``AssignAdd`` / ``AssignSub`` becomes ``AssignVariableOp`` of ``AddV2`` / ``Sub``
    of the variable's value, and a ReadVariableOp whose value is already known (from an
    earlier read or assignment of the same variable, with no other assignment, print, control
    flow or random op between) is replaced by that tensor: buffers are never written in place,
    so both name the same value."""
    known: dict = {}  # id(variable) -> a tensor holding its current value
    repl: dict = {}
    ops = []
    for op in graph.ops:
        op.inputs = [repl.get(id(t), t) for t in op.inputs]
        t = op.type
        if t in ("AssignAddVariableOp", "AssignSubVariableOp") and _plain_update(op):
            var, value = op.attrs["var"], op.inputs[0]
            cur = known.get(id(var))
            if cur is None:
                read = Operation(graph, "ReadVariableOp", graph._unique("ReadVariableOp"), [],
                                 {"var": var})  # fmt: skip
                read.outputs = [GraphTensor(read, 0, value._gshape, value._dtype._np)]
                ops.append(read)
                cur = read.outputs[0]
            binop = "AddV2" if t == "AssignAddVariableOp" else "Sub"
            upd = Operation(graph, binop, graph._unique(binop), [cur, value], {})
            upd.outputs = [GraphTensor(upd, 0, value._gshape, value._dtype._np)]
            ops.append(upd)
            op.type, op.inputs = "AssignVariableOp", [upd.outputs[0]]
        ops.append(op)
        if op.type == "AssignVariableOp":
            known[id(op.attrs["var"])] = op.inputs[0]
        elif op.type in _ASSIGNS:
            known.pop(id(op.attrs["var"]), None)
        elif op.type == "ReadVariableOp":
            value, out = known.get(id(op.attrs["var"])), op.outputs[0]
            if value is None:
                known[id(op.attrs["var"])] = out
            elif value._gshape == out._gshape and value._dtype == out._dtype:
                repl[id(out)] = value
        elif op.type in _BARRIERS:
            known.clear()
    graph.ops = ops
    graph.outputs = [repl.get(id(t), t) if type(t) is GraphTensor else t for t in graph.outputs]


def _plain_update(op):
    """An AssignAdd / AssignSub of a float value with the variable's static shape and dtype."""
    value, var = op.inputs[0], op.attrs["var"]._value
    return (
        value._dtype._np in _FLOATS
        and None not in value._gshape
        and value._gshape == tuple(var._value.shape)
        and value._dtype._np == var._value.dtype
    )


def _order_deps(ops):
    """id(op) -> earlier ops it must follow besides its data inputs: a variable's reads follow
    its last assignment, its assignments follow its earlier reads and assignments, and the
    barrier ops follow, and precede, every stateful op."""
    deps: dict = {}
    last_assign: dict = {}
    reads: dict = {}
    since_barrier: list = []
    barrier = None
    for op in ops:
        t = op.type
        before = []
        if t == "ReadVariableOp" or t in _ASSIGNS:
            key = id(op.attrs["var"])
            if key in last_assign:
                before.append(last_assign[key])
            if t == "ReadVariableOp":
                reads.setdefault(key, []).append(op)
            else:
                before += reads.pop(key, [])
                last_assign[key] = op
            since_barrier.append(op)
        elif t in _BARRIERS:
            before += since_barrier
            since_barrier = []
        else:
            continue
        if barrier is not None:
            before.append(barrier)
        if t in _BARRIERS:
            barrier = op
        deps[id(op)] = before
    return deps


def _fusable(op, device):
    """The group signature (shape, dtype) of an op the fused kernel can run, else None."""
    n = _FUSABLE.get(op.type)
    if n is None or len(op.inputs) != n or len(op.outputs) != 1:
        return None
    out = op.outputs[0]
    dt, shape = out._dtype._np, out._gshape
    if dt not in _FLOATS or None in shape:
        return None
    for x in op.inputs:
        if x._dtype._np != dt or (x._gshape != shape and x._gshape != ()):
            return None
    if not _has_kernel(_FUSED_OP, dt, device):
        return None
    return shape, dt


def _elementwise_groups(ops, order, device):
    """The groups of two or more fusable ops, each a list of ops in graph order."""
    parent: dict = {}  # union-find over group ids

    def find(g):
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    def resolve(ids):
        return {find(g) for g in ids}

    group_of: dict = {}  # id(op) -> group id
    sig: dict = {}  # group -> (shape, dtype)
    ext: dict = {}  # group -> groups that the values it reads from outside depend on
    anc: dict = {}  # id(op) -> groups the op depends on (its own included)
    members: dict = {}  # group -> ops
    for op in ops:
        deps = [x._op for x in op.inputs] + order.get(id(op), [])
        s = _fusable(op, device)
        if s is None:
            anc[id(op)] = set().union(*(anc[id(d)] for d in deps))
            continue
        cands = []
        for x in op.inputs:
            g = group_of.get(id(x._op))
            if g is not None and sig[find(g)] == s and find(g) not in cands:
                cands.append(find(g))
        accept: list = []
        for g in cands:
            trial = set(accept) | {g}
            outside = [d for d in deps if group_of.get(id(d)) is None
                       or find(group_of[id(d)]) not in trial]  # fmt: skip
            if any(resolve(anc[id(d)]) & trial for d in outside):
                continue  # a value read from outside depends on the group: a cycle
            if any(resolve(ext[h]) & trial for h in trial):
                continue
            accept.append(g)
        if accept:
            gid = accept[0]
            for g in accept[1:]:
                parent[g] = gid
                ext[gid] |= ext.pop(g)
                members[gid] += members.pop(g)
        else:
            gid = len(parent)
            parent[gid], sig[gid], ext[gid], members[gid] = gid, s, set(), []
        inside = set(accept)
        for d in deps:
            g = group_of.get(id(d))
            if g is None or find(g) not in inside:
                ext[gid] |= anc[id(d)]
        group_of[id(op)] = gid
        members[gid].append(op)
        anc[id(op)] = set().union(*(anc[id(d)] for d in deps)) | {gid}
    position = {id(op): i for i, op in enumerate(ops)}
    return [
        sorted(ms, key=lambda o: position[id(o)])
        for g, ms in members.items()
        if find(g) == g and len(ms) > 1
    ]


def _fused_node(graph, members, repl):
    """One FusedElementwise node for ``members``; fills ``repl`` with its outputs."""
    inside = {id(m) for m in members}
    used_outside: set = {id(t) for t in graph.outputs if type(t) is GraphTensor}
    for op in graph.ops:
        if id(op) not in inside:
            used_outside.update(id(t) for t in op.inputs)
    program, inputs, reg = [], [], {}
    for m in members:
        for x in m.inputs:
            if id(x) in reg:
                continue
            p = x._op
            if p.type == "Const" and x._gshape == () and p.attrs["value"]._device is not None:
                value = np.asarray(to_host(p.attrs["value"]._value, p.attrs["value"]._device))
                program.append(("const", float(value)))
            else:
                program.append(("input", len(inputs)))
                inputs.append(x)
            reg[id(x)] = len(program) - 1
        args = tuple(reg[id(x)] for x in m.inputs)
        program.append(("unary" if len(args) == 1 else "binary", m.type) + args)
        reg[id(m.outputs[0])] = len(program) - 1
    outs = [m.outputs[0] for m in members if id(m.outputs[0]) in used_outside]
    if not inputs or not outs:
        return None
    attrs = {"program": tuple(program), "outputs": tuple(reg[id(t)] for t in outs)}
    out = outs[0]
    node = Operation(graph, _FUSED_OP, graph._unique(_FUSED_OP), inputs, attrs)
    node.outputs = [GraphTensor(node, i, out._gshape, out._dtype._np) for i in range(len(outs))]
    for t, n in zip(outs, node.outputs):
        repl[id(t)] = n
    return node


def _schedule(ops, order, position):
    """A topological order of ``ops`` (data inputs and ``order``), as close to ``position``'s
    order as the dependencies allow."""
    import heapq

    index = {id(op): op for op in ops}
    waiting: dict = {}
    users: dict = {}
    for op in ops:
        deps = {id(x._op) for x in op.inputs} | {id(d) for d in order.get(id(op), [])}
        deps = {d for d in deps if d in index and d != id(op)}
        waiting[id(op)] = len(deps)
        for d in deps:
            users.setdefault(d, []).append(op)
    ready = [(position[id(op)], id(op)) for op in ops if not waiting[id(op)]]
    heapq.heapify(ready)
    out = []
    while ready:
        _, key = heapq.heappop(ready)
        op = index[key]
        out.append(op)
        for u in users.get(key, ()):
            waiting[id(u)] -= 1
            if not waiting[id(u)]:
                heapq.heappush(ready, (position[id(u)], id(u)))
    if len(out) != len(ops):
        raise errors.InternalError("elementwise fusion made the graph cyclic")
    return out


# ---- compiled execution ---------------------------------------------------------------------


def compile_graph(graph, device, guard=True):
    """One generated Python function ``run(*input_buffers) -> tuple(output_buffers)``;
    ``guard=False`` for a loop body or gradient step run by a graph that holds the guard."""
    ns: dict = {"A": device.allocate, "EX": _kernel_execute, "DEV": device, "T": Tensor}
    names: dict = {}
    lines = []
    counter = itertools.count()

    def slot(t):
        return names[id(t)]

    args = []
    for ph in graph.inputs:
        n = f"s{next(counter)}"
        names[id(ph)] = n
        args.append(n)
    for op in graph.ops:
        if op.type == "Placeholder":
            continue
        i = next(counter)
        outs = [f"s{i}_{j}" for j in range(len(op.outputs))]
        for o, n in zip(op.outputs, outs):
            names[id(o)] = n
        ins = ", ".join(slot(t) for t in op.inputs)
        t = op.type
        if t == "Const":
            value = op.attrs["value"]
            if value._device is not device:
                value = Tensor(_copy(value._value, value._device, device), device)
            ns[outs[0]] = value._value
            names[id(op.outputs[0])] = outs[0]
            continue
        if t == "ReadVariableOp":
            ns[f"V{i}"] = op.attrs["var"]
            lines.append(f"{outs[0]} = V{i}._value._value")
            continue
        if t in ("AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp"):
            ns[f"H{i}"] = _assign_handler(op, device)
            lines.append(f"H{i}({ins})")
            continue
        if t in _dynamic.LOCAL:  # shapes read at run time
            ns[f"H{i}"] = _dynamic.handler(op, device)
            lines.append(f"{', '.join(outs)}, = H{i}({ins})")
            continue
        if t in HANDLED:  # print, control flow, random: a Python handler on buffers
            ns[f"H{i}"] = _handler(op, device)
            lhs = ", ".join(outs) + "," if outs else "_"
            lines.append(f"{lhs} = H{i}({ins})")
            continue
        opdef = get_op_def(t)
        dts = [x._dtype._np for x in op.inputs]
        key = opdef.key(dts, op.attrs) if dts or opdef.num_inputs == 0 else None
        static = all(None not in x._gshape for x in op.inputs) and all(
            None not in o._gshape for o in op.outputs
        )
        kernel, used = dispatch(t, device, key) if static else (None, None)
        ns[f"AT{i}"] = op.attrs
        lhs = ", ".join(outs) + ","
        if kernel is None or used is not device or getattr(kernel, "returns_outputs", False):
            ns[f"OP{i}"] = t  # execute allocates; a kernel that returns its outputs (strings)
            lines.append(f"({lhs}), _ = EX(OP{i}, [{ins}], AT{i}, DEV)")
        elif not opdef.allocates:
            ns[f"K{i}"] = kernel
            lines.append(f"{lhs} = K{i}([{ins}], None, AT{i})")
        else:
            ns[f"K{i}"] = kernel
            for o, n in zip(op.outputs, outs):
                ns[f"S{n}"] = (o._gshape, o._dtype._np)
                lines.append(f"{n} = A(*S{n})")
            lines.append(f"K{i}([{ins}], [{', '.join(outs)}], AT{i})")
    rets = [slot(t) for t in graph.outputs if type(t) is GraphTensor]
    body = "\n    ".join(lines) or "pass"
    ret = ", ".join(rets) + ("," if rets else "")
    src = f"def run({', '.join(args)}):\n    {body}\n    return ({ret})\n"
    exec(compile(src, f"<tf.function {graph.name}>", "exec"), ns)  # the generated schedule
    run = ns["run"]
    run.source = src
    return _holding_update_locks(graph, run) if guard else run


def _assigned_variables(graph, out):
    """The variables ``graph`` (with its branch and loop bodies) assigns, into ``out``."""
    for op in graph.ops:
        if op.type in _ASSIGNS:
            out.append(op.attrs["var"])
        for k in ("then_branch", "else_branch", "cond", "body"):
            if k in op.attrs:
                _assigned_variables(op.attrs[k], out)
    return out


def _allocation_error(graph, e):
    """TF's error for a failed allocation in a run of ``graph`` (a huge or negative shape)."""
    text = f"{e} (in a run of tf.function graph {graph.name})"
    if isinstance(e, MemoryError) or "too many bytes" in str(e):
        return errors.ResourceExhaustedError(f"OOM when allocating a tensor: {text}")
    return errors.InvalidArgumentError(f"Invalid output shape: {text}")


def _holding_update_locks(graph, run):
    """``run`` holding the update lock of every variable the graph assigns (TF's variable
    lock), so that a read-modify-write in the graph is atomic across threads; a failed
    allocation is TF's error class."""
    from ._variables import update_locks

    locks = update_locks(_assigned_variables(graph, []))

    def guarded(*bufs):
        for lock in locks:
            lock.acquire()
        try:
            return run(*bufs)
        except (MemoryError, OverflowError) as e:
            raise _allocation_error(graph, e) from None
        except ValueError as e:
            if str(e).startswith("empty:"):  # the allocator's message
                raise _allocation_error(graph, e) from None
            raise
        finally:
            for lock in reversed(locks):
                lock.release()

    guarded.source = getattr(run, "source", None)
    return guarded


def _copy(handle, src, dst):
    from tensorhouse_kernels.runtime import copy_to_device

    return copy_to_device(handle, src, dst)


def _assign_handler(op, device):
    var = op.attrs["var"]
    binop = {"AssignAddVariableOp": "AddV2", "AssignSubVariableOp": "Sub"}.get(op.type)

    def assign(buf):
        if binop is not None:
            cur = var._value
            (buf,), _ = _kernel_execute(binop, [cur._value, buf], {}, cur._device)
            var._value = Tensor(buf, cur._device)
        else:
            var._value = Tensor(buf, device)

    return assign


def _handler(op, device):
    t = op.type
    if t in HOST_CALLS:
        return op.attrs["host_call"].buffers_fn(device)
    if t == "PrintV2":
        from ._function import _print_write

        attrs = op.attrs

        def print_(*bufs):
            _print_write(attrs, [np.asarray(to_host(b, device)) for b in bufs])
            return ()

        return print_
    if t in RANDOM:
        from ._random import node_attrs

        attrs = op.attrs

        def random(*bufs):  # stateful as TF's: each run draws the node's next numbers
            outs, _ = _kernel_execute(t, list(bufs), node_attrs(attrs), device)
            return outs

        return random
    if t in ("If", "StatelessIf"):
        then_run = compile_graph(op.attrs["then_branch"], device)
        else_run = compile_graph(op.attrs["else_branch"], device)
        nt = len(op.attrs["then_branch"].inputs)

        def if_(pred, *caps):
            if bool(to_host(pred, device)):
                return then_run(*caps[:nt])
            return else_run(*caps[nt:])

        return if_
    if t in ("While", "StatelessWhile"):  # the graph around holds the variables' locks
        cond_run = compile_graph(op.attrs["cond"], device, guard=False)
        body_run = compile_graph(op.attrs["body"], device, guard=False)
        n = op.attrs["num_loop_vars"]
        nc = len(op.attrs["cond"].inputs) - n
        maxit = op.attrs.get("maximum_iterations")
        if op.attrs.get("th_history") is not None:
            keep = op.attrs["th_keep"][0]
            return history_loop(cond_run, body_run, n, nc, maxit, device, keep)

        def while_(*bufs):
            vs, cc, bc = bufs[:n], bufs[n : n + nc], bufs[n + nc :]
            i = 0
            while (maxit is None or i < maxit) and bool(to_host(cond_run(*vs, *cc)[0], device)):
                vs = body_run(*vs, *bc)
                i += 1
            return vs

        return while_
    if t == LOOP_GRAD:
        return LOOP_HOOKS["grad_handler"](op, device)
    raise errors.InternalError(f"no handler for op {t}")


def history_loop(cond_run, body_run, n, nc, maxit, device, keep):
    """A compiled ``While`` that also returns its history: a list with, per iteration, the
    loop variables ``keep`` names among those it started from, and the extra outputs of its
    body (the values a replay cannot recompute)."""
    if not keep:
        pick = lambda vs: ()  # noqa: E731
    elif len(keep) == 1:
        pick = lambda vs, i=keep[0]: (vs[i],)  # noqa: E731
    else:
        pick = operator.itemgetter(*keep)

    def while_(*bufs):
        vs, cc, bc = bufs[:n], bufs[n : n + nc], bufs[n + nc :]
        hist = []
        push = hist.append
        i = 0
        while (maxit is None or i < maxit) and bool(to_host(cond_run(*vs, *cc)[0], device)):
            outs = body_run(*vs, *bc)
            push((pick(vs), outs[n:]))
            vs = outs[:n]
            i += 1
        return (*vs, hist)

    return while_


# ---- eager replay (the path taken when a GradientTape is recording) ------------------------


_EFFECTS = {"AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp", "PrintV2"}


def replay(graph, args, effects=True, state=None, drawn=None, env=None):
    """Run ``graph`` op by op through ``_tensor._execute`` so recording tapes see every op;
    returns the output tensors. While a graph is traced, the ops go into it (control flow as
    new ``If`` / ``While`` nodes on the same branches); ``effects=False`` skips variable
    assignments and prints (a forward pass recomputed for a gradient). ``state`` maps
    ``id(variable)`` to a value: those variables' reads and assignments use (and update) it;
    ``drawn`` maps the ids of op outputs (random draws, variable reads, values a forward pass
    stored) to the values to use instead of running the op (recording tapes record such an op
    with those outputs, random ops and reads aside); ``env`` (a dict) receives the value of
    every output, by ``id``."""
    env = {} if env is None else env
    env.update({id(ph): a for ph, a in zip(graph.inputs, args)})
    for op in graph.ops:
        if op.type == "Placeholder":
            continue
        if drawn and op.outputs and all(id(o) in drawn for o in op.outputs):
            outs = [drawn[id(o)] for o in op.outputs]
            for o, v in zip(op.outputs, outs):
                env[id(o)] = v
            if _tape._active and op.type not in RANDOM and op.type != "ReadVariableOp":
                _tape.record(op.type, [env[id(t)] for t in op.inputs], outs, op.attrs)
            continue
        if state and op.type in _VARIABLE_OPS and id(op.attrs["var"]) in state:
            _simulate(op, [env[id(t)] for t in op.inputs], state, env)
            continue
        if not effects and op.type in _EFFECTS:
            continue
        outs = _replay_op(op, [env[id(t)] for t in op.inputs], env)
        for o, v in zip(op.outputs, outs):
            env[id(o)] = v
    return [env[id(t)] if type(t) is GraphTensor else t for t in graph.outputs]


_VARIABLE_OPS = {"ReadVariableOp", "AssignVariableOp", "AssignAddVariableOp",
                 "AssignSubVariableOp"}  # fmt: skip


def _simulate(op, ins, state, env):
    """A variable op on a simulated variable value (``replay``'s ``state``)."""
    from ._math import add, subtract

    key = id(op.attrs["var"])
    if op.type == "ReadVariableOp":
        env[id(op.outputs[0])] = state[key]
    elif op.type == "AssignVariableOp":
        state[key] = ins[0]
    elif op.type == "AssignAddVariableOp":
        state[key] = add(state[key], ins[0])
    else:
        state[key] = subtract(state[key], ins[0])


def assigned_and_read(graphs):
    """The variables that ``graphs`` (a loop's cond and body) both assign and read, with
    their ReadVariableOp nodes inside (a replay must simulate their values)."""
    assigned: set = set()
    for g in graphs:
        assigned_variables(g, assigned)
    found: dict = {}

    def walk(g):
        for op in g.ops:
            if op.type == "ReadVariableOp" and id(op.attrs["var"]) in assigned:
                found[id(op.attrs["var"])] = op.attrs["var"]
            for k in ("then_branch", "else_branch", "cond", "body"):
                if k in op.attrs:
                    walk(op.attrs[k])

    for g in graphs:
        walk(g)
    return list(found.values())


def emit_control_flow(g, op_type, ins, attrs, specs, recorded=None):
    """Add an ``If`` / ``While`` node to ``g`` and record it on the recording tapes (its
    gradient is ``_control_flow_grad``'s rule for it). For a loop that assigns and reads
    variables, the record also holds their values before the loop (``entry_values``)."""
    recorded = attrs if recorded is None else recorded
    if _tape._active and "body" in attrs:
        stateful = assigned_and_read([attrs["cond"], attrs["body"]])
        if stateful:
            recorded = {**attrs, "entry_values": [(v, g.read_variable(v)) for v in stateful]}
    op = g._new_op(op_type, [g._input(x) for x in ins], attrs, specs)
    for key in assigned_variables(type("G", (), {"ops": [op]})()):
        g._reads.pop(key, None)  # later reads see what the branches assigned
        g._assigned.add(key)
    if _tape._active:
        _tape.record(op_type, ins, op.outputs, recorded)
    return op.outputs


def _replay_op(op, ins, env):
    t = op.type
    if t == "Const":
        return [op.attrs["value"]]
    if t == "Identity" and "custom_gradient" in op.attrs:
        # a tf.custom_gradient call: run it again eagerly (once per replay), so that the tape
        # records its gradient function with the call's actual tensors
        call = op.attrs["custom_gradient"]
        key = ("custom_gradient", id(call))
        if key not in env:
            env[key] = call.call_eagerly(lambda x: env[id(x)])
        return [env[key][op.attrs["index"]]]
    if t == "ReadVariableOp":
        return [op.attrs["var"]._th_read()]
    if t == "AssignVariableOp":
        op.attrs["var"].assign(ins[0])
        return []
    if t == "AssignAddVariableOp":
        op.attrs["var"].assign_add(ins[0])
        return []
    if t == "AssignSubVariableOp":
        op.attrs["var"].assign_sub(ins[0])
        return []
    if t == "PrintV2":
        from ._function import _print_write

        _print_write(op.attrs, [x.numpy() for x in ins])
        return []
    if t in HOST_CALLS:
        g = current_graph() if _tensor._tracing else None
        if g is not None:  # replayed into a graph being traced: the node again, not a call
            specs = [(o._gshape, o._dtype._np) for o in op.outputs]
            return g._new_op(t, [g._input(x) for x in ins], op.attrs, specs).outputs
        return op.attrs["host_call"](ins)
    if t in ("If", "StatelessIf", "While", "StatelessWhile") and _tensor._tracing:
        g = current_graph()
        if g is not None:
            return emit_control_flow(g, t, ins, op.attrs, [(o._gshape, o._dtype._np)
                                                           for o in op.outputs])  # fmt: skip
    if t in ("If", "StatelessIf"):
        nt = len(op.attrs["then_branch"].inputs)
        if bool(ins[0]):
            return replay(op.attrs["then_branch"], ins[1 : 1 + nt])
        return replay(op.attrs["else_branch"], ins[1 + nt :])
    if t in ("While", "StatelessWhile"):
        fast = LOOP_HOOKS["eager_while"](op, ins) if _tape._active else None
        if fast is not None:
            return fast
        n = op.attrs["num_loop_vars"]
        nc = len(op.attrs["cond"].inputs) - n
        vs, cc, bc = ins[:n], ins[n : n + nc], ins[n + nc :]
        maxit = op.attrs.get("maximum_iterations")
        hist = [] if op.attrs.get("th_history") is not None else None
        i = 0
        while (maxit is None or i < maxit) and bool(replay(op.attrs["cond"], vs + cc)[0]):
            outs = replay(op.attrs["body"], vs + bc)
            if hist is not None:  # a gradient in the graph reads the loop's iterations
                hist.append(([vs[k] for k in op.attrs["th_keep"][0]], outs[n:]))
            vs = outs[:n]
            i += 1
        return vs if hist is None else [*vs, hist]
    if t == LOOP_GRAD:
        return LOOP_HOOKS["grad_replay"](op, ins)
    if t in RANDOM:
        from ._random import node_attrs

        return _tensor._execute(t, ins, node_attrs(op.attrs))
    if t in _dynamic.LOCAL:
        return _dynamic.apply(t, ins, op.attrs)
    return _tensor._execute(t, ins, op.attrs)


# ---- jit_compile=True: the whole graph under jax.jit on the XLA kernels --------------------


def _seed_pair(attrs):
    """A random op's (seed, seed2) for one run, as the uint64 pair its XLA kernel reads."""
    mask = 0xFFFFFFFFFFFFFFFF
    return np.array([int(attrs["seed"]) & mask, int(attrs["seed2"]) & mask], np.uint64)


def compile_xla(graph, device):
    """``run(*input_buffers) -> tuple(output_buffers)`` running the optimized graph as one
    ``jax.jit`` computation with the kernels layer's XLA table (``xla.jit_graph``).

    Constants and variable values enter as arguments; assigned variables come back as extra
    outputs and are stored after the call. Random ops draw the same numbers as without
    jit_compile (their seeds for each run enter as arguments). Print and control flow are not
    supported under jit_compile (an ``UnimplementedError`` names the op).
    """
    from tensorhouse_kernels import xla  # on the first XLA compile (it loads JAX when called)

    for op in graph.ops:
        if op.type in HOST_CALLS:  # TF: no XLA kernel for the Python callback
            raise errors.InvalidArgumentError(
                f"Detected unsupported operations when trying to compile graph {graph.name} on "
                f"XLA_CPU_JIT: {op.type} (No registered '{op.type}' OpKernel for XLA_CPU_JIT "
                f"devices compatible with node {{{{node {op.name}}}}})"
            )
    if _has_unknown_dims(graph):
        return _specializing(graph, device, compile_xla)
    slot_of: dict = {}
    counter = itertools.count()
    schedule, feeds = [], []  # feeds: (slot, callable giving the host value) after the args
    current: dict = {}  # id(var) -> slot of its current value
    assigned: dict = {}  # id(var) -> var

    def new_slot():
        return next(counter)

    arg_slots = []
    for ph in graph.inputs:
        slot_of[id(ph)] = s = new_slot()
        arg_slots.append(s)
    for op in graph.ops:
        t = op.type
        if t == "Placeholder":
            continue
        ins = [slot_of[id(x)] for x in op.inputs]
        if t == "Const":
            s = new_slot()
            value = op.attrs["value"]
            feeds.append((s, lambda v=value: to_host(v._value, v._device)))
            slot_of[id(op.outputs[0])] = s
        elif t == "ReadVariableOp":
            var = op.attrs["var"]
            s = current.get(id(var))
            if s is None:
                s = current[id(var)] = new_slot()
                feeds.append((s, lambda v=var: to_host(v._value._value, v._value._device)))
            slot_of[id(op.outputs[0])] = s
        elif t in ("AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp"):
            var = op.attrs["var"]
            assigned[id(var)] = var
            if t == "AssignVariableOp":
                current[id(var)] = ins[0]
                continue
            cur = current.get(id(var))
            if cur is None:
                cur = current[id(var)] = new_slot()
                feeds.append((cur, lambda v=var: to_host(v._value._value, v._value._device)))
            s = new_slot()
            schedule.append(("AddV2" if t == "AssignAddVariableOp" else "Sub", [cur, ins[0]],
                             [s], {}))  # fmt: skip
            current[id(var)] = s
        elif t in RANDOM:  # the seeds of each run enter as an argument: no recompile
            from ._random import node_attrs

            s = new_slot()
            feeds.append((s, lambda a=op.attrs: _seed_pair(node_attrs(a))))
            attrs = {k: v for k, v in op.attrs.items() if k != "_stream"}
            attrs["seed"], attrs["seed2"] = xla.SlotAttr(s, 0), xla.SlotAttr(s, 1)
            out = new_slot()
            slot_of[id(op.outputs[0])] = out
            schedule.append((t, ins, [out], attrs))
        elif t in HANDLED:
            raise errors.UnimplementedError(
                f"tf.function(jit_compile=True) does not support {t} yet (op {op.name})"
            )
        else:
            outs = [new_slot() for _ in op.outputs]
            for o, s in zip(op.outputs, outs):
                slot_of[id(o)] = s
            schedule.append((t, ins, outs, op.attrs))
    out_slots = [slot_of[id(t)] for t in graph.outputs if type(t) is GraphTensor]
    variables = list(assigned.values())
    var_slots = [current[id(v)] for v in variables]
    fn = xla.jit_graph(schedule, arg_slots + [s for s, _ in feeds], out_slots + var_slots)
    getters = [g for _, g in feeds]
    n_out = len(out_slots)

    def run(*bufs):
        outs = fn(*bufs, *[g() for g in getters])
        # asarray keeps a 0-d value 0-d (ascontiguousarray would make it 1-d)
        host = [np.asarray(o, order="C") for o in outs]
        for var, value in zip(variables, host[n_out:]):
            var._value = Tensor(value, device)
        return tuple(host[:n_out])

    return _holding_update_locks(graph, run)


def _has_unknown_dims(graph):
    return any(None in ph._gshape for ph in graph.inputs) or any(
        op.type in _dynamic.LOCAL for op in graph.ops
    )


def _specializing(graph, device, compile_fn):
    """``run`` for a graph with unknown dims: per set of input shapes, the graph with those
    dims known (``specialize``), optimized and compiled by ``compile_fn`` once."""
    cache: dict = {}

    def run(*bufs):
        key = tuple(tuple(b.shape) for b in bufs)
        fn = cache.get(key)
        if fn is None:
            fn = cache[key] = compile_fn(optimize(specialize(graph, key), device), device)
        return fn(*bufs)

    return run


def specialize(graph, shapes):
    """``graph`` traced again with its inputs of ``shapes``: the ``Shape`` / ``Size`` nodes
    become constants and the shapes read at run time become static attrs."""
    g = Graph(graph.name + "_specialized")
    env: dict = {}
    with tracing(g):
        for ph, shape in zip(graph.inputs, shapes):
            env[id(ph)] = g.placeholder(shape, ph._dtype._np)
        for op in graph.ops:
            if op.type == "Placeholder":
                continue
            ins = [env[id(t)] for t in op.inputs]
            if op.type in RANDOM:  # keep the node's seed stream: each run draws new numbers
                outs = g.add_op(op.type, ins, op.attrs)
            else:
                outs = _replay_op(op, ins, env)
            for o, v in zip(op.outputs, outs):
                env[id(o)] = v
        g.outputs = [g._input(env[id(t)]) if type(t) is GraphTensor else t for t in graph.outputs]
    return g
