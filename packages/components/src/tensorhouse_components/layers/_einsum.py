"""Two-operand einsum as one (batched) matmul, laid out to move as little data as possible.

The layers' contractions (EinsumDense, attention scores and sums, ``Dot``) go through
``einsum`` here. Of the layouts that make an operand a ``[batch, rows, cols]`` matrix stack,
the plan picks the one each operand already has (a free reshape), uses ``matmul``'s
``transpose_a`` / ``transpose_b`` for the other orientation, and computes ``(A B)^T`` as
``B^T A^T`` when that is the output's order; a transpose is left only where no layout fits.
Unknown (traced) dims are reshaped to their run-time sizes.
"""

from __future__ import annotations

import functools
import itertools
import math as _pymath

import tensorhouse_ops as _ops
from tensorhouse_ops import shape as _shape

__all__ = ["einsum"]

_UNKNOWN = 1024  # the size a plan assumes for an unknown dim


class _Plan:
    """Where each operand goes: its transpose (None: as it is), its matrix groups and flag."""

    def __init__(self, perm_a, groups_a, flag_a, perm_b, groups_b, flag_b, swap, order, perm):
        self.perm_a, self.groups_a, self.flag_a = perm_a, groups_a, flag_a
        self.perm_b, self.groups_b, self.flag_b = perm_b, groups_b, flag_b
        self.swap, self.order, self.perm = swap, order, perm


def _perm(term, layout):
    p = [term.index(c) for c in layout]
    return None if p == list(range(len(p))) else p


def _orders(letters, *terms):
    """The distinct orders of ``letters`` as they appear in each of ``terms``."""
    seen = []
    for term in terms:
        o = "".join(c for c in term if c in letters)
        if o not in seen:
            seen.append(o)
    return seen


def _moved(term, layout, count):
    """What transposing ``term`` to ``layout`` costs: its elements, twice when the last axis
    moves (a strided gather instead of contiguous row copies)."""
    if term == layout:
        return 0
    return count if layout[-1] == term[-1] else 2 * count


def _pick(term, options):
    """The cheapest of ``(layout, groups, flag)`` options for an operand labelled ``term``."""
    return min(options, key=lambda o: _moved(term, o[0], 1))


@functools.lru_cache(maxsize=512)
def _plan(ta, tb, out, sizes):
    """The cheapest plan (fewest elements transposed) for ``ta,tb->out``; ``sizes`` maps each
    letter to its size (``_UNKNOWN`` where not known)."""
    size = dict(sizes)
    batch = "".join(c for c in out if c in ta and c in tb)
    contract = "".join(c for c in ta if c in tb and c not in out)
    fa = "".join(c for c in ta if c not in tb)
    fb = "".join(c for c in tb if c not in ta)

    def count(term):
        return _pymath.prod(size[c] for c in term)

    best, best_cost = None, None
    for bo, co, ao, fo in itertools.product(
        _orders(batch, out, ta, tb), _orders(contract, ta, tb), _orders(fa, out, ta),
        _orders(fb, out, tb),
    ):  # fmt: skip
        # operand a: [batch, fa, contract] as is, or [batch, contract, fa] read transposed
        la = _pick(ta, [(bo + ao + co, (bo, ao, co), False), (bo + co + ao, (bo, co, ao), True)])
        lb = _pick(tb, [(bo + co + fo, (bo, co, fo), False), (bo + fo + co, (bo, fo, co), True)])
        cost = _moved(ta, la[0], count(ta)) + _moved(tb, lb[0], count(tb))
        for swap in (False, True):
            order = bo + (fo + ao if swap else ao + fo)
            total = cost + _moved(order, out, count(out))
            if best_cost is None or total < best_cost:
                best_cost = total
                best = _Plan(
                    _perm(ta, la[0]), la[1], la[2], _perm(tb, lb[0]), lb[1], lb[2], swap, order,
                    _perm(order, out),
                )  # fmt: skip
    return best


def _matrices(x, groups, dims):
    """``x`` reshaped to ``[batch, rows, cols]`` (``[rows, cols]`` without batch letters)."""
    shape = [_group_size(g, dims) for g in groups]
    if not groups[0]:
        shape = shape[1:]
    return _reshape(x, shape)


def _reshape(x, shape):
    """``reshape``, skipped where ``x`` has that static shape already."""
    if all(isinstance(d, int) for d in shape) and x.shape.as_list() == shape:
        return x
    return _ops.reshape(x, shape)


def _group_size(letters, dims):
    out = 1
    for c in letters:
        d = dims[c]
        out = d * out if isinstance(out, int) else out * d
    return out


def einsum(equation, *operands):
    """``tensorhouse_ops.einsum`` for the layers; two operands of one dtype with an explicit
    output (no ``...``, no index repeated in one operand) run as one matmul, planned above."""
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    terms = lhs.split(",")
    if (
        len(operands) != 2 or not arrow or "." in eq
        or any(len(set(t)) != len(t) for t in terms)
        or any(len(t) != len(x.shape.as_list()) for t, x in zip(terms, operands))
        or operands[0].dtype != operands[1].dtype
    ):  # fmt: skip
        return _ops.einsum(equation, *operands)
    ts = list(operands)
    for k in range(2):  # an index only one operand has and the output drops: summed first
        keep = terms[1 - k] + out
        drop = [i for i, c in enumerate(terms[k]) if c not in keep]
        if drop:
            ts[k] = _ops.reduce_sum(ts[k], axis=drop)
            terms[k] = "".join(c for c in terms[k] if c in keep)
    (ta, tb), (a, b) = terms, ts
    dims = {}
    for term, t in ((ta, a), (tb, b)):
        static = t.shape.as_list()
        run_time = _shape(t) if None in static else None
        for i, (c, d) in enumerate(zip(term, static)):
            if d is not None:
                if isinstance(dims.get(c), int) and dims[c] != d:  # the ops layer's error
                    return _ops.einsum(equation, *operands)
                dims[c] = d  # a static size wins over a run-time one
            elif c not in dims:
                dims[c] = run_time[i]
    key = tuple(sorted((c, d if isinstance(d, int) else _UNKNOWN) for c, d in dims.items()))
    plan = _plan(ta, tb, out, key)
    if plan.perm_a is not None:
        a = _ops.transpose(a, plan.perm_a)
    if plan.perm_b is not None:
        b = _ops.transpose(b, plan.perm_b)
    a3, b3 = _matrices(a, plan.groups_a, dims), _matrices(b, plan.groups_b, dims)
    if plan.swap:  # (A B)^T = B^T A^T: the product comes out [batch, fb, fa]
        r = _ops.matmul(b3, a3, transpose_a=not plan.flag_b, transpose_b=not plan.flag_a)
    else:
        r = _ops.matmul(a3, b3, transpose_a=plan.flag_a, transpose_b=plan.flag_b)
    r = _reshape(r, [dims[c] for c in plan.order])
    return r if plan.perm is None else _ops.transpose(r, plan.perm)
