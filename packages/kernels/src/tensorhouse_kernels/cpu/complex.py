"""CPU complex64 / complex128 kernels: planes through the real kernels, and the FFTs."""

from __future__ import annotations

import numpy as np

from .. import _cpu
from ..opdefs import COMPLEX, FFT_OPS, IRFFT_OPS, RFFT_OPS, fft_lengths, fft_rank, get_op_def
from ..runtime import register_kernel
from ._base import (
    _SOURCE,
    _real_of,
    _split_planes,
)
from .array import (
    _broadcast_to,
    _concat,
    _fill,
    _identity,
    _pad,
    _reshape,
    _reverse,
    _slice,
    _split,
    _strided_slice,
    _strided_slice_grad,
    _tile,
    _transpose,
)
from .elementwise import (
    _select,
)
from .indexing import (
    _gather,
    _gather_nd,
    _scatter_nd,
    _segment_sum,
    _tensor_scatter_update,
)
from .reduce import (
    _cumulative_kernel,
    _reduce_kernel,
)


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


def register():
    """Register the complex64 / complex128 kernels."""

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
