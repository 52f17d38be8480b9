"""tf.io's base64, decode_compressed, matching_files and SparseTensor serializations: round trips,
Python's base64 / zlib / glob as references, TF's errors, and the same results inside
tf.function."""

import base64
import gzip
import zlib

import numpy as np
import pytest

import tensorhouse_ops as tf


def test_base64_is_web_safe_and_round_trips():
    data = [b"hello?>", b"", b"ab", bytes(range(256))]
    enc = tf.io.encode_base64(tf.constant(data))
    assert enc.numpy().tolist() == [base64.urlsafe_b64encode(v).rstrip(b"=") for v in data]
    padded = tf.io.encode_base64(tf.constant([[b"a"]]), pad=True)
    assert padded.shape == (1, 1) and padded.numpy()[0, 0] == b"YQ=="
    assert tf.io.decode_base64(enc).numpy().tolist() == data
    assert tf.io.decode_base64(padded).numpy()[0, 0] == b"a"
    for bad, message in [("a", "1 modulo 4"), ("a+bc", "Invalid character"), ("YWI==", "Invalid")]:
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            tf.io.decode_base64(bad)


def test_decode_compressed():
    out = tf.io.decode_compressed(tf.constant([zlib.compress(b"abc"), zlib.compress(b"")]), "ZLIB")
    assert out.numpy().tolist() == [b"abc", b""]
    assert tf.io.decode_compressed(gzip.compress(b"xyz"), "GZIP").numpy() == b"xyz"
    assert tf.io.decode_compressed(b"plain").numpy() == b"plain"
    with pytest.raises(tf.errors.DataLossError, match="inflate"):
        tf.io.decode_compressed(b"plain", "ZLIB")
    with pytest.raises(tf.errors.InvalidArgumentError, match="supported compressions"):
        tf.io.decode_compressed(b"plain", "BZIP2")


def test_matching_files_sorted_per_pattern(tmp_path):
    for name in ["b.txt", "a.txt", "c.csv"]:
        (tmp_path / name).write_bytes(b"")
    got = tf.io.matching_files([str(tmp_path / "*.txt"), str(tmp_path / "*.csv")]).numpy()
    assert [p.decode().rsplit("/", 1)[1] for p in got] == ["a.txt", "b.txt", "c.csv"]
    assert tf.io.matching_files(str(tmp_path / "none*")).shape == (0,)


def test_sparse_serializations_round_trip_eager_and_traced():
    sp = tf.sparse.SparseTensor([[0, 1, 2], [2, 0, 0]], [1, 2], [3, 4, 5])
    one = tf.io.serialize_sparse(sp)
    assert one.shape == (3,)
    assert tf.io.parse_tensor(one[0], tf.int64).numpy().tolist() == [[0, 1, 2], [2, 0, 0]]
    many = tf.io.serialize_many_sparse(sp)
    assert many.shape == (3, 3)
    assert tf.io.parse_tensor(many[1, 2], tf.int64).numpy().tolist() == [4, 5]  # an empty row
    back = tf.io.deserialize_many_sparse(many, tf.int32, rank=3)
    assert back.indices.numpy().tolist() == [[0, 1, 2], [2, 0, 0]]
    assert back.values.numpy().tolist() == [1, 2] and back.dense_shape.numpy().tolist() == [3, 4, 5]

    @tf.function
    def round_trip(s):
        out = tf.io.deserialize_many_sparse(tf.io.serialize_many_sparse(s), tf.int32, rank=3)
        return out.indices, out.values, tf.io.decode_base64(tf.io.encode_base64(tf.constant("x")))

    idx, vals, text = round_trip(sp)
    np.testing.assert_array_equal(idx.numpy(), back.indices.numpy())
    assert vals.numpy().tolist() == [1, 2] and text.numpy() == b"x"
    with pytest.raises(tf.errors.InvalidArgumentError, match="Type mismatch"):
        tf.io.deserialize_many_sparse(many, tf.float32)


def test_non_string_input_is_tfs_error():
    with pytest.raises(tf.errors.InvalidArgumentError, match="expected to be a string tensor"):
        tf.io.encode_base64(tf.constant([1]))


def _seq_bytes(steps, context_id):
    ints = lambda v: tf.train.Feature(int64_list=tf.train.Int64List(value=v))  # noqa: E731
    lists = tf.train.FeatureLists(
        feature_list={"tok": tf.train.FeatureList(feature=[ints(s) for s in steps])}
    )
    context = tf.train.Features(feature={"id": ints([context_id])})
    return tf.train.SequenceExample(context=context, feature_lists=lists).SerializeToString()


def test_sequence_examples_eager_traced_and_in_a_dataset_style_map():
    data = [_seq_bytes([[1, 2], [3, 4]], 5), _seq_bytes([[7, 8]], 6), _seq_bytes([], 9)]
    ctx = {"id": tf.io.FixedLenFeature([], tf.int64)}
    seq = {"tok": tf.io.FixedLenSequenceFeature([2], tf.int64, allow_missing=True)}
    c, s, n = tf.io.parse_sequence_example(tf.constant(data), ctx, seq)
    assert c["id"].numpy().tolist() == [5, 6, 9] and n["tok"].numpy().tolist() == [2, 1, 0]
    want = np.array([[[1, 2], [3, 4]], [[7, 8], [0, 0]], [[0, 0], [0, 0]]])
    np.testing.assert_array_equal(s["tok"].numpy(), want)

    @tf.function
    def one(x):
        return tf.io.parse_single_sequence_example(x, ctx, seq)

    c1, s1 = one(tf.constant(data[0]))
    assert c1["id"].numpy() == 5 and s1["tok"].numpy().tolist() == [[1, 2], [3, 4]]
    with pytest.raises(ValueError, match="must be a scalar"):
        tf.io.parse_single_sequence_example(tf.constant(data), ctx, seq)
