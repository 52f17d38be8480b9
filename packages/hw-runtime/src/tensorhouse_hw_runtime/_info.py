"""``info()``: what the runtime found, for ``tensorhouse info`` and bug reports."""

from __future__ import annotations

import collections

from . import devices as _devices
from .config import threading
from .registry import registry


def info() -> dict:
    """Devices, which backends loaded (or why not), and kernel counts per device type."""
    rt = _devices._runtime
    physical = [
        {"name": p.device.name, "device_type": p.device.device_type, "details": p.info.details}
        for p in rt.physical()
    ]
    logical = [d.name for d in rt.devices()]
    kernels = collections.Counter(k.device_type for k in registry.list_kernels())
    op_types = collections.defaultdict(set)
    for k in registry.list_kernels():
        op_types[k.device_type].add(k.op_type)
    return {
        "backends": dict(rt.backend_status),
        "physical_devices": physical,
        "logical_devices": logical,
        "kernels": {
            t: {"kernels": kernels[t], "op_types": len(op_types[t])} for t in sorted(kernels)
        },
        "soft_placement": rt.soft_placement,
        "intra_op_threads": threading.effective_intra_op_threads(),
    }
