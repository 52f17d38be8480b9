"""Keras 3's core functions: control flow, conversion, shapes, slices and scatters."""

# ruff: noqa: A001  (Keras's names: slice, map)

from __future__ import annotations

import numpy as np

import tensorhouse_ops as tops
from tensorhouse_ops import nest

from ._dtypes import standardize_dtype, to_tensor

_t = to_tensor


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """A tensor of ``x`` (Python floats in floatx), cast to ``dtype`` when given."""
    if sparse:
        raise ValueError("tensorhouse has no sparse tensors: `sparse=True` is not supported.")
    if ragged:
        raise ValueError("tensorhouse has no ragged tensors: `ragged=True` is not supported.")
    return _t(x, dtype)


def convert_to_numpy(x):
    """A NumPy array of a tensor, variable or nested Python value."""
    if tops.is_tensor(x) and not isinstance(x, tops.Tensor | tops.Variable):
        return np.asarray(x.numpy())  # ragged and sparse tensors
    return np.asarray(x)


def is_tensor(x):
    """Whether ``x`` is a tensor of this backend."""
    return tops.is_tensor(x) and not isinstance(x, tops.Variable)


def shape(x):
    """The static shape of ``x`` as a tuple (None for unknown dimensions)."""
    if not hasattr(x, "shape"):
        x = _t(x)
    return tuple(x.shape)


def dtype(x):
    """``x``'s dtype name, a string."""
    return standardize_dtype(_t(x).dtype if not hasattr(x, "dtype") else x.dtype)


def cast(x, dtype):
    """``x`` in ``dtype``."""
    return _t(x, standardize_dtype(dtype))


def saturate_cast(x, dtype):
    """``x`` in ``dtype``, clipped to its range first."""
    return tops.saturate_cast(_t(x), standardize_dtype(dtype))


def stop_gradient(variable):
    """``variable``'s value, with no gradient through it."""
    return tops.stop_gradient(_t(variable) if not isinstance(variable, tops.Variable) else variable)


def _static(values, name):
    try:
        arr = values.numpy() if hasattr(values, "numpy") else values
        return [int(v) for v in np.asarray(arr).reshape(-1)]
    except NotImplementedError:
        raise ValueError(
            f"`{name}` must be known while tracing (Python ints or a constant tensor)."
        ) from None


def slice(inputs, start_indices, shape):
    """The block of ``inputs`` at ``start_indices`` of size ``shape``."""
    return tops.slice(_t(inputs), start_indices, shape)


def slice_update(inputs, start_indices, updates):
    """``inputs`` with the block at ``start_indices`` replaced by ``updates``."""
    inputs = _t(inputs)
    updates = _t(updates, inputs.dtype)
    start = _static(start_indices, "start_indices")
    pads = [[s, d - s - u] for s, d, u in zip(start, inputs.shape, updates.shape)]
    if any(p[1] < 0 or p[0] < 0 for p in pads):
        raise ValueError(
            f"`updates` of shape {tuple(updates.shape)} at {start} do not fit in "
            f"`inputs` of shape {tuple(inputs.shape)}."
        )
    mask = tops.pad(tops.ones(updates.shape.as_list(), "bool"), pads, constant_values=False)
    return tops.where(mask, tops.pad(updates, pads), inputs)


def scatter(indices, values, shape):
    """Zeros of ``shape`` with ``values`` added at ``indices`` (repeats add up)."""
    indices = tops.cast(_t(indices), "int32")
    return tops.scatter_nd(indices, _t(values), list(shape))


def scatter_update(inputs, indices, updates, reduction=None):
    """``inputs`` with ``updates`` written at ``indices`` (``reduction="add"`` adds)."""
    inputs = _t(inputs)
    indices = tops.cast(_t(indices), "int32")
    updates = _t(updates, inputs.dtype)
    if reduction is None:
        return tops.tensor_scatter_nd_update(inputs, indices, updates)
    if reduction == "add":
        return tops.tensor_scatter_nd_add(inputs, indices, updates)
    raise ValueError(f"Unsupported reduction: {reduction}. Expected None or 'add'.")


def cond(pred, true_fn, false_fn):
    """``true_fn()`` if ``pred`` else ``false_fn()`` (a graph op when traced)."""
    return tops.cond(pred, true_fn, false_fn)


def switch(index, branches, *operands):
    """``branches[index](*operands)``, the index clamped to the branches' range."""
    index = tops.cast(_t(index), "int32")
    index = tops.minimum(tops.maximum(index, 0), len(branches) - 1)

    def pick(i):
        if i == len(branches) - 1:
            return branches[i](*operands)
        return tops.cond(tops.equal(index, i), lambda: branches[i](*operands), lambda: pick(i + 1))

    return pick(0)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Run ``body`` while ``cond`` holds; ``loop_vars`` a tuple / list (or a single value)."""
    single = not isinstance(loop_vars, tuple | list)
    vars_ = (loop_vars,) if single else tuple(loop_vars)
    vars_ = tuple(nest.map_structure(_t, v) for v in vars_)

    def c(*args):
        return cond(*args)

    def b(*args):
        out = body(*args)
        if single:
            return (out,)
        return tuple(out) if isinstance(out, tuple | list) else (out,)

    out = tops.while_loop(c, b, vars_, maximum_iterations=maximum_iterations)
    out = tuple(out) if isinstance(out, tuple | list) else (out,)
    if single:
        return out[0]
    return list(out) if isinstance(loop_vars, list) else out


def fori_loop(lower, upper, body_fun, init_val):
    """``init_val`` through ``body_fun(i, val)`` for ``i`` in ``range(lower, upper)``."""
    flat = [_t(v) for v in nest.flatten(init_val)]

    def c(i, *vals):
        return tops.less(i, upper)

    def b(i, *vals):
        out = body_fun(i, nest.pack_sequence_as(init_val, list(vals)))
        return (i + 1, *nest.flatten(out))

    out = tops.while_loop(c, b, (_t(lower, "int32"), *flat))
    return nest.pack_sequence_as(init_val, list(out[1:]))


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """Carry ``init`` through ``f(carry, x)`` over ``xs``' first axis; returns the final carry
    and the stacked outputs (the loop is unrolled at trace time, so the length must be known)."""
    flat_xs = [] if xs is None else [_t(v) for v in nest.flatten(xs)]
    if length is None:
        if not flat_xs:
            raise ValueError("`length` must be given when `xs` is None.")
        length = flat_xs[0].shape[0]
    steps = range(length - 1, -1, -1) if reverse else range(length)
    carry, ys = (None if init is None else nest.map_structure(_t, init)), []
    for i in steps:
        x = None if xs is None else nest.pack_sequence_as(xs, [v[i] for v in flat_xs])
        carry, y = f(carry, x)
        ys.append(y)
    if reverse:
        ys.reverse()
    if not ys or ys[0] is None:
        return carry, None
    stacked = [tops.stack([_t(v) for v in parts]) for parts in
               zip(*[nest.flatten(y) for y in ys])]  # fmt: skip
    return carry, nest.pack_sequence_as(ys[0], stacked)


def map(f, xs):
    """``f`` applied to each entry of ``xs``' first axis, the results stacked."""
    return scan(lambda c, x: (c, f(x)), None, xs)[1]


def vectorized_map(function, elements):
    """``function`` applied to each entry along the first axis, the results stacked."""
    return map(function, elements)


def associative_scan(f, elems, reverse=False, axis=0):
    """The inclusive scan of ``f`` along ``axis`` (sequential, unrolled at trace time)."""
    flat = [_t(v) for v in nest.flatten(elems)]
    moved = [tops.transpose(v, _front(axis, len(v.shape))) for v in flat]
    n = moved[0].shape[0]
    order = range(n - 1, -1, -1) if reverse else range(n)
    acc, outs = None, {}
    for i in order:
        cur = nest.pack_sequence_as(elems, [v[i] for v in moved])
        acc = cur if acc is None else f(acc, cur)
        outs[i] = nest.flatten(acc)
    stacked = [tops.stack([outs[i][k] for i in range(n)]) for k in range(len(flat))]
    back = [tops.transpose(v, np.argsort(_front(axis, len(v.shape))).tolist()) for v in stacked]
    return nest.pack_sequence_as(elems, back)


def _front(axis, nd):
    axis %= nd
    return [axis] + [a for a in range(nd) if a != axis]


def custom_gradient(f):
    """A function with its own gradient: ``f`` returns ``(output, grad_fn)`` and
    ``grad_fn(*args, upstream=None)`` takes the upstream gradient."""

    return tops.custom_gradient(f)


def unstack(x, num=None, axis=0):
    """``x`` as a list of tensors along ``axis``."""
    return tops.unstack(_t(x), num=num, axis=axis)


__all__ = sorted(
    n
    for n, v in globals().items()
    if callable(v) and not n.startswith("_") and getattr(v, "__module__", None) == __name__
)
