"""Image op definitions: ``ResizeBilinear``, ``ResizeNearestNeighbor`` and their gradients.

NHWC (a rank-3 image is a batch of one). The output size is the attr ``size`` (height, width),
as other shape arguments are attrs here; ``align_corners`` and ``half_pixel_centers`` pick
TF's sampling rule. ``ResizeBilinear`` reads any real numeric dtype and returns float32, as
TF's; the gradients take the original image as their second input (only its shape and dtype
are read), so a traced graph needs no run-time shape attr.
"""

from __future__ import annotations

import numpy as np

from ..runtime import errors
from ._base import FLOAT, NUMERIC, NUMERIC_U8, OpDef, _fmt, _register

__all__ = ["IMAGE_OPS"]

IMAGE_OPS = ("ResizeBilinear", "ResizeBilinearGrad", "ResizeNearestNeighbor",
             "ResizeNearestNeighborGrad")  # fmt: skip
_F32 = np.dtype("float32")
_RESIZE_DOC = "attrs: size (height, width), align_corners, half_pixel_centers"


def _check_image(op, shape, what="images"):
    if len(shape) not in (3, 4):
        raise errors.InvalidArgumentError(
            f"{what} must be 3-dimensional or 4-dimensional, got shape {_fmt(shape)} [Op:{op}]"
        )


def _size(op, attrs):
    size = attrs["size"]
    h, w = (int(d) for d in size)
    if h <= 0 or w <= 0:
        raise errors.InvalidArgumentError(
            f"output dimensions must be positive, got [{h}, {w}] [Op:{op}]"
        )
    if attrs.get("align_corners") and attrs.get("half_pixel_centers"):
        raise errors.InvalidArgumentError(
            f"If half_pixel_centers is True, align_corners must be False. [Op:{op}]"
        )
    return h, w


def _resized(shape, h, w):
    shape = tuple(shape)
    return shape[:-3] + (h, w, shape[-1])


def _forward_infer(op, out_dtype):
    def infer(shapes, dts, attrs):
        _check_image(op, shapes[0])
        h, w = _size(op, attrs)
        return [(_resized(shapes[0], h, w), out_dtype or dts[0])]

    return infer


def _grad_infer(op, float_grads):
    def infer(shapes, dts, attrs):  # grads (output-shaped), original image -> image-shaped
        grads, image = tuple(shapes[0]), tuple(shapes[1])
        _check_image(op, grads, "input_grad")
        _check_image(op, image, "original_image")
        if len(grads) != len(image):
            raise errors.InvalidArgumentError(
                f"input_grad {_fmt(grads)} and original_image {_fmt(image)} differ in rank "
                f"[Op:{op}]"
            )
        if float_grads and dts[0] != _F32:
            raise errors.InvalidArgumentError(
                f"input_grad must be float32, got {dts[0].name} [Op:{op}]"
            )
        if not float_grads and dts[0] != dts[1]:
            raise errors.InvalidArgumentError(
                f"input_grad ({dts[0].name}) and original_image ({dts[1].name}) differ [Op:{op}]"
            )
        for i in (0, -1):
            if len(grads) == 4 or i == -1:
                a, b = grads[i], image[i]
                if a is not None and b is not None and a != b:
                    raise errors.InvalidArgumentError(
                        f"input_grad {_fmt(grads)} and original_image {_fmt(image)} differ in "
                        f"batch or channels [Op:{op}]"
                    )
        return [(image, dts[1])]

    return infer


def _key_image(dtypes, attrs):
    return dtypes[1]


_register(OpDef("ResizeBilinear", 1, _forward_infer("ResizeBilinear", _F32),
                NUMERIC_U8, doc="images; " + _RESIZE_DOC))  # fmt: skip
_register(OpDef("ResizeNearestNeighbor", 1, _forward_infer("ResizeNearestNeighbor", None),
                NUMERIC_U8, doc="images; " + _RESIZE_DOC))  # fmt: skip
_register(OpDef("ResizeBilinearGrad", 2, _grad_infer("ResizeBilinearGrad", True), FLOAT,
                key=_key_image, doc="grads (float32), original_image; " + _RESIZE_DOC))  # fmt: skip
_register(OpDef("ResizeNearestNeighborGrad", 2, _grad_infer("ResizeNearestNeighborGrad", False),
                NUMERIC, key=_key_image, doc="grads, original_image; " + _RESIZE_DOC))  # fmt: skip
