"""Argument checks shared by the layer families: tuples of ints, data formats, rates, ndim."""

from __future__ import annotations

import math as _pymath

import tensorhouse_ops as _ops
from tensorhouse_ops import shape as _shape

from .. import initializers, regularizers
from ._einsum import einsum

__all__ = [
    "check_ndim", "check_rate", "data_format", "dynamic_shape", "einsum", "initializer",
    "int_tuple", "per_batch", "prod", "regularizer_config", "unsupported",
]  # fmt: skip

# Keras's short initializer names that the initializers module does not list.
_INITIALIZER_ALIASES = {"uniform": "RandomUniform", "normal": "RandomNormal"}


def dynamic_shape(x):
    """``x``'s shape as a list: the static ints where known, ``shape(x)[i]`` scalar tensors where
    unknown (a traced unknown dimension), for the shape arguments of ops."""
    dims = x.shape.as_list()
    if all(d is not None for d in dims):
        return dims
    run_time = _shape(x)
    return [run_time[i] if d is None else d for i, d in enumerate(dims)]


def prod(dims):
    """The product of a list of dims from ``dynamic_shape``: an int when all are ints, else a
    scalar tensor."""
    if all(isinstance(d, int) for d in dims):
        return _pymath.prod(dims)
    out = 1
    for d in dims:
        out = d * out if isinstance(out, int) else out * d
    return out


def per_batch(loss, x):
    """``loss`` over ``x``'s batch size (Keras 3's activity penalties): a float when the size
    is known, the run-time size in a trace with an unknown batch."""
    batch = x.shape.as_list()[0]
    if batch is None:
        return loss / _ops.cast(_shape(x)[0], loss.dtype)
    return loss / float(batch) if batch else loss


def initializer(identifier):
    """``initializers.get`` plus Keras's aliases ``"uniform"`` and ``"normal"``."""
    if isinstance(identifier, str):
        identifier = _INITIALIZER_ALIASES.get(identifier, identifier)
    return initializers.get(identifier)


def regularizer_config(reg):
    """A regularizer's serialized dict, or None."""
    return None if reg is None else regularizers.serialize(reg)


def int_tuple(value, n, name, allow_zero=True):
    """An int or a sequence of ``n`` ints as an ``n``-tuple of ints >= 0 (> 0 unless
    ``allow_zero``), with Keras's message otherwise."""
    error = f"The `{name}` argument must be a tuple of {n} integers. Received {name}={value}"
    if isinstance(value, int) and not isinstance(value, bool):
        out = (value,) * n
    elif isinstance(value, list | tuple) and len(value) == n:
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise ValueError(error)
        out = tuple(value)
    else:
        raise ValueError(error)
    bad = {v for v in out if (v < 0 if allow_zero else v <= 0)}
    if bad:
        rule = "value >= 0" if allow_zero else "value > 0"
        raise ValueError(f"{error}, including values {bad} that do not satisfy `{rule}`")
    return out


def data_format(value):
    """``None`` is ``"channels_last"`` (Keras's default image data format); otherwise one of
    Keras's two names, in any case."""
    fmt = "channels_last" if value is None else str(value).lower()
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError(
            "The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
            f"Received: data_format={fmt}"
        )
    return fmt


def check_rate(value, name="rate"):
    """A float in [0, 1], with Keras's message otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError(
            f"Invalid value received for argument `{name}`. Expected a float value between "
            f"0 and 1. Received: {name}={value}"
        )
    return float(value)


def check_ndim(layer, shape, ndim):
    """Keras's input-spec error when ``shape`` does not have rank ``ndim``."""
    if shape is None or len(shape) != ndim:
        found = None if shape is None else len(shape)
        raise ValueError(
            f"Input 0 of layer {layer.name!r} is incompatible with the layer: expected "
            f"ndim={ndim}, found ndim={found}. Full shape received: {tuple(shape or ())}"
        )


def unsupported(layer, **args):
    """``NotImplementedError`` naming the first of Keras's arguments ``args`` that is set (not
    None or False): arguments in Keras's signature whose feature tensorhouse lacks."""
    given = [k for k, v in args.items() if v is not None and v is not False]
    if given:
        raise NotImplementedError(f"{type(layer).__name__}({given[0]}=...) is not supported")
