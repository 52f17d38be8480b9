"""Loads the OpenBLAS that ships in scipy-openblas32, privately.

The library is opened with ``RTLD_LOCAL`` before the C++ module is imported: the module links
it by soname, so the dynamic loader reuses this copy, and its symbols never leak into the
process's global namespace (where they could clash with NumPy's own OpenBLAS).
``scipy_openblas32`` itself is not imported.

Core type: OpenBLAS picks its GEMM kernels once, when the library loads, from
``OPENBLAS_CORETYPE`` or its own CPU detection. An environment may pin that variable for its
NumPy (``OPENBLAS_CORETYPE=Haswell`` means AVX2 kernels even on an AVX-512 CPU, about half the
GEMM speed there). This private copy instead takes the best kernels the CPU supports, from
hw-runtime's ISA report (AVX-512 -> ``SkylakeX``, AVX2 + FMA -> ``Haswell``, otherwise OpenBLAS's
own choice), unless ``TENSORHOUSE_BLAS_CORETYPE`` names one. ``OPENBLAS_CORETYPE`` is restored
right after loading, so NumPy's copy is unaffected.
"""

from __future__ import annotations

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


def preload():
    global _handle, chosen_core
    if _handle is None:
        chosen_core = core_type()
        saved = os.environ.get("OPENBLAS_CORETYPE")
        if chosen_core:
            os.environ["OPENBLAS_CORETYPE"] = chosen_core
        try:
            _handle = ctypes.CDLL(library_path(), mode=os.RTLD_LOCAL)
        finally:
            if saved is None:
                os.environ.pop("OPENBLAS_CORETYPE", None)
            else:
                os.environ["OPENBLAS_CORETYPE"] = saved
    return _handle
