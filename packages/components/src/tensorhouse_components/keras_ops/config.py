"""Keras 3's global settings: ``floatx``, ``epsilon``, ``image_data_format``, the dtype policy,
``backend()``, the flags (flash attention, interactive logging, traceback filtering, unsafe
deserialization) and the debugging caps on ``fit`` (``max_epochs``, ``max_steps_per_epoch``)."""

import os

from ..dtype_policies import dtype_policy, set_dtype_policy

__all__ = [
    "backend", "disable_flash_attention", "disable_interactive_logging",
    "disable_traceback_filtering", "dtype_policy", "enable_flash_attention",
    "enable_interactive_logging", "enable_traceback_filtering", "enable_unsafe_deserialization",
    "epsilon", "floatx", "image_data_format", "is_flash_attention_enabled",
    "is_interactive_logging_enabled", "is_nnx_enabled", "is_traceback_filtering_enabled",
    "max_epochs", "max_steps_per_epoch", "set_backend", "set_dtype_policy", "set_epsilon",
    "set_floatx", "set_image_data_format", "set_max_epochs", "set_max_steps_per_epoch",
]  # fmt: skip

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_FLOATS = ("bfloat16", "float16", "float32", "float64")


def floatx():
    """The default float dtype, as a string (``"float32"``)."""
    return _FLOATX


def set_floatx(value):
    """Set the default float dtype: one of ``bfloat16``, ``float16``, ``float32``, ``float64``."""
    global _FLOATX
    value = str(value)
    if value not in _FLOATS:
        raise ValueError(f"Unknown `floatx` value: {value}. Expected one of {set(_FLOATS)}")
    _FLOATX = value


def epsilon():
    """The fuzz factor used in numeric expressions (``1e-7``)."""
    return _EPSILON


def set_epsilon(value):
    """Set the fuzz factor."""
    global _EPSILON
    _EPSILON = float(value)


def image_data_format():
    """``"channels_last"`` or ``"channels_first"``."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format):
    """Set the default image layout: ``"channels_last"`` or ``"channels_first"``."""
    global _IMAGE_DATA_FORMAT
    value = str(data_format).lower()
    if value not in ("channels_first", "channels_last"):
        raise ValueError(
            "The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
            f"Received: data_format={data_format}"
        )
    _IMAGE_DATA_FORMAT = value


def backend():
    """The name of the backend: tensorhouse implements TensorFlow's, ``"tensorflow"``."""
    return "tensorflow"


def set_backend(backend):
    """Keras reloads itself on another backend; tensorhouse is TensorFlow's, so only
    ``"tensorflow"`` is accepted (``KERAS_BACKEND`` is set to it, as Keras does)."""
    if backend != "tensorflow":
        raise ValueError(
            f"tensorhouse implements Keras's TensorFlow backend only. Received: backend={backend}"
        )
    os.environ["KERAS_BACKEND"] = backend


def is_nnx_enabled():
    """Whether Flax NNX features are on: a JAX-backend option, so ``False``."""
    return False


_FLAGS = {"flash_attention": None, "interactive_logging": True, "traceback_filtering": True}


def enable_flash_attention():
    """Let attention use flash attention where it can: back to the default (``None``, auto)."""
    _FLAGS["flash_attention"] = None


def disable_flash_attention():
    """Never use flash attention."""
    _FLAGS["flash_attention"] = False


def is_flash_attention_enabled():
    """``False`` once disabled, else ``None`` (auto: used where the inputs allow it)."""
    return _FLAGS["flash_attention"]


def enable_interactive_logging():
    """Write logs (the progress bar, ``summary``) to stdout."""
    _FLAGS["interactive_logging"] = True


def disable_interactive_logging():
    """Send logs to the ``logging`` module instead of stdout."""
    _FLAGS["interactive_logging"] = False


def is_interactive_logging_enabled():
    """Whether logs go to stdout (``True`` by default)."""
    return _FLAGS["interactive_logging"]


def enable_traceback_filtering():
    """Turn traceback filtering on (the default)."""
    _FLAGS["traceback_filtering"] = True


def disable_traceback_filtering():
    """Turn traceback filtering off."""
    _FLAGS["traceback_filtering"] = False


def is_traceback_filtering_enabled():
    """Whether traceback filtering is on (``True`` by default)."""
    return _FLAGS["traceback_filtering"]


def enable_unsafe_deserialization():
    """Keras turns safe mode off so that ``Lambda`` layers' Python code is deserialized;
    tensorhouse never executes code from a file, so loading such a file still fails."""


def _env_int(name):
    value = os.environ.get(name)
    return None if value is None else int(value)


_CAPS = {"epochs": _env_int("KERAS_MAX_EPOCHS"),
         "steps": _env_int("KERAS_MAX_STEPS_PER_EPOCH")}  # fmt: skip


def set_max_epochs(max_epochs):
    """Cap the epochs of every ``fit`` (for debugging; ``None``: no cap; also read from
    ``KERAS_MAX_EPOCHS`` at import)."""
    _CAPS["epochs"] = max_epochs


def set_max_steps_per_epoch(max_steps_per_epoch):
    """Cap the steps of each epoch of ``fit`` / ``evaluate`` / ``predict`` (``None``: no cap;
    also read from ``KERAS_MAX_STEPS_PER_EPOCH`` at import)."""
    _CAPS["steps"] = max_steps_per_epoch


def max_epochs():
    """The cap on ``fit``'s epochs, or ``None``."""
    return _CAPS["epochs"]


def max_steps_per_epoch():
    """The cap on each epoch's steps, or ``None``."""
    return _CAPS["steps"]
