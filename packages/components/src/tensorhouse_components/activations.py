"""Activation functions (``keras.activations``): Keras 3's whole set, each on its
``keras.ops`` function, and ``get`` / ``serialize`` / ``deserialize`` by name."""

from __future__ import annotations

import tensorhouse_ops as tops
from tensorhouse_ops import nn

from . import _serialization
from .keras_ops import _nn as _k
from .keras_ops._dtypes import to_tensor


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """``max(x, 0)``; below ``threshold`` 0 (or ``negative_slope * (x - threshold)``), capped at
    ``max_value``."""
    x = to_tensor(x)
    if negative_slope != 0.0 and max_value is None and threshold == 0:
        return _k.leaky_relu(x, negative_slope=negative_slope)
    negative_part = nn.relu(tops.cast(threshold, x.dtype) - x) if negative_slope != 0.0 else 0
    clip = max_value is not None
    if threshold != 0:
        x = tops.where(x > tops.cast(threshold, x.dtype), x, tops.zeros_like(x))
    elif max_value == 6:
        x, clip = nn.relu6(x), False
    else:
        x = nn.relu(x)
    if clip:
        x = tops.clip_by_value(x, tops.cast(0, x.dtype), tops.cast(max_value, x.dtype))
    return x - negative_slope * negative_part if negative_slope != 0.0 else x


def leaky_relu(x, negative_slope=0.2):
    return _k.leaky_relu(x, negative_slope=negative_slope)


def relu6(x):
    return _k.relu6(x)


def softmax(x, axis=-1):
    return _k.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    return _k.log_softmax(x, axis=axis)


def elu(x, alpha=1.0):
    return _k.elu(x, alpha=alpha)


def selu(x):
    return _k.selu(x)


def celu(x, alpha=1.0):
    return _k.celu(x, alpha=alpha)


def softplus(x):
    return _k.softplus(x)


def softsign(x):
    return _k.softsign(x)


def squareplus(x, b=4):
    return _k.squareplus(x, b=b)


def soft_shrink(x, threshold=0.5):
    return _k.soft_shrink(x, threshold=threshold)


def hard_shrink(x, threshold=0.5):
    return _k.hard_shrink(x, threshold=threshold)


def tanh_shrink(x):
    return _k.tanh_shrink(x)


def threshold(x, threshold, default_value):
    return _k.threshold(x, threshold, default_value)


def sparse_plus(x):
    return _k.sparse_plus(x)


def sparse_sigmoid(x):
    return _k.sparse_sigmoid(x)


def sparsemax(x, axis=-1):
    return _k.sparsemax(x, axis=axis)


def silu(x):
    return _k.silu(x)


def hard_silu(x):
    return _k.hard_silu(x)


def gelu(x, approximate=False):
    """The exact (erf) GELU by default, unlike ``keras.ops.gelu``."""
    return _k.gelu(x, approximate=approximate)


def glu(x, axis=-1):
    return _k.glu(x, axis=axis)


def tanh(x):
    return nn.tanh(x)


def sigmoid(x):
    return _k.sigmoid(x)


def log_sigmoid(x):
    return _k.log_sigmoid(x)


def hard_sigmoid(x):
    return _k.hard_sigmoid(x)


def hard_tanh(x):
    return _k.hard_tanh(x)


def exponential(x):
    x = _k.to_float(x)
    return tops.exp(x)


def mish(x):
    """``x * tanh(softplus(x))``."""
    x = to_tensor(x)
    return x * nn.tanh(nn.softplus(x))


def linear(x):
    """The identity: ``Dense(activation=None)`` uses it (a tensor out, where Keras hands back
    what it was given)."""
    return tops.convert_to_tensor(x)


_ACTIVATIONS = {
    f.__name__: f
    for f in (celu, elu, exponential, gelu, glu, hard_shrink, hard_sigmoid, hard_silu, hard_tanh,
              leaky_relu, linear, log_sigmoid, log_softmax, mish, relu, relu6, selu, sigmoid,
              silu, soft_shrink, softmax, softplus, softsign, sparse_plus, sparse_sigmoid,
              sparsemax, squareplus, tanh, tanh_shrink, threshold)
}  # fmt: skip
swish = silu
hard_swish = hard_silu
_ALIASES = {"swish": silu, "hard_swish": hard_silu}

__all__ = sorted([*_ACTIVATIONS, *_ALIASES, "deserialize", "get", "serialize"])


def serialize(activation):
    """A built-in's name (``swish`` gives ``"silu"``); other callables keep their ``__name__``."""
    name = getattr(activation, "__name__", None)
    if name is None:
        get_config = getattr(activation, "get_config", None)
        if get_config is None:
            raise ValueError(
                f"Unknown activation function '{activation}' cannot be serialized: it has no "
                "__name__ and no get_config"
            )
        return {"class_name": type(activation).__name__, "config": get_config()}
    return name


def deserialize(config, custom_objects=None):
    """The function a name (or Keras's ``{"class_name": "function", "config": name}``) names;
    other dicts build a registered (or ``custom_objects``) activation class."""
    if isinstance(config, dict):
        if config.get("class_name") != "function":
            return _serialization.deserialize(config, {}, "activation", custom_objects)
        config = config.get("config")
    return get(config, custom_objects)


def get(identifier, custom_objects=None):
    """``None`` gives ``linear``; a name or ``{"class_name": "function", ...}`` gives the
    function; callables pass through."""
    if identifier is None:
        return linear
    if isinstance(identifier, dict):
        return deserialize(identifier, custom_objects)
    if isinstance(identifier, str):
        fn = (
            (custom_objects or {}).get(identifier)
            or _ACTIVATIONS.get(identifier)
            or _ALIASES.get(identifier)
        )
        if fn is not None:
            return fn
    elif callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret activation function identifier: {identifier!r}. Valid names: "
        f"{', '.join(sorted({*_ACTIVATIONS, *_ALIASES}))}"
    )
