"""Keras 3's variable names and paths: ``kernel`` at ``dense/kernel``, nested layers under their
owner's path, and the optimizers' ``iteration`` / slot variables under the optimizer's name."""

import pytest


def pairs(variables):
    return [(v.name, v.path) for v in variables]


def test_layer_variables_name_and_path(tf):
    layers = tf.keras.layers
    d = layers.Dense(2, name="dense_a")
    d.build((None, 3))
    assert (d.kernel.name, d.kernel.path) == ("kernel", "dense_a/kernel")
    assert (d.bias.name, d.bias.path) == ("bias", "dense_a/bias")
    assert repr(d.bias) == "<Variable path=dense_a/bias, shape=(2,), dtype=float32, value=[0. 0.]>"
    bn = layers.BatchNormalization(name="bn")
    bn.build((None, 3))
    assert pairs(bn.weights) == [
        ("gamma", "bn/gamma"), ("beta", "bn/beta"),
        ("moving_mean", "bn/moving_mean"), ("moving_variance", "bn/moving_variance"),
    ]  # fmt: skip


def test_nested_layers_paths(tf):
    layers = tf.keras.layers
    lstm = layers.LSTM(2, name="rnn")
    lstm.build((None, 4, 3))
    assert pairs(lstm.weights) == [
        ("kernel", "rnn/lstm_cell/kernel"),
        ("recurrent_kernel", "rnn/lstm_cell/recurrent_kernel"),
        ("bias", "rnn/lstm_cell/bias"),
    ]
    mha = layers.MultiHeadAttention(2, 2, name="mha")
    mha.build((None, 4, 3), (None, 4, 3))
    assert pairs(mha.weights)[:2] == [("kernel", "mha/query/kernel"), ("bias", "mha/query/bias")]

    class Outer(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = layers.Dense(2, name="inner")

        def build(self, input_shape):
            self.inner.build(input_shape)
            self.w = self.add_weight(shape=(1,), name="w")

        def call(self, x):
            return self.inner(x) * self.w

    built = Outer(name="outer")
    built.build((None, 3))
    assert pairs(built.weights) == [
        ("w", "outer/w"), ("kernel", "outer/inner/kernel"), ("bias", "outer/inner/bias")
    ]  # fmt: skip
    called = Outer(name="outer_called")
    called(tf.ones((1, 3)))
    assert [v.path for v in called.weights] == [
        "outer_called/w", "outer_called/inner/kernel", "outer_called/inner/bias"
    ]  # fmt: skip


def test_functional_model_paths(tf):
    layers = tf.keras.layers
    inp = tf.keras.Input((3,))
    out = layers.Dense(1, name="head")(layers.Dense(2, name="hidden")(inp))
    model = tf.keras.Model(inp, out)
    assert pairs(model.weights) == [
        ("kernel", "hidden/kernel"), ("bias", "hidden/bias"),
        ("kernel", "head/kernel"), ("bias", "head/bias"),
    ]  # fmt: skip


def test_optimizer_variables_names_and_paths(tf):
    d = tf.keras.layers.Dense(2, name="dense_o")
    d.build((None, 3))
    adam = tf.keras.optimizers.Adam(name="adam")
    adam.build(d.trainable_variables)
    assert pairs(adam.variables) == [
        ("iteration", "adam/iteration"), ("learning_rate", "adam/learning_rate"),
        ("dense_o_kernel_momentum", "adam/dense_o_kernel_momentum"),
        ("dense_o_kernel_velocity", "adam/dense_o_kernel_velocity"),
        ("dense_o_bias_momentum", "adam/dense_o_bias_momentum"),
        ("dense_o_bias_velocity", "adam/dense_o_bias_velocity"),
    ]  # fmt: skip
    sgd = tf.keras.optimizers.SGD(momentum=0.9, name="sgd")
    sgd.build(d.trainable_variables)
    assert [v.path for v in sgd.variables] == [
        "sgd/iteration", "sgd/learning_rate", "sgd/dense_o_kernel_momentum",
        "sgd/dense_o_bias_momentum",
    ]  # fmt: skip


def test_sequential_paths_nest_under_the_model(tf):
    layers = tf.keras.layers
    model = tf.keras.Sequential(
        [tf.keras.Input((3,)), layers.Dense(2, name="d1")], name="seq"
    )  # fmt: skip
    assert [v.path for v in model.weights] == ["seq/d1/kernel", "seq/d1/bias"]


def test_add_weight_default_names_and_slash_error(tf):
    layer = tf.keras.layers.Layer(name="plain")
    first, second = layer.add_weight(shape=(1,)), layer.add_weight(shape=(1,), name="x")
    assert first.name.startswith("variable") and second.name == "x"
    assert (first.path, second.path) == (f"plain/{first.name}", "plain/x")
    with pytest.raises(ValueError, match="cannot contain character `/`. Received: name=a/b"):
        layer.add_weight(shape=(1,), name="a/b")


def test_metric_variables_names_and_paths(tf):
    mean = tf.keras.metrics.Mean(name="mean")
    assert pairs(mean.variables) == [("total", "mean/total"), ("count", "mean/count")]
    auc = tf.keras.metrics.AUC(name="auc")
    assert [v.path for v in auc.variables] == [
        "auc/true_positives", "auc/false_positives", "auc/true_negatives", "auc/false_negatives"
    ]  # fmt: skip
