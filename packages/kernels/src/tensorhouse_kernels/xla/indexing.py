"""XLA index-driven functions: gathers, scatters, UnsortedSegmentSum, OneHot, Where."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._base import (
    _static_cast,
)

# JAX's modules, bound by bind() when the first XLA kernel runs (importing this
# module loads no JAX; Any: the type checker sees modules at the call sites)
jnp: Any = None


def bind(jax_module, numpy_module, lax_module) -> None:
    """Bind JAX's modules here (``xla._load`` calls it once JAX is imported)."""
    global jnp
    jnp = numpy_module


# ---- index-driven ops --------------------------------------------------------------------------


def _gather(inputs, attrs):
    params, idx = inputs
    axis = int(attrs.get("axis", 0)) % params.ndim
    if not params.shape[axis] or not idx.size:
        shape = params.shape[:axis] + idx.shape + params.shape[axis + 1 :]
        return [jnp.zeros(shape, params.dtype)]
    return [jnp.take(params, idx, axis=axis, mode="clip")]


def _nd_flat(idx, dims):
    """Flat offsets (int64) of index tuples into ``dims``; out-of-range parts are clamped."""
    k = len(dims)
    off = jnp.zeros(idx.shape[:-1], jnp.int64)
    for d in range(k):
        col = jnp.clip(idx[..., d].astype(jnp.int64), 0, max(dims[d] - 1, 0))
        off = off * dims[d] + col
    return off


def _gather_nd(inputs, attrs):
    params, idx = inputs
    k = idx.shape[-1]
    lead, rest = params.shape[:k], params.shape[k:]
    batch = idx.shape[:-1]
    rows = math.prod(lead)
    if rows == 0 or math.prod(batch) == 0:
        return [jnp.zeros(batch + rest, params.dtype)]
    flat = jnp.reshape(params, (rows,) + rest)
    return [jnp.take(flat, _nd_flat(idx, lead), axis=0, mode="clip")]


def _scatter_nd(inputs, attrs):
    idx, updates = inputs
    shape = tuple(int(d) for d in attrs["shape"])
    k = idx.shape[-1]
    lead, rest = shape[:k], shape[k:]
    rows = math.prod(lead)
    count = math.prod(idx.shape[:-1])
    if rows == 0 or count == 0 or math.prod(rest) == 0:
        return [jnp.zeros(shape, updates.dtype)]
    off = jnp.reshape(_nd_flat(idx, lead), (count,))
    upd = jnp.reshape(updates, (count,) + rest)
    out = jnp.zeros((rows,) + rest, updates.dtype).at[off]
    out = out.max(upd, mode="drop") if upd.dtype == jnp.bool_ else out.add(upd, mode="drop")
    return [jnp.reshape(out, shape)]  # bools add by OR: the max of False / True


def _tensor_scatter_update(inputs, attrs):
    """TensorScatterUpdate with the CPU's rule for duplicate indices (the last update wins):
    each slot records the last update aimed at it, and only those updates are written."""
    x, idx, updates = inputs
    k = idx.shape[-1]
    lead, rest = x.shape[:k], x.shape[k:]
    rows = math.prod(lead)
    count = math.prod(idx.shape[:-1])
    if rows == 0 or count == 0 or math.prod(rest) == 0:
        return [x]
    off = jnp.reshape(_nd_flat(idx, lead), (count,))
    order = jnp.arange(count, dtype=jnp.int64)
    last = jnp.full((rows,), -1, jnp.int64).at[off].max(order)
    target = jnp.where(last[off] == order, off, rows)  # losers aimed past the end: dropped
    upd = jnp.reshape(updates, (count,) + rest)
    out = jnp.reshape(x, (rows,) + rest).at[target].set(upd, mode="drop")
    return [jnp.reshape(out, x.shape)]


def _segment_sum(inputs, attrs):
    data, ids = inputs
    n = int(attrs["num_segments"])
    rest = data.shape[ids.ndim :]
    m = math.prod(ids.shape)
    if n == 0 or m == 0 or math.prod(rest) == 0:
        return [jnp.zeros((n,) + rest, data.dtype)]
    flat_ids = jnp.reshape(ids, (m,)).astype(jnp.int64)
    flat_ids = jnp.where(flat_ids < 0, n, flat_ids)  # negative ids are dropped, as TF
    rows = jnp.reshape(data, (m,) + rest)
    return [jnp.zeros((n,) + rest, data.dtype).at[flat_ids].add(rows, mode="drop")]


def _one_hot(inputs, attrs):
    (idx,) = inputs
    depth = int(attrs["depth"])
    axis = int(attrs.get("axis", -1))
    dt = np.dtype(attrs.get("dtype", "float32"))
    on = jnp.asarray(_static_cast(attrs.get("on_value", 1), dt), dt)
    off = jnp.asarray(_static_cast(attrs.get("off_value", 0), dt), dt)
    hot = idx.astype(jnp.int64)[..., None] == jnp.arange(depth, dtype=jnp.int64)
    hot = jnp.moveaxis(hot, -1, idx.ndim if axis == -1 else axis)
    return [jnp.where(hot, on, off)]


def _where(inputs, attrs):
    (x,) = inputs
    return [jnp.argwhere(x != 0 if x.dtype != np.bool_ else x).astype(jnp.int64)]


TABLE: dict = {  # op type -> fn(inputs, attrs) -> [outputs]
    "GatherV2": _gather, "GatherNd": _gather_nd, "ScatterNd": _scatter_nd,
    "TensorScatterUpdate": _tensor_scatter_update, "UnsortedSegmentSum": _segment_sum,
    "OneHot": _one_hot, "Where": _where,
}  # fmt: skip
