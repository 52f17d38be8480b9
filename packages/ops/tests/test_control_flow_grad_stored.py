"""The fast gradient of a traced ``While``: the forward loop stores its iterations and a
``WhileGrad`` node walks them back (no forward recompute, no quadratic stacks); an eager tape
around a traced loop records it as one op. Random draws inside differentiated loops: the
backward pass uses the forward's draws. Checked against the eager loop, finite differences
and the numbers the loops return."""

from __future__ import annotations

import numpy as np
import pytest

import tensorhouse_ops as tf

X0 = np.linspace(-1.0, 1.0, 8, dtype=np.float32)


def _loop(x, w, n):
    return tf.while_loop(lambda i, a: i < n, lambda i, a: (i + 1, tf.tanh(a * w) + 0.1 * a),
                         [tf.constant(0), x])[1]  # fmt: skip


def _numpy_loop(x, w, n):
    for _ in range(n):
        x = np.tanh(x * w) + 0.1 * x
    return x


def _eager_grads(x, w, n):
    """The gradients of sum(loop) with the loop run eagerly (a Python loop under the tape)."""
    with tf.GradientTape() as t:
        t.watch(x)
        loss = tf.reduce_sum(_loop(x, w, n))
    grads = t.gradient(loss, [x, w], unconnected_gradients=tf.UnconnectedGradients.ZERO)
    return [g.numpy() for g in grads]


def _op_types(fn, *args):
    return [op.type for op in fn.get_concrete_function(*args).graph.get_operations()]


@pytest.mark.parametrize("n", [0, 1, 7, 50])
def test_tape_inside_function_matches_the_eager_loop(n):
    w = tf.Variable(0.8)
    x = tf.constant(X0)

    @tf.function
    def f(x):
        with tf.GradientTape() as t:
            t.watch(x)
            loss = tf.reduce_sum(_loop(x, w, n))
        return loss, t.gradient(loss, [x, w])

    loss, (gx, gw) = f(x)
    np.testing.assert_allclose(float(loss), _numpy_loop(X0, 0.8, n).sum(), rtol=1e-5)
    ex, ew = _eager_grads(x, w, n)
    np.testing.assert_allclose(gx.numpy(), ex, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(float(gw), float(ew), rtol=1e-5, atol=1e-6)
    if n == 0:
        np.testing.assert_array_equal(gx.numpy(), np.ones(8))  # the loop is the identity
        assert float(gw) == 0.0
    types = _op_types(f, x)
    assert types.count("WhileGrad") == 1
    assert types.count("While") + types.count("StatelessWhile") == 1  # no recomputing loop


def test_gradient_matches_finite_differences():
    n = 20

    @tf.function
    def f(x, w):
        with tf.GradientTape() as t:
            t.watch([x, w])
            loss = tf.reduce_sum(_loop(x, w, n) ** 2)
        return t.gradient(loss, [x, w])

    x0 = np.array([0.3, -0.7, 1.1], np.float64)
    gx, gw = f(tf.constant(x0), tf.constant(0.9, tf.float64))

    def loss(x, w):
        return float(np.sum(_numpy_loop(x, w, n) ** 2))

    eps = 1e-6
    fd_w = (loss(x0, 0.9 + eps) - loss(x0, 0.9 - eps)) / (2 * eps)
    fd_x = [(loss(x0 + d, 0.9) - loss(x0 - d, 0.9)) / (2 * eps) for d in np.eye(3) * eps]
    np.testing.assert_allclose(gx.numpy(), fd_x, rtol=1e-6)
    np.testing.assert_allclose(float(gw), fd_w, rtol=1e-6)


def test_eager_tape_around_a_traced_loop_matches_the_eager_loop():
    w = tf.Variable(0.8)
    x = tf.constant(X0)

    @tf.function
    def f(x):
        return tf.reduce_sum(_loop(x, w, 30))

    with tf.GradientTape() as t:
        t.watch(x)
        loss = f(x)
    assert len(t._records) < 5  # the loop is one record, not one per op and iteration
    gx, gw = t.gradient(loss, [x, w])
    ex, ew = _eager_grads(x, w, 30)
    np.testing.assert_allclose(gx.numpy(), ex, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(float(gw), float(ew), rtol=1e-5, atol=1e-6)


def test_second_order_with_nested_tapes_around_a_traced_loop():
    # two recording tapes: the loop unrolls op by op, so the outer tape sees the inner backward
    @tf.function
    def f(x):
        return tf.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a * x),
                             [tf.constant(0), tf.constant(1.0)])[1]  # fmt: skip

    x = tf.constant(1.5)
    with tf.GradientTape() as t2:
        t2.watch(x)
        with tf.GradientTape() as t1:
            t1.watch(x)
            y = f(x)  # x ** 3
        g = t1.gradient(y, x)
    assert float(g) == pytest.approx(3 * 1.5**2)
    assert float(t2.gradient(g, x)) == pytest.approx(6 * 1.5)


def test_outer_eager_tape_differentiates_a_gradient_taken_inside_the_function():
    # the traced WhileGrad replays op by op under the outer tape (second order of x ** 4)
    @tf.function
    def inner_grad(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.while_loop(lambda i, a: i < 4, lambda i, a: (i + 1, a * x),
                              [tf.constant(0), tf.constant(1.0)])[1]  # fmt: skip
        return t.gradient(y, x)

    x = tf.constant(1.5)
    assert float(inner_grad(x)) == pytest.approx(4 * 1.5**3)
    with tf.GradientTape() as t:
        t.watch(x)
        g = inner_grad(x)
    assert float(g) == pytest.approx(4 * 1.5**3)
    assert float(t.gradient(g, x)) == pytest.approx(12 * 1.5**2)


def test_second_order_inside_the_function_uses_the_differentiable_form():
    @tf.function
    def f(x):
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                y = tf.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a * tf.sin(x)),
                                  [tf.constant(0), tf.constant(1.0)])[1]  # fmt: skip
            g = t1.gradient(y, x)
        return g, t2.gradient(g, x)

    g, gg = f(tf.constant(0.7))
    s, c = np.sin(0.7), np.cos(0.7)
    assert float(g) == pytest.approx(3 * s**2 * c, rel=1e-5)
    assert float(gg) == pytest.approx(6 * s * c**2 - 3 * s**3, rel=1e-5)


def test_persistent_tape_reuses_one_history():
    w = tf.Variable(0.8)

    @tf.function
    def f(x):
        with tf.GradientTape(persistent=True) as t:
            t.watch(x)
            y = _loop(x, w, 5)
            a, b = tf.reduce_sum(y), tf.reduce_sum(y * y)
        return t.gradient(a, x), t.gradient(b, x)

    x = tf.constant(X0)
    ga, gb = f(x)
    y = _numpy_loop(X0, 0.8, 5)
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        ye = _loop(x, w, 5)
        a, b = tf.reduce_sum(ye), tf.reduce_sum(ye * ye)
    np.testing.assert_allclose(ga.numpy(), t.gradient(a, x).numpy(), rtol=1e-5)
    np.testing.assert_allclose(gb.numpy(), t.gradient(b, x).numpy(), rtol=1e-5)
    np.testing.assert_allclose(gb.numpy() / ga.numpy(), 2 * y, rtol=1e-4)
    types = _op_types(f, x)
    assert types.count("WhileGrad") == 2
    assert types.count("While") + types.count("StatelessWhile") == 1


def test_nested_loops_and_maximum_iterations():
    @tf.function
    def f(x):
        with tf.GradientTape() as t:
            t.watch(x)

            def body(i, a):
                inner = tf.while_loop(lambda j, b: j < 2, lambda j, b: (j + 1, tf.sin(b) * x),
                                      [0, a])[1]  # fmt: skip
                return i + 1, inner + a

            y = tf.while_loop(lambda i, a: i < 10, body, [0, x], maximum_iterations=3)[1]
        return y, t.gradient(y, x)

    def ref(x):
        a = x
        for _ in range(3):
            b = a
            for _ in range(2):
                b = np.sin(b) * x
            a = b + a
        return a

    y, g = f(tf.constant(0.4, tf.float64))
    assert float(y) == pytest.approx(ref(0.4))
    assert float(g) == pytest.approx((ref(0.4 + 1e-6) - ref(0.4 - 1e-6)) / 2e-6, rel=1e-6)


def test_variable_assigned_and_read_in_the_loop():
    # the reads of a variable the loop assigns are stored: the backward sees the forward's
    v = tf.Variable(1.0)

    @tf.function
    def f(x):
        with tf.GradientTape() as t:
            t.watch(x)

            def body(i, a):
                v.assign_add(1.0)
                return i + 1, a * x * v

            y = tf.while_loop(lambda i, a: i < 3, body, [0, tf.constant(1.0)])[1]
        return y, t.gradient(y, x)

    y, g = f(tf.constant(2.0))  # v = 2, 3, 4: y = x^3 * 24
    assert float(y) == 8.0 * 24
    assert float(g) == 3 * 4.0 * 24
    assert float(v) == 4.0

    @tf.function
    def h(x):
        def body(i, a):
            v.assign_add(1.0)
            return i + 1, a * x * v

        return tf.while_loop(lambda i, a: i < 3, body, [0, tf.constant(1.0)])[1]

    x = tf.constant(2.0)
    with tf.GradientTape() as t:  # an eager tape around the call: v = 5, 6, 7
        t.watch(x)
        y = h(x)
    assert float(y) == 8.0 * 210
    assert float(t.gradient(y, x)) == 3 * 4.0 * 210
    assert float(v) == 7.0


def test_tensor_array_of_growing_length_in_the_loop():
    @tf.function
    def f(x):
        with tf.GradientTape() as t:
            t.watch(x)
            ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)

            def body(i, a, ta):
                a = a * x
                return i + 1, a, ta.write(i, a)

            _, _, ta = tf.while_loop(lambda i, a, ta: i < 4, body, [0, tf.constant(1.0), ta])
            s = tf.reduce_sum(ta.stack())
        return s, t.gradient(s, x)

    s, g = f(tf.constant(1.5))  # x + x^2 + x^3 + x^4
    assert float(s) == pytest.approx(1.5 + 1.5**2 + 1.5**3 + 1.5**4)
    assert float(g) == pytest.approx(1 + 2 * 1.5 + 3 * 1.5**2 + 4 * 1.5**3)


def test_unknown_length_input():
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def f(x):
        with tf.GradientTape() as t:
            t.watch(x)
            loss = tf.reduce_sum(_loop(x, 0.8, 6))
        return t.gradient(loss, x)

    for size in (3, 5):
        x = tf.constant(X0[:size])
        np.testing.assert_allclose(f(x).numpy(), _eager_grads(x, tf.constant(0.8), 6)[0],
                                   rtol=1e-5)  # fmt: skip


# ---- stateful random ops inside differentiated loops ------------------------------------------


def _noisy(draw, x, n=5):
    """sum over iterations of sum(x * noise), and the sum of the noise drawn."""

    def body(i, loss, noise):
        z = draw()
        return i + 1, loss + tf.reduce_sum(x * z), noise + z

    return tf.while_loop(lambda i, lo, s: i < n, body,
                         [0, tf.constant(0.0), tf.zeros(x.shape)])[1:]  # fmt: skip


@pytest.mark.parametrize("kind", ["normal", "uniform", "generator", "truncated"])
def test_gradient_uses_the_draws_of_the_forward_pass(kind):
    gen = tf.random.Generator.from_seed(7)
    draw = {
        "normal": lambda: tf.random.normal([4]),
        "uniform": lambda: tf.random.uniform([4], -1.0, 1.0),
        "generator": lambda: gen.normal([4]),
        "truncated": lambda: tf.random.truncated_normal([4]),
    }[kind]

    @tf.function
    def traced(x):
        with tf.GradientTape() as t:
            t.watch(x)
            loss, noise = _noisy(draw, x)
        return loss, noise, t.gradient(loss, x)

    @tf.function
    def forward(x):
        return _noisy(draw, x)

    x = tf.constant([1.0, -2.0, 3.0, 0.5])
    seen = []
    for _ in range(2):
        loss, noise, g = traced(x)
        np.testing.assert_allclose(g.numpy(), noise.numpy(), rtol=1e-6, atol=1e-6)
        assert float(loss) == pytest.approx(float(np.dot(x.numpy(), noise.numpy())), rel=1e-5)
        seen.append(noise.numpy())
        with tf.GradientTape() as t:  # an eager tape around the traced loop
            t.watch(x)
            loss, noise = forward(x)
        np.testing.assert_allclose(t.gradient(loss, x).numpy(), noise.numpy(), rtol=1e-6,
                                   atol=1e-6)  # fmt: skip
        seen.append(noise.numpy())
    # every call of a function draws new numbers
    assert not np.array_equal(seen[0], seen[2]) and not np.array_equal(seen[1], seen[3])


def test_dropout_in_an_autograph_loop():
    @tf.function
    def f(x):
        with tf.GradientTape() as t:
            t.watch(x)
            acc = tf.zeros([256])
            for _ in tf.range(3):
                acc += tf.nn.dropout(x * x, 0.5)
            loss = tf.reduce_sum(acc)
        return acc, t.gradient(loss, x)

    x = tf.constant(np.full(256, 3.0, np.float32))
    acc, g = f(x)
    a = acc.numpy()
    assert 0 < (a == 0).sum() < 256 and set(np.unique(a)) <= {0.0, 18.0, 36.0, 54.0}
    np.testing.assert_allclose(g.numpy(), a * 2 / 3.0)  # d(x^2 * k / 0.5)/dx = 2 x * (k / 0.5)


def test_history_keeps_only_what_the_backward_reads():
    w = tf.Variable(0.9)

    @tf.function
    def f(x):
        with tf.GradientTape(persistent=True) as t:
            t.watch(x)

            def body(i, a, b):
                return i + 1, tf.tanh(a * w) + tf.random.normal([4]), b * tf.random.uniform([4])

            _, a, b = tf.while_loop(lambda i, a, b: i < 3, body, [0, x, x])
            sa, sb = tf.reduce_sum(a), tf.reduce_sum(b)
        return b, t.gradient(sa, x), t.gradient(sb, x)

    x = tf.ones([4])
    b, ga, gb = f(x)
    np.testing.assert_allclose(gb.numpy(), b.numpy(), rtol=1e-6)  # b = x * u1 * u2 * u3
    assert np.all(np.abs(ga.numpy()) < 0.9**3)  # w^3 times tanh' factors below 1
    ops = f.get_concrete_function(x).graph.get_operations()
    (loop,) = [op for op in ops if op.type in ("While", "StatelessWhile")]
    kept_vars, kept_values = loop.get_attr("th_keep")
    assert kept_vars == (1,)  # a (for d(a * w)/dw), not the counter, nor b
    body_ops = [op for op in loop.get_attr("th_body").get_operations() if op.type != "Placeholder"]
    # the tanh's output (its gradient reads it) and the uniform draws, not the normal ones
    assert [body_ops[i].type for i in kept_values] == ["Tanh", "RandomUniform"]


def test_outer_tape_second_order_through_stored_intermediates():
    # the backward step reads the stored tanh outputs; replayed under the outer tape they are
    # the forward's tensors, so the second order is right (checked by finite differences)
    @tf.function
    def inner_grad(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = _loop(x, x, 4)
        return t.gradient(y, x)

    def first(x):
        e = 1e-6
        return (_numpy_loop(x + e, x + e, 4) - _numpy_loop(x - e, x - e, 4)) / (2 * e)

    x = tf.constant(0.6, tf.float64)
    with tf.GradientTape() as t:
        t.watch(x)
        g = inner_grad(x)
    assert float(g) == pytest.approx(first(0.6), rel=1e-6)
    assert float(t.gradient(g, x)) == pytest.approx((first(0.6 + 1e-4) - first(0.6 - 1e-4)) / 2e-4,
                                                    rel=1e-4)  # fmt: skip


@pytest.mark.parametrize("eager_tape", [False, True])
def test_dropout_inside_a_cond_inside_a_loop(eager_tape):
    # the cond outputs its draws; the history holds them and its gradient replays the branch
    # on them
    def run(x, p):
        def body(i, acc):
            y = tf.cond(p, lambda: tf.nn.dropout(x * x, 0.5), lambda: x)
            return i + 1, acc + y

        return tf.while_loop(lambda i, a: i < 3, body, [0, tf.zeros([256])])[1]

    @tf.function
    def traced(x, p):
        with tf.GradientTape() as t:
            t.watch(x)
            acc = run(x, p)
            loss = tf.reduce_sum(acc)
        return acc, t.gradient(loss, x)

    forward = tf.function(run)

    def call(x, p):
        if not eager_tape:
            return traced(x, p)
        with tf.GradientTape() as t:
            t.watch(x)
            acc = forward(x, p)
            loss = tf.reduce_sum(acc)
        return acc, t.gradient(loss, x)

    x = tf.constant(np.full(256, 3.0, np.float32))
    acc, g = call(x, tf.constant(True))
    a = acc.numpy()
    assert 0 < (a == 0).sum() < 256 and set(np.unique(a)) <= {0.0, 18.0, 36.0, 54.0}
    np.testing.assert_allclose(g.numpy(), a * 2 / 3.0)
    acc, g = call(x, tf.constant(False))
    np.testing.assert_array_equal(acc.numpy(), np.full(256, 9.0))
    np.testing.assert_array_equal(g.numpy(), np.full(256, 3.0))
