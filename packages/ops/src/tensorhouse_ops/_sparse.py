"""``tf.sparse.SparseTensor``: the non-zero entries of a tensor as (indices, values, shape).

``indices`` is int64 ``[N, rank]``, ``values`` ``[N]``, ``dense_shape`` int64 ``[rank]``. Ops on
the values are tensorhouse ops (gradients reach ``values`` and dense operands); the bookkeeping
of indices (ordering, offsets, grouping) is NumPy in one host node (``_host``: run now when
eager, a stateless host-call node inside ``tf.function``), whose outputs gather the values.
"""

from __future__ import annotations

import builtins as _builtins

import numpy as np

from . import _array as A
from . import _dynamic as _dyn
from . import _math as M
from . import _pyfunc
from . import _segment as S
from . import dtypes as _dt
from ._composite import CompositeTensor, TensorSpec, TypeSpec, relax_shape
from ._tensor import Tensor, TensorShape, _op, constant, convert_to_tensor, errors

__all__ = ["SparseTensor", "SparseTensorSpec"]


def _eager(t) -> bool:
    return type(t) is Tensor


def _np(t) -> np.ndarray:
    if not _eager(t):
        raise errors.UnimplementedError(
            "this tf.sparse operation needs eager indices (its output shape depends on them)"
        )
    return np.asarray(t)


def _host(fn, inputs, specs, name):
    """``fn(*ndarrays) -> ndarrays`` on the tensors ``inputs``: run now when eager, one
    stateless host node when traced; ``specs`` are the outputs' ``(static shape, DType)``."""

    def run(tensors):
        outs = fn(*[np.asarray(t) for t in tensors])
        return [constant(np.asarray(o, dt._np), dt) for o, (_, dt) in zip(outs, specs)]

    return _pyfunc.host_call("PyFuncStateless", run, list(inputs), specs, name)


def _like(sp, indices, values):
    """A SparseTensor with ``sp``'s dense shape (static one included)."""
    out = SparseTensor(indices, values, sp._dense_shape)
    out._static = sp._static
    return out


def _i64(x):
    if isinstance(x, Tensor):
        return x if x.dtype == _dt.int64 else M.cast(x, _dt.int64)
    return constant(np.asarray(x, np.int64).reshape(np.shape(x)), _dt.int64)


def _shape_list(t):
    return [int(d) for d in _np(t)]


def _dims(sp):
    """The dense shape of ``sp`` as ints (known statically inside a trace)."""
    if sp.shape.is_fully_defined():
        return sp.shape.as_list()
    return _shape_list(sp._dense_shape)


def _shape_arg(sp):
    """The dense shape as ints when known now, else the ``dense_shape`` tensor."""
    if _eager(sp._dense_shape) or sp.shape.is_fully_defined():
        return _dims(sp)
    return sp._dense_shape


def _rank(sp):
    return sp._indices.shape[1] or sp._dense_shape.shape[0]


def _scatter(indices, values, shape):
    """``scatter_nd`` into ``shape``: ints, or an int tensor known only at run time."""
    if isinstance(shape, list):
        return A.scatter_nd(indices, values, shape)
    # "dtype": the run-time shape node's static output dtype (ScatterNd's kernel ignores it)
    return _dyn.shaped_op("ScatterNd", [indices, values], {"dtype": values.dtype._np}, shape)


class SparseTensor(CompositeTensor):
    """TF's ``tf.sparse.SparseTensor``: ``values[i]`` sits at ``indices[i]`` of ``dense_shape``."""

    __slots__ = ("_indices", "_values", "_dense_shape", "_static", "__weakref__")
    __array_priority__ = 110

    def __init__(self, indices, values, dense_shape):
        indices = _i64(indices) if not isinstance(indices, Tensor) else indices
        if indices.dtype != _dt.int64:
            indices = M.cast(indices, _dt.int64)
        values = values if isinstance(values, Tensor) else convert_to_tensor(values)
        dense_shape = _i64(dense_shape)
        if indices.ndim != 2:
            raise ValueError(f"Shape {indices.shape} must have rank 2")
        if values.ndim != 1:
            raise ValueError(f"Shape {values.shape} must have rank 1")
        if dense_shape.ndim != 1:
            raise ValueError(f"Shape {dense_shape.shape} must have rank 1")
        n, v = indices.shape[0], values.shape[0]
        if n is not None and v is not None and n != v:
            raise ValueError(f"Dimensions {n} and {v} are not compatible")
        r, d = indices.shape[1], dense_shape.shape[0]
        if r is not None and d is not None and r != d:
            raise ValueError(f"Dimensions {r} and {d} are not compatible")
        self._indices, self._values, self._dense_shape = indices, values, dense_shape
        self._static = None  # the dense shape known at trace time (set from a spec)

    indices = property(lambda self: self._indices, doc="int64 [N, rank]: where each value is.")
    values = property(lambda self: self._values, doc="[N]: the values.")
    dense_shape = property(lambda self: self._dense_shape, doc="int64 [rank]: the dense shape.")
    dtype = property(lambda self: self._values.dtype)

    @property
    def shape(self) -> TensorShape:
        """The static dense shape (known when ``dense_shape`` is eager)."""
        if _eager(self._dense_shape):
            return TensorShape(self._dense_shape.numpy().tolist())
        if self._static is not None:
            return self._static
        return TensorShape([None] * (self._dense_shape.shape[0] or 0))

    def get_shape(self) -> TensorShape:
        return self.shape

    @property
    def _type_spec(self):
        return SparseTensorSpec(self.shape, self.dtype)

    def with_values(self, new_values):
        """The same indices and shape with new values."""
        out = SparseTensor(self._indices, new_values, self._dense_shape)
        out._static = self._static
        return out

    def __repr__(self):
        show = str if _eager(self._values) and _eager(self._indices) else repr
        return (f"SparseTensor(indices={show(self._indices)}, values={show(self._values)}, "
                f"dense_shape={show(self._dense_shape)})")  # fmt: skip

    __str__ = __repr__

    # ---- dispatch from tf ops -------------------------------------------------------------
    @classmethod
    def _th_unary(cls, fn, x):
        return x.with_values(fn(x._values))

    @classmethod
    def _th_binary(cls, fn, x, y):
        if isinstance(x, SparseTensor) and not isinstance(y, CompositeTensor):
            if fn in (M.multiply, M.divide, M.realdiv, M.truediv):
                return x.with_values(fn(x._values, _dense_at(x, y)))
        other = x if not isinstance(x, SparseTensor) else y
        bad = y if isinstance(y, SparseTensor) else x
        raise ValueError(
            f"Attempt to convert a value ({bad}) with an unsupported type ({type(bad)}) to a "
            f"Tensor (an elementwise op of a SparseTensor with {type(other).__name__})."
        )

    @classmethod
    def _th_reduce(cls, op_type, sp, axis, keepdims):
        if op_type == "Sum":
            return reduce_sum(sp, axis, keepdims)
        if op_type == "Max":
            return reduce_max(sp, axis, keepdims)
        raise errors.UnimplementedError(f"tf.reduce_{op_type.lower()} of a SparseTensor")

    @classmethod
    def _th_concat(cls, values, axis):
        raise TypeError("tf.concat does not take SparseTensors: use tf.sparse.concat")

    _th_stack = _th_concat

    @classmethod
    def _th_gather(cls, params, indices, axis, batch_dims):
        raise TypeError("tf.gather does not take SparseTensors")

    def __mul__(self, other):
        return M.multiply(self, other)

    def __truediv__(self, other):
        return M.divide(self, other)

    __div__ = __truediv__

    def __neg__(self):
        return self.with_values(M.negative(self._values))

    def __abs__(self):
        return self.with_values(M.abs(self._values))


def _dense_at(sp, d):
    """The entries of dense ``d`` (broadcast to ``sp``'s shape) at ``sp``'s indices."""
    d = d if isinstance(d, Tensor) else convert_to_tensor(d, sp.dtype)
    if d.ndim == 0:
        return d
    full = A.broadcast_to(d, _shape_arg(sp))
    return A.gather_nd(full, sp._indices)


# ---- TypeSpec ---------------------------------------------------------------------------------


class SparseTensorSpec(TypeSpec):
    """TF's ``tf.SparseTensorSpec``: the dense shape and the dtype of a SparseTensor."""

    value_type = property(lambda self: SparseTensor)

    def __init__(self, shape=None, dtype=_dt.float32):
        self._shape = TensorShape(shape)
        self._dtype = _dt.as_dtype(dtype)

    shape = property(lambda self: self._shape)
    dtype = property(lambda self: self._dtype)

    @classmethod
    def from_value(cls, value):
        return value._type_spec

    def _serialize(self):
        dims = self._shape.dims
        return (None if dims is None else tuple(dims), self._dtype.name)

    @property
    def _component_specs(self):
        rank = self._shape.rank
        return [
            TensorSpec([None, rank], _dt.int64),
            TensorSpec([None], self._dtype),
            TensorSpec([rank], _dt.int64),
        ]

    def _to_components(self, value):
        return [value._indices, value._values, value._dense_shape]

    def _from_components(self, components):
        out = SparseTensor(*components)
        out._static = self._shape
        return out

    def _compatible(self, other):
        return self._dtype == other._dtype and self._shape.is_compatible_with(other._shape)

    def _relaxable(self, other):
        return self._dtype == other._dtype

    def _relax(self, other):
        return SparseTensorSpec(relax_shape(self._shape, other._shape), self._dtype)

    def __repr__(self):
        return f"SparseTensorSpec({self._shape!r}, tf.{self._dtype.name})"


# ---- tf.sparse --------------------------------------------------------------------------------


def _check(sp):
    if not isinstance(sp, SparseTensor):
        raise TypeError(f"Input must be a SparseTensor, got {type(sp).__name__}")
    return sp


def _fmt(idx):
    return "[" + ",".join(str(int(i)) for i in idx) + "]"


def _validate(idx, shape, op="SparseToDense"):
    """TF's index checks: in bounds, strictly increasing in row-major order."""
    for i, row in enumerate(idx):
        if np.any(row < 0) or np.any(row >= shape):
            raise errors.InvalidArgumentError(
                None, op, f"indices[{i}] = {_fmt(row)} is out of bounds: need 0 <= index < "
                f"{_fmt(shape)}"
            )  # fmt: skip
        if i:
            prev = tuple(idx[i - 1])
            if tuple(row) == prev:
                raise errors.InvalidArgumentError(
                    None, op, f"indices[{i}] = {_fmt(row)} is repeated"
                )
            if tuple(row) < prev:
                raise errors.InvalidArgumentError(
                    None, op, f"indices[{i}] = {_fmt(row)} is out of order. Many sparse ops "
                    "require sorted indices.\n    Use `tf.sparse.reorder` to create a correctly "
                    "ordered copy.\n\n"
                )  # fmt: skip


def to_dense(sp_input, default_value=None, validate_indices=True, name=None):
    """TF's ``tf.sparse.to_dense``: the dense tensor, ``default_value`` where no entry is."""
    sp = _check(sp_input)
    shape = _shape_arg(sp)
    if _eager(sp._indices) and isinstance(shape, list):
        idx = sp._indices.numpy()
        if validate_indices:
            _validate(idx, np.asarray(shape))
        elif idx.size and (np.any(idx < 0) or np.any(idx >= np.asarray(shape))):
            raise errors.InvalidArgumentError(
                None, "SparseToDense",
                f"Indices are not valid (out of bounds).  Shape: {_fmt(shape)}",
            )  # fmt: skip
    dense = _scatter(sp._indices, sp._values, shape)
    if default_value is None:
        return dense
    default = convert_to_tensor(default_value, sp.dtype)
    hit = _scatter(sp._indices, A.ones_like(sp._values), shape)
    return dense + default * (A.ones_like(hit) - hit)


def from_dense(tensor, name=None):
    """TF's ``tf.sparse.from_dense``: the non-zero entries of ``tensor``."""
    t = convert_to_tensor(tensor)
    zero = "" if t.dtype == _dt.string else 0
    indices = A.where(M.not_equal(t, convert_to_tensor(zero, t.dtype)))
    return SparseTensor(indices, A.gather_nd(t, indices), A.shape(t, _dt.int64))


def _reorder_perm(idx):
    return np.lexsort(idx.T[::-1]) if idx.size else np.arange(len(idx))


def reorder(sp_input, name=None):
    """TF's ``tf.sparse.reorder``: entries sorted in row-major order."""
    sp = _check(sp_input)
    n = sp._indices.shape[0]
    perm = _host(lambda idx: [_reorder_perm(idx)], [sp._indices], [((n,), _dt.int64)],
                 "SparseReorder")[0]  # fmt: skip
    return _like(sp, A.gather(sp._indices, perm), A.gather(sp._values, perm))


def _axes(axis, rank):
    if axis is None:
        return list(_builtins.range(rank))
    if isinstance(axis, Tensor):
        axis = axis.numpy().tolist()
    axes = [axis] if isinstance(axis, int | np.integer) else list(axis)
    return sorted({int(a) % rank for a in axes})


def _grouped(sp, axis, keepdims):
    """Groups of entries sharing their kept coordinates: (ids, kept indices, kept shape)."""
    idx, shape = _np(sp._indices), _dims(sp)
    rank = len(shape)
    axes = _axes(axis, rank)
    kept = [d for d in _builtins.range(rank) if d not in axes]
    if keepdims:
        sub = idx.copy()
        sub[:, axes] = 0
        out_shape = [1 if d in axes else s for d, s in enumerate(shape)]
    else:
        sub = idx[:, kept]
        out_shape = [shape[d] for d in kept]
    uniq, ids = np.unique(sub, axis=0, return_inverse=True) if len(sub) else (sub, np.zeros(0))
    return np.asarray(ids, np.int64).reshape(-1), uniq.astype(np.int64), out_shape


def _reduce(sp, axis, keepdims, output_is_sparse, kind):
    sp = _check(sp)
    if not (_eager(sp._indices) and isinstance(_shape_arg(sp), list)):
        if output_is_sparse:
            return _reduce_traced_sparse(sp, axis, keepdims, kind)
        return _reduce_traced(sp, axis, keepdims, kind == "Max")
    ids, uniq, out_shape = _grouped(sp, axis, keepdims)
    segment_fn = S.unsorted_segment_max if kind == "Max" else M.unsorted_segment_sum
    vals = segment_fn(sp._values, constant(ids, _dt.int64), len(uniq))
    if output_is_sparse:
        return SparseTensor(
            constant(uniq.reshape(len(uniq), len(out_shape)), _dt.int64), vals, out_shape
        )
    if not out_shape:
        return A.reshape(vals, []) if len(uniq) else constant(0, sp.dtype)
    return A.scatter_nd(constant(uniq.reshape(-1, len(out_shape)), _dt.int64), vals, out_shape)


def _reduce_traced_sparse(sp, axis, keepdims, kind):
    """A sparse-output reduction of symbolic indices: a host node groups the entries (sorted
    by group), the sorted-segment kernel reduces each group; every size is a run-time one."""
    rank = _rank(sp)
    axes = _axes(axis, rank)
    kept = [d for d in _builtins.range(rank) if d not in axes]
    out_rank = rank if keepdims else len(kept)

    def host(idx, shape):
        if keepdims:
            sub = idx.copy()
            sub[:, axes] = 0
            out_shape = [1 if d in axes else s for d, s in enumerate(shape)]
        else:
            sub, out_shape = idx[:, kept], [shape[d] for d in kept]
        if len(sub):
            uniq, ids = np.unique(sub, axis=0, return_inverse=True)
        else:
            uniq, ids = sub, np.zeros(0, np.int64)
        ids = ids.reshape(-1)
        order = np.argsort(ids, kind="stable")
        return order, ids[order], uniq.reshape(-1, out_rank), out_shape

    specs = [((None,), _dt.int64), ((None,), _dt.int64), ((None, out_rank), _dt.int64),
             ((out_rank,), _dt.int64)]  # fmt: skip
    inputs = [sp._indices, sp._dense_shape]
    order, ids, uniq, shape = _host(host, inputs, specs, "SparseReduce")
    vals = _op("Segment" + kind, [A.gather(sp._values, order), ids])
    return SparseTensor(uniq, vals, shape)


def _reduce_traced(sp, axis, keepdims, is_max):
    """A reduction of symbolic indices, through the dense tensor."""
    axes = None if axis is None else _axes(axis, _rank(sp))
    if not is_max:
        return M.reduce_sum(to_dense(sp), axes, keepdims)
    low = constant(_lowest(sp.dtype), sp.dtype)
    dense = to_dense(sp, default_value=low)
    best = M.reduce_max(dense, axes, keepdims)
    present = M.reduce_any(to_dense(sp.with_values(A.ones_like(sp._values))) > 0, axes, keepdims)
    return A.where(present, best, A.zeros_like(best))


def reduce_sum(sp_input, axis=None, keepdims=None, output_is_sparse=False, name=None):
    """TF's ``tf.sparse.reduce_sum`` over ``axis`` (all when None)."""
    return _reduce(sp_input, axis, bool(keepdims), output_is_sparse, "Sum")


def _lowest(dtype):
    return _dt._finfo(dtype._np).min if dtype.is_floating else np.iinfo(dtype._np).min


def reduce_max(sp_input, axis=None, keepdims=None, output_is_sparse=False, name=None):
    """TF's ``tf.sparse.reduce_max``: the max of the stored values (0 where there are none)."""
    return _reduce(sp_input, axis, bool(keepdims), output_is_sparse, "Max")


def _concat_shape(shapes, axis, expand):
    """The dense shape of the concatenation (TF's error where a non-concat dim differs)."""
    out = [int(d) for d in shapes[0]]
    for k, shp in enumerate(shapes[1:], 1):
        for d in _builtins.range(len(out)):
            if d == axis or int(shp[d]) == out[d]:
                continue
            if not expand:
                raise errors.InvalidArgumentError(
                    None, "SparseConcat", f"Input shapes must match: expected {out[d]} for "
                    f"dimension {d} but got {int(shp[d])} at position {k}"
                )  # fmt: skip
            out[d] = max(out[d], int(shp[d]))
    out[axis] = int(sum(int(s[axis]) for s in shapes))
    return out


def _static_dims(sp):
    """The dense shape as ints when known at trace time, else None."""
    if _eager(sp._dense_shape) or sp.shape.is_fully_defined():
        return _dims(sp)
    return None


def concat(axis, sp_inputs, expand_nonconcat_dims=False, name=None, concat_dim=None):
    """TF's ``tf.sparse.concat``: joins SparseTensors along ``axis``."""
    sps = [_check(s) for s in sp_inputs]
    rank = sps[0]._indices.shape[1] or sps[0]._dense_shape.shape[0]
    axis = int(axis) % rank
    k = len(sps)

    def host(*arrays):
        shapes = arrays[k:]
        out_shape = _concat_shape(shapes, axis, expand_nonconcat_dims)
        offsets = np.cumsum([0] + [int(s[axis]) for s in shapes])
        idx = []
        for i, off in zip(arrays[:k], offsets):
            i = i.copy()
            i[:, axis] += off
            idx.append(i)
        idx = np.concatenate(idx).astype(np.int64).reshape(-1, rank)
        perm = _reorder_perm(idx)
        return idx[perm], perm, out_shape

    static = [_static_dims(s) for s in sps]
    known = None not in static
    if known:  # TF's shape errors now, and a static dense shape
        out_shape = constant(_concat_shape(static, axis, expand_nonconcat_dims), _dt.int64)
    specs = [((None, rank), _dt.int64), ((None,), _dt.int64), ((rank,), _dt.int64)]
    inputs = [s._indices for s in sps] + [s._dense_shape for s in sps]
    idx, perm, shape = _host(host, inputs, specs, "SparseConcat")
    values = A.gather(A.concat([s._values for s in sps], 0), perm)
    return SparseTensor(idx, values, out_shape if known else shape)


def _union(a, b):
    """``(indices, a's values, b's values)`` over the sorted union of ``a``'s and ``b``'s
    indices, 0 where one of them has no entry."""
    rank = a._indices.shape[1] or b._indices.shape[1]

    def host(ia, ib):
        both = np.concatenate([ia, ib]).astype(np.int64).reshape(-1, rank)
        if not len(both):
            return both, np.zeros(0, np.int64), np.zeros(0, np.int64)
        uniq, inverse = np.unique(both, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        from_a = np.full(len(uniq), -1, np.int64)
        from_b = np.full(len(uniq), -1, np.int64)
        from_a[inverse[: len(ia)]] = np.arange(len(ia))
        from_b[inverse[len(ia) :]] = np.arange(len(ib))
        return uniq, from_a, from_b  # each entry's place in a and in b (-1: none)

    specs = [((None, rank), _dt.int64), ((None,), _dt.int64), ((None,), _dt.int64)]
    idx, from_a, from_b = _host(host, [a._indices, b._indices], specs, "SparseUnion")

    def part(sp, at):
        picked = A.gather(sp._values, M.maximum(at, constant(0, _dt.int64)))
        return A.where(M.greater_equal(at, constant(0, _dt.int64)), picked, A.zeros_like(picked))

    return idx, part(a, from_a), part(b, from_b)


def add(a, b, threshold=0, name=None):
    """TF's ``tf.sparse.add``: sparse + sparse (entries with ``|sum| < threshold`` dropped), or
    sparse + dense (a dense tensor)."""
    if not isinstance(a, SparseTensor):
        a, b = b, a
    if not isinstance(b, SparseTensor):
        return to_dense(a, validate_indices=False) + convert_to_tensor(b, a.dtype)
    idx, va, vb = _union(a, b)
    out = _like(a, idx, va + vb)
    if not _eager(a._dense_shape) and a.shape.rank == b.shape.rank:  # what either one knows
        out._static = TensorShape([x if x is not None else y for x, y in zip(a.shape, b.shape)])
    if threshold:
        vals = out._values
        out = retain(out, M.greater_equal(M.abs(vals), convert_to_tensor(threshold, a.dtype)))
    return out


def sparse_dense_matmul(sp_a, b, adjoint_a=False, adjoint_b=False, name=None):
    """TF's ``tf.sparse.sparse_dense_matmul``: the product of a 2-D SparseTensor and a matrix."""
    sp = _check(sp_a)
    b = convert_to_tensor(b, sp.dtype) if not isinstance(b, Tensor) else b
    if adjoint_b:
        b = A.transpose(b)
    rows, cols = sp._indices[:, 0], sp._indices[:, 1]
    n = _shape_arg(sp)
    if adjoint_a:
        rows, cols = cols, rows
        n = n[::-1]
    if isinstance(n, Tensor):  # a dense shape known at run time: ``None`` rows
        terms = A.expand_dims(sp._values, 1) * A.gather(b, cols)
        return S.unsorted_segment_sum(terms, rows, n[0])
    if b.shape[0] is not None and b.shape[0] != n[1]:
        raise errors.InvalidArgumentError(
            None, "SparseTensorDenseMatMul", f"Cannot multiply A and B because inner dimension "
            f"does not match: {n[1]} vs. {b.shape[0]}.  Did you forget a transpose?  Dimensions "
            f"of A: [{n[0]}, {n[1]}).  Dimensions of B: {b.shape}"
        )  # fmt: skip
    terms = A.expand_dims(sp._values, 1) * A.gather(b, cols)
    return M.unsorted_segment_sum(terms, rows, n[0])


def retain(sp_input, to_retain):
    """TF's ``tf.sparse.retain``: the entries where ``to_retain`` is True."""
    sp = _check(sp_input)
    keep = convert_to_tensor(to_retain)
    if keep.dtype != _dt.bool:
        keep = M.cast(keep, _dt.bool)
    at = A.reshape(A.where(keep), [-1])
    return _like(sp, A.gather(sp._indices, at), A.gather(sp._values, at))


def reset_shape(sp_input, new_shape=None):
    """TF's ``tf.sparse.reset_shape``: a new dense shape (the tightest one when None)."""
    sp = _check(sp_input)
    if new_shape is None:
        rank = sp._indices.shape[1]

        def tight(idx):
            return [idx.max(axis=0) + 1 if len(idx) else np.zeros(idx.shape[1], np.int64)]

        shape = _host(tight, [sp._indices], [((rank,), _dt.int64)], "SparseTightShape")[0]
        return SparseTensor(sp._indices, sp._values, shape)
    new_t = _i64(new_shape)
    if not (_eager(new_t) and (_eager(sp._dense_shape) or sp.shape.is_fully_defined())):
        return SparseTensor(sp._indices, sp._values, new_t)  # checked by TF at run time only
    new = np.asarray(_np(new_t), np.int64)
    old = np.asarray(_dims(sp))
    if new.shape != old.shape:
        raise ValueError(f"new_shape must have the same rank as sp_input: {new.shape} vs "
                         f"{old.shape}")  # fmt: skip
    if np.any(new < old):
        raise ValueError(
            "Requested new_shape should have dimension sizes >= sp_input.shape.  Found new_shape "
            f"({np.array2string(old)}), sp_input.shape ({np.array2string(new)})."
        )
    return SparseTensor(sp._indices, sp._values, new)


def slice(sp_input, start, size, name=None):  # noqa: A001 - TF's name
    """TF's ``tf.sparse.slice``: the entries in ``[start, start + size)``, re-indexed."""
    sp = _check(sp_input)
    rank = sp._indices.shape[1]

    def host(idx, start, size, shape):
        end = np.minimum(start + size, shape)
        inside = np.all((idx >= start) & (idx < end), axis=1) if len(idx) else np.zeros(0, bool)
        keep = np.nonzero(inside)[0]
        moved = (idx[keep] - start).reshape(-1, len(shape))
        return keep, moved, np.maximum(end - start, 0)

    specs = [((None,), _dt.int64), ((None, rank), _dt.int64), ((rank,), _dt.int64)]
    keep, idx, shape = _host(host, [sp._indices, _i64(start), _i64(size), sp._dense_shape],
                             specs, "SparseSlice")  # fmt: skip
    return SparseTensor(idx, A.gather(sp._values, keep), shape)


def to_indicator(sp_input, vocab_size, name=None):
    """TF's ``tf.sparse.to_indicator``: True at ``[..., v]`` for each value ``v`` of a row."""
    sp = _check(sp_input)
    vocab_size = int(vocab_size)

    def host(idx, vals, shape):
        vals = vals.astype(np.int64)
        bad = np.flatnonzero((vals < 0) | (vals >= vocab_size))
        if bad.size:
            message = f"value {vals[bad[0]]} is out of range [0, {vocab_size})"
            raise errors.InvalidArgumentError(None, "SparseToDense", message)
        out = np.zeros([int(d) for d in shape[:-1]] + [vocab_size], bool)
        out[tuple(idx[:, :-1].T) + (vals,)] = True
        return [out]

    static = sp.shape.as_list() if sp.shape.rank is not None else None
    spec = (None if static is None else (*static[:-1], vocab_size), _dt.bool)
    return _host(host, [sp._indices, sp._values, sp._dense_shape], [spec], "SparseToIndicator")[0]


def fill_empty_rows(sp_input, default_value, name=None):
    """TF's ``tf.sparse.fill_empty_rows``: ``default_value`` at ``[row, 0, ...]`` of each empty
    row; returns (the new SparseTensor, a bool vector marking the rows that were empty)."""
    sp = _check(sp_input)
    rank = sp._indices.shape[1]

    def host(idx, shape):
        empty = np.ones(int(shape[0]), bool)
        empty[idx[:, 0]] = False
        rows = np.nonzero(empty)[0]
        extra = np.zeros((len(rows), len(shape)), np.int64)
        extra[:, 0] = rows
        all_idx = np.concatenate([idx, extra]).astype(np.int64)
        source = np.concatenate([np.arange(len(idx)), np.full(len(rows), len(idx))])
        perm = _reorder_perm(all_idx)  # source len(idx): the default value
        return all_idx[perm].reshape(-1, len(shape)), source[perm], empty

    rows = sp.shape[0] if sp.shape.rank else None
    specs = [((None, rank), _dt.int64), ((None,), _dt.int64), ((rows,), _dt.bool)]
    idx, source, empty = _host(host, [sp._indices, sp._dense_shape], specs, "SparseFillEmptyRows")
    default = A.reshape(convert_to_tensor(default_value, sp.dtype), [1])
    return _like(sp, idx, A.gather(A.concat([sp._values, default], 0), source)), empty


def _segments(data, indices, segment_ids, num_segments, op):
    """(sums of ``data[indices]`` by sorted ``segment_ids``, counts of each segment, at least 1,
    shaped to broadcast): ``num_segments`` rows, else ``ids[-1] + 1`` (the sorted kernel's)."""
    data = convert_to_tensor(data) if not isinstance(data, Tensor) else data
    rows = A.gather(data, indices)
    ids = _i64(convert_to_tensor(segment_ids))
    if _eager(ids):
        host_ids = np.asarray(ids)
        if host_ids.size and np.any(np.diff(host_ids) < 0):
            raise errors.InvalidArgumentError(None, op, "segment ids are not increasing")
    ones = A.ones_like(M.cast(ids, data.dtype))
    if num_segments is not None:
        total = S.unsorted_segment_sum(rows, ids, num_segments)
        counts = S.unsorted_segment_sum(ones, ids, num_segments)
    else:
        total = _op("SegmentSum", [rows, ids])
        counts = _op("SegmentSum", [ones, ids])
    counts = M.maximum(counts, A.ones_like(counts))
    return total, A.reshape(counts, [-1] + [1] * (data.ndim - 1))


def segment_sum(data, indices, segment_ids, name=None, num_segments=None):
    """TF's ``tf.sparse.segment_sum``: sums of ``data[indices]`` by sorted ``segment_ids``."""
    return _segments(data, indices, segment_ids, num_segments, "SparseSegmentSum")[0]


def segment_mean(data, indices, segment_ids, name=None, num_segments=None):
    """TF's ``tf.sparse.segment_mean``: means of ``data[indices]`` by ``segment_ids``."""
    total, counts = _segments(data, indices, segment_ids, num_segments, "SparseSegmentMean")
    return total / counts


def segment_sqrt_n(data, indices, segment_ids, name=None, num_segments=None):
    """TF's ``tf.sparse.segment_sqrt_n``: sums divided by the square root of the counts."""
    total, counts = _segments(data, indices, segment_ids, num_segments, "SparseSegmentSqrtN")
    return total * M.rsqrt(counts)
