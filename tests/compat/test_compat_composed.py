"""TF functions composed from other ops, checked against TF: sort / argsort, roll, repeat,
meshgrid, sequence_mask, shape_n, l2_normalize, count_nonzero, segment sums and means,
polyval, saturate_cast, band_part, diag / diag_part and embedding_lookup."""

from __future__ import annotations

import numpy as np
import pytest


def test_sort_and_argsort(tf):
    x = tf.constant([[3, 1, 2, 1], [0, 5, 5, -2]])
    assert tf.sort(x).numpy().tolist() == [[1, 1, 2, 3], [-2, 0, 5, 5]]
    down = tf.sort(x, axis=0, direction="DESCENDING")
    assert down.numpy().tolist() == [[3, 5, 5, 1], [0, 1, 2, -2]]
    assert tf.argsort(x).numpy().tolist() == [[1, 3, 2, 0], [3, 0, 1, 2]]  # ties keep order
    d = tf.argsort(x, direction="DESCENDING")
    assert d.dtype == tf.int32 and d.numpy().tolist() == [[0, 2, 1, 3], [1, 2, 0, 3]]
    u = tf.constant([0, 255, 5], tf.uint8)
    assert tf.sort(u).numpy().tolist() == [0, 5, 255]
    assert tf.sort(tf.zeros([2, 0])).shape == (2, 0)


def test_sort_errors(tf, errors):
    with pytest.raises(ValueError, match="direction"):
        tf.sort(tf.constant([1.0]), direction="UP")
    with pytest.raises(errors.InvalidArgumentError):
        tf.sort(tf.constant(1.0))
    with pytest.raises(errors.InvalidArgumentError):
        tf.sort(tf.constant([True, False]))


def test_sort_gradient(tf):
    x = tf.constant([3.0, 1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.sort(x) * tf.constant([1.0, 10.0, 100.0]))
    assert tape.gradient(y, x).numpy().tolist() == [100.0, 1.0, 10.0]


def test_roll(tf, errors):
    x = tf.constant([[1, 2, 3], [4, 5, 6]])
    assert tf.roll(x, shift=[1, -1], axis=[0, 1]).numpy().tolist() == [[5, 6, 4], [2, 3, 1]]
    assert tf.roll(tf.constant([1, 2, 3, 4]), [1, 2], [0, 0]).numpy().tolist() == [2, 3, 4, 1]
    assert tf.roll(x, 1, -1).numpy().tolist() == [[3, 1, 2], [6, 4, 5]]
    with pytest.raises(errors.InvalidArgumentError):
        tf.roll(tf.constant([1, 2]), shift=[1, 2], axis=[0])
    with pytest.raises(errors.InvalidArgumentError):
        tf.roll(tf.constant([1, 2]), shift=1, axis=1)


def test_repeat(tf):
    x = tf.constant([[1, 2], [3, 4]])
    assert tf.repeat(x, [1, 2], axis=0).numpy().tolist() == [[1, 2], [3, 4], [3, 4]]
    assert tf.repeat(x, 2).numpy().tolist() == [1, 1, 2, 2, 3, 3, 4, 4]
    assert tf.repeat(x, [0, 3], axis=1).numpy().tolist() == [[2, 2, 2], [4, 4, 4]]
    assert tf.repeat(tf.constant([1, 2]), [-1, 2]).numpy().tolist() == [2, 2]
    with pytest.raises(ValueError):
        tf.repeat(tf.constant([1, 2]), [1, 2, 3])


def test_meshgrid(tf):
    xs, ys = tf.meshgrid([1, 2, 3], [4, 5])
    assert xs.numpy().tolist() == [[1, 2, 3], [1, 2, 3]]
    assert ys.numpy().tolist() == [[4, 4, 4], [5, 5, 5]]
    shapes = [t.shape for t in tf.meshgrid([1, 2, 3], [4, 5], [6], indexing="ij")]
    assert shapes == [(3, 2, 1)] * 3
    with pytest.raises(ValueError):
        tf.meshgrid([1, 2], [3], indexing="ji")


def test_sequence_mask(tf):
    m = tf.sequence_mask([1, 3, 2], 4)
    assert m.dtype == tf.bool
    assert m.numpy().astype(int).tolist() == [[1, 0, 0, 0], [1, 1, 1, 0], [1, 1, 0, 0]]
    assert tf.sequence_mask([[1], [3]]).shape == (2, 1, 3)
    f = tf.sequence_mask(tf.constant([1, 0]), 3, dtype=tf.float32)
    assert f.dtype == tf.float32 and f.numpy().tolist() == [[1, 0, 0], [0, 0, 0]]
    assert tf.sequence_mask([-1, 2], 3).numpy().astype(int).tolist() == [[0, 0, 0], [1, 1, 0]]
    assert tf.sequence_mask([1.5, 2.0], 3).numpy().astype(int).tolist() == [[1, 0, 0], [1, 1, 0]]
    with pytest.raises(ValueError):
        tf.sequence_mask([1, 2], [3])


def test_shape_n(tf):
    shapes = tf.shape_n([tf.zeros([2, 3]), tf.zeros([4])])
    assert [s.numpy().tolist() for s in shapes] == [[2, 3], [4]]


def test_l2_normalize(tf):
    got = tf.math.l2_normalize(tf.constant([[3.0, 4.0], [0.0, 0.0]]), axis=1)
    np.testing.assert_allclose(got.numpy(), [[0.6, 0.8], [0.0, 0.0]], rtol=1e-6)
    got = tf.nn.l2_normalize(tf.constant([[3.0, 4.0], [6.0, 8.0]]), axis=[0, 1])
    np.testing.assert_allclose(got.numpy(), np.array([[3, 4], [6, 8]]) / np.sqrt(125), rtol=1e-6)
    with pytest.raises(TypeError):
        tf.math.l2_normalize(tf.constant([3, 4]))


def test_count_nonzero(tf):
    c = tf.math.count_nonzero(tf.constant([[0, 1], [2, 0]]), axis=1)
    assert c.dtype == tf.int64 and c.numpy().tolist() == [1, 1]
    assert int(tf.math.count_nonzero(tf.constant([True, False, True]))) == 2
    n = tf.math.count_nonzero(tf.constant([0.0, np.nan, -0.0]), dtype=tf.int32)
    assert n.dtype == tf.int32 and int(n) == 1
    k = tf.math.count_nonzero(tf.constant([[0, 1], [2, 0]]), axis=0, keepdims=True)
    assert k.numpy().tolist() == [[1, 1]]


def test_segment_reductions(tf, errors):
    assert tf.math.segment_sum(tf.constant([1, 2, 3, 4]), [0, 0, 2, 2]).numpy().tolist() == [
        3, 0, 7,
    ]  # fmt: skip
    mean = tf.math.segment_mean(tf.constant([1.0, 2.0, 3.0, 4.0]), [0, 0, 2, 2])
    assert mean.numpy().tolist() == [1.5, 0.0, 3.5]
    assert tf.math.segment_mean(tf.constant([1, 2, 3, 4]), [0, 0, 2, 2]).numpy().tolist() == [
        1, 0, 3,
    ]  # fmt: skip
    assert tf.math.segment_mean(tf.constant([-3, 0]), [0, 0]).numpy().tolist() == [-1]
    usm = tf.math.unsorted_segment_mean(tf.constant([1.0, 2.0, 3.0, 4.0]), [0, 1, 0, 3], 5)
    assert usm.numpy().tolist() == [2.0, 2.0, 0.0, 4.0, 0.0]
    i = tf.math.unsorted_segment_mean(tf.constant([1, 2, 3, 4]), [0, 1, 0, 3], 5)
    assert i.dtype == tf.float64 and i.numpy().tolist() == [2.0, 2.0, 0.0, 4.0, 0.0]
    m2 = tf.math.unsorted_segment_mean(tf.constant([[1.0, 2.0], [3.0, 4.0]]), [1, 1], 2)
    assert m2.numpy().tolist() == [[0.0, 0.0], [2.0, 3.0]]
    neg = tf.math.unsorted_segment_mean(tf.constant([1.0, 2.0, 3.0]), [-1, 0, 0], 2)
    assert neg.numpy().tolist() == [2.5, 0.0]
    with pytest.raises(errors.InvalidArgumentError):
        tf.math.segment_sum(tf.constant([1, 2, 3, 4]), [0, 2, 1, 2])
    with pytest.raises(errors.InvalidArgumentError):
        tf.math.segment_sum(tf.constant([1, 2, 3, 4]), [0, 0, 2])


def test_polyval(tf):
    got = tf.math.polyval([1.0, 2.0, 3.0], tf.constant([2.0, 0.0]))
    assert got.dtype == tf.float32 and got.numpy().tolist() == [11.0, 3.0]
    assert tf.math.polyval([], tf.constant([2.0, 0.0])).numpy().tolist() == [0.0, 0.0]
    assert int(tf.math.polyval([1, 2], tf.constant(3))) == 5
    with pytest.raises(ValueError):
        tf.math.polyval(tf.constant([2.0]), tf.constant([1.0]))


def test_saturate_cast(tf):
    u = tf.dtypes.saturate_cast(tf.constant([-5.0, 300.0, 3.7, np.inf]), tf.uint8)
    assert u.dtype == tf.uint8 and u.numpy().tolist() == [0, 255, 3, 255]
    assert tf.saturate_cast(tf.constant([-5, 300]), tf.uint8).numpy().tolist() == [0, 255]
    i = tf.saturate_cast(tf.constant([3e9, -3e9]), tf.int32)
    assert i.numpy().tolist() == [2147483520, -2147483648]
    big = tf.constant([2**40, -(2**40)], tf.int64)
    assert tf.saturate_cast(big, tf.int32).numpy().tolist() == [2**31 - 1, -(2**31)]
    f = tf.saturate_cast(tf.constant([1e300], tf.float64), tf.float32)
    assert f.numpy().tolist() == [float(np.finfo(np.float32).max)]
    with pytest.raises(TypeError):
        tf.saturate_cast(tf.constant([2.5]), tf.bool)


def test_band_part(tf, errors):
    x = tf.reshape(tf.range(1.0, 17.0), [4, 4])
    got = tf.linalg.band_part(x, 1, -1).numpy().tolist()
    assert got == [[1, 2, 3, 4], [5, 6, 7, 8], [0, 10, 11, 12], [0, 0, 15, 16]]
    m = tf.reshape(tf.range(1, 7), [2, 3])
    assert tf.linalg.band_part(m, 0, 0).numpy().tolist() == [[1, 0, 0], [0, 5, 0]]
    with pytest.raises(errors.InvalidArgumentError):
        tf.linalg.band_part(m, 5, 0)
    with pytest.raises(errors.InvalidArgumentError):
        tf.linalg.band_part(tf.range(1, 7), 1, 0)


def test_diag_and_diag_part(tf, errors):
    assert tf.linalg.diag([1, 2]).numpy().tolist() == [[1, 0], [0, 2]]
    assert tf.linalg.diag([1, 2], k=1).numpy().tolist() == [[0, 1, 0], [0, 0, 2], [0, 0, 0]]
    pad = tf.linalg.diag(tf.constant([1.0, 2.0]), k=-1, padding_value=9)
    assert pad.numpy().tolist() == [[9, 9, 9], [1, 9, 9], [9, 2, 9]]
    assert tf.linalg.diag([1, 2], num_rows=3).numpy().tolist() == [[1, 0], [0, 2], [0, 0]]
    assert tf.linalg.diag([1, 2], num_cols=3, k=1).numpy().tolist() == [[0, 1, 0], [0, 0, 2]]
    assert tf.linalg.diag([[1, 2], [3, 4]]).shape == (2, 2, 2)
    with pytest.raises(errors.InvalidArgumentError):
        tf.linalg.diag([1, 2], num_rows=3, num_cols=4)
    m = tf.reshape(tf.range(12), [3, 4])
    assert tf.linalg.diag_part(m).numpy().tolist() == [0, 5, 10]
    assert tf.linalg.diag_part(m, k=1).numpy().tolist() == [1, 6, 11]
    assert tf.linalg.diag_part(m, k=-2).numpy().tolist() == [8]
    assert tf.linalg.diag_part(m, k=3).numpy().tolist() == [3]
    batch = tf.linalg.diag_part(tf.reshape(tf.range(8), [2, 2, 2]))
    assert batch.numpy().tolist() == [[0, 3], [4, 7]]
    for k in (4, -3):
        with pytest.raises(errors.InvalidArgumentError):
            tf.linalg.diag_part(m, k=k)


def test_embedding_lookup(tf, errors):
    table = tf.constant([[1.0, 0.0], [0.0, 2.0], [3.0, 4.0]])
    assert tf.nn.embedding_lookup(table, [[2, 0]]).numpy().tolist() == [[[3, 4], [1, 0]]]
    clipped = tf.nn.embedding_lookup(table, [2, 1], max_norm=1.5).numpy()
    np.testing.assert_allclose(clipped, [[0.9, 1.2], [0.0, 1.5]], rtol=1e-6)
    shards = [tf.constant([[0.0], [2.0], [4.0]]), tf.constant([[1.0], [3.0]])]
    got = tf.nn.embedding_lookup(shards, [0, 1, 2, 3, 4]).numpy().ravel().tolist()
    assert got == [0.0, 2.0, 4.0, 1.0, 3.0]  # TF 2's 'div' layout: contiguous blocks
    with pytest.raises(errors.InvalidArgumentError):
        tf.nn.embedding_lookup(table, [3])
    v = tf.Variable(table)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.nn.embedding_lookup(v, [2, 2, 0]))
    grad = tf.convert_to_tensor(tape.gradient(y, v))  # TF hands back IndexedSlices
    assert grad.numpy().tolist() == [[1, 1], [0, 0], [2, 2]]
