"""Utilities (``keras.utils``): seeding, data packing and ``PyDataset``."""

from tensorhouse_components.utils import clear_session, set_random_seed

from ._dataset_utils import (
    image_dataset_from_directory,
    split_dataset,
    text_dataset_from_directory,
    timeseries_dataset_from_array,
)
from ._file_utils import get_file
from .callbacks import Progbar
from .trainers._epoch_iterator import pack_x_y_sample_weight, unpack_x_y_sample_weight
from .trainers._py_dataset import PyDataset

__all__ = [
    "Progbar", "PyDataset", "clear_session", "get_file", "image_dataset_from_directory",
    "pack_x_y_sample_weight", "set_random_seed", "split_dataset", "text_dataset_from_directory",
    "timeseries_dataset_from_array", "unpack_x_y_sample_weight",
]  # fmt: skip
