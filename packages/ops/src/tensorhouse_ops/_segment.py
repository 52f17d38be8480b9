"""Segment reductions, distinct values, counts and sorted search on the kernels layer's C++ ops:
``tf.math.unsorted_segment_sum`` / ``max`` / ``min`` / ``prod`` / ``mean`` / ``sqrt_n`` (a
``num_segments`` known only at run time gives ``None`` rows), ``tf.math.segment_sum`` /
``mean`` / ``max`` / ``min`` / ``prod`` (sorted ids; the row count comes from the data, so these
also run inside ``tf.function``), ``tf.unique`` / ``unique_with_counts``, ``tf.math.bincount``
and ``tf.searchsorted``.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from . import _array as A
from . import _composed, _dynamic, _pyfunc
from . import _math as M
from . import dtypes as _dt
from ._tensor import Tensor, _execute, _op, constant, convert_to_tensor, errors

__all__ = [
    "bincount", "searchsorted", "segment_max", "segment_mean", "segment_min", "segment_prod",
    "segment_sum", "unique", "unique_with_counts", "unsorted_segment_max", "unsorted_segment_mean",
    "unsorted_segment_min", "unsorted_segment_prod", "unsorted_segment_sqrt_n",
    "unsorted_segment_sum",
]  # fmt: skip

Unique = namedtuple("Unique", ["y", "idx"])
UniqueWithCounts = namedtuple("UniqueWithCounts", ["y", "idx", "count"])


def _t(x):
    return x if type(x) is Tensor else convert_to_tensor(x)


def _symbolic(x) -> bool:
    """A tensor of a trace, whose value is known only at run time."""
    return isinstance(x, Tensor) and type(x) is not Tensor


def _identity(kind, dtype):
    """What an empty segment holds."""
    if kind == "Max":
        return _dt._finfo(dtype._np).min if dtype.is_floating else np.iinfo(dtype._np).min
    if kind == "Min":
        return _dt._finfo(dtype._np).max if dtype.is_floating else np.iinfo(dtype._np).max
    return 1 if kind == "Prod" else 0


def _scatter_rows(at, rows, shape):
    """``scatter_nd`` of ``rows`` to the row numbers ``at`` of zeros of the run-time ``shape``
    ("dtype": the run-time shape node's static output dtype; the kernel ignores it)."""
    idx = A.expand_dims(at, 1)
    return _dynamic.shaped_op("ScatterNd", [idx, rows], {"dtype": rows.dtype._np}, shape)


def _run_time_segments(kind, data, ids, num_segments):
    """An unsorted segment reduction to ``num_segments`` rows known at run time: one host node
    sorts the ids (dropping negatives; TF's error for one too large), a scatter sums (or the
    sorted-segment kernel reduces) them into ``num_segments`` rows, an empty one holds
    ``kind``'s identity. Every op here has a gradient over run-time sizes."""
    op = "UnsortedSegment" + kind
    n = M.cast(num_segments, _dt.int64)
    flat_ids = A.reshape(ids, [-1])
    inner = data.shape.as_list()[ids.ndim :]
    if None in inner:
        inner = A.shape(data, _dt.int64)[ids.ndim :]
        rows = A.reshape(data, A.concat([constant([-1], _dt.int64), inner], 0))
        out_shape = A.concat([A.reshape(n, [1]), inner], 0)
    else:
        rows = A.reshape(data, [-1, *inner])
        out_shape = [n, *inner]
    static_ids = ids.shape.as_list()

    def order(arrays):
        i, count = arrays
        bad = np.flatnonzero(i >= count)
        if bad.size:
            at = np.unravel_index(bad[0], i.shape if None in static_ids else static_ids)
            where = "".join(f"[{k}]" for k in at) if len(static_ids) > 1 else f"[{bad[0]}]"
            raise errors.InvalidArgumentError(
                None, op, f"segment_ids{where} = {i[bad[0]]} is out of range [0, {int(count)})"
            )
        keep = np.flatnonzero(i >= 0)
        return [keep[np.argsort(i[keep], kind="stable")].astype(np.int64)]

    at = _pyfunc.host_call("PyFuncStateless", order, [flat_ids, n], [((None,), _dt.int64)],
                           op, arrays=True)[0]  # fmt: skip
    sorted_ids = M.cast(A.gather(flat_ids, at), _dt.int64)
    picked = A.gather_nd(rows, A.expand_dims(at, 1))  # its gradient takes run-time sizes
    if kind == "Sum":
        return _scatter_rows(sorted_ids, picked, out_shape)
    out = _op("Segment" + kind, [picked, sorted_ids])  # ids[-1] + 1 <= num_segments rows
    placed = _scatter_rows(A.range(A.shape(out, _dt.int64)[0]), out, out_shape)
    count = _scatter_rows(sorted_ids, A.ones_like(sorted_ids, dtype=_dt.int32), [n])
    present = A.reshape(M.greater(count, 0), [-1] + [1] * (data.ndim - ids.ndim))
    ident = A.fill(A.shape(placed), _identity(kind, data.dtype), dtype=data.dtype)
    return A.where(present, placed, ident)


def _unsorted(op_type, data, segment_ids, num_segments):
    if _symbolic(num_segments):
        return _run_time_segments(op_type[15:], _t(data), _t(segment_ids), num_segments)
    n = M._int_arg(num_segments)
    return _op(op_type, [_t(data), _t(segment_ids)], {"num_segments": n})


def unsorted_segment_sum(data, segment_ids, num_segments, name=None):
    """TF's ``tf.math.unsorted_segment_sum``: the sum of each segment's rows (0 when empty);
    negative ids are dropped."""
    if _symbolic(num_segments):
        return _run_time_segments("Sum", _t(data), _t(segment_ids), num_segments)
    return M.unsorted_segment_sum(data, segment_ids, num_segments)


def unsorted_segment_max(data, segment_ids, num_segments, name=None):
    """TF's ``tf.math.unsorted_segment_max``: the largest row of each segment; an empty
    segment holds the dtype's lowest value, negative ids are dropped."""
    return _unsorted("UnsortedSegmentMax", data, segment_ids, num_segments)


def unsorted_segment_min(data, segment_ids, num_segments, name=None):
    """TF's ``tf.math.unsorted_segment_min``: an empty segment holds the dtype's largest value."""
    return _unsorted("UnsortedSegmentMin", data, segment_ids, num_segments)


def unsorted_segment_prod(data, segment_ids, num_segments, name=None):
    """TF's ``tf.math.unsorted_segment_prod``: an empty segment holds 1."""
    return _unsorted("UnsortedSegmentProd", data, segment_ids, num_segments)


def _sum_and_counts(data, segment_ids, num_segments):
    data, ids = _t(data), _t(segment_ids)
    total = unsorted_segment_sum(data, ids, num_segments)
    counts = unsorted_segment_sum(A.ones_like(ids, dtype=data.dtype), ids, num_segments)
    counts = A.reshape(M.maximum(counts, 1.0), [-1] + [1] * (data.shape.rank - ids.shape.rank))
    return total, counts


def unsorted_segment_mean(data, segment_ids, num_segments, name=None):
    """TF's ``tf.math.unsorted_segment_mean``: the mean of each segment's rows, 0 for an empty
    segment; integer data gives float64 means, as TF."""
    if not _symbolic(num_segments):
        return _composed.unsorted_segment_mean(data, segment_ids, num_segments)
    data = _t(data)
    if not data.dtype.is_floating:
        data = M.cast(data, _dt.float64)
    total, counts = _sum_and_counts(data, segment_ids, num_segments)
    return M.divide(total, counts)


def unsorted_segment_sqrt_n(data, segment_ids, num_segments, name=None):
    """TF's ``tf.math.unsorted_segment_sqrt_n``: each segment's sum over the square root of its
    row count (0 for an empty segment)."""
    total, counts = _sum_and_counts(data, segment_ids, num_segments)
    return M.divide(total, M.sqrt(counts))


def _sorted(op_type, data, segment_ids):
    return _op(op_type, [_t(data), _t(segment_ids)])


def segment_sum(data, segment_ids, name=None):
    """TF's ``tf.math.segment_sum``: sums over runs of sorted ids; ``ids[-1] + 1`` rows, 0 for
    a missing id; unsorted or negative ids are an ``InvalidArgumentError``."""
    return _sorted("SegmentSum", data, segment_ids)


def segment_mean(data, segment_ids, name=None):
    """TF's ``tf.math.segment_mean``; integer means are truncated toward zero, as TF's."""
    return _sorted("SegmentMean", data, segment_ids)


def segment_max(data, segment_ids, name=None):
    """TF's ``tf.math.segment_max``: 0 for a missing id."""
    return _sorted("SegmentMax", data, segment_ids)


def segment_min(data, segment_ids, name=None):
    """TF's ``tf.math.segment_min``: 0 for a missing id."""
    return _sorted("SegmentMin", data, segment_ids)


def segment_prod(data, segment_ids, name=None):
    """TF's ``tf.math.segment_prod``: 1 for a missing id."""
    return _sorted("SegmentProd", data, segment_ids)


def unique(x, out_idx=_dt.int32, name=None):
    """TF's ``tf.unique``: ``(y, idx)``, the distinct values of a 1-D ``x`` in order of first
    appearance and, for each element, its value's index in ``y`` (``x = gather(y, idx)``)."""
    y, idx = _execute("Unique", [_t(x)], {"out_idx": _dt.as_dtype(out_idx).name})
    return Unique(y, idx)


def unique_with_counts(x, out_idx=_dt.int32, name=None):
    """TF's ``tf.unique_with_counts``: ``(y, idx, count)``, ``count`` how often each value of
    ``y`` occurs."""
    y, idx, count = _execute("UniqueWithCounts", [_t(x)], {"out_idx": _dt.as_dtype(out_idx).name})
    return UniqueWithCounts(y, idx, count)


def bincount(arr, weights=None, minlength=None, maxlength=None, dtype=_dt.int32, name=None,
             axis=None, binary_output=False):  # fmt: skip
    """TF's ``tf.math.bincount``: how often each value ``0 .. size - 1`` occurs in ``arr``
    (``size = max(arr) + 1`` clipped to ``[minlength, maxlength]``); ``weights`` sum instead of
    1 (output in their dtype), ``binary_output`` gives 1 for any count, ``axis=-1`` counts
    each row of a 2-D ``arr``. Negative values are an ``InvalidArgumentError``."""
    arr = _t(arr)
    if weights is not None:
        weights = _t(weights)
        if binary_output:
            raise ValueError(
                "Arguments `binary_output` and `weights` are mutually exclusive. Please "
                "specify only one."
            )
    if not arr.dtype.is_integer:
        arr = M.cast(arr, _dt.int32)
    if axis is None:
        axis = 0
    if axis not in (0, -1):
        raise ValueError(
            f"Unsupported value for argument axis={axis}. Only 0 and -1 are currently supported."
        )
    nonempty = M.cast(M.greater(A.size(arr), 0), arr.dtype)
    size = M.multiply(nonempty, M.add(M.reduce_max(arr), 1))
    if minlength is not None:
        size = M.maximum(convert_to_tensor(minlength, dtype=arr.dtype), size)
    if maxlength is not None:
        size = M.minimum(convert_to_tensor(maxlength, dtype=arr.dtype), size)
    if axis == 0:
        arr = A.reshape(arr, [-1])
        if weights is not None:
            weights = A.reshape(weights, [-1])
    if weights is None:
        weights = A.zeros([0], dtype=_dt.as_dtype(dtype))
    attrs = {"binary_output": bool(binary_output)}
    return _op("DenseBincount", [arr, size, weights], attrs)


def _last_dim(x):
    d = x.shape.as_list()[-1] if x.shape.rank else None
    return d if d is not None else A.shape(x)[-1]


def searchsorted(sorted_sequence, values, side="left", out_type=_dt.int32, name=None):
    """TF's ``tf.searchsorted``: for each value, the index where it would go in the sorted
    innermost rows of ``sorted_sequence`` (``side='left'``: before equal values, ``'right'``:
    after them); the leading dims of both must describe the same rows."""
    seq, vals = _t(sorted_sequence), _t(values)
    if side not in ("left", "right"):
        raise ValueError(
            f"Argument `side` must be either 'right' or 'left'. Received: `side` = {side}."
        )
    seq2 = A.reshape(seq, [-1, _last_dim(seq)])
    vals2 = A.reshape(vals, [-1, _last_dim(vals)])
    op_type = "UpperBound" if side == "right" else "LowerBound"
    out = _op(op_type, [seq2, vals2], {"out_type": _dt.as_dtype(out_type).name})
    shape = vals.shape.as_list()
    return A.reshape(out, shape if None not in shape else A.shape(vals))
