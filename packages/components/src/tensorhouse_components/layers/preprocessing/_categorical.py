"""Categorical encoding: ``CategoryEncoding`` and the ``encode`` the lookup layers share.

Counts are a segment sum over ``row * depth + index`` when the input's shape is known at trace
time (memory: the output), else a sum of one-hot rows.
"""

from __future__ import annotations

import numpy as np

from tensorhouse_ops import (
    cast,
    convert_to_tensor,
    cumsum,
    math,
    one_hot,
    ones_like,
    reduce_sum,
    reshape,
    squeeze,
    where,
    zeros_like,
)

from .._layer import Layer

__all__ = ["CategoryEncoding", "encode"]

_MODES = ("one_hot", "multi_hot", "count")


def encode(indices, depth, output_mode, dtype, weights=None):
    """Indices in ``[0, depth)`` as one-hot rows (``one_hot``: a trailing axis of 1 is
    replaced) or summed over the last axis (``multi_hot``: 0/1, ``count``, ``tf_idf``: counts
    times ``weights``); indices outside ``[0, depth)`` count nowhere."""
    shape = indices.shape.as_list()
    if output_mode == "one_hot":
        if len(shape) > 1 and shape[-1] == 1:
            indices = squeeze(indices, axis=-1)
        return one_hot(indices, depth, dtype=dtype)
    if None in shape or not shape:
        counts = reduce_sum(one_hot(indices, depth, dtype=dtype), axis=-2)
    else:
        counts = _bincount(indices, shape, depth, dtype)
    if output_mode == "multi_hot":
        return math.minimum(counts, 1)
    if output_mode == "tf_idf":
        return counts * cast(convert_to_tensor(np.asarray(weights)), dtype)
    return counts


def _bincount(indices, shape, depth, dtype):
    """Counts of each index per row of the last axis, for a static ``shape``."""
    rows = int(np.prod(shape[:-1], dtype=np.int64))
    flat = reshape(cast(indices, "int64"), [rows, shape[-1]])
    inside = math.logical_and(math.greater_equal(flat, 0), math.less(flat, depth))
    row_ids = cumsum(ones_like(flat), axis=0) - 1
    segments = row_ids * depth + where(inside, flat, zeros_like(flat))
    counts = math.unsorted_segment_sum(
        reshape(cast(inside, dtype), [-1]), reshape(segments, [-1]), rows * depth
    )
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
        if sparse:
            raise ValueError("`sparse=True` is not supported by this CategoryEncoding layer.")
        self.num_tokens = num_tokens
        self.output_mode = output_mode
        self.sparse = sparse

    def call(self, inputs):
        return encode(cast(inputs, "int32"), self.num_tokens, self.output_mode, self.compute_dtype)

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
