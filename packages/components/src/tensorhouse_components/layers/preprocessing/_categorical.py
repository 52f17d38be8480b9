"""Categorical encoding: ``CategoryEncoding`` and the ``encode`` the lookup layers share.

Counts are a segment sum over ``row * depth + index`` when the input's shape is known at trace
time (memory: the output), else a sum of one-hot rows. ``sparse=True``: the distinct
``row * depth + index`` keys, sorted, as a ``tf.sparse.SparseTensor`` (TF's index order).
"""

from __future__ import annotations

import numpy as np

from tensorhouse_ops import (
    cast,
    convert_to_tensor,
    expand_dims,
    math,
    one_hot,
    reduce_sum,
    reshape,
    sparse,
    squeeze,
    where,
    zeros_like,
)

from .._layer import Layer

__all__ = ["CategoryEncoding", "encode", "sparse_encode"]

_MODES = ("one_hot", "multi_hot", "count")


def encode(indices, depth, output_mode, dtype, weights=None, count_weights=None):
    """Indices in ``[0, depth)`` as one-hot rows (``one_hot``: a trailing axis of 1 is
    replaced) or summed over the last axis (``multi_hot``: 0/1, ``count``: counts, or the sums
    of ``count_weights`` (the indices' shape), ``tf_idf``: counts times ``weights``); indices
    outside ``[0, depth)`` count nowhere."""
    shape = indices.shape.as_list()
    if output_mode == "one_hot":
        if len(shape) > 1 and shape[-1] == 1:
            indices = squeeze(indices, axis=-1)
        return one_hot(indices, depth, dtype=dtype)
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


def sparse_encode(dense):
    """An encoded (dense) output as a ``SparseTensor`` of its nonzero entries, in row-major
    order as TF's sparse outputs; traces (the number of entries is known at run time)."""
    return sparse.from_dense(dense)


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
        out = encode(cast(inputs, "int32"), self.num_tokens, self.output_mode,
                     self.compute_dtype, count_weights=count_weights)  # fmt: skip
        return sparse_encode(out) if self.sparse else out

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
