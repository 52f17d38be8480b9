"""The distribution objects: what Keras 3 records about meshes and layouts (checked as Keras
checks them); tensorhouse, like Keras's TensorFlow backend, shards nothing through them."""

from __future__ import annotations

import collections
import contextlib
import math
import re
import threading
import warnings

import numpy as np

from tensorhouse_components import layers as layers_module
from tensorhouse_components import ops

_BATCH = "batch"
_state = threading.local()  # Keras keeps the distribution in its per-thread global state


def list_devices(device_type=None):
    """The local devices as ``"cpu:0"``, ``"gpu:1"``: the accelerators when there are any
    and no ``device_type`` is given, else the CPUs (never the XLA_* devices)."""
    found = ops.config.list_logical_devices(device_type.upper() if device_type else None)
    if device_type is None:  # the XLA_* devices (JAX's) are not Keras's device types
        found = [d for d in found if d.device_type in ("GPU", "TPU")] or [
            d for d in found if d.device_type == "CPU"
        ]
    return [f"{d.device_type.lower()}:{d.name.split(':')[-1]}" for d in found]


def get_device_count(device_type=None):
    """How many devices ``list_devices(device_type)`` lists."""
    return len(list_devices(device_type))


def initialize(job_addresses=None, num_processes=None, process_id=None):
    """Keras's multi-host set-up, which tensorhouse does not provide."""
    raise NotImplementedError(
        "keras.distribution.initialize (multi-host set-up) is not supported by tensorhouse; "
        "use tf.distribute.MultiWorkerMirroredStrategy for training on several workers."
    )


class DeviceMesh:
    """Devices arranged in a named grid (``shape``, ``axis_names``; all local devices by
    default)."""

    def __init__(self, shape, axis_names, devices=None):
        if not shape or not axis_names:
            raise ValueError(
                "Shape and axis_names cannot be empty. Received: "
                f"shape={shape}, axis_names={axis_names}"
            )
        if len(shape) != len(axis_names):
            raise ValueError(
                "Shape and axis_names should have same size. Received: "
                f"shape={shape}, axis_names={axis_names}"
            )
        devices = np.array(list_devices() if devices is None else devices)
        if math.prod(shape) != math.prod(devices.shape):
            raise ValueError(
                "Shape does not match the number of devices. Received: "
                f"shape={shape}; devices.shape={devices.shape}"
            )
        self._shape, self._axis_names = shape, axis_names
        self._devices = np.reshape(devices, shape)

    shape = property(lambda self: self._shape)
    axis_names = property(lambda self: self._axis_names)
    devices = property(lambda self: self._devices)

    def __repr__(self):
        return f"<{type(self).__name__} shape={self.shape}, axis_names={self.axis_names}>"


class TensorLayout:
    """Which mesh axis (or None) each dimension of a tensor is split along."""

    def __init__(self, axes, device_mesh=None):
        self._axes = tuple(axes)
        self._device_mesh = device_mesh
        self._validate()

    axes = property(lambda self: self._axes)

    @property
    def device_mesh(self):
        return self._device_mesh

    @device_mesh.setter
    def device_mesh(self, device_mesh):
        if self._device_mesh is not None:
            raise ValueError(
                f"Cannot override device mesh value. Existing value is {self._device_mesh}"
            )
        self._device_mesh = device_mesh
        self._validate()

    def _validate(self):
        if self._device_mesh:
            valid = set(self._device_mesh.axis_names)
            names = set(self._axes) - {None}
            if names - valid:
                raise ValueError(
                    f"Invalid axis names for Layout. Valid axis names: {valid}, Got {names}"
                )

    def __repr__(self):
        return f"<{type(self).__name__} axes={self.axes}, device_mesh={self.device_mesh}>"


class _Distribution:
    """What DataParallel and ModelParallel share: the mesh, the batch axis, one process."""

    def __init__(self, device_mesh, batch_dim_name=None, auto_shard_dataset=True):
        self._device_mesh = device_mesh
        self._batch_dim_name = batch_dim_name
        self.auto_shard_dataset = auto_shard_dataset
        self._num_processes, self._process_id = 1, 0

    num_processes = property(lambda self: self._num_processes)
    device_mesh = property(lambda self: self._device_mesh)
    batch_dim_name = property(lambda self: self._batch_dim_name)

    @property
    def data_shard_id(self):
        replicas = self.num_model_replicas
        if replicas >= self.num_processes:
            return self._process_id
        return self._process_id // (self.num_processes // replicas)

    def get_data_layout(self, data_shape):
        """Inputs split along the batch axis."""
        return TensorLayout([self.batch_dim_name] + [None] * (len(data_shape) - 1),
                            self.device_mesh)  # fmt: skip

    def _replicated(self, variable):
        return TensorLayout([None] * len(variable.shape), self.device_mesh)

    @contextlib.contextmanager
    def scope(self):
        """This distribution as the global one inside the ``with`` block."""
        previous = distribution()
        set_distribution(self)
        try:
            yield
        finally:
            set_distribution(previous)

    def distribute_dataset(self, dataset):
        """The dataset itself (a single process reads all of it)."""
        return dataset

    def __repr__(self):
        return f"<{type(self).__name__} device_mesh={self.device_mesh}>"


class DataParallel(_Distribution):
    """Data parallelism over a 1-D mesh (the given one, one over ``devices``, or one over all
    local devices); every variable is replicated."""

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True):
        if device_mesh:
            if not isinstance(device_mesh, DeviceMesh):
                raise ValueError(
                    "Expect `mesh` to be an instance of `DeviceMesh`. "
                    f"Received: mesh={device_mesh} (of type {type(device_mesh)})"
                )
            super().__init__(device_mesh, device_mesh.axis_names[0], auto_shard_dataset)
            if device_mesh.devices.ndim != 1:
                warnings.warn(
                    "Expect the input mesh to be 1D, but received mesh.devices.ndim=%d. The "
                    "first axis will be used for data-parallel sharding.",
                    device_mesh.devices.ndim, stacklevel=2,
                )  # fmt: skip
            return
        devices = np.array(devices if devices else list_devices())
        mesh = DeviceMesh(shape=devices.shape, axis_names=[_BATCH], devices=devices)
        super().__init__(mesh, _BATCH, auto_shard_dataset)

    @property
    def num_model_replicas(self):
        return self.device_mesh.devices.size

    def get_variable_layout(self, variable):
        return getattr(variable, "_layout", None) or self._replicated(variable)

    def get_tensor_layout(self, path):
        return None


class ModelParallel(_Distribution):
    """Variables laid out by a ``LayoutMap`` (matched on their paths), data split along
    ``batch_dim_name`` (default: the mesh's first axis)."""

    def __init__(self, *, layout_map=None, batch_dim_name=None, auto_shard_dataset=True,
                 **kwargs):  # fmt: skip
        kwargs.pop("device_mesh", None)
        if layout_map is None:
            raise ValueError("You must specify a layout_map argument.")
        if not isinstance(layout_map, LayoutMap):
            raise ValueError(
                "Argument `layout_map` must be a `LayoutMap` instance. "
                f"Received: layout_map={layout_map}"
            )
        mesh = layout_map.device_mesh
        super().__init__(mesh, batch_dim_name or mesh.axis_names[0], auto_shard_dataset)
        self._layout_map = layout_map

    @property
    def num_model_replicas(self):
        return self.device_mesh.shape[self.device_mesh.axis_names.index(self.batch_dim_name)]

    def get_variable_layout(self, variable):
        layout = getattr(variable, "_layout", None) or self._layout_map[variable.path]
        return layout or self._replicated(variable)

    def get_tensor_layout(self, path):
        return self._layout_map[path]


class LayoutMap(collections.abc.MutableMapping):
    """Variable paths (regular expressions, matched whole) to ``TensorLayout``s; a tuple of
    axis names is taken as a layout on this map's mesh."""

    def __init__(self, device_mesh):
        self._layout_map = collections.OrderedDict()
        self._device_mesh = device_mesh

    device_mesh = property(lambda self: self._device_mesh)

    def __getitem__(self, key):
        if key in self._layout_map:
            return self._layout_map[key]
        matches = [p for p in self._layout_map if re.fullmatch(p, key)]
        if len(matches) > 1:
            raise ValueError(
                f"Path '{key}' matches multiple layout specification keys: {matches}. Please "
                "make sure each tensor/variable path only matches at most one layout "
                "specification key in the LayoutMap."
            )
        return self._layout_map[matches[0]] if matches else None

    def __setitem__(self, key, layout):
        if key in self._layout_map:
            raise ValueError(
                f"{key} already exist in the LayoutMap with value {self._layout_map[key]}. "
                "Please make sure to not use duplicated keys."
            )
        if isinstance(layout, tuple):
            layout = TensorLayout(axes=layout, device_mesh=None)
        if not isinstance(layout, TensorLayout):
            raise ValueError(f"{layout} should be a TensorLayout type, got {type(layout)}")
        if layout.device_mesh is None and self.device_mesh is not None:
            layout.device_mesh = self.device_mesh
        self._layout_map[key] = layout

    def __delitem__(self, key):
        return self._layout_map.pop(key)

    def __len__(self):
        return len(self._layout_map)

    def __iter__(self):
        return iter(self._layout_map)


def distribute_tensor(tensor, layout):
    """A KerasTensor is returned as it is; laying a real tensor out across devices is not
    supported (Keras's TensorFlow backend has no such operation either)."""
    if isinstance(tensor, layers_module.KerasTensor):
        return tensor
    raise NotImplementedError(
        f"keras.distribution.distribute_tensor is not supported by tensorhouse (layout {layout}): "
        "tensors are not sharded across devices; use tf.distribute strategies instead."
    )


def distribution():
    """The global distribution (None when none was set)."""
    return getattr(_state, "value", None)


def set_distribution(value):
    """Set the global distribution (None clears it)."""
    _state.value = value
