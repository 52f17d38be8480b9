"""Keras 3's learning-rate schedules: ``schedule(step)`` is ops on the step tensor, so a
schedule runs eagerly and inside ``tensorhouse_ops.function`` alike (no Python ``if`` on the
step; choices between formulas are ``where``)."""

from __future__ import annotations

import math

from tensorhouse_ops import (
    cast,
    convert_to_tensor,
    cos,
    equal,
    floor,
    greater,
    less,
    less_equal,
    log,
    logical_and,
    minimum,
    pow,
    where,
    zeros,
)
from tensorhouse_ops import math as tmath

__all__ = [
    "CosineDecay", "CosineDecayRestarts", "ExponentialDecay", "InverseTimeDecay",
    "LearningRateSchedule", "PiecewiseConstantDecay", "PolynomialDecay",
]  # fmt: skip


def _check_steps(name, value):
    if value <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value}")


class LearningRateSchedule:
    """Base class: ``__call__(step)`` gives the learning rate at ``step``."""

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `__call__(self, step)`."
        )

    def get_config(self):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `get_config()` in "
            "order to be serializable."
        )

    @classmethod
    def from_config(cls, config):
        """The schedule built from ``get_config()``'s dict."""
        return cls(**config)


class _StaircaseDecay(LearningRateSchedule):
    """The arguments and the progress ``step / decay_steps`` (floored with ``staircase``) that
    ExponentialDecay and InverseTimeDecay share."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase, name):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name
        _check_steps("decay_steps", decay_steps)

    def _progress(self, step):
        """The initial rate as a tensor, and ``step / decay_steps`` in its dtype."""
        lr = convert_to_tensor(self.initial_learning_rate)
        p = cast(step, lr.dtype) / cast(self.decay_steps, lr.dtype)
        return lr, floor(p) if self.staircase else p


class ExponentialDecay(_StaircaseDecay):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)`` (floored exponent with
    ``staircase``)."""

    def __init__(
        self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
        name="ExponentialDecay",
    ):  # fmt: skip
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        lr, p = self._progress(step)
        return lr * pow(cast(self.decay_rate, lr.dtype), p)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` up to ``boundaries[0]`` (inclusive), ``values[1]`` up to
    ``boundaries[1]``, ..., ``values[-1]`` after the last boundary."""

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, and "
                f"values={values} of length {len(values)}."
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        step = convert_to_tensor(step)
        bounds = [cast(convert_to_tensor(b), step.dtype) for b in self.boundaries]
        values = [convert_to_tensor(v) for v in self.values]
        dtype = values[0].dtype
        result = zeros([], dtype)
        result += cast(less_equal(step, bounds[0]), dtype) * values[0]
        result += cast(greater(step, bounds[-1]), dtype) * values[-1]
        for low, high, value in zip(bounds[:-1], bounds[1:], values[1:-1]):
            result += cast(logical_and(greater(step, low), less_equal(step, high)), dtype) * value
        return result

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """From ``initial_learning_rate`` to ``end_learning_rate`` along ``(1 - step /
    decay_steps) ** power``; with ``cycle`` the decay restarts at each multiple of
    ``decay_steps``."""

    def __init__(
        self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
        cycle=False, name="PolynomialDecay",
    ):  # fmt: skip
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name
        _check_steps("decay_steps", decay_steps)

    def __call__(self, step):
        lr = convert_to_tensor(self.initial_learning_rate)
        dtype = lr.dtype
        end = cast(self.end_learning_rate, dtype)
        t = cast(step, dtype)
        decay_steps = cast(self.decay_steps, dtype)
        if self.cycle:
            multiplier = where(equal(t, 0.0), 1.0, tmath.ceil(t / decay_steps))
            decay_steps = decay_steps * multiplier
        else:
            t = minimum(t, decay_steps)
        p = t / decay_steps
        return (lr - end) * pow(1.0 - p, cast(self.power, dtype)) + end

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class InverseTimeDecay(_StaircaseDecay):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)`` (floored ratio with
    ``staircase``)."""

    def __init__(
        self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
        name="InverseTimeDecay",
    ):  # fmt: skip
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        lr, p = self._progress(step)
        return lr / (1.0 + cast(self.decay_rate, lr.dtype) * p)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


def _cosine(fraction, alpha, dtype):
    """``(1 - alpha) * (1 + cos(pi * fraction)) / 2 + alpha``."""
    decayed = 0.5 * (1.0 + cos(cast(math.pi, dtype) * fraction))
    return (1.0 - alpha) * decayed + alpha


class CosineDecay(LearningRateSchedule):
    """Cosine decay from ``initial_learning_rate`` to ``alpha`` times it over ``decay_steps``;
    with ``warmup_target``, first a linear warmup to it over ``warmup_steps``."""

    def __init__(
        self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
        warmup_target=None, warmup_steps=0,
    ):  # fmt: skip
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target
        _check_steps("decay_steps", decay_steps)

    def __call__(self, step):
        lr = convert_to_tensor(self.initial_learning_rate)
        dtype = lr.dtype
        decay_steps = cast(self.decay_steps, dtype)
        t = cast(step, dtype)
        if self.warmup_target is None:
            t = minimum(t, decay_steps)
            return lr * _cosine(t / decay_steps, self.alpha, dtype)
        target = cast(self.warmup_target, dtype)
        warmup_steps = cast(self.warmup_steps, dtype)
        t = minimum(t, decay_steps + warmup_steps)
        warming = (target - lr) * (t / warmup_steps) + lr
        decaying = target * _cosine((t - warmup_steps) / decay_steps, self.alpha, dtype)
        return where(less(t, warmup_steps), warming, decaying)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): periods ``first_decay_steps * t_mul ** i``,
    peaks ``initial_learning_rate * m_mul ** i``."""

    def __init__(
        self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0,
        name="SGDRDecay",
    ):  # fmt: skip
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name
        _check_steps("first_decay_steps", first_decay_steps)

    def __call__(self, step):
        lr = convert_to_tensor(self.initial_learning_rate)
        dtype = lr.dtype
        alpha = cast(self.alpha, dtype)
        t_mul = cast(self._t_mul, dtype)
        fraction = cast(step, dtype) / cast(self.first_decay_steps, dtype)
        if self._t_mul == 1.0:
            restart = floor(fraction)
            fraction = fraction - restart
        else:
            restart = floor(log(1.0 - fraction * (1.0 - t_mul)) / log(t_mul))
            done = (1.0 - pow(t_mul, restart)) / (1.0 - t_mul)
            fraction = (fraction - done) / pow(t_mul, restart)
        peak = pow(cast(self._m_mul, dtype), restart)
        decayed = 0.5 * peak * (1.0 + cos(cast(math.pi, dtype) * fraction))
        return lr * ((1.0 - alpha) * decayed + alpha)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self._t_mul,
            "m_mul": self._m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }
