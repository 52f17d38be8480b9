"""Callbacks that set the optimizer's learning rate: ``LearningRateScheduler`` (from a
function of the epoch) and ``ReduceLROnPlateau`` (when a monitored value stops improving).

The learning rate is a Variable of the optimizer, so assigning it between steps reaches the
traced train step without a retrace.
"""

from __future__ import annotations

import logging

import numpy as np

from ._callback import Callback

__all__ = ["LearningRateScheduler", "ReduceLROnPlateau"]

_log = logging.getLogger("tensorhouse_models")


def _get_lr(model) -> float:
    return float(np.asarray(model.optimizer.learning_rate))


def _set_lr(model, value) -> None:
    lr = model.optimizer.learning_rate
    if not hasattr(lr, "assign"):
        raise TypeError(
            "This optimizer's learning rate is a schedule; a callback cannot set it. Use a "
            f"float learning rate. Received: {lr!r}"
        )
    lr.assign(float(value))


class LearningRateScheduler(Callback):
    """At the start of each epoch, ``schedule(epoch, lr)`` (or ``schedule(epoch)``) gives the
    new learning rate."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        if not hasattr(self.model.optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        try:
            lr = self.schedule(epoch, _get_lr(self.model))
        except TypeError:  # Keras also takes the old one-argument ``schedule(epoch)``
            lr = self.schedule(epoch)
        if hasattr(lr, "numpy"):
            lr = lr.numpy()
        lr = np.asarray(lr)
        if lr.ndim != 0 or lr.dtype.kind not in "fiu":
            raise ValueError(
                f"The output of the `schedule` function should be a float. Got: {lr.tolist()!r}"
            )
        _set_lr(self.model, float(lr))
        if self.verbose > 0:
            print(
                f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {float(lr)}.",
                flush=True,
            )

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _get_lr(self.model)


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` once ``monitor`` has not improved by
    ``min_delta`` for ``patience`` epochs; then wait ``cooldown`` epochs; never below
    ``min_lr``."""

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0, **kwargs):  # fmt: skip
        super().__init__()
        if factor >= 1.0:
            raise ValueError(
                f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}"
            )
        if kwargs:
            raise TypeError(f"Unrecognized keyword arguments: {sorted(kwargs)}")
        if mode not in ("auto", "min", "max"):
            _log.warning("Learning rate reduction mode %s is unknown, fallback to auto mode.",
                         mode)  # fmt: skip
            mode = "auto"
        self.monitor, self.factor, self.patience = monitor, float(factor), int(patience)
        self.verbose, self.min_delta, self.cooldown = verbose, float(min_delta), int(cooldown)
        self.min_lr = float(min_lr)
        self.mode = "max" if mode == "max" or (mode == "auto" and "acc" in monitor) else "min"
        self._reset()

    def _reset(self):
        self.wait = 0
        self.cooldown_counter = 0
        self.best = -np.inf if self.mode == "max" else np.inf

    def _better(self, current):
        if self.mode == "max":
            return current > self.best + self.min_delta
        return current < self.best - self.min_delta

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["learning_rate"] = _get_lr(self.model)
        current = logs.get(self.monitor)
        if current is None:
            _log.warning(
                "Learning rate reduction is conditioned on metric `%s` which is not available. "
                "Available metrics are: %s.", self.monitor, ",".join(logs),
            )  # fmt: skip
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._better(current):
            self.best = current
            self.wait = 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old = _get_lr(self.model)
                if old > np.float32(self.min_lr):
                    new = max(old * self.factor, self.min_lr)
                    _set_lr(self.model, new)
                    if self.verbose > 0:
                        print(
                            f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate "
                            f"to {new}.",
                            flush=True,
                        )
                    self.cooldown_counter = self.cooldown
                    self.wait = 0
