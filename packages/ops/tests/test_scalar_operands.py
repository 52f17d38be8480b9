"""``x + 1.0``: a Python scalar beside an eager tensor takes the tensor's dtype (TF's rule) and
is converted once (a cache of 0-d tensors); the numbers and errors are the general path's."""

from __future__ import annotations

import numpy as np
import pytest

import tensorhouse_ops as tf


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64])
def test_scalar_takes_the_tensor_dtype_on_both_sides(dtype):
    x = tf.constant(np.array([[1, 2], [3, 4]], dtype))
    for _ in range(3):  # the second and third calls reuse the cached scalar
        for got, want in ((x + 2, x.numpy() + 2), (3 - x, 3 - x.numpy()), (x * 5, x.numpy() * 5)):
            assert got.dtype == x.dtype
            np.testing.assert_array_equal(got.numpy(), want.astype(dtype))


def test_negative_zero_and_nan_keep_their_values():
    x = tf.constant([1.0, -2.0])
    np.testing.assert_array_equal(np.signbit((x * 0.0).numpy()), [False, True])
    np.testing.assert_array_equal(np.signbit((x * -0.0).numpy()), [True, False])
    np.testing.assert_array_equal(np.signbit((x * 0.0).numpy()), [False, True])
    assert np.isnan((x + float("nan")).numpy()).all()
    np.testing.assert_array_equal((x + 1.0).numpy(), [2.0, -1.0])


def test_bool_and_true_division_are_not_confused_with_ints():
    x = tf.constant([1, 2])
    np.testing.assert_array_equal((x + 1).numpy(), [2, 3])
    b = tf.constant([True, False])
    np.testing.assert_array_equal(tf.logical_and(b, True).numpy(), [True, False])


def test_a_float_beside_an_int_tensor_is_still_rejected():
    with pytest.raises((TypeError, tf.errors.InvalidArgumentError)):
        tf.constant([1, 2]) + 1.5


def test_gradients_flow_past_a_cached_scalar():
    v = tf.Variable([1.0, 2.0])
    for _ in range(2):
        with tf.GradientTape() as tape:
            y = tf.reduce_sum((v * 3.0 + 1.0) * v)
        np.testing.assert_allclose(tape.gradient(y, v).numpy(), 6.0 * v.numpy() + 1.0)
