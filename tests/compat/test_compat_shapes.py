"""TensorShape, reshape with -1, squeeze / expand_dims, joining, and broadcasting (and the error
types TF raises when shapes do not fit)."""

import numpy as np
import pytest


def test_tensorshape_with_unknown_dims(tf):
    s = tf.TensorShape([None, 3])
    assert s.rank == 2 and len(s) == 2
    assert s.as_list() == [None, 3]
    assert s[0] is None and s[1] == 3
    assert not s.is_fully_defined()
    assert s.num_elements() is None
    assert s.is_compatible_with([2, 3]) and not s.is_compatible_with([2, 4])


def test_tensorshape_of_unknown_rank(tf):
    s = tf.TensorShape(None)
    assert s.rank is None
    assert s.is_compatible_with([1, 2, 3])


def test_tensorshape_fully_defined(tf):
    s = tf.TensorShape([2, 3])
    assert s.is_fully_defined() and s.num_elements() == 6
    assert s == [2, 3] and s == (2, 3) and s == tf.TensorShape([2, 3])
    assert list(s) == [2, 3]
    assert s[1:].as_list() == [3]


def test_tensorshape_concatenate(tf):
    assert tf.TensorShape([2, 3]).concatenate([4]).as_list() == [2, 3, 4]
    assert tf.TensorShape([None]).concatenate(tf.TensorShape([1])).as_list() == [None, 1]


def test_tensor_shape_is_a_tensorshape(tf):
    x = tf.zeros((2, 3))
    assert isinstance(x.shape, tf.TensorShape)
    assert x.shape == (2, 3) and x.shape.as_list() == [2, 3]
    assert x.ndim == 2


def test_shape_rank_size_ops_are_int32_tensors(tf):
    x = tf.zeros((2, 3, 4))
    s = tf.shape(x)
    assert s.dtype == tf.int32
    np.testing.assert_array_equal(s.numpy(), [2, 3, 4])
    assert tf.rank(x).numpy() == 3 and tf.rank(x).dtype == tf.int32
    assert tf.size(x).numpy() == 24 and tf.size(x).dtype == tf.int32


def test_reshape_infers_minus_one(tf):
    x = tf.range(12)
    assert tf.reshape(x, [-1]).shape == (12,)
    assert tf.reshape(x, [3, -1]).shape == (3, 4)
    assert tf.reshape(x, (-1, 2, 3)).shape == (2, 2, 3)
    np.testing.assert_array_equal(tf.reshape(x, [2, -1]).numpy()[1], [6, 7, 8, 9, 10, 11])


def test_reshape_to_a_wrong_size_is_invalid_argument(tf):
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.reshape(tf.range(12), [5, -1])
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.reshape(tf.range(12), [5, 3])


def test_reshape_with_two_unknown_dims_is_invalid_argument(tf):
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.reshape(tf.range(12), [-1, -1])


def test_squeeze(tf):
    x = tf.zeros((1, 2, 1, 3))
    assert tf.squeeze(x).shape == (2, 3)
    assert tf.squeeze(x, axis=0).shape == (2, 1, 3)
    assert tf.squeeze(x, axis=[0, 2]).shape == (2, 3)
    assert tf.squeeze(x, axis=-2).shape == (1, 2, 3)


def test_squeeze_of_a_non_unit_dim_is_invalid_argument(tf):
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.squeeze(tf.zeros((1, 2)), axis=1)


def test_expand_dims(tf):
    x = tf.zeros((2, 3))
    assert tf.expand_dims(x, 0).shape == (1, 2, 3)
    assert tf.expand_dims(x, 1).shape == (2, 1, 3)
    assert tf.expand_dims(x, -1).shape == (2, 3, 1)


def test_expand_dims_out_of_range_is_invalid_argument(tf):
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.expand_dims(tf.zeros((2, 3)), 4)


def test_broadcasting(tf):
    a = tf.constant([[1.0], [2.0]])  # (2, 1)
    b = tf.constant([10.0, 20.0, 30.0])  # (3,)
    c = a + b
    assert c.shape == (2, 3)
    np.testing.assert_array_equal(c.numpy(), [[11, 21, 31], [12, 22, 32]])
    assert (tf.zeros((4, 1, 3)) * tf.ones((5, 1))).shape == (4, 5, 3)


def test_incompatible_broadcast_is_invalid_argument(tf):
    with pytest.raises(tf.errors.InvalidArgumentError, match="[Ii]ncompatible shapes"):
        tf.zeros((2, 3)) + tf.zeros((2,))


def test_broadcast_to(tf):
    y = tf.broadcast_to(tf.constant([1, 2, 3]), [2, 3])
    np.testing.assert_array_equal(y.numpy(), [[1, 2, 3], [1, 2, 3]])
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.broadcast_to(tf.constant([1, 2, 3]), [2, 2])


def test_matmul_inner_dim_mismatch_is_invalid_argument(tf):
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.matmul(tf.ones((2, 3)), tf.ones((2, 3)))


def test_matmul_values_and_flags(tf):
    a = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    b = tf.constant([[5.0, 6.0], [7.0, 8.0]])
    np.testing.assert_allclose(tf.matmul(a, b).numpy(), [[19, 22], [43, 50]])
    np.testing.assert_allclose(tf.matmul(a, b, transpose_a=True).numpy(), [[26, 30], [38, 44]])
    np.testing.assert_allclose((a @ b).numpy(), [[19, 22], [43, 50]])
    assert tf.matmul(tf.ones((5, 2, 3)), tf.ones((3, 4))).shape == (5, 2, 4)


def test_transpose(tf):
    x = tf.zeros((2, 3, 4))
    assert tf.transpose(x).shape == (4, 3, 2)
    assert tf.transpose(x, perm=[0, 2, 1]).shape == (2, 4, 3)


def test_concat_and_stack(tf):
    a, b = tf.ones((2, 3)), tf.zeros((2, 3))
    assert tf.concat([a, b], axis=0).shape == (4, 3)
    assert tf.concat([a, b], axis=-1).shape == (2, 6)
    assert tf.stack([a, b]).shape == (2, 2, 3)
    assert tf.stack([a, b], axis=1).shape == (2, 2, 3)
    assert tf.stack([a, b], axis=-1).shape == (2, 3, 2)


def test_concat_of_mismatched_shapes_is_invalid_argument(tf):
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.concat([tf.ones((2, 3)), tf.ones((2, 4))], axis=0)


def test_unstack_and_split(tf):
    x = tf.reshape(tf.range(12), (3, 4))
    rows = tf.unstack(x)
    assert len(rows) == 3 and rows[2].shape == (4,)
    parts = tf.split(x, 2, axis=1)
    assert [p.shape for p in parts] == [(3, 2), (3, 2)]
    parts = tf.split(x, [1, 3], axis=1)
    assert [tuple(p.shape) for p in parts] == [(3, 1), (3, 3)]


def test_split_into_unequal_parts_is_invalid_argument(tf):
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.split(tf.zeros((3, 4)), 3, axis=1)


def test_tile_and_pad(tf):
    x = tf.constant([[1, 2]])
    np.testing.assert_array_equal(tf.tile(x, [2, 2]).numpy(), [[1, 2, 1, 2], [1, 2, 1, 2]])
    p = tf.pad(x, [[1, 0], [0, 2]])
    np.testing.assert_array_equal(p.numpy(), [[0, 0, 0, 0], [1, 2, 0, 0]])


def test_fill_zeros_ones_eye(tf):
    assert tf.zeros((2,)).dtype == tf.float32 and tf.ones((2,), dtype=tf.int32).dtype == tf.int32
    np.testing.assert_array_equal(tf.fill([2], 7).numpy(), [7, 7])
    assert tf.fill([2], 7).dtype == tf.int32
    np.testing.assert_array_equal(tf.eye(2).numpy(), [[1.0, 0.0], [0.0, 1.0]])
    assert tf.zeros_like(tf.constant([1, 2])).dtype == tf.int32


def test_linspace(tf):
    y = tf.linspace(0.0, 1.0, 5)
    assert y.dtype == tf.float32
    np.testing.assert_allclose(y.numpy(), [0.0, 0.25, 0.5, 0.75, 1.0])


def test_range(tf):
    assert tf.range(5).dtype == tf.int32
    np.testing.assert_array_equal(tf.range(5, 0, -2).numpy(), [5, 3, 1])
    r = tf.range(0.0, 1.0, 0.25)
    assert r.dtype == tf.float32
    np.testing.assert_allclose(r.numpy(), [0.0, 0.25, 0.5, 0.75])
