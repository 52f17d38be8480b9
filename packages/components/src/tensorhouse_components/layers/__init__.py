"""Layers (``keras.layers``): the ``Layer`` base class, ``Input`` and the core layers."""

from __future__ import annotations

from .. import _serialization
from ._core import Activation, Dense, Dropout, Flatten
from ._input import Input, InputLayer, KerasTensor, Node
from ._layer import Layer

__all__ = [
    "Activation", "Dense", "Dropout", "Flatten", "Input", "InputLayer", "KerasTensor", "Layer",
    "Node", "deserialize", "get", "register_serializable", "serialize",
]  # fmt: skip

register_serializable = _serialization.register_serializable

_TABLE = {c.__name__: c for c in (Activation, Dense, Dropout, Flatten, InputLayer)}


def serialize(layer) -> dict:
    """Keras 3's dict: module, class_name, config, and build_config when built."""
    out = _serialization.serialize(layer, "keras.layers")
    build_config = layer.get_build_config()
    if build_config is not None:
        out["build_config"] = build_config
    return out


def deserialize(config, custom_objects=None):
    """A layer from ``serialize``'s dict; built again when the dict has a build_config."""
    layer = _serialization.deserialize(config, _TABLE, "layer", custom_objects)
    if config.get("build_config"):
        layer.build_from_config(config["build_config"])
    return layer


def get(identifier, custom_objects=None):
    return _serialization.resolve(identifier, _TABLE, "layer", custom_objects, instantiate=False)
