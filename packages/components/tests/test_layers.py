"""Layer lifecycle, Dense and the core layers, checked against NumPy."""

import numpy as np
import pytest

from tensorhouse_components import activations, layers, ops, regularizers


def test_dense_forward_matches_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 3)).astype(np.float32)
    w = rng.normal(size=(3, 4)).astype(np.float32)
    b = rng.normal(size=(4,)).astype(np.float32)
    dense = layers.Dense(4, activation="relu")
    dense.build((None, 3))
    dense.set_weights([w, b])
    out = dense(x)
    assert isinstance(out, ops.Tensor)
    np.testing.assert_allclose(out.numpy(), np.maximum(x @ w + b, 0.0), rtol=1e-5, atol=1e-6)


def test_dense_builds_on_first_call_with_keras_shapes():
    dense = layers.Dense(2)
    assert not dense.built and dense.weights == []
    dense(np.zeros((7, 3), np.float32))
    assert dense.built
    assert [tuple(w.shape.as_list()) for w in dense.weights] == [(3, 2), (2,)]
    assert dense.kernel is dense.weights[0] and dense.bias is dense.weights[1]
    assert dense.count_params() == 3 * 2 + 2
    np.testing.assert_array_equal(dense.bias.numpy(), np.zeros(2))


def test_dense_rank3_input_contracts_last_axis():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 10
    dense = layers.Dense(5, use_bias=False)
    out = dense(x)
    assert out.shape.as_list() == [2, 3, 5]
    np.testing.assert_allclose(out.numpy(), x @ dense.kernel.numpy(), rtol=1e-5)
    assert dense.weights == [dense.kernel]


def test_dense_rejects_bad_units():
    with pytest.raises(ValueError, match="units=-1"):
        layers.Dense(-1)


def test_inputs_are_autocast_to_the_layer_dtype():
    out = layers.Dense(1)(np.ones((2, 2), dtype=np.float64))
    assert out.dtype == ops.float32
    out64 = layers.Dense(1, dtype="float64")(np.ones((2, 2), dtype=np.float32))
    assert out64.dtype == ops.float64


def test_activation_layer_and_functions():
    x = np.array([[-2.0, 0.0, 3.0]], np.float32)
    np.testing.assert_allclose(layers.Activation("relu")(x).numpy(), [[0, 0, 3]])
    np.testing.assert_allclose(activations.sigmoid(x).numpy(), 1 / (1 + np.exp(-x)), rtol=1e-6)
    np.testing.assert_allclose(activations.tanh(x).numpy(), np.tanh(x), rtol=1e-6)
    e = np.exp(x - x.max())
    np.testing.assert_allclose(activations.softmax(x).numpy(), e / e.sum(), rtol=1e-6)
    np.testing.assert_allclose(activations.linear(x).numpy(), x)
    assert activations.get(None) is activations.linear
    assert activations.get("relu") is activations.relu
    with pytest.raises(ValueError, match="'swishy'"):
        activations.get("swishy")


def test_get_config_round_trip():
    dense = layers.Dense(
        3, activation="tanh", use_bias=False, kernel_initializer="he_normal",
        kernel_regularizer=regularizers.L2(0.5), name="my_dense",
    )  # fmt: skip
    config = dense.get_config()
    clone = layers.Dense.from_config(config)
    assert clone.get_config() == config
    assert clone.name == "my_dense" and clone.units == 3 and clone.use_bias is False
    assert clone.activation is activations.tanh
    assert type(clone.kernel_initializer).__name__ == "HeNormal"
    rebuilt = layers.deserialize(layers.serialize(dense))
    assert isinstance(rebuilt, layers.Dense) and rebuilt.get_config() == config


def test_serialize_keeps_build_config():
    dense = layers.Dense(2)
    dense(np.ones((1, 4), np.float32))
    clone = layers.deserialize(layers.serialize(dense))
    assert clone.built and clone.kernel.shape.as_list() == [4, 2]


def test_get_and_set_weights_are_numpy_copies():
    dense = layers.Dense(2)
    dense.build((None, 3))
    weights = dense.get_weights()
    assert all(isinstance(w, np.ndarray) for w in weights)
    weights[0][...] = 7.0
    assert not np.any(dense.kernel.numpy() == 7.0)
    dense.set_weights(weights)
    np.testing.assert_array_equal(dense.kernel.numpy(), np.full((3, 2), 7.0))
    with pytest.raises(ValueError, match="expected 2 weights"):
        dense.set_weights([weights[0]])
    with pytest.raises(ValueError, match=r"\(3, 2\)"):
        dense.set_weights([np.zeros((2, 2)), weights[1]])


def test_count_params_needs_a_built_layer():
    with pytest.raises(ValueError, match="isn't built"):
        layers.Dense(2).count_params()


def test_unique_default_names():
    a, b = layers.Dense(1), layers.Dense(1)
    assert a.name != b.name
    assert a.name.startswith("dense") and b.name.startswith("dense")


class _TwoDense(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.first = layers.Dense(4, activation="relu")
        self.second = layers.Dense(1)
        self.scale = None

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(), initializer="ones", trainable=False, name="scale")

    def call(self, inputs, training=None):
        return self.second(self.first(inputs)) * self.scale


def test_sublayers_are_tracked_and_trainability_propagates():
    layer = _TwoDense()
    out = layer(np.ones((3, 2), np.float32))
    assert out.shape.as_list() == [3, 1]
    assert len(layer.weights) == 5  # scale, then first's kernel/bias, second's kernel/bias
    assert layer.weights[0] is layer.scale
    assert len(layer.trainable_weights) == 4 and layer.non_trainable_weights == [layer.scale]
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 5
    assert layer.first.trainable is False


def test_gradients_flow_through_dense():
    dense = layers.Dense(1)
    x = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    with ops.GradientTape() as tape:
        loss = ops.reduce_sum(dense(x))
    g_kernel, g_bias = tape.gradient(loss, dense.trainable_weights)
    np.testing.assert_allclose(g_kernel.numpy(), [[4.0], [6.0]])
    np.testing.assert_allclose(g_bias.numpy(), [2.0])


def test_input_gives_a_symbolic_tensor_and_builds_layers():
    inp = layers.Input(shape=(3,), name="features")
    assert isinstance(inp, layers.KerasTensor)
    assert inp.shape == (None, 3) and inp.dtype == "float32"
    dense = layers.Dense(5)
    out = dense(inp)
    assert dense.built and out.shape == (None, 5)
    assert layers.Input(shape=(2,), batch_size=8).shape == (8, 2)
    with pytest.raises(ValueError, match="shape"):
        layers.Input()


def test_symbolic_call_of_a_layer_without_compute_output_shape():
    out = _TwoDense()(layers.Input(shape=(6,)))
    assert out.shape == (None, 1)


def test_regularizer_losses():
    dense = layers.Dense(2, kernel_regularizer=regularizers.L2(0.1), bias_initializer="ones")
    dense.build((None, 3))
    (penalty,) = dense.losses
    np.testing.assert_allclose(float(penalty), 0.1 * np.sum(dense.kernel.numpy() ** 2), rtol=1e-5)


def test_dropout_scales_in_training_only():
    x = np.ones((200, 50), np.float32)
    drop = layers.Dropout(0.5, seed=3)
    np.testing.assert_array_equal(drop(x).numpy(), x)
    y = drop(x, training=True).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0}
    assert abs((y == 0).mean() - 0.5) < 0.03


def test_flatten():
    out = layers.Flatten()(np.zeros((4, 2, 3), np.float32))
    assert out.shape.as_list() == [4, 6]
    assert layers.Flatten().compute_output_shape((None, 2, 3)) == (None, 6)


def test_unknown_kwargs_are_rejected():
    with pytest.raises(TypeError, match="unitz"):
        layers.Dense(2, unitz=3)


def test_dropout_drops_inf_and_nan_to_zero_eager_and_traced():
    """Dropout selects (as TF's ``tf.nn.dropout``): a dropped inf or nan is 0, never nan; a kept
    one is scaled by 1 / (1 - rate)."""
    x = ops.constant(np.array([np.inf, np.nan, 1.0, -np.inf] * 64, np.float32))
    layer = layers.Dropout(0.5, seed=3)
    traced = ops.function(lambda t: layers.Dropout(0.5, seed=3)(t, training=True))
    for out in (layer(x, training=True).numpy(), traced(x).numpy()):
        dropped = out == 0.0
        assert 0 < dropped.sum() < out.size
        kept = ~dropped
        src = x.numpy()
        np.testing.assert_array_equal(
            out[kept & np.isfinite(src)], src[kept & np.isfinite(src)] * 2
        )
        assert np.isnan(out[kept & np.isnan(src)]).all()  # a kept nan stays nan
        assert not np.isnan(out[~np.isnan(src)]).any()  # no nan from a dropped inf


def test_explicit_build_marks_built_and_records_the_shape():
    class Scale(layers.Layer):
        def build(self, input_shape):  # no super().build: Keras's wrapper marks it built
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.w

    layer = Scale()
    layer.build((None, 2))
    assert layer.built and layer.get_build_config() == {"input_shape": (None, 2)}
    np.testing.assert_allclose(np.asarray(layer(np.array([[1.0, 2.0]], "float32"))), [[1, 2]])
    assert len(layer.weights) == 1


def test_an_op_error_in_call_keeps_its_class_node_and_op():
    class MatMul(layers.Layer):
        def call(self, x):
            return ops.matmul(x, ops.ones((3, 3)))

    with pytest.raises(ops.errors.InvalidArgumentError) as info:
        MatMul()(np.ones((1, 4), "float32"))
    message = str(info.value)
    assert message.startswith("Exception encountered when calling MatMul.call().\n\n\x1b[1m")
    assert "Matrix size-incompatible" in message and "[Op:MatMul]" in message
    assert message.endswith("  \u2022 x=tf.Tensor(shape=(1, 4), dtype=float32)")
    assert info.value.message == message


def test_an_error_class_without_the_standard_signature_becomes_runtime_error():
    class Odd(Exception):
        def __init__(self, a, b):
            super().__init__(f"{a}{b}")

    class Raising(layers.Layer):
        def call(self, x):
            raise Odd("o", "dd")

    with pytest.raises(RuntimeError, match=r"(?s)calling Raising.call\(\).*odd"):
        Raising()(np.ones((1, 2), "float32"))


def test_inputs_by_keyword_use_calls_first_argument_name():
    class Twice(layers.Layer):
        def call(self, x, scale=2.0):
            return x * scale

    np.testing.assert_allclose(np.asarray(Twice()(x=np.ones((1, 2), "float32"), scale=3.0)), 3)
    with pytest.raises(TypeError, match="Twice.__call__\\(\\) received no inputs"):
        Twice()(scale=3.0)
