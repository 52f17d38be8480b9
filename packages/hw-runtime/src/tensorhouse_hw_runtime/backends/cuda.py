"""The GPU backend, through pycuda (the ``[gpu]`` extra).

Each GPU is used through its primary context; buffers are ``pycuda.gpuarray.GPUArray`` objects
whose memory comes from a per-logical-device caching allocator (``_pool.CachingAllocator``):
size-class bins with reuse, growth on demand under ``config.experimental.set_memory_growth``
(or ``TF_FORCE_GPU_ALLOW_GROWTH=true``, as TF), else one arena reserved at the first
allocation (the logical device's ``memory_limit``, or ``RESERVE_FRACTION`` of the free memory).
``CUDA_VISIBLE_DEVICES`` is honoured by the CUDA driver itself, before pycuda enumerates
devices. Kernel libraries make a device's context current with ``backend.activate(device)``.
Every buffer this backend makes carries the logical device it lives on as ``th_device``, so a
kernel that fills outputs allocated for it knows where to launch.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np

from . import Backend, BackendUnavailable, PhysicalInfo

if TYPE_CHECKING:  # the pool loads with the first GPU allocation: a first op on the CPU skips it
    from ._pool import CachingAllocator

RESERVE_FRACTION = 0.9  # of the free memory, reserved up front when memory growth is off


class CUDABackend(Backend):
    name = "cuda"
    device_types = ("GPU",)

    def __init__(self):
        self._cuda: Any = None  # pycuda.driver, imported on first use
        self._gpuarray: Any = None
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

    def activate(self, device):
        """A context manager making ``device``'s CUDA context current (kernels launch in it)."""
        return self._context(device.physical_index)

    def _pool(self, device) -> CachingAllocator:
        pool = self._pools.get(device.name)
        if pool is None:
            pool = self._pools[device.name] = self._make_pool(device)
        return pool

    def _make_pool(self, device) -> CachingAllocator:
        from ..devices import _runtime
        from ._pool import CachingAllocator

        physical = f"/physical_device:GPU:{device.physical_index}"
        growth = _runtime.memory_growth.get(physical, False) or (
            os.environ.get("TF_FORCE_GPU_ALLOW_GROWTH", "").lower() == "true"
        )
        limit = None if device.memory_limit is None else device.memory_limit << 20
        reserve = limit
        if not growth and reserve is None:
            with self._context(device.physical_index):
                free, _ = self._cuda.mem_get_info()
            reserve = int(free * RESERVE_FRACTION) // 512 * 512
        cuda = self._cuda
        return CachingAllocator(
            cuda.mem_alloc, limit=limit, growth=growth, reserve=reserve,
            name=device.name, limit_mib=device.memory_limit,
        )  # fmt: skip

    def _allocator(self, device):
        """``allocator(nbytes)`` for pycuda's GPUArray: a pointer holder whose release returns
        the block to the pool."""
        pool = self._pool(device)
        holder = _holder_class(self._cuda)

        def allocate(nbytes):
            return holder(pool, pool.malloc(nbytes))

        return allocate

    def allocate(self, device, shape, dtype):
        with self._context(device.physical_index):
            a = self._gpuarray.GPUArray(shape, np.dtype(dtype), allocator=self._allocator(device))
        a.th_device = device
        return device.stats.track(a, a.nbytes)

    def from_host(self, device, array):
        array = np.ascontiguousarray(array) if np.ndim(array) else np.asarray(array)
        with self._context(device.physical_index):
            a = self._gpuarray.to_gpu(array, allocator=self._allocator(device))
        a.th_device = device
        return device.stats.track(a, a.nbytes)

    def to_host(self, device, handle):
        with self._context(device.physical_index):
            return handle.get()

    def copy(self, src, dst, handle):
        if src.physical_index == dst.physical_index:
            with self._context(dst.physical_index):
                out = self._gpuarray.empty(handle.shape, handle.dtype,
                                           allocator=self._allocator(dst))  # fmt: skip
                if handle.nbytes:
                    self._cuda.memcpy_dtod(out.gpudata, handle.gpudata, handle.nbytes)
            out.th_device = dst
            return dst.stats.track(out, out.nbytes)
        return self.from_host(dst, self.to_host(src, handle))

    def synchronize(self, device):
        with self._context(device.physical_index):
            self._cuda.Context.synchronize()

    def memory_info(self, device) -> dict:
        """TF's ``get_memory_info``: bytes requested by live buffers, and the peak."""
        pool = self._pools.get(device.name)
        if pool is None:
            return {"current": 0, "peak": 0}
        return {"current": pool.current, "peak": pool.peak}

    def reset_memory_stats(self, device):
        pool = self._pools.get(device.name)
        if pool is not None:
            pool.reset_peak()
        device.stats.reset_peak()

    def allocator_stats(self, device) -> dict:
        """The caching allocator's counters (bytes in use, cached, reserved, reuses, ...)."""
        pool = self._pools.get(device.name)
        return {} if pool is None else pool.stats()

    def empty_cache(self, device):
        """Return the pool's cached blocks to the driver (or to its arena)."""
        pool = self._pools.get(device.name)
        if pool is not None:
            pool.empty_cache()


_HOLDERS: dict = {}


def _holder_class(cuda):
    """A ``PointerHolderBase`` subclass (so every pycuda call takes it as device memory) that
    returns its block to the pool when the last GPUArray using it goes away."""
    cls = _HOLDERS.get(id(cuda))
    if cls is None:

        class PooledBlock(cuda.PointerHolderBase):
            def __init__(self, pool, ptr):
                super().__init__()
                self._pool = pool
                self._ptr = ptr

            def get_pointer(self):
                return self._ptr

            def __int__(self):
                return self._ptr

            __index__ = __int__

            def __del__(self):
                pool, self._pool = self._pool, None
                if pool is not None:
                    pool.free(self._ptr)

        cls = _HOLDERS[id(cuda)] = PooledBlock
    return cls


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
