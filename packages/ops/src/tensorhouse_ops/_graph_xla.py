"""``jit_compile=True``: an optimized graph lowered to one ``jax.jit`` computation.

``compile_xla`` turns the graph into a schedule of slots for the kernels layer's XLA table
(``xla.jit_graph``). Constants and variable values enter as arguments; assigned variables come
back as extra outputs and are stored after the call. Random ops draw the same numbers as
without jit_compile (their seeds for each run enter as arguments). The nodes that are not
kernel calls have one rule each in ``XLA_RULES``; the other graph-only nodes (print, control
flow) are an ``UnimplementedError`` naming the op.
"""

from __future__ import annotations

import itertools

import numpy as np

from tensorhouse_kernels.runtime import errors, to_host

from ._graph import ASSIGNS, HANDLED, HOST_CALLS, RANDOM, GraphTensor, next_random_attrs
from ._graph_exec import has_unknown_dims, holding_update_locks, specializing
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
    attrs = {k: v for k, v in op.attrs.items() if k != "_stream"}
    attrs["seed"], attrs["seed2"] = lw.xla.SlotAttr(s, 0), lw.xla.SlotAttr(s, 1)
    out = lw.new_slot()
    lw.slot_of[id(op.outputs[0])] = out
    lw.schedule.append((op.type, ins, [out], attrs))


def _unsupported(lw, op, ins):
    raise errors.UnimplementedError(
        f"tf.function(jit_compile=True) does not support {op.type} yet (op {op.name})"
    )


XLA_RULES: dict = {
    **dict.fromkeys(HANDLED, _unsupported),
    "Const": _const,
    "ReadVariableOp": _read,
    **dict.fromkeys(ASSIGNS, _assign),
    **dict.fromkeys(RANDOM, _random),
}


def compile_xla(graph, device):
    """``run(*input_buffers) -> tuple(output_buffers)`` running the optimized graph as one
    ``jax.jit`` computation with the kernels layer's XLA table (``xla.jit_graph``)."""
    from tensorhouse_kernels import xla  # on the first XLA compile (it loads JAX when called)

    for op in graph.ops:
        if op.type in HOST_CALLS:  # TF: no XLA kernel for the Python callback
            raise errors.InvalidArgumentError(
                f"Detected unsupported operations when trying to compile graph {graph.name} on "
                f"XLA_CPU_JIT: {op.type} (No registered '{op.type}' OpKernel for XLA_CPU_JIT "
                f"devices compatible with node {{{{node {op.name}}}}})"
            )
    if has_unknown_dims(graph):
        return specializing(graph, device, compile_xla)
    lw = _Lowering(xla)
    arg_slots = []
    for ph in graph.inputs:
        lw.slot_of[id(ph)] = s = lw.new_slot()
        arg_slots.append(s)
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
    out_slots = [lw.slot_of[id(t)] for t in graph.outputs if type(t) is GraphTensor]
    variables = list(lw.assigned.values())
    var_slots = [lw.current[id(v)] for v in variables]
    fn = xla.jit_graph(lw.schedule, arg_slots + [s for s, _ in lw.feeds], out_slots + var_slots)
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
