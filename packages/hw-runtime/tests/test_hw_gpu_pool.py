"""The CUDA backend's caching allocator, driven by a fake driver (no GPU needed).

The fake ``mem_alloc`` hands out addresses from a counter and records every allocation and
free, so the tests check exact numbers: bytes in use, peak, bytes held from the driver, and
how often a freed block was reused instead of asking the driver.
"""

from __future__ import annotations

import threading

import pytest

from tensorhouse_hw_runtime import config, errors
from tensorhouse_hw_runtime.backends._pool import CachingAllocator, size_class

MiB = 1 << 20


class FakeDriver:
    """``mem_alloc(n)``: a handle whose ``int()`` is a fresh 4 KiB-aligned address."""

    def __init__(self, capacity=None):
        self.capacity = capacity  # bytes the "GPU" has; None: unlimited
        self.next = 1 << 32
        self.live: dict[int, int] = {}
        self.calls = 0

    def mem_alloc(self, nbytes):
        self.calls += 1
        if self.capacity is not None and sum(self.live.values()) + nbytes > self.capacity:
            raise MemoryError("cuMemAlloc failed: out of memory")
        ptr = self.next
        self.next += -(-nbytes // 4096) * 4096 + 4096  # a gap: arenas never look contiguous
        self.live[ptr] = nbytes
        return FakeAllocation(self, ptr)


class FakeAllocation:
    def __init__(self, driver, ptr):
        self.driver, self.ptr = driver, ptr

    def __int__(self):
        return self.ptr

    def free(self):
        del self.driver.live[self.ptr]


def test_size_classes_round_up_by_at_most_a_quarter():
    assert [size_class(n) for n in (0, 1, 512)] == [512, 512, 512]
    assert [size_class(n) for n in (513, 768, 769, 1024)] == [768, 768, 1024, 1024]
    assert [size_class(n) for n in (1025, 1280, 1281, 2048)] == [1280, 1280, 1536, 2048]
    assert size_class(MiB) == MiB
    assert size_class(MiB + 1) == MiB + MiB // 4
    assert size_class(3 * MiB) == 3 * MiB
    for n in (600, 5000, 70_000, 3 * MiB + 7, 1 << 30):
        c = size_class(n)
        assert n <= c <= max(512, n * 1.25 + 256) and c % 256 == 0


def test_growth_reuses_freed_blocks_and_counts_bytes():
    drv = FakeDriver()
    pool = CachingAllocator(drv.mem_alloc, growth=True)
    a = pool.malloc(1000)  # class 1024
    b = pool.malloc(4000)  # class 4096
    assert (pool.current, pool.in_use, pool.reserved) == (5000, 1024 + 4096, 1024 + 4096)
    assert drv.calls == 2 and pool.driver_allocs == 2
    pool.free(a)
    assert (pool.current, pool.in_use, pool.cached) == (4000, 4096, 1024)
    c = pool.malloc(900)  # same class as a: reused, the driver is not called
    assert c == a and drv.calls == 2 and pool.reuses == 1
    assert pool.peak == 5000
    pool.free(b)
    pool.free(c)
    assert (pool.current, pool.in_use, pool.cached, pool.reserved) == (0, 0, 5120, 5120)
    stats = pool.stats()
    assert stats["allocations"] == 3 and stats["reuses"] == 1 and stats["live_blocks"] == 0
    pool.empty_cache()
    assert (pool.cached, pool.reserved, pool.driver_frees) == (0, 0, 2)
    assert drv.live == {}  # every driver allocation was freed


def test_reset_peak_starts_from_current():
    pool = CachingAllocator(FakeDriver().mem_alloc)
    a = pool.malloc(10_000)
    b = pool.malloc(20_000)
    pool.free(b)
    assert (pool.current, pool.peak) == (10_000, 30_000)
    pool.reset_peak()
    assert pool.peak == 10_000
    pool.free(a)
    assert (pool.current, pool.peak) == (0, 10_000)


def test_growth_limit_flushes_the_cache_then_raises():
    drv = FakeDriver()
    pool = CachingAllocator(drv.mem_alloc, growth=True, limit=8192, name="GPU:0", limit_mib=0)
    a = pool.malloc(4096)
    pool.free(a)
    b = pool.malloc(8192)  # 4096 cached + 8192 > limit: the cache goes back first
    assert pool.flushes == 1 and pool.driver_frees == 1 and pool.reserved == 8192
    with pytest.raises(errors.ResourceExhaustedError, match="OOM when allocating 1 bytes"):
        pool.malloc(1)
    pool.free(b)
    assert pool.malloc(8000) == b  # class 8192: reused


def test_driver_oom_flushes_the_cache_and_retries():
    drv = FakeDriver(capacity=12 * 1024)
    pool = CachingAllocator(drv.mem_alloc, growth=True)
    blocks = [pool.malloc(4096) for _ in range(3)]
    for p in blocks:
        pool.free(p)
    big = pool.malloc(8192)  # the driver is full until the three cached blocks are freed
    assert pool.flushes == 1 and pool.reserved == 8192 and list(drv.live.values()) == [8192]
    with pytest.raises(errors.ResourceExhaustedError, match="the driver refused"):
        pool.malloc(8192)
    pool.free(big)


def test_reserving_up_front_carves_one_arena():
    drv = FakeDriver()
    pool = CachingAllocator(drv.mem_alloc, growth=False, limit=MiB, limit_mib=1, name="GPU:0")
    assert drv.calls == 0  # nothing is reserved before the first request
    a = pool.malloc(1000)
    assert drv.calls == 1 and list(drv.live.values()) == [MiB] and pool.reserved == MiB
    base = next(iter(drv.live))
    b = pool.malloc(3000)
    assert (a, b) == (base, base + 1024)  # first fit, in address order
    pool.free(a)
    assert pool.malloc(1024) == a and pool.reuses == 1
    assert drv.calls == 1  # every block came from the arena


def test_arena_coalesces_freed_blocks_when_it_runs_out():
    drv = FakeDriver()
    pool = CachingAllocator(drv.mem_alloc, growth=False, limit=MiB, limit_mib=1, name="GPU:0")
    quarter = MiB // 4
    blocks = [pool.malloc(quarter) for _ in range(4)]
    assert blocks == [blocks[0] + i * quarter for i in range(4)]
    with pytest.raises(errors.ResourceExhaustedError, match="of its 1 MiB limit"):
        pool.malloc(1)
    pool.free(blocks[1])
    pool.free(blocks[2])
    # No half-MiB block is cached: the two free quarters merge into one extent.
    half = pool.malloc(MiB // 2)
    assert half == blocks[1] and pool.flushes == 1 and pool.cached == 0
    assert pool.current == 2 * quarter + MiB // 2 == pool.in_use == MiB
    for p in (blocks[0], blocks[3], half):
        pool.free(p)
    pool.empty_cache()
    assert pool._extents == [(blocks[0], MiB)]  # one extent again: the whole arena


def test_a_full_logical_limit_is_usable_and_one_more_byte_is_not():
    pool = CachingAllocator(FakeDriver().mem_alloc, growth=False, limit=MiB, limit_mib=1,
                            name="/device:GPU:0")  # fmt: skip
    pool.malloc(MiB)
    with pytest.raises(errors.ResourceExhaustedError, match="1048576 bytes in use of its 1 MiB"):
        pool.malloc(4)


def test_reserve_needs_a_size():
    with pytest.raises(ValueError, match="reserve or limit"):
        CachingAllocator(FakeDriver().mem_alloc, growth=False)


def test_threads_share_the_pool_safely():
    pool = CachingAllocator(FakeDriver().mem_alloc, growth=True)

    def work():
        for _ in range(500):
            p = pool.malloc(2048)
            pool.free(p)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert pool.allocations == 2000 and pool.current == 0 and pool.in_use == 0
    assert pool.driver_allocs <= 4 and pool.reuses == 2000 - pool.driver_allocs


def test_tf32_flag_is_off_by_default_and_switchable():
    exp = config.experimental
    assert exp.tensor_float_32_execution_enabled() is False
    try:
        exp.enable_tensor_float_32_execution(True)
        assert exp.tensor_float_32_execution_enabled() is True
    finally:
        exp.enable_tensor_float_32_execution(False)
