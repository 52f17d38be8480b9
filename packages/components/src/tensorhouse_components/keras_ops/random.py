"""Keras 3's random functions and ``SeedGenerator`` on the ops layer.

Seeds follow Keras: an integer seed gives the same numbers on every call; a ``SeedGenerator``
gives a new, reproducible draw on each call (its state ``[seed, counter]`` advances and is the
stateless ops' seed tensor, so a traced function draws the same numbers as eager calls, new ones
on each call); ``None`` draws from the ops layer's global seed (``utils.set_random_seed``).
"""

from __future__ import annotations

import itertools
import random as _pyrandom

import numpy as np

import tensorhouse_ops as tops

from ._dtypes import standardize_dtype, to_tensor

__all__ = [
    "SeedGenerator", "beta", "binomial", "categorical", "dropout", "gamma", "normal", "randint",
    "shuffle", "truncated_normal", "uniform",
]  # fmt: skip

_t = to_tensor
_names = itertools.count()


class SeedGenerator:
    """A random seed state (a non-trainable int64 Variable ``[seed, counter]``) for random ops."""

    def __init__(self, seed=None, name=None, **kwargs):
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
        n = next(_names)
        self.name = name or ("seed_generator" if n == 0 else f"seed_generator_{n}")
        self._initial_seed = seed
        if seed is None:
            seed = _pyrandom.randint(1, int(1e9))
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"Argument `seed` must be an integer. Received: seed={seed}")
        self._seed = seed
        self.state = tops.Variable(
            np.array([seed, 0], dtype=np.int64), trainable=False, name="seed_generator_state"
        )

    def next(self, ordered=True):
        """The current state; the counter moves on."""
        value = self.state * 1
        if ordered:
            self.state.assign_add(tops.constant([0, 1], dtype="int64"))
        else:
            self.state.assign((self.state + 1) * 5387 % 933199)
        return value

    def get_config(self):
        """``{"seed": ..., "name": ...}``."""
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        """A generator from ``get_config``'s dict."""
        return cls(**config)


def _seed(seed):
    """``("stateless", seed tensor [a, b])``, ``("stateful", op_seed)`` or
    ``("stateful", None)``."""
    if isinstance(seed, SeedGenerator):
        return "stateless", seed.next()
    if isinstance(seed, int) and not isinstance(seed, bool):
        return "stateless", tops.constant([seed & 0xFFFFFFFF, 0], dtype="int64")
    if seed is None:
        return "stateful", None
    raise ValueError(
        "Argument `seed` must be either an integer or an instance of `SeedGenerator`. "
        f"Received: seed={seed} (of type {type(seed)})"
    )


def _shape(shape):
    """A shape: ints, or (inside a traced function) a shape tensor or scalar tensors."""
    if isinstance(shape, int):
        return [shape]
    if tops.is_tensor(shape):
        return shape
    return [d if tops.is_tensor(d) else int(d) for d in shape]


def _float_dtype(dtype, name):
    dtype = standardize_dtype(dtype)
    if not tops.as_dtype(dtype).is_floating:
        raise ValueError(
            f"`keras.random.{name}` requires a floating point `dtype`. Received: dtype={dtype} "
        )
    return dtype


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal draws of ``shape``."""
    dtype = _float_dtype(dtype, "normal")
    kind, s = _seed(seed)
    if kind == "stateless":
        return tops.random.stateless_normal(_shape(shape), s, mean, stddev, dtype=dtype)
    return tops.random.normal(_shape(shape), mean, stddev, dtype=dtype, seed=s)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Uniform draws in ``[minval, maxval)``."""
    dtype = _float_dtype(dtype, "uniform")
    kind, s = _seed(seed)
    if kind == "stateless":
        return tops.random.stateless_uniform(_shape(shape), s, minval, maxval, dtype=dtype)
    return tops.random.uniform(_shape(shape), minval, maxval, dtype=dtype, seed=s)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal draws redrawn beyond two standard deviations."""
    dtype = _float_dtype(dtype, "truncated_normal")
    kind, s = _seed(seed)
    if kind == "stateless":
        return tops.random.stateless_truncated_normal(_shape(shape), s, mean, stddev, dtype=dtype)
    return tops.random.truncated_normal(_shape(shape), mean, stddev, dtype=dtype, seed=s)


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers in ``[minval, maxval)``."""
    dtype = standardize_dtype(dtype)
    if not tops.as_dtype(dtype).is_integer:
        raise ValueError(
            f"`keras.random.randint` requires an integer `dtype`. Received: dtype={dtype} "
        )
    u = uniform(shape, 0.0, 1.0, dtype="float64", seed=seed)
    lo, hi = tops.cast(_t(minval), "float64"), tops.cast(_t(maxval), "float64")
    values = tops.floor(lo + u * (hi - lo))
    return tops.cast(tops.minimum(values, hi - 1), dtype)


def dropout(inputs, rate, noise_shape=None, seed=None):
    """``inputs`` with entries zeroed with probability ``rate``, the rest scaled by
    ``1 / (1 - rate)``."""
    if not tops.is_tensor(rate) and (not isinstance(rate, int | float) or not 0 <= rate < 1):
        raise ValueError(
            f"`rate` must be a scalar tensor or a float in the range [0, 1). Received: rate={rate}"
        )
    x = _t(inputs)
    shape = x.shape.as_list()
    if noise_shape is not None:
        shape = [d if n is None else n for n, d in zip(noise_shape, shape)]
    keep = tops.greater_equal(uniform(shape, dtype=x.dtype.name, seed=seed), _t(rate, x.dtype))
    scaled = x / (1.0 - _t(rate, x.dtype))
    return tops.where(tops.broadcast_to(keep, x.shape), scaled, tops.zeros_like(x))


def shuffle(x, axis=0, seed=None):
    """``x`` in a random order along ``axis``."""
    x = _t(x)
    keys = uniform([x.shape[axis]], seed=seed)
    return tops.gather(x, tops.argsort(keys, stable=True), axis=axis)


def categorical(logits, num_samples, dtype="int32", seed=None):
    """``num_samples`` class ids per row of ``logits`` (unnormalized log-probabilities)."""
    logits = _t(logits)
    if len(logits.shape) != 2:
        raise ValueError(
            "`logits` should be a 2-D tensor with shape [batch_size, num_classes]. "
            f"Received: logits={logits}"
        )
    if not logits.dtype.is_floating:
        logits = tops.cast(logits, "float32")
    batch, classes = logits.shape
    u = uniform([batch, num_samples, classes], dtype=logits.dtype.name, seed=seed)
    tiny = _t(np.finfo(logits.dtype.name).tiny, logits.dtype)
    gumbel = -tops.math.log(-tops.math.log(tops.maximum(u, tiny)))
    scores = tops.expand_dims(logits, 1) + gumbel
    return tops.cast(tops.argmax(scores, axis=-1), standardize_dtype(dtype))


def _seed_pair(seed):
    """A stateless seed tensor for Keras's stateless-only samplers: the seed's own, or one drawn
    by the ops layer's stateful op under its seed rules (new on each call of a traced function,
    as Keras's TF backend draws from its global ``SeedGenerator``)."""
    kind, s = _seed(seed)
    if kind == "stateless":
        return s
    return tops.random.uniform([2], 0, 2**31 - 1, dtype="int64", seed=s)


def gamma(shape, alpha, dtype=None, seed=None):
    """Gamma(alpha) draws of ``shape`` (``tf.random.stateless_gamma``, as Keras's TF backend)."""
    dtype = standardize_dtype(dtype)
    work = "float32" if dtype == "bfloat16" else dtype
    return tops.cast(_gamma(_shape(shape), _t(alpha, work), _seed(seed), work), dtype)


def _gamma(shape, alpha, seed, dtype):
    """Gamma draws, ``alpha`` broadcast to ``shape``, for a resolved ``_seed``: stateless for a
    seed pair; else the stateful ``tf.random.gamma``, so a traced function draws anew."""
    kind, s = seed
    if kind == "stateless":
        return tops.random.stateless_gamma(shape, s, tops.broadcast_to(alpha, shape), dtype=dtype)
    return tops.random.gamma([], tops.broadcast_to(alpha, shape), dtype=dtype, seed=s)


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Binomial draws of ``shape`` (``tf.random.stateless_binomial``, as Keras's TF backend)."""
    dtype = standardize_dtype(dtype)
    work = "float32" if dtype == "bfloat16" else dtype
    out = tops.random.stateless_binomial(
        _shape(shape), _seed_pair(seed), counts, probabilities, output_dtype=work
    )
    return tops.cast(out, dtype)


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Beta(alpha, beta) draws of ``shape``: ``X / (X + Y)`` for gammas ``X``, ``Y`` drawn with
    the seed and the seed plus 12, as Keras's TF backend."""
    dtype = standardize_dtype(dtype)
    work = "float32" if dtype == "bfloat16" else dtype
    shape = _shape(shape)
    seed_1 = kind, s = _seed(seed)
    # a seed tensor or op seed plus 12; None: two stateful ops, each with its own seeds
    seed_2 = (kind, None if s is None else s + 12)
    gamma_a = tops.cast(_gamma(shape, _t(alpha, work), seed_1, work), dtype)
    gamma_b = tops.cast(_gamma(shape, _t(beta, work), seed_2, work), dtype)
    return gamma_a / (gamma_a + gamma_b)
