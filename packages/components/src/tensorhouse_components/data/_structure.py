"""Element structures (TF's rule: tuples, namedtuples and dicts are structure; lists and
everything else are values), host values (NumPy arrays, strings as object arrays of bytes) and
their ``TensorSpec``s. ``keras.tree`` (``..tree``) walks other structures: there lists are
nodes and an ``OrderedDict`` keeps its order, so ``tf.data`` keeps these walkers."""

from __future__ import annotations

import collections

import numpy as np

import tensorhouse_ops as _tf
from tensorhouse_ops import (
    RaggedTensor,
    RaggedTensorSpec,
    SparseTensor,
    SparseTensorSpec,
    Tensor,
    TensorShape,
    TensorSpec,
    Variable,
    constant,
    convert_to_tensor,
)

_COMPOSITES = (RaggedTensor, SparseTensor)

# ---- structure ----------------------------------------------------------------------------


def is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def _rebuild(like, values):
    if is_namedtuple(like):
        return type(like)(*values)
    return tuple(values)


def _dict_like(like, items):
    """A dict of ``items`` of ``like``'s kind (an ``OrderedDict`` stays one)."""
    return (
        collections.OrderedDict(items) if isinstance(like, collections.OrderedDict) else dict(items)
    )


def map_structure(fn, x):
    """``fn`` on every leaf, keeping tuples, namedtuples and dicts (in their key order)."""
    if isinstance(x, tuple):
        return _rebuild(x, [map_structure(fn, v) for v in x])
    if isinstance(x, dict):
        return _dict_like(x, ((k, map_structure(fn, v)) for k, v in x.items()))
    return fn(x)


def flatten(x) -> list:
    """The leaves, dict entries in sorted key order (TF's)."""
    if isinstance(x, tuple):
        return [leaf for v in x for leaf in flatten(v)]
    if isinstance(x, dict):
        return [leaf for k in sorted(x) for leaf in flatten(x[k])]
    return [x]


def pack(structure, flat):
    """The inverse of ``flatten``: ``flat`` laid out as ``structure``."""
    it = iter(flat)

    def build(s):
        if isinstance(s, tuple):
            return _rebuild(s, [build(v) for v in s])
        if isinstance(s, dict):
            built = {k: build(s[k]) for k in sorted(s)}
            return _dict_like(s, ((k, built[k]) for k in s))
        return next(it)

    return build(structure)


def zip_map(fn, structures):
    """``fn(leaves)`` over structures of the same layout, laid out as the first."""
    first = structures[0]
    if isinstance(first, tuple):
        return _rebuild(first, [zip_map(fn, [s[i] for s in structures]) for i in range(len(first))])
    if isinstance(first, dict):
        return _dict_like(first, ((k, zip_map(fn, [s[k] for s in structures])) for k in first))
    return fn(structures)


def same_structure(a, b) -> bool:
    if isinstance(a, tuple) or isinstance(b, tuple):
        return (
            isinstance(a, tuple)
            and isinstance(b, tuple)
            and is_namedtuple(a) == is_namedtuple(b)
            and (not is_namedtuple(a) or type(a)._fields == type(b)._fields)
            and len(a) == len(b)
            and all(same_structure(x, y) for x, y in zip(a, b))
        )
    if isinstance(a, dict) or isinstance(b, dict):
        return (
            isinstance(a, dict)
            and isinstance(b, dict)
            and sorted(a) == sorted(b)
            and all(same_structure(a[k], b[k]) for k in a)
        )
    return True


# ---- host values --------------------------------------------------------------------------


def _strings(a: np.ndarray) -> np.ndarray:
    """A string array as an object array of ``bytes`` (TF's ``numpy()`` of a string tensor)."""
    out = np.empty(a.shape, dtype=object)
    flat = out.reshape(-1)
    for i, v in enumerate(a.reshape(-1)):
        flat[i] = v.encode("utf-8") if isinstance(v, str) else bytes(v)
    return out


def to_host(x, dtype=None) -> np.ndarray:
    """A value as a NumPy array, with TF's default dtypes for Python values (RaggedTensors and
    SparseTensors stay as they are)."""
    if isinstance(x, _COMPOSITES):
        return x
    if isinstance(x, Tensor | Variable | np.ndarray | np.generic):
        a = np.asarray(x)
    elif dtype is not None and dtype_name(dtype) != "string":
        a = np.asarray(x, dtype=np.dtype(dtype_name(dtype)))
    else:
        a = np.asarray(convert_to_tensor(x))
    if a.dtype.kind in "OSU":
        return _strings(a)
    if dtype is not None and dtype_name(dtype) != "string" and a.dtype.name != dtype_name(dtype):
        a = a.astype(dtype_name(dtype))
    return a


def to_tensor(a):
    return a if isinstance(a, _COMPOSITES) else constant(a)


def to_numpy(a):
    """TF's ``Tensor.numpy()``: scalars as NumPy scalars (``bytes`` for strings)."""
    if isinstance(a, bytes | SparseTensor):
        return a
    if isinstance(a, RaggedTensor):
        return a.numpy()
    return a[()] if np.ndim(a) == 0 else np.array(a)


def dtype_name(dtype) -> str:
    name = getattr(dtype, "name", dtype)
    if isinstance(name, type):
        name = np.dtype(name).name
    return "string" if name in ("string", "str", "bytes", "object") else str(name)


def host_dtype(a: np.ndarray) -> str:
    return "string" if a.dtype.kind in "OSU" else a.dtype.name


# ---- specs ----------------------------------------------------------------------------------


def spec_of(a: np.ndarray, drop_leading=False) -> TensorSpec:
    if isinstance(a, _COMPOSITES):
        return composite_spec(a, drop_leading)
    shape = a.shape[1:] if drop_leading else a.shape
    return TensorSpec(shape, host_dtype(a))


def dims(spec):
    """The dims of a spec's shape as a list (None entries unknown), or None for unknown rank."""
    shape = spec.shape
    if shape.rank is None:
        return None
    return shape.as_list()


def relax(a: TensorSpec, b: TensorSpec) -> TensorSpec:
    """The most specific spec both fit (unequal dims become None)."""
    if is_composite_spec(a) and type(a) is type(b):
        return a.most_specific_compatible_type(b)
    da, db = dims(a), dims(b)
    if da is None or db is None or len(da) != len(db):
        return TensorSpec(None, a.dtype)
    return TensorSpec([x if x == y else None for x, y in zip(da, db)], a.dtype)


def batched(spec: TensorSpec, n) -> TensorSpec:
    if isinstance(spec, RaggedTensorSpec):
        d = dims(spec)
        rank = spec.ragged_rank + 1
        return RaggedTensorSpec(
            None if d is None else [n, *d], spec.dtype, rank, spec.row_splits_dtype
        )
    if isinstance(spec, SparseTensorSpec):
        d = dims(spec)
        return SparseTensorSpec(None if d is None else [n, *d], spec.dtype)
    d = dims(spec)
    return TensorSpec(None if d is None else [n, *d], spec.dtype)


def unbatched(spec: TensorSpec) -> TensorSpec:
    d = dims(spec)
    if isinstance(spec, RaggedTensorSpec):
        rank = spec.ragged_rank - 1
        return RaggedTensorSpec(None if d is None else d[1:], spec.dtype, rank,
                                spec.row_splits_dtype)  # fmt: skip
    if isinstance(spec, SparseTensorSpec):
        return SparseTensorSpec(None if d is None else d[1:], spec.dtype)
    return TensorSpec(None if d is None else d[1:], spec.dtype)


def fits(a: np.ndarray, spec: TensorSpec) -> bool:
    d = dims(spec)
    if d is None:
        return True
    return len(d) == a.ndim and all(x is None or x == y for x, y in zip(d, a.shape))


def as_shape(shape) -> TensorShape:
    return shape if isinstance(shape, TensorShape) else TensorShape(shape)


def spec_of_output(x) -> TensorSpec:
    """The spec of a traced function's output leaf (a symbolic tensor or a Python value)."""
    if isinstance(x, _COMPOSITES):
        return x._type_spec
    if isinstance(x, Tensor | Variable):
        return TensorSpec(x.shape, x.dtype)
    return spec_of(to_host(x))


# ---- RaggedTensor and SparseTensor elements -------------------------------------------------


def is_composite(x) -> bool:
    """A RaggedTensor / SparseTensor value or spec."""
    return isinstance(x, _COMPOSITES) or is_composite_spec(x)


def is_composite_spec(x) -> bool:
    return isinstance(x, RaggedTensorSpec | SparseTensorSpec)


def loose_composite_spec(a):
    """The spec of a composite value with every dim unknown."""
    spec = composite_spec(a)
    unknown = [None] * len(a.shape)
    if isinstance(spec, SparseTensorSpec):
        return SparseTensorSpec(unknown, spec.dtype)
    return RaggedTensorSpec(unknown, spec.dtype, spec.ragged_rank, spec.row_splits_dtype)


def composite_spec(a, drop_leading=False):
    """The spec of a RaggedTensor / SparseTensor, or of one of its rows (``drop_leading``)."""
    if isinstance(a, SparseTensor):
        shape = a.shape.as_list()
        return SparseTensorSpec(shape[1:] if drop_leading else shape, a.dtype)
    shape = a.shape.as_list()
    if not drop_leading:
        return RaggedTensorSpec(shape, a.dtype, a.ragged_rank, a.row_splits_dtype)
    return RaggedTensorSpec(shape[1:], a.dtype, a.ragged_rank - 1, a.row_splits_dtype)


def rows(a, start, stop):
    """Rows ``start:stop`` of a host value (arrays, RaggedTensors, SparseTensors)."""
    if isinstance(a, SparseTensor):
        rest = a.shape.as_list()[1:]
        return _tf.sparse.slice(a, [start] + [0] * len(rest), [stop - start] + rest)
    return a[start:stop]


def row(a, i):
    """Row ``i`` of a host value: a RaggedTensor's row is a Tensor (or RaggedTensor)."""
    if isinstance(a, SparseTensor):
        one = rows(a, i, i + 1)
        return SparseTensor(one.indices[:, 1:], one.values, one.dense_shape[1:])
    if isinstance(a, RaggedTensor):
        r = a[i]
        return r if isinstance(r, RaggedTensor) else to_host(r)
    return a[i, ...]


def batch_composite(leaves, spec):
    """Batches leaves of a RaggedTensorSpec / SparseTensorSpec element into one value."""
    if isinstance(spec, SparseTensorSpec):
        return _batch_sparse(leaves)
    splits = spec.row_splits_dtype
    parts = [x if isinstance(x, RaggedTensor) else convert_to_tensor(x) for x in leaves]
    lengths = [p.shape[0] for p in parts]
    if all(isinstance(p, Tensor) for p in parts) and parts[0].dtype.name == "string":
        values = constant(np.concatenate([np.asarray(p) for p in parts]))
    else:
        values = _tf.concat(parts, 0)
    return RaggedTensor.from_row_lengths(values, constant(np.asarray(lengths, np.int64), splits))


def _batch_sparse(leaves):
    shapes = np.asarray([x.shape.as_list() for x in leaves], np.int64)
    idx, vals = [], []
    for i, x in enumerate(leaves):
        ind = np.asarray(x.indices)
        idx.append(np.concatenate([np.full((len(ind), 1), i, np.int64), ind], axis=1))
        vals.append(x.values)
    dense = [len(leaves)] + shapes.max(axis=0).tolist()
    indices = constant(np.concatenate(idx).reshape(-1, len(dense)))
    return SparseTensor(indices, _tf.concat(vals, 0), dense)
