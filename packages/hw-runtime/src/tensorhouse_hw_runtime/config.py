"""TF's ``tf.config`` surface for the devices this runtime knows."""

from __future__ import annotations

import os

from . import devices as _devices
from .devices import LogicalDevice, PhysicalDevice

__all__ = [
    "list_physical_devices",
    "list_logical_devices",
    "set_soft_device_placement",
    "get_soft_device_placement",
    "set_log_device_placement",
    "threading",
]

_runtime = _devices._runtime


def list_physical_devices(device_type=None):
    return [
        PhysicalDevice(f"/physical_device:{d.device_type}:{d.index}", d.device_type)
        for d in _devices.list_devices(device_type)
    ]


def list_logical_devices(device_type=None):
    return [
        LogicalDevice(f"/device:{d.device_type}:{d.index}", d.device_type)
        for d in _devices.list_devices(device_type)
    ]


def set_soft_device_placement(enabled: bool):
    _runtime.soft_placement = bool(enabled)


def get_soft_device_placement() -> bool:
    return _runtime.soft_placement


def set_log_device_placement(enabled: bool):
    _runtime.log_placement = bool(enabled)


class _Threading:
    """``tf.config.threading``: the intra-op thread count that CPU kernels and BLAS honour."""

    def __init__(self):
        self._intra = 0  # 0: let the runtime pick (all cores)
        self._inter = 0
        self._listeners = []

    def get_intra_op_parallelism_threads(self) -> int:
        return self._intra

    def set_intra_op_parallelism_threads(self, num_threads: int):
        num_threads = int(num_threads)
        if num_threads < 0:
            raise ValueError(f"num_threads must be >= 0 (0 means all cores), got {num_threads}")
        self._intra = num_threads
        for listener in self._listeners:
            listener(self.effective_intra_op_threads())

    def get_inter_op_parallelism_threads(self) -> int:
        return self._inter

    def set_inter_op_parallelism_threads(self, num_threads: int):
        self._inter = int(num_threads)

    def effective_intra_op_threads(self) -> int:
        return self._intra or os.cpu_count() or 1

    def add_listener(self, callback):
        """Kernel libraries subscribe here to follow thread-count changes."""
        self._listeners.append(callback)
        callback(self.effective_intra_op_threads())


threading = _Threading()
