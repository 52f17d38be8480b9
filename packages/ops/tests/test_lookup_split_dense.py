"""``lookup_split_ngrams(..., width=)``: each row's first ``width`` ngram ids, padded, in one
host pass; the same numbers as the ragged result cut and padded, eager and traced."""

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_ops._lookup_index import HostIndex, dense_rows

VOCAB = ["a", "b", "c", "a b", "b c"]
TEXT = ["a b c", "  c   a b b ", "", "z a b c a b c a"]


def table():
    init = tf.lookup.KeyValueTensorInitializer(VOCAB, tf.range(10, 15, dtype=tf.int64))
    return tf.lookup.StaticHashTable(init, default_value=-1)


def ragged_ref(width, pad):
    t = table()
    rows = t.lookup_split_ngrams(tf.constant(TEXT), (1, 2), " ").to_list()
    return [(r + [pad] * width)[:width] for r in rows]


@pytest.mark.parametrize("width", [0, 3, 6, 20])
def test_dense_equals_the_ragged_rows_cut_and_padded(width):
    t = table()
    got = t.lookup_split_ngrams(tf.constant(TEXT), (1, 2), " ", width=width, pad_value=7)
    assert got.shape == (4, width) and got.dtype == tf.int64
    assert got.numpy().tolist() == ragged_ref(width, 7)
    # "a b c": a, b, c, then "a b", "b c"
    if width == 6:
        assert got.numpy()[0].tolist() == [10, 11, 12, 13, 14, 7]
        assert got.numpy()[2].tolist() == [7] * 6


def test_dense_traced_has_a_static_width():
    t = table()
    f = tf.function(lambda s: t.lookup_split_ngrams(s, (1, 2), " ", width=4),
                    input_signature=[tf.TensorSpec([None], tf.string)])  # fmt: skip
    assert f.get_concrete_function().structured_outputs.shape.as_list() == [None, 4]
    assert f(tf.constant(TEXT)).numpy().tolist() == ragged_ref(4, 0)
    with pytest.raises(ValueError, match="width"):
        t.lookup_split_ngrams(tf.constant(TEXT), 2, " ", width=-1)


def test_host_fallback_and_dense_rows():
    # str keys of a non-bytes input take the steps one by one: the same numbers
    index = HostIndex(np.array([b"a", b"b", b"a b"], dtype=object), True)
    flat = np.array(["a b", "b b a"], dtype=object)
    values = np.array([5, 6, 7], np.int64)
    out, kept = index.split_ngram_values(flat, [1, 2], b" ", values, -1, 3, 0)
    assert out.tolist() == [[5, 6, 7], [6, 6, 5]] and kept.tolist() == [0, 3, 6]
    got = dense_rows(np.arange(6), np.array([0, 4, 4, 6]), 3, -1)
    assert got.tolist() == [[0, 1, 2], [-1, -1, -1], [4, 5, -1]]
