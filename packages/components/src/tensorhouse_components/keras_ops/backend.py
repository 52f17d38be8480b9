"""``keras.backend``'s basics: the ``config`` settings plus ``result_type`` and dtype helpers."""

from .._naming import get_uid, reset_names
from ._dtypes import result_type, standardize_dtype
from .config import (
    backend,
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)

__all__ = [
    "backend", "clear_session", "epsilon", "floatx", "get_uid", "image_data_format",
    "is_float_dtype", "is_int_dtype", "is_keras_tensor", "result_type", "set_epsilon",
    "set_floatx", "set_image_data_format", "standardize_dtype",
]  # fmt: skip


def is_float_dtype(dtype):
    """Whether ``dtype`` is a floating point dtype."""
    return standardize_dtype(dtype).startswith(("float", "bfloat"))


def is_int_dtype(dtype):
    """Whether ``dtype`` is an integer dtype."""
    return standardize_dtype(dtype).startswith(("int", "uint"))


def clear_session(free_memory=True):
    """Restart default layer names (``dense``, ``dense_1``, ...) from the beginning
    (``free_memory`` is accepted for Keras's signature: memory is freed as objects die)."""
    reset_names()


def is_keras_tensor(x):
    """Whether ``x`` is a symbolic ``KerasTensor`` (an ``Input`` or a layer's output on one)."""
    from ..layers._input import KerasTensor  # the layers import this module

    return isinstance(x, KerasTensor)
