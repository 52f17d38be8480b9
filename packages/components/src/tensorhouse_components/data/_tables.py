"""``experimental.DatasetInitializer``, ``table_from_dataset`` and ``index_table_from_dataset``:
lookup tables filled from a dataset of ``(key, value)`` pairs (or of keys, valued by position)."""

from __future__ import annotations

import numpy as np

from tensorhouse_ops import TensorSpec, constant
from tensorhouse_ops import lookup as _lookup

from . import _structure as st

__all__ = ["DatasetInitializer", "index_table_from_dataset", "table_from_dataset"]


class DatasetInitializer(_lookup.KeyValueTensorInitializer):
    """A table initializer taking the keys and values of a dataset of ``(key, value)`` scalar
    pairs (read once, when made)."""

    def __init__(self, dataset):
        spec = dataset.element_spec
        if not (isinstance(spec, tuple) and len(spec) == 2
                and all(isinstance(s, TensorSpec) and s.shape == [] for s in spec)):  # fmt: skip
            raise ValueError(
                "The dataset for a `DatasetInitializer` must have exactly two scalar components "
                f"(keys and values); received element_spec {spec}"
            )
        pairs = list(dataset._host_iter())
        keys, values = ([p[i] for p in pairs] for i in (0, 1))
        super().__init__(_tensor(keys, spec[0]), _tensor(values, spec[1]))
        self.dataset = dataset


def _tensor(values, spec):
    if st.dtype_name(spec.dtype) == "string":
        out = np.empty(len(values), dtype=object)
        out[:] = [v[()] for v in values]
        return constant(out, dtype="string")
    return constant(np.asarray(values, dtype=st.dtype_name(spec.dtype)))


def table_from_dataset(dataset=None, num_oov_buckets=0, vocab_size=None, default_value=None,
                       hasher_spec=None, key_dtype="string", name=None):  # fmt: skip
    """A ``StaticHashTable`` of the dataset's ``(key, value)`` pairs (the first ``vocab_size``),
    or with ``num_oov_buckets`` a ``StaticVocabularyTable`` sending unknown keys to buckets."""
    if dataset is None:
        raise ValueError("dataset must be specified.")
    if int(num_oov_buckets) < 0:
        raise ValueError(f"num_oov_buckets must be greater or equal than 0, got {num_oov_buckets}.")
    if vocab_size is not None:
        if int(vocab_size) < 1:
            raise ValueError(f"vocab_size must be greater than 0, got {vocab_size}.")
        dataset = dataset.take(vocab_size)
    key = dataset.element_spec[0]
    if st.dtype_name(key.dtype) != st.dtype_name(key_dtype):
        raise ValueError(f"`key_dtype` must match the dataset's keys' dtype; got {key_dtype} "
                         f"and {key.dtype!r}")  # fmt: skip
    initializer = DatasetInitializer(dataset)
    if int(num_oov_buckets):
        return _lookup.StaticVocabularyTable(initializer, int(num_oov_buckets), name=name)
    return _lookup.StaticHashTable(initializer, default_value, name=name)


def index_table_from_dataset(dataset=None, num_oov_buckets=0, vocab_size=None, default_value=-1,
                             hasher_spec=None, key_dtype="string", name=None):  # fmt: skip
    """``table_from_dataset`` of ``(key, position)``: each key to its int64 index."""
    if dataset is None:
        raise ValueError("dataset must be specified.")
    pairs = dataset.enumerate().map(lambda i, k: (k, i))
    return table_from_dataset(pairs, num_oov_buckets, vocab_size, default_value, hasher_spec,
                              key_dtype, name)  # fmt: skip
