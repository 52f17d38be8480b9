"""tf.random's integer uniform, truncated normal and stateless functions; Cast to 16 bits."""

import numpy as np
import pytest

import tensorhouse_ops as tf


def test_uniform_int_dtypes():
    x = tf.random.uniform([1000], minval=-2, maxval=3, dtype=tf.int64, seed=4)
    assert x.dtype == tf.int64
    assert set(np.unique(x.numpy())) == {-2, -1, 0, 1, 2}
    with pytest.raises(ValueError, match="maxval"):
        tf.random.uniform([3], dtype=tf.int32)


def test_truncated_normal_scaled():
    x = tf.random.truncated_normal([5000], mean=3.0, stddev=0.5, dtype=tf.float64, seed=1)
    v = x.numpy()
    assert v.min() > 2.0 and v.max() < 4.0


def test_stateless_functions_repeat_for_a_seed():
    for fn in (tf.random.stateless_uniform, tf.random.stateless_normal,
               tf.random.stateless_truncated_normal):  # fmt: skip
        a = fn([4, 5], seed=[1, 2]).numpy()
        b = fn([4, 5], seed=tf.constant([1, 2])).numpy()
        c = fn([4, 5], seed=[2, 1]).numpy()
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)
    u = tf.random.stateless_uniform([100], seed=[3, 4], minval=5.0, maxval=6.0).numpy()
    assert u.min() >= 5.0 and u.max() < 6.0


def test_cast_through_float16_rounds_to_nearest_even():
    x = tf.constant([1.0, 1.0 + 2**-11, 1.0 + 3 * 2**-11, 70000.0, -1e-9], dtype=tf.float32)
    h = tf.cast(x, tf.float16)
    assert h.dtype == tf.float16
    with np.errstate(over="ignore"):  # 70000 -> inf, as the kernel
        np.testing.assert_array_equal(h.numpy(), x.numpy().astype(np.float16))
    back = tf.cast(h, tf.float32).numpy()
    assert back[1] == 1.0 and back[2] == 1.0 + 2**-9 and np.isinf(back[3])
