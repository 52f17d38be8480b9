"""Functions given to tf.data transformations are traced once when the transformation is made:
Python side effects once, ``tf.py_function`` per element; element orders, specs and TF's errors
for wrong return structures, the same text run on TF and on tensorhouse."""

from __future__ import annotations

import numpy as np
import pytest


def _vals(ds):
    return [np.asarray(v).tolist() for v in ds.as_numpy_iterator()]


def test_side_effects_once_at_construction(tf):
    traced = []

    def inner(x):
        traced.append("flat_map")
        return tf.data.Dataset.range(x).map(lambda y: y * 2)

    def step(state, x):
        traced.append("scan")
        return state + x, state * 10

    def keep(x):
        traced.append("filter")
        return x > 0

    ds = tf.data.Dataset.range(4)
    made = [ds.flat_map(inner), ds.interleave(inner, cycle_length=2), ds.scan(np.int64(0), step),
            ds.filter(keep)]  # fmt: skip
    assert traced == ["flat_map", "flat_map", "scan", "filter"]
    values = [_vals(d) for d in made] + [_vals(d) for d in made]
    assert values[0] == [0, 0, 2, 0, 2, 4]
    assert values[1] == [0, 0, 2, 0, 2, 4]
    assert values[2] == [0, 0, 10, 30] and values[3] == [1, 2, 3]
    assert values[4:] == values[:4]
    assert len(traced) == 4  # iterating ran no Python of the functions


def test_py_function_runs_per_element(tf):
    seen = []

    def record(v):
        seen.append(int(v))
        return v

    ds = tf.data.Dataset.range(3).interleave(
        lambda x: tf.data.Dataset.from_tensors(tf.py_function(record, [x], tf.int64)),
        cycle_length=1,
    )
    assert _vals(ds) == [0, 1, 2] and seen == [0, 1, 2]
    total = tf.data.Dataset.range(4).reduce(
        np.int64(0), lambda s, x: s + tf.py_function(record, [x], tf.int64)
    )
    assert int(total) == 6 and seen == [0, 1, 2, 0, 1, 2, 3]


def test_specs_and_orders(tf):
    rows = tf.data.Dataset.from_tensor_slices(np.arange(6, dtype=np.int32).reshape(3, 2))
    ds = rows.flat_map(lambda r: tf.data.Dataset.from_tensor_slices(r).repeat(2))
    assert ds.element_spec == tf.TensorSpec([], tf.int32)
    assert _vals(ds) == [0, 1, 0, 1, 2, 3, 2, 3, 4, 5, 4, 5]
    windows = tf.data.Dataset.range(5).window(2, drop_remainder=True).flat_map(lambda w: w.batch(2))
    assert windows.element_spec == tf.TensorSpec([None], tf.int64)
    assert _vals(windows) == [[0, 1], [2, 3]]
    grouped = tf.data.Dataset.range(8).group_by_window(
        lambda x: x % 2, lambda k, w: w.batch(3), window_size=3
    )
    assert _vals(grouped) == [[0, 2, 4], [1, 3, 5], [6], [7]]
    scanned = tf.data.Dataset.range(4).scan(
        tf.zeros([0], tf.int64), lambda s, x: (tf.concat([s, tf.reshape(x, [1])], 0), s)
    )
    assert scanned.element_spec == tf.TensorSpec([None], tf.int64)
    assert _vals(scanned) == [[], [0], [0, 1], [0, 1, 2]]
    out = tf.data.Dataset.range(1, 4).reduce((np.int64(0), 1.0), lambda s, x: (s[0] + x, s[1] * 2))
    assert int(out[0]) == 6 and float(out[1]) == 8.0


def test_wrong_return_structures(tf):
    ds = tf.data.Dataset.range(3)
    with pytest.raises(TypeError, match="must return a `Dataset` object"):
        ds.interleave(lambda x: [x])
    with pytest.raises(TypeError, match="should return a pair consisting of new state"):
        ds.scan(tf.constant(0, tf.int64), lambda s, x: s + x)
    with pytest.raises(TypeError, match="element types for the new state must match"):
        ds.scan(tf.constant(0, tf.int32), lambda s, x: (x, x))
    with pytest.raises(TypeError, match="element types for the new state must match"):
        ds.reduce(tf.constant(0, tf.int32), lambda s, x: x)
    with pytest.raises(TypeError, match="must return a single `tf.data.Dataset` object"):
        ds.group_by_window(lambda x: x, lambda k, w: k, window_size=2)
    with pytest.raises(ValueError, match="`predicate` must return a `tf.bool` scalar tensor"):
        ds.filter(lambda x: x)
