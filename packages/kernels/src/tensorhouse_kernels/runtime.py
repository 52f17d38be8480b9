"""The hw-runtime API that this layer passes up to the ops layer, on purpose.

The ops layer imports devices, placement, config and TF's errors from here; it never imports
``tensorhouse_hw_runtime`` itself.
"""

from tensorhouse_hw_runtime import (
    Device,
    DeviceSpec,
    LogicalDevice,
    LogicalDeviceConfiguration,
    PhysicalDevice,
    collective,
    config,
    copy_to_device,
    cpu_details,
    current_device,
    debugging,
    default_device,
    device,
    dispatch,
    errors,
    from_host,
    get_device,
    info,
    list_devices,
    list_kernels,
    place,
    register_kernel,
    registry,
    set_native_allocator,
    synchronize,
    to_host,
)
from tensorhouse_hw_runtime import __version__ as runtime_version

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
    "dispatch_with_fallback",
    "errors",
    "from_host",
    "get_device",
    "info",
    "list_devices",
    "list_kernels",
    "place",
    "register_kernel",
    "registry",
    "runtime_version",
    "set_native_allocator",
    "synchronize",
    "to_host",
]

dispatch_with_fallback = dispatch  # (kernel, device), soft placement included
