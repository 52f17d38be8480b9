"""``tf.data.experimental``: the older names TF keeps for some of ``Dataset``'s members."""

from ._csv import CsvDataset, make_csv_dataset
from ._dataset import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset
from ._optional import Optional
from ._options import ThreadingOptions

__all__ = [
    "AUTOTUNE",
    "CsvDataset",
    "INFINITE_CARDINALITY",
    "Optional",
    "UNKNOWN_CARDINALITY",
    "ThreadingOptions",
    "cardinality",
    "choose_from_datasets",
    "dense_to_ragged_batch",
    "make_csv_dataset",
    "sample_from_datasets",
]


def sample_from_datasets(datasets, weights=None, seed=None, stop_on_empty_dataset=False):
    """``Dataset.sample_from_datasets``."""
    return Dataset.sample_from_datasets(datasets, weights, seed, stop_on_empty_dataset)


def choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset=True):
    """``Dataset.choose_from_datasets``."""
    return Dataset.choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset)


def dense_to_ragged_batch(batch_size, drop_remainder=False, row_splits_dtype="int64"):
    """``Dataset.ragged_batch`` as a transformation for ``Dataset.apply``."""
    return lambda dataset: dataset.ragged_batch(batch_size, drop_remainder, row_splits_dtype)


def cardinality(dataset):
    """``dataset.cardinality()``."""
    return dataset.cardinality()
