"""Which exception class TF raises for bad input: InvalidArgumentError, ValueError, TypeError."""

import numpy as np
import pytest


def test_invalid_argument_error_is_an_op_error_with_a_message(tf):
    try:
        tf.reshape(tf.range(6), [4, 2])
    except tf.errors.InvalidArgumentError as e:
        assert isinstance(e, tf.errors.OpError)
        assert e.message and "6" in e.message
    else:
        pytest.fail("no error")


def test_constant_of_a_ragged_list_is_value_error(tf):
    with pytest.raises(ValueError):
        tf.constant([[1, 2], [3]])


def test_constant_of_an_object_is_value_error(tf):
    with pytest.raises(ValueError):
        tf.constant(object())


def test_constant_with_a_bad_shape_is_type_error(tf):
    with pytest.raises(TypeError):
        tf.constant([1, 2, 3], shape=[2, 2])


def test_constant_broadcasts_a_scalar_to_shape(tf):
    np.testing.assert_array_equal(tf.constant(7, shape=[2, 2]).numpy(), [[7, 7], [7, 7]])


def test_unknown_dtype_is_type_error(tf):
    with pytest.raises(TypeError):
        tf.as_dtype("no_such_dtype")


def test_reduce_over_a_bad_axis_is_invalid_argument(tf):
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.reduce_sum(tf.zeros((2, 3)), axis=2)


def test_transpose_with_a_bad_perm_is_invalid_argument(tf):
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.transpose(tf.zeros((2, 3)), perm=[0, 0])


def test_one_hot_of_floats_is_rejected(tf):
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.one_hot(tf.constant([0.0, 1.0]), 2)


def test_logical_and_of_floats_is_rejected(tf):
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.logical_and(tf.constant([1.0]), tf.constant([0.0]))


def test_add_n_of_mixed_shapes_is_invalid_argument(tf):
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.add_n([tf.zeros((2,)), tf.zeros((3,))])


def test_string_tensors(tf):
    s = tf.constant("abc")
    assert s.dtype == tf.string and s.numpy() == b"abc"


def test_matmul_of_vectors_is_invalid_argument(tf):
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.matmul(tf.ones((3,)), tf.ones((3,)))


def test_concat_of_mixed_ranks_is_invalid_argument(tf):
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.concat([tf.ones((2,)), tf.ones((2, 2))], 0)


def test_stack_of_mixed_shapes_is_invalid_argument(tf):
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.stack([tf.ones((2,)), tf.ones((3,))])


def test_gather_with_a_negative_index_is_invalid_argument(tf):
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.gather(tf.constant([1, 2, 3]), [-1])


def test_integer_variable_assigned_a_float_is_type_error(tf):
    v = tf.Variable(1)
    with pytest.raises(TypeError):
        v.assign(1.5)


def test_integer_uniform_without_maxval_is_value_error(tf):
    with pytest.raises(ValueError):
        tf.random.uniform((2,), dtype=tf.int32)


def test_tensors_are_unhashable(tf):
    with pytest.raises(TypeError):
        hash(tf.constant(1))


def test_reprs(tf):
    assert repr(tf.constant([1.0, 2.0])) == (
        "<tf.Tensor: shape=(2,), dtype=float32, numpy=array([1., 2.], dtype=float32)>"
    )
    assert repr(tf.TensorShape([None, 3])) == "TensorShape([None, 3])"
    assert repr(tf.float32) == "tf.float32"
