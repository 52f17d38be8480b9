"""Utilities (``keras.utils``): seeding, data packing, ``PyDataset``, ``FeatureSpace``, the
array helpers (``to_categorical``, ``normalize``, ``pad_sequences``) and ``get_custom_objects``."""

from tensorhouse_components import register_serializable
from tensorhouse_components.utils import FeatureSpace as _ComponentsFeatureSpace
from tensorhouse_components.utils import (
    clear_session,
    normalize,
    pad_sequences,
    set_random_seed,
    to_categorical,
)

from ._dataset_utils import (
    image_dataset_from_directory,
    split_dataset,
    text_dataset_from_directory,
    timeseries_dataset_from_array,
)
from ._file_utils import get_file
from .callbacks import Progbar
from .saving import (
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    serialize_keras_object,
)
from .trainers._epoch_iterator import pack_x_y_sample_weight, unpack_x_y_sample_weight
from .trainers._py_dataset import PyDataset


@register_serializable("keras.utils")
class FeatureSpace(_ComponentsFeatureSpace):
    """Keras's ``keras.utils.FeatureSpace``, with ``save`` to a ``.keras`` file."""

    _keras_module = "keras.utils"  # saved as Keras saves it, so real Keras loads the file

    def save(self, filepath):
        """Save to a ``.keras`` file; ``keras.models.load_model`` reads it back."""
        from .saving import save_model

        save_model(self, filepath)


__all__ = [
    "CustomObjectScope", "custom_object_scope", "deserialize_keras_object",
    "get_registered_name", "get_registered_object", "register_keras_serializable",
    "serialize_keras_object",
    "FeatureSpace", "Progbar", "PyDataset", "clear_session", "get_custom_objects", "get_file",
    "image_dataset_from_directory", "normalize", "pack_x_y_sample_weight", "pad_sequences",
    "set_random_seed", "split_dataset", "text_dataset_from_directory",
    "timeseries_dataset_from_array", "to_categorical", "unpack_x_y_sample_weight",
]  # fmt: skip
