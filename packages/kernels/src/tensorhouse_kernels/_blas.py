"""Loads the OpenBLAS that ships in scipy-openblas32, privately.

The library is opened with ``RTLD_LOCAL`` before the C++ module is imported: the module links
it by soname, so the dynamic loader reuses this copy, and its symbols never leak into the
process's global namespace (where they could clash with NumPy's own OpenBLAS).
``scipy_openblas32`` itself is not imported.

Core type: OpenBLAS picks its GEMM kernels once, when the library loads, from
``OPENBLAS_CORETYPE`` or its own CPU detection. An environment may pin that variable for its
NumPy (``OPENBLAS_CORETYPE=Haswell`` means AVX2 kernels even on an AVX-512 CPU: about half the
GEMM speed on Intel's; on AMD's Zen 4 sgemm within a few percent, dgemm 4-12% slower). This
private copy instead takes the best kernels the CPU supports, from
hw-runtime's ISA report (AVX-512 -> ``SkylakeX``, AVX2 + FMA -> ``Haswell``, otherwise OpenBLAS's
own choice), unless ``TENSORHOUSE_BLAS_CORETYPE`` names one. ``OPENBLAS_CORETYPE`` is restored
right after loading, so NumPy's copy is unaffected.

GEMM backend: OpenBLAS, or oneMKL when the optional ``mkl`` wheel is installed
(``pip install tensorhouse-kernels[mkl]``). ``TENSORHOUSE_BLAS`` chooses: ``auto`` (the default:
oneMKL if installed, else OpenBLAS), ``openblas`` or ``mkl`` (an ImportError if it is missing).
oneMKL's single dynamic library ``libmkl_rt`` is opened with ``RTLD_LOCAL`` too, with its GNU
OpenMP threading layer, so its threads are the kernels' own libgomp pool (one pool in the
process), and in strict conditional-numerical-reproducibility mode, so a GEMM gives the same
bits at any thread count, as the OpenBLAS split does. OpenBLAS stays loaded for LAPACK.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os

_handle = None
chosen_core: str | None = None  # what preload asked OpenBLAS for (None: its own detection)

_AVX512 = {"AVX512F", "AVX512BW", "AVX512VL", "AVX512DQ"}


def library_path() -> str:
    spec = importlib.util.find_spec("scipy_openblas32")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            "tensorhouse-kernels needs the 'scipy-openblas32' package for its BLAS; "
            "install it with: pip install scipy-openblas32"
        )
    root = list(spec.submodule_search_locations)[0]
    lib_dir = os.path.join(root, "lib")
    for name in sorted(os.listdir(lib_dir)):
        if name.startswith("libscipy_openblas") and name.endswith(".so"):
            return os.path.join(lib_dir, name)
    raise ImportError(f"no libscipy_openblas*.so in {lib_dir}")


def core_type() -> str | None:
    """The OpenBLAS core type for this process's private copy (see the module docstring)."""
    forced = os.environ.get("TENSORHOUSE_BLAS_CORETYPE")
    if forced:
        return forced
    from .runtime import cpu_details

    isa = set(cpu_details()["isa"])
    if _AVX512 <= isa:
        return "SkylakeX"
    if {"AVX2", "FMA"} <= isa:
        return "Haswell"
    return None


@contextlib.contextmanager
def loading_env(values: dict):
    """Set environment variables that a native library reads once, when it loads, and put the
    environment back afterwards. ``None`` values are left out."""
    saved = {k: os.environ.get(k) for k in values}
    for k, v in values.items():
        if v is not None:
            os.environ[k] = v
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def preload():
    global _handle, chosen_core
    if _handle is None:
        chosen_core = core_type()
        # one thread: OpenBLAS runs on the calling thread (see openmp_env); none of its
        # worker threads are started
        with loading_env({"OPENBLAS_CORETYPE": chosen_core, "OPENBLAS_NUM_THREADS": "1"}):
            _handle = ctypes.CDLL(library_path(), mode=os.RTLD_LOCAL)
    return _handle


def openmp_env() -> dict:
    """OpenMP settings for the kernels' own libgomp, read when the C++ module loads.

    The kernels' OpenMP threads are the process's only compute pool (OpenBLAS runs on the
    calling thread; large GEMMs are split over the OpenMP threads), so they may spin briefly
    between kernels instead of sleeping: a sleeping pool cost every small parallel kernel a
    wake-up (the traced MLP step of bench_ops.py took 872 instead of 561 us). Idle threads
    spin for ``GOMP_SPINCOUNT`` = 100000 iterations (tens of microseconds) before they sleep,
    so they do not hold a core long. ``OMP_WAIT_POLICY`` or ``GOMP_SPINCOUNT`` set by the user
    wins.
    """
    if "OMP_WAIT_POLICY" in os.environ or "GOMP_SPINCOUNT" in os.environ:
        return {}
    return {"GOMP_SPINCOUNT": "100000"}


# ---- the GEMM backend ------------------------------------------------------------------------

BACKENDS = ("auto", "openblas", "mkl")
_MKL_THREADING_GNU = 3  # mkl_service.h: MKL_THREADING_GNU
_MKL_CBWR_AUTO, _MKL_CBWR_STRICT = 2, 0x10000  # mkl_cbwr.h
_mkl = None  # the libmkl_rt handle, once loaded


def backend_choice() -> str:
    """``TENSORHOUSE_BLAS``, checked: ``auto`` (default), ``openblas`` or ``mkl``."""
    value = os.environ.get("TENSORHOUSE_BLAS", "").strip().lower() or "auto"
    if value not in BACKENDS:
        raise ValueError(
            f"TENSORHOUSE_BLAS={value!r}: expected one of {', '.join(BACKENDS)} "
            "(auto: oneMKL when the 'mkl' wheel is installed, else OpenBLAS)"
        )
    return value


def mkl_library_path() -> str | None:
    """``libmkl_rt.so.*`` from the installed ``mkl`` wheel, or None when it is not installed."""
    from importlib.metadata import PackageNotFoundError, distribution  # slow: only when asked

    try:
        dist = distribution("mkl")
    except PackageNotFoundError:
        return None
    for f in dist.files or ():
        if f.name.startswith("libmkl_rt.so"):
            path = str(f.locate())
            if os.path.exists(path):
                return path
    return None


def load_mkl(path: str):
    """Open oneMKL privately, with GNU OpenMP threads and thread-count-independent results."""
    global _mkl
    if _mkl is None:
        lib = ctypes.CDLL(path, mode=os.RTLD_LOCAL)
        # before any other oneMKL call: the layer is fixed by the first one
        if lib.MKL_Set_Threading_Layer(_MKL_THREADING_GNU) != _MKL_THREADING_GNU:
            raise ImportError(f"oneMKL at {path} did not accept its GNU OpenMP threading layer")
        if lib.MKL_CBWR_Set(_MKL_CBWR_AUTO | _MKL_CBWR_STRICT) != 0:
            raise ImportError(f"oneMKL at {path} refused strict reproducibility mode (MKL_CBWR)")
        _mkl = lib
    return _mkl


def mkl_version() -> str:
    """oneMKL's version, e.g. ``2026.2`` (from its version string's ``Version <v>``)."""
    buf = ctypes.create_string_buffer(256)
    _mkl.MKL_Get_Version_String(buf, len(buf))
    text = buf.value.decode(errors="replace")
    words = text.split()
    if "Version" in words[:-1]:
        return words[words.index("Version") + 1].split("-")[0]
    return text.strip()


def intel_cpu() -> bool:
    """Whether the CPU is Intel's (``vendor_id`` in ``/proc/cpuinfo``, else the CPU's name).

    ``auto`` takes oneMKL only there: its strict CNR mode keeps float64 GEMMs bit-identical at
    any thread count on Intel CPUs, but not on AMD's (on an AMD EPYC with oneMKL 2026.2, dgemm
    at 2 threads differed from 1 thread in the last bits of 3% of a 256x256 product).
    """
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("vendor_id"):
                    return "GenuineIntel" in line
    except OSError:
        pass
    from .runtime import cpu_details

    return "intel" in str(cpu_details().get("device_name", "")).lower()


def select_backend(cpu_module) -> str:
    """Point the C++ module's GEMMs at the chosen library; returns its name. ``auto`` is
    oneMKL when it is installed and the CPU is Intel's, else OpenBLAS."""
    choice = backend_choice()
    use_mkl = choice == "mkl" or (choice == "auto" and intel_cpu())
    path = mkl_library_path() if use_mkl else None
    if path is None:
        if choice == "mkl":
            raise ImportError(
                "TENSORHOUSE_BLAS=mkl, but oneMKL is not installed; install it with: "
                "pip install 'tensorhouse-kernels[mkl]' (or unset TENSORHOUSE_BLAS)"
            )
        cpu_module.blas_use_openblas()
        return "openblas"
    lib = load_mkl(path)

    def addr(name):
        return ctypes.cast(getattr(lib, name), ctypes.c_void_p).value

    cpu_module.blas_use_external(
        "mkl",
        addr("cblas_sgemm"),
        addr("cblas_dgemm"),
        addr("cblas_sgemm_batch_strided"),
        addr("cblas_dgemm_batch_strided"),
        addr("MKL_Set_Num_Threads_Local"),
    )
    return "mkl"
