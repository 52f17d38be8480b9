"""Metrics (``keras.metrics``): stateful objects with ``update_state``, ``result`` and
``reset_state``.

State lives in non-trainable Variables and every update is made of ops, so metrics run the same
eagerly and inside ``tensorhouse_ops.function``. The per-sample functions that Keras exports
from ``keras.metrics`` (``mean_squared_error``, ``hinge``, ...) are those of ``losses``, and the
metric classes compute with them (so ``metrics.mse is losses.mse``, as in Keras).
"""

from __future__ import annotations

from .. import _serialization
from ._accuracy import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from ._confusion import (
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    PrecisionAtRecall,
    Recall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    TrueNegatives,
    TruePositives,
)
from ._f_score import F1Score, FBetaScore
from ._hinge import CategoricalHinge, Hinge, SquaredHinge
from ._iou import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from ._metric import Metric
from ._probabilistic import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
)
from ._reduction import Mean, MeanMetricWrapper, Sum
from ._regression import (
    ConcordanceCorrelation,
    CosineSimilarity,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    PearsonCorrelation,
    R2Score,
    RootMeanSquaredError,
    concordance_correlation,
    cosine_similarity,
    pearson_correlation,
)

_CLASSES = (
    Metric, Mean, Sum, MeanMetricWrapper,
    MeanSquaredError, RootMeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, CosineSimilarity, LogCoshError, R2Score, PearsonCorrelation,
    ConcordanceCorrelation,
    AUC, FalseNegatives, FalsePositives, Precision, PrecisionAtRecall, Recall,
    RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity, TrueNegatives,
    TruePositives,
    Hinge, SquaredHinge, CategoricalHinge,
    KLDivergence, Poisson, BinaryCrossentropy, CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy,
    F1Score, FBetaScore,
    IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU,
)  # fmt: skip

# The per-sample functions ``keras.metrics`` exports; the loss ones come from ``losses``.
_LOSS_FUNCTIONS = (
    "binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy",
    "categorical_focal_crossentropy", "categorical_hinge", "hinge", "huber",
    "kl_divergence", "log_cosh", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_error", "mean_squared_logarithmic_error", "poisson",
    "sparse_categorical_crossentropy", "squared_hinge",
)  # fmt: skip
_OWN_FUNCTIONS = {
    f.__name__: f
    for f in (
        accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
        sparse_top_k_categorical_accuracy, top_k_categorical_accuracy, pearson_correlation,
        concordance_correlation,
    )
}  # fmt: skip

__all__ = sorted(
    [c.__name__ for c in _CLASSES]
    + list(_OWN_FUNCTIONS)
    + list(_LOSS_FUNCTIONS)
    + ["deserialize", "get", "serialize"]
)


def _loss_function(name):
    """``losses.<name>``: the metric classes compute with these same functions."""
    from .. import losses

    return getattr(losses, name)


def __getattr__(name):
    if name in _LOSS_FUNCTIONS:
        return _loss_function(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _table():
    """Names ``get`` accepts: Keras 3's (class names, their snake_case, short aliases)."""
    table: dict[str, object] = {c.__name__: c for c in _CLASSES}  # classes and functions
    table |= {_serialization.snake_case(c.__name__): c for c in _CLASSES}
    for short, cls in (("bce", BinaryCrossentropy), ("mse", MeanSquaredError),
                       ("mae", MeanAbsoluteError), ("mape", MeanAbsolutePercentageError),
                       ("msle", MeanSquaredLogarithmicError)):  # fmt: skip
        table[short] = table[short.upper()] = cls
    # Kept from this package's earlier releases (and relied on by the models layer, which
    # names a compiled metric after the function it gets): "mse" / "mae" give the function,
    # and "accuracy" / "acc" the element-wise ``accuracy`` (``compile`` picks the accuracy
    # class from the shapes before it asks ``get``).
    table["mse"] = _loss_function("mean_squared_error")
    table["mae"] = _loss_function("mean_absolute_error")
    table["accuracy"] = table["acc"] = accuracy
    return table


def _functions():
    return {**_OWN_FUNCTIONS, **{n: _loss_function(n) for n in _LOSS_FUNCTIONS},
            "cosine_similarity": cosine_similarity}  # fmt: skip


def serialize(metric):
    """A metric's config dict (Keras's form), or a function's name."""
    if isinstance(metric, Metric):
        return _serialization.serialize(metric, "keras.metrics")
    return getattr(metric, "__name__", metric)


def deserialize(config, custom_objects=None):
    """A metric from ``serialize``'s output (a config dict or a function's name)."""
    if isinstance(config, str):
        fn = (custom_objects or {}).get(config) or _functions().get(config)
        return fn if fn is not None else get(config, custom_objects)
    return _serialization.deserialize(config, _table(), "metric", custom_objects)


def get(identifier, custom_objects=None):
    """A metric from a name (a class name or alias gives a new instance), a config dict, a
    metric or a function."""
    return _serialization.resolve(identifier, _table(), "metric", custom_objects)
