"""tf.sparse.SparseTensor and tf.sparse: conversion, reductions, joins, matmul (with
gradients), index checks with TF's errors, tf.function and tf.nest."""

import numpy as np
import pytest

import tensorhouse_ops as tf

IDX = [[0, 1], [1, 0], [2, 3]]
VALS = [1.0, 2.0, 3.0]
SHAPE = [3, 4]


def dense_ref():
    d = np.zeros(SHAPE, np.float32)
    for (i, j), v in zip(IDX, VALS):
        d[i, j] = v
    return d


def parts(sp):
    return sp.indices.numpy().tolist(), sp.values.numpy().tolist(), sp.dense_shape.numpy().tolist()


@pytest.fixture
def sp():
    return tf.sparse.SparseTensor(IDX, VALS, SHAPE)


def test_constructor(sp):
    assert sp.indices.dtype == tf.int64 and sp.dense_shape.dtype == tf.int64
    assert sp.shape.as_list() == SHAPE and sp.dtype == tf.float32
    with pytest.raises(ValueError, match="must have rank 2"):
        tf.sparse.SparseTensor([0, 1], [1.0], [2, 3])
    with pytest.raises(ValueError, match="not compatible"):
        tf.sparse.SparseTensor([[0, 1]], [1.0, 2.0], [2, 3])


def test_repr(sp):
    text = repr(sp)
    assert text.startswith("SparseTensor(indices=tf.Tensor(")
    assert "dense_shape=tf.Tensor([3 4], shape=(2,), dtype=int64))" in text


def test_to_dense_and_from_dense(sp):
    np.testing.assert_array_equal(tf.sparse.to_dense(sp).numpy(), dense_ref())
    d = dense_ref()
    np.testing.assert_array_equal(
        tf.sparse.to_dense(sp, default_value=-1.0).numpy(), np.where(d == 0, -1, d)
    )
    back = tf.sparse.from_dense(tf.constant(d))
    assert parts(back) == (IDX, VALS, SHAPE)


@pytest.mark.parametrize(
    "indices, message",
    [
        ([[1, 0], [0, 1]], r"indices\[1\] = \[0,1\] is out of order"),
        ([[0, 1], [0, 1]], r"indices\[1\] = \[0,1\] is repeated"),
        ([[0, 1], [3, 1]], r"indices\[1\] = \[3,1\] is out of bounds: need 0 <= index < \[3,4\]"),
    ],
)
def test_to_dense_checks_indices(indices, message):
    bad = tf.sparse.SparseTensor(indices, [1.0, 2.0], SHAPE)
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        tf.sparse.to_dense(bad)


def test_to_dense_without_validation():
    unordered = tf.sparse.SparseTensor([[1, 0], [0, 1]], [1.0, 2.0], [2, 2])
    np.testing.assert_array_equal(
        tf.sparse.to_dense(unordered, validate_indices=False).numpy(), [[0, 2], [1, 0]]
    )
    oob = tf.sparse.SparseTensor([[5, 0]], [1.0], [2, 2])
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of bounds"):
        tf.sparse.to_dense(oob, validate_indices=False)


def test_reorder():
    sp = tf.sparse.SparseTensor([[2, 0], [0, 1], [1, 1]], [3.0, 1.0, 2.0], [3, 2])
    assert parts(tf.sparse.reorder(sp)) == ([[0, 1], [1, 1], [2, 0]], [1.0, 2.0, 3.0], [3, 2])


def test_reduce_sum(sp):
    d = dense_ref()
    np.testing.assert_allclose(tf.sparse.reduce_sum(sp, axis=1).numpy(), d.sum(1))
    np.testing.assert_allclose(tf.sparse.reduce_sum(sp, axis=0).numpy(), d.sum(0))
    np.testing.assert_allclose(tf.sparse.reduce_sum(sp, axis=-1, keepdims=True).numpy(),
                               d.sum(1, keepdims=True))  # fmt: skip
    assert float(tf.sparse.reduce_sum(sp)) == d.sum()
    out = tf.sparse.reduce_sum(sp, axis=1, output_is_sparse=True)
    assert parts(out) == ([[0], [1], [2]], [1.0, 2.0, 3.0], [3])


def test_reduce_max_uses_stored_values_only():
    sp = tf.sparse.SparseTensor([[0, 1], [1, 1]], [-1.0, -2.0], [3, 3])
    np.testing.assert_allclose(tf.sparse.reduce_max(sp, axis=1).numpy(), [-1.0, -2.0, 0.0])
    assert float(tf.sparse.reduce_max(sp)) == -1.0
    out = tf.sparse.reduce_max(sp, axis=1, output_is_sparse=True)
    assert parts(out) == ([[0], [1]], [-1.0, -2.0], [3])


def test_concat(sp):
    out = tf.sparse.concat(1, [sp, sp])
    np.testing.assert_array_equal(tf.sparse.to_dense(out).numpy(),
                                  np.concatenate([dense_ref()] * 2, 1))  # fmt: skip
    other = tf.sparse.SparseTensor([[0, 4]], [7.0], [1, 5])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Input shapes must match"):
        tf.sparse.concat(0, [sp, other])
    wide = tf.sparse.concat(0, [sp, other], expand_nonconcat_dims=True)
    assert wide.dense_shape.numpy().tolist() == [4, 5]
    assert wide.indices.numpy().tolist()[-1] == [3, 4]


def test_add(sp):
    other = tf.sparse.SparseTensor([[0, 0], [0, 1]], [5.0, -1.0], SHAPE)
    total = tf.sparse.add(sp, other)
    np.testing.assert_allclose(tf.sparse.to_dense(total).numpy(),
                               dense_ref() + tf.sparse.to_dense(other).numpy())  # fmt: skip
    assert parts(tf.sparse.add(sp, other, threshold=0.5))[0] == [[0, 0], [1, 0], [2, 3]]
    dense = tf.sparse.add(sp, tf.ones(SHAPE))
    np.testing.assert_allclose(dense.numpy(), dense_ref() + 1)


def test_elementwise_with_dense(sp):
    scaled = sp * tf.constant([[1.0], [10.0], [100.0]])
    assert parts(scaled)[1] == [1.0, 20.0, 300.0]
    assert parts(sp * 3.0)[1] == [3.0, 6.0, 9.0]
    assert parts(sp / 2.0)[1] == [0.5, 1.0, 1.5]
    with pytest.raises(TypeError):
        sp + sp


def test_sparse_dense_matmul_and_gradients(sp):
    b = np.arange(8, dtype=np.float32).reshape(4, 2)
    out = tf.sparse.sparse_dense_matmul(sp, tf.constant(b))
    np.testing.assert_allclose(out.numpy(), dense_ref() @ b)
    c = np.arange(6, dtype=np.float32).reshape(3, 2)
    out_t = tf.sparse.sparse_dense_matmul(sp, tf.constant(c), adjoint_a=True)
    np.testing.assert_allclose(out_t.numpy(), dense_ref().T @ c)
    out_b = tf.sparse.sparse_dense_matmul(sp, tf.constant(b.T), adjoint_b=True)
    np.testing.assert_allclose(out_b.numpy(), dense_ref() @ b)

    values = tf.constant(VALS)
    dense = tf.constant(b)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([values, dense])
        s = tf.sparse.SparseTensor(IDX, values, SHAPE)
        loss = tf.reduce_sum(tf.square(tf.sparse.sparse_dense_matmul(s, dense)))
    g_dense = tape.gradient(loss, dense).numpy()
    g_values = tape.gradient(loss, values).numpy()
    a = dense_ref()
    np.testing.assert_allclose(g_dense, 2 * a.T @ (a @ b), rtol=1e-5)

    def f(v):
        m = np.zeros(SHAPE)
        for (i, j), x in zip(IDX, v):
            m[i, j] = x
        return np.sum((m @ b) ** 2)

    eps = 1e-3
    v0 = np.asarray(VALS, np.float64)
    numeric = [(f(v0 + eps * e) - f(v0 - eps * e)) / (2 * eps) for e in np.eye(3)]
    np.testing.assert_allclose(g_values, numeric, rtol=1e-3)


def test_retain_reset_slice(sp):
    assert parts(tf.sparse.retain(sp, [True, False, True]))[0] == [[0, 1], [2, 3]]
    assert parts(tf.sparse.reset_shape(sp))[2] == [3, 4]
    assert parts(tf.sparse.reset_shape(sp, [5, 6]))[2] == [5, 6]
    with pytest.raises(ValueError, match="dimension sizes >= sp_input.shape"):
        tf.sparse.reset_shape(sp, [1, 6])
    sliced = tf.sparse.slice(sp, [1, 0], [2, 2])
    assert parts(sliced) == ([[0, 0]], [2.0], [2, 2])


def test_to_indicator_and_fill_empty_rows():
    ids = tf.sparse.SparseTensor([[0, 0], [0, 1], [1, 0]], [2, 0, 3], [2, 2])
    ind = tf.sparse.to_indicator(ids, 4).numpy()
    np.testing.assert_array_equal(ind, [[True, False, True, False], [False, False, False, True]])
    sp = tf.sparse.SparseTensor([[0, 1], [2, 0]], [1.0, 2.0], [4, 3])
    filled, empty = tf.sparse.fill_empty_rows(sp, -1.0)
    assert parts(filled) == ([[0, 1], [1, 0], [2, 0], [3, 0]], [1.0, -1.0, 2.0, -1.0], [4, 3])
    assert empty.numpy().tolist() == [False, True, False, True]


def test_sparse_segments():
    data = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)
    idx, seg = tf.constant([0, 2, 1]), tf.constant([0, 0, 1])
    np.testing.assert_allclose(tf.sparse.segment_sum(data, idx, seg).numpy(), [[6, 8], [3, 4]])
    np.testing.assert_allclose(tf.sparse.segment_mean(data, idx, seg).numpy(), [[3, 4], [3, 4]])
    np.testing.assert_allclose(
        tf.sparse.segment_sqrt_n(data, idx, seg).numpy(),
        [[6 / np.sqrt(2), 8 / np.sqrt(2)], [3, 4]],
        rtol=1e-6,
    )
    out = tf.sparse.segment_sum(data, idx, seg, num_segments=3).numpy()
    np.testing.assert_allclose(out, [[6, 8], [3, 4], [0, 0]])


def test_spec_nest_and_function(sp):
    assert repr(sp._type_spec) == "SparseTensorSpec(TensorShape([3, 4]), tf.float32)"
    flat = tf.nest.flatten(sp, expand_composites=True)
    assert [f.shape.as_list() for f in flat] == [[3, 2], [3], [2]]

    @tf.function
    def f(s, d):
        return tf.sparse.sparse_dense_matmul(s, d), s * 2.0

    b = tf.constant(np.ones((4, 2), np.float32))
    prod, doubled = f(sp, b)
    np.testing.assert_allclose(prod.numpy(), dense_ref() @ np.ones((4, 2)))
    assert isinstance(doubled, tf.SparseTensor) and parts(doubled)[1] == [2.0, 4.0, 6.0]
    wider = tf.sparse.SparseTensor(IDX, VALS, [3, 5])
    f(wider, tf.constant(np.ones((5, 2), np.float32)))
    assert f.experimental_get_tracing_count() == 2  # the dense shape is part of the spec


def test_gradients_to_values_through_dense_and_reductions():
    v = tf.constant(VALS)
    weights = np.arange(12, dtype=np.float32).reshape(SHAPE)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(v)
        s = tf.sparse.SparseTensor(IDX, v, SHAPE)
        dense_loss = tf.reduce_sum(tf.sparse.to_dense(s, default_value=5.0) * weights)
        row_loss = tf.reduce_sum(tf.sparse.reduce_sum(s, axis=1) * tf.constant([1.0, 10.0, 100.0]))
        max_loss = tf.sparse.reduce_max(s)
    expected = [weights[i, j] for i, j in IDX]
    np.testing.assert_allclose(tape.gradient(dense_loss, v).numpy(), expected)
    np.testing.assert_allclose(tape.gradient(row_loss, v).numpy(), [1.0, 10.0, 100.0])
    np.testing.assert_allclose(tape.gradient(max_loss, v).numpy(), [0.0, 0.0, 1.0])


def test_traced_reductions_and_to_dense_match_eager():
    s = tf.sparse.SparseTensor([[0, 1], [1, 1]], [-1.0, -2.0], [3, 3])

    def fn(x):
        return (
            tf.sparse.reduce_sum(x, axis=1),
            tf.sparse.reduce_max(x, axis=1),
            tf.sparse.reduce_max(x),
            tf.sparse.reduce_sum(x, 0, keepdims=True),
            tf.sparse.to_dense(x, default_value=7.0),
            tf.sparse.to_dense(x * 2.0),
        )

    for e, t in zip(fn(s), tf.function(fn)(s)):
        np.testing.assert_array_equal(e.numpy(), t.numpy())
