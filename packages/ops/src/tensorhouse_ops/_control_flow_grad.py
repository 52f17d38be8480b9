"""Gradient rules of the traced control-flow ops ``If`` and ``While``.

A tape recording inside a traced function records an ``If`` / ``While`` node as one op; these
rules build its gradient out of ``cond`` / ``while_loop`` themselves, so the backward pass is a
graph of the same kind (and differentiable again, for higher orders).

- ``If``: an ``If`` on the same predicate whose branches replay the taken branch under a tape
  and return the gradients of its captured inputs.
- ``While``: the forward loop runs again and stacks each iteration's loop variables
  (``O(iterations)`` memory; without ``maximum_iterations``, a first loop counts the
  iterations to size the stacks; 1-D variables that change length are stored padded), and a
  backward loop walks the stack from the last iteration down, replaying the body on the stored
  values under a tape for its vector-Jacobian product and summing the gradients of the body's
  captured inputs. Replays skip variable assignments and prints; a variable the loop both
  assigns and reads is simulated (its values ride along as loop variables, from the value the
  record saw before the loop). This form is used where a tape records the backward pass;
  elsewhere the forward loop stores its iterations and a compiled ``WhileGrad`` node walks
  them back (see "the fast form" below; also an eager tape around a traced loop).

Stateful random ops: an ``If`` recorded on a tape outputs what its branches draw, and its
gradient replays the branch on those numbers; a loop stores its draws with its iterations, so
its backward uses them (a ``cond`` in a loop body outputs its draws, stored too). The
differentiable form of a loop that draws (a second order) raises ``UnimplementedError`` (its
replays would draw other numbers), as does a draw inside a nested ``while_loop`` (or deeper).
"""

from __future__ import annotations

import contextlib
import copy
import threading
import weakref

import numpy as np

from tensorhouse_kernels import execute as _kernel_execute
from tensorhouse_kernels.runtime import copy_to_device, current_device

from . import _array as A
from . import _dynamic, _function, _grad_rules, _graph, _graph_exec, _graph_passes, _tape, _tensor
from . import _math as M
from . import dtypes as _dt
from ._function import cond, while_loop
from ._graph_replay import replay
from ._tensor import _op, errors


def _floating(t):
    return t.dtype.is_floating


def _replay_vjp(graph, args, dys, state=None, drawn=None, env=None, skip=(), extra=()):
    """Gradients of ``sum(out * dy)`` over ``graph(*args)``'s outputs w.r.t. each arg
    (None for non-float args and the indices ``skip``; zeros where unconnected), then w.r.t.
    the values ``extra`` of ``graph``. Runs in the graph being traced, or eagerly."""
    g = _graph.current_graph() if _tensor._tracing else None
    local = [g._input(a) for a in args] if g is not None else list(args)
    env = {} if env is None else env
    with _tape.GradientTape(watch_accessed_variables=False) as tape:
        for a in local:
            if _floating(a):
                tape.watch(a)
        outs = replay(graph, local, effects=False, state=state, drawn=drawn, env=env)
    pairs = [(o, d) for o, d in zip(outs, dys) if d is not None and _floating(o)]
    wanted = [_floating(a) and i not in skip for i, a in enumerate(local)]
    srcs = [a for a, w in zip(local, wanted) if w] + [env[id(v)] for v in extra]
    grads = iter(
        tape.gradient(
            [o for o, _ in pairs],
            srcs,
            output_gradients=[d for _, d in pairs],
            unconnected_gradients=_tape.UnconnectedGradients.ZERO,
        )
        if pairs and srcs
        else [_grad_rules.zeros_like(a) for a in srcs]
    )
    return [next(grads) if w else None for w in wanted] + [next(grads) for _ in extra]


def _draws_random(graph, nested_only=False):
    """Whether ``graph`` (or only the branch and loop graphs inside it) has stateful random
    ops: a replay would draw other numbers."""
    for op in graph.ops:
        if op.type in _graph.RANDOM and not nested_only:
            return True
        for k in ("then_branch", "else_branch", "cond", "body"):
            if k in op.attrs and _draws_random(op.attrs[k]):
                return True
    return False


def _no_random(graphs, what, nested_only=False):
    if any(_draws_random(g, nested_only) for g in graphs):
        raise errors.UnimplementedError(
            f"The gradient of {what} that draws random numbers (a stateful random op) is not "
            "supported: the gradient replays it, which would draw other numbers; use the "
            "stateless random ops (tf.random.stateless_*) there"
        )


def _if_grad(x, y, attrs, dys):
    tg, fg = attrs["then_branch"], attrs["else_branch"]
    _no_random([tg, fg], "a tf.cond with a nested tf.cond or tf.while_loop", nested_only=True)
    nt = len(tg.inputs)
    tcaps, fcaps = list(x[1 : 1 + nt]), list(x[1 + nt :])
    ids = attrs.get("random_values", [])
    user = len(y) - len(ids)  # the outputs after those are the random ops' draws
    drawn = dict(zip(ids, y[user:]))
    dys = [
        (d if d is not None else _grad_rules.zeros_like(o)) if _floating(o) else None
        for o, d in zip(y[:user], dys)
    ] + [None] * len(ids)
    keep = [i for i, c in enumerate(tcaps + fcaps) if _floating(c)]
    if not keep:
        return [None] * len(x)

    def branch(graph, caps, first):
        def fn():
            gs = _replay_vjp(graph, caps, dys, drawn=drawn)
            zeros = [_grad_rules.zeros_like(c) if _floating(c) else None for c in
                     (fcaps if first else tcaps)]  # fmt: skip
            allg = gs + zeros if first else zeros + gs
            return [allg[i] for i in keep]

        return fn

    outs = cond(x[0], branch(tg, tcaps, True), branch(fg, fcaps, False))
    result = [None] * (len(x))
    for i, g in zip(keep, outs):
        result[1 + i] = g
    return result


def _read_row_grad(x, y, attrs, dys):
    """The gradient of ``stack[j]`` as a scatter into zeros of the stack's shape (read when
    the graph runs: the stack's length is known only then)."""
    stack, j = x
    if dys[0] is None:
        return [None, None]
    rows = A.tensor_scatter_nd_update(
        _grad_rules.zeros_like(stack), A.reshape(j, [1, 1]), A.expand_dims(dys[0], 0)
    )
    return [rows, None]


def _read_row(stack, j):
    """``stack[j]`` (``GatherV2``) with a gradient rule that needs no static length."""
    attrs = {"axis": 0, "batch_dims": 0, "gradient_rule": "th_stack_row"}
    return _op("GatherV2", [stack, j], attrs)


def _length(t):
    return A.shape(t, out_type=_dt.int32)[0]


def _padded_grad(x, y, attrs, dys):
    if dys[0] is None:
        return [None, None]
    return [A.gather(dys[0], A.range(_length(x[0]))), None]


def _padded(v, width):
    """1-D ``v`` with zeros appended up to ``width`` (both known only at run time)."""
    pad = A.fill([M.subtract(width, _length(v))], 0, dtype=v.dtype)
    return _op("ConcatV2", [v, pad], {"axis": 0, "gradient_rule": "th_padded"})


def _prefix_grad(x, y, attrs, dys):
    row, at = x
    if dys[0] is None:
        return [None, None]
    at = A.expand_dims(at, -1)
    return [A.tensor_scatter_nd_update(_grad_rules.zeros_like(row), at, dys[0]), None]


def _prefix(row, size):
    """``row[:size]`` for a size known at run time."""
    attrs = {"axis": 0, "batch_dims": 0, "gradient_rule": "th_prefix"}
    return _op("GatherV2", [row, A.range(size)], attrs)


def _while_grad_replaying(x, y, attrs, dys):
    """The differentiable form of a loop's gradient: the forward loop runs again to stack its
    iterations, and a backward ``while_loop`` replays the body on them."""
    cg, bg = attrs["cond"], attrs.get("th_body", attrs["body"])
    _no_random(
        [cg, bg], "a tf.while_loop to second order (or with a draw inside a nested cond or loop)"
    )
    entry = attrs.get("entry_values", [])
    keys = [id(v) for v, _ in entry]
    for k in (0, 1):  # assignments in a nested branch or loop are not simulated
        for op in (cg, bg)[k].ops:
            subs = [op.attrs[a] for a in ("then_branch", "else_branch", "cond", "body")
                    if a in op.attrs]  # fmt: skip
            nested: set = set()
            for sub in subs:
                _graph.assigned_variables(sub, nested)
            if nested & set(keys):
                raise errors.UnimplementedError(
                    "The gradient of a tf.while_loop that both reads a variable and assigns it "
                    "inside a nested tf.cond or tf.while_loop is not supported"
                )
    n0 = attrs["num_loop_vars"]
    y, dys = y[:n0], dys[:n0]  # (a loop that stores its history has it as one more output)
    nc = len(cg.inputs) - n0
    vs0, ccaps, bcaps = list(x[:n0]), list(x[n0 : n0 + nc]), list(x[n0 + nc :])
    # the simulated variables ride along as extra loop variables (values, no gradient)
    n = n0 + len(entry)
    vs0 = vs0 + [r for _, r in entry]

    def run_cond(v):
        return replay(cg, list(v[:n0]) + ccaps, effects=False, state=dict(zip(keys, v[n0:])))[0]

    def run_body(v):
        state = dict(zip(keys, v[n0:]))
        new = replay(bg, list(v[:n0]) + bcaps, effects=False, state=state)
        return [*new, *(state[k] for k in keys)]

    fl = [k for k in range(n0) if _floating(vs0[k])]
    fc = [k for k, c in enumerate(bcaps) if _floating(c)]
    if not fl and not fc:
        return [None] * len(x)
    maxit = attrs.get("maximum_iterations")
    zero = A.zeros([], _dt.int32)

    # a 1-D loop variable of unknown length (a TensorArray's buffer) may change its length
    # from one iteration to the next: its rows are stored padded, with their lengths
    dyn = [k for k in range(n) if vs0[k].shape.as_list() == [None]]

    def put(h, i, v):
        return A.tensor_scatter_nd_update(h, A.reshape(i, [1, 1]), A.expand_dims(v, 0))

    def hist_body(i, *rest):
        v, h, lens = list(rest[:n]), list(rest[n : 2 * n]), list(rest[2 * n :])
        rows = list(v)
        for k, width in zip(dyn, widths):
            rows[k] = _padded(v[k], width)
        h = [put(s, i, t) for s, t in zip(h, rows)]
        lens = [put(s, i, _length(v[k])) for s, k in zip(lens, dyn)]
        return (i + 1, *run_body(v), *h, *lens)

    def stacks_of(size):
        stacks = [A.zeros([size, *_grad_rules._shape(v)], v.dtype) for v in vs0]
        for k, width in zip(dyn, widths):
            stacks[k] = A.zeros([size, width], vs0[k].dtype)
        return stacks + [A.zeros([size], _dt.int32) for _ in dyn]

    if maxit is not None and not dyn:  # stacks of a static size: at most maxit iterations
        widths = []
        hist = while_loop(
            lambda i, *r: run_cond(r[:n]),
            hist_body,
            [zero, *vs0, *stacks_of(maxit)],
            maximum_iterations=maxit,
        )
        count = hist[0]
    else:  # count the iterations (and the widest rows) first, then stack them

        def count_body(i, *r):
            new = run_body(r[:n])
            wide = [M.maximum(w, _length(new[k])) for w, k in zip(r[n:], dyn)]
            return (i + 1, *new, *wide)

        counted = while_loop(
            lambda i, *r: run_cond(r[:n]),
            count_body,
            [zero, *vs0, *[_length(vs0[k]) for k in dyn]],
            maximum_iterations=maxit,
        )
        count, widths = counted[0], list(counted[1 + n :])
        hist = while_loop(
            lambda i, *r: M.less(i, count), hist_body, [zero, *vs0, *stacks_of(count)]
        )
    stacks = list(hist[1 + n : 1 + 2 * n])
    lengths = dict(zip(dyn, hist[1 + 2 * n :]))

    # the backward loop, last iteration first
    dv0 = [dys[k] if dys[k] is not None else _grad_rules.zeros_like(y[k]) for k in fl]
    dc0 = [_grad_rules.zeros_like(bcaps[k]) for k in fc]
    m = len(fl)

    def back_body(j, *rest):
        dv, dc = list(rest[:m]), list(rest[m:])
        v = [_read_row(s, j) for s in stacks]
        for k in dyn:
            v[k] = _prefix(v[k], _read_row(lengths[k], j))
        out_grads = [None] * n0
        for k, d in zip(fl, dv):
            out_grads[k] = d
        state = dict(zip(keys, v[n0:]))
        gs = _replay_vjp(bg, v[:n0] + bcaps, out_grads, state)
        new_dv = [gs[k] for k in fl]
        new_dc = [M.add(a, gs[n0 + k]) for a, k in zip(dc, fc)]
        return (j - 1, *new_dv, *new_dc)

    back = while_loop(lambda j, *r: M.greater_equal(j, 0), back_body, [count - 1, *dv0, *dc0])
    result = [None] * len(x)
    for k, g in zip(fl, back[1 : 1 + m]):
        result[k] = g
    for k, g in zip(fc, back[1 + m :]):
        result[n0 + nc + k] = g
    return result


# ---- the fast form: the forward loop stores its iterations, a compiled loop walks them back ----
# Used when no tape would record the backward pass (so it need not be differentiable again).
# The forward ``While`` node gets one more output, its history: per iteration, the loop
# variables it started from and values of its body (those a replay could not recompute: random
# draws, reads of variables the loop assigns; and those the gradient rules read, such as a
# tanh's output, so that the backward recomputes nothing), only those the backward step reads
# (``th_keep``), kept as a Python list of the iteration's buffers (amortised growth, no
# copies). A ``WhileGrad`` node then runs one compiled graph per stored iteration, last first:
# the body's vector-Jacobian product on those values; a capture the body reads by rows
# (``xs[t]``) gets its rows' gradients per step, summed into it once at the end. Replayed
# under a recording tape, ``WhileGrad`` becomes the differentiable form above.

_HISTORY = "th_history"


def _recording_here():
    """Whether a tape of this thread records ops now (it would record a backward pass)."""
    return any(t._recording for t in _tape._stack())


def _nested(graph):
    for op in graph.ops:
        for k in ("then_branch", "else_branch", "cond", "body"):
            if k in op.attrs:
                yield op.attrs[k]


def _reads(graph, keys):
    """Whether ``graph`` or a graph inside it reads one of the variables ``keys``."""
    for op in graph.ops:
        if op.type == "ReadVariableOp" and id(op.attrs["var"]) in keys:
            return True
    return any(_reads(sub, keys) for sub in _nested(graph))


def _calls_python(graph):
    """Whether ``graph`` (or a graph inside it) has a Python callback (``py_function``)."""
    return any(op.type in _graph.HOST_CALLS for op in graph.ops) or any(
        _calls_python(sub) for sub in _nested(graph)
    )


def _assigned(cg, bg):
    keys: set = set()
    _graph.assigned_variables(cg, keys)
    return _graph.assigned_variables(bg, keys)


def _drawing_if(op):
    """Whether ``op`` is a ``cond`` that outputs what its branches draw (and draws nothing
    deeper)."""
    return bool(op.attrs.get("random_values")) and not any(
        _draws_random(op.attrs[k], nested_only=True) for k in ("then_branch", "else_branch")
    )


def _storable(cg, bg):
    """Whether the values a replay of ``bg`` cannot recompute are all at its top level (a
    ``cond``'s draws are its outputs)."""
    keys = _assigned(cg, bg)
    for op in bg.ops:
        subs = [op.attrs[k] for k in ("then_branch", "else_branch", "cond", "body")
                if k in op.attrs]  # fmt: skip
        if any(_reads(sub, keys) for sub in subs):
            return False
        if any(_draws_random(sub) for sub in subs) and not _drawing_if(op):
            return False
    return True


def _values(bg):
    """The values of the body a history may hold (the outputs of its top-level ops)."""
    return [o for op in bg.ops if op.type != "Placeholder" for o in op.outputs]


def _unreplayable(cg, bg):
    """Indices into ``_values(bg)`` of what a replay cannot recompute: random draws and the
    reads of variables the loop assigns."""
    keys = _assigned(cg, bg)
    ops = [op for op in bg.ops if op.type != "Placeholder" for _ in op.outputs]
    return [i for i, op in enumerate(ops) if op.type in _graph.RANDOM or _drawing_if(op)
            or (op.type == "ReadVariableOp" and id(op.attrs["var"]) in keys)]  # fmt: skip


def _storing_body(bg, stored):
    """``bg`` with ``stored`` as extra outputs."""
    body = copy.copy(bg)
    body.outputs = list(bg.outputs) + list(stored)
    return body


def _with_history(op, keep):
    """The forward ``While`` node ``op`` made to output its history, keeping (at least) the
    loop variables and stored values ``keep`` names; returns the history output."""
    n, a = op.attrs["num_loop_vars"], op.attrs
    bg = a.get("th_body", a["body"])
    old = a.get("th_keep", ((), ()))
    keep = tuple(tuple(sorted(set(o) | set(k))) for o, k in zip(old, keep))
    values = _values(bg)
    body = _storing_body(bg, [values[i] for i in keep[1]])
    op.attrs = {**a, "body": body, "th_body": bg, _HISTORY: len(keep[1]), "th_keep": keep}
    if len(op.outputs) == n:
        op.outputs = [*op.outputs, _graph.GraphTensor(op, n, (), np.int32)]
    return op.outputs[n]


def _floats(y, bcaps, n0):
    """The float loop variables and the float captures whose gradients the tape keeps."""
    needed = _tape.tracked_inputs(bcaps)
    return ([k for k in range(n0) if _floating(y[k])],
            [k for k, c in enumerate(bcaps) if _floating(c) and needed[k]])  # fmt: skip


def _while_grad_stored(x, y, op, dys):
    g = _graph.current_graph()
    cg, bg = op.attrs["cond"], op.attrs.get("th_body", op.attrs["body"])
    n0 = op.attrs["num_loop_vars"]
    nx = len(x)
    bcaps = x[len(cg.inputs) :]
    fl, fc = _floats(y, bcaps, n0)
    if not fl and not fc:
        return [None] * nx
    hist = _with_history(op, _vjp_graphs(cg, bg, n0, tuple(fl), tuple(fc))[4])
    dv0 = [dys[k] if dys[k] is not None else _grad_rules.zeros_like(y[k]) for k in fl]
    dc0 = [_grad_rules.zeros_like(bcaps[k]) for k in fc]
    attrs = {"loop_cond": cg, "loop_body": bg, "num_loop_vars": n0, "float_vars": tuple(fl),
             "float_captures": tuple(fc)}  # fmt: skip
    if op.attrs.get("maximum_iterations") is not None:
        attrs["maximum_iterations"] = op.attrs["maximum_iterations"]
    ins = [*x, *y[:n0], hist, *dv0, *dc0]
    specs = [(t._gshape, t._dtype._np) for t in dv0 + dc0]
    outs = g._new_op(_graph.LOOP_GRAD, [g._input(t) for t in ins], attrs, specs).outputs
    result = [None] * nx
    for k, d in zip(fl + [nx - len(bcaps) + k for k in fc], outs):
        result[k] = d
    return result


_portable = threading.local()  # set while tracing a graph to be saved (``portable_traces``)


@contextlib.contextmanager
def portable_traces():
    """Trace loop gradients in their differentiable form (ops a saved graph can hold), never
    as a stored history walked by ``WhileGrad`` (a runtime-only node)."""
    prev = getattr(_portable, "on", False)
    _portable.on = True
    try:
        yield
    finally:
        _portable.on = prev


def has_runtime_only_ops(graph) -> bool:
    """Whether ``graph`` (or a graph inside it) holds a ``WhileGrad`` node."""
    return any(op.type == "WhileGrad" for op in graph.ops) or any(
        has_runtime_only_ops(g) for g in _nested(graph)
    )


def _while_grad(x, y, attrs, dys):
    op = y[0]._op if type(y[0]) is _graph.GraphTensor else None
    cg, bg = attrs["cond"], attrs.get("th_body", attrs["body"])
    if (
        op is not None
        and op.graph is _graph.current_graph()
        and not _recording_here()
        and not getattr(_portable, "on", False)
        and _storable(cg, bg)
    ):
        return _while_grad_stored(x, y, op, dys)
    return _while_grad_replaying(x, y, attrs, dys)


def _deferred_sum(t):
    """``(x, [(op type, attrs), ...])`` where ``t`` is ``x`` summed (and reshaped) by ops
    with static attrs and ``x`` has a static shape, else None: a capture's gradient summed
    over broadcast dims can be summed once after the loop instead of once per iteration."""
    chain = []
    op = t._op
    if op.type == "Reshape" and len(op.inputs) == 1:
        chain.append(op)
        op = op.inputs[0]._op
    if op.type != "Sum" or len(op.inputs) != 1 or None in op.inputs[0]._gshape:
        return None
    chain.append(op)
    return op.inputs[0], [(o.type, o.attrs) for o in reversed(chain)]


_STEPS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _vjp_graphs(cg, bg, n0, fl, fc, keep=None):
    """The backward step of a loop as graphs, ``(step, finish, init, deferred, needs)``:

    - ``step``: ``(kept loop variables, body captures, kept body values, the loop variables'
      gradients, the sums so far) -> (new gradients, new sums)``;
    - ``finish``: ``(sums, the captures' incoming gradients) -> the captures' gradients``;
    - ``init``: the initial values of the sums ``deferred`` names (the others start from the
      incoming gradients);
    - ``needs``: ``(loop variable indices, body value indices)`` the step reads: the values a
      replay cannot recompute and those the gradient rules read (a tanh's output, ...), so
      the step recomputes no part of the forward pass;
    - ``rows``: the positions in ``fc`` of the captures read by rows (``_row_reads``): the
      step outputs their rows' gradients and indices (after the sums), not a sum.

    ``keep`` (a superset of ``needs``) names the values the history holds (default ``needs``).
    Cached per body."""
    cache = _STEPS.setdefault(bg, {})
    key = (n0, fl, fc, keep)
    hit = cache.get(key)
    if hit is None:
        values = _values(bg)
        if keep is None:  # first with the values a replay cannot recompute, to find the rest
            first = _step_graph(bg, values, n0, fl, fc, _unreplayable(cg, bg), None)
            store = _whole_ops(
                values, set(first[6][1]) | _read_by_rules(first[0], values, first[1])
            )
        else:
            store = keep[1]
        hit = cache[key] = _step_graph(bg, values, n0, fl, fc, store, keep)[2:]
    return hit


def _whole_ops(values, idx):
    """``idx`` with the other outputs of the same ops (a replay takes an op's outputs from the
    history only when it holds all of them)."""
    ops = {id(values[i]._op) for i in idx}
    return tuple(i for i, v in enumerate(values) if id(v._op) in ops)


def _read_by_rules(g, values, env):
    """Indices of the body values whose replicas in step graph ``g`` the gradient rules'
    ops read (or ``g`` returns): storing those spares the step the forward recompute."""
    index = {id(env[id(v)]): i for i, v in enumerate(values) if id(v) in env}
    replica = {id(op) for op in g.ops if any(id(o) in index for o in op.outputs)}
    found = {index[id(t)] for t in g.outputs if id(t) in index}
    for op in g.ops:
        if id(op) not in replica:
            found.update(index[id(t)] for t in op.inputs if id(t) in index)
    return {i for i in found if _plain(values[i]._op)}


def _plain(op):
    """Whether a body value from ``op`` may be stored in place of its recompute: an op with a
    kernel gradient rule (a tape records it on the stored value)."""
    return (
        op.type in _grad_rules.RULES
        and op.type not in _graph.HANDLED
        and op.type not in _dynamic.LOCAL
        and not ({"gradient_rule", "custom_gradient"} & set(op.attrs))
    )


def _step_graph(bg, values, n0, fl, fc, store, keep):
    """``_vjp_graphs``'s graphs with the body values ``store`` fed in (not recomputed)."""
    g = _graph.Graph("while_body_grad")
    finish = _graph.Graph("while_grad_sums")
    init = _graph.Graph("while_grad_init")
    env: dict = {}
    with _graph.tracing(g):
        args = [g.placeholder(p._gshape, p._dtype._np) for p in bg.inputs]
        st = {i: g.placeholder(values[i]._gshape, values[i]._dtype._np) for i in store}
        dv = [g.placeholder(args[k]._gshape, args[k]._dtype._np) for k in fl]
        out_grads = [None] * n0
        for k, d in zip(fl, dv):
            out_grads[k] = d
        drawn = {id(values[i]): p for i, p in st.items()}
        rows = _row_reads(bg, n0, fc)
        reads = [op.outputs[0] for i in rows for op in rows[i]]
        skip = {n0 + fc[i] for i in rows}
        gs = _replay_vjp(bg, args, out_grads, drawn=drawn, env=env, skip=skip, extra=reads)
        outs = [gs[k] for k in fl]
        carried = [k for i, k in enumerate(fc) if i not in rows]
        deferred = [_deferred_sum(gs[n0 + k]) for k in carried]
        sums = []
        for k, dfr in zip(carried, deferred):
            x = gs[n0 + k] if dfr is None else dfr[0]
            sums.append(g.placeholder(x._gshape, x._dtype._np))
            outs.append(M.add(sums[-1], x))
        read_grads = iter(gs[len(args) :])
        for i in rows:  # each step's rows and their indices, summed once after the loop
            got = [(next(read_grads), env[id(op.inputs[1])]) for op in rows[i]]
            outs.append(_joined([A.reshape(d, [-1, *_grad_rules._shape(d)[ix.shape.rank :]])
                                 for d, ix in got]))  # fmt: skip
            outs.append(_joined([M.cast(A.reshape(ix, [-1]), _dt.int32) for _, ix in got]))
        g.outputs = [g._input(o) for o in outs]
    _graph_passes.prune(g)  # the forward recompute the gradients do not need goes
    used = {id(t) for op in g.ops for t in op.inputs} | {id(t) for t in g.outputs}
    needs = (tuple(k for k in range(n0) if id(args[k]) in used),
             tuple(i for i in _whole_ops(values, [i for i, p in st.items() if id(p) in used])
                   if i in st))  # fmt: skip
    kv, ks = needs if keep is None else keep
    g.inputs = [args[k] for k in kv] + args[n0:] + [st[i] for i in ks] + dv + sums
    inputs = {id(p) for p in g.inputs}
    g.ops = [op for op in g.ops if op.type != "Placeholder" or id(op.outputs[0]) in inputs]
    with _graph.tracing(finish):
        acc = [
            finish.placeholder(o._gshape, o._dtype._np) for o in outs[len(fl) : len(fl) + len(sums)]
        ]
        incoming = [
            finish.placeholder(args[n0 + k]._gshape, args[n0 + k]._dtype._np) for k in carried
        ]
        result = []
        for s, d, dfr in zip(acc, incoming, deferred):
            if dfr is not None:
                for op_type, attrs in dfr[1]:
                    s = _op(op_type, [s], attrs)
                s = M.add(d, s)
            result.append(s)
        finish.outputs = [finish._input(o) for o in result]
    deferred = [i for i, dfr in enumerate(deferred) if dfr is not None]
    with _graph.tracing(init):
        zeros = [
            A.zeros(list(outs[len(fl) + i]._gshape), outs[len(fl) + i].dtype) for i in deferred
        ]
        init.outputs = [init._input(z) for z in zeros]
    return g, env, g, finish, init, deferred, needs, tuple(rows)


def _joined(parts):
    return parts[0] if len(parts) == 1 else A.concat(parts, 0)


def _row_reads(bg, n0, fc):
    """``{i: the GatherV2 ops}`` for the float captures ``fc[i]`` that the body reads only by
    rows (a gather on axis 0, as ``xs[t]``): each step's gradient of such a read is its rows,
    not a capture-sized scatter into zeros, and the rows of all steps are summed into the
    capture's gradient once after the loop."""
    found = {}
    for i, k in enumerate(fc):
        p = bg.inputs[n0 + k]
        readers = [op for op in bg.ops if any(t is p for t in op.inputs)]
        if readers and all(t is not p for t in bg.outputs) and all(
            op.type == "GatherV2" and op.inputs[0] is p and op.inputs[1] is not p
            and op.attrs.get("axis") == 0 and not op.attrs.get("batch_dims")
            and op.inputs[1]._gshape is not None and _plain(op)
            for op in readers
        ):  # fmt: skip
            found[i] = readers
    return found


def _backward(graphs, m, device):
    """``back(history, capture buffers, gradient buffers) -> gradient buffers``, compiled, for
    ``_vjp_graphs``'s ``graphs`` (``m`` loop variables with gradients)."""

    def compiled(graph, guard=True):
        return _graph_exec.compile_graph(_graph_passes.optimize(graph, device), device, guard)

    run, finish = compiled(graphs[0], guard=False), compiled(graphs[1])
    zeros = compiled(graphs[2])()  # constant buffers, never written

    def kernel(op_type, ins, attrs):
        return _kernel_execute(op_type, ins, attrs, device)[0][0]

    def row_sum(rows, ids, incoming):
        rows, ids = [
            kernel("ConcatV2", p, {"axis": 0}) if len(p) > 1 else p[0] for p in (rows, ids)
        ]
        s = kernel("UnsortedSegmentSum", [rows, ids], {"num_segments": incoming.shape[0]})
        return kernel("AddV2", [incoming, s], {})

    def back(hist, caps, d):
        return _walk(graphs, m, run, finish, zeros, row_sum, hist, caps, d)

    return back


def _eager_backward(graphs, m, hist, caps, d):
    """``_backward`` op by op on eager tensors (recording tapes see it)."""

    def row_sum(rows, ids, incoming):
        s = M.unsorted_segment_sum(_joined(rows), _joined(ids), incoming.shape[0])
        return M.add(incoming, s)

    step, finish = (lambda *ins, g=g: replay(g, list(ins)) for g in graphs[:2])
    return _walk(graphs, m, step, finish, replay(graphs[2], []), row_sum, hist, caps, d)


def _walk(graphs, m, run, finish, zeros, row_sum, hist, caps, d):
    """The backward loop over a stored history, last iteration first: ``run`` one step,
    ``finish`` the summed gradients of the captures, ``row_sum`` those read by rows."""
    deferred, rows = graphs[3], graphs[5]
    incoming = list(d[m:])
    carried = [i for i in range(len(incoming)) if i not in rows]
    cur = [*d[:m], *(incoming[i] for i in carried)]
    for i, z in zip(deferred, zeros):
        cur[m + i] = z
    read = []
    for vs, st in reversed(hist):
        out = run(*vs, *caps, *st, *cur)
        cur = list(out[: len(cur)])
        read.append(out[len(cur) :])
    result = [None] * len(incoming)
    for i, g in zip(carried, finish(*cur[m:], *(incoming[i] for i in carried))):
        result[i] = g
    for j, i in enumerate(rows):
        result[i] = incoming[i]
        if read:
            parts = [r[2 * j : 2 * j + 2] for r in read]
            result[i] = row_sum([p[0] for p in parts], [p[1] for p in parts], incoming[i])
    return (*cur[:m], *result)


def _grad_parts(op):
    """What a ``WhileGrad`` node needs: its step graphs (for the values its forward loop
    keeps), the number of the forward's inputs and where the body's captures start."""
    a = op.attrs
    cg, bg, n0 = a["loop_cond"], a["loop_body"], a["num_loop_vars"]
    nx = len(op.inputs) - n0 - 1 - len(op.outputs)
    keep = op.inputs[nx + n0]._op.attrs["th_keep"]  # the forward loop's, for all its gradients
    graphs = _vjp_graphs(cg, bg, n0, a["float_vars"], a["float_captures"], keep)
    return graphs, nx, len(cg.inputs)


def _grad_handler(op, device):
    graphs, nx, b0 = _grad_parts(op)
    n0 = op.attrs["num_loop_vars"]
    back = _backward(graphs, len(op.attrs["float_vars"]), device)

    def while_grad(*bufs):
        return tuple(back(bufs[nx + n0], bufs[b0:nx], bufs[nx + n0 + 1 :]))

    return while_grad


def _grad_replay(op, ins):
    """``WhileGrad`` replayed: a node again in a graph (the differentiable form under a
    recording tape), the backward loop op by op eagerly."""
    a = op.attrs
    cg, bg, n0 = a["loop_cond"], a["loop_body"], a["num_loop_vars"]
    fl, fc = a["float_vars"], a["float_captures"]
    nx = len(op.inputs) - n0 - 1 - len(op.outputs)
    x, y, hist, d = ins[:nx], ins[nx : nx + n0], ins[nx + n0], ins[nx + n0 + 1 :]
    g = _graph.current_graph() if _tensor._tracing else None
    if g is not None and not _recording_here():
        specs = [(o._gshape, o._dtype._np) for o in op.outputs]
        return g._new_op(_graph.LOOP_GRAD, [g._input(t) for t in ins], a, specs).outputs
    if g is not None:
        dys = [None] * n0
        for k, dd in zip(fl, d):
            dys[k] = dd
        attrs = {"cond": cg, "body": bg, "num_loop_vars": n0}
        if "maximum_iterations" in a:
            attrs["maximum_iterations"] = a["maximum_iterations"]
        grads = _while_grad_replaying(x, y, attrs, dys)
        return [grads[k] for k in fl] + [grads[nx - len(bg.inputs) + n0 + k] for k in fc]
    graphs, nx, b0 = _grad_parts(op)
    return _eager_backward(graphs, len(fl), hist, x[b0:], d)


class _EagerLoop:
    """A ``While`` node replayed under one tape: the compiled loop storing its history, one
    tape record whose gradient walks the history back with the compiled backward step."""

    def __init__(self, op):
        a = op.attrs
        self.cond, self.body, self.n = a["cond"], a["body"], a["num_loop_vars"]
        self.nc = len(self.cond.inputs) - self.n
        self.maxit = a.get("maximum_iterations")
        fl = tuple(k for k in range(self.n) if _floating(self.body.inputs[k]))
        fc = tuple(k for k, p in enumerate(self.body.inputs[self.n :]) if _floating(p))
        self.keep = _vjp_graphs(self.cond, self.body, self.n, fl, fc)[4]
        self._forward: dict = {}
        self._backward: dict = {}

    def forward(self, device):
        run = self._forward.get(id(device))
        if run is None:
            values = _values(self.body)
            body = _storing_body(self.body, [values[i] for i in self.keep[1]])
            cond = _graph_exec.compile_graph(
                _graph_passes.optimize(self.cond, device), device, False
            )
            body = _graph_exec.compile_graph(_graph_passes.optimize(body, device), device, False)
            run = _graph_exec.history_loop(cond, body, self.n, self.nc, self.maxit, device,
                                      self.keep[0])  # fmt: skip
            whole = _graph.Graph("while")  # the loop holds its variables' locks once
            whole.ops = self.cond.ops + self.body.ops
            run = self._forward[id(device)] = _graph_exec.holding_update_locks(whole, run)
        return run

    def graphs(self, fl, fc):
        return _vjp_graphs(self.cond, self.body, self.n, fl, fc, self.keep)

    def backward(self, device, fl, fc):
        key = (id(device), fl, fc)
        run = self._backward.get(key)
        if run is None:
            run = self._backward[key] = _backward(self.graphs(fl, fc), len(fl), device)
        return run

    def __call__(self, ins):
        device = current_device() or ins[0]._device
        bufs = [t._value if t._device is device else copy_to_device(t._value, t._device, device)
                for t in ins]  # fmt: skip
        *vs, hist = self.forward(device)(*bufs)
        outs = [_tensor.Tensor(b, device) for b in vs]
        attrs = {"gradient_rule": "th_while_history", "loop": self, "history": hist,
                 "device": device}  # fmt: skip
        _tape.record("WhileHistory", list(ins), outs, attrs)
        return outs


_EAGER_LOOPS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _eager_while(op, ins):
    """A ``While`` node replayed eagerly under at most one recording tape (none records its
    backward pass): run compiled, recorded as one op; None where the loop must unroll."""
    if op.attrs.get(_HISTORY) is not None or sum(t._recording for t in _tape._stack()) > 1:
        return None
    loop = _EAGER_LOOPS.get(op)
    if loop is None:
        cg, bg = op.attrs["cond"], op.attrs["body"]
        ranked = all(t._gshape is not None for t in cg.inputs + bg.inputs)  # else unroll
        fits = ranked and _storable(cg, bg) and not _calls_python(bg)
        loop = _EAGER_LOOPS[op] = _EagerLoop(op) if fits else False
    return loop(ins) if loop else None


def _history_grad(x, y, attrs, dys):
    loop, device = attrs["loop"], attrs["device"]
    n0 = loop.n
    caps = x[n0 + loop.nc :]
    fl, fc = _floats(y, caps, n0)
    if not fl and not fc:
        return [None] * len(x)
    fl, fc = tuple(fl), tuple(fc)
    d = [dys[k] if dys[k] is not None else _grad_rules.zeros_like(y[k]) for k in fl]
    d += [_grad_rules.zeros_like(caps[k]) for k in fc]
    hist = attrs["history"]
    if _recording_here():  # a tape records the backward pass: op by op
        hist = [([_tensor.Tensor(b, device) for b in vs], [_tensor.Tensor(b, device) for b in st])
                for vs, st in hist]  # fmt: skip
        d = _eager_backward(loop.graphs(fl, fc), len(fl), hist, caps, d)
    else:
        bufs = [t._value if t._device is device else copy_to_device(t._value, t._device, device)
                for t in [*caps, *d]]  # fmt: skip
        back = loop.backward(device, fl, fc)
        d = [_tensor.Tensor(b, device) for b in back(hist, bufs[: len(caps)], bufs[len(caps) :])]
    result = [None] * len(x)
    for k, g in zip(fl + tuple(len(x) - len(caps) + k for k in fc), d):
        result[k] = g
    return result


def _rule(fn):
    def rule(x, y, attrs, dys):
        return [None] * len(x) if all(d is None for d in dys) else fn(x, y, attrs, list(dys))

    return rule


_tape.NAMED_RULES.update(
    th_stack_row=_read_row_grad,
    th_padded=_padded_grad,
    th_prefix=_prefix_grad,
    th_while_history=_rule(_history_grad),
)
_graph.HOOKS.update(grad_handler=_grad_handler, grad_replay=_grad_replay, eager_while=_eager_while)
_tape.CONTROL_FLOW_RULES.update(
    If=_rule(_if_grad), StatelessIf=_rule(_if_grad),
    While=_rule(_while_grad), StatelessWhile=_rule(_while_grad),
)  # fmt: skip
_function.HOOKS["portable_traces"] = portable_traces
