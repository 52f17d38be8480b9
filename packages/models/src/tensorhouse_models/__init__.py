"""tensorhouse level 5, the houses: Keras 3's models on the components layer.

``Model`` (subclassing or ``Model(inputs, outputs)``), ``Sequential``, ``models``
(``clone_model``, ``model_from_json``), ``fit`` / ``evaluate`` /
``predict``, ``callbacks`` and ``summary()``. It also passes up, on purpose, what the
meta-package needs from below (the meta-package imports only this package): ``ops``,
``layers``, ``losses``, ``metrics``, ``optimizers``, ``initializers``, ``activations``,
``regularizers``, ``data`` and ``utils``.
"""

from importlib.metadata import PackageNotFoundError as _PNF
from importlib.metadata import version as _version

from tensorhouse_components import (
    activations,
    data,
    initializers,
    layers,
    losses,
    metrics,
    ops,
    optimizers,
    regularizers,
)
from tensorhouse_components.layers import Input, InputLayer, KerasTensor

from . import callbacks, models, utils
from ._functional import Functional
from ._model import Model
from ._sequential import Sequential

try:
    __version__ = _version("tensorhouse-models")
except _PNF:  # a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "Functional", "Input", "InputLayer", "KerasTensor", "Model", "Sequential", "__version__",
    "activations", "callbacks", "data", "initializers", "layers", "losses", "metrics", "models",
    "ops", "optimizers", "regularizers", "utils",
]  # fmt: skip
