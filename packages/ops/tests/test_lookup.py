"""tf.lookup tables (static hash, static vocabulary, mutable hash, text-file initializers) and
tf.sparse.cross_hashed: hand-computed values, eager == traced, TF's errors."""

import numpy as np
import pytest
from farmhash import Fingerprint64

import tensorhouse_ops as tf
from tensorhouse_ops import errors, lookup

KV = lookup.KeyValueTensorInitializer


def string_table(default=-1):
    init = KV(tf.constant(["a", "b", "c"]), tf.constant([0, 1, 2], tf.int64))
    return lookup.StaticHashTable(init, default_value=default)


def test_static_hash_table_strings_any_shape_and_traced():
    table = string_table()
    keys = tf.constant([["a", "x"], ["c", "b"]])
    assert table.lookup(keys).numpy().tolist() == [[0, -1], [2, 1]]
    assert table[tf.constant("c")].numpy() == 2
    traced = tf.function(lambda k: table.lookup(k))(keys)
    assert traced.numpy().tolist() == [[0, -1], [2, 1]]
    assert table.size().numpy() == 3
    assert table.key_dtype == tf.string and table.value_dtype == tf.int64
    assert table.default_value.numpy() == -1
    k, v = table.export()
    assert dict(zip(k.numpy().tolist(), v.numpy().tolist())) == {b"a": 0, b"b": 1, b"c": 2}


def test_static_hash_table_int_keys_float_and_string_values():
    keys = np.array([7, -3, 1 << 40], np.int64)
    floats = lookup.StaticHashTable(KV(keys, np.array([0.5, 1.5, 2.5], np.float32)), -1.0)
    out = floats.lookup(tf.constant([1 << 40, 7, 8, -3], tf.int64))
    np.testing.assert_allclose(out.numpy(), [2.5, 0.5, -1.0, 1.5])
    assert out.dtype == tf.float32
    names = lookup.StaticHashTable(KV(keys, np.array([b"seven", b"minus", b"big"], object)), "?")
    assert names.lookup(tf.constant([-3, 0], tf.int64)).numpy().tolist() == [b"minus", b"?"]
    assert floats.lookup([7]).numpy().tolist() == [0.5]  # a list converts to the key dtype


def test_static_hash_table_errors():
    with pytest.raises(TypeError, match="must be <dtype: 'string'>, received: <dtype: 'int64'>"):
        string_table().lookup(tf.constant([1, 2], tf.int64))
    with pytest.raises(errors.FailedPreconditionError, match="Key a has 1 and trying to add"):
        lookup.StaticHashTable(KV(["a", "a"], [1, 2]), -1)
    same = lookup.StaticHashTable(KV(["a", "a", "b"], [1, 1, 2]), -1)  # same value: one entry
    assert same.size().numpy() == 2
    with pytest.raises(TypeError):
        lookup.StaticHashTable(KV(["a"], [1]), default_value="x")


def test_static_vocabulary_table_oov_buckets_are_fingerprint64():
    table = lookup.StaticVocabularyTable(
        KV(tf.constant(["a", "b", "c"]), tf.constant([0, 1, 2], tf.int64)), num_oov_buckets=5
    )
    words = ["a", "zz", "q", "hello", "c"]
    expected = [0] + [3 + Fingerprint64(w.encode()) % 5 for w in words[1:4]] + [2]
    assert expected == [0, 5, 6, 4, 2]  # TF 2.21's output for the same table
    assert table.lookup(tf.constant(words)).numpy().tolist() == expected
    traced = tf.function(lambda k: table.lookup(k))(tf.constant(words))
    assert traced.numpy().tolist() == expected
    assert table.size().numpy() == 8
    ints = lookup.StaticVocabularyTable(
        KV(tf.constant([10, 20], tf.int64), tf.constant([0, 1], tf.int64)), num_oov_buckets=7
    )
    keys = [10, 5, 123456, -3]
    expected = [0] + [2 + Fingerprint64(str(k).encode()) % 7 for k in keys[1:]]
    assert expected == [0, 3, 7, 6]  # TF: the bucket of the key's decimal text
    assert ints.lookup(tf.constant(keys, tf.int64)).numpy().tolist() == expected
    with pytest.raises(ValueError, match="must be > 0; use StaticHashTable"):
        lookup.StaticVocabularyTable(KV(["a"], tf.constant([0], tf.int64)), 0)
    only_oov = lookup.StaticVocabularyTable(None, 3)
    assert only_oov.lookup(tf.constant(["hello"])).numpy()[0] == Fingerprint64(b"hello") % 3


@pytest.fixture
def vocab_file(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("apple\t5\nbanana\t7\ncherry\t9\n")
    return str(path)


def test_text_file_initializer_columns_and_line_numbers(vocab_file):
    idx = lookup.TextFileIndex
    whole = lookup.StaticHashTable(
        lookup.TextFileInitializer(vocab_file, tf.string, idx.WHOLE_LINE, tf.int64,
                                   idx.LINE_NUMBER), -1)  # fmt: skip
    assert whole.lookup(tf.constant(["apple\t5", "cherry\t9", "x"])).numpy().tolist() == [0, 2, -1]
    cols = lookup.StaticHashTable(
        lookup.TextFileInitializer(vocab_file, tf.string, 0, tf.int64, 1), -1
    )
    assert cols.lookup(tf.constant(["banana", "x"])).numpy().tolist() == [7, -1]
    inverse = lookup.StaticHashTable(
        lookup.TextFileInitializer(vocab_file, tf.int64, idx.LINE_NUMBER, tf.string, 0,
                                   value_index_offset=3), "none")  # fmt: skip
    out = inverse.lookup(tf.constant([0, 1, 3, 4], tf.int64)).numpy().tolist()
    assert out == [b"none", b"none", b"apple", b"banana"]
    capped = lookup.StaticHashTable(
        lookup.TextFileInitializer(vocab_file, tf.string, 0, tf.int64, idx.LINE_NUMBER,
                                   vocab_size=2, value_index_offset=3), -1)  # fmt: skip
    assert capped.lookup(tf.constant(["apple", "banana", "cherry"])).numpy().tolist() == [3, 4, -1]


def test_text_file_initializer_errors(vocab_file, tmp_path):
    idx = lookup.TextFileIndex
    with pytest.raises(errors.InvalidArgumentError, match="expected 5 but got 3"):
        lookup.StaticHashTable(lookup.TextFileInitializer(
            vocab_file, tf.string, 0, tf.int64, idx.LINE_NUMBER, vocab_size=5), -1)  # fmt: skip
    with pytest.raises(errors.InvalidArgumentError, match="expected at least 4 got 2"):
        lookup.StaticHashTable(
            lookup.TextFileInitializer(vocab_file, tf.string, 0, tf.int64, 3), -1
        )
    with pytest.raises(errors.NotFoundError, match="No such file or directory"):
        lookup.StaticHashTable(
            lookup.TextFileInitializer(str(tmp_path / "none.txt"), tf.string, 0, tf.int64, 1), -1
        )
    with pytest.raises(ValueError, match="Signature mismatch"):
        lookup.TextFileInitializer(vocab_file, tf.string, idx.LINE_NUMBER, tf.int64, 0)


def test_mutable_hash_table_insert_lookup_remove_export():
    table = lookup.experimental.MutableHashTable(tf.string, tf.int64, default_value=-1)
    table.insert(tf.constant(["x", "y"]), tf.constant([5, 6], tf.int64))
    assert table.lookup(tf.constant(["x", "q"])).numpy().tolist() == [5, -1]
    assert table.size().numpy() == 2
    table.insert(tf.constant(["x"]), tf.constant([9], tf.int64))  # overwrite
    keys, values = table.export()
    assert dict(zip(keys.numpy().tolist(), values.numpy().tolist())) == {b"x": 9, b"y": 6}
    table.remove(tf.constant(["x", "absent"]))
    assert table.size().numpy() == 1
    assert table.lookup(tf.constant(["x"]), dynamic_default_value=-7).numpy().tolist() == [-7]
    with pytest.raises(TypeError, match="must be <dtype: 'string'>"):
        table.insert(tf.constant([1], tf.int64), tf.constant([1], tf.int64))


def test_mutable_hash_table_traced_and_vector_values():
    table = lookup.experimental.MutableHashTable(tf.int64, tf.float32, default_value=-1.0)

    @tf.function
    def step(k, v):
        table.insert(k, v)
        return table.lookup(k + 1), table.size()

    found, size = step(tf.constant([1, 2], tf.int64), tf.constant([3.0, 4.0]))
    assert found.numpy().tolist() == [4.0, -1.0] and size.numpy() == 2
    step(tf.constant([7], tf.int64), tf.constant([1.5]))  # the traced graph runs the insert
    assert table.lookup(tf.constant([7, 1], tf.int64)).numpy().tolist() == [1.5, 3.0]
    vectors = lookup.experimental.MutableHashTable(tf.string, tf.int64, default_value=[0, 0])
    vectors.insert(["a"], [[1, 2]])
    assert vectors.lookup(["a", "b"]).numpy().tolist() == [[1, 2], [0, 0]]
    assert vectors.export()[1].shape == (1, 2)


def test_million_string_lookups_vectorised():
    words = np.array([f"w{i}".encode() for i in range(20000)], dtype=object)
    table = lookup.StaticHashTable(KV(words, np.arange(20000, dtype=np.int64)), -1)
    ids = np.random.default_rng(0).integers(0, 21000, size=1_000_000)
    keys = np.where(ids < 20000, words[np.minimum(ids, 19999)], b"unknown")
    out = table.lookup(tf.constant(keys.astype(object))).numpy()
    np.testing.assert_array_equal(out, np.where(ids < 20000, ids, -1))


def _cat64(fp1, fp2):
    """FarmHash FingerprintCat64 in Python integers (mod 2**64), from its definition."""
    mask, mul = (1 << 64) - 1, 0xC6A4A7935BD1E995

    def mix(v):
        return v ^ (v >> 47)

    out = fp1 ^ mul
    out ^= (mix((fp2 * mul) & mask) * mul) & mask
    out = (out * mul) & mask
    return mix((mix(out) * mul) & mask)


def test_cross_hashed_matches_fingerprint_cat():
    a = tf.constant([["a"], ["b"], ["hello"]])
    b = tf.constant([[1], [2], [-3]], tf.int64)
    out = tf.sparse.cross_hashed([a, b], num_buckets=0)
    expected = []
    for s, i in [("a", 1), ("b", 2), ("hello", -3)]:
        h = _cat64(_cat64(0xDECAFCAFFE, Fingerprint64(s.encode())), i & ((1 << 64) - 1))
        expected.append(h % ((1 << 63) - 1))
    assert expected == [2928842892298887678, 85918459618309357, 210247054459064887]  # TF's
    assert tf.sparse.to_dense(out).numpy().ravel().tolist() == expected
    assert out.indices.numpy().tolist() == [[0, 0], [1, 0], [2, 0]]
    bucketed = tf.function(lambda x, y: tf.sparse.cross_hashed([x, y], num_buckets=10).values)
    assert bucketed(a, b).numpy().tolist() == [5, 7, 4]
    wide = tf.sparse.cross_hashed([tf.constant([["a", "b"]]), tf.constant([[1, 2, 3]])], 4)
    assert wide.dense_shape.numpy().tolist() == [1, 6]
