"""Dense linear algebra (``tf.linalg.inv``, ``solve``, ``det``, ``slogdet``, ``cholesky``,
``logdet``) on the kernels layer's LAPACK ops, batched over the leading dims of
``[..., n, n]`` matrices.

Real dtypes only (float32, float64), so ``adjoint`` is the transpose. The op definitions check
ranks and shapes (``InvalidArgumentError`` naming the op, the shapes and the dtype); a singular
matrix is an ``InvalidArgumentError`` from ``inv`` ("Input is not invertible.") and ``solve``
("Input matrix is not invertible."), as TF reports it; its determinant is 0.
"""

from __future__ import annotations

from collections import namedtuple

from . import _math as M
from . import dtypes as _dt
from ._array import expand_dims, eye, ones_like, transpose, where, zeros_like
from ._tensor import Tensor, _coerce_pair, _execute, _op, convert_to_tensor, errors

__all__ = ["cholesky", "det", "eig", "eigh", "eigvals", "eigvalsh", "inv", "logdet", "lstsq", "lu",
           "matrix_rank", "pinv", "qr", "slogdet", "solve", "svd"]  # fmt: skip

LogMatrixDeterminant = namedtuple("LogMatrixDeterminant", ["sign", "log_abs_determinant"])
Qr = namedtuple("Qr", ["q", "r"])
Lu = namedtuple("Lu", ["lu", "p"])


def _t(x):
    return x if type(x) is Tensor else convert_to_tensor(x)


def inv(input, adjoint=False, name=None):  # noqa: A002 - TF's name
    """TF's ``tf.linalg.inv``: the inverse of each ``[..., n, n]`` matrix (of its adjoint with
    ``adjoint=True``); ``InvalidArgumentError`` when one is singular."""
    return _op("MatrixInverse", [_t(input)], {"adjoint": bool(adjoint)})


def solve(matrix, rhs, adjoint=False, name=None):
    """TF's ``tf.linalg.solve``: ``X`` with ``matrix @ X = rhs`` (``adjoint(matrix) @ X = rhs``
    with ``adjoint=True``); ``matrix`` is ``[..., n, n]``, ``rhs`` ``[..., n, k]`` with the same
    batch dims (no broadcasting, as TF's ``MatrixSolve``)."""
    a, b = _coerce_pair(matrix, rhs)
    return _op("MatrixSolve", [a, b], {"adjoint": bool(adjoint)})


def det(input, name=None):  # noqa: A002 - TF's name
    """TF's ``tf.linalg.det``: the determinant of each ``[..., n, n]`` matrix, shape ``[...]``."""
    return _op("MatrixDeterminant", [_t(input)])


def slogdet(input, name=None):  # noqa: A002 - TF's name
    """TF's ``tf.linalg.slogdet``: ``(sign, log_abs_determinant)``, each of shape ``[...]``;
    a singular matrix gives sign 0 and log |det| = -inf."""
    sign, log_abs = _execute("LogMatrixDeterminant", [_t(input)], {})
    return LogMatrixDeterminant(sign, log_abs)


def cholesky(input, name=None):  # noqa: A002 - TF's name
    """TF's ``tf.linalg.cholesky``: lower-triangular ``L`` with ``L @ L^T = input``, from the
    input's lower triangle (the part above the diagonal is never read); an input that is not
    positive definite is an ``InvalidArgumentError``."""
    return _op("Cholesky", [_t(input)])


def logdet(matrix, name=None):
    """TF's ``tf.linalg.logdet`` of a symmetric positive definite matrix:
    ``2 * sum(log(diag(cholesky(matrix))))``."""
    chol = cholesky(matrix)
    n = chol.shape[-1]
    diag = M.reduce_sum(M.multiply(chol, eye(n, dtype=chol.dtype)), axis=-1)
    return M.multiply(M.reduce_sum(M.log(diag), axis=-1), 2.0)


# ---- decompositions (LAPACK geqrf / gesdd / syevd / getrf) and what is composed from them ----


def _float_matrix(x, op):
    x = _t(x)
    if x.shape.rank is not None and x.shape.rank < 2:
        raise errors.InvalidArgumentError(
            f"Input tensor 0 must have rank >= 2, got {x.shape.rank} [Op:{op}]"
        )
    return x


def _adjoint(x):
    """The transpose of each matrix of ``x`` (real dtypes: the adjoint)."""
    r = x.shape.rank
    return transpose(x, list(range(r - 2)) + [r - 1, r - 2])


def _diag_matrix(v):
    """``[..., k]`` as the ``[..., k, k]`` diagonal matrices."""
    return M.multiply(expand_dims(v, -1), eye(v.shape[-1], dtype=v.dtype))


def qr(input, full_matrices=False, name=None):  # noqa: A002 - TF's name
    """TF's ``tf.linalg.qr``: ``(q, r)`` with ``input = q @ r``, ``q`` orthonormal columns,
    ``r`` upper triangular; ``[..., m, min(m, n)]`` and ``[..., min(m, n), n]``, or
    ``[..., m, m]`` and ``[..., m, n]`` with ``full_matrices``."""
    x = _float_matrix(input, "Qr")
    q, r = _execute("Qr", [x], {"full_matrices": bool(full_matrices)})
    return Qr(q, r)


def svd(tensor, full_matrices=False, compute_uv=True, name=None):
    """TF's ``tf.linalg.svd``: ``(s, u, v)`` in that order, ``tensor = u @ diag(s) @ v^T``,
    ``s`` descending; only ``s`` with ``compute_uv=False``."""
    x = _float_matrix(tensor, "Svd")
    attrs = {"full_matrices": bool(full_matrices), "compute_uv": bool(compute_uv)}
    s, u, v = _execute("Svd", [x], attrs)
    return (s, u, v) if compute_uv else s


def eigh(tensor, name=None):
    """TF's ``tf.linalg.eigh``: ``(e, v)``, the ascending eigenvalues and the eigenvectors
    (columns of ``v``) of each self-adjoint matrix; only the lower triangle is read."""
    e, v = _execute("SelfAdjointEigV2", [_float_matrix(tensor, "SelfAdjointEigV2")],
                    {"compute_v": True})  # fmt: skip
    return e, v


def eigvalsh(tensor, name=None):
    """TF's ``tf.linalg.eigvalsh``: the ascending eigenvalues of each self-adjoint matrix."""
    x = _float_matrix(tensor, "SelfAdjointEigV2")
    return _execute("SelfAdjointEigV2", [x], {"compute_v": False})[0]


def eig(tensor, name=None):
    """TF's ``tf.linalg.eig``: ``(e, v)``, the complex eigenvalues and unit eigenvectors
    (columns of ``v``) of each general square matrix (float32 -> complex64)."""
    e, v = _execute("Eig", [_float_matrix(tensor, "Eig")], {"compute_v": True})
    return e, v


def eigvals(tensor, name=None):
    """TF's ``tf.linalg.eigvals``: the complex eigenvalues of each general square matrix."""
    return _execute("Eig", [_float_matrix(tensor, "Eig")], {"compute_v": False})[0]


def lu(input, output_idx_type=None, name=None):  # noqa: A002 - TF's name
    """TF's ``tf.linalg.lu``: ``(lu, p)``, unit-lower ``L`` and upper ``U`` packed in ``lu``
    and the permutation ``p`` with ``input[p] = L @ U`` (partial pivoting); a singular
    matrix is an ``InvalidArgumentError``."""
    idx = _dt.as_dtype(output_idx_type or _dt.int32)
    packed, perm = _execute("Lu", [_float_matrix(input, "Lu")], {"output_idx_type": idx.name})
    return Lu(packed, perm)


def _eps(dtype):
    return float(_dt._finfo(dtype.as_numpy_dtype).eps)


def pinv(a, rcond=None, validate_args=False, name=None):
    """TF's ``tf.linalg.pinv``: the Moore-Penrose pseudo-inverse from the SVD; singular values
    at most ``rcond * max(s)`` count as zero (default ``rcond``: ``10 * max(m, n) * eps``)."""
    a = a if isinstance(a, Tensor) else convert_to_tensor(a)
    if not a.dtype.is_floating:
        raise TypeError(f"Input `a` must have `float`-like `dtype` (saw {a.dtype.name}).")
    a = _float_matrix(a, "Svd")
    m, n = a.shape[-2], a.shape[-1]
    if rcond is None:
        rcond = 10.0 * max(m, n) * _eps(a.dtype)
    s, u, v = svd(a, full_matrices=False, compute_uv=True)
    cutoff = M.multiply(M.reduce_max(s, axis=-1, keepdims=True), rcond)
    big = M.greater(s, cutoff)
    inv_s = where(big, M.reciprocal(where(big, s, ones_like(s))), zeros_like(s))
    return M.matmul(M.multiply(v, expand_dims(inv_s, -2)), u, adjoint_b=True)


def matrix_rank(a, tol=None, validate_args=False, name=None):
    """TF's ``tf.linalg.matrix_rank``: the number of singular values above ``tol`` (default
    ``max(s) * max(m, n) * eps``), int32."""
    a = _float_matrix(a, "Svd")
    s = svd(a, compute_uv=False)
    if tol is None:
        tol = M.multiply(M.reduce_max(s, axis=-1, keepdims=True),
                         max(a.shape[-2], a.shape[-1]) * _eps(a.dtype))  # fmt: skip
    return M.reduce_sum(M.cast(M.greater(s, tol), _dt.int32), axis=-1)


def lstsq(matrix, rhs, l2_regularizer=0.0, fast=True, name=None):
    """TF's ``tf.linalg.lstsq``: ``X`` minimising ``||matrix @ X - rhs||^2 + l2 ||X||^2``.
    ``fast``: the regularised normal equations (``(A^T A + l2 I)^-1 A^T B`` for tall ``A``,
    ``A^T (A A^T + l2 I)^-1 B`` for wide); otherwise the minimum-norm solution ``pinv(A) B``
    (TF's kernel then ignores ``l2_regularizer`` too)."""
    a, b = _coerce_pair(_float_matrix(matrix, "MatrixSolveLs"), rhs)
    m, n = a.shape[-2], a.shape[-1]
    if not fast:
        return M.matmul(pinv(a), b)
    l2 = M.cast(l2_regularizer, a.dtype)
    if m >= n:
        gram = M.add(M.matmul(a, a, transpose_a=True), M.multiply(l2, eye(n, dtype=a.dtype)))
        return solve(gram, M.matmul(a, b, transpose_a=True))
    gram = M.add(M.matmul(a, a, transpose_b=True), M.multiply(l2, eye(m, dtype=a.dtype)))
    return M.matmul(a, solve(gram, b), transpose_a=True)
