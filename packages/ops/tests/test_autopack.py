"""Auto-packing: lists holding tensors convert by packing, and plain data never does."""

import numpy as np
import pytest

import tensorhouse_ops as tf


def _ops_of(fn, *specs):
    graph = tf.function(fn).get_concrete_function(*specs).graph
    return [op.type for op in graph.get_operations()]


def test_plain_lists_stay_one_constant():
    types = _ops_of(lambda x: x + tf.convert_to_tensor([[1.0, 2.0], [3.0, 4.0]]),
                    tf.TensorSpec([2, 2]))  # fmt: skip
    assert "ConcatV2" not in types and "Pack" not in types and "Const" in types


def test_traced_list_packs_at_run_time():
    f = tf.function(lambda x: tf.convert_to_tensor([[x, 1.0], (2.0, x * 2.0)]))
    types = _ops_of(lambda x: tf.convert_to_tensor([[x, 1.0], (2.0, x * 2.0)]),
                    tf.TensorSpec([]))  # fmt: skip
    assert types.count("Pack") == 3 and "ConcatV2" not in types  # one per list level
    for v in (3.0, -0.5):
        np.testing.assert_allclose(f(tf.constant(v)).numpy(), [[v, 1.0], [2.0, 2 * v]])


def test_eager_list_of_tensors_is_recorded_on_the_tape():
    x, v = tf.constant([1.0, 2.0]), tf.Variable([3.0, 4.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.convert_to_tensor([x, v, [5.0, 6.0]]) * [[1.0], [2.0], [3.0]])
    gx, gv = tape.gradient(y, [x, v])
    np.testing.assert_allclose(gx.numpy(), [1.0, 1.0])
    np.testing.assert_allclose(gv.numpy(), [2.0, 2.0])
    assert float(y) == pytest.approx(3.0 + 14.0 + 33.0)


def test_binary_operand_list_is_cast_to_the_tensor_dtype():
    s = tf.constant([1.0, 2.0], tf.float64)
    f = tf.function(lambda s, x: s * [x, 2.0])
    out = f(s, tf.constant(3.0))
    assert out.dtype == tf.float64
    np.testing.assert_allclose(out.numpy(), [3.0, 4.0])


def test_shape_argument_entries_read_at_run_time():
    @tf.function
    def f(s, n):
        return tf.tile(tf.reshape(s, [2, 1]), [n, 2]), tf.slice(s, [n - 1], [-1])

    tiled, rest = f(tf.constant([1.0, 2.0]), tf.constant(1))
    np.testing.assert_allclose(tiled.numpy(), [[1.0, 1.0], [2.0, 2.0]])
    np.testing.assert_allclose(rest.numpy(), [1.0, 2.0])
    tiled, rest = f(tf.constant([1.0, 2.0]), tf.constant(2))
    assert tiled.shape == (4, 2)
    np.testing.assert_allclose(rest.numpy(), [2.0])


def test_traced_mirror_pad_with_run_time_paddings_is_unimplemented():
    f = tf.function(lambda s, n: tf.pad(s, [[n, 0]], mode="REFLECT"))
    with pytest.raises(tf.errors.UnimplementedError, match="REFLECT"):
        f(tf.constant([1.0, 2.0]), tf.constant(1))
