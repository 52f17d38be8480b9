"""TF's tf.io base64 (web-safe), decode_compressed, matching_files and SparseTensor
serializations: values, TF's exact serialized bytes, and errors."""

import gzip
import zlib

import pytest


def test_base64(tf):
    enc = tf.io.encode_base64(tf.constant([b"hello?>", b"", b"ab"]))
    assert enc.numpy().tolist() == [b"aGVsbG8_Pg", b"", b"YWI"]
    assert tf.io.encode_base64(tf.constant([b"a"]), pad=True).numpy().tolist() == [b"YQ=="]
    dec = tf.io.decode_base64(tf.constant(["aGVsbG8_Pg", "YWI=", "YWI", ""]))
    assert dec.numpy().tolist() == [b"hello?>", b"ab", b"ab", b""]
    with pytest.raises(
        tf.errors.InvalidArgumentError, match="Base64 string length cannot be 1 modulo 4"
    ):
        tf.io.decode_base64("a")
    with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid character found in base64"):
        tf.io.decode_base64("YWI==")


def test_decode_compressed(tf):
    out = tf.io.decode_compressed(tf.constant([zlib.compress(b"abc"), zlib.compress(b"")]), "ZLIB")
    assert out.numpy().tolist() == [b"abc", b""]
    assert tf.io.decode_compressed(gzip.compress(b"xyz"), "GZIP").numpy() == b"xyz"
    assert tf.io.decode_compressed(b"plain", "").numpy() == b"plain"
    with pytest.raises(tf.errors.DataLossError, match="inflate"):
        tf.io.decode_compressed(b"plain", "ZLIB")


def test_matching_files(tf, tmp_path):
    for name in ["b.txt", "a.txt", "c.csv"]:
        (tmp_path / name).write_bytes(b"")
    got = tf.io.matching_files(str(tmp_path / "*.txt")).numpy().tolist()
    assert got == [str(tmp_path / "a.txt").encode(), str(tmp_path / "b.txt").encode()]
    assert tf.io.matching_files(str(tmp_path / "*.none")).shape == (0,)


def test_sparse_serialization_bytes(tf):
    sp = tf.sparse.SparseTensor([[0, 1], [2, 0]], [1.5, 2.0], [3, 4])
    one = tf.io.serialize_sparse(sp).numpy().tolist()
    assert one[1] == b'\x08\x01\x12\x04\x12\x02\x08\x02"\x08\x00\x00\xc0?\x00\x00\x00@'
    assert one[2] == b'\x08\t\x12\x04\x12\x02\x08\x02"\x10' + bytes([3] + [0] * 7 + [4] + [0] * 7)
    many = tf.io.serialize_many_sparse(sp)
    assert many.shape == (3, 3)
    assert many.numpy()[1].tolist()[:2] == [
        b"\x08\t\x12\x06\x12\x00\x12\x02\x08\x01",
        b"\x08\x01\x12\x02\x12\x00",
    ]
    back = tf.io.deserialize_many_sparse(many, tf.float32)
    assert back.indices.numpy().tolist() == [[0, 1], [2, 0]]
    assert back.values.numpy().tolist() == [1.5, 2.0] and back.dense_shape.numpy().tolist() == [
        3,
        4,
    ]


def _sequence_examples(tf):
    def ints(v):
        return tf.train.Feature(int64_list=tf.train.Int64List(value=v))

    def floats(v):
        return tf.train.Feature(float_list=tf.train.FloatList(value=v))

    first = tf.train.SequenceExample(
        context=tf.train.Features(feature={"id": ints([7]), "w": floats([1.5, 2.5])}),
        feature_lists=tf.train.FeatureLists(
            feature_list={
                "tok": tf.train.FeatureList(feature=[ints([1, 2]), ints([3, 4]), ints([5, 6])]),
                "var": tf.train.FeatureList(feature=[floats([1.0]), floats([]), floats([2, 3])]),
            }
        ),
    )
    second = tf.train.SequenceExample(
        context=tf.train.Features(feature={"id": ints([8])}),
        feature_lists=tf.train.FeatureLists(
            feature_list={"tok": tf.train.FeatureList(feature=[ints([9, 9])])}
        ),
    )
    return first.SerializeToString(), second.SerializeToString()


def test_parse_single_sequence_example(tf):
    first, _ = _sequence_examples(tf)
    context, seq = tf.io.parse_single_sequence_example(
        first,
        {"id": tf.io.FixedLenFeature([], tf.int64), "w": tf.io.VarLenFeature(tf.float32)},
        {
            "tok": tf.io.FixedLenSequenceFeature([2], tf.int64),
            "var": tf.io.VarLenFeature(tf.float32),
        },
    )
    assert context["id"].numpy() == 7 and context["w"].values.numpy().tolist() == [1.5, 2.5]
    assert seq["tok"].numpy().tolist() == [[1, 2], [3, 4], [5, 6]]
    assert seq["var"].indices.numpy().tolist() == [[0, 0], [2, 0], [2, 1]]
    assert seq["var"].dense_shape.numpy().tolist() == [3, 2]
    with pytest.raises(tf.errors.InvalidArgumentError, match="Feature list 'miss' is required"):
        tf.io.parse_single_sequence_example(
            first, None, {"miss": tf.io.FixedLenSequenceFeature([], tf.float32)}
        )


def test_parse_sequence_example_batch_pads_and_counts(tf):
    context, seq, lengths = tf.io.parse_sequence_example(
        tf.constant(list(_sequence_examples(tf))),
        {"id": tf.io.FixedLenFeature([], tf.int64)},
        {
            "tok": tf.io.FixedLenSequenceFeature([2], tf.int64, allow_missing=True),
            "var": tf.io.VarLenFeature(tf.float32),
        },
    )
    assert context["id"].numpy().tolist() == [7, 8]
    assert seq["tok"].numpy().tolist() == [[[1, 2], [3, 4], [5, 6]], [[9, 9], [0, 0], [0, 0]]]
    assert sorted(lengths) == ["tok"] and lengths["tok"].numpy().tolist() == [3, 1]
    assert seq["var"].dense_shape.numpy().tolist() == [2, 3, 2]
