"""Devices: physical discovery, configuration, logical devices, and the placement scope.

The runtime has two phases, as TF's: until it is *initialized* (by the first op, or by
listing logical devices) the visible devices, logical device splits and memory growth may be
configured; afterwards they are fixed and changing them is a ``RuntimeError``. Listing
physical devices does not initialize it.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import threading
from typing import NamedTuple

from . import errors
from .backends import BackendUnavailable, MemoryStats, PhysicalInfo
from .device_spec import DeviceSpec

__all__ = [
    "Device",
    "PhysicalDevice",
    "LogicalDevice",
    "LogicalDeviceConfiguration",
    "device",
    "current_device",
    "default_device",
    "get_device",
    "list_devices",
]

_PREFIX = "/job:localhost/replica:0/task:0/device:"
_BACKENDS = ("cpu", "cuda", "xla")  # backends/<name>.py, probed in this order
_CORE = ("cpu", "cuda")  # what placement needs; XLA (JAX) is probed only when asked for


def _backends_for(device_type: str | None) -> tuple[str, ...]:
    """The backends that can have devices of ``device_type`` (None: every backend)."""
    return _CORE if device_type in ("CPU", "GPU") else _BACKENDS


def _backend(name: str):
    """The backend object of ``backends/<name>.py`` (importing it loads no device library)."""
    return importlib.import_module(f"{__package__}.backends.{name}").backend


class PhysicalDevice(NamedTuple):
    """TF's ``tf.config.PhysicalDevice``: ``name`` like ``/physical_device:CPU:0``."""

    name: str
    device_type: str


class LogicalDevice(NamedTuple):
    """TF's ``tf.config.LogicalDevice``: ``name`` like ``/device:CPU:0``."""

    name: str
    device_type: str


class LogicalDeviceConfiguration(NamedTuple):
    """TF's ``tf.config.LogicalDeviceConfiguration`` (memory limit in MiB, GPUs only)."""

    memory_limit: int | None = None
    experimental_priority: int | None = None
    experimental_device_ordinal: int | None = None


class Device:
    """A logical device that kernels run on; ``name`` is TF's full device name.

    ``allocate(shape, dtype)`` is the hot-path allocator (bound to this device's backend and
    memory accounting); ``native`` is the backend's own device object; ``writable`` whether
    kernels may write into its buffers (``False`` for JAX's immutable arrays: kernels then
    create their outputs).
    """

    __slots__ = (
        "name", "device_type", "index", "backend", "spec", "stats", "native",
        "physical_index", "memory_limit", "allocate", "writable",
    )  # fmt: skip

    def __init__(self, device_type, index, backend, native=None, physical_index=0,
                 memory_limit=None):  # fmt: skip
        self.device_type = device_type
        self.index = index
        self.backend = backend
        self.native = native
        self.physical_index = physical_index
        self.memory_limit = memory_limit
        self.writable = backend.writable_buffers
        self.name = f"{_PREFIX}{device_type}:{index}"
        self.spec = DeviceSpec.from_string(self.name)
        self.stats = MemoryStats()
        self.bind_allocator()

    def bind_allocator(self):
        """Point ``allocate`` at the backend's native allocator, or at ``backend.allocate``."""
        native = self.backend.native_allocator
        if native is not None:
            self.allocate = functools.partial(native, self.stats.counts)
        else:
            alloc = self.backend.allocate
            self.allocate = lambda shape, dtype: alloc(self, shape, dtype)

    def __repr__(self):
        return f"<Device {self.name}>"


class _Physical(NamedTuple):
    device: PhysicalDevice
    backend: object
    info: PhysicalInfo


class _Runtime:
    def __init__(self):
        self._lock = threading.RLock()
        self._probed: dict[str, list[_Physical]] = {}  # backend name -> its physical devices
        self._logical: set[str] = set()  # backends whose logical devices exist
        self.backend_status: dict[str, str] = {}
        self._devices: list[Device] = []
        self._by_key: dict[tuple[str, int], Device] = {}
        self.default: Device | None = None  # default_device(), once the CPU and GPUs exist
        self.visible: set[str] | None = None  # physical names; None means all
        self.logical_config: dict[str, list] = {}
        self.memory_growth: dict[str, bool] = {}
        self.soft_placement = True
        self.log_placement = False

    # ---- phase 1: physical devices -------------------------------------------------------
    def physical(self, backends=_BACKENDS) -> list[_Physical]:
        """The physical devices of ``backends`` (all by default), probing those not probed yet.

        The CPU and CUDA backends are probed on first use; XLA (which imports JAX) only when an
        XLA device or a listing of every device is asked for, so a first op stays light."""
        if any(name not in self._probed for name in backends):
            with self._lock:
                for name in _BACKENDS:
                    if name in backends and name not in self._probed:
                        self._probed[name] = self._probe(name)
        return [p for name in _BACKENDS if name in backends for p in self._probed.get(name, ())]

    def reportable(self) -> tuple[str, ...]:
        """The backends a report may probe: the core ones, those probed already, and those
        whose probe is cheap now (XLA when JAX is missing or turned off: importing it takes
        seconds, so a report does not)."""
        return tuple(
            name
            for name in _BACKENDS
            if name in _CORE
            or name in self._probed
            or getattr(_backend(name), "probe_is_cheap", lambda: True)()
        )

    def _probe(self, name) -> list[_Physical]:
        backend = _backend(name)
        try:
            infos = backend.probe()
        except BackendUnavailable as e:
            self.backend_status[name] = f"not available: {e}"
            return []
        except Exception as e:  # a broken install must not break the CPU
            self.backend_status[name] = f"failed: {type(e).__name__}: {e}"
            return []
        self.backend_status[name] = "loaded"
        return [
            _Physical(
                PhysicalDevice(f"/physical_device:{i.device_type}:{i.index}", i.device_type),
                backend,
                i,
            )  # fmt: skip
            for i in infos
        ]

    def find_physical(self, device: PhysicalDevice) -> _Physical:
        for p in self.physical():
            if p.device == device or p.device.name == getattr(device, "name", device):
                return p
        known = ", ".join(p.device.name for p in self.physical())
        raise ValueError(f"Unrecognized device: {device!r}. Physical devices: {known}")

    # ---- phase 2: logical devices -----------------------------------------------------------
    @property
    def initialized(self) -> bool:
        return bool(self._logical)

    def check_configurable(self, what: str):
        if self._logical:
            raise RuntimeError(f"{what} cannot be modified after being initialized")

    def devices(self, backends=_BACKENDS) -> list[Device]:
        """The logical devices, those of ``backends`` made on first use (CPU and GPU first: the
        runtime is initialized then; XLA devices join the list when first needed)."""
        if any(name not in self._logical for name in backends):
            with self._lock:
                for name in _BACKENDS:
                    if name in backends and name not in self._logical:
                        self._initialize(name)
        return self._devices

    def _initialize(self, name):
        counters: dict[str, int] = {}
        for d in self._devices:
            counters[d.device_type] = max(counters.get(d.device_type, 0), d.index + 1)
        devices = list(self._devices)
        for p in self.physical((name,)):
            if self.visible is not None and p.device.name not in self.visible:
                continue
            configs = self.logical_config.get(p.device.name) or [None]
            for cfg in configs:
                t = p.device.device_type
                index = counters.get(t, 0)
                counters[t] = index + 1
                limit = None if cfg is None or cfg.memory_limit is None else cfg.memory_limit
                devices.append(Device(t, index, p.backend, p.info.native, p.info.index, limit))
        self._by_key = {(d.device_type, d.index): d for d in devices}
        self._devices = devices
        self._logical.add(name)

    def rebind_allocators(self, backend):
        """A backend's allocator changed: its devices (when they exist) rebind to it."""
        for d in self._devices:
            if d.backend is backend:
                d.bind_allocator()

    def find(self, device_type: str, index: int) -> Device | None:
        self.devices(_backends_for(device_type))
        return self._by_key.get((device_type, index))

    def reset(self):
        """Forget discovery, configuration and logical devices (tests only)."""
        with self._lock:
            self.__init__()


_runtime = _Runtime()


class _Scope(threading.local):
    """This thread's ``device(...)`` scope; the class defaults make the unscoped read fast (a
    ``getattr`` default on a missing attribute raises and catches an AttributeError)."""

    spec: DeviceSpec | None = None
    device: Device | None = None


_scope = _Scope()


def set_native_allocator(device_type: str, allocator) -> None:
    """Allocate ``device_type``'s buffers with ``allocator(counts, shape, dtype)`` from now on.

    For kernel libraries that bring an allocator of their own (the C++ CPU kernels do). The
    allocator keeps the device's byte counters (``counts``: int64 ``[current, peak]``) up to
    date itself; ``None`` restores the backend's own allocation.
    """
    for name in _BACKENDS:
        backend = _backend(name)
        if device_type in backend.device_types:
            backend.set_native_allocator(allocator)
            return
    raise ValueError(f"set_native_allocator: no backend handles device type {device_type!r}")


def list_devices(device_type: str | None = None) -> list[Device]:
    if device_type is None:
        return list(_runtime.devices())
    device_type = device_type.upper()
    return [d for d in _runtime.devices(_backends_for(device_type)) if d.device_type == device_type]


def default_device() -> Device:
    """The device ops run on without a scope: the first GPU when present (as TF), else CPU:0."""
    if _runtime.default is not None:  # fixed once made: the device list cannot change then
        return _runtime.default
    devices = _runtime.devices(_CORE)
    for kind in ("GPU", "CPU"):
        for d in devices:
            if d.device_type == kind:
                _runtime.default = d
                return d
    raise errors.NotFoundError("No CPU device is visible: set_visible_devices hid them all")


def get_device(spec) -> Device:
    """Resolve a device name or ``DeviceSpec`` to a ``Device``.

    A type without an index means index 0. A device that does not exist falls back to the CPU
    under soft placement; otherwise it is an ``InvalidArgumentError`` naming the device and
    listing the known ones.
    """
    if isinstance(spec, Device):
        return spec
    if not isinstance(spec, DeviceSpec):
        spec = DeviceSpec.from_string(spec)
    if spec.device_type is None:
        return default_device()
    found = _runtime.find(spec.device_type, spec.device_index or 0)
    if found is not None:
        return found
    if _runtime.soft_placement:
        if spec.device_type == "GPU":
            return default_device()
        return _runtime.find("CPU", 0)  # pyright: ignore[reportReturnType]  # always there
    known = ", ".join(d.name for d in _runtime.devices())
    raise errors.InvalidArgumentError(
        f"Could not satisfy device specification '{spec.to_string()}': no such device "
        f"(soft placement is off). Known devices: {known}"
    )


def current_device() -> Device | None:
    """The device chosen by the innermost ``device(...)`` scope of this thread, or ``None``."""
    return _scope.device


@contextlib.contextmanager
def device(name):
    """Place ops created in this block on ``name`` (TF's ``tf.device``); scopes nest and merge.

    ``device(None)`` clears the enclosing scopes. A malformed name is a ``ValueError`` at once.
    """
    outer_spec = _scope.spec
    outer_device = _scope.device
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
