"""A tf.data iterator made outside a ``tf.function`` and read inside it: each call of the traced
function takes the next element when it runs (TF's ``IteratorGetNext`` on the captured iterator),
never the element seen while tracing; ``OutOfRangeError`` at the end. An iterator made inside the
function starts again on every call."""

from __future__ import annotations

import numpy as np
import pytest


def test_next_of_an_argument_advances_each_call(tf):
    @tf.function
    def take(iterator):
        return next(iterator) * 10

    it = iter(tf.data.Dataset.from_tensor_slices([1, 2, 3]))
    assert [int(take(it)) for _ in range(3)] == [10, 20, 30]


def test_next_of_a_captured_iterator_and_the_end(tf, errors):
    it = iter(tf.data.Dataset.range(2))

    @tf.function
    def take():
        return next(it) + 100

    assert [int(take()), int(take())] == [100, 101]
    with pytest.raises(errors.OutOfRangeError):
        take()


def test_two_nexts_in_one_call_and_structured_elements(tf):
    ds = tf.data.Dataset.from_tensor_slices(({"a": [1.0, 2.0, 3.0, 4.0]}, [[1, 2], [3, 4]] * 2))
    it = iter(ds.batch(2))

    @tf.function
    def pair():
        x1, y1 = next(it)
        x2, y2 = next(it)
        return x1["a"] + x2["a"], y1 * y2

    s, p = pair()
    np.testing.assert_allclose(s.numpy(), [4.0, 6.0])
    np.testing.assert_array_equal(p.numpy(), [[1, 4], [9, 16]])


def test_get_next_and_eager_reads_share_the_position(tf):
    it = iter(tf.data.Dataset.range(5))

    @tf.function
    def take():
        return it.get_next()

    assert int(next(it)) == 0
    assert int(take()) == 1
    assert int(next(it)) == 2
    assert int(take()) == 3


def test_an_iterator_made_inside_starts_again_each_call(tf):
    ds = tf.data.Dataset.range(10, 20)

    @tf.function
    def first_two():
        it = iter(ds)
        return next(it) + next(it)

    assert [int(first_two()), int(first_two())] == [21, 21]


def test_shapes_of_the_element_spec_are_kept(tf):
    ds = tf.data.Dataset.range(5).batch(2)  # [None] batches: the last one is short
    it = iter(ds)
    shapes = []

    @tf.function
    def take():
        x = next(it)
        shapes.append(x.shape.as_list())
        return x

    assert [take().numpy().tolist() for _ in range(3)] == [[0, 1], [2, 3], [4]]
    assert shapes == [[None]]


def test_a_for_loop_over_a_captured_iterator_runs_to_its_end_each_call(tf):
    it = iter(tf.data.Dataset.range(1, 6))

    @tf.function
    def total():
        s = tf.constant(0, tf.int64)
        for x in it:
            s += x * x
        return s

    assert int(total()) == 55  # 1 + 4 + 9 + 16 + 25
    assert int(total()) == 0  # the iterator is used up


def test_a_for_loop_over_a_captured_iterator_with_break_and_batches(tf):
    features = {"v": np.arange(7, dtype=np.float32)}
    ds = tf.data.Dataset.from_tensor_slices((features, np.arange(7) % 2)).batch(3)
    it = iter(ds)

    @tf.function
    def until_big():
        seen = tf.constant(0.0)
        rows = tf.constant(0)
        for x, y in it:
            seen += tf.reduce_sum(x["v"]) + tf.cast(tf.reduce_sum(y), tf.float32)
            rows += tf.shape(y)[0]
            if seen > 10.0:
                break
        return seen, rows

    seen, rows = until_big()  # [0,1,2] -> 3 + 1; [3,4,5] -> 12 + 2: stops at 18
    assert (float(seen), int(rows)) == (18.0, 6)
    seen, rows = until_big()  # the rest: [6] -> 6 + 0
    assert (float(seen), int(rows)) == (6.0, 1)


def test_strings_from_a_captured_iterator(tf):
    it = iter(tf.data.Dataset.from_tensor_slices(["ab", "c", "def"]))

    @tf.function
    def joined():
        out = tf.constant("")
        for s in it:
            out = tf.strings.join([out, s], separator="|")
        return out

    assert joined().numpy() == b"|ab|c|def"


def test_get_next_as_optional_eagerly(tf, errors):
    it = iter(tf.data.Dataset.range(2))
    o = it.get_next_as_optional()
    assert bool(o.has_value()) and int(o.get_value()) == 0
    assert o.element_spec == tf.TensorSpec([], tf.int64)
    it.get_next_as_optional()
    end = it.get_next_as_optional()
    assert not bool(end.has_value())
    with pytest.raises(errors.InvalidArgumentError, match="does not have a value"):
        end.get_value()


def test_get_next_as_optional_in_a_function(tf):
    it = iter(tf.data.Dataset.range(3))

    @tf.function
    def take():
        o = it.get_next_as_optional()
        if o.has_value():
            return o.get_value()
        return tf.constant(-1, tf.int64)

    assert [int(take()) for _ in range(5)] == [0, 1, 2, -1, -1]


def test_optional_from_value_empty_and_spec(tf, errors):
    v = tf.experimental.Optional.from_value({"a": tf.constant([1, 2]), "b": 3.0})
    assert v.element_spec == {
        "a": tf.TensorSpec([2], tf.int32),
        "b": tf.TensorSpec([], tf.float32),
    }
    got = v.get_value()
    assert got["a"].numpy().tolist() == [1, 2] and float(got["b"]) == 3.0
    pair = tf.experimental.Optional.from_value((1, "x")).get_value()
    assert int(pair[0]) == 1 and pair[1].numpy() == b"x"
    e = tf.experimental.Optional.empty(tf.TensorSpec([2], tf.float32))
    assert not bool(e.has_value()) and e.element_spec == tf.TensorSpec([2], tf.float32)
    spec = tf.OptionalSpec(tf.TensorSpec([], tf.int64))
    assert repr(spec) == "OptionalSpec(TensorSpec(shape=(), dtype=tf.int64, name=None),)"
    assert tf.data.experimental.Optional is tf.experimental.Optional
    with pytest.raises(errors.InvalidArgumentError):
        tf.experimental.Optional.from_value(None)


def test_an_optional_crosses_a_function(tf, errors):
    traces = []

    @tf.function
    def plus_one(o):
        traces.append(1)
        return o.get_value() + 1

    assert int(plus_one(tf.experimental.Optional.from_value(tf.constant(5)))) == 6
    assert int(plus_one(tf.experimental.Optional.from_value(tf.constant(7)))) == 8
    assert len(traces) == 1  # one trace per OptionalSpec
    with pytest.raises(errors.InvalidArgumentError, match="does not have a value"):
        plus_one(tf.experimental.Optional.empty(tf.TensorSpec([], tf.int32)))


def test_a_for_loop_over_a_dataset_reads_it_anew_each_call(tf):
    data = [1, 2, 3]
    ds = tf.data.Dataset.from_generator(
        lambda: iter(list(data)), output_signature=tf.TensorSpec([], tf.int32)
    )
    seen = []

    @tf.function
    def total():
        s = tf.constant(0)
        for x in ds:
            seen.append(1)  # the body is traced once, not once per element
            s += x
        return s

    assert int(total()) == 6
    data.append(10)
    assert int(total()) == 16
    assert len(seen) == 1


def test_a_for_loop_over_a_dataset_with_break_starts_again_each_call(tf):
    ds = tf.data.Dataset.range(100).map(lambda x: x * 2)

    @tf.function
    def first_above(limit):
        out = tf.constant(-1, tf.int64)
        for x in ds:
            if x > limit:
                out = x
                break
        return out

    assert [int(first_above(tf.constant(v, tf.int64))) for v in (5, 5, 150, 500)] == [
        6,
        6,
        152,
        -1,
    ]


def test_ragged_and_sparse_elements_in_a_function(tf, errors):
    data = [1, 2, 3]
    ragged = tf.data.Dataset.from_generator(
        lambda: iter(list(data)), output_signature=tf.TensorSpec([], tf.int64)
    ).map(lambda x: tf.RaggedTensor.from_row_lengths(tf.fill([x], x), [x, 0]))
    sparse = tf.data.Dataset.range(1, 4).map(
        lambda x: tf.sparse.SparseTensor([[0], [2]], tf.stack([x, 2 * x]), [5])
    )
    seen = []

    @tf.function
    def total(ds):
        s = tf.constant(0, tf.int64)
        for x in ds:
            seen.append(1)  # traced once: a loop, not unrolled
            if isinstance(x, tf.RaggedTensor):
                s += tf.reduce_sum(x.flat_values) * 10 + x.row_lengths()[1]
            else:
                s += tf.sparse.reduce_sum(x)
        return s

    assert int(total(ragged)) == 140 and int(total(sparse)) == 18
    data[:] = [4, 5]  # the data changed: the loop reads it anew
    assert int(total(ragged)) == 410 and len(seen) == 2
    rows = tf.ragged.constant([[[1], [2, 3]], [[4]], [[5, 6], [], [7]]], dtype=tf.int64)
    it, sparse_it = iter(tf.data.Dataset.from_tensor_slices(rows)), iter(sparse)

    @tf.function
    def take():
        x = next(it)
        return tf.reduce_sum(x.flat_values) * 100 + x.nrows()

    @tf.function
    def dense():
        return tf.sparse.to_dense(next(sparse_it))

    assert [int(take()) for _ in range(3)] == [602, 401, 1803]
    with pytest.raises(errors.OutOfRangeError):
        take()
    assert [dense().numpy().tolist() for _ in range(2)] == [[1, 0, 2, 0, 0], [2, 0, 4, 0, 0]]
    looped = iter(tf.data.Dataset.from_tensor_slices(rows))

    @tf.function
    def loop():
        s = tf.constant(0, tf.int64)
        for x in looped:
            s += tf.reduce_sum(x.flat_values)
        return s

    assert int(loop()) == 28
