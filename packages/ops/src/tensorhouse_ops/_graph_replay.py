"""Eager replay of a traced graph: op by op through ``_tensor._execute``, so tapes see each op.

This is the interpreter a ``tf.function`` call takes while a ``GradientTape`` records, that a
variable initializer written inside a function takes (``evaluate_eagerly``), and that
``specialize`` uses to trace a graph again with known shapes. The ops that are not plain
kernel calls (constants, variables, prints, host callbacks, control flow, random ops, shapes
read at run time) have one rule each in ``REPLAY_RULES``.
"""

from __future__ import annotations

from . import _dynamic, _record, _tensor
from ._graph import (
    HOOKS,
    HOST_CALLS,
    LOOP_GRAD,
    RANDOM,
    SIDE_EFFECTS,
    Graph,
    GraphTensor,
    assigned_variables,
    current_graph,
    eager_scope,
    next_random_attrs,
    tracing,
)

__all__ = ["REPLAY_RULES", "replay", "emit_control_flow", "evaluate_eagerly", "specialize",
           "assigned_and_read"]  # fmt: skip

_EFFECTS = {"AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp", "PrintV2"}
_VARIABLE_OPS = {"ReadVariableOp", "AssignVariableOp", "AssignAddVariableOp",
                 "AssignSubVariableOp"}  # fmt: skip


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
            if _record._active and op.type not in RANDOM and op.type != "ReadVariableOp":
                _record.record(op.type, [env[id(t)] for t in op.inputs], outs, op.attrs)
            continue
        if state and op.type in _VARIABLE_OPS and id(op.attrs["var"]) in state:
            _simulate(op, [env[id(t)] for t in op.inputs], state, env)
            continue
        if not effects and op.type in _EFFECTS:
            continue
        outs = replay_op(op, [env[id(t)] for t in op.inputs], env)
        for o, v in zip(op.outputs, outs):
            env[id(o)] = v
    return [env[id(t)] if type(t) is GraphTensor else t for t in graph.outputs]


def _simulate(op, ins, state, env):
    """A variable op on a simulated variable value (``replay``'s ``state``)."""
    key = id(op.attrs["var"])
    if op.type == "ReadVariableOp":
        env[id(op.outputs[0])] = state[key]
    elif op.type == "AssignVariableOp":
        state[key] = ins[0]
    else:
        binop = "AddV2" if op.type == "AssignAddVariableOp" else "Sub"
        state[key] = _tensor._op(binop, [state[key], ins[0]])


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
    if _record._active and "body" in attrs:
        stateful = assigned_and_read([attrs["cond"], attrs["body"]])
        if stateful:
            recorded = {**attrs, "entry_values": [(v, g.read_variable(v)) for v in stateful]}
    op = g._new_op(op_type, [g._input(x) for x in ins], attrs, specs)
    for key in assigned_variables(type("G", (), {"ops": [op]})()):
        g._reads.pop(key, None)  # later reads see what the branches assigned
        g._assigned.add(key)
    if _record._active:
        _record.record(op_type, ins, op.outputs, recorded)
    return op.outputs


# ---- the replay rules: op type -> fn(op, ins, env) -> output tensors --------------------------


def replay_op(op, ins, env):
    """One node's outputs, its rule in ``REPLAY_RULES`` or the kernel op run eagerly."""
    rule = REPLAY_RULES.get(op.type)
    if rule is not None:
        return rule(op, ins, env)
    return _tensor._execute(op.type, ins, op.attrs)


def _const(op, ins, env):
    return [op.attrs["value"]]


def _identity(op, ins, env):
    call = op.attrs.get("custom_gradient")
    if call is None:
        return _tensor._execute("Identity", ins, op.attrs)
    # a tf.custom_gradient call: run it again eagerly (once per replay), so that the tape
    # records its gradient function with the call's actual tensors
    key = ("custom_gradient", id(call))
    if key not in env:
        env[key] = call.call_eagerly(lambda x: env[id(x)])
    return [env[key][op.attrs["index"]]]


def _read(op, ins, env):
    return [op.attrs["var"]._th_read()]


def _assign(op, ins, env):
    op.attrs["var"].assign(ins[0])
    return []


def _assign_add(op, ins, env):
    op.attrs["var"].assign_add(ins[0])
    return []


def _assign_sub(op, ins, env):
    op.attrs["var"].assign_sub(ins[0])
    return []


def _print(op, ins, env):
    HOOKS["print_write"](op.attrs, [x.numpy() for x in ins])
    return []


def _host_call(op, ins, env):
    g = current_graph() if _tensor._tracing else None
    if g is not None:  # replayed into a graph being traced: the node again, not a call
        specs = [(o._gshape, o._dtype._np) for o in op.outputs]
        return g._new_op(op.type, [g._input(x) for x in ins], op.attrs, specs).outputs
    return op.attrs["host_call"](ins)


def _traced_again(op, ins):
    """While a graph is traced, a control-flow node replayed becomes a node of that graph."""
    g = current_graph() if _tensor._tracing else None
    if g is None:
        return None
    specs = [(o._gshape, o._dtype._np) for o in op.outputs]
    return emit_control_flow(g, op.type, ins, op.attrs, specs)


def _if(op, ins, env):
    outs = _traced_again(op, ins)
    if outs is not None:
        return outs
    nt = len(op.attrs["then_branch"].inputs)
    if bool(ins[0]):
        return replay(op.attrs["then_branch"], ins[1 : 1 + nt])
    return replay(op.attrs["else_branch"], ins[1 + nt :])


def _while(op, ins, env):
    outs = _traced_again(op, ins)
    if outs is not None:
        return outs
    fast = HOOKS["eager_while"](op, ins) if _record._active else None
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


def _loop_grad(op, ins, env):
    return HOOKS["grad_replay"](op, ins)


def _random(op, ins, env):
    return _tensor._execute(op.type, ins, next_random_attrs(op.attrs))


def _dynamic_shape(op, ins, env):
    return _dynamic.apply(op.type, ins, op.attrs)


REPLAY_RULES: dict = {
    "Const": _const,
    "Identity": _identity,
    "ReadVariableOp": _read,
    "AssignVariableOp": _assign,
    "AssignAddVariableOp": _assign_add,
    "AssignSubVariableOp": _assign_sub,
    "PrintV2": _print,
    "If": _if,
    "StatelessIf": _if,
    "While": _while,
    "StatelessWhile": _while,
    LOOP_GRAD: _loop_grad,
    **dict.fromkeys(HOST_CALLS, _host_call),
    **dict.fromkeys(RANDOM, _random),
    **dict.fromkeys(_dynamic.LOCAL, _dynamic_shape),
}


# ---- uses of the replay: variable initializers, specialization to known shapes -------------


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
                outs = replay_op(node, [env[id(i)] for i in node.inputs], env)
                for o, v in zip(node.outputs, outs):
                    env[id(o)] = v
    return env[id(t)]


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
                outs = replay_op(op, ins, env)
            for o, v in zip(op.outputs, outs):
                env[id(o)] = v
        g.outputs = [g._input(env[id(t)]) if type(t) is GraphTensor else t for t in graph.outputs]
    return g
