"""``sparse=True`` outputs of the preprocessing layers: a ``tf.sparse.SparseTensor`` whose
dense form is the layer's dense output (NumPy references), row-major indices with no zeros,
the same eagerly, inside ``tf.function`` and inside ``Dataset.map``."""

from __future__ import annotations

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_components import layers
from tensorhouse_components.data import Dataset

RNG = np.random.default_rng(5)


def dense_counts(ids, depth):
    out = np.zeros((len(ids), depth))
    for r, row in enumerate(ids):
        for i in row:
            if 0 <= i < depth:
                out[r, i] += 1
    return out


def check_sparse(st, expected_dense, dtype):
    """``st`` is the row-major, zero-free sparse form of ``expected_dense``."""
    assert isinstance(st, tf.sparse.SparseTensor)
    assert st.dtype == dtype
    expected = np.asarray(expected_dense)
    nz = np.argwhere(expected != 0)
    np.testing.assert_array_equal(st.indices.numpy(), nz)
    np.testing.assert_allclose(st.values.numpy(), expected[tuple(nz.T)], rtol=1e-6)
    np.testing.assert_array_equal(st.dense_shape.numpy(), expected.shape)


@pytest.mark.parametrize("mode", ["multi_hot", "count"])
def test_category_encoding_random_batches_match_numpy(mode):
    ids = RNG.integers(0, 7, size=(6, 5))
    ref = dense_counts(ids, 7)
    ref = np.minimum(ref, 1) if mode == "multi_hot" else ref
    layer = layers.CategoryEncoding(num_tokens=7, output_mode=mode, sparse=True)
    check_sparse(layer(ids), ref, tf.float32)
    traced = tf.function(lambda t: layer(t))(tf.constant(ids))
    check_sparse(traced, ref, tf.float32)


def test_category_encoding_one_hot_and_count_weights():
    layer = layers.CategoryEncoding(num_tokens=3, output_mode="one_hot", sparse=True)
    check_sparse(layer(np.array([2, 0, 2])), np.eye(3)[[2, 0, 2]], tf.float32)
    weighted = layers.CategoryEncoding(num_tokens=3, output_mode="count", sparse=True)
    out = weighted(np.array([[0, 2, 2]]), count_weights=np.array([[0.25, 1.5, 2.0]]))
    check_sparse(out, [[0.25, 0.0, 3.5]], tf.float32)
    with pytest.raises(ValueError, match="`count_weights` is not used when `output_mode`"):
        layers.CategoryEncoding(num_tokens=3, output_mode="multi_hot")(
            np.array([[0]]), count_weights=np.array([[1.0]])
        )


def test_category_encoding_count_weights_dense_unknown_width():
    layer = layers.CategoryEncoding(num_tokens=3, output_mode="count")
    fn = tf.function(lambda x, w: layer(x, count_weights=w),
                     input_signature=[tf.TensorSpec([None, None], "int64"),
                                      tf.TensorSpec([None, None], "float32")])  # fmt: skip
    out = fn(tf.constant([[0, 2, 2]], "int64"), tf.constant([[0.25, 1.5, 2.0]]))
    np.testing.assert_allclose(out.numpy(), [[0.25, 0.0, 3.5]])


def test_string_lookup_sparse_modes_match_dense():
    vocab = ["a", "b", "c", "d"]
    words = np.array(vocab + ["zz"])[RNG.integers(0, 5, size=(4, 6))]
    for mode in ("multi_hot", "count"):
        dense = layers.StringLookup(vocabulary=vocab, output_mode=mode)(words)
        sparse = layers.StringLookup(vocabulary=vocab, output_mode=mode, sparse=True)(words)
        check_sparse(sparse, dense.numpy(), tf.int64)


def test_string_lookup_sparse_tf_idf():
    # TF 2.21 fails on this case (a GatherNd error); here: counts times the idf weights
    layer = layers.StringLookup(vocabulary=["a", "b"], idf_weights=[0.5, 2.0],
                                output_mode="tf_idf", sparse=True)  # fmt: skip
    out = layer(np.array([["a", "a", "b"], ["z", "b", "b"]]))
    # index 0 (OOV) weighs the mean idf, 1.25
    check_sparse(out, [[0.0, 1.0, 2.0], [1.25, 0.0, 4.0]], tf.float32)


def test_integer_lookup_sparse_one_hot():
    layer = layers.IntegerLookup(vocabulary=[7, 8], output_mode="one_hot", sparse=True)
    check_sparse(layer(np.array([8, 5, 7])), [[0, 0, 1], [1, 0, 0], [0, 1, 0]], tf.int64)


def test_text_vectorization_sparse_in_dataset_map():
    layer = layers.TextVectorization(output_mode="count", sparse=True,
                                     vocabulary=["the", "cat", "sat"])  # fmt: skip
    text = np.array(["The cat sat", "the the dog", "sat."])
    ds = Dataset.from_tensor_slices(text).batch(3).map(layer)
    out = next(iter(ds))
    # indices: 0 [UNK], 1 the, 2 cat, 3 sat
    check_sparse(out, [[0, 1, 1, 1], [1, 2, 0, 0], [0, 0, 0, 1]], tf.int64)
    eager = layer(text)
    check_sparse(eager, [[0, 1, 1, 1], [1, 2, 0, 0], [0, 0, 0, 1]], tf.int64)


def test_hashing_and_crossing_sparse_match_dense():
    x = np.array([["a", "b", "a"], ["c", "d", "a"]])
    for mode in ("one_hot", "multi_hot", "count"):
        xi = x[:, 0] if mode == "one_hot" else x
        dense = layers.Hashing(num_bins=5, output_mode=mode)(xi)
        check_sparse(layers.Hashing(num_bins=5, output_mode=mode, sparse=True)(xi),
                     dense.numpy(), tf.float32)  # fmt: skip
    pair = (np.array([1, 2, 3]), np.array(["a", "b", "c"]))
    dense = layers.HashedCrossing(num_bins=5, output_mode="one_hot")(pair)
    crossed = layers.HashedCrossing(num_bins=5, output_mode="one_hot", sparse=True)(pair)
    check_sparse(crossed, dense.numpy(), tf.float32)


def test_discretization_sparse_traced_matches_eager():
    layer = layers.Discretization(bin_boundaries=[0.0, 1.0], output_mode="count", sparse=True)
    x = np.array([[-1.0, 0.5, 0.7], [2.0, 2.0, -3.0]], np.float32)
    expected = [[1.0, 2.0, 0.0], [1.0, 0.0, 2.0]]
    check_sparse(layer(x), expected, tf.float32)
    check_sparse(tf.function(lambda t: layer(t))(tf.constant(x)), expected, tf.float32)


def test_sparse_config_round_trip_and_errors():
    layer = layers.StringLookup(vocabulary=["a"], output_mode="count", sparse=True)
    assert layer.get_config()["sparse"] is True
    again = layers.StringLookup.from_config(layer.get_config())
    assert isinstance(again(np.array([["a"]])), tf.sparse.SparseTensor)
    with pytest.raises(ValueError, match="Received: sparse=True and output_mode=int"):
        layers.IntegerLookup(vocabulary=[1], sparse=True)
    with pytest.raises(ValueError, match="Received: sparse=True and output_mode=int"):
        layers.TextVectorization(sparse=True)
