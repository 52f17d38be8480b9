"""A dataset iterator made outside a traced function and read inside it takes a new element each
time the function runs (``next``, ``get_next``, ``get_next_as_optional``, AutoGraph's ``for``);
``Optional`` crosses ``function`` boundaries as a composite of its tensors."""

from __future__ import annotations

import numpy as np
import pytest

import tensorhouse_ops as tfo
from tensorhouse_components.data import Dataset, Optional, OptionalSpec


def test_next_runs_each_call_and_raises_at_the_end():
    it = iter(Dataset.from_tensor_slices(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)))
    f = tfo.function(lambda: tfo.reduce_sum(next(it)) * 2.0)
    assert [float(f()), float(f())] == [6.0, 14.0]
    with pytest.raises(tfo.errors.OutOfRangeError, match="End of sequence"):
        f()


def test_autograph_for_loop_drains_the_rest_each_call():
    it = iter(Dataset.range(10).batch(4))  # [0..3], [4..7], [8, 9]
    calls = []

    @tfo.function
    def total(limit):
        calls.append(1)
        s = tfo.constant(0, tfo.int64)
        for x in it:
            s += tfo.reduce_sum(x)
            if s > limit:
                break
        return s

    assert int(total(tfo.constant(5, tfo.int64))) == 6  # 0+1+2+3, then stop
    assert int(total(tfo.constant(100, tfo.int64))) == 22 + 17  # 4..7, then 8 and 9
    assert int(total(tfo.constant(100, tfo.int64))) == 0  # used up
    assert len(calls) == 1


def test_a_python_loop_over_a_captured_iterator_is_refused_not_endless():
    it = iter(Dataset.range(3))

    def drain():
        return [x for x in it]  # a comprehension is not converted: it would never end

    with pytest.raises(tfo.errors.InvalidArgumentError, match="Python loop over an iterator"):
        tfo.function(drain, autograph=False)()


def test_optional_values_specs_and_errors():
    o = Optional.from_value((tfo.constant([1, 2]), tfo.constant("s")))
    assert o.element_spec == (tfo.TensorSpec([2], tfo.int32), tfo.TensorSpec([], tfo.string))
    assert OptionalSpec.from_value(o) == OptionalSpec(o.element_spec)
    a, s = o.get_value()
    assert a.numpy().tolist() == [1, 2] and s.numpy() == b"s"
    e = Optional.empty({"x": tfo.TensorSpec([None, 3], tfo.float32)})
    assert not bool(e.has_value())
    with pytest.raises(tfo.errors.InvalidArgumentError, match="does not have a value"):
        e.get_value()
    loose = OptionalSpec(tfo.TensorSpec([None], tfo.int32))
    assert loose.is_compatible_with(OptionalSpec(tfo.TensorSpec([2], tfo.int32)))
    assert not loose.is_compatible_with(OptionalSpec(tfo.TensorSpec([2], tfo.int64)))


def test_optional_through_a_function_traces_once_per_spec():
    traces = []

    @tfo.function
    def value_or(o, default):
        traces.append(1)
        return tfo.cond(o.has_value(), o.get_value, lambda: default)

    it = iter(Dataset.range(1))
    first = it.get_next_as_optional()
    end = it.get_next_as_optional()
    assert int(value_or(first, tfo.constant(-1, tfo.int64))) == 0
    assert int(value_or(end, tfo.constant(-1, tfo.int64))) == -1
    assert len(traces) == 1


def test_ragged_and_sparse_elements_cross_the_node_as_components():
    rows = tfo.ragged.constant([[[1], [2, 3]], [[4]], [[5, 6], [], [7]]], dtype="int64")
    it = iter(Dataset.from_tensor_slices(rows))
    f = tfo.function(lambda: tfo.reduce_sum(next(it).flat_values) * 100 + next(it).nrows())
    assert int(f()) == 601  # [[1], [2, 3]] then [[4]]: both nexts run in one call
    assert (
        int(Dataset.from_tensor_slices(rows).reduce(np.int64(0), lambda s, x: s + x.nrows())) == 6
    )
    sparse = Dataset.range(1, 4).map(
        lambda x: tfo.sparse.SparseTensor([[0], [2]], tfo.stack([x, 2 * x]), [5])
    )
    data = [2, 3]
    grown = Dataset.from_generator(
        lambda: iter(list(data)), output_signature=tfo.TensorSpec([], "int64")
    ).map(lambda n: tfo.RaggedTensor.from_row_lengths(tfo.fill([n], n), [n]))
    traces = []

    @tfo.function
    def total(ds):
        traces.append(1)
        s = tfo.constant(0, tfo.int64)
        for x in ds:
            s += tfo.sparse.reduce_sum(x) if isinstance(x, tfo.SparseTensor) else tfo.reduce_sum(x)
        return s

    assert int(total(sparse)) == 18 and int(total(grown)) == 13
    data.append(4)  # read anew each call: the loop is not unrolled at trace time
    assert int(total(grown)) == 29 and len(traces) == 2
