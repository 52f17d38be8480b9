"""``tf.math``: the math ops, re-exported under TF's namespace."""

from . import _complex
from ._complex import angle, conj, imag, real
from ._composed import (
    count_nonzero,
    l2_normalize,
    polyval,
)
from ._math import *  # noqa: F403
from ._math import __all__ as _math_all
from ._math_composed import (
    accumulate_n,
    confusion_matrix,
    cumulative_logsumexp,
    in_top_k,
    invert_permutation,
    is_non_decreasing,
    is_strictly_increasing,
    lbeta,
    multiply_no_nan,
    scalar_mul,
    xlog1py,
    zero_fraction,
)
from ._math_special import (
    bessel_i0,
    bessel_i0e,
    bessel_i1,
    bessel_i1e,
    erfinv,
    ndtri,
    nextafter,
    special,
)
from ._segment import (
    bincount,
    segment_max,
    segment_mean,
    segment_min,
    segment_prod,
    segment_sum,
    unsorted_segment_max,
    unsorted_segment_mean,
    unsorted_segment_min,
    unsorted_segment_prod,
    unsorted_segment_sqrt_n,
    unsorted_segment_sum,  # noqa: F401 - in place of _math's: takes a run-time num_segments
)
from .nn import log_softmax, softmax, softsign

# ``_math``'s take the real dtypes' kernels; these take complex tensors too
cumprod = _complex.cumprod
squared_difference = _complex.squared_difference

__all__ = [
    *_math_all,
    "angle",
    "conj",
    "imag",
    "real",
    "count_nonzero",
    "l2_normalize",
    "polyval",
    "unsorted_segment_mean",
    "bincount",
    "segment_max",
    "segment_mean",
    "segment_min",
    "segment_prod",
    "segment_sum",
    "unsorted_segment_max",
    "unsorted_segment_min",
    "unsorted_segment_prod",
    "unsorted_segment_sqrt_n",
    "accumulate_n",
    "confusion_matrix",
    "cumulative_logsumexp",
    "in_top_k",
    "invert_permutation",
    "is_non_decreasing",
    "is_strictly_increasing",
    "lbeta",
    "multiply_no_nan",
    "scalar_mul",
    "xlog1py",
    "zero_fraction",
    "log_softmax",
    "softmax",
    "softsign",
    "bessel_i0",
    "bessel_i0e",
    "bessel_i1",
    "bessel_i1e",
    "erfinv",
    "ndtri",
    "nextafter",
    "special",
]
