"""Gradients through traced control flow: ``While`` / ``If`` nodes, with the tape inside the
traced function (the nodes' own rules) and outside around the call (the eager replay), checked
against finite differences, hand-computed values and the eager loop."""

from __future__ import annotations

import numpy as np
import pytest

import tensorhouse_ops as tf


def _fd(fn, x, eps=1e-3):
    """Central finite differences of a scalar ``fn`` (float64 NumPy in, float out)."""
    x = np.asarray(x, np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[i] = eps
        g[i] = (fn(x + d) - fn(x - d)) / (2 * eps)
    return g


def test_tape_inside_while_reaches_a_variable_read_in_the_body():
    x = tf.Variable(2.0)

    @tf.function
    def f():
        with tf.GradientTape() as t:
            y = tf.while_loop(
                lambda i, a: i < 3, lambda i, a: (i + 1, a * x), [tf.constant(0), tf.constant(1.0)]
            )[1]
        return y, t.gradient(y, x)

    y, g = f()
    assert float(y) == 8.0
    assert float(g) == 12.0  # d x^3 / dx at 2
    types = [op.type for op in f.get_concrete_function().graph.get_operations()]
    # the forward loop and its backward loop (the compiled walk over the stored iterations)
    assert types.count("StatelessWhile") + types.count("While") == 1
    assert types.count("WhileGrad") == 1


def test_tape_outside_a_traced_while_and_cond():
    @tf.function
    def g(x):
        return tf.while_loop(
            lambda i, a: i < 3, lambda i, a: (i + 1, a * x), [tf.constant(0), tf.constant(1.0)]
        )[1]

    @tf.function
    def h(x):
        return tf.cond(x > 0, lambda: x * x, lambda: -x)

    x = tf.constant(2.0)
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        y = g(x)
        z = h(x)
        w = h(-x)
    assert float(t.gradient(y, x)) == 12.0
    assert float(t.gradient(z, x)) == 4.0
    assert float(t.gradient(w, x)) == 1.0  # d(-(-x))/dx


def _rnn_loop(w, m, steps):
    """A tanh recurrence over ``steps`` iterations, as a while_loop."""
    return tf.while_loop(
        lambda i, a: i < steps,
        lambda i, a: (i + 1, tf.tanh(tf.matmul(a, m)) + 0.1 * a),
        [tf.constant(0), w],
    )[1]


def test_while_gradient_matches_finite_differences():
    w0 = np.array([[0.3, -0.2, 0.1]], np.float32)
    m0 = np.array([[0.5, 0.1, 0.0], [0.2, -0.4, 0.3], [0.1, 0.2, 0.6]], np.float32)

    @tf.function
    def grads(w, m, n):
        with tf.GradientTape() as t:
            t.watch([w, m])
            s = tf.reduce_sum(tf.square(_rnn_loop(w, m, n)))
        return s, t.gradient(s, [w, m])

    def value(w, m):
        a = w
        for _ in range(4):
            a = np.tanh(a @ m) + 0.1 * a
        return float(np.sum(a * a))

    s, (gw, gm) = grads(tf.constant(w0), tf.constant(m0), tf.constant(4))
    np.testing.assert_allclose(float(s), value(w0, m0), rtol=1e-5)
    np.testing.assert_allclose(gw.numpy(), _fd(lambda w: value(w, m0), w0), rtol=1e-3, atol=1e-5)
    np.testing.assert_allclose(gm.numpy(), _fd(lambda m: value(w0, m), m0), rtol=1e-3, atol=1e-5)
    # the same gradients eagerly (a Python loop under the tape)
    w, m = tf.constant(w0), tf.constant(m0)
    with tf.GradientTape() as t:
        t.watch([w, m])
        e = tf.reduce_sum(tf.square(_rnn_loop(w, m, tf.constant(4))))
    ew, em = t.gradient(e, [w, m])
    np.testing.assert_allclose(gw.numpy(), ew.numpy(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(gm.numpy(), em.numpy(), rtol=1e-5, atol=1e-7)


def test_while_with_zero_iterations_passes_the_gradient_through():
    @tf.function
    def f(x, n):
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.while_loop(lambda i, a: i < n, lambda i, a: (i + 1, a * a), [0, x])[1]
        return t.gradient(y, x)

    assert float(f(tf.constant(3.0), tf.constant(0))) == 1.0
    assert float(f(tf.constant(3.0), tf.constant(2))) == pytest.approx(4 * 27.0)  # d x^4


def test_autograph_for_and_while_loops():
    @tf.function
    def for_loop(w, n):
        with tf.GradientTape() as t:
            t.watch(w)
            s = tf.constant(0.0)
            h = w
            for i in tf.range(n):
                h = tf.sin(h) * w + tf.cast(i, tf.float32)
                s += tf.reduce_sum(h)
        return t.gradient(s, w)

    def value(w):
        s, h = 0.0, w
        for i in range(4):
            h = np.sin(h) * w + i
            s += np.sum(h)
        return s

    w0 = np.array([0.5, -1.0])
    g = for_loop(tf.constant(w0, tf.float32), tf.constant(4))
    np.testing.assert_allclose(g.numpy(), _fd(value, w0), rtol=1e-4)

    @tf.function
    def while_loop(w):
        with tf.GradientTape() as t:
            t.watch(w)
            v = w
            while tf.reduce_sum(v) < 10.0:
                v = v * 1.5 + 0.1
        return t.gradient(v, w)

    np.testing.assert_allclose(while_loop(tf.constant([1.0, 2.0])).numpy(), [3.375, 3.375])


def test_nested_loops_and_cond_inside_a_loop():
    @tf.function
    def nested(w):
        with tf.GradientTape() as t:
            t.watch(w)

            def outer_body(i, a):
                inner = tf.while_loop(
                    lambda j, b: j < i, lambda j, b: (j + 1, b * w + 1.0), [0, a]
                )[1]
                inner = tf.cond(inner > 2.0, lambda: inner * 0.5, lambda: inner * w)
                return i + 1, inner

            y = tf.while_loop(lambda i, a: i < 4, outer_body, [0, w])[1]
        return y, t.gradient(y, w)

    def value(w):
        a = w
        for i in range(4):
            for _ in range(i):
                a = a * w + 1.0
            a = a * 0.5 if a > 2.0 else a * w
        return a

    y, g = nested(tf.constant(0.9))
    np.testing.assert_allclose(float(y), value(0.9), rtol=1e-5)
    np.testing.assert_allclose(float(g), _fd(value, 0.9, 1e-4), rtol=1e-3)


def test_maximum_iterations_and_second_order():
    @tf.function
    def f(w):
        with tf.GradientTape() as t2:
            t2.watch(w)
            with tf.GradientTape() as t1:
                t1.watch(w)
                y = tf.while_loop(
                    lambda a: a < 100.0, lambda a: tf.sin(a) * w + a, [w], maximum_iterations=3
                )[0]
            d = t1.gradient(y, w)
        return y, d, t2.gradient(d, w)

    def value(w):
        a = w
        for _ in range(3):
            a = np.sin(a) * w + a
        return a

    y, d, dd = f(tf.constant(0.7))
    np.testing.assert_allclose(float(y), value(0.7), rtol=1e-5)
    np.testing.assert_allclose(float(d), _fd(value, 0.7, 1e-4), rtol=1e-3)
    second = (value(0.7 + 1e-3) - 2 * value(0.7) + value(0.7 - 1e-3)) / 1e-6
    np.testing.assert_allclose(float(dd), second, rtol=2e-3)


def test_second_order_without_maximum_iterations():
    @tf.function
    def f(w, n):
        with tf.GradientTape() as t2:
            t2.watch(w)
            with tf.GradientTape() as t1:
                t1.watch(w)
                y = tf.while_loop(lambda i, a: i < n, lambda i, a: (i + 1, a * a * w), [0, w])[1]
            d = t1.gradient(y, w)
        return d, t2.gradient(d, w)

    # y = w^(2^n+1 - 1) = w^7 for n = 2: y' = 7 w^6, y'' = 42 w^5
    d, dd = f(tf.constant(1.1), tf.constant(2))
    np.testing.assert_allclose(float(d), 7 * 1.1**6, rtol=1e-5)
    np.testing.assert_allclose(float(dd), 42 * 1.1**5, rtol=1e-5)


def test_cond_gradients_and_second_order():
    v = tf.Variable(3.0)

    @tf.function
    def f(w, p):
        with tf.GradientTape() as t2:
            t2.watch(w)
            with tf.GradientTape() as t1:
                t1.watch(w)
                y = tf.cond(p, lambda: tf.sin(w) * w * v, lambda: tf.exp(w))
            d = t1.gradient(y, [w, v])
        return d, t2.gradient(d[0], w)

    (dw, dv), dd = f(tf.constant(0.7), tf.constant(True))
    w = 0.7
    np.testing.assert_allclose(float(dw), 3.0 * (np.cos(w) * w + np.sin(w)), rtol=1e-5)
    np.testing.assert_allclose(float(dv), np.sin(w) * w, rtol=1e-5)
    np.testing.assert_allclose(float(dd), 3.0 * (2 * np.cos(w) - w * np.sin(w)), rtol=1e-5)
    (dw, dv), dd = f(tf.constant(0.7), tf.constant(False))
    np.testing.assert_allclose(float(dw), np.exp(w), rtol=1e-6)
    assert float(dv) == 0.0  # the branch taken does not read v
    np.testing.assert_allclose(float(dd), np.exp(w), rtol=1e-6)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"size": 3, "element_shape": []},
        {"size": 3},  # the buffer grows at the first write, inside the loop
        {"size": 0, "dynamic_size": True},  # it grows at every write
    ],
)
def test_loop_carrying_a_tensor_array(kwargs):
    @tf.function
    def f(w):
        with tf.GradientTape() as t:
            t.watch(w)
            arr = tf.TensorArray(tf.float32, **kwargs)

            def body(i, a, arr):
                a = a * w
                return i + 1, a, arr.write(i, a)

            _, _, arr = tf.while_loop(lambda i, a, arr: i < 3, body, [0, tf.constant(1.0), arr])
            y = tf.reduce_sum(arr.stack())
        return y, t.gradient(y, w)

    y, g = f(tf.constant(2.0))
    assert float(y) == 14.0  # 2 + 4 + 8
    assert float(g) == 17.0  # 1 + 2*2 + 3*4


def test_unconnected_and_integer_loop_variables():
    @tf.function
    def f(w):
        with tf.GradientTape(persistent=True) as t:
            t.watch(w)
            u = tf.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a + 1.0), [0, 1.0])[1]
            y = tf.while_loop(
                lambda i, a: i < 5, lambda i, a: (i + 2, a * w + tf.cast(i, tf.float32)), [0, w]
            )[1]
        gu = t.gradient(u, w, unconnected_gradients=tf.UnconnectedGradients.ZERO)
        return gu, t.gradient(y, w)

    gu, gy = f(tf.constant(1.2))
    assert float(gu) == 0.0
    # y = ((w*w)*w + 2)*w + 4 = w^4 + 2w + 4: dy/dw = 4 w^3 + 2
    np.testing.assert_allclose(float(gy), 4 * 1.2**3 + 2, rtol=1e-5)


def test_loop_that_assigns_a_variable_keeps_its_effects_once():
    v = tf.Variable(0.0)
    count = tf.Variable(0)

    @tf.function
    def f(w):
        with tf.GradientTape() as t:
            t.watch(w)

            def body(i, a):
                count.assign_add(1)  # assigned, never read in the loop: replays are exact
                return i + 1, a * w + 1.0

            y = tf.while_loop(lambda i, a: i < 3, body, [0, w])[1]
        return y, t.gradient(y, w)

    y, g = f(tf.constant(2.0))
    assert float(y) == 23.0  # ((2*2+1)*2+1)*2+1
    assert float(g) == 4 * 2.0**3 + 2 * 2.0 + 1  # y = w^4 + w^2 + w + 1
    assert int(count.numpy()) == 3  # the gradient's replays do not assign again

    @tf.function
    def reads_what_it_assigns(w):
        with tf.GradientTape() as t:
            t.watch(w)

            def body(i, a):
                v.assign_add(1.0)
                return i + 1, a * w + v

            y = tf.while_loop(lambda i, a: i < 3, body, [0, w])[1]
        return y, t.gradient(y, w)

    # v reads 1, 2, 3 (the replays simulate its values): y = w^4 + w^2 + 2 w + 3
    y, g = reads_what_it_assigns(tf.constant(2.0))
    assert (float(y), float(g)) == (27.0, 4 * 8.0 + 2 * 2.0 + 2)
    assert float(v) == 3.0

    @tf.function
    def assigns_in_a_nested_cond(w):
        with tf.GradientTape() as t:
            t.watch(w)

            def body(i, a):
                tf.cond(a > 0, lambda: v.assign_add(1.0), lambda: v.assign_sub(1.0))
                return i + 1, a * w + v

            y = tf.while_loop(lambda i, a: i < 3, body, [0, w])[1]
        return t.gradient(y, w)

    with pytest.raises(tf.errors.UnimplementedError, match="nested tf.cond"):
        assigns_in_a_nested_cond(tf.constant(2.0))


def test_reads_after_a_loop_see_its_assignments():
    v = tf.Variable(1.0)

    @tf.function
    def f():
        before = v * 1.0
        tf.while_loop(lambda i: i < 3, lambda i: (v.assign_add(1.0), i + 1)[1], [0])
        return before, v * 1.0

    before, after = f()
    assert float(before) == 1.0
    assert float(after) == 4.0


def test_variable_read_in_a_branch_is_watched_like_tf():
    v = tf.Variable(2.0)

    @tf.function
    def f(p):
        with tf.GradientTape() as t:
            y = tf.cond(p, lambda: v * v, lambda: tf.constant(1.0))
        return t.gradient(y, v)

    assert float(f(tf.constant(True))) == 4.0
    assert f(tf.constant(False)) is not None  # watched (a zero gradient through the If)


def test_cond_gradient_uses_the_numbers_its_branch_drew():
    @tf.function
    def f(x, p):
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.cond(p, lambda: tf.nn.dropout(x * x, 0.5), lambda: x)
            s = tf.reduce_sum(y)
        return y, t.gradient(s, x)

    x = tf.constant(np.arange(1.0, 33.0, dtype=np.float32))
    y, g = f(x, tf.constant(True))
    kept = y.numpy() != 0
    assert 0 < kept.sum() < 32
    # d/dx (x^2 * mask / 0.5) = 4 x where kept, 0 where dropped
    np.testing.assert_allclose(g.numpy(), np.where(kept, 4 * x.numpy(), 0.0))
    y, g = f(x, tf.constant(False))
    np.testing.assert_array_equal(g.numpy(), np.ones(32))


def test_second_order_through_a_loop_drawing_random_numbers_is_unimplemented():
    # (first order works: test_control_flow_grad_stored.py); the differentiable form replays
    @tf.function
    def f(x):
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t:
                t.watch(x)
                y = tf.while_loop(
                    lambda i, a: i < 2, lambda i, a: (i + 1, a * tf.random.uniform([])), [0, x]
                )[1]
            g = t.gradient(y, x)
        return t2.gradient(g, x)

    with pytest.raises(tf.errors.UnimplementedError, match="draws random numbers"):
        f(tf.constant(1.0))
