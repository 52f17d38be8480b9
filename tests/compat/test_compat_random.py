"""tf.random: TF 2's global and op seeds in eager mode, distributions' dtypes and ranges, and
the stateless ops."""

import numpy as np
import pytest


def _draws(tf, n=3, **kwargs):
    return [tf.random.uniform((4,), **kwargs).numpy() for _ in range(n)]


def test_set_seed_reproduces_the_sequence(tf):
    tf.random.set_seed(1234)
    first = _draws(tf)
    tf.random.set_seed(1234)
    second = _draws(tf)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], first[1])


def test_set_seed_reproduces_mixed_ops(tf):
    def run():
        tf.random.set_seed(7)
        return [
            tf.random.normal((3,)).numpy(),
            tf.random.uniform((3,)).numpy(),
            tf.random.normal((3,)).numpy(),
        ]

    for a, b in zip(run(), run()):
        np.testing.assert_array_equal(a, b)


def test_different_global_seeds_differ(tf):
    tf.random.set_seed(1)
    a = tf.random.uniform((8,)).numpy()
    tf.random.set_seed(2)
    b = tf.random.uniform((8,)).numpy()
    assert not np.array_equal(a, b)


def test_op_seed_with_global_seed_reproduces_after_set_seed(tf):
    tf.random.set_seed(5)
    first = _draws(tf, seed=3)
    tf.random.set_seed(5)
    second = _draws(tf, seed=3)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_successive_calls_with_the_same_op_seed_differ(tf):
    tf.random.set_seed(5)
    a = tf.random.uniform((4,), seed=3).numpy()
    b = tf.random.uniform((4,), seed=3).numpy()
    assert not np.array_equal(a, b)


def test_uniform_defaults(tf):
    x = tf.random.uniform((1000,))
    assert x.dtype == tf.float32 and x.shape == (1000,)
    v = x.numpy()
    assert v.min() >= 0.0 and v.max() < 1.0


def test_uniform_range_and_int_dtype(tf):
    v = tf.random.uniform((1000,), minval=-2.0, maxval=-1.0).numpy()
    assert v.min() >= -2.0 and v.max() < -1.0
    i = tf.random.uniform((1000,), minval=0, maxval=5, dtype=tf.int32)
    assert i.dtype == tf.int32
    assert set(np.unique(i.numpy())) == {0, 1, 2, 3, 4}


def test_normal_and_truncated_normal(tf):
    n = tf.random.normal((4000,), mean=1.0, stddev=2.0, dtype=tf.float64)
    assert n.dtype == tf.float64
    assert abs(n.numpy().mean() - 1.0) < 0.2 and abs(n.numpy().std() - 2.0) < 0.2
    t = tf.random.truncated_normal((4000,)).numpy()
    assert np.abs(t).max() <= 2.0


def test_stateless_uniform_is_a_function_of_its_seed(tf):
    a = tf.random.stateless_uniform((5,), seed=[1, 2]).numpy()
    b = tf.random.stateless_uniform((5,), seed=[1, 2]).numpy()
    c = tf.random.stateless_uniform((5,), seed=[1, 3]).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.min() >= 0.0 and a.max() < 1.0


@pytest.mark.parametrize("dtype_name", ["int32", "int64"])
def test_stateless_uniform_integers(tf, dtype_name):
    dtype = getattr(tf, dtype_name)
    a = tf.random.stateless_uniform((1000,), seed=[3, 4], minval=-5, maxval=7, dtype=dtype)
    b = tf.random.stateless_uniform((1000,), seed=[3, 4], minval=-5, maxval=7, dtype=dtype)
    c = tf.random.stateless_uniform((1000,), seed=[3, 5], minval=-5, maxval=7, dtype=dtype)
    assert a.dtype == dtype and a.shape == (1000,)
    v = a.numpy()
    assert v.min() >= -5 and v.max() <= 6 and set(v.tolist()) == set(range(-5, 7))
    np.testing.assert_array_equal(v, b.numpy())
    assert (v != c.numpy()).any()
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.random.stateless_uniform((3,), seed=[1, 2], minval=4, maxval=4, dtype=dtype)
