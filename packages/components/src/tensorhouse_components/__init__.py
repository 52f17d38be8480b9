"""tensorhouse level 4, the walls: Keras 3's building blocks on the ops layer.

``layers``, ``losses``, ``metrics``, ``optimizers``, ``initializers``, ``activations``,
``regularizers``, ``constraints``, ``data`` (``Dataset``), ``utils``, ``dtype_policies``,
``mixed_precision`` and ``feature_column`` (``tf.feature_column``);
``ops`` passes the tensor API of the layer below up to the models layer, and ``keras_ops`` is
Keras 3's NumPy-style ``keras.ops`` (with ``random`` and ``config``).
"""

from importlib.metadata import PackageNotFoundError as _PNF
from importlib.metadata import version as _version

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
    utils,
)
from ._serialization import register_serializable

try:
    __version__ = _version("tensorhouse-components")
except _PNF:  # a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "__version__", "activations", "constraints", "data", "dtype_policies", "feature_column",
    "initializers", "keras_ops", "layers", "losses", "metrics", "mixed_precision", "ops",
    "optimizers", "register_serializable", "regularizers", "utils",
]  # fmt: skip
