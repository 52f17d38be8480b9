"""``Layer.__call__``'s common-case path (one eager tensor, no other arguments) keeps the general
path's behaviour: numbers, training flag, scopes, masks, casts, losses and nesting."""

import numpy as np

import tensorhouse_ops as ops
from tensorhouse_components import layers, regularizers
from tensorhouse_components._masks import get_keras_mask, set_keras_mask

X = np.arange(12, dtype=np.float32).reshape(3, 4) / 5 - 1


def test_dense_call_matches_numpy_eager_and_traced():
    dense = layers.Dense(2, activation="relu")
    x = ops.constant(X)
    out = dense(x).numpy()
    k, b = dense.kernel.numpy(), dense.bias.numpy()
    np.testing.assert_allclose(out, np.maximum(X @ k + b, 0), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ops.function(dense)(x).numpy(), out, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(dense(ops.constant(X[None])).numpy()[0], out, rtol=1e-6)


class _Probe(layers.Layer):
    """Records the training flag and the layer scope it sees; adds a loss; makes a sublayer."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def call(self, inputs, training=None):
        self.seen.append(training)
        self.add_loss(ops.reduce_sum(inputs))
        return inputs * 2.0


def test_training_flag_comes_from_the_outer_call_and_losses_reset():
    probe = _Probe()
    x = ops.constant(X)
    np.testing.assert_allclose(probe(x).numpy(), X * 2)
    assert probe.seen == [None]
    probe(x, training=True)
    assert probe.seen[-1] is True
    outer = layers.Lambda(lambda t: probe(t))
    outer(x, training=False)
    assert probe.seen[-1] is False
    probe(x)
    assert len(probe.losses) == 1
    np.testing.assert_allclose(probe.losses[0].numpy(), X.sum(), rtol=1e-6)


def test_mask_on_the_input_still_flows_through_a_supporting_layer():
    x = ops.constant(X)
    mask = ops.constant([True, False, True])
    set_keras_mask(x, mask)
    out = layers.Dense(2)(x)
    np.testing.assert_array_equal(get_keras_mask(out).numpy(), [True, False, True])
    assert get_keras_mask(layers.Dense(2)(ops.constant(X))) is None


def test_compute_mask_of_a_layer_runs_without_an_input_mask():
    emb = layers.Embedding(5, 3, mask_zero=True)
    out = emb(ops.constant([[0, 2, 0, 4]]))
    np.testing.assert_array_equal(get_keras_mask(out).numpy(), [[False, True, False, True]])


def test_float64_input_is_cast_and_int_input_converted():
    dense = layers.Dense(2)
    out64 = dense(ops.constant(X.astype(np.float64)))
    assert out64.dtype.name == "float32"
    k, b = dense.kernel.numpy(), dense.bias.numpy()
    np.testing.assert_allclose(out64.numpy(), X @ k + b, rtol=1e-6)
    out_int = dense(ops.constant([[1, 2, 3, 4]]))
    np.testing.assert_allclose(out_int.numpy(), np.array([[1, 2, 3, 4]]) @ k + b, rtol=1e-5)


def test_activity_regularizer_and_nested_layers_on_the_common_path():
    dense = layers.Dense(2, activity_regularizer=regularizers.L2(0.5))
    out = dense(ops.constant(X))
    want = 0.5 * (out.numpy() ** 2).sum() / 3  # Keras: divided by the batch size
    np.testing.assert_allclose(dense.losses[0].numpy(), want, rtol=1e-5)
    model = layers.Lambda(lambda t: layers.Dense(3)(t))
    assert model(ops.constant(X)).shape.as_list() == [3, 3]
