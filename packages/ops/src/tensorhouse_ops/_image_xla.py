"""``jit_compile=True`` lowerings of the resize ops (``XLA_RULES``): with the static shapes a
jitted graph has, each resize is two matrix products with constant sampling matrices (the
bilinear weights, one-hot rows for nearest), on the XLA table's MatMul; gradients use the
transposed matrices. Nearest-neighbour forward resizes are two gathers (any dtype)."""

from __future__ import annotations

import math

import numpy as np

from tensorhouse_kernels.runtime import errors

from ._graph_xla import XLA_RULES
from ._image import _nearest_index, _weights32

__all__: list = []


def _matrix(n, m, nearest):
    """(m, n) sampling matrix from an axis of size n to one of size m."""
    if not nearest:
        return np.asarray(_weights32(n, m, "bilinear", False))
    w = np.zeros((m, n), np.float32)
    w[np.arange(m), _nearest_index(n, m)] = 1.0
    return w


def _const(lw, value):
    s = lw.new_slot()
    lw.feeds.append((s, lambda v=value: v))
    return s


def _step(lw, op_type, ins, attrs):
    out = lw.new_slot()
    lw.schedule.append((op_type, ins, [out], attrs))
    return out


def _two_products(lw, x, shape, a, b, dtype):
    """``a @`` each image's rows, then ``b @`` each row: (.., h, w, c) -> (.., m_h, m_w, c)."""
    *lead, h, w, c = shape
    mh, mw = a.shape[0], b.shape[0]
    batch = math.prod(lead)
    x = _step(lw, "Reshape", [x], {"shape": (batch, h, w * c)})
    x = _step(lw, "BatchMatMulV2", [_const(lw, a.astype(dtype)), x], {})
    x = _step(lw, "Reshape", [x], {"shape": (batch * mh, w, c)})
    x = _step(lw, "BatchMatMulV2", [_const(lw, b.astype(dtype)), x], {})
    return _step(lw, "Reshape", [x], {"shape": (*lead, mh, mw, c)})


def _check(op):
    if op.attrs.get("align_corners") or not op.attrs.get("half_pixel_centers"):
        raise errors.UnimplementedError(f"{op.type}: jit_compile lowers half-pixel centres only")


def _forward(lw, op, ins):
    _check(op)
    shape = tuple(op.inputs[0].shape.as_list())
    h, w = (int(d) for d in op.attrs["size"])
    nearest = op.type == "ResizeNearestNeighbor"
    x = ins[0]
    if nearest:
        rank = len(shape)
        x = _step(lw, "GatherV2", [x, _const(lw, _nearest_index(shape[-3], h))],
                  {"axis": rank - 3})  # fmt: skip
        out = _step(lw, "GatherV2", [x, _const(lw, _nearest_index(shape[-2], w))],
                    {"axis": rank - 2})  # fmt: skip
    else:
        if op.inputs[0].dtype.as_numpy_dtype != np.float32:
            x = _step(lw, "Cast", [x], {"DstT": "float32"})
        a, b = _matrix(shape[-3], h, False), _matrix(shape[-2], w, False)
        out = _two_products(lw, x, shape, a, b, np.float32)
    lw.slot_of[id(op.outputs[0])] = out


def _backward(lw, op, ins):
    _check(op)
    image = tuple(op.inputs[1].shape.as_list())
    grads = tuple(op.inputs[0].shape.as_list())
    nearest = op.type == "ResizeNearestNeighborGrad"
    a = _matrix(image[-3], grads[-3], nearest).T
    b = _matrix(image[-2], grads[-2], nearest).T
    dtype = op.inputs[0].dtype.as_numpy_dtype
    out = _two_products(lw, ins[0], grads, a, b, dtype)
    want = op.outputs[0].dtype.as_numpy_dtype
    if want != dtype:
        out = _step(lw, "Cast", [out], {"DstT": np.dtype(want).name})
    lw.slot_of[id(op.outputs[0])] = out


XLA_RULES.update(
    {
        "ResizeBilinear": _forward,
        "ResizeNearestNeighbor": _forward,
        "ResizeBilinearGrad": _backward,
        "ResizeNearestNeighborGrad": _backward,
    }
)
