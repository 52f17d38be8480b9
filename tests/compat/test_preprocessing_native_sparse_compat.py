"""Keras 3.15 / TF 2.21 numbers for the natively built sparse outputs (zero sums kept, any
rank), TextVectorization's whitespace split + ngrams + lookup, table lookups of ragged and
sparse keys, tf.sparse bookkeeping inside tf.function, and tf.sort over an unknown length."""

import numpy as np
import pytest


def parts(st):
    return (np.asarray(st.indices).tolist(), np.asarray(st.values).tolist(),
            np.asarray(st.dense_shape).tolist())  # fmt: skip


def test_count_weights_zero_sums_are_entries(tf):
    layer = tf.keras.layers.CategoryEncoding(num_tokens=4, output_mode="count", sparse=True)
    out = layer(np.array([[1, 2, 2], [0, 3, 1]]),
                count_weights=np.array([[0.0, 1.0, -1.0], [1.0, 0.0, 1.0]]))  # fmt: skip
    assert parts(out) == ([[0, 1], [0, 2], [1, 0], [1, 1], [1, 3]], [0.0, 0.0, 1.0, 1.0, 0.0],
                          [2, 4])  # fmt: skip


def test_category_encoding_rank_3(tf):
    x = np.array([[[1], [2]], [[0], [3]]])
    one_hot = tf.keras.layers.CategoryEncoding(num_tokens=4, output_mode="one_hot", sparse=True)
    # a trailing axis of 1 is replaced
    assert parts(one_hot(x)) == ([[0, 0, 1], [0, 1, 2], [1, 0, 0], [1, 1, 3]], [1.0] * 4,
                                 [2, 2, 4])  # fmt: skip
    # rank 3 and up: Keras sums over axis 1
    multi = tf.keras.layers.CategoryEncoding(num_tokens=4, output_mode="multi_hot", sparse=True)
    assert parts(multi(x)) == ([[0, 0, 1], [0, 0, 2], [1, 0, 0], [1, 0, 3]], [1.0] * 4,
                               [2, 1, 4])  # fmt: skip
    y = np.array([[[1, 2], [2, 2], [0, 1]], [[3, 3], [0, 1], [1, 1]]])
    count = tf.keras.layers.CategoryEncoding(num_tokens=4, output_mode="count")
    assert np.asarray(count(y)).tolist() == [
        [[1.0, 1.0, 1.0, 0.0], [0.0, 1.0, 2.0, 0.0]],
        [[1.0, 1.0, 0.0, 1.0], [0.0, 2.0, 0.0, 1.0]],
    ]
    sparse = tf.keras.layers.CategoryEncoding(num_tokens=4, output_mode="count", sparse=True)
    assert np.asarray(tf.sparse.to_dense(sparse(y))).tolist() == np.asarray(count(y)).tolist()


def test_discretization_count_rank_3(tf):
    layer = tf.keras.layers.Discretization(bin_boundaries=[1.0], output_mode="count",
                                           sparse=True)  # fmt: skip
    out = layer(np.array([[[0.0, 2.0], [3.0, 3.0]]]))
    assert parts(out) == ([[0, 0, 0], [0, 0, 1], [0, 1, 1]], [1.0, 1.0, 2.0], [1, 2, 2])


SENTENCES = np.array(["The cat, the HAT!", "  tabs\tand\nnew  lines ", "", "cat hat cat"])
VOCAB = ["cat", "the", "hat", "cat hat", "the cat", "hat cat", "new lines", "tabs"]


@pytest.mark.parametrize("ngrams", [None, 2, (1, 3)])
def test_text_vectorization_ngrams_int(tf, ngrams):
    layer = tf.keras.layers.TextVectorization(vocabulary=VOCAB, ngrams=ngrams,
                                              output_sequence_length=8)  # fmt: skip
    expected = {
        None: [[3, 2, 3, 4, 0, 0, 0, 0], [9, 1, 1, 1, 0, 0, 0, 0], [0] * 8,
               [2, 4, 2, 0, 0, 0, 0, 0]],
        2: [[3, 2, 3, 4, 6, 1, 1, 0], [9, 1, 1, 1, 1, 1, 8, 0], [0] * 8,
            [2, 4, 2, 5, 7, 0, 0, 0]],
        (1, 3): [[3, 2, 3, 4, 1, 1, 0, 0], [9, 1, 1, 1, 1, 1, 0, 0], [0] * 8,
                 [2, 4, 2, 1, 0, 0, 0, 0]],
    }[ngrams]  # fmt: skip
    assert np.asarray(layer(SENTENCES)).tolist() == expected
    traced = tf.function(lambda t: layer(t))(tf.constant(SENTENCES))
    assert np.asarray(traced).tolist() == expected


def test_text_vectorization_ngrams_count_sparse(tf):
    layer = tf.keras.layers.TextVectorization(vocabulary=VOCAB, ngrams=2, output_mode="count",
                                              sparse=True)  # fmt: skip
    out = layer(SENTENCES[[0, 3]])
    # no mask index outside int mode: OOV 0, then the vocabulary from 1
    assert parts(out) == (
        [[0, 0], [0, 1], [0, 2], [0, 3], [0, 5], [1, 1], [1, 3], [1, 4], [1, 6]],
        [2, 1, 2, 1, 1, 2, 1, 1, 1],
        [2, 9],
    )


def test_static_hash_table_lookup_of_ragged_and_sparse(tf):
    init = tf.lookup.KeyValueTensorInitializer(tf.constant(["a", "b"]),
                                               tf.constant([1, 2], tf.int64))  # fmt: skip
    table = tf.lookup.StaticHashTable(init, -1)
    ragged = table.lookup(tf.ragged.constant([["a"], ["b", "c"]]))
    assert isinstance(ragged, tf.RaggedTensor) and ragged.to_list() == [[1], [2, -1]]
    sp = table.lookup(tf.sparse.SparseTensor([[0, 0], [1, 1]], ["b", "q"], [2, 2]))
    assert parts(sp) == ([[0, 0], [1, 1]], [2, -1], [2, 2])


def test_sparse_reorder_concat_add_in_function(tf):
    @tf.function
    def f(i, v):
        sp = tf.sparse.SparseTensor(i, v, [3, 4])
        other = tf.sparse.SparseTensor([[0, 1], [2, 2]], [10.0, -1.0], [3, 4])
        ordered = tf.sparse.reorder(sp)
        return ordered, tf.sparse.add(ordered, other), tf.sparse.concat(0, [ordered, other])

    ordered, added, joined = f(tf.constant([[2, 3], [0, 1], [1, 0]], tf.int64),
                               tf.constant([3.0, 1.0, 2.0]))  # fmt: skip
    assert parts(ordered) == ([[0, 1], [1, 0], [2, 3]], [1.0, 2.0, 3.0], [3, 4])
    assert parts(added) == ([[0, 1], [1, 0], [2, 2], [2, 3]], [11.0, 2.0, -1.0, 3.0], [3, 4])
    assert parts(joined) == ([[0, 1], [1, 0], [2, 3], [3, 1], [5, 2]],
                             [1.0, 2.0, 3.0, 10.0, -1.0], [6, 4])  # fmt: skip


def test_sort_over_an_unknown_length_in_function(tf):
    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32)])
    def f(t):
        return tf.sort(t, direction="DESCENDING"), tf.argsort(t, stable=True)

    values, order = f(tf.constant([[3.0, 1.0, 3.0, -2.0], [0.0, 5.0, 5.0, -1.0]]))
    assert values.numpy().tolist() == [[3.0, 3.0, 1.0, -2.0], [5.0, 5.0, 0.0, -1.0]]
    assert order.numpy().tolist() == [[3, 1, 0, 2], [3, 0, 1, 2]]
