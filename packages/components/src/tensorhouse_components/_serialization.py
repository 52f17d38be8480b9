"""Turning identifiers (names, config dicts, objects) into objects, and objects into configs.

Every public module with a ``get`` (activations, initializers, losses, metrics, optimizers,
regularizers, layers) resolves through here, so error messages read the same everywhere: they
name what was received and what is valid. Nothing in a config is ever executed: a class name is
looked up in a table of known classes (plus ``custom_objects``), never imported by path.
"""

from __future__ import annotations

import re

__all__ = ["deserialize", "register_serializable", "resolve", "serialize", "snake_case"]

# Classes registered with ``register_serializable``: "package>Name" and plain "Name".
_CUSTOM: dict[str, type] = {}


def snake_case(name: str) -> str:
    """``GlorotUniform`` -> ``glorot_uniform``; ``SGD`` -> ``sgd``; ``MeanSquaredError`` ->
    ``mean_squared_error``."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


def register_serializable(package: str = "Custom", name: str | None = None):
    """Class decorator: make a user class known to ``deserialize`` / ``from_config``."""

    def wrap(cls):
        key = name or cls.__name__
        _CUSTOM[f"{package}>{key}"] = cls
        _CUSTOM[key] = cls
        return cls

    return wrap


def serialize(obj, module: str) -> dict:
    """Keras 3's dict form: ``{"module", "class_name", "config", "registered_name"}``."""
    return {
        "module": module,
        "class_name": type(obj).__name__,
        "config": obj.get_config(),
        "registered_name": None,
    }


def deserialize(config: dict, table: dict, kind: str, custom_objects=None):
    """An object from its dict form, looking the class up in ``table`` (names -> classes)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"Could not deserialize {kind}: expected a dict with 'class_name' and 'config'. "
            f"Received: {config!r}"
        )
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or table.get(name) or _CUSTOM.get(name)
    if cls is None:
        known = sorted({c.__name__ for c in table.values() if isinstance(c, type)})
        raise ValueError(
            f"Unknown {kind} class_name: {name!r}. Known: {', '.join(known)} "
            "(pass other classes in custom_objects=)"
        )
    inner = config.get("config") or {}
    if hasattr(cls, "from_config"):
        return cls.from_config(dict(inner))
    return cls(**inner)


def resolve(identifier, table: dict, kind: str, custom_objects=None, instantiate=True):
    """``get(identifier)``: None, an object, a callable, a name or a config dict.

    ``table`` maps accepted names (``"mse"``, ``"MeanSquaredError"``, ...) to classes or
    functions; with ``instantiate`` a class found by name is called with no arguments.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier, table, kind, custom_objects)
    if isinstance(identifier, str):
        found = (custom_objects or {}).get(identifier) or table.get(identifier)
        if found is None:
            found = _CUSTOM.get(identifier)
        if found is None:
            valid = ", ".join(sorted(k for k in table if not k[:1].isupper()))
            raise ValueError(
                f"Could not interpret {kind} identifier: {identifier!r}. Valid names: {valid}"
            )
        if instantiate and isinstance(found, type):
            return found()
        return found
    if callable(identifier) or not isinstance(identifier, str | int | float | bool):
        return identifier
    raise ValueError(f"Could not interpret {kind} identifier: {identifier!r}")
