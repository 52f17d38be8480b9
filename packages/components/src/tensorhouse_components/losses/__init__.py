"""Losses (``keras.losses``): per-sample loss functions and ``Loss`` objects with reductions.

A loss function returns one value per sample (for instance the mean over the last axis for
``mse``, the sum over classes for the cross-entropies). A ``Loss`` object converts its inputs to
its ``dtype``, applies ``sample_weight`` and any mask, and reduces; the default
``"sum_over_batch_size"`` is the mean over all the per-sample values.
"""

from __future__ import annotations

from .. import _serialization
from ._ctc import CTC, ctc
from ._hinge import (
    CategoricalHinge,
    Hinge,
    SquaredHinge,
    categorical_hinge,
    hinge,
    squared_hinge,
)
from ._loss import (
    EPSILON,
    REDUCTIONS,
    Loss,
    LossFunctionWrapper,
    reduce_values,
    serialize_function,
)
from ._probabilistic import (
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    CategoricalGeneralizedCrossEntropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_generalized_cross_entropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from ._regression import (
    CosineSimilarity,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    cosine_similarity,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from ._segmentation import Dice, Tversky, dice, tversky
from ._similarity import Circle, circle

# tf.keras.losses's short names.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh


class Reduction:
    """tf.keras's legacy names of the reductions."""

    AUTO = "auto"
    NONE = "none"
    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"

    @classmethod
    def all(cls):
        """The four legacy keys."""
        return (cls.AUTO, cls.NONE, cls.SUM, cls.SUM_OVER_BATCH_SIZE)

    @classmethod
    def validate(cls, key):
        """A ValueError unless ``key`` is one of ``all()``."""
        if key not in cls.all():
            raise ValueError(f'Invalid Reduction Key: {key}. Expected keys are "{cls.all()}"')


_CLASSES = (
    Loss, LossFunctionWrapper, BinaryCrossentropy, BinaryFocalCrossentropy, CTC, Circle,
    CategoricalCrossentropy, CategoricalFocalCrossentropy, CategoricalHinge, CosineSimilarity,
    Dice, Hinge, Huber, KLDivergence, LogCosh, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredError, MeanSquaredLogarithmicError, Poisson, SparseCategoricalCrossentropy,
    SquaredHinge, Tversky,
)  # fmt: skip
_FUNCTIONS = (
    binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,
    categorical_focal_crossentropy, categorical_hinge, circle, cosine_similarity, ctc, dice,
    hinge, huber, kl_divergence, log_cosh, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_error, mean_squared_logarithmic_error, poisson,
    sparse_categorical_crossentropy, squared_hinge, tversky,
)  # fmt: skip
# What get() accepts by name: Keras's table (class names, function names, short names).
_TABLE = (
    {c.__name__: c for c in _CLASSES}
    | {f.__name__: f for f in _FUNCTIONS}
    | {"bce": binary_crossentropy, "BCE": binary_crossentropy, "kld": kl_divergence,
       "KLD": kl_divergence, "mae": mae, "MAE": mae, "mse": mse, "MSE": mse, "mape": mape,
       "MAPE": mape, "msle": msle, "MSLE": msle}
)  # fmt: skip
# Keras leaves the generalized cross-entropy out of get()'s table; deserialize() knows it.
_DESERIALIZABLE = _TABLE | {
    "CategoricalGeneralizedCrossEntropy": CategoricalGeneralizedCrossEntropy,
    "categorical_generalized_cross_entropy": categorical_generalized_cross_entropy,
}


def serialize(loss):
    """Keras's dict form of a ``Loss`` or a loss function (None stays None)."""
    if loss is None:
        return None
    if isinstance(loss, Loss):
        return _serialization.serialize(loss, "keras.losses")
    if callable(loss) and hasattr(loss, "__name__"):
        return serialize_function(loss)
    raise ValueError(f"Cannot serialize loss: {loss!r}")


def deserialize(name, custom_objects=None):
    """A loss from its name or its dict form (``serialize``'s output)."""
    if isinstance(name, str):
        return _serialization.resolve(name, _DESERIALIZABLE, "loss", custom_objects, False)
    if isinstance(name, dict) and name.get("class_name") == "function":
        fn = name.get("config")
        return _serialization.resolve(fn, _DESERIALIZABLE, "loss", custom_objects, False)
    return _serialization.deserialize(name, _DESERIALIZABLE, "loss", custom_objects)


def get(identifier, custom_objects=None):
    """A loss from an identifier: a function name gives the function (``"mse"``), a class name
    an instance (``"MeanSquaredError"``), a dict its object; callables pass through."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier, custom_objects)
    elif isinstance(identifier, str):
        obj = _serialization.resolve(identifier, _TABLE, "loss", custom_objects, False)
    else:
        obj = identifier
    if isinstance(obj, type):
        return obj()
    if callable(obj):
        return obj
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")


__all__ = [
    "CTC", "EPSILON", "REDUCTIONS", "BinaryCrossentropy", "Circle", "BinaryFocalCrossentropy",
    "CategoricalCrossentropy", "CategoricalFocalCrossentropy",
    "CategoricalGeneralizedCrossEntropy", "CategoricalHinge", "CosineSimilarity", "Dice", "Hinge",
    "Huber", "KLD", "KLDivergence", "LogCosh", "Loss", "LossFunctionWrapper", "MAE", "MAPE", "MSE",
    "MSLE", "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredError",
    "MeanSquaredLogarithmicError", "Poisson", "Reduction", "SparseCategoricalCrossentropy",
    "SquaredHinge", "Tversky", "binary_crossentropy", "binary_focal_crossentropy",
    "categorical_crossentropy", "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy", "categorical_hinge", "circle", "cosine_similarity",
    "ctc", "deserialize", "dice", "get", "hinge", "huber", "kl_divergence", "kld",
    "kullback_leibler_divergence", "log_cosh", "logcosh", "mae", "mape", "mean_absolute_error",
    "mean_absolute_percentage_error", "mean_squared_error", "mean_squared_logarithmic_error",
    "mse", "msle", "poisson", "reduce_values", "serialize", "sparse_categorical_crossentropy",
    "squared_hinge", "tversky",
]  # fmt: skip
