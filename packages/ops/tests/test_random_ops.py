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


STATELESS = {
    "uniform": lambda s: tf.random.stateless_uniform([3, 5], s),
    "normal": lambda s: tf.random.stateless_normal([7], s, dtype=tf.float64),
    "truncated": lambda s: tf.random.stateless_truncated_normal([2, 2], s),
    "int": lambda s: tf.random.stateless_uniform([6], s, -(2**40), 2**40, dtype=tf.int64),
}


@pytest.mark.parametrize("name", sorted(STATELESS))
@pytest.mark.parametrize("jit", [False, True])
def test_a_seed_tensor_traced_or_jitted_gives_the_eager_numbers(name, jit):
    fn = STATELESS[name]
    traced = tf.function(fn, jit_compile=jit)
    for seed in ([1, 2], [-7, 2**31 - 1]):
        want = fn(seed).numpy()
        for dtype in (tf.int32, tf.int64):  # an int32 seed sign-extends: the same numbers
            np.testing.assert_array_equal(traced(tf.constant(seed, dtype)).numpy(), want)


def test_a_seed_variable_and_a_shape_tensor_inside_tf_function():
    seed = tf.Variable([5, 6], dtype=tf.int64)
    f = tf.function(lambda n: tf.random.stateless_normal(tf.stack([n, 2]), seed))
    a = f(tf.constant(3)).numpy()
    np.testing.assert_array_equal(a, tf.random.stateless_normal([3, 2], [5, 6]).numpy())
    seed.assign([5, 7])  # read when the function runs
    assert not np.array_equal(f(tf.constant(3)).numpy(), a)


def test_bad_seeds_give_tf_errors():
    errors = tf.errors
    with pytest.raises(errors.InvalidArgumentError, match=r"must have shape \[2\], not \[3\]"):
        tf.random.stateless_uniform([2], [1, 2, 3])
    with pytest.raises(errors.InvalidArgumentError, match="DataType float32 not in list"):
        tf.random.stateless_uniform([2], [1.0, 2.0])
    f = tf.function(lambda s: tf.random.stateless_normal([2], s))
    with pytest.raises(ValueError, match=r"seed must have shape \[2\], not \[2,2\]"):
        f(tf.constant([[1, 2], [3, 4]]))
    with pytest.raises(TypeError, match="DataType float32 not in list"):
        f(tf.constant([1.0, 2.0]))


def test_cast_through_float16_rounds_to_nearest_even():
    x = tf.constant([1.0, 1.0 + 2**-11, 1.0 + 3 * 2**-11, 70000.0, -1e-9], dtype=tf.float32)
    h = tf.cast(x, tf.float16)
    assert h.dtype == tf.float16
    with np.errstate(over="ignore"):  # 70000 -> inf, as the kernel
        np.testing.assert_array_equal(h.numpy(), x.numpy().astype(np.float16))
    back = tf.cast(h, tf.float32).numpy()
    assert back[1] == 1.0 and back[2] == 1.0 + 2**-9 and np.isinf(back[3])
