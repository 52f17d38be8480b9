"""``tf.ragged``: building and transforming RaggedTensors."""

import numpy as _np

from . import _array as _A
from . import _math as _M
from . import dtypes as _dt
from ._ragged import RaggedTensor, RaggedTensorSpec, boolean_mask, map_flat_values
from ._ragged import constant_ragged as constant
from ._tensor import convert_to_tensor as _ct

constant.__name__ = constant.__qualname__ = "constant"

__all__ = [
    "RaggedTensor", "RaggedTensorSpec", "boolean_mask", "constant", "map_flat_values", "range",
    "row_splits_to_segment_ids", "segment_ids_to_row_splits", "stack",
]  # fmt: skip


def stack(values, axis=0, name=None):
    """TF's ``tf.ragged.stack``: stacks tensors or RaggedTensors (of any row lengths)."""
    values = [v if isinstance(v, RaggedTensor) else _ct(v) for v in values]
    like = next((v for v in values if isinstance(v, RaggedTensor)), None)
    if like is None:
        if int(axis) == 0 and all(v.ndim == 1 for v in values):
            lengths = _np.asarray([v.shape[0] for v in values], _np.int64)
            return RaggedTensor.from_row_lengths(_A.concat(values, 0), lengths)
        values = [RaggedTensor.from_tensor(v, ragged_rank=max(1, v.ndim - 1)) for v in values]
    return _A.stack(values, axis)


def range(starts, limits=None, deltas=1, dtype=None, name=None, row_splits_dtype=_dt.int64):  # noqa: A001
    """TF's ``tf.ragged.range``: row ``i`` is ``range(starts[i], limits[i], deltas[i])``."""
    if limits is None:
        starts, limits = 0, starts
    host = [_np.asarray(_ct(x)) for x in (starts, limits, deltas)]
    lo, hi, step = (a.reshape(-1) for a in _np.broadcast_arrays(*host))
    rows = [_np.arange(a, b, c) for a, b, c in zip(lo, hi, step)]
    kind = _dt.as_dtype(dtype) if dtype is not None else _ct(limits).dtype
    values = _ct(_np.concatenate(rows or [[]]).astype(kind._np), kind)
    lengths = _np.asarray([len(r) for r in rows], _np.int64)
    return RaggedTensor.from_row_lengths(values, _ct(lengths, _dt.as_dtype(row_splits_dtype)))


def row_splits_to_segment_ids(splits, name=None, out_type=None):
    """The row of each value, from row splits."""
    rt = RaggedTensor.from_row_splits(_A.zeros([int(_ct(splits).numpy()[-1])]), splits)
    ids = rt.value_rowids()
    return ids if out_type is None else _M.cast(ids, out_type)


def segment_ids_to_row_splits(segment_ids, num_segments=None, out_type=None, name=None):
    """Row splits from the (sorted) row of each value."""
    ids = _ct(segment_ids)
    rt = RaggedTensor.from_value_rowids(_A.zeros([ids.shape[0]]), ids, num_segments)
    return rt.row_splits
