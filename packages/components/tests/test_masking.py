"""Masks carried from layer to layer (Keras 3's ``_keras_mask``): ``mask=`` / ``<arg>_mask=``
filled from the inputs, ``compute_mask`` on the outputs of layers that support masking, the
warning when a layer drops a mask, and the same inside ``tensorhouse_ops.function``."""

import warnings

import numpy as np
import pytest

import tensorhouse_ops as ops
from tensorhouse_components import layers, losses
from tensorhouse_components._masks import get_keras_mask, set_keras_mask

IDS = np.array([[1, 2, 0, 0], [3, 0, 0, 0]])
MASK = IDS != 0


class Record(layers.Layer):
    def call(self, inputs, mask=None):
        self.got = mask
        return inputs * 2.0


class Pair(layers.Layer):
    def call(self, a, b, a_mask=None, b_mask=None):
        self.got = (a_mask, b_mask)
        return a + b


class PassThrough(layers.Layer):
    def call(self, x):
        return x + 0.0

    def compute_mask(self, x, previous_mask=None):
        return previous_mask


def embedded(dim=2):
    emb = layers.Embedding(4, dim, mask_zero=True, embeddings_initializer="ones")
    return emb(IDS)


def test_side_table_follows_the_tensor():
    x = ops.constant([1.0, 2.0])
    assert get_keras_mask(x) is None
    set_keras_mask(x, "m")
    assert get_keras_mask(x) == "m"
    assert get_keras_mask(ops.constant([1.0, 2.0])) is None
    set_keras_mask(x, None)
    assert get_keras_mask(x) is None
    v = ops.Variable([1.0])  # takes attributes: Keras's ``_keras_mask``
    set_keras_mask(v, "n")
    assert v._keras_mask == "n" and get_keras_mask(v) == "n"


def test_mask_argument_filled_and_explicit_mask_wins():
    x = embedded()
    np.testing.assert_array_equal(get_keras_mask(x), MASK)
    rec = Record()
    with pytest.warns(UserWarning, match="does not support masking"):
        out = rec(x)
    np.testing.assert_array_equal(rec.got, MASK)
    assert get_keras_mask(out) is None  # the layer does not support masking
    explicit = np.ones_like(MASK)
    with pytest.warns(UserWarning):
        rec(x, mask=explicit)
    assert rec.got is explicit
    plain = Record()
    plain(ops.constant(np.ones((2, 4, 2), np.float32)))
    assert plain.got is None


def test_several_tensor_arguments_get_their_own_masks():
    pair = Pair()
    with pytest.warns(UserWarning):
        pair(embedded(), ops.ones((2, 4, 2)))
    np.testing.assert_array_equal(pair.got[0], MASK)
    assert pair.got[1] is None


def test_supports_masking_defaults_to_overriding_compute_mask():
    assert PassThrough().supports_masking
    assert not Record().supports_masking
    assert layers.Dense(2).supports_masking and layers.Dropout(0.1).supports_masking
    assert not layers.Embedding(3, 2).supports_masking
    assert layers.Embedding(3, 2, mask_zero=True).supports_masking
    layer = Record()
    layer.supports_masking = True
    assert layer.supports_masking


def test_mask_flows_through_supporting_layers_into_the_mean():
    x = embedded()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = layers.Activation("relu")(layers.Dense(3, kernel_initializer="ones")(PassThrough()(x)))
    np.testing.assert_array_equal(get_keras_mask(y), MASK)
    values = np.arange(24, dtype=np.float32).reshape(2, 4, 3)
    carried = ops.constant(values)
    set_keras_mask(carried, ops.constant(MASK))
    pooled = layers.GlobalAveragePooling1D()(carried)
    expected = (values * MASK[..., None]).sum(1) / MASK.sum(1, keepdims=True)
    np.testing.assert_allclose(pooled, expected, rtol=1e-6)


def test_masks_propagate_inside_a_traced_function():
    emb = layers.Embedding(4, 2, mask_zero=True)
    emb.build((None, 4))
    table = np.array([[9.0, 9.0], [1.0, 2.0], [3.0, 5.0], [7.0, 1.0]], np.float32)
    emb.set_weights([table])
    dense = layers.Dense(2)
    dense.build((None, 4, 2))
    dense.set_weights([np.eye(2, dtype=np.float32), np.zeros(2, np.float32)])
    pool = layers.GlobalAveragePooling1D()

    def f(ids):
        return pool(dense(emb(ids)))

    expected = (table[IDS] * MASK[..., None]).sum(1) / MASK.sum(1, keepdims=True)
    np.testing.assert_allclose(f(ops.constant(IDS)), expected, rtol=1e-6)
    np.testing.assert_allclose(ops.function(f)(ops.constant(IDS)), expected, rtol=1e-6)


def test_loss_reads_the_mask_of_y_pred():
    y_pred = ops.constant(np.array([[[1.0], [2.0], [3.0], [4.0]]], np.float32))
    set_keras_mask(y_pred, ops.constant(np.array([[True, True, False, False]])))
    got = losses.MeanSquaredError()(np.zeros((1, 4, 1), np.float32), y_pred)
    np.testing.assert_allclose(float(got), (1.0 + 4.0) / 2, rtol=1e-6)


def test_multi_head_attention_takes_and_clears_the_input_masks():
    x = embedded(4)
    mha = layers.MultiHeadAttention(2, 2, seed=0)
    out = mha(x, x)
    assert get_keras_mask(x) is None  # handled inside the layer, as Keras does
    np.testing.assert_array_equal(get_keras_mask(out), MASK)


def test_metric_wrapper_weights_by_the_mask_of_y_pred():
    from tensorhouse_components import metrics

    y_pred = ops.constant(np.array([[[1.0], [2.0], [3.0], [4.0]]], np.float32))
    set_keras_mask(y_pred, ops.constant(np.array([[True, False, True, False]])))
    m = metrics.MeanAbsoluteError()
    m.update_state(np.zeros((1, 4, 1), np.float32), y_pred)
    np.testing.assert_allclose(float(m.result()), (1.0 + 3.0) / 2, rtol=1e-6)
    m.reset_state()
    m.update_state(np.zeros((1, 4, 1), np.float32), y_pred, sample_weight=[[2.0, 1.0, 1.0, 1.0]])
    np.testing.assert_allclose(float(m.result()), (2.0 + 3.0) / 3, rtol=1e-6)
