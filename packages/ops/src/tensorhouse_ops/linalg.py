"""``tf.linalg``."""

from ._array import eye, transpose
from ._composed import band_part, diag, diag_part, l2_normalize, trace
from ._linalg import (
    cholesky,
    det,
    eig,
    eigh,
    eigvals,
    eigvalsh,
    inv,
    logdet,
    lstsq,
    lu,
    matrix_rank,
    pinv,
    qr,
    slogdet,
    solve,
    svd,
)
from ._linalg_composed import (
    cholesky_solve,
    cross,
    lu_matrix_inverse,
    lu_reconstruct,
    lu_solve,
    set_diag,
    tensor_diag,
    tensor_diag_part,
    triangular_solve,
)
from ._linalg_more import (
    banded_triangular_solve,
    eigh_tridiagonal,
    expm,
    normalize,
    sqrtm,
    tridiagonal_matmul,
    tridiagonal_solve,
)
from ._math import (
    adjoint,
    einsum,
    global_norm,
    matmul,
    matrix_transpose,
    matvec,
    norm,
    tensordot,
)

__all__ = [
    "band_part", "cholesky", "det", "diag", "diag_part", "eig", "eigh", "eigvals", "eigvalsh",
    "einsum", "eye",
    "global_norm", "inv", "logdet", "lstsq", "lu", "matmul", "matrix_rank", "matvec", "norm",
    "pinv", "qr", "slogdet", "solve", "svd", "tensordot", "transpose",
    "adjoint", "matrix_transpose", "trace", "l2_normalize", "cholesky_solve", "cross",
    "lu_matrix_inverse", "lu_reconstruct", "lu_solve", "set_diag", "tensor_diag",
    "tensor_diag_part", "triangular_solve", "banded_triangular_solve", "eigh_tridiagonal", "expm",
    "normalize", "sqrtm", "tridiagonal_matmul", "tridiagonal_solve",
]  # fmt: skip
