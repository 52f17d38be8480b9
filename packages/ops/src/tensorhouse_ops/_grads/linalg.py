"""Gradient rules of the linalg family: matrix products and dense linear algebra (inverse, solve,
determinants, Cholesky, QR, eigen, SVD, LU).
"""

from __future__ import annotations

import numpy as np

from .. import _array as A
from .. import _math as M
from .._array import eye, one_hot
from .._composed import band_part
from .._tensor import _execute, _op, constant
from .base import (
    MULTI_OUTPUT,
    NEEDS_SHAPES,
    _or_zeros,
    rule,
    unbroadcast,
)


@rule("MatMul")
def _matmul(x, y, attrs, dy):
    a, b = x
    ta, tb = bool(attrs.get("transpose_a")), bool(attrs.get("transpose_b"))
    mm = M.matmul
    if not ta and not tb:
        return [mm(dy, b, transpose_b=True), mm(a, dy, transpose_a=True)]
    if not ta and tb:
        return [mm(dy, b), mm(dy, a, transpose_a=True)]
    if ta and not tb:
        return [mm(b, dy, transpose_b=True), mm(a, dy)]
    return [
        mm(b, dy, transpose_a=True, transpose_b=True),
        mm(dy, a, transpose_a=True, transpose_b=True),
    ]


@rule("BatchMatMulV2")
def _batch_matmul(x, y, attrs, dy):
    a, b = x
    adj_x, adj_y = bool(attrs.get("adj_x")), bool(attrs.get("adj_y"))

    def mm(p, q, adj_p=False, adj_q=False):
        return _op("BatchMatMulV2", [p, q], {"adj_x": adj_p, "adj_y": adj_q})

    if not adj_x and not adj_y:
        da, db = mm(dy, b, adj_q=True), mm(a, dy, adj_p=True)
    elif not adj_x:
        da, db = mm(dy, b), mm(dy, a, adj_p=True)
    elif not adj_y:
        da, db = mm(b, dy, adj_q=True), mm(a, dy)
    else:
        da, db = mm(b, dy, True, True), mm(dy, a, True, True)
    return [unbroadcast(da, a), unbroadcast(db, b)]


def _bmm(p, q, adj_p=False, adj_q=False):
    return _op("BatchMatMulV2", [p, q], {"adj_x": adj_p, "adj_y": adj_q})


def _per_matrix(t):
    """A ``[...]`` tensor as ``[..., 1, 1]``, to scale a batch of matrices."""
    return A.expand_dims(A.expand_dims(t, -1), -1)


@rule("MatrixInverse")
def _matrix_inverse(x, y, attrs, dy):
    """Y = inv(A): dA = -Y^T dY Y^T; with adjoint, Y = inv(A^T): dA = -Y dY^T Y."""
    inv = y[0]
    if attrs.get("adjoint"):
        return [M.negative(_bmm(inv, _bmm(dy, inv, adj_p=True)))]
    return [M.negative(_bmm(inv, _bmm(dy, inv, adj_q=True), adj_p=True))]


@rule("MatrixSolve")
def _matrix_solve(x, y, attrs, dy):
    """X = A^-1 B: dB = A^-T dX, dA = -dB X^T; with adjoint, X = A^-T B: dB = A^-1 dX,
    dA = -X dB^T."""
    adjoint = bool(attrs.get("adjoint"))
    db = _op("MatrixSolve", [x[0], dy], {"adjoint": not adjoint})
    if adjoint:
        return [M.negative(_bmm(y[0], db, adj_q=True)), db]
    return [M.negative(_bmm(db, y[0], adj_q=True)), db]


@rule("MatrixDeterminant")
def _matrix_determinant(x, y, attrs, dy):
    """d det(A) = det(A) tr(A^-1 dA): dA = dy * det * A^-T."""
    inv_t = _op("MatrixInverse", [x[0]], {"adjoint": True})
    return [M.multiply(_per_matrix(M.multiply(dy, y[0])), inv_t)]


@rule("LogMatrixDeterminant")
def _log_matrix_determinant(x, y, attrs, dys):
    """Only log |det| carries a gradient (the sign is piecewise constant): d = dy * A^-T."""
    if dys[1] is None:
        return [None]
    inv_t = _op("MatrixInverse", [x[0]], {"adjoint": True})
    return [M.multiply(_per_matrix(dys[1]), inv_t)]


@rule("Cholesky")
def _cholesky(x, y, attrs, dy):
    """TF's rule (Murray 2016): with Phi the lower triangle with its diagonal halved,
    dA = sym(L^-T Phi(L^T dL) L^-1), sym(G) = (G + G^T) / 2. The gradient is that of a
    symmetric input (TF's convention), not of the lower triangle the kernel reads."""
    chol = y[0]
    n = chol.shape.as_list()[-1]
    phi = constant(np.tril(np.ones((n, n)), -1) + 0.5 * np.eye(n), dtype=chol.dtype)
    chol_inv = _op("MatrixInverse", [chol])
    middle = M.multiply(_bmm(chol, dy, adj_p=True), phi)
    g = _bmm(_bmm(chol_inv, middle, adj_p=True), chol_inv)
    rank = len(chol.shape.as_list())
    perm = list(range(rank - 2)) + [rank - 1, rank - 2]
    return [M.multiply(M.add(g, A.transpose(g, perm)), 0.5)]


MULTI_OUTPUT.update({"Qr", "Svd", "SelfAdjointEigV2", "Lu", "Eig"})
NEEDS_SHAPES.add("Eig")


def _mt(t):
    """The transpose of each matrix of ``t``."""
    r = len(t.shape.as_list())
    return A.transpose(t, list(range(r - 2)) + [r - 1, r - 2])


def _tri_solve_right(x, r):
    """``x @ inv(r)^T`` for square ``r`` (TF's _TriangularSolve, through MatrixSolve)."""
    return _mt(_op("MatrixSolve", [r, _mt(x)], {"adjoint": False}))


def _qr_grad_deep(q, r, dq, dr):
    """TF's QR rule for ``m >= n`` (reduced ``q`` [m, n], ``r`` [n, n])."""
    qdq = _bmm(q, dq, adj_p=True)
    rdr = _bmm(r, dr, adj_q=True)
    tril = band_part(M.add(M.subtract(qdq, _mt(qdq)), M.subtract(rdr, _mt(rdr))), -1, 0)
    grad_a = _bmm(q, M.add(dr, _tri_solve_right(tril, r)))
    grad_b = _tri_solve_right(M.subtract(dq, _bmm(q, qdq)), r)
    return M.add(grad_a, grad_b)


@rule("Qr")
def _qr(x, y, attrs, dys):
    """TF's rule: deep or square inputs directly, wide ones ``[X | Y]`` through the square
    block; not defined for ``full_matrices`` with more rows than columns (as TF)."""
    q, r = y
    dq, dr = _or_zeros(dys[0], q), _or_zeros(dys[1], r)
    m, n = x[0].shape.as_list()[-2:]
    if m > n and attrs.get("full_matrices"):
        raise NotImplementedError(
            "QrGrad not implemented when nrows > ncols and full_matrices is true."
        )
    if m >= n:
        return [_qr_grad_deep(q, r, dq, dr)]
    _, ya = A.split(x[0], [m, n - m], axis=-1)
    u, _ = A.split(r, [m, n - m], axis=-1)
    du, dv = A.split(dr, [m, n - m], axis=-1)
    dx = _qr_grad_deep(q, u, M.add(dq, _bmm(ya, dv, adj_q=True)), du)
    return [A.concat([dx, _bmm(q, dv)], axis=-1)]


def _offdiag_reciprocal(d):
    """``1 / d`` off the diagonal of each square matrix ``d``, 0 on it (and where ``d`` is 0)."""
    eye_n = eye(d.shape.as_list()[-1], dtype=d.dtype)
    safe = M.add(d, eye_n)
    inv = M.divide_no_nan(A.ones_like(d), safe)
    return M.multiply(inv, M.subtract(1.0, eye_n))


def _diag_of(v):
    """``[..., k]`` as ``[..., k, k]`` diagonal matrices."""
    return M.multiply(A.expand_dims(v, -1), eye(v.shape.as_list()[-1], dtype=v.dtype))


@rule("SelfAdjointEigV2")
def _self_adjoint_eig(x, y, attrs, dys):
    """TF's rule: ``V (diag(de) + F * (V^T dV)) V^T`` with ``F_ij = 1 / (e_j - e_i)``, then
    symmetrised into the lower triangle the kernel reads (its diagonal halved)."""
    e, v = y
    de = _or_zeros(dys[0], e)
    if not attrs.get("compute_v", True):
        _, v = _execute("SelfAdjointEigV2", [x[0]], {"compute_v": True})
        g = _bmm(v, _bmm(_diag_of(de), v, adj_q=True))
    else:
        dv = _or_zeros(dys[1], v)
        f = _offdiag_reciprocal(M.subtract(A.expand_dims(e, -2), A.expand_dims(e, -1)))
        inner = M.add(_diag_of(de), M.multiply(f, _bmm(v, dv, adj_p=True)))
        g = _bmm(v, _bmm(inner, v, adj_q=True))
    g = band_part(M.add(g, _mt(g)), -1, 0)
    half = M.subtract(1.0, M.multiply(eye(g.shape.as_list()[-1], dtype=g.dtype), 0.5))
    return [M.multiply(g, half)]


def _safe_reciprocal(t, eps=1e-20):
    return M.divide(t, M.add(M.multiply(t, t), eps))


@rule("Eig")
def _eig(x, y, attrs, dys):
    """TF's rule (distinct eigenvalues; Boeddeker et al. 2017, eq. 4.77): with ``W = V^H``,
    ``dA = W^-1 (diag(de) + conj(F) * (W dV - W V diag(Re diag(W dV)))) W``, ``F_ij =
    1 / (e_j - e_i)`` off the diagonal; the last term keeps each column of ``V`` unit-norm.
    ``A`` is real (the kernel's dtypes): its gradient is the real part."""
    e, v = y
    de = _or_zeros(dys[0], e)
    if not attrs.get("compute_v", True):
        _, v = _execute("Eig", [x[0]], {"compute_v": True})
    w = M.adjoint(v)
    mid = _diag_of(de)
    if attrs.get("compute_v", True) and dys[1] is not None:
        gap = M.subtract(A.expand_dims(e, -2), A.expand_dims(e, -1))
        off = M.subtract(1.0, eye(gap.shape.as_list()[-1], dtype=gap.dtype))
        f = _op("Conj", [M.multiply(_safe_reciprocal(gap), off)])
        wdv = _bmm(w, dys[1])
        re_diag = _diag_of(M.cast(_op("Real", [_diag_part(wdv)]), wdv.dtype))
        mid = M.add(mid, M.multiply(f, M.subtract(wdv, _bmm(_bmm(w, v), re_diag))))
    g = _complex_solve(w, _bmm(mid, w))
    return [_op("Real", [g])]


def _complex_solve(a, b):
    """``a^-1 b`` for complex ``a``, ``b`` through MatrixSolve's real block form
    ``[[Re a, -Im a], [Im a, Re a]] [Re x; Im x] = [Re b; Im b]``."""
    ar, ai, br, bi = (_op(p, [t]) for t in (a, b) for p in ("Real", "Imag"))
    block = A.concat([A.concat([ar, M.negative(ai)], -1), A.concat([ai, ar], -1)], -2)
    xr, xi = A.split(_op("MatrixSolve", [block, A.concat([br, bi], -2)], {"adjoint": False}), 2, -2)
    return _op("Complex", [xr, xi])


@rule("Svd")
def _svd(x, y, attrs, dys):
    """TF's SVD rule (the deep case through the adjoint); with ``full_matrices`` only for
    ``|m - n| <= 1``, as TF."""
    a = x[0]
    s, u, v = y
    ds = _or_zeros(dys[0], s)
    ds_mat = _diag_of(ds)
    if not attrs.get("compute_uv", True):
        _, u, v = _execute("Svd", [a], {"compute_uv": True, "full_matrices": False})
        return [_bmm(u, _bmm(ds_mat, v, adj_q=True))]
    du, dv = _or_zeros(dys[1], u), _or_zeros(dys[2], v)
    m, n = a.shape.as_list()[-2:]
    full = bool(attrs.get("full_matrices"))
    adjoint = m > n
    if adjoint:
        m, n, u, v, du, dv = n, m, v, u, dv, du
    if full and abs(m - n) > 1:
        raise NotImplementedError(
            "svd gradient is not implemented for abs(m - n) > 1 when full_matrices is True"
        )
    s_mat = _diag_of(s)
    s2 = M.square(s)
    f = _offdiag_reciprocal(M.subtract(A.expand_dims(s2, -2), A.expand_dims(s2, -1)))
    if n > m:
        v1, v2 = A.split(v, [m, v.shape.as_list()[-1] - m], axis=-1)
        dv1, dv2 = A.split(dv, [m, v.shape.as_list()[-1] - m], axis=-1)
    else:
        v1, v2, dv1, dv2 = v, None, dv, None
    f_u = M.multiply(f, _bmm(u, du, adj_p=True))
    f_v = M.multiply(f, _bmm(v1, dv1, adj_p=True))
    inner = M.add(ds_mat, M.add(_bmm(M.add(f_u, _mt(f_u)), s_mat),
                                _bmm(s_mat, M.add(f_v, _mt(f_v)))))  # fmt: skip
    grad = _bmm(u, _bmm(inner, v1, adj_q=True))
    if n > m:
        gv1t = _mt(dv1)
        term2 = M.subtract(gv1t, _bmm(_bmm(gv1t, v1), v1, adj_q=True))
        if full and v2.shape.as_list()[-1]:
            term2 = M.subtract(term2, _bmm(_bmm(v1, dv2, adj_p=True), v2, adj_q=True))
        grad = M.add(grad, _bmm(_bmm(u, _diag_of(_safe_reciprocal(s))), term2))
    return [_mt(grad) if adjoint else grad]


@rule("Lu")
def _lu(x, y, attrs, dys):
    """TF's rule for ``P A = L U``: ``A_bar = P^T L^-T (tril(L^T L_bar, -1) + triu(U_bar U^T))
    U^-T``, with ``L_bar`` / ``U_bar`` the strictly lower / upper parts of the packed gradient."""
    packed, perm = y
    dlu = dys[0]
    if dlu is None:
        return [None]
    n = packed.shape.as_list()[-1]
    # unit lower L: the strictly lower part of the packed factors plus the identity
    low = M.add(M.subtract(band_part(packed, -1, 0), _diag_of(_diag_part(packed))),
                eye(n, dtype=packed.dtype))  # fmt: skip
    up = band_part(packed, 0, -1)
    low_bar, up_bar = band_part(dlu, -1, 0), band_part(dlu, 0, -1)
    low_bar = M.subtract(low_bar, _diag_of(_diag_part(dlu)))  # strictly lower
    l_lbar = _bmm(low, low_bar, adj_p=True)
    strict = M.subtract(band_part(l_lbar, -1, 0), _diag_of(_diag_part(l_lbar)))
    middle = M.add(strict, band_part(_bmm(up_bar, up, adj_q=True), 0, -1))
    left = _op("MatrixSolve", [low, middle], {"adjoint": True})  # L^-T middle
    grad_p = _mt(_op("MatrixSolve", [up, _mt(left)], {"adjoint": False}))  # ... U^-T
    p_mat = one_hot(perm, n, dtype=packed.dtype)  # P[i, p[i]] = 1: (P A)[i] = A[p[i]]
    return [_bmm(p_mat, grad_p, adj_p=True)]


def _diag_part(t):
    """The diagonals of ``[..., n, n]`` matrices, ``[..., n]``."""
    return M.reduce_sum(M.multiply(t, eye(t.shape.as_list()[-1], dtype=t.dtype)), axis=-1)
