"""Compiled execution of an optimized graph on one device (``compile_graph``).

``compile_graph`` turns the graph into one generated Python function: a flat schedule of
kernel calls with the kernels, output shapes and attrs looked up once, so a call runs no shape
rules where the shapes are static, and the intermediates that live only within a run keep their
buffers from one run to the next. Variable reads and assignments are lines of the schedule; the
other nodes that are not kernel calls (variable updates, prints, host callbacks, control flow,
random ops, shapes read at run time) have one rule each in ``CPU_RULES``: ``rule(op, device)``
gives the function the schedule calls on buffers. A kernel that ``writes_in_place`` (the fused
optimizer updates) whose outputs are stored straight into the variables it read updates each
variable's buffer in place when nothing else holds it (``_updating``), as TF's
``ResourceApply*`` kernels do; a tensor read from the variable earlier keeps its value.
"""

from __future__ import annotations

import collections
import datetime
import functools
import itertools
import math
import operator
import sys

import numpy as np

from tensorhouse_kernels import (
    Outputs,
    allocated,
    eager_elementwise,
    get_op_def,
    writes_in_place,
)
from tensorhouse_kernels import execute as _kernel_execute
from tensorhouse_kernels.runtime import copy_to_device, dispatch, errors, to_host

from . import _dynamic
from ._graph import ASSIGNS, HOOKS, HOST_CALLS, LOOP_GRAD, RANDOM, GraphTensor, next_random_attrs
from ._graph_passes import optimize
from ._graph_replay import specialize
from ._tensor import Tensor

__all__ = ["CPU_RULES", "compile_graph", "holding_update_locks", "history_loop",
           "has_unknown_dims", "specializing", "update_locks"]  # fmt: skip

# The most bytes of intermediates a compiled graph keeps between runs (``_reusable``).
REUSE_BYTES = 16 << 20


def compile_graph(graph, device, guard=True):
    """One generated Python function ``run(*input_buffers) -> tuple(output_buffers)``;
    ``guard=False`` for a loop body or gradient step run by a graph that holds the guard.

    The intermediates that live only within a run (``_reusable``) keep their buffers, and
    their kernels' ``Outputs``, from one run to the next: a run takes a set from a pool and
    gives it back when it returns (a second set for a concurrent run; a failed run's set is
    dropped)."""
    ns: dict = {"A": device.allocate, "EX": _kernel_execute, "DEV": device, "T": Tensor,
                "OUTS": Outputs}  # fmt: skip
    names: dict = {}
    lines = []
    counter = itertools.count()
    kernels, shaped = _kernel_nodes(graph, device)
    reused = _reusable(graph, kernels)
    in_place, stored = _in_place_updates(graph, kernels)
    held, held_specs = [], []

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
                value = Tensor(copy_to_device(value._value, value._device, device), device)
            ns[outs[0]] = value._value
            names[id(op.outputs[0])] = outs[0]
            continue
        if t == "ReadVariableOp":
            ns[f"V{i}"] = op.attrs["var"]
            lines.append(f"{outs[0]} = V{i}._value._value")
            continue
        if t == "AssignVariableOp":  # the graph's value becomes the variable's
            if id(op) in stored:  # stored by its update (``_updating``)
                continue
            ns[f"V{i}"] = op.attrs["var"]
            lines.append(f"V{i}._value = T({ins}, DEV)")
            continue
        rule = CPU_RULES.get(t)
        if rule is not None:  # variables, prints, control flow, random, run-time shapes
            ns[f"H{i}"] = rule(op, device)
            lhs = ", ".join(outs) + "," if outs else "_"
            lines.append(f"{lhs} = H{i}({ins})")
            continue
        ns[f"AT{i}"] = op.attrs
        lhs = ", ".join(outs) + ","
        found = kernels.get(id(op))
        if found is None and id(op) in shaped:  # its kernel known, its shapes from the run's
            ns[f"K{i}"], ns[f"I{i}"] = shaped[id(op)]
            lines.append(f"O{i} = I{i}([{ins}], AT{i})")
            lines.append(f"K{i}([{ins}], O{i}, AT{i})")
            lines.append(f"{lhs} = O{i}")
            continue
        if found is None:
            ns[f"OP{i}"] = t  # execute places, allocates and checks
            lines.append(f"({lhs}), _ = EX(OP{i}, [{ins}], AT{i}, DEV)")
            continue
        if id(op) in in_place:  # with its stores
            ns[f"H{i}"] = _updating(found[0], op, in_place[id(op)], device)
            lines.append(f"{lhs} = H{i}([{ins}])")
            continue
        ns[f"K{i}"], fills = found  # the kernel contract of execute: outputs allocated, or slots
        if id(op) in reused:  # taken from the run's set
            held.append(f"O{i}")
            held_specs.append([(o._gshape, o._dtype._np) for o in op.outputs])
        elif fills:
            for o, n in zip(op.outputs, outs):
                ns[f"S{n}"] = (o._gshape, o._dtype._np)
            allocs = "".join(f"A(*S{n}), " for n in outs)
            lines.append(f"O{i} = OUTS(({allocs})); O{i}.device = DEV")
        else:
            lines.append(f"O{i} = OUTS({[None] * len(outs)}); O{i}.device = DEV")
        lines.append(f"K{i}([{ins}], O{i}, AT{i})")
        lines.append(f"{lhs} = O{i}")
    if held:
        ns["POOL"], ns["NEW"] = [], functools.partial(_buffer_set, device, held_specs)
        lines[:0] = ["try:\n        P = POOL.pop()\n    except IndexError:\n        P = NEW()",
                     f"{', '.join(held)}, = P"]  # fmt: skip
        lines.append("POOL.append(P)")
    rets = [slot(t) for t in graph.outputs if type(t) is GraphTensor]
    body = "\n    ".join(lines) or "pass"
    ret = ", ".join(rets) + ("," if rets else "")
    src = f"def run({', '.join(args)}):\n    {body}\n    return ({ret})\n"
    exec(compile(src, f"<tf.function {graph.name}>", "exec"), ns)  # the generated schedule
    run = ns["run"]
    run.source = src
    return holding_update_locks(graph, run) if guard else run


def _kernel_nodes(graph, device):
    """``{id(op): (kernel, fills)}`` for the nodes the schedule runs by calling their kernel
    on ``device`` (static shapes; ``fills``: the kernel gets its outputs allocated), and
    ``{id(op): (kernel, outputs)}`` for those whose shapes are known only when the graph runs
    (an image of unknown size): ``outputs(inputs, attrs)`` runs the shape rule, as
    ``execute`` would, and gives the kernel's ``Outputs``."""
    found, shaped = {}, {}
    for op in graph.ops:
        t = op.type
        if t in ("Placeholder", "Const", "ReadVariableOp", "AssignVariableOp") or t in CPU_RULES:
            continue
        opdef, key = _op_key(op)
        if _static(op):
            kernel, used = dispatch(t, device, key)
            if used is device:
                found[id(op)] = (kernel, allocated(opdef, device, key))
            continue
        n = len(op.inputs)
        if any(x._gshape is None for x in op.inputs) or opdef.num_inputs not in (None, n):
            continue  # execute's checks and errors at run time
        try:
            kernel, used = dispatch(t, device, key)
        except errors.NotFoundError:
            continue
        if used is device:
            fills = allocated(opdef, device, key)
            shaped[id(op)] = (kernel, functools.partial(_run_outputs, opdef.infer, fills, device))
    return found, shaped


def _op_key(op):
    """``op``'s definition and its kernels' dispatch key."""
    opdef = get_op_def(op.type)
    dts = [x._dtype._np for x in op.inputs]
    return opdef, opdef.key(dts, op.attrs) if dts or opdef.num_inputs == 0 else None


def _static(op):
    """Whether ``op``'s input and output shapes are all known."""
    return all(t._gshape is not None and None not in t._gshape for t in (*op.inputs, *op.outputs))


def _run_outputs(infer, fills, device, inputs, attrs):
    """The ``Outputs`` of a kernel node whose shapes the run gives: its shape rule on the
    inputs' shapes, the outputs allocated (``fills``) or left for the kernel to set."""
    specs = infer([x.shape for x in inputs], [x.dtype for x in inputs], attrs)
    if fills:
        outs = Outputs([device.allocate(shape, dt) for shape, dt in specs])
    else:
        outs = Outputs([None] * len(specs))
    outs.device = device
    return outs


def _reusable(graph, kernels):
    """The ids of the kernel nodes whose outputs live only within a run: allocated for their
    kernel, and neither returned nor read by anything that may keep them (rules, ``execute``),
    nor by a kernel that sets its outputs (a view: Reshape) whose outputs may be kept; in
    schedule order, up to ``REUSE_BYTES`` in all. A kernel that fills its outputs keeps no
    reference to its inputs."""
    escaping = {id(t) for t in graph.outputs}
    for op in reversed(graph.ops):  # each value's readers come after it
        found = kernels.get(id(op))
        if found is None or not (found[1] or all(id(o) not in escaping for o in op.outputs)):
            escaping.update(id(t) for t in op.inputs)
    fills = {k for k, (_, f) in kernels.items() if f}
    reused, total = set(), 0
    for op in graph.ops:
        if id(op) in fills and all(id(o) not in escaping for o in op.outputs):
            size = sum(math.prod(o._gshape) * np.dtype(o._dtype._np).itemsize for o in op.outputs)
            if total + size <= REUSE_BYTES:
                reused.add(id(op))
                total += size
    return reused


def _in_place_updates(graph, kernels):
    """The kernel nodes whose outputs go straight into variables, in place where they may:
    ``{id(op): [(variable, may), ...]}`` per output ``j``, and the ids of the stores. A node
    qualifies when its kernel ``writes_in_place`` and fills its outputs, and the nodes right
    after it store each output into its own variable; output ``j`` ``may`` overwrite input
    ``j`` when that input is the variable's read, an input once, read by nothing after the
    node and not returned."""
    found, stored = {}, set()
    escaping = {id(t) for t in graph.outputs}
    last_read: dict = {}  # id(tensor) -> the position of its last reader
    for p, op in enumerate(graph.ops):
        for t in op.inputs:
            last_read[id(t)] = p
    for p, op in enumerate(graph.ops):
        kernel = kernels.get(id(op))
        if kernel is None or not (kernel[1] and writes_in_place(kernel[0])):
            continue
        n = len(op.outputs)
        stores = graph.ops[p + 1 : p + 1 + n]
        index = {id(o): j for j, o in enumerate(op.outputs)}
        uses = collections.Counter(id(x) for x in op.inputs)
        updates = [None] * n
        for a in stores:
            j = index.get(id(a.inputs[0])) if a.type == "AssignVariableOp" else None
            if j is None or updates[j] is not None:
                break
            src, var = op.inputs[j], a.attrs["var"]
            may = (
                src.op.type == "ReadVariableOp"
                and src.op.attrs["var"] is var
                and uses[id(src)] == 1
                and last_read[id(src)] == p
                and id(src) not in escaping
            )
            updates[j] = (var, may)
        else:
            if len(stores) == n and len({id(u[0]) for u in updates}) == n:
                found[id(op)] = updates
                stored.update(id(a) for a in stores)
    return found, stored


def _sole_buffer(var, buf, refs):
    """Whether ``buf`` is ``var``'s buffer, held by nothing but its tensor and ``refs`` other
    references (the schedule's and the caller's), its memory its own or an allocator block no
    other array views, so that it may be overwritten: a tensor read from the variable, a view
    of it (``numpy()``) or an array it was made from keeps its value (TF's copy on write)."""
    cur = var._value
    if getattr(cur, "_value", None) is not buf or type(buf) is not np.ndarray:
        return False
    base = buf.base
    return (
        _refs(cur) <= 3  # the variable, ``cur``, the argument
        and _refs(buf) <= refs + 3  # the tensor, ``buf``, the argument
        and buf.flags.writeable
        and (base is None or (type(base) is _CAPSULE and _refs(base) <= 3))
    )


_refs = sys.getrefcount
_CAPSULE = type(datetime.datetime_CAPI)  # the owner of the kernels' allocator blocks


def _updating(kernel, op, updates, device):
    """The schedule's call of ``op`` and its stores: output ``j`` is input ``j``'s buffer where
    it may be and ``_sole_buffer`` says so, else a new buffer that becomes the variable's."""
    attrs, allocate = op.attrs, device.allocate
    plan = [(j, var, may, (o._gshape, o._dtype._np))
            for j, ((var, may), o) in enumerate(zip(updates, op.outputs))]  # fmt: skip

    def update(inputs):
        outs = Outputs(inputs[: len(plan)])
        outs.device = device
        fresh = []
        for j, var, may, spec in plan:  # refs: the read's slot, ``inputs``, ``outs``
            if not (may and _sole_buffer(var, outs[j], 3)):
                outs[j] = allocate(*spec)
                fresh.append((var, outs[j]))
        kernel(inputs, outs, attrs)
        for var, buf in fresh:
            var._value = Tensor(buf, device)
        return outs

    return update


def _buffer_set(device, specs):
    """One run's ``Outputs`` of the reused nodes, allocated on ``device``."""
    sets = []
    for node in specs:
        outputs = Outputs(device.allocate(shape, dt) for shape, dt in node)
        outputs.device = device
        sets.append(outputs)
    return sets


def _assigned_variables(graph, out):
    """The variables ``graph`` (with its branch and loop bodies) assigns, into ``out``."""
    for op in graph.ops:
        if op.type in ASSIGNS:
            out.append(op.attrs["var"])
        for k in ("then_branch", "else_branch", "cond", "body"):
            if k in op.attrs:
                _assigned_variables(op.attrs[k], out)
    return out


def update_locks(variables):
    """The update locks of ``variables``, each once, in creation order (a fixed order, so two
    threads taking several never deadlock)."""
    seen = {v._unique_id: v._lock for v in variables}
    return [seen[k] for k in sorted(seen)]


def _allocation_error(graph, e):
    """TF's error for a failed allocation in a run of ``graph`` (a huge or negative shape)."""
    text = f"{e} (in a run of tf.function graph {graph.name})"
    if isinstance(e, MemoryError) or "too many bytes" in str(e):
        return errors.ResourceExhaustedError(f"OOM when allocating a tensor: {text}")
    return errors.InvalidArgumentError(f"Invalid output shape: {text}")


def holding_update_locks(graph, run):
    """``run`` holding the update lock of every variable the graph assigns (TF's variable
    lock), so that a read-modify-write in the graph is atomic across threads; a failed
    allocation is TF's error class."""
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


def has_unknown_dims(graph):
    """Whether a run of ``graph`` needs its input shapes (unknown dims, shapes read at run time)."""
    return any(ph._gshape is None or None in ph._gshape for ph in graph.inputs) or any(
        op.type in _dynamic.LOCAL for op in graph.ops
    )


def specializing(graph, device, compile_fn):
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


# ---- the CPU rules: op type -> rule(op, device) -> fn(*buffers) -> output buffers --------


def _update(op, device):  # AssignVariableOp is a line of the schedule
    var = op.attrs["var"]
    binop = "AddV2" if op.type == "AssignAddVariableOp" else "Sub"
    shortcut = eager_elementwise(binop)  # None where it does not apply: then execute

    def update(buf):
        cur = var._value
        out = shortcut(cur._device, cur._value, buf) if shortcut is not None else None
        if out is None:
            (out,), _ = _kernel_execute(binop, [cur._value, buf], {}, cur._device)
        var._value = Tensor(out, cur._device)

    return update


def _host_call(op, device):
    return op.attrs["host_call"].buffers_fn(device)


def _print(op, device):
    attrs, write = op.attrs, HOOKS["print_write"]

    def print_(*bufs):
        write(attrs, [np.asarray(to_host(b, device)) for b in bufs])
        return ()

    return print_


def _random(op, device):
    t, attrs = op.type, op.attrs
    opdef, key = _op_key(op)
    try:
        kernel, used = dispatch(t, device, key) if _static(op) else (None, None)
    except errors.NotFoundError:  # execute's error, at run time
        kernel = None
    if kernel is not None and used is device and allocated(opdef, device, key):
        specs = [(o._gshape, o._dtype._np) for o in op.outputs]
        allocate = device.allocate

        def random_static(*bufs):  # the kernel and its outputs' shapes looked up once
            outs = Outputs([allocate(shape, dt) for shape, dt in specs])
            outs.device = device
            kernel(list(bufs), outs, next_random_attrs(attrs))
            return outs

        return random_static

    def random(*bufs):  # stateful as TF's: each run draws the node's next numbers
        outs, _ = _kernel_execute(t, list(bufs), next_random_attrs(attrs), device)
        return outs

    return random


def _if(op, device):  # the graph around holds the variables' locks
    then_run = compile_graph(op.attrs["then_branch"], device, guard=False)
    else_run = compile_graph(op.attrs["else_branch"], device, guard=False)
    nt = len(op.attrs["then_branch"].inputs)

    def if_(pred, *caps):
        if bool(to_host(pred, device)):
            return then_run(*caps[:nt])
        return else_run(*caps[nt:])

    return if_


def _while(op, device):  # the graph around holds the variables' locks
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


def _loop_grad(op, device):
    return HOOKS["grad_handler"](op, device)


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


CPU_RULES: dict = {
    "AssignAddVariableOp": _update,
    "AssignSubVariableOp": _update,
    "PrintV2": _print,
    "If": _if,
    "StatelessIf": _if,
    "While": _while,
    "StatelessWhile": _while,
    LOOP_GRAD: _loop_grad,
    **dict.fromkeys(HOST_CALLS, _host_call),
    **dict.fromkeys(RANDOM, _random),
    **dict.fromkeys(_dynamic.LOCAL, _dynamic.handler),  # shapes read at run time
}
