"""``sparse=True`` outputs built from the indices (no dense intermediate): the entries equal
the dense output's (NumPy references), zero sums kept as TF keeps them, any input rank, the
same eager, traced and with unknown shapes; and TextVectorization's one-pass whitespace split,
ngrams and lookup against the step-by-step path."""

from __future__ import annotations

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_components import layers

RNG = np.random.default_rng(11)


def parts(st):
    return (np.asarray(st.indices).tolist(), np.asarray(st.values).tolist(),
            np.asarray(st.dense_shape).tolist())  # fmt: skip


def nonzero_parts(dense):
    dense = np.asarray(dense)
    nz = np.argwhere(dense != 0)
    return nz.tolist(), dense[tuple(nz.T)].tolist(), list(dense.shape)


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
@pytest.mark.parametrize("shape", [(7,), (4, 5), (2, 3, 4), (5, 1)])
def test_category_encoding_matches_dense_any_rank(mode, shape):
    ids = RNG.integers(0, 6, size=shape)
    sparse = layers.CategoryEncoding(num_tokens=6, output_mode=mode, sparse=True)(ids)
    dense = layers.CategoryEncoding(num_tokens=6, output_mode=mode)(ids)
    assert parts(sparse) == nonzero_parts(dense)
    assert sparse.dtype == tf.float32
    traced = tf.function(lambda t: layers.CategoryEncoding(6, mode, sparse=True)(t))
    assert parts(traced(tf.constant(ids))) == parts(sparse)


def test_count_weights_zero_sums_are_kept():
    layer = layers.CategoryEncoding(num_tokens=4, output_mode="count", sparse=True)
    out = layer(np.array([[1, 2, 2], [0, 3, 1]]), count_weights=np.array(
        [[0.0, 1.0, -1.0], [1.0, 0.0, 1.0]]))  # fmt: skip
    # hand-computed: row 0 ids 1 (0.0), 2 (1 - 1); row 1 ids 0 (1), 1 (1), 3 (0)
    assert parts(out) == ([[0, 1], [0, 2], [1, 0], [1, 1], [1, 3]], [0.0, 0.0, 1.0, 1.0, 0.0],
                          [2, 4])  # fmt: skip


def test_unknown_batch_inside_function():
    layer = layers.StringLookup(vocabulary=["a", "b", "c"], output_mode="count", sparse=True)

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.string)])
    def f(t):
        out = layer(t)
        assert out.indices.shape.as_list() == [None, 2]
        return out

    words = np.array([["a", "b", "a"], ["z", "c", "c"], ["b", "b", "b"]])
    assert parts(f(tf.constant(words))) == (
        [[0, 1], [0, 2], [1, 0], [1, 3], [2, 2]],
        [2, 1, 1, 2, 3],
        [3, 4],
    )


def test_tf_idf_and_ragged_lookup():
    layer = layers.StringLookup(vocabulary=["a", "b", "c"], output_mode="tf_idf",
                                idf_weights=[0.5, 0.25, 2.0], sparse=True)  # fmt: skip
    dense = layers.StringLookup(vocabulary=["a", "b", "c"], output_mode="tf_idf",
                                idf_weights=[0.5, 0.25, 2.0])  # fmt: skip
    words = np.array([["a", "b", "a"], ["z", "c", "c"]])
    assert parts(layer(words)) == nonzero_parts(dense(words))
    ragged = tf.ragged.constant([["a", "b", "a"], [], ["c", "q"]])
    out = layer(ragged)
    # counts times weights by hand; OOV (index 0) weighs the mean of the given weights
    idx, values, shape = parts(out)
    assert idx == [[0, 1], [0, 2], [2, 0], [2, 3]] and shape == [3, 4]
    np.testing.assert_allclose(values, [2 * 0.5, 0.25, 2.75 / 3, 2.0], rtol=1e-6)
    assert out.dtype == tf.float32


def test_hashing_and_discretization_rank_3():
    x = np.array([[[0.5, 2.5], [1.5, 1.5]]])
    disc = layers.Discretization(bin_boundaries=[1.0, 2.0], output_mode="count", sparse=True)
    # bins [[0, 2], [1, 1]], counted over axis 1 (Keras's rank-3 rule): columns [0, 1], [2, 1]
    assert parts(disc(x)) == ([[0, 0, 0], [0, 0, 1], [0, 1, 1], [0, 1, 2]], [1.0] * 4,
                              [1, 2, 3])  # fmt: skip
    words = np.array([["a", "b", "a"], ["c", "d", "a"]])
    sparse = layers.Hashing(num_bins=5, output_mode="count", sparse=True)(words)
    dense = layers.Hashing(num_bins=5, output_mode="count")(words)
    assert parts(sparse) == nonzero_parts(dense)


SENTENCES = np.array([
    "The cat, the HAT!", "  tabs\tand\nnew lines  ", "", "one", "cat hat cat hat the",
    "punctuation... only?!", "a b c d e f g",
])  # fmt: skip


@pytest.mark.parametrize("ngrams", [None, 2, (1, 3), (2,)])
@pytest.mark.parametrize("mode", ["int", "count"])
def test_text_vectorization_one_pass_equals_steps(ngrams, mode):
    layer = layers.TextVectorization(ngrams=ngrams, output_mode=mode)
    layer.adapt(SENTENCES)
    fused = layer(SENTENCES)
    # the step-by-step reference: split, ngrams, then the lookup layer
    tokens = layer._tokenize(layer._standardized(tf.constant(SENTENCES)))
    steps = layer._lookup_layer.call(tokens)
    if mode == "int":
        steps = steps.to_tensor()
        fused = np.asarray(fused)[:, : steps.shape[1]]
    np.testing.assert_array_equal(np.asarray(fused), np.asarray(steps))
    traced = tf.function(lambda t: layer(t))(tf.constant(SENTENCES))
    np.testing.assert_array_equal(np.asarray(traced), np.asarray(layer(SENTENCES)))


def test_text_vectorization_one_pass_by_hand():
    layer = layers.TextVectorization(vocabulary=["cat", "the", "cat hat"], ngrams=2,
                                     output_sequence_length=6)  # fmt: skip
    out = layer(np.array([["The cat hat"], ["dog"]]))
    # tokens: the(3) cat(2) hat(1: OOV), then bigrams "the cat"(1) "cat hat"(4)
    assert np.asarray(out).tolist() == [[3, 2, 1, 1, 4, 0], [1, 0, 0, 0, 0, 0]]


def test_lookup_split_ngrams_table_values():
    keys = tf.constant(["a", "b", "a b", "b c"])
    table = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(keys, tf.constant([10, 20, 30, 40], tf.int64)), -7
    )
    out = table.lookup_split_ngrams(tf.constant(["a b c", "", " b\tc "]), (1, 2))
    assert out.to_list() == [[10, 20, -7, 30, 40], [], [20, -7, 40]]
    ref = table.lookup(tf.strings.ngrams(tf.strings.split(tf.constant(["a b c"])), (1, 2)))
    assert ref.to_list()[0] == out.to_list()[0]
    floats = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(keys, tf.constant([1.5, 2.5, 3.5, 4.5])), 0.0
    )
    assert floats.lookup_split_ngrams(tf.constant(["b c d"]), 2, "_").to_list() == [[0.0, 0.0]]
