"""Gradients through traced control flow (``tf.while_loop``, ``tf.cond``, AutoGraph loops),
``tf.autodiff.ForwardAccumulator`` and ``tf.recompute_grad``: TF 2's numbers."""

import numpy as np
import pytest


def test_tape_inside_function_through_while_reading_a_variable(tf):
    x = tf.Variable(2.0)

    @tf.function
    def f():
        with tf.GradientTape() as t:
            y = tf.while_loop(
                lambda i, a: i < 3, lambda i, a: (i + 1, a * x), [tf.constant(0), tf.constant(1.0)]
            )[1]
        return t.gradient(y, x)

    assert float(f()) == 12.0


def test_tape_outside_a_function_with_while_and_cond(tf):
    @tf.function
    def g(x):
        y = tf.while_loop(
            lambda i, a: i < 3, lambda i, a: (i + 1, a * x), [tf.constant(0), tf.constant(1.0)]
        )[1]
        return tf.cond(x > 0, lambda: y * x, lambda: -y)

    x = tf.constant(2.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y = g(x)
    assert float(y) == 16.0
    assert float(t.gradient(y, x)) == 32.0  # d x^4


def test_autograph_for_range_and_tensor_while(tf):
    @tf.function
    def f(w, u, n):
        with tf.GradientTape() as t:
            t.watch([w, u])
            s = tf.constant(0.0)
            h = w
            for i in tf.range(n):
                h = tf.sin(h) * w + tf.cast(i, tf.float32)
                s += tf.reduce_sum(h)
            v = u
            while tf.reduce_sum(v) < 10.0:
                v = v * 1.5 + 0.1
            s += tf.reduce_sum(v)
        return t.gradient(s, [w, u])

    gw, gu = f(tf.constant([0.5, -1.0]), tf.constant([1.0, 2.0]), tf.constant(4))
    np.testing.assert_allclose(gw.numpy(), [2.88454, -0.33265], rtol=1e-4)
    np.testing.assert_allclose(gu.numpy(), [3.375, 3.375], rtol=1e-6)  # 1.5 ** 3


def test_nested_loops_with_a_cond(tf):
    @tf.function
    def f(w):
        with tf.GradientTape() as t:
            t.watch(w)

            def outer_body(i, a):
                inner = tf.while_loop(
                    lambda j, b: j < i, lambda j, b: (j + 1, b * w + 1.0), [0, a]
                )[1]
                return i + 1, tf.cond(inner > 2.0, lambda: inner * 0.5, lambda: inner * w)

            y = tf.while_loop(lambda i, a: i < 4, outer_body, [0, w])[1]
        return y, t.gradient(y, w)

    y, g = f(tf.constant(0.9))
    assert float(y) == pytest.approx(1.9309904, rel=1e-5)
    assert float(g) == pytest.approx(4.5907862, rel=1e-4)


def test_maximum_iterations_second_order(tf):
    @tf.function
    def f(w):
        with tf.GradientTape() as t2:
            t2.watch(w)
            with tf.GradientTape() as t1:
                t1.watch(w)
                y = tf.while_loop(
                    lambda i, a: i < 3,
                    lambda i, a: (i + 1, tf.sin(a) * w),
                    [0, w],
                    maximum_iterations=5,
                )[1]
            d = t1.gradient(y, w)
        return d, t2.gradient(d, w)

    d, dd = f(tf.constant(0.7))
    assert float(d) == pytest.approx(1.0875581, rel=1e-5)
    assert float(dd) == pytest.approx(3.5449188, rel=1e-4)


def test_second_order_without_maximum_iterations(tf):
    @tf.function
    def f(w):
        with tf.GradientTape() as t2:
            t2.watch(w)
            with tf.GradientTape() as t1:
                t1.watch(w)
                y = tf.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, tf.sin(a) * w), [0, w])[
                    1
                ]
            d = t1.gradient(y, w)
        return t2.gradient(d, w)

    assert float(f(tf.constant(0.7))) == pytest.approx(3.5449188, rel=1e-4)


@pytest.mark.parametrize("element_shape", [[], None])
def test_loop_carrying_a_tensor_array(tf, element_shape):
    @tf.function
    def f(w):
        with tf.GradientTape() as t:
            t.watch(w)
            arr = tf.TensorArray(tf.float32, size=3, element_shape=element_shape)

            def body(i, a, arr):
                a = a * w
                return i + 1, a, arr.write(i, a)

            _, _, arr = tf.while_loop(lambda i, a, arr: i < 3, body, [0, tf.constant(1.0), arr])
            y = tf.reduce_sum(arr.stack())
        return t.gradient(y, w)

    assert float(f(tf.constant(2.0))) == 17.0


def test_forward_accumulator(tf):
    x = tf.constant([1.0, 2.0])
    v = tf.constant([1.0, 0.5])
    with tf.autodiff.ForwardAccumulator(x, v) as acc:
        y = x * x
        z = tf.constant(3.0) * 2.0
    np.testing.assert_array_equal(acc.jvp(y).numpy(), [2.0, 2.0])
    assert acc.jvp(z) is None
    assert float(acc.jvp(z, unconnected_gradients=tf.UnconnectedGradients.ZERO)) == 0.0
    with pytest.raises(ValueError):
        tf.autodiff.ForwardAccumulator(x, tf.constant([1, 2]))

    @tf.function
    def traced(x, v):
        with tf.autodiff.ForwardAccumulator(x, v) as acc:
            y = tf.sin(x)
        return acc.jvp(y)

    np.testing.assert_allclose(traced(x, v).numpy(), np.cos([1.0, 2.0]) * [1.0, 0.5], rtol=1e-6)
    with tf.autodiff.ForwardAccumulator(x, v) as acc:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(x**3)
        g = tape.gradient(y, x)
    np.testing.assert_allclose(acc.jvp(g).numpy(), [6.0, 6.0], rtol=1e-6)


def test_recompute_grad(tf):
    calls = []

    def block(a):
        calls.append(1)
        return tf.tanh(a * 2.0)

    rb = tf.recompute_grad(block)
    x = tf.constant([0.5, 1.0])
    with tf.GradientTape() as t:
        t.watch(x)
        out = tf.reduce_sum(rb(x))
    g = t.gradient(out, x)
    assert len(calls) == 2
    np.testing.assert_allclose(g.numpy(), 2 * (1 - np.tanh([1.0, 2.0]) ** 2), rtol=1e-5)


def test_higher_order_functions_inside_a_function(tf):
    x = tf.constant([[1.0, 2.0], [3.0, -1.0], [0.5, 0.25]])

    @tf.function
    def f(x):
        with tf.GradientTape(persistent=True) as t:
            t.watch(x)
            a = tf.reduce_sum(tf.map_fn(lambda r: tf.sin(r) * r, x))
            b = tf.reduce_sum(tf.scan(lambda acc, r: acc * r + 1.0, x))
            c = tf.foldl(lambda acc, r: acc * tf.reduce_sum(r), x, initializer=tf.constant(1.0))
            d = tf.switch_case(
                tf.constant(1),
                [lambda: tf.reduce_sum(x), lambda: tf.reduce_sum(x * x), lambda: tf.reduce_sum(x)],
            )
        return [t.gradient(v, x) for v in (a, b, c, d)]

    ga, gb, gc, gd = f(x)
    xs = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.25]])
    np.testing.assert_allclose(ga.numpy(), np.cos(xs) * xs + np.sin(xs), rtol=1e-5)
    np.testing.assert_allclose(gb.numpy(), [[5.5, -0.25], [1.5, 2.5], [4.0, -1.0]], rtol=1e-6)
    np.testing.assert_allclose(gc.numpy(), [[1.5, 1.5], [2.25, 2.25], [6.0, 6.0]], rtol=1e-6)
    np.testing.assert_allclose(gd.numpy(), 2 * xs, rtol=1e-6)


def test_tensor_maximum_iterations_and_back_prop_false(tf):
    @tf.function
    def f(w, m):
        with tf.GradientTape() as t:
            t.watch(w)
            y = tf.while_loop(lambda a: a < 100.0, lambda a: a * w, [w], maximum_iterations=m)[0]
        return y, t.gradient(y, w)

    y, g = f(tf.constant(1.5), tf.constant(3))
    assert (float(y), float(g)) == (5.0625, 13.5)  # w^4, 4 w^3
    y, g = f(tf.constant(6.0), tf.constant(3))
    assert (float(y), float(g)) == (216.0, 108.0)  # stops after two iterations: w^3

    @tf.function
    def no_backprop(w):
        with tf.GradientTape() as t:
            t.watch(w)
            y = tf.while_loop(lambda a: a < 100.0, lambda a: a * w, [w], back_prop=False)[0]
        return y, t.gradient(y, w)

    y, g = no_backprop(tf.constant(1.5))
    assert float(y) == pytest.approx(129.74634)
    assert g is None


def test_loop_that_assigns_and_reads_a_variable(tf):
    v = tf.Variable(0.0)

    @tf.function
    def f(w):
        with tf.GradientTape() as t:
            t.watch(w)

            def body(i, a):
                v.assign_add(1.0)
                return i + 1, a * w + v

            y = tf.while_loop(lambda i, a: i < 3, body, [0, w])[1]
        return y, t.gradient(y, w)

    y, g = f(tf.constant(2.0))
    assert (float(y), float(g)) == (27.0, 38.0)  # w^4 + w^2 + 2 w + 3 with v = 1, 2, 3
    assert float(v.numpy()) == 3.0


def test_forward_accumulator_through_a_traced_loop(tf):
    @tf.function
    def g(x):
        return tf.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, tf.sin(a) * x), [0, x])[1]

    @tf.function
    def inside(x, v):
        with tf.autodiff.ForwardAccumulator(x, v) as acc:
            y = g(x)
        return acc.jvp(y)

    x, v = tf.constant(0.7), tf.constant(2.0)
    with tf.autodiff.ForwardAccumulator(x, v) as acc:
        y = g(x)
    assert float(acc.jvp(y)) == pytest.approx(2.1751163, rel=1e-5)  # 2 * dy/dx
    assert float(inside(x, v)) == pytest.approx(2.1751163, rel=1e-5)


def test_gradient_through_a_loop_drawing_normal_noise_uses_the_forward_draws(tf):
    def noisy(x):
        def body(i, loss, noise):
            z = tf.random.normal([4])
            return i + 1, loss + tf.reduce_sum(x * z), noise + z

        return tf.while_loop(lambda i, lo, s: i < 6, body, [0, tf.constant(0.0), tf.zeros([4])])

    @tf.function
    def inside(x):
        with tf.GradientTape() as t:
            t.watch(x)
            _, loss, noise = noisy(x)
        return loss, noise, t.gradient(loss, x)

    @tf.function
    def forward(x):
        return noisy(x)[1:]

    x = tf.constant([1.0, -2.0, 0.5, 3.0])
    loss, noise, g = inside(x)
    np.testing.assert_allclose(g.numpy(), noise.numpy(), rtol=1e-5, atol=1e-6)
    assert float(loss) == pytest.approx(float(np.dot(x.numpy(), noise.numpy())), rel=1e-4)
    with tf.GradientTape() as t:
        t.watch(x)
        loss, noise = forward(x)
    np.testing.assert_allclose(t.gradient(loss, x).numpy(), noise.numpy(), rtol=1e-5, atol=1e-6)


def test_keras_dropout_in_an_rnn_like_autograph_loop(tf):
    drop = tf.keras.layers.Dropout(0.5)
    w = tf.Variable(1.0)

    @tf.function
    def f(x):
        with tf.GradientTape() as t:
            h = tf.zeros([256])
            for i in tf.range(4):
                h = 0.5 * h + drop(x[i] * w, training=True)
            loss = tf.reduce_sum(h)
        return h, loss, t.gradient(loss, w)

    x = tf.constant(np.arange(1.0, 1025.0, dtype=np.float32).reshape(4, 256))
    h, loss, g = f(x)
    assert 0 < int(np.sum(h.numpy() == 0.0)) < 256  # dropped at every step in some places
    # h is linear in w: d loss / dw at w = 1 is the loss itself, with the forward's masks
    assert float(g) == pytest.approx(float(loss), rel=1e-5)
    h2, _, _ = f(x)
    assert not np.array_equal(h.numpy(), h2.numpy())  # new masks on each call


def test_dropout_inside_a_cond_inside_a_differentiated_loop(tf):
    @tf.function
    def f(x, p):
        with tf.GradientTape() as t:
            t.watch(x)

            def body(i, acc):
                y = tf.cond(p, lambda: tf.nn.dropout(x * x, 0.5), lambda: x)
                return i + 1, acc + y

            acc = tf.while_loop(lambda i, a: i < 3, body, [0, tf.zeros([256])])[1]
            loss = tf.reduce_sum(acc)
        return acc, t.gradient(loss, x)

    x = tf.constant(np.full(256, 3.0, np.float32))
    acc, g = f(x, tf.constant(True))
    a = acc.numpy()
    assert 0 < int(np.sum(a == 0.0)) < 256
    np.testing.assert_allclose(g.numpy(), a * 2 / 3.0, rtol=1e-6)  # 2 x * kept / 0.5 per step
    acc, g = f(x, tf.constant(False))
    np.testing.assert_array_equal(g.numpy(), np.full(256, 3.0, np.float32))
