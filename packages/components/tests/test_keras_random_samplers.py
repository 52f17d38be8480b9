"""keras.random's gamma, binomial and beta (Keras 3's TF backend composition): distributions
against scipy.stats, seeds and dtypes."""

import numpy as np
import pytest

import tensorhouse_ops as tops
from tensorhouse_components import keras_ops

stats = pytest.importorskip("scipy.stats")
random = keras_ops.random
N = 20000
KS_LIMIT = 1.95 / np.sqrt(N)  # the KS statistic's 0.1% critical value


def test_gamma_and_beta_match_scipy():
    g = random.gamma([N], 1.7, dtype="float64", seed=3).numpy()
    assert stats.kstest(g, stats.gamma(1.7).cdf).statistic < KS_LIMIT
    b = random.beta([N, 2], [2.0, 0.5], [3.0, 0.5], dtype="float64", seed=4).numpy()
    for j, (a, c) in enumerate([(2.0, 3.0), (0.5, 0.5)]):
        assert stats.kstest(b[:, j], stats.beta(a, c).cdf).statistic < KS_LIMIT
        assert abs(b[:, j].mean() - a / (a + c)) < 5 * stats.beta(a, c).std() / np.sqrt(N)


def test_binomial_matches_scipy():
    x = random.binomial([N], 30, 0.25, seed=5).numpy()
    assert x.dtype == np.float32
    ks = np.arange(31)
    emp = np.searchsorted(np.sort(x), ks, side="right") / N
    assert np.abs(emp - stats.binom(30, 0.25).cdf(ks)).max() < KS_LIMIT


def test_seeds():
    a = random.gamma([8], 2.0, seed=1).numpy()
    np.testing.assert_array_equal(a, random.gamma([8], 2.0, seed=1).numpy())
    gen = random.SeedGenerator(7)
    first, second = random.binomial([8], 50, 0.5, seed=gen), random.binomial([8], 50, 0.5, seed=gen)
    assert not np.array_equal(first.numpy(), second.numpy())
    tops.random.set_seed(3)
    c = random.beta([8], 2.0, 2.0).numpy()
    tops.random.set_seed(3)
    np.testing.assert_array_equal(c, random.beta([8], 2.0, 2.0).numpy())


def test_a_traced_function_draws_anew_with_a_seed_generator():
    gen = random.SeedGenerator(11)

    @tops.function
    def draw():
        return random.gamma([N], 2.0, seed=gen), random.beta([N], 2.0, 5.0, seed=gen)

    (g1, b1), (g2, b2) = draw(), draw()
    assert not np.array_equal(g1.numpy(), g2.numpy())
    assert not np.array_equal(b1.numpy(), b2.numpy())
    # beta's two gammas are independent streams: Beta(2, 5)'s mean and variance
    b = b2.numpy()
    assert abs(b.mean() - 2 / 7) < 5 * np.sqrt(10 / (49 * 8) / N)
    assert abs(b.var() - 10 / (49 * 8)) < 0.1 * 10 / (49 * 8)


DRAWS = {
    "normal": lambda g: random.normal([3], seed=g),
    "uniform": lambda g: random.uniform([3], seed=g),
    "truncated_normal": lambda g: random.truncated_normal([3], seed=g),
    "randint": lambda g: random.randint([3], 0, 1000, seed=g),
    "gamma": lambda g: random.gamma([3], 2.0, seed=g),
    "binomial": lambda g: random.binomial([3], 40, 0.5, seed=g),
    "beta": lambda g: random.beta([3], 2.0, 3.0, seed=g),
}


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_a_seed_generator_inside_tf_function_draws_the_eager_sequence(name):
    draw = DRAWS[name]
    eager_gen, traced_gen = random.SeedGenerator(11), random.SeedGenerator(11)
    want = [draw(eager_gen).numpy() for _ in range(3)]
    traced = tops.function(lambda: draw(traced_gen))
    got = [traced().numpy() for _ in range(3)]
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    assert not np.array_equal(got[0], got[1])
    np.testing.assert_array_equal(traced_gen.state.numpy(), eager_gen.state.numpy())


def test_binomial_without_a_seed_draws_anew_inside_tf_function():
    tops.random.set_seed(5)
    try:
        traced = tops.function(lambda: random.binomial([64], 10, 0.5))
        a, b = traced().numpy(), traced().numpy()
    finally:
        tops.random.set_seed(None)
    assert not np.array_equal(a, b) and 3 < a.mean() < 7
