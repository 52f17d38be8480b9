"""Keras 3's ``keras.distribution`` as its TensorFlow backend has it: device meshes, tensor
layouts, layout maps and the ``DataParallel`` / ``ModelParallel`` descriptions, kept as the
global distribution; training across devices is ``tf.distribute``'s strategies (the
``distribute`` module), as with Keras on TensorFlow."""

from ._lib import (
    DataParallel,
    DeviceMesh,
    LayoutMap,
    ModelParallel,
    TensorLayout,
    distribute_tensor,
    distribution,
    get_device_count,
    initialize,
    list_devices,
    set_distribution,
)

__all__ = [
    "DataParallel", "DeviceMesh", "LayoutMap", "ModelParallel", "TensorLayout",
    "distribute_tensor", "distribution", "get_device_count", "initialize", "list_devices",
    "set_distribution",
]  # fmt: skip
