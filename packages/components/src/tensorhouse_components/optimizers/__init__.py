"""Optimizers (``keras.optimizers``): Keras 3's optimizers, ``LossScaleOptimizer``, learning-rate
``schedules`` and ``get`` / ``serialize`` / ``deserialize``."""

from __future__ import annotations

from .. import _serialization
from . import schedules
from ._adadelta import Adadelta
from ._adafactor import Adafactor
from ._adagrad import Adagrad
from ._adam import Adam, AdamW
from ._adamax import Adamax
from ._ftrl import Ftrl
from ._lamb import Lamb
from ._lion import Lion
from ._loss_scale_optimizer import LossScaleOptimizer
from ._multi_optimizer import MultiOptimizer, OptimizerMap
from ._muon import Muon
from ._nadam import Nadam
from ._optimizer import Optimizer
from ._rmsprop import RMSprop
from ._schedule_free_adamw import ScheduleFreeAdamW
from ._sgd import SGD

__all__ = [
    "SGD", "Adadelta", "Adafactor", "Adagrad", "Adam", "AdamW", "Adamax", "Ftrl", "Lamb", "Lion",
    "LossScaleOptimizer", "MultiOptimizer", "Muon", "Nadam", "Optimizer", "OptimizerMap",
    "RMSprop", "ScheduleFreeAdamW", "deserialize", "get", "schedules", "serialize",
]  # fmt: skip

_CLASSES = (
    SGD, Adadelta, Adafactor, Adagrad, Adam, AdamW, Adamax, Ftrl, Lion, LossScaleOptimizer,
    MultiOptimizer, Muon, Nadam, OptimizerMap, RMSprop, ScheduleFreeAdamW,
)  # fmt: skip
_TABLE = {c.__name__: c for c in _CLASSES} | {c.__name__.lower(): c for c in _CLASSES}
# Keras's get() leaves Lamb out of its table (its deserialize returns the name); here
# deserialize() knows it.
_DESERIALIZABLE = _TABLE | {"Lamb": Lamb, "lamb": Lamb}


def serialize(optimizer) -> dict:
    """Keras's dict form of an optimizer (``module``, ``class_name``, ``config``)."""
    return _serialization.serialize(optimizer, "keras.optimizers")


def deserialize(config, custom_objects=None):
    """An optimizer from its dict form; built-in class names match in any case."""
    if isinstance(config, dict) and isinstance(config.get("class_name"), str):
        name = config["class_name"]
        if name not in _DESERIALIZABLE and name.lower() in _DESERIALIZABLE:
            config = {**config, "class_name": name.lower()}
    return _serialization.deserialize(config, _DESERIALIZABLE, "optimizer", custom_objects)


def get(identifier, custom_objects=None):
    """A name (``"sgd"``, ``"adam"``, ``"adagrad"``, ``"nadam"``, ``"ftrl"``, ... in any case;
    default arguments), a config dict or an Optimizer instance."""
    if isinstance(identifier, str) and identifier not in _TABLE and identifier.lower() in _TABLE:
        identifier = identifier.lower()
    obj = _serialization.resolve(identifier, _TABLE, "optimizer", custom_objects)
    if obj is not None and not isinstance(obj, Optimizer):
        raise ValueError(
            f"Could not interpret optimizer identifier: {identifier!r} (not an Optimizer)"
        )
    return obj
