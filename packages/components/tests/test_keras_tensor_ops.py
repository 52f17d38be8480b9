"""Operators and ``keras.ops`` on KerasTensors record ``Operation`` nodes (Keras 3's functional
graphs); each node computes its function on real tensors."""

import numpy as np
import pytest

from tensorhouse_components import keras_ops as K
from tensorhouse_components import layers


def _run(kt, *values):
    """Evaluate the single-node ``kt`` on real inputs (the node's own layer, as a model would)."""
    return np.asarray(kt.node.layer(list(values)))


def test_operators_make_nodes_with_the_output_shape_and_dtype():
    x = layers.Input((3,))
    y = x * 2.0
    assert y.shape == (None, 3) and y.dtype == "float32"
    assert type(y.node.layer).__name__ == "Operation" and y.node.input_tensors == [x]
    a = np.array([[1.0, -2.0, 3.0]], "float32")
    np.testing.assert_array_equal(_run(y, a), a * 2)
    np.testing.assert_array_equal(_run(3.0 - x, a), 3 - a)
    np.testing.assert_array_equal(_run(x[:, 1:], a), a[:, 1:])
    assert (x[:, 0]).shape == (None,)
    assert (x > 0.0).dtype == "bool"
    np.testing.assert_array_equal(_run(x**2, a), a**2)


def test_two_keras_tensors_are_both_inputs_in_order():
    x, y = layers.Input((3,)), layers.Input((3,))
    z = y - x
    assert z.node.input_tensors == [y, x]
    a, b = np.ones((2, 3), "float32"), np.full((2, 3), 5.0, "float32")
    np.testing.assert_array_equal(_run(z, b, a), b - a)


def test_keras_ops_on_keras_tensors_and_on_values():
    x, y = layers.Input((2,)), layers.Input((3,))
    c = K.concatenate([x, y], axis=1)
    assert c.shape == (None, 5) and c.node.input_tensors == [x, y]
    a, b = np.ones((1, 2), "float32"), np.zeros((1, 3), "float32")
    np.testing.assert_array_equal(_run(c, a, b), np.concatenate([a, b], 1))
    assert K.nn.relu(x).shape == (None, 2)
    assert K.numpy.sum(y, axis=-1).shape == (None,)
    np.testing.assert_array_equal(np.asarray(K.add(1.0, 2.0)), 3.0)  # values: computed at once


def test_keras_tensors_keep_identity_semantics():
    x = layers.Input((2,))
    assert x in [x] and {x: 1}[x] == 1 and x != layers.Input((2,))
    with pytest.raises(TypeError, match="cannot be iterated"):
        list(x)
    op = (x + 1.0).node.layer  # saved as Keras's Add (test_operation_config.py)
    assert op.get_config() == {"name": op.name}
