"""The rest of tf.data's API (issue 15) against hand-computed and NumPy values: the Philox
stream of ``Dataset.random``, ``FixedLengthRecordDataset``, ``SqlDataset``, ``ignore_errors``,
``rejection_resample``, ``sparse_batch``, ``snapshot``, ``fingerprint``, the experimental
transformations, and that their functions trace once."""

from __future__ import annotations

import logging
import os
import sqlite3
import zlib

import numpy as np
import pytest

import tensorhouse_components as tc
from tensorhouse_components.data import _more_sources
from tensorhouse_ops import (
    SparseTensor,
    TensorSpec,
    constant,
    debugging,
    errors,
    function,
    random,
)
from tensorhouse_ops import io as tf_io

D = tc.data.Dataset
E = tc.data.experimental


@pytest.fixture(autouse=True)
def _no_global_seed():
    """Op seeds alone (another test may have left a global seed set)."""
    random.set_seed(None)
    yield
    random.set_seed(None)


def _vals(ds):
    return [np.asarray(v).tolist() for v in ds.as_numpy_iterator()]


# ---- Dataset.random: Philox4x32-10 ---------------------------------------------------------


def test_philox_known_answers():
    # Random123's known-answer vectors for philox4x32_10 (counter, key -> output)
    assert _more_sources.philox(0, 0, 0, 1).tolist() == [
        0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8
    ]  # fmt: skip
    ones = 2**64 - 1
    assert _more_sources.philox(ones, ones, ones, 1).tolist() == [
        0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD
    ]  # fmt: skip
    out = _more_sources.philox(
        (0x299F31D0 << 32) | 0xA4093822, (0x03707344 << 32) | 0x13198A2E,
        (0x85A308D3 << 32) | 0x243F6A88, 1,
    )  # fmt: skip
    assert out.tolist() == [0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1]


def test_random_stream_runs_on_across_blocks():
    seed = (87654321, 4)  # what an op seed of 4 gives without a global seed
    want = _more_sources.philox(*seed, 0, 1100).astype(np.int64).tolist()
    assert _vals(D.random(seed=4).take(4400)) == want
    assert all(0 <= v < 2**32 for v in want)


def test_random_rerandomizes_each_pass_from_the_seed_stream():
    draws = _more_sources.philox(87654321, 4, 0, 2).tolist()  # pass k: draws 2k and 2k + 1
    ds = D.random(seed=4, rerandomize_each_iteration=True).take(3)
    for k in range(4):
        s1, s2 = draws[2 * k], draws[2 * k + 1]
        assert _vals(ds) == _more_sources.philox(s1, s2, 0, 1)[:3].tolist()


def test_random_without_any_seed_draws_anew_each_pass():
    # TF in a fresh process: the kernel picks new seeds for each iterator
    unseeded = D.random().take(4)
    assert _vals(unseeded) != _vals(unseeded)


def test_counter_steps_and_dtypes():
    assert _vals(D.counter(10, -3).take(4)) == [10, 7, 4, 1]
    assert D.counter(dtype="float32").element_spec.dtype.name == "float32"
    assert _vals(E.Counter(0, 2, "int16").take(3)) == [0, 2, 4]


# ---- file and database sources ---------------------------------------------------------------


def test_fixed_length_records_zlib_and_parallel(tmp_path):
    names = []
    for i in range(3):
        p = tmp_path / f"f{i}.z"
        p.write_bytes(zlib.compress(b"#" + b"abc"[i : i + 1] * 2 * (i + 1) + b"$$"))
        names.append(str(p))
    ds = tc.data.FixedLengthRecordDataset(names, 2, 1, 2, compression_type="ZLIB")
    seq = _vals(ds)
    assert seq == [b"aa"] + [b"bb"] * 2 + [b"cc"] * 3
    par = _vals(tc.data.FixedLengthRecordDataset(names, 2, 1, 2, None, "ZLIB", 2))
    # two files at a time, a record each in turn; the third takes the first's place from the
    # next turn on (TF's order, checked in tests/compat)
    assert par == [b"aa", b"bb", b"bb", b"cc", b"cc", b"cc"]
    with pytest.raises(errors.InvalidArgumentError, match="record_bytes must be positive"):
        tc.data.FixedLengthRecordDataset(names, 0)
    with pytest.raises(errors.NotFoundError):
        _vals(tc.data.FixedLengthRecordDataset(str(tmp_path / "missing"), 2))


def test_sql_dataset_single_type_and_errors(tmp_path):
    db = str(tmp_path / "t.db")
    with sqlite3.connect(db) as c:
        c.execute("CREATE TABLE t (n INTEGER)")
        c.executemany("INSERT INTO t VALUES (?)", [(3,), (1,), (2,)])
    c.close()
    ds = E.SqlDataset("sqlite", db, "SELECT n FROM t ORDER BY n DESC", "int64")
    assert ds.element_spec.dtype.name == "int64" and _vals(ds) == [3, 2, 1]
    with pytest.raises(errors.InvalidArgumentError, match="number of columns in query"):
        _vals(E.SqlDataset("sqlite", db, "SELECT n, n FROM t", ("int64",)))
    with pytest.raises(errors.InvalidArgumentError, match="Sqlite error"):
        _vals(E.SqlDataset("sqlite", db, "SELECT nope FROM t", ("int64",)))


def test_tfrecord_writer_gzip_round_trip(tmp_path):
    path = str(tmp_path / "r.gz")
    E.TFRecordWriter(path, "GZIP").write(D.from_tensor_slices([b"a", b"bc", b""]))
    assert list(tf_io.read_records(path, "GZIP")) == [b"a", b"bc", b""]
    assert _vals(tc.data.TFRecordDataset(path, "GZIP")) == [b"a", b"bc", b""]


# ---- ignore_errors ----------------------------------------------------------------------------


def test_ignore_errors_keeps_going_after_map_failures(caplog):
    ds = D.from_tensor_slices(np.array([1, 0, 2, 0, 4], np.float32))
    ds = ds.map(lambda x: debugging.check_numerics(1.0 / x, "bad")).map(lambda x: x + 1.0)
    with caplog.at_level(logging.WARNING, logger="tensorhouse.data"):
        assert _vals(ds.ignore_errors(log_warning=True)) == [2.0, 1.5, 1.25]
    assert sum("Tensor had Inf values" in r.getMessage() for r in caplog.records) == 2
    assert _vals(ds.ignore_errors().batch(2)) == [[2.0, 1.5], [1.25]]
    with pytest.raises(errors.InvalidArgumentError):  # without it the error surfaces
        _vals(ds)


def test_ignore_errors_inside_a_dataset_function():
    def inner(x):
        vals = D.from_tensor_slices(np.array([1.0, 0.0, 2.0], np.float32))
        return vals.map(lambda v: debugging.check_numerics(x / v, "bad")).ignore_errors()

    out = D.from_tensor_slices(np.array([2.0, 4.0], np.float32)).flat_map(inner)
    assert _vals(out) == [2.0, 1.0, 4.0, 2.0]


def test_ignore_errors_ends_the_pass_at_a_source_failure(tmp_path, caplog):
    good = tmp_path / "good.txt"
    good.write_text("a\nb\n")
    ds = tc.data.TextLineDataset([str(good), str(tmp_path / "missing.txt")]).ignore_errors()
    with caplog.at_level(logging.WARNING, logger="tensorhouse.data"):
        assert _vals(ds) == [b"a", b"b"]
    assert "the pass ends at an error outside a map function" in caplog.text


# ---- rejection_resample -----------------------------------------------------------------------


def test_rejection_resample_with_estimated_initial_dist():
    labels = np.array([0] * 80 + [1] * 20, np.int64)
    data = D.from_tensor_slices(labels).shuffle(100, seed=3).repeat(30)
    out = data.rejection_resample(lambda x: x, [0.5, 0.5], seed=5)
    classes = [c for c, _ in out.as_numpy_iterator()]
    assert abs(np.mean(classes) - 0.5) < 0.05  # was 0.2
    again = [c for c, _ in out.as_numpy_iterator()]
    assert len(again) != len(classes) or again != classes  # a new draw each pass
    with pytest.raises(errors.InvalidArgumentError, match="outside"):
        _vals(D.from_tensors(np.int64(5)).rejection_resample(lambda x: x, [0.5, 0.5]))


# ---- sparse_batch ---------------------------------------------------------------------------


def test_sparse_batch_matches_dense_rows():
    rows = [np.arange(6).reshape(2, 3), np.arange(4).reshape(1, 4) + 10]
    ds = D.from_generator(lambda: iter(rows), output_signature=TensorSpec([None, None],
                          "int64"))  # fmt: skip
    (batch,) = list(ds.sparse_batch(4, [3, None]))
    assert isinstance(batch, SparseTensor)
    dense = np.zeros(batch.dense_shape.numpy(), np.int64)
    for idx, v in zip(batch.indices.numpy(), batch.values.numpy()):
        dense[tuple(idx)] = v
    want = np.zeros((2, 3, 4), np.int64)
    want[0, :2, :3], want[1, :1, :4] = rows
    assert batch.dense_shape.numpy().tolist() == [2, 3, 4]
    np.testing.assert_array_equal(dense, want)


# ---- snapshot and fingerprint ---------------------------------------------------------------


def _counted(n, calls):
    def gen():
        calls.append(1)
        yield from range(n)

    return D.from_generator(gen, output_signature=TensorSpec([], "int64"))


def test_snapshot_shards_compression_and_reuse(tmp_path):
    calls, path = [], str(tmp_path / "s")
    snap = _counted(6, calls).snapshot(path, "GZIP", shard_func=lambda x: x % 2)
    assert _vals(snap) == list(range(6))
    (run,) = os.listdir(path)
    assert sorted(os.listdir(os.path.join(path, run, "shards"))) == [
        "00000000.shard", "00000001.shard"
    ]  # fmt: skip
    assert _vals(snap) == [0, 2, 4, 1, 3, 5] and len(calls) == 1  # shard after shard
    twin = _counted(6, calls).snapshot(path, "GZIP", reader_func=lambda s: s.interleave(
        lambda d: d, cycle_length=2))  # fmt: skip
    assert _vals(twin) == [0, 1, 2, 3, 4, 5] and len(calls) == 1  # the same pipeline: read


def test_snapshot_partial_pass_writes_nothing(tmp_path):
    calls, path = [], str(tmp_path / "s")
    snap = _counted(5, calls).snapshot(path)
    for _ in snap.take(2):
        pass
    it = iter(snap)
    next(it)
    it.close()
    assert os.listdir(path) == []
    assert _vals(snap) == [0, 1, 2, 3, 4] and _vals(snap) == [0, 1, 2, 3, 4]
    assert len(calls) == 3
    with pytest.raises(errors.InvalidArgumentError, match="Unsupported compression"):
        snap.snapshot(path, "SNAPPY")


def test_fingerprint_sees_structure_and_source_data():
    f = lambda ds: int(ds.fingerprint())  # noqa: E731
    a = D.from_tensor_slices(np.array([1, 2, 3]))
    assert f(a) == f(D.from_tensor_slices(np.array([1, 2, 3])))
    assert f(a) != f(D.from_tensor_slices(np.array([1, 2, 4])))
    assert f(a.batch(2)) != f(a.batch(1)) and f(a.map(lambda x: x * 2)) != f(a)
    assert 0 <= f(a) < 2**64


# ---- experimental transformations -------------------------------------------------------------


def test_group_by_reducer_traces_each_function_once():
    calls = {"init": 0, "reduce": 0, "final": 0}

    def init(k):
        calls["init"] += 1
        return constant(0.0)

    def reduce(s, e):
        calls["reduce"] += 1
        return s + e

    def final(s):
        calls["final"] += 1
        return s / 2.0

    data = D.from_tensor_slices(np.arange(50, dtype=np.float32))
    out = data.apply(E.group_by_reducer(lambda x: cast_key(x), E.Reducer(init, reduce, final)))
    sums = [sum(v for v in range(50) if v % 4 == k) / 2.0 for k in range(4)]
    assert _vals(out) == sums
    assert calls == {"init": 1, "reduce": 1, "final": 1}


def cast_key(x):
    from tensorhouse_ops import cast

    return cast(x, "int64") % 4


def test_assert_cardinality_infinite_and_at():
    ds = D.range(3).apply(E.assert_cardinality(tc.data.INFINITE_CARDINALITY))
    assert int(ds.cardinality()) == -1
    with pytest.raises(errors.FailedPreconditionError, match="an infinite number of elements"):
        _vals(ds)
    assert int(E.at(D.range(6).map(lambda x: x * 3).batch(2), 2)[1]) == 15
    with pytest.raises(errors.OutOfRangeError, match=r"\[0, 3\):5"):
        E.at(D.range(6).batch(2), 5)
    with pytest.raises(errors.UnimplementedError, match="Random access is not implemented"):
        E.at(D.range(6).filter(lambda x: x % 2 == 0), 2)


def test_make_batched_features_dataset_repeats_and_shuffles(tmp_path):
    path = str(tmp_path / "r.tfrecord")
    from tensorhouse_ops import train

    with tf_io.TFRecordWriter(path) as w:
        for i in range(6):
            f = {"v": train.Feature(int64_list=train.Int64List(value=[i]))}
            w.write(train.Example(features=train.Features(feature=f)).SerializeToString())
    feats = {"v": tf_io.FixedLenFeature([], "int64")}
    ds = E.make_batched_features_dataset(path, 4, feats, num_epochs=2, shuffle_seed=1)
    values = [v for b in ds.as_numpy_iterator() for v in b["v"].tolist()]
    assert sorted(values) == sorted(list(range(6)) * 2) and values != list(range(6)) * 2
    assert int(ds.cardinality()) == -2
    forever = E.make_batched_features_dataset(path, 4, feats, shuffle=False)
    assert int(forever.cardinality()) == -1
    assert [b["v"].tolist() for b in forever.take(2).as_numpy_iterator()] == [
        [0, 1, 2, 3], [4, 5, 0, 1]
    ]  # fmt: skip


def test_options_groups_repr_and_type_checks():
    o = tc.data.Options()
    o.experimental_optimization.map_fusion = True
    o.experimental_external_state_policy = E.ExternalStatePolicy.FAIL
    assert "map_fusion=True" in repr(o.experimental_optimization)
    other = tc.data.Options()
    assert o != other and o.merge(other) == o
    with pytest.raises(TypeError, match="auto_shard_policy"):
        o.experimental_distribute.auto_shard_policy = 2
    with pytest.raises(AttributeError, match="Cannot set the property x on AutotuneOptions"):
        o.autotune.x = 1


def test_debug_mode_and_device_transformations():
    E.enable_debug_mode()
    ds = D.range(4).apply(E.prefetch_to_device("/job:localhost/replica:0/task:0/device:CPU:0", 2))
    assert _vals(ds) == [0, 1, 2, 3]
    with pytest.raises(ValueError):
        E.copy_to_device("/not a device::")


def test_new_datasets_iterate_inside_a_traced_function():
    ds = D.from_tensor_slices(np.array([1, 0, 4], np.float32))
    ds = ds.map(lambda x: debugging.check_numerics(1.0 / x, "bad")).ignore_errors()
    noisy = D.random(seed=4).take(3).map(lambda v: v % 10)

    @function
    def total():
        s, n = constant(0.0), constant(0, "int64")
        for x in ds:
            s += x
        for v in noisy:
            n += v
        return s, n

    s, n = total()
    want = sum(int(v) % 10 for v in _more_sources.philox(87654321, 4, 0, 1)[:3])
    assert float(s) == 1.25 and int(n) == want
    s, n = total()  # each run iterates anew
    assert float(s) == 1.25 and int(n) == want
