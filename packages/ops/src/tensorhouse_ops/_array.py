"""Array ops: shapes, reshape, transpose, broadcast, fill, constructors, slicing, joining,
indexing (gather / scatter), and ``Tensor.__getitem__``."""

from __future__ import annotations

import builtins as _builtins
import numbers

import numpy as np

from . import _dynamic as _dyn
from . import _tensor
from . import dtypes as _dt
from ._composite import CompositeTensor
from ._tensor import (
    Tensor,
    TensorShape,
    _coerce_pair,
    _execute,
    _int_arg,
    _op,
    _op_kernel,
    constant,
    convert_to_tensor,
)
from ._tensor import errors as _errors

__all__ = [
    "boolean_mask", "broadcast_to", "concat", "expand_dims", "eye", "fill", "gather",
    "gather_nd", "identity", "linspace", "one_hot", "ones", "ones_like", "pad", "range", "rank",
    "reshape", "reverse", "scatter_nd", "shape",
    "size", "slice", "split", "squeeze", "stack", "strided_slice", "tensor_scatter_nd_add",
    "tensor_scatter_nd_update", "tile", "transpose", "unstack", "where", "zeros", "zeros_like",
]  # fmt: skip

# This module defines tf.range and tf.slice: Python's own are reached through _builtins.


def _t(x):
    return x if type(x) is Tensor else convert_to_tensor(x)


def _dims(shape):
    if isinstance(shape, Tensor):
        return [_int_arg(d) for d in shape.numpy().reshape(-1)]
    if isinstance(shape, TensorShape):
        return shape.as_list()
    if isinstance(shape, int):
        return [shape]
    if isinstance(shape, float):
        return [_int_arg(shape)]
    return [_int_arg(d) for d in shape]


def _shape_attr(shape) -> tuple:
    """``shape`` as an attr: a tuple of ints (a tuple or list of Python ints passes as it is)."""
    kind = type(shape)
    if kind is tuple or kind is list:
        for d in shape:
            if type(d) is not int:
                return tuple(_dims(shape))
        return shape if kind is tuple else tuple(shape)
    return tuple(_dims(shape))


_REVERSED: dict = {}  # rank -> the reversing permutation (tf.transpose's default)


def _swap_last(x, axis):
    """The permutation that swaps ``axis`` with the last axis (its own inverse), or None."""
    rank = x.ndim
    axis = int(axis) % rank if rank else 0
    if axis == rank - 1:
        return None
    perm = list(_builtins.range(rank))
    perm[axis], perm[-1] = perm[-1], perm[axis]
    return perm


def reshape(tensor, shape, name=None):
    if _tensor._tracing:  # the shape may be a tensor known only at run time
        return _dyn.shaped_op("Reshape", [_t(tensor)], {}, shape)
    return _op_kernel("Reshape", [_t(tensor)], {"shape": _shape_attr(shape)})


def transpose(a, perm=None, conjugate=False, name=None):
    a = _t(a)
    if perm is None:
        rank = a.ndim
        perm = _REVERSED.get(rank)
        if perm is None:
            perm = _REVERSED[rank] = tuple(reversed(_builtins.range(rank)))
    out = _op_kernel("Transpose", [a], {"perm": _shape_attr(perm)})
    return _op("Conj", [out]) if conjugate and a.dtype.is_complex else out


def broadcast_to(input, shape, name=None):  # noqa: A002 - TF's name
    if _tensor._tracing:
        return _dyn.shaped_op("BroadcastTo", [_t(input)], {}, shape)
    return _op("BroadcastTo", [_t(input)], {"shape": tuple(_dims(shape))})


def identity(input, name=None):  # noqa: A002 - TF's name
    return _op("Identity", [_t(input)])


def fill(dims, value, name=None, dtype=None):
    """TF's ``tf.fill``: the dtype follows ``value`` (a Python float gives float32)."""
    if dtype is None:
        dtype = value.dtype if isinstance(value, Tensor) else constant(value).dtype
    dtype = _dt.as_dtype(dtype)
    value = np.asarray(value).item() if isinstance(value, Tensor) else value
    if _tensor._tracing:
        return _dyn.shaped_op("Fill", [], {"value": value, "dtype": dtype._np}, dims)
    return _op("Fill", [], {"shape": tuple(_dims(dims)), "value": value, "dtype": dtype._np})


def zeros(shape, dtype=_dt.float32, name=None):
    return fill(shape, 0, dtype=dtype)


def ones(shape, dtype=_dt.float32, name=None):
    return fill(shape, 1, dtype=dtype)


def zeros_like(input, dtype=None, name=None):  # noqa: A002 - TF's name
    x = _t(input)
    return fill(_dyn.entries_of(x) if _tensor._tracing else x.shape.as_list(), 0,
                dtype=dtype or x.dtype)  # fmt: skip


def ones_like(input, dtype=None, name=None):  # noqa: A002 - TF's name
    x = _t(input)
    return fill(_dyn.entries_of(x) if _tensor._tracing else x.shape.as_list(), 1,
                dtype=dtype or x.dtype)  # fmt: skip


def shape(input, out_type=_dt.int32, name=None):  # noqa: A002 - TF's name
    """TF's ``tf.shape``: a constant when the dims are known, else computed at run time."""
    if _dt.as_dtype(out_type) not in (_dt.int32, _dt.int64):
        raise _errors.InvalidArgumentError(
            None,
            None,
            f"Value for attr 'out_type' of {_dt.as_dtype(out_type).name} is not in "
            "the list of allowed values: int32, int64 [Op:Shape]",
        )
    if _tensor._tracing:
        return _dyn.shape_of(_t(input), out_type)
    dims = _t(input).shape.as_list()
    _check_fits(dims, out_type, "Shape")
    return constant(dims, dtype=out_type)


def _check_fits(values, out_type, op_type):
    """TF's error for a shape or size that ``out_type`` (int32) cannot hold."""
    out_type = _dt.as_dtype(out_type)
    for i, v in enumerate(values):
        if out_type.is_integer and v > out_type.max:
            what = "the size" if op_type == "Size" else f"dim {i}"
            raise _errors.InvalidArgumentError(
                f"{op_type} output type is {out_type.name} but {what} is {v}; use "
                f"out_type=tf.int64 [Op:{op_type}]"
            )


def rank(input, name=None):  # noqa: A002 - TF's name
    return constant(_t(input).ndim, dtype=_dt.int32)


def size(input, out_type=_dt.int32, name=None):  # noqa: A002 - TF's name
    if _tensor._tracing:
        return _dyn.size_of(_t(input), out_type)
    n = _t(input).shape.num_elements()
    _check_fits([n], out_type, "Size")  # TF's int32 Size wraps; here it raises
    return constant(n, dtype=out_type)


def expand_dims(input, axis, name=None):  # noqa: A002 - TF's name
    x = _t(input)
    dims = x.shape.as_list()
    axis = _axis_int(axis)
    if not -len(dims) - 1 <= axis <= len(dims):
        raise _errors.InvalidArgumentError(
            f"Tried to expand dim index {axis} for tensor with {len(dims)} dimensions. "
            "[Op:ExpandDims]"
        )
    if axis < 0:
        axis += len(dims) + 1
    if None in dims:
        dims = _dyn.entries_of(x)
    return reshape(x, dims[:axis] + [1] + dims[axis:])


def _squeeze_axes(axis, dims):
    """``axis`` (an int or a list) as non-negative axes; out of range is TF's error."""
    axes = _dims(axis)
    for a in axes:
        if not -len(dims) <= a < len(dims):
            raise _errors.InvalidArgumentError(
                f"Tried to squeeze dim index {a} for tensor with {len(dims)} dimensions. "
                "[Op:Squeeze]"
            )
    return {a % len(dims) for a in axes}


def squeeze(input, axis=None, name=None):  # noqa: A002 - TF's name
    x = _t(input)
    dims = x.shape.as_list()
    if axis is not None:
        axes = _squeeze_axes(axis, dims)
    if None in dims:  # unknown dims are kept (TF's result would have an unknown rank)
        entries = _dyn.entries_of(x)
        if axis is None:
            return reshape(x, [e for e, d in zip(entries, dims) if d != 1])
        bad = [a for a in axes if dims[a] not in (1, None)]
        if bad:
            raise _errors.InvalidArgumentError(
                f"Can not squeeze dim[{bad[0]}], expected a dimension of 1, got "
                f"{dims[bad[0]]} [Op:Squeeze]"
            )
        return reshape(x, [e for i, e in enumerate(entries) if i not in axes])
    if axis is None:
        return reshape(x, [d for d in dims if d != 1])
    for a in axes:
        if dims[a] != 1:
            raise _errors.InvalidArgumentError(
                f"Can not squeeze dim[{a}], expected a dimension of 1, got {dims[a]} [Op:Squeeze]"
            )
    return reshape(x, [d for i, d in enumerate(dims) if i not in axes])


# ---- joining and splitting --------------------------------------------------------------------


def _axis_int(axis):
    return _int_arg(axis.numpy()) if isinstance(axis, Tensor) else _int_arg(axis)


def _tensors(values):
    """Converts a list of values; Python values take the dtype of the first tensor among them."""
    values = list(values)
    first = next((v for v in values if type(v) is Tensor), None)
    if first is None:
        return [_t(v) for v in values]
    return [v if type(v) is Tensor else convert_to_tensor(v, first.dtype) for v in values]


def concat(values, axis, name="concat"):
    """TF's ``tf.concat`` (``ConcatV2``)."""
    if type(axis) is int and type(values) is list and len(values) > 1:  # plain tensors: direct
        for v in values:
            if type(v) is not Tensor:
                break
        else:
            return _op_kernel("ConcatV2", values, {"axis": axis})
    values = list(values)
    composite = next((v for v in values if isinstance(v, CompositeTensor)), None)
    if composite is not None:
        return type(composite)._th_concat(values, axis)
    values = _tensors(values)
    if len(values) == 1:
        return identity(values[0])
    return _op("ConcatV2", values, {"axis": _axis_int(axis)})


def stack(values, axis=0, name="stack"):
    """TF's ``tf.stack``: join tensors of one shape along a new axis."""
    values = list(values)
    composite = next((v for v in values if isinstance(v, CompositeTensor)), None)
    if composite is not None:
        return type(composite)._th_stack(values, axis)
    values = _tensors(values)
    if not values:
        raise ValueError("tf.stack needs at least one tensor")
    rank = values[0].ndim
    axis = _axis_int(axis)
    if not -rank - 1 <= axis <= rank:
        raise ValueError(f"Argument `axis` = {axis} not in range [{-rank - 1}, {rank + 1})")
    axis %= rank + 1
    return concat([expand_dims(v, axis) for v in values], axis)


def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    """TF's ``tf.split``: an int splits evenly (``Split``), a list of sizes uses ``SplitV``."""
    x = _t(value)
    axis = _axis_int(axis)
    if isinstance(num_or_size_splits, numbers.Integral):
        return _execute("Split", [x], {"num_split": int(num_or_size_splits), "axis": axis})
    sizes = _dims(num_or_size_splits)
    return _execute("SplitV", [x], {"size_splits": tuple(sizes), "axis": axis})


def unstack(value, num=None, axis=0, name="unstack"):
    """TF's ``tf.unstack``: the slices along ``axis``, each without that axis."""
    x = _t(value)
    dims = x.shape.as_list()
    if not dims:
        raise ValueError("Cannot unstack a scalar (rank-0) tensor")
    axis = _axis_int(axis)
    if not -len(dims) <= axis < len(dims):
        raise ValueError(f"Argument `axis` = {axis} not in range [{-len(dims)}, {len(dims)})")
    axis %= len(dims)
    if num is not None and num != dims[axis]:
        raise ValueError(f"unstack num={num} does not match dim {axis} of size {dims[axis]}")
    if dims[axis] == 0:
        return []
    rest = dims[:axis] + dims[axis + 1 :]
    return [reshape(p, rest) for p in split(x, dims[axis], axis)]


# ---- slicing ----------------------------------------------------------------------------------


def slice(input_, begin, size, name=None):  # noqa: A001 - TF's name
    """TF's ``tf.slice``: ``size[i] == -1`` takes the rest of dim i."""
    return _op("Slice", [_t(input_)], {"begin": tuple(_dims(begin)), "size": tuple(_dims(size))})


def strided_slice(
    input_,
    begin,
    end,
    strides=None,
    begin_mask=0,
    end_mask=0,
    ellipsis_mask=0,
    new_axis_mask=0,
    shrink_axis_mask=0,
    var=None,
    name=None,
):
    """TF's ``tf.strided_slice``, with TF's masks."""
    begin, end = tuple(_dims(begin)), tuple(_dims(end))
    attrs = {
        "begin": begin,
        "end": end,
        "strides": tuple(_dims(strides)) if strides is not None else (1,) * len(begin),
        "begin_mask": int(begin_mask),
        "end_mask": int(end_mask),
        "ellipsis_mask": int(ellipsis_mask),
        "new_axis_mask": int(new_axis_mask),
        "shrink_axis_mask": int(shrink_axis_mask),
    }
    return _op("StridedSlice", [_t(input_)], attrs)


_INDEX_ERROR = (
    "Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and scalar "
    "tf.int32/tf.int64 tensors are valid indices, got {!r}"
)


def _index_int(v):
    if isinstance(v, Tensor):
        if v.ndim != 0 or not v.dtype.is_integer:
            raise TypeError(_INDEX_ERROR.format(v))
        return int(v.numpy())
    if isinstance(v, numbers.Integral):
        return int(v)
    raise TypeError(_INDEX_ERROR.format(v))


def _getitem(self, key):
    """``tensor[key]`` as TF's slicing: ints, slices, ``...`` and ``None`` (StridedSlice)."""
    if isinstance(key, Tensor) and type(key) is not Tensor and key.ndim == 0:
        if key.dtype.is_integer:  # a traced scalar index (a loop counter): row ``key``
            return gather(self, key)
    begin, end, strides, masks = _slice_spec(key)
    out = strided_slice(self, begin, end, strides, **masks)
    if _tensor._tracing and type(key) is int:
        _dyn.note_index(self, key, out)  # tf.shape(x)[i] stays known as x's dim i
    return out


def _slice_spec(key):
    """``(begin, end, strides, masks)`` of TF's StridedSlice for a Python index."""
    key = key if isinstance(key, tuple) else (key,)
    begin, end, strides = [], [], []
    masks = dict.fromkeys(
        ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask"), 0
    )
    for i, k in enumerate(key):
        bit = 1 << i
        if isinstance(k, _builtins.slice):
            begin.append(0 if k.start is None else _index_int(k.start))
            end.append(0 if k.stop is None else _index_int(k.stop))
            strides.append(1 if k.step is None else _index_int(k.step))
            masks["begin_mask"] |= bit if k.start is None else 0
            masks["end_mask"] |= bit if k.stop is None else 0
        elif k is Ellipsis or k is None:
            begin.append(0), end.append(0), strides.append(1)
            masks["ellipsis_mask" if k is Ellipsis else "new_axis_mask"] |= bit
        else:
            b = _index_int(k)
            begin.append(b), end.append(b + 1), strides.append(1)
            masks["shrink_axis_mask"] |= bit
    return begin, end, strides, masks


def _slice_update(tensor, key, value):
    """``tensor`` with ``tensor[key]`` replaced by ``value`` (broadcast to the slice): a new
    tensor, built from ``StridedSliceGrad`` (the slice placed in zeros) and ``SelectV2``."""
    x = _t(tensor)
    begin, end, strides, masks = _slice_spec(key)
    attrs = {"begin": tuple(begin), "end": tuple(end), "strides": tuple(strides)}
    attrs.update({k: int(v) for k, v in masks.items()}, shape=tuple(x.shape.as_list()))
    part_shape = _getitem(x, key).shape.as_list()
    value = value if isinstance(value, Tensor) else convert_to_tensor(value, x.dtype)
    if value.dtype != x.dtype:
        raise TypeError(f"Cannot assign a {value.dtype.name} value to a {x.dtype.name} slice")
    if value.shape.as_list() != part_shape:
        value = broadcast_to(value, part_shape)
    placed = _op("StridedSliceGrad", [value], attrs)
    hit = _op("StridedSliceGrad", [fill(part_shape, 1, dtype=_dt.int32)], attrs)
    return _op("SelectV2", [_op("NotEqual", [hit, constant(0)]), placed, x])


def tensor_scatter_nd_update(tensor, indices, updates, name=None):
    """TF's ``tf.tensor_scatter_nd_update`` (``TensorScatterUpdate``): ``tensor`` with the
    slices at ``indices`` replaced by ``updates``, a new tensor. With duplicate indices the
    last update wins (TF leaves the order unspecified)."""
    x, idx = _t(tensor), _t(indices)
    updates = updates if isinstance(updates, Tensor) else convert_to_tensor(updates, x.dtype)
    return _op("TensorScatterUpdate", [x, idx, updates])


def tensor_scatter_nd_add(tensor, indices, updates, name=None):
    """TF's ``tf.tensor_scatter_nd_add``."""
    x = _t(tensor)
    updates = updates if isinstance(updates, Tensor) else convert_to_tensor(updates, x.dtype)
    return _op("AddV2", [x, scatter_nd(_t(indices), updates, x.shape.as_list())])


def boolean_mask(tensor, mask, axis=None, name="boolean_mask"):
    """TF's ``tf.boolean_mask``: the entries (rows, for a mask of lower rank) where ``mask``
    is True, in order; ``Where`` then ``GatherNd``."""
    x, m = _t(tensor), _t(mask)
    axis = 0 if axis is None else _axis_int(axis)
    if m.dtype is not _dt.bool:
        raise TypeError(f"boolean_mask needs a bool mask, got {m.dtype.name}")
    k = m.ndim
    if k == 0:
        raise ValueError("mask cannot be scalar.")
    dims = x.shape.as_list()
    if dims[axis : axis + k] != m.shape.as_list():
        raise ValueError(
            f"Shapes {dims[axis : axis + k]} and {m.shape.as_list()} are incompatible "
            "(boolean_mask's mask must match the tensor's dims at axis)"
        )
    if axis:
        perm = list(_builtins.range(axis, axis + k)) + [
            i for i in _builtins.range(len(dims)) if not axis <= i < axis + k
        ]
        x = transpose(x, perm)
    out = _op("GatherNd", [x, _op("Where", [m])])
    if axis:
        rest = out.ndim - 1
        back = list(_builtins.range(1, axis + 1)) + [0] + list(_builtins.range(axis + 1, rest + 1))
        out = transpose(out, back)
    return out


def _iter(self):
    if self.ndim == 0:
        raise TypeError("Cannot iterate over a scalar tensor.")
    return (self[i] for i in _builtins.range(self.shape[0]))


Tensor.__getitem__ = _getitem
Tensor.__iter__ = _iter


def pad(tensor, paddings, mode="CONSTANT", constant_values=0, name=None):
    """TF's ``tf.pad``: ``CONSTANT`` (``Pad``), or ``REFLECT`` / ``SYMMETRIC`` (``MirrorPad``:
    the borders mirror the tensor, without or with its edge entries); any letter case."""
    if not isinstance(paddings, Tensor):
        paddings = convert_to_tensor(paddings)  # TF's error for ints beyond int64
    pads = tuple((_int_arg(a), _int_arg(b)) for a, b in paddings.numpy().reshape(-1, 2))
    x = _t(tensor)
    kind = str(mode).upper()
    if kind in ("REFLECT", "SYMMETRIC"):
        return _op("MirrorPad", [x], {"paddings": pads, "mode": kind})
    if kind != "CONSTANT":
        raise ValueError(f"Value of argument `mode` expected to be one of \"CONSTANT\", "
                         f"\"REFLECT\", or \"SYMMETRIC\". Received `mode` = {mode}")  # fmt: skip
    value = (
        constant_values._host().item() if isinstance(constant_values, Tensor) else constant_values
    )
    return _op("Pad", [x], {"paddings": pads, "constant_values": value})


def tile(input, multiples, name=None):  # noqa: A002 - TF's name
    return _op("Tile", [_t(input)], {"multiples": tuple(_dims(multiples))})


def reverse(tensor, axis, name=None):
    """TF's ``tf.reverse`` (``ReverseV2``)."""
    return _op("ReverseV2", [_t(tensor)], {"axis": tuple(_dims(axis))})


# ---- indexing ---------------------------------------------------------------------------------


def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """TF's ``tf.gather`` (``GatherV2``); an index out of range is an InvalidArgumentError."""
    if type(params) is Tensor and type(indices) is Tensor and axis is None and batch_dims == 0:
        return _op_kernel("GatherV2", [params, indices], {"axis": 0, "batch_dims": 0})
    if isinstance(params, CompositeTensor) or isinstance(indices, CompositeTensor):
        c = params if isinstance(params, CompositeTensor) else indices
        return type(c)._th_gather(params, indices, axis, batch_dims)
    attrs = {"axis": 0 if axis is None else _axis_int(axis), "batch_dims": int(batch_dims)}
    return _op("GatherV2", [_t(params), _t(indices)], attrs)


def gather_nd(params, indices, batch_dims=0, name=None):
    if batch_dims:
        raise _errors.UnimplementedError(f"gather_nd with batch_dims={batch_dims} is not supported")
    return _op("GatherNd", [_t(params), _t(indices)])


def scatter_nd(indices, updates, shape, name=None):
    """TF's ``tf.scatter_nd``: updates summed into zeros of ``shape`` (duplicates add up)."""
    return _op("ScatterNd", [_t(indices), _t(updates)], {"shape": tuple(_dims(shape))})


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """TF's ``tf.one_hot``; indices outside [0, depth) give rows of ``off_value``."""
    if dtype is None:
        given = [v for v in (on_value, off_value) if v is not None]
        dtype = _t(given[0]).dtype if given else _dt.float32
    dtype = _dt.as_dtype(dtype)

    def scalar(v, default):
        v = default if v is None else v
        return v._host().item() if isinstance(v, Tensor) else v

    attrs = {
        "depth": _axis_int(depth),
        "on_value": scalar(on_value, 1),
        "off_value": scalar(off_value, 0),
        "axis": -1 if axis is None else _axis_int(axis),
        "dtype": dtype._np,
    }
    return _op("OneHot", [_t(indices)], attrs)


_RANGE_ORDER = ("int32", "int64", "float32", "float64")


def range(start, limit=None, delta=1, dtype=None, name="range"):  # noqa: A001 - TF's name
    """TF's ``tf.range``: the dtype follows the arguments (ints int32, floats float32)."""
    if limit is None:
        start, limit = 0, start
    args = [start, limit, delta]
    if dtype is None:
        kinds = []
        for v in args:
            if isinstance(v, Tensor):
                kinds.append(v.dtype.name)
            else:
                kinds.append("float32" if isinstance(v, float | np.floating) else "int32")
        dtype = max(kinds, key=_RANGE_ORDER.index)
    dtype = _dt.as_dtype(dtype)
    if any(isinstance(v, Tensor) and type(v) is not Tensor for v in args):
        return _traced_range(args, dtype)
    as_type = float if dtype.is_floating else int
    start, limit, delta = (as_type(v.numpy() if isinstance(v, Tensor) else v) for v in args)
    attrs = {"start": start, "limit": limit, "delta": delta, "dtype": dtype._np}
    return _op("Range", [], attrs)


def _traced_range(args, dtype):
    """``tf.range`` with a bound only known when the graph runs: ``start + i * delta`` for
    ``i < ceil((limit - start) / delta)``, a vector of unknown length."""
    from . import _math as M

    start, limit, delta = (M.cast(convert_to_tensor(v), dtype) for v in args)
    span = M.divide(M.cast(M.subtract(limit, start), _dt.float64), M.cast(delta, _dt.float64))
    n = M.maximum(M.cast(M.ceil(span), _dt.int32), 0)
    i = M.subtract(M.cumsum(fill([n], 1, dtype=_dt.int32)), 1)
    return M.add(start, M.multiply(M.cast(i, dtype), delta))


def eye(num_rows, num_columns=None, batch_shape=None, dtype=_dt.float32, name=None):
    """TF's ``tf.eye``: ones on the diagonal (``Range`` and ``Equal`` ops, then a cast)."""
    n = _axis_int(num_rows)
    m = n if num_columns is None else _axis_int(num_columns)
    rows = reshape(range(n), [n, 1])
    cols = reshape(range(m), [1, m])
    out = _op("Cast", [_op("Equal", [rows, cols])], {"DstT": _dt.as_dtype(dtype)._np})
    if batch_shape is not None:
        batch = _dims(batch_shape)
        out = broadcast_to(out, batch + [n, m])
    return out


def linspace(start, stop, num, name=None, axis=0):
    """TF's ``tf.linspace`` for scalar ``start`` / ``stop``: ``num`` evenly spaced values,
    both ends included; the dtype follows ``start`` (Python floats give float32)."""
    start_t = _t(start) if not isinstance(start, int) else _t(float(start))
    if not start_t.dtype.is_floating:
        start_t = _op("Cast", [start_t], {"DstT": np.dtype("float32")})
    dtype = start_t.dtype
    stop_t = stop if isinstance(stop, Tensor) else convert_to_tensor(stop, dtype)
    num = _axis_int(num)
    if num <= 0:
        raise _errors.InvalidArgumentError(f"Requires num > 0: {num}")
    if start_t.ndim or stop_t.ndim:
        raise _errors.UnimplementedError("linspace with non-scalar start / stop")
    if num == 1:
        return reshape(start_t, [1])
    steps = range(0, num, dtype=dtype)
    delta = _op("RealDiv", [_op("Sub", [stop_t, start_t]), constant(num - 1, dtype)])
    out = _op("AddV2", [start_t, _op("Mul", [steps, delta])])
    # the last value is exactly ``stop``, as TF's
    last = _op("OneHot", [constant([num - 1])], {"depth": num, "on_value": True,
                                                  "off_value": False, "axis": -1,
                                                  "dtype": np.dtype(bool)})  # fmt: skip
    return _op("SelectV2", [reshape(last, [num]), stop_t, out])


def where(condition, x=None, y=None, name=None):
    """TF's ``tf.where``: ``SelectV2`` with broadcasting, or the int64 coordinates of the true
    elements (``Where``) when ``x`` and ``y`` are both None."""
    if (x is None) != (y is None):
        raise ValueError("x and y must both be non-None or both be None.")
    cond = _t(condition)
    if x is None:
        return _op("Where", [cond])
    x, y = _coerce_pair(x, y)
    return _op("SelectV2", [cond, x, y])
