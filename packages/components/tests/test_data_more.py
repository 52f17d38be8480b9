"""Dataset: structures and specs, the sources, the dataset-of-datasets transformations, options,
and iterators that stop their threads."""

import collections
import gc
import gzip
import threading
import time
import zlib

import numpy as np
import pytest

import tensorhouse_ops
from tensorhouse_components import data, ops
from tensorhouse_components.data import Dataset, Options, TextLineDataset

Pair = collections.namedtuple("Pair", ["feature", "label"])


def _values(ds):
    return [np.asarray(x).tolist() for x in ds.as_numpy_iterator()]


def _card(ds):
    return int(ds.cardinality())


def _spec(shape, dtype):
    return ops.TensorSpec(shape, dtype)


# ---- structure, specs, cardinality --------------------------------------------------------------


def test_namedtuples_dicts_and_strings_keep_their_structure():
    x = np.arange(6, dtype=np.float32).reshape(3, 2)
    ds = Dataset.from_tensor_slices({"pair": Pair(x, np.array([7, 8, 9])), "name": ["a", "bb", ""]})
    assert ds.element_spec == {
        "pair": Pair(_spec([2], "float32"), _spec([], "int64")),
        "name": _spec([], "string"),
    }
    items = list(ds.as_numpy_iterator())
    assert [i["name"] for i in items] == [b"a", b"bb", b""]
    assert isinstance(items[2]["pair"], Pair) and isinstance(items[2]["pair"].label, np.int64)
    np.testing.assert_array_equal(items[1]["pair"].feature, x[1])
    # a namedtuple is passed whole to map functions; a plain tuple is unpacked
    doubled = ds.map(lambda e: Pair(e["pair"].feature * 2.0, e["pair"].label + 1))
    assert isinstance(doubled.element_spec, Pair)
    assert doubled.element_spec.feature == _spec([2], "float32")
    first = next(iter(doubled))
    np.testing.assert_array_equal(first.feature.numpy(), x[0] * 2)
    assert int(first.label) == 8
    zipped = Dataset.zip({"n": Dataset.range(2), "w": Dataset.from_tensor_slices(["p", "q"])})
    assert zipped.element_spec == {"n": _spec([], "int64"), "w": _spec([], "string")}
    assert list(zipped.as_numpy_iterator()) == [{"n": 0, "w": b"p"}, {"n": 1, "w": b"q"}]
    unknown_rank = Dataset.from_generator(lambda: iter([[1, 2], [3]]), output_types="int32")
    assert _values(unknown_rank.padded_batch(2, padded_shapes=[3])) == [[[1, 2, 0], [3, 0, 0]]]
    tensors = next(iter(ds))
    assert tensors["name"].dtype == ops.string and tensors["name"].numpy() == b"a"


def test_specs_of_batched_padded_and_mapped_datasets():
    x = Dataset.from_tensor_slices(np.zeros((10, 4), np.float32))
    assert x.batch(3).element_spec == _spec([None, 4], "float32")
    assert x.batch(5, drop_remainder=True).element_spec == _spec([5, 4], "float32")
    assert x.repeat().batch(3).element_spec == _spec([None, 4], "float32")
    assert x.batch(3).map(lambda b: ops.reduce_sum(b, axis=1)).element_spec == _spec(
        [None], "float32"
    )
    ragged = Dataset.range(4).map(lambda n: ops.zeros(ops.stack([n]), "int64"))
    assert ragged.element_spec.shape.rank == 1
    assert ragged.padded_batch(2).element_spec == _spec([None, None], "int64")
    assert x.padded_batch(2, padded_shapes=[6], drop_remainder=True).element_spec == _spec(
        [2, 6], "float32"
    )
    # a function that cannot be traced is run once: its spec keeps rank and dtype only
    eager_only = Dataset.range(3).map(lambda v: np.full([int(v) + 1], 2.5, np.float32))
    assert eager_only.element_spec == _spec([None], "float32")
    windows = x.window(2)
    assert windows.element_spec == data.DatasetSpec(_spec([4], "float32"))


def test_cardinality_through_every_transformation():
    r = Dataset.range(10)
    inf, unk = r.repeat(), r.filter(lambda v: v > 3)
    cases = {
        "map": (r.map(lambda v: v, num_parallel_calls=2), 10),
        "shuffle": (r.shuffle(4), 10),
        "prefetch": (r.prefetch(3), 10),
        "cache": (inf.cache(), -1),
        "zip": (Dataset.zip((r, inf)), 10),
        "zip_unknown": (Dataset.zip((unk, inf)), -2),
        "enumerate": (unk.enumerate(), -2),
        "concat": (r.concatenate(r.take(3)), 13),
        "padded": (r.padded_batch(4, drop_remainder=True), 2),
        "window": (r.window(4, shift=3), 4),
        "window_drop": (r.window(4, shift=3, drop_remainder=True), 3),
        "shard": (r.shard(4, 1), 3),
        "scan": (inf.scan(np.int64(0), lambda s, v: (s + v, s)), -1),
        "take_inf": (inf.take(4), 4),
        "repeat_unknown": (unk.repeat(2), -2),
        "rebatch": (r.batch(3).rebatch(2), -2),
        "interleave": (r.interleave(lambda v: Dataset.range(v), cycle_length=2), -2),
        "generator": (Dataset.from_generator(lambda: iter([1]), output_types="int64"), -2),
        "choose": (Dataset.choose_from_datasets([r], Dataset.range(0, 1)), -2),
        "sample_inf": (Dataset.sample_from_datasets([inf, r]), -1),
        "options": (r.with_options(Options()), 10),
        "apply": (r.apply(lambda d: d.skip(4)), 6),
    }
    assert {k: _card(ds) for k, (ds, _) in cases.items()} == {k: v for k, (_, v) in cases.items()}
    with pytest.raises(TypeError, match="The dataset length is unknown."):
        len(r.interleave(lambda v: Dataset.range(v)))


def test_range_values_and_dtypes():
    assert _values(Dataset.range(5, 0, -2)) == [5, 3, 1]
    assert Dataset.range(3).element_spec == _spec([], "int64")
    assert next(Dataset.range(2, dtype="int32").as_numpy_iterator()).dtype == np.int32


# ---- sources ------------------------------------------------------------------------------


def test_from_generator_reiterates_converts_and_checks():
    calls = []

    def gen(n, scale):
        calls.append((int(n), float(scale)))
        for i in range(int(n)):
            yield {"x": [i * float(scale)] * 2, "tag": f"t{i}"}

    sig = {"x": ops.TensorSpec([2], "float32"), "tag": ops.TensorSpec([], "string")}
    ds = Dataset.from_generator(gen, output_signature=sig, args=(3, 0.5))
    assert ds.element_spec == sig
    expected = [{"x": [0.0, 0.0], "tag": b"t0"}, {"x": [0.5, 0.5], "tag": b"t1"}]
    got = [{"x": e["x"].tolist(), "tag": e["tag"]} for e in ds.as_numpy_iterator()]
    assert got[:2] == expected and len(got) == 3
    assert len(list(ds)) == 3 and calls == [(3, 0.5), (3, 0.5)]
    assert next(iter(ds))["x"].dtype == ops.float32
    legacy = Dataset.from_generator(lambda: iter([1, 2]), "int64", ())
    assert legacy.element_spec == _spec([], "int64") and _values(legacy) == [1, 2]
    wrong = Dataset.from_generator(lambda: iter(["a"]), output_types="int64")
    with pytest.raises(ops.errors.InvalidArgumentError):
        list(wrong)


def test_concatenate_sample_and_choose():
    a = Dataset.from_tensor_slices(np.zeros((2, 3), np.float32))
    b = Dataset.from_tensor_slices(np.ones((1, 5), np.float32))
    both = a.concatenate(b)
    assert both.element_spec == _spec([None], "float32")
    assert [len(v) for v in _values(both)] == [3, 3, 5]
    with pytest.raises(TypeError, match="Incompatible"):
        a.concatenate(Dataset.range(2))
    # sampling with weights: ~75% from the first dataset, each dataset's order kept
    first, second = Dataset.range(0, 4000, 2), Dataset.range(1, 4000, 2)
    sampled = _values(
        Dataset.sample_from_datasets([first, second], weights=[0.75, 0.25], seed=7).take(400)
    )
    evens = [v for v in sampled if v % 2 == 0]
    assert evens == list(range(0, 2 * len(evens), 2))
    assert 0.65 < len(evens) / 400 < 0.85
    again = _values(
        Dataset.sample_from_datasets([first, second], weights=[0.75, 0.25], seed=7).take(400)
    )
    assert again == sampled
    stop = Dataset.sample_from_datasets(
        [Dataset.range(2), Dataset.range(10, 100)], seed=1, stop_on_empty_dataset=True
    )
    assert len([v for v in _values(stop) if v < 10]) <= 2
    choice = Dataset.from_tensor_slices(np.array([2, 0, 2, 1], np.int64))
    picked = Dataset.choose_from_datasets(
        [Dataset.range(3), Dataset.range(10, 13), Dataset.range(20, 23)], choice
    )
    assert _values(picked) == [20, 0, 21, 10]
    with pytest.raises(TypeError, match="choice_dataset"):
        floats = Dataset.range(1).map(lambda v: ops.cast(v, "float32"))
        Dataset.choose_from_datasets([Dataset.range(2)], floats)


def test_list_files_and_text_line_dataset(tmp_path):
    for name, text in {"b.txt": "3\n4\n", "a.txt": "1\r\n2", "c.csv": "x"}.items():
        (tmp_path / name).write_text(text)
    listed = Dataset.list_files(str(tmp_path / "*.txt"), shuffle=False)
    assert _values(listed) == [str(tmp_path / n).encode() for n in ("a.txt", "b.txt")]
    seeded = [_values(Dataset.list_files(str(tmp_path / "*"), seed=s)) for s in (1, 1)]
    assert seeded[0] == seeded[1] and len(seeded[0]) == 3
    lines = TextLineDataset(listed)
    assert _values(lines) == [b"1", b"2", b"3", b"4"]
    assert _card(lines) == -2 and lines.element_spec == _spec([], "string")
    (tmp_path / "g.gz").write_bytes(gzip.compress(b"\xc3\xa9\nend\n"))
    (tmp_path / "z.zz").write_bytes(zlib.compress(b"one\ntwo\n"))
    assert _values(TextLineDataset(str(tmp_path / "g.gz"), compression_type="GZIP")) == [
        "é".encode(),
        b"end",
    ]
    assert _values(TextLineDataset([str(tmp_path / "z.zz")], "ZLIB")) == [b"one", b"two"]
    with pytest.raises(ops.errors.NotFoundError):
        list(TextLineDataset(str(tmp_path / "missing.txt")))


# ---- transformations ----------------------------------------------------------------------


def test_flat_map_and_interleave_orders_by_hand():
    def inner(v):
        return Dataset.range(int(v)).map(lambda y: v * 10 + y)

    src = Dataset.range(1, 5)
    assert _values(src.flat_map(inner)) == [10, 20, 21, 30, 31, 32, 40, 41, 42, 43]
    # cycle 3, block 1: slots 0, 1, 2 open 1, 2, 3; an exhausted slot passes its turn on and is
    # refilled (with 4) when the cycle comes back to it
    by_hand = [10, 20, 30, 21, 31, 40, 32, 41, 42, 43]
    assert _values(src.interleave(inner, cycle_length=3)) == by_hand
    threads = set()

    def record(y):  # a py_function runs per element (the traced map's Python runs once)
        threads.add(threading.get_ident())
        return y

    def traced_inner(v):
        return inner(v).map(lambda y: tensorhouse_ops.py_function(record, [y], "int64"))

    par = src.interleave(traced_inner, cycle_length=3, num_parallel_calls=3)
    assert _values(par) == by_hand
    assert len(threads) >= 2 and threading.get_ident() not in threads
    loose = src.interleave(inner, cycle_length=3, num_parallel_calls=3, deterministic=False)
    assert sorted(_values(loose)) == sorted(by_hand)


def test_padded_batch_against_numpy():
    rng = np.random.default_rng(0)
    lengths = rng.integers(0, 6, size=9)
    seqs = [rng.standard_normal((n, 2)).astype(np.float32) for n in lengths]
    ds = Dataset.from_generator(
        lambda: iter(seqs), output_signature=ops.TensorSpec([None, 2], "float32")
    ).padded_batch(4, padding_values=-1.0)
    batches = list(ds.as_numpy_iterator())
    assert [b.shape[0] for b in batches] == [4, 4, 1]
    for k, b in enumerate(batches):
        group = seqs[4 * k : 4 * k + 4]
        want = np.full((len(group), max(len(s) for s in group), 2), -1.0, np.float32)
        for i, s in enumerate(group):
            want[i, : len(s)] = s
        np.testing.assert_array_equal(b, want)
    too_long = Dataset.from_generator(
        lambda: iter(seqs), output_signature=ops.TensorSpec([None, 2], "float32")
    ).padded_batch(2, padded_shapes=[1, 2])
    with pytest.raises(ops.errors.DataLossError, match="smaller size"):
        list(too_long)


def test_window_scan_reduce_and_friends():
    x = np.arange(10) ** 2
    ds = Dataset.from_tensor_slices(x)
    windows = [_values(w) for w in ds.window(4, shift=3, stride=2)]
    assert windows == [x[[0, 2, 4, 6]].tolist(), x[[3, 5, 7, 9]].tolist(), x[[6, 8]].tolist(),
                       x[[9]].tolist()]  # fmt: skip
    sums = ds.window(3, drop_remainder=True).flat_map(lambda w: w.batch(3)).map(ops.reduce_sum)
    assert _values(sums) == [int(x[i : i + 3].sum()) for i in (0, 3, 6)]
    running = ds.scan(np.int64(0), lambda s, v: (s + v, s + v))
    assert _values(running) == np.cumsum(x).tolist()
    assert running.element_spec == _spec([], "int64")
    total = ds.reduce((np.int64(0), np.int64(1)), lambda s, v: (s[0] + v, s[1] + 1))
    assert (int(total[0]), int(total[1])) == (int(x.sum()), 11)
    assert _values(ds.take_while(lambda v: v < 20)) == [0, 1, 4, 9, 16]
    assert _values(ds.shard(4, 3)) == x[3::4].tolist()
    words = Dataset.from_tensor_slices(["b", "a", "b", "c", "a"]).unique()
    assert _values(words) == [b"b", b"a", b"c"]
    assert _values(Dataset.range(7).batch(3).rebatch(2, drop_remainder=True)) == [
        [0, 1], [2, 3], [4, 5],
    ]  # fmt: skip
    assert int(Dataset.range(5, 6).get_single_element()) == 5
    grouped = Dataset.range(12).group_by_window(
        lambda v: v % 2, lambda k, w: w.batch(10).map(lambda b: (k, ops.reduce_sum(b))),
        window_size_func=lambda k: k + 2,
    )  # fmt: skip
    # key 0 windows of 2: (0,2),(4,6),(8,10); key 1 windows of 3: (1,3,5),(7,9,11)
    assert _values(grouped) == [[0, 2], [1, 9], [0, 10], [0, 18], [1, 27]]
    lengths = [3, 1, 4, 1, 5, 9, 2, 6]
    seqs = Dataset.from_generator(
        lambda: (np.arange(n) + 1 for n in lengths),
        output_signature=ops.TensorSpec([None], "int64"),
    )
    bucketed = seqs.bucket_by_sequence_length(lambda s: ops.shape(s)[0], [3], [2, 3])
    shapes = [b.shape for b in bucketed.as_numpy_iterator()]
    # short (<3): 1, 1 -> batch (2, 1); long: 3,4,5; at the end in key order (TF 2.21's):
    # short 2 alone, then long 9,6
    assert shapes == [(2, 1), (3, 5), (1, 2), (2, 9)]


def test_options_merge_and_thread_pool_size():
    a, b = Options(), Options()
    a.deterministic = False
    b.threading.private_threadpool_size = 1
    ds = Dataset.range(40).with_options(a).map(lambda v: v + 1).with_options(b)
    merged = ds.options()
    assert merged.deterministic is False and merged.threading.private_threadpool_size == 1
    with pytest.raises(TypeError):
        Dataset.range(2).with_options({"deterministic": False})
    threads = set()

    def record(v):
        threads.add(threading.get_ident())
        return v

    capped = Dataset.range(40).map(record, num_parallel_calls=8).with_options(b)
    assert _values(capped) == list(range(40)) and len(threads) == 1
    # deterministic=False: a slow element does not hold back the ones after it
    order = Dataset.range(6).map(
        lambda v: (time.sleep(0.3) if int(v) == 0 else None) or v,
        num_parallel_calls=3,
        deterministic=False,
    )
    got = _values(order)
    assert sorted(got) == list(range(6)) and got[0] != 0


# ---- iterators and threads -------------------------------------------------------------------


class _Boom(Exception):
    pass


def _raise_at(k):
    def fn(v):
        if int(v) == k:
            raise _Boom(f"element {k}")
        return v

    return fn


def test_worker_exceptions_keep_their_type():
    with pytest.raises(_Boom, match="element 3"):
        list(Dataset.range(10).map(_raise_at(3), num_parallel_calls=4))
    with pytest.raises(_Boom, match="element 2"):
        list(Dataset.range(10).map(_raise_at(2), num_parallel_calls=2, deterministic=False))
    with pytest.raises(_Boom):
        list(Dataset.range(5).map(_raise_at(4)).prefetch(2))
    with pytest.raises(_Boom, match="element 1"):
        list(
            Dataset.range(3).interleave(
                lambda v: Dataset.range(2).map(lambda y: y + v).map(_raise_at(1)),
                cycle_length=2,
                num_parallel_calls=2,
            )
        )


def test_abandoned_iterators_stop_their_threads():
    def wait_for(count):
        for _ in range(100):
            if threading.active_count() <= count:
                return True
            time.sleep(0.02)
        return False

    base = threading.active_count()
    pipeline = (
        Dataset.range(1000)
        .map(lambda v: v * 2, num_parallel_calls=4)
        .interleave(lambda v: Dataset.range(3), cycle_length=3, num_parallel_calls=3)
        .prefetch(4)
    )
    for i in range(40):
        it = iter(pipeline)
        next(it)
        if i % 2:
            it.close()
        del it
        gc.collect()
    for _ in range(20):
        for _ in pipeline.as_numpy_iterator():
            break
    for _ in range(10):
        try:
            for _ in Dataset.range(10).map(_raise_at(2), num_parallel_calls=3).prefetch(2):
                pass
        except _Boom:
            pass
    gc.collect()
    assert wait_for(base), f"{threading.active_count() - base} threads left running"
    assert _values(pipeline.take(4)) == [0, 0, 0, 1]


def test_get_next_ends_with_out_of_range():
    it = iter(Dataset.range(1))
    assert int(it.get_next()) == 0 and it.element_spec == _spec([], "int64")
    with pytest.raises(ops.errors.OutOfRangeError):
        it.get_next()
