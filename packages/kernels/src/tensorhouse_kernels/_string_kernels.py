"""CPU kernels for tf.string: NumPy on object arrays of ``bytes`` (TF keeps strings on the host).

Each op's function ``fn(inputs, attrs)`` returns its outputs, which its kernel sets into the
empty slots ``execute`` gives string calls (the native CPU allocator makes numeric buffers
only). The op definitions check shapes and dtypes before a kernel runs;
the kernels check the values (indices in range) with TF's messages.
"""

from __future__ import annotations

import math
import types

import numpy as np

from . import _cpu
from .opdefs import (
    STRING,
    STRING_OPS,
    mirror_pad_copies,
    normalized_reverse_axes,
    slice_bounds,
    split_sizes,
    strided_slice_spec,
)
from .runtime import errors, register_kernel

__all__ = ["host_strings", "register_all"]

_SOURCE = "tensorhouse_kernels._string_kernels"


def _array(x) -> np.ndarray:
    """``x`` as a C-contiguous object array of its rank (a copy of the references only when
    needed; ``np.ascontiguousarray`` would make a 0-d array 1-d)."""
    return np.asarray(x, dtype=STRING, order="C")


def _view(a, index):
    """``a[index]`` as an array, 0-d results included (a trailing Ellipsis keeps them arrays)."""
    return a[tuple(index) + (Ellipsis,)]


def _fmt(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def _string_value(value, op) -> bytes:
    """A string attr as bytes: ``str`` is UTF-8 encoded; 0 (the ops layer's default fill and
    pad value) is TF's empty string."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, bytes | np.bytes_):
        return bytes(value)
    if isinstance(value, str | np.str_):
        return str(value).encode("utf-8")
    if isinstance(value, int | np.integer) and not isinstance(value, bool) and value == 0:
        return b""
    raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype string [Op:{op}]")


def _check_indices(op, idx, dims, params_shape=None, what="shape"):
    """TF's error for the first row of ``idx`` (int indices, last axis = ``len(dims)``) that is
    outside ``dims``: GatherV2's ``is not in [0, d)``, or the ``does not index into`` of the
    ND ops."""
    if idx.size == 0:
        return
    rows = idx.reshape(-1, len(dims)) if params_shape is not None else idx.reshape(-1, 1)
    bad = np.any((rows < 0) | (rows >= np.asarray(dims, np.int64)), axis=1)
    if not bad.any():
        return
    first = int(np.argmax(bad))
    batch = idx.shape[:-1] if params_shape is not None else idx.shape
    at = ",".join(str(int(i)) for i in np.unravel_index(first, batch))
    at = f"indices[{at}]" if batch else "indices"  # TF's name for a scalar index
    if params_shape is None:
        raise errors.InvalidArgumentError(
            f"{at} = {int(rows[first, 0])} is not in [0, {dims[0]}) [Op:{op}]"
        )
    values = ", ".join(str(int(v)) for v in rows[first])
    raise errors.InvalidArgumentError(
        f"{at} = [{values}] does not index into {what} {_fmt(params_shape)} [Op:{op}]"
    )


# ---- the op functions: fn(inputs, attrs) -> [outputs] -----------------------------------


def _reshape(inputs, attrs):
    return [inputs[0].reshape([int(d) for d in attrs["shape"]])]


def _identity(inputs, attrs):
    return [inputs[0]]  # tensors never write their buffers: the same one serves


def _transpose(inputs, attrs):
    return [_array(np.transpose(inputs[0], [int(p) for p in attrs["perm"]]))]


def _broadcast_to(inputs, attrs):
    return [_array(np.broadcast_to(inputs[0], [int(d) for d in attrs["shape"]]))]


def _fill(inputs, attrs):
    value = _string_value(attrs["value"], "Fill")
    return [np.full([int(d) for d in attrs["shape"]], value, dtype=STRING)]


def _select(inputs, attrs):
    cond, t, e = inputs
    return [_array(np.where(cond, t, e))]


def _concat(inputs, attrs):
    axis = int(attrs.get("axis", 0)) % inputs[0].ndim
    return [_array(np.concatenate(inputs, axis=axis))]


def _split_at(x, axis, sizes):
    offsets = np.cumsum(sizes)[:-1]
    return [_array(part) for part in np.split(x, offsets, axis=axis)]


def _split(inputs, attrs):
    x = inputs[0]
    axis = int(attrs.get("axis", 0)) % x.ndim
    num = int(attrs["num_split"])
    return _split_at(x, axis, [x.shape[axis] // num] * num)


def _split_v(inputs, attrs):
    x = inputs[0]
    axis = int(attrs.get("axis", 0)) % x.ndim
    return _split_at(x, axis, split_sizes("SplitV", x.shape[axis], attrs["size_splits"]))


def _slice(inputs, attrs):
    x = inputs[0]
    begin, size = slice_bounds("Slice", x.shape, attrs["begin"], attrs["size"])
    return [_array(_view(x, (slice(b, b + s) for b, s in zip(begin, size))))]


def _strided_slice(inputs, attrs):
    x = inputs[0]
    index, final = strided_slice_spec("StridedSlice", x.shape, attrs)
    return [_array(_view(x, index)).reshape(final)]


def _strided_slice_grad(inputs, attrs):
    shape = tuple(int(d) for d in attrs["shape"])
    index, _ = strided_slice_spec("StridedSliceGrad", shape, attrs)
    out = np.full(shape, b"", dtype=STRING)
    _view(out, index)[...] = inputs[0]
    return [out]


def _pad(inputs, attrs):
    x = inputs[0]
    pads = [(int(a), int(b)) for a, b in attrs["paddings"]]
    value = _string_value(attrs.get("constant_values", 0), "Pad")
    out = np.full([a + d + b for d, (a, b) in zip(x.shape, pads)], value, dtype=STRING)
    _view(out, (slice(a, a + d) for (a, _), d in zip(pads, x.shape)))[...] = x
    return [out]


def _mirror_pad(inputs, attrs):
    x = inputs[0]
    pads = [(int(a), int(b)) for a, b in attrs["paddings"]]
    out = np.empty([a + d + b for d, (a, b) in zip(x.shape, pads)], dtype=STRING)
    if out.size:
        centre, pairs = mirror_pad_copies("MirrorPad", x.shape, attrs)
        _view(out, centre)[...] = x
        for src, dst in pairs:
            _view(out, dst)[...] = _view(out, src)
    return [out]


_MAX_STRING_ELEMENTS = 1 << 34  # object arrays: 8 bytes a pointer before any string


def _tile(inputs, attrs):
    x = inputs[0]
    multiples = [int(m) for m in attrs["multiples"]]
    shape = [d * m for d, m in zip(x.shape, multiples)]
    where = f"(inputs: string{list(x.shape)}, multiples {multiples}) [Op:Tile]"
    if any(d >= 1 << 63 for d in shape):
        raise errors.InvalidArgumentError(
            None, None, f"Tile: the output shape {shape} overflows int64 {where}"
        )
    if 0 in shape:
        return [np.empty(shape, dtype=object)]
    if math.prod(shape) > _MAX_STRING_ELEMENTS:
        raise errors.ResourceExhaustedError(
            None, None, f"OOM when allocating the output of Tile: shape {shape} {where}"
        )
    return [_array(np.tile(x, multiples))]


def _reverse(inputs, attrs):
    x = inputs[0]
    axes = normalized_reverse_axes("ReverseV2", attrs["axis"], x.ndim)
    return [_array(np.flip(x, axis=tuple(axes)) if axes else x)]


def _gather(inputs, attrs):
    params, idx = inputs
    axis = int(attrs.get("axis", 0)) % params.ndim
    _check_indices("GatherV2", idx, (params.shape[axis],))
    return [_array(np.take(params, idx.astype(np.int64), axis=axis))]


def _gather_nd(inputs, attrs):
    params, idx = inputs
    k = idx.shape[-1]
    _check_indices("GatherNd", idx, params.shape[:k], params.shape, "param shape")
    rows = idx.reshape(math.prod(idx.shape[:-1]), k).astype(np.int64)
    picked = params[tuple(rows.T)] if k else np.broadcast_to(params, (len(rows),) + params.shape)
    return [_array(picked.reshape(idx.shape[:-1] + params.shape[k:]))]


def _scatter_rows(op, out, idx, updates, combine):
    """Write the slices of ``updates`` at the rows of ``idx`` into ``out``, in index order."""
    k = idx.shape[-1]
    _check_indices(op, idx, out.shape[:k], out.shape)
    rows = idx.reshape(math.prod(idx.shape[:-1]), k).astype(np.int64)
    slices = updates.reshape((len(rows),) + out.shape[k:])
    for row, upd in zip(rows, slices):
        at = tuple(int(i) for i in row) + (Ellipsis,)
        out[at] = combine(out[at], upd)
    return [out]


def _scatter_nd(inputs, attrs):
    # TF's ScatterNd adds the updates of repeated indices: for strings, concatenation
    idx, updates = inputs
    out = np.full([int(d) for d in attrs["shape"]], b"", dtype=STRING)
    return _scatter_rows("ScatterNd", out, idx, updates, np.add)


def _tensor_scatter_update(inputs, attrs):
    tensor, idx, updates = inputs
    return _scatter_rows("TensorScatterUpdate", tensor.copy(), idx, updates, lambda old, new: new)


def _compare(ufunc):
    def kernel(inputs, attrs):
        return [np.asarray(ufunc(inputs[0], inputs[1]), dtype=bool, order="C")]

    return kernel


def _unique(counts):
    def kernel(inputs, attrs):
        out_idx = np.dtype(attrs.get("out_idx", "int32"))
        x = inputs[0]
        if x.size and not isinstance(x.flat[0], bytes):  # ``str`` values, as they came
            x = _array([v.encode("utf-8") if isinstance(v, str) else v for v in x.tolist()])
        y, idx, count = _cpu.string_unique_with_counts(x)  # first-seen order
        outs = [y, idx.astype(out_idx, copy=False)]
        if counts:
            outs.append(count.astype(out_idx, copy=False))
        return outs

    return kernel


_KERNELS = {
    "Reshape": _reshape,
    "Identity": _identity,
    "Transpose": _transpose,
    "BroadcastTo": _broadcast_to,
    "Fill": _fill,
    "SelectV2": _select,
    "ConcatV2": _concat,
    "Split": _split,
    "SplitV": _split_v,
    "Slice": _slice,
    "StridedSlice": _strided_slice,
    "StridedSliceGrad": _strided_slice_grad,
    "Pad": _pad,
    "MirrorPad": _mirror_pad,
    "Tile": _tile,
    "ReverseV2": _reverse,
    "GatherV2": _gather,
    "GatherNd": _gather_nd,
    "ScatterNd": _scatter_nd,
    "TensorScatterUpdate": _tensor_scatter_update,
    "Equal": _compare(np.equal),
    "NotEqual": _compare(np.not_equal),
    "Unique": _unique(False),
    "UniqueWithCounts": _unique(True),
}


host_strings = types.SimpleNamespace(
    lower_ascii=_cpu.string_lower_ascii,
    delete_bytes=_cpu.string_delete_bytes,
    split_whitespace=_cpu.string_split_whitespace,
    ngram_join=_cpu.string_ngram_join,
    unique_with_counts=_cpu.string_unique_with_counts,
    StringIndex=_cpu.StringIndex,
)
host_strings.__doc__ = (
    "Whole-batch C++ loops over object arrays of bytes, for the ops layer's tf.strings and "
    "lookup tables: lower_ascii, delete_bytes, split_whitespace (values, row_splits), "
    "ngram_join, unique_with_counts and StringIndex (a vocabulary's hash index; "
    "split_ngram_positions looks up the ngrams of whitespace-split strings in one pass)."
)


def register_all():
    """Register the string kernels on the CPU (the ops of ``opdefs.STRING_OPS``)."""
    assert set(_KERNELS) == set(STRING_OPS)
    for op, fn in _KERNELS.items():
        register_kernel(op, "CPU", [STRING], source=_SOURCE)(_into_slots(fn))


def _into_slots(fn):
    """The kernel of ``fn``: its outputs set into the call's empty slots."""

    def kernel(inputs, outputs, attrs):
        outputs[:] = fn(inputs, attrs)

    kernel.__name__ = kernel.__qualname__ = fn.__name__
    return kernel
