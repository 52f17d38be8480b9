"""TF's tf.sparse expand_dims, eye, map_values, maximum / minimum, reshape, transpose, split,
softmax, bincount, cross and mask: indices, values, dense shapes and errors."""

import numpy as np
import pytest


def _st(tf):
    return tf.sparse.SparseTensor(
        [[0, 1, 0], [0, 2, 1], [1, 0, 1], [1, 2, 0]], [1.0, -2.0, 3.0, 4.0], [2, 3, 2]
    )


def _parts(sp):
    return sp.indices.numpy().tolist(), sp.values.numpy().tolist(), sp.dense_shape.numpy().tolist()


def test_shape_ops(tf):
    assert _parts(tf.sparse.expand_dims(_st(tf), 1))[0] == [
        [0, 0, 1, 0],
        [0, 0, 2, 1],
        [1, 0, 0, 1],
        [1, 0, 2, 0],
    ]
    assert _parts(tf.sparse.expand_dims(_st(tf)))[2] == [2, 3, 2, 1]
    idx, vals, shape = _parts(tf.sparse.transpose(_st(tf)))
    assert idx == [[0, 1, 0], [0, 2, 1], [1, 0, 1], [1, 2, 0]] and vals == [1.0, 4.0, 3.0, -2.0]
    assert shape == [2, 3, 2]
    assert _parts(tf.sparse.reshape(_st(tf), [3, -1])) == (
        [[0, 2], [1, 1], [1, 3], [2, 2]],
        [1.0, -2.0, 3.0, 4.0],
        [3, 4],
    )
    first, second = tf.sparse.split(sp_input=_st(tf), num_split=2, axis=1)
    assert _parts(first) == ([[0, 1, 0], [1, 0, 1]], [1.0, 3.0], [2, 2, 2])
    assert _parts(second) == ([[0, 0, 1], [1, 0, 0]], [-2.0, 4.0], [2, 1, 2])
    with pytest.raises(tf.errors.InvalidArgumentError, match="only one output dimension may be -1"):
        tf.sparse.reshape(_st(tf), [-1, -1])


def test_eye_map_values_and_extrema(tf):
    assert _parts(tf.sparse.eye(2, 3)) == ([[0, 0], [1, 1]], [1.0, 1.0], [2, 3])
    assert _parts(tf.sparse.map_values(tf.square, _st(tf)))[1] == [1.0, 4.0, 9.0, 16.0]
    other = tf.sparse.SparseTensor([[0, 1, 0], [1, 0, 0]], [5.0, -1.0], [2, 3, 2])
    assert _parts(tf.sparse.maximum(_st(tf), other))[:2] == (
        [[0, 1, 0], [0, 2, 1], [1, 0, 0], [1, 0, 1], [1, 2, 0]],
        [5.0, 0.0, 0.0, 3.0, 4.0],
    )
    assert _parts(tf.sparse.minimum(_st(tf), other))[1] == [1.0, -2.0, -1.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="No SparseTensor in argument list of map_values"):
        tf.sparse.map_values(tf.add, 1.0, 2.0)


def test_softmax(tf):
    sp = tf.sparse.SparseTensor(
        [[0, 0], [0, 2], [1, 1], [2, 0], [2, 3]], [1.0, 2.0, 3.0, 4.0, 4.0], [3, 4]
    )
    e = np.exp([1.0, 2.0])
    want = [*(e / e.sum()), 1.0, 0.5, 0.5]
    np.testing.assert_allclose(tf.sparse.softmax(sp).values.numpy(), want, rtol=1e-6)


def test_bincount_and_cross(tf):
    v = np.array([[1, 3, 3], [0, 0, 7]], np.int32)
    assert _parts(tf.sparse.bincount(v)) == ([[0], [1], [3], [7]], [2, 1, 2, 1], [8])
    w = tf.constant([[1.0, 0.0, 2.0], [1.0, 1.0, 1.0]])
    assert _parts(tf.sparse.bincount(v, weights=w, axis=-1, maxlength=5)) == (
        [[0, 1], [0, 3], [1, 0]],
        [1.0, 2.0, 2.0],
        [2, 5],
    )
    assert _parts(tf.sparse.bincount(tf.sparse.from_dense(v), axis=-1, binary_output=True)) == (
        [[0, 1], [0, 3], [1, 7]],
        [1, 1, 1],
        [2, 8],
    )
    assert _parts(tf.sparse.bincount(tf.ragged.constant([[1, 2], [5]]), axis=-1))[2] == [2, 6]
    out = tf.sparse.cross([tf.constant([["a", "b"], ["c", "d"]]), tf.constant([["x"], ["y"]])])
    assert _parts(out)[1] == [b"a_X_x", b"b_X_x", b"c_X_y", b"d_X_y"]


def test_mask_drops_rows(tf):
    sl = tf.IndexedSlices(tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), tf.constant([0, 4, 7]))
    kept = tf.sparse.mask(sl, tf.constant([4]))
    assert kept.indices.numpy().tolist() == [0, 7]
    assert kept.values.numpy().tolist() == [[1.0, 2.0], [5.0, 6.0]]


def test_sampled_addmm(tf):
    m1 = np.arange(4.0, dtype=np.float32).reshape(2, 2)
    m2 = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    idx, vals, shape = tf.sparse.sampled_addmm([[0, 0], [1, 2]], [1.0, 2.0], [2, 3], m1, m2,
                                               beta=0.5, alpha=2.0)  # fmt: skip
    assert idx.dtype == tf.int32 and idx.numpy().tolist() == [[0, 0], [1, 2]]
    assert vals.numpy().tolist() == [6.5, 39.0] and shape.numpy().tolist() == [2, 3]
