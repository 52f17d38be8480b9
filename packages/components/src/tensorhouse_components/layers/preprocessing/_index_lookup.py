"""The lookup layers' base: tokens (strings or integers) to indices, and back (``invert``).

Indices: the mask token (0, in ``int`` mode), ``num_oov_indices`` out-of-vocabulary slots,
then the vocabulary. The mapping is a ``tf.lookup.StaticHashTable`` (the mask token is one of
its keys), so ``call`` is one host lookup node, traced or eager; unknown tokens get the one OOV
slot, a hash bucket or ``token mod num_oov_indices``. ``adapt`` streams batches and counts
tokens on the host.
"""

from __future__ import annotations

import collections

import numpy as np

import tensorhouse_ops as tf
from tensorhouse_ops import cast, convert_to_tensor, expand_dims, lookup, math

from .._layer import Layer
from . import _adapt
from ._categorical import encode, sparse_encode, sparse_ragged_encode

__all__ = ["IndexLookup", "ragged_counts", "ragged_to_dense"]

_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")
_DROPPED = -2  # the mask's index outside ``int`` mode: counted nowhere


def _row_splits(ids):
    """The row splits of a ragged tensor of ragged rank 1 (TextVectorization's tokens)."""
    if ids.ragged_rank != 1:
        raise ValueError(f"Expected a ragged tensor of ragged rank 1, received {ids}")
    return ids.nested_row_splits[0]


def ragged_to_dense(ids, width=None, fill=0):
    """A ``[rows, None]`` ragged int64 tensor as a dense one, rows cut or padded with ``fill``
    to ``width`` (default: the longest row); one host node, traced or eager."""

    def pad(values, splits):
        lengths = np.diff(splits)
        cols = int(lengths.max(initial=0)) if width is None else width
        out = np.full((len(lengths), cols), fill, np.int64)
        if values.size == 0 or cols == 0:
            return out
        inside = np.arange(cols) < lengths[:, None]  # row-major: the kept values in order
        if lengths.max() <= cols:
            out[inside] = values
        else:
            place = np.arange(values.size) - np.repeat(splits[:-1], lengths)  # within its row
            out[inside] = values[place < cols]
        return out

    spec = tf.TensorSpec([ids.shape[0], width], "int64")
    return tf.numpy_function(pad, [ids.flat_values, _row_splits(ids)], spec)


def ragged_counts(ids, depth, output_mode):
    """Per-row counts (``multi_hot``: 0/1, ``one_hot`` of each id is not supported) of the ids
    of a ``[rows, None]`` ragged tensor in ``[0, depth)``, as ``[rows, depth]`` int64."""
    if output_mode == "one_hot":
        raise ValueError("`output_mode='one_hot'` needs dense inputs; received a ragged tensor.")

    def count(values, splits):
        lengths = np.diff(splits)
        row = np.repeat(np.arange(len(lengths)), lengths)
        keep = (values >= 0) & (values < depth)
        flat = np.bincount(row[keep] * depth + values[keep], minlength=len(lengths) * depth)
        out = flat.reshape(len(lengths), depth).astype(np.int64)
        return np.minimum(out, 1) if output_mode == "multi_hot" else out

    spec = tf.TensorSpec([ids.shape[0], depth], "int64")
    return tf.numpy_function(count, [ids.flat_values, _row_splits(ids)], spec)


def _obj_array(values) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _most_frequent(counts, k=None):
    """The ``k`` (all: None) most frequent tokens of a Counter, ties by the larger token:
    only the tokens at or above the k-th largest count are sorted."""
    tokens = list(counts.keys())
    freq = np.fromiter(counts.values(), np.int64, count=len(tokens))
    if k is not None and k < len(tokens):
        if k <= 0:
            return []
        threshold = np.partition(freq, len(tokens) - k)[len(tokens) - k]
        keep = np.flatnonzero(freq >= threshold).tolist()
        tokens, freq = [tokens[i] for i in keep], freq[keep]
    order = sorted(zip(freq.tolist(), tokens), reverse=True)
    return [token for _, token in order[:k]]


class IndexLookup(_adapt.StringInputs, Layer):
    """Maps tokens to indices through a vocabulary, given or learned by ``adapt``."""

    def __init__(
        self,
        max_tokens,
        num_oov_indices,
        mask_token,
        oov_token,
        vocabulary_dtype,
        vocabulary=None,
        idf_weights=None,
        invert=False,
        output_mode="int",
        sparse=False,
        pad_to_max_tokens=False,
        oov_method="floormod",
        name=None,
        salt=None,
        **kwargs,
    ):
        frozen = kwargs.pop("vocabulary_size", None)
        has_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        super().__init__(name=name, **kwargs)
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(
                f"If set, `max_tokens` must be greater than 1. Received: max_tokens={max_tokens}"
            )
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(
                "If pad_to_max_tokens is True, must set `max_tokens`. "
                f"Received: max_tokens={max_tokens}"
            )
        if num_oov_indices < 0:
            raise ValueError(
                "`num_oov_indices` must be greater than or equal to 0. "
                f"Received: num_oov_indices={num_oov_indices}"
            )
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(
                f"Unknown value for `oov_method` argument of layer {type(self).__name__}. "
                f"Allowed values are: ['floormod', 'farmhash']. Received: {oov_method}"
            )
        if salt is not None:
            if vocabulary_dtype != "string" and oov_method != "farmhash":
                raise ValueError(
                    "`salt` can only be used when `oov_method='farmhash'`. "
                    f"Received: oov_method={oov_method}"
                )
            if isinstance(salt, tuple | list) and len(salt) == 2:
                salt = list(salt)
            elif isinstance(salt, int):
                salt = [salt, salt]
            else:
                raise ValueError(
                    "The `salt` argument for `IndexLookup` can only be a tuple of 2 integers, "
                    f"or a single integer. Received: salt={salt}."
                )
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        if output_mode not in _MODES:
            raise ValueError(
                f"Invalid value for argument `output_mode`. Expected one of {_MODES}. "
                f"Received: output_mode={output_mode}"
            )
        if invert and output_mode != "int":
            raise ValueError(
                "`output_mode` must be `'int'` when `invert` is true. "
                f"Received: output_mode={output_mode}"
            )
        if sparse and output_mode == "int":
            raise ValueError(
                "`sparse` may only be true if `output_mode` is `'one_hot'`, `'multi_hot'`, "
                f"`'count'` or `'tf_idf'`. Received: sparse={sparse} and "
                f"output_mode={output_mode}"
            )
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(
                "`idf_weights` should only be set if `output_mode` is `'tf_idf'`. "
                f"Received: idf_weights={idf_weights} and output_mode={output_mode}"
            )
        if output_mode == "tf_idf" and has_vocabulary and idf_weights is None:
            raise ValueError(
                "When specifying the `vocabulary` argument, in TF-IDF output mode, the "
                "`idf_weights` argument must also be provided."
            )
        self.invert = bool(invert)
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.sparse = sparse
        self.pad_to_max_tokens = pad_to_max_tokens
        self.vocabulary_dtype = vocabulary_dtype
        self.oov_method = oov_method
        self.salt = salt
        self.input_vocabulary = vocabulary if not isinstance(vocabulary, str) else None
        self.input_idf_weights = idf_weights
        self._has_input_vocabulary = has_vocabulary
        self._frozen_vocab_size = frozen
        self._tokens = []  # the vocabulary in host form: bytes or int, no special tokens
        self.idf_weights = None  # a float tensor, one weight per index (tf_idf)
        self._table = None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        else:
            self._build_table()

    # ---- tokens ---------------------------------------------------------------------------
    @property
    def _is_string(self):
        return self.vocabulary_dtype == "string"

    def _host_token(self, token):
        """A token as the table holds it: ``bytes`` for strings, ``int`` otherwise."""
        if self._is_string:
            return token.encode(self._encoding()) if isinstance(token, str) else bytes(token)
        return int(token)

    def _encoding(self):
        return getattr(self, "encoding", "utf-8") or "utf-8"

    def _user_token(self, token):
        if self._is_string and isinstance(token, bytes):
            return token.decode(self._encoding())
        return token

    def _host_tokens(self, array) -> list:
        """A flat list of host tokens from an array, tensor or list."""
        if isinstance(array, tf.Tensor):
            array = array.numpy()
        flat = np.asarray(array, dtype=object if self._is_string else None).reshape(-1)
        if not self._is_string:
            return flat.astype(np.int64).tolist()
        tokens = flat.tolist()
        if set(map(type, tokens)) <= {bytes}:  # a string tensor's values: already bytes
            return tokens
        return [self._host_token(t) for t in tokens]

    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    # ---- vocabulary ---------------------------------------------------------------------
    def _key_dtype(self):
        return "int64" if self.invert else self.vocabulary_dtype

    def _build_table(self):
        """The lookup table of the current tokens, the mask token included."""
        start = self._token_start_index()
        tokens = np.array(self._tokens, dtype=object if self._is_string else np.int64)
        indices = np.arange(start, start + len(tokens), dtype=np.int64)
        vocab_dtype = self.vocabulary_dtype
        if self.invert:
            keys, values, default = indices, tokens, self._host_token(self.oov_token)
            if self.mask_token is not None:
                keys = np.concatenate([[0], keys]).astype(np.int64)
                values = np.array([self._host_token(self.mask_token), *tokens.tolist()],
                                  dtype=tokens.dtype)  # fmt: skip
            init = lookup.KeyValueTensorInitializer(keys, values, "int64", vocab_dtype)
        else:
            keys, values = tokens, indices
            default = self._oov_start_index() if self.num_oov_indices == 1 else -1
            if self.mask_token is not None:
                mask_id = 0 if self.output_mode == "int" else _DROPPED
                keys = np.array([self._host_token(self.mask_token), *tokens.tolist()],
                                dtype=tokens.dtype)  # fmt: skip
                values = np.concatenate([[mask_id], indices]).astype(np.int64)
            init = lookup.KeyValueTensorInitializer(keys, values, vocab_dtype, "int64")
        self._table = lookup.StaticHashTable(init, default)

    def get_vocabulary(self, include_special_tokens=True):
        """The tokens by index (mask and OOV tokens first unless ``include_special_tokens`` is
        False)."""
        vocab = [self._user_token(t) for t in self._tokens]
        if not include_special_tokens:
            return vocab
        head = [self.mask_token] if self._oov_start_index() else []
        return head + [self.oov_token] * self.num_oov_indices + vocab

    def vocabulary_size(self):
        """The number of indices, mask and OOV slots included."""
        return len(self._tokens) + self._token_start_index()

    def _record_vocabulary_size(self):
        new = self.vocabulary_size()
        if self.output_mode != "int" and not self.pad_to_max_tokens:
            if self._frozen_vocab_size is not None and new != self._frozen_vocab_size:
                raise RuntimeError(
                    f"When using `output_mode={self.output_mode}` and "
                    "`pad_to_max_tokens=False`, the vocabulary size cannot be changed after "
                    f"the layer is called. Old vocab size is {self._frozen_vocab_size}, new "
                    f"vocab size is {new}"
                )
        self._frozen_vocab_size = new

    def _read_vocabulary_file(self, path):
        """The file's lines, in order, through a ``tf.lookup.TextFileInitializer`` table."""
        init = lookup.TextFileInitializer(
            path, self.vocabulary_dtype, lookup.TextFileIndex.WHOLE_LINE, "int64",
            lookup.TextFileIndex.LINE_NUMBER,
        )  # fmt: skip
        keys, lines = lookup.StaticHashTable(init, -1).export()
        tokens = self._host_tokens(keys)
        return [tokens[i] for i in np.argsort(lines.numpy(), kind="stable").tolist()]

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Set the vocabulary (a list, array, tensor or a text file path, one token a line)
        and, for ``tf_idf``, the idf weights."""
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
        elif idf_weights is not None:
            raise ValueError(
                "`idf_weights` should only be set if output_mode is `'tf_idf'`. Received: "
                f"output_mode={self.output_mode} and idf_weights={idf_weights}"
            )
        if isinstance(vocabulary, str):
            if not tf.io.gfile.exists(vocabulary):
                raise ValueError(f"Vocabulary file {vocabulary} does not exist.")
            if self.output_mode == "tf_idf":
                raise ValueError(
                    "output_mode `'tf_idf'` does not support loading a vocabulary from file."
                )
            self._tokens = self._read_vocabulary_file(vocabulary)
            self._build_table()
            self._record_vocabulary_size()
            return
        given = self._host_tokens(vocabulary)
        if not given:
            raise ValueError(f"Cannot set an empty vocabulary. Received: vocabulary={vocabulary}")
        start = self._token_start_index()
        special = [self.mask_token] * self._oov_start_index() + [
            self.oov_token
        ] * self.num_oov_indices
        special = [self._host_token(t) for t in special]
        has_special = given[:start] == special
        tokens = given[start:] if has_special else given
        repeated = [t for t, n in collections.Counter(tokens).items() if n > 1]
        if repeated:
            raise ValueError(
                "The passed vocabulary has at least one repeated term. Please uniquify your "
                f"dataset. The repeated terms are: {[self._user_token(t) for t in repeated]}"
            )
        for token, name, check in ((self.mask_token, "mask_token", True),
                                   (self.oov_token, "oov_token", self.invert)):  # fmt: skip
            if token is not None and check and self._host_token(token) in tokens:
                where = len(given) - 1 - given[::-1].index(self._host_token(token))
                raise ValueError(
                    f"Found reserved {'mask' if name == 'mask_token' else 'OOV'} token at "
                    "unexpected location in `vocabulary`. Note that passed `vocabulary` does "
                    "not need to include the OOV and mask tokens. Either remove all mask and OOV "
                    "tokens, or include them only at the start of the vocabulary in precisely "
                    f"this order: {[self._user_token(t) for t in special]}. Received: "
                    f"{name}={token} at vocabulary index [{where}]"
                )
        size = start + len(tokens)
        if self.max_tokens is not None and size > self.max_tokens:
            raise ValueError(
                "Attempted to set a vocabulary larger than the maximum vocab size. Received "
                f"vocabulary size is {size}; `max_tokens` is {self.max_tokens}."
            )
        self._tokens = tokens
        self._build_table()
        self._record_vocabulary_size()
        if self.output_mode == "tf_idf":
            idf = np.asarray(
                idf_weights.numpy() if isinstance(idf_weights, tf.Tensor) else idf_weights,
                dtype=np.float64,
            )
            if len(given) != len(idf):
                raise ValueError(
                    "`idf_weights` must be the same length as vocabulary. len(idf_weights) is "
                    f"{len(idf)}; len(vocabulary) is {len(given)}"
                )
            if idf.ndim != 1:
                raise ValueError(
                    f"TF-IDF data must be a 1-index array. Received: type(idf_weights)="
                    f"{type(idf_weights)}"
                )
            front = 0 if has_special else start
            self._set_idf(np.pad(idf, (front, 0), constant_values=np.average(idf)))

    def _set_idf(self, weights):
        """idf weights by index, padded with zeros up to ``max_tokens`` when padding."""
        if self.pad_to_max_tokens and self.max_tokens is not None:
            weights = np.pad(weights, (0, self.max_tokens - len(weights)))
        self.idf_weights = convert_to_tensor(np.asarray(weights, np.float32))

    # ---- adapt --------------------------------------------------------------------------
    def adapt(self, data, steps=None):
        """Learn the vocabulary from ``data`` (arrays, tensors, a ``Dataset`` or an iterable
        of batches, streamed): most frequent first, ties by the larger token; for ``tf_idf``
        the idf weights ``log(1 + documents / (1 + documents with the token))``."""
        self.reset_state()
        arrays = isinstance(data, np.ndarray | list | tuple | tf.Tensor)
        for batch in _adapt.batches(data, None, None if arrays else steps):
            self.update_state(batch, _array=arrays)
        self.finalize_state()

    def reset_state(self):
        """Forget the counts of a previous ``adapt``."""
        self._counts = collections.Counter()
        self._doc_counts = collections.Counter()
        self._num_documents = 0

    def _token_rows(self, batch, array):
        """A batch as documents: (flat tokens, a string tensor or an int64 array; row
        boundaries). A 1-D array is one token a document, a 1-D dataset batch one document,
        higher ranks (and ragged) a row each."""
        if isinstance(batch, tf.RaggedTensor):
            flat = self._flat_tokens(batch.flat_values)
            nested = [s.numpy() for s in batch.nested_row_splits]
            splits = nested[-1]
            for outer in reversed(nested[:-1]):
                splits = splits[outer]
            return flat, splits
        batch = np.asarray(batch)
        if batch.ndim == 0:
            batch = batch.reshape(1, 1)
        elif batch.ndim == 1:
            batch = batch.reshape(-1, 1) if array else batch.reshape(1, -1)
        width = int(np.prod(batch.shape[1:]))
        return self._flat_tokens(batch), np.arange(batch.shape[0] + 1) * width

    def _flat_tokens(self, values):
        """Tokens as one flat batch: a 1-D string tensor (of bytes), or an int64 array."""
        if not self._is_string:
            return np.asarray(self._host_tokens(values), np.int64)
        if isinstance(values, tf.Tensor) and values.dtype == tf.string:
            return tf.reshape(values, [-1])
        return convert_to_tensor(_obj_array(self._host_tokens(values)), "string")

    def _distinct(self, flat):
        """``(distinct tokens as a list, each token's index among them, their counts)``: one
        C++ pass (``tf.unique_with_counts``) for strings, ``np.unique`` for integers."""
        if self._is_string:
            y, idx, counts = tf.unique_with_counts(flat, out_idx="int64")
            return y.numpy().tolist(), idx.numpy(), counts.numpy()
        tokens, idx, counts = np.unique(flat, return_inverse=True, return_counts=True)
        return tokens.tolist(), idx.reshape(-1), counts

    def update_state(self, data, _array=False):
        """Count the tokens of one batch."""
        if self._has_input_vocabulary:
            raise ValueError(
                f"Cannot adapt layer '{self.name}' after setting a static vocabulary via "
                "`vocabulary` argument or `set_vocabulary()` method."
            )
        if not hasattr(self, "_counts"):
            self.reset_state()
        flat, splits = self._token_rows(data, _array)
        tokens, idx, counts = self._distinct(flat)
        self._counts.update(dict(zip(tokens, counts.tolist())))
        if self.output_mode == "tf_idf":  # documents holding each token: distinct (row, token)
            lengths = np.diff(np.asarray(splits, np.int64))
            rows = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
            pairs = np.unique(rows * max(len(tokens), 1) + idx)
            docs = np.bincount(pairs % max(len(tokens), 1), minlength=len(tokens))
            self._doc_counts.update(dict(zip(tokens, docs.tolist())))
            self._num_documents += len(lengths)

    def finalize_state(self):
        """Set the vocabulary (and idf weights) from the counts."""
        counts = getattr(self, "_counts", None)
        if self._has_input_vocabulary or not counts:
            self._record_vocabulary_size()
            return
        for special in (self.mask_token, self.oov_token):
            if special is not None:
                counts.pop(self._host_token(special), None)
        self._tokens = _most_frequent(
            counts, self.max_tokens - self._token_start_index() if self.max_tokens else None
        )
        self._build_table()
        if self.output_mode == "tf_idf":
            docs = np.array([self._doc_counts[t] for t in self._tokens], np.float64)
            idf = np.log(1.0 + self._num_documents / (1.0 + docs)).astype(np.float32)
            mean = float(np.mean(idf)) if idf.size else 0.0
            self._set_idf(np.pad(idf, (self._token_start_index(), 0), constant_values=mean))
        self.reset_state()
        self._record_vocabulary_size()

    # ---- call ---------------------------------------------------------------------------
    def _ensure_known_vocab_size(self):
        if self.output_mode == "int" or self.pad_to_max_tokens:
            return
        if self._frozen_vocab_size is None:
            raise RuntimeError(
                f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, "
                "you must set the layer's vocabulary before calling it. Either pass a "
                "`vocabulary` argument to the layer, or call `adapt` with some sample data."
            )

    def _as_keys(self, inputs):
        dtype = self._key_dtype()
        if not isinstance(inputs, tf.Tensor):
            inputs = convert_to_tensor(inputs, dtype if dtype == "string" else None)
        if inputs.dtype.name != dtype:
            if dtype == "string" or inputs.dtype.name == "string":
                raise TypeError(
                    f"Dtype of argument `keys` must be {tf.as_dtype(dtype)}, received: "
                    f"{inputs.dtype}"
                )
            inputs = cast(inputs, dtype)
        return inputs

    def _oov_indices(self, keys):
        """The OOV slot of each key when there are several: ``key mod n`` for integers
        (``floormod``), else a FarmHash (SipHash with a ``salt``) bucket."""
        n = self.num_oov_indices
        if not self._is_string and self.oov_method != "farmhash":
            return math.floormod(keys, n)
        text = keys if self._is_string else tf.strings.as_string(keys)
        if self.salt is not None:
            return tf.strings.to_hash_bucket_strong(text, n, key=self.salt)
        return tf.strings.to_hash_bucket_fast(text, n)

    def _check_in_vocabulary(self, keys, ids):
        """Keras's error for an unknown token when there is no OOV slot."""

        def check(k, i):
            if (i == -1).any():
                bad = np.asarray(k)[i == -1].tolist()
                if self._is_string:  # as tf.strings.format prints them: ["zz" "yy"]
                    text = " ".join(f'"{_adapt.text(b)}"' for b in bad)
                else:
                    text = " ".join(str(b) for b in bad)
                raise tf.errors.InvalidArgumentError(
                    None,
                    None,
                    "When `num_oov_indices=0` all inputs should be in vocabulary, found OOV "
                    f"values [{text}], consider setting `num_oov_indices=1`.",
                )
            return i

        out = tf.numpy_function(check, [keys, ids], tf.TensorSpec(ids.shape, "int64"))
        return out

    def _lookup_dense(self, keys):
        ids = self._table.lookup(keys)
        if self.invert:
            return ids
        if self.num_oov_indices == 0:
            return self._check_in_vocabulary(keys, ids)
        if self.num_oov_indices > 1:
            oov = cast(self._oov_indices(keys), "int64") + self._oov_start_index()
            ids = tf.where(math.equal(ids, -1), oov, ids)
        return ids

    def call(self, inputs):
        self._ensure_known_vocab_size()
        if isinstance(inputs, tf.RaggedTensor):
            ids = inputs.with_flat_values(self._lookup_dense(self._as_keys(inputs.flat_values)))
            return self._ragged_output(ids)
        ids = self._lookup_dense(self._as_keys(inputs))
        if self.output_mode == "int":
            return ids
        return self._encode(expand_dims(ids, -1) if ids.shape.rank == 0 else ids)

    def _ragged_output(self, ids):
        """The looked-up ids of ragged tokens in the layer's output mode."""
        if self.output_mode == "int":
            return ids
        if self.sparse:
            dtype = "float32" if self.output_mode == "tf_idf" else "int64"
            return sparse_ragged_encode(ids, self._depth(), self.output_mode, dtype,
                                        self.idf_weights)  # fmt: skip
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        counts = ragged_counts(ids, self._depth(), mode)
        if self.output_mode == "tf_idf":
            counts = cast(counts, "float32") * self.idf_weights
        return counts

    def _depth(self):
        return self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size

    def _encode(self, ids):
        if self.sparse:
            dtype = "float32" if self.output_mode == "tf_idf" else "int64"
            return sparse_encode(ids, self._depth(), self.output_mode, dtype, self.idf_weights)
        if self.output_mode == "tf_idf":
            counts = encode(ids, self._depth(), "count", "float32")
            return counts * self.idf_weights
        return encode(ids, self._depth(), self.output_mode, "int64")

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        shape, depth = tuple(input_shape), self._depth()
        if self.output_mode == "one_hot":
            if len(shape) > 1 and shape[-1] == 1:
                return (*shape[:-1], depth)
            return (*shape, depth)
        return (*shape[:-1], depth)

    def compute_output_spec(self, inputs):
        from .._input import KerasTensor

        if self.output_mode == "int":
            dtype = self.vocabulary_dtype if self.invert else "int64"
        else:
            dtype = "float32" if self.output_mode == "tf_idf" else "int64"
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype)

    # ---- saving -------------------------------------------------------------------------
    def get_config(self):
        def listed(v):
            if isinstance(v, tf.Tensor):
                v = v.numpy()
            if isinstance(v, np.ndarray):
                v = v.tolist()
            if isinstance(v, list | tuple):
                return [self._user_token(t) if isinstance(t, bytes) else t for t in v]
            return v

        return {
            **super().get_config(),
            "invert": self.invert,
            "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices,
            "oov_token": self.oov_token,
            "mask_token": self.mask_token,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "vocabulary_dtype": self.vocabulary_dtype,
            "idf_weights": listed(self.input_idf_weights),
            "vocabulary": listed(self.input_vocabulary),
            "vocabulary_size": self._frozen_vocab_size,
            "oov_method": self.oov_method,
            "salt": self.salt,
        }

    def save_own_variables(self, store):
        if self.output_mode == "tf_idf" and self.idf_weights is not None:
            store["idf_weights"] = self.idf_weights.numpy()

    def load_own_variables(self, store):
        if self.output_mode == "tf_idf" and "idf_weights" in store:
            self.idf_weights = convert_to_tensor(np.asarray(store["idf_weights"], np.float32))

    def save_assets(self, dir_path):
        """Write the adapted vocabulary (one token a line) to ``dir_path/vocabulary.txt``."""
        if self.input_vocabulary is not None:
            return
        with tf.io.gfile.GFile(tf.io.gfile.join(dir_path, "vocabulary.txt"), "w") as f:
            f.write("\n".join(str(t) for t in self.get_vocabulary()))

    def load_assets(self, dir_path):
        """Read the vocabulary ``save_assets`` wrote."""
        if self.input_vocabulary is not None:
            return
        with tf.io.gfile.GFile(tf.io.gfile.join(dir_path, "vocabulary.txt"), "r") as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        values = lines if self._is_string else [int(v) for v in lines]
        idf = self.idf_weights.numpy() if self.output_mode == "tf_idf" else None
        self._frozen_vocab_size = None
        self.set_vocabulary(values, idf_weights=idf)
