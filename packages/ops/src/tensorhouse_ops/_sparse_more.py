"""More of ``tf.sparse``: reshaping (expand_dims, reshape, transpose, split), ``eye``,
``map_values``, elementwise ``maximum`` / ``minimum``, ``softmax``, ``bincount``, ``cross`` and
``mask`` (on IndexedSlices). Values pass through tensorhouse ops (gradients reach them); index
bookkeeping whose size depends on the data is one host node, as in ``_sparse``."""

from __future__ import annotations

import itertools

import numpy as np

from . import _array as A
from . import _math as M
from . import _segment as S
from . import dtypes as _dt
from . import nest
from ._indexed_slices import IndexedSlices
from ._sparse import SparseTensor, _check, _dims, _eager, _host, _i64, _union, reorder
from ._sparse import slice as _sparse_slice
from ._tape import stop_gradient
from ._tensor import Tensor, TensorShape, constant, convert_to_tensor, errors

__all__ = [
    "bincount", "cross", "expand_dims", "eye", "map_values", "mask", "maximum", "minimum",
    "reshape", "sampled_addmm", "softmax", "split", "transpose",
]  # fmt: skip


def expand_dims(sp_input, axis=None, name=None):
    """TF's ``tf.sparse.expand_dims``: a size-1 dim inserted at ``axis`` (default -1)."""
    sp = _check(sp_input)
    rank = sp._indices.shape[1]
    axis = -1 if axis is None else axis
    if not isinstance(axis, int | np.integer) or not -rank - 1 <= axis <= rank:
        raise TypeError("axis must be an integer value in range [-rank(sp_input) - 1, "
                        "rank(sp_input)]")  # fmt: skip
    axis = int(axis) % (rank + 1)
    zeros = A.zeros_like(sp._indices[:, :1])
    idx = A.concat([sp._indices[:, :axis], zeros, sp._indices[:, axis:]], 1)
    shape = A.concat([sp._dense_shape[:axis], _i64([1]), sp._dense_shape[axis:]], 0)
    out = SparseTensor(idx, sp._values, shape)
    if sp.shape.rank is not None:
        dims = sp.shape.as_list()
        out._static = TensorShape(dims[:axis] + [1] + dims[axis:])
    return out


def eye(num_rows, num_columns=None, dtype=_dt.float32, name=None):
    """TF's ``tf.sparse.eye``: ones on the diagonal of a ``[num_rows, num_columns]`` tensor."""
    rows = int(num_rows)
    cols = rows if num_columns is None else int(num_columns)
    diag = A.range(min(rows, cols), dtype=_dt.int64)
    return SparseTensor(A.stack([diag, diag], 1), A.ones([min(rows, cols)], dtype), [rows, cols])


def map_values(op, *args, **kwargs):
    """TF's ``tf.sparse.map_values``: ``op`` on the values of the SparseTensor arguments (which
    must share their indices), the result on those indices."""
    found = []

    def values_of(v):
        if isinstance(v, SparseTensor):
            found.append(v)
            return v._values
        return v

    inner_args = nest.map_structure(values_of, list(args))
    inner_kwargs = nest.map_structure(values_of, kwargs)
    if not found:
        raise ValueError("No SparseTensor in argument list of map_values")
    first = found[0]
    for other in found[1:]:
        same = _eager(first._indices) and _eager(other._indices)
        if same and not (
            first._indices.shape == other._indices.shape
            and np.array_equal(first._indices.numpy(), other._indices.numpy())
        ):
            raise errors.InvalidArgumentError(None, None, "Mismatched indices!")
    return SparseTensor(first._indices, op(*inner_args, **inner_kwargs), first._dense_shape)


def _elementwise(a, b, fn):
    a, b = _check(a), _check(b)
    idx, va, vb = _union(a, b)
    return SparseTensor(idx, fn(va, vb), a._dense_shape)


def maximum(sp_a, sp_b, name=None):
    """TF's ``tf.sparse.maximum``: elementwise maximum over the union of entries (a missing
    entry counts as 0)."""
    return _elementwise(sp_a, sp_b, M.maximum)


def minimum(sp_a, sp_b, name=None):
    """TF's ``tf.sparse.minimum``: elementwise minimum over the union of entries."""
    return _elementwise(sp_a, sp_b, M.minimum)


def _strides(dims):
    return np.cumprod([1] + dims[::-1][:-1])[::-1].astype(np.int64)


def reshape(sp_input, shape, name=None):
    """TF's ``tf.sparse.reshape``: the same entries in a new dense shape (one -1 inferred)."""
    sp = _check(sp_input)
    old = _dims(sp)
    new = [int(d) for d in np.asarray(shape.numpy() if isinstance(shape, Tensor) else shape)]
    size = int(np.prod(old, dtype=np.int64))
    where = f"input_shape=[{','.join(map(str, old))}] output_shape="
    if new.count(-1) > 1:
        first, second = [i for i, d in enumerate(new) if d == -1][:2]
        raise errors.InvalidArgumentError(
            None, "SparseReshape", f"only one output dimension may be -1, not both {first} and "
            f"{second} [Op:SparseReshape]"
        )  # fmt: skip
    known = int(np.prod([d for d in new if d != -1], dtype=np.int64))
    if -1 in new and known and size % known == 0:
        new[new.index(-1)] = size // known
    elif -1 in new:
        raise errors.InvalidArgumentError(
            None, "SparseReshape", f"Input to reshape is a SparseTensor with {size} dense values, "
            f"but the requested shape requires a multiple of {known}. {where}"
            f"[{','.join(str(1 if d == -1 else d) for d in new)}] [Op:SparseReshape]"
        )  # fmt: skip
    if int(np.prod(new, dtype=np.int64)) != size:
        raise errors.InvalidArgumentError(
            None, "SparseReshape", f"Input to reshape is a tensor with {size} dense values, but "
            f"the requested shape has {known}. {where}[{','.join(map(str, new))}] "
            "[Op:SparseReshape]"
        )  # fmt: skip
    linear = M.reduce_sum(sp._indices * constant(_strides(old)), 1, keepdims=True)
    idx = M.floormod(M.floordiv(linear, constant(_strides(new))), constant(np.int64(new)))
    return SparseTensor(idx, sp._values, new)


def transpose(sp_input, perm=None, name=None):
    """TF's ``tf.sparse.transpose``: dims permuted (reversed by default), entries re-sorted."""
    sp = _check(sp_input)
    rank = sp._indices.shape[1]
    perm = list(range(rank))[::-1] if perm is None else [int(p) for p in np.asarray(perm)]
    idx = A.gather(sp._indices, constant(np.int32(perm)), axis=1)
    return reorder(SparseTensor(idx, sp._values, A.gather(sp._dense_shape, perm)))


def split(sp_input=None, num_split=None, axis=None, name=None):
    """TF's ``tf.sparse.split``: ``num_split`` pieces along ``axis``; the first
    ``size % num_split`` one larger."""
    if sp_input is None:
        raise ValueError("sp_input is required")
    if num_split is None:
        raise ValueError("num_split is required")
    if axis is None:
        raise ValueError("axis is required")
    sp = _check(sp_input)
    dims = _dims(sp)
    axis = int(axis) % len(dims)
    base, extra = divmod(dims[axis], int(num_split))
    pieces, start = [], 0
    for i in range(int(num_split)):
        width = base + (i < extra)
        begin = [0] * len(dims)
        begin[axis] = start
        size = list(dims)
        size[axis] = width
        pieces.append(_sparse_slice(sp, begin, size))
        start += width
    return pieces


def softmax(sp_input, name=None):
    """TF's ``tf.sparse.softmax``: a softmax over each innermost row's present entries."""
    sp = _check(sp_input)
    n = A.shape(sp._values, _dt.int64)[0]

    def groups(idx):
        outer = idx[:, :-1]
        if not len(outer):
            return [np.zeros(0, np.int64)]
        return [np.unique(outer, axis=0, return_inverse=True)[1].reshape(-1)]

    ids = _host(groups, [sp._indices], [((sp._indices.shape[0],), _dt.int64)], "SparseSoftmax")[0]
    peak = stop_gradient(S.unsorted_segment_max(sp._values, ids, n))
    e = M.exp(sp._values - A.gather(peak, ids))
    total = S.unsorted_segment_sum(e, ids, n)
    return SparseTensor(sp._indices, e / A.gather(total, ids), sp._dense_shape)


def _entries(values):
    """``(rows, values)`` of a dense, SparseTensor or RaggedTensor input (rows: the outermost
    index; a 1-D dense input is one row)."""
    if isinstance(values, SparseTensor):
        return values._indices[:, 0], values._values, values._dense_shape[0]
    if hasattr(values, "value_rowids"):
        return values.value_rowids(), values.flat_values, _i64(values.nrows())
    t = convert_to_tensor(values)
    if t.shape.rank == 1:
        return A.zeros_like(t), t, _i64(1)
    rows = A.shape(t, _dt.int64)[0]
    return (
        A.reshape(A.tile(A.expand_dims(A.range(rows), 1), [1, t.shape[1]]), [-1]),
        (A.reshape(t, [-1])),
        rows,
    )


def bincount(values, weights=None, axis=0, minlength=None, maxlength=None,
             binary_output=False, name=None):  # fmt: skip
    """TF's ``tf.sparse.bincount``: the counts (or summed ``weights``, or 1 with
    ``binary_output``) of each value, as a SparseTensor of the bins hit; ``axis=-1`` counts each
    row of a 2-D input apart."""
    if axis not in (0, -1):
        raise ValueError(
            f"Unsupported value for argument axis={axis}. Only 0 and -1 are currently supported."
        )
    rows, vals, nrows = _entries(values)
    sparse_in = isinstance(values, SparseTensor)
    if weights is None:
        w, out_dt = A.ones_like(vals), vals.dtype
    else:
        w = _entries(weights)[1]
        out_dt = w.dtype
    lo, hi = int(minlength or 0), (-1 if maxlength is None else int(maxlength))

    def host(r, v, wt, nr):
        size = max(int(v.max()) + 1 if v.size else 0, lo)
        size = min(size, hi) if hi >= 0 else size
        keep = (v >= 0) & (v < size) & ((v != 0) if sparse_in else True)
        r, v, wt = (r[keep] if axis == -1 else np.zeros(keep.sum(), np.int64)), v[keep], wt[keep]
        key = np.stack([r, v], 1).astype(np.int64)
        uniq, inv = np.unique(key, axis=0, return_inverse=True) if len(key) else (key, key[:, 0])
        counts = np.zeros(len(uniq), wt.dtype)
        np.add.at(counts, inv.reshape(-1), wt)
        if binary_output:
            counts = np.ones_like(counts)
        if axis == -1:
            return uniq, counts, np.array([int(nr), size], np.int64)
        return uniq[:, 1:], counts, np.array([size], np.int64)

    width = 2 if axis == -1 else 1
    specs = [((None, width), _dt.int64), ((None,), out_dt), ((width,), _dt.int64)]
    idx, counts, shape = _host(host, [rows, vals, M.cast(w, out_dt), nrows], specs,
                               "SparseBincount")  # fmt: skip
    return SparseTensor(idx, counts, shape)


def cross(inputs, name=None, separator=None):
    """TF's ``tf.sparse.cross`` of dense ``[batch, k]`` inputs: every combination of one
    feature per input in each row, joined by ``separator`` (``"_X_"``), as strings."""
    if not isinstance(inputs, list | tuple) or not inputs:
        raise TypeError(f"Inputs must be a list of tensors. Received: {inputs}")
    sep = "_X_" if separator is None else separator
    tensors = [convert_to_tensor(x) for x in inputs]

    def run(*cols):
        cols = [c.reshape(len(c), -1) for c in cols]
        text = [[[v.decode() if isinstance(v, bytes) else str(v) for v in row] for row in c]
                for c in cols]  # fmt: skip
        idx, vals = [], []
        for r in range(len(cols[0])):
            combos = itertools.product(*(t[r] for t in text))
            for j, combo in enumerate(combos):
                idx.append([r, j])
                vals.append(sep.join(combo).encode())
        width = int(np.prod([c.shape[1] for c in cols]))
        return (np.asarray(idx, np.int64).reshape(-1, 2), np.asarray(vals, object),
                np.array([len(cols[0]), width], np.int64))  # fmt: skip

    specs = [((None, 2), _dt.int64), ((None,), _dt.string), ((2,), _dt.int64)]
    idx, vals, shape = _host(run, tensors, specs, "SparseCross")
    return SparseTensor(idx, vals, shape)


def mask(a, mask_indices, name=None):
    """TF's ``tf.sparse.mask``: the IndexedSlices ``a`` without the rows in ``mask_indices``."""
    idx = a.indices
    drop = convert_to_tensor(mask_indices, idx.dtype)
    hit = M.reduce_any(M.equal(A.expand_dims(idx, 1), A.expand_dims(drop, 0)), 1)
    keep = A.reshape(A.where(M.logical_not(hit)), [-1])
    return IndexedSlices(A.gather(a.values, keep), A.gather(idx, keep), a.dense_shape)


def sampled_addmm(indices, values, dense_shape, mat1, mat2, beta=1.0, alpha=1.0,
                  output_type=_dt.float32):  # fmt: skip
    """TF's ``tf.sparse.sampled_addmm``: ``alpha * (mat1 @ mat2) + beta * values`` only at
    ``indices`` (``[..., N, 2]``, batch dims shared with the matrices); returns ``(indices,
    values, dense_shape)`` with int32 indices and shape."""
    idx = M.cast(convert_to_tensor(indices), _dt.int32)
    a = M.cast(convert_to_tensor(mat1), output_type)
    b = M.cast(convert_to_tensor(mat2), output_type)
    batch = idx.shape.rank - 2
    rows = A.gather(a, idx[..., 0], axis=batch, batch_dims=batch)
    cols = A.gather(M.matrix_transpose(b), idx[..., 1], axis=batch, batch_dims=batch)
    prod = M.reduce_sum(rows * cols, -1)
    out = prod * alpha + M.cast(convert_to_tensor(values), output_type) * beta
    return idx, out, M.cast(convert_to_tensor(dense_shape), _dt.int32)
