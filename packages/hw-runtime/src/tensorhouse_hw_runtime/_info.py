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
    devices = rt.devices()
    logical = [d.name for d in devices]
    present = {d.device_type for d in devices}  # kernels only for hardware that exists
    listed = [k for k in registry.list_kernels() if k.device_type in present]
    kernels = collections.Counter(k.device_type for k in listed)
    op_types = collections.defaultdict(set)
    for k in listed:
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
