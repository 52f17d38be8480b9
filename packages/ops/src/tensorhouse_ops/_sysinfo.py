"""``system_info()``: versions, devices, backends and kernel counts, for ``tensorhouse info``."""

from __future__ import annotations

import tensorhouse_kernels
from tensorhouse_kernels import runtime


def version() -> str:
    """tensorhouse-ops' installed version (its metadata: slow to import, read on first use)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("tensorhouse-ops")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0.0.0+unknown"


def system_info() -> dict:
    report = runtime.info()
    return {
        "versions": {
            "tensorhouse-hw-runtime": runtime.runtime_version,
            "tensorhouse-kernels": tensorhouse_kernels.__version__,
            "tensorhouse-ops": version(),
        },
        "devices": report["logical_devices"],
        "physical_devices": report["physical_devices"],
        "backends": report["backends"],
        "kernels": report["kernels"],
        "cpu": tensorhouse_kernels.cpu_info(),
        "intra_op_threads": runtime.config.threading.effective_intra_op_threads(),
    }
