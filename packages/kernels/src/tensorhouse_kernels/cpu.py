"""Registers the C++ CPU kernels (module ``_cpu``) in the runtime's kernel registry."""

from __future__ import annotations

import numpy as np

from . import _blas, _cpu
from .execute import _fast_cpu
from .opdefs import (
    ALL,
    CAST_TYPES,
    COMPLEX,
    FFT_OPS,
    FLOAT16,
    IRFFT_OPS,
    RFFT_OPS,
    TRUNCATE_MOD_ZERO,
    check_fused_program,
    conv_params,
    fft_lengths,
    fft_rank,
    get_op_def,
    mirror_pad_copies,
    normalized_reverse_axes,
    pool_params,
    slice_bounds,
    stateless_seed,
    strided_slice_spec,
)
from .runtime import config, errors, register_kernel, set_native_allocator

__all__ = ["register_all", "info"]

_NUMERIC_CPP = ("float32", "float64", "int32", "int64", "uint8", "int8", "int16")
_SOURCE = "tensorhouse_kernels.cpu"


def _dtypes(op_type, supported=_NUMERIC_CPP):
    allowed = {np.dtype(d) for d in supported}
    return [d for d in get_op_def(op_type).dtypes if d in allowed]


def _register(op_type, fn, supported=_NUMERIC_CPP, half=None):
    """``fn`` for the op's dtypes in ``supported``; ``half(fn)`` for its 16-bit float ones."""
    native = _dtypes(op_type, supported)
    if half is not None:
        native = [d for d in native if d not in FLOAT16]
    register_kernel(op_type, "CPU", native, source=_SOURCE)(fn)
    if half is not None:
        halves = [d for d in get_op_def(op_type).dtypes if d in FLOAT16]
        register_kernel(op_type, "CPU", halves, source=_SOURCE)(half(fn))


# ---- 16-bit floats and bool through the kernels of other dtypes ----------------------------


def _widen(x):
    """A float32 copy of a float16 / bfloat16 array; other arrays as they are."""
    code = _storage16(x.dtype)
    if not code:
        return x
    wide = np.empty(x.shape, np.float32)
    _cpu.cast16(x, wide, code, 0)
    return wide


def _in_float32(kernel):
    """``kernel`` computing 16-bit floats in float32, each result rounded back (as TF's CPU
    kernels for float16 and bfloat16: Eigen converts, computes in float, rounds)."""

    def run(inputs, outputs, attrs):
        ins = [_widen(x) for x in inputs]
        if outputs is None:  # a kernel that creates its outputs (Where: int64 coordinates)
            return kernel(ins, None, attrs)
        outs = [np.empty(o.shape, np.float32) if _storage16(o.dtype) else o for o in outputs]
        kernel(ins, outs, attrs)
        for out, wide in zip(outputs, outs):
            if wide is not out:
                _cpu.cast16(wide, out, 0, _storage16(out.dtype))

    return run


def _as_bits(kernel, value_attr=None):
    """``kernel`` moving 16-bit floats as int16 bit patterns (copies, gathers, pads); the
    scalar attr ``value_attr`` (a fill value) becomes the pattern of the output's dtype."""

    def bits(a):
        return a.view(np.int16) if _storage16(a.dtype) else a

    def run(inputs, outputs, attrs):
        if value_attr is not None and outputs and _storage16(outputs[0].dtype):
            value = np.asarray(attrs.get(value_attr, 0), outputs[0].dtype)
            attrs = {**attrs, value_attr: int(value.view(np.int16))}
        return kernel([bits(x) for x in inputs], [bits(o) for o in outputs], attrs)

    return run


def _bool_as_uint8(kernel):
    """``kernel`` reading bool inputs as uint8 0 / 1 (Equal, NotEqual, ArgMax on bool)."""

    def run(inputs, outputs, attrs):
        return kernel([x.view(np.uint8) for x in inputs], outputs, attrs)

    return run


def _truncate_mod(kernel):
    """TF's CPU TruncateMod fails an integer divisor of zero with an InternalError."""

    def run(inputs, outputs, attrs):
        b = inputs[1]
        if b.dtype.kind in "iu" and outputs[0].size and not b.all():
            raise errors.InternalError(TRUNCATE_MOD_ZERO)
        kernel(inputs, outputs, attrs)

    return run


def _unary_kernel(code):
    unary = _cpu.unary

    def kernel(inputs, outputs, attrs):
        unary(code, inputs[0], outputs[0])

    return kernel


def _floor_div_half(kernel):
    """FloorDiv on float16 / bfloat16 as TF's: the float32 quotient is rounded to the 16-bit
    type first, then floored (flooring the float32 quotient differs just below an integer)."""
    div, floor = _cpu.BINARY_OPS["RealDiv"], _cpu.UNARY_OPS["Floor"]

    def run(inputs, outputs, attrs):
        out = outputs[0]
        code = _storage16(out.dtype)
        q = np.empty(out.shape, np.float32)
        _cpu.binary(div, _widen(inputs[0]), _widen(inputs[1]), q)
        _cpu.cast16(q, out, 0, code)
        _cpu.cast16(out, q, code, 0)
        _cpu.unary(floor, q, q)
        _cpu.cast16(q, out, 0, code)

    return run


def _math_unary_kernel(code):
    math_unary = _cpu.math_unary

    def kernel(inputs, outputs, attrs):
        math_unary(code, inputs[0], outputs[0])

    return kernel


def _math_binary_kernel(code):
    math_binary = _cpu.math_binary

    def kernel(inputs, outputs, attrs):
        math_binary(code, inputs[0], inputs[1], outputs[0])

    return kernel


def _binary_kernel(code):
    binary = _cpu.binary

    def kernel(inputs, outputs, attrs):
        binary(code, inputs[0], inputs[1], outputs[0])

    return kernel


def _reduce_kernel(code):
    reduce = _cpu.reduce

    def kernel(inputs, outputs, attrs):
        x = inputs[0]
        axes = attrs.get("axis")
        if axes is None:
            axes = range(x.ndim)
        elif isinstance(axes, int | np.integer):  # a lone axis, as the op def accepts
            axes = (axes,)
        axes = [int(a) % x.ndim for a in axes]
        reduce(code, x, axes, outputs[0])

    return kernel


def _matmul(inputs, outputs, attrs):
    _cpu.matmul(
        inputs[0],
        inputs[1],
        outputs[0],
        bool(attrs.get("transpose_a", False)),
        bool(attrs.get("transpose_b", False)),
    )


def _transpose(inputs, outputs, attrs):
    _cpu.copy(np.transpose(inputs[0], attrs["perm"]), outputs[0])


def _broadcast_to(inputs, outputs, attrs):
    _cpu.copy(np.broadcast_to(inputs[0], outputs[0].shape), outputs[0])


def _identity(inputs, outputs, attrs):
    _cpu.copy(inputs[0], outputs[0])


def _reshape(inputs, outputs, attrs):
    # A view: C-contiguous in, C-contiguous out, no copy. Tensors never write their buffers.
    return [inputs[0].reshape(attrs["shape"])]


def _storage16(dtype):
    """0: a native type; 1: float16; 2: bfloat16 (the C++ kernel converts the bits)."""
    if dtype.itemsize != 2:
        return 0
    return 1 if dtype == np.float16 else 2 if dtype.name == "bfloat16" else 0


def _cast(inputs, outputs, attrs):
    x, out = inputs[0], outputs[0]
    if x.dtype.kind == "c" or out.dtype.kind == "c":
        return _cast_complex(x, out, attrs)
    a, b = _storage16(x.dtype), _storage16(out.dtype)
    if a or b:
        _cpu.cast16(x, out, a, b)
    else:
        _cpu.cast(x, out)


def _fill(inputs, outputs, attrs):
    value = attrs["value"]
    if isinstance(value, int | np.integer) and abs(int(value)) > 2**53:
        outputs[0][...] = value  # beyond a double's 53 bits: every bit of the integer kept
        return
    _cpu.fill(outputs[0], float(value))


def _predicate_kernel(code):
    predicate = _cpu.predicate

    def kernel(inputs, outputs, attrs):
        predicate(code, inputs[0], outputs[0])

    return kernel


def _logical_kernel(code):
    logical = _cpu.logical

    def kernel(inputs, outputs, attrs):
        logical(code, inputs[0], inputs[1], outputs[0])

    return kernel


def _select(inputs, outputs, attrs):
    _cpu.select(inputs[0], inputs[1], inputs[2], outputs[0])


def _arg_kernel(is_max):
    def kernel(inputs, outputs, attrs):
        _cpu.arg_reduce(is_max, inputs[0], int(attrs.get("axis", 0)), outputs[0])

    return kernel


def _cumulative_kernel(prod):
    def kernel(inputs, outputs, attrs):
        _cpu.cumulative(
            prod,
            inputs[0],
            int(attrs.get("axis", 0)),
            bool(attrs.get("exclusive", False)),
            bool(attrs.get("reverse", False)),
            outputs[0],
        )

    return kernel


def _top_k(inputs, outputs, attrs):
    _cpu.top_k(inputs[0], int(attrs["k"]), outputs[0], outputs[1])


def _batch_matmul(inputs, outputs, attrs):
    _cpu.batch_matmul(
        inputs[0],
        inputs[1],
        outputs[0],
        bool(attrs.get("adj_x", False)),
        bool(attrs.get("adj_y", False)),
    )


def _softmax_kernel(log):
    def kernel(inputs, outputs, attrs):
        _cpu.softmax(inputs[0], outputs[0], log)

    return kernel


def _xent(inputs, outputs, attrs):
    _cpu.softmax_xent(inputs[0], inputs[1], outputs[0], outputs[1])


def _sparse_xent(inputs, outputs, attrs):
    _cpu.sparse_softmax_xent(inputs[0], inputs[1], outputs[0], outputs[1])


# FusedElementwise: the program encoded once per attrs (rows of kind, op or input, registers;
# one constant per row), cached by the identity of the attrs' program and outputs.
_FUSED_KIND = {"input": 0, "const": 1, "unary": 2, "binary": 3}
_fused_programs: dict = {}


def _encode_fused(program, outputs):
    unary = {n: i for i, n in enumerate(_cpu.FUSED_UNARY_OPS)}
    binary = {n: i for i, n in enumerate(_cpu.FUSED_BINARY_OPS)}
    code = np.zeros((len(program), 4), np.int64)
    consts = np.zeros(len(program), np.float64)
    for k, ins in enumerate(program):
        kind = ins[0]
        code[k, 0] = _FUSED_KIND[kind]
        if kind == "input":
            code[k, 1] = ins[1]
        elif kind == "const":
            consts[k] = float(ins[1])
        else:
            code[k, 1] = (unary if kind == "unary" else binary)[ins[1]]
            code[k, 2 : len(ins) + 1] = ins[2:]
    return code, consts, np.asarray(outputs, np.int64).reshape(-1)


def _fused(inputs, outputs, attrs):
    program, outs = attrs["program"], attrs["outputs"]
    hit = _fused_programs.get((id(program), id(outs)))
    if hit is None or hit[0] is not program or hit[1] is not outs:
        program_t, outs_t = check_fused_program(attrs, len(inputs))
        if len(_fused_programs) >= 4096:
            _fused_programs.clear()
        hit = (program, outs, *_encode_fused(program_t, outs_t))
        _fused_programs[(id(program), id(outs))] = hit
    _cpu.fused(hit[2], hit[3], hit[4], inputs, outputs)


# Array ops: NumPy builds the strided views (no data moves); the C++ copy / assign kernels move
# the elements (threads above the size threshold, GIL released).


def _view(a, index):
    """``a[index]`` as a view, 0-d results included (a trailing Ellipsis keeps them arrays)."""
    return a[tuple(index) + (Ellipsis,)]


def _along(axis, start, stop):
    return (slice(None),) * axis + (slice(start, stop),)


def _concat(inputs, outputs, attrs):
    out = outputs[0]
    axis = int(attrs.get("axis", 0)) % out.ndim
    offset = 0
    for x in inputs:
        d = x.shape[axis]
        if d:
            _cpu.assign(x, out[_along(axis, offset, offset + d)])
        offset += d


def _split(inputs, outputs, attrs):
    x = inputs[0]
    axis = int(attrs.get("axis", 0)) % x.ndim
    offset = 0
    for out in outputs:
        d = out.shape[axis]
        _cpu.copy(x[_along(axis, offset, offset + d)], out)
        offset += d


def _slice(inputs, outputs, attrs):
    x = inputs[0]
    begin, size = slice_bounds("Slice", x.shape, attrs["begin"], attrs["size"])
    _cpu.copy(_view(x, (slice(b, b + s) for b, s in zip(begin, size))), outputs[0])


def _strided_slice(inputs, outputs, attrs):
    x = inputs[0]
    index, _ = strided_slice_spec("StridedSlice", x.shape, attrs)
    _cpu.copy(_view(x, index), outputs[0])


def _strided_slice_grad(inputs, outputs, attrs):
    out = outputs[0]
    index, _ = strided_slice_spec("StridedSliceGrad", out.shape, attrs)
    _cpu.fill(out, 0.0)
    _cpu.assign(inputs[0], _view(out, index))


def _pad(inputs, outputs, attrs):
    x, out = inputs[0], outputs[0]
    pads = [(int(a), int(b)) for a, b in attrs["paddings"]]
    if any(a or b for a, b in pads):
        _cpu.fill(out, float(attrs.get("constant_values", 0)))
    if x.size:
        _cpu.assign(x, _view(out, (slice(a, a + d) for (a, _), d in zip(pads, x.shape))))


def _mirror_pad(inputs, outputs, attrs):
    x, out = inputs[0], outputs[0]
    if out.size == 0:
        return
    centre, pairs = mirror_pad_copies("MirrorPad", x.shape, attrs)
    _cpu.assign(x, _view(out, centre))
    for src, dst in pairs:
        _cpu.assign(_view(out, src), _view(out, dst))


def _tile(inputs, outputs, attrs):
    x, out = inputs[0], outputs[0]
    if out.size == 0:
        return
    mult = [int(m) for m in attrs["multiples"]]
    pairs = [v for m, d in zip(mult, x.shape) for v in (m, d)]
    src = np.broadcast_to(x.reshape([v for d in x.shape for v in (1, d)]), pairs)
    _cpu.copy(src, out.reshape(pairs))


def _reverse(inputs, outputs, attrs):
    x = inputs[0]
    axes = normalized_reverse_axes("ReverseV2", attrs["axis"], x.ndim)
    steps = (slice(None, None, -1 if i in axes else 1) for i in range(x.ndim))
    _cpu.copy(_view(x, steps), outputs[0])


def _gather(inputs, outputs, attrs):
    params = inputs[0]
    _cpu.gather(params, inputs[1], int(attrs.get("axis", 0)) % params.ndim, outputs[0])


def _gather_nd(inputs, outputs, attrs):
    _cpu.gather_nd(inputs[0], inputs[1], outputs[0])


def _scatter_nd(inputs, outputs, attrs):
    _cpu.scatter_nd(inputs[0], inputs[1], outputs[0])


def _tensor_scatter_update(inputs, outputs, attrs):
    _cpu.tensor_scatter_update(inputs[0], inputs[1], inputs[2], outputs[0])


def _segment_sum(inputs, outputs, attrs):
    _cpu.unsorted_segment_sum(inputs[0], inputs[1], outputs[0])


def _one_hot(inputs, outputs, attrs):
    x = inputs[0]
    axis = int(attrs.get("axis", -1))
    _cpu.one_hot(
        x,
        int(attrs["depth"]),
        x.ndim if axis == -1 else axis,
        float(attrs.get("on_value", 1)),
        float(attrs.get("off_value", 0)),
        outputs[0],
    )


def _range(inputs, outputs, attrs):
    out = outputs[0]
    as_type = float if out.dtype.kind == "f" else int
    _cpu.range(as_type(attrs["start"]), as_type(attrs["delta"]), out)


def _range_half(inputs, outputs, attrs):
    """Range on float16 / bfloat16 as TF's: i * delta + start, each step rounded to the dtype
    (NumPy's and ml_dtypes' 16-bit arithmetic computes in float32 and rounds)."""
    out = outputs[0]
    t = out.dtype.type
    out[...] = np.arange(out.size).astype(out.dtype) * t(attrs["delta"]) + t(attrs["start"])


def _where(inputs, outputs, attrs):
    return [_cpu.where(inputs[0])]


def _random_kernel(kind):
    def kernel(inputs, outputs, attrs):
        _cpu.random_fill(kind, outputs[0], int(attrs["seed"]), int(attrs["seed2"]))

    return kernel


# Neural-network kernels (NHWC). The op definitions compute the geometry; C++ does the work.


def _conv_kernel(which, depthwise):
    fn = _cpu.depthwise_conv2d if depthwise else _cpu.conv2d
    op = ("DepthwiseConv2dNative" if depthwise else "Conv2D") + (
        "",
        "BackpropInput",
        "BackpropFilter",
    )[which]

    def kernel(inputs, outputs, attrs):
        if which == 0:  # input, filter -> output
            a, b, c = inputs[0], inputs[1], outputs[0]
        elif which == 1:  # filter, out_backprop -> input gradient
            a, b, c = outputs[0], inputs[0], inputs[1]
        else:  # input, out_backprop -> filter gradient
            a, b, c = inputs[0], outputs[0], inputs[1]
        _, (pt, pl), (sh, sw), (dh, dw) = conv_params(op, a.shape, b.shape, attrs)
        fn(which, a, b, c, sh, sw, dh, dw, pt, pl)

    return kernel


def _pool_kernel(which):
    op = ("MaxPool", "AvgPool", "MaxPoolGrad", "AvgPoolGrad", "MaxPoolGradGrad")[which]

    def kernel(inputs, outputs, attrs):
        if which <= 1:
            x, y, aux = inputs[0], outputs[0], inputs[0]
        elif which == 2:  # orig_input, orig_output, grad -> input gradient
            x, y, aux = outputs[0], inputs[2], inputs[0]
        elif which == 3:  # grad -> input gradient
            x, y, aux = outputs[0], inputs[0], inputs[0]
        else:  # orig_input, orig_output, input-shaped grad -> output-shaped
            x, y, aux = inputs[0], outputs[0], inputs[2]
        _, (pt, pl), (sh, sw), (kh, kw) = pool_params(op, x.shape, attrs)
        _cpu.pool(which, x, y, aux, kh, kw, sh, sw, pt, pl)

    return kernel


def _bias_add(inputs, outputs, attrs):
    _cpu.bias_add(inputs[0], inputs[1], outputs[0])


def _bias_add_grad(inputs, outputs, attrs):
    _cpu.bias_add_grad(inputs[0], outputs[0])


def _batch_norm(inputs, outputs, attrs):
    x, scale, offset, mean, var = inputs
    y, bmean, bvar, r1, r2, _ = outputs
    _cpu.fused_batch_norm(
        x, scale, offset, mean, var, y, bmean, bvar, r1, r2,
        float(attrs.get("epsilon", 1e-4)),
        float(attrs.get("exponential_avg_factor", 1.0)),
        bool(attrs.get("is_training", True)),
    )  # fmt: skip


def _batch_norm_grad(inputs, outputs, attrs):
    dy, x, scale, mean, var, _ = inputs
    dx, dscale, doffset, _, _ = outputs
    _cpu.fused_batch_norm_grad(
        dy, x, scale, mean, var, dx, dscale, doffset,
        float(attrs.get("epsilon", 1e-4)), bool(attrs.get("is_training", True)),
    )  # fmt: skip


def _layer_norm(inputs, outputs, attrs):
    _cpu.layer_norm(*inputs, *outputs, float(attrs.get("epsilon", 1e-3)))


def _layer_norm_grad(inputs, outputs, attrs):
    _cpu.layer_norm_grad(*inputs, *outputs)


def _rnn_mask(inputs, index):
    """The optional mask input, or an empty array (no mask)."""
    return inputs[index] if len(inputs) > index else np.empty((0,), inputs[0].dtype)


def _lstm_sequence(inputs, outputs, attrs):
    _cpu.lstm_sequence(
        *inputs[:6], _rnn_mask(inputs, 6), *outputs, bool(attrs.get("go_backwards", False))
    )


def _lstm_sequence_grad(inputs, outputs, attrs):
    _cpu.lstm_sequence_grad(
        *inputs[:11], _rnn_mask(inputs, 12), *outputs, bool(attrs.get("go_backwards", False))
    )  # inputs[11], the bias, is for the gradient rule's composed copy


def _gru_sequence(inputs, outputs, attrs):
    _cpu.gru_sequence(
        *inputs[:5], _rnn_mask(inputs, 5), *outputs, bool(attrs.get("go_backwards", False)),
        bool(attrs.get("reset_after", True)),
    )  # fmt: skip


def _gru_sequence_grad(inputs, outputs, attrs):
    _cpu.gru_sequence_grad(
        *inputs[:8], _rnn_mask(inputs, 9), *outputs, bool(attrs.get("go_backwards", False)),
        bool(attrs.get("reset_after", True)),
    )  # fmt: skip


def _random_int(inputs, outputs, attrs):
    _cpu.random_int(
        outputs[0], int(attrs["minval"]), int(attrs["maxval"]),
        int(attrs["seed"]), int(attrs["seed2"]),
    )  # fmt: skip


def _stateless_int(inputs, outputs, attrs):
    key, counter = stateless_seed("StatelessRandomUniformIntV2", attrs)
    _cpu.random_int(outputs[0], int(attrs["minval"]), int(attrs["maxval"]), key, counter)


def _truncated_normal(inputs, outputs, attrs):
    _cpu.truncated_normal(outputs[0], int(attrs["seed"]), int(attrs["seed2"]))


def _stateless_kernel(op, kind):
    """The stateless ops: seed[0] is the Philox key, seed[1] the counter's upper half."""

    def kernel(inputs, outputs, attrs):
        key, counter = stateless_seed(op, attrs)
        if kind == 2:
            _cpu.truncated_normal(outputs[0], key, counter)
        else:
            _cpu.random_fill(kind, outputs[0], key, counter)

    return kernel


# Dense linear algebra: LAPACK (OpenBLAS) over the batch of [..., n, n] matrices, GIL released.


def _matrix_inverse(inputs, outputs, attrs):
    _cpu.matrix_inverse(inputs[0], outputs[0], bool(attrs.get("adjoint", False)))


def _matrix_solve(inputs, outputs, attrs):
    _cpu.matrix_solve(inputs[0], inputs[1], outputs[0], bool(attrs.get("adjoint", False)))


def _matrix_determinant(inputs, outputs, attrs):
    _cpu.matrix_determinant(inputs[0], outputs[0])


def _log_matrix_determinant(inputs, outputs, attrs):
    _cpu.log_matrix_determinant(inputs[0], outputs[0], outputs[1])


def _cholesky(inputs, outputs, attrs):
    _cpu.cholesky(inputs[0], outputs[0])


# Matrix decompositions (decomp.cpp): LAPACK over the batch, GIL released.


def _qr(inputs, outputs, attrs):
    _cpu.qr(inputs[0], outputs[0], outputs[1], bool(attrs.get("full_matrices", False)))


def _svd(inputs, outputs, attrs):
    _cpu.svd(inputs[0], *outputs, bool(attrs.get("compute_uv", True)),
             bool(attrs.get("full_matrices", False)))  # fmt: skip


def _self_adjoint_eig(inputs, outputs, attrs):
    _cpu.self_adjoint_eig(inputs[0], outputs[0], outputs[1], bool(attrs.get("compute_v", True)))


def _lu(inputs, outputs, attrs):
    _cpu.lu(inputs[0], outputs[0], outputs[1])


# Segments, distinct values, counts and sorted search (segment.cpp).

_SEGMENT_KIND = {"Sum": 0, "Mean": 1, "Max": 2, "Min": 3, "Prod": 4}


def _unsorted_segment_kernel(kind):
    def kernel(inputs, outputs, attrs):
        _cpu.unsorted_segment_reduce(kind, inputs[0], inputs[1], outputs[0])

    return kernel


def _too_big_is_oom(fn):
    """NumPy's "array is too big" for an output sized by the data, as the MemoryError it is
    (TF's ResourceExhaustedError above)."""

    def kernel(inputs, outputs, attrs):
        try:
            return fn(inputs, outputs, attrs)
        except ValueError as e:
            if "array is too big" in str(e):
                raise MemoryError(str(e)) from None
            raise

    return kernel


def _sorted_segment_kernel(kind):
    @_too_big_is_oom
    def kernel(inputs, outputs, attrs):
        return [_cpu.segment_reduce(kind, inputs[0], inputs[1])]

    return kernel


def _unique_kernel(outputs):
    def kernel(inputs, _, attrs):
        idx64 = np.dtype(attrs.get("out_idx", "int32")) == np.int64
        return list(_cpu.unique(inputs[0], idx64))[:outputs]

    return kernel


@_too_big_is_oom
def _dense_bincount(inputs, outputs, attrs):
    arr, size, weights = inputs
    size = int(size)
    if size < 0:
        raise errors.InvalidArgumentError(f"size ({size}) must be non-negative [Op:DenseBincount]")
    out = np.empty(arr.shape[:-1] + (size,), weights.dtype)
    _cpu.dense_bincount(arr, weights, bool(attrs.get("binary_output", False)), out)
    return [out]


def _bound_kernel(right):
    def kernel(inputs, outputs, attrs):
        _cpu.search_sorted(inputs[0], inputs[1], outputs[0], right)

    return kernel


# ---- complex64 / complex128 ------------------------------------------------------------------
# Arithmetic, the complex-only ops and the transforms run the C++ complex kernels (complex.cpp,
# fft.cpp); the linear ops (data movement, sums, fills) run the real kernels once per plane.


def _real_of(dtype):
    return np.dtype(np.float32) if dtype.itemsize == 8 else np.dtype(np.float64)


def _split_planes(x):
    re = np.empty(x.shape, _real_of(x.dtype))
    im = np.empty(x.shape, re.dtype)
    _cpu.complex_split(x, re, im)
    return re, im


def _by_planes(kernel, value_attr=None):
    """``kernel`` of a linear op run on the real parts, then on the imaginary parts (complex
    inputs split into two real arrays; indices or a bool condition pass as they are); the
    complex scalar attr ``value_attr`` (a fill value) splits the same way."""

    def run(inputs, outputs, attrs):
        parts = [_split_planes(x) if x.dtype.kind == "c" else (x, x) for x in inputs]
        planes = [[np.empty(o.shape, _real_of(o.dtype)) for o in outputs] for _ in range(2)]
        for k in range(2):
            plane_attrs = attrs
            if value_attr is not None:
                v = complex(attrs.get(value_attr, 0))
                plane_attrs = {**attrs, value_attr: v.imag if k else v.real}
            kernel([p[k] for p in parts], planes[k], plane_attrs)
        for out, re, im in zip(outputs, *planes):
            _cpu.make_complex(re, im, out)

    return run


def _cast_complex(x, out, attrs):
    """TF's casts: real -> complex sets the imaginary part to 0, complex -> real keeps the real
    part (then converts it as a real cast does), complex -> complex casts both parts."""
    if x.dtype.kind == "c":
        re, im = _split_planes(x)
        if out.dtype.kind != "c":
            return _cast([re], [out], attrs)
        re2 = np.empty(out.shape, _real_of(out.dtype))
        im2 = np.empty(out.shape, re2.dtype)
        _cpu.cast(re, re2)
        _cpu.cast(im, im2)
        return _cpu.make_complex(re2, im2, out)
    re = np.empty(out.shape, _real_of(out.dtype))
    _cast([x], [re], attrs)
    _cpu.make_complex(re, np.zeros((), re.dtype), out)


def _complex_unary_kernel(code):
    def kernel(inputs, outputs, attrs):
        _cpu.complex_unary(code, inputs[0], outputs[0])

    return kernel


def _complex_binary_kernel(code):
    def kernel(inputs, outputs, attrs):
        _cpu.complex_binary(code, inputs[0], inputs[1], outputs[0])

    return kernel


def _complex_to_real_kernel(code):
    def kernel(inputs, outputs, attrs):
        _cpu.complex_to_real(code, inputs[0], outputs[0])

    return kernel


def _make_complex(inputs, outputs, attrs):
    _cpu.make_complex(inputs[0], inputs[1], outputs[0])


def _complex_matmul(inputs, outputs, attrs):
    op_a, op_b = int(bool(attrs.get("transpose_a"))), int(bool(attrs.get("transpose_b")))
    _cpu.complex_matmul(inputs[0][None], inputs[1][None], outputs[0][None], op_a, op_b)


def _complex_batch_matmul(inputs, outputs, attrs):
    out = outputs[0]
    batch = out.shape[:-2]
    count = int(np.prod(batch, dtype=np.int64))

    def flat(x):
        if x.shape[:-2] != batch and int(np.prod(x.shape[:-2], dtype=np.int64)) != 1:
            x = np.ascontiguousarray(np.broadcast_to(x, batch + x.shape[-2:]))
        return x.reshape((count if x.shape[:-2] == batch else 1,) + x.shape[-2:])

    _cpu.complex_matmul(flat(inputs[0]), flat(inputs[1]), out.reshape((count,) + out.shape[-2:]),
                        2 if attrs.get("adj_x") else 0, 2 if attrs.get("adj_y") else 0)  # fmt: skip


def _complex_prod(inputs, outputs, attrs):
    x, out = inputs[0], outputs[0]
    axes = attrs.get("axis")
    axes = range(x.ndim) if axes is None else [axes] if isinstance(axes, int | np.integer) else axes
    axes = sorted({int(a) % x.ndim for a in axes}) if x.ndim else []
    kept = [a for a in range(x.ndim) if a not in axes]
    n = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
    rows = np.ascontiguousarray(np.transpose(x, kept + axes)).reshape(out.size, n)
    _cpu.complex_prod_rows(rows, out.reshape(-1))


def _fit(x, inner):
    """``x`` cropped or zero-padded to the innermost dims ``inner`` (RFFT's fft_length)."""
    shape = x.shape[: x.ndim - len(inner)] + tuple(inner)
    if shape == x.shape:
        return x
    out = np.zeros(shape, x.dtype)
    common = tuple(slice(0, min(a, b)) for a, b in zip(x.shape, shape))
    out[common] = x[common]
    return out


def _fft_kernel(op):
    rank, inverse = fft_rank(op), op.startswith("I")

    def kernel(inputs, outputs, attrs):
        _cpu.fft(inputs[0], outputs[0], rank, inverse)

    return kernel


def _rfft_kernel(op):
    rank = fft_rank(op)

    def kernel(inputs, outputs, attrs):
        if outputs[0].size:
            _cpu.rfft(_fit(inputs[0], fft_lengths(op, attrs, rank)), outputs[0], rank)

    return kernel


def _irfft_kernel(op):
    rank = fft_rank(op)

    def kernel(inputs, outputs, attrs):
        lengths = fft_lengths(op, attrs, rank)
        if outputs[0].size:
            half = _fit(inputs[0], lengths[:-1] + [lengths[-1] // 2 + 1])
            _cpu.irfft(half, outputs[0], rank)

    return kernel


def _register_complex():
    def reg(op, fn, dtypes=COMPLEX):
        register_kernel(op, "CPU", dtypes, source=_SOURCE)(fn)

    for name, code in _cpu.COMPLEX_UNARY_OPS.items():
        reg(name, _complex_unary_kernel(code))
    for name, code in _cpu.COMPLEX_BINARY_OPS.items():
        reg(name, _complex_binary_kernel(code))
    for name, code in _cpu.COMPLEX_TO_REAL_OPS.items():
        reg(name, _complex_to_real_kernel(code))
    reg("Complex", _make_complex, get_op_def("Complex").dtypes)
    reg("MatMul", _complex_matmul)
    reg("Prod", _complex_prod)
    reg("BatchMatMulV2", _complex_batch_matmul)
    reg("Reshape", _reshape)  # a view
    for name, fn in (
        ("Transpose", _transpose), ("BroadcastTo", _broadcast_to), ("Identity", _identity),
        ("SelectV2", _select), ("ConcatV2", _concat), ("Split", _split), ("SplitV", _split),
        ("Slice", _slice), ("StridedSlice", _strided_slice),
        ("StridedSliceGrad", _strided_slice_grad), ("Tile", _tile), ("ReverseV2", _reverse),
        ("GatherV2", _gather), ("GatherNd", _gather_nd), ("ScatterNd", _scatter_nd),
        ("TensorScatterUpdate", _tensor_scatter_update), ("UnsortedSegmentSum", _segment_sum),
        ("Sum", _reduce_kernel(_cpu.REDUCE_OPS["Sum"])),
        ("Mean", _reduce_kernel(_cpu.REDUCE_OPS["Mean"])),
        ("Cumsum", _cumulative_kernel(False)),
    ):  # fmt: skip
        reg(name, _by_planes(fn))
    reg("Pad", _by_planes(_pad, "constant_values"))
    reg("Fill", _by_planes(_fill, "value"))
    for name in FFT_OPS:
        reg(name, _fft_kernel(name))
    for name in RFFT_OPS:
        reg(name, _rfft_kernel(name), get_op_def(name).dtypes)
    for name in IRFFT_OPS:
        reg(name, _irfft_kernel(name))


def register_all():
    all_types = [d.name for d in ALL]
    floats = ("float32", "float64")
    f32 = _in_float32
    _cpu.set_invalid_argument_error(errors.InvalidArgumentError)
    set_native_allocator("CPU", _cpu.empty)
    for name, code in _cpu.UNARY_OPS.items():
        kernel = _unary_kernel(code)
        _register(name, kernel, half=f32)
        _fast_cpu[name] = (kernel, _cpu.unary, code, False)
    for name, code in _cpu.BINARY_OPS.items():
        kernel = _binary_kernel(code)
        if name == "TruncateMod":
            _register(name, _truncate_mod(kernel))
            continue
        _register(name, kernel, half=_floor_div_half if name == "FloorDiv" else f32)
        _fast_cpu[name] = (kernel, _cpu.binary, code, code >= _cpu.BINARY_OPS["Equal"])
        if name in ("Equal", "NotEqual"):
            _register(name, _bool_as_uint8(kernel), ("bool",))
    every_int = _NUMERIC_CPP + ("uint16", "uint32", "uint64")
    for name, code in _cpu.MATH_UNARY_OPS.items():
        kernel = _math_unary_kernel(code)
        if name in ("Lgamma", "Digamma"):  # TF has no bfloat16 kernel for them
            _register(name, kernel)
            register_kernel(name, "CPU", [np.dtype("float16")], source=_SOURCE)(f32(kernel))
        else:
            _register(name, kernel, every_int, half=f32)
        _fast_cpu[name] = (kernel, _cpu.math_unary, code, False)
    for name, code in _cpu.MATH_BINARY_OPS.items():
        kernel = _math_binary_kernel(code)
        _register(name, kernel, every_int, half=f32)
        _fast_cpu[name] = (kernel, _cpu.math_binary, code, False)
    _register("Rint", _unary_kernel(_cpu.UNARY_OPS["Round"]), floats)  # TF: no 16-bit kernels
    for name, code in _cpu.PREDICATE_OPS.items():
        _register(name, _predicate_kernel(code), all_types, half=f32)
    for name, code in _cpu.LOGICAL_OPS.items():
        _register(name, _logical_kernel(code), all_types)
    for name, code in _cpu.REDUCE_OPS.items():  # the op defs say which take bools
        _register(name, _reduce_kernel(code), all_types, half=f32)
    _register("SelectV2", _select, all_types, half=_as_bits)
    for name, is_max in (("ArgMax", True), ("ArgMin", False)):
        _register(name, _arg_kernel(is_max), half=f32)
        _register(name, _bool_as_uint8(_arg_kernel(is_max)), ("bool",))
    _register("Cumsum", _cumulative_kernel(False), half=f32)
    _register("Cumprod", _cumulative_kernel(True), half=f32)
    _register("TopKV2", _top_k, half=f32)
    _register("MatMul", _matmul, floats + ("int16", "int32", "int64"), half=f32)
    _register("BatchMatMulV2", _batch_matmul, floats + ("int16", "int32", "int64"), half=f32)
    _register("Softmax", _softmax_kernel(False), floats, half=f32)
    _register("LogSoftmax", _softmax_kernel(True), floats, half=f32)
    _register("SoftmaxCrossEntropyWithLogits", _xent, floats, half=f32)
    _register("SparseSoftmaxCrossEntropyWithLogits", _sparse_xent, floats, half=f32)
    _register("FusedElementwise", _fused, floats)
    for name, fn in (
        ("ConcatV2", _concat), ("Split", _split), ("SplitV", _split), ("Slice", _slice),
        ("StridedSlice", _strided_slice), ("StridedSliceGrad", _strided_slice_grad),
        ("Tile", _tile), ("ReverseV2", _reverse), ("GatherV2", _gather),
        ("GatherNd", _gather_nd),
    ):  # fmt: skip
        _register(name, fn, all_types, half=_as_bits)
    _register("Where", _where, all_types, half=f32)
    _register("Pad", _pad, all_types, half=lambda fn: _as_bits(fn, "constant_values"))
    _register("ScatterNd", _scatter_nd, _NUMERIC_CPP + ("bool",), half=f32)  # bool: OR
    _register("TensorScatterUpdate", _tensor_scatter_update, all_types, half=_as_bits)
    _register("MirrorPad", _mirror_pad, all_types, half=_as_bits)
    _register("UnsortedSegmentSum", _segment_sum, half=f32)
    _register("OneHot", f32(_one_hot), all_types)  # keyed by the indices; any output dtype
    _register("Range", _range, half=lambda fn: _range_half)
    _register("Transpose", _transpose, all_types, half=_as_bits)
    _register("BroadcastTo", _broadcast_to, all_types, half=_as_bits)
    _register("Identity", _identity, all_types, half=_as_bits)
    _register("Reshape", _reshape, all_types, half=lambda fn: fn)  # a view of any dtype
    _register("Cast", _cast, CAST_TYPES)
    _register("Fill", _fill, all_types, half=lambda fn: _as_bits(fn, "value"))
    _register("RandomUniform", _random_kernel(0), floats, half=f32)
    _register("RandomStandardNormal", _random_kernel(1), floats, half=f32)
    _register("TruncatedNormal", _truncated_normal, floats, half=f32)
    _register("RandomUniformInt", _random_int, ("int32", "int64"))
    for kind, name in enumerate(
        ("StatelessRandomUniformV2", "StatelessRandomNormalV2", "StatelessTruncatedNormalV2")
    ):
        _register(name, _stateless_kernel(name, kind), floats, half=f32)
    _register("StatelessRandomUniformIntV2", _stateless_int, ("int32", "int64"))
    for which, suffix in enumerate(("", "BackpropInput", "BackpropFilter")):
        conv_types = floats + (("int32",) if which < 2 else ())  # int32: TF's, not the filter's
        _register("Conv2D" + suffix, _conv_kernel(which, False), conv_types, half=f32)
        _register("DepthwiseConv2dNative" + suffix, _conv_kernel(which, True), floats, half=f32)
    for which, name in enumerate(
        ("MaxPool", "AvgPool", "MaxPoolGrad", "AvgPoolGrad", "MaxPoolGradGrad")
    ):
        pool_types = floats if which in (1, 3) else _NUMERIC_CPP  # the max passes take integers
        _register(name, _pool_kernel(which), pool_types, half=f32)
    _register("BiasAdd", _bias_add, half=f32)
    _register("BiasAddGrad", _bias_add_grad, half=f32)
    # 16-bit x (and y_backprop) with float32 scale and statistics: x widened, y rounded back
    _register("FusedBatchNormV3", _batch_norm, floats, half=f32)
    _register("FusedBatchNormGradV3", _batch_norm_grad, floats, half=f32)
    _register("LayerNorm", _layer_norm, floats)
    _register("LayerNormGrad", _layer_norm_grad, floats)
    _register("LSTMSequence", _lstm_sequence, floats)
    _register("LSTMSequenceGrad", _lstm_sequence_grad, floats)
    _register("GRUSequence", _gru_sequence, floats)
    _register("GRUSequenceGrad", _gru_sequence_grad, floats)
    _register("MatrixInverse", _matrix_inverse, floats, half=f32)
    _register("MatrixSolve", _matrix_solve, floats)
    _register("MatrixDeterminant", _matrix_determinant, floats)
    _register("LogMatrixDeterminant", _log_matrix_determinant, floats)
    _register("Cholesky", _cholesky, floats)
    _register("Qr", _qr, floats)
    _register("Svd", _svd, floats)
    _register("SelfAdjointEigV2", _self_adjoint_eig, floats)
    _register("Lu", _lu, floats)
    for name in ("Max", "Min", "Prod"):
        _register("UnsortedSegment" + name, _unsorted_segment_kernel(_SEGMENT_KIND[name]))
    for name, kind in _SEGMENT_KIND.items():
        _register("Segment" + name, _sorted_segment_kernel(kind))
    _register("Unique", _unique_kernel(2), _NUMERIC_CPP + ("bool",))
    _register("UniqueWithCounts", _unique_kernel(3), _NUMERIC_CPP + ("bool",))
    _register("DenseBincount", _dense_bincount, ("int32", "int64"))
    _register("LowerBound", _bound_kernel(False))
    _register("UpperBound", _bound_kernel(True))
    _register_complex()
    config.threading.add_listener(_set_threads)


def _set_threads(n: int):
    _cpu.set_num_threads(n)  # OpenBLAS stays on one thread: large GEMMs split over these


def _gemm_library() -> str:
    if _cpu.blas_name() == "mkl":
        return f"oneMKL {_blas.mkl_version()} (GNU OpenMP threads, strict CNR)"
    return "OpenBLAS (scipy-openblas32)"


def info() -> dict:
    return {
        "openmp": bool(_cpu.openmp),
        "threads": _cpu.num_threads(),
        "blas": "OpenBLAS (scipy-openblas32)",
        "gemm": _gemm_library(),
        "blas_core": _cpu.blas_corename(),
        "blas_config": _cpu.blas_config(),
        "blas_threads": _cpu.blas_get_num_threads(),  # 1: GEMMs split over the kernels' own
    }
