"""Learning-rate schedules (``keras.optimizers.schedules``): callables on the step counter."""

from __future__ import annotations

from ... import _serialization
from ._learning_rate_schedule import (
    CosineDecay,
    CosineDecayRestarts,
    ExponentialDecay,
    InverseTimeDecay,
    LearningRateSchedule,
    PiecewiseConstantDecay,
    PolynomialDecay,
)

__all__ = [
    "CosineDecay", "CosineDecayRestarts", "ExponentialDecay", "InverseTimeDecay",
    "LearningRateSchedule", "PiecewiseConstantDecay", "PolynomialDecay", "deserialize",
    "serialize",
]  # fmt: skip

_TABLE = {
    c.__name__: c
    for c in (
        CosineDecay, CosineDecayRestarts, ExponentialDecay, InverseTimeDecay,
        LearningRateSchedule, PiecewiseConstantDecay, PolynomialDecay,
    )
}  # fmt: skip


def serialize(learning_rate_schedule) -> dict:
    """Keras's dict form of a schedule (``module``, ``class_name``, ``config``)."""
    return _serialization.serialize(learning_rate_schedule, "keras.optimizers.schedules")


def deserialize(config, custom_objects=None):
    """A schedule from its dict form."""
    return _serialization.deserialize(config, _TABLE, "decay", custom_objects)
