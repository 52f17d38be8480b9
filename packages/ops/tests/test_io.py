"""tf.io: TFRecord framing and compression, the Example messages, parse_example eagerly and in a
traced function, read_file / write_file."""

from __future__ import annotations

import gzip
import struct
import zlib

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_ops import errors


def _crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def _masked(crc):
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def _frame(data):
    """One record in TF's framing, built by hand."""
    length = struct.pack("<Q", len(data))
    return (length + struct.pack("<I", _masked(_crc32c(length))) + data
            + struct.pack("<I", _masked(_crc32c(data))))  # fmt: skip


RECORDS = [b"one", b"", bytes(range(200)) * 3]


def _write(path, records, options=None):
    with tf.io.TFRecordWriter(str(path), options) as w:
        for r in records:
            w.write(r)


# ---- records ----------------------------------------------------------------------------------


def test_masked_crc_matches_the_reference():
    from tensorhouse_ops._records import masked_crc

    assert _crc32c(b"123456789") == 0xE3069283
    for data in (b"", b"a", b"hello world", bytes(range(256))):
        assert masked_crc(data) == _masked(_crc32c(data))


def test_writer_framing_is_tfs(tmp_path):
    _write(tmp_path / "r", RECORDS)
    assert (tmp_path / "r").read_bytes() == b"".join(_frame(r) for r in RECORDS)
    assert list(tf.io.read_records(str(tmp_path / "r"))) == RECORDS


@pytest.mark.parametrize("kind", ["ZLIB", "GZIP"])
def test_compressed_streams(tmp_path, kind):
    records = [bytes([i % 256]) * (i * 97 % 5000) for i in range(60)]
    _write(tmp_path / "c", records, tf.io.TFRecordOptions(kind, compression_level=9))
    raw = (tmp_path / "c").read_bytes()
    plain = zlib.decompress(raw) if kind == "ZLIB" else gzip.decompress(raw)
    assert plain == b"".join(_frame(r) for r in records)
    assert len(raw) < len(plain)
    assert list(tf.io.read_records(str(tmp_path / "c"), kind)) == records


def test_flush_makes_records_readable_before_close(tmp_path):
    w = tf.io.TFRecordWriter(str(tmp_path / "f"), "ZLIB")
    w.write(b"first")
    w.flush()
    d = zlib.decompressobj()
    assert d.decompress((tmp_path / "f").read_bytes()) == _frame(b"first")
    w.close()
    w.close()  # closing twice is fine
    assert list(tf.io.read_records(str(tmp_path / "f"), "ZLIB")) == [b"first"]


def test_reader_errors(tmp_path):
    good = b"".join(_frame(r) for r in RECORDS)
    (tmp_path / "t").write_bytes(good[:-1])
    with pytest.raises(errors.DataLossError, match="truncated record at 35"):
        list(tf.io.read_records(str(tmp_path / "t")))
    (tmp_path / "h").write_bytes(good[:5])  # a partial header reads as the end, as in TF
    assert list(tf.io.read_records(str(tmp_path / "h"))) == []
    bad = bytearray(good)
    bad[-1] ^= 0xFF  # the data CRC of the last record
    (tmp_path / "b").write_bytes(bytes(bad))
    with pytest.raises(errors.DataLossError, match="corrupted record at 47"):
        list(tf.io.read_records(str(tmp_path / "b")))
    (tmp_path / "z").write_bytes(b"not zlib at all")
    with pytest.raises(errors.DataLossError, match="corrupted record at 0"):
        list(tf.io.read_records(str(tmp_path / "z"), "ZLIB"))
    with pytest.raises(errors.NotFoundError, match="No such file or directory"):
        list(tf.io.read_records(str(tmp_path / "none")))


def test_options_and_writer_validation(tmp_path):
    assert tf.io.TFRecordOptions.compression_type_map == {0: "", 1: "ZLIB", 2: "GZIP"}
    assert tf.io.TFRecordOptions.get_compression_type_string(2) == "GZIP"
    with pytest.raises(ValueError, match='Not a valid compression_type: "LZ4"'):
        tf.io.TFRecordOptions("LZ4")
    with pytest.raises(errors.NotFoundError):
        tf.io.TFRecordWriter(str(tmp_path / "no" / "dir" / "x"))
    with pytest.raises(TypeError, match="record must be bytes or str"):
        tf.io.TFRecordWriter(str(tmp_path / "w")).write(1.5)


# ---- Example messages -------------------------------------------------------------------------


def _example(x, y, name, tags=()):
    return tf.train.Example(
        features=tf.train.Features(
            feature={
                "x": tf.train.Feature(float_list=tf.train.FloatList(value=x)),
                "y": tf.train.Feature(int64_list=tf.train.Int64List(value=[y])),
                "name": tf.train.Feature(bytes_list=tf.train.BytesList(value=[name])),
                "tags": tf.train.Feature(int64_list=tf.train.Int64List(value=list(tags))),
            }
        )
    ).SerializeToString(deterministic=True)


def test_example_wire_format_by_hand():
    got = tf.train.Example(
        features=tf.train.Features(
            feature={"b": tf.train.Feature(int64_list=tf.train.Int64List(value=[7]))}
        )
    ).SerializeToString()
    # Example.features (1) > Features.feature map entry (1) > key (1) "b", value (2) Feature >
    # int64_list (3) > value (1, packed) [7]
    feature = b"\x1a\x03\x0a\x01\x07"
    entry = b"\x0a\x01b" + b"\x12" + bytes([len(feature)]) + feature
    features = b"\x0a" + bytes([len(entry)]) + entry
    assert got == b"\x0a" + bytes([len(features)]) + features
    seq = tf.train.SequenceExample()
    seq.feature_lists.feature_list["f"].feature.add().float_list.value.append(1.0)
    back = tf.train.SequenceExample.FromString(seq.SerializeToString())
    assert list(back.feature_lists.feature_list["f"].feature[0].float_list.value) == [1.0]


def test_parse_single_example_values_and_defaults():
    rec = _example([1.5, -2.0], 7, b"cat", [4, 5, 6])
    out = tf.io.parse_single_example(
        rec,
        {
            "x": tf.io.FixedLenFeature([2], tf.float32),
            "y": tf.io.FixedLenFeature([1, 1], tf.int64),
            "name": tf.io.FixedLenFeature([], tf.string),
            "d": tf.io.FixedLenFeature([2, 2], tf.int64, default_value=[[1, 2], [3, 4]]),
            "s": tf.io.FixedLenFeature([], tf.string, default_value="none"),
            "tags": tf.io.VarLenFeature(tf.int64),
        },
    )
    np.testing.assert_array_equal(out["x"].numpy(), np.array([1.5, -2.0], np.float32))
    assert out["y"].shape == (1, 1) and out["y"].numpy()[0, 0] == 7
    np.testing.assert_array_equal(out["d"].numpy(), [[1, 2], [3, 4]])
    assert out["s"].numpy() == b"none" and out["name"].numpy() == b"cat"
    np.testing.assert_array_equal(out["tags"].values.numpy(), [4, 5, 6])
    np.testing.assert_array_equal(out["tags"].indices.numpy(), [[0], [1], [2]])
    assert list(out) == ["tags", "d", "name", "s", "x", "y"]  # sparse keys first, as TF


def test_parse_errors_name_the_feature():
    rec = _example([1.0], 1, b"a")
    with pytest.raises(errors.InvalidArgumentError, match="Parsing bytes_list failed"):
        tf.io.parse_single_example(rec, {"name": tf.io.FixedLenFeature([0], tf.string)})
    with pytest.raises(errors.InvalidArgumentError, match="Some int64_list slice was not parsed"):
        tf.io.parse_single_example(rec, {"y": tf.io.FixedLenFeature([2], tf.int64)})
    with pytest.raises(errors.InvalidArgumentError, match="Tdense' of int32 is not in the list"):
        tf.io.parse_single_example(rec, {"y": tf.io.FixedLenFeature([], tf.int32)})
    with pytest.raises(errors.InvalidArgumentError, match="requested shape has 3"):
        tf.io.parse_single_example(
            rec, {"z": tf.io.FixedLenFeature([3], tf.float32, default_value=1.0)}
        )
    with pytest.raises(errors.InvalidArgumentError, match="Name: first, Feature: z"):
        tf.io.parse_example(
            [rec, rec],
            {"z": tf.io.FixedLenFeature([], tf.int64)},
            example_names=["first", "second"],
        )
    with pytest.raises(errors.InvalidArgumentError, match="Expected type: float, Actual type"):
        tf.io.parse_single_example(rec, {"y": tf.io.VarLenFeature(tf.float32)})
    with pytest.raises(ValueError, match="Unsupported int 3 for key 'y'"):
        tf.io.parse_single_example(rec, {"y": 3})


def test_parse_traced_matches_eager_and_has_tfs_static_shapes():
    recs = [_example([i, i * 2.0], i, b"n%d" % i, range(i)) for i in range(4)]
    spec = {
        "x": tf.io.FixedLenFeature([2], tf.float32),
        "y": tf.io.FixedLenFeature([], tf.int64),
        "tags": tf.io.VarLenFeature(tf.int64),
        "seq": tf.io.FixedLenSequenceFeature([], tf.int64, allow_missing=True),
    }

    @tf.function
    def parse(batch):
        out = tf.io.parse_example(batch, spec)
        return out["x"] * 2.0, out["y"], out["tags"].values, out["tags"].dense_shape, out["seq"]

    concrete = parse.get_concrete_function(tf.TensorSpec([None], tf.string))
    shapes = [t.shape.as_list() for t in concrete.structured_outputs]
    assert shapes == [[None, 2], [None], [None], [2], [None, None]]
    batch = tf.constant(np.array(recs, dtype=object))  # an object array keeps trailing NULs
    traced = parse(batch)
    eager = tf.io.parse_example(batch, spec)
    np.testing.assert_array_equal(traced[0].numpy(), eager["x"].numpy() * 2.0)
    np.testing.assert_array_equal(traced[1].numpy(), [0, 1, 2, 3])
    np.testing.assert_array_equal(traced[2].numpy(), [0, 0, 1, 0, 1, 2])
    np.testing.assert_array_equal(traced[3].numpy(), [4, 3])
    assert traced[4].shape == (4, 0)


# ---- whole files ------------------------------------------------------------------------------


def test_read_and_write_file(tmp_path):
    path = tmp_path / "deep" / "dir" / "blob.bin"
    data = bytes(range(256)) * 4
    tf.io.write_file(str(path), tf.constant(data))
    assert path.read_bytes() == data
    got = tf.io.read_file(tf.constant(str(path)))
    assert got.dtype == tf.string and got.shape == () and got.numpy() == data
    with pytest.raises(errors.NotFoundError, match="No such file or directory"):
        tf.io.read_file(str(tmp_path / "missing"))


def test_read_file_traced_matches_eager(tmp_path):
    path = tmp_path / "blob.bin"
    path.write_bytes(b"\x00ab\xffc")
    read = tf.function(lambda p: tf.strings.length(tf.io.read_file(p)) * 10)
    assert int(read(tf.constant(str(path))).numpy()) == 50
    traced = tf.function(tf.io.read_file)(tf.constant(str(path)))
    assert traced.dtype == tf.string and traced.shape == () and traced.numpy() == b"\x00ab\xffc"
    with pytest.raises(errors.NotFoundError, match="missing"):
        read(tf.constant(str(tmp_path / "missing")))


# ---- serialized tensors, gfile ----------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        np.arange(6, dtype=np.int64).reshape(2, 3),
        np.array([1.5, -0.25], np.float32),
        np.array([[True, False]]),
        np.array(7, np.uint8),
        np.array([b"", b"a\x00b"], dtype=object),
    ],
)
def test_serialize_parse_round_trip(value):
    t = tf.constant(value)
    back = tf.io.parse_tensor(tf.io.serialize_tensor(t), t.dtype)
    assert back.dtype == t.dtype and back.shape == t.shape
    np.testing.assert_array_equal(back.numpy(), value)


def test_parse_tensor_reads_typed_value_fields():
    from tensorhouse_ops._example import TensorProto

    proto = TensorProto(dtype=1)  # float, values in float_val; the last value fills the rest
    for d in (2, 2):
        proto.tensor_shape.dim.add(size=d)
    proto.float_val.extend([1.0, 2.0])
    got = tf.io.parse_tensor(np.array(proto.SerializeToString(), dtype=object), tf.float32)
    np.testing.assert_array_equal(got.numpy(), [[1.0, 2.0], [2.0, 2.0]])


def test_serialize_tensor_traced_matches_eager():
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    traced = tf.function(lambda v: tf.io.serialize_tensor(v * 2.0))(x)
    eager = tf.io.serialize_tensor(x * 2.0)
    assert np.asarray(traced.numpy()).item() == np.asarray(eager.numpy()).item()
    with pytest.raises(TypeError, match="unknown rank"):
        tf.function(lambda s: tf.io.parse_tensor(s, tf.float32))(eager)


def test_gfile_walk_and_stat(tmp_path):
    tf.io.gfile.makedirs(str(tmp_path / "x" / "y"))
    with tf.io.gfile.GFile(str(tmp_path / "x" / "y" / "f"), "wb") as f:
        f.write(b"12345")
    walked = [(d, sorted(s), sorted(f)) for d, s, f in tf.io.gfile.walk(str(tmp_path / "x"))]
    assert walked == [(str(tmp_path / "x"), ["y"], []), (str(tmp_path / "x" / "y"), [], ["f"])]
    assert tf.io.gfile.stat(str(tmp_path / "x" / "y" / "f")).length == 5
    assert tf.io.gfile.GFile(str(tmp_path / "x" / "y" / "f"), "rb").size() == 5
    with pytest.raises(errors.NotFoundError):
        tf.io.gfile.mkdir(str(tmp_path / "no" / "parent"))


# ---- CSV --------------------------------------------------------------------------------------


def test_split_record_rules():
    from tensorhouse_ops._csv import split_record

    assert split_record(b'a,"b,c",,"d""e"', b",", True) == [b"a", b"b,c", b"", b'd"e']
    assert split_record(b'a,"b', b",", False) == [b"a", b'"b']
    assert split_record(b"a,", b",", True) == [b"a", b""]
    with pytest.raises(errors.InvalidArgumentError, match="without closing quoted field"):
        split_record(b'"abc', b",", True)
    with pytest.raises(errors.InvalidArgumentError, match="followed by delim or end"):
        split_record(b'"ab"c,d', b",", True)


def test_decode_csv_values_shapes_and_errors():
    lines = np.array([[b"1,2.5,x"], [b'7,,"a,b"']], dtype=object)
    a, b, c = tf.io.decode_csv(lines, [tf.constant([], tf.int64), [9.0], ["d"]])
    assert a.dtype == tf.int64 and b.dtype == tf.float32 and c.dtype == tf.string
    assert a.shape == (2, 1) and c.shape == (2, 1)
    np.testing.assert_array_equal(b.numpy(), [[2.5], [9.0]])
    assert c.numpy().ravel().tolist() == [b"x", b"a,b"]
    with pytest.raises(errors.InvalidArgumentError, match="Field 0 in record 1 is not a valid"):
        tf.io.decode_csv(["1", "x"], [[0]])
    with pytest.raises(errors.InvalidArgumentError, match="but have 3 in record 0"):
        tf.io.decode_csv(["1,2,3"], [[0], [0]])
    with pytest.raises(errors.InvalidArgumentError, match="Field 1 is required but missing"):
        tf.io.decode_csv(["1,"], [[0], tf.constant([], tf.int32)])
    with pytest.raises(errors.InvalidArgumentError, match="not a valid int32: 3000000000"):
        tf.io.decode_csv(["3000000000"], [[0]])


def test_decode_csv_traced_matches_eager():
    fn = tf.function(lambda x: tf.io.decode_csv(x, [[0.0], [0]], field_delim=";"))
    concrete = fn.get_concrete_function(tf.TensorSpec([None], tf.string))
    assert [t.shape.as_list() for t in concrete.structured_outputs] == [[None], [None]]
    data = tf.constant(np.array([b"1.5;2", b";3"], dtype=object))
    for got, want in zip(fn(data), tf.io.decode_csv(data, [[0.0], [0]], field_delim=";")):
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    np.testing.assert_array_equal(fn(data)[0].numpy(), [1.5, 0.0])
