"""tf.data file readers: TFRecordDataset (+ Example parsing in map), CsvDataset and
make_csv_dataset, and iterators shared between threads."""

from __future__ import annotations

import collections
import gzip
import threading

import numpy as np
import pytest

from tensorhouse_components import data
from tensorhouse_components import ops as tf
from tensorhouse_components.data import _csv


def _example(i):
    return tf.train.Example(
        features=tf.train.Features(
            feature={
                "x": tf.train.Feature(float_list=tf.train.FloatList(value=[i, -i, 0.5 * i])),
                "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[i % 3])),
            }
        )
    ).SerializeToString()


@pytest.fixture
def example_files(tmp_path):
    paths = []
    for f in range(2):
        paths.append(str(tmp_path / f"part-{f}.tfrecord"))
        with tf.io.TFRecordWriter(paths[-1], "ZLIB" if f else None) as w:
            for i in range(f * 10, f * 10 + 10):
                w.write(_example(i))
    return paths


FEATURES = {
    "x": tf.io.FixedLenFeature([3], tf.float32),
    "label": tf.io.FixedLenFeature([], tf.int64),
}


def test_tfrecords_parsed_in_a_parallel_map(example_files):
    plain = data.TFRecordDataset(example_files[0], buffer_size=64)
    zipped = data.TFRecordDataset(example_files[1], compression_type="ZLIB")
    ds = (
        plain.concatenate(zipped)
        .map(lambda r: tf.io.parse_single_example(r, FEATURES), num_parallel_calls=2)
        .map(lambda d: (d["x"], d["label"]))
        .batch(8)
    )
    assert ds.element_spec == (
        tf.TensorSpec([None, 3], tf.float32),
        tf.TensorSpec([None], tf.int64),
    )
    xs, labels = zip(*ds.as_numpy_iterator())
    x = np.concatenate(xs)
    i = np.arange(20, dtype=np.float32)
    np.testing.assert_array_equal(x, np.stack([i, -i, 0.5 * i], axis=1))
    np.testing.assert_array_equal(np.concatenate(labels), np.arange(20) % 3)


def test_tfrecords_batched_then_parse_example(example_files):
    ds = (
        data.TFRecordDataset(example_files[:1])
        .batch(4)
        .map(lambda r: tf.io.parse_example(r, FEATURES))
    )
    assert ds.element_spec["x"] == tf.TensorSpec([None, 3], tf.float32)
    sizes = [b["label"].shape[0] for b in ds.as_numpy_iterator()]
    assert sizes == [4, 4, 2]


def test_tfrecord_file_names_from_a_tensor_and_a_traced_map(example_files):
    names = tf.constant(np.array(example_files[:1], dtype=object))
    ds = data.TFRecordDataset(names).map(
        tf.function(lambda r: tf.io.parse_single_example(r, FEATURES)["label"])
    )
    assert [int(v) for v in ds] == [i % 3 for i in range(10)]


@pytest.mark.parametrize("make", ["iter", "numpy"])
def test_one_iterator_shared_by_four_threads(make):
    ds = data.Dataset.range(3000).map(lambda x: x + 1, num_parallel_calls=2).prefetch(4)
    it = iter(ds) if make == "iter" else ds.as_numpy_iterator()
    seen, lock, failures = [], threading.Lock(), []

    def worker():
        try:
            for v in it:
                with lock:
                    seen.append(int(v))
        except Exception as e:  # recorded, asserted below
            failures.append(e)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert len(seen) == 3000 and sorted(seen) == list(range(1, 3001))


def test_shared_iterator_get_next_raises_out_of_range_for_every_thread():
    it = iter(data.Dataset.range(10))
    ends = []

    def worker():
        while True:
            try:
                it.get_next()
            except tf.errors.OutOfRangeError:
                ends.append(1)
                return

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ends) == 4


# ---- CSV --------------------------------------------------------------------------------------


def test_type_inference_widens_in_tfs_order():
    def infer(values, na=""):
        t = None
        for v in values:
            t = _csv._infer(v, na, t)
        return t

    assert infer(["1", "-7"]) == "int32"
    assert infer(["1", str(2**40)]) == "int64"
    assert infer(["1", "2.5"]) == "float32"
    assert infer(["1", "1e300"]) == "float64"
    assert infer(["1", "x", "2"]) == "string"
    assert infer(["", "NA"], na="NA") is None


def test_make_csv_dataset_gzip_ignore_errors_and_int64(tmp_path):
    path = tmp_path / "big.csv.gz"
    rows = ["id,v"] + [f"{2**40 + i},{i / 4}" for i in range(6)]
    rows.insert(3, "oops,1.0")  # not an int64: skipped with ignore_errors
    path.write_bytes(gzip.compress(("\n".join(rows) + "\n").encode()))
    ds = _csv.make_csv_dataset(
        str(path), batch_size=3, compression_type="GZIP", column_defaults=[tf.int64, tf.float64],
        shuffle=False, num_epochs=1, ignore_errors=True,
    )  # fmt: skip
    assert ds.element_spec["id"] == tf.TensorSpec([None], tf.int64)
    batches = list(ds.as_numpy_iterator())
    ids = np.concatenate([b["id"] for b in batches])
    np.testing.assert_array_equal(ids, 2**40 + np.arange(6))
    np.testing.assert_array_equal(np.concatenate([b["v"] for b in batches]), np.arange(6) / 4)


def test_ordered_dicts_survive_map_batch_unbatch(tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("z,a,m\n1,2,3\n4,5,6\n")
    ds = _csv.make_csv_dataset(str(path), batch_size=2, shuffle=False, num_epochs=1)
    assert list(ds.element_spec) == ["z", "a", "m"]
    flat = ds.unbatch().map(lambda d: collections.OrderedDict((k, v * 2) for k, v in d.items()))
    assert isinstance(flat.element_spec, collections.OrderedDict)
    got = list(flat.as_numpy_iterator())
    assert [list(g) for g in got] == [["z", "a", "m"]] * 2
    assert [int(g["m"]) for g in got] == [6, 12]


# ---- save / load ------------------------------------------------------------------------------

Pair = collections.namedtuple("Pair", ["left", "right"])


def test_save_load_keeps_structure_values_and_shards(tmp_path):
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    ds = data.Dataset.from_tensor_slices(
        collections.OrderedDict(
            [("z", Pair(x, np.arange(6))), ("a", np.array([b"p", b"q", b"", b"r", b"s", b"t"]))]
        )
    )
    ds.save(str(tmp_path / "s"), compression="ZLIB", shard_func=lambda d: d["z"].right % 2)
    back = data.Dataset.load(str(tmp_path / "s"))
    spec = back.element_spec
    assert isinstance(spec, collections.OrderedDict) and list(spec) == ["z", "a"]
    assert type(spec["z"]).__name__ == "Pair" and spec["z"].left == tf.TensorSpec([2], "float32")
    assert int(back.cardinality()) == 6
    got = list(back.as_numpy_iterator())
    order = [int(g["z"].right) for g in got]
    assert order == [0, 2, 4, 1, 3, 5]  # shard 0, then shard 1
    for g in got:
        i = int(g["z"].right)
        np.testing.assert_array_equal(g["z"].left, x[i])
    assert [g["a"] for g in got] == [b"p", b"", b"s", b"q", b"r", b"t"]
    assert sorted((tmp_path / "s" / "shards").iterdir())[0].name == "00000000.shard"
