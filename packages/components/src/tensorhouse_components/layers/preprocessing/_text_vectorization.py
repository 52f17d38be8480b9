"""``TextVectorization``: strings to token indices or token-count vectors.

Standardize (``tf.strings.lower`` / ``regex_replace``), split (whitespace or characters, a
ragged result), ngrams, then a ``StringLookup`` whose mask token is ``""`` (index 0, padding).
Shape changes happen on the integer indices, after the lookup.
"""

from __future__ import annotations

import numpy as np

import tensorhouse_ops as tf

from .._layer import Layer
from . import _adapt
from ._index_lookup import ragged_to_dense
from ._string_lookup import StringLookup

__all__ = ["TextVectorization"]

_PUNCTUATION = r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'
_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")


def _check_choice(value, allowed, arg):
    if value is None or callable(value) or value in allowed:
        return
    raise ValueError(
        f"Unknown value for `{arg}` argument of layer TextVectorization. Allowed values are: "
        f"{list(allowed)}. Received: {value}"
    )


class TextVectorization(_adapt.StringInputs, Layer):
    """Maps strings to token indices (``int``) or to multi-hot / count / tf-idf vectors."""

    def __init__(
        self,
        max_tokens=None,
        standardize="lower_and_strip_punctuation",
        split="whitespace",
        ngrams=None,
        output_mode="int",
        output_sequence_length=None,
        pad_to_max_tokens=False,
        vocabulary=None,
        idf_weights=None,
        sparse=False,
        ragged=False,
        encoding="utf-8",
        name=None,
        **kwargs,
    ):
        _check_choice(standardize, _STANDARDIZE, "standardize")
        _check_choice(split, _SPLIT, "split")
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        modes = ("int", "one_hot", "multi_hot", "count", "tf_idf")
        if output_mode not in modes:
            raise ValueError(
                "Unknown value for `output_mode` argument of layer TextVectorization. Allowed "
                f"values are: {list(modes)}. Received: {output_mode}"
            )
        if not (
            ngrams is None
            or isinstance(ngrams, int)
            or (isinstance(ngrams, tuple) and all(isinstance(n, int) for n in ngrams))
        ):
            raise ValueError(
                f"`ngrams` must be None, an integer, or a tuple of integers. Received: "
                f"ngrams={ngrams}"
            )
        if output_mode == "int" and not (
            output_sequence_length is None or isinstance(output_sequence_length, int)
        ):
            raise ValueError(
                "`output_sequence_length` must be either None or an integer when "
                f"`output_mode` is 'int'. Received: output_sequence_length="
                f"{output_sequence_length}"
            )
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError(
                "`output_sequence_length` must not be set if `output_mode` is not 'int'. "
                f"Received output_sequence_length={output_sequence_length}."
            )
        if ragged and output_mode != "int":
            raise ValueError(
                "`ragged` must not be true if `output_mode` is `'int'`. Received: "
                f"ragged={ragged} and output_mode={output_mode}"
            )
        has_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        kwargs.setdefault("autocast", False)
        super().__init__(name=name, **kwargs)
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._ragged = ragged
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens,
            mask_token="",
            output_mode=output_mode,
            sparse=sparse,
            has_input_vocabulary=has_vocabulary,
            encoding=encoding,
            vocabulary_size=vocabulary_size,
        )

    # ---- vocabulary ---------------------------------------------------------------------
    def get_vocabulary(self, include_special_tokens=True):
        """The tokens by index (padding ``""`` and ``[UNK]`` first unless
        ``include_special_tokens`` is False)."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        """The number of indices, padding and OOV included."""
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Set the vocabulary (and the idf weights for ``tf_idf``)."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    @property
    def encoding(self):
        """The strings' text encoding."""
        return self._encoding

    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary from strings (an array, a list, a ``Dataset`` or an iterable of
        batches, streamed one batch at a time)."""
        self.reset_state()
        arrays = isinstance(data, np.ndarray | list | tuple | tf.Tensor)
        for batch in _adapt.batches(data, batch_size, None if arrays else steps):
            batch = np.asarray(batch)
            if arrays and batch.ndim == 1:
                batch = batch.reshape(-1, 1)
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        """Count the tokens of one batch."""
        self._lookup_layer.update_state(self._preprocess(data))

    def finalize_state(self):
        """Set the vocabulary from the counts."""
        self._lookup_layer.finalize_state()

    def reset_state(self):
        """Forget the counts of a previous ``adapt``."""
        self._lookup_layer.reset_state()

    # ---- call ---------------------------------------------------------------------------
    def _strings(self, inputs):
        if isinstance(inputs, tf.Tensor | tf.RaggedTensor):
            if inputs.dtype != tf.string:
                raise TypeError(
                    f"TextVectorization expects string inputs. Received: dtype={inputs.dtype}"
                )
            return inputs
        strings = _adapt.string_tensor(inputs, self._encoding)
        if strings is None:
            raise TypeError(f"TextVectorization expects string inputs. Received: {inputs}")
        return strings

    def _preprocess(self, inputs):
        return self._tokenize(self._standardized(inputs))

    def _tokenize(self, inputs):
        """Standardized strings split (ragged) and joined into ngrams."""
        if self._split == "whitespace":
            inputs = tf.strings.split(inputs)
        elif self._split == "character":
            inputs = tf.strings.unicode_split(inputs, "UTF-8")
        elif self._split is not None:
            inputs = self._split(inputs)
        if self._ngrams is not None:
            inputs = tf.strings.ngrams(inputs, ngram_width=self._ngrams, separator=" ")
        return inputs

    def _standardized(self, inputs):
        """Standardized strings, an axis of 1 squeezed when they will be split."""
        inputs = self._strings(inputs)
        if self._standardize in ("lower", "lower_and_strip_punctuation"):
            inputs = tf.strings.lower(inputs)
        if self._standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            inputs = tf.strings.regex_replace(inputs, _PUNCTUATION, "")
        if callable(self._standardize):
            inputs = self._standardize(inputs)
        if self._split is not None:
            rank = inputs.shape.rank
            if rank is not None and rank > 1:
                if inputs.shape[-1] != 1:
                    raise ValueError(
                        "When using `TextVectorization` to tokenize strings, the input rank "
                        "must be 1 or the last shape dimension must be 1. Received: "
                        f"inputs.shape={inputs.shape} with rank={rank}"
                    )
                inputs = tf.squeeze(inputs, axis=-1)  # the strings of an axis of 1
        return inputs

    def _token_ids(self, inputs, width=None):
        """The lookup layer's output on the tokens (or ngrams) of ``inputs``. Whitespace
        split 1-D strings are split, joined into ngrams and looked up in one host pass (with
        ``width``, straight into ``[rows, width]`` int ids padded with 0)."""
        lookup = self._lookup_layer
        table = lookup._table
        strings = self._standardized(inputs)
        fused = self._split == "whitespace" and table is not None and lookup.num_oov_indices == 1
        if not (fused and isinstance(strings, tf.Tensor) and strings.shape.rank == 1):
            return lookup.call(self._tokenize(strings))
        lookup._ensure_known_vocab_size()
        if width is not None:
            return table.lookup_split_ngrams(strings, self._ngrams or 1, " ", width=width)
        ids = table.lookup_split_ngrams(strings, self._ngrams or 1, " ")
        return lookup._ragged_output(ids)

    def call(self, inputs):
        length = self._output_sequence_length
        dense = self._output_mode == "int" and not self._ragged and length is not None
        ids = self._token_ids(inputs, length if dense else None)
        if self._output_mode != "int":
            return ids
        if isinstance(ids, tf.RaggedTensor):
            if self._ragged:
                return ids if length is None else ids[:, :length]
            return ragged_to_dense(ids, length)
        if length is None:
            return ids
        width = ids.shape[-1]
        if width == length:
            return ids
        ids = ids[..., :length]
        if width is not None and width < length:
            pad = [[0, 0]] * (ids.shape.rank - 1) + [[0, length - width]]
            ids = tf.pad(ids, pad)
        return ids

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self._output_mode == "int":
            return (input_shape[0], self._output_sequence_length)
        if self._split is None:
            if len(input_shape) <= 1:
                input_shape = (*input_shape, 1)
        else:
            input_shape = (*input_shape, None)
        return self._lookup_layer.compute_output_shape(input_shape)

    def compute_output_spec(self, inputs):
        from .._input import KerasTensor

        dtype = "int64" if self._output_mode == "int" else "float32"
        if self._output_mode in ("one_hot", "multi_hot", "count"):
            dtype = "int64"
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype)

    # ---- saving -------------------------------------------------------------------------
    def get_config(self):
        lookup = self._lookup_layer
        return {
            **super().get_config(),
            "max_tokens": lookup.max_tokens,
            "standardize": self._standardize,
            "split": self._split,
            "ngrams": self._ngrams_arg,
            "output_mode": self._output_mode,
            "output_sequence_length": self._output_sequence_length,
            "pad_to_max_tokens": lookup.pad_to_max_tokens,
            "sparse": lookup.sparse,
            "ragged": self._ragged,
            "vocabulary": lookup.get_config()["vocabulary"],
            "idf_weights": lookup.get_config()["idf_weights"],
            "encoding": self._encoding,
            "vocabulary_size": self.vocabulary_size(),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)

    def save_own_variables(self, store):
        self._lookup_layer.save_own_variables(store)

    def load_own_variables(self, store):
        self._lookup_layer.load_own_variables(store)

    def save_assets(self, dir_path):
        """The adapted vocabulary, as ``StringLookup`` writes it."""
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path):
        """Read the vocabulary ``save_assets`` wrote."""
        self._lookup_layer.load_assets(dir_path)
