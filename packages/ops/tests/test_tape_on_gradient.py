"""``GradientTape.gradient(..., on_gradient=)``: a callback per source, as soon as the backward
pass has made its gradient final (eagerly, and as side effects traced into a function)."""

import numpy as np
import pytest

import tensorhouse_ops as tf

X = np.array([[1.0, 2.0], [0.5, -1.0], [0.0, 3.0], [2.0, 1.0]], "float32")
W1 = np.arange(6, dtype="float32").reshape(2, 3) / 10
W2 = np.array([[1.0], [-2.0], [0.5]], "float32")


def _reference():
    """The two-layer model's gradients by hand: loss = sum((tanh(x w1) w2)^2)."""
    h = np.tanh(X @ W1)
    y = h @ W2
    dy = 2 * y
    dw2 = h.T @ dy
    dh = dy @ W2.T * (1 - h * h)
    return X.T @ dh, dw2


def _step(events):
    w1, w2, unused = tf.Variable(W1), tf.Variable(W2), tf.Variable(1.0)
    x = tf.constant(X)

    def on_gradient(i, g):
        events.append(("final", i))
        if g is not None:  # a side effect where the gradient is computed
            tf.py_function(lambda t: events.append(("value", i, np.array(t))), [g], [])

    def step():
        with tf.GradientTape() as tape:
            h = tf.tanh(tf.matmul(x, w1))
            loss = tf.reduce_sum(tf.matmul(h, w2) ** 2)
        return tape.gradient(loss, [w1, w2, unused], on_gradient=on_gradient)

    return step


@pytest.mark.parametrize("traced", [False, True])
def test_each_gradient_is_handed_over_once_final_last_layer_first(traced):
    events = []
    step = _step(events)
    grads = tf.function(step)() if traced else step()
    dw1, dw2 = _reference()
    # the unused variable first (never read: final at once), then w2, then w1
    assert [e[:2] for e in events if e[0] == "final"] == [("final", 2), ("final", 1), ("final", 0)]
    values = [e for e in events if e[0] == "value"]
    assert [e[1] for e in values] == [1, 0]
    np.testing.assert_allclose(values[0][2], dw2, rtol=1e-5)
    np.testing.assert_allclose(values[1][2], dw1, rtol=1e-5)
    # the returned gradients are the same tensors, unchanged
    np.testing.assert_allclose(np.asarray(grads[0]), dw1, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(grads[1]), dw2, rtol=1e-5)
    assert grads[2] is None


def test_traced_side_effects_run_on_every_call_in_backward_order():
    events = []
    fn = tf.function(_step(events))
    fn()
    events.clear()
    fn()  # no retrace: only the traced side effects run
    assert [e[:2] for e in events] == [("value", 1), ("value", 0)]


def test_without_a_callback_gradients_are_unchanged_and_bad_callbacks_are_refused():
    events = []
    plain = _step(events)
    with_hook = plain()
    w = tf.Variable(W1)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(w * w)
    np.testing.assert_allclose(np.asarray(tape.gradient(loss, w)), 2 * W1)
    np.testing.assert_allclose(np.asarray(with_hook[0]), _reference()[0], rtol=1e-5)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(w * w)
    with pytest.raises(TypeError, match="on_gradient must be callable"):
        tape.gradient(loss, w, on_gradient=3)


def test_a_variable_read_twice_is_final_after_its_first_read_and_summed():
    w = tf.Variable(np.array([1.0, 2.0], "float32"))
    seen = []
    with tf.GradientTape() as tape:
        a = w * 3.0  # first read
        b = tf.reduce_sum(a * a)
        loss = b + tf.reduce_sum(w * w)  # second read of the same value
    tape.gradient(loss, [w], on_gradient=lambda i, g: seen.append(np.array(g)))
    np.testing.assert_allclose(seen[0], 18 * np.array([1.0, 2.0]) + 2 * np.array([1.0, 2.0]))
