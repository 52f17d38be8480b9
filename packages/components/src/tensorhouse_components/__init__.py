"""tensorhouse level 4, the walls: Keras 3's building blocks on the ops layer.

``layers``, ``losses``, ``metrics``, ``optimizers``, ``initializers``, ``activations``,
``regularizers``, ``constraints``, ``data`` (``Dataset``), ``utils``, ``dtype_policies``,
``mixed_precision``, ``feature_column`` (``tf.feature_column``) and ``tree`` (``keras.tree``);
``ops`` passes the tensor API of the layer below up to the models layer, and ``keras_ops`` is
Keras 3's NumPy-style ``keras.ops`` (with ``random`` and ``config``).
"""

import importlib as _importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the names below load on first use (``__getattr__``)
    from . import (
        activations,
        constraints,
        data,
        dtype_policies,
        feature_column,
        initializers,
        keras_ops,
        layers,
        losses,
        metrics,
        mixed_precision,
        ops,
        optimizers,
        regularizers,
        tree,
        utils,
    )
    from ._serialization import register_serializable


__version__: str  # read from the installed metadata on first use (``__getattr__``)

__all__ = [
    "__version__", "activations", "constraints", "data", "dtype_policies", "feature_column",
    "initializers", "keras_ops", "layers", "losses", "metrics", "mixed_precision", "ops",
    "optimizers", "register_serializable", "regularizers", "tree", "utils",
]  # fmt: skip

_FROM = {"register_serializable": "._serialization"}  # names of private modules


def _version() -> str:  # reads the installed metadata (slow to import) on first use only
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tensorhouse-components")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0.0.0+unknown"


def __getattr__(name: str):  # PEP 562: a submodule or name is imported when first touched
    if name == "__version__":
        value = _version()
    elif name in _FROM:
        value = getattr(_importlib.import_module(_FROM[name], __name__), name)
    elif name in __all__ and not name.startswith("__"):
        value = _importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
