"""``tf.keras``: the models layer's Keras API."""

from typing import TYPE_CHECKING

from tensorhouse_models import (
    Input,
    Model,
    Sequential,
    activations,
    applications,
    callbacks,
    constraints,
    datasets,
    dtype_policies,
    initializers,
    keras_ops,
    layers,
    losses,
    metrics,
    mixed_precision,
    models,
    optimizers,
    regularizers,
    saving,
    tree,
    utils,
)

ops = keras_ops  # Keras 3's keras.ops, NumPy-style
random = keras_ops.random
config = keras_ops.config
backend = keras_ops.backend  # floatx, epsilon, image_data_format, clear_session, result_type
InputSpec = layers.InputSpec  # keras.InputSpec is keras.layers.InputSpec

_KERAS_VERSION = "3.15.1"  # the Keras release whose API and numbers this namespace follows


if TYPE_CHECKING:
    from tensorhouse_models import distribution, export, preprocessing, wrappers

_LAZY = ("distribution", "export", "preprocessing", "wrappers")  # imported on first use


def __getattr__(name: str):  # PEP 562: the version reads installed metadata on first use only
    if name in _LAZY:
        import tensorhouse_models

        value = globals()[name] = getattr(tensorhouse_models, name)
        return value
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import __version__ as meta

    value = globals()["__version__"] = f"{_KERAS_VERSION}+tensorhouse.{meta}"
    return value


__all__ = [
    "Input",
    "InputSpec",
    "Model",
    "Sequential",
    "activations",
    "applications",
    "backend",
    "callbacks",
    "config",
    "constraints",
    "datasets",
    "distribution",
    "dtype_policies",
    "export",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "mixed_precision",
    "models",
    "ops",
    "optimizers",
    "preprocessing",
    "random",
    "regularizers",
    "saving",
    "tree",
    "utils",
    "wrappers",
]


def __dir__():
    return sorted(set(globals()) | set(__all__))
