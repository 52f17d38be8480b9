"""CUDA kernels: the ``cuda/*.cu`` sources, compiled on first use, registered for ``GPU``.

Compiling: each source (``cuda/<name>.cu``, with ``cuda/common.cuh`` inlined) is compiled by
``nvcc --cubin`` for the GPU's architecture the first time one of its kernels runs, and the
cubin is cached on disk under ``$TENSORHOUSE_CACHE/cuda`` (default ``~/.cache/tensorhouse``),
keyed by the source text, the architecture, the options and nvcc's version; pycuda loads it
with ``module_from_buffer``. CI, which has nvcc but no GPU, compiles every source with
``nvcc -ptx`` for sm_80 and sm_90 (``tests/test_cuda_sources.py``).

Buffers: the ``pycuda.gpuarray.GPUArray`` objects hw-runtime's CUDA backend allocates from
its caching allocator. Kernels create their outputs (``returns_outputs``): each call checks
shapes and dtypes with the op definition (TF's errors, as on the CPU), makes the device's
context current (``device.backend.activate``), allocates the outputs on the device and
launches. Arguments are packed in the C layout by ``_pack``, so kernels take plain
parameters (pointers, int64 sizes, ``Dims`` structs of 8 int64).

Data-dependent checks follow TF's GPU kernels rather than its CPU ones (the GPU does not stop
to read values back): an out-of-range gather index gives 0, out-of-range scatter / segment
updates are dropped, an out-of-range sparse label gives NaN, integer division by zero gives 0
(MatrixInverse / MatrixSolve do read a flag back and raise on a singular matrix, as TF's GPU
kernels; see below).

``register_all()`` registers a kernel for every op in ``TABLE`` with the CPU kernel's dtypes;
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

from __future__ import annotations

import hashlib
import os
import re
import shutil
import struct
import subprocess
import tempfile
import threading
from pathlib import Path

import numpy as np

from .execute import returns_outputs
from .opdefs import (
    _OPS,
    check_fused_program,
    conv_params,
    mirror_pad_copies,
    normalized_reverse_axes,
    pool_params,
    slice_bounds,
    stateless_seed,
    strided_slice_spec,
)
from .runtime import config, errors, list_kernels, register_kernel

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

SOURCE = "tensorhouse_kernels.gpu"
SOURCE_DIR = Path(__file__).with_name("cuda")
SOURCES = ("elementwise", "reduce", "softmax", "gemm", "conv", "pool", "norm", "indexing",
           "random", "cast", "select", "linalg")  # fmt: skip
NVCC_OPTIONS = ("-O3", "-std=c++17")
MAX_DIMS = 8
BLOCK = 256
MAX_BLOCKS = 32768  # grid-stride loops: more blocks than this only queue up

# Ops with a CPU kernel and, on purpose, no GPU kernel: {op: reason} (none at present; a test
# fails any other gap).
EXCLUDED: dict[str, str] = {
    **{op: "no CUDA decomposition yet: the op runs on the CPU's LAPACK (soft placement)"
       for op in ("Qr", "Svd", "SelfAdjointEigV2", "Lu")},
    **{op: "no CUDA kernel yet: the op runs on the CPU kernel (soft placement)"
       for op in ("UnsortedSegmentMax", "UnsortedSegmentMin", "UnsortedSegmentProd",
                  "SegmentSum", "SegmentMean", "SegmentMax", "SegmentMin", "SegmentProd",
                  "Unique", "UniqueWithCounts", "DenseBincount", "LowerBound", "UpperBound")},
    **{op: "no CUDA kernel yet: the op runs on the CPU kernel (soft placement)"
       for op in ("Atan", "Acos", "Asin", "Sinh", "Cosh", "Acosh", "Asinh", "Atanh", "Rint",
                  "Lgamma", "Digamma", "Atan2", "Zeta", "Polygamma", "Invert", "BitwiseAnd",
                  "BitwiseOr", "BitwiseXor", "LeftShift", "RightShift")},
    **{op: "no CUDA kernel yet: the fused recurrent op runs on the CPU kernel (soft placement)"
       for op in ("LSTMSequence", "LSTMSequenceGrad", "GRUSequence", "GRUSequenceGrad")},
    **{op: "complex dtypes have no CUDA code: the op runs on the CPU kernel (soft placement)"
       for op in ("Complex", "Real", "Imag", "ComplexAbs", "Angle", "Conj", "FFT", "IFFT",
                  "FFT2D", "IFFT2D", "FFT3D", "IFFT3D", "RFFT", "IRFFT", "RFFT2D", "IRFFT2D",
                  "RFFT3D", "IRFFT3D")},
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

# ---- compiling ---------------------------------------------------------------------------------


def cache_dir() -> Path:
    """Where compiled cubins are kept: ``$TENSORHOUSE_CACHE/cuda`` or
    ``~/.cache/tensorhouse/cuda``."""
    root = os.environ.get("TENSORHOUSE_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "tensorhouse"
    )
    return Path(root) / "cuda"


def source_text(name: str) -> str:
    """``cuda/<name>.cu`` with ``#include "common.cuh"`` replaced by the header's text."""
    text = (SOURCE_DIR / f"{name}.cu").read_text()
    header = (SOURCE_DIR / "common.cuh").read_text()
    return text.replace('#include "common.cuh"', header, 1)


def find_nvcc() -> str | None:
    found = shutil.which("nvcc")
    if found:
        return found
    for root in (os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"), "/usr/local/cuda"):
        if root and os.path.exists(os.path.join(root, "bin", "nvcc")):
            return os.path.join(root, "bin", "nvcc")
    return None


_nvcc_versions: dict = {}


def tool_env() -> dict:
    """The environment for nvcc: ours without ``LD_PRELOAD`` (a sanitizer runtime preloaded into
    this process, as under ``nox -s asan``, makes nvcc's front end crash)."""
    return {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}


def _nvcc_version(nvcc: str) -> str:
    if nvcc not in _nvcc_versions:
        out = subprocess.run(
            [nvcc, "--version"], capture_output=True, text=True, check=True, env=tool_env()
        )
        _nvcc_versions[nvcc] = out.stdout.strip().splitlines()[-1]
    return _nvcc_versions[nvcc]


def compile_source(name: str, arch: str, *, nvcc: str | None = None, target="cubin") -> bytes:
    """Compile ``cuda/<name>.cu`` for ``arch`` (``"sm_90"``); cached on disk. Returns the
    cubin (or PTX with ``target="ptx"``) bytes."""
    nvcc = nvcc or find_nvcc()
    if nvcc is None:
        raise errors.UnavailableError(
            "nvcc was not found (PATH, CUDA_HOME, /usr/local/cuda): the CUDA kernels are "
            "compiled on first use and need the CUDA toolkit"
        )
    text = source_text(name)
    options = [*NVCC_OPTIONS, f"-arch={arch}"]
    key = hashlib.sha256(
        "\0".join([text, target, *options, _nvcc_version(nvcc)]).encode()
    ).hexdigest()[:32]
    directory = cache_dir()
    path = directory / f"{name}-{arch}-{key}.{target}"
    if path.exists():
        return path.read_bytes()
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="th-nvcc-") as tmp:
        src = Path(tmp) / f"{name}.cu"
        src.write_text(text)
        out = Path(tmp) / f"{name}.{target}"
        result = subprocess.run(
            [nvcc, f"--{target}", *options, "-o", str(out), str(src)],
            capture_output=True,
            text=True,
            env=tool_env(),
        )
        if result.returncode != 0:
            raise errors.InternalError(f"nvcc failed on cuda/{name}.cu:\n{result.stderr}")
        data = out.read_bytes()
    fd, tmp_path = tempfile.mkstemp(dir=directory, suffix=".part")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp_path, path)  # atomic: concurrent first uses never read half a file
    return data


# ---- loading and launching (pycuda) -------------------------------------------------------------

_lock = threading.Lock()
_functions: dict = {}  # (physical index, module, kernel) -> pycuda Function
_modules: dict = {}  # (physical index, module) -> pycuda Module
_archs: dict = {}  # physical index -> "sm_XY"


def _arch(device) -> str:
    index = device.physical_index
    arch = _archs.get(index)
    if arch is None:
        major, minor = device.native.compute_capability()
        arch = _archs[index] = f"sm_{major}{minor}"
    return arch


def _function(device, module: str, kernel: str):
    key = (device.physical_index, module, kernel)
    fn = _functions.get(key)
    if fn is None:
        with _lock:
            mod = _modules.get(key[:2])
            if mod is None:
                import pycuda.driver as cuda

                mod = _modules[key[:2]] = cuda.module_from_buffer(
                    compile_source(module, _arch(device))
                )
            fn = _functions[key] = mod.get_function(kernel)
    return fn


class Ptr(int):
    """A device address argument."""


class Dims(tuple):
    """A ``Dims`` struct argument: up to 8 int64 values (missing ones are 0)."""


class Geometry(tuple):
    """A struct of int64 fields (``Geometry`` / ``PoolGeometry`` in the .cu sources)."""


def _pack(args) -> bytes:
    """Kernel parameters in the C layout: each one aligned to its own size."""
    buf = bytearray()
    for a in args:
        if isinstance(a, Ptr):
            data, align = struct.pack("<Q", a), 8
        elif isinstance(a, Dims):
            if len(a) > MAX_DIMS:
                raise errors.UnimplementedError(f"GPU kernels take at most {MAX_DIMS} dims")
            data, align = struct.pack(f"<{MAX_DIMS}q", *a, *([0] * (MAX_DIMS - len(a)))), 8
        elif isinstance(a, Geometry):
            data, align = struct.pack(f"<{len(a)}q", *a), 8
        elif isinstance(a, np.generic):
            data, align = a.tobytes(), a.dtype.itemsize
        else:
            raise TypeError(f"kernel argument {a!r}: wrap it (Ptr, Dims, Geometry, np scalar)")
        buf += bytes(-len(buf) % align)
        buf += data
    return bytes(buf)


def _launch(device, module, kernel, args, *, n=None, grid=None, block=(BLOCK, 1, 1)):
    """Launch ``module.kernel`` on ``device`` (its context is current): ``n`` threads' worth
    of grid-stride work, or an explicit ``grid``."""
    if grid is None:
        if not n:
            return
        grid = (min(-(-n // block[0]), MAX_BLOCKS), 1, 1)
    fn = _function(device, module, kernel)
    fn(np.void(_pack(args)), block=block, grid=grid)


def ptr(a, offset_elements=0) -> Ptr:
    """The device address of a GPUArray (plus an offset in elements)."""
    if a.gpudata is None:
        return Ptr(0)
    return Ptr(int(a.gpudata) + offset_elements * a.dtype.itemsize)


# ---- dtype suffixes -----------------------------------------------------------------------------

_NUM = {"uint8": "u8", "int32": "i32", "int64": "i64", "float32": "f32", "float64": "f64"}
_CAST = {**_NUM, "bool": "b", "float16": "f16", "bfloat16": "bf16"}
_BITS = {1: "x8", 2: "x16", 4: "x32", 8: "x64"}
_BITS_TYPE = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def _num(dtype, op) -> str:
    try:
        return _NUM[np.dtype(dtype).name]
    except KeyError:
        raise errors.InvalidArgumentError(
            f"{op} has no GPU kernel for dtype {np.dtype(dtype).name} [Op:{op}]"
        ) from None


def _bits(dtype) -> str:
    return _BITS[np.dtype(dtype).itemsize]


def _as_bits(value, dtype):
    """A host value converted to ``dtype`` (saturating, as the CPU's convert) as raw bits."""
    dtype = np.dtype(dtype)
    v = float(value)
    if dtype == np.bool_:
        v = v != 0
    elif dtype.kind in "iu":
        info = np.iinfo(dtype)
        v = 0 if np.isnan(v) else max(min(int(v) if abs(v) < 2.0**64 else v, info.max), info.min)
    return np.array(v).astype(dtype).view(_BITS_TYPE[dtype.itemsize])[()]


# ---- index math on the host ---------------------------------------------------------------------


def c_strides(shape) -> list[int]:
    out, acc = [], 1
    for d in reversed(shape):
        out.append(acc)
        acc *= d
    return out[::-1]


def broadcast_strides(shape, out_shape) -> list[int]:
    """Element strides of a C-contiguous ``shape`` broadcast to ``out_shape`` (0 on
    broadcast dims)."""
    r = len(out_shape)
    padded = [1] * (r - len(shape)) + list(shape)
    st = c_strides(padded)
    return [0 if d == 1 and o != 1 else s for d, o, s in zip(padded, out_shape, st)]


def collapse(shape, *strides):
    """Drop size-1 dims and merge neighbours that are contiguous for every operand, so most
    tensors need one or two dims of index math. Returns (shape, [strides per operand])."""
    keep = [i for i, d in enumerate(shape) if d != 1]
    shape = [shape[i] for i in keep]
    strides = [[s[i] for i in keep] for s in strides]
    out_shape, out_strides = [], [[] for _ in strides]
    for i, d in enumerate(shape):
        if out_shape and all(os_[-1] == s[i] * d for os_, s in zip(out_strides, strides)):
            out_shape[-1] *= d
            for os_, s in zip(out_strides, strides):
                os_[-1] = s[i]
        else:
            out_shape.append(d)
            for os_, s in zip(out_strides, strides):
                os_.append(s[i])
    if len(out_shape) > MAX_DIMS:
        raise errors.UnimplementedError(
            f"GPU kernels support at most {MAX_DIMS} non-mergeable dims, got shape {shape}"
        )
    return out_shape, out_strides


def view_geometry(shape, index):
    """``(shape, offset, strides)`` in elements of ``x[index]`` for a C-contiguous ``x`` of
    ``shape``: NumPy does the slicing on a placeholder that is never read."""
    base = np.lib.stride_tricks.as_strided(
        np.zeros(1, np.uint8), shape=tuple(shape), strides=tuple(c_strides(shape)),
        writeable=False,
    )  # fmt: skip
    v = base[tuple(index) + (Ellipsis,)]
    offset = v.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    return v.shape, offset, list(v.strides)


def _copy_view(device, src, src_offset, src_strides, dst, dst_offset, dst_strides, shape):
    """dst view <- src view, elements moved as bits."""
    n = int(np.prod(shape, dtype=np.int64))
    if n == 0:
        return
    cshape, (ss, ds) = collapse(list(shape), list(src_strides), list(dst_strides))
    _launch(device, "indexing", f"copy_{_bits(dst.dtype)}", [
        ptr(src, src_offset), ptr(dst, dst_offset), np.int64(n), np.int32(len(cshape)),
        Dims(cshape), Dims(ss), Dims(ds),
    ], n=n)  # fmt: skip


def _copy_from_view(device, x, shape, offset, strides, out):
    _copy_view(device, x, offset, strides, out, 0, c_strides(shape), shape)


def _fill(device, out, value):
    n = out.size
    _launch(device, "elementwise", f"fill_{_bits(out.dtype)}",
            [ptr(out), np.int64(n), _as_bits(value, out.dtype)], n=n)  # fmt: skip


# ---- kernels: fn(device, inputs, outputs, attrs) ------------------------------------------------


def _unary(code):
    def fn(dev, inputs, outputs, attrs):
        x, y = inputs[0], outputs[0]
        _launch(dev, "elementwise", f"unary_{_num(x.dtype, 'unary')}",
                [ptr(x), ptr(y), np.int64(y.size), np.int32(code)], n=y.size)  # fmt: skip

    return fn


def _binary_args(a, b, out):
    n = out.size
    if a.shape == out.shape and b.shape == out.shape:
        return 0, [], [], [], n
    if a.shape == out.shape and b.size == 1:
        return 1, [], [], [], n
    if b.shape == out.shape and a.size == 1:
        return 2, [], [], [], n
    shape, (sa, sb) = collapse(
        list(out.shape),
        broadcast_strides(a.shape, out.shape),
        broadcast_strides(b.shape, out.shape),
    )
    return 3, shape, sa, sb, n


def _binary(code, compare):
    kind = "compare" if compare else "binary"

    def fn(dev, inputs, outputs, attrs):
        a, b = inputs
        out = outputs[0]
        mode, shape, sa, sb, n = _binary_args(a, b, out)
        _launch(dev, "elementwise", f"{kind}_{_num(a.dtype, kind)}", [
            ptr(a), ptr(b), ptr(out), np.int64(n), np.int32(code), np.int32(mode),
            np.int32(len(shape)), Dims(shape), Dims(sa), Dims(sb),
        ], n=n)  # fmt: skip

    return fn


def _predicate(code):
    def fn(dev, inputs, outputs, attrs):
        x, out = inputs[0], outputs[0]
        if code == 2:  # LogicalNot
            _launch(dev, "elementwise", "logical_not", [ptr(x), ptr(out), np.int64(out.size)],
                    n=out.size)  # fmt: skip
        else:
            _launch(dev, "elementwise", f"predicate_{_num(x.dtype, 'predicate')}",
                    [ptr(x), ptr(out), np.int64(out.size), np.int32(code)], n=out.size)  # fmt: skip

    return fn


def _logical(code):
    def fn(dev, inputs, outputs, attrs):
        a, b = inputs
        out = outputs[0]
        shape, (sa, sb) = collapse(
            list(out.shape), broadcast_strides(a.shape, out.shape),
            broadcast_strides(b.shape, out.shape),
        )  # fmt: skip
        _launch(dev, "elementwise", "logical", [
            ptr(a), ptr(b), ptr(out), np.int64(out.size), np.int32(code),
            np.int32(len(shape)), Dims(shape), Dims(sa), Dims(sb),
        ], n=out.size)  # fmt: skip

    return fn


def _select(dev, inputs, outputs, attrs):
    c, t, e = inputs
    out = outputs[0]
    shape, (sc, st, se) = collapse(
        list(out.shape), *(broadcast_strides(x.shape, out.shape) for x in (c, t, e))
    )
    _launch(dev, "elementwise", f"select_{_bits(out.dtype)}", [
        ptr(c), ptr(t), ptr(e), ptr(out), np.int64(out.size), np.int32(len(shape)),
        Dims(shape), Dims(sc), Dims(st), Dims(se),
    ], n=out.size)  # fmt: skip


def _normalize_axes(attrs, ndim):
    axes = attrs.get("axis")
    if axes is None:
        return list(range(ndim))
    if isinstance(axes, int | np.integer):
        axes = (axes,)
    return sorted({int(a) % ndim for a in axes}) if ndim else []


def reduce_layout(shape, axes):
    """``(outer, r, inner, perm)``: the input as (outer, r, inner) with r reduced; ``perm`` is
    the transpose that makes the reduced axes one block (None when they already are one).
    Size-1 dims are ignored."""
    axes = set(axes)
    live = [i for i, d in enumerate(shape) if d != 1]
    red = [i for i in live if i in axes]
    kept = [i for i in live if i not in axes]
    r = int(np.prod([shape[i] for i in red], dtype=np.int64))
    if not red:
        return int(np.prod(shape, dtype=np.int64)), 1, 1, None
    if red == live[live.index(red[0]) : live.index(red[0]) + len(red)]:
        outer = int(np.prod([shape[i] for i in live if i < red[0]], dtype=np.int64))
        inner = int(np.prod([shape[i] for i in live if i > red[-1]], dtype=np.int64))
        return outer, r, inner, None
    return int(np.prod([shape[i] for i in kept], dtype=np.int64)), r, 1, kept + red


def _transposed(dev, x, perm):
    """A contiguous copy of x transposed by perm."""
    shape = [x.shape[i] for i in perm]
    tmp = dev.allocate(tuple(shape), x.dtype)
    st = c_strides(x.shape)
    _copy_from_view(dev, x, shape, 0, [st[i] for i in perm], tmp)
    return tmp


def _reduce_into(dev, x, out, axes, code):
    outer, r, inner, perm = reduce_layout(x.shape, axes)
    if perm is not None:
        x = _transposed(dev, x, perm)
    typ = "u8" if x.dtype == np.bool_ else _num(x.dtype, "reduce")
    if inner == 1:
        grid = (min(max(outer, 1), MAX_BLOCKS), 1, 1)
        if outer == 0:
            return
        _launch(dev, "reduce", f"reduce_{typ}", [
            ptr(x), ptr(out), np.int64(outer), np.int64(r), np.int64(inner), np.int32(code),
        ], grid=grid)  # fmt: skip
    else:
        _launch(dev, "reduce", f"reduce_{typ}", [
            ptr(x), ptr(out), np.int64(outer), np.int64(r), np.int64(inner), np.int32(code),
        ], n=outer * inner)  # fmt: skip


def _reduce(code):
    def fn(dev, inputs, outputs, attrs):
        x = inputs[0]
        _reduce_into(dev, x, outputs[0], _normalize_axes(attrs, x.ndim), code)

    return fn


def _split_axis(shape, axis):
    outer = int(np.prod(shape[:axis], dtype=np.int64))
    inner = int(np.prod(shape[axis + 1 :], dtype=np.int64))
    return outer, shape[axis] if shape else 1, inner


def _arg(is_max):
    def fn(dev, inputs, outputs, attrs):
        x, out = inputs[0], outputs[0]
        axis = int(attrs.get("axis", 0)) % max(x.ndim, 1)
        outer, n, inner = _split_axis(x.shape, axis)
        _launch(dev, "reduce", f"arg_{_num(x.dtype, 'ArgMax')}_{_num(out.dtype, 'ArgMax')}", [
            ptr(x), ptr(out), np.int64(outer), np.int64(n), np.int64(inner), np.int32(is_max),
        ], n=out.size)  # fmt: skip

    return fn


def _cumulative(prod):
    def fn(dev, inputs, outputs, attrs):
        x, out = inputs[0], outputs[0]
        axis = int(attrs.get("axis", 0)) % max(x.ndim, 1)
        outer, n, inner = _split_axis(x.shape, axis)
        _launch(dev, "reduce", f"cumulative_{_num(x.dtype, 'Cumsum')}", [
            ptr(x), ptr(out), np.int64(outer), np.int64(n), np.int64(inner), np.int32(prod),
            np.int32(bool(attrs.get("exclusive", False))),
            np.int32(bool(attrs.get("reverse", False))),
        ], n=outer * inner)  # fmt: skip

    return fn


# GEMM: tile sizes of gemm_f32 / gemm_f64 / gemm_tf32 (gemm.cu).
_TILES = {"f32": (128, 128, 256), "f64": (64, 64, 256), "tf32": (64, 64, 128)}


def _gemm(dev, a, b, c, m, n, k, ta, tb, batch=1, sa=0, sb=0, sc=0):
    if c.size == 0:
        return
    if k == 0:
        _fill(dev, c, 0)
        return
    typ = _num(c.dtype, "MatMul")
    if typ == "f32" and config.experimental.tensor_float_32_execution_enabled():
        if int(_arch(dev)[3:]) >= 80:
            typ = "tf32"
    bm, bn, threads = _TILES[typ]
    _launch(dev, "gemm", f"gemm_{typ}", [
        ptr(a), ptr(b), ptr(c), np.int64(m), np.int64(n), np.int64(k), np.int32(ta),
        np.int32(tb), np.int64(sa), np.int64(sb), np.int64(sc),
    ], grid=(-(-n // bn), -(-m // bm), batch), block=(threads, 1, 1))  # fmt: skip


def _matmul(dev, inputs, outputs, attrs):
    a, b = inputs
    c = outputs[0]
    ta, tb = bool(attrs.get("transpose_a", False)), bool(attrs.get("transpose_b", False))
    m, n = c.shape
    k = a.shape[0] if ta else a.shape[1]
    _gemm(dev, a, b, c, m, n, k, ta, tb)


def _batch_matmul(dev, inputs, outputs, attrs):
    a, b = inputs
    c = outputs[0]
    ta, tb = bool(attrs.get("adj_x", False)), bool(attrs.get("adj_y", False))
    batch_shape = c.shape[:-2]
    m, n = c.shape[-2:]
    k = a.shape[-2] if ta else a.shape[-1]
    batch = int(np.prod(batch_shape, dtype=np.int64))
    operands = []
    for x in (a, b):
        xb = x.shape[:-2]
        if int(np.prod(xb, dtype=np.int64)) == 1:
            operands.append((x, 0))
        elif tuple(xb) == tuple(batch_shape):
            operands.append((x, x.shape[-2] * x.shape[-1]))
        else:  # broadcast batch dims: materialize the full batch once
            full = tuple(batch_shape) + x.shape[-2:]
            tmp = dev.allocate(full, x.dtype)
            _copy_from_view(dev, x, full, 0, broadcast_strides(x.shape, full), tmp)
            operands.append((tmp, x.shape[-2] * x.shape[-1]))
    (a2, sa), (b2, sb) = operands
    if batch == 0:
        return
    _gemm(dev, a2, b2, c, m, n, k, ta, tb, batch, sa, sb, m * n)


def _rows(x):
    n = x.shape[-1] if x.ndim else 1
    return (x.size // n if n else 0), n


def _softmax(log):
    def fn(dev, inputs, outputs, attrs):
        x, y = inputs[0], outputs[0]
        rows, n = _rows(x)
        if rows == 0 or n == 0:
            return
        _launch(dev, "softmax", f"softmax_{_num(x.dtype, 'Softmax')}", [
            ptr(x), ptr(y), np.int64(rows), np.int64(n), np.int32(log),
        ], grid=(min(rows, MAX_BLOCKS), 1, 1))  # fmt: skip

    return fn


def _xent(dev, inputs, outputs, attrs):
    x, labels = inputs
    loss, back = outputs
    rows, n = x.shape
    if rows == 0:
        return
    _launch(dev, "softmax", f"xent_{_num(x.dtype, 'SoftmaxCrossEntropyWithLogits')}", [
        ptr(x), ptr(labels), ptr(loss), ptr(back), np.int64(rows), np.int64(n),
    ], grid=(min(rows, MAX_BLOCKS), 1, 1))  # fmt: skip


def _sparse_xent(dev, inputs, outputs, attrs):
    x, labels = inputs
    loss, back = outputs
    rows, n = x.shape
    if rows == 0:
        return
    op = "SparseSoftmaxCrossEntropyWithLogits"
    _launch(dev, "softmax", f"sparse_xent_{_num(x.dtype, op)}_{_num(labels.dtype, op)}", [
        ptr(x), ptr(labels), ptr(loss), ptr(back), np.int64(rows), np.int64(n),
    ], grid=(min(rows, MAX_BLOCKS), 1, 1))  # fmt: skip


# Array ops: the host computes each view's (offset, strides); one strided copy moves the data.


def _along(ndim, axis, start, stop):
    return (slice(None),) * axis + (slice(start, stop),) + (slice(None),) * (ndim - axis - 1)


def _concat(dev, inputs, outputs, attrs):
    out = outputs[0]
    axis = int(attrs.get("axis", 0)) % out.ndim
    offset = 0
    for x in inputs:
        d = x.shape[axis]
        if d and x.size:
            shape, off, st = view_geometry(out.shape, _along(out.ndim, axis, offset, offset + d))
            _copy_view(dev, x, 0, c_strides(x.shape), out, off, st, shape)
        offset += d


def _split(dev, inputs, outputs, attrs):
    x = inputs[0]
    axis = int(attrs.get("axis", 0)) % x.ndim
    offset = 0
    for out in outputs:
        d = out.shape[axis]
        shape, off, st = view_geometry(x.shape, _along(x.ndim, axis, offset, offset + d))
        _copy_from_view(dev, x, shape, off, st, out)
        offset += d


def _slice(dev, inputs, outputs, attrs):
    x = inputs[0]
    begin, size = slice_bounds("Slice", x.shape, attrs["begin"], attrs["size"])
    index = [slice(b, b + s) for b, s in zip(begin, size)]
    shape, off, st = view_geometry(x.shape, index)
    _copy_from_view(dev, x, shape, off, st, outputs[0])


def _strided_slice(dev, inputs, outputs, attrs):
    x = inputs[0]
    index, _ = strided_slice_spec("StridedSlice", x.shape, attrs)
    shape, off, st = view_geometry(x.shape, index)
    _copy_from_view(dev, x, shape, off, st, outputs[0])


def _strided_slice_grad(dev, inputs, outputs, attrs):
    dy, out = inputs[0], outputs[0]
    index, _ = strided_slice_spec("StridedSliceGrad", out.shape, attrs)
    _fill(dev, out, 0)
    shape, off, st = view_geometry(out.shape, index)
    _copy_view(dev, dy, 0, c_strides(shape), out, off, st, shape)


def _pad(dev, inputs, outputs, attrs):
    x, out = inputs[0], outputs[0]
    pads = [(int(a), int(b)) for a, b in attrs["paddings"]]
    if any(a or b for a, b in pads):
        _fill(dev, out, float(attrs.get("constant_values", 0)))
    if x.size:
        index = [slice(a, a + d) for (a, _), d in zip(pads, x.shape)]
        shape, off, st = view_geometry(out.shape, index)
        _copy_view(dev, x, 0, c_strides(x.shape), out, off, st, shape)


def _tile(dev, inputs, outputs, attrs):
    x, out = inputs[0], outputs[0]
    if out.size == 0:
        return
    mult = [int(m) for m in attrs["multiples"]]
    pairs = [v for m, d in zip(mult, x.shape) for v in (m, d)]
    st = c_strides(x.shape)
    src = [v for s in st for v in (0, s)]  # each tile repeats x: stride 0 over the repeats
    _copy_from_view(dev, x, pairs, 0, src, out)


def _reverse(dev, inputs, outputs, attrs):
    x = inputs[0]
    axes = normalized_reverse_axes("ReverseV2", attrs["axis"], x.ndim)
    index = [slice(None, None, -1 if i in axes else 1) for i in range(x.ndim)]
    shape, off, st = view_geometry(x.shape, index)
    _copy_from_view(dev, x, shape, off, st, outputs[0])


def _transpose(dev, inputs, outputs, attrs):
    x = inputs[0]
    perm = [int(p) % max(x.ndim, 1) for p in attrs["perm"]]
    st = c_strides(x.shape)
    _copy_from_view(dev, x, [x.shape[i] for i in perm], 0, [st[i] for i in perm], outputs[0])


def _broadcast_to(dev, inputs, outputs, attrs):
    x, out = inputs[0], outputs[0]
    _copy_from_view(dev, x, out.shape, 0, broadcast_strides(x.shape, out.shape), out)


def _identity(dev, inputs, outputs, attrs):
    x, out = inputs[0], outputs[0]
    _copy_from_view(dev, x, x.shape, 0, c_strides(x.shape), out)


def _reshape(dev, inputs, outputs, attrs):
    return [inputs[0].reshape(tuple(int(d) for d in attrs["shape"]))]  # a view, no copy


def _cast(dev, inputs, outputs, attrs):
    x, out = inputs[0], outputs[0]
    name = f"cast_{_CAST[x.dtype.name]}_{_CAST[out.dtype.name]}"
    _launch(dev, "cast", name, [ptr(x), ptr(out), np.int64(x.size)], n=x.size)


def _fill_op(dev, inputs, outputs, attrs):
    _fill(dev, outputs[0], float(attrs["value"]))


def _gather(dev, inputs, outputs, attrs):
    params, idx = inputs
    out = outputs[0]
    axis = int(attrs.get("axis", 0)) % params.ndim
    outer, limit, inner = _split_axis(params.shape, axis)
    name = f"gather_{_bits(params.dtype)}_{_num(idx.dtype, 'GatherV2')}"
    _launch(dev, "indexing", name, [
        ptr(params), ptr(idx), ptr(out), np.int64(outer), np.int64(limit),
        np.int64(idx.size), np.int64(inner),
    ], n=out.size)  # fmt: skip


def _nd_layout(indices, target_shape):
    k = indices.shape[-1] if indices.ndim else 0
    count = indices.size // k if k else int(np.prod(indices.shape[:-1], dtype=np.int64))
    slice_size = int(np.prod(target_shape[k:], dtype=np.int64))
    return k, count, list(target_shape[:k]), slice_size


def _gather_nd(dev, inputs, outputs, attrs):
    params, idx = inputs
    out = outputs[0]
    k, count, dims, slice_size = _nd_layout(idx, params.shape)
    name = f"gather_nd_{_bits(params.dtype)}_{_num(idx.dtype, 'GatherNd')}"
    _launch(dev, "indexing", name, [
        ptr(params), ptr(idx), ptr(out), np.int64(count), np.int32(k), Dims(dims),
        np.int64(slice_size),
    ], n=out.size)  # fmt: skip


def _scatter_nd(dev, inputs, outputs, attrs):
    idx, updates = inputs
    out = outputs[0]
    _fill(dev, out, 0)
    k, count, dims, slice_size = _nd_layout(idx, out.shape)
    name = f"scatter_nd_{_num(out.dtype, 'ScatterNd')}_{_num(idx.dtype, 'ScatterNd')}"
    _launch(dev, "indexing", name, [
        ptr(idx), ptr(updates), ptr(out), np.int64(count), np.int32(k), Dims(dims),
        np.int64(slice_size),
    ], n=count * slice_size)  # fmt: skip


def _tensor_scatter_update(dev, inputs, outputs, attrs):
    x, idx, updates = inputs
    out = outputs[0]
    if out.size == 0:
        return
    _copy_from_view(dev, x, x.shape, 0, c_strides(x.shape), out)
    k, count, dims, slice_size = _nd_layout(idx, x.shape)
    if count == 0 or slice_size == 0:
        return
    name = f"scatter_set_{_bits(out.dtype)}_{_num(idx.dtype, 'TensorScatterUpdate')}"
    _launch(dev, "indexing", name, [
        ptr(idx), ptr(updates), ptr(out), np.int64(count), np.int32(k), Dims(dims),
        np.int64(slice_size),
    ], n=slice_size)  # fmt: skip


def _mirror_pad(dev, inputs, outputs, attrs):
    x, out = inputs[0], outputs[0]
    if out.size == 0:
        return
    centre, pairs = mirror_pad_copies("MirrorPad", x.shape, attrs)
    shape, off, st = view_geometry(out.shape, centre)
    _copy_view(dev, x, 0, c_strides(x.shape), out, off, st, shape)
    for src, dst in pairs:  # in order: a border may read what an earlier copy wrote
        _, s_off, s_st = view_geometry(out.shape, src)
        shape, d_off, d_st = view_geometry(out.shape, dst)
        _copy_view(dev, out, s_off, s_st, out, d_off, d_st, shape)


def _segment_sum(dev, inputs, outputs, attrs):
    data, ids = inputs
    out = outputs[0]
    _fill(dev, out, 0)
    m = ids.size
    inner = data.size // m if m else 0
    op = "UnsortedSegmentSum"
    _launch(dev, "indexing", f"segment_sum_{_num(out.dtype, op)}_{_num(ids.dtype, op)}", [
        ptr(data), ptr(ids), ptr(out), np.int64(m), np.int64(inner), np.int64(out.shape[0]),
    ], n=m * inner)  # fmt: skip


def _one_hot(dev, inputs, outputs, attrs):
    x, out = inputs[0], outputs[0]
    axis = int(attrs.get("axis", -1))
    axis = x.ndim if axis == -1 else axis
    depth = int(attrs["depth"])
    outer = int(np.prod(x.shape[:axis], dtype=np.int64))
    inner = int(np.prod(x.shape[axis:], dtype=np.int64))
    on = _as_bits(_static_cast(attrs.get("on_value", 1), out.dtype), out.dtype)
    off = _as_bits(_static_cast(attrs.get("off_value", 0), out.dtype), out.dtype)
    ix = "u8" if x.dtype == np.uint8 else _num(x.dtype, "OneHot")
    if out.dtype.itemsize == 2:
        raise errors.InvalidArgumentError("OneHot has no 16-bit GPU kernel [Op:OneHot]")
    _launch(dev, "elementwise", f"one_hot_{ix}_{_bits(out.dtype)}", [
        ptr(x), ptr(out), np.int64(outer), np.int64(depth), np.int64(inner), on, off,
    ], n=out.size)  # fmt: skip


def _static_cast(value, dtype):
    """C++ static_cast<T>(double), as the CPU's OneHot: integers truncate (and wrap)."""
    dtype = np.dtype(dtype)
    v = float(value)
    if dtype.kind in "iu":
        return np.array(0 if np.isnan(v) else int(v)).astype(dtype)[()]
    return v


def _random(kind):
    def fn(dev, inputs, outputs, attrs):
        out = outputs[0]
        seed, seed2 = int(attrs["seed"]) & (2**64 - 1), int(attrs["seed2"]) & (2**64 - 1)
        _random_fill(dev, out, kind, seed, seed2)

    return fn


def _random_fill(dev, out, kind, seed, seed2):
    typ = _num(out.dtype, "Random")
    per = 4 if typ == "f32" else 2
    n = out.size
    if kind == 2:
        _launch(dev, "random", f"truncated_{typ}",
                [ptr(out), np.int64(n), np.uint64(seed), np.uint64(seed2)], n=n)  # fmt: skip
    else:
        _launch(dev, "random", f"random_{typ}", [
            ptr(out), np.int64(n), np.uint64(seed), np.uint64(seed2), np.int32(kind),
        ], n=-(-n // per))  # fmt: skip


def _random_int(dev, inputs, outputs, attrs):
    _random_int_launch(dev, outputs[0], "RandomUniformInt", attrs, int(attrs["seed"]),
                       int(attrs["seed2"]))  # fmt: skip


def _stateless_int(dev, inputs, outputs, attrs):
    key, counter = stateless_seed("StatelessRandomUniformIntV2", attrs)
    _random_int_launch(dev, outputs[0], "StatelessRandomUniformIntV2", attrs, key, counter)


def _random_int_launch(dev, out, op, attrs, key, counter):
    """``minval + bits % (maxval - minval)`` from Philox (key, counter): 4 int32s or 2 int64s
    a block."""
    lo, hi = int(attrs["minval"]), int(attrs["maxval"])
    if lo >= hi:
        raise errors.InvalidArgumentError(f"Need minval < maxval: {lo} >= {hi} [Op:{op}]")
    typ = _num(out.dtype, op)
    per = 4 if typ == "i32" else 2
    _launch(dev, "random", f"random_int_{typ}", [
        ptr(out), np.int64(out.size), np.int64(lo), np.int64(hi),
        np.uint64(key & (2**64 - 1)), np.uint64(counter & (2**64 - 1)),
    ], n=-(-out.size // per))  # fmt: skip


def _stateless(op, kind):
    def fn(dev, inputs, outputs, attrs):
        key, counter = stateless_seed(op, attrs)
        _random_fill(dev, outputs[0], kind, key, counter)

    return fn


def _conv(which, depthwise):
    op = ("DepthwiseConv2dNative" if depthwise else "Conv2D") + (
        "", "BackpropInput", "BackpropFilter"
    )[which]  # fmt: skip

    def fn(dev, inputs, outputs, attrs):
        if which == 0:  # input, filter -> output
            x, f, y = inputs[0], inputs[1], outputs[0]
            a, b, out = x, f, y
        elif which == 1:  # filter, out_backprop -> input gradient
            f, y, x = inputs[0], inputs[1], outputs[0]
            a, b, out = f, y, x
        else:  # input, out_backprop -> filter gradient
            x, y, f = inputs[0], inputs[1], outputs[0]
            a, b, out = x, y, f
        _, (pt, pl), (sh, sw), (dh, dw) = conv_params(op, x.shape, f.shape, attrs)
        o = f.shape[2] * f.shape[3] if depthwise else f.shape[3]
        g = Geometry([*x.shape, f.shape[0], f.shape[1], y.shape[1], y.shape[2],
                      sh, sw, dh, dw, pt, pl, o])  # fmt: skip
        name = ("depthwise_" if depthwise else "conv2d_") + _num(x.dtype, op)
        _launch(dev, "conv", name, [ptr(a), ptr(b), ptr(out), g, np.int32(which)], n=out.size)

    return fn


def _pool(which):
    op = ("MaxPool", "AvgPool", "MaxPoolGrad", "AvgPoolGrad", "MaxPoolGradGrad")[which]

    def fn(dev, inputs, outputs, attrs):
        if which <= 1:  # x -> y
            x, y, a, b, out = inputs[0], outputs[0], inputs[0], inputs[0], outputs[0]
        elif which == 2:  # orig_input, orig_output, grad -> dx
            x, y, a, b, out = inputs[0], inputs[2], inputs[0], inputs[2], outputs[0]
        elif which == 3:  # grad -> dx (the input shape is an attr)
            x, y, a, b, out = outputs[0], inputs[0], inputs[0], inputs[0], outputs[0]
        else:  # orig_input, orig_output, input-shaped grad -> output-shaped
            x, y, a, b, out = inputs[0], outputs[0], inputs[0], inputs[2], outputs[0]
        _, (pt, pl), (sh, sw), (kh, kw) = pool_params(op, x.shape, attrs)
        g = Geometry([*x.shape, kh, kw, y.shape[1], y.shape[2], sh, sw, pt, pl])
        _launch(dev, "pool", f"pool_{_num(x.dtype, op)}",
                [ptr(a), ptr(b), ptr(out), g, np.int32(which)], n=out.size)  # fmt: skip

    return fn


def _bias_add(dev, inputs, outputs, attrs):
    _binary(0, False)(dev, inputs, outputs, attrs)  # AddV2 with the bias broadcast


def _bias_add_grad(dev, inputs, outputs, attrs):
    dy = inputs[0]
    _reduce_into(dev, dy, outputs[0], list(range(dy.ndim - 1)), 0)


_ROW_LANES = 8


def _channel_sums(dev, x, dy, stats, rows, c, mode):
    """Per-channel partial sums; the chunk count depends on the shape alone (deterministic)."""
    chunks = max(1, min(256, -(-rows // 4096)))
    per = -(-rows // chunks) if rows else 1
    k = 2 if mode == 2 else 1
    partial = dev.allocate((chunks * k * c,), np.float64)
    _launch(dev, "norm", f"channel_sums_{_num(x.dtype, 'FusedBatchNormV3')}", [
        ptr(x), ptr(dy if dy is not None else x), ptr(stats) if stats is not None else Ptr(0),
        ptr(partial), np.int64(rows), np.int64(c), np.int32(mode), np.int64(per),
    ], grid=(-(-c // 32), chunks, 1), block=(32, _ROW_LANES, 1))  # fmt: skip
    return partial, chunks


def _batch_norm(dev, inputs, outputs, attrs):
    x, scale, offset, mean, var = inputs
    y, bmean, bvar, r1, r2, _ = outputs
    typ = _num(x.dtype, "FusedBatchNormV3")
    c = x.shape[3]
    rows = x.size // c if c else 0
    if c == 0:
        return
    eps = np.float64(attrs.get("epsilon", 1e-4))
    factor = float(attrs.get("exponential_avg_factor", 1.0))
    coef = dev.allocate((2 * c,), np.float64)
    if bool(attrs.get("is_training", True)):
        stats = dev.allocate((2 * c,), np.float64)
        partial, chunks = _channel_sums(dev, x, None, None, rows, c, 0)
        _launch(dev, "norm", "bn_mean", [
            ptr(partial), ptr(stats), np.int64(chunks), np.int64(c), np.int64(rows),
        ], n=c)  # fmt: skip
        partial, chunks = _channel_sums(dev, x, None, stats, rows, c, 1)
        old_mean = mean if mean.size == c else scale  # unread when factor == 1
        old_var = var if var.size == c else scale
        _launch(dev, "norm", f"bn_train_finalize_{typ}", [
            ptr(partial), ptr(stats), np.int64(chunks), np.int64(c), np.int64(rows),
            ptr(scale), ptr(offset), ptr(old_mean), ptr(old_var), ptr(bmean), ptr(bvar),
            ptr(r1), ptr(r2), ptr(coef), eps, np.float64(factor),
        ], n=c)  # fmt: skip
    else:
        _launch(dev, "norm", f"bn_infer_finalize_{typ}", [
            np.int64(c), ptr(scale), ptr(offset), ptr(mean), ptr(var), ptr(bmean), ptr(bvar),
            ptr(r1), ptr(r2), ptr(coef), eps,
        ], n=c)  # fmt: skip
    _launch(dev, "norm", f"bn_apply_{typ}",
            [ptr(x), ptr(y), ptr(coef), np.int64(rows), np.int64(c)], n=x.size)  # fmt: skip


def _batch_norm_grad(dev, inputs, outputs, attrs):
    dy, x, scale, mean, var, _ = inputs
    dx, dscale, doffset, _, _ = outputs
    typ = _num(x.dtype, "FusedBatchNormGradV3")
    c = x.shape[3]
    rows = x.size // c if c else 0
    if c == 0:
        return
    eps = np.float64(attrs.get("epsilon", 1e-4))
    stats = dev.allocate((2 * c,), np.float64)
    coef = dev.allocate((3 * c,), np.float64)
    _launch(dev, "norm", f"bn_grad_prep_{typ}",
            [ptr(mean), ptr(var), ptr(stats), np.int64(c), eps], n=c)  # fmt: skip
    partial, chunks = _channel_sums(dev, x, dy, stats, rows, c, 2)
    _launch(dev, "norm", f"bn_grad_finalize_{typ}", [
        ptr(partial), ptr(stats), np.int64(chunks), np.int64(c), np.int64(rows), ptr(scale),
        ptr(dscale), ptr(doffset), ptr(coef), np.int32(bool(attrs.get("is_training", True))),
    ], n=c)  # fmt: skip
    _launch(dev, "norm", f"bn_grad_apply_{typ}", [
        ptr(dy), ptr(x), ptr(stats), ptr(coef), ptr(dx), np.int64(rows), np.int64(c),
    ], n=x.size)  # fmt: skip


# LayerNorm / LayerNormGrad (norm.cu): one warp per row; dgamma / dbeta as column sums over
# fixed blocks of rows, added in order (the CPU's blocks).
_LN_WARPS = 8  # norm.cu's TH_WARPS: rows per block of 32 * _LN_WARPS threads
_LN_ROWS = 512  # norm.cu's TH_LN_ROWS (norm.cpp's kRowsPerBlock)


def layer_norm_blocks(rows: int) -> int:
    """The number of fixed row blocks of LayerNormGrad's column sums (at least one, so an
    empty batch still writes zeros)."""
    return max(1, -(-rows // _LN_ROWS))


def _warp_rows(rows):
    return {"grid": (max(1, min(-(-rows // _LN_WARPS), MAX_BLOCKS)), 1, 1),
            "block": (32 * _LN_WARPS, 1, 1)}  # fmt: skip


def _layer_norm(dev, inputs, outputs, attrs):
    x, gamma, beta = inputs
    y, mean, rstd = outputs
    rows, d = mean.size, x.shape[-1]  # rows from the leading dims: d == 0 still writes stats
    if rows == 0:
        return
    _launch(dev, "norm", f"layer_norm_{_num(x.dtype, 'LayerNorm')}", [
        ptr(x), ptr(gamma), ptr(beta), ptr(y), ptr(mean), ptr(rstd), np.int64(rows),
        np.int64(d), np.float64(attrs.get("epsilon", 1e-3)),
    ], **_warp_rows(rows))  # fmt: skip


def _layer_norm_grad(dev, inputs, outputs, attrs):
    dy, x, gamma, mean, rstd = inputs
    dx, dgamma, dbeta = outputs
    typ = _num(x.dtype, "LayerNormGrad")
    d = x.shape[-1]
    rows = int(np.prod(x.shape[:-1], dtype=np.int64))
    if d == 0:
        return
    if rows:
        _launch(dev, "norm", f"layer_norm_grad_dx_{typ}", [
            ptr(dy), ptr(x), ptr(gamma), ptr(mean), ptr(rstd), ptr(dx), np.int64(rows),
            np.int64(d),
        ], **_warp_rows(rows))  # fmt: skip
    blocks = layer_norm_blocks(rows)
    partial = dev.allocate((blocks * 2 * d,), np.float64)
    _launch(dev, "norm", f"layer_norm_grad_sums_{typ}", [
        ptr(dy), ptr(x), ptr(mean), ptr(rstd), ptr(partial), np.int64(rows), np.int64(d),
        np.int64(blocks),
    ], n=blocks * d)  # fmt: skip
    _launch(dev, "norm", f"layer_norm_grad_finalize_{typ}", [
        ptr(partial), ptr(dgamma), ptr(dbeta), np.int64(d), np.int64(blocks),
    ], n=d)  # fmt: skip


# TopKV2 and Where (select.cu).
_SELECT_THREADS = 256  # select.cu's TH_SELECT_THREADS
_TOPK_SHARED = 2048  # select.cu's TH_TOPK_SHARED: longest padded row sorted in shared memory
_TOPK_SCRATCH_BYTES = 1 << 28  # global scratch of the long-row path, at most


def top_k_plan(rows: int, n: int, itemsize: int) -> tuple[str, int, int]:
    """``(kernel, p, grid)`` for TopKV2 on ``rows`` rows of ``n``: rows padded to ``p`` (the
    next power of two), sorted in ``"shared"`` memory or, for longer rows, in a ``"global"``
    scratch of ``grid * p`` pairs; one block per row, ``grid`` blocks (grid-stride over rows)."""
    p = 1 << max(0, (n - 1).bit_length())
    if p <= _TOPK_SHARED:
        return "shared", p, max(1, min(rows, MAX_BLOCKS))
    per_block = p * (itemsize + 4)
    return "global", p, max(1, min(rows, MAX_BLOCKS, _TOPK_SCRATCH_BYTES // per_block))


def _top_k(dev, inputs, outputs, attrs):
    x = inputs[0]
    values, indices = outputs
    n, k = x.shape[-1], int(attrs["k"])
    rows = int(np.prod(x.shape[:-1], dtype=np.int64))
    if rows == 0 or k == 0:
        return
    if n > 2**31 - 1:
        raise errors.InvalidArgumentError(
            f"TopKV2: last dim {n} too large for int32 indices [Op:TopKV2]"
        )
    typ = _num(x.dtype, "TopKV2")
    kind, p, grid = top_k_plan(rows, n, x.dtype.itemsize)
    args = [ptr(x), ptr(values), ptr(indices), np.int64(rows), np.int64(n), np.int64(k),
            np.int64(p)]  # fmt: skip
    if kind == "global":
        scratch_v = dev.allocate((grid * p,), x.dtype)
        scratch_i = dev.allocate((grid * p,), np.int32)
        args += [ptr(scratch_v), ptr(scratch_i)]
    _launch(dev, "select", f"top_k_{kind}_{typ}", args, grid=(grid, 1, 1),
            block=(_SELECT_THREADS, 1, 1))  # fmt: skip


def where_layout(n: int) -> tuple[int, int]:
    """``(chunks, per)``: Where's passes split the flat input into ``chunks`` fixed chunks of
    ``per`` elements (the last one shorter), one block each; at most 1024 chunks, so a
    block's offset (the sum of the earlier counts) is a short loop."""
    if n == 0:
        return 0, 0
    chunks = min(1024, -(-n // 4096))
    return chunks, -(-n // chunks)


def _where(dev, inputs, outputs, attrs):
    x = inputs[0]
    rank, n = x.ndim, x.size
    if rank > MAX_DIMS:
        raise errors.UnimplementedError(f"Where on GPU takes at most {MAX_DIMS} dims [Op:Where]")
    chunks, per = where_layout(n)
    if chunks == 0:
        return [dev.allocate((0, rank), np.int64)]
    typ = "u8" if x.dtype == np.bool_ else _num(x.dtype, "Where")
    counts = dev.allocate((chunks,), np.int64)
    launch = {"grid": (chunks, 1, 1), "block": (_SELECT_THREADS, 1, 1)}
    _launch(dev, "select", f"where_count_{typ}", [
        ptr(x), ptr(counts), np.int64(n), np.int64(per), np.int64(chunks),
    ], **launch)  # fmt: skip
    total = int(counts.get().sum())  # the read back sizes the output (it waits for pass 1)
    out = dev.allocate((total, rank), np.int64)
    if total and rank:
        _launch(dev, "select", f"where_write_{typ}", [
            ptr(x), ptr(counts), ptr(out), np.int64(n), np.int64(per), np.int64(chunks),
            np.int32(rank), Dims(x.shape),
        ], **launch)  # fmt: skip
    return [out]


def range_scalars(start, delta, dtype):
    """Range's start and delta as kernel arguments of ``dtype``: floats rounded as the CPU's
    cast, integers wrapped (two's complement)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return dtype.type(float(start)), dtype.type(float(delta))
    bits = np.dtype(f"u{dtype.itemsize}")
    return tuple(
        np.array(int(v) % (1 << (8 * dtype.itemsize)), bits).view(dtype)[()] for v in (start, delta)
    )


def _range(dev, inputs, outputs, attrs):
    out = outputs[0]
    if out.size == 0:
        return
    start, delta = range_scalars(attrs["start"], attrs["delta"], out.dtype)
    _launch(dev, "elementwise", f"range_{_num(out.dtype, 'Range')}",
            [ptr(out), np.int64(out.size), start, delta], n=out.size)  # fmt: skip


# FusedElementwise (elementwise.cu's fused_*): the program as int64 words, registers in slots.
_FUSED_SLOTS = 32  # elementwise.cu's TH_FUSED_SLOTS
_FUSED_KINDS = {"input": 0, "const": 1, "unary": 2, "binary": 3}


def fused_slots(program, outputs) -> tuple[list[int], int]:
    """A slot for each register, reused once its last reader has run (outputs stay live to
    the end): ``(slot per register, slots used)``. The lowest free slot is taken first."""
    n = len(program)
    last = [-1] * n
    for k, ins in enumerate(program):
        if ins[0] in ("unary", "binary"):
            for r in ins[2:]:
                last[int(r)] = k
    for r in outputs:
        last[int(r)] = n
    slot, free, used = [0] * n, [], 0
    for k, ins in enumerate(program):
        if ins[0] in ("unary", "binary"):  # operands read for the last time free their slots
            for r in {int(r) for r in ins[2:]}:
                if last[r] == k:
                    free.append(slot[r])
        if free:
            free.sort()
            slot[k] = free.pop(0)
        else:
            slot[k], used = used, used + 1
        if last[k] < 0:  # never read
            free.append(slot[k])
    return slot, used


def fused_program(program, outputs, in_addrs, in_steps, out_addrs, unary, binary):
    """The words fused_* reads: per instruction (kind, input or op code, slot a, slot b,
    destination slot, the constant's float64 bits), then the inputs' addresses and element
    steps, then the outputs' addresses and slots. ``unary`` / ``binary`` map op names to the
    op codes. Returns ``(words, slots used)``."""
    slot, used = fused_slots(program, outputs)
    rows = np.zeros((len(program), 6), np.int64)
    for k, ins in enumerate(program):
        kind = ins[0]
        rows[k, 0], rows[k, 4] = _FUSED_KINDS[kind], slot[k]
        if kind == "input":
            rows[k, 1] = int(ins[1])
        elif kind == "const":
            rows[k, 5] = np.float64(ins[1]).view(np.int64)
        else:
            rows[k, 1] = (unary if kind == "unary" else binary)[ins[1]]
            rows[k, 2] = slot[int(ins[2])]
            rows[k, 3] = slot[int(ins[-1])]
    tail = [*in_addrs, *in_steps, *out_addrs, *(slot[int(r)] for r in outputs)]
    words = np.concatenate([rows.ravel(), np.array(tail, np.uint64).view(np.int64)])
    return words, used


def _fused(dev, inputs, outputs, attrs):
    program, outs = check_fused_program(attrs, len(inputs))
    out0 = outputs[0]
    n = out0.size
    if n == 0:
        return
    unary, binary = _op_codes()[:2]
    words, used = fused_program(
        program, outs, [ptr(x) for x in inputs],
        [int(x.shape == out0.shape) for x in inputs], [ptr(o) for o in outputs], unary, binary,
    )  # fmt: skip
    if used > _FUSED_SLOTS:
        _fused_by_ops(dev, inputs, outputs, program, outs, unary, binary)
        return
    prog = dev.backend.from_host(dev, words)
    _launch(dev, "elementwise", f"fused_{_num(out0.dtype, 'FusedElementwise')}", [
        ptr(prog), np.int32(len(program)), np.int32(len(inputs)), np.int32(len(outputs)),
        np.int64(n),
    ], n=n)  # fmt: skip


def _fused_by_ops(dev, inputs, outputs, program, outs, unary, binary):
    """Programs with more live registers than the interpreter's slots: one single kernel per
    instruction, each register a full (or shape-[]) buffer. The same scalar math."""
    dtype, shape = outputs[0].dtype, outputs[0].shape
    regs = []
    for ins in program:
        kind = ins[0]
        if kind == "input":
            regs.append(inputs[int(ins[1])])
        elif kind == "const":
            r = dev.allocate((), dtype)
            _fill(dev, r, float(ins[1]))
            regs.append(r)
        elif kind == "unary":
            x = regs[int(ins[2])]
            y = dev.allocate(x.shape, dtype)
            _unary(unary[ins[1]])(dev, [x], [y], {})
            regs.append(y)
        else:
            a, b = regs[int(ins[2])], regs[int(ins[3])]
            y = dev.allocate(shape if shape in (a.shape, b.shape) else (), dtype)
            _binary(binary[ins[1]], False)(dev, [a, b], [y], {})
            regs.append(y)
    for r, out in zip(outs, outputs):
        src = regs[int(r)]
        strides = c_strides(shape) if src.shape == shape else [0] * len(shape)
        _copy_from_view(dev, src, shape, 0, strides, out)


# MatrixInverse, MatrixSolve, MatrixDeterminant, LogMatrixDeterminant, Cholesky (linalg.cu): one
# block per matrix, factored in shared memory when it fits, else in a global scratch.
_LA_THREADS = 256  # linalg.cu's TH_LA_THREADS
_LA_SHARED_BYTES = 32768  # linalg.cu's TH_LA_SHARED_BYTES
_LA_MAX_N = 1024  # linalg.cu's TH_LA_MAX_N
_LA_SCRATCH_BYTES = 1 << 28  # global scratch of the large-matrix path, at most


def linalg_batch(shape) -> tuple[int, int]:
    """``(batch, n)`` of a ``[..., n, n]`` shape: the matrices are ``batch`` consecutive
    blocks of ``n * n`` elements (C-contiguous)."""
    return int(np.prod(shape[:-2], dtype=np.int64)), int(shape[-1])


def linalg_plan(op, shape, itemsize, device="GPU", *, scratch=True) -> tuple[str, int, int]:
    """``(kind, grid, scratch_elements)`` for ``op`` on ``[..., n, n]`` matrices: ``"shared"``
    when one matrix fits in linalg.cu's shared buffer, else ``"global"`` (factored in a scratch
    of ``n * n`` elements per block, ``grid * n * n`` in all; with ``scratch=False``, as
    Cholesky, which factors in its output, none is needed). One block per matrix, ``grid``
    blocks (grid-stride over the batch). Matrices larger than ``_LA_MAX_N`` raise
    UnimplementedError naming the op, the shape and the device."""
    batch, n = linalg_batch(shape)
    if n > _LA_MAX_N:
        raise errors.UnimplementedError(
            f"{op} on {device}: matrices larger than {_LA_MAX_N} x {_LA_MAX_N} are not "
            f"supported by the GPU kernel, got shape {tuple(shape)}; run the op on the CPU "
            f"(tf.device('/CPU:0')) [Op:{op}]"
        )
    blocks = max(1, min(batch, MAX_BLOCKS))
    per = n * n * itemsize
    if per <= _LA_SHARED_BYTES:
        return "shared", blocks, 0
    if not scratch:
        return "global", blocks, 0
    grid = max(1, min(blocks, _LA_SCRATCH_BYTES // per))
    return "global", grid, grid * n * n


def _la_launch(dev, kernel, grid, args):
    _launch(dev, "linalg", kernel, args, grid=(grid, 1, 1), block=(_LA_THREADS, 1, 1))


def _lu_solve(op, message):
    """MatrixInverse (no rhs: the identity) and MatrixSolve: LU with partial pivoting, then
    the substitutions; a singular matrix sets a flag that is read back (TF's GPU kernels read
    their LAPACK info back too) and raises the CPU's error."""

    def fn(dev, inputs, outputs, attrs):
        a, out = inputs[0], outputs[0]
        rhs = inputs[1] if len(inputs) > 1 else None
        batch, n = linalg_batch(a.shape)
        k = out.shape[-1]
        if batch == 0 or n == 0 or k == 0:
            return
        typ = _num(a.dtype, op)
        kind, grid, scratch_n = linalg_plan(op, a.shape, a.dtype.itemsize, dev.name)
        scratch = dev.allocate((scratch_n,), a.dtype) if scratch_n else None
        info = dev.backend.from_host(dev, np.zeros(1, np.int32))
        _la_launch(dev, f"lu_solve_{kind}_{typ}", grid, [
            ptr(a), ptr(rhs) if rhs is not None else Ptr(0), ptr(out),
            ptr(scratch) if scratch is not None else Ptr(0), ptr(info), np.int64(batch),
            np.int64(n), np.int64(k), np.int32(bool(attrs.get("adjoint", False))),
        ])  # fmt: skip
        if int(info.get()[0]):
            raise errors.InvalidArgumentError(f"{message} [Op:{op}]")

    return fn


def _determinant(dev, inputs, outputs, attrs):
    """MatrixDeterminant (one output) and LogMatrixDeterminant (sign, log |det|)."""
    x = inputs[0]
    op = "MatrixDeterminant" if len(outputs) == 1 else "LogMatrixDeterminant"
    batch, n = linalg_batch(x.shape)
    if batch == 0:
        return
    typ = _num(x.dtype, op)
    kind, grid, scratch_n = linalg_plan(op, x.shape, x.dtype.itemsize, dev.name)
    scratch = dev.allocate((scratch_n,), x.dtype) if scratch_n else None
    det, sign, log_abs = (outputs[0], None, None) if len(outputs) == 1 else (None, *outputs)
    _la_launch(dev, f"lu_det_{kind}_{typ}", grid, [
        ptr(x), *(ptr(o) if o is not None else Ptr(0) for o in (det, sign, log_abs)),
        ptr(scratch) if scratch is not None else Ptr(0), np.int64(batch), np.int64(n),
    ])  # fmt: skip


def _cholesky(dev, inputs, outputs, attrs):
    """Cholesky from the lower triangle; a matrix that is not positive definite comes out with
    NaN in its lower triangle (TF's GPU kernel), without an error."""
    x, out = inputs[0], outputs[0]
    batch, n = linalg_batch(x.shape)
    if batch == 0 or n == 0:
        return
    typ = _num(x.dtype, "Cholesky")
    kind, grid, _ = linalg_plan("Cholesky", x.shape, x.dtype.itemsize, dev.name, scratch=False)
    _la_launch(dev, f"cholesky_{kind}_{typ}", grid,
               [ptr(x), ptr(out), np.int64(batch), np.int64(n)])  # fmt: skip


# ---- the table ----------------------------------------------------------------------------------


def _op_codes():
    """The C++ module's op codes: the CUDA enums follow the same order (a test checks it)."""
    from . import _cpu

    return _cpu.UNARY_OPS, _cpu.BINARY_OPS, _cpu.PREDICATE_OPS, _cpu.LOGICAL_OPS, _cpu.REDUCE_OPS


def _build_table() -> dict:
    unary, binary, predicate, logical, reduce = _op_codes()
    first_compare = binary["Equal"]
    table = {}
    for name, code in unary.items():
        table[name] = _unary(code)
    for name, code in binary.items():
        table[name] = _binary(code, code >= first_compare)
    for name, code in predicate.items():
        table[name] = _predicate(code)
    for name, code in logical.items():
        table[name] = _logical(code)
    for name, code in reduce.items():
        table[name] = _reduce(code)
    table.update({
        "SelectV2": _select, "ArgMax": _arg(1), "ArgMin": _arg(0),
        "Cumsum": _cumulative(0), "Cumprod": _cumulative(1),
        "MatMul": _matmul, "BatchMatMulV2": _batch_matmul,
        "Softmax": _softmax(0), "LogSoftmax": _softmax(1),
        "SoftmaxCrossEntropyWithLogits": _xent,
        "SparseSoftmaxCrossEntropyWithLogits": _sparse_xent,
        "ConcatV2": _concat, "Split": _split, "SplitV": _split, "Slice": _slice,
        "StridedSlice": _strided_slice, "StridedSliceGrad": _strided_slice_grad, "Pad": _pad,
        "MirrorPad": _mirror_pad, "TensorScatterUpdate": _tensor_scatter_update,
        "StatelessRandomUniformIntV2": _stateless_int,
        "Tile": _tile, "ReverseV2": _reverse, "GatherV2": _gather, "GatherNd": _gather_nd,
        "ScatterNd": _scatter_nd, "UnsortedSegmentSum": _segment_sum, "OneHot": _one_hot,
        "Transpose": _transpose, "BroadcastTo": _broadcast_to, "Identity": _identity,
        "Reshape": _reshape, "Cast": _cast, "Fill": _fill_op,
        "RandomUniform": _random(0), "RandomStandardNormal": _random(1),
        "TruncatedNormal": _random(2), "RandomUniformInt": _random_int,
        "StatelessRandomUniformV2": _stateless("StatelessRandomUniformV2", 0),
        "StatelessRandomNormalV2": _stateless("StatelessRandomNormalV2", 1),
        "StatelessTruncatedNormalV2": _stateless("StatelessTruncatedNormalV2", 2),
        "BiasAdd": _bias_add, "BiasAddGrad": _bias_add_grad,
        "FusedBatchNormV3": _batch_norm, "FusedBatchNormGradV3": _batch_norm_grad,
        "LayerNorm": _layer_norm, "LayerNormGrad": _layer_norm_grad, "TopKV2": _top_k,
        "Where": _where, "Range": _range, "FusedElementwise": _fused,
        "MatrixInverse": _lu_solve("MatrixInverse", "Input is not invertible."),
        "MatrixSolve": _lu_solve("MatrixSolve", "Input matrix is not invertible."),
        "MatrixDeterminant": _determinant, "LogMatrixDeterminant": _determinant,
        "Cholesky": _cholesky,
    })  # fmt: skip
    for which, suffix in enumerate(("", "BackpropInput", "BackpropFilter")):
        table["Conv2D" + suffix] = _conv(which, False)
        table["DepthwiseConv2dNative" + suffix] = _conv(which, True)
    for which, name in enumerate(
        ("MaxPool", "AvgPool", "MaxPoolGrad", "AvgPoolGrad", "MaxPoolGradGrad")
    ):
        table[name] = _pool(which)
    return table


TABLE: dict = _build_table()


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
    """The registered kernel: ``kernel(inputs, device, attrs) -> outputs``. It checks shapes
    and dtypes with the op definition, allocates the outputs on the device and launches."""
    fn = TABLE[op_type]
    opdef = _OPS[op_type]

    def kernel(inputs, device, attrs):
        _check_buffers(op_type, inputs)
        specs = opdef.infer([x.shape for x in inputs], [x.dtype for x in inputs], attrs)
        with device.backend.activate(device):
            outputs = [device.allocate(s, d) for s, d in specs] if opdef.allocates else None
            result = fn(device, inputs, outputs, attrs)
        return list(result) if result is not None else outputs

    kernel.op_type = op_type
    kernel.__name__ = kernel.__qualname__ = f"gpu_{op_type}"
    kernel.__module__ = SOURCE
    return returns_outputs(kernel)


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
