"""``CallbackList``: every hook called on each callback in order, plus ``History`` and the
progress bar; batch logs are read back from tensors only when some callback looks at them."""

from __future__ import annotations

from ._callback import Callback
from ._history import History
from ._progbar import scalar
from ._progbar_logger import ProgbarLogger

__all__ = ["CallbackList"]

_BATCH_HOOKS = (
    "on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin", "on_test_batch_end",
    "on_predict_batch_begin", "on_predict_batch_end",
)  # fmt: skip


def to_float_logs(logs):
    """The logs with each scalar tensor read back as a Python float, in sorted key order; a
    nested dict (``compile_metrics``' results from a custom step) is flattened in, as Keras's
    ``pythonify_logs``."""
    out = {}
    for k, v in sorted((logs or {}).items()):
        if isinstance(v, dict):
            out.update(to_float_logs(v))
        else:
            out[k] = scalar(v)
    return out


def _overrides(callback, hook):
    method = getattr(callback, hook)
    base = getattr(Callback, hook)
    if getattr(method, "__func__", method) is not base:
        return True
    if hook in ("on_train_batch_begin", "on_train_batch_end"):  # the on_batch_* aliases
        alias = hook.replace("train_", "")
        return getattr(getattr(callback, alias), "__func__", None) is not getattr(Callback, alias)
    return False


class CallbackList(Callback):
    """The callbacks of one ``fit`` / ``evaluate`` / ``predict`` call."""

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None,
                 **params):  # fmt: skip
        super().__init__()
        self.callbacks = list(callbacks or [])
        for c in self.callbacks:
            if not isinstance(c, Callback):
                raise TypeError(
                    f"Expected a keras.callbacks.Callback; received {c!r} (of type "
                    f"{type(c).__name__})"
                )
        if add_history and not any(isinstance(c, History) for c in self.callbacks):
            self.callbacks.append(History())
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)
        self._find_active()

    def _find_active(self):
        self._active = {h: [c for c in self.callbacks if _overrides(c, h)] for h in _BATCH_HOOKS}

    def calls(self, hook) -> bool:
        """Whether a batch hook reaches any callback (a loop may skip it when none)."""
        return bool(self._active[hook])

    def append(self, callback):
        self.callbacks.append(callback)
        self._find_active()

    def set_model(self, model):
        super().set_model(model)
        for c in self.callbacks:
            c.set_model(model)

    def set_params(self, params):
        super().set_params(params)
        for c in self.callbacks:
            c.set_params(params)

    def _call_batch(self, hook, batch, logs):
        active = self._active[hook]
        if not active:
            return
        if any(getattr(c, "_reads_batch_logs", True) for c in active):
            logs = to_float_logs(logs)
        for c in active:
            getattr(c, hook)(batch, logs)


def _make_hook(name):
    if name in _BATCH_HOOKS:

        def hook(self, batch, logs=None):
            self._call_batch(name, batch, logs)

    elif "epoch" in name:

        def hook(self, epoch, logs=None):
            logs = to_float_logs(logs) if logs else logs
            for c in self.callbacks:
                getattr(c, name)(epoch, logs)

    else:

        def hook(self, logs=None):
            logs = to_float_logs(logs) if logs else logs
            for c in self.callbacks:
                getattr(c, name)(logs)

    hook.__name__ = name
    return hook


_ALIASES = ("on_batch_begin", "on_batch_end")
for _name in [n for n in vars(Callback) if n.startswith("on_") and n not in _ALIASES]:
    setattr(CallbackList, _name, _make_hook(_name))
