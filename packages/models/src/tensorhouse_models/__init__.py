"""tensorhouse level 5, the houses: Keras 3's models on the components layer.

``Model`` (subclassing or ``Model(inputs, outputs)``), ``Sequential``, ``models``
(``clone_model``, ``model_from_json``), ``fit`` / ``evaluate`` /
``predict``, ``callbacks``, ``summary()`` and ``saving`` (``.keras`` and ``.weights.h5``
files), ``applications`` (ResNet, MobileNet, VGG). It also passes up, on purpose, what the
meta-package needs from below (the meta-package imports only this package): ``ops``,
``layers``, ``losses``, ``metrics``, ``optimizers``, ``initializers``, ``activations``,
``regularizers``, ``data``, ``utils``, ``dtype_policies``, ``mixed_precision`` and
``feature_column``.
"""

import importlib as _importlib
from typing import TYPE_CHECKING

import tensorhouse_components as _components  # itself light: its names load on first use

if TYPE_CHECKING:  # the names below load on first use (``__getattr__``)
    from tensorhouse_components import (
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
    )
    from tensorhouse_components.layers import Input, InputLayer, KerasTensor

    from . import (
        applications,
        callbacks,
        datasets,
        distribute,
        distribution,
        export,
        models,
        preprocessing,
        saved_model,
        saving,
        train,
        utils,
        wrappers,
    )
    from ._functional import Functional
    from ._model import Model
    from ._sequential import Sequential


__version__: str  # read from the installed metadata on first use (``__getattr__``)

__all__ = [
    "Functional", "Input", "InputLayer", "KerasTensor", "Model", "Sequential", "__version__",
    "activations", "applications", "callbacks", "constraints", "data", "datasets", "distribute",
    "dtype_policies", "feature_column", "initializers", "keras_ops", "layers", "losses", "metrics",
    "mixed_precision", "models", "ops", "optimizers", "regularizers", "saved_model", "saving",
    "train", "tree", "utils", "export",
    "distribution", "preprocessing", "wrappers",  # Keras 3's namespaces (wrappers: sklearn)
]  # fmt: skip

# where each name comes from: the components layer (passed up), or this package's own modules
_COMPONENTS = {
    "activations", "constraints", "data", "dtype_policies", "feature_column", "initializers",
    "keras_ops", "layers", "losses", "metrics", "mixed_precision", "ops", "optimizers",
    "regularizers", "tree",
}  # fmt: skip
_LAYERS = {"Input", "InputLayer", "KerasTensor"}
_FROM = {"Functional": "._functional", "Model": "._model", "Sequential": "._sequential"}


def _version() -> str:  # reads the installed metadata (slow to import) on first use only
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tensorhouse-models")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0.0.0+unknown"


def __getattr__(name: str):  # PEP 562: a name is imported when first touched
    if name == "__version__":
        value = _version()
    elif name in _COMPONENTS:
        value = getattr(_components, name)
    elif name in _LAYERS:
        value = getattr(_components.layers, name)
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
