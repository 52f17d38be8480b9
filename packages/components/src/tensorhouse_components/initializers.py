"""Weight initializers (``keras.initializers``), drawn with ``tensorhouse_ops.random``.

Seeds follow Keras 3: an initializer built with ``seed=None`` draws with ``ops.random``'s
stateful ops, so the op seed comes from the global seed (``utils.set_random_seed``) and a
program that sets the global seed repeats its weights; an integer seed draws with the
stateless ops (``stateless_*``, seed ``[seed, 0]``), so it gives the same values on every call
(TF's stateful ops with an op seed draw new numbers on each call).
"""

from __future__ import annotations

import math as _pymath

from tensorhouse_ops import abs as _abs
from tensorhouse_ops import (
    acos,
    cast,
    concat,
    convert_to_tensor,
    cos,
    dtypes,
    eye,
    fill,
    less,
    maximum,
    minimum,
    random,
    reduce_sum,
    reshape,
    sin,
    sqrt,
    transpose,
)
from tensorhouse_ops import range as _range

from . import _serialization, _windows

__all__ = [
    "Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Identity", "Initializer",
    "LecunNormal", "LecunUniform", "Ones", "Orthogonal", "RandomNormal", "RandomUniform", "STFT",
    "STFTInitializer", "TruncatedNormal", "VarianceScaling", "Zeros", "compute_fans",
    "deserialize", "get", "identity", "serialize",
    # Keras 3's other spellings of the same classes
    "IdentityInitializer", "OrthogonalInitializer", "constant", "glorot_normal", "glorot_uniform",
    "he_normal", "he_uniform", "lecun_normal", "lecun_uniform", "ones", "orthogonal",
    "random_normal", "random_uniform", "stft", "truncated_normal", "variance_scaling", "zeros",
]  # fmt: skip


def _dtype(dtype):
    return dtypes.as_dtype(dtype or "float32")


def compute_fans(shape, input_axes=None, output_axes=None):
    """Keras's fans: (fan_in, fan_out) of a weight shape; conv kernels count the receptive field;
    given both ``input_axes`` and ``output_axes``, the products of those dims."""
    shape = tuple(int(d) for d in shape)
    if input_axes is not None and output_axes is not None:
        return _pymath.prod(shape[a] for a in input_axes), _pymath.prod(
            shape[a] for a in output_axes
        )
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = _pymath.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    """Base class: ``initializer(shape, dtype=None)`` returns a tensor."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype)")

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def clone(self):
        return type(self).from_config(self.get_config())

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return fill(list(shape), self.value, dtype=_dtype(dtype))

    def get_config(self):
        return {"value": self.value}


class Zeros(Constant):
    def __init__(self):
        super().__init__(0.0)

    def get_config(self):
        return {}


class Ones(Constant):
    def __init__(self):
        super().__init__(1.0)

    def get_config(self):
        return {}


def _check_seed(seed, cls):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ValueError(f"{cls}: `seed` must be an int or None. Received: seed={seed!r}")
    return seed


class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval = minval, maxval
        self.seed = _check_seed(seed, "RandomUniform")

    def __call__(self, shape, dtype=None):
        return _uniform(list(shape), self.minval, self.maxval, _dtype(dtype), self.seed)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev = mean, stddev
        self.seed = _check_seed(seed, "RandomNormal")

    def __call__(self, shape, dtype=None):
        return _normal(list(shape), self.mean, self.stddev, _dtype(dtype), self.seed)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


def _uniform(shape, minval, maxval, dtype, seed):
    if seed is None:
        return random.uniform(shape, minval, maxval, dtype=dtype)
    return random.stateless_uniform(shape, [seed, 0], minval, maxval, dtype=dtype)


def _normal(shape, mean, stddev, dtype, seed):
    if seed is None:
        return random.normal(shape, mean, stddev, dtype)
    return random.stateless_normal(shape, [seed, 0], mean, stddev, dtype=dtype)


def _truncated_standard_normal(shape, dtype, seed, rounds=6):
    """A standard normal cut at two standard deviations.

    Seeded: the stateless truncated normal. Unseeded: rejection sampling in ops, each round
    replacing the values outside (-2, 2) with fresh draws (a 4.6% chance per value per round),
    so after six rounds about one value in 10^8 is still outside; those are clipped.
    """
    if seed is not None:
        return random.stateless_truncated_normal(shape, [seed, 0], dtype=dtype)
    z = random.normal(shape, dtype=dtype)
    for _ in range(rounds - 1):
        keep = cast(less(_abs(z), 2.0), dtype)
        z = z * keep + random.normal(shape, dtype=dtype) * (1.0 - keep)
    return minimum(maximum(z, -2.0), 2.0)


class TruncatedNormal(Initializer):
    """Normal values cut at two standard deviations from the mean (Keras's default bounds)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev = mean, stddev
        self.seed = _check_seed(seed, "TruncatedNormal")

    def __call__(self, shape, dtype=None):
        z = _truncated_standard_normal(list(shape), _dtype(dtype), self.seed)
        return z * self.stddev + self.mean

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class VarianceScaling(Initializer):
    """Keras's ``VarianceScaling``: variance ``scale / n``, n from the fans by ``mode``."""

    _MODES = ("fan_in", "fan_out", "fan_avg")
    _DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None):  # fmt: skip
        if scale <= 0.0:
            raise ValueError(f"`scale` must be positive. Received: scale={scale}")
        if mode not in self._MODES:
            raise ValueError(f"Invalid `mode`: {mode!r}. Valid: {', '.join(self._MODES)}")
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in self._DISTRIBUTIONS:
            raise ValueError(
                f"Invalid `distribution`: {distribution!r}. Valid: {', '.join(self._DISTRIBUTIONS)}"
            )
        self.scale, self.mode, self.distribution = scale, mode, distribution
        self.seed = _check_seed(seed, type(self).__name__)
        self.input_axes, self.output_axes = input_axes, output_axes

    def _n(self, shape):
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        if self.mode == "fan_in":
            return max(1.0, fan_in)
        if self.mode == "fan_out":
            return max(1.0, fan_out)
        return max(1.0, (fan_in + fan_out) / 2.0)

    def __call__(self, shape, dtype=None):
        shape, dtype = list(shape), _dtype(dtype)
        variance = self.scale / self._n(shape)
        if self.distribution == "uniform":
            limit = _pymath.sqrt(3.0 * variance)
            return _uniform(shape, -limit, limit, dtype, self.seed)
        if self.distribution == "untruncated_normal":
            return _normal(shape, 0.0, _pymath.sqrt(variance), dtype, self.seed)
        # 0.87962566103423978: the stddev of a standard normal truncated to (-2, 2).
        stddev = _pymath.sqrt(variance) / 0.87962566103423978
        return _truncated_standard_normal(shape, dtype, self.seed) * stddev

    def get_config(self):
        return {
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "seed": self.seed,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


def _preset_config(self):
    return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


class GlorotUniform(VarianceScaling):
    """Uniform in ``[-limit, limit]``, ``limit = sqrt(6 / (fan_in + fan_out))``."""

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(1.0, "fan_avg", "uniform", seed, input_axes, output_axes)

    get_config = _preset_config


class GlorotNormal(VarianceScaling):
    """Truncated normal, ``stddev = sqrt(2 / (fan_in + fan_out))``."""

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(1.0, "fan_avg", "truncated_normal", seed, input_axes, output_axes)

    get_config = _preset_config


class HeNormal(VarianceScaling):
    """Truncated normal, ``stddev = sqrt(2 / fan_in)``."""

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(2.0, "fan_in", "truncated_normal", seed, input_axes, output_axes)

    get_config = _preset_config


class HeUniform(VarianceScaling):
    """Uniform in ``[-limit, limit]``, ``limit = sqrt(6 / fan_in)``."""

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(2.0, "fan_in", "uniform", seed, input_axes, output_axes)

    get_config = _preset_config


class LecunNormal(VarianceScaling):
    """Truncated normal, ``stddev = sqrt(1 / fan_in)``."""

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(1.0, "fan_in", "truncated_normal", seed, input_axes, output_axes)

    get_config = _preset_config


class LecunUniform(VarianceScaling):
    """Uniform in ``[-limit, limit]``, ``limit = sqrt(3 / fan_in)``."""

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(1.0, "fan_in", "uniform", seed, input_axes, output_axes)

    get_config = _preset_config


class Orthogonal(Initializer):
    """Keras's ``Orthogonal``: an orthonormal matrix (Gram-Schmidt of a normal draw), times
    ``gain``."""

    def __init__(self, gain=1.0, seed=None):
        self.gain = gain
        self.seed = _check_seed(seed, "Orthogonal")

    def __call__(self, shape, dtype=None):
        shape = [int(d) for d in shape]
        if len(shape) < 2:
            raise ValueError(
                "The tensor to initialize must be at least two-dimensional. "
                f"Received: shape={tuple(shape)} of rank {len(shape)}."
            )
        dtype = dtypes.as_dtype(dtype or "float32")
        rows, cols = 1, shape[-1]
        for d in shape[:-1]:
            rows *= d
        n, k = max(rows, cols), min(rows, cols)
        # The rows of ``a`` are the vectors to orthogonalize.
        a = _normal([k, n], 0.0, 1.0, dtype, self.seed)
        basis = []
        for j in range(k):
            v = a[j]
            for q in basis:  # modified Gram-Schmidt: positive diagonal of R, as QR * sign(diag)
                v = v - reduce_sum(v * q) * q
            basis.append(v / sqrt(reduce_sum(v * v)))
        q = transpose(concat([reshape(b, [1, n]) for b in basis], axis=0))  # (n, k)
        if rows < cols:
            q = transpose(q)
        return reshape(q, shape) * self.gain

    def get_config(self):
        return {"seed": self.seed, "gain": self.gain}


class Identity(Initializer):
    """Keras's ``Identity``: ``gain`` times the identity matrix (2-D shapes only)."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = [int(d) for d in shape]
        if len(shape) != 2:
            raise ValueError(
                "Identity matrix initializer can only be used for 2D matrices. "
                f"Received: shape={tuple(shape)} of rank {len(shape)}."
            )
        return self.gain * eye(shape[0], shape[1], dtype=_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain}


class STFT(Initializer):
    """Keras's ``STFT``: a ``(frame_length, 1, fft_length // 2 + 1)`` convolution kernel whose
    outputs are the real (``side="real"``, cosines) or imaginary (``"imag"``, sines) parts of a
    short-time Fourier transform, times ``window`` (a ``scipy.signal.get_window`` name or
    ``(name, *params)`` tuple, periodic when ``periodic``; an array; or None), divided by the
    window's L2 (``scaling="density"``) or L1 (``"spectrum"``) norm."""

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ("real", "imag"):
            raise ValueError(f"side should be 'real' or 'imag', not {side}")
        if isinstance(window, str):  # (a tuple is checked when the window is made)
            _windows.get_window(window, 1)  # an unknown name raises SciPy's ValueError
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(
                "Scaling is invalid, it must be `None`, 'density' or 'spectrum'. "
                f"Received scaling={scaling}"
            )
        self.side, self.window, self.scaling, self.periodic = side, window, scaling, periodic

    def __call__(self, shape, dtype=None):
        dtype = _dtype(dtype)
        frame_length, _, bins = (int(d) for d in shape)
        # Keras's arithmetic, in ``dtype``: angle = -2 t (f / fft_length) pi
        freq = reshape(_range(bins, dtype=dtype), [1, 1, bins]) / float((bins - 1) * 2)
        time = reshape(_range(frame_length, dtype=dtype), [frame_length, 1, 1])
        angle = (-2.0 * time) * freq * acos(convert_to_tensor(-1.0, dtype=dtype))
        kernel = cos(angle) if self.side == "real" else sin(angle)
        if self.window is None:
            return kernel
        win = self.window
        if isinstance(win, (str, tuple)):
            win = _windows.get_window(win, frame_length, bool(self.periodic))
        win = cast(convert_to_tensor(win), dtype)
        if tuple(win.shape) != (frame_length,):
            raise ValueError(
                "The shape of `window` must be equal to [frame_length]."
                f"Received: window shape={tuple(win.shape)}"
            )
        win = reshape(win, [frame_length, 1, 1])
        scale = 1.0
        if self.scaling == "density":
            scale = sqrt(reduce_sum(win * win))
        elif self.scaling == "spectrum":
            scale = reduce_sum(_abs(win))
        return kernel * win / scale

    def get_config(self):
        return {
            "side": self.side,
            "window": self.window,
            "periodic": self.periodic,
            "scaling": self.scaling,
        }


identity = IdentityInitializer = Identity
OrthogonalInitializer = Orthogonal
stft = STFTInitializer = STFT

_CLASSES = (
    Constant, GlorotNormal, GlorotUniform, HeNormal, HeUniform, Identity, LecunNormal,
    LecunUniform, Ones,
    Orthogonal, RandomNormal, RandomUniform, STFT, TruncatedNormal, VarianceScaling, Zeros,
)  # fmt: skip
_TABLE = {c.__name__: c for c in _CLASSES} | {
    _serialization.snake_case(c.__name__): c for c in _CLASSES
}
constant, zeros, ones, orthogonal = Constant, Zeros, Ones, Orthogonal
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling, glorot_normal, glorot_uniform = VarianceScaling, GlorotNormal, GlorotUniform
he_normal, he_uniform, lecun_normal, lecun_uniform = HeNormal, HeUniform, LecunNormal, LecunUniform


def serialize(initializer) -> dict:
    return _serialization.serialize(initializer, "keras.initializers")


def deserialize(config, custom_objects=None):
    return _serialization.deserialize(config, _TABLE, "initializer", custom_objects)


def get(identifier, custom_objects=None):
    """A name (``"glorot_uniform"``), a config dict, an Initializer, or any callable."""
    return _serialization.resolve(identifier, _TABLE, "initializer", custom_objects)
