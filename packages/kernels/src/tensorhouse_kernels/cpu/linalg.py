"""CPU linear algebra: MatMul, BatchMatMulV2 (the GEMM library), LAPACK ops."""

from __future__ import annotations

from .. import _cpu
from ._base import FLOAT_NAMES, _in_float32, _register


def _matmul(inputs, outputs, attrs):
    _cpu.matmul(
        inputs[0],
        inputs[1],
        outputs[0],
        bool(attrs.get("transpose_a", False)),
        bool(attrs.get("transpose_b", False)),
    )


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


def _lu(inputs, outputs, attrs):
    _cpu.lu(inputs[0], outputs[0], outputs[1])


def register():
    """Register MatMul, BatchMatMulV2 and the LAPACK kernels."""
    ints = ("int16", "int32", "int64")
    _register("MatMul", _matmul, FLOAT_NAMES + ints, half=_in_float32)
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
