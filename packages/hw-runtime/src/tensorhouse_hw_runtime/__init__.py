"""tensorhouse level 1: devices, TF-style names and config, placement, buffers, kernel dispatch."""

from . import config, debugging, errors
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
    op_fast_path,
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
    "op_fast_path",
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


def __getattr__(name: str):  # PEP 562: ``__version__`` and ``collective`` on first use
    if name == "collective":  # its queues and worker threads: only for multi-worker use
        from importlib import import_module

        value = import_module(f"{__name__}.collective")
    elif name == "__version__":
        value = _version()
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
