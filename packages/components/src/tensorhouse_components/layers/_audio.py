"""Audio layers: ``STFTSpectrogram`` (a short-time Fourier transform as a convolution with
trainable ``STFT`` kernels) and ``MelSpectrogram`` (``keras.ops.stft``, a mel filter bank and
decibels), as Keras 3.15 computes them."""

from __future__ import annotations

import math as _pymath
import warnings

import tensorhouse_ops as tops

from .. import initializers
from .._windows import get_window
from ..keras_ops import _extra
from . import _args as A
from . import _conv_utils as U
from ._input_spec import InputSpec
from ._layer import Layer

__all__ = ["MelSpectrogram", "STFTSpectrogram"]

_EPSILON = 1e-7  # keras.config.epsilon()
_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


class STFTSpectrogram(Layer):
    """The spectrogram of each channel of ``(batch, time, channels)`` signals (``(batch,
    channels, time)`` channels-first): frames of ``frame_length`` every ``frame_step`` samples
    against ``real_kernel`` / ``imag_kernel`` (``(frame_length, 1, fft_length // 2 + 1)``).
    ``mode`` picks the output: ``"log"`` magnitude, ``"magnitude"``, ``"psd"``, ``"real"``,
    ``"imag"``, ``"angle"`` or ``"stft"`` (real then imaginary bins). Outputs are ``(batch,
    frames, channels * bins)``, or with ``expand_dims`` ``(batch, frames, bins, channels)``
    (channels-first: ``(batch, channels * bins, frames)`` / ``(batch, channels, frames,
    bins)``)."""

    def __init__(self, mode="log", frame_length=256, frame_step=None, fft_length=None,
                 window="hann", periodic=False, scaling="density", padding="valid",
                 expand_dims=False, data_format=None, **kwargs):  # fmt: skip
        if frame_step is not None and (frame_step > frame_length or frame_step < 1):
            raise ValueError(
                "`frame_step` should be a positive integer not greater than `frame_length`. "
                f"Received frame_step={frame_step}, frame_length={frame_length}"
            )
        if fft_length is not None and fft_length < frame_length:
            raise ValueError(
                "`fft_length` should be not less than `frame_length`. "
                f"Received fft_length={fft_length}, frame_length={frame_length}"
            )
        if fft_length is not None and (fft_length & -fft_length) != fft_length:
            warnings.warn(
                "`fft_length` is recommended to be a power of two. "
                f"Received fft_length={fft_length}",
                stacklevel=2,
            )
        if mode not in _MODES:
            raise ValueError(
                f"Output mode is invalid, it must be one of {', '.join(_MODES)}. "
                f"Received: mode={mode}"
            )
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(
                "Scaling is invalid, it must be `None`, 'density' or 'spectrum'. "
                f"Received scaling={scaling}"
            )
        if padding not in ("valid", "same"):
            raise ValueError(
                f"Padding is invalid, it should be 'valid', 'same'. Received: padding={padding}"
            )
        if isinstance(window, str):  # (a tuple is checked when the window is made)
            get_window(window, 1)  # an unknown name raises SciPy's ValueError
        kwargs["name"] = kwargs.get("name") or U.default_name(type(self))
        super().__init__(**kwargs)
        self.mode, self.frame_length, self.frame_step = mode, frame_length, frame_step
        self._frame_step = frame_step or frame_length // 2
        self.fft_length = fft_length
        self._fft_length = fft_length or 2 ** int(_pymath.ceil(_pymath.log2(frame_length)))
        self.window, self.periodic, self.scaling = window, periodic, scaling
        self.padding, self.expand_dims = padding, expand_dims
        self.data_format = A.data_format(data_format)
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        for side, other in (("real", "imag"), ("imag", "real")):
            if self.mode != other:  # "real" and "imag" need one kernel, the others both
                init = initializers.STFT(side, self.window, self.scaling, self.periodic)
                kernel = self.add_weight(name=f"{side}_kernel", shape=shape, initializer=init)
                setattr(self, f"{side}_kernel", kernel)
        self.built = True

    def _conv(self, signals, kernel):
        """``(batch, channels, time, 1)`` signals -> ``(batch, channels, frames, bins)``."""
        kernel = tops.cast(tops.expand_dims(kernel, 0), signals.dtype)  # (1, length, 1, bins)
        return tops.nn.conv2d(signals, kernel, [1, 1, self._frame_step, 1], self.padding.upper())

    def _layout(self, y):
        """``(batch, channels, frames, bins)`` -> the output layout of ``data_format``."""
        if self.expand_dims:
            return tops.transpose(y, [0, 2, 3, 1]) if self.data_format == "channels_last" else y
        batch, channels, frames, bins = A.dynamic_shape(y)
        if self.data_format == "channels_last":
            return tops.reshape(tops.transpose(y, [0, 2, 1, 3]), [batch, frames, channels * bins])
        return tops.reshape(tops.transpose(y, [0, 1, 3, 2]), [batch, channels * bins, frames])

    def call(self, inputs):
        if inputs.dtype.name not in ("float16", "float32", "float64"):
            raise TypeError(
                "Invalid input type. Expected `float16`, `float32` or `float64`. "
                f"Received: input type={inputs.dtype.name}"
            )
        x = inputs if self.data_format == "channels_first" else tops.transpose(inputs, [0, 2, 1])
        x = tops.expand_dims(x, -1)
        real = None if self.mode == "imag" else self._conv(x, self.real_kernel)
        imag = None if self.mode == "real" else self._conv(x, self.imag_kernel)
        if self.mode in ("real", "imag"):
            return self._layout(real if self.mode == "real" else imag)
        if self.mode == "angle":
            return self._layout(tops.math.atan2(imag, real))
        if self.mode == "stft":
            return self._layout(tops.concat([real, imag], axis=-1))
        power = real * real + imag * imag
        if self.mode == "psd":  # the one-sided spectrum: each bin but DC and Nyquist doubled
            return self._layout(power + tops.pad(power[..., 1:-1], [[0, 0]] * 3 + [[1, 1]]))
        magnitude = self._layout(tops.sqrt(tops.maximum(power, _EPSILON)))
        if self.mode == "magnitude":
            return magnitude
        return tops.math.log(tops.maximum(magnitude, _EPSILON))

    def compute_output_shape(self, input_shape):
        batch, *rest = tuple(input_shape)
        time, channels = rest if self.data_format == "channels_last" else rest[::-1]
        bins = (self._fft_length // 2 + 1) * (2 if self.mode == "stft" else 1)
        frames = U.output_length(time, self.frame_length, self._frame_step, 1, self.padding)
        if self.expand_dims:
            if self.data_format == "channels_last":
                return (batch, frames, bins, channels)
            return (batch, channels, frames, bins)
        flat = None if channels is None else channels * bins
        if self.data_format == "channels_last":
            return (batch, frames, flat)
        return (batch, flat, frames)

    def get_config(self):
        return {
            **super().get_config(),
            "mode": self.mode,
            "frame_length": self.frame_length,
            "frame_step": self.frame_step,
            "fft_length": self.fft_length,
            "window": self.window,
            "periodic": self.periodic,
            "scaling": self.scaling,
            "padding": self.padding,
            "data_format": self.data_format,
            "expand_dims": self.expand_dims,
        }


class MelSpectrogram(Layer):
    """Mel spectrograms of ``(batch, time)`` (or ``(time,)``) signals: ``keras.ops.stft``
    (centered, ``window``), the magnitude to the power ``mag_exp``, ``num_mel_bins`` HTK mel
    filters over ``[min_freq, max_freq]`` and, with ``power_to_db``, decibels relative to
    ``ref_power`` floored ``top_db`` below the largest value; out ``(batch, num_mel_bins,
    frames)``."""

    def __init__(self, fft_length=2048, sequence_stride=512, sequence_length=None, window="hann",
                 sampling_rate=16000, num_mel_bins=128, min_freq=20.0, max_freq=None,
                 power_to_db=True, top_db=80.0, mag_exp=2.0, min_power=1e-10, ref_power=1.0,
                 **kwargs):  # fmt: skip
        self.fft_length, self.sequence_stride = fft_length, sequence_stride
        self.sequence_length = sequence_length or fft_length
        if self.fft_length < self.sequence_length:
            raise ValueError(
                "`fft_length` must be greater than or equal to   `sequence_length`. Received: "
                f"`sequence_length`={self.sequence_length}, `fft_length`={self.fft_length}."
            )
        self.window, self.sampling_rate, self.num_mel_bins = window, sampling_rate, num_mel_bins
        self.min_freq, self.max_freq = min_freq, max_freq or int(sampling_rate / 2)
        self.power_to_db, self.top_db, self.mag_exp = power_to_db, top_db, mag_exp
        self.min_power, self.ref_power = min_power, ref_power
        kwargs["name"] = kwargs.get("name") or U.default_name(type(self))
        super().__init__(**kwargs)

    def call(self, inputs):
        dtype = self.compute_dtype if self.compute_dtype in ("float32", "float64") else "float32"
        x = tops.cast(inputs, dtype)
        real, imag = _extra.stft(x, self.sequence_length, self.sequence_stride, self.fft_length,
                                 window=self.window, center=True)  # fmt: skip
        spec = tops.pow(tops.sqrt(real * real + imag * imag), self.mag_exp)
        matrix = tops.signal.linear_to_mel_weight_matrix(
            self.num_mel_bins, self.fft_length // 2 + 1, self.sampling_rate, self.min_freq,
            self.max_freq, dtype=dtype,
        )  # fmt: skip
        y = tops.matmul(spec, matrix)
        if self.power_to_db:
            y = self._decibels(y)
        rank = len(y.shape)
        y = tops.transpose(y, [*range(rank - 2), rank - 1, rank - 2])
        return tops.cast(y, self.compute_dtype)

    def _decibels(self, power):
        floor = tops.cast(self.min_power, power.dtype)
        db = 10.0 * tops.math.log(tops.maximum(power, floor)) / _pymath.log(10.0)
        ref = max(abs(self.ref_power), self.min_power)
        db = db - tops.cast(10.0 * _pymath.log10(ref), power.dtype)
        if self.top_db is None:
            return db
        return tops.maximum(db, tops.reduce_max(db) - self.top_db)

    def compute_output_shape(self, input_shape):
        *batch, time = tuple(input_shape)
        # Keras's formula (one frame more than the output has where the stride divides time + 1)
        frames = None if time is None else (time + self.sequence_stride + 1) // self.sequence_stride
        return (*batch, self.num_mel_bins, frames)

    def get_config(self):
        return {
            **super().get_config(),
            "fft_length": self.fft_length,
            "sequence_stride": self.sequence_stride,
            "sequence_length": self.sequence_length,
            "window": self.window,
            "sampling_rate": self.sampling_rate,
            "num_mel_bins": self.num_mel_bins,
            "min_freq": self.min_freq,
            "max_freq": self.max_freq,
            "power_to_db": self.power_to_db,
            "top_db": self.top_db,
            "mag_exp": self.mag_exp,
            "min_power": self.min_power,
            "ref_power": self.ref_power,
        }
