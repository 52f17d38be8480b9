"""tf.math's special functions (_math_special): erfinv, ndtri, bessel_i0 / i0e / i1 / i1e,
nextafter against NumPy / libm references, traced == eager, dtypes and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tensorhouse_ops as tf

RNG = np.random.default_rng(18)


def _i1(x):  # the power series, summed exactly enough for float64
    z, term, terms = x * x / 4, x / 2, []
    for k in range(1, 200):
        terms.append(term)
        term *= z / (k * (k + 1))
    return math.fsum(terms)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_erfinv_and_ndtri_invert_erf_and_the_normal_cdf(dtype):
    y = RNG.uniform(-0.999, 0.999, 200).astype(dtype)
    x = tf.math.erfinv(tf.constant(y)).numpy()
    assert x.dtype == dtype
    back = np.array([math.erf(v) for v in x.astype(float)])
    slope = 2 / math.sqrt(math.pi) * np.exp(-(x.astype(float) ** 2))  # erf's slope at x
    ulp = np.spacing(np.abs(x)).astype(float)
    assert np.all(np.abs(back - y) <= slope * ulp + 4e-16)  # within an ulp of x
    p = RNG.uniform(1e-6, 1 - 1e-6, 200)
    q = tf.math.ndtri(tf.constant(p)).numpy()
    cdf = np.array([math.erfc(-v / math.sqrt(2)) / 2 for v in q])
    np.testing.assert_allclose(cdf, p, rtol=1e-13)
    edge = tf.math.ndtri(tf.constant([0.0, 1.0, -0.1, np.nan])).numpy()
    assert edge[:2].tolist() == [-np.inf, np.inf] and np.isnan(edge[2:]).all()


def test_tails_keep_full_precision():
    tiny = np.array([1e-300, 1e-100, 1e-20])
    got = tf.math.ndtri(tf.constant(tiny)).numpy()
    np.testing.assert_allclose([math.erfc(-v / math.sqrt(2)) / 2 for v in got], tiny, rtol=1e-12)
    y = 1 - np.array([1e-15, 1e-10])
    x = tf.math.erfinv(tf.constant(y)).numpy()
    np.testing.assert_allclose([math.erfc(v) for v in x], 1 - y, rtol=1e-12)


@pytest.mark.parametrize("dtype, rtol", [("float32", 2e-7), ("float64", 5e-15)])
def test_bessel_functions_match_numpy(dtype, rtol):
    x = np.concatenate([RNG.uniform(-30, 30, 100), [0.0, 19.99, 20.01, -700.0, 750.0]])
    x = x.astype(dtype)
    xd = x.astype(float)
    i1 = np.array([_i1(v) for v in np.clip(xd, -30, 30)])
    small = np.abs(xd) <= 30
    with np.errstate(over="ignore"):
        i0e_ref = np.where(small, np.i0(np.clip(xd, -30, 30)) * np.exp(-np.abs(xd)), 0)
    got = {n: getattr(tf.math, n)(tf.constant(x)).numpy() for n in
           ("bessel_i0", "bessel_i0e", "bessel_i1", "bessel_i1e")}  # fmt: skip
    np.testing.assert_allclose(got["bessel_i0"][small], np.i0(xd[small]), rtol=rtol)
    np.testing.assert_allclose(got["bessel_i0e"][small], i0e_ref[small], rtol=rtol)
    np.testing.assert_allclose(got["bessel_i1"][small], i1[small], rtol=rtol, atol=1e-300)
    np.testing.assert_allclose(
        got["bessel_i1e"][small], (i1 * np.exp(-np.abs(xd)))[small], rtol=rtol, atol=1e-300
    )
    # large |x|: I0e ~ 1 / sqrt(2 pi |x|) (1 + 1 / 8|x|), I1e its odd twin (1 - 3 / 8|x|)
    big = xd[-2:]
    lead = 1 / np.sqrt(2 * np.pi * np.abs(big))
    np.testing.assert_allclose(got["bessel_i0e"][-2:], lead * (1 + 1 / (8 * abs(big))), rtol=1e-5)
    np.testing.assert_allclose(
        got["bessel_i1e"][-2:], np.sign(big) * lead * (1 - 3 / (8 * abs(big))), rtol=1e-5
    )
    assert got["bessel_i0"][-1] == np.inf  # e^750 overflows float64 too
    with np.errstate(over="ignore"):  # I1(-700) ~ -1.5e302: float64's, float32's -inf
        want = (-np.exp(700.0) * lead[0] * (1 - 3 / 5600)).astype(dtype)
    np.testing.assert_allclose(got["bessel_i1"][-2], want, rtol=1e-5)


def test_nextafter_matches_numpy_with_broadcasting():
    a = RNG.normal(size=(3, 4)).astype(np.float32)
    b = np.array([np.inf, -np.inf, 0.0, np.nan], np.float32)
    np.testing.assert_array_equal(tf.math.nextafter(a, b).numpy(), np.nextafter(a, b))
    with pytest.raises(tf.errors.InvalidArgumentError, match="NextAfter"):
        tf.math.nextafter(tf.constant([1]), tf.constant([2]))


def test_traced_equals_eager_and_the_special_namespace():
    x = tf.constant(RNG.uniform(-0.9, 0.9, 8))

    def f(v):
        return tf.math.erfinv(v) + tf.math.special.bessel_i0e(v) * tf.math.ndtri(tf.abs(v))

    np.testing.assert_array_equal(tf.function(f)(x).numpy(), f(x).numpy())
    assert sorted(tf.math.special.__all__) == ["bessel_i0", "bessel_i0e", "bessel_i1", "bessel_i1e"]
    with pytest.raises(tf.errors.NotFoundError, match="Erfinv"):
        tf.math.erfinv(tf.constant([0.5], tf.float16))
