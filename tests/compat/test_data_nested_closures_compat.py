"""A function inside a dataset function that closes over the outer function's tensors
(``ds.flat_map(lambda x: other.map(lambda i: i + x))``) is traced once, as TF: Python side
effects of both run once, at construction; the orders as TF's. ``bucket_by_sequence_length``'s
length function is traced once too."""

from __future__ import annotations

import numpy as np
import pytest


def _vals(ds):
    return [np.asarray(v).tolist() for v in ds.as_numpy_iterator()]


def test_nested_closures_trace_once(tf):
    traced = []
    other = tf.data.Dataset.range(3)

    def shifted(x):
        traced.append("outer")

        def add(i):
            traced.append("map")
            return i + x

        def small(a):
            traced.append("filter")
            return a < x + 2

        return other.map(add).filter(small)

    flat = tf.data.Dataset.range(4).flat_map(shifted)
    woven = tf.data.Dataset.range(1, 4).interleave(
        lambda x: tf.data.Dataset.range(x).map(lambda i: i * x + tf.cast(x, tf.int64)),
        cycle_length=2, block_length=2,
    )  # fmt: skip
    assert traced == ["outer", "map", "filter"]
    assert _vals(flat) == [0, 1, 1, 2, 2, 3, 3, 4]
    assert _vals(woven) == [1, 2, 4, 3, 6, 9]  # inner: [1], [2, 4], [3, 6, 9]; TF's order
    assert _vals(flat) == [0, 1, 1, 2, 2, 3, 3, 4]
    assert traced == ["outer", "map", "filter"]


def test_closure_values_per_outer_element(tf):
    seen = []

    def per_element(x):
        seen.append(1)
        scale = x * 10
        return (
            tf.data.Dataset.range(x).map(lambda i: (i + scale, x)).filter(lambda a, b: a % 2 == 0)
        )

    ds = tf.data.Dataset.range(1, 4).flat_map(per_element)
    assert _vals(ds) == [[10, 1], [20, 2], [30, 3], [32, 3]]
    assert _vals(ds) == [[10, 1], [20, 2], [30, 3], [32, 3]] and seen == [1]
    assert ds.element_spec == (tf.TensorSpec([], tf.int64), tf.TensorSpec([], tf.int64))


def test_bucket_length_function_traced_once(tf):
    calls = []
    rows = [[1] * n for n in (1, 4, 2, 6, 3, 5, 2, 7)]
    seqs = tf.data.Dataset.from_generator(
        lambda: iter(rows), output_signature=tf.TensorSpec([None], tf.int32)
    )

    def length(x):
        calls.append(1)
        return tf.shape(x)[0]

    buckets = seqs.bucket_by_sequence_length(length, [3, 5], [2, 2, 3])
    # buckets: length < 3 (batches of 2), 3..4 (2), >= 5 (3); padded to the batch's longest
    got = [(b.shape, b.sum(axis=1).tolist()) for b in buckets.as_numpy_iterator()]
    want = [((2, 2), [1, 2]), ((2, 4), [4, 3]), ((3, 7), [6, 5, 7]), ((1, 2), [2])]
    assert got == want
    assert [(b.shape, b.sum(axis=1).tolist()) for b in buckets.as_numpy_iterator()] == want
    assert len(calls) == 1


def test_group_by_window_flushes_in_key_order(tf):
    keys = [5, 1, 3, 0, 4, 7, 2, 6, 10, 8, 1]
    ds = tf.data.Dataset.from_tensor_slices(np.array(keys, np.int64)).group_by_window(
        lambda k: k, lambda k, w: w.batch(5), window_size=2
    )
    # key 1 fills its window of 2 first; the rest come out at the end, lowest key first
    assert _vals(ds) == [[1, 1], [0], [2], [3], [4], [5], [6], [7], [8], [10]]


def test_dataset_function_inside_dataset_function(tf):
    calls = []

    def outer(x):
        calls.append("outer")

        def inner(y):
            calls.append("inner")
            return tf.data.Dataset.range(y + x).map(lambda v: v * 10 + x)

        return tf.data.Dataset.range(2).flat_map(inner)

    ds = tf.data.Dataset.range(1, 3).flat_map(outer)
    # x=1: y=0 -> [1]; y=1 -> [1, 11]; x=2: y=0 -> [2, 12]; y=1 -> [2, 12, 22]
    assert _vals(ds) == [1, 1, 11, 2, 12, 2, 12, 22]
    woven = tf.data.Dataset.range(1, 3).interleave(
        lambda x: tf.data.Dataset.range(3).interleave(
            lambda y: tf.data.Dataset.from_tensors(y * 100 + x), cycle_length=2
        ),
        cycle_length=2,
    )
    assert _vals(woven) == [1, 2, 101, 102, 201, 202]
    assert _vals(ds) == [1, 1, 11, 2, 12, 2, 12, 22] and calls == ["outer", "inner"]


def test_scan_closing_over_the_outer_element(tf):
    calls = []

    def step(x):
        def add(s, i):
            calls.append(1)
            return s + i * x, s * 10 + x

        return tf.data.Dataset.range(3).scan(np.int64(0), add)

    ds = tf.data.Dataset.range(1, 3).flat_map(step)
    assert _vals(ds) == [1, 1, 11, 2, 2, 22] and len(calls) == 1


def test_group_by_window_functions_closing_over_the_outer_element(tf):
    calls = []
    r = tf.data.Dataset.range

    def grouped(x):
        def reduce(k, w):
            calls.append(1)
            return w.map(lambda v: v + x * 100 + k * 10)

        return r(6).group_by_window(lambda y: y % 2, reduce, window_size=2)

    ds = r(3).flat_map(grouped)
    want = [x * 100 + v for x in range(3) for v in (0, 2, 11, 13, 4, 15)]
    assert _vals(ds) == want and _vals(ds) == want and len(calls) == 1
    cases = [
        (lambda x: r(5).group_by_window(lambda y: y % 2, lambda k, w: tf.data.Dataset.from_tensors(
            x * 10 + k), window_size=2), [0, 1, 0, 10, 11, 10, 20, 21, 20]),
        (lambda x: r(5).group_by_window(lambda y: (y + x) % 2, lambda k, w: w, window_size=2),
         [0, 2, 1, 3, 4] * 3),
        (lambda x: r(5).group_by_window(lambda y: y % 2, lambda k, w: w,
                                        window_size_func=lambda k: k + x + 1),
         [0, 2, 1, 3, 4, 0, 2, 4, 1, 3, 0, 2, 4, 1, 3]),
        (lambda x: r(5).group_by_window(lambda y: y % 2, lambda k, w: r(x + k), window_size=2),
         [0, 0, 0, 1, 0, 0, 1, 0, 1, 2, 0, 1]),
        (lambda x: r(6).group_by_window(lambda y: y % 2, lambda k, w: w.scan(
            x, lambda s, v: (s + v, s)), window_size=3),
         [0, 0, 2, 0, 1, 4, 1, 1, 3, 1, 2, 5, 2, 2, 4, 2, 3, 6]),
        (lambda x: r(4).group_by_window(lambda y: y % 2, lambda k, w: w.group_by_window(
            lambda z: z // 2, lambda k2, w2: w2.map(lambda v: v + x * 100), window_size=1),
            window_size=2), [0, 2, 1, 3, 100, 102, 101, 103, 200, 202, 201, 203]),
    ]  # fmt: skip
    for fn, want in cases:
        assert _vals(r(3).flat_map(fn)) == want
    batched = r(3).flat_map(lambda x: r(5).group_by_window(
        lambda y: y % 2, lambda k, w: w.batch(x + 1), window_size=3))  # fmt: skip
    assert _vals(batched) == [[0], [2], [4], [1], [3], [0, 2], [4], [1, 3], [0, 2, 4], [1, 3]]


def test_bucket_length_must_be_int32(tf):
    def buckets(x):
        lengths = lambda y: tf.cast(y + x, tf.int32)  # noqa: E731
        return tf.data.Dataset.range(6).bucket_by_sequence_length(lengths, [3], [2, 2])

    shifted = tf.data.Dataset.range(3).flat_map(buckets)
    assert _vals(shifted) == [[0, 1], [3, 4], [2], [5], [0, 1], [2, 3], [4, 5], [1, 2], [3, 4],
                              [0], [5]]  # fmt: skip
    with pytest.raises(TypeError, match="has type int64 that does not match type int32"):
        tf.data.Dataset.range(6).bucket_by_sequence_length(lambda y: y, [3], [2, 2])
