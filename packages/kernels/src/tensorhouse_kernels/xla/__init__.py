"""XLA kernels: one pure ``jax.numpy`` / ``jax.lax`` function per op of the CPU kernel library.

``TABLE`` maps each op type to ``fn(inputs, attrs) -> [outputs]``, merged from the family
modules' own ``TABLE`` (``elementwise``, ``reduce``, ``linalg``, ``array``, ``indexing``,
``random``, ``nn``, ``optim``, ``complex``: the CPU's family names; an op in two families is an
error at import; ``FAMILY`` names each op's family): inputs are ``jax.Array`` (or
tracers), attrs the op's attrs, and the function is traceable, so the same table serves eager
kernels (each op jitted once per attrs and input signature) and whole graphs under ``jax.jit``
(``jit_graph``). Semantics are the C++ kernels' (``src/cpp``): integer arithmetic wraps, Round
is half-to-even, Cast saturates float to int with NaN to 0, FloorMod takes the divisor's sign,
Max / Min / Maximum / Minimum propagate NaN, the random ops (stateful and stateless) reproduce
the CPU's Philox4x32-10 stream number for number.

``register_all()`` registers a kernel for every op in ``TABLE`` on ``XLA_CPU``, ``XLA_GPU`` and
``TPU``, with exactly the dtypes the CPU kernel has. An op with a CPU kernel and no entry here
must be listed in ``EXCLUDED`` with the reason (a test enforces it). XLA kernels follow
``execute``'s one contract, ``kernel(inputs, outputs, attrs)``: JAX's arrays are immutable
(the XLA devices are not ``writable``), so ``outputs`` holds empty slots that the kernel sets.

Errors that depend on the data (an index out of range, an integer divisor of zero, a label out
of range) are checked on the host before JAX runs, with the C++ kernels' messages; inside
``jit_graph`` nothing can be checked, and XLA clamps gather indices, drops scatter updates at
bad indices, and divides integers by zero as XLA does (see ``jit_graph``).

``cond`` / ``while_loop`` / ``jit`` / ``step_seed`` (``control``) are the control flow that
``jit_compile=True`` graphs build their ``If`` / ``While`` nodes from, between ``jit_graph``
calls, so the layers above never import JAX.

JAX is imported on the first call, not when this module is imported or registers its kernels,
so ``import tensorhouse_kernels`` stays as fast with JAX installed as without.
"""

# ruff: noqa: F401
from __future__ import annotations

from typing import Any

import numpy as np

from .._families import merge_tables
from ..opdefs import _OPS, get_op_def
from ..runtime import errors, list_kernels, register_kernel
from . import array, complex, control, elementwise, indexing, linalg, nn, optim, random, reduce

# Every family module's names, re-exported: ``xla.<name>`` keeps working for tools and tests.
from ._base import (
    _convert_scalar,
    _is_16bit_float,
    _static_cast,
)
from ._checks import (
    _DYNAMIC_ATTRS,
    CHECKS,
    _check_divisor,
    _check_gather,
    _check_gather_nd,
    _check_labels,
    _check_nd,
    _check_scatter_nd,
    _check_segments,
    _check_tensor_scatter_update,
    _check_truncate_mod,
    _dynamic_value,
    _host,
    _index_str,
    _shape_str,
)
from .array import (
    _broadcast_to,
    _concat,
    _fill,
    _identity,
    _index,
    _mirror_pad,
    _pack,
    _pad,
    _range,
    _reshape,
    _reverse,
    _slice,
    _split,
    _split_at,
    _split_v,
    _strided_slice,
    _strided_slice_grad,
    _tile,
    _transpose,
    _unpack,
)
from .complex import (
    _fft_fn,
    _make_complex,
    _rfft_fn,
)
from .control import cond, jit, step_seed, while_loop
from .elementwise import (
    _BINARY,
    _MATH_BINARY,
    _MATH_UNARY,
    _PREDICATE,
    _UNARY,
    SELU_ALPHA,
    SELU_SCALE,
    _binary_fn,
    _c,
    _cast,
    _digamma,
    _floor_div,
    _floor_mod,
    _fused_elementwise,
    _isnan,
    _maximum,
    _minimum,
    _relu,
    _relu6,
    _round,
    _shift,
    _sign,
    _softplus,
    _truncate_mod,
    _unary_fn,
)
from .indexing import (
    _gather,
    _gather_nd,
    _one_hot,
    _scatter_nd,
    _segment_sum,
    _tensor_scatter_update,
    _where,
)
from .linalg import (
    _adjoint,
    _batch_matmul,
    _cholesky,
    _log_matrix_determinant,
    _matmul,
    _matrix_determinant,
    _matrix_inverse,
    _matrix_solve,
)
from .nn import (
    _NHWC,
    _avg_pool,
    _avg_pool_grad,
    _batch_norm,
    _batch_norm_grad,
    _bias_add,
    _bias_add_grad,
    _conv,
    _conv_backprop_filter,
    _conv_backprop_input,
    _conv_forward,
    _counts,
    _dot,
    _f64,
    _first_argmax,
    _gru_sequence,
    _gru_sequence_grad,
    _in_bounds,
    _layer_norm,
    _layer_norm_grad,
    _lstm_sequence,
    _lstm_sequence_grad,
    _mask_steps,
    _max_pool,
    _max_pool_grad,
    _max_pool_grad_grad,
    _pads,
    _pool_geometry,
    _previous,
    _row_max,
    _sig,
    _softmax_fn,
    _sparse_xent,
    _steps,
    _taps,
    _transposed_pads,
    _unsteps,
    _window,
    _xent,
    _zeros,
)
from .random import (
    _M0,
    _M1,
    _MASK64,
    _W0,
    _W1,
    _box_muller,
    _mulhilo,
    _philox,
    _random_fn,
    _random_int,
    _random_values,
    _stateless_fn,
    _stateless_int,
    _truncated_normal,
    _u64,
    _uniform_blocks,
    _uniform_int,
    _unit_f32,
    _unit_f64,
    philox4x32_10,
)
from .reduce import (
    _acc,
    _arg_fn,
    _axes,
    _cumulative_fn,
    _reduce_fn,
    _top_k,
)

__all__ = [
    "DEVICE_TYPES",
    "EXCLUDED",
    "NOT_JITTABLE",
    "SlotAttr",
    "TABLE",
    "cond",  # control flow between jit_graph calls, for jit_compile's If / While nodes
    "jit",
    "jit_graph",
    "register_all",
    "step_seed",
    "while_loop",
]

# the family modules that use JAX (``_load`` binds it in each)
FAMILIES = (
    elementwise,
    reduce,
    linalg,
    array,
    indexing,
    random,
    nn,
    optim,
    complex,
    control,
)

DEVICE_TYPES = ("XLA_CPU", "XLA_GPU", "TPU")
SOURCE = "tensorhouse_kernels.xla"

# Ops with a CPU kernel and no XLA kernel yet, with the reason (register nothing for them).
EXCLUDED: dict[str, str] = {
    **{op: "no XLA lowering yet: jit_compile=True graphs cannot hold it"
       for op in ("Qr", "Svd", "SelfAdjointEigV2", "Lu", "Eig", "UnsortedSegmentMax",
                  "UnsortedSegmentMin", "UnsortedSegmentProd", "LowerBound", "UpperBound")},
    **{op: "its output shape depends on the data (as Where), so XLA cannot compile it"
       for op in ("SegmentSum", "SegmentMean", "SegmentMax", "SegmentMin", "SegmentProd",
                  "Unique", "UniqueWithCounts", "DenseBincount")},
    **{op: "C++ CPU kernel only so far (image.cpp); jit_compile graphs get the ops layer's "
           "lowering to matrix products"
       for op in ("ResizeBilinear", "ResizeBilinearGrad", "ResizeNearestNeighbor",
                  "ResizeNearestNeighborGrad")},
}  # fmt: skip

# Ops whose output shape depends on the data: they run eagerly, never inside jit_graph.
NOT_JITTABLE = frozenset({"Where"})

# bound by _load() on first use (Any: the type checker sees modules, not None, at the call sites)
jax: Any = None
jnp: Any = None
lax: Any = None


def _load():
    """Import JAX (on the first XLA call) and bind it in every family module."""
    global jax, jnp, lax
    if jax is None:
        import jax as _jax
        import jax.numpy as _jnp
        from jax import lax as _lax

        # TF's int64 / float64 keep their width (the runtime's XLA backend does the same).
        _jax.config.update("jax_enable_x64", True)
        for family in FAMILIES:
            family.bind(_jax, _jnp, _lax)
        jax, jnp, lax = _jax, _jnp, _lax
    return jax


# ---- the table ---------------------------------------------------------------------------------
# op type -> fn(inputs, attrs) -> [outputs], from each family's TABLE; FAMILY: op -> family name
TABLE, FAMILY = merge_tables(
    (elementwise, reduce, linalg, array, indexing, random, nn, optim, complex)
)


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
    "Pack", "Unpack",
    "SplitV", "Slice", "StridedSlice", "StridedSliceGrad", "Pad", "MirrorPad", "Tile",
    "ReverseV2", "GatherV2", "GatherNd", "TensorScatterUpdate", "SelectV2", "Fill", "Where",
    "Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual", "IsNan", "IsFinite",
    "FusedBatchNormV3", "FusedBatchNormGradV3",  # float32 statistics: _xla_nn widens x itself
    "FloorDiv", "Bitcast",
})  # fmt: skip


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
    """The registered kernel for ``op_type``: ``kernel(inputs, outputs, attrs)``, which sets
    the empty slots of ``outputs``.

    It checks bad values on the host, then runs ``TABLE[op_type]`` jitted (one compiled
    function per distinct attrs and input signature), on the inputs' device, or on
    ``outputs.device`` when the op has no inputs.
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

    def kernel(inputs, outputs, attrs):
        if jax is None:
            _load()
        if check is not None:
            check(inputs, attrs)
        if eager:
            made = fn([jnp.asarray(x) for x in inputs], attrs)
        else:
            dyn = [_dynamic_value(attrs[k]) for k in dynamic]
            made = compiled(attrs)(list(inputs), dyn)
        device = outputs.device
        if not inputs:  # nothing to follow: put the outputs on the op's device
            # _load() above bound jax (the checker keeps the `is None` branch)
            made = [jax.device_put(o, device.native) for o in made]  # pyright: ignore[reportOptionalMemberAccess]
        track = device.stats.track
        outputs[:] = [track(o, o.nbytes) for o in made]

    kernel.op_type = op_type
    kernel.__name__ = kernel.__qualname__ = f"xla_{op_type}"
    kernel.__module__ = SOURCE
    return kernel


def cpu_op_dtypes() -> dict:
    """``{op type: [dtype names]}`` of the kernel library's CPU kernels, from the registry."""
    out: dict = {}
    for k in list_kernels(device_type="CPU"):  # tf.string (object) stays on the CPU
        own = k.source.startswith("tensorhouse_kernels") and k.source != SOURCE
        if own and k.dtype != "object":
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
