"""``tf.signal``: discrete Fourier transforms (any length), ``fftshift`` / ``ifftshift``, framing,
windows, STFT, DCT / MDCT and mel filters."""

from ._signal import *  # noqa: F403
from ._signal import __all__ as _fft_names
from ._signal_frames import *  # noqa: F403
from ._signal_frames import __all__ as _frame_names

__all__ = [*_fft_names, *_frame_names]
