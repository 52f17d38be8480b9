"""Tensor.__getitem__ (ints, slices, steps, negatives, ``...``, newaxis), gather / where / masks,
and the Python protocols of a tensor (len, bool, iteration, item assignment)."""

import numpy as np
import pytest


@pytest.fixture
def x(tf):
    return tf.reshape(tf.range(24), (2, 3, 4))


X = np.arange(24).reshape(2, 3, 4)


@pytest.mark.parametrize(
    "key",
    [
        0,
        -1,
        (1, 2),
        (1, 2, 3),
        (slice(None), 1),
        (Ellipsis, 0),
        (0, Ellipsis, 1),
        (slice(None), slice(None, None, 2)),
        slice(None, None, -1),
        (slice(None), slice(None, None, -2)),
        (slice(None), slice(-2, None)),
        (0, slice(1, -1), slice(1, 3)),
        (None,),
        (slice(None), None, 0),
        (Ellipsis, None),
        (1, slice(5, 10)),
    ],
)
def test_getitem_matches_numpy(tf, x, key):
    y = x[key]
    np.testing.assert_array_equal(y.numpy(), X[key])
    assert tuple(y.shape) == X[key].shape


def test_newaxis_is_none(tf, x):
    assert tf.newaxis is None
    assert x[tf.newaxis].shape == (1, 2, 3, 4)


def test_getitem_with_a_scalar_tensor_index(tf, x):
    np.testing.assert_array_equal(x[tf.constant(1), 0].numpy(), X[1, 0])


def test_getitem_out_of_range_is_invalid_argument(tf, x):
    with pytest.raises(tf.errors.InvalidArgumentError):
        x[2]


def test_getitem_with_a_list_or_float_is_type_error(tf, x):
    with pytest.raises(TypeError, match="valid indices"):
        x[[0, 1], :]
    with pytest.raises(TypeError, match="valid indices"):
        x[1.0]


def test_item_assignment_is_type_error(tf, x):
    with pytest.raises(TypeError):
        x[0] = 1


def test_len_and_iteration(tf, x):
    assert len(x) == 2
    rows = list(x)
    assert len(rows) == 2 and rows[1].shape == (3, 4)


def test_len_of_a_scalar_is_type_error(tf):
    with pytest.raises(TypeError):
        len(tf.constant(1.0))


def test_bool_int_float_of_scalars(tf):
    assert bool(tf.constant(True)) is True
    assert int(tf.constant(3)) == 3
    assert float(tf.constant(2.5)) == 2.5


def test_bool_of_several_elements_is_value_error(tf):
    with pytest.raises(ValueError):
        bool(tf.constant([1, 2]))


def test_equality_is_elementwise(tf):
    y = tf.constant([1, 2]) == tf.constant([1, 3])
    np.testing.assert_array_equal(y.numpy(), [True, False])
    np.testing.assert_array_equal((tf.constant([1, 2]) != 2).numpy(), [True, False])


def test_numpy_and_array_protocol(tf):
    t = tf.constant([[1.0, 2.0]])
    assert isinstance(t.numpy(), np.ndarray) and t.numpy().dtype == np.float32
    np.testing.assert_array_equal(np.asarray(t), [[1.0, 2.0]])
    np.testing.assert_allclose(np.sum(t), 3.0)


def test_gather(tf):
    p = tf.constant([[1, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(tf.gather(p, [2, 0]).numpy(), [[5, 6], [1, 2]])
    np.testing.assert_array_equal(tf.gather(p, [1], axis=1).numpy(), [[2], [4], [6]])
    np.testing.assert_array_equal(tf.gather_nd(p, [[0, 1], [2, 0]]).numpy(), [2, 5])


def test_gather_out_of_range_is_invalid_argument(tf):
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.gather(tf.constant([1, 2, 3]), [3])


def test_where(tf):
    c = tf.constant([True, False, True])
    np.testing.assert_array_equal(tf.where(c, 1, 0).numpy(), [1, 0, 1])
    idx = tf.where(c)
    assert idx.dtype == tf.int64 and idx.shape == (2, 1)
    np.testing.assert_array_equal(idx.numpy(), [[0], [2]])


def test_boolean_mask(tf):
    y = tf.boolean_mask(tf.constant([[1, 2], [3, 4], [5, 6]]), [True, False, True])
    np.testing.assert_array_equal(y.numpy(), [[1, 2], [5, 6]])


def test_one_hot(tf):
    y = tf.one_hot([0, 2], depth=3)
    assert y.dtype == tf.float32
    np.testing.assert_array_equal(y.numpy(), [[1, 0, 0], [0, 0, 1]])
    np.testing.assert_array_equal(tf.one_hot([1, -1], 2).numpy(), [[0, 1], [0, 0]])


def test_reverse_and_slice(tf):
    x = tf.constant([[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(tf.reverse(x, [1]).numpy(), [[3, 2, 1], [6, 5, 4]])
    np.testing.assert_array_equal(tf.slice(x, [0, 1], [2, -1]).numpy(), [[2, 3], [5, 6]])


def test_tensor_scatter_nd_update(tf):
    y = tf.tensor_scatter_nd_update(tf.zeros((4,)), [[1], [3]], [5.0, 7.0])
    np.testing.assert_array_equal(y.numpy(), [0, 5, 0, 7])


def test_tensor_scatter_nd_update_replaces_slices_and_keeps_the_rest(tf):
    t = tf.reshape(tf.range(12, dtype=tf.float32), (4, 3))
    y = tf.tensor_scatter_nd_update(t, [[2], [0]], [[-1.0, -2.0, -3.0], [9.0, 8.0, 7.0]])
    np.testing.assert_array_equal(y.numpy(), [[9, 8, 7], [3, 4, 5], [-1, -2, -3], [9, 10, 11]])
    z = tf.tensor_scatter_nd_update(tf.constant([[True, False]]), [[0, 1]], [True])
    assert z.dtype == tf.bool and z.numpy().tolist() == [[True, True]]
    np.testing.assert_array_equal(t.numpy()[0], [0, 1, 2])  # the input is not changed


def test_tensor_scatter_nd_update_gradients(tf):
    t = tf.constant([1.0, 2.0, 3.0, 4.0])
    u = tf.constant([10.0, 20.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([t, u])
        y = tf.tensor_scatter_nd_update(t, [[3], [0]], u)
        loss = tf.reduce_sum(y * tf.constant([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(tape.gradient(loss, t).numpy(), [0, 2, 3, 0])
    np.testing.assert_array_equal(tape.gradient(loss, u).numpy(), [4, 1])


def test_tensor_scatter_nd_update_bad_index_is_an_error(tf):
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.tensor_scatter_nd_update(tf.zeros((4,)), [[4]], [1.0])


P = np.arange(1, 13, dtype=np.int32).reshape(3, 4)


@pytest.mark.parametrize("mode", ["REFLECT", "SYMMETRIC", "reflect", "symmetric"])
@pytest.mark.parametrize("pads", [[[1, 2], [3, 0]], [[2, 0], [0, 3]], [[0, 0], [1, 1]]])
def test_pad_mirror_modes_match_numpy(tf, mode, pads):
    out = tf.pad(tf.constant(P), pads, mode=mode)
    assert out.dtype == tf.int32
    np.testing.assert_array_equal(out.numpy(), np.pad(P, pads, mode=mode.lower()))


def test_pad_symmetric_may_pad_a_whole_dimension_reflect_may_not(tf):
    np.testing.assert_array_equal(
        tf.pad(tf.constant(P), [[3, 3], [0, 0]], mode="SYMMETRIC").numpy(),
        np.pad(P, [[3, 3], [0, 0]], mode="symmetric"),
    )
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.pad(tf.constant(P), [[3, 0], [0, 0]], mode="REFLECT")
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.pad(tf.constant(P), [[0, 0], [0, 5]], mode="SYMMETRIC")


def test_pad_mirror_gradient_folds_the_borders_back(tf):
    x = tf.constant([1.0, 2.0, 3.0])
    w = tf.constant([1.0, 10.0, 100.0, 1000.0, 10000.0, 100000.0, 1000000.0])
    for mode, expected in [
        # REFLECT: [x2, x1, x0, x1, x2, x1, x0]; SYMMETRIC: [x1, x0, x0, x1, x2, x2, x1]
        ("REFLECT", [100.0 + 1000000.0, 10.0 + 1000.0 + 100000.0, 1.0 + 10000.0]),
        ("SYMMETRIC", [10.0 + 100.0, 1.0 + 1000.0 + 1000000.0, 10000.0 + 100000.0]),
    ]:
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(tf.pad(x, [[2, 2]], mode=mode) * w)
        np.testing.assert_allclose(tape.gradient(loss, x).numpy(), expected)
