"""XLA devices through JAX (the ``[xla]`` extra).

A TPU that JAX sees becomes ``TPU`` devices; otherwise JAX's platforms appear as ``XLA_GPU`` and
``XLA_CPU`` devices, so the XLA path is real and testable without a TPU. Buffers are
``jax.Array`` objects. JAX's 64-bit mode is switched on when this backend starts, because
TensorFlow's float64 and int64 must keep their width. ``TENSORHOUSE_XLA=0`` turns it off.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any

import numpy as np

from . import Backend, BackendUnavailable, PhysicalInfo

_TYPES = {"tpu": "TPU", "gpu": "XLA_GPU", "cuda": "XLA_GPU", "rocm": "XLA_GPU", "cpu": "XLA_CPU"}


def _turned_off() -> bool:
    return os.environ.get("TENSORHOUSE_XLA", "auto").lower() in ("0", "off", "false")


class XLABackend(Backend):
    name = "xla"
    device_types = ("TPU", "XLA_GPU", "XLA_CPU")
    writable_buffers = False  # jax.Array is immutable: XLA kernels create their outputs

    def __init__(self):
        self._jax: Any = None  # jax, imported on first use

    def probe_is_cheap(self) -> bool:
        """Whether ``probe`` is quick now: JAX missing or turned off (importing it takes
        seconds, so reports such as ``tensorhouse info`` leave it until XLA is used)."""
        return _turned_off() or importlib.util.find_spec("jax") is None

    def probe(self):
        if _turned_off():
            raise BackendUnavailable("turned off by TENSORHOUSE_XLA=0")
        try:
            import jax
        except ImportError:
            raise BackendUnavailable(
                "jax is not installed; pip install 'tensorhouse-hw-runtime[xla]'"
            ) from None
        jax.config.update("jax_enable_x64", True)
        self._jax = jax
        found, seen = [], set()
        platforms = [jax.default_backend(), "cpu"]
        for platform in platforms:
            if platform in seen:
                continue
            seen.add(platform)
            try:
                devices = jax.devices(platform)
            except RuntimeError:
                continue
            device_type: str = _TYPES.get(str(platform)) or "XLA_" + str(platform).upper()
            for i, d in enumerate(devices):
                details = {"device_name": getattr(d, "device_kind", platform), "platform": platform}
                found.append(PhysicalInfo(device_type, i, details, d))
        if not found:
            raise BackendUnavailable("JAX reports no devices")
        return found

    def allocate(self, device, shape, dtype):
        a = self._jax.device_put(np.zeros(shape, dtype), device.native)
        return device.stats.track(a, a.nbytes)

    def from_host(self, device, array):
        a = self._jax.device_put(np.asarray(array), device.native)
        return device.stats.track(a, a.nbytes)

    def to_host(self, device, handle):
        return np.asarray(handle)

    def copy(self, src, dst, handle):
        a = self._jax.device_put(handle, dst.native)
        return dst.stats.track(a, a.nbytes)

    def synchronize(self, device):
        pass  # buffers are synchronized by block_until_ready on use

    def memory_info(self, device):
        stats = device.native.memory_stats() if hasattr(device.native, "memory_stats") else None
        if stats and "bytes_in_use" in stats:
            return {"current": stats["bytes_in_use"], "peak": stats.get("peak_bytes_in_use", 0)}
        return device.stats.as_dict()


backend = XLABackend()
