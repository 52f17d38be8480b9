"""The optimizer passes a traced graph goes through before it is compiled (``optimize``).

Identity elimination, constant folding, common-subexpression elimination, fusion into the
fused kernels that exist (``Sub`` + ``Square`` -> ``SquaredDifference``, ``Sqrt`` +
``Reciprocal`` -> ``Rsqrt``, the exp / sum / divide softmax pattern -> ``Softmax``), dead-node
pruning, and last elementwise fusion: groups of elementwise ops become one
``FusedElementwise`` node (``_fuse_elementwise``; the traced graph keeps its TF op types).
"""

from __future__ import annotations

import heapq

import numpy as np

from tensorhouse_kernels import FUSED_BINARY, FUSED_UNARY, get_op_def
from tensorhouse_kernels.runtime import errors, registry, to_host

from . import _dynamic, _record, _tensor
from ._graph import (
    ASSIGNS,
    HANDLED,
    RANDOM,
    SIDE_EFFECTS,
    STATEFUL,
    Graph,
    GraphTensor,
    Operation,
)

__all__ = ["optimize", "prune", "branches_stateful"]


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
                with _record.stop_gradient_scope():
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
    prune(new)
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


def prune(graph):
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
        if op.type in ("If", "While") and not branches_stateful(op):
            op.type = "Stateless" + op.type


def branches_stateful(op):
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
# Ops every stateful op keeps its order with: they print, draw numbers, or may run variable
# ops in their branches.
_BARRIERS = (SIDE_EFFECTS - set(ASSIGNS)) | RANDOM | {"StatelessIf", "StatelessWhile"}


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
    prune(graph)


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
        elif op.type in ASSIGNS:
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
        if t == "ReadVariableOp" or t in ASSIGNS:
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
