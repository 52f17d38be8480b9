"""XLA reductions and ops along one axis: Sum ..., ArgMax / ArgMin, cumulative, TopKV2."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .elementwise import (
    _c,
    _isnan,
)

# JAX's modules, bound by bind() when the first XLA kernel runs (importing this
# module loads no JAX; Any: the type checker sees modules at the call sites)
jnp: Any = None
lax: Any = None


def bind(jax_module, numpy_module, lax_module) -> None:
    """Bind JAX's modules here (``xla._load`` calls it once JAX is imported)."""
    global jnp, lax
    jnp = numpy_module
    lax = lax_module


# ---- reductions --------------------------------------------------------------------------------


def _axes(attrs, ndim):
    axis = attrs.get("axis")
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int | np.integer):
        axis = (axis,)
    return tuple(sorted({int(a) % ndim for a in axis})) if ndim else ()


def _acc(x):
    """float32 sums and products accumulate in float64, as the C++ kernels do."""
    return x.astype(jnp.float64) if x.dtype == np.float32 else x


def _reduce_fn(kind):
    def fn(inputs, attrs):
        (x,) = inputs
        axes = _axes(attrs, x.ndim)
        keep = bool(attrs.get("keep_dims", False))
        dt = x.dtype
        if kind == "Sum":
            out = jnp.sum(_acc(x), axis=axes, keepdims=keep, dtype=_acc(x).dtype)
        elif kind == "Prod":
            out = jnp.prod(_acc(x), axis=axes, keepdims=keep, dtype=_acc(x).dtype)
        elif kind in ("Max", "Min"):
            if dt.kind == "f":
                ident = -np.inf if kind == "Max" else np.inf
            else:
                ident = np.iinfo(dt).min if kind == "Max" else np.iinfo(dt).max
            red = jnp.max if kind == "Max" else jnp.min
            out = red(x, axis=axes, keepdims=keep, initial=ident)
            if dt.kind == "f":  # NaN propagates, whatever the platform's max does
                nan = jnp.any(_isnan(x), axis=axes, keepdims=keep)
                out = jnp.where(nan, _c(np.nan, out), out)
        elif kind == "Mean":
            count = math.prod(x.shape[a] for a in axes)
            if dt.kind in "iu" and dt.itemsize < 8:  # summed in int64 (no overflow), as TF
                s = jnp.sum(x.astype(jnp.int64), axis=axes, keepdims=keep, dtype=jnp.int64)
                return [(lax.div(s, _c(count, s)) if count else jnp.zeros_like(s)).astype(dt)]
            s = jnp.sum(_acc(x), axis=axes, keepdims=keep, dtype=_acc(x).dtype).astype(dt)
            if dt.kind in "fc":
                if not count:
                    return [jnp.full(s.shape, np.nan, dt)]
                out = s * (dt.type(1) / dt.type(count))
            else:
                out = lax.div(s, _c(count, s)) if count else jnp.zeros_like(s)
        elif kind == "All":
            out = jnp.all(x, axis=axes, keepdims=keep)
        else:  # Any
            out = jnp.any(x, axis=axes, keepdims=keep)
        return [jnp.asarray(out).astype(dt)]

    return fn


# ---- ops along one axis ------------------------------------------------------------------------


def _arg_fn(is_max):
    def fn(inputs, attrs):
        (x,) = inputs
        axis = int(attrs.get("axis", 0)) % x.ndim
        out_type = np.dtype(attrs.get("output_type", "int64"))
        f = jnp.argmax if is_max else jnp.argmin
        idx = f(x, axis=axis)
        if x.dtype.kind == "f":  # the first NaN wins, as the C++ kernel
            nan = _isnan(x)
            idx = jnp.where(jnp.any(nan, axis=axis), jnp.argmax(nan, axis=axis), idx)
        return [idx.astype(out_type)]

    return fn


def _cumulative_fn(prod):
    def fn(inputs, attrs):
        (x,) = inputs
        axis = int(attrs.get("axis", 0)) % x.ndim
        exclusive, reverse = bool(attrs.get("exclusive")), bool(attrs.get("reverse"))
        if x.size == 0:
            return [jnp.zeros(x.shape, x.dtype)]
        op = lax.cumprod if prod else lax.cumsum
        out = op(x, axis=axis, reverse=reverse)
        if exclusive:
            n = x.shape[axis]
            ident = jnp.full(x.shape[:axis] + (1,) + x.shape[axis + 1 :], 1 if prod else 0, x.dtype)
            if reverse:
                body = lax.slice_in_dim(out, 1, n, axis=axis)
                out = jnp.concatenate([body, ident], axis=axis)
            else:
                body = lax.slice_in_dim(out, 0, n - 1, axis=axis)
                out = jnp.concatenate([ident, body], axis=axis)
        return [out]

    return fn


def _top_k(inputs, attrs):
    (x,) = inputs
    k = int(attrs["k"])
    n = x.shape[-1]
    if k == 0 or x.size == 0:
        shape = x.shape[:-1] + (k,)
        return [jnp.zeros(shape, x.dtype), jnp.zeros(shape, jnp.int32)]
    iota = lax.broadcasted_iota(jnp.int32, x.shape, x.ndim - 1)
    if x.dtype.kind == "f":
        nan = _isnan(x)
        # NaN first, then larger values; -0.0 and 0.0 tie (index order), as the C++ compare
        keys = (jnp.where(nan, 0, 1).astype(jnp.int32), jnp.where(nan | (x == 0), _c(0, x), -x))
    else:
        keys = (~x,)  # descending without the overflow of -INT_MIN
    *_, idx = lax.sort((*keys, iota), dimension=x.ndim - 1, is_stable=True, num_keys=len(keys))
    idx = lax.slice_in_dim(idx, 0, min(k, n), axis=x.ndim - 1)
    return [jnp.take_along_axis(x, idx, axis=-1), idx]


TABLE: dict = {  # op type -> fn(inputs, attrs) -> [outputs]
    **{op: _reduce_fn(op) for op in ("Sum", "Prod", "Max", "Min", "Mean", "All", "Any")},
    "ArgMax": _arg_fn(True),
    "ArgMin": _arg_fn(False),
    "Cumsum": _cumulative_fn(False),
    "Cumprod": _cumulative_fn(True),
    "TopKV2": _top_k,
}
