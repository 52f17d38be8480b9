"""TF's ``tf.config`` surface: devices, visibility, logical devices, memory, threads, placement.

Names, signatures and errors follow TensorFlow: configuration that shapes the devices
(visibility, logical devices, memory growth, thread counts) raises ``RuntimeError`` once the
runtime is initialized, which the first op or ``list_logical_devices`` does.
"""

from __future__ import annotations

import os
import types

from . import devices as _devices
from .devices import LogicalDevice, LogicalDeviceConfiguration, PhysicalDevice

__all__ = [
    "LogicalDevice",
    "LogicalDeviceConfiguration",
    "PhysicalDevice",
    "experimental",
    "get_logical_device_configuration",
    "get_soft_device_placement",
    "get_visible_devices",
    "list_logical_devices",
    "list_physical_devices",
    "set_logical_device_configuration",
    "set_soft_device_placement",
    "set_visible_devices",
    "threading",
]

_runtime = _devices._runtime


def list_physical_devices(device_type=None):
    """Every physical device the backends found (does not initialize the runtime)."""
    want = None if device_type is None else device_type.upper()
    found = _runtime.physical(_devices._backends_for(want))
    return [p.device for p in found if want is None or p.device.device_type == want]


def list_logical_devices(device_type=None):
    """The logical devices ops can run on (initializes the runtime)."""
    return [
        LogicalDevice(f"/device:{d.device_type}:{d.index}", d.device_type)
        for d in _devices.list_devices(device_type)
    ]


def get_visible_devices(device_type=None):
    visible = _runtime.visible
    return [d for d in list_physical_devices(device_type) if visible is None or d.name in visible]


def set_visible_devices(devices, device_type=None):
    """Make only ``devices`` visible; with ``device_type``, only devices of that type change."""
    _runtime.check_configurable("Visible devices")
    if isinstance(devices, PhysicalDevice):
        devices = [devices]
    chosen = [_runtime.find_physical(d).device for d in devices]
    if device_type is None:
        _runtime.visible = {d.name for d in chosen}
        return
    want = device_type.upper()
    wrong = [d.name for d in chosen if d.device_type != want]
    if wrong:
        raise ValueError(f"Devices {wrong} are not of device_type {device_type!r}")
    others = {d.name for d in get_visible_devices() if d.device_type != want}
    _runtime.visible = others | {d.name for d in chosen}


def set_logical_device_configuration(device, logical_devices):
    """Split a physical device into logical ones (several CPUs on one, or limited GPUs)."""
    _runtime.check_configurable("Virtual devices")
    p = _runtime.find_physical(device)
    if logical_devices is None:
        _runtime.logical_config.pop(p.device.name, None)
        return
    configs = list(logical_devices)
    if not configs:
        raise ValueError(f"set_logical_device_configuration({p.device.name}) needs at least one "
                         "LogicalDeviceConfiguration")  # fmt: skip
    for cfg in configs:
        if not isinstance(cfg, LogicalDeviceConfiguration):
            raise ValueError(f"Expected LogicalDeviceConfiguration objects, got {cfg!r}")
        if cfg.memory_limit is not None and p.device.device_type != "GPU":
            raise ValueError(
                f"Setting memory limit on {p.device.device_type} virtual devices is currently "
                f"not supported (device {p.device.name})"
            )
    _runtime.logical_config[p.device.name] = configs


def get_logical_device_configuration(device):
    return _runtime.logical_config.get(_runtime.find_physical(device).device.name)


def set_soft_device_placement(enabled: bool):
    _runtime.soft_placement = bool(enabled)


def get_soft_device_placement() -> bool:
    return _runtime.soft_placement


# ---- tf.config.experimental ----------------------------------------------------------------


def _set_memory_growth(device, enable):
    p = _runtime.find_physical(device)
    if p.device.device_type != "GPU":
        raise ValueError(f"Cannot set memory growth on non-GPU devices: {p.device.name}")
    _runtime.check_configurable("Physical devices")
    _runtime.memory_growth[p.device.name] = bool(enable)


def _get_memory_growth(device):
    p = _runtime.find_physical(device)
    if p.device.device_type != "GPU":
        raise ValueError(f"Cannot get memory growth on non-GPU devices: {p.device.name}")
    return _runtime.memory_growth.get(p.device.name, False)


def _get_memory_info(device):
    """``{"current": bytes, "peak": bytes}`` of the buffers on a logical device ("GPU:0")."""
    d = _logical(device, "get_memory_info")
    return d.backend.memory_info(d)


def _reset_memory_stats(device):
    d = _logical(device, "reset_memory_stats")
    d.backend.reset_memory_stats(d)


def _get_device_details(device):
    """Backend details of a physical device (name, compute capability, ISA, memory)."""
    return dict(_runtime.find_physical(device).info.details)


# TensorFloat-32: off by default here, as issue 6 asks. TensorFlow itself turns it on by default
# (its docs: "TensorFloat-32 is enabled by default"); tensorhouse keeps full float32 precision
# unless asked, so GPU results match the CPU's within float32 tolerances.
_tf32 = {"enabled": False}


def _enable_tensor_float_32_execution(enabled):
    """Let float32 matrix products (MatMul on GPUs of compute capability 8.0 and newer) use
    TF32 tensor cores: inputs rounded to 10 mantissa bits. Takes effect at the next op."""
    _tf32["enabled"] = bool(enabled)


def _tensor_float_32_execution_enabled() -> bool:
    return _tf32["enabled"]


def _logical(device, what):
    from .device_spec import DeviceSpec

    spec = DeviceSpec.from_string(device)
    if spec.device_type is None:
        raise ValueError(f"{what}: {device!r} names no device type")
    found = _runtime.find(spec.device_type, spec.device_index or 0)
    if found is None:
        known = ", ".join(d.name for d in _runtime.devices())
        raise ValueError(f"{what}: no device {device!r}. Known devices: {known}")
    return found


experimental = types.SimpleNamespace(
    set_memory_growth=_set_memory_growth,
    get_memory_growth=_get_memory_growth,
    get_memory_info=_get_memory_info,
    reset_memory_stats=_reset_memory_stats,
    get_device_details=_get_device_details,
    enable_tensor_float_32_execution=_enable_tensor_float_32_execution,
    tensor_float_32_execution_enabled=_tensor_float_32_execution_enabled,
    list_physical_devices=list_physical_devices,
    list_logical_devices=list_logical_devices,
    set_visible_devices=set_visible_devices,
    get_visible_devices=get_visible_devices,
    VirtualDeviceConfiguration=LogicalDeviceConfiguration,
    set_virtual_device_configuration=set_logical_device_configuration,
    get_virtual_device_configuration=get_logical_device_configuration,
)


# ---- tf.config.threading ---------------------------------------------------------------------


class _Threading:
    """``tf.config.threading``: the intra-op thread count that CPU kernels and BLAS honour."""

    def __init__(self):
        self._intra = 0  # 0: let the runtime pick (all cores)
        self._inter = 0
        self._listeners = []

    def get_intra_op_parallelism_threads(self) -> int:
        return self._intra

    def set_intra_op_parallelism_threads(self, num_threads: int):
        """As TF: only before the runtime is initialized (``RuntimeError`` afterwards)."""
        if _runtime.initialized:
            raise RuntimeError("Intra op parallelism cannot be modified after initialization.")
        self._set_intra(num_threads)

    def _set_intra(self, num_threads: int):
        """Change the thread count now, initialized or not (benchmarks and tests)."""
        num_threads = int(num_threads)
        if num_threads < 0:
            raise ValueError(f"num_threads must be >= 0 (0 means all cores), got {num_threads}")
        self._intra = num_threads
        for listener in self._listeners:
            listener(self.effective_intra_op_threads())

    def get_inter_op_parallelism_threads(self) -> int:
        return self._inter

    def set_inter_op_parallelism_threads(self, num_threads: int):
        if _runtime.initialized:
            raise RuntimeError("Inter op parallelism cannot be modified after initialization.")
        self._inter = int(num_threads)

    def effective_intra_op_threads(self) -> int:
        """The set count, else the cores this process may run on (its affinity, as TF)."""
        return self._intra or _usable_cores()

    def add_listener(self, callback):
        """Kernel libraries subscribe here to follow the thread count."""
        self._listeners.append(callback)
        callback(self.effective_intra_op_threads())


threading = _Threading()


def _usable_cores() -> int:
    """Cores in this process's CPU affinity mask (``taskset``, MPI pinning), else all."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # no affinity API on this platform
        return os.cpu_count() or 1
