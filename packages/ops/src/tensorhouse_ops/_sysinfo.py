"""``system_info()``: versions, devices, backends and kernel counts, for ``tensorhouse info``."""

from __future__ import annotations

import tensorhouse_kernels
from tensorhouse_kernels import runtime


def system_info() -> dict:
    from . import __version__ as ops_version

    report = runtime.info()
    return {
        "versions": {
            "tensorhouse-hw-runtime": runtime.runtime_version,
            "tensorhouse-kernels": tensorhouse_kernels.__version__,
            "tensorhouse-ops": ops_version,
        },
        "devices": report["logical_devices"],
        "physical_devices": report["physical_devices"],
        "backends": report["backends"],
        "kernels": report["kernels"],
        "cpu": tensorhouse_kernels.cpu_info(),
        "intra_op_threads": runtime.config.threading.effective_intra_op_threads(),
    }
