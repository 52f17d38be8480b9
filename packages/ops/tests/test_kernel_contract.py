"""The ops layer on the kernels' one contract: compiled graphs call every kernel as
``kernel(inputs, outputs, attrs)`` (allocated outputs, or empty slots for data-dependent,
string and XLA outputs), and trace-time errors are told apart by the op definitions' classes."""

from __future__ import annotations

import numpy as np
import pytest

import tensorhouse_ops as tf


def test_compiled_graph_runs_slot_kernels_as_eager_does():
    x = tf.constant([[0.0, 2.0], [3.0, 0.0]])
    words = tf.constant([b"b", b"a", b"b"])

    def fn(x, words):
        where = tf.where(x > 1.0)  # data-dependent shape: an empty slot
        flat = tf.reshape(x, [4])  # a view: an empty slot
        y, idx = tf.unique(words)  # strings: empty slots
        return where, flat * 2.0, y, idx, tf.equal(words, b"b")

    eager = fn(x, words)
    traced = tf.function(fn)(x, words)
    for e, t in zip(eager, traced):
        assert e.dtype == t.dtype and e.numpy().tolist() == t.numpy().tolist()
    assert traced[0].numpy().tolist() == [[0, 1], [1, 0]]
    assert traced[1].numpy().tolist() == [0.0, 4.0, 6.0, 0.0]
    assert traced[2].numpy().tolist() == [b"b", b"a"] and traced[3].numpy().tolist() == [0, 1, 0]
    assert traced[4].numpy().tolist() == [True, False, True]
    np.testing.assert_array_equal(traced[1].numpy(), np.array([0, 2, 3, 0], np.float32) * 2)


def test_trace_time_dtype_error_is_type_error_and_shape_error_is_value_error():
    f32, i32 = tf.TensorSpec([2], tf.float32), tf.TensorSpec([2], tf.int32)
    add = tf.function(lambda a, b: tf.raw_ops.AddV2(x=a, y=b))
    with pytest.raises(TypeError, match="expected to be a float32 tensor but is a int32 tensor"):
        add.get_concrete_function(f32, i32)
    with pytest.raises(ValueError, match="with input shapes: \\[2\\], \\[3\\]"):
        add.get_concrete_function(f32, tf.TensorSpec([3], tf.float32))
