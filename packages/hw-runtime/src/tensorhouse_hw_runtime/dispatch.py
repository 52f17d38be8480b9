"""Placement and dispatch: which device an op runs on, and which kernel runs it there."""

from __future__ import annotations

import sys

from . import devices as _devices
from .registry import registry

__all__ = ["place", "dispatch", "copy_to_device", "from_host", "to_host", "synchronize"]

_runtime = _devices._runtime
_best = registry._best


def place(input_devices=()):
    """The op's device: the ``device(...)`` scope, else the first input's device, else default."""
    scoped = _devices.current_device()
    if scoped is not None:
        return scoped
    for d in input_devices:
        if d is not None:
            return d
    return _devices.default_device()


def dispatch(op_type: str, device, dtype):
    """Return ``(kernel, device)`` for the op; soft placement may move it to the CPU."""
    kernel = _best.get((op_type, device.device_type, dtype))
    if kernel is None:
        if device.device_type != "CPU" and _runtime.soft_placement:
            cpu = _devices.get_device("/CPU:0")
            if registry.has(op_type, "CPU", dtype):
                _log(op_type, cpu, f"(soft placement: {device.device_type} has no kernel)")
                return registry.lookup(op_type, "CPU", dtype), cpu
        kernel = registry.lookup(op_type, device.device_type, dtype)  # raises NotFoundError
    if _runtime.log_placement:
        _log(op_type, device)
    return kernel, device


def _log(op_type, device, why=""):
    if _runtime.log_placement:
        print(f"Executing op {op_type} in device {device.name} {why}".rstrip(), file=sys.stderr)


def from_host(array, device):
    """Copy a host (NumPy) array into a buffer on ``device`` (no copy on the CPU)."""
    return device.backend.from_host(device, array)


def to_host(handle, device):
    """The buffer's contents as a NumPy array on the host."""
    return device.backend.to_host(device, handle)


def copy_to_device(handle, src, dst):
    """Copy a buffer between two devices of any types (through the host across backends)."""
    if src is dst:
        return handle
    if src.backend is dst.backend:
        return dst.backend.copy(src, dst, handle)
    return dst.backend.from_host(dst, src.backend.to_host(src, handle))


def synchronize(device):
    device.backend.synchronize(device)
