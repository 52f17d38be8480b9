"""Categorical encoding: ``CategoryEncoding`` and the ``encode`` the lookup layers share.

Counts are a segment sum over ``row * depth + index`` when the input's shape is known at trace
time (memory: the output), else a sum of one-hot rows. ``sparse=True``: the distinct
``row * depth + index`` keys, sorted, as a ``tf.sparse.SparseTensor`` (TF's index order).
"""

from __future__ import annotations

import numpy as np

from tensorhouse_ops import (
    TensorSpec,
    cast,
    constant,
    convert_to_tensor,
    expand_dims,
    math,
    numpy_function,
    one_hot,
    reduce_sum,
    reshape,
    sparse,
    squeeze,
    transpose,
    where,
    zeros_like,
)

from .._layer import Layer

__all__ = ["CategoryEncoding", "encode", "sparse_encode", "sparse_ragged_encode"]

_MODES = ("one_hot", "multi_hot", "count")


def encode(indices, depth, output_mode, dtype, weights=None, count_weights=None):
    """Indices in ``[0, depth)`` as one-hot rows (``one_hot``: a trailing axis of 1 is
    replaced) or summed over the last axis (``multi_hot``: 0/1, ``count``: counts, or the sums
    of ``count_weights`` (the indices' shape), ``tf_idf``: counts times ``weights``); indices
    outside ``[0, depth)`` count nowhere. Rank 3 and up sum over axis 1, as Keras does."""
    shape = indices.shape.as_list()
    if output_mode == "one_hot":
        if len(shape) > 1 and shape[-1] == 1:
            indices = squeeze(indices, axis=-1)
        return one_hot(indices, depth, dtype=dtype)
    indices, count_weights = _axis_1_last(indices, count_weights)
    shape = indices.shape.as_list()
    if None in shape or not shape:
        hot = one_hot(indices, depth, dtype=dtype)
        if count_weights is not None:
            hot = hot * expand_dims(cast(count_weights, dtype), -1)
        counts = reduce_sum(hot, axis=-2)
    else:
        binary = output_mode == "multi_hot" and count_weights is None
        counts = _bincount(indices, shape, depth, dtype, count_weights, binary)
        if binary:
            return counts
    if output_mode == "multi_hot":
        return math.minimum(counts, 1)
    if output_mode == "tf_idf":
        return counts * cast(convert_to_tensor(np.asarray(weights)), dtype)
    return counts


def _axis_1_last(indices, count_weights=None):
    """Keras sums the ids of rank 3+ inputs over axis 1: that axis moved last."""
    rank = indices.shape.rank
    if rank is None or rank < 3:
        return indices, count_weights
    perm = [0, *range(2, rank), 1]
    if count_weights is not None:
        count_weights = transpose(count_weights, perm)
    return transpose(indices, perm), count_weights


def _entries(rows, ids, rows_shape, depth, output_mode, count_weights=None, weights=None):
    """The sparse entries of per-row counts of ``ids`` (1-D, with their ``rows``, flat
    positions in ``rows_shape``): the distinct ``(row, id)`` pairs in row-major order, as
    indices ``[n, len(rows_shape) + 1]`` and values (counts, sums of ``count_weights``, 1 for
    ``multi_hot``, counts times ``weights[id]`` for ``tf_idf``); ids outside ``[0, depth)``
    count nowhere. Entries whose sum is 0 stay, as TF's sparse bincount keeps them."""
    valid = (ids >= 0) & (ids < depth)
    keys = rows[valid].astype(np.int64) * depth + ids[valid].astype(np.int64)
    uniq, inverse = np.unique(keys, return_inverse=True)
    inverse = inverse.reshape(-1)
    if output_mode == "multi_hot":
        values = np.ones(len(uniq))
    elif count_weights is not None:
        values = np.bincount(inverse, count_weights.reshape(-1)[valid], minlength=len(uniq))
    else:
        values = np.bincount(inverse, minlength=len(uniq))
    if output_mode == "tf_idf":
        values = values * np.asarray(weights).reshape(-1)[uniq % depth]
    coords = np.unravel_index(uniq // depth, rows_shape) if rows_shape else ()
    indices = np.stack([*coords, uniq % depth], axis=1) if len(uniq) else None
    if indices is None:
        indices = np.zeros((0, len(rows_shape) + 1), np.int64)
    return indices.astype(np.int64), values


def _sparse_result(host, inputs, out_shape, dtype):
    """A ``SparseTensor`` from ``host(*arrays) -> (indices, values, dense_shape)`` run as one
    host node (traced or eager); a fully known ``out_shape`` is its static dense shape."""
    dtype = dtype if isinstance(dtype, str) else dtype.name

    def run(*arrays):
        indices, values, shape = host(*arrays)
        return indices, values.astype(dtype), np.asarray(shape, np.int64)

    specs = (
        TensorSpec([None, len(out_shape)], "int64"),
        TensorSpec([None], dtype),
        TensorSpec([len(out_shape)], "int64"),
    )
    indices, values, shape = numpy_function(run, inputs, specs, stateful=False)
    if None not in out_shape:
        shape = constant(out_shape, "int64")
    return sparse.SparseTensor(indices, values, shape)


def sparse_encode(indices, depth, output_mode, dtype, weights=None, count_weights=None):
    """``encode``'s output as a ``tf.sparse.SparseTensor`` built from the indices, without the
    dense tensor: TF's row-major entries, values of ``dtype``."""
    shape = indices.shape.as_list()
    if output_mode == "one_hot":
        if len(shape) > 1 and shape[-1] == 1:
            indices, shape = squeeze(indices, axis=-1), shape[:-1]
        out_shape = [*shape, depth]

        def one_hot_host(ids):
            flat = ids.reshape(-1)
            rows = np.arange(flat.size)
            idx, values = _entries(rows, flat, ids.shape, depth, "multi_hot")
            return idx, values, [*ids.shape, depth]

        return _sparse_result(one_hot_host, [indices], out_shape, dtype)
    indices, count_weights = _axis_1_last(indices, count_weights)
    shape = indices.shape.as_list()
    out_shape = [*shape[:-1], depth]
    inputs = [indices]
    if count_weights is not None:
        inputs.append(cast(count_weights, "float64"))
    if output_mode == "tf_idf":
        inputs.append(cast(convert_to_tensor(weights), "float64"))

    def counts_host(ids, *rest):
        rest = list(rest)
        cw = rest.pop(0) if count_weights is not None else None
        w = rest.pop(0) if output_mode == "tf_idf" else None
        width = ids.shape[-1]
        rows = np.arange(ids.size) // max(width, 1)
        idx, values = _entries(rows, ids.reshape(-1), ids.shape[:-1], depth, output_mode, cw, w)
        return idx, values, [*ids.shape[:-1], depth]

    return _sparse_result(counts_host, inputs, out_shape, dtype)


def sparse_ragged_encode(ids, depth, output_mode, dtype, weights=None):
    """Per-row counts (``multi_hot``, ``count``, ``tf_idf``) of a ``[rows, None]`` ragged tensor
    of ids as a ``tf.sparse.SparseTensor`` ``[rows, depth]``, without a dense intermediate."""
    if output_mode == "one_hot":
        raise ValueError("`output_mode='one_hot'` needs dense inputs; received a ragged tensor.")
    if ids.ragged_rank != 1:
        raise ValueError(f"Expected a ragged tensor of ragged rank 1, received {ids}")
    inputs = [ids.flat_values, ids.nested_row_splits[0]]
    if output_mode == "tf_idf":
        inputs.append(cast(convert_to_tensor(weights), "float64"))

    def host(values, splits, *rest):
        rows = np.repeat(np.arange(len(splits) - 1), np.diff(splits))
        w = rest[0] if rest else None
        idx, out = _entries(rows, values, (len(splits) - 1,), depth, output_mode, None, w)
        return idx, out, [len(splits) - 1, depth]

    return _sparse_result(host, inputs, [ids.shape[0], depth], dtype)


def _bincount(indices, shape, depth, dtype, count_weights=None, binary=False):
    """Counts (or sums of ``count_weights``; ``binary``: 0/1) of each index per row of the
    last axis, for a static ``shape``: one ``DenseBincount`` pass (``tf.math.bincount``,
    ``axis=-1``), indices outside ``[0, depth)`` moved to ``depth``, which it skips."""
    rows = int(np.prod(shape[:-1], dtype=np.int64))
    flat = reshape(indices, [rows, shape[-1]])  # int32 or int64, as given
    if not flat.dtype.is_integer:
        flat = cast(flat, "int64")
    inside = math.logical_and(math.greater_equal(flat, 0), math.less(flat, depth))
    flat = where(inside, flat, zeros_like(flat) + depth)
    weights = None
    if count_weights is not None:
        weights = reshape(cast(count_weights, dtype), [rows, shape[-1]])
    counts = math.bincount(flat, weights=weights, minlength=depth, maxlength=depth, dtype=dtype,
                           axis=-1, binary_output=binary)  # fmt: skip
    return reshape(counts, [*shape[:-1], depth])


class CategoryEncoding(Layer):
    """Encodes integer ids in ``[0, num_tokens)`` as one-hot, multi-hot or count vectors."""

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode not in _MODES:
            raise ValueError(
                f"Unknown arg for output_mode: {output_mode}. Expected one of {list(_MODES)}."
            )
        if num_tokens is None:
            raise ValueError(
                "num_tokens must be set to use this layer. If the number of tokens is not "
                "known beforehand, use the IntegerLookup layer instead."
            )
        if num_tokens < 1:
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens}.")
        self.num_tokens = num_tokens
        self.output_mode = output_mode
        self.sparse = sparse

    def call(self, inputs, count_weights=None):
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(
                    "`count_weights` is not used when `output_mode` is not `'count'`. "
                    f"Received `count_weights={count_weights}`."
                )
            count_weights = cast(convert_to_tensor(count_weights), self.compute_dtype)
        ids = cast(inputs, "int32")
        if self.sparse:
            return sparse_encode(ids, self.num_tokens, self.output_mode, self.compute_dtype,
                                 count_weights=count_weights)  # fmt: skip
        return encode(ids, self.num_tokens, self.output_mode, self.compute_dtype,
                      count_weights=count_weights)  # fmt: skip

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        if self.output_mode == "one_hot":
            if len(shape) > 1 and shape[-1] == 1:
                return (*shape[:-1], self.num_tokens)
            return (*shape, self.num_tokens)
        return (*shape[:-1], self.num_tokens) if len(shape) > 1 else (self.num_tokens,)

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens,
                "output_mode": self.output_mode}  # fmt: skip
