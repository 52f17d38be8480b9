"""A fixed-size TensorArray written in a loop under jit_compile=True (issue 18): its buffer has a
static length (the element shape, when the first write inside the loop gives it, makes the loop
trace once more), so XLA holds it; a dynamic-size one in a loop is TF's fixed-list-size error."""

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_kernels.runtime import list_kernels

pytestmark = pytest.mark.skipif(not list_kernels(device_type="XLA_CPU"), reason="no JAX / XLA")


def _both(fn, *args):
    """``fn(*args)`` traced without and with jit_compile: both results, as NumPy."""
    plain = tf.function(fn)(*args)
    jitted = tf.function(fn, jit_compile=True)(*args)
    return tf.nest.map_structure(np.asarray, (plain, jitted))


def test_range_loop_without_element_shape():
    def fn(x):
        ta = tf.TensorArray(tf.float32, size=3)
        for i in tf.range(3):
            ta = ta.write(i, x * tf.cast(i, tf.float32))
        return ta.stack(), ta.size()

    x = np.array([1.5, -2.0], np.float32)
    plain, jitted = _both(fn, tf.constant(x))
    want = np.stack([x * i for i in range(3)])
    for stacked, size in (plain, jitted):
        np.testing.assert_array_equal(stacked, want)
        assert size == 3


def test_while_loop_scalars_then_reads_in_a_second_loop():
    def fn(x):
        ta = tf.TensorArray(tf.float32, size=4, clear_after_read=False)

        def body(i, ta):
            return i + 1, ta.write(i, tf.reduce_sum(x) * tf.cast(i, tf.float32))

        _, ta = tf.while_loop(lambda i, ta: i < 4, body, [0, ta])
        acc = tf.constant(0.0)
        for i in tf.range(4):
            acc += ta.read(i) * tf.cast(i, tf.float32)
        return ta.stack(), acc, ta.gather([3, 0])

    plain, jitted = _both(fn, tf.constant([1.0, 2.0]))
    for stacked, acc, picked in (plain, jitted):
        np.testing.assert_array_equal(stacked, [0.0, 3.0, 6.0, 9.0])
        assert float(acc) == 3.0 * (1 + 4 + 9)
        np.testing.assert_array_equal(picked, [9.0, 0.0])


def test_unwritten_rows_are_zeros_and_nested_loops():
    def fn(x):
        ta = tf.TensorArray(tf.float32, size=7)
        for j in tf.range(2):
            for i in tf.range(3):
                ta = ta.write(j * 3 + i, x * tf.cast(i + j, tf.float32))
        return ta.stack()

    x = np.array([1.0, 2.0], np.float32)
    want = np.stack([x * (i + j) for j in range(2) for i in range(3)] + [0 * x])
    plain, jitted = _both(fn, tf.constant(x))
    np.testing.assert_array_equal(plain, want)
    np.testing.assert_array_equal(jitted, want)


def test_gradient_through_a_bounded_loop():
    def fn(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            ta = tf.TensorArray(tf.float32, size=3)

            def body(i, ta):
                return i + 1, ta.write(i, x * tf.cast(i + 1, tf.float32))

            _, ta = tf.while_loop(lambda i, ta: i < 3, body, [0, ta], maximum_iterations=3)
            y = tf.reduce_sum(ta.stack() ** 2)
        return tape.gradient(y, x)

    # y = sum_i ((i + 1) x)^2: dy/dx = 2 x (1 + 4 + 9)
    plain, jitted = _both(fn, tf.constant([1.0, -0.5]))
    np.testing.assert_allclose(plain, [28.0, -14.0], rtol=1e-6)
    np.testing.assert_allclose(jitted, [28.0, -14.0], rtol=1e-6)


def test_dynamic_size_under_jit_keeps_the_size_it_was_made_with():
    @tf.function(jit_compile=True)
    def fn(x):
        ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        for i in tf.range(3):
            ta = ta.write(i, x)
        return ta.stack()

    assert fn(tf.constant([1.0, 2.0])).shape == (0, 2)  # XLA's list of size 0 drops the writes
    # without jit_compile the array grows
    got = tf.function(fn.python_function)(tf.constant([1.0, 2.0]))
    np.testing.assert_array_equal(got, [[1.0, 2.0]] * 3)
