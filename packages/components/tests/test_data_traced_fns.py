"""Functions given to ``flat_map``, ``interleave``, ``group_by_window``, ``scan``, ``reduce`` and
``filter`` are traced once when the transformation is made (as TF does), with TF's errors for
wrong return structures; functions that cannot trace still run eagerly per element."""

from __future__ import annotations

import numpy as np
import pytest

import tensorhouse_ops as tfo
from tensorhouse_components.data import Dataset, TextLineDataset, TFRecordDataset


def _ints(ds):
    return [int(v) for v in ds]


def test_flat_map_traces_once_and_binds_each_element():
    traces = []

    def fn(x):
        traces.append(1)
        return Dataset.range(x * 2).map(lambda y: y * 10)

    ds = Dataset.range(4).flat_map(fn)
    assert len(traces) == 1  # traced when made
    want = [y * 10 for x in range(4) for y in range(x * 2)]
    assert _ints(ds) == want and _ints(ds) == want
    assert len(traces) == 1
    assert ds.element_spec == tfo.TensorSpec([], "int64")


def test_flat_map_slices_repeat_take_skip_and_nesting():
    rows = np.arange(12, dtype=np.int32).reshape(4, 3)
    ds = Dataset.from_tensor_slices(rows).flat_map(
        lambda r: Dataset.from_tensor_slices(r * 2).skip(1).take(r[0] % 2 + 1)
    )
    want = [int(v) for r in rows * 2 for v in r[1 : 1 + (r[0] // 2) % 2 + 1]]
    assert _ints(ds) == want
    assert ds.element_spec == tfo.TensorSpec([], "int32")
    nested = Dataset.range(4).flat_map(
        lambda x: Dataset.range(x).flat_map(lambda y: Dataset.from_tensors(x * 100 + y).repeat(y))
    )
    assert _ints(nested) == [201, 301, 302, 302]  # TF's values


def test_flat_map_over_windows_is_traced():
    traces = []

    def fn(w):
        traces.append(1)
        return w.batch(3)

    ds = Dataset.range(7).window(3, shift=2, drop_remainder=True).flat_map(fn)
    assert [v.numpy().tolist() for v in ds] == [[0, 1, 2], [2, 3, 4], [4, 5, 6]]
    assert len(traces) == 1
    assert ds.element_spec.shape.as_list() == [None]


def test_interleave_traced_order_sequential_and_parallel():
    traces = []

    def fn(x):
        traces.append(1)
        return Dataset.from_tensors(x).repeat(x)

    for calls in (None, 2):
        traces.clear()
        ds = Dataset.range(1, 5).interleave(fn, cycle_length=2, block_length=2,
                                            num_parallel_calls=calls)  # fmt: skip
        assert _ints(ds) == [1, 2, 2, 3, 3, 3, 4, 4, 4, 4]  # TF's order
        assert len(traces) == 1


def test_interleave_and_flat_map_errors_at_construction():
    with pytest.raises(TypeError, match=r"must return a `Dataset` object. Got <class 'tuple'>"):
        Dataset.range(3).interleave(lambda x: [x])
    with pytest.raises(TypeError, match="must return a `Dataset` object"):
        Dataset.range(3).flat_map(lambda x: x + 1)


def test_inner_function_capturing_the_element_falls_back_to_eager():
    # the inner map closes over the outer element: not traceable once, so per element (values
    # as TF gives them)
    ds = Dataset.range(3).flat_map(lambda x: Dataset.range(2).map(lambda i: i + x * 10))
    assert _ints(ds) == [0, 1, 10, 11, 20, 21]


def test_py_function_runs_per_element_inside_flat_map():
    seen = []

    def record(v):
        seen.append(int(v))
        return v

    ds = Dataset.range(3).flat_map(
        lambda x: Dataset.from_tensors(tfo.py_function(record, [x], "int64"))
    )
    assert _ints(ds) == [0, 1, 2] and seen == [0, 1, 2]


def test_group_by_window_traced_once():
    traces = []

    def reduce(key, window):
        traces.append(1)
        return Dataset.zip((Dataset.from_tensors(key).repeat(), window.batch(4)))

    ds = Dataset.range(10).group_by_window(lambda x: x % 3, reduce,
                                           window_size_func=lambda k: k + 2)  # fmt: skip
    got = [(int(k), b.numpy().tolist()) for k, b in ds]
    assert got == [(0, [0, 3]), (1, [1, 4, 7]), (0, [6, 9]), (2, [2, 5, 8])]
    assert len(traces) == 1
    with pytest.raises(ValueError, match="requested dtype int64 for Tensor with dtype int32"):
        Dataset.range(4).group_by_window(lambda x: tfo.cast(x, "int32"), lambda k, w: w, 2)
    with pytest.raises(TypeError, match="must return a single `tf.data.Dataset` object"):
        Dataset.range(4).group_by_window(lambda x: x, lambda k, w: k, 2)


def test_scan_traced_once_relaxes_the_state_shape():
    traces = []

    def step(state, x):
        traces.append(1)
        return tfo.concat([state, tfo.reshape(x, [1])], 0), tfo.reduce_sum(state)

    ds = Dataset.range(5).scan(tfo.zeros([0], "int64"), step)
    assert _ints(ds) == [0, 0, 1, 3, 6]
    assert len(traces) == 2  # the [0] state, then the relaxed [None] one (TF's rule)
    assert ds.element_spec == tfo.TensorSpec([], "int64")
    assert _ints(ds) == [0, 0, 1, 3, 6] and len(traces) == 2


def test_scan_errors():
    ds = Dataset.range(3)
    with pytest.raises(TypeError, match="should return a pair consisting of new state"):
        ds.scan(tfo.constant(0, "int64"), lambda s, x: s + x)
    with pytest.raises(TypeError, match="Expected <dtype: 'int32'>, got <dtype: 'int64'>"):
        ds.scan(tfo.constant(0, "int32"), lambda s, x: (x, x))


def test_reduce_traced_once_with_tuple_state():
    traces = []
    data = (np.arange(1, 6, dtype=np.int32), np.linspace(0.5, 2.5, 5).astype(np.float32))

    def add(state, element):
        traces.append(1)
        return state[0] + element[0], state[1] * element[1]

    total, product = Dataset.from_tensor_slices(data).reduce((0, 1.0), add)
    assert len(traces) == 1
    assert int(total) == 15 and total.dtype == "int32"
    np.testing.assert_allclose(float(product), np.prod(data[1]), rtol=1e-6)


def test_reduce_errors_and_relaxed_state():
    ds = Dataset.range(3)
    with pytest.raises(TypeError, match="Expected <dtype: 'int32'> but got <dtype: 'int64'>"):
        ds.reduce(tfo.constant(0, "int32"), lambda s, x: x)
    with pytest.raises(tfo.errors.InvalidArgumentError, match=r"initial_state=1, output=2"):
        ds.reduce(tfo.constant(0, "int64"), lambda s, x: (s, x))
    out = ds.reduce(
        tfo.zeros([0], "int64"), lambda s, x: tfo.concat([s, tfo.reshape(x * 2, [1])], 0)
    )
    assert out.numpy().tolist() == [0, 2, 4]


def test_filter_traces_once():
    traces = []

    def keep(x):
        traces.append(1)
        return x % 3 == 0

    ds = Dataset.range(10).filter(keep)
    assert len(traces) == 1
    assert _ints(ds) == [0, 3, 6, 9] and len(traces) == 1
    with pytest.raises(ValueError, match=r"scalar tensor, but its return type is TensorSpec"):
        Dataset.range(3).filter(lambda x: x)


def test_interleaved_readers_bind_their_file_names(tmp_path):
    paths = []
    for i in range(3):
        path = tmp_path / f"f{i}.txt"
        path.write_text("".join(f"{i}-{j}\n" for j in range(i + 1)))
        paths.append(str(path))
    traces = []

    def lines(name):
        traces.append(1)
        return TextLineDataset(name)

    ds = Dataset.from_tensor_slices(paths).interleave(lines, cycle_length=2)
    got = [v.numpy().decode() for v in ds]
    assert got == ["0-0", "1-0", "1-1", "2-0", "2-1", "2-2"] and len(traces) == 1
    with tfo.io.TFRecordWriter(str(tmp_path / "r.tfrecord")) as w:
        for j in range(3):
            w.write(b"rec%d" % j)
    reader = TFRecordDataset([str(tmp_path / "r.tfrecord")] * 2, num_parallel_reads=2)
    assert [v.numpy() for v in reader] == [b"rec0", b"rec0", b"rec1", b"rec1", b"rec2", b"rec2"]
