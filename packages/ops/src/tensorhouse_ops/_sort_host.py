"""Sorting along an axis whose length is unknown at trace time.

``TopKV2`` takes ``k`` as an attr, so over an unknown last dim the order is found by one host
node (NumPy's stable sort; NaN sorts as the largest value, as ``tf.sort`` does here) and the
values are gathered at its coordinates (``gather_nd``), so the gradient flows through the
gather. Shapes stay as traced.
"""

from __future__ import annotations

import numpy as np

from . import _array as A
from . import dtypes as _dt
from ._pyfunc import host_call
from ._tensor import convert_to_tensor

__all__ = ["sorted_unknown_length"]


def _order(a: np.ndarray, descending: bool) -> np.ndarray:
    """The int32 indices that sort ``a`` along its last axis; ties keep their order."""
    if not descending:
        return np.argsort(a, axis=-1, kind="stable").astype(np.int32)
    # ascending over the reversed axis, reversed back: largest first, NaN first, ties in order
    flipped = np.argsort(np.flip(a, -1), axis=-1, kind="stable")
    return (a.shape[-1] - 1 - np.flip(flipped, -1)).astype(np.int32)


def sorted_unknown_length(x, descending: bool):
    """(values, int32 indices) of ``x`` (known rank) sorted along its last axis."""

    def run(tensors):
        a = np.asarray(tensors[0])
        order = _order(a, descending)
        grid = np.indices(a.shape, sparse=False)[:-1]  # the leading coordinates
        coords = np.stack([*grid, order], axis=-1).astype(np.int64)
        return [convert_to_tensor(order, _dt.int32), convert_to_tensor(coords, _dt.int64)]

    shape = tuple(x.shape.as_list())
    specs = [(shape, _dt.int32), ((*shape, len(shape)), _dt.int64)]
    indices, coords = host_call("PyFuncStateless", run, [x], specs, "Sort")
    return A.gather_nd(x, coords), indices
