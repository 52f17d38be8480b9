"""tf.sparse and segment ops inside tf.function where sizes depend on values: TF's static
shapes (``None`` where TF's are) and the same numbers traced as eager, checked against TF."""

from __future__ import annotations

import numpy as np
import pytest

from .conftest import USING_TF

IDX = [[0, 1], [0, 3], [1, 0], [2, 3]]
VALS = [1.0, 4.0, 2.0, 3.0]
SHAPE = [3, 4]
UNKNOWN = ([None, None], "unknown")
STATIC = ([3, 4], "static")


def shape_of(out):
    """Static shapes of an output: a SparseTensor's components, or a tensor's shape."""
    if hasattr(out, "indices"):
        return [out.indices.shape.as_list(), out.values.shape.as_list(), out.shape.as_list()]
    if isinstance(out, tuple | list):
        return [shape_of(o) for o in out]
    return out.shape.as_list() if out.shape.rank is not None else None


def value_of(out):
    if hasattr(out, "indices"):
        return [out.indices.numpy().tolist(), out.values.numpy().tolist(),
                out.dense_shape.numpy().tolist()]  # fmt: skip
    if isinstance(out, tuple | list):
        return [value_of(o) for o in out]
    return np.asarray(out).tolist()


# name: (fn, TF's static shapes for the unknown spec, for the static spec, expected value);
# a shape given as (tf's, tensorhouse's) is one where tensorhouse knows more than TF
CASES = {
    "to_dense": (
        lambda tf, s: tf.sparse.to_dense(s),
        [None, None],
        ([None, None], [3, 4]),
        [[0.0, 1.0, 0.0, 4.0], [2.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 3.0]],
    ),
    "to_dense_default": (
        lambda tf, s: tf.sparse.to_dense(s, default_value=-1.0),
        [None, None],
        ([None, None], [3, 4]),
        [[-1.0, 1.0, -1.0, 4.0], [2.0, -1.0, -1.0, -1.0], [-1.0, -1.0, -1.0, 3.0]],
    ),
    "reduce_sum_all": (
        lambda tf, s: tf.sparse.reduce_sum(s),
        (None, []),
        (None, []),
        10.0,
    ),
    "reduce_sum_rows": (
        lambda tf, s: tf.sparse.reduce_sum(s, 1),
        (None, [None]),
        (None, [3]),
        [5.0, 2.0, 3.0],
    ),
    "reduce_sum_keepdims": (
        lambda tf, s: tf.sparse.reduce_sum(s, 1, keepdims=True),
        (None, [None, 1]),
        (None, [3, 1]),
        [[5.0], [2.0], [3.0]],
    ),
    "reduce_max_cols": (
        lambda tf, s: tf.sparse.reduce_max(s, 0),
        (None, [None]),
        (None, [4]),
        [2.0, 1.0, 0.0, 4.0],
    ),
    "reorder": (
        lambda tf, s: tf.sparse.reorder(s),
        [[None, 2], [None], [None, None]],
        [[None, 2], [None], [3, 4]],
        [IDX, VALS, SHAPE],
    ),
    "retain": (
        lambda tf, s: tf.sparse.retain(s, s.values > 1.5),
        [[None, 2], [None], [None, None]],
        ([[None, 2], [None], [None, None]], [[None, 2], [None], [3, 4]]),
        [[[0, 3], [1, 0], [2, 3]], [4.0, 2.0, 3.0], SHAPE],
    ),
    "slice": (
        lambda tf, s: tf.sparse.slice(s, [0, 1], [2, 3]),
        [[None, 2], [None], [None, None]],
        [[None, 2], [None], [None, None]],
        [[[0, 0], [0, 2]], [1.0, 4.0], [2, 3]],
    ),
    "fill_empty_rows": (
        lambda tf, s: tf.sparse.fill_empty_rows(tf.sparse.retain(s, s.values < 2.5), -1.0),
        [[[None, 2], [None], [None, None]], [None]],
        ([[[None, 2], [None], [None, None]], [None]], [[[None, 2], [None], [3, 4]], [3]]),
        [[[[0, 1], [1, 0], [2, 0]], [1.0, 2.0, -1.0], SHAPE], [False, False, True]],
    ),
    "add_sparse": (
        lambda tf, s: tf.sparse.add(s, tf.sparse.SparseTensor([[1, 1]], [5.0], SHAPE)),
        [[None, 2], [None], [3, 4]],
        [[None, 2], [None], [3, 4]],
        [[[0, 1], [0, 3], [1, 0], [1, 1], [2, 3]], [1.0, 4.0, 2.0, 5.0, 3.0], SHAPE],
    ),
    "add_dense": (
        lambda tf, s: tf.sparse.add(s, tf.ones([3, 4])),
        [3, 4],
        [3, 4],
        [[1.0, 2.0, 1.0, 5.0], [3.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 4.0]],
    ),
    "concat": (
        lambda tf, s: tf.sparse.concat(1, [s, s]),
        [[None, 2], [None], [None, None]],
        [[None, 2], [None], [3, 8]],
        [
            [[0, 1], [0, 3], [0, 5], [0, 7], [1, 0], [1, 4], [2, 3], [2, 7]],
            [1.0, 4.0, 1.0, 4.0, 2.0, 2.0, 3.0, 3.0],
            [3, 8],
        ],
    ),
    "matmul": (
        lambda tf, s: tf.sparse.sparse_dense_matmul(s, tf.constant([[1.0], [2.0], [3.0], [4.0]])),
        [None, 1],
        ([None, 1], [3, 1]),
        [[18.0], [2.0], [12.0]],
    ),
    "from_dense": (
        lambda tf, s: tf.sparse.from_dense(tf.sparse.to_dense(s) * 2.0),
        [[None, 2], [None], [None, None]],
        ([[None, 2], [None], [None, None]], [[None, 2], [None], [3, 4]]),
        [IDX, [2.0, 8.0, 4.0, 6.0], SHAPE],
    ),
    "indicator": (
        lambda tf, s: tf.sparse.to_indicator(
            tf.sparse.SparseTensor(s.indices, tf.cast(s.values, tf.int64), s.dense_shape), 5
        ),
        [None, 5],
        [None, 5],
        [
            [False, True, False, False, True],
            [False, False, True, False, False],
            [False, False, False, True, False],
        ],
    ),
    "sparse_segment_sum": (
        lambda tf, s: tf.sparse.segment_sum(
            tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]]),
            s.indices[:, 1],
            s.indices[:, 0],
        ),
        [None, 2],
        [None, 2],
        [[10.0, 12.0], [1.0, 2.0], [7.0, 8.0]],
    ),
    "sparse_segment_mean_padded": (
        lambda tf, s: tf.sparse.segment_mean(
            tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]]),
            s.indices[:, 1],
            s.indices[:, 0],
            num_segments=s.dense_shape[1],
        ),
        [None, 2],
        [None, 2],
        [[5.0, 6.0], [1.0, 2.0], [7.0, 8.0], [0.0, 0.0]],
    ),
    "sparse_segment_sqrt_n": (
        lambda tf, s: tf.sparse.segment_sqrt_n(
            tf.constant([[1.0], [3.0], [5.0], [7.0]]), s.indices[:, 1], s.indices[:, 0]
        ),
        [None, 1],
        [None, 1],
        [[10.0 / np.sqrt(2)], [1.0], [7.0]],
    ),
}


def _shapes_for(spec_shapes):
    if isinstance(spec_shapes, tuple):
        return spec_shapes[0] if USING_TF else spec_shapes[1]
    return spec_shapes


@pytest.mark.parametrize("spec", [UNKNOWN, STATIC], ids=lambda s: s[1])
@pytest.mark.parametrize("name", sorted(CASES))
def test_traced_static_shapes_and_values(tf, name, spec):
    fn, unknown_shapes, static_shapes, expected = CASES[name]
    f = tf.function(lambda s: fn(tf, s), input_signature=[tf.SparseTensorSpec(spec[0])])
    out = f.get_concrete_function().structured_outputs
    want = _shapes_for(unknown_shapes if spec is UNKNOWN else static_shapes)
    assert shape_of(out) == want
    sp = tf.sparse.SparseTensor(IDX, VALS, SHAPE)
    traced = value_of(f(sp))
    assert traced == value_of(fn(tf, sp))
    if name == "sparse_segment_sqrt_n":
        np.testing.assert_allclose(traced, expected, rtol=1e-6)
    else:
        assert traced == expected


@pytest.mark.parametrize("keepdims", [False, True])
def test_sparse_output_reductions_traced(tf, keepdims):
    def red(s):
        total = tf.sparse.reduce_sum(s, 1, keepdims=keepdims, output_is_sparse=True)
        best = tf.sparse.reduce_max(s, 0, keepdims=keepdims, output_is_sparse=True)
        return total, best

    spec = tf.SparseTensorSpec([None, None], tf.float32)
    f = tf.function(red, input_signature=[spec])
    sp = tf.sparse.SparseTensor(IDX, VALS, SHAPE)
    total, best = f(sp)
    rows = [[0, 0], [1, 0], [2, 0]] if keepdims else [[0], [1], [2]]
    cols = [[0, 0], [0, 1], [0, 3]] if keepdims else [[0], [1], [3]]
    assert value_of(total) == [rows, [5.0, 2.0, 3.0], [3, 1] if keepdims else [3]]
    assert value_of(best) == [cols, [2.0, 1.0, 4.0], [1, 4] if keepdims else [4]]
    assert value_of((total, best)) == value_of(red(sp))
    # a second call with another number of entries: sizes are run-time ones
    other = tf.sparse.SparseTensor([[1, 2]], [7.0], [2, 5])
    assert value_of(f(other)[0]) == [[[1, 0]] if keepdims else [[1]], [7.0],
                                     [2, 1] if keepdims else [2]]  # fmt: skip
    # TF knows nothing of these shapes; tensorhouse knows the ranks
    out = f.get_concrete_function().structured_outputs[0]
    if USING_TF:
        assert out.indices.shape.rank is None
    else:
        assert out.indices.shape.as_list() == [None, 2 if keepdims else 1]
        assert out.values.shape.as_list() == [None]


UNSORTED = ["unsorted_segment_sum", "unsorted_segment_max", "unsorted_segment_min",
            "unsorted_segment_prod", "unsorted_segment_mean",
            "unsorted_segment_sqrt_n"]  # fmt: skip


@pytest.mark.parametrize("op", UNSORTED)
def test_unsorted_segments_with_run_time_num_segments(tf, op):
    fn = getattr(tf.math, op)
    data = np.array([[1.0, 2.0], [3.0, -4.0], [5.0, 6.0], [0.5, 8.0]], np.float32)
    ids = np.array([3, -1, 0, 3], np.int32)
    specs = [tf.TensorSpec([None, 2]), tf.TensorSpec([None], tf.int32), tf.TensorSpec([], tf.int32)]
    f = tf.function(lambda d, i, n: fn(d, i, n), input_signature=specs)
    assert f.get_concrete_function().structured_outputs.shape.as_list() == [None, 2]
    traced = f(data, ids, 5).numpy()
    assert traced.shape == (5, 2)
    np.testing.assert_allclose(traced, fn(data, ids, 5).numpy(), rtol=1e-6)
    low, high = np.finfo(np.float32).min, np.finfo(np.float32).max
    empty = {"unsorted_segment_max": low, "unsorted_segment_min": high,
             "unsorted_segment_prod": 1.0}.get(op, 0.0)  # fmt: skip
    seg3 = {"unsorted_segment_sum": [1.5, 10.0], "unsorted_segment_max": [1.0, 8.0],
            "unsorted_segment_min": [0.5, 2.0], "unsorted_segment_prod": [0.5, 16.0],
            "unsorted_segment_mean": [0.75, 5.0],
            "unsorted_segment_sqrt_n": [1.5 / np.sqrt(2), 10.0 / np.sqrt(2)]}[op]  # fmt: skip
    np.testing.assert_allclose(traced[3], seg3, rtol=1e-6)
    np.testing.assert_allclose(traced[0], [5.0, 6.0], rtol=1e-6)  # one row: itself
    np.testing.assert_array_equal(traced[[1, 2, 4]], np.full([3, 2], empty, np.float32))
    assert f(data[:1], ids[2:3], 2).numpy().tolist() == [[1.0, 2.0], [empty, empty]]


def test_unsorted_segment_run_time_gradient_and_error(tf, errors):
    data = tf.constant([1.0, 5.0, 3.0, 5.0])
    ids = tf.constant([0, 0, 1, 0])

    @tf.function
    def grads(d, n):
        with tf.GradientTape() as tape:
            tape.watch(d)
            out = tf.math.unsorted_segment_max(d, ids, n) * tf.constant([1.0, 10.0])
            loss = tf.reduce_sum(tf.math.unsorted_segment_sum(d, ids, n)) + tf.reduce_sum(out)
        return tape.gradient(loss, d)

    # sum: 1 each; max: the tie of 5s in segment 0 shares 1, segment 1's only row takes 10
    np.testing.assert_allclose(grads(data, tf.constant(2)).numpy(), [1.0, 1.5, 11.0, 1.5])

    @tf.function
    def bad(n):
        return tf.math.unsorted_segment_sum(data, ids, n)

    with pytest.raises(errors.InvalidArgumentError, match=r"segment_ids\[2\] = 1 is out of range"):
        bad(tf.constant(1))


def test_to_dense_gradient_with_run_time_shape(tf):
    spec = tf.SparseTensorSpec([None, None], tf.float32)

    @tf.function(input_signature=[spec])
    def grad(s):
        with tf.GradientTape() as tape:
            v = s.values
            tape.watch(v)
            dense = tf.sparse.to_dense(tf.sparse.SparseTensor(s.indices, v, s.dense_shape))
            loss = tf.reduce_sum(dense * tf.reshape(tf.range(12, dtype=tf.float32), [3, 4]))
        return tape.gradient(loss, v)

    g = grad(tf.sparse.SparseTensor(IDX, VALS, SHAPE))
    assert g.numpy().tolist() == [1.0, 3.0, 4.0, 11.0]  # the flat position of each entry
