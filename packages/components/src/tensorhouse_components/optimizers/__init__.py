"""Optimizers (``keras.optimizers``): ``SGD``, ``Adam``, ``AdamW``, ``RMSprop`` and ``get``."""

from __future__ import annotations

from .. import _serialization
from ._adam import Adam, AdamW
from ._optimizer import Optimizer
from ._rmsprop import RMSprop
from ._sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "RMSprop", "deserialize", "get", "serialize"]

_CLASSES = (SGD, Adam, AdamW, RMSprop)
_TABLE = {c.__name__: c for c in _CLASSES} | {c.__name__.lower(): c for c in _CLASSES}


def serialize(optimizer) -> dict:
    return _serialization.serialize(optimizer, "keras.optimizers")


def deserialize(config, custom_objects=None):
    return _serialization.deserialize(config, _TABLE, "optimizer", custom_objects)


def get(identifier, custom_objects=None):
    """``"sgd"``, ``"adam"``, ``"adamw"``, ``"rmsprop"`` (default arguments), a config dict or an
    Optimizer instance."""
    obj = _serialization.resolve(identifier, _TABLE, "optimizer", custom_objects)
    if obj is not None and not isinstance(obj, Optimizer):
        raise ValueError(
            f"Could not interpret optimizer identifier: {identifier!r} (not an Optimizer)"
        )
    return obj
