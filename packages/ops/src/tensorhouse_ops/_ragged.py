"""``tf.RaggedTensor``: rows of different lengths, as flat values and row splits.

A RaggedTensor is ``values`` (a Tensor, or a RaggedTensor for several ragged dims) cut into rows
by ``row_splits`` (row ``i`` is ``values[splits[i]:splits[i + 1]]``). Ops on the values are
tensorhouse ops, so gradients flow to ``flat_values``. Index arithmetic on the splits is done on
the host when the splits are eager; in a traced function the ops that need value-dependent shapes
(``to_tensor``, indexing, ``gather``) need eager splits.
"""

from __future__ import annotations

import builtins as _builtins

import numpy as np

from . import _array as A
from . import _math as M
from . import dtypes as _dt
from . import nest
from ._composed import sequence_mask
from ._composite import CompositeTensor, TensorSpec, TypeSpec, relax_shape
from ._sparse import SparseTensor
from ._tensor import Tensor, TensorShape, constant, convert_to_tensor, errors

__all__ = ["RaggedTensor", "RaggedTensorSpec", "constant_ragged", "map_flat_values"]

_SPLIT_DTYPES = ("int32", "int64")


def _eager(t) -> bool:
    return type(t) is Tensor


def _np(t) -> np.ndarray:
    if not _eager(t):
        raise errors.UnimplementedError(
            "this RaggedTensor operation needs eager row splits (inside tf.function the "
            "ragged shape is not known)"
        )
    return np.asarray(t)


def _values_arg(values):
    if isinstance(values, RaggedTensor | Tensor):
        return values
    return convert_to_tensor(values)


def _splits_arg(splits, dtype=None):
    if isinstance(splits, Tensor):
        if splits.dtype.name not in _SPLIT_DTYPES:
            raise ValueError(f"Row-partitioning tensors must have dtype int32 or int64, got "
                             f"{splits.dtype!r}")  # fmt: skip
        return splits if dtype is None or splits.dtype == dtype else M.cast(splits, dtype)
    return convert_to_tensor(np.asarray(splits, np.int64), dtype or _dt.int64)


def _invalid(factory, what):
    return errors.InvalidArgumentError(
        None, None, f"Arguments to {factory} do not form a valid RaggedTensor:{what}"
    )


def _take(values, idx):
    """``values`` rows at host indices ``idx`` (a RaggedTensor's rows, or a tensor's)."""
    idx = np.asarray(idx, np.int64)
    if isinstance(values, RaggedTensor):
        return values._gather_rows(idx)
    if values.dtype == _dt.string:
        return constant(np.asarray(values)[idx], _dt.string)
    return A.gather(values, constant(idx, _dt.int64))


def _reshape(t, shape):
    if t.dtype == _dt.string:
        return constant(np.asarray(t).reshape(shape), _dt.string)
    return A.reshape(t, shape)


def _concat0(parts):
    """Concatenates tensors (or RaggedTensors) along axis 0."""
    if isinstance(parts[0], RaggedTensor):
        return _concat_ragged0(parts)
    if parts[0].dtype == _dt.string:
        return constant(np.concatenate([np.asarray(p) for p in parts]), _dt.string)
    return A.concat(parts, 0)


class RaggedTensor(CompositeTensor):
    """TF's ``tf.RaggedTensor``: a tensor whose dims after the first may vary per row."""

    __slots__ = ("_values", "_row_splits", "__weakref__")
    __array_priority__ = 110

    def __init__(self, values, row_splits, internal=False):
        if not internal:
            raise ValueError(
                "RaggedTensor constructor is private; please use one of the factory methods "
                "instead (e.g., RaggedTensor.from_row_lengths())"
            )
        self._values = values
        self._row_splits = row_splits

    # ---- factories ------------------------------------------------------------------------
    @classmethod
    def from_row_splits(cls, values, row_splits, name=None, validate=True):
        """Rows ``values[row_splits[i]:row_splits[i + 1]]``."""
        values = _values_arg(values)
        splits = _splits_arg(row_splits, _inner_splits_dtype(values))
        if splits.ndim != 1:
            raise ValueError(f"Shape {splits.shape} must have rank 1")
        if validate and _eager(splits) and _eager_values(values):
            s = splits.numpy()
            if s.size == 0 or s[0] != 0:
                raise _invalid("from_row_splits", "zero")
            if np.any(np.diff(s) < 0):
                raise _invalid("from_row_splits", "monotonic")
            if s[-1] != _nrows_of(values):
                raise _invalid("_from_row_partition", "")
        return cls(values, splits, internal=True)

    @classmethod
    def from_row_lengths(cls, values, row_lengths, name=None, validate=True):
        """Rows of the given lengths, in order."""
        values = _values_arg(values)
        lengths = _splits_arg(row_lengths, _inner_splits_dtype(values))
        if validate and _eager(lengths):
            if np.any(lengths.numpy() < 0):
                raise _invalid("from_row_lengths", "nonnegative")
        zero = A.zeros([1], lengths.dtype)
        splits = A.concat([zero, M.cumsum(lengths)], 0)
        return cls.from_row_splits(values, splits, validate=validate)

    @classmethod
    def from_value_rowids(cls, values, value_rowids, nrows=None, name=None, validate=True):
        """Value ``j`` goes to row ``value_rowids[j]`` (sorted); ``nrows`` rows in all."""
        values = _values_arg(values)
        ids = _splits_arg(value_rowids, _inner_splits_dtype(values))
        if nrows is None:
            host = _np(ids)
            nrows = int(host[-1]) + 1 if host.size else 0
        nrows = int(nrows.numpy()) if isinstance(nrows, Tensor) else int(nrows)
        if validate and _eager(ids):
            host = ids.numpy()
            if np.any(np.diff(host) < 0):
                raise _invalid("from_value_rowids", "value_rowids must be sorted")
            if host.size and (host[0] < 0 or host[-1] >= nrows):
                raise _invalid("from_value_rowids", "value_rowids out of range")
        lengths = M.unsorted_segment_sum(A.ones_like(ids), ids, nrows)
        return cls.from_row_lengths(values, lengths, validate=False)

    @classmethod
    def from_row_starts(cls, values, row_starts, name=None, validate=True):
        """Rows starting at ``row_starts`` (the last row runs to the end of ``values``)."""
        values = _values_arg(values)
        starts = _splits_arg(row_starts, _inner_splits_dtype(values))
        n = constant([_nrows_of(values)], starts.dtype)
        return cls.from_row_splits(values, A.concat([starts, n], 0), validate=validate)

    @classmethod
    def from_row_limits(cls, values, row_limits, name=None, validate=True):
        """Rows ending at ``row_limits``."""
        values = _values_arg(values)
        limits = _splits_arg(row_limits, _inner_splits_dtype(values))
        zero = A.zeros([1], limits.dtype)
        return cls.from_row_splits(values, A.concat([zero, limits], 0), validate=validate)

    @classmethod
    def from_nested_row_splits(cls, flat_values, nested_row_splits, name=None, validate=True):
        """Several ragged dims: ``nested_row_splits`` from the outermost in."""
        if isinstance(nested_row_splits, Tensor | np.ndarray):
            raise TypeError("nested_row_splits must be a list of Tensors")
        result = _values_arg(flat_values)
        for splits in reversed(list(nested_row_splits)):
            result = cls.from_row_splits(result, splits, validate=validate)
        return result

    @classmethod
    def from_nested_row_lengths(cls, flat_values, nested_row_lengths, name=None, validate=True):
        """Several ragged dims from row lengths, outermost first."""
        result = _values_arg(flat_values)
        for lengths in reversed(list(nested_row_lengths)):
            result = cls.from_row_lengths(result, lengths, validate=validate)
        return result

    @classmethod
    def from_nested_value_rowids(
        cls, flat_values, nested_value_rowids, nested_nrows=None, name=None, validate=True
    ):
        """Several ragged dims from value row ids (and row counts), outermost first."""
        ids = list(nested_value_rowids)
        nrows = [None] * len(ids) if nested_nrows is None else list(nested_nrows)
        result = _values_arg(flat_values)
        for i, n in reversed(list(zip(ids, nrows))):
            result = cls.from_value_rowids(result, i, n, validate=validate)
        return result

    @classmethod
    def from_tensor(cls, tensor, lengths=None, padding=None, ragged_rank=1, name=None,
                    row_splits_dtype=_dt.int64):  # fmt: skip
        """Rows of a dense tensor, cut to ``lengths`` or with trailing ``padding`` removed."""
        t = convert_to_tensor(tensor)
        dtype = _dt.as_dtype(row_splits_dtype)
        if lengths is not None and padding is not None:
            raise ValueError("Specify argument `lengths` or `padding`, but not both.")
        if not 0 < ragged_rank < max(t.ndim, 2):
            raise ValueError(f"ragged_rank must be greater than 0 and less than tensor.shape.rank; "
                             f"got ragged_rank={ragged_rank}")  # fmt: skip
        if ragged_rank > 1:
            if lengths is not None or padding is not None:
                raise errors.UnimplementedError("from_tensor: ragged_rank > 1 with lengths/padding")
            dims = t.shape.as_list()
            inner = cls.from_tensor(
                _reshape(t, [-1] + dims[ragged_rank - 1 :]), row_splits_dtype=dtype
            )
            for k in _builtins.range(ragged_rank - 2, -1, -1):
                n, w = int(np.prod(dims[: k + 1], dtype=np.int64)), dims[k + 1]
                splits = constant(np.arange(n + 1, dtype=np.int64) * w, dtype)
                inner = cls(inner, splits, internal=True)
            return inner
        nrows, ncols = t.shape[0], t.shape[1]
        if lengths is None and padding is None:
            splits = constant(np.arange(nrows + 1, dtype=np.int64) * ncols, dtype)
            return cls(_reshape(t, [-1] + t.shape.as_list()[2:]), splits, internal=True)
        if padding is not None:
            pad = convert_to_tensor(padding, t.dtype)
            keep = M.logical_not(M.equal(t, pad))
            if keep.ndim > 2:
                keep = M.reduce_any(keep, axis=list(_builtins.range(2, keep.ndim)))
            pos = A.range(1, ncols + 1, dtype=dtype)
            lengths = M.reduce_max(A.where(keep, pos, A.zeros_like(pos)), axis=1)
            if nrows == 0 or ncols == 0:
                lengths = A.zeros([nrows], dtype)
        else:
            lengths = _splits_arg(lengths, dtype)
            lengths = M.minimum(lengths, constant(ncols, dtype))
        mask = sequence_mask(lengths, ncols)
        values = A.boolean_mask(t, mask) if t.dtype != _dt.string else _host_mask(t, mask)
        return cls.from_row_lengths(values, lengths, validate=False)

    # ---- properties -----------------------------------------------------------------------
    values = property(lambda self: self._values, doc="The concatenated rows.")
    row_splits = property(lambda self: self._row_splits, doc="Where each row starts and ends.")

    @property
    def flat_values(self):
        """The innermost values (a Tensor)."""
        v = self._values
        while isinstance(v, RaggedTensor):
            v = v._values
        return v

    @property
    def nested_row_splits(self):
        """The row splits of every ragged dim, outermost first."""
        out, rt = [], self
        while isinstance(rt, RaggedTensor):
            out.append(rt._row_splits)
            rt = rt._values
        return tuple(out)

    @property
    def ragged_rank(self) -> int:
        """The number of ragged dims."""
        return len(self.nested_row_splits)

    dtype = property(lambda self: self.flat_values.dtype)
    row_splits_dtype = property(lambda self: self._row_splits.dtype)

    @property
    def shape(self) -> TensorShape:
        """``[nrows, None, ..., inner dims]``."""
        n = self._row_splits.shape[0]
        inner = self.flat_values.shape.as_list()[1:]
        return TensorShape([None if n is None else n - 1] + [None] * self.ragged_rank + inner)

    def get_shape(self) -> TensorShape:
        return self.shape

    @property
    def ndim(self) -> int:
        return self.shape.rank

    @property
    def _type_spec(self):
        return RaggedTensorSpec.from_value(self)

    # ---- row partitions -------------------------------------------------------------------
    def row_lengths(self, axis=1, name=None):
        """The length of each row (a RaggedTensor for ``axis`` > 1)."""
        if axis == 1:
            return self._row_splits[1:] - self._row_splits[:-1]
        if axis == 0:
            raise ValueError("axis=0 is not a ragged dimension")
        return self.with_values(self._values.row_lengths(axis - 1))

    def nested_row_lengths(self, name=None):
        """The row lengths of every ragged dim, outermost first."""
        out, rt = [], self
        while isinstance(rt, RaggedTensor):
            out.append(rt.row_lengths())
            rt = rt._values
        return tuple(out)

    def row_starts(self, name=None):
        return self._row_splits[:-1]

    def row_limits(self, name=None):
        return self._row_splits[1:]

    def nrows(self, out_type=None, name=None):
        """The number of rows, as a scalar tensor."""
        dtype = _dt.as_dtype(out_type) if out_type is not None else self._row_splits.dtype
        n = self._row_splits.shape[0]
        if n is not None:
            return constant(n - 1, dtype)
        return M.cast(A.shape(self._row_splits)[0] - 1, dtype)

    def value_rowids(self, name=None):
        """The row of each value."""
        splits = self._row_splits
        if _eager(splits):
            s = splits.numpy()
            return constant(
                np.repeat(np.arange(len(s) - 1, dtype=s.dtype), np.diff(s)), splits.dtype
            )
        mask, _ = _row_mask(splits)
        rows = A.expand_dims(M.cumsum(A.ones_like(splits[1:]), exclusive=True), 1)
        return A.boolean_mask(A.zeros_like(mask, splits.dtype) + rows, mask)

    def bounding_shape(self, axis=None, name=None, out_type=None):
        """The smallest dense shape holding this tensor (the longest row of each ragged dim)."""
        dtype = _dt.as_dtype(out_type) if out_type is not None else self._row_splits.dtype
        if not all(_eager(s) for s in self.nested_row_splits):
            out = self._bounding_shape_traced(dtype)
            return out if axis is None else out[axis]
        dims = [len(_np(self._row_splits)) - 1]
        for splits in self.nested_row_splits:
            lengths = np.diff(_np(splits))
            dims.append(int(lengths.max()) if lengths.size else 0)
        dims += self.flat_values.shape.as_list()[1:]
        out = constant(np.asarray(dims, np.int64), dtype)
        return out if axis is None else out[axis]

    def _bounding_shape_traced(self, dtype):
        dims = [self.nrows(out_type=dtype)]
        for splits in self.nested_row_splits:
            lengths = M.cast(splits[1:] - splits[:-1], dtype)
            dims.append(M.reduce_max(A.concat([lengths, A.zeros([1], dtype)], 0)))
        flat = self.flat_values
        shape = A.shape(flat, dtype)
        dims += [shape[k] for k in _builtins.range(1, flat.ndim)]
        return A.stack(dims)

    # ---- rebuilding -----------------------------------------------------------------------
    def with_values(self, new_values):
        """The same outer row splits over ``new_values``."""
        return RaggedTensor(_values_arg(new_values), self._row_splits, internal=True)

    def with_flat_values(self, new_values):
        """The same row partitions over new flat values."""
        if isinstance(self._values, RaggedTensor):
            return self.with_values(self._values.with_flat_values(new_values))
        return self.with_values(new_values)

    def with_row_splits_dtype(self, dtype):
        """The same tensor with int32 or int64 row splits."""
        dtype = _dt.as_dtype(dtype)
        values = self._values
        if isinstance(values, RaggedTensor):
            values = values.with_row_splits_dtype(dtype)
        return RaggedTensor(values, M.cast(self._row_splits, dtype), internal=True)

    # ---- conversion -----------------------------------------------------------------------
    def to_tensor(self, default_value=None, name=None, shape=None):
        """A dense tensor, rows padded with ``default_value`` to the longest row (or ``shape``)."""
        values = self._values
        if isinstance(values, RaggedTensor):
            values = values.to_tensor(default_value)
        if not (_eager(self._row_splits) and _eager(values)):
            if shape is not None:
                raise errors.UnimplementedError("to_tensor(shape=...) inside tf.function")
            return _to_tensor_traced(values, self._row_splits, default_value)
        inner = values.shape.as_list()[1:]
        splits = _np(self._row_splits)
        lengths = np.diff(splits)
        nrows = len(lengths)
        width = int(lengths.max()) if nrows else 0
        pad = _default_block(default_value, values.dtype, inner)
        n = values.shape[0]
        cols = np.arange(width)
        index = np.where(cols < lengths[:, None], splits[:-1, None] + cols, n)
        dense = _take(_concat0([values, pad]), index.reshape(-1))
        dense = _reshape(dense, [nrows, width] + inner)
        if shape is not None:
            dense = _fit(dense, list(TensorShape(shape)), default_value)
        return dense

    def to_sparse(self, name=None):
        """A SparseTensor of the values, in the bounding shape."""
        if self.ragged_rank != 1 or self.flat_values.ndim != 1:
            raise errors.UnimplementedError("to_sparse of a RaggedTensor with more than 2 dims")
        splits = _np(self._row_splits)
        rows = np.repeat(np.arange(len(splits) - 1), np.diff(splits))
        cols = np.arange(splits[-1]) - splits[:-1][rows]
        indices = constant(np.stack([rows, cols], axis=1).astype(np.int64).reshape(-1, 2))
        return SparseTensor(indices, self._values, self.bounding_shape(out_type=_dt.int64))

    @classmethod
    def from_sparse(cls, st_input, name=None, row_splits_dtype=_dt.int64):
        """The rows of a 2-D SparseTensor whose entries fill each row from column 0, in order."""
        idx = _np(st_input.indices)
        nrows = int(_np(st_input.dense_shape)[0])
        if idx.shape[1] != 2:
            raise ValueError("from_sparse requires a 2-D SparseTensor")
        lengths = np.bincount(idx[:, 0], minlength=nrows) if len(idx) else np.zeros(nrows, int)
        starts = np.concatenate([[0], np.cumsum(lengths)])[:-1]
        if len(idx) and np.any(idx[:, 1] != np.arange(len(idx)) - starts[idx[:, 0]]):
            raise errors.InvalidArgumentError(
                None, None, "SparseTensor is not right-ragged (ordered, no gaps in each row)"
            )
        lengths = constant(lengths.astype(np.int64), _dt.as_dtype(row_splits_dtype))
        return cls.from_row_lengths(st_input.values, lengths, validate=False)

    def merge_dims(self, outer_axis, inner_axis):
        """Merges dims ``outer_axis..inner_axis`` (only the first two here)."""
        rank = self.shape.rank
        outer, inner = outer_axis % rank, inner_axis % rank
        if (outer, inner) != (0, 1):
            raise errors.UnimplementedError("merge_dims other than (0, 1)")
        return self._values

    def to_list(self):
        """Nested Python lists of the values."""
        return [_to_list(row) for row in self.numpy()] if self.ragged_rank else []

    def numpy(self):
        """A NumPy array of rows (dtype object when the rows differ in length)."""
        values = self._values
        host = values.numpy() if isinstance(values, RaggedTensor) else _np(values)
        splits = _np(self._row_splits)
        rows = [host[splits[i] : splits[i + 1]] for i in _builtins.range(len(splits) - 1)]
        if not rows:
            return np.zeros((0, 0) + tuple(host.shape[1:]), host.dtype)
        if all(len(r) == len(rows[0]) for r in rows):
            return np.array(rows)  # uniform rows: one array (as TF, NumPy's own nesting)
        try:
            return np.array(rows, dtype=object)
        except ValueError:
            out = np.empty(len(rows), dtype=object)
            out[:] = rows
            return out

    def _gather_rows(self, idx):
        """The rows at host indices ``idx`` (1-D)."""
        splits = _np(self._row_splits)
        idx = np.asarray(idx, np.int64)
        nrows = len(splits) - 1
        if idx.size and (idx.min() < -nrows or idx.max() >= nrows):
            bad = int(idx[(idx >= nrows) | (idx < -nrows)][0])
            raise errors.InvalidArgumentError(
                None, None, f"indices[{int(np.argmax(idx == bad))}] = {bad} is not in [0, {nrows})"
            )
        idx = idx % max(nrows, 1)
        starts, lens = splits[idx], np.diff(splits)[idx]
        take = np.concatenate([np.arange(s, s + n) for s, n in zip(starts, lens)] or [[]])
        new_splits = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
        return RaggedTensor(
            _take(self._values, take.astype(np.int64)),
            constant(new_splits, self._row_splits.dtype),
            internal=True,
        )

    # ---- indexing -------------------------------------------------------------------------
    def __getitem__(self, key):
        if not isinstance(key, tuple):
            key = (key,)
        if not key:
            return self
        if any(k is Ellipsis or k is None for k in key):
            raise errors.UnimplementedError("RaggedTensor indexing with ... or tf.newaxis")
        first, rest = key[0], key[1:]
        if rest:
            return self._index_inner(first, rest)
        nrows = len(_np(self._row_splits)) - 1
        if isinstance(first, slice):
            return self._gather_rows(np.arange(nrows)[first])
        i = int(first)
        if not -nrows <= i < nrows:
            raise errors.InvalidArgumentError(
                None, None, f"slice index {i} of dimension 0 out of bounds."
            )
        i %= nrows
        s = _np(self._row_splits)
        return _take(self._values, np.arange(s[i], s[i + 1]))

    def _index_inner(self, first, rest):
        col = rest[0]
        if not isinstance(col, slice):
            raise ValueError("Cannot index into an inner ragged dimension.")
        values = self._values
        if len(rest) > 1:
            if isinstance(values, RaggedTensor):
                values = values._index_cols(rest[1:])
            else:
                values = values[(slice(None),) + tuple(rest[1:])]
        rt = RaggedTensor(values, self._row_splits, internal=True)._slice_cols(col)
        return rt[first]

    def _index_cols(self, key):
        """Applies ``key`` (slices) to the dims after the rows."""
        return self._index_inner(slice(None), key)

    def _slice_cols(self, col):
        splits = _np(self._row_splits)
        pieces, lens = [], []
        for s, e in zip(splits[:-1], splits[1:]):
            picked = np.arange(s, e)[col]
            pieces.append(picked)
            lens.append(len(picked))
        take = np.concatenate(pieces or [[]]).astype(np.int64)
        new_splits = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
        return RaggedTensor(
            _take(self._values, take), constant(new_splits, self._row_splits.dtype), internal=True
        )

    # ---- dispatch from tf ops (``_math`` / ``_array`` hooks) --------------------------------
    @classmethod
    def _th_unary(cls, fn, x):
        return x.with_flat_values(fn(x.flat_values))

    @classmethod
    def _th_binary(cls, fn, x, y):
        if isinstance(x, RaggedTensor) and isinstance(y, RaggedTensor):
            _check_same_splits(x, y)
            return x.with_flat_values(fn(x.flat_values, y.flat_values))
        if isinstance(x, RaggedTensor):
            return x.with_flat_values(fn(x.flat_values, _dense_operand(x, y)))
        return y.with_flat_values(fn(_dense_operand(y, x), y.flat_values))

    @classmethod
    def _th_reduce(cls, op_type, rt, axis, keepdims):
        return _reduce(op_type, rt, axis, bool(keepdims))

    @classmethod
    def _th_concat(cls, values, axis):
        return _concat(values, axis)

    @classmethod
    def _th_stack(cls, values, axis):
        return _stack(values, axis)

    @classmethod
    def _th_gather(cls, params, indices, axis, batch_dims):
        if axis not in (None, 0) or batch_dims:
            raise errors.UnimplementedError("gather on a RaggedTensor with axis or batch_dims")
        if isinstance(indices, RaggedTensor):
            return indices.with_flat_values(A.gather(params, indices.flat_values))
        idx = np.asarray(indices, np.int64)
        if idx.ndim == 0:
            return params[int(idx)]
        out = params._gather_rows(idx.reshape(-1))
        for k in _builtins.range(idx.ndim - 1, 0, -1):
            n, w = int(np.prod(idx.shape[:k])), idx.shape[k]
            out = RaggedTensor(out, constant(np.arange(n + 1) * w, out.row_splits_dtype), True)
        return out

    # ---- operators ------------------------------------------------------------------------
    __add__ = lambda self, o: M.add(self, o)  # noqa: E731
    __radd__ = lambda self, o: M.add(o, self)  # noqa: E731
    __sub__ = lambda self, o: M.subtract(self, o)  # noqa: E731
    __rsub__ = lambda self, o: M.subtract(o, self)  # noqa: E731
    __mul__ = lambda self, o: M.multiply(self, o)  # noqa: E731
    __rmul__ = lambda self, o: M.multiply(o, self)  # noqa: E731
    __truediv__ = lambda self, o: M.divide(self, o)  # noqa: E731
    __rtruediv__ = lambda self, o: M.divide(o, self)  # noqa: E731
    __floordiv__ = lambda self, o: M.floordiv(self, o)  # noqa: E731
    __rfloordiv__ = lambda self, o: M.floordiv(o, self)  # noqa: E731
    __mod__ = lambda self, o: M.floormod(self, o)  # noqa: E731
    __rmod__ = lambda self, o: M.floormod(o, self)  # noqa: E731
    __pow__ = lambda self, o: M.pow(self, o)  # noqa: E731
    __rpow__ = lambda self, o: M.pow(o, self)  # noqa: E731
    __lt__ = lambda self, o: M.less(self, o)  # noqa: E731
    __le__ = lambda self, o: M.less_equal(self, o)  # noqa: E731
    __gt__ = lambda self, o: M.greater(self, o)  # noqa: E731
    __ge__ = lambda self, o: M.greater_equal(self, o)  # noqa: E731
    __and__ = lambda self, o: M.logical_and(self, o)  # noqa: E731
    __rand__ = lambda self, o: M.logical_and(o, self)  # noqa: E731
    __or__ = lambda self, o: M.logical_or(self, o)  # noqa: E731
    __ror__ = lambda self, o: M.logical_or(o, self)  # noqa: E731
    __invert__ = lambda self: M.logical_not(self)  # noqa: E731
    __neg__ = lambda self: M.negative(self)  # noqa: E731
    __hash__ = object.__hash__

    def __eq__(self, other):
        if other is None:
            return False
        return M.equal(self, other)

    def __ne__(self, other):
        if other is None:
            return True
        return M.not_equal(self, other)

    __abs__ = lambda self: M.abs(self)  # noqa: E731

    # ---- printing -------------------------------------------------------------------------
    def __repr__(self):
        if not _eager(self._row_splits) or not _eager(self.flat_values):
            return (f"tf.RaggedTensor(values={self._values!r}, "
                    f"row_splits={self._row_splits!r})")  # fmt: skip
        with np.printoptions(formatter={"all": _format}):
            return f"<tf.RaggedTensor {_format(self.numpy())}>"

    __str__ = __repr__

    def __bool__(self):
        raise TypeError("RaggedTensor may not be used as a boolean.")

    def __len__(self):
        return self.shape[0]

    def __iter__(self):
        for i in _builtins.range(self.shape[0]):
            yield self[i]


def _row_mask(splits):
    """``(mask, cols)``: ``mask[i, j]`` is whether row ``i`` has a ``j``-th value (a traced
    width: the longest row)."""
    lengths = splits[1:] - splits[:-1]
    if lengths.shape[0] == 0:
        width = constant(0, splits.dtype)
    else:
        width = M.reduce_max(lengths)
    cols = M.cumsum(A.ones([width], splits.dtype)) - constant(1, splits.dtype)
    return M.less(A.expand_dims(cols, 0), A.expand_dims(lengths, 1)), cols


def _to_tensor_traced(values, splits, default_value):
    """``to_tensor`` from symbolic tensors: the padded width is a run-time dim."""
    mask, cols = _row_mask(splits)
    n = A.shape(values, splits.dtype)[0]
    index = A.where(
        mask,
        A.expand_dims(splits[:-1], 1) + A.expand_dims(cols, 0),
        A.zeros_like(mask, splits.dtype) + n,
    )
    dims = A.shape(values)
    inner = [d if d is not None else dims[k] for k, d in enumerate(values.shape.dims) if k]
    fill = 0 if default_value is None else default_value
    pad = A.fill([1, *inner], convert_to_tensor(fill, values.dtype))
    return A.gather(A.concat([values, pad], 0), index)


def _format(x):
    if isinstance(x, np.ndarray):
        return np.array2string(x, separator=", ") if x.size else repr(x.tolist())
    return str(x)


def _to_list(row):
    if isinstance(row, np.ndarray) and row.dtype == object:
        return [_to_list(r) for r in row]
    return row.tolist() if isinstance(row, np.ndarray) else row


def _host_mask(t, mask):
    return constant(np.asarray(t)[np.asarray(mask)], t.dtype)


def _eager_values(values) -> bool:
    return _eager(values.flat_values if isinstance(values, RaggedTensor) else values)


def _nrows_of(values):
    if isinstance(values, RaggedTensor):
        n = values._row_splits.shape[0]
        return None if n is None else n - 1
    return values.shape[0]


def _inner_splits_dtype(values):
    return values._row_splits.dtype if isinstance(values, RaggedTensor) else None


def _default_block(default_value, dtype, inner):
    """One row of ``inner`` shape filled with ``default_value`` (zeros, '' when None)."""
    if default_value is None:
        fill = b"" if dtype == _dt.string else 0
        return constant(np.full([1] + inner, fill, dtype=dtype._np if fill == 0 else object), dtype)
    d = convert_to_tensor(default_value, dtype)
    if dtype == _dt.string:
        return constant(np.broadcast_to(np.asarray(d), [1] + inner).copy(), dtype)
    return A.broadcast_to(d, [1] + inner)


def _fit(dense, shape, default_value):
    """Crops or pads ``dense`` to ``shape`` (None keeps a dim)."""
    dims = dense.shape.as_list()
    if len(shape) != len(dims):
        raise ValueError(f"shape {shape} does not match the rank {len(dims)} of the tensor")
    crop = tuple(slice(0, s) if s is not None else slice(None) for s in shape)
    dense = dense[crop]
    dims = dense.shape.as_list()
    pads = [[0, 0 if s is None else max(0, s - d)] for s, d in zip(shape, dims)]
    if any(p[1] for p in pads):
        fill = 0 if default_value is None else default_value
        dense = A.pad(dense, pads, constant_values=fill)
    return dense


def _concat_ragged0(parts):
    """RaggedTensors of one ragged rank, rows concatenated."""
    dtype = parts[0]._row_splits.dtype
    values = _concat0([p._values for p in parts])
    splits, offset = [constant([0], dtype)], 0
    for p in parts:
        s = p._row_splits if p._row_splits.dtype == dtype else M.cast(p._row_splits, dtype)
        splits.append(s[1:] + constant(offset, dtype))
        offset += int(_np(p._row_splits)[-1])
    return RaggedTensor(values, A.concat(splits, 0), internal=True)


# ---- dispatched ops ---------------------------------------------------------------------------


def _flat_rowids(rt):
    """The outermost row of each flat value."""
    ids, v = rt.value_rowids(), rt._values
    while isinstance(v, RaggedTensor):
        ids = A.gather(ids, v.value_rowids())
        v = v._values
    return ids


def _dense_operand(rt, d):
    """A dense operand of an elementwise op with ``rt``, broadcast onto ``rt.flat_values``."""
    d = d if isinstance(d, Tensor) else convert_to_tensor(d, rt.dtype)
    inner = rt.flat_values.ndim - 1
    if d.ndim <= inner:
        return d
    rank, rr = rt.shape.rank, rt.ragged_rank
    if d.ndim > rank:
        raise ValueError(
            f"Dense operand of rank {d.ndim} exceeds the rank {rank} of the ragged one"
        )
    dims = [1] * (rank - d.ndim) + d.shape.as_list()
    if any(x != 1 for x in dims[1 : rr + 1]):
        raise errors.InvalidArgumentError(
            None, None, "Condition x == y did not hold: a dense operand cannot broadcast along a "
            f"ragged dimension (dense shape {d.shape}, ragged shape {rt.shape})"
        )  # fmt: skip
    d = A.reshape(d, [dims[0]] + dims[rr + 1 :])
    if dims[0] == 1:
        return d
    return A.gather(d, _flat_rowids(rt))


_IDENTITY = {"Sum": 0, "Prod": 1, "Any": False, "All": True}
_REDUCERS = {
    "Sum": M.reduce_sum, "Prod": M.reduce_prod, "Max": M.reduce_max, "Min": M.reduce_min,
    "Any": M.reduce_any, "All": M.reduce_all,
}  # fmt: skip


def _identity(op_type, dtype):
    if op_type in _IDENTITY:
        return _IDENTITY[op_type]
    info = _dt._finfo(dtype._np) if dtype.is_floating else np.iinfo(dtype._np)
    return info.min if op_type == "Max" else info.max


def _reduce(op_type, rt, axis, keepdims):
    """TF's reductions of a RaggedTensor (dense once no ragged dim is left)."""
    if op_type == "Mean":
        x = rt if rt.dtype.is_floating else M.cast(rt, _dt.float64)
        total = _reduce("Sum", x, axis, keepdims)
        count = _reduce("Sum", _ones(x), axis, keepdims)
        return total / count
    rank = rt.shape.rank
    if axis is None:
        out = _REDUCERS[op_type](rt.flat_values)
        return A.reshape(out, [1] * rank) if keepdims else out
    if isinstance(axis, Tensor):
        axis = axis.numpy().tolist()
    axes = [axis] if isinstance(axis, int | np.integer) else list(axis)
    axes = sorted({int(a) + rank if a < 0 else int(a) for a in axes}, reverse=True)
    for a in axes:
        if not 0 <= a < rank:
            raise ValueError(f"axis={a} out of bounds: expected {-rank}<=axis<{rank}")
    out = rt
    for a in axes:
        out = _reduce_axis(op_type, out, a, keepdims) if isinstance(out, RaggedTensor) else (
            _REDUCERS[op_type](out, axis=a, keepdims=keepdims))  # fmt: skip
    return out


def _ones(rt):
    return rt.with_flat_values(A.ones_like(rt.flat_values))


def _reduce_axis(op_type, rt, a, keepdims):
    rr = rt.ragged_rank
    fn = _REDUCERS[op_type]
    if a > rr:
        return rt.with_flat_values(fn(rt.flat_values, axis=a - rr, keepdims=keepdims))
    if a == rr and rr > 1:
        return rt.with_values(_reduce_axis(op_type, rt._values, a - 1, keepdims))
    if a == 1:
        if op_type == "Sum" and rt.shape[0] is not None and _nrows_of(rt._values) is not None:
            out = M.unsorted_segment_sum(rt._values, rt.value_rowids(), rt.shape[0])
        else:
            out = fn(rt.to_tensor(_identity(op_type, rt.dtype)), axis=1)
        return A.expand_dims(out, 1) if keepdims else out
    if a == 0 and rr == 1:
        return fn(rt.to_tensor(_identity(op_type, rt.dtype)), axis=0, keepdims=keepdims)
    raise errors.UnimplementedError(
        f"reducing axis {a} of a RaggedTensor with ragged_rank {rr} is not supported"
    )


def _as_ragged(x, like):
    if isinstance(x, RaggedTensor):
        return x
    x = convert_to_tensor(x, like.dtype)
    return RaggedTensor.from_tensor(x, ragged_rank=like.ragged_rank,
                                    row_splits_dtype=like.row_splits_dtype)  # fmt: skip


def _concat(values, axis):
    like = next(v for v in values if isinstance(v, RaggedTensor))
    rank = like.shape.rank
    axis = int(axis) + rank if int(axis) < 0 else int(axis)
    rts = [_as_ragged(v, like) for v in values]
    if any(r.shape.rank != rank for r in rts):
        raise ValueError("Rank of all tensors must match for tf.concat")
    if len(rts) == 1:
        return rts[0]
    if axis == 0:
        return _concat_ragged0(rts)
    if axis == 1:
        nrows = {r.shape[0] for r in rts}
        if len(nrows) != 1:
            raise errors.InvalidArgumentError(
                None, None, "Input tensors at index 0 (=x) and 1 (=y) have incompatible shapes."
            )
        (n,) = nrows
        allv = _concat_ragged0(rts)
        order = np.arange(n * len(rts)).reshape(len(rts), n).T.reshape(-1)
        rows = allv._gather_rows(order)
        splits = _np(rows._row_splits)[:: len(rts)]
        return RaggedTensor(rows._values, constant(splits, rows.row_splits_dtype), internal=True)

    def inner(vs):
        return _concat(vs, axis - 1) if isinstance(vs[0], RaggedTensor) else A.concat(vs, axis - 1)

    return _map_inner(inner, rts)


def _map_inner(fn, rts):
    """Applies ``fn`` to the values of RaggedTensors with identical outer splits."""
    for r in rts[1:]:
        _check_splits(rts[0]._row_splits, r._row_splits)
    return rts[0].with_values(fn([r._values for r in rts]))


def _stack(values, axis):
    like = next(v for v in values if isinstance(v, RaggedTensor))
    rank = like.shape.rank
    axis = int(axis) + rank + 1 if int(axis) < 0 else int(axis)
    rts = [_as_ragged(v, like) for v in values]
    if axis == 0:
        ones = [RaggedTensor(r, constant([0, r.shape[0]], r.row_splits_dtype), True) for r in rts]
        return _concat_ragged0(ones)
    if axis == 1:
        k, n = len(rts), rts[0].shape[0]
        allv = _concat_ragged0(rts)
        order = np.arange(n * k).reshape(k, n).T.reshape(-1)
        inner = allv._gather_rows(order)
        return RaggedTensor(inner, constant(np.arange(n + 1) * k, inner.row_splits_dtype), True)
    raise errors.UnimplementedError(f"tf.stack of RaggedTensors along axis {axis}")


def boolean_mask(data, mask, name=None):
    """TF's ``tf.ragged.boolean_mask``: keep rows (dense mask) or values (ragged mask)."""
    if isinstance(mask, RaggedTensor):
        if not isinstance(data, RaggedTensor):
            data = _as_ragged(data, mask)
        if mask.ragged_rank != 1 or data.ragged_rank != 1:
            if mask.ragged_rank == data.ragged_rank:
                return data.with_values(boolean_mask(data._values, mask._values))
            raise errors.UnimplementedError("boolean_mask with a mask of lower ragged rank")
        _check_same_splits(data, mask)
        keep = mask._values
        values = A.boolean_mask(data._values, keep)
        lengths = M.unsorted_segment_sum(M.cast(keep, data.row_splits_dtype),
                                         data.value_rowids(), data.shape[0])  # fmt: skip
        return RaggedTensor.from_row_lengths(values, lengths, validate=False)
    m = convert_to_tensor(mask)
    if isinstance(data, RaggedTensor):
        if m.ndim != 1:
            raise errors.UnimplementedError("boolean_mask of a RaggedTensor by a dense 2-D mask")
        return data._gather_rows(np.nonzero(_np(m))[0])
    return A.boolean_mask(data, m)


# ---- TypeSpec ---------------------------------------------------------------------------------


class RaggedTensorSpec(TypeSpec):
    """TF's ``tf.RaggedTensorSpec``: shape, dtype, ragged rank and row-splits dtype."""

    value_type = property(lambda self: RaggedTensor)

    def __init__(self, shape=None, dtype=_dt.float32, ragged_rank=None,
                 row_splits_dtype=_dt.int64, flat_values_spec=None):  # fmt: skip
        self._shape = TensorShape(shape)
        self._dtype = _dt.as_dtype(dtype)
        if ragged_rank is None:
            if self._shape.rank is None:
                raise ValueError("Must specify ragged_rank or a shape with a known rank.")
            ragged_rank = self._shape.rank - 1
        if self._shape.rank is not None and not 0 <= ragged_rank < max(self._shape.rank, 1):
            raise ValueError(f"ragged_rank must be non-negative and less than the rank of the "
                             f"shape; got ragged_rank={ragged_rank}")  # fmt: skip
        self._ragged_rank = int(ragged_rank)
        self._row_splits_dtype = _dt.as_dtype(row_splits_dtype)

    shape = property(lambda self: self._shape)
    dtype = property(lambda self: self._dtype)
    ragged_rank = property(lambda self: self._ragged_rank)
    row_splits_dtype = property(lambda self: self._row_splits_dtype)

    @classmethod
    def from_value(cls, value):
        """The spec of a RaggedTensor."""
        return cls(value.shape, value.dtype, value.ragged_rank, value.row_splits_dtype)

    def _serialize(self):
        dims = self._shape.dims
        return (None if dims is None else tuple(dims), self._dtype.name, self._ragged_rank,
                self._row_splits_dtype.name)  # fmt: skip

    @property
    def _component_specs(self):
        dims = self._shape.dims
        if self._ragged_rank == 0:  # a ragged rank 0 value is a dense tensor
            return [TensorSpec(self._shape, self._dtype)]
        inner = dims[self._ragged_rank + 1 :] if dims is not None else None
        nrows = dims[0] if dims is not None else None
        specs = [TensorSpec(None if inner is None else [None] + inner, self._dtype)]
        specs.append(TensorSpec([None if nrows is None else nrows + 1], self._row_splits_dtype))
        specs += [TensorSpec([None], self._row_splits_dtype)] * (self._ragged_rank - 1)
        return specs

    def _to_components(self, value):
        if isinstance(value, Tensor):
            return [value]
        return [value.flat_values, *value.nested_row_splits]

    def _from_components(self, components):
        if self._ragged_rank == 0:
            return components[0]
        return RaggedTensor.from_nested_row_splits(components[0], components[1:], validate=False)

    def _compatible(self, other):
        return (
            self._dtype == other._dtype
            and self._ragged_rank == other._ragged_rank
            and self._row_splits_dtype == other._row_splits_dtype
            and self._shape.is_compatible_with(other._shape)
        )

    def _relaxable(self, other):
        return (
            self._dtype == other._dtype
            and self._ragged_rank == other._ragged_rank
            and self._row_splits_dtype == other._row_splits_dtype
        )

    def _relax(self, other):
        shape = relax_shape(self._shape, other._shape)
        return RaggedTensorSpec(shape, self._dtype, self._ragged_rank, self._row_splits_dtype)

    def __repr__(self):
        return (f"RaggedTensorSpec({self._shape!r}, tf.{self._dtype.name}, {self._ragged_rank}, "
                f"tf.{self._row_splits_dtype.name})")  # fmt: skip


# ---- tf.ragged.constant -----------------------------------------------------------------------


def _scalar_depth(pylist, depth=0):
    """The nesting depth of the scalars in ``pylist`` (None when it holds none)."""
    if not isinstance(pylist, list | tuple):
        return depth
    found = None
    for item in pylist:
        d = _scalar_depth(item, depth + 1)
        if d is None:
            continue
        if found is not None and d != found:
            raise ValueError("all scalar values must have the same nesting depth")
        found = d
    return found


def constant_ragged(pylist, dtype=None, ragged_rank=None, inner_shape=None, name=None,
                    row_splits_dtype=_dt.int64):  # fmt: skip
    """TF's ``tf.ragged.constant``: a RaggedTensor from nested Python lists."""
    if isinstance(pylist, np.ndarray):
        pylist = pylist.tolist()
    if not isinstance(pylist, list | tuple):
        return constant(pylist, dtype)
    depth = _scalar_depth(pylist)
    inner_rank = None if inner_shape is None else len(inner_shape)
    if depth is None:
        depth = max(1, (ragged_rank or 0) + 1 + (inner_rank or 0))
        if ragged_rank is None:
            depth = max(depth, _list_depth(pylist))
    if ragged_rank is None:
        ragged_rank = max(0, depth - 1 - (inner_rank or 0))
    if inner_rank is None:
        inner_rank = depth - 1 - ragged_rank
    if inner_rank < 0 or ragged_rank < 0:
        raise ValueError(f"Invalid pylist={pylist!r}: incompatible with ragged_rank={ragged_rank}")
    split_dtype = _dt.as_dtype(row_splits_dtype)
    levels, items = [], list(pylist)
    for _ in _builtins.range(ragged_rank):
        lengths, flat = [], []
        for row in items:
            if not isinstance(row, list | tuple):
                raise ValueError("pylist has scalar values at different nesting depths")
            lengths.append(len(row))
            flat.extend(row)
        levels.append(np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)]))
        items = flat
    if items:
        values = convert_to_tensor(items, dtype)
        if inner_shape is not None and values.shape.as_list()[1:] != list(inner_shape):
            values = A.reshape(values, [-1] + list(inner_shape))
    else:
        shape = [0] + (list(inner_shape) if inner_shape is not None else [0] * inner_rank)
        values = constant(np.zeros(shape, (dtype or _dt.float32)._np if dtype != _dt.string
                                   else object), dtype or _dt.float32)  # fmt: skip
    if values.ndim != 1 + inner_rank:
        raise ValueError("inner values of a ragged constant must have a uniform shape")
    if not levels:
        return values
    return RaggedTensor.from_nested_row_splits(
        values, [constant(s, split_dtype) for s in levels], validate=False
    )


def _list_depth(x):
    if not isinstance(x, list | tuple):
        return 0
    return 1 + max((_list_depth(i) for i in x), default=0)


def map_flat_values(op, *args, **kwargs):
    """Applies ``op`` to the flat values of the RaggedTensors among its arguments."""
    found = []

    def swap(x):
        if isinstance(x, RaggedTensor):
            found.append(x)
            return x.flat_values
        return x

    args = nest.map_structure(swap, list(args))
    kwargs = nest.map_structure(swap, kwargs)
    if not found:
        raise ValueError("map_flat_values requires at least one RaggedTensor argument")
    first = found[0]
    for other in found[1:]:
        _check_same_splits(first, other)
    return first.with_flat_values(op(*args, **kwargs))


def _check_same_splits(a, b):
    sa, sb = a.nested_row_splits, b.nested_row_splits
    if len(sa) != len(sb):
        raise ValueError("Inputs must have identical ragged splits")
    for x, y in zip(sa, sb):
        _check_splits(x, y)


def _check_splits(x, y):
    if x is y or not (_eager(x) and _eager(y)):
        return
    if x.shape != y.shape or np.any(x.numpy() != y.numpy()):
        raise errors.InvalidArgumentError(
            None, None, "Inputs must have identical ragged splits. Condition x == y did not hold."
        )
