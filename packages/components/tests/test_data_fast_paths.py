"""The batch-at-once paths of ``tf.data``: a shuffled ``from_tensor_slices`` batched by one
gather per component, and ``TFRecordDataset(...).batch`` cut from the reader's record lists.
Each must give what the element-by-element pipeline gives."""

from __future__ import annotations

import collections
import threading

import numpy as np
import pytest

from tensorhouse_components import data
from tensorhouse_components import ops as tf
from tensorhouse_components.data import _threads


def _values(ds):
    return [tf.nest.map_structure(lambda t: t.numpy(), e) for e in ds]


def _assert_same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        for u, v in zip(tf.nest.flatten(x), tf.nest.flatten(y)):
            np.testing.assert_array_equal(u, v)


def _slow(ds):
    """``ds`` without its batch-at-once shortcut (a ``map`` loses the row source)."""
    return ds.map(lambda *e: e if len(e) > 1 else e[0])


@pytest.mark.parametrize("buffer_size", [1, 7, 50, 1000])
@pytest.mark.parametrize("drop_remainder", [False, True])
def test_shuffled_slices_batch_by_gather_in_the_element_order(buffer_size, drop_remainder):
    x = np.arange(103 * 3, dtype=np.float32).reshape(103, 3)
    y = np.arange(103)
    fast = data.Dataset.from_tensor_slices((x, y)).shuffle(buffer_size, seed=4)
    slow = _slow(data.Dataset.from_tensor_slices((x, y))).shuffle(buffer_size, seed=4)
    got = _values(fast.batch(10, drop_remainder=drop_remainder))
    _assert_same(got, _values(slow.batch(10, drop_remainder=drop_remainder)))
    _assert_same(_values(fast), _values(slow))  # row by row too
    rows = np.concatenate([b[1] for b in got])
    assert len(got) == (10 if drop_remainder else 11)
    if not drop_remainder:
        assert sorted(rows.tolist()) == list(range(103))  # a permutation
    for b in got:
        np.testing.assert_array_equal(b[0], x[b[1]])  # components stay together
    assert all(r < k + buffer_size for k, r in enumerate(rows))  # drawn from the buffer
    if buffer_size == 1:
        assert rows.tolist() == list(range(len(rows)))  # a buffer of one keeps the order


def test_shuffle_order_is_seeded_and_new_each_pass():
    ds = data.Dataset.from_tensor_slices(np.arange(200)).shuffle(50, seed=1).batch(20)
    first, second = _values(ds), _values(ds)
    assert np.concatenate(first).tolist() != np.concatenate(second).tolist()
    again = data.Dataset.from_tensor_slices(np.arange(200)).shuffle(50, seed=1).batch(20)
    _assert_same(_values(again), first)
    fixed = data.Dataset.from_tensor_slices(np.arange(200)).shuffle(
        50, seed=1, reshuffle_each_iteration=False
    )
    _assert_same(_values(fixed.batch(20)), _values(fixed.batch(20)))


def test_shuffled_dict_and_string_slices():
    names = np.array([f"r{i}".encode() for i in range(30)], dtype=object)
    Row = collections.namedtuple("Row", "a b")
    elements = {"name": names, "row": Row(np.arange(30), np.arange(30) * 2.0)}
    ds = data.Dataset.from_tensor_slices(elements).shuffle(8, seed=3).batch(4)
    got = _values(ds)
    slow = _values(_slow(data.Dataset.from_tensor_slices(elements)).shuffle(8, seed=3).batch(4))
    _assert_same(got, slow)
    assert isinstance(got[0]["row"], Row) and got[0]["name"].dtype == object
    for b in got:
        assert b["name"].tolist() == [f"r{i}".encode() for i in b["row"].a]
        np.testing.assert_array_equal(b["row"].b, b["row"].a * 2.0)
    assert ds.element_spec["name"].shape.as_list() == [None]


def _write_records(path, records):
    with tf.io.TFRecordWriter(str(path)) as w:
        for r in records:
            w.write(r)


@pytest.mark.parametrize("batch_size", [1, 3, 64])
@pytest.mark.parametrize("drop_remainder", [False, True])
def test_tfrecord_batches_match_record_by_record(tmp_path, batch_size, drop_remainder):
    files = []
    for k, count in enumerate([5, 0, 11]):
        path = tmp_path / f"f{k}.tfrecord"
        _write_records(path, [f"{k}-{i}".encode() * (i + 1) for i in range(count)])
        files.append(str(path))
    fast = data.TFRecordDataset(files).batch(batch_size, drop_remainder=drop_remainder)
    slow = _slow(data.TFRecordDataset(files)).batch(batch_size, drop_remainder=drop_remainder)
    got = _values(fast)
    _assert_same(got, _values(slow))
    flat = [r for b in got for r in b.tolist()]
    every = [f"{k}-{i}".encode() * (i + 1) for k, n in enumerate([5, 0, 11]) for i in range(n)]
    assert flat == (every[: len(every) - len(every) % batch_size] if drop_remainder else every)
    assert fast.element_spec == tf.TensorSpec([batch_size if drop_remainder else None], tf.string)


def test_tfrecord_batches_parse_and_report_corruption(tmp_path):
    path = tmp_path / "r.tfrecord"
    records = [
        tf.train.Example(
            features=tf.train.Features(
                feature={"v": tf.train.Feature(int64_list=tf.train.Int64List(value=[i, -i]))}
            )
        ).SerializeToString()
        for i in range(10)
    ]
    _write_records(path, records)
    spec = {"v": tf.io.FixedLenFeature([2], tf.int64)}
    ds = data.TFRecordDataset(str(path)).batch(4).map(lambda r: tf.io.parse_example(r, spec))
    got = np.concatenate([b["v"] for b in _values(ds)])
    np.testing.assert_array_equal(got, np.stack([np.arange(10), -np.arange(10)], 1))
    raw = bytearray(path.read_bytes())
    raw[-5] ^= 0xFF  # inside the last record's data
    path.write_bytes(bytes(raw))
    seen = []
    with pytest.raises(tf.errors.DataLossError, match="corrupted record at"):
        for b in data.TFRecordDataset(str(path)).batch(4):
            seen.append(b)
    assert [len(b) for b in seen] == [4, 4]  # the whole batches before the bad record


# ---- AUTOTUNE's parallelism ---------------------------------------------------------------------


class _Clock:
    """A fake ``time.perf_counter`` that moves by the cost of each delivered element."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.mark.parametrize("faster", [1, 4])
def test_tuner_settles_on_the_faster_parallelism(monkeypatch, faster):
    clock = _Clock()
    monkeypatch.setattr(_threads.time, "perf_counter", clock)
    tuner = _threads.Tuner(4, window=10, revisit=5)
    tried = []
    for _ in range(400):
        tried.append(tuner.limit)
        clock.now += 1.0 if tuner.limit == faster else 3.0  # seconds per element
        tuner.step()
    assert tried[0] == 4 and {1, 2, 4} <= set(tried)  # every setting measured
    settled = tried[200:]
    assert settled.count(faster) > 0.6 * len(settled)


def test_autotuned_map_keeps_order_and_errors_as_its_parallelism_changes(monkeypatch):
    tuner = _threads.Tuner
    monkeypatch.setattr(_threads, "Tuner", lambda most: tuner(most, window=3, revisit=2))
    threads = set()

    def slow_square(x):
        threads.add(threading.current_thread().name.split("_")[0])
        return x * x

    ds = data.Dataset.range(300).map(
        lambda x: tf.py_function(slow_square, [x], tf.int64), num_parallel_calls=data.AUTOTUNE
    )
    ds = ds.with_options(_two_threads())
    assert [int(v) for v in ds] == [i * i for i in range(300)]
    assert threads == {"tensorhouse-map"}  # never on the consumer's thread
    threads.clear()
    assert [int(v) for v in ds.prefetch(2)] == [i * i for i in range(300)]
    assert threads == {"tensorhouse-map", "tensorhouse-prefetch"}  # one at a time: inline

    def fail(x):
        if int(x) == 100:
            raise KeyError("element 100")
        return x

    bad = (
        data.Dataset.range(300)
        .map(lambda x: tf.py_function(fail, [x], tf.int64), num_parallel_calls=data.AUTOTUNE)
        .with_options(_two_threads())
    )
    with pytest.raises(tf.errors.UnknownError, match="KeyError: 'element 100'"):
        list(bad)


def _two_threads():
    options = data.Options()
    options.threading.private_threadpool_size = 2
    return options


def test_parallel_map_hands_runs_of_elements_to_its_workers(monkeypatch):
    """Cheap calls go to the workers in runs (one handoff for many elements), in order, and an
    error, the map's or the input's, reaches the consumer after every element before it."""
    sizes = []
    run = _threads._map_run
    monkeypatch.setattr(_threads, "_map_run", lambda fn, xs: sizes.append(len(xs)) or run(fn, xs))
    assert list(_threads.parallel_map(lambda v: v * 2, iter(range(3000)), 2)) == [
        2 * i for i in range(3000)
    ]
    assert sizes[0] == 1 and max(sizes) > 1 and sum(sizes) == 3000

    def fail(v):
        if v == 700:
            raise ValueError("map 700")
        return v

    got = []
    with pytest.raises(ValueError, match="map 700"):
        got.extend(_threads.parallel_map(fail, iter(range(3000)), 2))
    assert got == list(range(700))

    def source():
        yield from range(900)
        raise KeyError("input 900")

    got = []
    with pytest.raises(KeyError, match="input 900"):
        got.extend(_threads.parallel_map(lambda v: v, source(), 2, deterministic=False))
    assert sorted(got) == list(range(900))
