"""GradientTape: None for unconnected and integer sources, the persistent rule, ZERO, jacobians,
stop_gradient, custom_gradient, nested tapes and watching."""

import numpy as np
import pytest


def test_gradient_of_a_square(tf):
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = x * x
    assert tape.gradient(y, x).numpy() == 6.0


def test_constants_need_watch(tf):
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        y = x * x
    assert tape.gradient(y, x) is None
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    assert tape.gradient(y, x).numpy() == 6.0


def test_unconnected_gradient_is_none(tf):
    x, z = tf.Variable(1.0), tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = x * 2.0
    gx, gz = tape.gradient(y, [x, z])
    assert gx.numpy() == 2.0 and gz is None


def test_unconnected_gradients_zero(tf):
    x, z = tf.Variable(1.0), tf.Variable([2.0, 3.0])
    with tf.GradientTape() as tape:
        y = x * 2.0
    _, gz = tape.gradient(y, [x, z], unconnected_gradients=tf.UnconnectedGradients.ZERO)
    assert gz.shape == (2,)
    np.testing.assert_array_equal(gz.numpy(), [0.0, 0.0])


def test_integer_sources_get_none(tf):
    x = tf.constant(3)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    assert tape.gradient(y, x) is None


def test_gradient_through_an_integer_cast_is_none(tf):
    x = tf.Variable(2.5)
    with tf.GradientTape() as tape:
        y = tf.cast(tf.cast(x, tf.int32), tf.float32) * x
    # only the direct path carries a gradient: d/dx (2 * x) = 2
    assert tape.gradient(y, x).numpy() == 2.0


def test_non_persistent_tape_second_gradient_is_runtime_error(tf):
    x = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError):
        tape.gradient(y, x)


def test_persistent_tape_allows_several_gradients(tf):
    x = tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        y = x * x
        z = y * x
    assert tape.gradient(y, x).numpy() == 4.0
    assert tape.gradient(z, x).numpy() == 12.0
    del tape


def test_gradient_sums_over_target_elements_and_lists(tf):
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        y = x * x
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [2.0, 4.0])
    with tf.GradientTape() as tape:
        a, b = x * 2.0, x * 3.0
    np.testing.assert_array_equal(tape.gradient([a, b], x).numpy(), [5.0, 5.0])


def test_output_gradients(tf):
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        y = x * x
    g = tape.gradient(y, x, output_gradients=tf.constant([10.0, 1.0]))
    np.testing.assert_array_equal(g.numpy(), [20.0, 4.0])


def test_sources_keep_their_structure(tf):
    v = {"a": tf.Variable(1.0), "b": [tf.Variable(2.0)]}
    with tf.GradientTape() as tape:
        y = v["a"] * v["b"][0]
    g = tape.gradient(y, v)
    assert set(g) == {"a", "b"} and isinstance(g["b"], list)
    assert g["a"].numpy() == 2.0 and g["b"][0].numpy() == 1.0


def test_matmul_and_reduce_gradients(tf):
    w = tf.Variable([[1.0], [2.0]])
    x = tf.constant([[3.0, 4.0]])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.matmul(x, w))
    np.testing.assert_array_equal(tape.gradient(y, w).numpy(), [[3.0], [4.0]])


def test_relu_gradient_at_zero_is_zero(tf):
    x = tf.Variable([-1.0, 0.0, 2.0])
    with tf.GradientTape() as tape:
        y = tf.nn.relu(x)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [0.0, 0.0, 1.0])


def test_nested_tapes_give_second_derivatives(tf):
    x = tf.Variable(2.0)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = x * x * x
        dy = inner.gradient(y, x)
    assert dy.numpy() == 12.0
    assert outer.gradient(dy, x).numpy() == 12.0


def test_watch_accessed_variables_false(tf):
    x, z = tf.Variable(1.0), tf.Variable(2.0)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(z)
        y = x * z
    gx, gz = tape.gradient(y, [x, z])
    assert gx is None and gz.numpy() == 1.0
    assert [v.numpy() for v in tape.watched_variables()] == [2.0]


def test_stop_recording(tf):
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = x * x
        with tape.stop_recording():
            z = x * x
    assert tape.gradient(z, x) is None
    del y


def test_stop_gradient(tf):
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = x * tf.stop_gradient(x)
    assert tape.gradient(y, x).numpy() == 3.0


def test_custom_gradient(tf):
    @tf.custom_gradient
    def clip_grad(x):
        def grad(dy):
            return dy * 10.0

        return x * x, grad

    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = clip_grad(x)
    assert y.numpy() == 4.0
    assert tape.gradient(y, x).numpy() == 10.0


def test_jacobian(tf):
    x = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        y = x * x
    j = tape.jacobian(y, x)
    assert j.shape == (3, 3)
    np.testing.assert_array_equal(j.numpy(), np.diag([2.0, 4.0, 6.0]))


def test_batch_jacobian(tf):
    x = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as tape:
        y = x * x
    j = tape.batch_jacobian(y, x)
    assert j.shape == (2, 2, 2)
    np.testing.assert_array_equal(j.numpy(), [np.diag([2.0, 4.0]), np.diag([6.0, 8.0])])


def test_watch_of_a_non_tensor_is_rejected(tf):
    with tf.GradientTape() as tape, pytest.raises(ValueError):
        tape.watch("x")


def test_stop_gradient_inside_a_function(tf):
    @tf.function
    def f(x):
        return x * tf.stop_gradient(x * x)

    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = f(x)
    assert y.numpy() == 8.0 and tape.gradient(y, x).numpy() == 4.0


def test_custom_gradient_inside_a_function(tf):
    @tf.custom_gradient
    def g(x):
        return x * x, lambda dy: dy * 10.0

    @tf.function
    def f(x):
        return g(x)

    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = f(x)
    assert tape.gradient(y, x).numpy() == 10.0


def test_custom_gradient_of_two_inputs(tf):
    @tf.custom_gradient
    def mul(a, b):
        return a * b, lambda dy: (dy * 2.0, dy * 3.0)

    a, b = tf.Variable(1.0), tf.Variable(5.0)
    with tf.GradientTape() as tape:
        y = mul(a, b)
    ga, gb = tape.gradient(y, [a, b])
    assert y.numpy() == 5.0 and ga.numpy() == 2.0 and gb.numpy() == 3.0


def test_gradient_of_a_variable_assigned_after_it_was_read(tf):
    # the gradient sums over every value the variable was read as, whatever came after
    v = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(v * v)
    v.assign(tf.constant([5.0, 5.0, 5.0]))
    np.testing.assert_allclose(tape.gradient(y, v).numpy(), [2.0, 4.0, 6.0])
    v = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(v * v)
        v.assign(tf.constant([5.0, 5.0, 5.0]))
        y = y + tf.reduce_sum(3.0 * v)
    np.testing.assert_allclose(tape.gradient(y, v).numpy(), [5.0, 7.0, 9.0])
    w = tf.Variable([1.0, 2.0])
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(w)
        y = tf.reduce_sum(w * w)
        w.assign_add(tf.constant([1.0, 1.0]))
        y = y + tf.reduce_sum(w * w)
    np.testing.assert_allclose(tape.gradient(y, w).numpy(), [6.0, 10.0])  # 2 w0 + 2 w1

    @tf.function
    def traced(u):
        with tf.GradientTape() as tape:
            y = tf.reduce_sum(u * u)
            u.assign(u * 2.0)
            y = y + tf.reduce_sum(u)
        return tape.gradient(y, u)

    np.testing.assert_allclose(traced(tf.Variable([1.0, 2.0])).numpy(), [3.0, 5.0])
