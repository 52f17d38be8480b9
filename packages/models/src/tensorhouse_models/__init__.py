"""tensorhouse level 5, the houses: Keras 3's models on the components layer.

``Model`` (subclassing or ``Model(inputs, outputs)``), ``Sequential``, ``models``
(``clone_model``, ``model_from_json``), ``fit`` / ``evaluate`` /
``predict``, ``callbacks``, ``summary()`` and ``saving`` (``.keras`` and ``.weights.h5``
files). It also passes up, on purpose, what the
meta-package needs from below (the meta-package imports only this package): ``ops``,
``layers``, ``losses``, ``metrics``, ``optimizers``, ``initializers``, ``activations``,
``regularizers``, ``data``, ``utils``, ``dtype_policies``, ``mixed_precision`` and
``feature_column``.
"""

from importlib.metadata import PackageNotFoundError as _PNF
from importlib.metadata import version as _version

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
)
from tensorhouse_components.layers import Input, InputLayer, KerasTensor

from . import callbacks, datasets, distribute, export, models, saved_model, saving, utils
from ._functional import Functional
from ._model import Model
from ._sequential import Sequential

try:
    __version__ = _version("tensorhouse-models")
except _PNF:  # a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "Functional", "Input", "InputLayer", "KerasTensor", "Model", "Sequential", "__version__",
    "activations", "callbacks", "constraints", "data", "datasets", "distribute", "dtype_policies",
    "feature_column", "initializers", "keras_ops", "layers", "losses", "metrics",
    "mixed_precision", "models", "ops", "optimizers", "regularizers", "saved_model", "saving",
    "train", "utils", "export",
]  # fmt: skip
