"""jit_compile=True with tf.cond / tf.while_loop / AutoGraph control flow inside (issue 18):
the If / While nodes run as jax.lax.cond / while_loop; numbers match the function without
jit_compile, variables assigned in branches and loops are stored, gradients flow."""

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_kernels.runtime import errors, list_kernels

pytestmark = pytest.mark.skipif(not list_kernels(device_type="XLA_CPU"), reason="no JAX / XLA")


def _both(fn, *args):
    """``fn(*args)`` traced without and with jit_compile: both results, as NumPy."""
    plain = tf.function(fn)(*args)
    jitted = tf.function(fn, jit_compile=True)(*args)
    return tf.nest.map_structure(np.asarray, (plain, jitted))


def _autograph_fn(x):
    if tf.reduce_sum(x) > 0:
        y = x * 2.0
    else:
        y = x - 1.0
    i = tf.constant(0)
    while i < 3:
        y = y + tf.cast(i, tf.float32)
        i += 1
    return y


@pytest.mark.parametrize("x, want", [([1.0, 2.0], [5.0, 7.0]), ([-1.0, -2.0], [1.0, 0.0])])
def test_autograph_if_and_while(x, want):
    plain, jitted = _both(_autograph_fn, tf.constant(x))
    np.testing.assert_array_equal(jitted, want)
    np.testing.assert_array_equal(plain, want)


def test_cond_in_a_loop_and_a_loop_in_a_cond():
    def fn(x, n):
        def body(i, acc):
            acc = tf.cond(i % 2 == 0, lambda: acc + x, lambda: acc * 0.5)
            return i + 1, acc

        _, acc = tf.while_loop(lambda i, acc: i < n, body, [tf.constant(0), tf.zeros_like(x)])

        def halve_until_small():
            return tf.while_loop(lambda v: tf.reduce_max(v) > 1.0, lambda v: v / 2.0, [acc])[0]

        return tf.cond(n > 2, halve_until_small, lambda: acc)

    x = tf.constant([3.0, 1.0])
    for n in (2, 5):
        plain, jitted = _both(fn, x, tf.constant(n))
        np.testing.assert_allclose(jitted, plain, rtol=1e-6)
    # n = 5: acc = ((((0 + x) / 2) + x) / 2) + x = 1.75 x = [5.25, 1.75]; halved 3 times
    np.testing.assert_allclose(jitted, [5.25 / 8, 1.75 / 8], rtol=1e-6)


def test_maximum_iterations_stops_the_loop():
    def fn(x):
        return tf.while_loop(lambda v: v < 100.0, lambda v: v * 2.0, [x], maximum_iterations=3)

    plain, jitted = _both(fn, tf.constant(1.5))
    assert float(jitted[0]) == float(plain[0]) == 12.0
    plain, jitted = _both(fn, tf.constant(60.0))
    assert float(jitted[0]) == float(plain[0]) == 120.0


def test_variables_assigned_in_branches_and_loops():
    v = tf.Variable([1.0, 2.0])
    count = tf.Variable(0)

    @tf.function(jit_compile=True)
    def step(x):
        if tf.reduce_sum(x) > 0:
            v.assign_add(x)
        else:
            v.assign(v * 3.0)
        i = tf.constant(0)
        while i < 4:
            count.assign_add(i)
            i += 1
        return v.read_value() + 1.0

    np.testing.assert_array_equal(step(tf.constant([1.0, 1.0])).numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(v.numpy(), [2.0, 3.0])
    np.testing.assert_array_equal(step(tf.constant([-1.0, 0.0])).numpy(), [7.0, 10.0])
    np.testing.assert_array_equal(v.numpy(), [6.0, 9.0])
    assert int(count.numpy()) == 12  # 0 + 1 + 2 + 3, twice


def test_gradients_through_a_jitted_cond_and_loop_match_finite_differences():
    def fn(x):
        y = tf.cond(tf.reduce_sum(x) > 0, lambda: tf.sin(x) * x, lambda: x * x * x)
        return tf.while_loop(
            lambda i, y: i < 3, lambda i, y: (i + 1, y * 1.5 + tf.tanh(y)), [0, y],
            maximum_iterations=3,
        )[1]  # fmt: skip

    jitted, plain = tf.function(fn, jit_compile=True), tf.function(fn)

    def inner(f):
        @tf.function(jit_compile=f is jitted)
        def grad(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.reduce_sum(fn(x))
            return tape.gradient(y, x)

        return grad

    for x0 in ([0.3, -0.2, 0.5], [-0.4, -0.1, 0.2]):
        x = tf.constant(x0, tf.float64)
        with tf.GradientTape() as tape:  # a tape around the jitted call
            tape.watch(x)
            y = tf.reduce_sum(jitted(x))
        outer = tape.gradient(y, x).numpy()
        inside = inner(jitted)(x).numpy()  # the backward pass compiled too
        eps, xs = 1e-6, np.array(x0)
        fd = [
            (np.sum(plain(tf.constant(xs + eps * e)).numpy())
             - np.sum(plain(tf.constant(xs - eps * e)).numpy())) / (2 * eps)
            for e in np.eye(3)
        ]  # fmt: skip
        np.testing.assert_allclose(outer, fd, rtol=1e-6)
        np.testing.assert_allclose(inside, fd, rtol=1e-6)


def test_random_ops_in_jitted_loops_draw_anew_each_iteration():
    def fn():
        def outer(i, buf):
            def inner(j, buf):
                u = tf.random.uniform([1])
                return j + 1, tf.tensor_scatter_nd_update(buf, tf.reshape(i * 3 + j, [1, 1]), u)

            return i + 1, tf.while_loop(lambda j, b: j < 3, inner, [0, buf])[1]

        return tf.while_loop(lambda i, b: i < 2, outer, [0, tf.zeros([6])])[1]

    f = tf.function(fn, jit_compile=True)
    first, second = f().numpy(), f().numpy()
    for draws in (first, second):
        assert np.all((draws >= 0.0) & (draws < 1.0))
        assert len(set(draws.tolist())) == 6  # every iteration of both loops its own numbers
    assert not np.array_equal(first, second)  # each call draws anew


def test_loop_gradient_without_maximum_iterations_is_tf_error():
    @tf.function(jit_compile=True)
    def grad(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.while_loop(lambda v: tf.reduce_sum(v) < 10.0, lambda v: v * 2.0, [x])[0]
        return tape.gradient(y, x)

    with pytest.raises(errors.InvalidArgumentError, match="requires a fixed tensor list size"):
        grad(tf.constant([1.0, 2.0]))
