"""Saving (``keras.saving``): Keras 3.15's ``.keras`` and ``.weights.h5`` files, through h5py.

``save_model(model, filepath)`` / ``load_model(filepath)`` write and read the whole-model
``.keras`` archive (``metadata.json``, ``config.json``, ``model.weights.h5``);
``save_weights(model, filepath)`` / ``load_weights(model, filepath)`` the ``.weights.h5`` layout
(``layers/dense/vars/0``, ``optimizer/vars/0``, ...), or with ``max_shard_size`` a
``.weights.json`` index and its ``*_00000.weights.h5`` shards. Each reads real Keras's files
and real Keras reads theirs. Loading reads JSON and numeric arrays only: nothing in a file is
executed. ``register_keras_serializable`` makes a user class known to ``load_model``, as do
``get_custom_objects()`` and ``CustomObjectScope``; ``serialize_keras_object`` /
``deserialize_keras_object`` turn single objects into Keras 3's dicts and back.
"""

from ._keras_file import load_model, save_model
from ._registry import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from ._serialize import deserialize_keras_object, serialize_keras_object
from ._weights_h5 import load_weights, save_weights

__all__ = [
    "CustomObjectScope", "custom_object_scope", "deserialize_keras_object", "get_custom_objects",
    "get_registered_name", "get_registered_object", "load_model", "load_weights",
    "register_keras_serializable", "save_model", "save_weights", "serialize_keras_object",
]  # fmt: skip
