"""``tf.linalg``."""

from ._array import eye, transpose
from ._composed import band_part, diag, diag_part
from ._linalg import cholesky, det, inv, logdet, slogdet, solve
from ._math import einsum, global_norm, matmul, matvec, norm, tensordot

__all__ = [
    "band_part", "cholesky", "det", "diag", "diag_part", "einsum", "eye", "global_norm", "inv",
    "logdet", "matmul", "matvec", "norm", "slogdet", "solve", "tensordot", "transpose",
]  # fmt: skip
