"""``tf.debugging`` pieces that belong to the runtime."""

from . import devices as _devices

__all__ = ["set_log_device_placement", "get_log_device_placement"]


def set_log_device_placement(enabled: bool):
    """Print the device each op runs on (to stderr), as TF's placement log does."""
    _devices._runtime.log_placement = bool(enabled)


def get_log_device_placement() -> bool:
    return _devices._runtime.log_placement
