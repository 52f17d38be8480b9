"""tensorhouse level 1: devices, TF-style names and config, placement, buffers, kernel dispatch."""

from importlib.metadata import PackageNotFoundError as _PNF
from importlib.metadata import version as _version

from . import collective, config, debugging, errors
from ._info import info
from .backends.cpu import cpu_details
from .device_spec import DeviceSpec
from .devices import (
    Device,
    LogicalDevice,
    LogicalDeviceConfiguration,
    PhysicalDevice,
    current_device,
    default_device,
    device,
    get_device,
    list_devices,
    set_native_allocator,
)
from .dispatch import copy_to_device, dispatch, from_host, place, synchronize, to_host
from .registry import KernelInfo, KernelRegistry, list_kernels, register_kernel, registry

try:
    __version__ = _version("tensorhouse-hw-runtime")
except _PNF:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "__version__",
    "collective",
    "config",
    "debugging",
    "errors",
    "info",
    "cpu_details",
    "DeviceSpec",
    "Device",
    "LogicalDevice",
    "LogicalDeviceConfiguration",
    "PhysicalDevice",
    "current_device",
    "default_device",
    "device",
    "get_device",
    "list_devices",
    "set_native_allocator",
    "copy_to_device",
    "dispatch",
    "from_host",
    "place",
    "synchronize",
    "to_host",
    "KernelInfo",
    "KernelRegistry",
    "list_kernels",
    "register_kernel",
    "registry",
]
