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
    """Run with 1, 2 and 7 threads; assert all agree bit for bit; return the first output."""
    results = []
    for n in (1, 2, 7):
        kernel_threads(n)
        assert _cpu.num_threads() == n
        outputs, _ = tk.execute(op, inputs, attrs, cpu)
        results.append(outputs)
    for other in results[1:]:
        assert len(other) == len(results[0])
        for a, b in zip(other, results[0]):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)
    return results[0][0]


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


# ---- the kernels added for the ops layer, above the threshold --------------------------------


def _big_case(name, rng):
    """(op, inputs, attrs, NumPy reference) for one large case."""
    f32 = np.float32
    if name == "Softmax":
        x = rng.standard_normal((3000, 40)).astype(f32)
        e = np.exp(x - x.max(-1, keepdims=True))
        return name, [x], {}, e / e.sum(-1, keepdims=True)
    if name == "SparseSoftmaxCrossEntropyWithLogits":
        x = rng.standard_normal((3000, 40))
        lab = rng.integers(0, 40, 3000)
        lse = np.log(np.exp(x).sum(-1))
        return name, [x, lab], {}, lse - x[np.arange(3000), lab]
    if name == "SelectV2":
        c = rng.random((600, 1)) < 0.5
        t, e = rng.standard_normal((600, 500)), rng.standard_normal((500,))
        return name, [c, t, e], {}, np.where(c, t, e)
    if name == "LogicalAnd":
        a, b = rng.random((600, 500)) < 0.5, rng.random((500,)) < 0.5
        return name, [a, b], {}, a & b
    if name == "IsNan":
        x = rng.standard_normal(N)
        x[::7] = np.nan
        return name, [x], {}, np.isnan(x)
    if name == "FloorDiv":
        a = rng.integers(-1000, 1000, N)
        b = rng.integers(1, 30, N) * rng.choice([-1, 1], N)
        return name, [a, b], {}, a // b
    if name == "ArgMax-rows":
        x = rng.integers(-50, 50, (2000, 300)).astype(f32)
        return "ArgMax", [x], {"axis": 1}, np.argmax(x, 1)
    if name == "ArgMax-cols":
        x = rng.integers(-50, 50, (300, 2000)).astype(f32)
        return "ArgMax", [x], {"axis": 0}, np.argmax(x, 0)
    if name == "Cumsum":
        x = rng.integers(-9, 9, (500, 700)).astype(np.int64)
        return name, [x], {"axis": 0, "reverse": True}, np.flip(np.cumsum(np.flip(x, 0), 0), 0)
    if name == "TopKV2":
        x = rng.permutation(N).astype(np.float64).reshape(300, 1000)
        order = np.argsort(-x, axis=-1)[:, :5]
        return name, [x], {"k": 5}, np.take_along_axis(x, order, -1)
    if name == "All":
        x = rng.random((400, 900)) < 0.999
        return name, [x], {"axis": [1]}, x.all(1)
    if name == "GatherV2":
        p = rng.standard_normal((1000, 64))
        idx = rng.integers(0, 1000, 3000)
        return name, [p, idx], {"axis": 0}, p[idx]
    if name == "UnsortedSegmentSum":
        d = rng.integers(-5, 5, (5000, 64)).astype(np.float64)
        ids = rng.integers(0, 50, 5000)
        out = np.zeros((50, 64))
        np.add.at(out, ids, d)
        return name, [d, ids], {"num_segments": 50}, out
    if name == "ScatterNd":
        u = rng.integers(-5, 5, (4000, 40)).astype(np.float64)
        idx = rng.integers(0, 100, (4000, 1))
        out = np.zeros((100, 40))
        np.add.at(out, idx[:, 0], u)
        return name, [idx, u], {"shape": (100, 40)}, out
    if name == "OneHot":
        idx = rng.integers(-1, 50, 20000)
        return name, [idx], {"depth": 50}, (idx[:, None] == np.arange(50)).astype(f32)
    if name == "ConcatV2":
        a, b = rng.standard_normal((600, 300)), rng.standard_normal((600, 200))
        return name, [a, b], {"axis": 1}, np.concatenate([a, b], 1)
    if name == "Pad":
        x = rng.standard_normal((500, 400)).astype(f32)
        return name, [x], {"paddings": [[2, 1], [0, 3]]}, np.pad(x, [(2, 1), (0, 3)])
    if name == "Tile":
        x = rng.standard_normal((300, 50))
        return name, [x], {"multiples": [2, 5]}, np.tile(x, (2, 5))
    if name == "StridedSlice":
        x = rng.standard_normal((800, 900))
        attrs = {"begin": [1, 0], "end": [0, 0], "strides": [1, -2], "begin_mask": 2, "end_mask": 3}
        return name, [x], attrs, x[1:, ::-2]
    if name == "BatchMatMulV2":
        a, b = rng.standard_normal((300, 8, 9)), rng.standard_normal((9, 7))
        return name, [a, b], {}, a @ b
    raise AssertionError(name)


BIG = [
    "Softmax", "SparseSoftmaxCrossEntropyWithLogits", "SelectV2", "LogicalAnd", "IsNan",
    "FloorDiv", "ArgMax-rows", "ArgMax-cols", "Cumsum", "TopKV2", "All", "GatherV2",
    "UnsortedSegmentSum", "ScatterNd", "OneHot", "ConcatV2", "Pad", "Tile", "StridedSlice",
    "BatchMatMulV2",
]  # fmt: skip


@pytest.mark.parametrize("name", BIG)
def test_new_kernels_large(name, rng, cpu, kernel_threads):
    op, inputs, attrs, expected = _big_case(name, rng)
    out = run_threads(kernel_threads, cpu, op, inputs, attrs)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-9)


def test_one_thread_pool_gemms_split_over_the_kernels_threads(cpu):
    """OpenBLAS stays on the calling thread; a large GEMM splits into row (or column) blocks
    over the OpenMP threads, with the same numbers for any thread count."""
    rng = np.random.default_rng(5)
    before = _cpu.num_threads()
    cases = [  # (a shape, b shape, attrs): tall, wide (column blocks), transposed operands
        ((300, 260), (260, 120), {}),
        ((100, 260), (260, 400), {}),
        ((260, 300), (400, 260), {"transpose_a": True, "transpose_b": True}),
    ]
    try:
        for sa, sb, attrs in cases:
            a = rng.standard_normal(sa).astype(np.float32)
            b = rng.standard_normal(sb).astype(np.float32)
            want = (a.T if attrs.get("transpose_a") else a).astype(np.float64) @ (
                b.T if attrs.get("transpose_b") else b
            ).astype(np.float64)
            outs = []
            for n in (1, 2, 3):
                _cpu.set_num_threads(n)
                (out,), _ = tk.execute("MatMul", [a, b], attrs, cpu)
                np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-3)
                outs.append(out)
                assert _cpu.blas_get_num_threads() == 1
            np.testing.assert_allclose(outs[1], outs[0], rtol=1e-6, atol=1e-5)
        x = rng.standard_normal((6, 128, 96))  # a batch split over threads (float64)
        y = rng.standard_normal((6, 96, 128))
        _cpu.set_num_threads(2)
        (out,), _ = tk.execute("BatchMatMulV2", [x, y], {}, cpu)
        np.testing.assert_allclose(out, x @ y, rtol=1e-10, atol=1e-10)
    finally:
        _cpu.set_num_threads(before)
    assert tk.cpu_info()["blas_threads"] == 1


@pytest.mark.parametrize(
    "shape, axes",
    [
        ((300_001,), [0]),  # one long run: fixed blocks of 2**14 on threads
        ((3, 100_003), [1]),  # rows of long runs
        ((1000, 301), [0]),  # kept inner runs, column chunks
        ((7, 500, 90), [1]),  # outer x reduced x kept
        ((1, 600, 1, 500), [1, 2]),  # size-1 dims merge away
    ],
)
@pytest.mark.parametrize("op", ["Sum", "Mean", "Max", "Min"])
def test_float_reductions_agree_for_every_thread_count(kernel_threads, cpu, shape, axes, op):
    rng = np.random.default_rng(11)
    x = rng.standard_normal(shape).astype(np.float32)
    x.flat[len(x.flat) // 3] = 50.0  # a clear extreme
    got = run_threads(kernel_threads, cpu, op, [x], {"axis": axes, "keep_dims": False})
    ref = {"Sum": np.sum, "Mean": np.mean, "Max": np.max, "Min": np.min}[op]
    want = ref(x.astype(np.float64), axis=tuple(axes))
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=2e-6 * np.sqrt(x.size))
    if op == "Max":
        x.flat[-1] = np.nan  # NaN propagates, as in TF
        out = run_threads(kernel_threads, cpu, op, [x], {"axis": axes, "keep_dims": False})
        assert np.isnan(np.asarray(out).flat[-1])


def test_contention_guard_backs_off_after_a_late_region_and_keeps_the_bits(rng, cpu):
    """A parallel region whose helper thread starts half a millisecond or more late (the
    machine's cores are busy) makes work below 2**22 elements run on one thread for 50 ms (then
    100, 200, ... up to 1 s while regions keep starting late); the results stay bit-identical."""
    import time

    before = _cpu.num_threads()
    _cpu.set_num_threads(2)
    try:
        x = rng.uniform(-3, 3, N).astype(np.float32)
        a = rng.standard_normal((256, 256)).astype(np.float32)
        _cpu._set_contention_guard(False)

        def run():
            return [
                tk.execute(op, ins, {}, cpu)[0][0]
                for op, ins in (("Tanh", [x]), ("MatMul", [a, a]))
            ]

        threaded = run()
        _cpu._set_contention_guard(True)
        time.sleep(1.1)  # any backoff of earlier tests has ended
        assert not _cpu._threads_backed_off()
        _cpu._note_region_lag(400_000)  # 0.4 ms: not late
        assert not _cpu._threads_backed_off()
        _cpu._note_region_lag(2_000_000)  # a helper 2 ms late
        assert _cpu._threads_backed_off()
        single = run()
        for s, t in zip(single, threaded):
            np.testing.assert_array_equal(s, t)
        time.sleep(0.3)
        assert not _cpu._threads_backed_off()  # the first backoff is 50 ms
        _cpu._set_contention_guard(False)
        _cpu._note_region_lag(2_000_000)
        assert not _cpu._threads_backed_off()  # the guard is off
    finally:
        _cpu._set_contention_guard(True)
        _cpu.set_num_threads(before)
