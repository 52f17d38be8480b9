"""CPU linear algebra: MatMul, BatchMatMulV2 (the GEMM library), LAPACK ops."""

from __future__ import annotations

import numpy as np

from .. import _cpu
from ..opdefs._base import RuleCache
from ..runtime import register_fast_path
from ._base import FLOAT_NAMES, _in_float32, _register


def _matmul(inputs, outputs, attrs):
    _cpu.matmul(
        inputs[0],
        inputs[1],
        outputs[0],
        bool(attrs.get("transpose_a", False)),
        bool(attrs.get("transpose_b", False)),
    )


_PRODUCTS = RuleCache("MatMul")  # (shape a, shape b, transpose_a, transpose_b) -> output shape


def _matmul_fast(device, a, b, transpose_a, transpose_b):
    """The eager shortcut of ``MatMul`` on two matrices of one dtype (bool transposes)."""
    dt = a.dtype
    if b.dtype is not dt:
        return None
    key = (a.shape, b.shape, transpose_a, transpose_b)
    shape = _PRODUCTS.get(key)
    if shape is None:
        attrs = {"transpose_a": transpose_a, "transpose_b": transpose_b}
        specs = _PRODUCTS.infer([a.shape, b.shape], [dt, dt], attrs)
        if specs is None:
            return None
        shape = _PRODUCTS.put(key, specs[0][0])
    out = device.allocate(shape, dt)
    _cpu.matmul(a, b, out, transpose_a, transpose_b)
    return out


def _batch_matmul(inputs, outputs, attrs):
    _cpu.batch_matmul(
        inputs[0],
        inputs[1],
        outputs[0],
        bool(attrs.get("adj_x", False)),
        bool(attrs.get("adj_y", False)),
    )


# Dense linear algebra: LAPACK (OpenBLAS) over the batch of [..., n, n] matrices, GIL released.


def _matrix_inverse(inputs, outputs, attrs):
    _cpu.matrix_inverse(inputs[0], outputs[0], bool(attrs.get("adjoint", False)))


def _matrix_solve(inputs, outputs, attrs):
    _cpu.matrix_solve(inputs[0], inputs[1], outputs[0], bool(attrs.get("adjoint", False)))


def _matrix_determinant(inputs, outputs, attrs):
    _cpu.matrix_determinant(inputs[0], outputs[0])


def _log_matrix_determinant(inputs, outputs, attrs):
    _cpu.log_matrix_determinant(inputs[0], outputs[0], outputs[1])


def _cholesky(inputs, outputs, attrs):
    _cpu.cholesky(inputs[0], outputs[0])


# Matrix decompositions (decomp.cpp): LAPACK over the batch, GIL released.


def _qr(inputs, outputs, attrs):
    _cpu.qr(inputs[0], outputs[0], outputs[1], bool(attrs.get("full_matrices", False)))


def _svd(inputs, outputs, attrs):
    _cpu.svd(inputs[0], *outputs, bool(attrs.get("compute_uv", True)),
             bool(attrs.get("full_matrices", False)))  # fmt: skip


def _self_adjoint_eig(inputs, outputs, attrs):
    _cpu.self_adjoint_eig(inputs[0], outputs[0], outputs[1], bool(attrs.get("compute_v", True)))


def _eig(inputs, outputs, attrs):
    """LAPACK's geev through NumPy (off the hot paths: one call a decomposition); a matrix with
    a NaN or an infinity gives NaNs."""
    x, (e, v) = inputs[0], outputs
    if not x.size:
        return
    finite = np.isfinite(x).all(axis=(-2, -1))
    safe = np.where(finite[..., None, None], x, 0)
    if v.size:
        e[...], v[...] = np.linalg.eig(safe)
        v[~finite] = np.nan
    else:
        e[...] = np.linalg.eigvals(safe)
    e[~finite] = np.nan


def _lu(inputs, outputs, attrs):
    _cpu.lu(inputs[0], outputs[0], outputs[1])


def register():
    """Register MatMul, BatchMatMulV2 and the LAPACK kernels."""
    ints = ("int16", "int32", "int64")
    _register("MatMul", _matmul, FLOAT_NAMES + ints, half=_in_float32)
    register_fast_path("MatMul", _matmul, _matmul_fast)
    _register("BatchMatMulV2", _batch_matmul, FLOAT_NAMES + ints, half=_in_float32)
    _register("MatrixInverse", _matrix_inverse, FLOAT_NAMES, half=_in_float32)
    _register("MatrixSolve", _matrix_solve, FLOAT_NAMES)
    _register("MatrixDeterminant", _matrix_determinant, FLOAT_NAMES)
    _register("LogMatrixDeterminant", _log_matrix_determinant, FLOAT_NAMES)
    _register("Cholesky", _cholesky, FLOAT_NAMES)
    _register("Qr", _qr, FLOAT_NAMES)
    _register("Svd", _svd, FLOAT_NAMES)
    _register("SelfAdjointEigV2", _self_adjoint_eig, FLOAT_NAMES)
    _register("Lu", _lu, FLOAT_NAMES)
    _register("Eig", _eig, FLOAT_NAMES)
