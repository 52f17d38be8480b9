"""A caching (pooling) allocator for device memory, written against a driver interface only.

The driver is one callable, ``mem_alloc(nbytes) -> handle``: ``int(handle)`` is the device
address, and the memory is returned to the driver when the allocator drops the handle (after
calling ``handle.free()`` when the handle has one). pycuda's ``mem_alloc`` fits; the tests pass
a fake that hands out addresses from a counter, so every number here is checked without a GPU.

Requests are rounded up to a size class (at least 512 bytes, then four classes per power of
two, so at most 25% is lost to rounding) and a freed block goes back to its class's bin, where
the next request of that class takes it without asking the driver. Two ways to get blocks:

- **growth** (``set_memory_growth(gpu, True)``, TF's ``allow_growth``): every block the bins
  cannot supply is a new driver allocation; the pool grows on demand. When the driver (or the
  logical device's limit) refuses, the cached blocks are handed back to the driver and the
  request is tried once more.
- **reserve up front** (the default, as TF's, which maps most of a GPU's memory at start):
  the first request allocates one arena of ``reserve`` bytes (the logical device's
  ``memory_limit``, else most of the free memory) and blocks are carved from it, first fit
  over free extents kept sorted by address. When no extent fits, cached blocks are returned
  to the extents (coalescing neighbours) and the carve is tried once more.

Either way a request beyond what the limit allows raises TF's ``ResourceExhaustedError``.
``current`` / ``peak`` count the bytes requested by live buffers (what
``config.experimental.get_memory_info`` reports); ``stats()`` adds the rounded bytes in use,
the bytes held from the driver, the cached bytes and the reuse counters.
"""

from __future__ import annotations

import bisect
import threading

from ..errors import ResourceExhaustedError

__all__ = ["CachingAllocator", "size_class", "MIN_BLOCK"]

MIN_BLOCK = 512
_CLASS_STEP_MIN = 256  # block sizes (and arena offsets) stay multiples of 256 bytes


def size_class(nbytes: int) -> int:
    """The block size a request of ``nbytes`` gets: 512 bytes at least; above that, four
    classes per power of two (p/2 * 1.25, 1.5, 1.75, 2), each a multiple of 256 bytes."""
    if nbytes <= MIN_BLOCK:
        return MIN_BLOCK
    p = 1 << (nbytes - 1).bit_length()  # the power of two at or above nbytes
    step = max(p // 8, _CLASS_STEP_MIN)
    return -(-nbytes // step) * step


class CachingAllocator:
    """Size-class bins over a driver's ``mem_alloc``; thread-safe.

    ``limit``: the most bytes this pool may hold from the driver (a logical device's
    ``memory_limit``), or None. ``growth``: grow on demand (True) or carve from one arena of
    ``reserve`` bytes allocated at the first request (False; ``reserve`` defaults to
    ``limit``, and one of them is required). ``name`` and ``limit_mib`` word the OOM error.
    """

    def __init__(self, mem_alloc, *, limit=None, growth=True, reserve=None, name="GPU:0",
                 limit_mib=None):  # fmt: skip
        if not growth and reserve is None and limit is None:
            raise ValueError("CachingAllocator: reserving up front needs reserve or limit")
        self._mem_alloc = mem_alloc
        self.limit = limit
        self.growth = bool(growth)
        self.reserve = reserve if reserve is not None else limit
        if self.limit is not None and self.reserve is not None:
            self.reserve = min(self.reserve, self.limit)
        self.name = name
        self.limit_mib = limit_mib
        self._lock = threading.Lock()
        self._bins: dict[int, list[int]] = {}  # size class -> free block addresses
        self._live: dict[int, tuple[int, int]] = {}  # address -> (block size, requested)
        self._handles: dict[int, object] = {}  # driver allocations, by address
        self._extents: list[tuple[int, int]] = []  # arena mode: free (address, size), sorted
        self._arena = None
        # statistics
        self.current = 0  # bytes requested by live blocks
        self.peak = 0
        self.in_use = 0  # bytes of live blocks (rounded to their classes)
        self.cached = 0  # bytes of free blocks waiting in the bins
        self.reserved = 0  # bytes held from the driver
        self.allocations = 0  # malloc calls
        self.reuses = 0  # mallocs served from a bin
        self.driver_allocs = 0
        self.driver_frees = 0
        self.flushes = 0  # times the bins were emptied to satisfy a request

    # ---- public ------------------------------------------------------------------------------
    def malloc(self, nbytes: int) -> int:
        """A device address with room for ``nbytes``; ``free(address)`` gives it back."""
        nbytes = int(nbytes)
        if nbytes < 0:
            raise ValueError(f"CachingAllocator: negative size {nbytes}")
        size = size_class(nbytes)
        with self._lock:
            self.allocations += 1
            free = self._bins.get(size)
            if free:
                ptr = free.pop()
                self.cached -= size
                self.reuses += 1
            else:
                ptr = self._new_block(size, nbytes)
            self._live[ptr] = (size, nbytes)
            self.in_use += size
            self.current += nbytes
            if self.current > self.peak:
                self.peak = self.current
            return ptr

    def free(self, ptr: int):
        """Return a block to its bin (the memory stays with the pool for reuse)."""
        with self._lock:
            size, nbytes = self._live.pop(ptr)
            self.in_use -= size
            self.current -= nbytes
            self._bins.setdefault(size, []).append(ptr)
            self.cached += size

    def empty_cache(self):
        """Give every cached block back (to the driver, or to the arena's free extents)."""
        with self._lock:
            self._flush()

    def reset_peak(self):
        with self._lock:
            self.peak = self.current

    def size_of(self, ptr: int) -> int:
        """The block size behind a live address."""
        return self._live[ptr][0]

    def stats(self) -> dict:
        with self._lock:
            return {
                "current": self.current,
                "peak": self.peak,
                "in_use": self.in_use,
                "cached": self.cached,
                "reserved": self.reserved,
                "live_blocks": len(self._live),
                "allocations": self.allocations,
                "reuses": self.reuses,
                "driver_allocs": self.driver_allocs,
                "driver_frees": self.driver_frees,
                "flushes": self.flushes,
                "growth": self.growth,
                "limit": self.limit,
            }

    # ---- internals (called with the lock held) -------------------------------------------------
    def _new_block(self, size: int, nbytes: int) -> int:
        if self.growth:
            return self._driver_block(size, nbytes)
        return self._arena_block(size, nbytes)

    def _driver_block(self, size, nbytes):
        if self.limit is not None and self.reserved + size > self.limit:
            self._flush()
            if self.reserved + size > self.limit:
                self._oom(nbytes)
        try:
            handle = self._mem_alloc(size)
        except Exception:  # the driver's out-of-memory error: give back the cache, try again
            self._flush()
            try:
                handle = self._mem_alloc(size)
            except Exception as e:
                self._oom(nbytes, f" (the driver refused: {e})")
        ptr = int(handle)
        self._handles[ptr] = handle
        self.reserved += size
        self.driver_allocs += 1
        return ptr

    def _arena_block(self, size, nbytes):
        if self._arena is None:
            try:
                self._arena = self._mem_alloc(self.reserve)
            except Exception as e:
                self._oom(nbytes, f" (reserving {self.reserve} bytes up front failed: {e})")
            self.driver_allocs += 1
            self.reserved = self.reserve
            self._extents = [(int(self._arena), self.reserve)]
        ptr = self._carve(size)
        if ptr is None:
            self._flush()
            ptr = self._carve(size)
            if ptr is None:
                self._oom(nbytes)
        return ptr

    def _carve(self, size):
        for i, (start, length) in enumerate(self._extents):
            if length >= size:
                if length == size:
                    del self._extents[i]
                else:
                    self._extents[i] = (start + size, length - size)
                return start
        return None

    def _release_extent(self, ptr, size):
        """Put [ptr, ptr + size) back among the free extents, merging with its neighbours."""
        ext = self._extents
        i = bisect.bisect_left(ext, (ptr, 0))
        if i > 0 and ext[i - 1][0] + ext[i - 1][1] == ptr:  # merge with the one before
            i -= 1
            ptr, size = ext[i][0], ext[i][1] + size
            del ext[i]
        if i < len(ext) and ptr + size == ext[i][0]:  # and the one after
            size += ext[i][1]
            del ext[i]
        ext.insert(i, (ptr, size))

    def _flush(self):
        if not self.cached:
            return
        self.flushes += 1
        for size, ptrs in self._bins.items():
            for ptr in ptrs:
                if self.growth:
                    handle = self._handles.pop(ptr)
                    release = getattr(handle, "free", None)
                    if release is not None:
                        release()
                    self.reserved -= size
                    self.driver_frees += 1
                else:
                    self._release_extent(ptr, size)
        self._bins.clear()
        self.cached = 0

    def _oom(self, nbytes, why=""):
        limit = ""
        if self.limit_mib is not None:
            limit = f" of its {self.limit_mib} MiB limit"
        elif self.limit is not None:
            limit = f" of its {self.limit} byte limit"
        raise ResourceExhaustedError(
            f"OOM when allocating {nbytes} bytes on {self.name}: {self.current} bytes in use"
            f"{limit}, {self.reserved} bytes held from the driver, {self.cached} cached{why}"
        )
