"""The C++ record framing and Example parser (``host_records``) behind ``tf.io``: values against
hand-built wire bytes and NumPy, the fallback to the protobuf path, and the reader's chunking."""

from __future__ import annotations

import struct

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_kernels import host_records
from tensorhouse_ops import _records, errors

# ---- the wire format by hand ------------------------------------------------------------------


def _varint(v):
    v &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _len_field(number, payload):
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _example(features):
    """An Example of ``{key: feature bytes}`` (map entries in the given order)."""
    entries = b"".join(
        _len_field(1, _len_field(1, key.encode()) + _len_field(2, feature))
        for key, feature in features
    )
    return _len_field(1, entries)


def _floats_unpacked(values):
    body = b"".join(_varint(1 << 3 | 5) + struct.pack("<f", v) for v in values)
    return _len_field(2, body)


def _ints_unpacked(values):
    return _len_field(3, b"".join(_varint(1 << 3 | 0) + _varint(v) for v in values))


def _bytes_list(values):
    return _len_field(1, b"".join(_len_field(1, v) for v in values))


def _proto(x, i, name):
    return tf.train.Example(
        features=tf.train.Features(
            feature={
                "x": tf.train.Feature(float_list=tf.train.FloatList(value=x)),
                "i": tf.train.Feature(int64_list=tf.train.Int64List(value=i)),
                "name": tf.train.Feature(bytes_list=tf.train.BytesList(value=name)),
            }
        )
    ).SerializeToString()


SPEC = {
    "x": tf.io.FixedLenFeature([2, 2], tf.float32),
    "i": tf.io.FixedLenFeature([3], tf.int64),
    "name": tf.io.FixedLenFeature([2], tf.string),
}


def test_dense_features_match_numpy():
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(5, 4)).astype(np.float32)
    ints = rng.integers(-(2**62), 2**62, size=(5, 3))
    ints[0] = [-1, 0, 2**63 - 1]  # ten-byte varints and the extremes
    names = [[f"n{r}".encode(), bytes(range(r * 10, r * 10 + r))] for r in range(5)]
    records = [_proto(xs[r], ints[r], names[r]) for r in range(5)]
    out = tf.io.parse_example(records, SPEC)
    np.testing.assert_array_equal(out["x"].numpy(), xs.reshape(5, 2, 2))
    np.testing.assert_array_equal(out["i"].numpy(), ints)
    assert out["name"].numpy().tolist() == names
    assert list(out) == ["i", "name", "x"]
    one = tf.io.parse_single_example(records[3], SPEC)
    np.testing.assert_array_equal(one["x"].numpy(), xs[3].reshape(2, 2))
    assert one["name"].numpy().tolist() == names[3]


def test_unpacked_lists_unknown_fields_and_repeated_keys_parse_as_protobuf_does():
    rec = _example([
        ("x", _floats_unpacked([1.5, -2.0, 3.0, 4.25])),
        ("i", _ints_unpacked([7, -8, 9])),
        ("name", _bytes_list([b"a", b""])),
        ("other", _ints_unpacked([1])),
        ("i", _ints_unpacked([1, 2, 3])),  # a map keeps the last entry of a key
    ]) + _varint(5 << 3 | 0) + _varint(99)  # an unknown Example field: skipped  # fmt: skip
    want = tf.train.Example.FromString(rec).features.feature
    assert list(want["i"].int64_list.value) == [1, 2, 3]
    out = tf.io.parse_single_example(rec, SPEC)
    np.testing.assert_array_equal(out["x"].numpy(), [[1.5, -2.0], [3.0, 4.25]])
    np.testing.assert_array_equal(out["i"].numpy(), [1, 2, 3])
    assert out["name"].numpy().tolist() == [b"a", b""]


def _dense(records, keys, kinds, sizes):
    outs = [[None] * (len(records) * n) if k == 1 else
            np.zeros(len(records) * n, np.float32 if k == 2 else np.int64)
            for k, n in zip(kinds, sizes)]  # fmt: skip
    return host_records.parse_example_dense(list(records), keys, kinds, sizes, outs), outs


def test_the_kernel_declines_what_it_does_not_handle():
    good = _proto([1.0, 2.0, 3.0, 4.0], [1, 2, 3], [b"a", b"b"])
    ok, outs = _dense([good, good], ["i"], [3], [3])
    assert ok and outs[0].tolist() == [1, 2, 3, 1, 2, 3]
    assert not _dense([good], ["missing"], [3], [1])[0]  # defaults and errors: the slow path
    assert not _dense([good], ["i"], [2], [3])[0]  # another kind
    assert not _dense([good], ["i"], [3], [2])[0]  # another count
    assert not _dense([good[:-1]], ["i"], [3], [3])[0]  # truncated bytes
    assert not _dense([good + b"\x00"], ["i"], [3], [3])[0]  # field number 0
    twice = good + good  # Example.features twice: protobuf merges them
    assert not _dense([twice], ["i"], [3], [3])[0]
    assert not _dense(["not bytes"], ["i"], [3], [3])[0]


def test_fallback_keeps_tfs_defaults_and_errors():
    good = _proto([1.0, 2.0, 3.0, 4.0], [1, 2, 3], [b"a", b"b"])
    spec = dict(SPEC, d=tf.io.FixedLenFeature([2], tf.int64, default_value=[5, 6]))
    out = tf.io.parse_example([good, good], spec)
    np.testing.assert_array_equal(out["d"].numpy(), [[5, 6], [5, 6]])
    np.testing.assert_array_equal(out["i"].numpy(), [[1, 2, 3], [1, 2, 3]])
    with pytest.raises(errors.InvalidArgumentError, match="Feature: d .* is required"):
        tf.io.parse_example([good], {"d": tf.io.FixedLenFeature([], tf.int64)})
    with pytest.raises(errors.InvalidArgumentError, match="Key: i.  Data types don't match"):
        tf.io.parse_example([good], {"i": tf.io.FixedLenFeature([3], tf.float32)})
    with pytest.raises(errors.InvalidArgumentError, match="Some int64_list slice was not"):
        tf.io.parse_example([good], {"i": tf.io.FixedLenFeature([4], tf.int64)})
    with pytest.raises(errors.InvalidArgumentError, match="Could not parse example input"):
        tf.io.parse_example([good[:-2]], {"i": tf.io.FixedLenFeature([3], tf.int64)})
    empty = tf.io.parse_example(np.zeros([0], object), SPEC)
    assert empty["x"].shape == (0, 2, 2) and empty["name"].shape == (0, 2)


def test_parse_traced_uses_the_same_path():
    good = _proto([1.0, 2.0, 3.0, 4.0], [1, 2, 3], [b"a", b"b"])
    fn = tf.function(lambda r: tf.io.parse_example(r, SPEC))
    out = fn(tf.constant([good, good]))
    np.testing.assert_array_equal(out["x"].numpy()[1], [[1.0, 2.0], [3.0, 4.0]])
    assert out["name"].numpy().tolist() == [[b"a", b"b"], [b"a", b"b"]]


# ---- record framing ---------------------------------------------------------------------------


def _frame(data):
    length = struct.pack("<Q", len(data))
    crc = host_records.masked_crc32c
    return length + struct.pack("<I", crc(length)) + data + struct.pack("<I", crc(data))


def test_split_records_statuses():
    recs = [b"one", b"", bytes(range(256)) * 2]
    buf = b"".join(_frame(r) for r in recs)
    got, end, status = host_records.split_records(buf, 0)
    assert got == recs and end == len(buf) and status == 0
    got, end, status = host_records.split_records(buf + b"\x01\x02", 0, 2)
    assert got == recs[:2] and end == len(_frame(b"one")) + len(_frame(b"")) and status == 0
    got, end, status = host_records.split_records(buf[:-1], 0)  # the last one is incomplete
    assert got == recs[:2] and status == 0
    bad = bytearray(buf)
    bad[len(_frame(b"one")) + 1] ^= 1  # the second record's length
    assert host_records.split_records(bytes(bad), 0)[1:] == (len(_frame(b"one")), 1)
    bad = bytearray(buf)
    bad[12] ^= 1  # the first record's data
    assert host_records.split_records(bytes(bad), 0) == ([], 0, 2)


@pytest.mark.parametrize("chunk", [1, 7, 19, 1 << 20])
def test_reader_reassembles_records_across_chunks(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(_records, "_CHUNK", chunk)
    recs = [bytes([i]) * (i * 3) for i in range(12)]
    path = tmp_path / "r.tfrecord"
    with tf.io.TFRecordWriter(str(path)) as w:
        for r in recs:
            w.write(r)
    assert list(tf.io.read_records(str(path))) == recs
    assert list(tf.io.read_records(str(path), "")) == recs
    data = path.read_bytes()
    (tmp_path / "t").write_bytes(data[:-3])
    last = len(data) - len(_frame(recs[-1]))
    with pytest.raises(errors.DataLossError, match=f"truncated record at {last}'"):
        list(tf.io.read_records(str(tmp_path / "t")))
    bad = bytearray(data)
    bad[last + 14] ^= 0xFF  # the last record's data
    (tmp_path / "b").write_bytes(bytes(bad))
    got = []
    with pytest.raises(errors.DataLossError, match=f"corrupted record at {last + 12}$"):
        for r in tf.io.read_records(str(tmp_path / "b")):
            got.append(r)
    assert got == recs[:-1]  # every good record first
    (tmp_path / "j").write_bytes(b"\x05" * 40)
    with pytest.raises(errors.DataLossError, match="at 0 \\(Is this even a TFRecord file"):
        list(tf.io.read_records(str(tmp_path / "j")))


def test_read_file_traces_as_a_host_node(tmp_path):
    path = tmp_path / "blob.bin"
    path.write_bytes(b"\x00\x01 bytes \xff")
    read = tf.function(lambda p: tf.io.read_file(p))
    got = read(tf.constant(str(path)))
    assert got.numpy() == b"\x00\x01 bytes \xff" == tf.io.read_file(str(path)).numpy()
    assert got.shape == () and got.dtype == tf.string
    with pytest.raises(errors.NotFoundError, match="No such file or directory"):
        read(tf.constant(str(tmp_path / "missing")))
