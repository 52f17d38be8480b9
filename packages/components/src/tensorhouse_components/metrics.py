"""Metrics (``keras.metrics``): stateful objects with ``update_state``, ``result``, ``reset_state``.

The state lives in non-trainable ops variables and is updated with ops. Accuracy metrics that
need an argmax compute it on the host (no ArgMax op yet); labels and predictions carry no
gradient there, so nothing is lost but speed.
"""

from __future__ import annotations

import numpy as np

from tensorhouse_ops import (
    Tensor,
    Variable,
    broadcast_to,
    cast,
    convert_to_tensor,
    dtypes,
    equal,
    expand_dims,
    greater,
    maximum,
    reduce_mean,
    reduce_sum,
    sqrt,
    squeeze,
    zeros,
)

from . import _naming, _serialization
from . import losses as _losses

__all__ = [
    "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "Mean", "MeanAbsoluteError",
    "MeanMetricWrapper", "MeanSquaredError", "Metric", "RootMeanSquaredError",
    "SparseCategoricalAccuracy", "Sum", "accuracy", "binary_accuracy", "categorical_accuracy",
    "deserialize", "get", "serialize", "sparse_categorical_accuracy",
]  # fmt: skip


class Metric:
    """Base class: state variables from ``add_variable``; ``__call__`` updates then reads."""

    def __init__(self, dtype=None, name=None):
        self.name = name or _naming.unique_name(type(self).__name__)
        self._dtype = dtypes.as_dtype(dtype or "float32")
        self._variables: list = []

    @property
    def dtype(self) -> str:
        return self._dtype.name

    def add_variable(self, shape=(), initializer="zeros", dtype=None, name=None):
        dtype = dtypes.as_dtype(dtype or self._dtype)
        if initializer not in ("zeros", None):
            raise ValueError(f"Metric variables start at zero. Received: {initializer!r}")
        var = Variable(zeros(list(shape), dtype), trainable=False, name=f"{self.name}/{name}")
        self._variables.append(var)
        return var

    @property
    def variables(self) -> list:
        return list(self._variables)

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement update_state")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must implement result")

    def reset_state(self):
        for v in self._variables:
            v.assign(zeros(v.shape.as_list(), v.dtype))

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def _tensor(x, dtype):
    if isinstance(x, Tensor):
        return x if x.dtype is dtype else cast(x, dtype)
    if isinstance(x, Variable):
        return _tensor(x.value(), dtype)
    return convert_to_tensor(np.asarray(x, dtype=dtype.as_numpy_dtype))


class Sum(Metric):
    """The running sum of the values."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(dtype=dtype, name=name)
        self.total = self.add_variable(name="total")

    def update_state(self, values, sample_weight=None):
        values = _tensor(values, self._dtype)
        if sample_weight is not None:
            values = values * _tensor(sample_weight, self._dtype)
        self.total.assign_add(reduce_sum(values))

    def result(self):
        return self.total.value()


class Mean(Metric):
    """The (weighted) mean of all values seen: ``total / count``."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(dtype=dtype, name=name)
        self.total = self.add_variable(name="total")
        self.count = self.add_variable(name="count")

    def update_state(self, values, sample_weight=None):
        values = _tensor(values, self._dtype)
        if sample_weight is None:
            self.total.assign_add(reduce_sum(values))
            self.count.assign_add(float(values.shape.num_elements()))
            return
        w = _tensor(sample_weight, self._dtype)
        while w.ndim > values.ndim and w.shape[-1] == 1:
            w = squeeze(w, -1)
        while w.ndim < values.ndim:
            w = expand_dims(w, -1)
        w = broadcast_to(w, values.shape.as_list())
        self.total.assign_add(reduce_sum(values * w))
        self.count.assign_add(reduce_sum(w))

    def result(self):
        # total / count, and 0 before any update (Keras's divide_no_nan).
        return self.total.value() / maximum(self.count.value(), 1e-30)


class MeanMetricWrapper(Mean):
    """The mean of a per-sample function ``fn(y_true, y_pred, **kwargs)``."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(values, sample_weight)

    def get_config(self):
        return {**super().get_config(), **self._fn_kwargs}


class MeanSquaredError(MeanMetricWrapper):
    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(_losses.mean_squared_error, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class MeanAbsoluteError(MeanMetricWrapper):
    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(_losses.mean_absolute_error, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class RootMeanSquaredError(MeanSquaredError):
    """``sqrt`` of the mean squared error over everything seen."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def result(self):
        return sqrt(super().result())


# ---- accuracies -----------------------------------------------------------------------------


def _pair(y_true, y_pred):
    y_pred = _tensor(y_pred, dtypes.float32) if not isinstance(y_pred, Tensor) else y_pred
    y_true = _tensor(y_true, y_pred.dtype)
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        y_true = _tensor(np.asarray(y_true.numpy()).squeeze(-1), y_pred.dtype)
    return y_true, y_pred


def accuracy(y_true, y_pred):
    """1.0 where the values are equal, 0.0 elsewhere (one value per element)."""
    y_true, y_pred = _pair(y_true, y_pred)
    return cast(equal(y_true, y_pred), y_pred.dtype)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Mean over the last axis of ``(y_pred > threshold) == y_true``."""
    y_true, y_pred = _pair(y_true, y_pred)
    if y_true.ndim == y_pred.ndim - 1:
        y_true = _tensor(np.asarray(y_true.numpy())[..., None], y_pred.dtype)
    predicted = cast(greater(y_pred, threshold), y_pred.dtype)
    return reduce_mean(cast(equal(y_true, predicted), y_pred.dtype), axis=-1)


def _argmax(x):
    return np.argmax(np.asarray(x.numpy() if isinstance(x, Tensor) else x), axis=-1)


def categorical_accuracy(y_true, y_pred):
    """1.0 where the argmax of the prediction is the argmax of the one-hot label."""
    hits = _argmax(y_true) == _argmax(y_pred)
    return convert_to_tensor(hits.astype(np.float32))


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the argmax of the prediction is the integer label."""
    labels = np.asarray(y_true.numpy() if isinstance(y_true, Tensor) else y_true)
    pred = _argmax(y_pred)
    if labels.ndim == pred.ndim + 1 and labels.shape[-1] == 1:
        labels = labels.squeeze(-1)
    return convert_to_tensor((labels.astype(np.int64) == pred).astype(np.float32))


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` equals the binary label."""

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of the prediction matches the one-hot label."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of the prediction equals the integer label."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


_CLASSES = (
    Accuracy, BinaryAccuracy, CategoricalAccuracy, Mean, MeanAbsoluteError, MeanSquaredError,
    RootMeanSquaredError, SparseCategoricalAccuracy, Sum,
)  # fmt: skip
_TABLE = {c.__name__: c for c in _CLASSES} | {
    "mse": _losses.mean_squared_error,
    "mean_squared_error": _losses.mean_squared_error,
    "mae": _losses.mean_absolute_error,
    "mean_absolute_error": _losses.mean_absolute_error,
    "accuracy": accuracy,
    "acc": accuracy,
    "binary_accuracy": binary_accuracy,
    "categorical_accuracy": categorical_accuracy,
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
    "binary_crossentropy": _losses.binary_crossentropy,
    "categorical_crossentropy": _losses.categorical_crossentropy,
    "sparse_categorical_crossentropy": _losses.sparse_categorical_crossentropy,
}


def serialize(metric):
    if isinstance(metric, Metric):
        return _serialization.serialize(metric, "keras.metrics")
    return getattr(metric, "__name__", metric)


def deserialize(config, custom_objects=None):
    if isinstance(config, str):
        return get(config, custom_objects)
    return _serialization.deserialize(config, _TABLE, "metric", custom_objects)


def get(identifier, custom_objects=None):
    """Keras's rule: a function name (``"mse"``) gives the function, a class name an instance."""
    return _serialization.resolve(identifier, _TABLE, "metric", custom_objects)
