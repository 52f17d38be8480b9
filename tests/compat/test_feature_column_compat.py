"""``tf.feature_column``: what TF 2.21 still defines (column properties, parse specs, errors),
the same text run on TF and on tensorhouse. TF 2.21 cannot compute columns any more (Keras 3
dropped ``DenseFeatures``); their values are checked in the components tests."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def fc(tf):
    return tf.feature_column


@pytest.fixture
def vocab_file(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("a\nb\nc\n")
    return str(path)


def _spec(tf, kind, *args):
    return getattr(tf.io, kind)(*args)


# ---- properties --------------------------------------------------------------------------------
def test_numeric_column(tf, fc):
    n = fc.numeric_column("n")
    assert (n.name, n.key, n.shape, n.default_value, n.dtype) == ("n", "n", (1,), None, tf.float32)
    assert n.variable_shape == tf.TensorShape([1])
    assert n.parse_example_spec == {"n": _spec(tf, "FixedLenFeature", (1,), tf.float32)}
    assert repr(n) == (
        "NumericColumn(key='n', shape=(1,), default_value=None, dtype=tf.float32, "
        "normalizer_fn=None)"
    )
    m = fc.numeric_column("m", shape=[2, 3], default_value=1, dtype=tf.int64)
    assert m.shape == (2, 3) and m.default_value == ((1, 1, 1), (1, 1, 1))
    assert m.variable_shape == tf.TensorShape([2, 3])
    assert m.parse_example_spec == {
        "m": _spec(tf, "FixedLenFeature", (2, 3), tf.int64, ((1, 1, 1), (1, 1, 1)))
    }
    assert fc.numeric_column("k", shape=2, default_value=[1.5, 2.0]).default_value == (1.5, 2.0)


def test_bucketized_column(tf, fc):
    n = fc.numeric_column("n", shape=(2,))
    b = fc.bucketized_column(n, [0.0, 1.0])
    assert b.name == "n_bucketized" and b.num_buckets == 6
    assert b.variable_shape == tf.TensorShape([2, 3])
    assert b.boundaries == (0.0, 1.0) and b.source_column == n
    assert b.parse_example_spec == n.parse_example_spec
    ints = fc.bucketized_column(fc.numeric_column("m"), [0, 1])
    assert repr(ints) == (
        "BucketizedColumn(source_column=NumericColumn(key='m', shape=(1,), default_value=None, "
        "dtype=tf.float32, normalizer_fn=None), boundaries=(0, 1))"
    )


def test_vocabulary_list_column(tf, fc):
    v = fc.categorical_column_with_vocabulary_list("v", ["a", "b", "c"], num_oov_buckets=2)
    assert (v.name, v.key, v.num_buckets, v.dtype) == ("v", "v", 5, tf.string)
    assert v.vocabulary_list == ("a", "b", "c") and v.default_value == -1
    assert v.parse_example_spec == {"v": _spec(tf, "VarLenFeature", tf.string)}
    i = fc.categorical_column_with_vocabulary_list("i", [1, 2, 3], default_value=0)
    assert (i.dtype, i.num_buckets, i.default_value) == (tf.int64, 3, 0)
    assert i.parse_example_spec == {"i": _spec(tf, "VarLenFeature", tf.int64)}
    j = fc.categorical_column_with_vocabulary_list("j", [1], dtype=tf.int32)
    assert j.parse_example_spec == {"j": _spec(tf, "VarLenFeature", tf.int32)}


def test_vocabulary_file_column(tf, fc, vocab_file):
    f = fc.categorical_column_with_vocabulary_file("f", vocab_file, num_oov_buckets=1)
    assert (f.name, f.vocabulary_size, f.num_buckets, f.default_value) == ("f", 3, 4, -1)
    assert f.parse_example_spec == {"f": _spec(tf, "VarLenFeature", tf.string)}
    g = fc.categorical_column_with_vocabulary_file("g", vocab_file, vocabulary_size=2)
    assert (g.num_buckets, g.num_oov_buckets) == (2, 0)


def test_identity_and_hash_columns(tf, fc):
    i = fc.categorical_column_with_identity("i", 5, default_value=0)
    assert (i.name, i.num_buckets, i.number_buckets, i.default_value) == ("i", 5, 5, 0)
    assert i.parse_example_spec == {"i": _spec(tf, "VarLenFeature", tf.int64)}
    h = fc.categorical_column_with_hash_bucket("h", 10)
    assert (h.name, h.num_buckets, h.hash_bucket_size, h.dtype) == ("h", 10, 10, tf.string)
    k = fc.categorical_column_with_hash_bucket("k", 3, dtype=tf.int32)
    assert k.parse_example_spec == {"k": _spec(tf, "VarLenFeature", tf.int32)}
    assert repr(h) == "HashedCategoricalColumn(key='h', hash_bucket_size=10, dtype=tf.string)"


def test_crossed_column(tf, fc):
    b = fc.bucketized_column(fc.numeric_column("n"), [0.0])
    i = fc.categorical_column_with_identity("i", 5)
    c = fc.crossed_column(["a", b, i], 100)
    assert (c.name, c.num_buckets, c.hash_key) == ("a_X_i_X_n_bucketized", 100, None)
    assert c.keys == ("a", b, i)
    assert c.parse_example_spec == {
        "a": _spec(tf, "VarLenFeature", tf.string),
        "n": _spec(tf, "FixedLenFeature", (1,), tf.float32),
        "i": _spec(tf, "VarLenFeature", tf.int64),
    }
    nested = fc.crossed_column([c, "z"], 10, hash_key=5)
    assert nested.name == "a_X_i_X_n_bucketized_X_z" and nested.hash_key == 5


def test_indicator_embedding_weighted(tf, fc):
    v = fc.categorical_column_with_vocabulary_list("v", ["a", "b", "c"], num_oov_buckets=2)
    ind = fc.indicator_column(v)
    assert ind.name == "v_indicator" and ind.variable_shape == tf.TensorShape([1, 5])
    assert ind.parse_example_spec == v.parse_example_spec
    e = fc.embedding_column(v, 4)
    assert (e.name, e.dimension, e.combiner, e.trainable) == ("v_embedding", 4, "mean", True)
    assert e.variable_shape == tf.TensorShape([4]) and callable(e.initializer)
    assert (e.max_norm, e.use_safe_embedding_lookup) == (None, True)
    config = e.initializer.get_config()  # a truncated normal of stddev 1 / sqrt(dimension)
    assert (config["mean"], config["stddev"]) == (0.0, 0.5)
    i = fc.categorical_column_with_identity("i", 5)
    w = fc.weighted_categorical_column(i, "wt")
    assert (w.name, w.num_buckets, w.dtype) == ("i_weighted_by_wt", 5, tf.float32)
    assert w.parse_example_spec == {
        "i": _spec(tf, "VarLenFeature", tf.int64),
        "wt": _spec(tf, "VarLenFeature", tf.float32),
    }


def test_sequence_columns(tf, fc, vocab_file):
    sn = fc.sequence_numeric_column("sn", shape=(2,))
    assert (sn.name, sn.default_value) == ("sn", 0.0)
    assert sn.variable_shape == tf.TensorShape([2])
    assert sn.parse_example_spec == {"sn": _spec(tf, "VarLenFeature", tf.float32)}
    sq = fc.sequence_categorical_column_with_identity("sq", 4)
    assert (sq.name, sq.num_buckets) == ("sq", 4)
    assert sq.parse_example_spec == {"sq": _spec(tf, "VarLenFeature", tf.int64)}
    assert fc.sequence_categorical_column_with_hash_bucket("h", 7).num_buckets == 7
    lst = fc.sequence_categorical_column_with_vocabulary_list("l", ["a"], num_oov_buckets=1)
    assert lst.num_buckets == 2
    assert fc.sequence_categorical_column_with_vocabulary_file("f", vocab_file).num_buckets == 3
    assert fc.embedding_column(sq, 2).name == "sq_embedding"
    assert fc.indicator_column(sq).name == "sq_indicator"


def test_make_parse_example_spec(tf, fc, vocab_file):
    n = fc.numeric_column("n")
    cols = [
        n,
        fc.bucketized_column(n, [0.0]),
        fc.indicator_column(fc.categorical_column_with_vocabulary_list("v", ["x"])),
        fc.embedding_column(fc.categorical_column_with_vocabulary_file("f", vocab_file), 2),
        fc.weighted_categorical_column(fc.categorical_column_with_identity("i", 3), "wt"),
        fc.crossed_column(["a", "v"], 10),
        fc.sequence_numeric_column("s"),
    ]
    assert fc.make_parse_example_spec(cols) == {
        "n": _spec(tf, "FixedLenFeature", (1,), tf.float32),
        "v": _spec(tf, "VarLenFeature", tf.string),
        "f": _spec(tf, "VarLenFeature", tf.string),
        "i": _spec(tf, "VarLenFeature", tf.int64),
        "wt": _spec(tf, "VarLenFeature", tf.float32),
        "a": _spec(tf, "VarLenFeature", tf.string),
        "s": _spec(tf, "VarLenFeature", tf.float32),
    }
    assert fc.make_parse_example_spec([]) == {}


def test_equal_columns_compare_equal(fc):
    assert fc.numeric_column("n") == fc.numeric_column("n")
    assert fc.crossed_column(["a", "b"], 3) == fc.crossed_column(["a", "b"], 3)
    assert fc.numeric_column("n") != fc.numeric_column("n", shape=2)


# ---- errors ------------------------------------------------------------------------------------
def _err_cases(tf, fc, vocab_file):
    n = fc.numeric_column("n")
    i = fc.categorical_column_with_identity("i", 5)
    h = fc.categorical_column_with_hash_bucket("h", 10)
    return [
        (lambda: fc.numeric_column("n", shape=(2,), default_value=(1.0, 2.0, 3.0)), ValueError,
         "The shape of default_value must be equal to given shape. default_value: "
         "(1.0, 2.0, 3.0), shape: (2,), key: n"),
        (lambda: fc.numeric_column("n", default_value="x"), TypeError,
         "default_value must be compatible with dtype. default_value: x, dtype: "
         "<dtype: 'float32'>, key: n"),
        (lambda: fc.numeric_column("n", dtype=tf.int64, default_value=1.5), TypeError,
         "default_value must be compatible with dtype"),
        (lambda: fc.numeric_column("n", dtype=tf.string), ValueError,
         "dtype must be convertible to float. dtype: <dtype: 'string'>, key: n"),
        (lambda: fc.numeric_column("n", shape=(0,)), ValueError,
         "shape dimensions must be greater than 0. shape: (0,), key: n"),
        (lambda: fc.numeric_column("n", shape=(1.5,)), TypeError,
         "shape dimensions must be integer"),
        (lambda: fc.numeric_column(3), ValueError,
         "key must be a string. Got: type <class 'int'>. Given key: 3."),
        (lambda: fc.numeric_column("n", normalizer_fn=3), TypeError,
         "normalizer_fn must be a callable. Given: 3"),
        (lambda: fc.bucketized_column(n, [1.0, 0.0]), ValueError,
         "boundaries must be a sorted list."),
        (lambda: fc.bucketized_column(n, [1.0, 1.0]), ValueError,
         "boundaries must be a sorted list."),
        (lambda: fc.bucketized_column(n, []), ValueError, "boundaries must not be empty."),
        (lambda: fc.bucketized_column("n", [0.0]), ValueError,
         "source_column must be a column generated with numeric_column(). Given: n"),
        (lambda: fc.bucketized_column(fc.numeric_column("m", shape=(2, 2)), [0.0]), ValueError,
         "source_column must be one-dimensional column."),
        (lambda: fc.categorical_column_with_vocabulary_list("v", ["a", "a"]), ValueError,
         "Duplicate keys in vocabulary_list ['a', 'a'], column_name: v"),
        (lambda: fc.categorical_column_with_vocabulary_list("v", []), ValueError,
         "vocabulary_list [] must be non-empty, column_name: v"),
        (lambda: fc.categorical_column_with_vocabulary_list(
            "v", ["a"], num_oov_buckets=1, default_value=0), ValueError,
         "Can't specify both num_oov_buckets and default_value in v."),
        (lambda: fc.categorical_column_with_vocabulary_list("v", ["a"], num_oov_buckets=-1),
         ValueError, "Invalid num_oov_buckets -1 in v."),
        (lambda: fc.categorical_column_with_vocabulary_list("v", ["a"], dtype=tf.int64), ValueError,
         "dtype <dtype: 'int64'> and vocabulary dtype <dtype: 'string'> do not match, "
         "column_name: v"),
        (lambda: fc.categorical_column_with_vocabulary_list("v", [1.5]), ValueError,
         "column_name: v vocabulary dtype must be string or integer. dtype: <dtype: 'float64'>."),
        (lambda: fc.categorical_column_with_vocabulary_file("f", vocab_file + ".missing"),
         ValueError, "vocabulary_file in f does not exist."),
        (lambda: fc.categorical_column_with_vocabulary_file("f", None), ValueError,
         "Missing vocabulary_file in f."),
        (lambda: fc.categorical_column_with_vocabulary_file("f", vocab_file, vocabulary_size=0),
         ValueError, "Invalid vocabulary_size in f."),
        (lambda: fc.categorical_column_with_vocabulary_file(
            "f", vocab_file, num_oov_buckets=1, default_value=0), ValueError,
         "Can't specify both num_oov_buckets and default_value in f."),
        (lambda: fc.categorical_column_with_vocabulary_file("f", vocab_file, dtype=tf.float32),
         ValueError, "column_name: f dtype must be string or integer. dtype: <dtype: 'float32'>."),
        (lambda: fc.categorical_column_with_identity("i", 0), ValueError,
         "num_buckets 0 < 1, column_name i"),
        (lambda: fc.categorical_column_with_identity("i", 5, default_value=5), ValueError,
         "default_value 5 not in range [0, 5), column_name i"),
        (lambda: fc.categorical_column_with_hash_bucket("h", 0), ValueError,
         "hash_bucket_size must be at least 1. hash_bucket_size: 0, key: h"),
        (lambda: fc.categorical_column_with_hash_bucket("h", None), ValueError,
         "hash_bucket_size must be set. key: h"),
        (lambda: fc.categorical_column_with_hash_bucket("h", 3, dtype=tf.float32), ValueError,
         "column_name: h dtype must be string or integer. dtype: <dtype: 'float32'>."),
        (lambda: fc.crossed_column(["a"], 10), ValueError,
         "keys must be a list with length > 1. Given: ['a']"),
        (lambda: fc.crossed_column(["a", "b"], 0), ValueError,
         "hash_bucket_size must be > 1. hash_bucket_size: 0"),
        (lambda: fc.crossed_column([n, "b"], 10), ValueError,
         "Unsupported key type. All keys must be either string, or categorical column except "
         "HashedCategoricalColumn."),
        (lambda: fc.crossed_column([h, "b"], 10), ValueError,
         "categorical_column_with_hash_bucket is not supported for crossing."),
        (lambda: fc.indicator_column(n), ValueError,
         "Unsupported input type. Input must be a CategoricalColumn."),
        (lambda: fc.embedding_column(i, 0), ValueError, "Invalid dimension 0."),
        (lambda: fc.embedding_column(i, 2, initializer=3), ValueError,
         "initializer must be callable if specified. Embedding of column_name: i"),
        (lambda: fc.embedding_column(i, 2, ckpt_to_load_from="x"), ValueError,
         "Must specify both `ckpt_to_load_from` and `tensor_name_in_ckpt` or none of them."),
        (lambda: fc.weighted_categorical_column(i, "w", dtype=tf.string), ValueError,
         "dtype <dtype: 'string'> is not convertible to float."),
        (lambda: fc.sequence_numeric_column("s", dtype=tf.string), ValueError,
         "dtype must be convertible to float. dtype: <dtype: 'string'>, key: s"),
        (lambda: fc.make_parse_example_spec(["n"]), ValueError,
         "All feature_columns must be FeatureColumn instances. Given: n"),
        (lambda: fc.make_parse_example_spec([n, fc.numeric_column("n", shape=2)]), ValueError,
         "feature_columns contain different parse_spec for key n."),
    ]  # fmt: skip


def test_errors(tf, fc, vocab_file):
    for make, cls, message in _err_cases(tf, fc, vocab_file):
        with pytest.raises(cls, match=re.escape(message)):
            make()


@pytest.mark.th_xfail("shared_embeddings works eagerly in tensorhouse (TF 2.21: graph mode only)")
def test_shared_embeddings_eager(fc):
    cols = [
        fc.categorical_column_with_identity("a", 3),
        fc.categorical_column_with_identity("b", 3),
    ]
    with pytest.raises(RuntimeError, match="not supported when eager execution is enabled"):
        fc.shared_embeddings(cols, 2)
