"""The GEMM backend: OpenBLAS, or oneMKL when the optional ``mkl`` wheel is installed.

Both backends run the same checks against float64 NumPy, including bit-identical results at 1, 2
and 7 threads. The oneMKL cases run where the wheel is installed (nox's "tests" session installs
it; the "layer" session for kernels does not, so CI runs both paths) and are skipped elsewhere.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import tensorhouse_kernels as tk
from tensorhouse_kernels import _blas, _cpu

HAVE_MKL = _blas.mkl_library_path() is not None
NO_MKL = pytest.mark.skipif(
    not HAVE_MKL, reason="oneMKL not installed (pip install 'tensorhouse-kernels[mkl]')"
)
BACKENDS = ["openblas", pytest.param("mkl", marks=NO_MKL)]
INTEL = _blas.intel_cpu()


@pytest.fixture
def backend(monkeypatch):
    """``backend(name)`` points the GEMMs at that library; the one in force is put back."""
    before = _cpu.blas_name()

    def use(name):
        monkeypatch.setenv("TENSORHOUSE_BLAS", name)
        assert _blas.select_backend(_cpu) == name
        assert _cpu.blas_name() == name

    yield use
    use(before)


# (a shape, b shape, attrs): square, tall, wide, transposed, and shapes where a library could
# split k over threads (small m and n, long k): their sums must not depend on the thread count
CASES = [
    ((256, 256), (256, 256), {}),
    ((300, 260), (260, 120), {}),
    ((100, 260), (260, 400), {}),
    ((260, 300), (400, 260), {"transpose_a": True, "transpose_b": True}),
    ((64, 5000), (5000, 64), {}),
    ((8, 100000), (100000, 8), {}),
    ((37, 999), (999, 1000), {"transpose_b": False}),
]


def _want(a, b, attrs):
    a = a.T if attrs.get("transpose_a") else a
    b = b.T if attrs.get("transpose_b") else b
    return a.astype(np.float64) @ b.astype(np.float64)


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matmul_same_bits_at_any_thread_count(name, dtype, backend, cpu, kernel_threads):
    if name == "mkl" and dtype == np.float64 and not INTEL:
        pytest.skip("oneMKL's strict CNR covers float64 GEMMs on Intel CPUs only (auto uses "
                    "OpenBLAS elsewhere)")  # fmt: skip
    backend(name)
    rng = np.random.default_rng(3)
    for sa, sb, attrs in CASES:
        a = rng.standard_normal(sa).astype(dtype)
        b = rng.standard_normal(sb).astype(dtype)
        want = _want(a, b, attrs)
        scale = np.sqrt(a.shape[0] if attrs.get("transpose_a") else a.shape[1])
        tol = 1e-5 if dtype == np.float32 else 1e-12
        outs = []
        for n in (1, 2, 7):
            kernel_threads(n)
            (out,), _ = tk.execute("MatMul", [a, b], attrs, cpu)
            assert out.dtype == dtype
            np.testing.assert_allclose(out, want, rtol=0, atol=tol * scale * 10, err_msg=str(sa))
            outs.append(out)
        for other in outs[1:]:
            np.testing.assert_array_equal(other, outs[0], err_msg=f"{name} {sa} {sb}")


@pytest.mark.parametrize("name", BACKENDS)
def test_batch_matmul_strided_split_and_broadcast(name, backend, cpu, kernel_threads):
    backend(name)
    rng = np.random.default_rng(4)
    cases = [
        ((6, 128, 96), (6, 96, 128)),  # many matrices: split over the batch
        ((3, 40, 30), (3, 30, 20)),  # small: one strided-batch call on one thread
        ((2, 1, 300, 200), (4, 200, 300)),  # broadcast batch dims, each GEMM large
    ]
    for sx, sy in cases:
        x = rng.standard_normal(sx)
        y = rng.standard_normal(sy)
        want = x @ y
        outs = []
        for n in (1, 2):
            kernel_threads(n)
            (out,), _ = tk.execute("BatchMatMulV2", [x, y], {}, cpu)
            np.testing.assert_allclose(out, want, rtol=1e-10, atol=1e-10)
            outs.append(out)
        np.testing.assert_array_equal(outs[0], outs[1])
        xf, yf = x.astype(np.float32), y.astype(np.float32)
        (out,), _ = tk.execute("BatchMatMulV2", [xf, yf], {"adj_x": False, "adj_y": False}, cpu)
        np.testing.assert_allclose(out, want, rtol=0, atol=2e-4 * np.sqrt(sx[-1]))


@pytest.mark.parametrize("name", BACKENDS)
def test_conv_gemms_on_the_backend(name, backend, cpu):
    """im2col + GEMM convolutions (8 channels: not the direct AVX-512 path) against NumPy."""
    backend(name)
    rng = np.random.default_rng(6)
    x = rng.standard_normal((4, 12, 12, 8)).astype(np.float32)
    f = rng.standard_normal((3, 3, 8, 12)).astype(np.float32)
    attrs = {"strides": [1, 1, 1, 1], "padding": "VALID", "data_format": "NHWC"}
    (y,), _ = tk.execute("Conv2D", [x, f], attrs, cpu)
    want = np.zeros((4, 10, 10, 12))
    for i in range(3):
        for j in range(3):
            want += np.einsum("nhwc,co->nhwo", x[:, i : i + 10, j : j + 10, :], f[i, j])
    np.testing.assert_allclose(y, want, rtol=0, atol=1e-4)


@NO_MKL
@pytest.mark.skipif(
    os.environ.get("TENSORHOUSE_BLAS", "auto").strip().lower() not in ("", "auto", "mkl")
    or not INTEL,
    reason="TENSORHOUSE_BLAS chose another library for this process, or the CPU is not Intel's",
)
def test_mkl_is_the_default_when_installed_and_shares_the_kernels_openmp(monkeypatch):
    monkeypatch.delenv("TENSORHOUSE_BLAS", raising=False)
    assert _blas.backend_choice() == "auto"
    assert _cpu.blas_name() == "mkl"  # chosen at import
    gemm = tk.cpu_info()["gemm"]
    assert gemm.startswith("oneMKL 20") and gemm.endswith("(GNU OpenMP threads, strict CNR)")
    # one OpenMP runtime in the process: oneMKL's GNU layer runs on the kernels' libgomp
    with open("/proc/self/maps") as f:
        omp = {line.split()[-1] for line in f if "libgomp" in line or "libiomp" in line}
    assert len(omp) == 1 and "libgomp" in omp.pop()


def test_openblas_info_without_mkl(backend):
    backend("openblas")
    assert tk.cpu_info()["gemm"] == "OpenBLAS (scipy-openblas32)"


def test_choice_is_checked(monkeypatch):
    monkeypatch.setenv("TENSORHOUSE_BLAS", "  MKL ")
    assert _blas.backend_choice() == "mkl"
    monkeypatch.setenv("TENSORHOUSE_BLAS", "")
    assert _blas.backend_choice() == "auto"
    monkeypatch.setenv("TENSORHOUSE_BLAS", "atlas")
    with pytest.raises(ValueError, match=r"TENSORHOUSE_BLAS='atlas': expected one of auto, "):
        _blas.backend_choice()


def test_mkl_asked_for_but_missing(monkeypatch):
    """Asking for oneMKL where it is not installed names the install command; auto falls back
    to OpenBLAS. No external library is installed in the C++ module in either case."""

    class Untouched:
        def blas_use_external(self, *args):
            raise AssertionError("the GEMMs must not be switched")

        def blas_use_openblas(self):
            pass

    monkeypatch.setattr(_blas, "mkl_library_path", lambda: None)
    monkeypatch.setenv("TENSORHOUSE_BLAS", "mkl")
    with pytest.raises(ImportError, match=r"pip install 'tensorhouse-kernels\[mkl\]'"):
        _blas.select_backend(Untouched())
    monkeypatch.setenv("TENSORHOUSE_BLAS", "auto")
    assert _blas.select_backend(Untouched()) == "openblas"


def test_auto_takes_mkl_on_intel_cpus_only(monkeypatch):
    """With oneMKL installed, ``auto`` picks it on an Intel CPU and OpenBLAS on any other;
    asking for ``mkl`` by name gets it on any CPU."""
    picked = []

    class Recorder:
        def blas_use_external(self, name, *args):
            picked.append(name)

        def blas_use_openblas(self):
            picked.append("openblas")

    monkeypatch.setattr(_blas, "mkl_library_path", lambda: "/nonexistent/libmkl_rt.so.2")
    fake_lib = type("FakeMkl", (), {"__getattr__": lambda self, name: 8})()  # any address
    monkeypatch.setattr(_blas, "load_mkl", lambda path: fake_lib)
    monkeypatch.setenv("TENSORHOUSE_BLAS", "auto")
    monkeypatch.setattr(_blas, "intel_cpu", lambda: False)
    assert _blas.select_backend(Recorder()) == "openblas"
    monkeypatch.setattr(_blas, "intel_cpu", lambda: True)
    assert _blas.select_backend(Recorder()) == "mkl"
    monkeypatch.setattr(_blas, "intel_cpu", lambda: False)
    monkeypatch.setenv("TENSORHOUSE_BLAS", "mkl")
    assert _blas.select_backend(Recorder()) == "mkl"
    assert picked == ["openblas", "mkl", "mkl"]


def test_intel_cpu_reads_the_vendor():
    with open("/proc/cpuinfo") as f:
        vendor = next((line for line in f if line.startswith("vendor_id")), "")
    if vendor:
        assert _blas.intel_cpu() == ("GenuineIntel" in vendor)


def test_external_table_needs_its_entry_points():
    with pytest.raises(ValueError, match="sgemm, dgemm and set_threads_local are needed"):
        _cpu.blas_use_external("x", 0, 0, 0, 0, 0)
