"""``tf.linalg``."""

from ._array import eye, transpose
from ._math import einsum, global_norm, matmul, matvec, norm, tensordot

__all__ = ["einsum", "eye", "global_norm", "matmul", "matvec", "norm", "tensordot", "transpose"]
