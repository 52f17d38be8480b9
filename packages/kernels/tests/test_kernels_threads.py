"""Sizes above the kernels' threading threshold (2**15 elements), run with 1, 2 and 7 threads.

Every result must match NumPy and be bit-identical across thread counts: each output element
is computed by exactly one thread, in the same order, whatever the thread count. Seven threads
(more than this machine may have cores: OpenMP still starts them) split the work unevenly.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

import tensorhouse_kernels as tk
from tensorhouse_hw_runtime import config
from tensorhouse_kernels import _cpu

N = 300_000  # > 2**15, and large enough that two threads get real work


def run_threads(kernel_threads, cpu, op, inputs, attrs):
    """Run with 1, 2 and 7 threads; assert all agree bit for bit; return the result."""
    results = []
    for n in (1, 2, 7):
        kernel_threads(n)
        assert _cpu.num_threads() == n
        (out,), _ = tk.execute(op, inputs, attrs, cpu)
        results.append(out)
    for other in results[1:]:
        assert other.dtype == results[0].dtype
        np.testing.assert_array_equal(other, results[0])
    return results[0]


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(20240601)


@pytest.mark.parametrize(
    "op, ref, lo, hi",
    [
        ("Neg", np.negative, -3, 3),
        ("Exp", np.exp, -5, 5),
        ("Sqrt", np.sqrt, 0, 9),
        ("Tanh", np.tanh, -4, 4),
        ("Relu", lambda x: np.maximum(x, 0), -3, 3),
    ],
)
def test_unary_large(op, ref, lo, hi, rng, cpu, kernel_threads):
    x = rng.uniform(lo, hi, N).astype(np.float32)
    out = run_threads(kernel_threads, cpu, op, [x], {})
    np.testing.assert_allclose(out, ref(x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "shape_a, shape_b",
    [
        ((N,), (N,)),
        ((N,), ()),
        ((), (N,)),
        ((600, 500), (500,)),
        ((600, 1), (1, 500)),
        ((3, 1, 400, 250), (5, 1, 1)),
        ((7, 60_000), (7, 1)),
    ],
)
@pytest.mark.parametrize("dtype", [np.float64, np.int32])
def test_binary_broadcast_large(shape_a, shape_b, dtype, rng, cpu, kernel_threads):
    a = rng.integers(-50, 50, shape_a).astype(dtype)
    b = rng.integers(-50, 50, shape_b).astype(dtype)
    out = run_threads(kernel_threads, cpu, "SquaredDifference", [a, b], {})
    np.testing.assert_array_equal(out, np.square(a - b))
    less = run_threads(kernel_threads, cpu, "Less", [a, b], {})
    np.testing.assert_array_equal(less, a < b)


@pytest.mark.parametrize(
    "shape, axis",
    [
        ((1000, 300), [1]),  # kept outer dim: the threaded path
        ((1000, 300), [0]),  # reduced outer dim
        ((1000, 300), None),
        ((40, 50, 150), [1]),
        ((40, 50, 150), [0, 2]),
        ((N,), [0]),
    ],
)
@pytest.mark.parametrize("op", ["Sum", "Max", "Mean"])
def test_reduce_large(shape, axis, op, rng, cpu, kernel_threads):
    x = rng.integers(-1000, 1000, shape).astype(np.float64)
    out = run_threads(kernel_threads, cpu, op, [x], {"axis": axis})
    axes = None if axis is None else tuple(axis)
    ref = {"Sum": np.sum, "Max": np.max, "Mean": np.mean}[op](x, axis=axes)
    np.testing.assert_allclose(out, ref, rtol=1e-12)


def test_sum_int64_large_is_exact(rng, cpu, kernel_threads):
    x = rng.integers(-(2**40), 2**40, (500, 700))
    out = run_threads(kernel_threads, cpu, "Sum", [x], {"axis": [1]})
    np.testing.assert_array_equal(out, x.sum(axis=1))


def test_transpose_large(rng, cpu, kernel_threads):
    x = rng.standard_normal((600, 500)).astype(np.float32)
    out = run_threads(kernel_threads, cpu, "Transpose", [x], {"perm": [1, 0]})
    np.testing.assert_array_equal(out, x.T)
    y = rng.integers(0, 255, (20, 30, 40, 25)).astype(np.uint8)
    out = run_threads(kernel_threads, cpu, "Transpose", [y], {"perm": [2, 0, 3, 1]})
    np.testing.assert_array_equal(out, np.transpose(y, (2, 0, 3, 1)))


@pytest.mark.parametrize(
    "shape, target", [((1, 500), (600, 500)), ((600, 1), (600, 500)), ((), (N,))]
)
def test_broadcast_to_large(shape, target, rng, cpu, kernel_threads):
    x = np.asarray(rng.standard_normal(shape))
    out = run_threads(kernel_threads, cpu, "BroadcastTo", [x], {"shape": target})
    np.testing.assert_array_equal(out, np.broadcast_to(x, target))


def test_cast_large(rng, cpu, kernel_threads):
    x = rng.uniform(-3e9, 3e9, N).astype(np.float32)
    x[::1000] = np.nan
    out = run_threads(kernel_threads, cpu, "Cast", [x], {"DstT": "int32"})
    ref = np.where(np.isnan(x), 0, np.clip(np.trunc(x.astype(np.float64)), -(2**31), 2**31 - 1))
    np.testing.assert_array_equal(out, ref.astype(np.int32))


def test_matmul_large(rng, cpu, kernel_threads):
    a = rng.standard_normal((300, 200))
    b = rng.standard_normal((200, 250))
    (out,), _ = tk.execute("MatMul", [a, b], {}, cpu)
    np.testing.assert_allclose(out, a @ b, rtol=1e-10, atol=1e-10)


def test_intra_op_threads_config_reaches_the_kernels():
    """tf.config.threading's intra-op count drives the C++ module and BLAS (a listener)."""
    before = config.threading.get_intra_op_parallelism_threads()
    try:
        config.threading._set_intra(1)  # TF forbids this after init
        assert _cpu.num_threads() == 1
        assert _cpu.blas_get_num_threads() == 1
        assert tk.cpu_info()["threads"] == 1
    finally:
        config.threading._set_intra(before)
    assert _cpu.num_threads() == config.threading.effective_intra_op_threads()


def test_concurrent_execute_from_python_threads(cpu):
    """Kernels release the GIL and share no state: Python threads may run ops at once."""
    rng = np.random.default_rng(7)
    jobs = [(rng.standard_normal((64, 48)), rng.standard_normal((48, 80))) for _ in range(4)]
    results = [None] * len(jobs)
    start = threading.Barrier(len(jobs))

    def work(i):
        a, b = jobs[i]
        start.wait(10)
        outs = []
        for _ in range(20):
            (prod,), _ = tk.execute("MatMul", [a, b], {}, cpu)
            (total,), _ = tk.execute("Sum", [prod], {"axis": [1]}, cpu)
            (shifted,), _ = tk.execute("AddV2", [total, a[:, 0].copy()], {}, cpu)
            outs.append(shifted)
        results[i] = outs

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for (a, b), outs in zip(jobs, results):
        assert outs is not None and len(outs) == 20
        expected = (a @ b).sum(axis=1) + a[:, 0]
        for out in outs:
            np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)
