"""Regularization layers: ``SpatialDropout1D/2D/3D``, ``GaussianNoise``, ``GaussianDropout``,
``AlphaDropout``, ``ActivityRegularization``.

The random layers draw inside ``call`` with the ops layer's seeded random ops, so a traced
function draws new numbers on every run, and they act only when ``training`` is true.
"""

from __future__ import annotations

import math as _pymath

from tensorhouse_ops import cast, math, random, zeros

from ._args import check_ndim, check_rate, dynamic_shape, per_batch
from ._args import data_format as _data_format
from ._core import Dropout
from ._layer import Layer

__all__ = [
    "ActivityRegularization", "AlphaDropout", "GaussianDropout", "GaussianNoise",
    "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
]  # fmt: skip


def _keep_mask(shape, rate, dtype, seed):
    return cast(math.greater_equal(random.uniform(shape, dtype=dtype, seed=seed), rate), dtype)


class _SpatialDropout(Dropout):
    """Drops whole feature maps: one draw per (sample, channel), shared over the spatial axes."""

    _rank = 0

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None):
        super().__init__(check_rate(rate), seed=seed, name=name, dtype=dtype)
        self.data_format = _data_format(data_format)
        self.supports_masking = True

    def _noise_shape(self, dims):
        ones = [1] * self._rank
        if self.data_format == "channels_first":
            return [dims[0], dims[1], *ones]
        return [dims[0], *ones, dims[-1]]

    def build(self, input_shape):
        check_ndim(self, input_shape, self._rank + 2)
        self.built = True

    def call(self, inputs, training=None):
        check_ndim(self, inputs.shape.as_list(), self._rank + 2)
        dims = dynamic_shape(inputs)
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return inputs * 0.0
        keep = _keep_mask(self._noise_shape(dims), self.rate, inputs.dtype, self.seed)
        return inputs * keep / (1.0 - self.rate)

    def get_config(self):
        dtype = super().get_config()["dtype"]  # the policy, as a dict unless float32
        cfg = {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": dtype}
        if self._rank > 1:
            cfg["data_format"] = self.data_format
        return cfg


class SpatialDropout1D(_SpatialDropout):
    """Dropout of whole channels of ``(batch, steps, channels)``."""

    _rank = 1

    def __init__(self, rate, seed=None, name=None, dtype=None):
        super().__init__(rate, None, seed=seed, name=name, dtype=dtype)


class SpatialDropout2D(_SpatialDropout):
    """Dropout of whole channels of a 4-D input (``data_format`` says where channels are)."""

    _rank = 2

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None):
        super().__init__(rate, data_format, seed=seed, name=name, dtype=dtype)


class SpatialDropout3D(_SpatialDropout):
    """Dropout of whole channels of a 5-D input (``data_format`` says where channels are)."""

    _rank = 3

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None):
        super().__init__(rate, data_format, seed=seed, name=name, dtype=dtype)


class _Noise(Layer):
    supports_masking = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class GaussianNoise(_Noise):
    """Adds zero-mean Gaussian noise of standard deviation ``stddev`` while training."""

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.stddev = check_rate(stddev, "stddev")
        self.seed = seed

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        noise = random.normal(
            dynamic_shape(inputs), stddev=self.stddev, dtype=inputs.dtype, seed=self.seed
        )
        return inputs + noise

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(_Noise):
    """Multiplies by Gaussian noise of mean 1 and standard deviation ``sqrt(rate / (1 - rate))``
    while training."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check_rate(rate)
        self.seed = seed

    def call(self, inputs, training=False):
        if not training or not 0 < self.rate < 1:
            return inputs
        stddev = _pymath.sqrt(self.rate / (1.0 - self.rate))
        noise = random.normal(
            dynamic_shape(inputs), mean=1.0, stddev=stddev, dtype=inputs.dtype, seed=self.seed
        )
        return inputs * noise

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


# SELU's constants: dropped units are set to SELU's saturation value -alpha * scale.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class AlphaDropout(_Noise):
    """Dropout that keeps SELU's self-normalizing mean and variance while training.

    Dropped units take the value ``-alpha * scale`` of SELU, then ``a * x + b`` restores the
    mean and variance: ``a = ((1 - rate) * (1 + rate * alpha_p**2)) ** -0.5``,
    ``b = -a * alpha_p * rate``.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check_rate(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        dims = dynamic_shape(inputs)
        if self.noise_shape is not None:
            dims = [s if n is None else n for s, n in zip(dims, self.noise_shape)]
        keep = _keep_mask(dims, self.rate, inputs.dtype, self.seed)
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        a = ((1 - self.rate) * (1 + self.rate * alpha_p**2)) ** -0.5
        b = -a * alpha_p * self.rate
        x = inputs * keep + alpha_p * (1.0 - keep)
        return a * x + b

    def get_config(self):
        noise = None if self.noise_shape is None else list(self.noise_shape)
        return {**super().get_config(), "rate": self.rate, "seed": self.seed,
                "noise_shape": noise}  # fmt: skip


class ActivityRegularization(_Noise):
    """Passes its input through and adds ``(l1 * sum|x| + l2 * sum(x**2)) / batch_size`` to
    ``losses`` on every call (Keras 3 divides activity penalties by the batch size)."""

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(**kwargs)
        self.l1 = float(l1)
        self.l2 = float(l2)

    def call(self, inputs):
        x = cast(inputs, "float32") if inputs.dtype.name in ("float16", "bfloat16") else inputs
        loss = zeros([], dtype=x.dtype)
        if self.l1:
            loss = loss + self.l1 * math.reduce_sum(math.abs(x))
        if self.l2:
            loss = loss + self.l2 * math.reduce_sum(math.square(x))
        self.add_loss(per_batch(loss, inputs) if inputs.shape.rank else loss)
        return inputs

    def get_config(self):
        return {**super().get_config(), "l1": self.l1, "l2": self.l2}
