"""Loads the OpenBLAS that ships in scipy-openblas32, privately.

The library is opened with ``RTLD_LOCAL`` before the C++ module is imported: the module links
it by soname, so the dynamic loader reuses this copy, and its symbols never leak into the
process's global namespace (where they could clash with NumPy's own OpenBLAS).
``scipy_openblas32`` itself is not imported.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os

_handle = None


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


def preload():
    global _handle
    if _handle is None:
        _handle = ctypes.CDLL(library_path(), mode=os.RTLD_LOCAL)
    return _handle
