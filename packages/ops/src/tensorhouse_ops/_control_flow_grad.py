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
  record saw before the loop).

Stateful random ops: an ``If`` recorded on a tape outputs what its branches draw, and its
gradient replays the branch on those numbers; a loop that draws them has no gradient here
(``UnimplementedError``; its replays would draw other numbers).
"""

from __future__ import annotations

from . import _array as A
from . import _grad_rules, _graph, _tape
from . import _math as M
from . import dtypes as _dt
from ._function import cond, while_loop
from ._graph import replay
from ._tensor import _op, errors


def _floating(t):
    return t.dtype.is_floating


def _replay_vjp(graph, args, dys, state=None, drawn=None):
    """Gradients of ``sum(out * dy)`` over ``graph(*args)``'s outputs w.r.t. each arg
    (None for non-float args; zeros where unconnected). Runs in the graph being traced."""
    g = _graph.current_graph()
    local = [g._input(a) for a in args]
    with _tape.GradientTape(watch_accessed_variables=False) as tape:
        for a in local:
            if _floating(a):
                tape.watch(a)
        outs = replay(graph, local, effects=False, state=state, drawn=drawn)
    pairs = [(o, d) for o, d in zip(outs, dys) if d is not None and _floating(o)]
    srcs = [a for a in local if _floating(a)]
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
    return [next(grads) if _floating(a) else None for a in local]


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


def _while_grad(x, y, attrs, dys):
    cg, bg = attrs["cond"], attrs["body"]
    _no_random([cg, bg], "a tf.while_loop")
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


def _rule(fn):
    def rule(x, y, attrs, dys):
        return [None] * len(x) if all(d is None for d in dys) else fn(x, y, attrs, list(dys))

    return rule


_tape.NAMED_RULES.update(
    th_stack_row=_read_row_grad, th_padded=_padded_grad, th_prefix=_prefix_grad
)
_tape.CONTROL_FLOW_RULES.update(
    If=_rule(_if_grad), StatelessIf=_rule(_if_grad),
    While=_rule(_while_grad), StatelessWhile=_rule(_while_grad),
)  # fmt: skip
