"""The C++ CPU kernels (module ``_cpu``), registered in the runtime's registry by op family.

Each family module (``elementwise``, ``reduce``, ``linalg``, ``array``, ``indexing``,
``random``, ``nn``, ``segment``, ``image``, ``optim``, ``complex``) holds its kernels and a
``register()`` that registers them; ``_base`` holds the registration helper and the 16-bit /
bool wrappers. Every kernel is ``kernel(inputs, outputs, attrs)`` (``execute``'s contract): it
fills the outputs ``execute`` allocated, or, for ops whose definition says ``allocates=False``
(Reshape's view, Where, Unique, ...), sets their empty slots.
"""

from __future__ import annotations

from .. import _blas, _cpu
from ..runtime import config, errors, set_native_allocator
from . import (
    array,
    complex,
    elementwise,
    image,
    indexing,
    linalg,
    nn,
    optim,
    random,
    reduce,
    segment,
)

__all__ = ["register_all", "info"]

FAMILIES = (elementwise, reduce, linalg, array, indexing, random, nn, segment, image, optim,
            complex)  # fmt: skip


def register_all():
    """Register every CPU kernel (complex last: it adds dtypes to ops the others registered)."""
    _cpu.set_invalid_argument_error(errors.InvalidArgumentError)
    set_native_allocator("CPU", _cpu.empty)
    for family in FAMILIES:
        family.register()
    config.threading.add_listener(_set_threads)


def _set_threads(n: int):
    _cpu.set_num_threads(n)  # OpenBLAS stays on one thread: large GEMMs split over these


def _gemm_library() -> str:
    if _cpu.blas_name() == "mkl":
        return f"oneMKL {_blas.mkl_version()} (GNU OpenMP threads, strict CNR)"
    return "OpenBLAS (scipy-openblas32)"


def info() -> dict:
    """The CPU kernels' threading and BLAS configuration (``tensorhouse info``)."""
    return {
        "openmp": bool(_cpu.openmp),
        "threads": _cpu.num_threads(),
        "blas": "OpenBLAS (scipy-openblas32)",
        "gemm": _gemm_library(),
        "blas_core": _cpu.blas_corename(),
        "blas_config": _cpu.blas_config(),
        "blas_threads": _cpu.blas_get_num_threads(),  # 1: GEMMs split over the kernels' own
    }
