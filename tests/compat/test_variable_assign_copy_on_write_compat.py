"""tf.Variable.assign of a NumPy array: what was read from the variable before keeps its numbers
(TF's copy on write; tensorhouse writes in place only when nothing else holds the buffer)."""

import numpy as np


def test_values_read_before_an_assign_keep_their_numbers(tf):
    old = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    new = np.array([5.0, 6.0, 7.0, 8.0], np.float32)
    v = tf.Variable(old)
    value, read, converted = v.value(), v.read_value(), tf.convert_to_tensor(v)
    reshaped, view = tf.reshape(v, (2, 2)), v.numpy()
    v.assign(new)
    for held in (value, read, converted, reshaped, view):
        np.testing.assert_array_equal(np.asarray(held).reshape(-1), old)
    np.testing.assert_array_equal(v.numpy(), new)
    new[0] = 99.0  # the array assigned stays the caller's
    assert v.numpy()[0] == 5.0


def test_a_tensor_assigned_to_a_variable_is_not_changed_by_a_later_assign(tf):
    t = tf.constant([1.0, 2.0])
    v = tf.Variable([0.0, 0.0])
    v.assign(t)
    v.assign(np.array([3.0, 4.0], np.float32))
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(v.numpy(), [3.0, 4.0])


def test_a_watched_input_gradient_uses_the_value_read(tf):
    v = tf.Variable(np.array([1.0, 2.0, 3.0], np.float32))
    x = tf.constant([1.0, 1.0, 1.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(v * x)
    v.assign(np.array([10.0, 20.0, 30.0], np.float32))
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [1.0, 2.0, 3.0])
