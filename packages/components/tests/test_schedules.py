"""Learning-rate schedules against values computed by hand, eagerly and inside ``ops.function``."""

import math

import numpy as np
import pytest

from tensorhouse_components import ops
from tensorhouse_components.optimizers import schedules

STEPS = [0, 1, 3, 5, 10, 15, 40]


def _cos(fraction):
    return 0.5 * (1 + math.cos(math.pi * fraction))


def _sgdr(step, lr=0.1, first=4, t_mul=2.0, m_mul=0.5, alpha=0.1):
    """Period i lasts first * t_mul**i steps and peaks at lr * m_mul**i."""
    start, period, i = 0.0, float(first), 0
    while step >= start + period:
        start, period, i = start + period, period * t_mul, i + 1
    return lr * ((1 - alpha) * m_mul**i * _cos((step - start) / period) + alpha)


CASES = [
    (schedules.ExponentialDecay(0.1, 4, 0.5), lambda t: 0.1 * 0.5 ** (t / 4)),
    (schedules.ExponentialDecay(0.1, 4, 0.5, staircase=True), lambda t: 0.1 * 0.5 ** (t // 4)),
    (
        schedules.PiecewiseConstantDecay([3, 10], [1.0, 0.5, 0.1]),
        lambda t: 1.0 if t <= 3 else 0.5 if t <= 10 else 0.1,
    ),
    (
        schedules.PolynomialDecay(0.1, 10, end_learning_rate=0.01, power=2.0),
        lambda t: 0.09 * (1 - min(t, 10) / 10) ** 2 + 0.01,
    ),
    (
        schedules.PolynomialDecay(0.1, 10, end_learning_rate=0.01, cycle=True),
        lambda t: 0.09 * (1 - t / (10 * max(1, math.ceil(t / 10)))) + 0.01,
    ),
    (schedules.InverseTimeDecay(0.1, 5, 0.5), lambda t: 0.1 / (1 + 0.5 * t / 5)),
    (schedules.InverseTimeDecay(0.1, 5, 0.5, staircase=True), lambda t: 0.1 / (1 + 0.5 * (t // 5))),
    (
        schedules.CosineDecay(0.1, 10, alpha=0.1),
        lambda t: 0.1 * (0.9 * _cos(min(t, 10) / 10) + 0.1),
    ),
    (
        schedules.CosineDecay(0.0, 10, warmup_target=0.2, warmup_steps=5),
        lambda t: 0.2 * t / 5 if t < 5 else 0.2 * _cos(min(t - 5, 10) / 10),
    ),
    (schedules.CosineDecayRestarts(0.1, 4, t_mul=2.0, m_mul=0.5, alpha=0.1), _sgdr),
    (
        schedules.CosineDecayRestarts(0.1, 4, t_mul=1.0, m_mul=0.5),
        lambda t: 0.1 * 0.5 ** (t // 4) * _cos((t % 4) / 4),
    ),
]


@pytest.mark.parametrize("schedule, expected", CASES, ids=[type(c[0]).__name__ for c in CASES])
def test_schedule_values_eager_and_traced(schedule, expected):
    want = [expected(t) for t in STEPS]
    eager = [float(schedule(ops.constant(t, dtype=ops.int64))) for t in STEPS]
    np.testing.assert_allclose(eager, want, rtol=1e-5, atol=1e-7)
    traced_fn = ops.function(lambda step: schedule(step))
    traced = [float(traced_fn(ops.constant(t, dtype=ops.int64))) for t in STEPS]
    np.testing.assert_allclose(traced, eager, rtol=1e-6, atol=1e-9)
    # A Python int step and a Variable step give the same values.
    np.testing.assert_allclose(float(schedule(5)), expected(5), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(float(schedule(ops.Variable(5, dtype=ops.int64))), expected(5),
                               rtol=1e-5, atol=1e-7)  # fmt: skip


def test_serialize_round_trip_and_config_keys():
    keys = {
        "ExponentialDecay": ["decay_rate", "decay_steps", "initial_learning_rate", "name",
                             "staircase"],
        "PiecewiseConstantDecay": ["boundaries", "name", "values"],
        "PolynomialDecay": ["cycle", "decay_steps", "end_learning_rate", "initial_learning_rate",
                            "name", "power"],
        "InverseTimeDecay": ["decay_rate", "decay_steps", "initial_learning_rate", "name",
                             "staircase"],
        "CosineDecay": ["alpha", "decay_steps", "initial_learning_rate", "name",
                        "warmup_steps", "warmup_target"],
        "CosineDecayRestarts": ["alpha", "first_decay_steps", "initial_learning_rate", "m_mul",
                                "name", "t_mul"],
    }  # fmt: skip
    for schedule, _ in CASES:
        data = schedules.serialize(schedule)
        assert data["module"] == "keras.optimizers.schedules"
        assert sorted(data["config"]) == keys[data["class_name"]]
        clone = schedules.deserialize(data)
        assert type(clone) is type(schedule) and clone.get_config() == schedule.get_config()
        np.testing.assert_allclose(float(clone(7)), float(schedule(7)))
    assert schedules.CosineDecayRestarts(0.1, 4).name == "SGDRDecay"
    assert schedules.PiecewiseConstantDecay([1], [1.0, 2.0]).name == "PiecewiseConstant"


def test_bad_arguments():
    with pytest.raises(ValueError, match="decay_steps=0"):
        schedules.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="first_decay_steps=-1"):
        schedules.CosineDecayRestarts(0.1, -1)
    with pytest.raises(ValueError, match="length of boundaries"):
        schedules.PiecewiseConstantDecay([1, 2], [1.0, 2.0])
    with pytest.raises(NotImplementedError, match="__call__"):
        schedules.LearningRateSchedule()(0)


def test_custom_schedule_subclass_drives_an_optimizer():
    from tensorhouse_components import optimizers

    class Halving(schedules.LearningRateSchedule):
        def __call__(self, step):
            return 1.0 / ops.pow(2.0, ops.cast(step, ops.float32))

        def get_config(self):
            return {}

    opt = optimizers.SGD(Halving())
    w = ops.Variable(np.zeros(2, np.float32))
    step = ops.function(lambda g: opt.apply([g], [w]))
    for _ in range(3):
        step(ops.ones([2]))
    np.testing.assert_allclose(w.numpy(), [-1.75, -1.75])
