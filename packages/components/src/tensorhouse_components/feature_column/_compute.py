"""The tensor work behind feature columns, on the ops layer's public API; all of it traces.

Categorical ids travel padded: ``Ids(ids [batch, width] int64, present [batch, width] bool,
weights [batch, width] float32 or None)``, a SparseTensor's entries laid out in its rows (what
TF's sparse ids hold, with shapes that may be unknown while tracing: every step is a gather, a
search or an elementwise op, none needs a static shape).
"""

from __future__ import annotations

import collections

import numpy as np

import tensorhouse_ops as _o

Ids = collections.namedtuple("Ids", ("ids", "present", "weights"))
Padded = collections.namedtuple("Padded", ("values", "present"))


def _missing_value(dtype):
    if dtype == _o.string:
        return b""
    return -1 if dtype.is_integer else 0


def _densify(sp, fill):
    """A rank-2 SparseTensor's values laid out ``[rows, max(cols, 1)]`` with a presence mask:
    each cell finds its entry by a binary search over the entries' row-major positions (TF's
    canonical order, as ``parse_example`` and ``from_dense`` make them; reordered when eager)."""
    if _o.executing_eagerly():
        sp = _o.sparse.reorder(sp)
    shape = _o.cast(sp.dense_shape, _o.int64)
    rows = shape[0]
    cols = _o.maximum(shape[1], 1) if sp.indices.shape[-1] != 1 else _o.constant(1, _o.int64)
    idx = _o.cast(sp.indices, _o.int64)
    flat = idx[:, 0] * cols + idx[:, 1] if sp.indices.shape[-1] != 1 else idx[:, 0]
    total = rows * cols
    # a sentinel entry past the end: the cells with no entry of their own read it
    flat = _o.concat([flat, _o.reshape(total, [1])], 0)
    values = _o.concat([sp.values, _o.constant([fill], sp.values.dtype)], 0)
    cells = _o.range(total, dtype=_o.int64)
    pos = _o.cast(_o.searchsorted(flat, cells, side="left"), _o.int64)
    hit = _o.equal(_o.gather(flat, pos), cells)
    pos = _o.where(hit, pos, _o.zeros_like(pos) + _o.cast(_o.shape(sp.values)[0], _o.int64))
    layout = _o.stack([rows, cols])
    return Padded(_o.reshape(_o.gather(values, pos), layout), _o.reshape(hit, layout))


class Cache:
    """The features a layer call sees, and each column's transformation computed once."""

    def __init__(self, features, tables=None):
        self.features = features
        self.tables = {} if tables is None else tables  # vocabulary tables, kept between calls
        self._memo = {}

    def memo(self, column, fn):
        key = (type(column), column)
        if key not in self._memo:
            self._memo[key] = fn()
        return self._memo[key]

    def raw(self, key):
        """Feature ``key`` as a Tensor or SparseTensor, a rank-1 one made ``[batch, 1]``."""
        if key not in self.features:
            raise ValueError(f"Feature {key} is not in features dictionary.")
        x = self.features[key]
        if not isinstance(x, _o.SparseTensor) and hasattr(x, "dense_shape"):
            # tf.io.parse_example's VarLenFeature result: (indices, values, dense_shape)
            x = _o.SparseTensor(x.indices, x.values, x.dense_shape)
        if isinstance(x, _o.SparseTensor):
            return x
        x = x if isinstance(x, _o.Tensor) else _o.convert_to_tensor(x)
        if x.shape.rank == 0:
            raise ValueError(f"Feature (key: {key}) cannot have rank 0. Given: {x}")
        return _o.expand_dims(x, -1) if x.shape.rank == 1 else x

    def padded(self, key, ignore=None):
        """Feature ``key`` as ``[batch, width]`` values and a mask; a dense feature's cells equal
        to ``ignore`` ("" for strings, -1 for integers by default) count as missing."""
        x = self.raw(key)
        if isinstance(x, _o.SparseTensor):
            return _densify(x, _missing_value(x.values.dtype))
        if x.shape.rank > 2:
            x = _o.reshape(x, _o.stack([_o.shape(x)[0], -1]))
        if ignore is None:
            ignore = _missing_value(x.dtype)
        return Padded(x, _o.not_equal(x, _o.constant(ignore, x.dtype)))

    def cross_input(self, key):
        """A raw feature as a cross sees it: a dense feature whole, a sparse one's entries."""
        x = self.raw(key)
        if isinstance(x, _o.SparseTensor):
            return _densify(x, _missing_value(x.values.dtype))
        if x.shape.rank > 2:
            x = _o.reshape(x, _o.stack([_o.shape(x)[0], -1]))
        return x, _o.ones_like(x, dtype=_o.bool)


def numeric(cache, column):
    x = cache.raw(column.key)
    if isinstance(x, _o.SparseTensor):
        raise ValueError(
            "The corresponding Tensor of numerical column must be a Tensor. SparseTensor is not "
            f"supported. key: {column.key}"
        )
    if column.normalizer_fn is not None:
        x = column.normalizer_fn(x)
    return _o.cast(x, _o.float32)


def bucketize(column, cache):
    """Bucket index of each source value: the number of boundaries at or below it."""
    x = column.source_column._transformed(cache)
    flat = _o.searchsorted(
        _o.constant(column.boundaries, _o.float32), _o.reshape(x, [-1]), side="right"
    )
    return _o.reshape(_o.cast(flat, _o.int64), _o.shape(x))


def bucketized_one_hot(column, buckets):
    return _o.one_hot(buckets, len(column.boundaries) + 1, dtype=_o.float32)


def bucketized_ids(column, buckets):
    width = int(np.prod(column.source_column.shape))
    flat = _o.reshape(buckets, [-1, width])
    offsets = _o.range(width, dtype=_o.int64) * (len(column.boundaries) + 1)
    ids = flat + offsets
    return Ids(ids, _o.ones_like(ids, dtype=_o.bool), None)


def hash_ids(padded, num_buckets):
    values = padded.values
    if values.dtype != _o.string:
        values = _o.strings.as_string(values)
    return Ids(_o.strings.to_hash_bucket_fast(values, num_buckets), padded.present, None)


def _table(column):
    with _o.init_scope():  # built eagerly even when first needed inside a trace, as TF does
        init = column._initializer()
        if column.num_oov_buckets:
            return _o.lookup.StaticVocabularyTable(init, column.num_oov_buckets)
        return _o.lookup.StaticHashTable(init, column.default_value)


def table_ids(padded, column, tables):
    """Ids from ``column``'s vocabulary table, built once into ``tables`` (the layer's)."""
    values = padded.values
    key_dtype = _o.int64 if values.dtype.is_integer else _o.string
    if values.dtype != key_dtype:
        values = _o.cast(values, key_dtype)
    if column not in tables:
        tables[column] = _table(column)
    return Ids(_o.cast(tables[column].lookup(values), _o.int64), padded.present, None)


def identity_ids(padded, num_buckets, default_value):
    ids = _o.cast(padded.values, _o.int64)
    if default_value is not None:
        out = _o.logical_or(ids < 0, ids >= num_buckets)
        ids = _o.where(out, _o.constant(default_value, _o.int64), ids)
    return Ids(ids, padded.present, None)


def with_weights(ids, weights):
    w = _o.cast(weights.values, _o.float32)
    return Ids(ids.ids, ids.present, _o.where(weights.present, w, _o.zeros_like(w)))


def cross(parts, num_buckets, hash_key):
    """TF's ``SparseCrossHashed`` of the parts' present values, row by row (every combination,
    the last part varying fastest), hashed into ``num_buckets``."""
    values, mask = [], None
    for v, present in parts:
        if v.dtype != _o.string and v.dtype != _o.int64:
            v = _o.cast(v, _o.int64)
        values.append(v)
        if mask is None:
            mask = present
        else:
            mask = _o.logical_and(_o.expand_dims(mask, 2), _o.expand_dims(present, 1))
            mask = _o.reshape(mask, _o.stack([_o.shape(mask)[0], -1]))
    crossed = _o.sparse.cross_hashed(values, num_buckets=num_buckets, hash_key=hash_key)
    ids = _o.reshape(crossed.values, _o.shape(mask))
    return Ids(ids, mask, None)


def _valid(ids, num_buckets, positive_weights=False):
    ok = _o.logical_and(ids.present, _o.logical_and(ids.ids >= 0, ids.ids < num_buckets))
    if positive_weights and ids.weights is not None:
        ok = _o.logical_and(ok, ids.weights > 0)
    return ok


def multi_hot(ids, num_buckets):
    """``[batch, num_buckets]``: how often each id occurs per example (or its summed weight)."""
    ok = _valid(ids, num_buckets)
    hot = _o.one_hot(_o.where(ok, ids.ids, -_o.ones_like(ids.ids)), num_buckets)
    if ids.weights is not None:
        hot = hot * _o.expand_dims(ids.weights, -1)
    return _o.reduce_sum(hot, axis=-2)


def embed(table, ids, combiner, max_norm):
    """Per example, the ``combiner`` of the table rows of its valid ids (a row of zeros for an
    example with none), as TF's ``safe_embedding_lookup_sparse``."""
    if combiner not in ("mean", "sqrtn", "sum"):
        raise ValueError(f"combiner must be one of 'mean', 'sqrtn' or 'sum', got {combiner}")
    ok = _valid(ids, table.shape[0], positive_weights=True)
    w = ids.weights if ids.weights is not None else _o.ones_like(ids.ids, dtype=_o.float32)
    w = _o.where(ok, w, _o.zeros_like(w))
    rows = _o.gather(table, _o.where(ok, ids.ids, _o.zeros_like(ids.ids)))
    if max_norm is not None:
        norm = _o.sqrt(_o.reduce_sum(rows * rows, axis=-1, keepdims=True))
        scale = _o.minimum(1.0, _o.math.divide_no_nan(_o.constant(max_norm, rows.dtype), norm))
        rows = rows * scale
    total = _o.reduce_sum(rows * _o.expand_dims(w, -1), axis=-2)
    if combiner == "sum":
        return total
    if combiner == "mean":
        den = _o.reduce_sum(w, axis=-1, keepdims=True)
    else:
        den = _o.sqrt(_o.reduce_sum(w * w, axis=-1, keepdims=True))
    return _o.math.divide_no_nan(total, den)
