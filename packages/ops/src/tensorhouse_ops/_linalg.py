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
from ._tensor import Tensor, _coerce_pair, _execute, _op, convert_to_tensor

__all__ = ["cholesky", "det", "inv", "logdet", "slogdet", "solve"]

LogMatrixDeterminant = namedtuple("LogMatrixDeterminant", ["sign", "log_abs_determinant"])


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
    from ._array import eye

    chol = cholesky(matrix)
    n = chol.shape[-1]
    diag = M.reduce_sum(M.multiply(chol, eye(n, dtype=chol.dtype)), axis=-1)
    return M.multiply(M.reduce_sum(M.log(diag), axis=-1), 2.0)
