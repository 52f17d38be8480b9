"""The C++ CPU allocator and the eager elementwise shortcut."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import tensorhouse_kernels as tk
from tensorhouse_hw_runtime import config, errors, register_kernel, registry
from tensorhouse_hw_runtime.backends.cpu import backend as cpu_backend
from tensorhouse_kernels import _cpu


def test_empty_counts_bytes_until_the_buffer_is_freed():
    counts = np.zeros(2, np.int64)
    a = _cpu.empty(counts, (3, 5), np.dtype(np.float64))
    assert a.shape == (3, 5) and a.dtype == np.float64
    assert a.flags.c_contiguous and a.flags.writeable and a.flags.aligned
    assert a.ctypes.data % 64 == 0
    assert counts.tolist() == [120, 120]
    b = _cpu.empty(counts, [7], "int32")  # a list shape and a dtype name are accepted too
    assert counts.tolist() == [148, 148]
    a[...] = 2.5  # the memory is usable
    assert float(a.sum()) == 37.5
    del a
    gc.collect()
    assert counts.tolist() == [28, 148]
    view = b[2:]
    del b
    assert counts.tolist() == [28, 148]  # a view keeps the block alive
    del view
    assert counts.tolist() == [0, 148]


def test_empty_zero_size_and_scalar_and_large():
    counts = np.zeros(2, np.int64)
    z = _cpu.empty(counts, (0, 4), np.dtype(np.float32))
    s = _cpu.empty(counts, (), np.dtype(np.int64))
    assert z.shape == (0, 4) and s.shape == () and counts[0] == 8
    big = _cpu.empty(counts, (1 << 21,), np.dtype(np.float32))  # 8 MiB: the huge-page path
    big[:] = 1.0
    assert counts[0] == 8 + (8 << 20) and float(big[-1]) == 1.0
    del z, s, big
    assert counts.tolist() == [0, 8 + (8 << 20)]


def test_large_blocks_are_kept_for_reuse_and_can_be_released():
    counts = np.zeros(2, np.int64)
    _cpu.release_cached()
    a = _cpu.empty(counts, (10_000_000,), np.dtype(np.float32))  # 40 MB: glibc would unmap it
    addr = a.ctypes.data
    del a
    assert counts[0] == 0
    b = _cpu.empty(counts, (9_500_000,), np.dtype(np.float32))  # close enough in size: reused
    assert b.ctypes.data == addr and counts[0] == 38_000_000
    c = _cpu.empty(counts, (10_000_000,), np.dtype(np.float32))  # nothing left: a new block
    assert c.ctypes.data != addr and counts[0] == 78_000_000
    b[:] = 1.0
    c[:] = 2.0
    del b, c
    assert counts[0] == 0
    assert _cpu.release_cached() >= 80_000_000
    assert _cpu.release_cached() == 0


def test_the_cache_holds_no_more_than_is_in_use_beyond_128_mib():
    """Freed blocks kept for reuse count as the process's memory: at most as many bytes as the
    blocks in use (128 MiB whatever they are; 256 MiB at most), the oldest dropped first."""
    counts = np.zeros(2, np.int64)
    f32 = np.dtype(np.float32)
    _cpu.release_cached()
    live = [_cpu.empty(counts, (4_000_000,), f32) for _ in range(25)]  # 25 x 16 MiB in use
    freed = [_cpu.empty(counts, (2_500_000,), f32) for _ in range(20)]  # 10 MiB blocks
    del freed
    assert _cpu.release_cached() == 20 * (10 << 20)  # 400 MiB in use: all twenty kept
    freed = [_cpu.empty(counts, (2_500_000,), f32) for _ in range(30)]
    del freed
    assert _cpu.release_cached() == 25 * (10 << 20)  # 256 MiB at most
    del live  # as they are freed, what is in use falls to nothing: 128 MiB stay
    assert _cpu.release_cached() == 8 * (16 << 20)
    huge = _cpu.empty(counts, (40_000_000,), f32)  # 160 MB: more than may be kept
    del huge
    assert _cpu.release_cached() == 0
    assert counts[0] == 0


def test_blocks_of_256_kib_and_more_are_reused_by_size_class():
    """An eager op on 1e6 floats must not map fresh memory (and page-fault it in) per call: a
    freed block of 256 KiB or more serves the next request of its size class (four classes per
    power of two); the 32 most recently freed are kept."""
    counts = np.zeros(2, np.int64)
    _cpu.release_cached()
    for n in (70_000, 1_000_000, 3_000_000):  # 280 KB, 4 MB, 12 MB
        a = _cpu.empty(counts, (n,), np.dtype(np.float32))
        addr = a.ctypes.data
        del a
        b = _cpu.empty(counts, (n - 1000,), np.dtype(np.float32))  # the same class: reused
        assert b.ctypes.data == addr
        del b
    small = _cpu.empty(counts, (10_000,), np.dtype(np.float32))  # 40 KB: left to malloc
    del small
    kept = _cpu.release_cached()
    assert kept == (320 << 10) + (4 << 20) + (12 << 20)  # the three classes' sizes
    blocks = [_cpu.empty(counts, (300_000,), np.dtype(np.float32)) for _ in range(40)]
    del blocks
    assert _cpu.release_cached() == 32 * (1280 << 10)  # 1.2 MB: class 1.25 MiB, 32 kept
    assert counts[0] == 0


@pytest.mark.parametrize(
    "counts, shape, message",
    [
        (np.zeros(2, np.int32), (2,), "int64 array of 2"),
        (np.zeros(3, np.int64), (2,), "int64 array of 2"),
        (np.zeros(2, np.int64), (-1, 2), "negative dimension -1"),
        (np.zeros(2, np.int64), (1 << 40, 1 << 40), "too many"),
    ],
)
def test_empty_rejects_bad_arguments(counts, shape, message):
    with pytest.raises(ValueError, match=message):
        _cpu.empty(counts, shape, np.dtype(np.float32))
    assert counts[0] == 0


def test_cpu_devices_allocate_through_the_counting_allocator(cpu):
    assert cpu_backend.native_allocator is _cpu.empty
    base = config.experimental.get_memory_info("CPU:0")["current"]
    (out,), _ = tk.execute("AddV2", [np.ones(100, np.float32), np.ones(100, np.float32)], {}, cpu)
    assert out.base is not None and not isinstance(out.base, np.ndarray)  # the C++ block
    assert config.experimental.get_memory_info("CPU:0")["current"] == base + 400
    np.testing.assert_array_equal(out, np.full(100, 2.0, np.float32))
    del out
    assert config.experimental.get_memory_info("CPU:0")["current"] == base


# ---- eager_elementwise --------------------------------------------------------------------


def test_shortcut_matches_execute(cpu):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((4, 5)).astype(np.float32)
    b = rng.standard_normal((4, 5)).astype(np.float32)
    for op in ("AddV2", "Sub", "Mul", "RealDiv", "Maximum", "Less", "Equal"):
        fast = tk.eager_elementwise(op)
        got = fast(cpu, a, b)
        (want,), _ = tk.execute(op, [a, b], {}, cpu)
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
    for op in ("Neg", "Exp", "Relu", "Sigmoid"):
        np.testing.assert_array_equal(
            tk.eager_elementwise(op)(cpu, a), tk.execute(op, [a], {}, cpu)[0][0]
        )
    np.testing.assert_array_equal(tk.eager_elementwise("Less")(cpu, a, b), a < b)


def test_shortcut_declines_what_it_does_not_handle(cpu):
    add = tk.eager_elementwise("AddV2")
    f32, f64 = np.ones(3, np.float32), np.ones(3, np.float64)
    assert add(cpu, f32, f64) is None  # dtypes differ: execute() raises TF's error
    with pytest.raises(errors.InvalidArgumentError, match="AddV2"):
        tk.execute("AddV2", [f32, f64], {}, cpu)
    assert add(cpu, f32, np.ones((2, 3), np.float32)) is None  # broadcasting: execute()
    assert add(cpu, np.ones(3, bool), np.ones(3, bool)) is None  # no CPU kernel for bool
    assert tk.eager_elementwise("Sqrt")(cpu, np.ones(2, np.int32)) is None
    assert tk.eager_elementwise("MatMul") is None  # not an elementwise op


def test_shortcut_steps_aside_for_a_kernel_registered_over_it(cpu):
    calls = []

    @register_kernel("Sub", "CPU", ["float64"], priority=100, source="test")
    def sub(inputs, outputs, attrs):
        calls.append(1)
        outputs[0][...] = 7.0

    try:
        a = np.ones(2, np.float64)
        assert tk.eager_elementwise("Sub")(cpu, a, a) is None
        (out,), _ = tk.execute("Sub", [a, a], {}, cpu)
        assert calls == [1] and out.tolist() == [7.0, 7.0]
    finally:
        registry.unregister("Sub", "CPU", "float64", priority=100)
    assert tk.eager_elementwise("Sub")(cpu, a, a).tolist() == [0.0, 0.0]
