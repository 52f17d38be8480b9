"""``system_info()``: versions, devices, backends and kernel counts, for ``tensorhouse info``."""

from __future__ import annotations

import collections

import tensorhouse_kernels
from tensorhouse_kernels import runtime


def system_info() -> dict:
    counts = collections.Counter(k.device_type for k in runtime.list_kernels())
    op_types = collections.defaultdict(set)
    for k in runtime.list_kernels():
        op_types[k.device_type].add(k.op_type)
    from . import __version__ as ops_version

    return {
        "versions": {
            "tensorhouse-hw-runtime": runtime.runtime_version,
            "tensorhouse-kernels": tensorhouse_kernels.__version__,
            "tensorhouse-ops": ops_version,
        },
        "devices": [d.name for d in runtime.list_devices()],
        "kernels": {
            dev: {"kernels": counts[dev], "op_types": len(op_types[dev])} for dev in sorted(counts)
        },
        "cpu": tensorhouse_kernels.cpu_info(),
        "intra_op_threads": runtime.config.threading.effective_intra_op_threads(),
    }
