"""Devices, TF-style names, and the thread-local placement scope."""

from __future__ import annotations

import contextlib
import threading
from typing import NamedTuple

from . import errors
from .device_spec import DeviceSpec

__all__ = [
    "Device",
    "PhysicalDevice",
    "LogicalDevice",
    "device",
    "current_device",
    "default_device",
    "get_device",
    "list_devices",
]

_PREFIX = "/job:localhost/replica:0/task:0/device:"


class PhysicalDevice(NamedTuple):
    """TF's ``tf.config.PhysicalDevice``: ``name`` like ``/physical_device:CPU:0``."""

    name: str
    device_type: str


class LogicalDevice(NamedTuple):
    """TF's ``tf.config.LogicalDevice``: ``name`` like ``/device:CPU:0``."""

    name: str
    device_type: str


class Device:
    """A logical device that kernels run on; ``name`` is TF's full device name."""

    __slots__ = ("name", "device_type", "index", "backend", "spec")

    def __init__(self, device_type: str, index: int, backend):
        self.device_type = device_type
        self.index = index
        self.backend = backend
        self.name = f"{_PREFIX}{device_type}:{index}"
        self.spec = DeviceSpec.from_string(self.name)

    def __repr__(self):
        return f"<Device {self.name}>"


class _Runtime:
    """Lazily discovered devices; discovery happens once, on first use."""

    def __init__(self):
        self._lock = threading.Lock()
        self._devices: list[Device] | None = None
        self._by_key: dict[tuple[str, int], Device] = {}
        self.soft_placement = True
        self.log_placement = False

    @property
    def initialized(self) -> bool:
        return self._devices is not None

    def devices(self) -> list[Device]:
        if self._devices is None:
            with self._lock:
                if self._devices is None:
                    self._discover()
        return self._devices

    def _discover(self):
        from .backends import cpu

        found = [Device("CPU", d["index"], cpu) for d in cpu.discover()]
        self._by_key = {(d.device_type, d.index): d for d in found}
        self._devices = found

    def find(self, device_type: str, index: int) -> Device | None:
        self.devices()
        return self._by_key.get((device_type, index))


_runtime = _Runtime()
_scope = threading.local()


def list_devices(device_type: str | None = None) -> list[Device]:
    devices = _runtime.devices()
    if device_type is None:
        return list(devices)
    return [d for d in devices if d.device_type == device_type.upper()]


def default_device() -> Device:
    """The device ops run on without a scope: the first GPU when present, else CPU:0."""
    devices = _runtime.devices()
    for d in devices:
        if d.device_type == "GPU":
            return d
    return devices[0]


def get_device(spec) -> Device:
    """Resolve a device name or ``DeviceSpec`` to a ``Device``.

    A type without an index means index 0. A device that does not exist falls back to the
    CPU under soft placement, otherwise it is an ``InvalidArgumentError`` naming the device.
    """
    if not isinstance(spec, DeviceSpec):
        spec = DeviceSpec.from_string(spec)
    if spec.device_type is None:
        return default_device()
    found = _runtime.find(spec.device_type, spec.device_index or 0)
    if found is not None:
        return found
    if _runtime.soft_placement:
        return _runtime.find("CPU", 0)
    known = ", ".join(d.name for d in _runtime.devices())
    raise errors.InvalidArgumentError(
        f"Could not satisfy device specification '{spec.to_string()}': no such device. "
        f"Known devices: {known}"
    )


def current_device() -> Device | None:
    """The device chosen by the innermost ``device(...)`` scope of this thread, or ``None``."""
    return getattr(_scope, "device", None)


@contextlib.contextmanager
def device(name):
    """Place ops created in this block on ``name`` (TF's ``tf.device``); scopes nest and merge.

    ``device(None)`` clears the enclosing scopes.
    """
    outer_spec = getattr(_scope, "spec", None)
    outer_device = getattr(_scope, "device", None)
    if name is None:
        spec, dev = None, None
    else:
        if isinstance(name, Device):
            name = name.name
        inner = name if isinstance(name, DeviceSpec) else DeviceSpec.from_string(name)
        spec = inner if outer_spec is None else outer_spec.make_merged_spec(inner)
        dev = get_device(spec) if spec.device_type is not None else outer_device
    _scope.spec, _scope.device = spec, dev
    try:
        yield
    finally:
        _scope.spec, _scope.device = outer_spec, outer_device
