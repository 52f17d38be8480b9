"""XLA kernels: one pure ``jax.numpy`` / ``jax.lax`` function per op of the CPU kernel library.

``TABLE`` maps each op type to ``fn(inputs, attrs) -> [outputs]``: inputs are ``jax.Array`` (or
tracers), attrs the op's attrs, and the function is traceable, so the same table serves eager
kernels (each op jitted once per attrs and input signature) and whole graphs under ``jax.jit``
(``jit_graph``). Semantics are the C++ kernels' (``src/cpp``): integer arithmetic wraps, Round
is half-to-even, Cast saturates float to int with NaN to 0, FloorMod takes the divisor's sign,
Max / Min / Maximum / Minimum propagate NaN, the random ops (stateful and stateless) reproduce
the CPU's Philox4x32-10 stream number for number.

``register_all()`` registers a kernel for every op in ``TABLE`` on ``XLA_CPU``, ``XLA_GPU`` and
``TPU``, with exactly the dtypes the CPU kernel has. An op with a CPU kernel and no entry here
must be listed in ``EXCLUDED`` with the reason (a test enforces it). XLA kernels return their
outputs (``kernel.returns_outputs``): ``execute`` calls them as ``kernel(inputs, device, attrs)``
and allocates nothing.

Errors that depend on the data (an index out of range, an integer divisor of zero, a label out
of range) are checked on the host before JAX runs, with the C++ kernels' messages; inside
``jit_graph`` nothing can be checked, and XLA clamps gather indices, drops scatter updates at
bad indices, and divides integers by zero as XLA does (see ``jit_graph``).

JAX is imported on the first call, not when this module is imported or registers its kernels,
so ``import tensorhouse_kernels`` stays as fast with JAX installed as without.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import _xla_nn
from .execute import returns_outputs
from .opdefs import (
    _OPS,
    FFT_OPS,
    IRFFT_OPS,
    RFFT_OPS,
    TRUNCATE_MOD_ZERO,
    fft_lengths,
    fft_rank,
    get_op_def,
    mirror_pad_mode,
    normalized_reverse_axes,
    range_size,
    slice_bounds,
    split_sizes,
    strided_slice_spec,
)
from .runtime import errors, list_kernels, register_kernel

__all__ = [
    "DEVICE_TYPES",
    "EXCLUDED",
    "NOT_JITTABLE",
    "SlotAttr",
    "TABLE",
    "jit_graph",
    "register_all",
]

DEVICE_TYPES = ("XLA_CPU", "XLA_GPU", "TPU")
SOURCE = "tensorhouse_kernels.xla"

# Ops with a CPU kernel and no XLA kernel yet, with the reason (register nothing for them).
EXCLUDED: dict[str, str] = {
    **{op: "no XLA lowering yet: jit_compile=True graphs cannot hold it"
       for op in ("Qr", "Svd", "SelfAdjointEigV2", "Lu", "UnsortedSegmentMax",
                  "UnsortedSegmentMin", "UnsortedSegmentProd", "LowerBound", "UpperBound")},
    **{op: "its output shape depends on the data (as Where), so XLA cannot compile it"
       for op in ("SegmentSum", "SegmentMean", "SegmentMax", "SegmentMin", "SegmentProd",
                  "Unique", "UniqueWithCounts", "DenseBincount")},
}  # fmt: skip

# Ops whose output shape depends on the data: they run eagerly, never inside jit_graph.
NOT_JITTABLE = frozenset({"Where"})

# bound by _load() on first use (Any: the type checker sees modules, not None, at the call sites)
jax: Any = None
jnp: Any = None
lax: Any = None


def _load():
    global jax, jnp, lax
    if jax is None:
        import jax as _jax
        import jax.numpy as _jnp
        from jax import lax as _lax

        # TF's int64 / float64 keep their width (the runtime's XLA backend does the same).
        _jax.config.update("jax_enable_x64", True)
        jax, jnp, lax = _jax, _jnp, _lax
    return jax


# ---- scalar conversions as the C++ kernels do them (host side, on attrs) ---------------------


def _convert_scalar(value, dtype):
    """C++ ``convert<T, double>``: bool is != 0, float to int saturates and NaN gives 0."""
    dtype = np.dtype(dtype)
    if dtype.kind == "c":
        return dtype.type(complex(value))
    v = float(value)
    if dtype == np.bool_:
        return np.bool_(v != 0)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        if math.isnan(v):
            return dtype.type(0)
        if v <= float(info.min):
            return dtype.type(info.min)
        if v >= float(info.max):
            return dtype.type(info.max)
        return dtype.type(int(v))
    return dtype.type(v)


def _static_cast(value, dtype):
    """C++ ``static_cast<T>(double)`` (OneHot's on / off values): truncation for ints."""
    dtype = np.dtype(dtype)
    v = float(value)
    if dtype == np.bool_:
        return np.bool_(v != 0)
    if dtype.kind in "iu":  # out of range is undefined in C++; this wraps, as x86 does
        return np.array(0 if math.isnan(v) else int(v)).astype(dtype)[()]
    return dtype.type(v)


# ---- elementwise -------------------------------------------------------------------------------

SELU_SCALE = 1.0507009873554804934193349852946
SELU_ALPHA = 1.6732632423543772848170429916717


def _c(value, like):
    """A constant of ``like``'s dtype (a weakly typed Python scalar could promote)."""
    return jnp.asarray(value, dtype=like.dtype)


def _isnan(x):
    return x != x


def _sign(x):
    if x.dtype.kind == "u":
        return (x > 0).astype(x.dtype)
    s = (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)
    return jnp.where(_isnan(x), x, s) if x.dtype.kind == "f" else s


def _relu(x):
    return jnp.where((x > 0) | _isnan(x), x, _c(0, x))


def _relu6(x):
    y = jnp.where(x < 0, _c(0, x), jnp.where(x > 6, _c(6, x), x))
    return jnp.where(_isnan(x), x, y)


def _softplus(x):
    pos = x + jnp.log1p(jnp.exp(-x))
    neg = jnp.log1p(jnp.exp(x))
    return jnp.where(x > 0, pos, neg)


def _round(x):
    return jnp.round(x) if x.dtype.kind == "f" else x  # half to even; ints unchanged


_UNARY = {
    "Neg": lambda x: -x,
    "Abs": lambda x: jnp.where(x < 0, -x, x),
    "Sign": _sign,
    "Square": lambda x: x * x,
    "Sqrt": lambda x: jnp.sqrt(x),
    "Rsqrt": lambda x: _c(1, x) / jnp.sqrt(x),
    "Exp": lambda x: jnp.exp(x),
    "Expm1": lambda x: jnp.expm1(x),
    "Log": lambda x: jnp.log(x),
    "Log1p": lambda x: jnp.log1p(x),
    "Reciprocal": lambda x: _c(1, x) / x,
    "Sin": lambda x: jnp.sin(x),
    "Cos": lambda x: jnp.cos(x),
    "Tan": lambda x: jnp.tan(x),
    "Tanh": lambda x: jnp.tanh(x),
    "Sigmoid": lambda x: _c(1, x) / (_c(1, x) + jnp.exp(-x)),
    "Relu": _relu,
    "Floor": lambda x: jnp.floor(x),
    "Ceil": lambda x: jnp.ceil(x),
    "Erf": lambda x: lax.erf(x),
    "Round": _round,
    "Elu": lambda x: jnp.where(x < 0, jnp.expm1(x), x),
    "Selu": lambda x: jnp.where(
        x < 0, _c(SELU_SCALE * SELU_ALPHA, x) * jnp.expm1(x), _c(SELU_SCALE, x) * x
    ),
    "Softplus": _softplus,
    "Relu6": _relu6,
}


def _floor_div(a, b):
    if _is_16bit_float(np.dtype(a.dtype)):  # the quotient rounded to the 16-bit type, floored
        q = a.astype(jnp.float32) / b.astype(jnp.float32)
        bits = (5, 10) if a.dtype == np.float16 else (8, 7)  # (exponent, mantissa) bits
        # (reduce_precision, not a cast pair: XLA may fold f32 -> f16 -> f32 away)
        return jnp.floor(lax.reduce_precision(q, *bits)).astype(a.dtype)
    if a.dtype.kind == "f":
        return jnp.floor(a / b)
    a, b = jnp.broadcast_arrays(a, b)  # lax.div and lax.rem do not broadcast
    if a.dtype.kind == "u":
        return lax.div(a, b)
    q = lax.div(a, b)  # truncates; XLA defines INT_MIN / -1 as INT_MIN (the wrap)
    r = lax.rem(a, b)
    return jnp.where((r != 0) & ((r < 0) != (b < 0)), q - _c(1, q), q)


def _floor_mod(a, b):
    a, b = jnp.broadcast_arrays(a, b)
    r = lax.rem(a, b)  # fmod for floats; XLA defines INT_MIN % -1 as 0
    if a.dtype.kind == "u":
        return r
    return jnp.where((r != 0) & ((b < 0) != (r < 0)), r + b, r)


def _truncate_mod(a, b):
    a, b = jnp.broadcast_arrays(a, b)
    r = lax.rem(a, b)  # C's fmod / %; XLA defines INT_MIN % -1 as 0
    if a.dtype.kind != "f":
        return r
    tiny = jnp.finfo(a.dtype).tiny  # a subnormal divisor counts as zero, as in TF's CPU kernel
    return jnp.where(jnp.abs(b) < tiny, jnp.array(jnp.nan, a.dtype), r)


def _maximum(a, b):
    return jnp.where((a > b) | _isnan(a), a, b)


def _minimum(a, b):
    return jnp.where((a < b) | _isnan(a), a, b)


_BINARY = {
    "AddV2": lambda a, b: a + b,
    "Sub": lambda a, b: a - b,
    "Mul": lambda a, b: a * b,
    "RealDiv": lambda a, b: a / b,
    "Maximum": _maximum,
    "Minimum": _minimum,
    "SquaredDifference": lambda a, b: (a - b) * (a - b),
    "Pow": lambda a, b: jnp.power(a, b),
    "ReluGrad": lambda g, f: jnp.where(f > 0, g, _c(0, g)),
    "SigmoidGrad": lambda y, dy: dy * y * (_c(1, y) - y),
    "TanhGrad": lambda y, dy: dy * (_c(1, y) - y * y),
    "FloorDiv": _floor_div,
    "FloorMod": _floor_mod,
    "TruncateMod": _truncate_mod,
    "EluGrad": lambda g, y: jnp.where(y < 0, g * (y + _c(1, y)), g),
    "SeluGrad": lambda g, y: jnp.where(
        y < 0, g * (y + _c(SELU_SCALE * SELU_ALPHA, y)), g * _c(SELU_SCALE, y)
    ),
    "SoftplusGrad": lambda g, f: g / (_c(1, f) + jnp.exp(-f)),
    "Relu6Grad": lambda g, f: jnp.where((f > 0) & (f < 6), g, _c(0, g)),
    "Equal": lambda a, b: a == b,
    "NotEqual": lambda a, b: a != b,
    "Less": lambda a, b: a < b,
    "LessEqual": lambda a, b: a <= b,
    "Greater": lambda a, b: a > b,
    "GreaterEqual": lambda a, b: a >= b,
    "LogicalAnd": lambda a, b: a & b,
    "LogicalOr": lambda a, b: a | b,
}

_PREDICATE = {
    "IsNan": _isnan,
    "IsFinite": lambda x: jnp.isfinite(x),
    "LogicalNot": lambda x: ~x,
}


def _unary_fn(f):
    return lambda inputs, attrs: [f(inputs[0])]


def _binary_fn(f):
    return lambda inputs, attrs: [f(inputs[0], inputs[1])]


def _fused_elementwise(inputs, attrs):
    """FusedElementwise: the program interpreted with the unary and binary table above (under
    jax.jit, XLA fuses it again)."""
    regs = []
    for ins in attrs["program"]:
        kind = ins[0]
        if kind == "input":
            regs.append(inputs[ins[1]])
        elif kind == "const":
            regs.append(jnp.asarray(ins[1], dtype=inputs[0].dtype))
        elif kind == "unary":
            regs.append(_UNARY[ins[1]](regs[ins[2]]))
        else:
            regs.append(_BINARY[ins[1]](regs[ins[2]], regs[ins[3]]))
    shape = max((x.shape for x in inputs), key=len)
    return [jnp.broadcast_to(regs[r], shape) for r in attrs["outputs"]]


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


# ---- linear algebra, softmax, losses -----------------------------------------------------------


def _matmul(inputs, attrs):
    a, b = inputs
    a = a.T if attrs.get("transpose_a") else a
    b = b.T if attrs.get("transpose_b") else b
    return [jnp.matmul(a, b, precision=lax.Precision.HIGHEST)]


def _batch_matmul(inputs, attrs):
    a, b = inputs
    a = jnp.conj(jnp.swapaxes(a, -1, -2)) if attrs.get("adj_x") else a
    b = jnp.conj(jnp.swapaxes(b, -1, -2)) if attrs.get("adj_y") else b
    return [jnp.matmul(a, b, precision=lax.Precision.HIGHEST)]


def _row_max(x):
    """The last axis' max, NaN when the row has one (as the C++ ``row_max``)."""
    mx = jnp.max(x, axis=-1, keepdims=True)
    return jnp.where(jnp.any(_isnan(x), axis=-1, keepdims=True), _c(np.nan, x), mx)


def _softmax_fn(log):
    def fn(inputs, attrs):
        (x,) = inputs
        if x.size == 0:
            return [jnp.zeros(x.shape, x.dtype)]
        shifted = x - _row_max(x)
        e = jnp.exp(shifted)
        total = jnp.sum(e, axis=-1, keepdims=True)
        if log:
            return [shifted - jnp.log(total)]
        return [e * (_c(1, total) / total)]

    return fn


def _xent(inputs, attrs):
    x, labels = inputs
    rows, n = x.shape
    if n == 0 or rows == 0:
        return [jnp.zeros((rows,), x.dtype), jnp.zeros(x.shape, x.dtype)]
    shifted = x - _row_max(x)
    e = jnp.exp(shifted)
    total = jnp.sum(e, axis=-1, keepdims=True)
    lse = jnp.log(total)
    loss = jnp.sum(labels * (lse - shifted), axis=-1)
    return [loss, e * (_c(1, total) / total) - labels]


def _sparse_xent(inputs, attrs):
    x, labels = inputs
    rows, n = x.shape
    if rows == 0:
        return [jnp.zeros((0,), x.dtype), jnp.zeros(x.shape, x.dtype)]
    shifted = x - _row_max(x)
    e = jnp.exp(shifted)
    total = jnp.sum(e, axis=-1, keepdims=True)
    lse = jnp.log(total)[:, 0]
    idx = jnp.clip(labels.astype(jnp.int64), 0, n - 1)[:, None]
    picked = jnp.take_along_axis(shifted, idx, axis=1)[:, 0]
    hot = idx == jnp.arange(n)[None, :]
    backprop = e * (_c(1, total) / total) - hot.astype(x.dtype)
    return [lse - picked, backprop]


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


# ---- array ops ---------------------------------------------------------------------------------


def _index(index):
    return tuple(index) + (Ellipsis,)


def _transpose(inputs, attrs):
    return [jnp.transpose(inputs[0], [int(p) for p in attrs["perm"]])]


def _reshape(inputs, attrs):
    return [jnp.reshape(inputs[0], tuple(int(d) for d in attrs["shape"]))]


def _broadcast_to(inputs, attrs):
    return [jnp.broadcast_to(inputs[0], tuple(int(d) for d in attrs["shape"]))]


def _identity(inputs, attrs):
    return [jnp.asarray(inputs[0])]


def _cast(inputs, attrs):
    (x,) = inputs
    dst = np.dtype(attrs["DstT"])
    if x.dtype.kind == "c" and dst.kind != "c":  # TF's: the real part
        x = jnp.real(x)
    if dst == np.bool_:
        return [x != 0]
    if jnp.issubdtype(x.dtype, jnp.floating) and dst.kind in "iu":  # saturating, NaN -> 0
        if x.dtype.itemsize < 4:  # float16 / bfloat16: exactly representable in float32
            x = x.astype(jnp.float32)
        info = np.iinfo(dst)
        lo, hi = x.dtype.type(info.min), x.dtype.type(info.max)
        inside = (x > lo) & (x < hi)
        y = jnp.where(inside, x, _c(0, x)).astype(dst)
        y = jnp.where(x <= lo, jnp.asarray(info.min, dst), y)
        y = jnp.where(x >= hi, jnp.asarray(info.max, dst), y)
        return [y]
    return [lax.convert_element_type(x, dst)]


def _concat(inputs, attrs):
    axis = int(attrs.get("axis", 0)) % inputs[0].ndim
    return [jnp.concatenate(list(inputs), axis=axis)]


def _split_at(x, axis, sizes):
    out, offset = [], 0
    for s in sizes:
        out.append(lax.slice_in_dim(x, offset, offset + s, axis=axis))
        offset += s
    return out


def _split(inputs, attrs):
    (x,) = inputs
    axis = int(attrs.get("axis", 0)) % x.ndim
    num = int(attrs["num_split"])
    return _split_at(x, axis, [x.shape[axis] // num] * num)


def _split_v(inputs, attrs):
    (x,) = inputs
    axis = int(attrs.get("axis", 0)) % x.ndim
    return _split_at(x, axis, split_sizes("SplitV", x.shape[axis], attrs["size_splits"]))


def _slice(inputs, attrs):
    (x,) = inputs
    begin, size = slice_bounds("Slice", x.shape, attrs["begin"], attrs["size"])
    return [x[_index(slice(b, b + s) for b, s in zip(begin, size))]]


def _strided_slice(inputs, attrs):
    (x,) = inputs
    index, _ = strided_slice_spec("StridedSlice", x.shape, attrs)
    return [x[_index(index)]]


def _strided_slice_grad(inputs, attrs):
    (dy,) = inputs
    shape = tuple(int(d) for d in attrs["shape"])
    # the shape is an attr, so known: the index is a tuple, never None
    index, _ = strided_slice_spec("StridedSliceGrad", shape, attrs)
    index = tuple(i for i in index if i is not None)  # pyright: ignore[reportOptionalIterable]  # new axes: size-1 dims of dy
    view = np.broadcast_to(np.zeros((), np.int8), shape)[_index(index)].shape
    return [jnp.zeros(shape, dy.dtype).at[_index(index)].set(jnp.reshape(dy, view))]


def _pad(inputs, attrs):
    (x,) = inputs
    pads = [(int(a), int(b), 0) for a, b in attrs["paddings"]]
    value = jnp.asarray(_convert_scalar(attrs.get("constant_values", 0), x.dtype), x.dtype)
    return [lax.pad(x, value, pads)]


def _tile(inputs, attrs):
    return [jnp.tile(inputs[0], [int(m) for m in attrs["multiples"]])]


def _reverse(inputs, attrs):
    (x,) = inputs
    axes = normalized_reverse_axes("ReverseV2", attrs["axis"], x.ndim)
    return [lax.rev(x, tuple(axes)) if axes else x]


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


def _mirror_pad(inputs, attrs):
    (x,) = inputs
    mode = mirror_pad_mode("MirrorPad", attrs).lower()
    pads = [(int(a), int(b)) for a, b in attrs["paddings"]]
    if x.ndim == 0 or not any(a or b for a, b in pads):
        return [x]
    out_shape = tuple(a + d + b for d, (a, b) in zip(x.shape, pads))
    if 0 in x.shape:  # nothing to mirror; only an empty result is valid
        return [jnp.zeros(out_shape, x.dtype)]
    return [jnp.pad(x, pads, mode=mode)]


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


def _range(inputs, attrs):
    dt = np.dtype(attrs["dtype"])
    n = range_size(attrs["start"], attrs["limit"], attrs["delta"], dt)
    if dt.kind in "iu":  # modular arithmetic: start + i * delta is the C++ loop's wrap
        start = jnp.asarray(np.array(int(attrs["start"])).astype(dt))
        delta = jnp.asarray(np.array(int(attrs["delta"])).astype(dt))
        return [start + jnp.arange(n, dtype=dt) * delta]
    if n == 0:
        return [jnp.zeros((0,), dt)]
    start, delta = jnp.asarray(attrs["start"], dt), jnp.asarray(attrs["delta"], dt)
    if dt.itemsize == 2:  # 16-bit floats: i * delta + start, each step rounded (as TF)
        return [jnp.arange(n).astype(dt) * delta + start]

    def step(v, _):  # v += delta in the output dtype, one element at a time, as the C++ loop
        return v + delta, v

    return [lax.scan(step, start, None, length=n)[1]]


def _where(inputs, attrs):
    (x,) = inputs
    return [jnp.argwhere(x != 0 if x.dtype != np.bool_ else x).astype(jnp.int64)]


def _fill(inputs, attrs):
    dt = np.dtype(attrs["dtype"])
    shape = tuple(int(d) for d in attrs["shape"])
    return [jnp.full(shape, _convert_scalar(attrs["value"], dt), dt)]


# ---- Philox4x32-10 random numbers, the CPU's stream --------------------------------------------
# src/cpp/random.cpp: block b's counter is (b low, b high, seed2 low, seed2 high) under the key
# seed. A float32 takes one word (4 a block), a float64 two (2 a block); RandomUniformInt one
# word per int32, two per int64; TruncatedNormal's element i tries blocks i, i + n, i + 2n, ...

_M0, _M1 = 0xD2511F53, 0xCD9E8D57
_W0, _W1 = 0x9E3779B9, 0xBB67AE85
_MASK64 = (1 << 64) - 1


def _u64(value):
    """A seed or bound as uint64: Python / NumPy ints wrap to 64 bits (two's complement), the
    eager kernels' dynamic attrs arrive traced and already uint64."""
    if isinstance(value, int | np.integer):
        return jnp.uint64(int(value) & _MASK64)
    return jnp.asarray(value, jnp.uint64)


def _mulhilo(a, m):
    p = a.astype(jnp.uint64) * jnp.uint64(m)
    return (p >> jnp.uint64(32)).astype(jnp.uint32), p.astype(jnp.uint32)


def _philox(seed, seed2, counters):
    """The four uint32 words of the blocks numbered by ``counters`` (uint64, any shape)."""
    seed, seed2 = _u64(seed), _u64(seed2)
    mask = jnp.uint64(0xFFFFFFFF)
    c0, c1 = counters.astype(jnp.uint32), (counters >> jnp.uint64(32)).astype(jnp.uint32)
    c2 = jnp.broadcast_to((seed2 & mask).astype(jnp.uint32), counters.shape)
    c3 = jnp.broadcast_to((seed2 >> jnp.uint64(32)).astype(jnp.uint32), counters.shape)
    k0, k1 = (seed & mask).astype(jnp.uint32), (seed >> jnp.uint64(32)).astype(jnp.uint32)
    for _ in range(10):
        h0, l0 = _mulhilo(c0, _M0)
        h1, l1 = _mulhilo(c2, _M1)
        c0, c1, c2, c3 = h1 ^ c1 ^ k0, l1, h0 ^ c3 ^ k1, l0
        k0, k1 = k0 + jnp.uint32(_W0), k1 + jnp.uint32(_W1)
    return c0, c1, c2, c3


def philox4x32_10(seed, seed2, blocks):
    """The four uint32 words of counter blocks ``0..blocks-1``, each ``(blocks,)``.

    ``seed`` is the key (low, high words), ``seed2`` the counter's upper 64 bits; block b's
    counter is (b low, b high, seed2 low, seed2 high), as ``src/cpp/random.cpp``.
    """
    return _philox(seed, seed2, jnp.arange(blocks, dtype=jnp.uint64))


def _unit_f32(w):
    """23 random mantissa bits of a word -> float32 in [0, 1)."""
    bits = (w >> jnp.uint32(9)) | jnp.uint32(0x3F800000)
    return lax.bitcast_convert_type(bits, jnp.float32) - jnp.float32(1)


def _unit_f64(a, b):
    """52 random mantissa bits of two words -> float64 in [0, 1)."""
    a, b = a.astype(jnp.uint64), b.astype(jnp.uint64)
    bits = ((a << jnp.uint64(20)) ^ b) & jnp.uint64((1 << 52) - 1)
    return lax.bitcast_convert_type(bits | jnp.uint64(0x3FF0000000000000), jnp.float64) - 1.0


def _uniform_blocks(dt, n, seed, seed2):
    """Uniform [0, 1) numbers, ``(blocks, per_block)``: 4 float32s or 2 float64s a block."""
    if dt == np.float32:
        w = philox4x32_10(seed, seed2, -(-n // 4))
        return jnp.stack([_unit_f32(x) for x in w], axis=1)
    w = philox4x32_10(seed, seed2, -(-n // 2))
    return jnp.stack([_unit_f64(w[0], w[1]), _unit_f64(w[2], w[3])], axis=1)


def _box_muller(u1, u2, dt):
    """Two standard normals from two uniforms, the CPU's formula (u1 clamped to the tiniest
    normal number so that the log stays finite)."""
    r = jnp.sqrt(jnp.asarray(-2, dt) * jnp.log(jnp.maximum(u1, jnp.asarray(np.finfo(dt).tiny, dt))))
    theta = jnp.asarray(2 * np.pi, dt) * u2
    return r * jnp.sin(theta), r * jnp.cos(theta)


def _truncated_normal(dt, n, seed, seed2, batch=None):
    """``(n,)`` normals within two stddevs: element i tries blocks i, i + n, i + 2n, ... (the
    first two uniforms of each, Box-Muller) until one of the two normals lands inside.

    Attempt 0 runs for every element; it fails with probability P(|z| >= 2)^2 ~ 0.2%. Then,
    while elements are missing, up to ``batch`` of them (default 1024 + n / 256) are gathered
    and retried in a ``lax.while_loop`` until each has its value, so the retries cost a small
    fraction of the first pass and any number of failures still ends with the CPU's numbers.
    """

    def attempt(index, k):
        w = _philox(seed, seed2, index + k * jnp.uint64(n))  # wraps mod 2^64, as the CPU
        if dt == np.float32:
            u1, u2 = _unit_f32(w[0]), _unit_f32(w[1])
        else:
            u1, u2 = _unit_f64(w[0], w[1]), _unit_f64(w[2], w[3])
        z0, z1 = _box_muller(u1, u2, dt)
        two = jnp.asarray(2, dt)
        inside0 = jnp.abs(z0) < two
        return jnp.where(inside0, z0, z1), inside0 | (jnp.abs(z1) < two)

    def missing(state):
        return ~jnp.all(state[-1])

    m = min(n, batch or 1024 + n // 256)

    def finish_some(state):
        value, done = state
        (index,) = jnp.nonzero(~done, size=m, fill_value=n)  # n: a filler, dropped below
        index64 = index.astype(jnp.uint64)

        def retry(s):
            k, z, ok = s
            k = k + jnp.uint64(1)
            z_new, inside = attempt(index64, k)
            return k, jnp.where(ok, z, z_new), ok | inside

        start = (jnp.uint64(0), jnp.zeros((m,), dt), index >= n)
        z = lax.while_loop(missing, retry, start)[1]
        return value.at[index].set(z, mode="drop"), done.at[index].set(True, mode="drop")

    first = attempt(jnp.arange(n, dtype=jnp.uint64), jnp.uint64(0))
    return lax.while_loop(missing, finish_some, first)[0]


def _random_values(kind, dt, shape, seed, seed2):
    """kind 0: uniform [0, 1); 1: standard normal (Box-Muller on each block's consecutive
    pairs); 2: truncated normal."""
    n = math.prod(shape)
    if n == 0:
        return jnp.zeros(shape, dt)
    if kind == 2:
        return jnp.reshape(_truncated_normal(dt, n, seed, seed2), shape)
    u = _uniform_blocks(dt, n, seed, seed2)
    if kind == 1:
        z = jnp.stack(_box_muller(u[:, 0::2], u[:, 1::2], dt), axis=-1)
        u = jnp.reshape(z, u.shape)
    return jnp.reshape(jnp.reshape(u, (-1,))[:n], shape)


def _random_fn(kind):
    """RandomUniform (0), RandomStandardNormal (1), TruncatedNormal (2): seed and seed2 attrs."""

    def fn(inputs, attrs):
        dt = np.dtype(attrs["dtype"])
        shape = tuple(int(d) for d in attrs["shape"])
        return [_random_values(kind, dt, shape, attrs["seed"], attrs["seed2"])]

    return fn


def _stateless_fn(op, kind):
    """The stateless V2 ops: the shape-[2] seed attr is (Philox key, counter's upper half)."""

    def fn(inputs, attrs):
        from .opdefs import stateless_seed

        seed = attrs["seed"]
        if isinstance(seed, list | tuple | np.ndarray):
            key, counter = stateless_seed(op, attrs)
        else:  # traced by make_kernel: a uint64 pair
            key, counter = seed[0], seed[1]
        dt = np.dtype(attrs["dtype"])
        shape = tuple(int(d) for d in attrs["shape"])
        return [_random_values(kind, dt, shape, key, counter)]

    return fn


def _random_int(inputs, attrs):
    """RandomUniformInt: ``minval + bits % (maxval - minval)`` in unsigned arithmetic that
    wraps, as the CPU; an int32 takes one word, an int64 two (high word first)."""
    return [_uniform_int(attrs, attrs["seed"], attrs["seed2"])]


def _stateless_int(inputs, attrs):
    """StatelessRandomUniformIntV2: RandomUniformInt's numbers for (key, counter) = seed."""
    from .opdefs import stateless_seed

    seed = attrs["seed"]
    if isinstance(seed, list | tuple | np.ndarray):
        key, counter = stateless_seed("StatelessRandomUniformIntV2", attrs)
    else:  # traced by make_kernel: a uint64 pair
        key, counter = seed[0], seed[1]
    return [_uniform_int(attrs, key, counter)]


def _uniform_int(attrs, seed, seed2):
    dt = np.dtype(attrs["dtype"])
    shape = tuple(int(d) for d in attrs["shape"])
    n = math.prod(shape)
    if n == 0:
        return jnp.zeros(shape, dt)
    lo, hi = _u64(attrs["minval"]), _u64(attrs["maxval"])
    if dt == np.int32:
        w = philox4x32_10(seed, seed2, -(-n // 4))
        bits = jnp.stack(w, axis=1)
        lo, span = lo.astype(jnp.uint32), (hi - lo).astype(jnp.uint32)
    else:
        w = [x.astype(jnp.uint64) for x in philox4x32_10(seed, seed2, -(-n // 2))]
        bits = jnp.stack([(w[0] << jnp.uint64(32)) | w[1], (w[2] << jnp.uint64(32)) | w[3]], axis=1)
        span = hi - lo
    out = lo + jnp.reshape(bits, (-1,))[:n] % span
    return jnp.reshape(lax.bitcast_convert_type(out, dt), shape)


# ---- dense linear algebra ----------------------------------------------------------------------
# jnp.linalg / lax.linalg. Singular matrices are not detected here (TF's XLA kernels do not either):
# the inverse and the solution come out inf / NaN where the CPU kernels raise.


def _adjoint(x, flag):
    return jnp.swapaxes(x, -1, -2) if flag else x


def _matrix_inverse(inputs, attrs):
    (x,) = inputs
    if not x.size:
        return [jnp.zeros(x.shape, x.dtype)]
    return [jnp.linalg.inv(_adjoint(x, bool(attrs.get("adjoint", False))))]


def _matrix_solve(inputs, attrs):
    a, b = inputs
    if not a.size or not b.size:
        return [jnp.zeros(b.shape, b.dtype)]
    return [jnp.linalg.solve(_adjoint(a, bool(attrs.get("adjoint", False))), b)]


def _matrix_determinant(inputs, attrs):
    (x,) = inputs
    if not x.size:  # the determinant of a 0 x 0 matrix is 1
        return [jnp.ones(x.shape[:-2], x.dtype)]
    return [jnp.linalg.det(x)]


def _log_matrix_determinant(inputs, attrs):
    (x,) = inputs
    if not x.size:
        return [jnp.ones(x.shape[:-2], x.dtype), jnp.zeros(x.shape[:-2], x.dtype)]
    sign, log_abs = jnp.linalg.slogdet(x)
    return [sign.astype(x.dtype), log_abs.astype(x.dtype)]


def _cholesky(inputs, attrs):
    (x,) = inputs
    if not x.size:
        return [jnp.zeros(x.shape, x.dtype)]
    lower = jnp.tril(x)  # only the lower triangle is read, as the CPU kernel (and TF)
    sym = lower + jnp.swapaxes(jnp.tril(x, -1), -1, -2)
    return [jnp.tril(lax.linalg.cholesky(sym, symmetrize_input=False))]


# ---- whole-sequence LSTM / GRU (rnn.cpp's semantics): lax.scan over the steps, time-major ------


def _sig(x):
    return _c(1, x) / (_c(1, x) + jnp.exp(-x))


def _dot(a, b):
    return jnp.matmul(a, b, precision=lax.Precision.HIGHEST)


def _steps(x, attrs):
    """[B, T, ...] -> [T, B, ...] in step order (reversed with go_backwards)."""
    xs = jnp.swapaxes(x, 0, 1)
    return xs[::-1] if attrs.get("go_backwards", False) else xs


def _unsteps(xs, attrs):
    return jnp.swapaxes(xs[::-1] if attrs.get("go_backwards", False) else xs, 0, 1)


def _previous(first, seq):
    """The state each step started from: ``first``, then ``seq[:-1]`` (time-major)."""
    return jnp.concatenate([first[None], seq], axis=0)[: seq.shape[0]]


def _mask_steps(inputs, index, x, attrs):
    """The optional mask input [B, T] as [T, B, 1] in step order; ones where there is none."""
    mask = inputs[index] if len(inputs) > index else None
    if mask is None or mask.size == 0:
        return jnp.ones((x.shape[1], x.shape[0], 1), x.dtype)
    return _steps(mask, attrs)[..., None]


def _lstm_sequence(inputs, attrs):
    x, h0, c0, w, u, b = inputs[:6]
    xw = _dot(_steps(x, attrs), w)
    one = _c(1, x)

    def step(carry, inp):
        h, c = carry
        xw_k, m = inp
        zi, zf, zg, zo = jnp.split((xw_k + _dot(h, u)) + b, 4, axis=-1)
        i, f, g, o = _sig(zi), _sig(zf), jnp.tanh(zg), _sig(zo)
        c_new = f * c + i * g
        h_new = o * jnp.tanh(c_new)
        c = m * c_new + (one - m) * c  # a masked step keeps the states
        h = m * h_new + (one - m) * h
        return (h, c), (h, jnp.concatenate([i, f, g, o], axis=-1), c)

    (h, c), (hs, gates, cs) = lax.scan(step, (h0, c0), (xw, _mask_steps(inputs, 6, x, attrs)))
    return [jnp.swapaxes(hs, 0, 1), h, c, gates, cs]


def _lstm_sequence_grad(inputs, attrs):
    dy, dh, dc, x, h0, c0, w, u, y, gates, cs = inputs[:11]
    one = _c(1, x)

    def step(carry, inp):
        dhn, dcn = carry
        dy_k, g_k, c_k, cp_k, m = inp
        i, f, g, o = jnp.split(g_k, 4, axis=-1)
        tc = jnp.tanh(c_k)
        dh_all = dy_k + dhn
        dhk = m * dh_all
        dck = m * dcn + dhk * o * (one - tc * tc)
        di, df = dck * g * i * (one - i), dck * cp_k * f * (one - f)
        dg, do = dck * i * (one - g * g), dhk * tc * o * (one - o)
        dz = jnp.concatenate([di, df, dg, do], axis=-1)
        return (_dot(dz, u.T) + (one - m) * dh_all, dck * f + (one - m) * dcn), dz

    seq = (jnp.swapaxes(dy, 0, 1), gates, cs, _previous(c0, cs), _mask_steps(inputs, 12, x, attrs))
    (dh0, dc0), dz = lax.scan(step, (dh, dc), seq, reverse=True)
    hp = _previous(h0, jnp.swapaxes(y, 0, 1))
    dw = jnp.einsum("tbi,tbg->ig", _steps(x, attrs), dz, precision=lax.Precision.HIGHEST)
    du = jnp.einsum("tbu,tbg->ug", hp, dz, precision=lax.Precision.HIGHEST)
    db = jnp.sum(dz.astype(jnp.float64), axis=(0, 1)).astype(x.dtype)
    return [_unsteps(_dot(dz, w.T), attrs), dh0, dc0, dw, du, db]


def _gru_sequence(inputs, attrs):
    x, h0, w, u, b = inputs[:5]
    after = attrs.get("reset_after", True)
    n = h0.shape[-1]
    b_in, b_rec = (b[0], b[1]) if after else (b, None)
    xw = _dot(_steps(x, attrs), w)

    def step(h, inp):
        xw_k, m = inp
        x_z, x_r, x_h = jnp.split(xw_k + b_in, 3, axis=-1)
        if after:
            r_z, r_r, r_h = jnp.split(_dot(h, u) + b_rec, 3, axis=-1)
        else:
            r_z, r_r = jnp.split(_dot(h, u[:, : 2 * n]), 2, axis=-1)
        z, r = _sig(x_z + r_z), _sig(x_r + r_r)
        if after:
            hh = jnp.tanh(x_h + r * r_h)
        else:
            hh, r_h = jnp.tanh(x_h + _dot(r * h, u[:, 2 * n :])), jnp.zeros_like(h)
        h_new = z * h + (_c(1, h) - z) * hh
        h_new = m * h_new + (_c(1, h) - m) * h  # a masked step keeps the state
        return h_new, (h_new, jnp.concatenate([z, r, hh, r_h], axis=-1))

    h, (hs, saved) = lax.scan(step, h0, (xw, _mask_steps(inputs, 5, x, attrs)))
    return [jnp.swapaxes(hs, 0, 1), h, saved]


def _gru_sequence_grad(inputs, attrs):
    dy, dh, x, h0, w, u, y, saved = inputs[:8]
    after = attrs.get("reset_after", True)
    n = h0.shape[-1]
    one = _c(1, x)
    hp = _previous(h0, jnp.swapaxes(y, 0, 1))

    def step(dhn, inp):
        dy_k, s_k, hp_k, m = inp
        z, r, hh, r_h = jnp.split(s_k, 4, axis=-1)
        dh_all = dy_k + dhn
        dhk = m * dh_all  # a masked step: no gate gradients, dh passes through
        passed = (one - m) * dh_all
        dah = dhk * (one - z) * (one - hh * hh)
        daz = dhk * (hp_k - hh) * z * (one - z)
        if after:
            dar = dah * r_h * r * (one - r)
            drec = jnp.concatenate([daz, dar, dah * r], axis=-1)
            dh_prev = dhk * z + _dot(drec, u.T) + passed
            return dh_prev, (jnp.concatenate([daz, dar, dah], -1), drec)
        q = _dot(dah, u[:, 2 * n :].T)
        dar = q * hp_k * r * (one - r)
        dzr = jnp.concatenate([daz, dar], axis=-1)
        dh_prev = dhk * z + q * r + _dot(dzr, u[:, : 2 * n].T) + passed
        return dh_prev, (jnp.concatenate([dzr, dah], -1), r * hp_k)

    seq = (jnp.swapaxes(dy, 0, 1), saved, hp, _mask_steps(inputs, 9, x, attrs))
    dh0, (dxg, other) = lax.scan(step, dh, seq, reverse=True)
    hi = lax.Precision.HIGHEST

    def colsum(a):
        return jnp.sum(a.astype(jnp.float64), axis=(0, 1)).astype(x.dtype)

    if after:
        du = jnp.einsum("tbu,tbg->ug", hp, other, precision=hi)
        db = jnp.stack([colsum(dxg), colsum(other)])
    else:
        du = jnp.concatenate([jnp.einsum("tbu,tbg->ug", hp, dxg[..., : 2 * n], precision=hi),
                              jnp.einsum("tbu,tbg->ug", other, dxg[..., 2 * n :], precision=hi)],
                             axis=-1)  # fmt: skip
        db = colsum(dxg)
    dw = jnp.einsum("tbi,tbg->ig", _steps(x, attrs), dxg, precision=hi)
    return [_unsteps(_dot(dxg, w.T), attrs), dh0, dw, du, db]


# ---- the table ---------------------------------------------------------------------------------

TABLE: dict = {}
TABLE.update({op: _unary_fn(f) for op, f in _UNARY.items()})
TABLE.update({op: _binary_fn(f) for op, f in _BINARY.items()})
TABLE.update({op: _unary_fn(f) for op, f in _PREDICATE.items()})
TABLE.update({op: _reduce_fn(op) for op in ("Sum", "Prod", "Max", "Min", "Mean", "All", "Any")})
TABLE["FusedElementwise"] = _fused_elementwise
TABLE.update(
    {
        "SelectV2": lambda inputs, attrs: [jnp.where(*inputs)],
        "ArgMax": _arg_fn(True),
        "ArgMin": _arg_fn(False),
        "Cumsum": _cumulative_fn(False),
        "Cumprod": _cumulative_fn(True),
        "TopKV2": _top_k,
        "MatMul": _matmul,
        "BatchMatMulV2": _batch_matmul,
        "Softmax": _softmax_fn(False),
        "LogSoftmax": _softmax_fn(True),
        "SoftmaxCrossEntropyWithLogits": _xent,
        "SparseSoftmaxCrossEntropyWithLogits": _sparse_xent,
        "Transpose": _transpose,
        "Reshape": _reshape,
        "BroadcastTo": _broadcast_to,
        "Identity": _identity,
        "Cast": _cast,
        "ConcatV2": _concat,
        "Split": _split,
        "SplitV": _split_v,
        "Slice": _slice,
        "StridedSlice": _strided_slice,
        "StridedSliceGrad": _strided_slice_grad,
        "Pad": _pad,
        "Tile": _tile,
        "ReverseV2": _reverse,
        "GatherV2": _gather,
        "GatherNd": _gather_nd,
        "ScatterNd": _scatter_nd,
        "TensorScatterUpdate": _tensor_scatter_update,
        "MirrorPad": _mirror_pad,
        "UnsortedSegmentSum": _segment_sum,
        "OneHot": _one_hot,
        "Range": _range,
        "Where": _where,
        "Fill": _fill,
        "RandomUniform": _random_fn(0),
        "RandomStandardNormal": _random_fn(1),
        "TruncatedNormal": _random_fn(2),
        "RandomUniformInt": _random_int,
        "StatelessRandomUniformIntV2": _stateless_int,
        "StatelessRandomUniformV2": _stateless_fn("StatelessRandomUniformV2", 0),
        "StatelessRandomNormalV2": _stateless_fn("StatelessRandomNormalV2", 1),
        "StatelessTruncatedNormalV2": _stateless_fn("StatelessTruncatedNormalV2", 2),
        "MatrixInverse": _matrix_inverse,
        "MatrixSolve": _matrix_solve,
        "MatrixDeterminant": _matrix_determinant,
        "LogMatrixDeterminant": _log_matrix_determinant,
        "Cholesky": _cholesky,
        "LSTMSequence": _lstm_sequence,
        "LSTMSequenceGrad": _lstm_sequence_grad,
        "GRUSequence": _gru_sequence,
        "GRUSequenceGrad": _gru_sequence_grad,
    }
)
TABLE.update(_xla_nn.table())  # NHWC convolutions, pooling, bias, normalization (_xla_nn.py)


def _digamma(x):
    pole = (x <= 0) & (x == jnp.floor(x))  # 0, the negative integers and -inf: NaN, as TF's
    return jnp.where(pole, jnp.array(jnp.nan, x.dtype), lax.digamma(x))


def _shift(right):
    def fn(a, b):
        b = jnp.clip(b, 0, a.dtype.itemsize * 8 - 1).astype(a.dtype)  # TF clamps the count
        return jnp.right_shift(a, b) if right else jnp.left_shift(a, b)

    return fn


_MATH_UNARY = {
    "Atan": lambda x: jnp.arctan(x),
    "Acos": lambda x: jnp.arccos(x),
    "Asin": lambda x: jnp.arcsin(x),
    "Sinh": lambda x: jnp.sinh(x),
    "Cosh": lambda x: jnp.cosh(x),
    "Acosh": lambda x: jnp.arccosh(x),
    "Asinh": lambda x: jnp.arcsinh(x),
    "Atanh": lambda x: jnp.arctanh(x),
    "Rint": lambda x: jnp.round(x),  # half to even
    "Lgamma": lambda x: lax.lgamma(x),
    "Digamma": _digamma,
    "Invert": lambda x: ~x,
}
_MATH_BINARY = {
    "Atan2": lambda y, x: jnp.arctan2(y, x),
    "Zeta": lambda x, q: lax.zeta(*jnp.broadcast_arrays(x, q)),
    "Polygamma": lambda n, x: lax.polygamma(*jnp.broadcast_arrays(n, x)),
    "BitwiseAnd": lambda a, b: a & b,
    "BitwiseOr": lambda a, b: a | b,
    "BitwiseXor": lambda a, b: a ^ b,
    "LeftShift": _shift(False),
    "RightShift": _shift(True),
}
TABLE.update({op: _unary_fn(f) for op, f in _MATH_UNARY.items()})
TABLE.update({op: _binary_fn(f) for op, f in _MATH_BINARY.items()})


# ---- complex dtypes: the complex-only ops and the Fourier transforms ----------------------------


def _fft_fn(op):
    rank, inverse = fft_rank(op), op.startswith("I")
    axes = tuple(range(-rank, 0))

    def fn(inputs, attrs):
        (x,) = inputs
        if x.size == 0:
            return [jnp.zeros(x.shape, x.dtype)]
        f = jnp.fft.ifftn if inverse else jnp.fft.fftn
        return [f(x, axes=axes).astype(x.dtype)]

    return fn


def _rfft_fn(op):
    rank, inverse = fft_rank(op), op.startswith("I")
    axes = tuple(range(-rank, 0))

    def fn(inputs, attrs):
        (x,) = inputs
        lengths = fft_lengths(op, attrs, rank)
        real = np.dtype(np.float32) if x.dtype in (np.float32, np.complex64) else np.float64
        cplx = np.dtype(np.complex64) if real == np.float32 else np.dtype(np.complex128)
        if inverse:
            shape = x.shape[: x.ndim - rank] + tuple(lengths)
            if 0 in shape:
                return [jnp.zeros(shape, real)]
            return [jnp.fft.irfftn(x, s=lengths, axes=axes).astype(real)]
        inner = lengths[:-1] + [lengths[-1] // 2 + 1 if lengths[-1] else 0]
        shape = x.shape[: x.ndim - rank] + tuple(inner)
        if 0 in shape:
            return [jnp.zeros(shape, cplx)]
        return [jnp.fft.rfftn(x, s=lengths, axes=axes).astype(cplx)]

    return fn


def _make_complex(inputs, attrs):
    return [lax.complex(*jnp.broadcast_arrays(*inputs))]


TABLE.update({
    "Complex": _make_complex,
    "Real": _unary_fn(lambda x: jnp.real(x)),
    "Imag": _unary_fn(lambda x: jnp.imag(x)),
    "ComplexAbs": _unary_fn(lambda x: jnp.abs(x)),
    "Angle": _unary_fn(lambda x: jnp.angle(x)),
    "Conj": _unary_fn(lambda x: jnp.conj(x)),
    **{op: _fft_fn(op) for op in FFT_OPS},
    **{op: _rfft_fn(op) for op in RFFT_OPS + IRFFT_OPS},
})  # fmt: skip

# Attrs passed to the jitted kernel as traced values, so a new seed does not recompile.
# Integer attrs (or the stateless ops' shape-[2] seed) as uint64, wrapped to 64 bits.
_DYNAMIC_ATTRS = {
    "RandomUniform": ("seed", "seed2"),
    "RandomStandardNormal": ("seed", "seed2"),
    "TruncatedNormal": ("seed", "seed2"),
    "RandomUniformInt": ("seed", "seed2", "minval", "maxval"),
    "StatelessRandomUniformV2": ("seed",),
    "StatelessRandomNormalV2": ("seed",),
    "StatelessTruncatedNormalV2": ("seed",),
    "StatelessRandomUniformIntV2": ("seed", "minval", "maxval"),
}


def _dynamic_value(value):
    """A dynamic attr as uint64 (two's complement for negative ints), a scalar or an array."""
    a = np.asarray(value)
    if a.ndim == 0:
        return np.uint64(int(a) & 0xFFFFFFFFFFFFFFFF)
    return np.array([int(v) & 0xFFFFFFFFFFFFFFFF for v in a.ravel()], np.uint64).reshape(a.shape)


# ---- host-side checks: the C++ kernels' errors for bad values ----------------------------------


def _host(x):
    return np.asarray(x)


def _index_str(shape, i):
    return "[" + ",".join(str(int(v)) for v in np.unravel_index(i, shape)) + "]"


def _shape_str(shape):
    return "[" + ",".join(str(int(d)) for d in shape) + "]"


def _check_divisor(op):
    def check(inputs, attrs):
        a, b = inputs
        if b.dtype.kind not in "iu" or not b.size:
            return
        out_shape = np.broadcast_shapes(a.shape, b.shape)
        if math.prod(out_shape) and (_host(b) == 0).any():
            raise errors.InvalidArgumentError(f"Integer division by zero [Op:{op}]")

    return check


def _check_truncate_mod(inputs, attrs):
    """TF's CPU TruncateMod fails an integer divisor of zero with an InternalError."""
    try:
        _check_divisor("TruncateMod")(inputs, attrs)
    except errors.InvalidArgumentError:
        raise errors.InternalError(TRUNCATE_MOD_ZERO) from None


def _check_gather(inputs, attrs):
    params, idx = inputs
    limit = params.shape[int(attrs.get("axis", 0)) % params.ndim]
    if not idx.size:
        return
    flat = _host(idx).reshape(-1)
    bad = np.flatnonzero((flat < 0) | (flat >= limit))
    if bad.size:
        i = int(bad[0])
        raise errors.InvalidArgumentError(
            f"indices{_index_str(idx.shape, i)} = {int(flat[i])} is not in [0, {limit}) "
            "[Op:GatherV2]"
        )


def _check_nd(op, idx, dims, what):
    k = idx.shape[-1]
    count = math.prod(idx.shape[:-1])
    if not count or not k:
        return
    tuples = _host(idx).reshape(count, k)
    bad = np.flatnonzero(((tuples < 0) | (tuples >= np.asarray(dims[:k]))).any(axis=1))
    if bad.size:
        i = int(bad[0])
        t = ", ".join(str(int(v)) for v in tuples[i])
        raise errors.InvalidArgumentError(
            f"indices{_index_str(idx.shape[:-1], i)} = [{t}] does not index into {what} "
            f"{_shape_str(dims)} [Op:{op}]"
        )


def _check_gather_nd(inputs, attrs):
    _check_nd("GatherNd", inputs[1], inputs[0].shape, "param shape")


def _check_scatter_nd(inputs, attrs):
    _check_nd("ScatterNd", inputs[0], tuple(int(d) for d in attrs["shape"]), "shape")


def _check_tensor_scatter_update(inputs, attrs):
    _check_nd("TensorScatterUpdate", inputs[1], inputs[0].shape, "shape")


def _check_segments(inputs, attrs):
    ids = inputs[1]
    n = int(attrs["num_segments"])
    if not ids.size:
        return
    flat = _host(ids).reshape(-1)
    bad = np.flatnonzero(flat >= n)
    if bad.size:
        i = int(bad[0])
        raise errors.InvalidArgumentError(
            f"segment_ids{_index_str(ids.shape, i)} = {int(flat[i])} is out of range [0, {n}) "
            "[Op:UnsortedSegmentSum]"
        )


def _check_labels(inputs, attrs):
    x, labels = inputs
    rows, n = x.shape
    if not rows:
        return
    flat = _host(labels).reshape(-1)
    bad = np.flatnonzero((flat < 0) | (flat >= n))
    if bad.size:
        shown = " ".join(str(int(v)) for v in flat[:1000]) + (" ..." if rows > 1000 else "")
        raise errors.InvalidArgumentError(
            f"Received a label value of {int(flat[bad[0]])} which is outside the valid range of "
            f"[0, {n}).  Label values: {shown} [Op:SparseSoftmaxCrossEntropyWithLogits]"
        )


CHECKS = {
    "FloorDiv": _check_divisor("FloorDiv"),
    "FloorMod": _check_divisor("FloorMod"),
    "TruncateMod": _check_truncate_mod,
    "GatherV2": _check_gather,
    "GatherNd": _check_gather_nd,
    "ScatterNd": _check_scatter_nd,
    "TensorScatterUpdate": _check_tensor_scatter_update,
    "UnsortedSegmentSum": _check_segments,
    "SparseSoftmaxCrossEntropyWithLogits": _check_labels,
}


# ---- eager kernels -----------------------------------------------------------------------------


def _freeze(value):
    """Attrs as a hashable key (lists become tuples, dicts sorted items)."""
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, np.ndarray):
        return (value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, np.dtype | type):
        return np.dtype(value).name
    return value


_CACHE_LIMIT = 512  # jitted functions kept per op (one per distinct static attrs)

# Ops that only move, select or compare elements: they run on 16-bit floats as they are. The
# others compute float16 / bfloat16 in float32 and round each result back, as the CPU kernels
# (and TF's CPU kernels) do; Cast and Range have their own 16-bit rules.
_NATIVE_16BIT = frozenset({
    "Cast", "Range", "Transpose", "Reshape", "BroadcastTo", "Identity", "ConcatV2", "Split",
    "SplitV", "Slice", "StridedSlice", "StridedSliceGrad", "Pad", "MirrorPad", "Tile",
    "ReverseV2", "GatherV2", "GatherNd", "TensorScatterUpdate", "SelectV2", "Fill", "Where",
    "Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual", "IsNan", "IsFinite",
    "FusedBatchNormV3", "FusedBatchNormGradV3",  # float32 statistics: _xla_nn widens x itself
    "FloorDiv",
})  # fmt: skip


def _is_16bit_float(dtype):
    return dtype.itemsize == 2 and dtype.kind in "fV"


def _in_float32(fn):
    """``fn`` computing 16-bit float inputs (or a 16-bit ``dtype`` attr) in float32, its
    float32 outputs rounded back to that dtype."""

    def run(inputs, attrs):
        half = next((np.dtype(x.dtype) for x in inputs if _is_16bit_float(np.dtype(x.dtype))), None)
        if half is None and "dtype" in attrs and _is_16bit_float(np.dtype(attrs["dtype"])):
            half, attrs = np.dtype(attrs["dtype"]), {**attrs, "dtype": np.dtype(np.float32)}
        if half is None:
            return fn(inputs, attrs)
        wide = [x.astype(jnp.float32) if np.dtype(x.dtype) == half else x for x in inputs]
        return [o.astype(half) if o.dtype == jnp.float32 else o for o in fn(wide, attrs)]

    return run


def make_kernel(op_type):
    """The registered kernel for ``op_type``: ``kernel(inputs, device, attrs) -> outputs``.

    It checks bad values on the host, then runs ``TABLE[op_type]`` jitted (one compiled
    function per distinct attrs and input signature), on the inputs' device, or on
    ``device`` when the op has no inputs.
    """
    fn = TABLE[op_type] if op_type in _NATIVE_16BIT else _in_float32(TABLE[op_type])
    check = CHECKS.get(op_type)
    dynamic = _DYNAMIC_ATTRS.get(op_type, ())
    eager = op_type in NOT_JITTABLE
    cache: dict = {}

    def compiled(attrs):
        static = {k: v for k, v in attrs.items() if k not in dynamic} if dynamic else attrs
        key = _freeze(static) if static else ()
        f = cache.get(key)
        if f is None:
            static = dict(static)  # a copy: the caller may mutate its attrs later
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()

            def run(inputs, dyn, static=static):
                return fn(inputs, {**static, **dict(zip(dynamic, dyn))})

            f = cache[key] = jax.jit(run)
        return f

    def kernel(inputs, device, attrs):
        if jax is None:
            _load()
        if check is not None:
            check(inputs, attrs)
        if eager:
            outputs = fn([jnp.asarray(x) for x in inputs], attrs)
        else:
            dyn = [_dynamic_value(attrs[k]) for k in dynamic]
            outputs = compiled(attrs)(list(inputs), dyn)
        if device is None:
            return list(outputs)
        if not inputs:  # nothing to follow: put the outputs on the op's device
            # _load() above bound jax (the checker keeps the `is None` branch)
            outputs = [jax.device_put(o, device.native) for o in outputs]  # pyright: ignore[reportOptionalMemberAccess]
        track = device.stats.track
        return [track(o, o.nbytes) for o in outputs]

    kernel.op_type = op_type
    kernel.__name__ = kernel.__qualname__ = f"xla_{op_type}"
    kernel.__module__ = SOURCE
    return returns_outputs(kernel)


def cpu_op_dtypes() -> dict:
    """``{op type: [dtype names]}`` of the kernel library's CPU kernels, from the registry."""
    out: dict = {}
    for k in list_kernels(device_type="CPU"):
        if k.source.startswith("tensorhouse_kernels") and k.source != SOURCE:
            out.setdefault(k.op_type, set()).add(k.dtype)
    return {op: sorted(dts) for op, dts in sorted(out.items())}


def register_all():
    """Register an XLA kernel for every CPU op in ``TABLE``, with the CPU kernel's dtypes."""
    for op, dtypes in cpu_op_dtypes().items():
        if op not in TABLE:
            continue  # EXCLUDED, or an op added since; test_xla_coverage names it
        kernel = make_kernel(op)
        for device_type in DEVICE_TYPES:
            register_kernel(op, device_type, dtypes, source=SOURCE)(kernel)


# ---- whole graphs under jax.jit ----------------------------------------------------------------


class SlotAttr:
    """An attr of a ``jit_graph`` node whose value is read from a slot when the graph runs
    (element ``index`` of it, when given): a random op's seeds change per call without a
    recompile. The XLA kernels take such attrs where ``_DYNAMIC_ATTRS`` names them."""

    __slots__ = ("slot", "index")

    def __init__(self, slot: int, index: int | None = None):
        self.slot, self.index = slot, index

    def __repr__(self):
        return f"SlotAttr({self.slot}, {self.index})"


def jit_graph(schedule, input_slots, output_slots, *, check_shapes=True):
    """Compile a graph of ops into one ``jax.jit`` callable, with the eager kernels' table.

    ``schedule`` is a list of nodes in execution order, each
    ``(op_type, input_slots, output_slots, attrs)``: the slot indices (ints) the node reads
    and the slots its outputs are written to. ``input_slots`` are the slots the graph's
    arguments fill, in order; ``output_slots`` the slots returned. The result is
    ``fn(*arrays) -> list[jax.Array]`` (arrays: NumPy or ``jax.Array``; the computation runs
    where the arguments are committed). It retraces per input shapes and dtypes, as
    ``jax.jit`` does.

    While tracing, each node's op definition checks shapes and dtypes (TF's errors, raised
    by the call that traces). Values cannot be checked inside a trace: a gather index out of
    range is clamped, scatter updates and segment ids out of range are dropped, a sparse
    label out of range picks a clamped class, and integer division by zero gives XLA's
    result, where eager execution raises ``InvalidArgumentError``. Ops in ``NOT_JITTABLE``
    (output shapes that depend on the data, ``Where``) and ops without an XLA kernel raise
    ``UnimplementedError`` here, before anything is traced.

    An attr given as ``SlotAttr(slot, index)`` takes its value from that slot (an input, or
    any earlier node's output) each time the graph runs, for the attrs an op's XLA kernel
    accepts traced (``_DYNAMIC_ATTRS``: the random ops' seeds and bounds).
    """
    _load()
    nodes = []
    for op_type, ins, outs, attrs in schedule:
        if op_type in NOT_JITTABLE:
            raise errors.UnimplementedError(
                f"{op_type} has a data-dependent output shape and cannot run under jit_graph "
                f"[Op:{op_type}]"
            )
        if op_type not in TABLE:
            reason = EXCLUDED.get(op_type, "no XLA kernel")
            raise errors.UnimplementedError(
                f"{op_type} cannot run under jit_graph: {reason} [Op:{op_type}]"
            )
        attrs = dict(attrs or {})
        for k, v in attrs.items():
            if isinstance(v, SlotAttr) and k not in _DYNAMIC_ATTRS.get(op_type, ()):
                raise errors.InvalidArgumentError(
                    f"{op_type}'s attr {k!r} cannot be read from a slot: its XLA kernel needs "
                    f"it at trace time [Op:{op_type}]"
                )
        nodes.append((op_type, tuple(ins), tuple(outs), attrs))
    input_slots, output_slots = tuple(input_slots), tuple(output_slots)

    def graph(*args):
        if len(args) != len(input_slots):
            raise TypeError(f"graph takes {len(input_slots)} arguments, got {len(args)}")
        slots = dict(zip(input_slots, args))
        for op_type, ins, outs, attrs in nodes:
            xs = [slots[i] for i in ins]
            if any(isinstance(v, SlotAttr) for v in attrs.values()):
                attrs = {
                    k: (slots[v.slot] if v.index is None else slots[v.slot][v.index])
                    if isinstance(v, SlotAttr)
                    else v
                    for k, v in attrs.items()
                }
            if check_shapes:
                opdef = _OPS.get(op_type) or get_op_def(op_type)
                specs = opdef.infer([x.shape for x in xs], [np.dtype(x.dtype) for x in xs], attrs)
            ys = TABLE[op_type](xs, attrs)
            if len(ys) != len(outs):
                raise errors.InvalidArgumentError(
                    f"{op_type} has {len(ys)} outputs, the schedule names {len(outs)} slots "
                    f"[Op:{op_type}]"
                )
            if check_shapes:
                for y, (shape, dt) in zip(ys, specs):
                    if y.dtype != dt or tuple(y.shape) != tuple(shape):
                        raise errors.InternalError(
                            f"{op_type}'s XLA kernel gave {y.dtype}{list(y.shape)}, its op "
                            f"definition says {dt}{list(shape)} [Op:{op_type}]"
                        )
            slots.update(zip(outs, ys))
        return [slots[i] for i in output_slots]

    return jax.jit(graph)
