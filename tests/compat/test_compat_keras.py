"""tf.keras.layers.Dense and Sequential: output and weight shapes."""

import numpy as np
import pytest


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


def test_functional_inputs_get_or_lose_one_trailing_axis_of_size_1(tf):
    keras = tf.keras
    a, b = keras.Input((1,), name="a"), keras.Input((1,), name="b")
    both = keras.Model({"a": a, "b": b}, keras.layers.Concatenate()([a, b]))
    got = both({"a": np.array([1.0, 2.0]), "b": np.array([3.0, 4.0])})
    np.testing.assert_array_equal(np.asarray(got), [[1.0, 3.0], [2.0, 4.0]])
    x = keras.Input((3,))
    flat = keras.Model(x, keras.layers.Activation("linear")(x))
    assert tuple(flat(np.ones((2, 3, 1), "float32")).shape) == (2, 3)
    x = keras.Input((3, 1))
    deep = keras.Model(x, keras.layers.Activation("linear")(x))
    assert tuple(deep(np.ones((2, 3), "float32")).shape) == (2, 3, 1)
    assert deep.predict(np.ones((2, 3), "float32"), verbose=0).shape == (2, 3, 1)


def test_operators_and_keras_ops_on_keras_tensors_build_the_graph(tf):
    keras = tf.keras
    x, y = keras.Input((3,)), keras.Input((2,))
    joined = keras.ops.concatenate([x * 2.0 + 1.0, -y], axis=-1)
    first = joined[:, :2]
    scaled = keras.ops.mean(keras.ops.nn.relu(joined - 2.0), axis=-1)
    model = keras.Model([x, y], [joined, first, scaled, 1.0 / (x + 1.0), abs(y) ** 2])
    assert [tuple(o.shape) for o in model.outputs] == [(None, 5), (None, 2), (None,), (None, 3),
                                                        (None, 2)]  # fmt: skip
    a = np.array([[0.0, 1.0, 2.0], [3.0, -0.5, 0.5]], "float32")
    b = np.array([[1.0, -2.0], [0.0, 4.0]], "float32")
    got = [np.asarray(o) for o in model([a, b])]
    want_joined = np.concatenate([a * 2 + 1, -b], axis=-1)
    np.testing.assert_allclose(got[0], want_joined, rtol=1e-6)
    np.testing.assert_allclose(got[1], want_joined[:, :2], rtol=1e-6)
    np.testing.assert_allclose(got[2], np.maximum(want_joined - 2, 0).mean(-1), rtol=1e-6)
    np.testing.assert_allclose(got[3], 1 / (a + 1), rtol=1e-6)
    np.testing.assert_allclose(got[4], np.abs(b) ** 2, rtol=1e-6)


def test_sequential_and_functional_inputs_and_outputs(tf):
    keras = tf.keras
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    (x,), (y,) = model.inputs, model.outputs
    assert tuple(x.shape) == (None, 3) and tuple(y.shape) == (None, 2)
    assert model.inputs[0] is x  # the same graph each time
    again = keras.Model(model.inputs, model.outputs)  # the usual feature-extractor idiom
    data = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(np.asarray(again(data)), np.asarray(model(data)), rtol=1e-6)
    unbuilt = keras.Sequential([keras.layers.Dense(2)])
    with pytest.raises(AttributeError, match="no defined inputs"):
        _ = unbuilt.inputs
    unbuilt.build((None, 4))
    assert tuple(unbuilt.outputs[0].shape) == (None, 2)
    a, b = keras.Input((3,)), keras.Input((2,))
    both = keras.Model([a, b], [keras.layers.Dense(2)(a), b])
    assert isinstance(both.input, list) and both.input[0] is a and both.output[1] is b
