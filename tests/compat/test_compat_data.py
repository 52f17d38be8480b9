"""``tf.data``: element specs, cardinalities, orders and values, the same text run on TF and on
tensorhouse."""

from __future__ import annotations

import collections
import gzip
import zlib

import numpy as np
import pytest

Point = collections.namedtuple("Point", ["x", "label"])


def _card(ds):
    return int(ds.cardinality())


def _vals(ds):
    return [np.asarray(v).tolist() for v in ds.as_numpy_iterator()]


def _spec(tf, shape, dtype):
    return tf.TensorSpec(shape, dtype)


# ---- structure and specs ----------------------------------------------------------------------


def test_nested_structure_specs_and_numpy_values(tf):
    ds = tf.data.Dataset.from_tensor_slices(
        {"z": [1, 2], "a": (["x", "y"], Point([1.0, 2.0], [3, 4]))}
    )
    spec = ds.element_spec
    assert list(spec) == ["z", "a"]
    assert spec["z"] == _spec(tf, [], tf.int32)
    assert spec["a"][0] == _spec(tf, [], tf.string)
    assert isinstance(spec["a"][1], Point) and spec["a"][1].x == _spec(tf, [], tf.float32)
    assert repr(spec["z"]) == "TensorSpec(shape=(), dtype=tf.int32, name=None)"
    first, second = list(ds.as_numpy_iterator())
    assert first["a"][0] == b"x" and isinstance(first["a"][0], bytes)
    assert isinstance(first["z"], np.int32) and int(second["z"]) == 2
    assert isinstance(second["a"][1], Point) and float(second["a"][1].x) == 2.0
    (strings,) = list(tf.data.Dataset.from_tensors(["ab", "c"]).as_numpy_iterator())
    assert strings.dtype == object and strings.tolist() == [b"ab", b"c"]


def test_batch_specs_have_unknown_batch_dims_unless_dropping(tf):
    ds = tf.data.Dataset.range(10)
    assert ds.element_spec == _spec(tf, [], tf.int64)
    assert ds.batch(3).element_spec == _spec(tf, [None], tf.int64)
    assert ds.batch(3, drop_remainder=True).element_spec == _spec(tf, [3], tf.int64)
    x = tf.data.Dataset.from_tensor_slices(np.zeros((6, 2, 5), np.float32))
    assert x.element_spec.shape.as_list() == [2, 5]
    assert x.batch(4).element_spec.shape.as_list() == [None, 2, 5]
    assert x.batch(4).unbatch().element_spec.shape.as_list() == [2, 5]
    mapped = ds.map(lambda v: (v, tf.cast(v, tf.float32) * 2.0))
    assert mapped.element_spec == (_spec(tf, [], tf.int64), _spec(tf, [], tf.float32))
    assert ds.enumerate().element_spec == (_spec(tf, [], tf.int64), _spec(tf, [], tf.int64))


def test_len_errors_and_cardinality_constants(tf):
    assert tf.data.INFINITE_CARDINALITY == -1 and tf.data.UNKNOWN_CARDINALITY == -2
    assert tf.data.experimental.AUTOTUNE == tf.data.AUTOTUNE == -1
    ds = tf.data.Dataset.range(10)
    with pytest.raises(TypeError, match="The dataset is infinite."):
        len(ds.repeat())
    with pytest.raises(TypeError, match="The dataset length is unknown."):
        len(ds.filter(lambda x: x > 3))
    assert len(ds.batch(4)) == 3


def test_cardinality_propagation(tf):
    r = tf.data.Dataset.range(10)
    inf, unk = r.repeat(), r.filter(lambda x: x > 3)
    cases = [
        (r.concatenate(r), 20), (r.concatenate(inf), -1), (unk.concatenate(inf), -1),
        (r.concatenate(unk), -2), (r.flat_map(lambda x: tf.data.Dataset.range(x)), -2),
        (r.interleave(lambda x: tf.data.Dataset.range(x), cycle_length=2), -2),
        (r.take_while(lambda x: x < 3), -2), (r.window(3), 4),
        (r.window(3, shift=2, drop_remainder=True), 4),
        (r.window(3, shift=1, stride=2, drop_remainder=True), 6), (inf.window(3), -1),
        (r.shard(3, 0), 4), (r.shard(3, 2), 3), (inf.shard(3, 0), -1), (unk.shard(3, 0), -2),
        (r.unique(), -2), (r.batch(4).rebatch(2), -2), (r.batch(2).unbatch(), -2),
        (inf.batch(2).unbatch(), -1), (inf.filter(lambda x: x > 1), -2),
        (r.skip(3), 7), (unk.skip(3), -2), (inf.skip(3), -1), (r.skip(-1), 0),
        (unk.take(3), -2), (inf.take(-1), -1), (inf.take(5), 5), (unk.repeat(), -1),
        (tf.data.Dataset.range(0).repeat(), 0), (r.padded_batch(3), 4),
        (r.scan(tf.constant(0, tf.int64), lambda s, x: (s + x, x)), 10),
        (tf.data.Dataset.sample_from_datasets([r, r]), -2),
        (tf.data.Dataset.sample_from_datasets([inf, inf]), -1),
        (r.group_by_window(lambda x: x % 2, lambda k, d: d.batch(2), window_size=2), -2),
    ]  # fmt: skip
    assert [_card(ds) for ds, _ in cases] == [want for _, want in cases]


# ---- sources ----------------------------------------------------------------------------------


def test_from_generator_signature_legacy_args_and_reiteration(tf):
    def gen(n, tag):
        for i in range(int(n)):
            yield i, tag

    sig = (tf.TensorSpec([], tf.int64), tf.TensorSpec([], tf.string))
    ds = tf.data.Dataset.from_generator(gen, output_signature=sig, args=(3, "q"))
    assert ds.element_spec == sig and _card(ds) == -2
    assert list(ds.as_numpy_iterator()) == [(0, b"q"), (1, b"q"), (2, b"q")]
    assert list(ds.as_numpy_iterator()) == [(0, b"q"), (1, b"q"), (2, b"q")]
    legacy = tf.data.Dataset.from_generator(lambda: iter([1]), output_types=tf.int64)
    assert legacy.element_spec.shape.rank is None
    both = tf.data.Dataset.from_generator(
        lambda: iter([(1, [b"a"])]), output_types=(tf.int64, tf.string), output_shapes=([], [None])
    )
    assert both.element_spec[1].shape.as_list() == [None]
    with pytest.raises(TypeError, match="must be a Python callable"):
        tf.data.Dataset.from_generator(iter([1]), output_types=tf.int64)
    with pytest.raises(TypeError, match="either the `output_signature`"):
        tf.data.Dataset.from_generator(lambda: iter([1]))
    bad = tf.data.Dataset.from_generator(
        lambda: iter([[1, 2, 3]]), output_signature=tf.TensorSpec([2], tf.int64)
    )
    with pytest.raises(tf.errors.InvalidArgumentError, match="yielded an element of shape"):
        list(bad)


def test_concatenate_relaxes_shapes_and_rejects_other_dtypes(tf):
    a = tf.data.Dataset.from_tensors(tf.constant([1, 2], tf.int64))
    b = tf.data.Dataset.from_tensors(tf.constant([1, 2, 3], tf.int64))
    assert a.concatenate(b).element_spec.shape.as_list() == [None]
    assert _vals(a.concatenate(b)) == [[1, 2], [1, 2, 3]]
    scalar = tf.data.Dataset.range(3)
    assert scalar.concatenate(a).element_spec.shape.rank is None
    with pytest.raises(TypeError, match="Incompatible dataset elements"):
        scalar.concatenate(tf.data.Dataset.from_tensor_slices([1.0]))


def test_choose_and_sample_from_datasets(tf):
    letters = tf.data.Dataset.from_tensor_slices(["a", "b"])
    others = tf.data.Dataset.from_tensor_slices(["x", "y", "z"])

    def choices(seq):
        return tf.data.Dataset.from_tensor_slices(tf.constant(seq, tf.int64))

    chosen = tf.data.Dataset.choose_from_datasets([letters, others], choices([0, 1, 1, 0, 1, 1]))
    assert list(chosen.as_numpy_iterator()) == [b"a", b"x", b"y", b"b", b"z"]
    stop = tf.data.Dataset.choose_from_datasets([letters, others], choices([0, 0, 0, 1, 1]))
    assert list(stop.as_numpy_iterator()) == [b"a", b"b"]
    go_on = tf.data.experimental.choose_from_datasets(
        [letters, others], choices([0, 0, 0, 1, 1]), stop_on_empty_dataset=False
    )
    assert list(go_on.as_numpy_iterator()) == [b"a", b"b", b"x", b"y"]
    with pytest.raises(TypeError, match="Invalid `choice_dataset`"):
        tf.data.Dataset.choose_from_datasets(
            [letters], tf.data.Dataset.from_tensor_slices(tf.constant([0], tf.int32))
        )
    evens = tf.data.Dataset.range(0, 20, 2)
    odds = tf.data.Dataset.range(1, 20, 2)
    mixed = _vals(tf.data.experimental.sample_from_datasets([evens, odds], seed=3))
    assert sorted(mixed) == list(range(20))
    assert [v for v in mixed if v % 2 == 0] == list(range(0, 20, 2))
    only_first = tf.data.Dataset.sample_from_datasets([evens, odds], weights=[1.0, 0.0], seed=1)
    assert _vals(only_first) == list(range(0, 20, 2))


def test_list_files_and_text_lines(tf, tmp_path):
    (tmp_path / "b.txt").write_bytes(b"b1\nb2\r\nb3")
    (tmp_path / "a.txt").write_bytes(b"a1\n\na3\n")
    (tmp_path / "c.gz").write_bytes(gzip.compress(b"g1\ng2\n"))
    (tmp_path / "d.z").write_bytes(zlib.compress(b"z1\nz2"))
    files = tf.data.Dataset.list_files(str(tmp_path / "*.txt"), shuffle=False)
    assert files.element_spec == _spec(tf, [], tf.string) and _card(files) == 2
    names = list(files.as_numpy_iterator())
    assert names == [str(tmp_path / "a.txt").encode(), str(tmp_path / "b.txt").encode()]
    shuffled = tf.data.Dataset.list_files(str(tmp_path / "*.txt"), seed=4)
    assert sorted(shuffled.as_numpy_iterator()) == names
    lines = tf.data.TextLineDataset([str(tmp_path / "a.txt"), str(tmp_path / "b.txt")])
    assert lines.element_spec == _spec(tf, [], tf.string) and _card(lines) == -2
    assert list(lines.as_numpy_iterator()) == [b"a1", b"", b"a3", b"b1", b"b2", b"b3"]
    from_files = files.flat_map(tf.data.TextLineDataset)
    assert list(from_files.as_numpy_iterator())[:2] == [b"a1", b""]
    gz = tf.data.TextLineDataset(str(tmp_path / "c.gz"), compression_type="GZIP")
    assert list(gz.as_numpy_iterator()) == [b"g1", b"g2"]
    zl = tf.data.TextLineDataset(str(tmp_path / "d.z"), compression_type="ZLIB")
    assert list(zl.as_numpy_iterator()) == [b"z1", b"z2"]
    with pytest.raises(tf.errors.InvalidArgumentError, match="No files matched pattern"):
        tf.data.Dataset.list_files(str(tmp_path / "*.none"))


# ---- transformations --------------------------------------------------------------------------


def test_padded_batch_values_and_specs(tf):
    ds = tf.data.Dataset.range(5).map(lambda x: tf.fill([x], x))
    assert ds.padded_batch(3).element_spec.shape.as_list() == [None, None]
    batches = list(ds.padded_batch(2).as_numpy_iterator())
    assert [b.tolist() for b in batches] == [[[0], [1]], [[2, 2, 0], [3, 3, 3]], [[4, 4, 4, 4]]]
    fixed = ds.padded_batch(
        2, padded_shapes=[4], padding_values=tf.constant(-1, tf.int64), drop_remainder=True
    )
    assert fixed.element_spec.shape.as_list() == [2, 4]
    assert _vals(fixed) == [[[-1, -1, -1, -1], [1, -1, -1, -1]], [[2, 2, -1, -1], [3, 3, 3, -1]]]
    grid = tf.data.Dataset.from_tensors(tf.zeros([2, 3]))
    assert grid.padded_batch(2, padded_shapes=[None, 5]).element_spec.shape.as_list() == [
        None,
        None,
        5,
    ]
    with pytest.raises(ValueError, match="is not compatible with the shape"):
        grid.padded_batch(2, padded_shapes=[1, 5])
    pair = tf.data.Dataset.from_tensors((tf.zeros([1]), tf.zeros([2]))).concatenate(
        tf.data.Dataset.from_tensors((tf.zeros([2]), tf.zeros([1])))
    )
    ((left, right),) = list(pair.padded_batch(2, padding_values=7.0).as_numpy_iterator())
    assert left.tolist() == [[0.0, 7.0], [0.0, 0.0]] and right.tolist() == [[0.0, 0.0], [0.0, 7.0]]
    mixed = tf.data.Dataset.from_tensors((tf.zeros([2]), tf.constant("a"))).padded_batch(2)
    ((zeros, strings),) = list(mixed.as_numpy_iterator())
    assert zeros.tolist() == [[0.0, 0.0]] and strings.tolist() == [b"a"]


def test_window_rebatch_scan_reduce_shard_unique(tf):
    windows = tf.data.Dataset.range(7).window(3, shift=2)
    assert repr(windows.element_spec) == (
        "DatasetSpec(TensorSpec(shape=(), dtype=tf.int64, name=None), TensorShape([]))"
    )
    assert [_vals(w) for w in windows] == [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6]]
    strided = tf.data.Dataset.range(10).window(3, shift=1, stride=2, drop_remainder=True)
    assert [_vals(w) for w in strided][:2] == [[0, 2, 4], [1, 3, 5]]
    pairs = tf.data.Dataset.from_tensor_slices(([1, 2, 3], [4, 5, 6])).window(2)
    assert [(_vals(a), _vals(b)) for a, b in pairs] == [([1, 2], [4, 5]), ([3], [6])]
    flat = tf.data.Dataset.range(7).window(3, drop_remainder=True).flat_map(lambda w: w.batch(3))
    assert _vals(flat) == [[0, 1, 2], [3, 4, 5]]
    rb = tf.data.Dataset.range(10).batch(4).rebatch([1, 3])
    assert _vals(rb) == [[0], [1, 2, 3], [4], [5, 6, 7], [8], [9]]
    assert tf.data.Dataset.range(8).batch(4, drop_remainder=True).rebatch(
        2, drop_remainder=True
    ).element_spec.shape.as_list() == [2]
    with pytest.raises(ValueError, match="Invalid `batch_sizes`"):
        tf.data.Dataset.range(5).rebatch(2)
    scanned = tf.data.Dataset.from_tensor_slices(([1, 2, 3], [10, 20, 30])).scan(
        tf.constant(0), lambda s, xy: (s + xy[0], s * xy[1])
    )
    assert _vals(scanned) == [0, 20, 90]
    total = tf.data.Dataset.range(5).reduce(tf.constant(0, tf.int64), lambda s, x: s + x)
    assert int(total) == 10
    assert _vals(tf.data.Dataset.range(10).shard(3, 1)) == [1, 4, 7]
    with pytest.raises(tf.errors.InvalidArgumentError, match="Index must be between 0 and 1"):
        tf.data.Dataset.range(3).shard(2, 2)
    assert _vals(tf.data.Dataset.from_tensor_slices([1, 2, 1, 3, 2]).unique()) == [1, 2, 3]
    with pytest.raises(TypeError, match="does not support type"):
        tf.data.Dataset.from_tensor_slices([1.0]).unique()


def test_interleave_orders(tf):
    def inner(x):
        return tf.data.Dataset.range(x).map(lambda y: x * 10 + y)

    want = [10, 20, 21, 30, 31, 32, 40, 41, 50, 51, 42, 43, 52, 53, 54]
    src = tf.data.Dataset.range(1, 6)
    assert _vals(src.interleave(inner, cycle_length=2, block_length=2)) == want
    par = src.interleave(inner, cycle_length=2, block_length=2, num_parallel_calls=2)
    assert _vals(par) == want
    loose = src.interleave(
        inner, cycle_length=2, block_length=2, num_parallel_calls=2, deterministic=False
    )
    assert sorted(_vals(loose)) == sorted(want)
    assert _vals(src.flat_map(inner)) == [
        10,
        20,
        21,
        30,
        31,
        32,
        40,
        41,
        42,
        43,
        50,
        51,
        52,
        53,
        54,
    ]


def test_take_while_group_by_window_bucketing_and_misc(tf):
    assert _vals(tf.data.Dataset.range(10).take_while(lambda x: x < 4)) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="Invalid `predicate`"):
        tf.data.Dataset.range(3).take_while(lambda x: x)
    grouped = tf.data.Dataset.range(10).group_by_window(
        lambda x: x % 3, lambda k, w: w.batch(2), window_size=2
    )
    assert _vals(grouped) == [[0, 3], [1, 4], [2, 5], [6, 9], [7], [8]]
    with pytest.raises(ValueError, match="Either the `window_size`"):
        tf.data.Dataset.range(2).group_by_window(lambda x: x, lambda k, w: w)
    seqs = tf.data.Dataset.range(1, 8).map(lambda x: tf.fill([x], x))
    buckets = seqs.bucket_by_sequence_length(lambda x: tf.shape(x)[0], [3, 5], [2, 2, 2])
    assert buckets.element_spec.shape.as_list() == [None, None]
    assert _vals(buckets) == [
        [[1, 0], [2, 2]], [[3, 3, 3, 0], [4, 4, 4, 4]],
        [[5, 5, 5, 5, 5, 0], [6, 6, 6, 6, 6, 6]], [[7] * 7],
    ]  # fmt: skip
    to_bound = tf.data.Dataset.range(1, 5).map(lambda x: tf.fill([x], x))
    padded = to_bound.bucket_by_sequence_length(
        lambda x: tf.shape(x)[0], [3, 6], [2, 2, 2], pad_to_bucket_boundary=True
    )
    assert _vals(padded) == [[[1, 0], [2, 2]], [[3, 3, 3, 0, 0], [4, 4, 4, 4, 0]]]
    with pytest.raises(ValueError, match="len\\(bucket_batch_sizes\\)"):
        seqs.bucket_by_sequence_length(lambda x: 1, [3, 5], [2, 2])
    assert _vals(tf.data.Dataset.range(3).apply(lambda d: d.map(lambda x: x * 2))) == [0, 2, 4]
    with pytest.raises(TypeError, match="must return a `tf.data.Dataset`"):
        tf.data.Dataset.range(2).apply(lambda d: 3)
    assert int(tf.data.Dataset.range(4, 5).get_single_element()) == 4
    with pytest.raises(tf.errors.InvalidArgumentError, match="Dataset was empty"):
        tf.data.Dataset.range(0).get_single_element()
    with pytest.raises(tf.errors.InvalidArgumentError, match="more than one element"):
        tf.data.Dataset.range(2).get_single_element()
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.data.Dataset.range(3).batch(0)


def test_options_merge_and_unordered_map(tf):
    options = tf.data.Options()
    options.deterministic = False
    options.threading.private_threadpool_size = 2
    ds = tf.data.Dataset.range(20).with_options(options).map(lambda x: x * 2)
    assert ds.options().deterministic is False
    assert ds.options().threading.private_threadpool_size == 2
    assert tf.data.Dataset.range(3).options().deterministic is None
    with pytest.raises(AttributeError, match="Cannot set the property bogus"):
        options.bogus = 1
    loose = tf.data.Dataset.range(30).map(
        lambda x: x + 1, num_parallel_calls=4, deterministic=False
    )
    assert sorted(_vals(loose)) == list(range(1, 31))
    assert sorted(_vals(ds.map(lambda x: x + 1, num_parallel_calls=3))) == [
        2 * i + 1 for i in range(20)
    ]


def test_empty_elements_refused_when_made(tf):
    with pytest.raises(ValueError, match="`element` should not be empty"):
        tf.data.Dataset.from_tensor_slices(())
    for empty in (None, ()):
        with pytest.raises(tf.errors.InvalidArgumentError, match="of 0 must be at least minimum 1"):
            tf.data.Dataset.from_tensors(empty)
    for returned in (None, (), {}):
        with pytest.raises(tf.errors.InvalidArgumentError, match="of 0 must be at least minimum 1"):
            tf.data.Dataset.range(3).map(lambda x, r=returned: r)
