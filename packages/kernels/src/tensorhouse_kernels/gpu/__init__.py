"""CUDA kernels: the ``cuda/*.cu`` sources, compiled on first use, registered for ``GPU``.

Compiling: each source (``cuda/<name>.cu``, with ``cuda/common.cuh`` inlined) is compiled by
``nvcc --cubin`` for the GPU's architecture the first time one of its kernels runs, and the
cubin is cached on disk under ``$TENSORHOUSE_CACHE/cuda`` (default ``~/.cache/tensorhouse``),
keyed by the source text, the architecture, the options and nvcc's version; pycuda loads it
with ``module_from_buffer``. CI, which has nvcc but no GPU, compiles every source with
``nvcc -ptx`` for sm_80 and sm_90 (``tests/test_cuda_sources.py``).

Buffers: the ``pycuda.gpuarray.GPUArray`` objects hw-runtime's CUDA backend allocates from
its caching allocator. Kernels follow ``execute``'s contract (``make_kernel``): ``execute``
checks shapes and dtypes with the op definition (TF's errors, as on the CPU) and allocates the
outputs on the GPU; the kernel makes the context of ``outputs.device`` current
(``device.backend.activate``) and launches. Arguments are packed in the C layout by
``_pack``, so kernels take plain parameters (pointers, int64 sizes, ``Dims`` structs of 8
int64).

Data-dependent checks follow TF's GPU kernels rather than its CPU ones (the GPU does not stop
to read values back): an out-of-range gather index gives 0, out-of-range scatter / segment
updates are dropped, an out-of-range sparse label gives NaN, integer division by zero gives 0
(MatrixInverse / MatrixSolve do read a flag back and raise on a singular matrix, as TF's GPU
kernels; see below).

Each family module (``elementwise``, ``reduce``, ``linalg``, ``array``, ``indexing``,
``random``, ``nn``: the CPU's family names) exports its ``TABLE`` (op type ->
``fn(device, inputs, outputs, attrs)``); ``TABLE`` here merges them (an op in two families is
an error at import) and ``FAMILY`` names each op's family. ``register_all()`` registers a
kernel for every op in ``TABLE`` with the CPU kernel's dtypes;
an op with a CPU kernel and no GPU kernel is listed in ``EXCLUDED`` with the reason (a test
enforces it; none is, at present). The package registers them when pycuda is installed
(registration is a few dict entries; nothing is compiled and no driver is touched until a
kernel runs on a GPU).

Ops whose GPU kernel departs from the CPU's on purpose: ``Range`` computes
``start + i * delta`` per element (TF's GPU kernel) where the CPU accumulates
``value += delta`` (TF's CPU kernel), so float results can differ in the last bits (integers
are exact); ``Where`` counts on the device, reads the count back to the host to allocate its
output, then writes the coordinates in row-major order; ``TopKV2`` always returns its k values
in the CPU's order (NaN first, then larger values, ties by lower index) whatever ``sorted``
says; ``FusedElementwise`` is an interpreter (each thread runs the node's program per
element, with the single kernels' op codes and math), and a program with more than 32 live
registers runs as one single kernel per instruction instead.

The LAPACK ops (``linalg.cu``): MatrixInverse, MatrixSolve, MatrixDeterminant and
LogMatrixDeterminant run an LU with partial pivoting as LAPACK's getrf (the pivot is the first
row with the largest |value|) on ``op(A)`` itself (the CPU's LAPACK factors the transpose it
sees in row-major memory, so the pivots differ and results agree to rounding); Cholesky reads
only the lower triangle. One block of 256 threads per matrix, a grid-stride loop over the
batch; a matrix of at most 32 KiB (n <= 64 float64, 90 float32) is factored in shared memory,
a larger one in a global scratch (``linalg_plan``), and n > 1024 raises UnimplementedError
naming the op, the shape and the device (no answer rather than a slow or wrong one). Singular
input follows TF's GPU kernels: MatrixInverse / MatrixSolve set a flag that is read back
(TF's GPU kernels read their LAPACK info back too) and raise the CPU's "not invertible" error
(a synchronization per call); the determinants of a singular matrix are 0 (sign 0, log |det|
-inf), of a 0 x 0 matrix 1; Cholesky of a matrix that is not positive definite fills that
matrix's lower triangle with NaN without raising (TF's GPU kernel; this CPU kernel raises, as
older TF CPU kernels did).

Status: these kernels compile with ``nvcc -ptx`` for sm_80 / sm_90 in CI but have NOT been run
on a GPU yet (LayerNorm, LayerNormGrad, TopKV2, Where, Range, FusedElementwise and the
linalg.cu kernels included; ``tests/test_cuda_sources.py`` replays linalg.cu's loops in Python);
``tests/test_gpu_conformance.py`` (marked ``gpu``) checks them against the CPU where a GPU is
present.
"""

# ruff: noqa: F401
from __future__ import annotations

import re

from .._families import merge_tables
from ..opdefs import _OPS
from ..runtime import errors, list_kernels, register_kernel
from . import array, elementwise, indexing, linalg, nn, random, reduce
from ._cuda import (
    _CAST,
    SOURCE,
    SOURCE_DIR,
)

# Ops with a CPU kernel and, on purpose, no GPU kernel: {op: reason} (none at present; a test
# fails any other gap).


__all__ = [
    "EXCLUDED",
    "SOURCE",
    "SOURCES",
    "TABLE",
    "cache_dir",
    "compile_source",
    "register_all",
    "source_text",
]

# Every kernel module's names, re-exported: ``gpu.<name>`` keeps working for tools and tests.
from ._cuda import (
    _BITS,
    _BITS_TYPE,
    _NUM,
    _SELECT_THREADS,
    BLOCK,
    MAX_BLOCKS,
    MAX_DIMS,
    NVCC_OPTIONS,
    SOURCES,
    Dims,
    Geometry,
    Ptr,
    _arch,
    _archs,
    _as_bits,
    _bits,
    _copy_from_view,
    _copy_view,
    _fill,
    _function,
    _functions,
    _launch,
    _lock,
    _modules,
    _num,
    _nvcc_version,
    _nvcc_versions,
    _pack,
    _static_cast,
    broadcast_strides,
    c_strides,
    cache_dir,
    collapse,
    compile_source,
    find_nvcc,
    ptr,
    source_text,
    tool_env,
    view_geometry,
)
from .array import (
    _along,
    range_scalars,
)
from .elementwise import (
    _FUSED_KINDS,
    _FUSED_SLOTS,
    _binary_args,
    _fused_by_ops,
    fused_program,
    fused_slots,
)
from .indexing import (
    _nd_layout,
    where_layout,
)
from .linalg import (
    _LA_MAX_N,
    _LA_SCRATCH_BYTES,
    _LA_SHARED_BYTES,
    _LA_THREADS,
    _TILES,
    _gemm,
    _la_launch,
    linalg_batch,
    linalg_plan,
)
from .nn import (
    _LN_ROWS,
    _LN_WARPS,
    _ROW_LANES,
    _channel_sums,
    _rows,
    _warp_rows,
    layer_norm_blocks,
)
from .random import (
    _random_fill,
    _random_int_launch,
)
from .reduce import (
    _TOPK_SCRATCH_BYTES,
    _TOPK_SHARED,
    _normalize_axes,
    _reduce_into,
    _split_axis,
    _transposed,
    reduce_layout,
    top_k_plan,
)

EXCLUDED: dict[str, str] = {
    **{op: "no CUDA decomposition yet: the op runs on the CPU's LAPACK (soft placement)"
       for op in ("Qr", "Svd", "SelfAdjointEigV2", "Lu", "Eig")},
    **{op: "no CUDA kernel yet: the op runs on the CPU kernel (soft placement)"
       for op in ("UnsortedSegmentMax", "UnsortedSegmentMin", "UnsortedSegmentProd",
                  "SegmentSum", "SegmentMean", "SegmentMax", "SegmentMin", "SegmentProd",
                  "Unique", "UniqueWithCounts", "DenseBincount", "LowerBound", "UpperBound")},
    **{op: "no CUDA kernel yet: the op runs on the CPU kernel (soft placement)"
       for op in ("Atan", "Acos", "Asin", "Sinh", "Cosh", "Acosh", "Asinh", "Atanh", "Rint",
                  "Lgamma", "Digamma", "Atan2", "Zeta", "Polygamma", "Invert", "BitwiseAnd",
                  "BitwiseOr", "BitwiseXor", "LeftShift", "RightShift", "Erfinv", "Ndtri",
                  "BesselI0", "BesselI0e", "BesselI1", "BesselI1e", "NextAfter", "Bitcast")},
    **{op: "no CUDA kernel yet: the fused recurrent op runs on the CPU kernel (soft placement)"
       for op in ("LSTMSequence", "LSTMSequenceGrad", "GRUSequence", "GRUSequenceGrad")},
    **{op: "complex dtypes have no CUDA code: the op runs on the CPU kernel (soft placement)"
       for op in ("Complex", "Real", "Imag", "ComplexAbs", "Angle", "Conj", "FFT", "IFFT",
                  "FFT2D", "IFFT2D", "FFT3D", "IFFT3D", "RFFT", "IRFFT", "RFFT2D", "IRFFT2D",
                  "RFFT3D", "IRFFT3D")},
    **{op: "no CUDA kernel yet: the op runs on the CPU kernel (image.cpp, soft placement)"
       for op in ("ResizeBilinear", "ResizeBilinearGrad", "ResizeNearestNeighbor",
                  "ResizeNearestNeighborGrad")},
    **{op: "no CUDA kernel yet: the optimizers keep their per-variable path off the CPU"
       for op in ("FusedApplySGD", "FusedApplyAdam", "FusedApplyRMSProp", "FusedApplyAdagrad",
                  "FusedApplyAdamax", "FusedApplyNadam", "FusedApplyLion", "FusedApplyFtrl",
                  "FusedApplyAdadelta")},
}  # fmt: skip

# (op, dtype) pairs the CPU has and the CUDA sources do not: never registered on the GPU, so
# soft placement runs them on the CPU kernel instead of launching a kernel that does not exist.
_INTS = ("int8", "int16", "int32", "int64", "uint8")
NO_CUDA_DTYPES: dict[str, tuple[str, ...]] = {
    "MaxPool": _INTS, "MaxPoolGrad": _INTS, "MaxPoolGradGrad": _INTS,  # integer pooling
    "Conv2D": ("int32",), "Conv2DBackpropInput": ("int32",),  # integer convolution
    "ScatterNd": ("bool",),  # bool scatter (duplicates combined by OR)
    # 16-bit batch norm with float32 scale and statistics (mixed dtypes)
    "FusedBatchNormV3": ("float16", "bfloat16"), "FusedBatchNormGradV3": ("float16", "bfloat16"),
}  # fmt: skip


FAMILIES = (elementwise, reduce, linalg, array, indexing, random, nn)
# op type -> fn(device, inputs, outputs, attrs), from each family's TABLE; FAMILY: op -> family
TABLE, FAMILY = merge_tables(FAMILIES)


def _check_buffers(op, inputs):
    for i, x in enumerate(inputs):
        if not hasattr(x, "gpudata"):
            raise errors.InvalidArgumentError(
                f"{op} on GPU: input {i} is a {type(x).__name__}, not a GPU buffer "
                f"(pycuda GPUArray) [Op:{op}]"
            )
        if x.size and not x.flags.c_contiguous:
            raise errors.InvalidArgumentError(
                f"{op} on GPU: input {i} must be C-contiguous [Op:{op}]"
            )


def make_kernel(op_type):
    """The registered kernel, under ``execute``'s contract, ``kernel(inputs, outputs,
    attrs)``, launched on ``outputs.device``: it fills the outputs ``execute`` allocated on the
    GPU from the op's rule (run once, by ``execute``), or, for an op with ``allocates=False``
    (Reshape's view, Where), sets the empty slots to the buffers it made."""
    fn = TABLE[op_type]
    fills = _OPS[op_type].allocates

    def kernel(inputs, outputs, attrs):
        _check_buffers(op_type, inputs)
        device = outputs.device
        with device.backend.activate(device):
            made = fn(device, inputs, outputs if fills else None, attrs)
        if not fills:
            outputs[:] = made

    kernel.op_type = op_type  # pyright: ignore[reportFunctionMemberAccess]
    kernel.__name__ = kernel.__qualname__ = f"gpu_{op_type}"
    kernel.__module__ = SOURCE
    return kernel


def cpu_op_dtypes() -> dict:
    """``{op type: [dtype names]}`` of the kernel library's own CPU kernels."""
    out: dict = {}
    for k in list_kernels(device_type="CPU"):
        if k.source.startswith("tensorhouse_kernels") and k.source != SOURCE:
            out.setdefault(k.op_type, set()).add(k.dtype)
    return {op: sorted(dts) for op, dts in sorted(out.items())}


_GPU_DTYPES = set(_CAST)  # element types the CUDA sources instantiate


def gpu_dtypes(op: str, cpu_dtypes) -> list[str]:
    """The dtypes of ``op``'s GPU kernel: the CPU kernel's that the CUDA sources have."""
    return [d for d in cpu_dtypes if d in _GPU_DTYPES and d not in NO_CUDA_DTYPES.get(op, ())]


def register_all():
    """Register a GPU kernel for every CPU op in ``TABLE``, with the CPU kernel's dtypes."""
    for op, dtypes in cpu_op_dtypes().items():
        if op not in TABLE:
            continue  # EXCLUDED, or an op added since; test_gpu_coverage names it
        dts = gpu_dtypes(op, dtypes)
        if dts:
            register_kernel(op, "GPU", dts, source=SOURCE)(make_kernel(op))


def cuda_enum(source: str, enum: str) -> list[str]:
    """The names of ``enum <enum> { ... }`` in ``cuda/<source>.cu`` (tests compare them with
    the C++ module's op codes)."""
    text = (SOURCE_DIR / f"{source}.cu").read_text()
    match = re.search(r"enum\s+" + enum + r"\s*\{([^}]*)\}", text)
    if match is None:
        raise ValueError(f"no `enum {enum}` in cuda/{source}.cu")
    return [name.strip() for name in match.group(1).split(",") if name.strip()]
