"""Keras layers traced by tf.function with an unknown (None) batch dimension, and
``compute_output_spec`` / symbolic calls that keep unknown dims unknown."""

import numpy as np
import pytest


def _data(n, *rest):
    return (np.arange(n * int(np.prod(rest)), dtype=np.float32).reshape(n, *rest) % 7) / 3.0 - 1.0


def _layers(tf):
    L = tf.keras.layers
    return {
        "dense_rank3": (lambda: L.Dense(2, kernel_initializer="ones"), (4, 3)),
        "flatten": (lambda: L.Flatten(), (2, 3)),
        "reshape": (lambda: L.Reshape((-1, 2)), (2, 3)),
        "einsum_dense": (
            lambda: L.EinsumDense("abc,cd->abd", (None, 2), kernel_initializer="ones"),
            (4, 3),
        ),
        "conv2d_transpose": (
            lambda: L.Conv2DTranspose(2, 3, strides=2, padding="same", kernel_initializer="ones"),
            (3, 3, 2),
        ),
        "conv1d_transpose": (
            lambda: L.Conv1DTranspose(2, 2, strides=2, kernel_initializer="ones"),
            (3, 2),
        ),
        "gru": (lambda: L.GRU(2, kernel_initializer="ones", recurrent_initializer="ones"), (3, 2)),
        "attention": (lambda: L.Attention(), None),
        "dot": (lambda: L.Dot(axes=2), None),
    }


NAMES = ["dense_rank3", "flatten", "reshape", "einsum_dense", "conv2d_transpose",
         "conv1d_transpose", "gru", "attention", "dot"]  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
def test_layer_traced_with_unknown_batch_matches_eager(tf, name):
    make, rest = _layers(tf)[name]
    layer = make()
    pair = rest is None
    rest = (3, 4) if pair else rest
    spec = tf.TensorSpec([None, *rest], tf.float32)
    if pair:
        f = tf.function(lambda a, b: layer([a, b]), input_signature=[spec, spec])
    else:
        f = tf.function(lambda a: layer(a), input_signature=[spec])
    for n in (2, 3):
        x = tf.constant(_data(n, *rest))
        args = (x, x[:, ::-1] * 0.5) if pair else (x,)
        eager = layer(list(args)) if pair else layer(x)
        np.testing.assert_allclose(f(*args).numpy(), eager.numpy(), rtol=1e-5, atol=1e-5)
        assert f(*args).shape[0] == n


def test_dense_rank3_numbers_under_unknown_batch(tf):
    layer = tf.keras.layers.Dense(2, kernel_initializer="ones", bias_initializer="zeros")
    f = tf.function(lambda a: layer(a), input_signature=[tf.TensorSpec([None, 4, 3])])
    x = _data(3, 4, 3)
    np.testing.assert_allclose(f(tf.constant(x)).numpy(), x @ np.ones((3, 2)), rtol=1e-6)


def test_dropout_in_training_with_unknown_batch(tf):
    layer = tf.keras.layers.Dropout(0.5, seed=3)
    f = tf.function(lambda a: layer(a, training=True),
                    input_signature=[tf.TensorSpec([None, 50])])  # fmt: skip
    x = np.ones((4, 50), np.float32)
    y = f(tf.constant(x)).numpy()
    assert y.shape == (4, 50)
    assert set(np.unique(y)) <= {0.0, 2.0}
    assert 0 < (y == 0).sum() < y.size


def test_activity_regularization_divides_by_the_run_time_batch(tf):
    layer = tf.keras.layers.ActivityRegularization(l1=0.5)

    @tf.function(input_signature=[tf.TensorSpec([None, 2])])
    def loss(a):
        layer(a)
        return layer.losses[0]

    x = np.array([[1.0, -2.0], [3.0, 0.0], [0.5, 0.5]], np.float32)
    np.testing.assert_allclose(float(loss(tf.constant(x))), 0.5 * 7.0 / 3, rtol=1e-6)


def test_symbolic_call_of_a_custom_layer_keeps_unknown_dims_and_dtype(tf):
    class ToInt(tf.keras.layers.Layer):
        def call(self, x):
            return tf.expand_dims(tf.cast(x, "int32"), -1)

    out = ToInt()(tf.keras.Input((None, 3)))
    assert tuple(out.shape) == (None, None, 3, 1)
    assert out.dtype == "int32"
    spec = ToInt().compute_output_spec(tf.keras.Input((4,)))
    assert (tuple(spec.shape), spec.dtype) == ((None, 4, 1), "int32")


def test_compute_output_spec_of_built_in_layers(tf):
    L = tf.keras.layers
    spec = L.Dense(3).compute_output_spec(tf.keras.Input((2, 4)))
    assert (tuple(spec.shape), spec.dtype) == ((None, 2, 3), "float32")
    mha = L.MultiHeadAttention(2, 3)
    out = mha.compute_output_spec(tf.keras.Input((4, 5)), tf.keras.Input((6, 5)))
    assert tuple(out.shape) == (None, 4, 5)


def test_symbolic_output_dtypes_follow_the_layer(tf):
    L = tf.keras.layers
    assert L.Discretization([0.0])(tf.keras.Input((3,))).dtype == "int32"
    one_hot = L.Discretization([0.0], output_mode="one_hot")(tf.keras.Input((1,)))
    assert (tuple(one_hot.shape), one_hot.dtype) == ((None, 2), "float32")
    ids = L.IntegerLookup(vocabulary=[1, 2])(tf.keras.Input((3,), dtype="int64"))
    assert ids.dtype == "int64"
