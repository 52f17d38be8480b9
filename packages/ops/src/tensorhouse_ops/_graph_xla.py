"""``jit_compile=True``: an optimized graph lowered to one ``jax.jit`` computation.

``compile_xla`` turns the graph into a schedule of slots for the kernels layer's XLA table
(``xla.jit_graph``). Constants and variable values enter as arguments; assigned variables come
back as extra outputs and are stored after the call. Random ops draw the same numbers as
without jit_compile (their seeds for each run enter as arguments). The nodes that are not
kernel calls have one rule each in ``XLA_RULES``; the other graph-only nodes (print, host
calls, the stored-history loop gradient) are an ``UnimplementedError`` naming the op.

``If`` / ``While`` nodes become the kernels layer's ``xla.cond`` / ``xla.while_loop``: the
schedule is then cut at them, each run of kernel nodes one ``xla.jit_graph`` call, all inside
one outer ``xla.jit``; branch and loop graphs read the slots around them, and the variables
they assign are outputs of the branches and part of the loop's carry. A stateful random op in a
branch draws its seeds every call, taken or not; one in a loop draws other numbers than without
jit_compile (see ``_Loop``).
"""

from __future__ import annotations

import functools
import itertools

import numpy as np

from tensorhouse_kernels.runtime import errors, to_host

from ._graph import ASSIGNS, HANDLED, HOST_CALLS, RANDOM, GraphTensor, next_random_attrs
from ._graph_exec import (
    _assigned_variables,
    has_unknown_dims,
    holding_update_locks,
    specializing,
)
from ._tensor import Tensor

__all__ = ["XLA_RULES", "compile_xla"]


def _seed_pair(attrs):
    """A random op's (seed, seed2) for one run, as the uint64 pair its XLA kernel reads."""
    mask = 0xFFFFFFFFFFFFFFFF
    return np.array([int(attrs["seed"]) & mask, int(attrs["seed2"]) & mask], np.uint64)


class _Lowering:
    """The state of one lowering: slots, the schedule, host feeds and variable values."""

    def __init__(self, xla):
        self.xla = xla
        self.slot_of: dict = {}  # id(graph tensor) -> slot
        self.schedule: list = []  # (op type, input slots, output slots, attrs)
        self.feeds: list = []  # (slot, callable giving the host value) after the args
        self.current: dict = {}  # id(var) -> slot of its current value
        self.assigned: dict = {}  # id(var) -> var
        self._counter = itertools.count()
        self.loops: list = []  # per loop being lowered: its (seed slot, derived slot) pairs

    def new_slot(self):
        return next(self._counter)

    def variable_slot(self, var):
        """The slot holding ``var``'s current value (its value before the call at first)."""
        s = self.current.get(id(var))
        if s is None:
            s = self.current[id(var)] = self.new_slot()
            self.feeds.append((s, lambda v=var: to_host(v._value._value, v._value._device)))
        return s


# ---- the XLA rules: op type -> rule(lowering, op, input slots) ---------------------------------


def _const(lw, op, ins):
    s = lw.new_slot()
    value = op.attrs["value"]
    lw.feeds.append((s, lambda v=value: to_host(v._value, v._device)))
    lw.slot_of[id(op.outputs[0])] = s


def _read(lw, op, ins):
    lw.slot_of[id(op.outputs[0])] = lw.variable_slot(op.attrs["var"])


def _assign(lw, op, ins):
    var = op.attrs["var"]
    lw.assigned[id(var)] = var
    if op.type == "AssignVariableOp":
        lw.current[id(var)] = ins[0]
        return
    cur = lw.variable_slot(var)
    s = lw.new_slot()
    binop = "AddV2" if op.type == "AssignAddVariableOp" else "Sub"
    lw.schedule.append((binop, [cur, ins[0]], [s], {}))
    lw.current[id(var)] = s


def _random(lw, op, ins):  # the seeds of each run enter as an argument: no recompile
    s = lw.new_slot()
    lw.feeds.append((s, lambda a=op.attrs: _seed_pair(next_random_attrs(a))))
    for pairs in lw.loops:  # in a loop: seeds derived per iteration (``_Loop``)
        pairs.append((s, lw.new_slot()))
        s = pairs[-1][1]
    attrs = {k: v for k, v in op.attrs.items() if k != "_stream"}
    attrs["seed"], attrs["seed2"] = lw.xla.SlotAttr(s, 0), lw.xla.SlotAttr(s, 1)
    out = lw.new_slot()
    lw.slot_of[id(op.outputs[0])] = out
    lw.schedule.append((op.type, ins, [out], attrs))


def _unsupported(lw, op, ins):
    raise errors.UnimplementedError(
        f"tf.function(jit_compile=True) does not support {op.type} yet (op {op.name})"
    )


class _Cond:
    """An ``If`` node: ``xla.cond`` over its two lowered branches."""

    def __init__(self, xla, pred, branches, outs):
        self.xla, self.pred, self.outs = xla, pred, outs
        self.branches = branches  # (items, slots) each

    def run(self, env):
        def branch(items, slots):
            def fn():
                local = dict(env)
                _run_items(items, local)
                return tuple(local[s] for s in slots)

            return fn

        then, other = (branch(*b) for b in self.branches)
        env.update(zip(self.outs, self.xla.cond(env[self.pred], then, other)))


class _Loop:
    """A ``While`` node: ``xla.while_loop`` over its lowered cond and body; the carry is the
    loop variables and the variables the loop assigns. The random ops inside draw with the
    call's seeds stepped by the iteration count (``xla.step_seed``), so iterations and nested
    loops draw apart."""

    def __init__(self, xla, init, carry, cond, body, outs, limit, seeds):
        self.xla, self.init, self.carry, self.outs, self.limit = xla, init, carry, outs, limit
        self.cond, self.body = cond, body  # (items, result slots)
        self.seeds = seeds  # (seed pair slot, this iteration's seed pair slot)

    def run(self, env):
        def scope(step, values, items):
            local = dict(env)
            local.update(zip(self.carry, values))
            for src, dst in self.seeds:
                local[dst] = self.xla.step_seed(local[src], step)
            _run_items(items, local)
            return local

        def cond(step, values):
            items, (ok,) = self.cond
            return scope(step, values, items)[ok]

        def body(step, values):
            items, slots = self.body
            local = scope(step, values, items)
            return tuple(local[s] for s in slots)

        start = tuple(env[s] for s in self.init)
        env.update(zip(self.outs, self.xla.while_loop(cond, body, start, self.limit)))


def _control_flow(lw, op, ins):
    if "then_branch" in op.attrs:
        _lower_cond(lw, op, ins)
    else:
        _lower_loop(lw, op, ins)


def _subgraph(lw, graph, in_slots, var_keys):
    """Lower ``graph`` (its placeholders reading ``in_slots``) into its own item list; returns
    (items, output slots, final slot of each assigned variable in ``var_keys``); ``lw.current``
    is left as it was."""
    saved, items = dict(lw.current), lw.schedule
    lw.schedule = []
    for ph, s in zip(graph.inputs, in_slots):
        lw.slot_of[id(ph)] = s
    _lower_ops(lw, graph)
    sub, outs = lw.schedule, [lw.slot_of[id(t)] for t in graph.outputs]
    finals = [lw.current[k] for k in var_keys]
    lw.schedule, lw.current = items, saved
    return sub, outs, finals


def _assigned_in(lw, graphs):
    """The keys of the variables the graphs (or graphs inside them) assign, their current
    slots made."""
    variables = {id(v): v for g in graphs for v in _assigned_variables(g, [])}
    for var in variables.values():
        lw.variable_slot(var)
        lw.assigned[id(var)] = var
    return list(variables)


def _lower_cond(lw, op, ins):
    tg, fg = op.attrs["then_branch"], op.attrs["else_branch"]
    keys = _assigned_in(lw, [tg, fg])
    nt = len(tg.inputs)
    branches = []
    for g, slots in ((tg, ins[1 : 1 + nt]), (fg, ins[1 + nt :])):
        items, outs, finals = _subgraph(lw, g, slots, keys)
        branches.append((items, outs + finals))
    outs = [lw.new_slot() for _ in range(len(op.outputs) + len(keys))]
    for o, s in zip(op.outputs, outs):
        lw.slot_of[id(o)] = s
    for k, s in zip(keys, outs[len(op.outputs) :]):
        lw.current[k] = s
    lw.schedule.append(_Cond(lw.xla, ins[0], branches, outs))


def _lower_loop(lw, op, ins):
    cg, bg = op.attrs["cond"], op.attrs["body"]
    n = op.attrs["num_loop_vars"]
    nc = len(cg.inputs) - n
    keys = _assigned_in(lw, [cg, bg])
    init = list(ins[:n]) + [lw.current[k] for k in keys]
    carry = [lw.new_slot() for _ in init]
    saved = dict(lw.current)
    lw.current.update(zip(keys, carry[n:]))
    lw.loops.append([])
    try:
        citems, cout, _ = _subgraph(lw, cg, carry[:n] + list(ins[n : n + nc]), keys)
        bitems, bout, finals = _subgraph(lw, bg, carry[:n] + list(ins[n + nc :]), keys)
    finally:
        seeds = lw.loops.pop()
    lw.current = saved
    outs = [lw.new_slot() for _ in carry]
    for o, s in zip(op.outputs, outs):
        lw.slot_of[id(o)] = s
    lw.current.update(zip(keys, outs[n:]))
    limit = op.attrs.get("maximum_iterations")
    cond, body = (citems, cout[:1]), (bitems, bout[:n] + finals)
    loop = _Loop(lw.xla, init, carry, cond, body, outs, limit, seeds)
    lw.schedule.append(loop)


XLA_RULES: dict = {
    **dict.fromkeys(HANDLED, _unsupported),
    "Const": _const,
    "ReadVariableOp": _read,
    **dict.fromkeys(ASSIGNS, _assign),
    **dict.fromkeys(RANDOM, _random),
    **dict.fromkeys(("If", "StatelessIf", "While", "StatelessWhile"), _control_flow),
}


def _lower_ops(lw, graph):
    """Append ``graph``'s nodes (its placeholders' slots set) to ``lw.schedule``."""
    for op in graph.ops:
        if op.type == "Placeholder":
            continue
        ins = [lw.slot_of[id(x)] for x in op.inputs]
        rule = XLA_RULES.get(op.type)
        if rule is not None:
            rule(lw, op, ins)
            continue
        outs = [lw.new_slot() for _ in op.outputs]
        for o, s in zip(op.outputs, outs):
            lw.slot_of[id(o)] = s
        lw.schedule.append((op.type, ins, outs, op.attrs))


class _Chunk:
    """A run of kernel nodes: one ``xla.jit_graph`` call inside the outer computation."""

    def __init__(self, xla, nodes):
        made, reads = set(), []
        for _, ins, outs, attrs in nodes:
            slots = list(ins) + [v.slot for v in attrs.values() if isinstance(v, xla.SlotAttr)]
            reads += [s for s in slots if s not in made]
            made.update(outs)
        self.ins = list(dict.fromkeys(reads))
        self.outs = [s for _, _, outs, _ in nodes for s in outs]
        self.fn = xla.jit_graph(nodes, self.ins, self.outs)

    def run(self, env):
        env.update(zip(self.outs, self.fn(*[env[s] for s in self.ins])))


def _chunked(xla, items):
    """``items`` with each run of kernel nodes (tuples) made one ``_Chunk``, recursively."""
    out, run = [], []
    for item in items:
        if isinstance(item, tuple):
            run.append(item)
            continue
        if run:
            out.append(_Chunk(xla, run))
            run = []
        if isinstance(item, _Cond):
            item.branches = [(_chunked(xla, i), s) for i, s in item.branches]
        else:
            item.cond = (_chunked(xla, item.cond[0]), item.cond[1])
            item.body = (_chunked(xla, item.body[0]), item.body[1])
        out.append(item)
    if run:
        out.append(_Chunk(xla, run))
    return out


def _run_items(items, env):
    for item in items:
        item.run(env)


def _nested_program(xla, lw, in_slots, out_slots):
    """``fn(*arrays)`` running a schedule that holds ``_Cond`` / ``_Loop`` items under one
    outer ``xla.jit``."""
    items = _chunked(xla, lw.schedule)

    def program(*args):
        env = dict(zip(in_slots, args))
        _run_items(items, env)
        return [env[s] for s in out_slots]

    return xla.jit(program)


def compile_xla(graph, device, specialized=False):
    """``run(*input_buffers) -> tuple(output_buffers)`` running the optimized graph as one
    ``jax.jit`` computation with the kernels layer's XLA table (``xla.jit_graph``);
    ``specialized``: the graph has its input shapes already."""
    from tensorhouse_kernels import xla  # on the first XLA compile (it loads JAX when called)

    for op in graph.ops:
        if op.type in HOST_CALLS:  # TF: no XLA kernel for the Python callback
            raise errors.InvalidArgumentError(
                f"Detected unsupported operations when trying to compile graph {graph.name} on "
                f"XLA_CPU_JIT: {op.type} (No registered '{op.type}' OpKernel for XLA_CPU_JIT "
                f"devices compatible with node {{{{node {op.name}}}}})"
            )
    if has_unknown_dims(graph):
        if specialized:  # a shape only the data gives (a loop's gradient without a bound)
            e = errors.InvalidArgumentError(
                "XLA compilation requires a fixed tensor list size. Set the max number of "
                "elements. This could also happen if you're using a TensorArray in a while loop "
                "that does not have its maximum_iteration set, you can fix this by setting "
                f"maximum_iteration to a suitable value. (graph {graph.name} has shapes that "
                "depend on the data, such as a tf.while_loop's gradient without a bound)"
            )
            e.shapes_from_data = True  # tf.function may trace again with int inputs' values
            raise e
        return specializing(graph, device, functools.partial(compile_xla, specialized=True))
    lw = _Lowering(xla)
    arg_slots = []
    for ph in graph.inputs:
        lw.slot_of[id(ph)] = s = lw.new_slot()
        arg_slots.append(s)
    _lower_ops(lw, graph)
    out_slots = [lw.slot_of[id(t)] for t in graph.outputs if type(t) is GraphTensor]
    variables = list(lw.assigned.values())
    var_slots = [lw.current[id(v)] for v in variables]
    in_slots, out_slots_all = arg_slots + [s for s, _ in lw.feeds], out_slots + var_slots
    if all(isinstance(item, tuple) for item in lw.schedule):
        fn = xla.jit_graph(lw.schedule, in_slots, out_slots_all)
    else:
        fn = _nested_program(xla, lw, in_slots, out_slots_all)
    getters = [g for _, g in lw.feeds]
    n_out = len(out_slots)

    def run(*bufs):
        outs = fn(*bufs, *[g() for g in getters])
        # asarray keeps a 0-d value 0-d (ascontiguousarray would make it 1-d)
        host = [np.asarray(o, order="C") for o in outs]
        for var, value in zip(variables, host[n_out:]):
            var._value = Tensor(value, device)
        return tuple(host[:n_out])

    return holding_update_locks(graph, run)
