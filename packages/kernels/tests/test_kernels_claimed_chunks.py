"""Work claimed chunk by chunk (``common.h``'s ``claim_chunks``): GEMMs split into blocks that
the threads claim, batch matmuls one matrix per claim, ``parallel_for`` kernels (Softmax) four
chunks per thread; the bits never depend on the thread count or on the contention guard."""

from __future__ import annotations

import numpy as np
import pytest

import tensorhouse_kernels as tk
from tensorhouse_kernels import _cpu

RNG = np.random.default_rng(77)


def _outputs(kernel_threads, cpu, op, inputs, attrs, counts=(1, 2, 3, 7)):
    outs = []
    for n in counts:
        kernel_threads(n)
        outs.append(tk.execute(op, inputs, attrs, cpu)[0][0])
    for other in outs[1:]:
        np.testing.assert_array_equal(other, outs[0])
    return outs[0]


@pytest.mark.parametrize(
    "sa, sb, attrs",
    [
        ((1000, 64), (64, 300), {}),  # row blocks, several per thread
        ((96, 200), (200, 1200), {}),  # column blocks (C wider than tall)
        ((64, 700), (500, 64), {"transpose_a": True, "transpose_b": True}),
        ((300, 260), (260, 120), {}),  # blocks kept above OpenBLAS's small-product kernel
    ],
)
def test_split_gemm_same_bits_at_any_thread_count(kernel_threads, cpu, sa, sb, attrs):
    a = RNG.standard_normal(sa).astype(np.float32)
    b = RNG.standard_normal(sb).astype(np.float32)
    out = _outputs(kernel_threads, cpu, "MatMul", [a, b], attrs)
    at = a.T if attrs.get("transpose_a") else a
    bt = b.T if attrs.get("transpose_b") else b
    want = at.astype(np.float64) @ bt.astype(np.float64)
    np.testing.assert_allclose(out, want, rtol=0, atol=1e-4 * np.sqrt(at.shape[1]))


def test_batch_matmul_claims_matrices_and_keeps_the_bits(kernel_threads, cpu):
    x = RNG.standard_normal((2, 8, 128, 64)).astype(np.float32)  # MHA's scores, smaller
    y = RNG.standard_normal((2, 8, 128, 64)).astype(np.float32)
    attrs = {"adj_x": False, "adj_y": True}
    out = _outputs(kernel_threads, cpu, "BatchMatMulV2", [x, y], attrs)
    want = np.einsum("bnik,bnjk->bnij", x.astype(np.float64), y.astype(np.float64))
    np.testing.assert_allclose(out, want, rtol=0, atol=1e-4 * 8)
    _cpu._set_contention_guard(True)  # backed off: one thread, the same bits
    _cpu._note_region_lag(20_000_000)
    assert _cpu._threads_backed_off()
    backed_off = tk.execute("BatchMatMulV2", [x, y], attrs, cpu)[0][0]
    np.testing.assert_array_equal(backed_off, out)


def test_softmax_rows_in_claimed_chunks(kernel_threads, cpu):
    x = RNG.standard_normal((1000, 257)).astype(np.float32)
    out = _outputs(kernel_threads, cpu, "Softmax", [x], {})
    e = np.exp(x.astype(np.float64) - x.max(axis=1, keepdims=True))
    np.testing.assert_allclose(out, e / e.sum(axis=1, keepdims=True), rtol=1e-5, atol=1e-7)
