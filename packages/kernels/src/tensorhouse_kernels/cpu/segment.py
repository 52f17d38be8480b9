"""CPU segment reductions, Unique, DenseBincount and sorted search."""

from __future__ import annotations

import numpy as np

from .. import _cpu
from ..runtime import errors
from ._base import _NUMERIC_CPP, _register

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
            fn(inputs, outputs, attrs)
        except ValueError as e:
            if "array is too big" in str(e):
                raise MemoryError(str(e)) from None
            raise

    return kernel


def _sorted_segment_kernel(kind):
    @_too_big_is_oom
    def kernel(inputs, outputs, attrs):
        outputs[0] = _cpu.segment_reduce(kind, inputs[0], inputs[1])

    return kernel


def _unique_kernel(count):
    def kernel(inputs, outputs, attrs):
        idx64 = np.dtype(attrs.get("out_idx", "int32")) == np.int64
        outputs[:] = list(_cpu.unique(inputs[0], idx64))[:count]

    return kernel


@_too_big_is_oom
def _dense_bincount(inputs, outputs, attrs):
    arr, size, weights = inputs
    size = int(size)
    if size < 0:
        raise errors.InvalidArgumentError(f"size ({size}) must be non-negative [Op:DenseBincount]")
    out = outputs[0] = np.empty(arr.shape[:-1] + (size,), weights.dtype)
    _cpu.dense_bincount(arr, weights, bool(attrs.get("binary_output", False)), out)


def _bound_kernel(right):
    def kernel(inputs, outputs, attrs):
        _cpu.search_sorted(inputs[0], inputs[1], outputs[0], right)

    return kernel


def register():
    """Register the segment reductions, Unique, DenseBincount and the sorted searches."""
    for name in ("Max", "Min", "Prod"):
        _register("UnsortedSegment" + name, _unsorted_segment_kernel(_SEGMENT_KIND[name]))
    for name, kind in _SEGMENT_KIND.items():
        _register("Segment" + name, _sorted_segment_kernel(kind))
    _register("Unique", _unique_kernel(2), _NUMERIC_CPP + ("bool",))
    _register("UniqueWithCounts", _unique_kernel(3), _NUMERIC_CPP + ("bool",))
    _register("DenseBincount", _dense_bincount, ("int32", "int64"))
    _register("LowerBound", _bound_kernel(False))
    _register("UpperBound", _bound_kernel(True))
