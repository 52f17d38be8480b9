"""Keras 3's base-layer ``activity_regularizer`` (any layer takes it: a loss on each output of a
call, divided by the batch size), against real Keras 3.15 and tensorhouse."""

import numpy as np
import pytest

X = np.arange(12, dtype="float32").reshape(4, 3) / 10


def test_dense_activity_loss_and_config(tf):
    keras = tf.keras
    layer = keras.layers.Dense(2, activity_regularizer="l2", kernel_initializer="ones")
    y = np.asarray(layer(X))
    assert len(layer.losses) == 1
    assert float(layer.losses[0]) == pytest.approx(0.01 * np.sum(y**2) / 4, rel=1e-6)
    config = layer.get_config()
    assert config["activity_regularizer"]["class_name"] == "L2"
    again = keras.layers.Dense.from_config(config)
    again(X)
    assert len(again.losses) == 1
    assert "activity_regularizer" not in keras.layers.Dense(2).get_config()


def test_activity_loss_on_a_layer_without_weights_and_in_fit(tf):
    keras = tf.keras
    act = keras.layers.Activation("relu", activity_regularizer=keras.regularizers.L1(0.5))
    act(X - 0.5)
    assert float(act.losses[0]) == pytest.approx(0.5 * np.sum(np.maximum(X - 0.5, 0)) / 4)
    model = keras.Sequential([
        keras.Input((3,)),
        keras.layers.Dense(2, kernel_initializer="ones", activity_regularizer="l2"),
    ])  # fmt: skip
    model.compile(optimizer="sgd", loss="mse")
    y = np.zeros((4, 2), "float32")
    pred = X @ np.ones((3, 2), "float32")
    expected = np.mean(pred**2) + 0.01 * np.sum(pred**2) / 4
    assert model.evaluate(X, y, batch_size=4, verbose=0) == pytest.approx(expected, rel=1e-5)
