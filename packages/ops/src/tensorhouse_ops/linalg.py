"""``tf.linalg``."""

from ._array import transpose
from ._math import matmul

__all__ = ["matmul", "transpose"]
