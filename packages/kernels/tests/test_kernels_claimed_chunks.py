"""Work claimed chunk by chunk (``common.h``'s ``claim_chunks``): GEMMs split into blocks that
the threads claim, batch matmuls one matrix per claim, ``parallel_for`` kernels (Softmax) four
chunks per thread; the bits never depend on the thread count or on the contention guard."""

from __future__ import annotations

import os
import subprocess
import sys

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


SPLIT_CASES = [
    ((1000, 64), (64, 300), {}),  # row blocks
    ((96, 200), (200, 1200), {}),  # column blocks (C wider than tall), or rows on Haswell
    ((64, 700), (500, 64), {"transpose_a": True, "transpose_b": True}),
    ((300, 260), (260, 120), {}),  # blocks kept above OpenBLAS's small-product kernel
    ((600, 300), (300, 500), {}),  # SkylakeX's dgemm: row blocks of 24, not 8
    ((2000, 128), (128, 1100), {}),  # blocks of at least 512 rows, more than one per thread
    ((64, 256), (256, 256), {}),  # an MLP's GEMM: two blocks of exactly 2^21 multiply-adds
    ((64, 256), (64, 256), {"transpose_a": True}),  # its weight gradient (k = 64)
    ((20, 300), (300, 2000), {}),  # short and wide: transposed on Haswell's sgemm when the
    ((8, 300), (300, 2000), {}),  # machine has more cores than row blocks of 12 (here, 8 rows)
    ((300, 20), (2000, 300), {"transpose_a": True, "transpose_b": True}),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sa, sb, attrs", SPLIT_CASES)
def test_split_gemm_same_bits_at_any_thread_count(kernel_threads, cpu, sa, sb, attrs, dtype):
    a = RNG.standard_normal(sa).astype(dtype)
    b = RNG.standard_normal(sb).astype(dtype)
    out = _outputs(kernel_threads, cpu, "MatMul", [a, b], attrs)
    at = a.T if attrs.get("transpose_a") else a
    bt = b.T if attrs.get("transpose_b") else b
    want = at.astype(np.float64) @ bt.astype(np.float64)
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, want, rtol=0, atol=tol * np.sqrt(at.shape[1]))


CORE_SCRIPT = """
import numpy as np
import tensorhouse_kernels as tk
from tensorhouse_hw_runtime import get_device
from tensorhouse_kernels import _cpu
from test_kernels_claimed_chunks import SPLIT_CASES
_cpu._set_contention_guard(False)
rng = np.random.default_rng(5)
for dtype in (np.float32, np.float64):
    for sa, sb, attrs in SPLIT_CASES:
        a, b = rng.standard_normal(sa).astype(dtype), rng.standard_normal(sb).astype(dtype)
        outs = []
        for n in (1, 2, 3, 7):
            _cpu.set_num_threads(n)
            outs.append(tk.execute("MatMul", [a, b], attrs, get_device("/CPU:0"))[0][0])
        assert all(np.array_equal(o, outs[0]) for o in outs), (dtype, sa, sb)
print(_cpu.blas_corename())
"""


@pytest.mark.parametrize("core", ["Haswell", "SkylakeX"])
def test_split_follows_the_loaded_cores_tiles(core):
    """The split blocks follow the tiles of the core OpenBLAS loaded: Haswell's sgemm (AVX2)
    needs row blocks of 12 and gives other bits on any column block; SkylakeX's dgemm needs 24s."""
    from tensorhouse_kernels.runtime import cpu_details

    isa = set(cpu_details()["isa"])
    if not {"AVX2", "FMA"} <= isa or (core == "SkylakeX" and "AVX512F" not in isa):
        pytest.skip(f"this CPU cannot run OpenBLAS's {core} kernels")
    env = {k: v for k, v in os.environ.items() if "CORETYPE" not in k}
    env["TENSORHOUSE_BLAS_CORETYPE"] = core
    env["PYTHONPATH"] = os.pathsep.join([os.path.dirname(__file__), env.get("PYTHONPATH", "")])
    out = subprocess.run([sys.executable, "-c", CORE_SCRIPT], capture_output=True, text=True,
                         env=env)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == [core]


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
