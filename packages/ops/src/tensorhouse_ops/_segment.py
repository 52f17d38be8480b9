"""Segment reductions, distinct values, counts and sorted search on the kernels layer's C++ ops:
``tf.math.unsorted_segment_max`` / ``min`` / ``prod`` / ``sqrt_n``, ``tf.math.segment_sum`` /
``mean`` / ``max`` / ``min`` / ``prod`` (sorted ids; the row count comes from the data, so these
also run inside ``tf.function``), ``tf.unique`` / ``unique_with_counts``, ``tf.math.bincount``
and ``tf.searchsorted``.
"""

from __future__ import annotations

from collections import namedtuple

from . import _array as A
from . import _math as M
from . import dtypes as _dt
from ._tensor import Tensor, _execute, _op, convert_to_tensor

__all__ = [
    "bincount", "searchsorted", "segment_max", "segment_mean", "segment_min", "segment_prod",
    "segment_sum", "unique", "unique_with_counts", "unsorted_segment_max",
    "unsorted_segment_min", "unsorted_segment_prod", "unsorted_segment_sqrt_n",
]  # fmt: skip

Unique = namedtuple("Unique", ["y", "idx"])
UniqueWithCounts = namedtuple("UniqueWithCounts", ["y", "idx", "count"])


def _t(x):
    return x if type(x) is Tensor else convert_to_tensor(x)


def _unsorted(op_type, data, segment_ids, num_segments):
    n = M._int_arg(num_segments)
    return _op(op_type, [_t(data), _t(segment_ids)], {"num_segments": n})


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


def unsorted_segment_sqrt_n(data, segment_ids, num_segments, name=None):
    """TF's ``tf.math.unsorted_segment_sqrt_n``: each segment's sum over the square root of its
    row count (0 for an empty segment)."""
    data = _t(data)
    ids = _t(segment_ids)
    total = M.unsorted_segment_sum(data, ids, num_segments)
    counts = M.unsorted_segment_sum(A.ones_like(ids, dtype=data.dtype), ids, num_segments)
    counts = A.reshape(M.maximum(counts, 1.0), [-1] + [1] * (data.shape.rank - ids.shape.rank))
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
