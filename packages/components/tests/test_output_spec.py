"""``Layer.compute_output_spec`` and the default ``compute_output_shape``: ``call`` traced on
TensorSpecs (unknown dims kept, no kernel run), with the running fallback where it cannot be
traced; and layers traced with an unknown batch size giving the eager numbers."""

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_components import layers


class Seen(layers.Layer):
    """Records the static shape ``call`` sees and whether the input holds values."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def call(self, x):
        try:
            x.numpy()
            has_values = True
        except NotImplementedError:
            has_values = False
        self.seen.append((tuple(x.shape.as_list()), has_values))
        return tf.expand_dims(tf.cast(x, "int32"), -1)


def test_symbolic_call_traces_with_unknown_dims_and_reads_the_dtype():
    layer = Seen()
    out = layer(layers.Input((None, 3)))
    assert out.shape == (None, None, 3, 1)
    assert out.dtype == "int32"  # Keras's traced dtype, not the compute dtype
    assert layer.seen == [((None, None, 3), False)]  # traced, never run on zeros


def test_compute_output_spec_returns_keras_tensors():
    spec = Seen().compute_output_spec(tf.TensorSpec([None, 4]))
    assert isinstance(spec, layers.KerasTensor)
    assert (spec.shape, spec.dtype) == ((None, 4, 1), "int32")
    dense = layers.Dense(3).compute_output_spec(layers.KerasTensor((None, 2, 4)))
    assert (dense.shape, dense.dtype) == ((None, 2, 3), "float32")
    mha = layers.MultiHeadAttention(2, 3)
    q, v = layers.KerasTensor((None, 4, 5)), layers.KerasTensor((None, 6, 5))
    assert mha.compute_output_spec(q, v).shape == (None, 4, 5)


def test_compute_output_shape_keeps_known_dims_and_leaves_losses_alone():
    layer = Seen()
    assert layer.compute_output_shape((5, 2, 3)) == (5, 2, 3, 1)
    assert layer.compute_output_shape((None, 2, 3)) == (None, 2, 3, 1)
    reg = layers.ActivityRegularization(l1=1.0)
    reg(tf.constant([[1.0, -2.0]]))
    before = [float(v) for v in reg.losses]
    assert isinstance(reg.compute_output_spec(tf.TensorSpec([None, 2])), layers.KerasTensor)
    assert [float(v) for v in reg.losses] == before == [3.0]


class NeedsBatch(layers.Layer):
    """Cannot be traced with an unknown batch (like ``conv2d_transpose``'s output shape)."""

    def call(self, x):
        if x.shape[0] is None:
            raise ValueError("needs a known batch size")
        return tf.zeros([x.shape[0], 2]) + tf.reduce_sum(x, axis=1, keepdims=True)


def test_untraceable_call_falls_back_to_running():
    out = NeedsBatch()(layers.Input((3,)))
    assert out.shape == (None, 2)


@pytest.mark.parametrize(
    "layer, shapes, kwargs",
    [
        (layers.MultiHeadAttention(2, 3), [(2, 3, 4), (2, 5, 4)], {}),
        (layers.MultiHeadAttention(2, 3), [(2, 3, 4), (2, 3, 4)], {"use_causal_mask": True}),
        (layers.MultiHeadAttention(2, 3, attention_axes=(1, 2)), [(2, 3, 2, 4)] * 2, {}),
        (layers.GroupQueryAttention(3, 4, 2), [(2, 3, 4), (2, 5, 4)], {}),
    ],
)
def test_attention_traced_with_unknown_batch_matches_eager(layer, shapes, kwargs):
    rng = np.random.default_rng(0)
    data = [rng.normal(size=s).astype("float32") for s in shapes]
    layer(*[tf.constant(d) for d in data], **kwargs)
    signature = [tf.TensorSpec([None, *s[1:]]) for s in shapes]
    traced = tf.function(lambda q, v: layer(q, v, **kwargs), input_signature=signature)
    for extra in (0, 1):
        batch = [tf.constant(np.concatenate([d, d[:extra]])) for d in data]
        np.testing.assert_allclose(traced(*batch).numpy(), layer(*batch, **kwargs).numpy(),
                                   rtol=1e-5, atol=1e-6)  # fmt: skip


def test_lstm_dropout_in_training_traced_with_unknown_batch():
    layer = layers.LSTM(3, dropout=0.5, recurrent_dropout=0.5, seed=2)
    x = tf.constant(np.random.default_rng(1).normal(size=(3, 4, 2)).astype("float32"))
    traced = tf.function(lambda v: layer(v, training=True),
                         input_signature=[tf.TensorSpec([None, 4, 2])])  # fmt: skip
    assert traced(x).shape == (3, 3)
    assert traced(x[:2]).shape == (2, 3)
    assert np.all(np.isfinite(traced(x).numpy()))


def test_dense_activity_loss_traced_with_unknown_batch_divides_by_the_batch():
    layer = layers.EinsumDense("ab,bc->ac", 2, kernel_initializer="ones",
                               activity_regularizer="l1")  # fmt: skip

    @tf.function(input_signature=[tf.TensorSpec([None, 3])])
    def loss(v):
        layer(v)
        return layer.losses[-1]

    x = np.arange(12, dtype="float32").reshape(4, 3)
    # l1(0.01) * sum |x @ ones| / batch
    expected = 0.01 * np.abs(x @ np.ones((3, 2))).sum() / 4
    np.testing.assert_allclose(float(loss(tf.constant(x))), expected, rtol=1e-6)
