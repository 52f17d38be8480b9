"""``tf.math``: the math ops, re-exported under TF's namespace."""

from ._math import *  # noqa: F403
from ._math import __all__  # noqa: F401
