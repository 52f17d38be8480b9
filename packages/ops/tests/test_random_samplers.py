"""tf.random's gamma, Poisson and binomial samplers: moments and Kolmogorov-Smirnov distances
against scipy.stats, seeds, tracing, shapes, dtypes and errors."""

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_kernels.runtime import errors

stats = pytest.importorskip("scipy.stats")

N = 20000
KS_LIMIT = 1.95 / np.sqrt(N)  # the KS statistic's 0.1% critical value


def _check_moments(x, mean, var, mu4):
    """Sample mean and variance within 5 standard errors of the analytic ones (fourth central
    moment ``mu4`` gives the variance's standard error)."""
    assert abs(x.mean() - mean) < 5 * np.sqrt(var / len(x)), (x.mean(), mean)
    assert abs(x.var() - var) < 5 * np.sqrt((mu4 - var**2) / len(x)), (x.var(), var)


def _discrete_ks(x, dist):
    ks = np.arange(x.min(), x.max() + 1)
    emp = np.searchsorted(np.sort(x), ks, side="right") / len(x)
    return np.abs(emp - dist.cdf(ks)).max()


def _mu4(dist):
    m, v = dist.stats(moments="mv")
    return (dist.stats(moments="k") + 3) * v**2 if np.isfinite(m) else np.nan


@pytest.mark.parametrize("alpha", [0.3, 1.0, 2.5, 40.0])
def test_stateless_gamma_matches_scipy(alpha):
    x = tf.random.stateless_gamma([N], [7, int(alpha * 10)], alpha, dtype=tf.float64).numpy()
    dist = stats.gamma(alpha)
    _check_moments(x, alpha, alpha, _mu4(dist))
    assert stats.kstest(x, dist.cdf).statistic < KS_LIMIT


def test_gamma_beta_is_a_rate_and_shapes_broadcast():
    x = tf.random.gamma([N], [[2.0], [0.5]], beta=[1.0, 4.0], seed=3, dtype=tf.float64)
    assert x.shape == (N, 2, 2) and x.dtype == tf.float64
    for i, a in enumerate([2.0, 0.5]):
        for j, b in enumerate([1.0, 4.0]):
            dist = stats.gamma(a, scale=1 / b)
            assert stats.kstest(x.numpy()[:, i, j], dist.cdf).statistic < KS_LIMIT


@pytest.mark.parametrize("lam", [0.7, 6.0, 10.0, 250.0])
def test_stateless_poisson_matches_scipy(lam):
    x = tf.random.stateless_poisson([N], [5, int(lam)], lam, dtype=tf.int64).numpy()
    dist = stats.poisson(lam)
    _check_moments(x, lam, lam, _mu4(dist))
    assert _discrete_ks(x, dist) < KS_LIMIT


@pytest.mark.parametrize("n, p", [(5, 0.3), (40, 0.9), (1000, 0.2), (300, 0.7), (1, 0.3)])
def test_stateless_binomial_matches_scipy(n, p):
    x = tf.random.stateless_binomial([N], [11, n], float(n), p, output_dtype=tf.int64).numpy()
    dist = stats.binom(n, p)
    _check_moments(x, n * p, n * p * (1 - p), _mu4(dist))
    assert _discrete_ks(x, dist) < KS_LIMIT


def test_stateful_samplers_follow_the_seed_rules():
    tf.random.set_seed(5)
    a = [tf.random.gamma([50], 1.5, seed=2).numpy(), tf.random.poisson([50], 30.0).numpy()]
    tf.random.set_seed(5)
    b = [tf.random.gamma([50], 1.5, seed=2).numpy(), tf.random.poisson([50], 30.0).numpy()]
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    again = tf.random.gamma([50], 1.5, seed=2).numpy()  # the op's stream moves on
    assert not np.array_equal(a[0], again)
    x = tf.random.poisson([N], [3.0, 80.0], seed=1).numpy()
    for j, lam in enumerate([3.0, 80.0]):
        assert _discrete_ks(x[:, j], stats.poisson(lam)) < KS_LIMIT


def test_same_seed_same_numbers_eager_and_traced():
    def draw():
        return (tf.random.stateless_gamma([64, 2], [1, 2], [0.5, 3.0]),
                tf.random.stateless_poisson([64], [3, 4], 40.0),
                tf.random.stateless_binomial([64, 2], [5, 6], [7.0, 500.0], 0.4))  # fmt: skip

    eager, again, traced = draw(), draw(), tf.function(draw)()
    for e, a, t in zip(eager, again, traced):
        np.testing.assert_array_equal(e.numpy(), a.numpy())
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    other = tf.random.stateless_gamma([64, 2], [1, 3], [0.5, 3.0]).numpy()
    assert not np.array_equal(eager[0].numpy(), other)


def test_dtypes_and_edge_values_as_tf():
    assert tf.random.gamma([2], 1.0, dtype=tf.float16, seed=1).dtype == tf.float16
    assert tf.random.poisson([2], [1.0, 20.0], dtype=tf.int32, seed=1).dtype == tf.int32
    assert tf.random.stateless_poisson([2], [1, 2], 3.0).dtype == tf.int32
    assert tf.random.stateless_binomial([2], [1, 2], 10, 0.5).dtype == tf.int32  # counts: float
    g = tf.random.gamma([4], [0.0, -1.0, np.nan], seed=1).numpy()  # TF: tiny, NaN, NaN
    np.testing.assert_array_equal(g[:, 0], np.finfo(np.float32).tiny)
    assert np.isnan(g[:, 1:]).all()
    np.testing.assert_array_equal(tf.random.poisson([3], [0.0, -1.0], seed=1).numpy(), 0.0)
    b = tf.random.stateless_binomial([4], [1, 2], [10.0, 10.0, 0.0, 5.0], [0.0, 1.0, 0.5, 1.5])
    np.testing.assert_array_equal(b.numpy(), [0, 10, 0, 5])  # as TF: p clipped to [0, 1]


def test_bad_arguments_give_tf_errors():
    with pytest.raises(errors.InvalidArgumentError, match="must end with"):
        tf.random.stateless_gamma([3, 2], [1, 2], [1.0, 2.0, 3.0])
    with pytest.raises(errors.InvalidArgumentError, match="must end with"):
        tf.random.stateless_poisson([3, 2], [1, 2], [1.0, 2.0, 3.0])
    with pytest.raises(errors.InvalidArgumentError, match="does not broadcast"):
        tf.random.stateless_binomial([3, 2], [1, 2], [10.0, 20.0, 3.0], 0.5)
    with pytest.raises(errors.InvalidArgumentError, match=r"seed must have shape \[2\]"):
        tf.random.stateless_binomial([3, 2], [1, 2, 3], 10.0, 0.5)
    with pytest.raises(errors.InvalidArgumentError, match="dtype bool"):
        tf.random.poisson([3], 1.0, dtype=tf.bool)
    with pytest.raises(ValueError, match="dtype int32"):
        tf.random.gamma([2], 1, dtype=tf.int32)


def test_parameters_of_unknown_shape_are_a_clear_error():
    f = tf.function(
        lambda a: tf.random.gamma([3], a, seed=1), input_signature=[tf.TensorSpec([None])]
    )
    with pytest.raises(ValueError, match="random.gamma needs alpha of a known shape"):
        f(tf.constant([1.0, 2.0]))
    g = tf.function(lambda a: tf.random.poisson([3], a, seed=1))
    assert g(tf.constant([1.0, 20.0])).shape == (3, 2)


TRUNCATED = [  # mean, stddev, minval, maxval: the inverse CDF, both tails, narrow intervals
    (1.0, 2.0, 0.0, 3.0), (2.0, 0.5, -np.inf, 1.0), (0.0, 1.0, -0.001, 0.001),
    (0.0, 1.0, 5.0, 6.0), (0.0, 1.0, -50.0, -49.0), (0.0, 1.0, 40.0, np.inf),
    (0.0, 1.0, 7.0, 7.001), (3.0, 2.0, 14.0, 63.0),
]  # fmt: skip


@pytest.mark.parametrize("mu, sd, lo, hi", TRUNCATED)
def test_stateless_parameterized_truncated_normal_matches_scipy(mu, sd, lo, hi):
    fn = tf.random.stateless_parameterized_truncated_normal
    x = fn([N], [5, 6], mu, sd, lo, hi).numpy().astype(np.float64)
    dist = stats.truncnorm((lo - mu) / sd, (hi - mu) / sd, loc=mu, scale=sd)
    assert x.min() >= lo and x.max() <= hi
    assert abs(x.mean() - dist.mean()) < 5 * dist.std() / np.sqrt(N)
    assert stats.kstest(x, dist.cdf).statistic < KS_LIMIT


def test_stateless_parameterized_truncated_normal_broadcasts_and_traces():
    fn = tf.random.stateless_parameterized_truncated_normal
    means = tf.constant([0.0, 10.0, 20.0], tf.float64)
    x = fn([500, 3], [1, 2], means, tf.constant(1.0, tf.float64), means - 1.0, means + 1.0)
    assert x.dtype == tf.float64 and x.shape == (500, 3)
    v = x.numpy()
    assert (np.abs(v - [0.0, 10.0, 20.0]) <= 1.0).all()
    traced = tf.function(lambda s: fn([4, 2], s, means=[1.0, -1.0], minvals=-3.0, maxvals=3.0))
    np.testing.assert_array_equal(
        traced(tf.constant([3, 4])).numpy(),
        fn([4, 2], [3, 4], means=[1.0, -1.0], minvals=-3.0, maxvals=3.0).numpy(),
    )


def test_stateless_parameterized_truncated_normal_errors():
    fn = tf.random.stateless_parameterized_truncated_normal
    for kwargs in ({"stddevs": -1.0}, {"minvals": 1.0, "maxvals": 1.0},
                   {"minvals": -np.inf, "maxvals": np.inf}, {"minvals": np.nan}):  # fmt: skip
        with pytest.raises(errors.InvalidArgumentError, match="Invalid parameters"):
            fn([2, 3], [1, 2], **kwargs)
    with pytest.raises(errors.InvalidArgumentError, match="must end with broadcasted shape"):
        fn([2, 3], [1, 2], means=[[1.0, 2.0, 3.0]])
    with pytest.raises(errors.InvalidArgumentError, match="one dtype"):
        fn([2], [1, 2], means=tf.constant(0.0, tf.float64))


@pytest.mark.parametrize("seed_dtype", [tf.int32, tf.int64])
def test_samplers_take_a_seed_tensor_inside_tf_function(seed_dtype):
    def draw(s):
        return [
            tf.random.stateless_gamma([3, 2], s, [0.5, 4.0]),
            tf.random.stateless_poisson([5], s, 30.0),
            tf.random.stateless_binomial([5], s, 100.0, 0.3),
        ]

    traced = tf.function(draw)
    for seed in ([1, -2], [2**31 - 1, 9]):
        for got, want in zip(traced(tf.constant(seed, seed_dtype)), draw(seed)):
            np.testing.assert_array_equal(got.numpy(), want.numpy())
    a, b = traced(tf.constant([1, 2], seed_dtype)), traced(tf.constant([1, 3], seed_dtype))
    assert not np.array_equal(a[0].numpy(), b[0].numpy())
