"""TFRecord files and ``tf.train.Example``: read files TF 2.21 wrote (``data/*.tfrecord``, made
with ``tf.io.TFRecordWriter``), write them again and compare the bytes, parse ``Example``s.

The data files hold the records ``RECORDS`` (plain, ZLIB and GZIP) and three ``Example``s (x:
floats [i, i + 0.5], y: int64 [10 i], name: bytes "ex<i>", tags: int64 [0 .. i)).
"""

from __future__ import annotations

import gzip
import os
import threading
import zlib

import numpy as np
import pytest

DATA = os.path.join(os.path.dirname(__file__), "data")
RECORDS = [b"alpha", b"", bytes(range(256)), b"x" * 300]
FILES = {"": "records.tfrecord", "ZLIB": "records_zlib.tfrecord", "GZIP": "records_gzip.tfrecord"}


def _data(name):
    return os.path.join(DATA, name)


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _crc32c(data):
    """CRC32C (Castagnoli, reflected polynomial 0x82F63B78), bit by bit: the reference."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def _masked(crc):
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def _example(tf, i):
    return tf.train.Example(
        features=tf.train.Features(
            feature={
                "x": tf.train.Feature(float_list=tf.train.FloatList(value=[i, i + 0.5])),
                "y": tf.train.Feature(int64_list=tf.train.Int64List(value=[i * 10])),
                "name": tf.train.Feature(bytes_list=tf.train.BytesList(value=[f"ex{i}".encode()])),
                "tags": tf.train.Feature(int64_list=tf.train.Int64List(value=list(range(i)))),
            }
        )
    )


@pytest.mark.parametrize("compression", ["", "ZLIB", "GZIP"])
def test_reads_tf_written_records(tf, compression):
    ds = tf.data.TFRecordDataset(_data(FILES[compression]), compression_type=compression)
    assert ds.element_spec == tf.TensorSpec([], tf.string)
    assert int(ds.cardinality()) == tf.data.UNKNOWN_CARDINALITY
    assert list(ds.as_numpy_iterator()) == RECORDS


@pytest.mark.parametrize("compression", ["", "ZLIB", "GZIP"])
def test_written_records_match_tf_bytes(tf, tmp_path, compression):
    path = str(tmp_path / "out.tfrecord")
    options = tf.io.TFRecordOptions(compression_type=compression)
    with tf.io.TFRecordWriter(path, options=options) as w:
        for r in RECORDS:
            w.write(r)
    ours, theirs = _read(path), _read(_data(FILES[compression]))
    unpack = {"": bytes, "ZLIB": zlib.decompress, "GZIP": gzip.decompress}[compression]
    assert unpack(ours) == unpack(theirs)
    if compression == "":
        assert ours == theirs
        # the framing: uint64 length, masked CRC32C of it, the data, masked CRC32C of the data
        assert int.from_bytes(ours[:8], "little") == 5 and ours[12:17] == b"alpha"
        assert int.from_bytes(ours[8:12], "little") == _masked(_crc32c(ours[:8]))
        assert int.from_bytes(ours[17:21], "little") == _masked(_crc32c(b"alpha"))
    back = tf.data.TFRecordDataset(path, compression_type=compression)
    assert list(back.as_numpy_iterator()) == RECORDS


def test_masked_crc_of_a_known_record(tf, tmp_path):
    path = str(tmp_path / "one.tfrecord")
    with tf.io.TFRecordWriter(path) as w:
        w.write(b"hello")
    raw = _read(path)
    assert _crc32c(b"123456789") == 0xE3069283  # the standard CRC32C check value
    assert raw[-4:] == _masked(_crc32c(b"hello")).to_bytes(4, "little")
    assert len(raw) == 8 + 4 + 5 + 4


def test_corrupted_and_truncated_records(tf, tmp_path):
    raw = bytearray(_read(_data("records.tfrecord")))
    bad = tmp_path / "bad.tfrecord"
    raw[13] ^= 1  # inside the data of the first record
    bad.write_bytes(bytes(raw))
    with pytest.raises(tf.errors.DataLossError, match="corrupted record at 12"):
        list(tf.data.TFRecordDataset(str(bad)))
    raw[13] ^= 1
    raw[2] ^= 1  # the length of the first record
    bad.write_bytes(bytes(raw))
    with pytest.raises(tf.errors.DataLossError, match="corrupted record at 0"):
        list(tf.data.TFRecordDataset(str(bad)))
    short = tmp_path / "short.tfrecord"
    short.write_bytes(_read(_data("records.tfrecord"))[:-3])
    with pytest.raises(tf.errors.DataLossError, match="truncated record at 309"):
        list(tf.data.TFRecordDataset(str(short)))
    with pytest.raises(tf.errors.NotFoundError, match="No such file or directory"):
        list(tf.data.TFRecordDataset(str(tmp_path / "missing.tfrecord")))


def test_writer_errors(tf, tmp_path):
    with pytest.raises(ValueError, match='Not a valid compression_type: "BZ2"'):
        tf.io.TFRecordWriter(str(tmp_path / "x"), options="BZ2")
    w = tf.io.TFRecordWriter(str(tmp_path / "y"), "GZIP")
    w.write("text")  # a str is written as UTF-8
    w.close()
    with pytest.raises(tf.errors.FailedPreconditionError, match="Writer is closed."):
        w.write(b"more")
    with pytest.raises(TypeError):
        tf.io.TFRecordWriter(str(tmp_path / "z")).write(5)
    assert list(tf.data.TFRecordDataset(str(tmp_path / "y"), "GZIP").as_numpy_iterator()) == [
        b"text"
    ]
    assert tf.io.TFRecordOptions.get_compression_type_string("GZIP") == "GZIP"
    assert tf.io.TFRecordOptions.get_compression_type_string(None) == ""
    assert tf.io.TFRecordOptions.get_compression_type_string(tf.io.TFRecordOptions("ZLIB")) == (
        "ZLIB"
    )


def test_parallel_reads_interleave_files_record_by_record(tf, tmp_path):
    paths = []
    for f in range(3):
        paths.append(str(tmp_path / f"f{f}.tfrecord"))
        with tf.io.TFRecordWriter(paths[-1]) as w:
            for r in range(f + 2):
                w.write(f"{f}-{r}".encode())
    seq = tf.data.TFRecordDataset(paths)
    assert [v.decode() for v in seq.as_numpy_iterator()] == [
        "0-0", "0-1", "1-0", "1-1", "1-2", "2-0", "2-1", "2-2", "2-3",
    ]  # fmt: skip
    par = tf.data.TFRecordDataset(paths, num_parallel_reads=2)
    assert [v.decode() for v in par.as_numpy_iterator()] == [
        "0-0", "1-0", "0-1", "1-1", "1-2", "2-0", "2-1", "2-2", "2-3",
    ]  # fmt: skip
    auto = tf.data.TFRecordDataset(paths, num_parallel_reads=tf.data.AUTOTUNE)
    assert sorted(auto.as_numpy_iterator()) == sorted(seq.as_numpy_iterator())
    from_ds = tf.data.TFRecordDataset(tf.data.Dataset.from_tensor_slices(paths[:1]))
    assert list(from_ds.as_numpy_iterator()) == [b"0-0", b"0-1"]


def test_example_bytes_match_tf(tf):
    ours = [_example(tf, i).SerializeToString(deterministic=True) for i in range(3)]
    theirs = list(tf.data.TFRecordDataset(_data("examples.tfrecord")).as_numpy_iterator())
    assert ours == theirs
    assert tf.train.Example.DESCRIPTOR.full_name == "tensorflow.Example"
    back = tf.train.Example()
    back.ParseFromString(theirs[2])
    assert list(back.features.feature["tags"].int64_list.value) == [0, 1]
    assert back.features.feature["x"].WhichOneof("kind") == "float_list"
    assert str(tf.train.Feature(int64_list=tf.train.Int64List(value=[1, 2]))) == (
        "int64_list {\n  value: 1\n  value: 2\n}\n"
    )


def _features(tf):
    return {
        "x": tf.io.FixedLenFeature([2], tf.float32),
        "y": tf.io.FixedLenFeature([], tf.int64),
        "name": tf.io.FixedLenFeature([], tf.string),
        "w": tf.io.FixedLenFeature([2], tf.float32, default_value=[0.5, 1.5]),
    }


def test_parse_single_example_values(tf):
    rec = list(tf.data.TFRecordDataset(_data("examples.tfrecord")).as_numpy_iterator())[2]
    out = tf.io.parse_single_example(rec, _features(tf))
    np.testing.assert_array_equal(out["x"].numpy(), np.array([2.0, 2.5], np.float32))
    assert out["x"].dtype == tf.float32 and out["y"].dtype == tf.int64
    assert int(out["y"]) == 20 and out["name"].numpy() == b"ex2"
    np.testing.assert_array_equal(out["w"].numpy(), [0.5, 1.5])
    tags = tf.io.parse_single_example(rec, {"tags": tf.io.VarLenFeature(tf.int64)})["tags"]
    np.testing.assert_array_equal(tags.values.numpy(), [0, 1])
    np.testing.assert_array_equal(tags.indices.numpy(), [[0], [1]])
    np.testing.assert_array_equal(tags.dense_shape.numpy(), [2])
    seq = tf.io.parse_single_example(
        rec, {"tags": tf.io.FixedLenSequenceFeature([], tf.int64, allow_missing=True)}
    )
    np.testing.assert_array_equal(seq["tags"].numpy(), [0, 1])


def test_parse_example_batch(tf):
    recs = list(tf.data.TFRecordDataset(_data("examples.tfrecord")).as_numpy_iterator())
    out = tf.io.parse_example(
        recs,
        {
            **_features(tf),
            "tags": tf.io.VarLenFeature(tf.int64),
            "seq": tf.io.FixedLenSequenceFeature([], tf.int64, allow_missing=True),
        },
    )
    np.testing.assert_array_equal(out["x"].numpy(), [[0, 0.5], [1, 1.5], [2, 2.5]])
    np.testing.assert_array_equal(out["y"].numpy(), [0, 10, 20])
    assert out["name"].numpy().tolist() == [b"ex0", b"ex1", b"ex2"]
    np.testing.assert_array_equal(out["w"].numpy(), [[0.5, 1.5]] * 3)
    np.testing.assert_array_equal(out["tags"].indices.numpy(), [[1, 0], [2, 0], [2, 1]])
    np.testing.assert_array_equal(out["tags"].values.numpy(), [0, 0, 1])
    np.testing.assert_array_equal(out["tags"].dense_shape.numpy(), [3, 2])
    assert out["seq"].shape == (3, 0)
    tags = tf.io.parse_example(
        recs,
        {
            "tags": tf.io.FixedLenSequenceFeature(
                [], tf.int64, allow_missing=True, default_value=-1
            )
        },  # fmt: skip
    )["tags"]
    np.testing.assert_array_equal(tags.numpy(), [[-1, -1], [0, -1], [0, 1]])


def test_parse_errors(tf):
    rec = _example(tf, 1).SerializeToString()
    missing = r"Feature: z \(data type: float\) is required but could not be found"
    with pytest.raises(tf.errors.InvalidArgumentError, match=missing):
        tf.io.parse_single_example(rec, {"z": tf.io.FixedLenFeature([], tf.float32)})
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Key: x.  Can't parse serialized Example"):  # fmt: skip
        tf.io.parse_single_example(rec, {"x": tf.io.FixedLenFeature([3], tf.float32)})
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Key: x.  Data types don't match. Data type: float but expected "
                             "type: int64"):  # fmt: skip
        tf.io.parse_single_example(rec, {"x": tf.io.FixedLenFeature([2], tf.int64)})
    with pytest.raises(tf.errors.InvalidArgumentError, match="Could not parse example input"):
        tf.io.parse_single_example(b"\x0a\x05abc", {"x": tf.io.FixedLenFeature([2], tf.float32)})
    with pytest.raises(ValueError, match="features cannot be empty"):
        tf.io.parse_single_example(rec, {})
    with pytest.raises(ValueError, match="Missing shape for feature x"):
        tf.io.parse_single_example(rec, {"x": tf.io.FixedLenFeature(None, tf.float32)})
    with pytest.raises(ValueError, match="Input serialized must be a scalar"):
        tf.io.parse_single_example([rec], {"x": tf.io.FixedLenFeature([2], tf.float32)})
    with pytest.raises(ValueError, match="requires allow_missing to be True"):
        tf.io.parse_single_example(rec, {"x": tf.io.FixedLenSequenceFeature([], tf.float32)})


def test_parse_in_dataset_map_and_in_a_function(tf):
    spec = {
        "x": tf.io.FixedLenFeature([2], tf.float32),
        "name": tf.io.FixedLenFeature([], tf.string),
    }
    ds = tf.data.TFRecordDataset(_data("examples.tfrecord")).map(
        lambda r: tf.io.parse_single_example(r, spec)
    )
    assert ds.element_spec == {
        "x": tf.TensorSpec([2], tf.float32),
        "name": tf.TensorSpec([], tf.string),
    }
    got = list(ds.as_numpy_iterator())
    assert [g["name"] for g in got] == [b"ex0", b"ex1", b"ex2"]
    np.testing.assert_array_equal(got[1]["x"], [1.0, 1.5])
    batched = tf.data.TFRecordDataset(_data("examples.tfrecord")).batch(2)
    parsed = batched.map(lambda r: tf.io.parse_example(r, spec))
    assert parsed.element_spec["x"] == tf.TensorSpec([None, 2], tf.float32)
    first = next(iter(parsed))
    np.testing.assert_array_equal(first["x"].numpy(), [[0, 0.5], [1, 1.5]])

    traced = tf.function(lambda r: tf.io.parse_single_example(r, spec)["x"] * 2.0)
    rec = _example(tf, 2).SerializeToString()
    np.testing.assert_array_equal(traced(tf.constant(rec)).numpy(), [4.0, 5.0])


def test_shared_iterator_from_four_threads(tf):
    ds = tf.data.Dataset.range(2000).map(lambda x: x * 2)
    it = iter(ds)
    seen, lock = [], threading.Lock()

    def worker():
        while True:
            try:
                v = next(it)
            except StopIteration:
                return
            with lock:
                seen.append(int(v))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == list(range(0, 4000, 2))


# ---- serialized tensors, gfile, Dataset.save / load ------------------------------------------


def _bytes(t):
    return np.asarray(t.numpy(), dtype=object).item()


def test_serialize_tensor_bytes_and_round_trip(tf):
    header = b"\x08\x03\x12\x08\x12\x02\x08\x01\x12\x02\x08\x02"  # int32, shape [1, 2]
    content = b'"\x08\x01\x00\x00\x00\x02\x00\x00\x00'  # tensor_content, little-endian
    assert _bytes(tf.io.serialize_tensor(tf.constant([[1, 2]], tf.int32))) == header + content
    assert _bytes(tf.io.serialize_tensor(tf.constant(3.5))) == b'\x08\x01\x12\x00"\x04\x00\x00`@'
    strings = tf.constant(np.array([b"ab", b"c"], dtype=object))
    assert _bytes(tf.io.serialize_tensor(strings)) == (
        b"\x08\x07\x12\x04\x12\x02\x08\x02B\x02abB\x01c"
    )
    x = np.arange(12, dtype=np.float64).reshape(3, 4) / 7
    back = tf.io.parse_tensor(tf.io.serialize_tensor(tf.constant(x)), tf.float64)
    assert back.dtype == tf.float64
    np.testing.assert_array_equal(back.numpy(), x)
    s = tf.io.parse_tensor(tf.io.serialize_tensor(strings), tf.string)
    assert s.numpy().tolist() == [b"ab", b"c"]
    mismatch = r"Type mismatch between parsed tensor \(float\) and dtype \(int32\)"
    with pytest.raises(tf.errors.InvalidArgumentError, match=mismatch):
        tf.io.parse_tensor(tf.io.serialize_tensor(tf.constant([1.0])), tf.int32)


def test_gfile(tf, tmp_path):
    root = str(tmp_path / "a" / "b")
    tf.io.gfile.makedirs(root)
    tf.io.gfile.makedirs(root)  # existing: fine
    assert tf.io.gfile.isdir(root) and tf.io.gfile.exists(root)
    name = tf.io.gfile.join(root, "f.txt")
    with tf.io.gfile.GFile(name, "w") as f:
        f.write("hi\nthere\n")
    assert tf.io.gfile.GFile(name).read() == "hi\nthere\n"
    assert list(tf.io.gfile.GFile(name)) == ["hi\n", "there\n"]
    assert tf.io.gfile.GFile(name, "rb").read() == b"hi\nthere\n"
    assert tf.io.gfile.stat(name).length == 9 and not tf.io.gfile.stat(name).is_directory
    assert tf.io.gfile.glob(str(tmp_path / "a" / "*" / "*.txt")) == [name]
    assert tf.io.gfile.listdir(root) == ["f.txt"]
    tf.io.gfile.copy(name, name + ".bak")
    with pytest.raises(tf.errors.AlreadyExistsError):
        tf.io.gfile.copy(name, name + ".bak")
    tf.io.gfile.rename(name + ".bak", name + ".old")
    assert sorted(tf.io.gfile.listdir(root)) == ["f.txt", "f.txt.old"]
    tf.io.gfile.remove(name)
    with pytest.raises(tf.errors.NotFoundError):
        tf.io.gfile.remove(name)
    with pytest.raises(tf.errors.NotFoundError):
        tf.io.gfile.GFile(name).read()
    with pytest.raises(tf.errors.NotFoundError, match="Could not find directory"):
        tf.io.gfile.listdir(str(tmp_path / "none"))
    tf.io.gfile.rmtree(str(tmp_path / "a"))
    assert not tf.io.gfile.exists(str(tmp_path / "a"))
    tf.io.write_file(str(tmp_path / "w" / "x.bin"), b"\x00\x01")
    assert _bytes(tf.io.read_file(str(tmp_path / "w" / "x.bin"))) == b"\x00\x01"


def test_dataset_save_and_load(tf, tmp_path):
    ds = tf.data.Dataset.range(6).map(
        lambda x: {"a": x, "b": (tf.cast(x, tf.float32) / 2, tf.fill([2], x))}
    )
    ds.save(str(tmp_path / "plain"))
    back = tf.data.Dataset.load(str(tmp_path / "plain"))
    assert back.element_spec == ds.element_spec
    assert int(back.cardinality()) == 6
    got = list(back.as_numpy_iterator())
    assert [int(g["a"]) for g in got] == list(range(6))
    np.testing.assert_array_equal(got[3]["b"][1], [3, 3])
    assert float(got[5]["b"][0]) == 2.5
    strings = tf.data.Dataset.from_tensor_slices(["x", "yy", ""])
    strings.save(str(tmp_path / "gz"), compression="GZIP")
    loaded = tf.data.Dataset.load(str(tmp_path / "gz"), compression="GZIP")
    assert list(loaded.as_numpy_iterator()) == [b"x", b"yy", b""]
    tf.data.Dataset.range(10).save(str(tmp_path / "sharded"), shard_func=lambda x: x % 3)
    values = [int(v) for v in tf.data.Dataset.load(str(tmp_path / "sharded"))]
    assert sorted(values) == list(range(10))
    with pytest.raises(tf.errors.NotFoundError, match="element_spec file not found"):
        tf.data.Dataset.load(str(tmp_path / "missing"))
