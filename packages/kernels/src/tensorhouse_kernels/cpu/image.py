"""CPU image kernels (``image.cpp``): the resizes and their gradients, NHWC."""

from __future__ import annotations

from .. import _cpu
from ..opdefs import FLOAT, NUMERIC, NUMERIC_U8
from ..runtime import register_kernel
from ._base import _SOURCE, _in_float32


def _flags(attrs):
    return bool(attrs.get("align_corners", False)), bool(attrs.get("half_pixel_centers", False))


def _bilinear(inputs, outputs, attrs):
    _cpu.resize_bilinear(inputs[0], outputs[0], *_flags(attrs))


def _bilinear_grad(inputs, outputs, attrs):
    _cpu.resize_bilinear_grad(inputs[0], outputs[0], *_flags(attrs))


def _nearest(inputs, outputs, attrs):
    _cpu.resize_nearest(inputs[0], outputs[0], *_flags(attrs))


def _nearest_grad(inputs, outputs, attrs):
    _cpu.resize_nearest_grad(inputs[0], outputs[0], *_flags(attrs))


def register():
    """Register the resize kernels on the CPU."""
    exact = [d for d in NUMERIC_U8 if d.kind in "iuf" and d.name not in ("float16", "bfloat16")]
    # bfloat16 here when ml_dtypes came first; else _bfloat16.install() twins the float16 ones
    half = [d for d in NUMERIC_U8 if d.name in ("float16", "bfloat16")]
    register_kernel("ResizeBilinear", "CPU", exact, source=_SOURCE)(_bilinear)
    register_kernel("ResizeBilinear", "CPU", half, source=_SOURCE)(_in_float32(_bilinear))
    register_kernel("ResizeNearestNeighbor", "CPU", exact, source=_SOURCE)(_nearest)
    register_kernel("ResizeNearestNeighbor", "CPU", half, source=_SOURCE)(_in_float32(_nearest))
    register_kernel("ResizeBilinearGrad", "CPU", list(FLOAT), source=_SOURCE)(_bilinear_grad)
    grads = [d for d in NUMERIC if d.name not in ("float16", "bfloat16")]
    register_kernel("ResizeNearestNeighborGrad", "CPU", grads, source=_SOURCE)(_nearest_grad)
    register_kernel("ResizeNearestNeighborGrad", "CPU", half, source=_SOURCE)(
        _in_float32(_nearest_grad)
    )
