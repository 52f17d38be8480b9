"""tf.lookup and tf.sparse.cross_hashed: values, dtypes, sizes and errors as TF 2.21 has them."""

import numpy as np
import pytest


def kv(tf, keys, values, kdt=None, vdt=None):
    return tf.lookup.KeyValueTensorInitializer(
        tf.constant(keys, kdt), tf.constant(values, vdt or tf.int64)
    )


def test_static_hash_table(tf):
    table = tf.lookup.StaticHashTable(kv(tf, ["a", "b", "c"], [0, 1, 2]), default_value=-1)
    out = table.lookup(tf.constant([["a", "x"], ["c", "b"]]))
    assert out.dtype == tf.int64 and out.numpy().tolist() == [[0, -1], [2, 1]]
    assert int(table.size()) == 3
    assert table.key_dtype == tf.string and table.value_dtype == tf.int64
    assert int(table.default_value) == -1
    traced = tf.function(lambda k: table.lookup(k))
    assert traced(tf.constant(["c", "zz"])).numpy().tolist() == [2, -1]
    keys, values = table.export()
    assert sorted(zip(keys.numpy().tolist(), values.numpy().tolist())) == [
        (b"a", 0), (b"b", 1), (b"c", 2)
    ]  # fmt: skip


def test_static_hash_table_errors(tf):
    table = tf.lookup.StaticHashTable(kv(tf, ["a"], [0]), default_value=-1)
    with pytest.raises(TypeError, match="Dtype of argument `keys` must be"):
        table.lookup(tf.constant([1], tf.int64))
    with pytest.raises(tf.errors.FailedPreconditionError, match="different value for same key"):
        tf.lookup.StaticHashTable(kv(tf, ["a", "a"], [1, 2]), -1)


def test_static_vocabulary_table_buckets(tf):
    table = tf.lookup.StaticVocabularyTable(kv(tf, ["a", "b", "c"], [0, 1, 2]), 5)
    assert table.lookup(tf.constant(["a", "zz", "q", "hello", "c"])).numpy().tolist() == [
        0, 5, 6, 4, 2
    ]  # fmt: skip
    assert int(table.size()) == 8
    ints = tf.lookup.StaticVocabularyTable(kv(tf, [10, 20], [0, 1], tf.int64), 7)
    assert ints.lookup(tf.constant([10, 5, 123456, -3], tf.int64)).numpy().tolist() == [
        0, 3, 7, 6
    ]  # fmt: skip
    with pytest.raises(ValueError, match="must be > 0"):
        tf.lookup.StaticVocabularyTable(kv(tf, ["a"], [0]), 0)


def test_text_file_initializer(tf, tmp_path):
    path = str(tmp_path / "v.txt")
    with open(path, "w") as f:
        f.write("apple\t5\nbanana\t7\ncherry\t9\n")
    idx = tf.lookup.TextFileIndex
    init = tf.lookup.TextFileInitializer(path, tf.string, 0, tf.int64, idx.LINE_NUMBER,
                                         value_index_offset=3)  # fmt: skip
    table = tf.lookup.StaticHashTable(init, -1)
    assert table.lookup(tf.constant(["cherry", "apple", "kiwi"])).numpy().tolist() == [5, 3, -1]
    cols = tf.lookup.StaticHashTable(
        tf.lookup.TextFileInitializer(path, tf.string, 0, tf.int64, 1), 0
    )
    assert cols.lookup(tf.constant(["banana"])).numpy().tolist() == [7]
    inverse = tf.lookup.StaticHashTable(
        tf.lookup.TextFileInitializer(path, tf.int64, idx.LINE_NUMBER, tf.string, idx.WHOLE_LINE),
        "?",
    )
    assert inverse.lookup(tf.constant([1, 9], tf.int64)).numpy().tolist() == [b"banana\t7", b"?"]
    with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid vocab_size"):
        tf.lookup.StaticHashTable(
            tf.lookup.TextFileInitializer(path, tf.string, 0, tf.int64, idx.LINE_NUMBER,
                                          vocab_size=5), -1)  # fmt: skip


def test_mutable_hash_table(tf):
    table = tf.lookup.experimental.MutableHashTable(tf.string, tf.int64, default_value=-1)
    table.insert(tf.constant(["x", "y"]), tf.constant([5, 6], tf.int64))
    assert table.lookup(tf.constant(["x", "q"])).numpy().tolist() == [5, -1]
    assert int(table.size()) == 2
    table.remove(tf.constant(["x"]))
    keys, values = table.export()
    assert keys.numpy().tolist() == [b"y"] and values.numpy().tolist() == [6]

    counts = tf.lookup.experimental.MutableHashTable(tf.int64, tf.float32, default_value=0.0)

    @tf.function
    def add(k):
        counts.insert(k, counts.lookup(k) + 1.0)
        return counts.size()

    add(tf.constant([1, 2], tf.int64))
    assert int(add(tf.constant([2], tf.int64))) == 2
    assert counts.lookup(tf.constant([1, 2, 3], tf.int64)).numpy().tolist() == [1.0, 2.0, 0.0]


def test_cross_hashed(tf):
    a = tf.constant([["a"], ["b"], ["hello"]])
    b = tf.constant([[1], [2], [-3]], tf.int64)
    raw = tf.sparse.to_dense(tf.sparse.cross_hashed([a, b]))
    assert raw.numpy().ravel().tolist() == [
        2928842892298887678, 85918459618309357, 210247054459064887
    ]  # fmt: skip
    bins = tf.sparse.cross_hashed([a, b], num_buckets=10)
    assert bins.values.numpy().tolist() == [5, 7, 4]
    assert np.asarray(bins.dense_shape).tolist() == [3, 1]
