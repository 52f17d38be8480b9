"""Losses (``keras.losses``): per-sample loss functions and ``Loss`` objects with reductions.

A loss function returns one value per sample: the mean over the last axis (``mse``), or the sum
over classes (cross-entropies). A ``Loss`` object reduces those per-sample values; the default
``"sum_over_batch_size"`` is their mean over the batch.
"""

from __future__ import annotations

import numpy as np

from tensorhouse_ops import (
    Tensor,
    cast,
    convert_to_tensor,
    exp,
    expand_dims,
    log,
    math,
    maximum,
    minimum,
    nn,
    reduce_mean,
    reduce_sum,
    square,
    squeeze,
)
from tensorhouse_ops import abs as _abs

from . import _serialization

__all__ = [
    "BinaryCrossentropy", "CategoricalCrossentropy", "Loss", "LossFunctionWrapper",
    "MeanAbsoluteError", "MeanSquaredError", "SparseCategoricalCrossentropy",
    "binary_crossentropy", "categorical_crossentropy", "deserialize", "get", "mae",
    "mean_absolute_error", "mean_squared_error", "mse", "serialize",
    "sparse_categorical_crossentropy",
]  # fmt: skip

EPSILON = 1e-7
REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def _as_float_tensor(x, dtype=None):
    if isinstance(x, Tensor):
        return x if dtype is None or x.dtype is dtype else cast(x, dtype)
    if hasattr(x, "value") and hasattr(x, "assign"):  # a Variable
        return _as_float_tensor(x.value(), dtype)
    arr = np.asarray(x)
    if dtype is None:
        return convert_to_tensor(arr, dtype="float32" if arr.dtype.kind != "f" else None)
    return convert_to_tensor(arr.astype(dtype.as_numpy_dtype, copy=False))


def _prepare(y_true, y_pred):
    """Tensors of the same float dtype and rank (Keras's squeeze-or-expand rule)."""
    y_pred = _as_float_tensor(y_pred)
    y_true = _as_float_tensor(y_true, y_pred.dtype)
    rt, rp = y_true.ndim, y_pred.ndim
    if rt == rp + 1 and y_true.shape[-1] == 1:
        y_true = squeeze(y_true, -1)
    elif rp == rt + 1 and y_pred.shape[-1] == 1:
        y_true = expand_dims(y_true, -1)
    return y_true, y_pred


def _clip(x, lo, hi):
    return minimum(maximum(x, lo), hi)


def mean_squared_error(y_true, y_pred):
    """``mean(square(y_true - y_pred), axis=-1)``: one value per sample."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return reduce_mean(square(y_pred - y_true), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """``mean(abs(y_true - y_pred), axis=-1)``: one value per sample."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return reduce_mean(_abs(y_pred - y_true), axis=-1)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Mean over ``axis`` of the element-wise binary cross-entropy."""
    y_true, y_pred = _prepare(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        # max(x, 0) - x * z + log(1 + exp(-|x|)): stable for large |x|.
        x = y_pred
        per = maximum(x, 0.0) - x * y_true + math.log1p(exp(-_abs(x)))
    else:
        p = _clip(y_pred, EPSILON, 1.0 - EPSILON)
        per = -(y_true * log(p) + (1.0 - y_true) * log(1.0 - p))
    return reduce_mean(per, axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """``-sum(y_true * log(p), axis)`` with ``p`` the predicted class probabilities."""
    y_true, y_pred = _prepare(y_true, y_pred)
    if label_smoothing:
        n = y_pred.shape[axis]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / n
    if from_logits:
        log_p = nn.log_softmax(y_pred, axis=axis)
    else:
        p = y_pred / reduce_sum(y_pred, axis=axis, keepdims=True)
        log_p = log(_clip(p, EPSILON, 1.0 - EPSILON))
    return -reduce_sum(y_true * log_p, axis=axis)


def _one_hot(labels, depth, dtype):
    """Integer labels to one-hot rows, on the host (labels never carry a gradient)."""
    arr = np.asarray(labels.numpy() if isinstance(labels, Tensor) else labels)
    if arr.ndim and arr.shape[-1] == 1:
        arr = arr.reshape(arr.shape[:-1])
    idx = arr.astype(np.int64)
    if idx.size and (idx.min() < 0 or idx.max() >= depth):
        raise ValueError(
            f"sparse_categorical_crossentropy: labels must lie in [0, {depth}). "
            f"Received labels from {idx.min()} to {idx.max()}"
        )
    return convert_to_tensor(np.eye(depth, dtype=dtype.as_numpy_dtype)[idx])


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1):
    """Categorical cross-entropy with integer class labels instead of one-hot rows."""
    y_pred = _as_float_tensor(y_pred)
    y_true = _one_hot(y_true, y_pred.shape[axis], y_pred.dtype)
    return categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error


class Loss:
    """Base class: ``call(y_true, y_pred)`` gives per-sample losses; ``__call__`` reduces."""

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        if reduction not in REDUCTIONS:
            raise ValueError(
                f"Invalid value for argument `reduction`. Expected one of {REDUCTIONS}. "
                f"Received: reduction={reduction!r}"
            )
        self.name = name or _serialization.snake_case(type(self).__name__)
        self.reduction = reduction
        self.dtype = dtype

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred)")

    def __call__(self, y_true, y_pred, sample_weight=None):
        values = self.call(y_true, y_pred)
        if self.dtype is not None:
            values = cast(values, self.dtype)
        return reduce_values(values, sample_weight, self.reduction)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Keras 3's reductions of per-sample losses, optionally weighted per sample.

    ``"sum_over_batch_size"`` and ``"mean"`` divide the sum by the number of values,
    ``"mean_with_sample_weight"`` by the sum of the weights; ``"sum"`` and ``"none"`` say it.
    """
    weights = None
    if sample_weight is not None:
        weights = _as_float_tensor(sample_weight, values.dtype)
        while weights.ndim > values.ndim and weights.shape[-1] == 1:
            weights = squeeze(weights, -1)
        values = values * weights
    if reduction in ("none", None) or values.ndim == 0:
        return values
    total = reduce_sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and weights is not None:
        return total / reduce_sum(weights)
    return total / float(max(values.shape.num_elements(), 1))


class LossFunctionWrapper(Loss):
    """A ``Loss`` around a per-sample function and its keyword arguments."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        return {**super().get_config(), **self._fn_kwargs}


class MeanSquaredError(LossFunctionWrapper):
    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsoluteError(LossFunctionWrapper):
    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, reduction=reduction, name=name, dtype=dtype)


class BinaryCrossentropy(LossFunctionWrapper):
    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_crossentropy",
        dtype=None,
    ):
        super().__init__(
            binary_crossentropy, reduction=reduction, name=name, dtype=dtype,
            from_logits=from_logits, label_smoothing=label_smoothing, axis=axis,
        )  # fmt: skip


class CategoricalCrossentropy(LossFunctionWrapper):
    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(
            categorical_crossentropy, reduction=reduction, name=name, dtype=dtype,
            from_logits=from_logits, label_smoothing=label_smoothing, axis=axis,
        )  # fmt: skip


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    def __init__(
        self,
        from_logits=False,
        reduction="sum_over_batch_size",
        name="sparse_categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(
            sparse_categorical_crossentropy, reduction=reduction, name=name, dtype=dtype,
            from_logits=from_logits,
        )  # fmt: skip


_CLASSES = (
    BinaryCrossentropy, CategoricalCrossentropy, MeanAbsoluteError, MeanSquaredError,
    SparseCategoricalCrossentropy,
)  # fmt: skip
_FUNCTIONS = {
    f.__name__: f
    for f in (
        binary_crossentropy, categorical_crossentropy, mean_absolute_error, mean_squared_error,
        sparse_categorical_crossentropy,
    )
} | {"mse": mse, "mae": mae, "MSE": mse, "MAE": mae}  # fmt: skip
_TABLE = {c.__name__: c for c in _CLASSES} | _FUNCTIONS


def serialize(loss):
    if isinstance(loss, Loss):
        return _serialization.serialize(loss, "keras.losses")
    return getattr(loss, "__name__", loss)


def deserialize(config, custom_objects=None):
    if isinstance(config, str):
        return get(config, custom_objects)
    return _serialization.deserialize(config, _TABLE, "loss", custom_objects)


def get(identifier, custom_objects=None):
    """A name gives the function (``"mse"``) or class instance (``"MeanSquaredError"``)."""
    return _serialization.resolve(identifier, _TABLE, "loss", custom_objects)
