"""Keras 3's ``keras.preprocessing``: the ``image``, ``sequence`` and ``text`` modules and the
dataset builders it re-exports from ``keras.utils``."""

from ..utils import (
    image_dataset_from_directory,
    text_dataset_from_directory,
    timeseries_dataset_from_array,
)
from . import image, sequence, text

__all__ = [
    "image", "image_dataset_from_directory", "sequence", "text", "text_dataset_from_directory",
    "timeseries_dataset_from_array",
]  # fmt: skip
