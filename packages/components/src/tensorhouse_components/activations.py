"""Activation functions (``keras.activations``): ``get`` by name or callable."""

from __future__ import annotations

from tensorhouse_ops import convert_to_tensor, nn

__all__ = ["deserialize", "get", "linear", "relu", "serialize", "sigmoid", "softmax", "tanh"]


def relu(x):
    return nn.relu(x)


def sigmoid(x):
    return nn.sigmoid(x)


def tanh(x):
    return nn.tanh(x)


def softmax(x, axis=-1):
    return nn.softmax(x, axis=axis)


def linear(x):
    """The identity: ``Dense(activation=None)`` uses it."""
    return convert_to_tensor(x)


_ACTIVATIONS = {f.__name__: f for f in (relu, sigmoid, tanh, softmax, linear)}


def serialize(activation) -> str:
    """The name of a built-in activation; other callables keep their ``__name__``."""
    return getattr(activation, "__name__", str(activation))


def deserialize(name, custom_objects=None):
    return get(name, custom_objects)


def get(identifier, custom_objects=None):
    """``None`` and ``"linear"`` give ``linear``; a name gives the function; callables pass."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        fn = (custom_objects or {}).get(identifier) or _ACTIVATIONS.get(identifier)
        if fn is None:
            raise ValueError(
                f"Could not interpret activation function identifier: {identifier!r}. "
                f"Valid names: {', '.join(sorted(_ACTIVATIONS))}"
            )
        return fn
    if callable(identifier):
        return identifier
    raise TypeError(
        f"Could not interpret activation function identifier: {identifier!r} "
        f"(of type {type(identifier).__name__}); expected a name or a callable"
    )
