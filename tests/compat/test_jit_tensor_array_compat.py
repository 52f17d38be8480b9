"""tf.TensorArray written in loops inside tf.function(jit_compile=True) (issue 18): a fixed size
compiles (element shape given or learned from the first write), a loop's gradient needs a bound,
the size never changes (dynamic_size or not) and a write's index is clamped into it (XLA's)."""

import numpy as np
import pytest


def test_fixed_size_array_in_range_and_while_loops_under_jit_compile(tf):
    @tf.function(jit_compile=True)
    def f(x):
        ta = tf.TensorArray(tf.float32, size=3)
        for i in tf.range(3):
            ta = ta.write(i, x * tf.cast(i, tf.float32))
        scalars = tf.TensorArray(tf.int32, size=4, element_shape=[])
        _, scalars = tf.while_loop(
            lambda i, s: i < 4, lambda i, s: (i + 1, s.write(i, i * i)), [0, scalars]
        )
        return ta.stack(), ta.concat(), scalars.stack(), ta.size()

    stacked, joined, squares, size = f(tf.constant([1.0, 2.0]))
    np.testing.assert_array_equal(stacked.numpy(), [[0.0, 0.0], [1.0, 2.0], [2.0, 4.0]])
    np.testing.assert_array_equal(joined.numpy(), [0.0, 0.0, 1.0, 2.0, 2.0, 4.0])
    np.testing.assert_array_equal(squares.numpy(), [0, 1, 4, 9])
    assert int(size.numpy()) == 3


def test_partly_written_array_in_nested_loops_under_jit_compile(tf):
    @tf.function(jit_compile=True)
    def f(x):
        ta = tf.TensorArray(tf.float32, size=5)
        for j in tf.range(2):
            for i in tf.range(2):
                ta = ta.write(j * 2 + i, x + tf.cast(10 * j + i, tf.float32))
        return ta.stack()

    got = f(tf.constant([0.5])).numpy()
    np.testing.assert_array_equal(got, [[0.5], [1.5], [10.5], [11.5], [0.0]])


def test_loop_gradient_under_jit_compile_needs_maximum_iterations(tf):
    def make(bound):
        @tf.function(jit_compile=True)
        def f(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                ta = tf.TensorArray(tf.float32, size=3)
                _, ta = tf.while_loop(
                    lambda i, ta: i < 3,
                    lambda i, ta: (i + 1, ta.write(i, x * tf.cast(i + 1, tf.float32))),
                    [0, ta],
                    maximum_iterations=bound,
                )
                y = tf.reduce_sum(ta.stack() ** 2)
            return tape.gradient(y, x)

        return f

    np.testing.assert_allclose(make(3)(tf.constant([1.0, 2.0])).numpy(), [28.0, 56.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="requires a fixed tensor list size"):
        make(None)(tf.constant([1.0, 2.0]))


def test_dynamic_size_array_keeps_its_size_under_jit_compile(tf):
    # XLA's lists never grow: a dynamic_size array holds the size it was made with
    @tf.function(jit_compile=True)
    def f(x, steps=3, size=3):
        ta = tf.TensorArray(tf.float32, size=size, dynamic_size=True)
        for i in tf.range(steps):
            ta = ta.write(i, x * tf.cast(i + 1, tf.float32))
        return ta.stack()

    x = tf.constant([1.0, 2.0])
    np.testing.assert_array_equal(f(x).numpy(), [[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])
    # writes past the end land on the last element (XLA clamps the index)
    np.testing.assert_array_equal(f(x, steps=5).numpy(), [[1.0, 2.0], [2.0, 4.0], [5.0, 10.0]])
    assert f(x, size=0).numpy().shape == (0, 2)


def test_write_past_a_fixed_size_is_clamped_under_jit_compile(tf):
    @tf.function(jit_compile=True)
    def f(x):
        once = tf.TensorArray(tf.float32, size=2).write(5, x).write(-3, x + 1.0)
        looped = tf.TensorArray(tf.float32, size=2)
        for i in tf.range(4):
            looped = looped.write(i, x * tf.cast(i, tf.float32))
        return once.stack(), looped.stack()

    once, looped = f(tf.constant([1.0, 2.0]))
    np.testing.assert_array_equal(once.numpy(), [[2.0, 3.0], [1.0, 2.0]])
    np.testing.assert_array_equal(looped.numpy(), [[0.0, 0.0], [3.0, 6.0]])
