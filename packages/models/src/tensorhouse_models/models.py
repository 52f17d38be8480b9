"""``keras.models``: the model classes, ``clone_model``, ``model_from_json``, ``save_model``
and ``load_model``."""

from __future__ import annotations

import json

from ._cloning import clone_model
from ._functional import Functional
from ._model import Model, deserialize_layer
from ._sequential import Sequential
from .saving import load_model, save_model

__all__ = [
    "Functional", "Model", "Sequential", "clone_model", "load_model", "model_from_json",
    "save_model",
]  # fmt: skip


def model_from_json(json_string, custom_objects=None):
    """A model (new weights) from ``Model.to_json()``'s string; classes come from the layer
    registry and ``custom_objects``, never from code in the string."""
    try:
        config = json.loads(json_string)
    except (TypeError, json.JSONDecodeError) as e:
        raise ValueError(f"model_from_json expects a JSON string. Received: {json_string!r}") from e
    return deserialize_layer(config, custom_objects)
