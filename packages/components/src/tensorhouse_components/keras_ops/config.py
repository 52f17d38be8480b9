"""Keras 3's global settings: ``floatx``, ``epsilon``, ``image_data_format``, the dtype policy
and ``backend()``."""

from ..dtype_policies import dtype_policy, set_dtype_policy

__all__ = [
    "backend", "dtype_policy", "epsilon", "floatx", "image_data_format", "set_dtype_policy",
    "set_epsilon", "set_floatx", "set_image_data_format",
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
