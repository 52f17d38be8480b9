"""tf.random's gamma, Poisson and binomial samplers and Keras 3's gamma, binomial and beta:
signatures, shapes, dtypes, edge values, errors and the gamma's gradient, as TF 2.21 has them
(the numbers are each library's own streams; their distributions are tested in the packages)."""

import inspect

import numpy as np
import pytest


def _params(fn):
    return [(p.name, p.default) for p in inspect.signature(fn).parameters.values()]


def test_signatures(tf):
    r = tf.random
    assert [n for n, _ in _params(r.gamma)] == ["shape", "alpha", "beta", "dtype", "seed", "name"]
    assert _params(r.poisson)[2] == ("dtype", tf.float32)
    assert [n for n, _ in _params(r.stateless_gamma)][:4] == ["shape", "seed", "alpha", "beta"]
    assert _params(r.stateless_poisson)[3] == ("dtype", tf.int32)
    assert _params(r.stateless_binomial)[:5] == [
        ("shape", inspect.Parameter.empty), ("seed", inspect.Parameter.empty),
        ("counts", inspect.Parameter.empty), ("probs", inspect.Parameter.empty),
        ("output_dtype", tf.int32),
    ]  # fmt: skip
    k = tf.keras.random
    assert [n for n, _ in _params(k.gamma)] == ["shape", "alpha", "dtype", "seed"]
    assert [n for n, _ in _params(k.binomial)] == [
        "shape", "counts", "probabilities", "dtype", "seed"
    ]  # fmt: skip
    assert [n for n, _ in _params(k.beta)] == ["shape", "alpha", "beta", "dtype", "seed"]


def test_stateful_shapes_are_shape_plus_the_parameters(tf):
    g = tf.random.gamma([3, 2], [1.0, 2.0, 3.0], seed=1)
    assert g.shape == (3, 2, 3) and g.dtype == tf.float32
    g = tf.random.gamma([2], [[1.0], [2.0]], beta=[1.0, 2.0, 3.0], seed=1, dtype=tf.float64)
    assert g.shape == (2, 2, 3) and g.dtype == tf.float64
    p = tf.random.poisson([2], [1.0, 20.0], dtype=tf.int32, seed=1)
    assert p.shape == (2, 2) and p.dtype == tf.int32
    p = tf.random.poisson([4], tf.constant([1, 20], tf.int64), dtype=tf.int64, seed=1)
    assert p.shape == (4, 2) and p.dtype == tf.int64


def test_stateless_shapes_and_dtypes(tf):
    g = tf.random.stateless_gamma([3, 2], [1, 2], [1.0, 2.0], beta=[[1.0], [2.0], [3.0]])
    assert g.shape == (3, 2) and g.dtype == tf.float32
    assert tf.random.stateless_gamma([3], [1, 2], 2.0, dtype=tf.float16).dtype == tf.float16
    p = tf.random.stateless_poisson([3, 2], [1, 2], [1.0, 30.0])
    assert p.shape == (3, 2) and p.dtype == tf.int32
    b = tf.random.stateless_binomial([3, 2], [1, 2], [10, 20], [0.5])  # counts become float
    assert b.shape == (3, 2) and b.dtype == tf.int32
    b = tf.random.stateless_binomial([3], [1, 2], 10.0, 0.5, output_dtype=tf.float32)
    assert b.dtype == tf.float32 and set(b.numpy()) <= set(np.arange(11.0))


def test_same_seed_same_numbers(tf):
    for draw in (
        lambda s: tf.random.stateless_gamma([20], s, 0.7),
        lambda s: tf.random.stateless_poisson([20], s, 15.0),
        lambda s: tf.random.stateless_binomial([20], s, 30.0, 0.4),
    ):
        np.testing.assert_array_equal(draw([3, 4]).numpy(), draw([3, 4]).numpy())
        np.testing.assert_array_equal(
            draw([3, 4]).numpy(), tf.function(lambda d=draw: d([3, 4]))().numpy()
        )
        assert not np.array_equal(draw([3, 4]).numpy(), draw([4, 3]).numpy())


def test_edge_values(tf):
    g = tf.random.gamma([4], [0.0, -1.0, float("nan")], seed=1).numpy()
    np.testing.assert_array_equal(g[:, 0], np.finfo(np.float32).tiny)
    assert np.isnan(g[:, 1:]).all()
    np.testing.assert_array_equal(tf.random.poisson([3], [0.0, -1.0], seed=1).numpy(), 0.0)
    b = tf.random.stateless_binomial([4], [1, 2], [10.0, 10.0, 0.0, 5.0], [0.0, 1.0, 0.5, 1.5])
    np.testing.assert_array_equal(b.numpy(), [0, 10, 0, 5])


def test_errors(tf, errors):
    with pytest.raises(errors.InvalidArgumentError):
        tf.random.stateless_gamma([3, 2], [1, 2], [1.0, 2.0, 3.0])
    with pytest.raises(errors.InvalidArgumentError):
        tf.random.stateless_gamma([2, 3], [1, 2], [[1.0, 2.0, 3.0]])  # a suffix, not broadcast
    with pytest.raises(errors.InvalidArgumentError):
        tf.random.stateless_poisson([3, 2], [1, 2], [1.0, 30.0, 2.0])
    with pytest.raises(errors.InvalidArgumentError):
        tf.random.stateless_binomial([3, 2], [1, 2], [10.0, 20.0, 3.0], [0.5])
    with pytest.raises(errors.InvalidArgumentError, match=r"seed must have shape \[2\]"):
        tf.random.stateless_binomial([3, 2], [1, 2, 3], 10.0, 0.5)
    with pytest.raises(errors.InvalidArgumentError):
        tf.random.poisson([3], 1.0, dtype=tf.bool, seed=1)
    with pytest.raises(TypeError):
        tf.random.gamma([2], 1.0, dtype=tf.int32)
    with pytest.raises(ValueError):
        tf.random.gamma([2], 1, dtype=tf.int32)
    with pytest.raises(TypeError):
        tf.random.stateless_gamma([3], [1, 2], 2.0, dtype=tf.int32)


def test_gamma_has_the_implicit_gradient(tf):
    """d sample / d alpha = -(dP(a, x) / da) / p(x; a): finite differences of x(a) at a fixed
    CDF level (scipy's inverse of the regularized incomplete gamma)."""
    special = pytest.importorskip("scipy.special")
    a = tf.constant([0.4, 1.0, 3.0, 50.0], tf.float64)
    f64 = tf.float64
    for draw in (lambda: tf.random.gamma([5], a, seed=2, dtype=f64),
                 lambda: tf.random.stateless_gamma([5, 4], [1, 2], a, dtype=f64)):  # fmt: skip
        with tf.GradientTape() as tape:
            tape.watch(a)
            x = draw()
        grad = tape.gradient(x, a).numpy()
        an, xs = a.numpy(), x.numpy()
        level, h = special.gammainc(an, xs), 1e-6 * an
        fd = (special.gammaincinv(an + h, level) - special.gammaincinv(an - h, level)) / (2 * h)
        np.testing.assert_allclose(grad, fd.sum(0), rtol=1e-5)


def test_keras_samplers(tf):
    k = tf.keras.random
    g = k.gamma([4, 3], 2.0, seed=1)
    assert g.shape == (4, 3) and g.dtype == tf.float32 and (g.numpy() > 0).all()
    np.testing.assert_array_equal(g.numpy(), k.gamma([4, 3], 2.0, seed=1).numpy())
    b = k.binomial([5], 10, 0.5, seed=1)
    assert b.dtype == tf.float32 and set(b.numpy()) <= set(np.arange(11.0))
    assert k.binomial([2], 10, 0.5, seed=1, dtype="int32").dtype == tf.int32
    x = k.beta([2, 3], 2.0, [1.0, 3.0, 5.0], seed=1, dtype="float64")
    assert x.dtype == tf.float64 and x.shape == (2, 3)
    assert ((x.numpy() > 0) & (x.numpy() < 1)).all()
    assert k.gamma([2], 1.0, seed=1, dtype="bfloat16").dtype == tf.bfloat16
