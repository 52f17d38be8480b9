"""``tf.config``: the runtime's device configuration plus ``run_functions_eagerly``."""

from tensorhouse_kernels.runtime import config as _runtime_config

LogicalDevice = _runtime_config.LogicalDevice
LogicalDeviceConfiguration = _runtime_config.LogicalDeviceConfiguration
PhysicalDevice = _runtime_config.PhysicalDevice
experimental = _runtime_config.experimental
threading = _runtime_config.threading
get_logical_device_configuration = _runtime_config.get_logical_device_configuration
get_soft_device_placement = _runtime_config.get_soft_device_placement
get_visible_devices = _runtime_config.get_visible_devices
list_logical_devices = _runtime_config.list_logical_devices
list_physical_devices = _runtime_config.list_physical_devices
set_logical_device_configuration = _runtime_config.set_logical_device_configuration
set_soft_device_placement = _runtime_config.set_soft_device_placement
set_visible_devices = _runtime_config.set_visible_devices

__all__ = [
    "LogicalDevice", "LogicalDeviceConfiguration", "PhysicalDevice", "experimental",
    "experimental_functions_run_eagerly", "experimental_run_functions_eagerly",
    "functions_run_eagerly", "get_logical_device_configuration", "get_soft_device_placement",
    "get_visible_devices", "list_logical_devices", "list_physical_devices",
    "run_functions_eagerly", "set_logical_device_configuration", "set_soft_device_placement",
    "set_visible_devices", "threading",
]  # fmt: skip


_run_eagerly = False  # read by ``tf.function`` on each call


def run_functions_eagerly(run_eagerly):
    """TF's ``tf.config.run_functions_eagerly``: call the Python functions, trace nothing."""
    global _run_eagerly
    _run_eagerly = bool(run_eagerly)


def functions_run_eagerly():
    """TF's ``tf.config.functions_run_eagerly``: whether ``run_functions_eagerly`` is on."""
    return _run_eagerly


def experimental_run_functions_eagerly(run_eagerly):
    """TF's deprecated name of ``run_functions_eagerly``."""
    return run_functions_eagerly(run_eagerly)


def experimental_functions_run_eagerly():
    """TF's deprecated name of ``functions_run_eagerly``."""
    return functions_run_eagerly()


def __getattr__(name):  # anything else the runtime's config has
    return getattr(_runtime_config, name)
