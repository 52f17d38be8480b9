"""Input pipelines (``tf.data``): ``Dataset``, the file datasets, ``Iterator``, ``Options`` and
the constants."""

from . import experimental
from ._dataset import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset, DatasetSpec
from ._iterator import Iterator, IteratorSpec, NumpyIterator
from ._more_sources import FixedLengthRecordDataset
from ._optional import Optional, OptionalSpec
from ._options import Options, ThreadingOptions
from ._readers import TextLineDataset, TFRecordDataset

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
    "Optional",
    "OptionalSpec",
    "Options",
    "TFRecordDataset",
    "TextLineDataset",
    "ThreadingOptions",
    "experimental",
]
