"""Linear algebra: MatMul, BatchMatMulV2, the LAPACK ops and the matrix decompositions."""

from __future__ import annotations

import numpy as np

from ..runtime import errors
from ._base import (
    _OPS,
    FLOAT,
    FLOAT16,
    INT,
    MATMUL_TYPES,
    OpDef,
    _compatible,
    _fmt,
    _merge,
    _register,
    _same_dtypes,
    broadcast_shape,
)


def _matmul_infer(shapes, dts, attrs):
    dt = _same_dtypes("MatMul", dts)
    a, b = shapes
    if len(a) != 2 or len(b) != 2:
        raise errors.InvalidArgumentError(
            f"In[0] and In[1] must be rank 2 matrices, got shapes {_fmt(a)} and {_fmt(b)} "
            "[Op:MatMul]"
        )
    m, k = (a[1], a[0]) if attrs.get("transpose_a") else a
    kb, n = (b[1], b[0]) if attrs.get("transpose_b") else b
    if k is not None and kb is not None and k != kb:
        raise errors.InvalidArgumentError(
            f"Matrix size-incompatible: In[0]: {_fmt(a)}, In[1]: {_fmt(b)} [Op:MatMul]"
        )
    return [((m, n), dt)]


_register(OpDef("MatMul", 2, _matmul_infer, MATMUL_TYPES))


# ---- batched matmul, softmax and the fused losses --------------------------------------------


def _batch_matmul_infer(shapes, dts, attrs):
    op = "BatchMatMulV2"
    dt = _same_dtypes(op, dts)
    a, b = tuple(shapes[0]), tuple(shapes[1])
    for i, s in enumerate((a, b)):
        if len(s) < 2:
            raise errors.InvalidArgumentError(f"In[{i}] ndims must be >= 2: {len(s)} [Op:{op}]")
    adj_x, adj_y = bool(attrs.get("adj_x")), bool(attrs.get("adj_y"))
    m, k = (a[-1], a[-2]) if adj_x else (a[-2], a[-1])
    kb, n = (b[-1], b[-2]) if adj_y else (b[-2], b[-1])
    if k is not None and kb is not None and k != kb:
        raise errors.InvalidArgumentError(
            f"Matrix size-incompatible: In[0]: {_fmt(a)}, In[1]: {_fmt(b)} (dtype {dt.name}, "
            f"adj_x={adj_x}, adj_y={adj_y}) [Op:{op}]"
        )
    try:
        batch = broadcast_shape(op, a[:-2], b[:-2])
    except errors.InvalidArgumentError:
        raise errors.InvalidArgumentError(
            f"In[0] and In[1] must have compatible batch dimensions: {_fmt(a)} vs. {_fmt(b)} "
            f"[Op:{op}]"
        ) from None
    return [(batch + (m, n), dt)]


_register(OpDef("BatchMatMulV2", 2, _batch_matmul_infer, MATMUL_TYPES, doc="attrs: adj_x, adj_y"))


# ---- dense linear algebra (LAPACK on the CPU): [..., n, n] matrices, batched -----------------


def _batch_square(op, shape, dt):
    """The batch dims and n of a ``[..., n, n]`` shape; TF's errors for a bad rank or a
    non-square matrix, with the shape and dtype."""
    shape = tuple(shape)
    if len(shape) < 2:
        raise errors.InvalidArgumentError(
            f"Input tensor 0 must have rank >= 2, got shape {_fmt(shape)} ({dt.name}) [Op:{op}]"
        )
    rows, cols = shape[-2], shape[-1]
    if rows is not None and cols is not None and rows != cols:
        raise errors.InvalidArgumentError(
            f"Input matrix must be square, got shape {_fmt(shape)} ({dt.name}) [Op:{op}]"
        )
    return shape[:-2], rows if rows is not None else cols


def _square_same_shape_infer(op):
    def infer(shapes, dts, attrs):
        batch, n = _batch_square(op, shapes[0], dts[0])
        return [(batch + (n, n), dts[0])]

    return infer


def _determinant_infer(op, outputs):
    def infer(shapes, dts, attrs):
        batch, _ = _batch_square(op, shapes[0], dts[0])
        return [(batch, dts[0])] * outputs

    return infer


def _matrix_solve_infer(shapes, dts, attrs):
    op = "MatrixSolve"
    dt = _same_dtypes(op, dts)
    batch, n = _batch_square(op, shapes[0], dt)
    rhs = tuple(shapes[1])
    if len(rhs) < 2:
        raise errors.InvalidArgumentError(
            f"Input tensor 1 must have rank >= 2, got shape {_fmt(rhs)} ({dt.name}) [Op:{op}]"
        )
    if len(rhs) != len(shapes[0]) or not _compatible(rhs[:-2], batch):
        raise errors.InvalidArgumentError(
            "All input tensors must have the same outer dimensions: matrix "
            f"{_fmt(shapes[0])} and rhs {_fmt(rhs)} ({dt.name}) [Op:{op}]"
        )
    if n is not None and rhs[-2] is not None and rhs[-2] != n:
        raise errors.InvalidArgumentError(
            "Input matrix and right-hand side must have the same number of rows: matrix "
            f"{_fmt(shapes[0])} and rhs {_fmt(rhs)} ({dt.name}) [Op:{op}]"
        )
    return [(_merge(batch, rhs[:-2]) + (n if n is not None else rhs[-2], rhs[-1]), dt)]


_LINALG_DOCS = {
    "MatrixInverse": "attrs: adjoint (inverts the adjoint); a singular input is an error",
    "MatrixSolve": "matrix [..., n, n], rhs [..., n, k]; attrs: adjoint",
    "MatrixDeterminant": "[..., n, n] -> [...]",
    "LogMatrixDeterminant": "[..., n, n] -> sign [...], log_abs_determinant [...]",
    "Cholesky": "lower-triangular L with L L^T = input (only its lower triangle is read)",
}
# TF's CPU MatrixInverse also takes float16 (not bfloat16)
_register(OpDef("MatrixInverse", 1, _square_same_shape_infer("MatrixInverse"), FLOAT + FLOAT16[:1]))
_register(OpDef("MatrixSolve", 2, _matrix_solve_infer, FLOAT))
_register(OpDef("MatrixDeterminant", 1, _determinant_infer("MatrixDeterminant", 1), FLOAT))
_register(OpDef("LogMatrixDeterminant", 1, _determinant_infer("LogMatrixDeterminant", 2), FLOAT))
_register(OpDef("Cholesky", 1, _square_same_shape_infer("Cholesky"), FLOAT))
for _n, _doc in _LINALG_DOCS.items():
    _OPS[_n].doc = _doc


# ---- matrix decompositions (LAPACK on the CPU): [..., m, n] matrices, batched -----------------


def _batch_matrix(op, shape, dt):
    """The batch dims, m and n of a ``[..., m, n]`` shape; TF's error for a rank below 2."""
    shape = tuple(shape)
    if len(shape) < 2:
        raise errors.InvalidArgumentError(
            f"Input tensor 0 must have rank >= 2, got shape {_fmt(shape)} ({dt.name}) [Op:{op}]"
        )
    return shape[:-2], shape[-2], shape[-1]


def _min_dim(m, n):
    return None if m is None or n is None else min(m, n)


def _qr_infer(shapes, dts, attrs):
    batch, m, n = _batch_matrix("Qr", shapes[0], dts[0])
    cols = m if attrs.get("full_matrices", False) else _min_dim(m, n)
    return [(batch + (m, cols), dts[0]), (batch + (cols, n), dts[0])]


def _svd_infer(shapes, dts, attrs):
    batch, m, n = _batch_matrix("Svd", shapes[0], dts[0])
    k, dt = _min_dim(m, n), dts[0]
    if not attrs.get("compute_uv", True):
        return [(batch + (k,), dt), ((0,), dt), ((0,), dt)]
    full = attrs.get("full_matrices", False)
    return [(batch + (k,), dt), (batch + (m, m if full else k), dt),
            (batch + (n, n if full else k), dt)]  # fmt: skip


def _eig_infer(shapes, dts, attrs):
    batch, n = _batch_square("SelfAdjointEigV2", shapes[0], dts[0])
    v = batch + (n, n) if attrs.get("compute_v", True) else (0,)
    return [(batch + (n,), dts[0]), (v, dts[0])]


def _general_eig_infer(shapes, dts, attrs):
    batch, n = _batch_square("Eig", shapes[0], dts[0])
    out = np.dtype(np.complex64 if dts[0] == np.float32 else np.complex128)
    v = batch + (n, n) if attrs.get("compute_v", True) else (0,)
    return [(batch + (n,), out), (v, out)]


def _index_type(op, attrs, name):
    dt = np.dtype(attrs.get(name, "int32"))
    if dt not in INT:
        raise errors.InvalidArgumentError(f"{name} must be int32 or int64, got {dt.name} [Op:{op}]")
    return dt


def _lu_infer(shapes, dts, attrs):
    batch, n = _batch_square("Lu", shapes[0], dts[0])
    return [(batch + (n, n), dts[0]), (batch + (n,), _index_type("Lu", attrs, "output_idx_type"))]


_register(OpDef("Qr", 1, _qr_infer, FLOAT, doc="q, r; attrs: full_matrices"))
_register(OpDef("Svd", 1, _svd_infer, FLOAT,
                doc="s (descending), u, v with x = u diag(s) v^T; attrs: compute_uv, "
                "full_matrices (u, v are empty [0] without compute_uv)"))  # fmt: skip
_register(OpDef("SelfAdjointEigV2", 1, _eig_infer, FLOAT,
                doc="e (ascending), v (eigenvectors in columns) from the lower triangle; "
                "attrs: compute_v"))  # fmt: skip
_register(OpDef("Eig", 1, _general_eig_infer, FLOAT,
                doc="e, v (unit eigenvectors in columns) of a general matrix, complex64 / "
                "complex128 (LAPACK's geev order); attrs: compute_v"))  # fmt: skip
_register(OpDef("Lu", 1, _lu_infer, FLOAT,
                doc="packed L\\U and p with x[p] = L U; attrs: output_idx_type"))  # fmt: skip
