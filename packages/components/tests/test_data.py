"""Dataset: slicing, shuffling, batching and the other transformations."""

import threading

import numpy as np
import pytest

import tensorhouse_ops
from tensorhouse_components import data, ops, utils
from tensorhouse_components.data import Dataset


def _values(ds):
    return [np.asarray(x).tolist() for x in ds.as_numpy_iterator()]


def test_from_tensor_slices_tuple_yields_tensor_tuples():
    x = np.arange(10, dtype=np.float32).reshape(5, 2)
    y = np.arange(5, dtype=np.int64)
    ds = Dataset.from_tensor_slices((x, y))
    items = list(ds)
    assert len(items) == 5 and int(ds.cardinality()) == 5 and len(ds) == 5
    first = items[0]
    assert isinstance(first, tuple) and all(isinstance(t, ops.Tensor) for t in first)
    np.testing.assert_array_equal(first[0].numpy(), [0.0, 1.0])
    assert first[0].dtype == ops.float32 and first[1].dtype == ops.int64
    assert int(items[4][1]) == 4


def test_from_tensor_slices_dict_and_python_lists():
    ds = Dataset.from_tensor_slices({"a": [1.0, 2.0], "b": [[1, 2], [3, 4]]})
    items = list(ds)
    assert items[1]["a"].dtype == ops.float32 and items[1]["b"].dtype == ops.int32
    assert items[1]["b"].numpy().tolist() == [3, 4]
    with pytest.raises(ValueError, match="same size"):
        Dataset.from_tensor_slices((np.zeros(3), np.zeros(4)))


def test_from_tensors_and_range():
    (only,) = list(Dataset.from_tensors(np.ones((2, 3))))
    assert only.shape.as_list() == [2, 3]
    assert _values(Dataset.range(2, 11, 3)) == [2, 5, 8]
    assert next(iter(Dataset.range(3))).dtype == ops.int64


def test_batch_sizes_and_drop_remainder():
    ds = Dataset.range(10)
    assert [len(b) for b in _values(ds.batch(4))] == [4, 4, 2]
    assert [len(b) for b in _values(ds.batch(4, drop_remainder=True))] == [4, 4]
    assert int(ds.batch(4).cardinality()) == 3
    assert int(ds.batch(4, drop_remainder=True).cardinality()) == 2
    x = np.arange(14, dtype=np.float32).reshape(7, 2)
    batches = list(Dataset.from_tensor_slices((x, x[:, 0])).batch(3))
    assert [b[0].shape.as_list() for b in batches] == [[3, 2], [3, 2], [1, 2]]
    np.testing.assert_array_equal(batches[1][1].numpy(), x[3:6, 0])
    mapped = list(Dataset.from_tensor_slices(x).map(lambda v: v * 2.0).batch(3))
    np.testing.assert_array_equal(mapped[2].numpy(), x[6:] * 2)


def test_shuffle_is_a_permutation_and_repeatable_with_a_seed():
    ds = Dataset.range(100)
    a = _values(ds.shuffle(100, seed=5))
    b = _values(ds.shuffle(100, seed=5))
    c = _values(ds.shuffle(100, seed=6))
    assert sorted(a) == list(range(100)) and a != list(range(100))
    assert a == b and a != c
    small_buffer = _values(ds.shuffle(10, seed=5))
    assert sorted(small_buffer) == list(range(100))
    # With a buffer of 10, an element leaves at most ... well after it enters: element i
    # cannot come out before position i - 9.
    assert all(pos >= v - 9 for pos, v in enumerate(small_buffer))


def test_shuffle_follows_the_global_seed():
    utils.set_random_seed(123)
    a = _values(Dataset.range(50).shuffle(50))
    utils.set_random_seed(123)
    b = _values(Dataset.range(50).shuffle(50))
    assert a == b and sorted(a) == list(range(50))


def test_shuffle_reshuffles_each_iteration_unless_told_not_to():
    ds = Dataset.range(30).shuffle(30, seed=1)
    first, second = _values(ds), _values(ds)
    assert sorted(first) == sorted(second) and first != second
    fixed = Dataset.range(30).shuffle(30, seed=1, reshuffle_each_iteration=False)
    assert _values(fixed) == _values(fixed)
    epochs = _values(Dataset.range(5).shuffle(5, seed=2).repeat(2))
    assert sorted(epochs[:5]) == sorted(epochs[5:]) == list(range(5))


def test_map_unpacks_tuples_and_keeps_structure():
    ds = Dataset.from_tensor_slices((np.arange(4.0, dtype=np.float32), np.arange(4))).map(
        lambda x, y: {"double": x * 2.0, "label": y}
    )
    items = list(ds)
    assert isinstance(items[0], dict)
    assert [float(i["double"]) for i in items] == [0.0, 2.0, 4.0, 6.0]
    assert int(ds.cardinality()) == 4


def test_parallel_map_keeps_order_and_uses_threads():
    threads = set()

    def record(x):  # py_function: runs per element (the traced map runs Python once)
        threads.add(threading.get_ident())
        return x

    def slow_square(x):
        x = tensorhouse_ops.py_function(record, [x], "float32")
        return ops.square(ops.reshape(x, ()))

    ds = (
        Dataset.range(40)
        .map(lambda x: ops.cast(x, "float32"))
        .map(slow_square, num_parallel_calls=data.AUTOTUNE)
    )
    assert _values(ds) == [float(i * i) for i in range(40)]
    assert threading.get_ident() not in threads


def test_repeat_take_skip():
    ds = Dataset.range(3)
    assert _values(ds.repeat(2)) == [0, 1, 2, 0, 1, 2]
    assert int(ds.repeat(2).cardinality()) == 6
    forever = ds.repeat()
    assert int(forever.cardinality()) == data.INFINITE_CARDINALITY
    with pytest.raises(TypeError, match="infinite"):
        len(forever)
    assert _values(forever.take(7)) == [0, 1, 2, 0, 1, 2, 0]
    assert int(forever.take(7).cardinality()) == 7
    assert _values(ds.take(10)) == [0, 1, 2] and int(ds.take(10).cardinality()) == 3
    assert _values(ds.skip(1)) == [1, 2]
    assert _values(Dataset.range(0).repeat()) == []


def test_prefetch_yields_the_same_elements_and_propagates_errors():
    ds = Dataset.range(25).map(lambda x: x * 3).prefetch(data.AUTOTUNE)
    assert _values(ds) == [3 * i for i in range(25)]
    assert _values(ds.take(2)) == [0, 3]  # stopping early ends the producer thread

    def boom(x):
        if int(x) == 3:
            raise RuntimeError("element 3")
        return x

    with pytest.raises(RuntimeError, match="element 3"):
        list(Dataset.range(5).map(boom).prefetch(2))


def test_zip_filter_enumerate_unbatch_cache():
    zipped = Dataset.zip((Dataset.range(3), Dataset.range(10, 20)))
    assert _values(zipped) == [[0, 10], [1, 11], [2, 12]]
    assert int(zipped.cardinality()) == 3
    small = Dataset.range(10).filter(lambda x: ops.less(ops.cast(x, "float32"), 4.5))
    assert _values(small) == [0, 1, 2, 3, 4]
    assert int(small.cardinality()) == data.UNKNOWN_CARDINALITY
    assert _values(Dataset.range(2).enumerate(start=5)) == [[5, 0], [6, 1]]
    assert _values(Dataset.range(5).batch(2).unbatch()) == [0, 1, 2, 3, 4]
    calls = []
    counted = lambda x: tensorhouse_ops.py_function(lambda v: calls.append(1) or v, [x], "int64")  # noqa: E731
    cached = Dataset.range(3).map(counted).cache()
    assert _values(cached) == _values(cached) == [0, 1, 2]
    assert len(calls) == 3  # the second pass reads the cache
