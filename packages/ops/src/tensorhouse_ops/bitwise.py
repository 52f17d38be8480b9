"""``tf.bitwise``: bitwise and / or / xor, invert and shifts on every integer dtype.

Shift counts are clamped to ``[0, bits - 1]`` as TF's kernels do: a count past the width shifts
by ``bits - 1``, a negative count by 0; right shifts of signed integers are arithmetic.
"""

from ._math import bitwise_and, bitwise_or, bitwise_xor, invert, left_shift, right_shift

__all__ = ["bitwise_and", "bitwise_or", "bitwise_xor", "invert", "left_shift", "right_shift"]
