"""``tf.math``: the math ops, re-exported under TF's namespace."""

from ._composed import (
    count_nonzero,
    l2_normalize,
    polyval,
    segment_mean,
    segment_sum,
    unsorted_segment_mean,
)
from ._math import *  # noqa: F403
from ._math import __all__ as _math_all

__all__ = [
    *_math_all,
    "count_nonzero",
    "l2_normalize",
    "polyval",
    "segment_mean",
    "segment_sum",
    "unsorted_segment_mean",
]
