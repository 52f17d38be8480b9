"""Utilities (``keras.utils``): seeding, data packing, ``PyDataset`` (and its old name
``Sequence``), ``FeatureSpace``, the array and image helpers, ``Config``, dtype and
``KerasTensor`` helpers, the interactive logging switch and ``get_custom_objects``."""

from tensorhouse_components import register_serializable
from tensorhouse_components.utils import (
    Config,
    array_to_img,
    clear_session,
    disable_interactive_logging,
    enable_interactive_logging,
    get_source_inputs,
    img_to_array,
    is_interactive_logging_enabled,
    is_keras_tensor,
    load_img,
    normalize,
    pad_sequences,
    save_img,
    set_random_seed,
    standardize_dtype,
    to_categorical,
)
from tensorhouse_components.utils import FeatureSpace as _ComponentsFeatureSpace

from ._audio_dataset import audio_dataset_from_directory
from ._dataset_utils import (
    image_dataset_from_directory,
    split_dataset,
    text_dataset_from_directory,
    timeseries_dataset_from_array,
)
from ._file_utils import get_file
from ._model_visualization import model_to_dot, plot_model
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

Sequence = PyDataset  # Keras 3's alias


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
    "Config", "Sequence", "array_to_img", "disable_interactive_logging",
    "enable_interactive_logging", "get_source_inputs", "img_to_array",
    "is_interactive_logging_enabled", "is_keras_tensor", "load_img", "save_img",
    "standardize_dtype",
    "model_to_dot", "plot_model", "audio_dataset_from_directory",
]  # fmt: skip
