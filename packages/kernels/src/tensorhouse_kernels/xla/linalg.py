"""XLA MatMul / BatchMatMulV2 and the dense linear algebra (inverse, solve, det, ...)."""

from __future__ import annotations

from typing import Any

# JAX's modules, bound by bind() when the first XLA kernel runs (importing this
# module loads no JAX; Any: the type checker sees modules at the call sites)
jnp: Any = None
lax: Any = None


def bind(jax_module, numpy_module, lax_module) -> None:
    """Bind JAX's modules here (``xla._load`` calls it once JAX is imported)."""
    global jnp, lax
    jnp = numpy_module
    lax = lax_module


# ---- linear algebra, softmax, losses -----------------------------------------------------------


def _matmul(inputs, attrs):
    a, b = inputs
    a = a.T if attrs.get("transpose_a") else a
    b = b.T if attrs.get("transpose_b") else b
    return [jnp.matmul(a, b, precision=lax.Precision.HIGHEST)]


def _batch_matmul(inputs, attrs):
    a, b = inputs
    a = jnp.conj(jnp.swapaxes(a, -1, -2)) if attrs.get("adj_x") else a
    b = jnp.conj(jnp.swapaxes(b, -1, -2)) if attrs.get("adj_y") else b
    return [jnp.matmul(a, b, precision=lax.Precision.HIGHEST)]


# ---- dense linear algebra ----------------------------------------------------------------------
# jnp.linalg / lax.linalg. Singular matrices are not detected here (TF's XLA kernels do not either):
# the inverse and the solution come out inf / NaN where the CPU kernels raise.


def _adjoint(x, flag):
    return jnp.swapaxes(x, -1, -2) if flag else x


def _matrix_inverse(inputs, attrs):
    (x,) = inputs
    if not x.size:
        return [jnp.zeros(x.shape, x.dtype)]
    return [jnp.linalg.inv(_adjoint(x, bool(attrs.get("adjoint", False))))]


def _matrix_solve(inputs, attrs):
    a, b = inputs
    if not a.size or not b.size:
        return [jnp.zeros(b.shape, b.dtype)]
    return [jnp.linalg.solve(_adjoint(a, bool(attrs.get("adjoint", False))), b)]


def _matrix_determinant(inputs, attrs):
    (x,) = inputs
    if not x.size:  # the determinant of a 0 x 0 matrix is 1
        return [jnp.ones(x.shape[:-2], x.dtype)]
    return [jnp.linalg.det(x)]


def _log_matrix_determinant(inputs, attrs):
    (x,) = inputs
    if not x.size:
        return [jnp.ones(x.shape[:-2], x.dtype), jnp.zeros(x.shape[:-2], x.dtype)]
    sign, log_abs = jnp.linalg.slogdet(x)
    return [sign.astype(x.dtype), log_abs.astype(x.dtype)]


def _cholesky(inputs, attrs):
    (x,) = inputs
    if not x.size:
        return [jnp.zeros(x.shape, x.dtype)]
    lower = jnp.tril(x)  # only the lower triangle is read, as the CPU kernel (and TF)
    sym = lower + jnp.swapaxes(jnp.tril(x, -1), -1, -2)
    return [jnp.tril(lax.linalg.cholesky(sym, symmetrize_input=False))]


TABLE: dict = {  # op type -> fn(inputs, attrs) -> [outputs]
    "MatMul": _matmul,
    "BatchMatMulV2": _batch_matmul,
    "MatrixInverse": _matrix_inverse,
    "MatrixSolve": _matrix_solve,
    "MatrixDeterminant": _matrix_determinant,
    "LogMatrixDeterminant": _log_matrix_determinant,
    "Cholesky": _cholesky,
}
