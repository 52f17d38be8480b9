"""Building an op that cannot be built while tracing: an input of the wrong dtype is TF's
``TypeError``, a shape that does not fit its ``ValueError`` naming the node; eagerly both are
``InvalidArgumentError`` (the ops layer maps the op definitions' ``DTypeError`` by class)."""

from __future__ import annotations

import pytest


def test_wrong_dtype_while_tracing_is_type_error(tf):
    add = tf.function(lambda a, b: tf.raw_ops.AddV2(x=a, y=b))
    with pytest.raises(TypeError):
        add.get_concrete_function(tf.TensorSpec([2], tf.float32), tf.TensorSpec([2], tf.int32))
    select = tf.function(lambda c, a, b: tf.raw_ops.SelectV2(condition=c, t=a, e=b))
    cond, x, n = (tf.TensorSpec([2], dt) for dt in (tf.bool, tf.float32, tf.int32))
    with pytest.raises(TypeError):
        select.get_concrete_function(cond, x, n)


def test_shape_error_while_tracing_is_value_error_naming_the_node(tf):
    add = tf.function(lambda a, b: tf.raw_ops.AddV2(x=a, y=b))
    with pytest.raises(ValueError, match="node AddV2") as e:
        add.get_concrete_function(tf.TensorSpec([2], tf.float32), tf.TensorSpec([3], tf.float32))
    assert not isinstance(e.value, TypeError)
    assert "with input shapes: [2], [3]" in str(e.value)


def test_both_are_invalid_argument_eagerly(tf):
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        tf.raw_ops.AddV2(x=tf.ones([2]), y=tf.ones([2], tf.int32))
    assert type(e.value).__name__ == "InvalidArgumentError"
    with pytest.raises(tf.errors.InvalidArgumentError, match="Incompatible shapes"):
        tf.raw_ops.AddV2(x=tf.ones([2]), y=tf.ones([3]))
