"""``tf.data``: input pipelines."""

from tensorhouse_models import data as _data

AUTOTUNE = _data.AUTOTUNE
INFINITE_CARDINALITY = _data.INFINITE_CARDINALITY
UNKNOWN_CARDINALITY = _data.UNKNOWN_CARDINALITY
Dataset = _data.Dataset
DatasetSpec = _data.DatasetSpec
FixedLengthRecordDataset = _data.FixedLengthRecordDataset
Iterator = _data.Iterator
IteratorSpec = _data.IteratorSpec
NumpyIterator = _data.NumpyIterator
Options = _data.Options
TFRecordDataset = _data.TFRecordDataset
TextLineDataset = _data.TextLineDataset
ThreadingOptions = _data.ThreadingOptions
experimental = _data.experimental

__all__ = [
    "AUTOTUNE",
    "INFINITE_CARDINALITY",
    "UNKNOWN_CARDINALITY",
    "Dataset",
    "DatasetSpec",
    "FixedLengthRecordDataset",
    "Iterator",
    "IteratorSpec",
    "NumpyIterator",
    "Options",
    "TFRecordDataset",
    "TextLineDataset",
    "ThreadingOptions",
    "experimental",
]
