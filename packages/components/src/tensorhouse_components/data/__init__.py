"""Input pipelines (``tf.data``): ``Dataset``, ``TextLineDataset``, ``Options`` and the
constants."""

from . import experimental
from ._dataset import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset, DatasetSpec
from ._optional import Optional, OptionalSpec
from ._options import Options, ThreadingOptions
from ._readers import TextLineDataset, TFRecordDataset

__all__ = [
    "AUTOTUNE",
    "INFINITE_CARDINALITY",
    "UNKNOWN_CARDINALITY",
    "Dataset",
    "DatasetSpec",
    "Optional",
    "OptionalSpec",
    "Options",
    "TFRecordDataset",
    "TextLineDataset",
    "ThreadingOptions",
    "experimental",
]
