"""tf.sparse's reshaping, eye, map_values, maximum / minimum, softmax, bincount, cross and mask
against dense NumPy references; traced against eager; softmax's gradient against differences."""

import numpy as np
import pytest

import tensorhouse_ops as tf

IDX = [[0, 1, 0], [0, 2, 1], [1, 0, 1], [1, 2, 0]]


def st(values=(1.0, -2.0, 3.0, 4.0), idx=IDX, shape=(2, 3, 2)):
    return tf.sparse.SparseTensor(idx, list(values), list(shape))


def dense(sp):
    return tf.sparse.to_dense(sp).numpy()


def test_reshaping_ops_match_dense_numpy():
    d = dense(st())
    np.testing.assert_array_equal(dense(tf.sparse.expand_dims(st(), 1)), d[:, None])
    np.testing.assert_array_equal(dense(tf.sparse.expand_dims(st())), d[..., None])
    np.testing.assert_array_equal(dense(tf.sparse.reshape(st(), [3, -1])), d.reshape(3, -1))
    np.testing.assert_array_equal(dense(tf.sparse.transpose(st())), d.transpose())
    np.testing.assert_array_equal(dense(tf.sparse.transpose(st(), [1, 0, 2])), d.transpose(1, 0, 2))
    pieces = tf.sparse.split(sp_input=st(), num_split=2, axis=1)
    np.testing.assert_array_equal(dense(pieces[0]), d[:, :2])
    np.testing.assert_array_equal(dense(pieces[1]), d[:, 2:])
    with pytest.raises(tf.errors.InvalidArgumentError, match="requires a multiple of 5"):
        tf.sparse.reshape(st(), [5, -1])
    with pytest.raises(ValueError, match="axis is required"):
        tf.sparse.split(sp_input=st(), num_split=2)


def test_eye_map_values_maximum_minimum():
    np.testing.assert_array_equal(dense(tf.sparse.eye(2, 3, dtype=tf.int32)), np.eye(2, 3))
    doubled = tf.sparse.map_values(tf.multiply, st(), 2.0)
    np.testing.assert_array_equal(dense(doubled), 2 * dense(st()))
    other = st([5.0, -1.0, 1.0], [[0, 1, 0], [1, 0, 0], [1, 2, 0]])
    np.testing.assert_array_equal(
        dense(tf.sparse.maximum(st(), other)), np.maximum(dense(st()), dense(other))
    )
    np.testing.assert_array_equal(
        dense(tf.sparse.minimum(st(), other)), np.minimum(dense(st()), dense(other))
    )
    with pytest.raises(ValueError, match="No SparseTensor"):
        tf.sparse.map_values(tf.add, 1, 2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Mismatched indices"):
        tf.sparse.map_values(tf.add, st(), other)


def _np_sparse_softmax(idx, vals):
    idx, vals = np.asarray(idx), np.asarray(vals, np.float64)
    out = np.zeros_like(vals)
    for key in {tuple(r[:-1]) for r in idx}:
        at = [i for i, r in enumerate(idx) if tuple(r[:-1]) == key]
        e = np.exp(vals[at] - vals[at].max())
        out[at] = e / e.sum()
    return out


def test_softmax_over_present_entries_and_its_gradient():
    idx = [[0, 0], [0, 2], [1, 1], [2, 0], [2, 1], [2, 3]]
    vals = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 60.0])
    got = tf.sparse.softmax(tf.sparse.SparseTensor(idx, vals, [3, 4]))
    np.testing.assert_allclose(got.values.numpy(), _np_sparse_softmax(idx, vals), rtol=1e-12)
    w = np.arange(1.0, 7.0)

    def f(v):
        return tf.reduce_sum(tf.sparse.softmax(tf.sparse.SparseTensor(idx, v, [3, 4])).values * w)

    v = tf.constant(vals)
    with tf.GradientTape() as tape:
        tape.watch(v)
        y = f(v)
    g = tape.gradient(y, v).numpy()
    num = [
        (float(f(tf.constant(vals + e))) - float(f(tf.constant(vals - e)))) / 2e-6
        for e in np.eye(6) * 1e-6
    ]
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-9)
    traced = tf.function(lambda v: tf.sparse.softmax(tf.sparse.SparseTensor(idx, v, [3, 4])).values)
    np.testing.assert_array_equal(traced(v).numpy(), got.values.numpy())


def test_bincount_counts_bins_hit():
    v = np.array([[1, 3, 3], [0, 0, 7]], np.int32)
    out = tf.sparse.bincount(v, axis=-1, minlength=9)
    want = np.stack([np.bincount(r, minlength=9) for r in v])
    np.testing.assert_array_equal(dense(out), want)
    assert out.values.dtype == tf.int32 and out.indices.shape[0] == 4
    w = np.array([[1.0, 0.5, 2.0], [1, 1, 1]], np.float32)
    out = tf.sparse.bincount(v, weights=w, maxlength=5)
    np.testing.assert_allclose(dense(out), np.bincount(v.ravel(), w.ravel())[:5])
    binary = tf.sparse.bincount(v, binary_output=True)
    np.testing.assert_array_equal(dense(binary), np.bincount(v.ravel()) > 0)
    with pytest.raises(ValueError, match="Only 0 and -1"):
        tf.sparse.bincount(v, axis=1)


def test_cross_and_mask():
    out = tf.sparse.cross([tf.constant([["a", "b"], ["c", "d"]]), tf.constant([[1], [2]])])
    assert out.values.numpy().tolist() == [b"a_X_1", b"b_X_1", b"c_X_2", b"d_X_2"]
    assert out.dense_shape.numpy().tolist() == [2, 2]
    sl = tf.IndexedSlices(tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), tf.constant([0, 4, 7]))
    kept = tf.sparse.mask(sl, tf.constant([4]))
    assert kept.indices.numpy().tolist() == [0, 7]
    np.testing.assert_array_equal(kept.values.numpy(), [[1.0, 2.0], [5.0, 6.0]])


def test_traced_union_and_reshape_agree_with_eager():
    other = st([5.0, -1.0, 1.0], [[0, 1, 0], [1, 0, 0], [1, 2, 0]])

    def f(a, b):
        m = tf.sparse.maximum(a, b)
        r = tf.sparse.reshape(a, [6, 2])
        return m.indices, m.values, r.indices, tf.sparse.expand_dims(a, 0).indices

    for e, g in zip(f(st(), other), tf.function(f)(st(), other)):
        np.testing.assert_array_equal(e.numpy(), g.numpy())


def test_sampled_addmm_matches_dense_product_at_indices():
    m1, m2 = RNG_M.standard_normal((2, 4, 3)), RNG_M.standard_normal((2, 3, 5))
    idx = np.array([[[0, 0], [3, 4]], [[1, 1], [2, 0]]])
    vals = np.array([[1.0, 3.0], [2.0, 0.0]])
    out_idx, out, shape = tf.sparse.sampled_addmm(
        idx, vals, [[4, 5], [4, 5]], m1, m2, beta=0.25, alpha=0.75, output_type=tf.float64
    )
    full = m1 @ m2
    want = [
        [0.75 * full[b, i, j] + 0.25 * vals[b, k] for k, (i, j) in enumerate(idx[b])]
        for b in range(2)
    ]
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-12)
    assert out_idx.dtype == tf.int32 and shape.numpy().tolist() == [[4, 5], [4, 5]]


RNG_M = np.random.default_rng(9)
