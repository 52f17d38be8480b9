"""``register_keras_serializable``: the components' registry, plus the ``"package>Name"`` each
class was registered under, which ``.keras`` configs carry as ``registered_name`` (as Keras's
do) so real Keras finds the class in its own registry."""

from __future__ import annotations

from tensorhouse_components import register_serializable

__all__ = ["register_keras_serializable", "registered_name"]

_NAMES: dict = {}  # class -> "package>Name"


def register_keras_serializable(package="Custom", name=None):
    """Class decorator: make a user class known to ``load_model`` by ``package>name``."""

    def wrap(cls):
        _NAMES[cls] = f"{package}>{name or cls.__name__}"
        return register_serializable(package, name)(cls)

    return wrap


def registered_name(cls):
    """The ``"package>Name"`` ``cls`` was registered under, or None."""
    return _NAMES.get(cls)
