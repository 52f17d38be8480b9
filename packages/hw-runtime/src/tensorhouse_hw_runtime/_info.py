"""``info()``: what the runtime found, for ``tensorhouse info`` and bug reports."""

from __future__ import annotations

import collections

from . import devices as _devices
from .config import threading
from .devices import _BACKENDS
from .registry import registry

# the status of a backend that a report did not probe (its library is slow to load)
NOT_PROBED = "not loaded yet: it loads when one of its devices is first used or listed"


def info() -> dict:
    """Devices, which backends loaded (or why not), and kernel counts per device type.

    XLA (JAX) is reported once used or listed (``list_physical_devices()``), not imported here.
    """
    rt = _devices._runtime
    backends = rt.reportable()
    physical = [
        {"name": p.device.name, "device_type": p.device.device_type, "details": p.info.details}
        for p in rt.physical(backends)
    ]
    devices = rt.devices(backends)
    logical = [d.name for d in devices]
    present = {d.device_type for d in devices}  # kernels only for hardware that exists
    listed = [k for k in registry.list_kernels() if k.device_type in present]
    kernels = collections.Counter(k.device_type for k in listed)
    op_types = collections.defaultdict(set)
    for k in listed:
        op_types[k.device_type].add(k.op_type)
    return {
        "backends": {name: rt.backend_status.get(name, NOT_PROBED) for name in _BACKENDS},
        "physical_devices": physical,
        "logical_devices": logical,
        "kernels": {
            t: {"kernels": kernels[t], "op_types": len(op_types[t])} for t in sorted(kernels)
        },
        "soft_placement": rt.soft_placement,
        "intra_op_threads": threading.effective_intra_op_threads(),
    }
