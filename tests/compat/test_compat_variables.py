"""tf.Variable: dtypes, assign*, slice assignment, dtype and shape errors, trainable, names."""

import numpy as np
import pytest


def test_variable_dtype_follows_its_initial_value(tf):
    assert tf.Variable(1.0).dtype == tf.float32
    assert tf.Variable(1).dtype == tf.int32
    assert tf.Variable([1.0, 2.0], dtype=tf.float64).dtype == tf.float64
    assert tf.Variable(tf.zeros((2, 3))).shape == (2, 3)


def test_assign_family_updates_in_place_and_returns_the_value(tf):
    v = tf.Variable([1.0, 2.0])
    out = v.assign([3.0, 4.0])
    np.testing.assert_array_equal(out.numpy(), [3.0, 4.0])
    v.assign_add([1.0, 1.0])
    np.testing.assert_array_equal(v.numpy(), [4.0, 5.0])
    v.assign_sub(tf.constant([2.0, 2.0]))
    np.testing.assert_array_equal(v.numpy(), [2.0, 3.0])
    np.testing.assert_array_equal(v.read_value().numpy(), [2.0, 3.0])


def test_assign_python_int_to_float_variable(tf):
    v = tf.Variable(1.0)
    v.assign(3)
    assert v.dtype == tf.float32 and v.numpy() == 3.0


def test_integer_variable_assign_add(tf):
    v = tf.Variable(1)
    v.assign_add(2)
    assert v.numpy() == 3 and v.dtype == tf.int32


def test_assign_of_another_dtype_tensor_is_value_error(tf):
    v = tf.Variable(1.0)
    with pytest.raises(ValueError):
        v.assign(tf.constant(1))


def test_assign_of_another_shape_is_value_error(tf):
    v = tf.Variable([1.0, 2.0])
    with pytest.raises(ValueError):
        v.assign([1.0, 2.0, 3.0])


def test_slice_assignment(tf):
    v = tf.Variable([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    v[0, 1].assign(20.0)
    v[1, 1:].assign([50.0, 60.0])
    v[:, 0].assign(tf.constant([-1.0, -4.0]))
    np.testing.assert_array_equal(v.numpy(), [[-1.0, 20.0, 3.0], [-4.0, 50.0, 60.0]])


def test_variable_item_assignment_is_type_error(tf):
    v = tf.Variable([1.0, 2.0])
    with pytest.raises(TypeError):
        v[0] = 3.0


def test_is_tensor_of_a_variable(tf):
    assert tf.is_tensor(tf.Variable(1.0)) and tf.is_tensor(tf.constant(1.0))
    assert not tf.is_tensor(1.0) and not tf.is_tensor(np.ones(2))


def test_variable_reads_like_a_tensor(tf):
    v = tf.Variable([1.0, 2.0])
    y = v * 2
    assert not isinstance(y, tf.Variable)
    np.testing.assert_array_equal(y.numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(v[1].numpy(), 2.0)
    np.testing.assert_array_equal(tf.reduce_sum(v).numpy(), 3.0)
    np.testing.assert_array_equal(np.asarray(v), [1.0, 2.0])


def test_trainable_and_name(tf):
    assert tf.Variable(1.0).trainable
    assert not tf.Variable(1.0, trainable=False).trainable
    assert tf.Variable(1.0, name="w").name == "w:0"
    assert tf.Variable(1.0).name == "Variable:0"


def test_non_trainable_variable_is_not_watched(tf):
    v = tf.Variable(2.0, trainable=False)
    w = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = v * w
    gv, gw = tape.gradient(y, [v, w])
    assert gv is None
    assert gw.numpy() == 2.0


def test_module_tracks_variables(tf):
    class M(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(1.0)
            self.b = tf.Variable(0.0, trainable=False)

    m = M()
    assert len(m.variables) == 2 and len(m.trainable_variables) == 1


def test_gradient_through_a_variable_slice(tf):
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(v[0] * 3.0) + tf.reduce_sum(v[1, 1:] ** 2)
    np.testing.assert_allclose(np.asarray(tape.gradient(y, v)), [[3.0, 3.0], [0.0, 8.0]])
