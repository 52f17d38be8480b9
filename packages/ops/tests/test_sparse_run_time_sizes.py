"""Sparse and segment ops inside tf.function where the sizes are known only at run time (an
unknown number of entries, dense shape or ``num_segments``): ``None`` dims and NumPy numbers."""

import numpy as np
import pytest

import tensorhouse_ops as tf

SPARSE = tf.SparseTensorSpec([None, None], tf.float32)


def np_unsorted(kind, data, ids, n):
    """A NumPy reference of TF's unsorted segment reductions (negative ids dropped)."""
    ident = {"max": -np.inf, "min": np.inf, "prod": 1, "sum": 0}[kind]
    out = np.full((n,) + data.shape[ids.ndim :], ident, np.float64)
    fold = {"max": np.maximum, "min": np.minimum, "prod": np.multiply, "sum": np.add}[kind]
    for pos in np.ndindex(ids.shape):
        if ids[pos] >= 0:
            out[ids[pos]] = fold(out[ids[pos]], data[pos])
    return out


@pytest.mark.parametrize("kind", ["sum", "max", "min", "prod"])
def test_run_time_num_segments_with_unknown_inner_dims(kind):
    fn = getattr(tf.math, f"unsorted_segment_{kind}")
    rng = np.random.default_rng(0)
    data = rng.integers(-5, 6, (2, 3, 2)).astype(np.int32)
    ids = np.array([[1, -1, 4], [1, 0, 4]], np.int64)
    specs = [tf.TensorSpec([None, None, None], tf.int32), tf.TensorSpec([None, None], tf.int64),
             tf.TensorSpec([], tf.int64)]  # fmt: skip
    f = tf.function(lambda d, i, n: fn(d, i, n), input_signature=specs)
    assert f.get_concrete_function().structured_outputs.shape.as_list() == [None, None]
    got = f(data, ids, np.int64(6)).numpy()
    want = np_unsorted(kind, data, ids, 6)
    info = np.iinfo(np.int32)
    want = np.where(np.isinf(want), np.where(want > 0, info.max, info.min), want)
    np.testing.assert_array_equal(got, want.astype(np.int32))
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, fn(data, ids, 6).numpy())  # the eager kernel's numbers


def test_run_time_num_segments_edges_and_errors():
    f = tf.function(lambda d, i, n: tf.math.unsorted_segment_max(d, i, n))
    n = tf.constant(2)
    out = f(tf.constant([[1.0], [2.0]]), tf.constant([-1, -1]), n)  # every id dropped
    np.testing.assert_array_equal(out.numpy(), np.full([2, 1], np.finfo(np.float32).min))
    assert f(tf.zeros([0, 3]), tf.zeros([0], tf.int32), tf.constant(0)).shape == (0, 3)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"segment_ids\[1\]\[0\] = 2 is"):
        f(tf.ones([2, 2]), tf.constant([[0, 1], [2, 0]]), n)


def test_sparse_ops_with_a_run_time_dense_shape():
    @tf.function(input_signature=[SPARSE])
    def ops(s):
        dense = tf.sparse.to_dense(s, default_value=-1.0)
        rows = tf.sparse.reduce_sum(s, 1, output_is_sparse=True)
        best = tf.sparse.reduce_max(s, 0)
        prod = tf.sparse.sparse_dense_matmul(s, tf.ones([4, 1]), adjoint_a=False)
        return dense, rows, best, prod

    dense, rows, best, prod = ops.get_concrete_function().structured_outputs
    assert dense.shape.as_list() == [None, None] and best.shape.as_list() == [None]
    assert rows.indices.shape.as_list() == [None, 1] and prod.shape.as_list() == [None, 1]
    idx = [[0, 0], [0, 3], [2, 1], [2, 3], [3, 2]]
    vals = [1.0, -2.0, 4.0, 0.5, 3.0]
    ref = np.full([4, 4], -1.0, np.float32)
    for (r, c), v in zip(idx, vals):
        ref[r, c] = v
    dense, rows, best, prod = ops(tf.sparse.SparseTensor(idx, vals, [4, 4]))
    np.testing.assert_array_equal(dense.numpy(), ref)
    assert rows.indices.numpy().tolist() == [[0], [2], [3]]
    np.testing.assert_array_equal(rows.values.numpy(), [-1.0, 4.5, 3.0])
    np.testing.assert_array_equal(best.numpy(), [1.0, 4.0, 3.0, 0.5])
    np.testing.assert_array_equal(prod.numpy()[:, 0], [-1.0, 0.0, 4.5, 3.0])
    # another call, another number of entries and dense shape: the same trace
    dense, rows, best, prod = ops(tf.sparse.SparseTensor([[1, 0]], [7.0], [2, 1]))
    assert dense.numpy().tolist() == [[-1.0], [7.0]] and rows.dense_shape.numpy().tolist() == [2]
    assert ops.experimental_get_tracing_count() == 1


def test_sparse_segments_of_unknown_length():
    data = np.arange(8, dtype=np.float32).reshape(4, 2)
    spec = tf.TensorSpec([None], tf.int32)

    @tf.function(input_signature=[spec, spec])
    def seg(i, s):
        return tf.sparse.segment_mean(data, i, s), tf.sparse.segment_sum(data, i, s, 3)

    mean, total = seg(tf.constant([3, 0, 1]), tf.constant([0, 0, 2]))
    np.testing.assert_array_equal(mean.numpy(), [(data[3] + data[0]) / 2, [0, 0], data[1]])
    np.testing.assert_array_equal(total.numpy(), [data[3] + data[0], [0, 0], data[1]])


def test_constant_entries_with_a_run_time_dense_shape():
    @tf.function(input_signature=[tf.TensorSpec([2], tf.int64)])
    def f(shape):
        sp = tf.sparse.SparseTensor([[0, 1], [2, 3]], [1.0, 2.0], shape)
        return tf.sparse.reduce_sum(sp, 1), tf.sparse.to_dense(sp)

    total, dense = f(tf.constant([3, 4], tf.int64))
    np.testing.assert_array_equal(total.numpy(), [1.0, 0.0, 2.0])
    assert dense.numpy().tolist() == [[0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 2]]
