"""``tf.keras``: the models layer's Keras API."""

from tensorhouse_models import (
    Input,
    Model,
    Sequential,
    activations,
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
backend = keras_ops.backend  # floatx, epsilon, image_data_format, backend(), result_type

__all__ = [
    "Input",
    "Model",
    "Sequential",
    "activations",
    "backend",
    "callbacks",
    "config",
    "constraints",
    "datasets",
    "dtype_policies",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "mixed_precision",
    "models",
    "ops",
    "optimizers",
    "random",
    "regularizers",
    "saving",
    "tree",
    "utils",
]
