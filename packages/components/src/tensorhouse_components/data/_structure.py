"""Element structures (TF's rule: tuples, namedtuples and dicts are structure; lists and
everything else are values), host values (NumPy arrays, strings as object arrays of bytes) and
their ``TensorSpec``s."""

from __future__ import annotations

import collections

import numpy as np

from tensorhouse_ops import Tensor, TensorShape, TensorSpec, Variable, constant, convert_to_tensor

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
    """A value as a NumPy array, with TF's default dtypes for Python values."""
    if isinstance(x, Tensor | Variable):
        a = np.asarray(x.numpy())
    elif isinstance(x, np.ndarray | np.generic):
        a = np.asarray(x)
    elif dtype is not None and dtype_name(dtype) != "string":
        a = np.asarray(x, dtype=np.dtype(dtype_name(dtype)))
    else:
        a = np.asarray(convert_to_tensor(x).numpy())
    if a.dtype.kind in "OSU":
        return _strings(a)
    if dtype is not None and dtype_name(dtype) != "string" and a.dtype.name != dtype_name(dtype):
        a = a.astype(dtype_name(dtype))
    return a


def to_tensor(a):
    return constant(a)


def to_numpy(a):
    """TF's ``Tensor.numpy()``: scalars as NumPy scalars (``bytes`` for strings)."""
    if isinstance(a, bytes):
        return a
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
    da, db = dims(a), dims(b)
    if da is None or db is None or len(da) != len(db):
        return TensorSpec(None, a.dtype)
    return TensorSpec([x if x == y else None for x, y in zip(da, db)], a.dtype)


def batched(spec: TensorSpec, n) -> TensorSpec:
    d = dims(spec)
    return TensorSpec(None if d is None else [n, *d], spec.dtype)


def unbatched(spec: TensorSpec) -> TensorSpec:
    d = dims(spec)
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
    if isinstance(x, Tensor | Variable):
        return TensorSpec(x.shape, x.dtype)
    return spec_of(to_host(x))
