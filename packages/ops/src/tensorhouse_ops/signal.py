"""``tf.signal``: discrete Fourier transforms (any length) and ``fftshift`` / ``ifftshift``."""

from ._signal import *  # noqa: F403
from ._signal import __all__ as __all__
