"""Array ops: shapes, reshape, transpose, broadcast, fill, and constructors."""

from __future__ import annotations

from . import dtypes as _dt
from ._tensor import Tensor, TensorShape, _op, constant, convert_to_tensor

__all__ = [
    "broadcast_to", "expand_dims", "fill", "identity", "ones", "ones_like", "rank",
    "reshape", "shape", "size", "squeeze", "transpose", "zeros", "zeros_like",
]  # fmt: skip


def _t(x):
    return x if type(x) is Tensor else convert_to_tensor(x)


def _dims(shape):
    if isinstance(shape, Tensor):
        return [int(d) for d in shape.numpy().reshape(-1)]
    if isinstance(shape, TensorShape):
        return shape.as_list()
    if isinstance(shape, int):
        return [shape]
    return [int(d) for d in shape]


def reshape(tensor, shape, name=None):
    return _op("Reshape", [_t(tensor)], {"shape": tuple(_dims(shape))})


def transpose(a, perm=None, conjugate=False, name=None):
    a = _t(a)
    if perm is None:
        perm = list(reversed(range(a.ndim)))
    return _op("Transpose", [a], {"perm": tuple(_dims(perm))})


def broadcast_to(input, shape, name=None):  # noqa: A002 - TF's name
    return _op("BroadcastTo", [_t(input)], {"shape": tuple(_dims(shape))})


def identity(input, name=None):  # noqa: A002 - TF's name
    return _op("Identity", [_t(input)])


def fill(dims, value, name=None, dtype=None):
    """TF's ``tf.fill``: the dtype follows ``value`` (a Python float gives float32)."""
    if dtype is None:
        dtype = value.dtype if isinstance(value, Tensor) else constant(value).dtype
    dtype = _dt.as_dtype(dtype)
    value = float(value.numpy()) if isinstance(value, Tensor) else value
    return _op("Fill", [], {"shape": tuple(_dims(dims)), "value": value, "dtype": dtype._np})


def zeros(shape, dtype=_dt.float32, name=None):
    return fill(shape, 0, dtype=dtype)


def ones(shape, dtype=_dt.float32, name=None):
    return fill(shape, 1, dtype=dtype)


def zeros_like(input, dtype=None, name=None):  # noqa: A002 - TF's name
    x = _t(input)
    return fill(x.shape.as_list(), 0, dtype=dtype or x.dtype)


def ones_like(input, dtype=None, name=None):  # noqa: A002 - TF's name
    x = _t(input)
    return fill(x.shape.as_list(), 1, dtype=dtype or x.dtype)


def shape(input, out_type=_dt.int32, name=None):  # noqa: A002 - TF's name
    return constant(_t(input).shape.as_list(), dtype=out_type)


def rank(input, name=None):  # noqa: A002 - TF's name
    return constant(_t(input).ndim, dtype=_dt.int32)


def size(input, out_type=_dt.int32, name=None):  # noqa: A002 - TF's name
    return constant(_t(input).shape.num_elements(), dtype=out_type)


def expand_dims(input, axis, name=None):  # noqa: A002 - TF's name
    x = _t(input)
    dims = x.shape.as_list()
    axis = int(axis)
    if not -len(dims) - 1 <= axis <= len(dims):
        raise ValueError(f"expand_dims axis {axis} is out of range for a rank-{len(dims)} tensor")
    if axis < 0:
        axis += len(dims) + 1
    return reshape(x, dims[:axis] + [1] + dims[axis:])


def squeeze(input, axis=None, name=None):  # noqa: A002 - TF's name
    x = _t(input)
    dims = x.shape.as_list()
    if axis is None:
        return reshape(x, [d for d in dims if d != 1])
    axes = {a % len(dims) for a in ([axis] if isinstance(axis, int) else axis)}
    for a in axes:
        if dims[a] != 1:
            raise ValueError(f"Can not squeeze dim[{a}], expected a dimension of 1, got {dims[a]}")
    return reshape(x, [d for i, d in enumerate(dims) if i not in axes])
