"""tensorhouse level 1: devices, TF-style names and config, placement, buffers, kernel dispatch."""

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
from .dispatch import (
    copy_to_device,
    dispatch,
    fast_path,
    from_host,
    register_fast_path,
    synchronize,
    to_host,
)
from .registry import KernelInfo, KernelRegistry, list_kernels, register_kernel, registry

__version__: str  # read from the installed metadata on first use (``__getattr__``)

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
    "fast_path",
    "from_host",
    "register_fast_path",
    "synchronize",
    "to_host",
    "KernelInfo",
    "KernelRegistry",
    "list_kernels",
    "register_kernel",
    "registry",
]


def _version() -> str:  # reads the installed metadata (slow to import) on first use only
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tensorhouse-hw-runtime")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0.0.0+unknown"


def __getattr__(name: str):  # PEP 562: ``__version__`` on first use
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value = _version()
    return value
