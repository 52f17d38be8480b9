"""CPU index-driven kernels: gathers, scatters, UnsortedSegmentSum, OneHot, Where."""

from __future__ import annotations

from .. import _cpu
from ._base import _NUMERIC_CPP, ALL_NAMES, _as_bits, _in_float32, _register


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


def _where(inputs, outputs, attrs):
    outputs[0] = _cpu.where(inputs[0])


def register():
    """Register the gathers, scatters, UnsortedSegmentSum, OneHot and Where."""
    _register("GatherV2", _gather, ALL_NAMES, half=_as_bits)
    _register("GatherNd", _gather_nd, ALL_NAMES, half=_as_bits)
    _register("Where", _where, ALL_NAMES, half=_in_float32)
    _register("ScatterNd", _scatter_nd, _NUMERIC_CPP + ("bool",), half=_in_float32)  # bool: OR
    _register("TensorScatterUpdate", _tensor_scatter_update, ALL_NAMES, half=_as_bits)
    _register("UnsortedSegmentSum", _segment_sum, half=_in_float32)
    _register("OneHot", _in_float32(_one_hot), ALL_NAMES)  # keyed by the indices; any dtype
