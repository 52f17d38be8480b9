"""Keras 3's linear algebra (``keras.ops.linalg``) on the ops layer."""

# ruff: noqa: A002  (Keras's argument name: ord)

from __future__ import annotations

import numpy as np

import tensorhouse_ops as tops

from ._dtypes import promote, to_float, to_tensor
from ._numpy import tril, triu

_t = to_tensor


def _matrix(x, name):
    x = to_float(x)
    if len(x.shape) < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(
            f"Expected a square matrix. Received non-square input with shape {tuple(x.shape)}"
        )
    return x


def inv(x):
    """The inverse of square matrices."""
    return tops.linalg.inv(_matrix(x, "inv"))


def det(x):
    """The determinant of square matrices."""
    return tops.linalg.det(_matrix(x, "det"))


def slogdet(x):
    """The sign and log of the absolute determinant."""
    return tops.linalg.slogdet(_matrix(x, "slogdet"))


def cholesky(x, upper=False):
    """The Cholesky factor (lower, or upper with ``upper=True``)."""
    low = tops.linalg.cholesky(_matrix(x, "cholesky"))
    if not upper:
        return low
    nd = len(low.shape)
    return tops.transpose(low, list(range(nd - 2)) + [nd - 1, nd - 2])


def solve(a, b):
    """``x`` with ``a @ x = b`` (``b`` a vector or matrices)."""
    a, b = promote(to_float(a), to_float(b))
    vector = len(b.shape) == len(a.shape) - 1
    if vector:
        b = tops.expand_dims(b, -1)
    out = tops.linalg.solve(a, b)
    return out[..., 0] if vector else out


def solve_triangular(a, b, lower=False):
    """``solve`` with ``a``'s lower (or upper) triangle."""
    a = to_float(a)
    return solve(tril(a) if lower else triu(a), b)


def _vector_norm(x, ord, axis, keepdims):
    a = tops.abs(x)
    if ord is None or ord == 2:
        return tops.sqrt(tops.reduce_sum(x * x, axis=axis, keepdims=keepdims))
    if ord == np.inf or ord == "inf":
        return tops.reduce_max(a, axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return tops.reduce_min(a, axis=axis, keepdims=keepdims)
    if ord == 0:
        nonzero = tops.cast(tops.not_equal(x, tops.zeros_like(x)), x.dtype)
        return tops.reduce_sum(nonzero, axis=axis, keepdims=keepdims)
    if ord == 1:
        return tops.reduce_sum(a, axis=axis, keepdims=keepdims)
    if isinstance(ord, str):
        raise ValueError(f"Invalid `ord` argument for vector norm. Received: ord={ord}")
    p = _t(float(ord), x.dtype)
    return tops.pow(tops.reduce_sum(tops.pow(a, p), axis=axis, keepdims=keepdims), 1.0 / p)


def _matrix_norm(x, ord, axis, keepdims):
    r, c = axis
    a = tops.abs(x)
    if ord in (None, "fro"):
        return tops.sqrt(tops.reduce_sum(x * x, axis=[r, c], keepdims=keepdims))
    if ord in (1, -1):
        sums = tops.reduce_sum(a, axis=r, keepdims=True)
        pick = tops.reduce_max if ord == 1 else tops.reduce_min
        out = pick(sums, axis=c, keepdims=True)
    elif ord in (np.inf, -np.inf):
        sums = tops.reduce_sum(a, axis=c, keepdims=True)
        pick = tops.reduce_max if ord == np.inf else tops.reduce_min
        out = pick(sums, axis=r, keepdims=True)
    else:
        raise NotImplementedError(
            f"Matrix norm ord={ord} needs a singular value decomposition, which the ops layer "
            "does not have yet."
        )
    if not keepdims:
        out = tops.squeeze(out, axis=sorted([r, c]))
    return out


def norm(x, ord=None, axis=None, keepdims=False):
    """NumPy's ``norm``: a vector norm over one axis (all axes flattened by default), or a
    matrix norm over two axes (``fro``, 1, -1, inf, -inf)."""
    x = to_float(x)
    nd = len(x.shape)
    if axis is None:
        if ord is not None and nd == 2:
            return _matrix_norm(x, ord, (0, 1), keepdims)
        if ord is not None and nd != 1:
            raise ValueError(f"Improper number of dimensions to norm. Received: x.ndim={nd}")
        out = _vector_norm(tops.reshape(x, [-1]), ord, 0, False)
        return tops.reshape(out, [1] * nd) if keepdims else out
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    axes = tuple(a % nd for a in axes)
    if len(axes) == 1:
        return _vector_norm(x, ord, axes[0], keepdims)
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, keepdims)
    raise ValueError(f"Invalid axis values: {axis}")


def _rank2(x):
    x = to_float(x)
    if len(x.shape) < 2:
        raise ValueError(
            f"Expected input to have rank >= 2. Received input with shape {tuple(x.shape)}."
        )
    return x


def svd(x, full_matrices=True, compute_uv=True):
    """The singular value decomposition ``(u, s, vh)`` of the last two axes (``s`` alone
    without ``compute_uv``)."""
    x = _rank2(x)
    if not compute_uv:
        return tops.linalg.svd(x, full_matrices=full_matrices, compute_uv=False)
    s, u, v = tops.linalg.svd(x, full_matrices=full_matrices)
    return u, s, tops.linalg.adjoint(v)


def qr(x, mode="reduced"):
    """The QR decomposition ``(q, r)`` of the last two axes; ``mode`` "reduced" or "complete"."""
    if mode not in ("reduced", "complete"):
        raise ValueError(
            "`mode` argument value not supported. Expected one of {'reduced', 'complete'}. "
            f"Received: mode={mode}"
        )
    return tops.linalg.qr(_rank2(x), full_matrices=mode == "complete")


def eigh(x):
    """The eigenvalues (ascending) and eigenvectors of symmetric (Hermitian) matrices."""
    return tuple(tops.linalg.eigh(_matrix(x, "eigh")))


def cholesky_inverse(x, upper=False):
    """The inverse of ``a`` from its Cholesky factor ``x`` (lower, or upper with ``upper``)."""
    x = _matrix(x, "cholesky_inverse")
    eye = tops.eye(x.shape[-1], dtype=x.dtype)
    inv_chol = tops.linalg.triangular_solve(x, eye, lower=not upper)
    return tops.matmul(inv_chol, inv_chol, transpose_a=not upper, transpose_b=upper)


def lu_factor(x):
    """The packed LU factors and the row pivots: ``a[pivots] == l @ u``, as Keras's TF backend
    (square matrices)."""
    lu, perm = tops.linalg.lu(_matrix(x, "lu_factor"))
    return lu, tops.math.invert_permutation(perm)


def lstsq(a, b, rcond=None):
    """The least-squares solution of ``a @ x = b`` (``a`` of shape (M, N), ``b`` (M,) or (M, K)),
    through the SVD: singular values below ``rcond`` times the largest count as zero."""
    a, b = promote(to_float(a), to_float(b))
    if a.shape[0] != b.shape[0]:
        raise ValueError("Leading dimensions of input arrays must match")
    if len(a.shape) != 2:
        raise TypeError(f"{len(a.shape)}-dimensional array given. Array must be two-dimensional")
    if len(b.shape) not in (1, 2):
        raise TypeError(
            f"{len(b.shape)}-dimensional array given. Array must be one or two-dimensional"
        )
    eps = float(np.finfo(a.dtype.name).eps)
    rcond = eps * max(a.shape) if rcond is None else (eps if rcond < 0 else rcond)
    u, s, vh = svd(a, full_matrices=False)
    keep = tops.greater_equal(s, rcond * s[0])
    s_inv = tops.where(keep, 1 / tops.where(keep, s, tops.ones_like(s)), tops.zeros_like(s))
    vector = len(b.shape) == 1
    ub = tops.matmul(u, tops.reshape(b, [b.shape[0], -1]), transpose_a=True)
    x = tops.matmul(vh, s_inv[:, None] * ub, transpose_a=True)
    return tops.reshape(x, [-1]) if vector else x


def pinv(x, rcond=None):
    """The Moore-Penrose pseudo-inverse of the last two axes (TF's default ``rcond``)."""
    return tops.linalg.pinv(_rank2(x), rcond=rcond)


def matrix_rank(x, tol=None):
    """The number of singular values above ``tol`` (TF's default), as int32."""
    return tops.linalg.matrix_rank(_rank2(x), tol=tol)


__all__ = sorted(
    n
    for n, v in globals().items()
    if callable(v) and not n.startswith("_") and getattr(v, "__module__", None) == __name__
)
