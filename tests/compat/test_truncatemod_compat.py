"""tf.truncatemod checked against TF 2.21: C's fmod for floats, C's % for integers."""

from __future__ import annotations

import math

import numpy as np
import pytest


def test_float_truncatemod_is_fmod_not_x_minus_trunc_quotient_times_y(tf):
    # x - trunc(x / y) * y gives nan, -inf and 0 for these three; fmod is exact
    assert tf.truncatemod(-3.0, float("inf")).numpy() == -3.0
    assert tf.truncatemod(3.4e38, 7.0).numpy() == 1.0
    assert tf.truncatemod(tf.constant(1e300, tf.float64), 7.0).numpy() == math.fmod(1e300, 7.0)
    x = tf.constant([7.5, -7.5, 7.5, -7.5, -0.0, 5.0, 1e-45])
    y = tf.constant([2.0, 2.0, -2.0, -2.0, 3.0, 0.0, 2.0])
    out = tf.truncatemod(x, y).numpy()
    np.testing.assert_array_equal(out, np.float32([1.5, -1.5, 1.5, -1.5, -0.0, np.nan, 1e-45]))
    assert np.signbit(out[4])  # the dividend's sign, zero included


def test_a_subnormal_divisor_counts_as_zero_on_cpu(tf):
    # TF's CPU kernel gives NaN for a subnormal divisor (C's fmod would give 0 for 2 % 1e-45)
    assert np.isnan(tf.truncatemod(2.0, 1e-45).numpy())
    y = tf.constant([1e-40, 1.2e-38], tf.float32)  # subnormal, then the smallest normals
    out = tf.truncatemod(tf.constant([2.0, 2.0]), y).numpy()
    assert np.isnan(out[0]) and out[1] == np.fmod(np.float32(2.0), np.float32(1.2e-38))
    out64 = tf.truncatemod(
        tf.constant([2.0, 1e-310], tf.float64), tf.constant([1e-310, 2.0], tf.float64)
    )
    assert np.isnan(out64[0].numpy()) and out64[1].numpy() == 1e-310


@pytest.mark.parametrize("dtype", ["int32", "int64"])
def test_integer_truncatemod_is_c_remainder(tf, dtype):
    dt = tf.as_dtype(dtype)
    x = tf.constant([7, -7, 7, -7, 0, 5], dt)
    y = tf.constant([3, 3, -3, -3, 4, 1], dt)
    out = tf.truncatemod(x, y)
    assert out.dtype == dt
    assert out.numpy().tolist() == [1, -1, 1, -1, 0, 0]
    low = np.iinfo(dtype).min
    assert tf.truncatemod(tf.constant([low], dt), tf.constant([-1], dt)).numpy().tolist() == [0]
    # broadcasting, as the other binary ops
    got = tf.truncatemod(tf.constant([[9], [-9]], dt), tf.constant([2, 4, 5], dt))
    assert got.numpy().tolist() == [[1, 1, 4], [-1, -1, -4]]


def test_integer_truncatemod_by_zero_is_tfs_internal_error(tf):
    with pytest.raises(tf.errors.InternalError, match="only integer div and mod"):
        tf.truncatemod(tf.constant([1, 2]), tf.constant([1, 0]))


def test_truncatemod_matches_truncatediv(tf):
    x = tf.constant([-9.5, -4.0, 3.25, 10.0, 7.0])
    y = tf.constant([4.0, -3.0, 0.5, 3.0, -2.5])
    q, r = tf.truncatediv(x, y), tf.truncatemod(x, y)
    np.testing.assert_allclose((q * y + r).numpy(), x.numpy(), rtol=1e-6)
    np.testing.assert_array_equal(r.numpy(), np.fmod(x.numpy(), y.numpy()))
