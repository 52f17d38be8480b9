"""Compiling the CUDA sources, loading and launching kernels, host-side index math."""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import subprocess
import tempfile
import threading
from pathlib import Path

import numpy as np

from ..runtime import errors

SOURCE = "tensorhouse_kernels.gpu"
SOURCE_DIR = Path(__file__).parent.parent / "cuda"  # tensorhouse_kernels/cuda
SOURCES = ("elementwise", "reduce", "softmax", "gemm", "conv", "pool", "norm", "indexing",
           "random", "cast", "select", "linalg")  # fmt: skip
NVCC_OPTIONS = ("-O3", "-std=c++17")
MAX_DIMS = 8
BLOCK = 256
MAX_BLOCKS = 32768  # grid-stride loops: more blocks than this only queue up

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


def _static_cast(value, dtype):
    """C++ static_cast<T>(double), as the CPU's OneHot: integers truncate (and wrap)."""
    dtype = np.dtype(dtype)
    v = float(value)
    if dtype.kind in "iu":
        return np.array(0 if np.isnan(v) else int(v)).astype(dtype)[()]
    return v


# TopKV2 and Where (select.cu).
_SELECT_THREADS = 256  # select.cu's TH_SELECT_THREADS


# ---- the table ----------------------------------------------------------------------------------


def _op_codes():
    """The C++ module's op codes: the CUDA enums follow the same order (a test checks it)."""
    from .. import _cpu

    return _cpu.UNARY_OPS, _cpu.BINARY_OPS, _cpu.PREDICATE_OPS, _cpu.LOGICAL_OPS, _cpu.REDUCE_OPS
