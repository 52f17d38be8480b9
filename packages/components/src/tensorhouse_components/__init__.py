"""tensorhouse level 4, the walls: Keras 3's building blocks on the ops layer.

``layers``, ``losses``, ``metrics``, ``optimizers``, ``initializers``, ``activations``,
``regularizers``, ``data`` (``Dataset``) and ``utils``; ``ops`` passes the tensor API of the
layer below up to the models layer, as ``keras.ops`` does.
"""

from importlib.metadata import PackageNotFoundError as _PNF
from importlib.metadata import version as _version

from . import (
    activations,
    data,
    initializers,
    layers,
    losses,
    metrics,
    ops,
    optimizers,
    regularizers,
    utils,
)
from ._serialization import register_serializable

try:
    __version__ = _version("tensorhouse-components")
except _PNF:  # a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "__version__", "activations", "data", "initializers", "layers", "losses", "metrics", "ops",
    "optimizers", "register_serializable", "regularizers", "utils",
]  # fmt: skip
