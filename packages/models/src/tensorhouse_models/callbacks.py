"""Callbacks (``keras.callbacks``): hooks called by ``fit``, ``evaluate`` and ``predict``."""

from __future__ import annotations

import logging
import math
import time

import numpy as np

__all__ = [
    "Callback", "CallbackList", "EarlyStopping", "History", "LambdaCallback", "ProgbarLogger",
]  # fmt: skip

_log = logging.getLogger("tensorhouse_models")


class Callback:
    """Base class: override the hooks you need; ``self.model`` and ``self.params`` are set."""

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        pass

    def on_train_batch_end(self, batch, logs=None):
        pass

    def on_test_begin(self, logs=None):
        pass

    def on_test_end(self, logs=None):
        pass

    def on_test_batch_begin(self, batch, logs=None):
        pass

    def on_test_batch_end(self, batch, logs=None):
        pass

    def on_predict_begin(self, logs=None):
        pass

    def on_predict_end(self, logs=None):
        pass

    def on_predict_batch_begin(self, batch, logs=None):
        pass

    def on_predict_batch_end(self, batch, logs=None):
        pass


_BATCH_HOOKS = (
    "on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin", "on_test_batch_end",
    "on_predict_batch_begin", "on_predict_batch_end",
)  # fmt: skip


def _to_float_logs(logs):
    out = {}
    for k, v in (logs or {}).items():
        try:
            out[k] = float(np.asarray(v.numpy() if hasattr(v, "numpy") else v))
        except (TypeError, ValueError):
            out[k] = v
    return out


class CallbackList(Callback):
    """Calls each hook on every callback in order; adds ``History`` and ``ProgbarLogger``.

    Batch-level logs are converted to Python floats only when some callback overrides a
    batch hook (reading a value back from the device costs a synchronization).
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None,
                 **params):  # fmt: skip
        super().__init__()
        self.callbacks = list(callbacks or [])
        if add_history and not any(isinstance(c, History) for c in self.callbacks):
            self.callbacks.append(History())
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def set_model(self, model):
        super().set_model(model)
        for c in self.callbacks:
            c.set_model(model)

    def set_params(self, params):
        super().set_params(params)
        for c in self.callbacks:
            c.set_params(params)

    def _call(self, hook, *args, logs=None):
        for c in self.callbacks:
            getattr(c, hook)(*args, logs)

    def _call_batch(self, hook, batch, logs):
        base = getattr(Callback, hook)
        active = []
        for c in self.callbacks:
            method = getattr(c, hook)
            if getattr(method, "__func__", method) is not base:
                active.append(c)
        if not active:
            return
        if any(getattr(c, "_reads_batch_logs", True) for c in active):
            logs = _to_float_logs(logs)
        for c in active:
            getattr(c, hook)(batch, logs)


def _make_hook(name):
    if name in _BATCH_HOOKS:

        def hook(self, batch, logs=None):
            self._call_batch(name, batch, logs)

    elif "epoch" in name:

        def hook(self, epoch, logs=None):
            self._call(name, epoch, logs=_to_float_logs(logs) if logs else logs)

    else:

        def hook(self, logs=None):
            self._call(name, logs=_to_float_logs(logs) if logs else logs)

    hook.__name__ = name
    return hook


for _name in [n for n in vars(Callback) if n.startswith("on_")]:
    setattr(CallbackList, _name, _make_hook(_name))


class History(Callback):
    """Records the epoch logs: ``history.history["loss"]`` is the list of epoch losses."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)
        if self.model is not None:
            self.model.history = self


def format_value(v) -> str:
    """Keras's number format: four decimals, or scientific notation for small magnitudes."""
    if isinstance(v, float | np.floating):
        return f"{v:.4f}" if v == 0 or abs(v) >= 1e-3 else f"{v:.4e}"
    return str(v)


def format_logs(logs) -> str:
    return " - ".join(f"{k}: {format_value(v)}" for k, v in (logs or {}).items())


class ProgbarLogger(Callback):
    """Prints one line per epoch: ``Epoch 3/20 - 13 steps - 0.02s - loss: 0.0123``."""

    _reads_batch_logs = False  # counts batches only: no need to read their values back

    def __init__(self):
        super().__init__()
        self._start = None
        self._steps = 0
        self._mode = "train"

    def _verbose(self):
        return self.params.get("verbose", 1)

    def on_train_begin(self, logs=None):
        self._mode = "train"

    def on_epoch_begin(self, epoch, logs=None):
        self._start, self._steps = time.perf_counter(), 0

    def on_train_batch_end(self, batch, logs=None):
        self._steps += 1

    def on_epoch_end(self, epoch, logs=None):
        if not self._verbose():
            return
        epochs = self.params.get("epochs", "?")
        elapsed = time.perf_counter() - (self._start or time.perf_counter())
        line = f"Epoch {epoch + 1}/{epochs} - {self._steps} steps - {elapsed:.2f}s"
        if logs:
            line += " - " + format_logs(logs)
        print(line, flush=True)

    def on_test_begin(self, logs=None):
        self._start, self._steps = time.perf_counter(), 0

    def on_test_batch_end(self, batch, logs=None):
        self._steps += 1

    def on_test_end(self, logs=None):
        if self._verbose():
            elapsed = time.perf_counter() - (self._start or time.perf_counter())
            line = f"Evaluate - {self._steps} steps - {elapsed:.2f}s"
            print(line + (" - " + format_logs(logs) if logs else ""), flush=True)

    def on_predict_begin(self, logs=None):
        self._start, self._steps = time.perf_counter(), 0

    def on_predict_batch_end(self, batch, logs=None):
        self._steps += 1

    def on_predict_end(self, logs=None):
        if self._verbose():
            elapsed = time.perf_counter() - (self._start or time.perf_counter())
            print(f"Predict - {self._steps} steps - {elapsed:.2f}s", flush=True)


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has not improved by ``min_delta`` for ``patience``
    epochs; optionally restore the weights of the best epoch."""

    def __init__(
        self,
        monitor="val_loss",
        min_delta=0,
        patience=0,
        verbose=0,
        mode="auto",
        baseline=None,
        restore_best_weights=False,
        start_from_epoch=0,
    ):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"EarlyStopping mode must be auto, min or max. Received: {mode!r}")
        if mode == "auto":
            mode = "max" if "acc" in monitor or monitor.startswith("fmeasure") else "min"
        self.monitor, self.mode = monitor, mode
        self.min_delta = abs(min_delta) * (1 if mode == "max" else -1)
        self.patience, self.verbose = int(patience), verbose
        self.baseline, self.restore_best_weights = baseline, restore_best_weights
        self.start_from_epoch = int(start_from_epoch)
        self.stopped_epoch = 0
        self.best_weights = None

    def _improved(self, value, reference):
        if reference is None:
            return True
        if self.mode == "max":
            return value - self.min_delta > reference
        return value - self.min_delta < reference

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch = 0, 0
        self.best = None if self.baseline is None else float(self.baseline)
        self.best_weights, self.best_epoch = None, 0

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            _log.warning(
                "Early stopping conditioned on metric `%s` which is not available. "
                "Available metrics are: %s", self.monitor, ",".join(logs or {}),
            )  # fmt: skip
            return
        if epoch < self.start_from_epoch or (isinstance(value, float) and math.isnan(value)):
            return
        self.wait += 1
        if self._improved(value, self.best):
            self.best, self.best_epoch = value, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._improved(value, float(self.baseline)):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping", flush=True)
        if self.restore_best_weights and self.best_weights is not None and self.stopped_epoch:
            self.model.set_weights(self.best_weights)


class LambdaCallback(Callback):
    """A callback from plain functions: ``LambdaCallback(on_epoch_end=lambda e, logs: ...)``."""

    def __init__(self, **hooks):
        super().__init__()
        for name, fn in hooks.items():
            if not name.startswith("on_") or not hasattr(Callback, name):
                raise ValueError(f"LambdaCallback: unknown hook {name!r}")
            if fn is not None:
                setattr(self, name, fn)
