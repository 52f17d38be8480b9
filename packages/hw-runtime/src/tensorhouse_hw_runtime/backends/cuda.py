"""The GPU backend, through pycuda (the ``[gpu]`` extra).

Each GPU is used through its primary context; buffers are ``pycuda.gpuarray.GPUArray`` objects
allocated from a per-device ``DeviceMemoryPool``. ``CUDA_VISIBLE_DEVICES`` is honoured by the
CUDA driver itself, before pycuda enumerates devices.
"""

from __future__ import annotations

import numpy as np

from . import Backend, BackendUnavailable, PhysicalInfo


class CUDABackend(Backend):
    name = "cuda"
    device_types = ("GPU",)

    def __init__(self):
        self._cuda = None
        self._gpuarray = None
        self._pools: dict = {}
        self._contexts: dict = {}

    def probe(self):
        try:
            import pycuda.driver as cuda
            import pycuda.gpuarray as gpuarray
        except ImportError:
            raise BackendUnavailable(
                "pycuda is not installed; pip install 'tensorhouse-hw-runtime[gpu]'"
            ) from None
        try:
            cuda.init()
            count = cuda.Device.count()
        except Exception as e:  # pycuda raises its own error types for a missing driver
            raise BackendUnavailable(f"no CUDA driver could be initialized: {e}") from None
        if count == 0:
            raise BackendUnavailable("the CUDA driver sees no GPU (check CUDA_VISIBLE_DEVICES)")
        self._cuda, self._gpuarray = cuda, gpuarray
        found = []
        for i in range(count):
            dev = cuda.Device(i)
            with self._context(i, dev):
                free, total = cuda.mem_get_info()
            found.append(
                PhysicalInfo(
                    "GPU",
                    i,
                    {
                        "device_name": dev.name(),
                        "compute_capability": dev.compute_capability(),
                        "memory_total": total,
                        "memory_free": free,
                    },
                    dev,
                )
            )
        return found

    def _context(self, index, dev=None):
        ctx = self._contexts.get(index)
        if ctx is None:
            dev = dev if dev is not None else self._cuda.Device(index)
            ctx = self._contexts[index] = dev.retain_primary_context()
        return _Pushed(ctx)

    def _pool(self, device):
        pool = self._pools.get(device.index)
        if pool is None:
            from pycuda.tools import DeviceMemoryPool

            pool = self._pools[device.index] = DeviceMemoryPool()
        return pool

    def allocate(self, device, shape, dtype):
        _check_limit(device, int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize)
        with self._context(device.physical_index):
            a = self._gpuarray.GPUArray(
                shape, np.dtype(dtype), allocator=self._pool(device).allocate
            )
        return device.stats.track(a, a.nbytes)

    def from_host(self, device, array):
        array = np.ascontiguousarray(array) if np.ndim(array) else np.asarray(array)
        with self._context(device.physical_index):
            a = self._gpuarray.to_gpu(array, allocator=self._pool(device).allocate)
        return device.stats.track(a, a.nbytes)

    def to_host(self, device, handle):
        with self._context(device.physical_index):
            return handle.get()

    def copy(self, src, dst, handle):
        if src.physical_index == dst.physical_index:
            with self._context(dst.physical_index):
                out = handle.copy()
            return dst.stats.track(out, out.nbytes)
        return self.from_host(dst, self.to_host(src, handle))

    def synchronize(self, device):
        with self._context(device.physical_index):
            self._cuda.Context.synchronize()


def _check_limit(device, nbytes):
    """A logical GPU with a memory limit (LogicalDeviceConfiguration) refuses to exceed it."""
    if (
        device.memory_limit is not None
        and device.stats.current + nbytes > device.memory_limit << 20
    ):
        from ..errors import ResourceExhaustedError

        raise ResourceExhaustedError(
            f"OOM when allocating {nbytes} bytes on {device.name}: {device.stats.current} bytes "
            f"in use of its {device.memory_limit} MiB limit"
        )


class _Pushed:
    def __init__(self, ctx):
        self._ctx = ctx

    def __enter__(self):
        self._ctx.push()
        return self._ctx

    def __exit__(self, *exc):
        self._ctx.pop()
        return False


backend = CUDABackend()
