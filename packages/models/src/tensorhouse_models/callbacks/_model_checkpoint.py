"""``ModelCheckpoint``: save the model (a whole-model ``.keras`` file, or its weights) every
epoch or every N batches, optionally only when a monitored value improves."""

from __future__ import annotations

import os
import warnings

import numpy as np

from ._callback import Callback

__all__ = ["ModelCheckpoint"]

# Keras's metric classes that say which way is better (their ``_direction``), by class name.
_UP = {
    "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "Precision", "Recall",
    "SensitivityAtSpecificity", "SpecificityAtSensitivity", "PrecisionAtRecall",
    "RecallAtPrecision", "AUC", "PearsonCorrelation", "ConcordanceCorrelation", "FBetaScore",
    "F1Score", "IoU", "BinaryIoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU", "CosineSimilarity",
    "R2Score",
}  # fmt: skip
_DOWN = {
    "Hinge", "SquaredHinge", "CategoricalHinge", "BinaryCrossentropy",
    "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "MeanMetricWrapper",
    "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "RootMeanSquaredError", "LogCoshError", "KLDivergence",
    "Poisson",
}  # fmt: skip


def metric_direction(metric):
    """``"up"``, ``"down"`` or None: which way ``metric`` improves (Keras's ``_direction``)."""
    direction = getattr(metric, "_direction", None)
    if direction is not None:
        return direction
    for klass in type(metric).__mro__:
        if klass.__name__ in _UP:
            return "up"
        if klass.__name__ in _DOWN:
            return "down"
    return None


class MonitorMixin:
    """Keras 3's ``MonitorCallback`` logic: ``mode`` (``auto`` read from the model's metrics),
    ``best`` and ``_is_improvement``."""

    def _init_monitor(self, monitor, mode, baseline):
        if mode not in ("auto", "min", "max"):
            warnings.warn(
                f"{type(self).__name__} mode '{mode}' is unknown, fallback to auto mode.",
                stacklevel=3,
            )
            mode = "auto"
        self.monitor, self.mode, self.best = monitor, mode, baseline
        self.monitor_op = None

    def _set_monitor_op(self):
        if self.mode in ("min", "max"):
            self.monitor_op = np.less if self.mode == "min" else np.greater
            return
        name = self.monitor.removeprefix("val_")
        op = np.less if name == "loss" else None
        for metric in getattr(self.model, "metrics", None) or []:
            for sub in getattr(metric, "metrics", None) or []:
                if sub.name == name and metric_direction(sub) is not None:
                    op = np.greater if metric_direction(sub) == "up" else np.less
        if op is None:
            raise ValueError(
                f"{type(self).__name__} callback received monitor={self.monitor}, but Keras "
                "isn't able to automatically determine whether that metric should be maximized "
                "or minimized. Pass `mode='max'` in order to monitor based on the highest "
                "metric value, or pass `mode='min'` in order to use the lowest value."
            )
        self.monitor_op = op

    def _is_improvement(self, value, reference):
        return reference is None or bool(self.monitor_op(value, reference))


def save_weights_of(model, filepath):
    """``model.save_weights(filepath)``, or the saving module's function for models without
    the method."""
    method = getattr(model, "save_weights", None)
    if method is not None:
        method(filepath, overwrite=True)
    else:
        from ..saving import save_weights

        save_weights(model, filepath, overwrite=True)


class ModelCheckpoint(MonitorMixin, Callback):
    """Save the model (``model.save``: a ``.keras`` file) or, with ``save_weights_only``, its
    weights (a ``.weights.h5`` file) to ``filepath`` (formatted with ``epoch`` counted from 1,
    ``batch`` and the logs, e.g. ``"{epoch:02d}-{val_loss:.2f}.keras"``) each epoch or every
    ``save_freq`` batches; ``save_best_only`` keeps only improvements of ``monitor``."""

    def __init__(
        self,
        filepath,
        monitor="val_loss",
        verbose=0,
        save_best_only=False,
        save_weights_only=False,
        mode="auto",
        save_freq="epoch",
        initial_value_threshold=None,
    ):
        super().__init__()
        self._init_monitor(monitor, mode, initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        self._current_epoch = 0
        self._reads_batch_logs = save_freq != "epoch"  # batch logs name batch-saved files
        if save_freq != "epoch" and not isinstance(save_freq, int):
            raise ValueError(
                f"Unrecognized save_freq: {save_freq}. Expected save_freq are 'epoch' or "
                "integer values"
            )
        if save_weights_only:
            if not self.filepath.endswith(".weights.h5"):
                raise ValueError(
                    "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath "
                    "provided must end in `.weights.h5` (Keras weights format). Received: "
                    f"filepath={self.filepath}"
                )
        elif not self.filepath.endswith((".keras", ".h5")):
            raise ValueError(
                "The filepath provided must end in `.keras` (Keras model format). Received: "
                f"filepath={self.filepath}"
            )

    def set_model(self, model):
        if not self.save_weights_only and not hasattr(model, "save"):
            raise NotImplementedError(
                "ModelCheckpoint(save_weights_only=False) saves whole models in the `.keras` "
                f"format through `model.save`, but {model!r} has no `save` method. Use "
                "`save_weights_only=True` with a `.weights.h5` filepath."
            )
        super().set_model(model)

    # ---- hooks ------------------------------------------------------------------------------
    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def _should_save_on_batch(self, batch):
        """Count the batches (``batch`` is the last of a ``steps_per_execution`` group)."""
        if self.save_freq == "epoch":
            return False
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            added = batch + 1  # a new epoch: batches count from 0
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    # ---- saving -------------------------------------------------------------------------------
    def _say(self, message):
        if self.verbose > 0:
            print(message, flush=True)

    def _should_save_model(self, epoch, logs, filepath):
        if not self.save_best_only:
            self._say(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=3)
            return True
        if np.ndim(current) > 0:
            warnings.warn(
                "Can save best model only when `monitor` is a scalar value. Received: "
                f"{current}. Falling back to `save_best_only=False`.",
                stacklevel=3,
            )
            return True
        if self.monitor_op is None:
            self._set_monitor_op()
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            self._say(
                f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                f"{current:.5f}, saving model to {filepath}"
            )
            self.best = current
            return True
        self._say(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _save_model(self, epoch, batch, logs):
        logs = logs or {}
        filepath = self._get_file_path(epoch, batch, logs)
        if os.path.isdir(filepath):
            raise OSError(
                "Please specify a non-directory filepath for ModelCheckpoint. Filepath used is "
                f"an existing directory: {filepath}"
            )
        if not self._should_save_model(epoch, logs, filepath):
            return
        directory = os.path.dirname(filepath)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            save_weights_of(self.model, filepath)
        else:
            self.model.save(filepath, overwrite=True)
        self._say(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _get_file_path(self, epoch, batch, logs):
        """``filepath`` formatted with ``epoch`` (from 1), ``batch`` (from 1) and the logs."""
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as e:
            raise KeyError(
                f'Failed to format this callback filepath: "{self.filepath}". Reason: {e}'
            ) from None
