"""The CPU backend: buffers are C-contiguous NumPy arrays, shared without copies."""

from __future__ import annotations

import functools
import os
import platform

import numpy as np

from . import Backend, PhysicalInfo

# ISA features that matter to kernels, as /proc/cpuinfo spells them -> the name we report.
_ISA = {
    "sse4_2": "SSE4.2",
    "avx": "AVX",
    "avx2": "AVX2",
    "fma": "FMA",
    "f16c": "F16C",
    "avx512f": "AVX512F",
    "avx512bw": "AVX512BW",
    "avx512vl": "AVX512VL",
    "avx512dq": "AVX512DQ",
    "avx512_vnni": "AVX512_VNNI",
    "avx512_bf16": "AVX512_BF16",
    "avx512_fp16": "AVX512_FP16",
    "amx_tile": "AMX_TILE",
    "amx_bf16": "AMX_BF16",
    "asimd": "NEON",
    "sve": "SVE",
}


def cpu_details(cpuinfo_path="/proc/cpuinfo", meminfo_path="/proc/meminfo") -> dict:
    """Cores, ISA features and memory, read from /proc on Linux (fewer fields elsewhere).

    Cheap and probes no other backend: kernel libraries use it to pick code paths.
    """
    return dict(_cpu_details(cpuinfo_path, meminfo_path))


@functools.lru_cache(maxsize=4)
def _cpu_details(cpuinfo_path, meminfo_path) -> dict:
    details = {
        "device_name": None,  # /proc/cpuinfo's model name, else platform's (a subprocess)
        "logical_cores": os.cpu_count() or 1,
        "physical_cores": None,
        "isa": [],
        "memory_total": None,
        "memory_available": None,
    }
    try:
        with open(cpuinfo_path) as f:
            text = f.read()
    except OSError:
        text = ""
    flags: set[str] = set()
    cores = set()
    physical_id = "0"
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key in ("flags", "Features"):
            flags.update(value.split())
        elif key == "model name" and value:
            details["device_name"] = value
        elif key == "physical id":
            physical_id = value
        elif key == "core id":
            cores.add((physical_id, value))
    if not details["device_name"]:
        details["device_name"] = platform.processor() or platform.machine()
    details["isa"] = [name for flag, name in _ISA.items() if flag in flags]
    details["physical_cores"] = len(cores) or details["logical_cores"]
    try:
        with open(meminfo_path) as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("MemTotal", "MemAvailable"):
                    kib = int(value.split()[0])
                    details["memory_total" if key == "MemTotal" else "memory_available"] = (
                        kib * 1024
                    )
    except (OSError, ValueError, IndexError):
        pass
    return details


class CPUBackend(Backend):
    name = "cpu"
    device_types = ("CPU",)

    def probe(self):
        return [PhysicalInfo("CPU", 0, cpu_details())]

    def allocate(self, device, shape, dtype):
        if self.native_allocator is not None:
            return self.native_allocator(device.stats.counts, tuple(shape), np.dtype(dtype))
        a = np.empty(shape, dtype=dtype)
        return device.stats.track(a, a.nbytes)

    def from_host(self, device, array):
        """No copy when the array is already C-contiguous (``np.ascontiguousarray`` would turn
        0-d arrays into 1-d ones, so it is not used)."""
        array = np.asarray(array)
        if array.flags.c_contiguous:
            return array
        return device.stats.track(array.copy(order="C"), array.nbytes)

    def to_host(self, device, handle):
        return handle

    def copy(self, src, dst, handle):
        return handle  # one address space: CPU devices share immutable buffers


backend = CPUBackend()
