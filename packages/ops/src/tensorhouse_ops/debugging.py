"""``tf.debugging``: the checks (``_check_ops``) and the runtime's placement log switch."""

from tensorhouse_kernels.runtime import debugging as _runtime

from ._check_ops import *  # noqa: F403 - the public checks, as listed in ``_check_ops.__all__``
from ._check_ops import __all__ as _checks

get_log_device_placement = _runtime.get_log_device_placement
set_log_device_placement = _runtime.set_log_device_placement

__all__ = [*_checks, "get_log_device_placement", "set_log_device_placement"]
