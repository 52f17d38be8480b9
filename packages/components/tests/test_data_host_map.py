"""``map``'s traced function runs on the element's host arrays (``ConcreteFunction.host_fn``):
no tensors per element, the same values, order and errors as the tensor call, in parallel
too; ragged elements and closures over another function's tensors keep the tensor call."""

from __future__ import annotations

import numpy as np
import pytest

import tensorhouse_ops as tfo
from tensorhouse_components.data import Dataset


def _pairs():
    names = np.array([b"a", b"bcd", b"", b"efgh", b"ij"], dtype=object)
    values = np.arange(15, dtype=np.float32).reshape(5, 3) / 2.0
    return Dataset.from_tensor_slices({"name": names, "x": values}), names, values


def _counting(monkeypatch):
    """The number of elements run on host arrays, counted from now on."""
    runs = []
    host_fn = tfo.ConcreteFunction.host_fn

    def counted(self):
        run = host_fn(self)
        return None if run is None else lambda *a: runs.append(1) or run(*a)

    monkeypatch.setattr(tfo.ConcreteFunction, "host_fn", counted)
    return runs


@pytest.mark.parametrize("calls", [None, 2])
def test_dict_in_tuple_out_values_and_order(calls, monkeypatch):
    runs = _counting(monkeypatch)
    ds, names, values = _pairs()

    def fn(e):
        return tfo.strings.length(e["name"]), tfo.reduce_sum(e["x"] * e["x"]), e["name"]

    got = list(ds.map(fn, num_parallel_calls=calls).as_numpy_iterator())
    assert [int(n) for n, _, _ in got] == [len(b) for b in names]
    np.testing.assert_allclose([s for _, s, _ in got], (values * values).sum(1), rtol=1e-6)
    assert [b for _, _, b in got] == list(names)  # strings come back as bytes
    assert all(type(s) is np.float32 for _, s, _ in got)
    assert len(runs) == 5  # each element on its host arrays


def test_run_time_errors_reach_the_consumer_after_the_elements_before():
    ds = Dataset.from_tensor_slices(np.array([4, 4, 5, 4], np.int64))

    def fn(n):
        return tfo.reshape(tfo.range(n), [2, -1])  # 5 values do not make 2 rows

    it = iter(ds.map(fn, num_parallel_calls=2))
    np.testing.assert_array_equal(next(it).numpy(), [[0, 1], [2, 3]])
    np.testing.assert_array_equal(next(it).numpy(), [[0, 1], [2, 3]])
    with pytest.raises(tfo.errors.InvalidArgumentError, match="Reshape"):
        next(it)


def test_ragged_elements_keep_the_tensor_call(monkeypatch):
    runs = _counting(monkeypatch)
    rt = tfo.ragged.constant([[1, 2], [3], [4, 5, 6]])
    got = [int(v) for v in Dataset.from_tensor_slices(rt).map(lambda r: tfo.reduce_sum(r))]
    assert got == [3, 3, 15] and not runs
