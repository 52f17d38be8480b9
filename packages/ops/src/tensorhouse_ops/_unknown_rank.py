"""Shape rules for traced tensors of unknown rank (``TensorSpec(None, dtype)``).

The kernels' shape rules need ranks. For an op with an input of unknown rank, the rule is
run with that input given each of a few ranks (all dims unknown); where every rank it accepts
gives outputs of one rank, that rank is kept (dims that differ become None), else the output
rank is unknown, as TF's shape inference gives (``reshape(x, [-1])`` is ``(None,)``,
``reduce_sum(x)`` is ``()``, ``x + y`` is unknown). Nothing runs: a graph holding such tensors
runs once per set of input shapes, specialized to them (``_graph.specialize``).
"""

from __future__ import annotations

_RANKS = (0, 1, 2, 3, 4, 5)


def infer(rule, shapes, dtypes, attrs):
    """``rule(shapes, dtypes, attrs)`` for inputs where a shape may be None (unknown rank)."""
    results, first_error = [], None
    for r in _RANKS:
        subs = [(None,) * r if s is None else s for s in shapes]
        try:
            results.append(rule(subs, dtypes, attrs))
        except Exception as e:  # that rank is not one the op takes
            if first_error is None:
                first_error = e
    if not results:
        raise first_error  # type: ignore[misc]
    out = []
    for i, (shape, dtype) in enumerate(results[0]):
        others = [res[i][0] for res in results[1:]]
        if shape is None or any(o is None or len(o) != len(shape) for o in others):
            out.append((None, dtype))
            continue
        dims = [d if all(o[k] == d for o in others) else None for k, d in enumerate(shape)]
        out.append((tuple(dims), dtype))
    return out


def live_copy(graph, side_effects):
    """A shallow copy of ``graph`` holding only the ops its outputs and side effects need (a
    graph of unknown ranks is specialized op by op: a dead op may not take the given shapes)."""
    live: set = set()
    stack = [t._op for t in graph.outputs if hasattr(t, "_op")]
    stack += [op for op in graph.ops if op.type in side_effects]
    stack += [ph._op for ph in graph.inputs]
    while stack:
        op = stack.pop()
        if id(op) not in live:
            live.add(id(op))
            stack.extend(t._op for t in op.inputs)
    import copy  # only when pruning a graph: a first op skips it

    out = copy.copy(graph)
    out.ops = [op for op in graph.ops if id(op) in live]
    return out
