"""GradientTape and Variable semantics (TF 2's)."""

import numpy as np
import pytest

import tensorhouse_ops as tf


def test_variable_gradients_and_updates():
    w = tf.Variable([[1.0], [2.0]])
    x = tf.constant([[3.0, 4.0]])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.square(tf.matmul(x, w)))  # (3 + 8)^2 = 121
    (g,) = tape.gradient(y, [w])
    np.testing.assert_allclose(g.numpy(), [[2 * 11 * 3], [2 * 11 * 4]])
    w.assign_sub(0.01 * g)
    np.testing.assert_allclose(w.numpy(), [[1 - 0.66], [2 - 0.88]], rtol=1e-6)
    w.assign([[0.0], [0.0]])
    w.assign_add(tf.constant([[1.0], [1.0]]))
    assert w.numpy().tolist() == [[1.0], [1.0]]
    with pytest.raises(ValueError, match="shape"):
        w.assign(tf.zeros((3, 1)))


def test_non_persistent_tape_allows_one_gradient_call():
    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    assert float(tape.gradient(y, x)) == 4.0
    with pytest.raises(RuntimeError, match="non-persistent"):
        tape.gradient(y, x)


def test_persistent_tape_and_nested_sources():
    x = tf.constant(3.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    assert float(tape.gradient(z, x)) == 4 * 27.0
    assert float(tape.gradient(y, x)) == 6.0
    out = tape.gradient(z, {"a": x, "b": [y]})
    assert float(out["a"]) == 108.0 and float(out["b"][0]) == 18.0


def test_unconnected_integer_and_unwatched_sources():
    x, u = tf.constant(1.0), tf.constant(5.0)
    i = tf.constant(3)
    with tf.GradientTape() as tape:
        tape.watch([x, u, i])
        y = x * 2.0
    gx, gu, gi = tape.gradient(y, [x, u, i])
    assert float(gx) == 2.0 and gu is None and gi is None
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * 2.0
    assert float(tape.gradient(y, u, unconnected_gradients="zero")) == 0.0


def test_watch_accessed_variables_off_and_trainable_false():
    v = tf.Variable(2.0)
    frozen = tf.Variable(3.0, trainable=False)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        y = v * v
    assert tape.gradient(y, v) is None
    with tf.GradientTape() as tape:
        y = v * frozen
    gv, gf = tape.gradient(y, [v, frozen])
    assert float(gv) == 3.0 and gf is None
    with tf.GradientTape() as tape:
        y = v * v
    assert [var.name for var in tape.watched_variables()] == [v.name]


def test_stop_recording_and_output_gradients():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        with tape.stop_recording():
            z = y * 10.0  # not recorded
        w = y * 3.0
    np.testing.assert_allclose(tape.gradient(w, x, output_gradients=[1.0, 0.5]).numpy(), [6.0, 6.0])
    assert z is not None


def test_third_order_through_nested_tapes():
    x = tf.constant(2.0)
    with tf.GradientTape() as t3:
        t3.watch(x)
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                y = x**4
            d1 = t1.gradient(y, x)
        d2 = t2.gradient(d1, x)
    d3 = t3.gradient(d2, x)
    assert (float(d1), float(d2), float(d3)) == (32.0, 48.0, 48.0)


def test_softmax_and_its_gradient():
    logits = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, -1.0]])
    x = tf.constant(logits)
    with tf.GradientTape() as tape:
        tape.watch(x)
        s = tf.nn.softmax(x)
        loss = tf.reduce_sum(s * [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # takes s's float64
    e = np.exp(logits - logits.max(-1, keepdims=True))
    ref = e / e.sum(-1, keepdims=True)
    np.testing.assert_allclose(s.numpy(), ref, rtol=1e-12)
    onehot = np.array([[1.0, 0, 0], [0, 0, 1.0]])
    sel = (ref * onehot).sum(-1, keepdims=True)
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), sel * (onehot - ref), atol=1e-12)


def test_random_seed_semantics():
    tf.random.set_seed(5)
    a1, a2 = tf.random.uniform([4]), tf.random.uniform([4])
    tf.random.set_seed(5)
    b1, b2 = tf.random.uniform([4]), tf.random.uniform([4])
    np.testing.assert_array_equal(a1.numpy(), b1.numpy())
    np.testing.assert_array_equal(a2.numpy(), b2.numpy())
    assert not np.array_equal(a1.numpy(), a2.numpy())
    assert np.all((a1.numpy() >= 0) & (a1.numpy() < 1))
    c = tf.random.uniform([1000], minval=-2.0, maxval=3.0, seed=1).numpy()
    assert c.min() >= -2.0 and c.max() < 3.0 and abs(c.mean() - 0.5) < 0.2
    n = tf.random.normal([20000], mean=1.0, stddev=2.0, seed=3).numpy()
    assert abs(n.mean() - 1.0) < 0.05 and abs(n.std() - 2.0) < 0.05
    tf.random.set_seed(None)
