"""CUDA MatMul / BatchMatMulV2 (gemm.cu) and the LAPACK ops (linalg.cu)."""

from __future__ import annotations

import numpy as np

from ..runtime import config, errors
from ._cuda import (
    MAX_BLOCKS,
    Ptr,
    _arch,
    _copy_from_view,
    _fill,
    _launch,
    _num,
    broadcast_strides,
    ptr,
)

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


TABLE: dict = {  # op type -> fn(device, inputs, outputs, attrs)
    "MatMul": _matmul, "BatchMatMulV2": _batch_matmul,
    "MatrixInverse": _lu_solve("MatrixInverse", "Input is not invertible."),
    "MatrixSolve": _lu_solve("MatrixSolve", "Input matrix is not invertible."),
    "MatrixDeterminant": _determinant, "LogMatrixDeterminant": _determinant,
    "Cholesky": _cholesky,
}  # fmt: skip
