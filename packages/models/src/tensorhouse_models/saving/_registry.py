"""Keras 3's object registration: ``register_keras_serializable`` (the components' registry,
plus the ``"package>Name"`` each class was registered under, which ``.keras`` configs carry as
``registered_name`` so real Keras finds the class in its own registry), ``get_custom_objects``,
``CustomObjectScope`` and the look-ups ``get_registered_object`` / ``get_registered_name``.
``load_model`` sees what a scope or ``get_custom_objects()`` holds, as Keras's does."""

from __future__ import annotations

import threading

from tensorhouse_components import register_serializable

__all__ = [
    "CustomObjectScope", "custom_object_scope", "get_custom_objects", "get_registered_name",
    "get_registered_object", "register_keras_serializable", "registered_name", "scoped_objects",
]  # fmt: skip

_OBJECTS: dict = {}  # "package>Name" -> class or function (Keras's GLOBAL_CUSTOM_OBJECTS)
_NAMES: dict = {}  # class or function -> "package>Name"
_SCOPE = threading.local()  # .objects: the innermost CustomObjectScope's dict


def register_keras_serializable(package="Custom", name=None):
    """Class (or function) decorator: make it known to ``load_model`` by ``package>name``."""

    def wrap(obj):
        if isinstance(obj, type) and not hasattr(obj, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() method.")
        key = f"{package}>{name or obj.__name__}"
        _OBJECTS[key] = obj
        _NAMES[obj] = key
        return register_serializable(package, name)(obj)

    return wrap


def registered_name(cls):
    """The ``"package>Name"`` ``cls`` was registered under, or None."""
    return _NAMES.get(cls)


def get_registered_name(obj):
    """The name ``obj`` is saved under: ``"package>Name"`` when registered, else its name."""
    return _NAMES.get(obj, obj.__name__)


def get_custom_objects():
    """The global dict of registered objects (``"package>Name"`` -> object); entries added to
    it are seen by ``load_model`` too."""
    return _OBJECTS


def scoped_objects() -> dict:
    """What the innermost active ``CustomObjectScope`` holds (empty outside any)."""
    return getattr(_SCOPE, "objects", {})


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object registered as ``name``: an active scope first, then the global registry,
    then ``custom_objects`` and ``module_objects``; None when none holds it."""
    for table in (scoped_objects(), _OBJECTS, custom_objects or {}, module_objects or {}):
        if name in table:
            return table[name]
    return None


class CustomObjectScope:
    """``with CustomObjectScope({"MyLayer": MyLayer}):`` makes the objects available to
    ``load_model`` and ``deserialize`` inside the block (this thread only)."""

    def __init__(self, custom_objects):
        self.custom_objects = dict(custom_objects or {})
        self._backup = None

    def __enter__(self):
        self._backup = scoped_objects()
        _SCOPE.objects = dict(self.custom_objects)
        return self

    def __exit__(self, *exc):
        _SCOPE.objects = self._backup


custom_object_scope = CustomObjectScope
