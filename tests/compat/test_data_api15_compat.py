"""The rest of ``tf.data``'s public API (issue 15): ``Dataset.random`` / ``counter`` /
``ignore_errors`` / ``rejection_resample`` / ``sparse_batch`` / ``snapshot`` / ``fingerprint``,
``FixedLengthRecordDataset``, the iterator types, ``Options``' groups and ``tf.data.experimental``;
the same text run on TF 2.21 and on tensorhouse."""

from __future__ import annotations

import gzip
import inspect
import sqlite3

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _no_global_seed(tf):
    """Op seeds alone (another test may have left a global seed set)."""
    tf.random.set_seed(None)
    yield
    tf.random.set_seed(None)


def _plain(v):
    return [_plain(x) for x in v] if isinstance(v, tuple) else np.asarray(v).tolist()


def _vals(ds):
    return [_plain(v) for v in ds.as_numpy_iterator()]


def _card(ds):
    return int(ds.cardinality())


# ---- names and signatures ---------------------------------------------------------------------

_SIGNATURES = {
    "random": "(seed=None, rerandomize_each_iteration=None, name=None)",
    "ignore_errors": "(self, log_warning=False, name=None)",
    "rejection_resample": "(self, class_func, target_dist, initial_dist=None, seed=None, "
    "name=None)",
    "sparse_batch": "(self, batch_size, row_shape, name=None)",
    "snapshot": "(self, path, compression='AUTO', reader_func=None, shard_func=None, name=None)",
    "fingerprint": "(self)",
}
_EXPERIMENTAL = {
    "assert_cardinality": "(expected_cardinality)",
    "group_by_reducer": "(key_func, reducer)",
    "from_list": "(elements, name=None)",
    "get_next_as_optional": "(iterator)",
    "get_structure": "(dataset_or_iterator)",
    "map_and_batch": "(map_func, batch_size, num_parallel_batches=None, drop_remainder=False, "
    "num_parallel_calls=None)",
    "parallel_interleave": "(map_func, cycle_length, block_length=1, sloppy=False, "
    "buffer_output_elements=None, prefetch_input_elements=None)",
    "parse_example_dataset": "(features, num_parallel_calls=1, deterministic=None)",
    "pad_to_cardinality": "(cardinality, mask_key='valid')",
    "shuffle_and_repeat": "(buffer_size, count=None, seed=None)",
    "at": "(dataset, index)",
    "unbatch": "()",
    "unique": "()",
    "scan": "(initial_state, scan_func)",
    "take_while": "(predicate)",
    "ignore_errors": "(log_warning=False)",
    "rejection_resample": "(class_func, target_dist, initial_dist=None, seed=None)",
    "enumerate_dataset": "(start=0)",
    "get_single_element": "(dataset)",
    "load": "(path, element_spec=None, compression=None, reader_func=None)",
    "save": "(dataset, path, compression=None, shard_func=None, checkpoint_args=None)",
    "snapshot": "(path, compression='AUTO', reader_func=None, shard_func=None)",
    "dense_to_sparse_batch": "(batch_size, row_shape)",
    "enable_debug_mode": "()",
    "copy_to_device": "(target_device, source_device='/cpu:0')",
    "prefetch_to_device": "(device, buffer_size=None)",
}


def test_signatures(tf):
    for name, text in _SIGNATURES.items():
        sig = str(inspect.signature(getattr(tf.data.Dataset, name)))
        assert sig.split(" ->")[0] == text, name
    for name, text in _EXPERIMENTAL.items():
        assert str(inspect.signature(getattr(tf.data.experimental, name))) == text, name
    fixed = inspect.signature(tf.data.FixedLengthRecordDataset.__init__)
    assert list(fixed.parameters)[1:] == [
        "filenames", "record_bytes", "header_bytes", "footer_bytes", "buffer_size",
        "compression_type", "num_parallel_reads", "name",
    ]  # fmt: skip
    sql = inspect.signature(tf.data.experimental.SqlDataset.__init__)
    assert list(sql.parameters)[1:] == ["driver_name", "data_source_name", "query", "output_types"]


# ---- sources ----------------------------------------------------------------------------------


def test_random_is_tf_philox_stream(tf):
    r = tf.data.Dataset.random(seed=4)
    assert r.element_spec == tf.TensorSpec([], tf.int64) and _card(r) == -1
    assert _vals(r.take(4)) == [3128586565, 2023892699, 452966358, 4293674553]
    assert _vals(r.take(2)) == [3128586565, 2023892699]  # the same each pass
    again = tf.data.Dataset.random(seed=4, rerandomize_each_iteration=True)
    assert _vals(again.take(2)) == [1905554911, 4215726141]
    assert _vals(again.take(2)) == [1683472663, 2279948892]
    assert repr(r).startswith("<_RandomDataset element_spec=TensorSpec(shape=(), dtype=tf.int64")
    legacy = tf.data.experimental.RandomDataset(seed=4)
    assert isinstance(legacy, tf.data.Dataset) and _vals(legacy.take(1)) == [3128586565]


def test_random_with_global_seed(tf):
    tf.random.set_seed(7)
    assert _vals(tf.data.Dataset.random(seed=4).take(3)) == [3004760025, 2982476881, 1015416266]
    globally = tf.data.Dataset.random().take(4)
    assert _vals(globally) == _vals(globally)  # the global seed fixes it


def test_counter(tf):
    c = tf.data.Dataset.counter()
    assert c.element_spec == tf.TensorSpec([], tf.int64) and _card(c) == -1
    assert _vals(c.take(3)) == [0, 1, 2]
    c = tf.data.Dataset.counter(2, 3, tf.int32)
    assert c.element_spec == tf.TensorSpec([], tf.int32) and _vals(c.take(3)) == [2, 5, 8]
    assert _vals(tf.data.experimental.Counter(1, 2).take(2)) == [1, 3]


def test_from_list(tf):
    ds = tf.data.experimental.from_list([(1, "a"), (2, "b")])
    assert ds.element_spec == (tf.TensorSpec([], tf.int32), tf.TensorSpec([], tf.string))
    assert _vals(ds) == [[1, b"a"], [2, b"b"]] and _card(ds) == 2
    assert _card(tf.data.experimental.from_list([1, 2, 3])) == 3
    with pytest.raises(ValueError, match="`elements` should not be empty"):
        tf.data.experimental.from_list([])
    with pytest.raises(ValueError, match="same nested structure"):
        tf.data.experimental.from_list([(1, 2), (1,)])


def _write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return str(path)


def test_fixed_length_records(tf, tmp_path):
    a = _write(tmp_path / "a.bin", b"HH" + b"abcdefghi" + b"F")
    b = _write(tmp_path / "b.bin", b"HH" + b"123456" + b"F")
    ds = tf.data.FixedLengthRecordDataset([a, b], 3, header_bytes=2, footer_bytes=1)
    assert ds.element_spec == tf.TensorSpec([], tf.string) and _card(ds) == -2
    assert _vals(ds) == [b"abc", b"def", b"ghi", b"123", b"456"]
    assert repr(ds).startswith("<FixedLengthRecordDatasetV2 element_spec=")
    par = tf.data.FixedLengthRecordDataset([a, b], 3, 2, 1, num_parallel_reads=2)
    assert _vals(par) == [b"abc", b"123", b"def", b"456", b"ghi"]
    c = _write(tmp_path / "c.bin", b"HH" + b"xyzXYZuvw" + b"F")
    three = tf.data.FixedLengthRecordDataset([b, a, c], 3, 2, 1, num_parallel_reads=2)
    assert _vals(three) == [b"123", b"abc", b"456", b"def", b"ghi", b"xyz", b"XYZ", b"uvw"]
    z = tmp_path / "z.gz"
    z.write_bytes(gzip.compress(b"HHabcdefF"))
    gz = tf.data.FixedLengthRecordDataset(str(z), 3, 2, 1, compression_type="GZIP")
    assert _vals(gz) == [b"abc", b"def"]


def test_fixed_length_short_record_is_an_error(tf, errors, tmp_path):
    a = _write(tmp_path / "a.bin", b"abcdefgh")
    with pytest.raises(errors.InvalidArgumentError, match="not an exact multiple of the record"):
        _vals(tf.data.FixedLengthRecordDataset(a, 3))


def test_sql_dataset(tf, errors, tmp_path):
    db = str(tmp_path / "t.db")
    with sqlite3.connect(db) as c:
        c.execute("CREATE TABLE t (name TEXT, n INTEGER, x REAL)")
        c.executemany("INSERT INTO t VALUES (?, ?, ?)", [("a", 1, 0.5), ("b", 2, 1.5)])
    c.close()
    ds = tf.data.experimental.SqlDataset(
        "sqlite", db, "SELECT name, n, x FROM t ORDER BY n", (tf.string, tf.int32, tf.float64)
    )
    assert ds.element_spec == (
        tf.TensorSpec([], tf.string), tf.TensorSpec([], tf.int32), tf.TensorSpec([], tf.float64)
    )  # fmt: skip
    assert _vals(ds) == [[b"a", 1, 0.5], [b"b", 2, 1.5]] and _card(ds) == -2
    with pytest.raises(errors.InvalidArgumentError, match="is not supported"):
        _vals(tf.data.experimental.SqlDataset("mysql", db, "SELECT n FROM t", (tf.int32,)))


# ---- iterators and structure --------------------------------------------------------------


def test_iterator_types(tf):
    ds = tf.data.Dataset.range(3)
    it = iter(ds)
    assert isinstance(it, tf.data.Iterator)
    assert isinstance(ds.as_numpy_iterator(), tf.data.NumpyIterator)
    assert not isinstance(ds.as_numpy_iterator(), tf.data.Iterator)
    with pytest.raises(TypeError):
        tf.data.Iterator()
    spec = tf.data.IteratorSpec(tf.TensorSpec([], tf.int64))
    assert repr(spec) == "IteratorSpec(TensorSpec(shape=(), dtype=tf.int64, name=None),)"
    assert spec == tf.data.IteratorSpec(tf.TensorSpec([], tf.int64))
    assert tf.data.experimental.get_structure(ds) == tf.TensorSpec([], tf.int64)
    assert tf.data.experimental.get_structure(it) == tf.TensorSpec([], tf.int64)
    with pytest.raises(TypeError, match="`dataset_or_iterator`"):
        tf.data.experimental.get_structure(3)
    opt = tf.data.experimental.get_next_as_optional(it)
    assert bool(opt.has_value()) and int(opt.get_value()) == 0


# ---- transformations ------------------------------------------------------------------------


def test_ignore_errors(tf):
    ds = tf.data.Dataset.from_tensor_slices([1.0, 2.0, 0.0, 4.0])
    ds = ds.map(lambda x: tf.debugging.check_numerics(1.0 / x, "error"))
    kept = ds.ignore_errors()
    assert kept.element_spec == tf.TensorSpec([], tf.float32) and _card(kept) == -2
    assert _vals(kept) == [1.0, 0.5, 0.25]
    assert _vals(ds.apply(tf.data.experimental.ignore_errors(log_warning=True))) == [1, 0.5, 0.25]
    twice = ds.map(lambda x: x * 2.0, num_parallel_calls=2).ignore_errors()
    assert _vals(twice) == [2.0, 1.0, 0.5]


def test_rejection_resample_spec_and_classes(tf):
    data = tf.data.Dataset.from_tensor_slices(np.array([0] * 90 + [1] * 10, np.int64)).repeat(20)
    out = data.rejection_resample(
        lambda x: tf.cast(x, tf.int32), [0.5, 0.5], initial_dist=[0.9, 0.1], seed=1
    )
    assert out.element_spec == (tf.TensorSpec([], tf.int32), tf.TensorSpec([], tf.int64))
    assert _card(out) == -2
    pairs = _vals(out)
    assert all(c == x for c, x in pairs)
    share = np.mean([c for c, _ in pairs])
    assert 0.4 < share < 0.6  # 2,000 draws near the target's 0.5 (was 0.1)


def test_sparse_batch(tf):
    ds = tf.data.Dataset.from_generator(
        lambda: iter([np.array([1]), np.array([2, 3]), np.array([4, 5, 6])]),
        output_signature=tf.TensorSpec([None], tf.int32),
    )
    sb = ds.sparse_batch(2, [5])
    spec = sb.element_spec
    assert isinstance(spec, tf.SparseTensorSpec) and spec.shape.as_list() == [None, 5]
    first, second = list(sb)
    assert first.indices.numpy().tolist() == [[0, 0], [1, 0], [1, 1]]
    assert first.values.numpy().tolist() == [1, 2, 3]
    assert first.dense_shape.numpy().tolist() == [2, 5]
    assert second.dense_shape.numpy().tolist() == [1, 5]
    same = ds.apply(tf.data.experimental.dense_to_sparse_batch(2, [5]))
    assert list(same)[1].values.numpy().tolist() == [4, 5, 6]
    loose = ds.sparse_batch(2, [None])
    assert loose.element_spec.shape.as_list() == [None, None] and _card(loose) == -2
    assert [x.dense_shape.numpy().tolist() for x in loose] == [[2, 2], [1, 3]]
    assert _card(tf.data.Dataset.range(5).sparse_batch(2, [])) == 3


def test_sparse_batch_errors(tf, errors):
    ds = tf.data.Dataset.from_generator(
        lambda: iter([np.array([1]), np.array([2, 3]), np.array([4, 5, 6])]),
        output_signature=tf.TensorSpec([None], tf.int32),
    )
    with pytest.raises(errors.DataLossError, match=r"shape \(\[3\]\) that is larger than"):
        list(ds.sparse_batch(2, [2]))
    with pytest.raises(errors.InvalidArgumentError, match="incompatible with the row shape"):
        list(ds.sparse_batch(2, [2, 3]))


def test_snapshot_writes_then_reads(tf, tmp_path):
    calls = []

    def gen():
        calls.append(1)
        yield from range(5)

    src = tf.data.Dataset.from_generator(gen, output_signature=tf.TensorSpec([], tf.int64))
    snap = src.map(lambda x: x * 3).snapshot(str(tmp_path / "snap"))
    assert snap.element_spec == tf.TensorSpec([], tf.int64)
    assert _vals(snap) == [0, 3, 6, 9, 12] and len(calls) == 1
    assert _vals(snap) == [0, 3, 6, 9, 12] and len(calls) == 1  # read back, not recomputed
    assert any((tmp_path / "snap").iterdir())


def test_fingerprint(tf):
    a = tf.data.Dataset.range(3).map(lambda x: x + 1)
    f = a.fingerprint()
    assert f.dtype == tf.uint64 and f.shape == []
    assert int(f) == int(tf.data.Dataset.range(3).map(lambda x: x + 1).fingerprint())
    assert int(f) != int(tf.data.Dataset.range(4).map(lambda x: x + 1).fingerprint())


def test_assert_cardinality(tf, errors):
    x = tf.data.Dataset.range(5).filter(lambda v: True)
    assert _card(x.apply(tf.data.experimental.assert_cardinality(5))) == 5
    assert _vals(x.apply(tf.data.experimental.assert_cardinality(5))) == [0, 1, 2, 3, 4]
    with pytest.raises(errors.FailedPreconditionError, match="expected to contain 4 elements but "
                       "contained at least 5 elements"):  # fmt: skip
        _vals(x.apply(tf.data.experimental.assert_cardinality(4)))
    with pytest.raises(errors.FailedPreconditionError, match="contained only 5 elements"):
        _vals(x.apply(tf.data.experimental.assert_cardinality(6)))


def test_pad_to_cardinality(tf):
    p = tf.data.Dataset.range(3).map(lambda v: {"a": v})
    p = p.apply(tf.data.experimental.pad_to_cardinality(5))
    assert p.element_spec == {"a": tf.TensorSpec([], tf.int64), "valid": tf.TensorSpec([], tf.bool)}
    assert _card(p) == 5
    assert [(e["a"], e["valid"]) for e in p.as_numpy_iterator()] == [
        (0, True), (1, True), (2, True), (0, False), (0, False)
    ]  # fmt: skip
    with pytest.raises(ValueError, match="less than the target cardinality"):
        tf.data.Dataset.range(3).map(lambda v: {"a": v}).apply(
            tf.data.experimental.pad_to_cardinality(2)
        )
    with pytest.raises(ValueError, match="requires its input dataset to be a dictionary"):
        tf.data.Dataset.range(3).apply(tf.data.experimental.pad_to_cardinality(5))


def test_group_by_reducer(tf):
    E = tf.data.experimental
    r = E.Reducer(lambda k: tf.constant(0, tf.int64), lambda s, e: s + e, lambda s: s * 10)
    ds = tf.data.Dataset.range(10).apply(E.group_by_reducer(lambda x: x % 3, r))
    assert ds.element_spec == tf.TensorSpec([], tf.int64) and _card(ds) == -2
    assert _vals(ds) == [180, 120, 150]
    keys = tf.data.Dataset.from_tensor_slices(tf.constant([100, 5, 37, -4, 64], tf.int64))
    ident = E.Reducer(lambda k: k, lambda s, e: s, lambda s: s)
    assert _vals(keys.apply(E.group_by_reducer(lambda x: x, ident))) == [-4, 5, 37, 64, 100]
    pairs = tf.data.Dataset.range(10).map(lambda x: (x, x * 2))
    tup = E.Reducer(lambda k: (k, tf.constant(0, tf.int64)), lambda s, e: (s[0], s[1] + e[1]),
                    lambda a, b: {"k": a, "v": b})  # fmt: skip
    out = pairs.apply(E.group_by_reducer(lambda x, y: (2 - x) % 3, tup))
    assert [(d["k"], d["v"]) for d in out.as_numpy_iterator()] == [(0, 30), (1, 24), (2, 36)]
    with pytest.raises(ValueError, match="Invalid `key_func`"):
        tf.data.Dataset.range(3).apply(E.group_by_reducer(lambda x: tf.cast(x, tf.int32), r))


def test_at(tf, errors):
    assert int(tf.data.experimental.at(tf.data.Dataset.range(10), 3)) == 3
    with pytest.raises(errors.OutOfRangeError, match=r"Index out of range \[0, 10\):12"):
        tf.data.experimental.at(tf.data.Dataset.range(10), 12)
    with pytest.raises(errors.UnimplementedError, match="Random access is not implemented"):
        tf.data.experimental.at(tf.data.Dataset.range(6).filter(lambda x: x % 2 == 0), 1)
    assert int(tf.data.experimental.at(tf.data.Dataset.range(6).map(lambda x: x * 2), 1)) == 2


def test_fused_forms(tf):
    E = tf.data.experimental
    m = tf.data.Dataset.range(7).apply(E.map_and_batch(lambda v: v * 2, 3))
    assert m.element_spec == tf.TensorSpec([None], tf.int64) and _card(m) == 3
    assert _vals(m) == [[0, 2, 4], [6, 8, 10], [12]]
    m = tf.data.Dataset.range(7).apply(E.map_and_batch(lambda v: v * 2, 3, drop_remainder=True))
    assert m.element_spec == tf.TensorSpec([3], tf.int64) and _card(m) == 2
    s = tf.data.Dataset.range(4).apply(E.shuffle_and_repeat(4, 2, seed=1))
    assert _card(s) == 8 and sorted(_vals(s)) == [0, 0, 1, 1, 2, 2, 3, 3]
    pi = tf.data.Dataset.range(3).apply(
        E.parallel_interleave(lambda v: tf.data.Dataset.from_tensors(v).repeat(2), cycle_length=2)
    )
    assert _vals(pi) == [0, 1, 0, 1, 2, 2] and _card(pi) == -2
    assert _vals(tf.data.Dataset.range(4).apply(E.enumerate_dataset(2))) == [
        [2, 0], [3, 1], [4, 2], [5, 3]
    ]  # fmt: skip
    assert int(E.get_single_element(tf.data.Dataset.from_tensors(5))) == 5
    with pytest.raises(TypeError, match="Expected a `tf.data.Dataset` object but got"):
        E.get_single_element(3)
    assert _vals(tf.data.Dataset.range(6).apply(E.take_while(lambda x: x < 3))) == [0, 1, 2]
    assert _vals(tf.data.Dataset.from_tensor_slices([1, 1, 2]).apply(E.unique())) == [1, 2]
    sc = tf.data.Dataset.range(4).apply(E.scan(tf.constant(0, tf.int64), lambda s, x: (s + x, s)))
    assert _vals(sc) == [0, 0, 1, 3]
    assert _vals(tf.data.Dataset.from_tensors([1, 2]).apply(E.unbatch())) == [1, 2]
    dev = tf.data.Dataset.range(3).apply(E.prefetch_to_device("/cpu:0"))
    assert _vals(dev) == [0, 1, 2] and dev.element_spec == tf.TensorSpec([], tf.int64)
    assert _vals(tf.data.Dataset.range(2).apply(E.copy_to_device("/cpu:0"))) == [0, 1]


def test_tfrecord_writer_and_parse_example_dataset(tf, tmp_path):
    path = str(tmp_path / "r.tfrecord")

    def example(i):
        feats = {"x": tf.train.Feature(int64_list=tf.train.Int64List(value=[i, i + 1])),
                 "y": tf.train.Feature(float_list=tf.train.FloatList(value=[i / 2]))}  # fmt: skip
        return tf.train.Example(features=tf.train.Features(feature=feats)).SerializeToString()

    records = tf.data.Dataset.from_tensor_slices([example(i) for i in range(5)])
    tf.data.experimental.TFRecordWriter(path).write(records)
    features = {
        "x": tf.io.FixedLenFeature([2], tf.int64),
        "y": tf.io.FixedLenFeature([], tf.float32),
    }
    parsed = (
        tf.data.TFRecordDataset(path)
        .batch(2)
        .apply(tf.data.experimental.parse_example_dataset(features))
    )
    assert parsed.element_spec == {
        "x": tf.TensorSpec([None, 2], tf.int64), "y": tf.TensorSpec([None], tf.float32)
    }  # fmt: skip
    first = next(iter(parsed))
    assert first["x"].numpy().tolist() == [[0, 1], [1, 2]]
    assert first["y"].numpy().tolist() == [0, 0.5]
    with pytest.raises(TypeError, match="dataset of vectors of strings"):
        tf.data.TFRecordDataset(path).apply(tf.data.experimental.parse_example_dataset(features))
    with pytest.raises(TypeError, match="scalar `tf.string`"):
        tf.data.experimental.TFRecordWriter(path).write(tf.data.Dataset.range(2))
    batched = tf.data.experimental.make_batched_features_dataset(
        path, 2, features, label_key="y", num_epochs=1, shuffle=False
    )
    x, y = batched.element_spec
    assert x == {"x": tf.TensorSpec([None, 2], tf.int64)} and y == tf.TensorSpec([None], tf.float32)
    labels = [v for _, ys in batched.as_numpy_iterator() for v in ys.tolist()]
    assert labels == [0.0, 0.5, 1.0, 1.5, 2.0]


# ---- options ----------------------------------------------------------------------------------


def test_options_groups_defaults_and_merge(tf):
    E = tf.data.experimental
    o = tf.data.Options()
    assert o.experimental_threading is o.threading
    assert E.ThreadingOptions is tf.data.ThreadingOptions
    assert o.experimental_distribute.auto_shard_policy == E.AutoShardPolicy.AUTO
    assert o.autotune.ram_budget is None and o.experimental_optimization.map_fusion is None
    assert isinstance(o.autotune, E.AutotuneOptions)
    assert isinstance(o.experimental_distribute, E.DistributeOptions)
    assert isinstance(o.experimental_optimization, E.OptimizationOptions)
    assert [(m.name, m.value) for m in E.AutoShardPolicy] == [
        ("OFF", -1), ("AUTO", 0), ("FILE", 1), ("DATA", 2), ("HINT", 3)
    ]  # fmt: skip
    assert [m.name for m in E.AutotuneAlgorithm] == [
        "DEFAULT", "HILL_CLIMB", "GRADIENT_DESCENT", "MAX_PARALLELISM", "STAGE_BASED"
    ]  # fmt: skip
    assert [m.name for m in E.ExternalStatePolicy] == ["WARN", "IGNORE", "FAIL"]
    assert E.SHARD_HINT == -1
    with pytest.raises(TypeError, match='Property "deterministic" must be of type'):
        o.deterministic = 3
    with pytest.raises(TypeError, match='Property "autotune" must be of type'):
        o.autotune = 1
    with pytest.raises(AttributeError, match="Cannot set the property foo on Options"):
        o.foo = 1
    o.experimental_deterministic = False
    assert o.deterministic is False
    a, b = tf.data.Options(), tf.data.Options()
    a.deterministic, b.deterministic = True, False
    a.autotune.ram_budget = 5
    b.experimental_distribute.auto_shard_policy = E.AutoShardPolicy.DATA
    merged = a.merge(b)
    assert merged.deterministic is False and merged.autotune.ram_budget == 5
    assert merged.experimental_distribute.auto_shard_policy == E.AutoShardPolicy.DATA
    ds = tf.data.Dataset.range(3).with_options(a).with_options(b)
    assert ds.options().autotune.ram_budget == 5 and ds.options().deterministic is False
    assert tf.data.Options() == tf.data.Options()


# ---- lookup tables from datasets --------------------------------------------------------------


def test_tables_from_datasets(tf):
    E = tf.data.experimental
    keys = tf.data.Dataset.range(100)
    values = tf.data.Dataset.range(100).map(lambda x: tf.strings.as_string(x * 2))
    pairs = tf.data.Dataset.zip((keys, values))
    table = tf.lookup.StaticHashTable(E.DatasetInitializer(pairs), "")
    assert table.lookup(tf.constant([0, 1, 2], tf.int64)).numpy().tolist() == [b"0", b"2", b"4"]
    t = E.table_from_dataset(pairs, default_value="x", key_dtype=tf.int64)
    assert t.lookup(tf.constant([3, 200], tf.int64)).numpy().tolist() == [b"6", b"x"]
    assert int(t.size()) == 100
    words = tf.data.Dataset.from_tensor_slices(["a", "b", "c"])
    idx = E.index_table_from_dataset(words, num_oov_buckets=1)
    assert idx.lookup(tf.constant(["b", "z"])).numpy().tolist() == [1, 3]
    assert int(idx.size()) == 4
    idx = E.index_table_from_dataset(words)
    assert idx.lookup(tf.constant(["c", "z"])).numpy().tolist() == [2, -1]
    assert E.index_table_from_dataset(words, vocab_size=2).lookup(tf.constant("c")).numpy() == -1
