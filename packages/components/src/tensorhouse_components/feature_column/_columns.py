"""The feature columns of ``tf.feature_column``: TF's immutable descriptions of raw features
(named tuples, so equal columns compare and hash equal) and the functions that build them."""

from __future__ import annotations

import collections
import math
import os

import numpy as np

import tensorhouse_ops as _o

from .. import initializers as _initializers
from . import _compute

__all__ = [
    "BucketizedColumn", "CategoricalColumn", "CrossedColumn", "DenseColumn", "EmbeddingColumn",
    "FeatureColumn", "HashedCategoricalColumn", "IdentityCategoricalColumn", "IndicatorColumn",
    "NumericColumn", "SequenceCategoricalColumn", "SequenceDenseColumn", "SequenceNumericColumn",
    "SharedEmbeddingColumn", "SharedEmbeddingColumnCreator", "VocabularyFileCategoricalColumn",
    "VocabularyListCategoricalColumn", "WeightedCategoricalColumn", "bucketized_column",
    "categorical_column_with_hash_bucket", "categorical_column_with_identity",
    "categorical_column_with_vocabulary_file", "categorical_column_with_vocabulary_list",
    "crossed_column", "embedding_column", "indicator_column", "make_parse_example_spec",
    "numeric_column", "sequence_categorical_column_with_hash_bucket",
    "sequence_categorical_column_with_identity", "sequence_categorical_column_with_vocabulary_file",
    "sequence_categorical_column_with_vocabulary_list", "sequence_numeric_column",
    "shared_embeddings", "weighted_categorical_column",
]  # fmt: skip


# ---------------------------------------------------------------------------- base classes
class FeatureColumn:
    """A description of how a raw feature becomes a model input."""

    __slots__ = ()

    @property
    def name(self):
        """The column's name, unique among the columns a layer is given."""
        raise NotImplementedError

    @property
    def parse_example_spec(self):
        """The ``tf.io.parse_example`` spec of the raw features this column reads."""
        raise NotImplementedError

    @property
    def parents(self):
        """The columns this column is built on."""
        return []


class DenseColumn(FeatureColumn):
    """A column that yields a dense float tensor of ``variable_shape`` per example."""

    __slots__ = ()

    @property
    def variable_shape(self):
        """The shape of one example's dense tensor."""
        raise NotImplementedError

    def _create_state(self, layer):  # weights of the column, created by the layer's build
        pass

    def _dense(self, cache, state):  # [batch, ...] float32
        raise NotImplementedError


class CategoricalColumn(FeatureColumn):
    """A column that yields integer ids in ``[0, num_buckets)`` per example."""

    __slots__ = ()

    @property
    def num_buckets(self):
        """The number of distinct ids."""
        raise NotImplementedError

    def _ids(self, cache, state):  # an _compute.Ids
        raise NotImplementedError


class SequenceDenseColumn(FeatureColumn):
    """A column that yields a sequence of dense tensors per example."""

    __slots__ = ()


def _key_is_string(key):
    if not isinstance(key, str):
        raise ValueError(f"key must be a string. Got: type {type(key)}. Given key: {key}.")


def _string_or_int(dtype, prefix):
    if dtype != _o.string and not dtype.is_integer:
        raise ValueError(f"{prefix} dtype must be string or integer. dtype: {dtype}.")


def _check_shape(shape, key):
    shape = tuple(shape) if isinstance(shape, list | tuple) else (shape,)
    for d in shape:
        if not isinstance(d, int) or isinstance(d, bool):
            raise TypeError(f"shape dimensions must be integer. shape: {shape}, key: {key}")
        if d < 1:
            raise ValueError(f"shape dimensions must be greater than 0. shape: {shape}, key: {key}")
    return shape


def _filled(shape, value):
    return tuple(_filled(shape[1:], value) for _ in range(shape[0])) if shape else value


def _nested_tuple(v):
    return tuple(_nested_tuple(x) for x in v) if isinstance(v, list | tuple) else v


def _check_default_value(shape, default_value, dtype, key):
    if default_value is None:
        return None
    if isinstance(default_value, int):
        return _filled(shape, default_value)
    if isinstance(default_value, float) and dtype.is_floating:
        return _filled(shape, default_value)
    if callable(getattr(default_value, "tolist", None)):
        default_value = default_value.tolist()
    if isinstance(default_value, list | tuple):
        try:
            arr_shape = np.asarray(default_value, dtype=object).shape
        except ValueError:
            arr_shape = None
        if arr_shape != tuple(shape):
            raise ValueError(
                "The shape of default_value must be equal to given shape. "
                f"default_value: {default_value}, shape: {shape}, key: {key}"
            )
        flat = np.asarray(default_value, dtype=object).reshape(-1).tolist()
        if all(isinstance(v, int) for v in flat):
            return _nested_tuple(default_value)
        if any(isinstance(v, float) for v in flat) and dtype.is_floating:
            return _nested_tuple(default_value)
    raise TypeError(
        "default_value must be compatible with dtype. "
        f"default_value: {default_value}, dtype: {dtype}, key: {key}"
    )


def _check_float_dtype(dtype, key):
    dtype = _o.as_dtype(dtype)
    if not (dtype.is_integer or dtype.is_floating):
        raise ValueError(f"dtype must be convertible to float. dtype: {dtype}, key: {key}")
    return dtype


# ---------------------------------------------------------------------------- numeric
class NumericColumn(
    DenseColumn,
    collections.namedtuple(
        "NumericColumn", ("key", "shape", "default_value", "dtype", "normalizer_fn")
    ),
):
    """Real-valued features of a fixed ``shape``."""

    __slots__ = ()

    @property
    def name(self):
        return self.key

    @property
    def parse_example_spec(self):
        return {self.key: _o.io.FixedLenFeature(self.shape, self.dtype, self.default_value)}

    @property
    def variable_shape(self):
        return _o.TensorShape(self.shape)

    def _transformed(self, cache):
        return cache.memo(self, lambda: _compute.numeric(cache, self))

    def _dense(self, cache, state):
        return self._transformed(cache)


def numeric_column(key, shape=(1,), default_value=None, dtype=_o.float32, normalizer_fn=None):
    """A column of real values of ``shape``; ``normalizer_fn`` runs on the float tensor."""
    shape = _check_shape(shape, key)
    dtype = _check_float_dtype(dtype, key)
    default_value = _check_default_value(shape, default_value, dtype, key)
    if normalizer_fn is not None and not callable(normalizer_fn):
        raise TypeError(f"normalizer_fn must be a callable. Given: {normalizer_fn}")
    _key_is_string(key)
    return NumericColumn(key, shape, default_value, dtype, normalizer_fn)


class BucketizedColumn(
    DenseColumn,
    CategoricalColumn,
    collections.namedtuple("BucketizedColumn", ("source_column", "boundaries")),
):
    """A numeric column cut into buckets by sorted ``boundaries`` (one-hot when dense)."""

    __slots__ = ()

    @property
    def name(self):
        return f"{self.source_column.name}_bucketized"

    @property
    def parse_example_spec(self):
        return self.source_column.parse_example_spec

    @property
    def parents(self):
        return [self.source_column]

    @property
    def variable_shape(self):
        return _o.TensorShape((*self.source_column.shape, len(self.boundaries) + 1))

    @property
    def num_buckets(self):
        return math.prod(self.source_column.shape) * (len(self.boundaries) + 1)

    def _bucket_ids(self, cache):
        return cache.memo(self, lambda: _compute.bucketize(self, cache))

    def _dense(self, cache, state):
        return _compute.bucketized_one_hot(self, self._bucket_ids(cache))

    def _ids(self, cache, state):
        return _compute.bucketized_ids(self, self._bucket_ids(cache))


def bucketized_column(source_column, boundaries):
    """Buckets of a one-dimensional ``numeric_column``: ``boundaries`` ``[a, b]`` make
    ``(-inf, a)``, ``[a, b)`` and ``[b, inf)``."""
    if not isinstance(source_column, NumericColumn):
        raise ValueError(
            "source_column must be a column generated with numeric_column(). "
            f"Given: {source_column}"
        )
    if len(source_column.shape) > 1:
        raise ValueError(f"source_column must be one-dimensional column. Given: {source_column}")
    if not boundaries:
        raise ValueError("boundaries must not be empty.")
    if not isinstance(boundaries, list | tuple):
        raise ValueError("boundaries must be a sorted list.")
    for a, b in zip(boundaries[:-1], boundaries[1:]):
        if a >= b:
            raise ValueError("boundaries must be a sorted list.")
    return BucketizedColumn(source_column, tuple(boundaries))


# ---------------------------------------------------------------------------- categorical
class _SparseKeyColumn(CategoricalColumn):
    """A categorical column read from one raw feature ``key`` (a ``VarLenFeature``)."""

    __slots__ = ()

    @property
    def name(self):
        return self.key

    @property
    def parse_example_spec(self):
        return {self.key: _o.io.VarLenFeature(self.dtype)}

    def _ids(self, cache, state):
        return cache.memo(self, lambda: self._lookup(cache.padded(self.key), cache.tables))

    def _check_input_dtype(self, values):
        if self.dtype.is_integer != values.dtype.is_integer:
            raise ValueError(
                "Column dtype and SparseTensors dtype must be compatible. "
                f"key: {self.key}, column dtype: {self.dtype}, tensor dtype: {values.dtype}"
            )
        _string_or_int(values.dtype, f"column_name: {self.key} input_tensor")


class HashedCategoricalColumn(
    _SparseKeyColumn,
    collections.namedtuple("HashedCategoricalColumn", ("key", "hash_bucket_size", "dtype")),
):
    """Ids by FarmHash ``Fingerprint64`` of the value (integers by their decimal text)."""

    __slots__ = ()

    @property
    def num_buckets(self):
        return self.hash_bucket_size

    def _lookup(self, padded, tables):
        self._check_input_dtype(padded.values)
        return _compute.hash_ids(padded, self.hash_bucket_size)


def categorical_column_with_hash_bucket(key, hash_bucket_size, dtype=_o.string):
    """Ids ``Fingerprint64(value) % hash_bucket_size`` (TF's ``to_hash_bucket_fast``)."""
    if hash_bucket_size is None:
        raise ValueError(f"hash_bucket_size must be set. key: {key}")
    if hash_bucket_size < 1:
        raise ValueError(
            f"hash_bucket_size must be at least 1. hash_bucket_size: {hash_bucket_size}, key: {key}"
        )
    _key_is_string(key)
    dtype = _o.as_dtype(dtype)
    _string_or_int(dtype, f"column_name: {key}")
    return HashedCategoricalColumn(key, hash_bucket_size, dtype)


class VocabularyListCategoricalColumn(
    _SparseKeyColumn,
    collections.namedtuple(
        "VocabularyListCategoricalColumn",
        ("key", "vocabulary_list", "dtype", "default_value", "num_oov_buckets"),
    ),
):
    """Ids by position in an in-memory vocabulary; OOV buckets or ``default_value`` after."""

    __slots__ = ()

    @property
    def num_buckets(self):
        return len(self.vocabulary_list) + self.num_oov_buckets

    def _initializer(self):
        keys = _o.constant(list(self.vocabulary_list), _table_key_dtype(self.dtype))
        ids = _o.range(len(self.vocabulary_list), dtype=_o.int64)
        return _o.lookup.KeyValueTensorInitializer(keys, ids)

    def _lookup(self, padded, tables):
        self._check_input_dtype(padded.values)
        return _compute.table_ids(padded, self, tables)


def _table_key_dtype(dtype):
    return _o.int64 if dtype.is_integer else _o.string


def categorical_column_with_vocabulary_list(
    key, vocabulary_list, dtype=None, default_value=-1, num_oov_buckets=0
):
    """Ids by index in ``vocabulary_list``; others hash into ``num_oov_buckets`` or take
    ``default_value``."""
    if vocabulary_list is None or len(vocabulary_list) < 1:
        raise ValueError(f"vocabulary_list {vocabulary_list} must be non-empty, column_name: {key}")
    if len(set(vocabulary_list)) != len(vocabulary_list):
        raise ValueError(f"Duplicate keys in vocabulary_list {vocabulary_list}, column_name: {key}")
    vocab_dtype = _o.as_dtype(np.array(vocabulary_list).dtype)
    if num_oov_buckets:
        if default_value != -1:
            raise ValueError(f"Can't specify both num_oov_buckets and default_value in {key}.")
        if num_oov_buckets < 0:
            raise ValueError(f"Invalid num_oov_buckets {num_oov_buckets} in {key}.")
    _string_or_int(vocab_dtype, f"column_name: {key} vocabulary")
    if dtype is None:
        dtype = vocab_dtype
    else:
        dtype = _o.as_dtype(dtype)
        if dtype.is_integer != vocab_dtype.is_integer:
            raise ValueError(
                f"dtype {dtype} and vocabulary dtype {vocab_dtype} do not match, column_name: {key}"
            )
    _string_or_int(dtype, f"column_name: {key}")
    _key_is_string(key)
    vocab = tuple(v.item() if isinstance(v, np.generic) else v for v in vocabulary_list)
    return VocabularyListCategoricalColumn(key, vocab, dtype, default_value, num_oov_buckets)


class VocabularyFileCategoricalColumn(
    _SparseKeyColumn,
    collections.namedtuple(
        "VocabularyFileCategoricalColumn",
        (
            "key",
            "vocabulary_file",
            "vocabulary_size",
            "num_oov_buckets",
            "dtype",
            "default_value",
            "file_format",
        ),
    ),  # fmt: skip
):
    """Ids by line number in a vocabulary file (one entry a line)."""

    __slots__ = ()

    @property
    def num_buckets(self):
        return self.vocabulary_size + self.num_oov_buckets

    def _initializer(self):
        return _o.lookup.TextFileInitializer(
            self.vocabulary_file,
            _table_key_dtype(self.dtype),
            _o.lookup.TextFileIndex.WHOLE_LINE,
            _o.int64,
            _o.lookup.TextFileIndex.LINE_NUMBER,
            vocab_size=self.vocabulary_size,
        )

    def _lookup(self, padded, tables):
        self._check_input_dtype(padded.values)
        return _compute.table_ids(padded, self, tables)


def categorical_column_with_vocabulary_file(
    key,
    vocabulary_file,
    vocabulary_size=None,
    num_oov_buckets=0,
    default_value=None,
    dtype=_o.string,
    file_format=None,
):
    """Ids by line in ``vocabulary_file`` (its first ``vocabulary_size`` lines)."""
    if not vocabulary_file:
        raise ValueError(f"Missing vocabulary_file in {key}.")
    if vocabulary_size is None:
        if not os.path.exists(vocabulary_file):
            raise ValueError(f"vocabulary_file in {key} does not exist.")
        with open(vocabulary_file, "rb") as f:
            vocabulary_size = sum(1 for _ in f)
    if vocabulary_size < 1:
        raise ValueError(f"Invalid vocabulary_size in {key}.")
    if num_oov_buckets:
        if default_value is not None:
            raise ValueError(f"Can't specify both num_oov_buckets and default_value in {key}.")
        if num_oov_buckets < 0:
            raise ValueError(f"Invalid num_oov_buckets {num_oov_buckets} in {key}.")
    dtype = _o.as_dtype(dtype)
    _string_or_int(dtype, f"column_name: {key}")
    _key_is_string(key)
    return VocabularyFileCategoricalColumn(
        key, vocabulary_file, vocabulary_size, num_oov_buckets or 0, dtype,
        -1 if default_value is None else default_value, file_format,
    )  # fmt: skip


class IdentityCategoricalColumn(
    _SparseKeyColumn,
    collections.namedtuple("IdentityCategoricalColumn", ("key", "number_buckets", "default_value")),
):
    """Integer features that are their own ids in ``[0, num_buckets)``."""

    __slots__ = ()

    @property
    def num_buckets(self):
        return self.number_buckets

    @property
    def parse_example_spec(self):
        return {self.key: _o.io.VarLenFeature(_o.int64)}

    def _lookup(self, padded, tables):
        if not padded.values.dtype.is_integer:
            raise ValueError(
                f"Invalid input, not integer. key: {self.key} dtype: {padded.values.dtype}"
            )
        return _compute.identity_ids(padded, self.number_buckets, self.default_value)


def categorical_column_with_identity(key, num_buckets, default_value=None):
    """Integer values as ids; out-of-range values take ``default_value`` when given."""
    if num_buckets < 1:
        raise ValueError(f"num_buckets {num_buckets} < 1, column_name {key}")
    if default_value is not None and not 0 <= default_value < num_buckets:
        raise ValueError(
            f"default_value {default_value} not in range [0, {num_buckets}), column_name {key}"
        )
    _key_is_string(key)
    return IdentityCategoricalColumn(key, num_buckets, default_value)


class WeightedCategoricalColumn(
    CategoricalColumn,
    collections.namedtuple(
        "WeightedCategoricalColumn", ("categorical_column", "weight_feature_key", "dtype")
    ),
):
    """A categorical column whose ids carry the weights of feature ``weight_feature_key``."""

    __slots__ = ()

    @property
    def name(self):
        return f"{self.categorical_column.name}_weighted_by_{self.weight_feature_key}"

    @property
    def parse_example_spec(self):
        spec = dict(self.categorical_column.parse_example_spec)
        if self.weight_feature_key in spec:
            raise ValueError(f"Parse config {spec} already exists for {self.weight_feature_key}.")
        spec[self.weight_feature_key] = _o.io.VarLenFeature(self.dtype)
        return spec

    @property
    def parents(self):
        return [self.categorical_column]

    @property
    def num_buckets(self):
        return self.categorical_column.num_buckets

    def _ids(self, cache, state):
        ids = self.categorical_column._ids(cache, state)
        if self.weight_feature_key not in cache.features:
            raise ValueError(f"Missing weights {self.weight_feature_key}.")
        weights = cache.padded(self.weight_feature_key, ignore=0)
        if weights.values.dtype != self.dtype:
            raise ValueError(f"Bad dtype, expected {self.dtype}, but got {weights.values.dtype}.")
        return _compute.with_weights(ids, weights)


def weighted_categorical_column(categorical_column, weight_feature_key, dtype=_o.float32):
    """Ids of ``categorical_column`` weighted by the values of ``weight_feature_key``."""
    dtype = None if dtype is None else _o.as_dtype(dtype)
    if dtype is None or not (dtype.is_integer or dtype.is_floating):
        raise ValueError(f"dtype {dtype} is not convertible to float.")
    return WeightedCategoricalColumn(categorical_column, weight_feature_key, dtype)


class CrossedColumn(
    CategoricalColumn,
    collections.namedtuple("CrossedColumn", ("keys", "hash_bucket_size", "hash_key")),
):
    """Hashed crosses of raw features and categorical columns (TF's ``SparseCrossHashed``)."""

    __slots__ = ()

    @property
    def name(self):
        names = [key if isinstance(key, str) else key.name for key in self._leaves()]
        return "_X_".join(sorted(names))

    @property
    def parse_example_spec(self):
        spec = {}
        for key in self.keys:
            if isinstance(key, str):
                spec[key] = _o.io.VarLenFeature(_o.string)
            else:
                spec.update(key.parse_example_spec)
        return spec

    @property
    def parents(self):
        return list(self.keys)

    @property
    def num_buckets(self):
        return self.hash_bucket_size

    def _leaves(self):
        for key in self.keys:
            if isinstance(key, CrossedColumn):
                yield from key._leaves()
            else:
                yield key

    def _ids(self, cache, state):
        parts = []
        for key in self._leaves():
            if isinstance(key, str):
                parts.append(cache.cross_input(key))
            else:
                ids = key._ids(cache, state)
                if ids.weights is not None:
                    raise ValueError(
                        "crossed_column does not support weight_tensor, but the given column "
                        f"populates weight_tensor. Given column: {key.name}"
                    )
                parts.append((ids.ids, ids.present))
        return _compute.cross(parts, self.hash_bucket_size, self.hash_key)


def crossed_column(keys, hash_bucket_size, hash_key=None):
    """Every combination of the values of ``keys`` (raw feature names or categorical columns),
    hashed into ``hash_bucket_size`` ids."""
    if not hash_bucket_size or hash_bucket_size < 1:
        raise ValueError(f"hash_bucket_size must be > 1. hash_bucket_size: {hash_bucket_size}")
    if not keys or len(keys) < 2:
        raise ValueError(f"keys must be a list with length > 1. Given: {keys}")
    for key in keys:
        if not isinstance(key, str | CategoricalColumn):
            raise ValueError(
                "Unsupported key type. All keys must be either string, or categorical column "
                f"except HashedCategoricalColumn. Given: {key}"
            )
        if isinstance(key, HashedCategoricalColumn):
            raise ValueError(
                "categorical_column_with_hash_bucket is not supported for crossing. Hashing "
                "before crossing will increase probability of collision. Instead, use the "
                f"feature name as a string. Given: {key}"
            )
    return CrossedColumn(tuple(keys), hash_bucket_size, hash_key)


# ---------------------------------------------------------------------------- dense wrappers
class IndicatorColumn(
    DenseColumn, collections.namedtuple("IndicatorColumn", ("categorical_column",))
):
    """Multi-hot counts (or summed weights) of a categorical column's ids."""

    __slots__ = ()

    @property
    def name(self):
        return f"{self.categorical_column.name}_indicator"

    @property
    def parse_example_spec(self):
        return self.categorical_column.parse_example_spec

    @property
    def parents(self):
        return [self.categorical_column]

    @property
    def variable_shape(self):
        return _o.TensorShape([1, self.categorical_column.num_buckets])

    def _dense(self, cache, state):
        if isinstance(self.categorical_column, SequenceCategoricalColumn):
            raise ValueError(
                f"In indicator_column: {self.name}. categorical_column must not be of type "
                "SequenceCategoricalColumn. Suggested fix A: If you wish to use DenseFeatures, "
                "use a non-sequence categorical_column_with_*. Suggested fix B: If you wish to "
                "create sequence input, use SequenceFeatures instead of DenseFeatures. Given "
                f"(type {type(self.categorical_column)}): {self.categorical_column}"
            )
        ids = self.categorical_column._ids(cache, state)
        return _compute.multi_hot(ids, self.categorical_column.num_buckets)


def indicator_column(categorical_column):
    """A dense multi-hot (count) representation of ``categorical_column``."""
    if not isinstance(categorical_column, CategoricalColumn):
        raise ValueError(
            "Unsupported input type. Input must be a CategoricalColumn. "
            f"Given: {categorical_column}"
        )
    return IndicatorColumn(categorical_column)


class EmbeddingColumn(
    DenseColumn,
    collections.namedtuple(
        "EmbeddingColumn",
        (
            "categorical_column",
            "dimension",
            "combiner",
            "initializer",
            "ckpt_to_load_from",
            "tensor_name_in_ckpt",
            "max_norm",
            "trainable",
            "use_safe_embedding_lookup",
        ),
    ),  # fmt: skip
):
    """A trainable ``[num_buckets, dimension]`` table looked up by a categorical column's ids
    and combined per example (``mean``, ``sum`` or ``sqrtn``)."""

    __slots__ = ()

    @property
    def name(self):
        return f"{self.categorical_column.name}_embedding"

    @property
    def parse_example_spec(self):
        return self.categorical_column.parse_example_spec

    @property
    def parents(self):
        return [self.categorical_column]

    @property
    def variable_shape(self):
        return _o.TensorShape([self.dimension])

    def _create_state(self, layer):
        layer._embedding_weights[self.name] = layer.add_weight(
            shape=(self.categorical_column.num_buckets, self.dimension),
            initializer=self.initializer,
            trainable=self.trainable,
            name=f"{self.name}_weights",
        )

    def _dense(self, cache, state):
        if isinstance(self.categorical_column, SequenceCategoricalColumn):
            raise ValueError(
                f"In embedding_column: {self.name}. categorical_column must not be of type "
                "SequenceCategoricalColumn. Suggested fix A: If you wish to use DenseFeatures, "
                "use a non-sequence categorical_column_with_*. Suggested fix B: If you wish to "
                "create sequence input, use SequenceFeatures instead of DenseFeatures. Given "
                f"(type {type(self.categorical_column)}): {self.categorical_column}"
            )
        ids = self.categorical_column._ids(cache, state)
        table = state._embedding_weights[self.name]
        return _compute.embed(table, ids, self.combiner, self.max_norm)


def _default_initializer(dimension):
    return _initializers.TruncatedNormal(mean=0.0, stddev=1 / math.sqrt(dimension))


def embedding_column(
    categorical_column,
    dimension,
    combiner="mean",
    initializer=None,
    ckpt_to_load_from=None,
    tensor_name_in_ckpt=None,
    max_norm=None,
    trainable=True,
    use_safe_embedding_lookup=True,
):
    """A dense embedding of ``categorical_column``; ``initializer`` defaults to a truncated
    normal of stddev ``1 / sqrt(dimension)``."""
    if dimension is None or dimension < 1:
        raise ValueError(f"Invalid dimension {dimension}.")
    if (ckpt_to_load_from is None) != (tensor_name_in_ckpt is None):
        raise ValueError(
            "Must specify both `ckpt_to_load_from` and `tensor_name_in_ckpt` or none of them."
        )
    if initializer is not None and not callable(initializer):
        raise ValueError(
            "initializer must be callable if specified. Embedding of column_name: "
            f"{categorical_column.name}"
        )
    if initializer is None:
        initializer = _default_initializer(dimension)
    return EmbeddingColumn(
        categorical_column, dimension, combiner, initializer, ckpt_to_load_from,
        tensor_name_in_ckpt, max_norm, trainable, use_safe_embedding_lookup,
    )  # fmt: skip


class SharedEmbeddingColumnCreator:
    """Holds what the columns of one ``shared_embeddings`` call share: one table."""

    def __init__(
        self, dimension, initializer, ckpt_to_load_from, tensor_name_in_ckpt, num_buckets,
        trainable, name="shared_embedding_column_creator", use_safe_embedding_lookup=True,
    ):  # fmt: skip
        self._dimension = dimension
        self._initializer = initializer
        self._ckpt_to_load_from = ckpt_to_load_from
        self._tensor_name_in_ckpt = tensor_name_in_ckpt
        self._num_buckets = num_buckets
        self._trainable = trainable
        self._name = name
        self._use_safe_embedding_lookup = use_safe_embedding_lookup

    def __call__(self, categorical_column, combiner, max_norm):
        return SharedEmbeddingColumn(
            categorical_column, self, combiner, max_norm, self._use_safe_embedding_lookup
        )

    @property
    def dimension(self):
        """The embedding width."""
        return self._dimension


class SharedEmbeddingColumn(
    DenseColumn,
    collections.namedtuple(
        "SharedEmbeddingColumn",
        (
            "categorical_column",
            "shared_embedding_column_creator",
            "combiner",
            "max_norm",
            "use_safe_embedding_lookup",
        ),
    ),  # fmt: skip
):
    """An embedding column whose table is shared with the other columns of its creator."""

    __slots__ = ()

    @property
    def name(self):
        return f"{self.categorical_column.name}_shared_embedding"

    @property
    def parse_example_spec(self):
        return self.categorical_column.parse_example_spec

    @property
    def parents(self):
        return [self.categorical_column]

    @property
    def variable_shape(self):
        return _o.TensorShape([self.shared_embedding_column_creator.dimension])

    def _create_state(self, layer):
        creator = self.shared_embedding_column_creator
        if creator._name in layer._embedding_weights:
            return
        layer._embedding_weights[creator._name] = layer.add_weight(
            shape=(creator._num_buckets, creator._dimension),
            initializer=creator._initializer,
            trainable=creator._trainable,
            name=creator._name,
        )

    def _dense(self, cache, state):
        if isinstance(self.categorical_column, SequenceCategoricalColumn):
            raise ValueError(
                f"In embedding_column: {self.name}. categorical_column must not be of type "
                "SequenceCategoricalColumn. Suggested fix A: If you wish to use DenseFeatures, "
                "use a non-sequence categorical_column_with_*. Suggested fix B: If you wish to "
                "create sequence input, use SequenceFeatures instead of DenseFeatures. Given "
                f"(type {type(self.categorical_column)}): {self.categorical_column}"
            )
        ids = self.categorical_column._ids(cache, state)
        table = state._embedding_weights[self.shared_embedding_column_creator._name]
        return _compute.embed(table, ids, self.combiner, self.max_norm)


def _base_categorical(c):
    while isinstance(c, WeightedCategoricalColumn | SequenceCategoricalColumn):
        c = c.categorical_column
    return c


def shared_embeddings(
    categorical_columns,
    dimension,
    combiner="mean",
    initializer=None,
    shared_embedding_collection_name=None,
    ckpt_to_load_from=None,
    tensor_name_in_ckpt=None,
    max_norm=None,
    trainable=True,
    use_safe_embedding_lookup=True,
):
    """Embedding columns of ``categorical_columns`` (same type and bucket count) sharing one
    table. TF 2.21 allows this only in graph mode; here it works eagerly too."""
    if dimension is None or dimension < 1:
        raise ValueError(f"Invalid dimension {dimension}.")
    if (ckpt_to_load_from is None) != (tensor_name_in_ckpt is None):
        raise ValueError(
            "Must specify both `ckpt_to_load_from` and `tensor_name_in_ckpt` or none of them."
        )
    if initializer is not None and not callable(initializer):
        raise ValueError("initializer must be callable if specified.")
    if initializer is None:
        initializer = _default_initializer(dimension)
    ordered = sorted(categorical_columns, key=lambda c: c.name)
    c0 = ordered[0]
    if not isinstance(c0, CategoricalColumn):
        raise ValueError(
            f"All categorical_columns must be subclasses of CategoricalColumn. Given: {c0}, "
            f"of type: {type(c0)}"
        )
    num_buckets = c0.num_buckets
    base0 = _base_categorical(c0)
    for c in ordered[1:]:
        base = _base_categorical(c)
        if not isinstance(base, type(base0)):
            raise ValueError(
                "To use shared_embedding_column, all categorical_columns must have the same "
                "type, or be weighted_categorical_column or sequence column of the same type. "
                f"Given column: {base0} of type: {type(base0)} does not match given column: "
                f"{base} of type: {type(base)}"
            )
        if c.num_buckets != num_buckets:
            raise ValueError(
                "To use shared_embedding_column, all categorical_columns must have the same "
                f"number of buckets. Given column: {c0} with buckets: {num_buckets} does not "
                f"match column: {c} with buckets: {c.num_buckets}"
            )
    if not shared_embedding_collection_name:
        shared_embedding_collection_name = "_".join(c.name for c in ordered) + "_shared_embedding"
    creator = SharedEmbeddingColumnCreator(
        dimension, initializer, ckpt_to_load_from, tensor_name_in_ckpt, num_buckets, trainable,
        shared_embedding_collection_name, use_safe_embedding_lookup,
    )  # fmt: skip
    return [creator(c, combiner, max_norm) for c in categorical_columns]


# ---------------------------------------------------------------------------- sequences
class SequenceNumericColumn(
    SequenceDenseColumn,
    collections.namedtuple(
        "SequenceNumericColumn", ("key", "shape", "default_value", "dtype", "normalizer_fn")
    ),
):
    """A sequence of real values of ``shape`` per step (for ``SequenceFeatures``)."""

    __slots__ = ()

    @property
    def name(self):
        return self.key

    @property
    def parse_example_spec(self):
        return {self.key: _o.io.VarLenFeature(self.dtype)}

    @property
    def variable_shape(self):
        return _o.TensorShape(self.shape)


def sequence_numeric_column(
    key, shape=(1,), default_value=0.0, dtype=_o.float32, normalizer_fn=None
):
    """A sequence of real values of ``shape`` per step."""
    shape = _check_shape(shape, key)
    dtype = _check_float_dtype(dtype, key)
    if normalizer_fn is not None and not callable(normalizer_fn):
        raise TypeError(f"normalizer_fn must be a callable. Given: {normalizer_fn}")
    return SequenceNumericColumn(key, shape, default_value, dtype, normalizer_fn)


class SequenceCategoricalColumn(
    CategoricalColumn,
    collections.namedtuple("SequenceCategoricalColumn", ("categorical_column",)),
):
    """A categorical column whose values are a sequence per example."""

    __slots__ = ()

    @property
    def name(self):
        return self.categorical_column.name

    @property
    def parse_example_spec(self):
        return self.categorical_column.parse_example_spec

    @property
    def parents(self):
        return [self.categorical_column]

    @property
    def num_buckets(self):
        return self.categorical_column.num_buckets

    def _ids(self, cache, state):
        return self.categorical_column._ids(cache, state)


def sequence_categorical_column_with_identity(key, num_buckets, default_value=None):
    """``categorical_column_with_identity`` over a sequence."""
    return SequenceCategoricalColumn(
        categorical_column_with_identity(key, num_buckets, default_value)
    )


def sequence_categorical_column_with_hash_bucket(key, hash_bucket_size, dtype=_o.string):
    """``categorical_column_with_hash_bucket`` over a sequence."""
    return SequenceCategoricalColumn(
        categorical_column_with_hash_bucket(key, hash_bucket_size, dtype)
    )


def sequence_categorical_column_with_vocabulary_file(
    key, vocabulary_file, vocabulary_size=None, num_oov_buckets=0, default_value=None,
    dtype=_o.string,
):  # fmt: skip
    """``categorical_column_with_vocabulary_file`` over a sequence."""
    return SequenceCategoricalColumn(
        categorical_column_with_vocabulary_file(
            key, vocabulary_file, vocabulary_size, num_oov_buckets, default_value, dtype
        )
    )


def sequence_categorical_column_with_vocabulary_list(
    key, vocabulary_list, dtype=None, default_value=-1, num_oov_buckets=0
):
    """``categorical_column_with_vocabulary_list`` over a sequence."""
    return SequenceCategoricalColumn(
        categorical_column_with_vocabulary_list(
            key, vocabulary_list, dtype, default_value, num_oov_buckets
        )
    )


# ---------------------------------------------------------------------------- parse specs
def make_parse_example_spec(feature_columns):
    """The ``tf.io.parse_example`` spec (key -> ``FixedLenFeature`` / ``VarLenFeature``) of all
    the raw features ``feature_columns`` read."""
    result = {}
    for column in feature_columns:
        if not isinstance(column, FeatureColumn):
            raise ValueError(
                f"All feature_columns must be FeatureColumn instances. Given: {column}"
            )
        for key, value in column.parse_example_spec.items():
            if key in result and result[key] != value:
                raise ValueError(
                    f"feature_columns contain different parse_spec for key {key}. "
                    f"Given {value} and {result[key]}"
                )
        result.update(column.parse_example_spec)
    return result
