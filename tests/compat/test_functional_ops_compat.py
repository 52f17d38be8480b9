"""tf.map_fn, tf.scan, tf.foldl / tf.foldr, tf.vectorized_map, tf.switch_case and tf.case:
TF 2's values, errors and gradients, eagerly and inside tf.function."""

import numpy as np
import pytest

X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)


def test_map_fn(tf):
    x = tf.constant(X)
    f = tf.function(lambda a: tf.map_fn(lambda r: r * r, a))
    np.testing.assert_allclose(tf.map_fn(lambda r: r * r, x).numpy(), X**2)
    np.testing.assert_allclose(f(x).numpy(), X**2)
    sig = (tf.float32, tf.float32)
    first, second = tf.map_fn(lambda r: (r[0], r[1]), x, fn_output_signature=sig)
    np.testing.assert_allclose(second.numpy(), X[:, 1])
    ints = tf.map_fn(lambda r: tf.cast(tf.reduce_sum(r), tf.int32), x, fn_output_signature=tf.int32)
    np.testing.assert_array_equal(ints.numpy(), [3, 7, 11])
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.map_fn(lambda r: tf.cast(tf.reduce_sum(r), tf.int32), x)
    with pytest.raises(ValueError):
        tf.map_fn(lambda t: t[0], (x, tf.constant([1, 2, 3])))


def test_scan_and_folds(tf):
    v = tf.constant([1, 2, 3, 4])
    np.testing.assert_array_equal(tf.scan(lambda a, e: a + e, v).numpy(), [1, 3, 6, 10])
    np.testing.assert_array_equal(tf.scan(lambda a, e: a + e, v, initializer=10), [11, 13, 16, 20])
    np.testing.assert_array_equal(tf.scan(lambda a, e: a + e, v, reverse=True), [10, 9, 7, 4])
    traced = tf.function(lambda a: tf.scan(lambda s, e: s + e, a, reverse=True))
    np.testing.assert_array_equal(traced(v).numpy(), [10, 9, 7, 4])
    w = tf.constant([1, 2, 3])
    assert int(tf.foldl(lambda a, e: a - e, w)) == -4
    assert int(tf.foldr(lambda a, e: a - e, w)) == 0
    assert int(tf.foldl(lambda a, e: a * 10 + e, w, initializer=0)) == 123
    assert int(tf.function(lambda a: tf.foldr(lambda s, e: s * 10 + e, a, initializer=0))(w)) == 321


def test_vectorized_map(tf):
    x = tf.constant(X)
    np.testing.assert_allclose(tf.vectorized_map(lambda r: r * 2, x).numpy(), X * 2)
    np.testing.assert_allclose(tf.vectorized_map(lambda t: t[0] + t[1], (x, x)).numpy(), X * 2)


def test_gradients_through_map_and_scan(tf):
    xv = tf.Variable(X)

    def loss(a):
        return tf.reduce_sum(tf.map_fn(lambda r: r * r, a)) + tf.reduce_sum(
            tf.scan(lambda s, e: s * e, a)
        )

    x0, x1, x2 = X
    want = 2 * X + np.stack([1 + x1 + x1 * x2, x0 + x0 * x2, x0 * x1])
    with tf.GradientTape() as tape:
        y = loss(xv)
    np.testing.assert_allclose(tape.gradient(y, xv).numpy(), want, rtol=1e-6)
    traced = tf.function(loss)
    with tf.GradientTape() as tape:
        y = traced(xv)
    np.testing.assert_allclose(tape.gradient(y, xv).numpy(), want, rtol=1e-6)


def test_switch_case(tf):
    fns = [lambda: tf.constant(10), lambda: tf.constant(20), lambda: tf.constant(30)]
    f = tf.function(lambda i: tf.switch_case(i, fns, default=lambda: tf.constant(-1)))
    for i, want, want_default in [(0, 10, 10), (2, 30, 30), (3, 30, -1), (-1, 30, -1)]:
        assert int(tf.switch_case(tf.constant(i), fns)) == want
        assert int(f(tf.constant(i))) == want_default
    with pytest.raises(TypeError, match="'branch_index' must be a Tensor"):
        tf.switch_case(1, fns)
    with pytest.raises(TypeError, match="must be an integer Tensor"):
        tf.switch_case(tf.constant(1.0), fns)
    with pytest.raises(ValueError, match="contiguous range"):
        tf.switch_case(tf.constant(0), {0: fns[0], 5: fns[1]})


def test_case(tf):
    def pick(x):
        return tf.case(
            [(x > 2, lambda: tf.constant(1)), (x > 0, lambda: tf.constant(2))],
            default=lambda: tf.constant(3),
        )

    f = tf.function(pick)
    for x, want in [(5, 1), (1, 2), (-4, 3)]:
        assert int(pick(tf.constant(x))) == want
        assert int(f(tf.constant(x))) == want
    one = tf.constant(1)
    with pytest.raises(tf.errors.InvalidArgumentError, match="None of conditions"):
        tf.case([(one > 5, lambda: tf.constant(1))])
    with pytest.raises(tf.errors.InvalidArgumentError, match="exclusive=True"):
        tf.case([(one > 0, lambda: one), (one > -1, lambda: one)], lambda: one, exclusive=True)
    # without a default the last pair is the default: only the others must be exclusive
    assert int(tf.case([(one > 0, lambda: one), (one > -1, lambda: one * 2)], exclusive=True)) == 1
    with pytest.raises(TypeError, match="pred must be a Tensor"):
        tf.case([(True, lambda: one)])
