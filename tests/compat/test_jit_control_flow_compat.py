"""jit_compile=True with control flow on tensors inside (issue 18): AutoGraph's if / while,
tf.cond / tf.while_loop, variables assigned in them, and a gradient computed inside."""

import numpy as np


def test_autograph_if_and_while_under_jit_compile(tf):
    v = tf.Variable(0.0)

    @tf.function(jit_compile=True)
    def f(x):
        if tf.reduce_sum(x) > 0:
            y = x * 2.0
            v.assign_add(1.0)
        else:
            y = x - 1.0
        i = tf.constant(0)
        while i < 3:
            y = y + tf.cast(i, tf.float32)
            v.assign_add(10.0)
            i += 1
        return y

    np.testing.assert_array_equal(f(tf.constant([1.0, 2.0])).numpy(), [5.0, 7.0])
    np.testing.assert_array_equal(f(tf.constant([-1.0, -2.0])).numpy(), [1.0, 0.0])
    assert float(v.numpy()) == 61.0


def test_gradient_of_a_bounded_loop_and_a_cond_under_jit_compile(tf):
    @tf.function(jit_compile=True)
    def grad(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.cond(x > 0.0, lambda: x * x, lambda: -x)
            y = tf.while_loop(lambda y: y < 100.0, lambda y: y * 3.0, [y], maximum_iterations=2)
        return tape.gradient(y, x)

    assert float(grad(tf.constant(2.0))) == 36.0  # (9 x^2)' at x = 2
    assert float(grad(tf.constant(-1.0))) == -9.0
