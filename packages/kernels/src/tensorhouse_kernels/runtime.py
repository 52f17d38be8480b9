"""The hw-runtime API that this layer passes up to the ops layer, on purpose.

The ops layer imports devices, placement, config and TF's errors from here; it never imports
``tensorhouse_hw_runtime`` itself.
"""

from typing import TYPE_CHECKING

from tensorhouse_hw_runtime import (
    Device,
    DeviceSpec,
    LogicalDevice,
    LogicalDeviceConfiguration,
    PhysicalDevice,
    config,
    copy_to_device,
    cpu_details,
    current_device,
    debugging,
    default_device,
    device,
    dispatch,
    errors,
    fast_path,
    from_host,
    get_device,
    info,
    list_devices,
    list_kernels,
    op_fast_path,
    register_fast_path,
    register_kernel,
    registry,
    set_native_allocator,
    synchronize,
    to_host,
)

runtime_version: str  # tensorhouse_hw_runtime.__version__, read on first use (``__getattr__``)
if TYPE_CHECKING:  # tensorhouse_hw_runtime.collective, imported on first use (``__getattr__``)
    from tensorhouse_hw_runtime import collective

__all__ = [
    "Device",
    "DeviceSpec",
    "LogicalDevice",
    "LogicalDeviceConfiguration",
    "PhysicalDevice",
    "collective",
    "config",
    "copy_to_device",
    "cpu_details",
    "debugging",
    "current_device",
    "default_device",
    "device",
    "dispatch",
    "errors",
    "fast_path",
    "from_host",
    "get_device",
    "info",
    "list_devices",
    "list_kernels",
    "op_fast_path",
    "register_fast_path",
    "register_kernel",
    "registry",
    "runtime_version",
    "set_native_allocator",
    "synchronize",
    "to_host",
]


def __getattr__(name: str):  # PEP 562: the version and ``collective``, only when asked
    if name not in ("runtime_version", "collective"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import tensorhouse_hw_runtime

    if name == "collective":
        globals()[name] = value = tensorhouse_hw_runtime.collective
        return value
    return tensorhouse_hw_runtime.__version__


def __dir__():
    return sorted(set(globals()) | set(__all__))
