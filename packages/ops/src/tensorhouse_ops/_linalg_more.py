"""More of ``tf.linalg``, composed from other ops: ``normalize``, ``expm`` (Pade 13 with scaling
and squaring), the tridiagonal and banded solves and products, ``eigh_tridiagonal``.

The banded and tridiagonal solves build the dense matrix and run ``MatrixSolve``: O(M^3) where
TF's kernels are O(M) / O(M K), with the same numbers up to rounding (partial pivoting always).
"""

from __future__ import annotations

import numpy as np

from . import _array as A
from . import _complex as C
from . import _linalg as L
from . import _math as M
from ._function import while_loop
from ._linalg_composed import triangular_solve
from ._tensor import constant, convert_to_tensor, errors

__all__ = ["banded_triangular_solve", "eigh_tridiagonal", "expm", "normalize", "sqrtm",
           "tridiagonal_matmul", "tridiagonal_solve"]  # fmt: skip


def normalize(tensor, ord="euclidean", axis=None, name=None):  # noqa: A002 - TF's name
    """TF's ``tf.linalg.normalize``: ``(tensor / norm, norm)``, the norm kept as a broadcast."""
    x = convert_to_tensor(tensor)
    norm = M.norm(x, ord=ord, axis=axis, keepdims=True)
    return M.divide(x, norm), norm


# ---- expm ---------------------------------------------------------------------------------------

_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
           129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
           40840800.0, 960960.0, 16380.0, 182.0, 1.0)  # fmt: skip
_THETA13 = 5.371920351148152  # the 1-norm up to which Pade 13 is exact to float64


def expm(input, name=None):  # noqa: A002 - TF's name
    """TF's ``tf.linalg.expm``: the matrix exponential of each ``[..., M, M]`` matrix (Higham's
    scaling and squaring: each matrix scaled by ``2^-s`` below Pade 13's bound, squared back)."""
    x = convert_to_tensor(input)
    if not (x.dtype.is_floating or x.dtype.is_complex):
        raise ValueError(f"tf.linalg.expm does not support matrices of type {x.dtype}")
    if x.shape.rank is not None and x.shape.rank < 2:
        raise ValueError(f"Shape {x.shape} must have rank at least 2")
    if x.shape[-1] != x.shape[-2]:
        raise errors.InvalidArgumentError(
            None, "MatrixExponential", f"Matrix size-incompatible: In[0]: {x.shape}, In[1]: "
            f"{x.shape}: expm needs square matrices"
        )  # fmt: skip
    dt = x.dtype
    norm1 = M.reduce_max(M.reduce_sum(M.abs(x), -2), -1)
    steps = M.maximum(M.ceil(M.log(norm1 / _THETA13) / float(np.log(2.0))), constant(0.0, dt))
    steps = A.where(M.is_finite(steps), steps, A.zeros_like(steps))
    a = x / A.expand_dims(A.expand_dims(M.pow(constant(2.0, dt), steps), -1), -1)
    eye = A.eye(x.shape[-1], dtype=dt)
    a2 = M.matmul(a, a)
    a4 = M.matmul(a2, a2)
    a6 = M.matmul(a4, a2)
    b = [constant(v, dt) for v in _PADE13]
    u = M.matmul(a6, b[13] * a6 + b[11] * a4 + b[9] * a2)
    u = M.matmul(a, u + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * eye)
    v = M.matmul(a6, b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2
    r = L.solve(v + b[0] * eye - u, u + v + b[0] * eye)
    last = M.cast(M.reduce_max(steps), "int32")
    left = A.expand_dims(A.expand_dims(steps, -1), -1)

    def square(i, r):
        more = M.less(M.cast(i, dt), left)
        return i + 1, A.where(more, M.matmul(r, r), r)

    return while_loop(lambda i, r: M.less(i, last), square, [constant(0), r])[1]


def sqrtm(input, name=None):  # noqa: A002 - TF's name
    """TF's ``tf.linalg.sqrtm``: the principal square root of each ``[..., M, M]`` matrix with
    no eigenvalue on the closed negative real axis, by Denman-Beavers iterations (``Y -> A^1/2``,
    ``Z -> A^-1/2``) until each matrix stops changing, at most 100."""
    x = convert_to_tensor(input)
    if x.shape.rank is not None and x.shape.rank < 2:
        raise errors.InvalidArgumentError(
            None, "MatrixSquareRoot", f"Input tensor 0 must have rank >= 2, got shape {x.shape} "
            "[Op:MatrixSquareRoot]"
        )  # fmt: skip
    eye = A.eye(x.shape[-1], dtype=x.dtype)
    tol = float(np.finfo(x.dtype.as_numpy_dtype).eps) * x.shape[-1] * 4.0

    def step(i, y, z, moving):
        y_next = (y + L.inv(z)) * 0.5
        z_next = (z + L.inv(y)) * 0.5
        change = M.reduce_max(M.abs(y_next - y)) / (M.reduce_max(M.abs(y_next)) + tol)
        return i + 1, y_next, z_next, M.greater(change, tol)

    def more(i, y, z, moving):
        return M.logical_and(M.less(i, 100), moving)

    start = [constant(0), x, A.broadcast_to(eye, A.shape(x)), constant(True)]
    return while_loop(more, step, start)[1]


# ---- banded and tridiagonal matrices -----------------------------------------------------------


def _place(k, m, dtype):
    """``[M, M]``: ones at ``(i, i + k)``."""
    return constant(np.eye(m, k=k), dtype)


def _dense(bands, offsets, m, dtype):
    """``[..., M, M]`` with ``bands[..., r, i]`` at ``(i, i + offsets[r])`` where inside."""
    place = A.stack([_place(k, m, dtype) for k in offsets], 0)
    return M.reduce_sum(A.expand_dims(bands, -1) * place, -3)


def banded_triangular_solve(bands, rhs, lower=True, adjoint=False, name=None):
    """TF's ``tf.linalg.banded_triangular_solve``: ``bands`` ``[..., K, M]`` holds the main
    diagonal then ``K - 1`` subdiagonals (right-aligned) when ``lower``, else the superdiagonals
    (left-aligned) then the main diagonal; solves for ``rhs`` ``[..., M, N]``."""
    b = convert_to_tensor(bands)
    rhs = convert_to_tensor(rhs, b.dtype)
    k, m = b.shape[-2], b.shape[-1]
    offsets = [-r for r in range(k)] if lower else [k - 1 - r for r in range(k)]
    return triangular_solve(_dense(b, offsets, m, b.dtype), rhs, lower=lower, adjoint=adjoint)


def _tridiagonal(diagonals, diagonals_format, op):
    """The three diagonals ``[..., 3, M]`` (super, main, sub) of any of TF's formats."""
    if diagonals_format == "compact":
        d = convert_to_tensor(diagonals)
        if d.shape.rank is not None and (d.shape.rank < 2 or d.shape[-2] != 3):
            raise ValueError(f"Expected diagonals to have shape [..., 3, M], got {d.shape}")
        return d
    if diagonals_format == "sequence":
        if not isinstance(diagonals, list | tuple) or len(diagonals) != 3:
            raise ValueError("Expected diagonals to be a sequence of length 3.")
        parts = [convert_to_tensor(d) for d in diagonals]
        return A.stack([M.cast(p, parts[1].dtype) for p in parts], -2)
    if diagonals_format == "matrix":  # its three diagonals; the rest is ignored
        mat = convert_to_tensor(diagonals)
        m = mat.shape[-1]
        return A.stack([M.reduce_sum(mat * _place(k, m, mat.dtype), -1) for k in (1, 0, -1)], -2)
    raise ValueError(f"Unrecognized diagonals_format: {diagonals_format}")


def tridiagonal_matmul(diagonals, rhs, diagonals_format="compact", name=None):
    """TF's ``tf.linalg.tridiagonal_matmul``: the tridiagonal matrix times ``rhs``
    ``[..., M, N]``, from shifted rows (no dense matrix)."""
    d = _tridiagonal(diagonals, diagonals_format, "TridiagonalMatMul")
    x = convert_to_tensor(rhs, d.dtype)
    sup, main, sub = (A.expand_dims(v, -1) for v in A.unstack(d, num=3, axis=-2))
    lead = [[0, 0]] * (x.shape.rank - 2)
    below = A.pad(x[..., 1:, :], lead + [[0, 1], [0, 0]])  # row i: x[i + 1]
    above = A.pad(x[..., :-1, :], lead + [[1, 0], [0, 0]])  # row i: x[i - 1]
    return main * x + sup * below + sub * above


def tridiagonal_solve(diagonals, rhs, diagonals_format="compact", transpose_rhs=False,
                      conjugate_rhs=False, name=None, partial_pivoting=True,
                      perturb_singular=False):  # fmt: skip
    """TF's ``tf.linalg.tridiagonal_solve``: solves the tridiagonal system for ``rhs``
    ``[..., M, K]`` (``[..., K, M]`` with ``transpose_rhs``; ``[..., M]`` a single column)."""
    if perturb_singular and not partial_pivoting:
        raise ValueError("partial_pivoting must be True if perturb_singular is specified.")
    d = _tridiagonal(diagonals, diagonals_format, "TridiagonalSolve")
    x = convert_to_tensor(rhs, d.dtype)
    vector = x.shape.rank == d.shape.rank - 1
    if vector:
        x = A.expand_dims(x, -1)
    elif transpose_rhs:
        x = M.matrix_transpose(x)
    if conjugate_rhs and x.dtype.is_complex:
        x = C.conj(x)
    m = d.shape[-1]
    if x.shape[-2] is not None and m is not None and x.shape[-2] != m:
        raise ValueError(
            "Expected number of left-hand sided and right-hand sides to be equal, got "
            f"{m} and {x.shape[-2]}"
        )
    if m is None:
        raise errors.UnimplementedError("tridiagonal_solve needs a known matrix size here")
    out = L.solve(_dense(d, [1, 0, -1], m, d.dtype), x)
    return A.squeeze(out, [-1]) if vector else out


def eigh_tridiagonal(alpha, beta, eigvals_only=True, select="a", select_range=None, tol=None,
                     name=None):  # fmt: skip
    """TF's ``tf.linalg.eigh_tridiagonal``: the eigenvalues (ascending; and the eigenvectors
    unless ``eigvals_only``) of the Hermitian tridiagonal matrix with diagonal ``alpha`` and
    off-diagonal ``beta``; ``select`` "a" (all), "v" (values in ``select_range``) or "i"
    (indices ``select_range[0]`` to ``[1]`` inclusive)."""
    a = convert_to_tensor(alpha)
    b = convert_to_tensor(beta, a.dtype)
    if a.shape.rank != 1 or b.shape.rank != 1:
        raise ValueError("Only 1-D alpha and beta are supported")
    if select not in ("a", "v", "i"):
        raise ValueError(f"Unknown select: {select}")
    n = a.shape[0]
    if b.shape[0] is not None and n is not None and b.shape[0] != n - 1:
        raise ValueError(f"beta must have length len(alpha) - 1, got {b.shape[0]} and {n}")
    if n == 1:
        values, vectors = A.reshape(a, [1]), A.ones([1, 1], a.dtype)
    else:
        zero = A.zeros([1], b.dtype)
        sup, sub = A.concat([b, zero], 0), A.concat([zero, C.conj(b)], 0)
        mat = _dense(A.stack([sup, a, sub], 0), [1, 0, -1], n, a.dtype)
        values, vectors = L.eigh(mat)
    if select == "i":
        lo, hi = (int(v) for v in select_range)
        values, vectors = values[lo : hi + 1], vectors[:, lo : hi + 1]
    elif select == "v":
        lo, hi = (convert_to_tensor(v, values.dtype) for v in select_range)
        keep = A.reshape(A.where(M.logical_and(values > lo, values <= hi)), [-1])
        values, vectors = A.gather(values, keep), A.gather(vectors, keep, axis=1)
    return values if eigvals_only else (values, vectors)
