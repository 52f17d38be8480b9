"""``tf.linalg`` functions composed from other ops: ``cross``, ``set_diag`` (main diagonal),
``tensor_diag`` / ``tensor_diag_part``, and the triangular, Cholesky and LU solves.

The triangular solves run ``MatrixSolve`` on the chosen triangle (the other one ignored, as
TF's ``MatrixTriangularSolve`` ignores it): O(n^3) where TF's kernel is O(n^2), and a singular
triangle is an ``InvalidArgumentError`` where TF returns inf / NaN.
"""

from __future__ import annotations

from . import _array, _composed, _linalg, _math
from ._tensor import VariableLike, convert_to_tensor, errors

__all__ = ["cholesky_solve", "cross", "lu_matrix_inverse", "lu_reconstruct", "lu_solve",
           "set_diag", "tensor_diag", "tensor_diag_part", "triangular_solve"]  # fmt: skip


def _t(x, dtype=None):
    return x._th_read() if isinstance(x, VariableLike) else convert_to_tensor(x, dtype)


def cross(a, b, name=None):
    """The cross products of the 3-vectors along the last axis."""
    a = _t(a)
    b = _t(b, a.dtype)
    if a.shape.as_list()[-1:] != [3] or b.shape.as_list()[-1:] != [3]:
        raise errors.FailedPreconditionError(
            f"Cross: inner dimensions of a and b must be 3, got shapes {a.shape} and {b.shape}"
        )
    a1, a2, a3 = _array.unstack(a, axis=-1)
    b1, b2, b3 = _array.unstack(b, axis=-1)
    return _array.stack([a2 * b3 - a3 * b2, a3 * b1 - a1 * b3, a1 * b2 - a2 * b1], axis=-1)


def set_diag(input, diagonal, name="set_diag", k=0, align="RIGHT_LEFT"):  # noqa: A002
    """``input`` with the main diagonal of each matrix replaced by ``diagonal``."""
    x = _t(input)
    diagonal = _t(diagonal, x.dtype)
    if k != 0:
        raise errors.UnimplementedError("set_diag: only the main diagonal (k=0) is supported here")
    m, n = x.shape.as_list()[-2:]
    if diagonal.shape.as_list()[-1:] != [min(m, n)]:
        raise errors.InvalidArgumentError(
            f"MatrixSetDiag: diagonal of shape {diagonal.shape} does not fit input {x.shape}"
        )
    rank = diagonal.shape.rank
    row = _array.pad(_array.expand_dims(diagonal, -2), [[0, 0]] * rank + [[0, n - min(m, n)]])
    mask = _array.eye(m, n) > 0
    return _array.where(mask, row + _array.zeros_like(x), x)


def tensor_diag(diagonal, name=None):
    """The rank-2k tensor with ``diagonal[i...]`` at ``[i..., i...]`` and zeros elsewhere."""
    d = _t(diagonal)
    shape = d.shape.as_list()
    flat = _array.reshape(d, [-1])
    return _array.reshape(_linalg._diag_matrix(flat), shape + shape)


def tensor_diag_part(input, name=None):  # noqa: A002
    """The ``[i..., i...]`` entries of a rank-2k tensor whose two halves have one shape."""
    x = _t(input)
    shape = x.shape.as_list()
    half = len(shape) // 2
    if len(shape) % 2 or shape[:half] != shape[half:]:
        raise errors.InvalidArgumentError(f"TensorDiagPart: input must be rank 2k with both halves"
                                          f" of one shape, got {x.shape}")  # fmt: skip
    size = 1
    for d in shape[:half]:
        size *= d
    diag = _composed.diag_part(_array.reshape(x, [size, size]))
    return _array.reshape(diag, shape[:half])


def triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None):
    """``X`` with ``T X = rhs`` (``T^H X = rhs`` with ``adjoint``), ``T`` the lower (or upper)
    triangle of ``matrix``."""
    a = _t(matrix)
    tri = _composed.band_part(a, -1, 0) if lower else _composed.band_part(a, 0, -1)
    return _linalg.solve(tri, _t(rhs, a.dtype), adjoint=adjoint)


def cholesky_solve(chol, rhs, name=None):
    """``X`` with ``A X = rhs`` given ``chol``, the Cholesky factor of ``A``."""
    y = triangular_solve(chol, rhs, lower=True)
    return triangular_solve(chol, y, lower=True, adjoint=True)


def _lu_factors(lower_upper):
    lu = _t(lower_upper)
    n = lu.shape.as_list()[-1]
    unit = _composed.band_part(lu, -1, 0) - _composed.band_part(lu, 0, 0)
    return unit + _array.eye(n, dtype=lu.dtype), _composed.band_part(lu, 0, -1), n


def lu_reconstruct(lower_upper, perm, validate_args=False, name=None):
    """The matrix ``tf.linalg.lu`` factored: ``P^-1 L U``."""
    lower, upper, n = _lu_factors(lower_upper)
    undo = _array.one_hot(_composed.argsort(_t(perm)), n, dtype=lower.dtype)
    return _math.matmul(undo, _math.matmul(lower, upper))


def lu_solve(lower_upper, perm, rhs, validate_args=False, name=None):
    """``X`` with ``A X = rhs`` from ``tf.linalg.lu``'s factors of ``A``."""
    lower, upper, n = _lu_factors(lower_upper)
    permuted = _math.matmul(_array.one_hot(_t(perm), n, dtype=lower.dtype), _t(rhs, lower.dtype))
    return _linalg.solve(upper, _linalg.solve(lower, permuted))


def lu_matrix_inverse(lower_upper, perm, validate_args=False, name=None):
    """``A^-1`` from ``tf.linalg.lu``'s factors of ``A``."""
    lu = _t(lower_upper)
    n = lu.shape.as_list()[-1]
    eye = _array.eye(n, batch_shape=lu.shape.as_list()[:-2], dtype=lu.dtype)
    return lu_solve(lu, perm, eye)
