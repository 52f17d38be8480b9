"""Initializers: bounds and moments against the formulas, and TF's seed rules."""

import math

import numpy as np
import pytest

from tensorhouse_components import initializers, utils


def test_glorot_uniform_limits():
    fan_in, fan_out = 300, 200
    values = initializers.GlorotUniform(seed=1)((fan_in, fan_out)).numpy()
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    assert values.dtype == np.float32
    assert values.min() >= -limit and values.max() <= limit
    assert values.max() > 0.99 * limit and values.min() < -0.99 * limit
    # Uniform(-l, l) has variance l^2 / 3 = 2 / (fan_in + fan_out).
    np.testing.assert_allclose(values.var(), 2.0 / (fan_in + fan_out), rtol=0.03)


def test_glorot_normal_and_he_normal_std_and_truncation():
    values = initializers.GlorotNormal(seed=2)((400, 600)).numpy()
    std = math.sqrt(2.0 / 1000)
    np.testing.assert_allclose(values.std(), std, rtol=0.03)
    bound = 2 * std / 0.87962566103423978
    assert np.abs(values).max() <= bound * (1 + 1e-6)
    he = initializers.HeNormal(seed=3)((500, 100)).numpy()
    np.testing.assert_allclose(he.std(), math.sqrt(2.0 / 500), rtol=0.03)


def test_random_uniform_normal_constant():
    u = initializers.RandomUniform(-0.5, 0.25, seed=4)((10000,)).numpy()
    assert u.min() >= -0.5 and u.max() <= 0.25
    np.testing.assert_allclose(u.mean(), -0.125, atol=0.01)
    n = initializers.RandomNormal(1.0, 2.0, seed=5)((20000,)).numpy()
    np.testing.assert_allclose([n.mean(), n.std()], [1.0, 2.0], atol=0.05)
    np.testing.assert_array_equal(initializers.Constant(3.5)((2, 2)).numpy(), np.full((2, 2), 3.5))
    np.testing.assert_array_equal(initializers.Zeros()((3,)).numpy(), np.zeros(3))
    np.testing.assert_array_equal(initializers.Ones()((3,), dtype="float64").numpy(), np.ones(3))


def test_explicit_seed_repeats():
    a = initializers.GlorotUniform(seed=7)((3, 4)).numpy()
    b = initializers.GlorotUniform(seed=7)((3, 4)).numpy()
    c = initializers.GlorotUniform(seed=8)((3, 4)).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_seed_none_follows_the_global_seed():
    utils.set_random_seed(11)
    first = [initializers.GlorotUniform()((3, 3)).numpy() for _ in range(2)]
    utils.set_random_seed(11)
    second = [initializers.GlorotUniform()((3, 3)).numpy() for _ in range(2)]
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(first[0], first[1])


def test_get_and_config_round_trip():
    assert isinstance(initializers.get("glorot_uniform"), initializers.GlorotUniform)
    assert isinstance(initializers.get("Zeros"), initializers.Zeros)
    init = initializers.VarianceScaling(2.0, "fan_out", "uniform", seed=3)
    clone = initializers.deserialize(initializers.serialize(init))
    assert clone.get_config() == init.get_config()
    np.testing.assert_array_equal(clone((4, 5)).numpy(), init((4, 5)).numpy())
    with pytest.raises(ValueError, match="'glorot'"):
        initializers.get("glorot")


def test_compute_fans():
    assert initializers.compute_fans((3, 4)) == (3, 4)
    assert initializers.compute_fans((5,)) == (5, 5)
    assert initializers.compute_fans((3, 3, 8, 16)) == (72, 144)


def test_orthogonal_is_orthonormal_and_resolvable_by_name():
    from tensorhouse_components import initializers

    w = initializers.get("orthogonal")((6, 4)).numpy()
    np.testing.assert_allclose(w.T @ w, np.eye(4), atol=1e-5)
    w = initializers.Orthogonal(gain=2.0, seed=3)((3, 5)).numpy()
    np.testing.assert_allclose(w @ w.T, 4 * np.eye(3), atol=1e-4)
    np.testing.assert_array_equal(w, initializers.Orthogonal(gain=2.0, seed=3)((3, 5)).numpy())
    assert initializers.serialize(initializers.Orthogonal(seed=1))["class_name"] == "Orthogonal"
    with pytest.raises(ValueError, match="two-dimensional"):
        initializers.Orthogonal()((3,))
