"""Array ops: shapes, reshape, transpose, broadcast, fill, constructors, slicing, joining,
indexing (gather / scatter), and ``Tensor.__getitem__``."""

from __future__ import annotations

import builtins as _builtins
import numbers

import numpy as np

from tensorhouse_kernels import eager_shortcut
from tensorhouse_kernels.runtime import current_device

from . import _dynamic as _dyn
from . import _graph, _record, _tensor
from . import dtypes as _dt
from ._composite import CompositeTensor
from ._tensor import (
    _RAW_ERRORS,
    Tensor,
    TensorShape,
    _coerce_pair,
    _execute,
    _int_arg,
    _op,
    _op_kernel,
    _tf_error,
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


# The kernels' own shortcuts (``f(device, buffer, ...) -> buffer``, None where they do not
# apply), taken eager, untaped and outside device scopes, on plain tensors.
_RESHAPE = eager_shortcut("Reshape")
_TRANSPOSE = eager_shortcut("Transpose")
_CONCAT = eager_shortcut("ConcatV2")
_PACK = eager_shortcut("Pack")


def reshape(tensor, shape, name=None):
    if _tensor._tracing:  # the shape may be a tensor known only at run time
        return _dyn.shaped_op("Reshape", [_t(tensor)], {}, shape)
    if type(tensor) is not Tensor:
        tensor = convert_to_tensor(tensor)
    shape = _shape_attr(shape)
    if type(tensor) is Tensor and not _record._active and current_device() is None:
        device = tensor._device
        out = _RESHAPE(device, tensor._value, shape)  # a view: nothing to allocate
        if out is not None:
            return Tensor(out, device)
    return _op_kernel("Reshape", [tensor], {"shape": shape})


def transpose(a, perm=None, conjugate=False, name=None):
    if type(a) is not Tensor:
        a = convert_to_tensor(a)
    if perm is None and a.ndim == -1:  # unknown rank while tracing: reversed at run time
        out = _dyn.shaped_op("Transpose", [a], {}, [("rev", a)], key="perm")
        return _op("Conj", [out]) if conjugate and a.dtype.is_complex else out
    if perm is None:
        rank = a.ndim if type(a) is not Tensor else len(a._value.shape)
        perm = _REVERSED.get(rank)
        if perm is None:
            perm = _REVERSED[rank] = tuple(reversed(_builtins.range(rank)))
    else:
        perm = _shape_attr(perm)
    out = None
    if not (_record._active or _tensor._tracing) and type(a) is Tensor and current_device() is None:
        device = a._device
        try:
            out = _TRANSPOSE(device, a._value, perm)
        except _RAW_ERRORS as e:
            raise _tf_error("Transpose", [a._value], e) from None
        if out is not None:
            out = Tensor(out, device)
    if out is None:
        out = _op_kernel("Transpose", [a], {"perm": perm})
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
    if isinstance(value, Tensor) and type(value) is not Tensor:  # a value known at run time
        if value.dtype != dtype:
            value = _op("Cast", [value], {"DstT": dtype._np})
        return _dyn.shaped_op("BroadcastTo", [value], {}, dims)
    value = np.asarray(value).item() if isinstance(value, Tensor) else value
    if _tensor._tracing:
        return _dyn.shaped_op("Fill", [], {"value": value, "dtype": dtype._np}, dims)
    return _op("Fill", [], {"shape": tuple(_dims(dims)), "value": value, "dtype": dtype._np})


def _small_const(shape, value, dtype, name):
    """While tracing, TF makes a fill of a known shape of under 1000 elements a ``Const`` node
    named after the call (``ones``, ``zeros_like``); None otherwise (a ``Fill``)."""
    g = _graph.current_graph()
    dims = shape.as_list() if isinstance(shape, TensorShape) else shape
    if g is None or not isinstance(dims, list | tuple) or not all(type(d) is int for d in dims):
        return None
    dtype = _dt.as_dtype(dtype)
    if dtype == _dt.string and value != 0:
        raise TypeError(f"Expected string, but got {value} of type 'int'.")
    if int(np.prod(dims)) >= 1000:
        return None
    value = b"" if dtype == _dt.string else value
    return g.const(constant(np.full(dims, value, dtype._np)), name)


def zeros(shape, dtype=_dt.float32, name=None):
    name = name or "zeros"  # a traced Fill's node name too
    out = _small_const(shape, 0, dtype, name)
    return fill(shape, 0, dtype=dtype) if out is None else out


def ones(shape, dtype=_dt.float32, name=None):
    name = name or "ones"
    out = _small_const(shape, 1, dtype, name)
    return fill(shape, 1, dtype=dtype) if out is None else out


def zeros_like(input, dtype=None, name=None):  # noqa: A002 - TF's name
    name = name or "zeros_like"
    x = _t(input)
    out = _small_const(x.shape, 0, dtype or x.dtype, name)
    if out is not None:
        return out
    return fill(_dyn.entries_of(x) if _tensor._tracing else x.shape.as_list(), 0,
                dtype=dtype or x.dtype)  # fmt: skip


def ones_like(input, dtype=None, name=None):  # noqa: A002 - TF's name
    name = name or "ones_like"
    x = _t(input)
    out = _small_const(x.shape, 1, dtype or x.dtype, name)
    if out is not None:
        return out
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
    name = name or "ExpandDims"  # the traced node's name: TF's op (a Reshape here)
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
    name = name or "Squeeze"  # the traced node's name: TF's op (a Reshape here)
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
    first = next((v for v in values if isinstance(v, Tensor)), None)  # eager or symbolic
    if first is None:
        return [_t(v) for v in values]
    return [v if isinstance(v, Tensor) else convert_to_tensor(v, first.dtype) for v in values]


def concat(values, axis, name="concat"):
    """TF's ``tf.concat`` (``ConcatV2``)."""
    if type(axis) is int and type(values) is list and len(values) > 1:  # plain tensors: direct
        device = values[0]._device if type(values[0]) is Tensor else None
        handles = []
        for v in values:
            if type(v) is not Tensor or v._device is not device:
                break
            handles.append(v._value)
        else:
            if not (_record._active or _tensor._tracing) and current_device() is None:
                try:
                    out = _CONCAT(device, handles, axis)
                except _RAW_ERRORS as e:
                    raise _tf_error("ConcatV2", handles, e) from None
                if out is not None:
                    return Tensor(out, device)
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
    """TF's ``tf.stack``: join tensors of one shape along a new axis (``Pack``)."""
    if type(axis) is int and type(values) is list and values and type(values[0]) is Tensor:
        device, handles = values[0]._device, []
        for v in values:  # plain tensors on one device, eager, untaped, unscoped: direct
            if type(v) is not Tensor or v._device is not device:
                break
            handles.append(v._value)
        else:
            if not (_record._active or _tensor._tracing) and current_device() is None:
                try:
                    out = _PACK(device, handles, axis)
                except _RAW_ERRORS as e:
                    raise _tf_error("Pack", handles, e) from None
                if out is not None:
                    return Tensor(out, device)
    values = list(values)
    composite = next((v for v in values if isinstance(v, CompositeTensor)), None)
    if composite is not None:
        return type(composite)._th_stack(values, axis)
    values = _tensors(values)
    if not values:
        raise ValueError("tf.stack needs at least one tensor")
    axis = _axis_int(axis)
    if values[0].shape.rank is None:  # unknown rank: Pack's rule checks the axis when it runs
        return _op("Pack", values, {"N": len(values), "axis": axis})
    rank = values[0].ndim
    if not -rank - 1 <= axis <= rank:
        raise ValueError(f"Argument `axis` = {axis} not in range [{-rank - 1}, {rank + 1})")
    axis %= rank + 1
    if _tensor._tracing:
        _check_traced_pack(values)
    dt = values[0].dtype
    if dt.is_complex or dt == _dt.string:  # Pack's kernels move real and bool dtypes only
        return concat([expand_dims(v, axis) for v in values], axis)
    return _op("Pack", values, {"N": len(values), "axis": axis})


def _check_traced_pack(values):
    """TF's graph-construction ``ValueError`` for inputs of ``Pack`` whose shapes differ."""
    first = values[0].shape.as_list()
    for v in values[1:]:
        if v.shape.rank is None:  # checked when it runs
            continue
        dims = v.shape.as_list()
        if len(dims) != len(first):
            raise ValueError(f"Shapes must be equal rank, but are {len(first)} and {len(dims)}")
        for j, (a, b) in enumerate(zip(first, dims)):
            if a is not None and b is not None and a != b:
                raise ValueError(
                    f"Dimension {j} in both shapes must be equal, but are {a} and {b}. "
                    f"Shapes are {first} and {dims}. (Pack)"
                )


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
    axis = _axis_int(axis)
    if x.shape.rank is None:  # unknown rank: Unpack's rule checks the axis when it runs
        if num is None:
            raise ValueError(f"Cannot infer argument `num` from shape {x.shape}")
        return _execute("Unpack", [x], {"num": int(num), "axis": axis}) if num else []
    dims = x.shape.as_list()
    if not dims:
        raise ValueError("Cannot unstack a scalar (rank-0) tensor")
    if not -len(dims) <= axis < len(dims):
        raise ValueError(f"Argument `axis` = {axis} not in range [{-len(dims)}, {len(dims)})")
    axis %= len(dims)
    n = dims[axis] if num is None else int(num)
    if n is None:
        raise ValueError(f"Cannot infer argument `num` from shape {x.shape}")
    if n != dims[axis] and dims[axis] is not None and _tensor._tracing:
        raise ValueError(f"Dimension must be {n} but is {dims[axis]} (Unpack of shape {x.shape})")
    if n == 0:
        return []
    if x.dtype.is_complex or x.dtype == _dt.string:  # Pack's kernels move real and bool dtypes
        rest = dims[:axis] + dims[axis + 1 :]
        return [reshape(p, rest) for p in split(x, n, axis)]
    return _execute("Unpack", [x], {"num": n, "axis": axis})


# ---- slicing ----------------------------------------------------------------------------------


def slice(input_, begin, size, name=None):  # noqa: A001 - TF's name
    """TF's ``tf.slice``: ``size[i] == -1`` takes the rest of dim i."""
    if _tensor._tracing:
        starts, sizes = _dyn.shape_entries(begin), _dyn.shape_entries(size)
        if not all(type(e) is int for e in starts + sizes):
            return _slice_traced(_t(input_), starts, sizes)
    return _op("Slice", [_t(input_)], {"begin": tuple(_dims(begin)), "size": tuple(_dims(size))})


def _entry_value(e):
    """A shape entry (an int, ``(t, i)``: dim i of ``t``, ``("val", t, i)``: element i of the
    int tensor ``t``) as an int32 scalar tensor."""
    if type(e) is int:
        return constant(e, _dt.int32)
    v = reshape(e[1], [-1])[e[2]] if isinstance(e[0], str) else shape(e[0])[e[1]]
    return v if v.dtype == _dt.int32 else _op("Cast", [v], {"DstT": np.dtype("int32")})


def _slice_traced(x, starts, sizes):
    """``tf.slice`` with a begin or size known only at run time: the static axes by ``Slice``,
    each other axis by a ``gather`` of its ``range``."""
    if len(starts) != x.ndim or len(sizes) != x.ndim:
        raise ValueError(
            f"Shapes must be equal rank: slice of a rank-{x.ndim} tensor with begin of "
            f"length {len(starts)} and size of length {len(sizes)}"
        )
    dynamic = [i for i in _builtins.range(x.ndim)
               if type(starts[i]) is not int or type(sizes[i]) is not int]  # fmt: skip
    begin = [0 if i in dynamic else b for i, b in enumerate(starts)]
    size = [-1 if i in dynamic else z for i, z in enumerate(sizes)]
    if any(begin) or any(z != -1 for z in size):
        x = _op("Slice", [x], {"begin": tuple(begin), "size": tuple(size)})
    for i in dynamic:
        start = _entry_value(starts[i])
        rest = _op("Sub", [_entry_value((x, i)) if x.shape[i] is None
                           else constant(x.shape[i], _dt.int32), start])  # fmt: skip
        if type(sizes[i]) is int:
            count = rest if sizes[i] == -1 else constant(sizes[i], _dt.int32)
        else:  # a size of -1 at run time: the rest of the dim
            z = _entry_value(sizes[i])
            count = _op("SelectV2", [_op("Less", [z, constant(0)]), rest, z])
        x = gather(x, range(start, _op("AddV2", [start, count])), axis=i)
        if type(sizes[i]) is int and sizes[i] >= 0:  # the static dim is known
            x = reshape(x, [sizes[i] if j == i else e for j, e in enumerate(_dyn.entries_of(x))])
    return x


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
    if _tensor._tracing:
        flat = _pad_entries(paddings)
        if not all(type(e) is int for e in flat):
            return _pad_traced(_t(tensor), flat, mode, constant_values)
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


def _pad_entries(paddings):
    """A traced ``paddings`` argument, flattened, as shape entries (ints where known)."""
    if isinstance(paddings, list | tuple):
        flat = []
        for row in paddings:
            flat.extend(row if isinstance(row, list | tuple) else _dyn.shape_entries(row))
        return _dyn.shape_entries(flat)
    return _dyn.shape_entries(reshape(_t(paddings), [-1]))


def _pad_traced(x, flat, mode, constant_values):
    """``tf.pad`` with paddings known only at run time (``CONSTANT``): along each axis, the
    tensor between two blocks of the constant."""
    if str(mode).upper() != "CONSTANT":
        raise _errors.UnimplementedError(f"tf.pad mode {mode!r} with paddings known at run time")
    if len(flat) != 2 * x.ndim:
        raise ValueError(f"paddings must be of shape [{x.ndim}, 2], got {len(flat)} entries")
    value = constant_values
    if not isinstance(value, Tensor) or value.dtype != x.dtype:
        value = _op("Cast", [_t(value)], {"DstT": x.dtype._np})
    for i in _builtins.range(x.ndim):
        parts = []
        for e in (flat[2 * i], None, flat[2 * i + 1]):
            if e is None:
                parts.append(x)
            elif not (type(e) is int and e == 0):
                block = _dyn.entries_of(x)
                block[i] = e
                parts.append(_dyn.shaped_op("BroadcastTo", [value], {}, block))
        if len(parts) > 1:
            x = concat(parts, i)
    return x


def tile(input, multiples, name=None):  # noqa: A002 - TF's name
    if _tensor._tracing:
        reps = _dyn.shape_entries(multiples)
        if not all(type(m) is int for m in reps):
            x = _t(input)
            if x.ndim == -1:  # unknown rank: the multiples give it (its dims read at run time)
                x = reshape(x, [(x, i) for i in _builtins.range(len(reps))])
            return _tile_traced(x, reps)
    return _op("Tile", [_t(input)], {"multiples": tuple(_dims(multiples))})


def _tile_traced(x, reps):
    """``tf.tile`` with multiples known only at run time: each dim ``d`` spread to ``[1, d]``,
    broadcast to ``[m, d]``, then merged into ``m * d``."""
    dims = _dyn.entries_of(x)
    if len(reps) != len(dims):
        raise ValueError(f"Shape must be rank 1 of length {len(dims)} for tile multiples, got "
                         f"{len(reps)} entries")  # fmt: skip
    spread = reshape(x, [e for d in dims for e in (1, d)])
    wide = broadcast_to(spread, [e for m, d in zip(reps, dims) for e in (m, d)])
    merged = [
        m * d
        if type(m) is int and type(d) is int
        else _op("Mul", [_entry_value(m), _entry_value(d)])
        for m, d in zip(reps, dims)
    ]
    return reshape(wide, merged)


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
    if batch_dims:
        return HOOKS["batch_gather"](_t(params), _t(indices), axis, int(batch_dims))
    attrs = {"axis": 0 if axis is None else _axis_int(axis), "batch_dims": 0}
    return _op("GatherV2", [_t(params), _t(indices)], attrs)


def gather_nd(params, indices, batch_dims=0, name=None):
    """TF's ``tf.gather_nd`` (``GatherNd``); ``batch_dims`` composed in ``_batch_gather``
    (its functions are ``HOOKS["batch_gather*"]``)."""
    if batch_dims:
        return HOOKS["batch_gather_nd"](_t(params), _t(indices), int(batch_dims))
    return _op("GatherNd", [_t(params), _t(indices)])


def scatter_nd(indices, updates, shape, name=None):
    """TF's ``tf.scatter_nd``: updates summed into zeros of ``shape`` (duplicates add up)."""
    if _tensor._tracing:  # the shape may be a tensor known only at run time
        return _dyn.shaped_op("ScatterNd", [_t(indices), _t(updates)], {}, shape)
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
# ``_math`` (above: it imports this module) sets "traced_range" at import: a hook, not an import.
HOOKS: dict = {}


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
        return HOOKS["traced_range"](args, dtype)  # ``_math``'s: ``start + i * delta``
    as_type = float if dtype.is_floating else int
    start, limit, delta = (as_type(v.numpy() if isinstance(v, Tensor) else v) for v in args)
    attrs = {"start": start, "limit": limit, "delta": delta, "dtype": dtype._np}
    return _op("Range", [], attrs)


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
