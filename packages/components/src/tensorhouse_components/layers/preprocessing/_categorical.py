"""Categorical preprocessing: ``CategoryEncoding`` and ``IntegerLookup``.

A vocabulary is a Python list known when ``call`` is traced; lookups compare the inputs with it
as a constant, so ``call`` is ops only. ``adapt`` counts tokens on the host with NumPy.
"""

from __future__ import annotations

import numpy as np

from tensorhouse_ops import (
    cast,
    convert_to_tensor,
    expand_dims,
    gather,
    math,
    one_hot,
    reduce_sum,
    squeeze,
)

from .._layer import Layer
from . import _adapt

__all__ = ["CategoryEncoding", "IntegerLookup", "encode"]

_MODES = ("one_hot", "multi_hot", "count")


def encode(indices, depth, output_mode, dtype, weights=None):
    """Indices in ``[0, depth)`` as one-hot rows (``one_hot``: a trailing axis of 1 is
    replaced) or summed over the last axis (``multi_hot``: 0/1, ``count``, ``tf_idf``: counts
    times ``weights``)."""
    shape = indices.shape.as_list()
    if output_mode == "one_hot":
        if len(shape) > 1 and shape[-1] == 1:
            indices = squeeze(indices, axis=-1)
        return one_hot(indices, depth, dtype=dtype)
    counts = reduce_sum(one_hot(indices, depth, dtype=dtype), axis=-2)
    if output_mode == "multi_hot":
        return math.minimum(counts, 1)
    if output_mode == "tf_idf":
        return counts * cast(convert_to_tensor(np.asarray(weights)), dtype)
    return counts


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


class IntegerLookup(Layer):
    """Maps integers to indices of a vocabulary (given or adapted; ``invert``: indices back to
    integers). Indices: the mask token (0, if set), ``num_oov_indices`` out-of-vocabulary slots
    (an unknown ``x`` goes to ``x mod num_oov_indices``), then the vocabulary."""

    def __init__(
        self,
        max_tokens=None,
        num_oov_indices=1,
        mask_token=None,
        oov_token=-1,
        vocabulary=None,
        vocabulary_dtype="int64",
        idf_weights=None,
        invert=False,
        output_mode="int",
        sparse=False,
        pad_to_max_tokens=False,
        oov_method="floormod",
        salt=None,
        name=None,
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        modes = ("int", "one_hot", "multi_hot", "count", "tf_idf")
        if output_mode not in modes:
            raise ValueError(
                f"Invalid value for argument `output_mode`. Expected one of {modes}. "
                f"Received: output_mode={output_mode}"
            )
        if invert and output_mode != "int":
            raise ValueError(
                "`output_mode` must be `'int'` when `invert` is true. "
                f"Received: output_mode={output_mode}"
            )
        if isinstance(num_oov_indices, bool) or not isinstance(num_oov_indices, int):
            raise ValueError(f"`num_oov_indices` must be an integer. Received: {num_oov_indices}")
        if num_oov_indices < 0:
            raise ValueError(
                "`num_oov_indices` must be greater than or equal to 0. "
                f"Received: num_oov_indices={num_oov_indices}"
            )
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(
                f"If `max_tokens` is set for `IntegerLookup`, it must be greater than 1. "
                f"Received: max_tokens={max_tokens}"
            )
        if sparse:
            raise ValueError("`sparse=True` is not supported by this IntegerLookup layer.")
        if oov_method != "floormod":
            raise ValueError(f"`oov_method` {oov_method!r} is not supported here; use 'floormod'.")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(
                "`idf_weights` should only be set if `output_mode` is `'tf_idf'`. "
                f"Received: idf_weights={idf_weights} and output_mode={output_mode}"
            )
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = None if mask_token is None else int(mask_token)
        self.oov_token = int(oov_token)
        self.vocabulary_dtype = vocabulary_dtype
        self.invert = bool(invert)
        self.output_mode = output_mode
        self.sparse = sparse
        self.pad_to_max_tokens = pad_to_max_tokens
        self.oov_method = oov_method
        self.salt = salt
        self._config_vocabulary = None if vocabulary is None else [int(v) for v in vocabulary]
        self._config_idf = None if idf_weights is None else [float(w) for w in idf_weights]
        self._vocab = []  # the learned / given tokens, without mask and OOV tokens
        self._idf = None  # one weight per vocabulary token
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # ---- vocabulary ---------------------------------------------------------------------
    def _reserved(self) -> int:
        """Indices before the vocabulary: the OOV slots, and the mask (in ``int`` mode)."""
        mask = self.mask_token is not None and self.output_mode == "int"
        return self.num_oov_indices + int(mask)

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Set the vocabulary (tokens, without the mask and OOV tokens) and the idf weights."""
        vocab = [int(v) for v in np.asarray(vocabulary).reshape(-1)]
        if len(set(vocab)) != len(vocab):
            repeated = sorted({v for v in vocab if vocab.count(v) > 1})
            raise ValueError(
                "The passed vocabulary has at least one repeated term. Please uniquify your "
                f"dataset. The repeated terms are: {repeated}"
            )
        if self.mask_token is not None and self.mask_token in vocab:
            raise ValueError(
                f"Found reserved mask token at unexpected location in `vocabulary`. Received: "
                f"mask_token={self.mask_token}, vocabulary={vocab}"
            )
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError(
                    "`idf_weights` must be set if output_mode is 'tf_idf'. Received: "
                    "idf_weights=None"
                )
            idf = [float(w) for w in np.asarray(idf_weights).reshape(-1)]
            if len(idf) != len(vocab):
                raise ValueError(
                    "`idf_weights` must be the same length as vocabulary. "
                    f"len(idf_weights) is {len(idf)}; len(vocabulary) is {len(vocab)}"
                )
            self._idf = idf
        self._vocab = vocab

    def get_vocabulary(self, include_special_tokens=True):
        """The tokens by index: the mask token, the OOV tokens, then the vocabulary."""
        if not include_special_tokens:
            return list(self._vocab)
        head = [self.mask_token] if self.mask_token is not None else []
        return head + [self.oov_token] * self.num_oov_indices + list(self._vocab)

    def vocabulary_size(self):
        """The number of indices the layer produces (mask and OOV slots included)."""
        return self._reserved() + len(self._vocab)

    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary (most frequent first, ties by the larger token) and, for
        ``tf_idf``, the idf weights ``log(1 + documents / (1 + documents with the token))``;
        on the host, with NumPy (not traced)."""
        counts, docs, n_docs = {}, {}, 0
        for batch in _adapt.batches(data, batch_size, steps):
            batch = batch.astype("int64")
            rows = batch.reshape(-1, 1) if batch.ndim < 2 else batch.reshape(len(batch), -1)
            for row in rows:
                n_docs += 1
                for token in set(row.tolist()):
                    docs[token] = docs.get(token, 0) + 1
            tokens, n = np.unique(batch, return_counts=True)
            for token, c in zip(tokens.tolist(), n.tolist()):
                counts[token] = counts.get(token, 0) + c
        for special in (self.mask_token, self.oov_token):
            counts.pop(special, None)
        order = sorted(counts, key=lambda t: (counts[t], t), reverse=True)
        if self.max_tokens is not None:
            order = order[: self.max_tokens - self._reserved()]
        self._vocab = order
        if self.output_mode == "tf_idf":
            self._idf = [float(np.log(1.0 + n_docs / (1.0 + docs[t]))) for t in order]

    # ---- call ---------------------------------------------------------------------------
    def _weights_vector(self):
        """idf weights by index: the mean weight for the OOV slots, 0 for the mask."""
        idf = np.asarray(self._idf if self._idf is not None else [], "float64")
        oov = idf.mean() if idf.size else 0.0
        return np.concatenate([np.full(self._reserved(), oov), idf]).astype("float32")

    def _depth(self):
        size = self.vocabulary_size()
        return max(size, self.max_tokens) if self.pad_to_max_tokens and self.max_tokens else size

    def call(self, inputs):
        if self.invert:
            return self._invert(inputs)
        x = cast(inputs, "int64")
        if self.num_oov_indices:  # after the mask index, in int mode
            index = math.floormod(x, self.num_oov_indices) + (
                self._reserved() - self.num_oov_indices
            )
        else:  # no OOV slot: an unknown token is -1 (Keras raises; the ops layer has no Assert)
            index = x * 0 - 1
        if self._vocab:  # compare with the whole vocabulary at once
            vocab = convert_to_tensor(np.asarray(self._vocab, "int64"))
            hits = cast(math.equal(expand_dims(x, -1), vocab), "int64")
            slots = np.arange(len(self._vocab), dtype=np.int64) + self._reserved()
            found = reduce_sum(hits, axis=-1)
            index = index * (1 - found) + reduce_sum(hits * slots, axis=-1)
        if self.mask_token is not None:
            keep = cast(math.not_equal(x, self.mask_token), "int64")
            index = index * keep  # the mask is index 0
        if self.output_mode == "int":
            return index
        depth = self._depth()
        dtype = "float32" if self.output_mode == "tf_idf" else "int64"
        index = cast(index, "int32")
        if self.mask_token is not None:  # masked tokens count nowhere
            index = index + (cast(math.equal(x, self.mask_token), "int32") * -(depth + 1))
            index = math.maximum(index, -1)
        weights = self._weights_vector() if self.output_mode == "tf_idf" else None
        return encode(index, depth, self.output_mode, dtype, weights)

    def _invert(self, inputs):
        table = np.asarray(self.get_vocabulary(), "int64")
        index = cast(inputs, "int64")
        inside = math.logical_and(math.greater_equal(index, 0), math.less(index, len(table)))
        safe = math.minimum(math.maximum(index, 0), len(table) - 1)
        looked_up = gather(convert_to_tensor(table), safe)
        oov = looked_up * 0 + self.oov_token
        return math.add(looked_up * cast(inside, "int64"), oov * (1 - cast(inside, "int64")))

    def get_config(self):
        return {**super().get_config(), "invert": self.invert, "max_tokens": self.max_tokens,
                "num_oov_indices": self.num_oov_indices, "oov_token": self.oov_token,
                "mask_token": self.mask_token, "output_mode": self.output_mode,
                "sparse": self.sparse, "pad_to_max_tokens": self.pad_to_max_tokens,
                "vocabulary_dtype": self.vocabulary_dtype, "idf_weights": self._config_idf,
                "vocabulary": self._config_vocabulary,
                "vocabulary_size": self.vocabulary_size(), "oov_method": self.oov_method,
                "salt": self.salt}  # fmt: skip

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop("vocabulary_size", None)  # derived from the vocabulary
        return cls(**config)
