"""Gradient rules of the image ops: the resizes (``ResizeBilinear``, ``ResizeNearestNeighbor``).

Both resizes are linear in the image, so each gradient op's own gradient is the forward
resize again. Integer images get no gradient, as in TF. ``adjust_contrast`` is TF's
``AdjustContrastv2``, which has no gradient: its last node raises TF's ``LookupError``.
"""

from __future__ import annotations

from .. import _math, _tape
from .. import dtypes as _dt
from .._tensor import _op
from .base import rule

__all__: list = []


def _is_float(t):
    return t.dtype.is_floating


@rule("ResizeBilinear")
def _resize_bilinear_grad(x, y, attrs, dy):
    image = x[0]
    if not _is_float(image):
        return [None]
    if image.dtype in (_dt.float32, _dt.float64):
        return [_op("ResizeBilinearGrad", [dy, image], attrs)]
    wide = _op("ResizeBilinearGrad", [dy, _math.cast(image, _dt.float32)], attrs)
    return [_math.cast(wide, image.dtype)]  # 16-bit floats: computed in float32


@rule("ResizeBilinearGrad")
def _resize_bilinear_grad_grad(x, y, attrs, g):
    return [_op("ResizeBilinear", [g], attrs), None]


@rule("ResizeNearestNeighbor")
def _resize_nearest_grad(x, y, attrs, dy):
    if not _is_float(x[0]):
        return [None]
    return [_op("ResizeNearestNeighborGrad", [dy, x[0]], attrs)]


@rule("ResizeNearestNeighborGrad")
def _resize_nearest_grad_grad(x, y, attrs, g):
    return [_op("ResizeNearestNeighbor", [g], attrs), None]


def _adjust_contrast_grad(x, y, attrs, dys):
    raise LookupError("gradient registry has no entry for: AdjustContrastv2")


_tape.NAMED_RULES["AdjustContrastv2"] = _adjust_contrast_grad
