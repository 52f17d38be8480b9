"""tf.keras.layers.Dense and Sequential: output and weight shapes."""

import numpy as np


def test_dense_output_and_weight_shapes(tf):
    layer = tf.keras.layers.Dense(4)
    y = layer(tf.ones((2, 3)))
    assert tuple(y.shape) == (2, 4)
    assert tuple(layer.kernel.shape) == (3, 4) and tuple(layer.bias.shape) == (4,)
    assert len(layer.trainable_weights) == 2


def test_dense_on_a_rank_3_input(tf):
    layer = tf.keras.layers.Dense(4)
    assert tuple(layer(tf.ones((2, 5, 3))).shape) == (2, 5, 4)


def test_dense_without_bias_and_with_activation(tf):
    layer = tf.keras.layers.Dense(3, use_bias=False, activation="relu")
    y = layer(tf.constant([[-1.0, 2.0]]))
    assert len(layer.trainable_weights) == 1
    assert (np.asarray(y) >= 0).all()


def test_dense_bias_starts_at_zero(tf):
    layer = tf.keras.layers.Dense(2)
    layer(tf.zeros((1, 3)))
    np.testing.assert_array_equal(np.asarray(layer.bias), [0.0, 0.0])


def test_sequential_output_shape(tf):
    model = tf.keras.Sequential(
        [tf.keras.Input(shape=(3,)), tf.keras.layers.Dense(5), tf.keras.layers.Dense(2)]
    )
    assert tuple(model(tf.ones((7, 3))).shape) == (7, 2)
    assert model.count_params() == 3 * 5 + 5 + 5 * 2 + 2
