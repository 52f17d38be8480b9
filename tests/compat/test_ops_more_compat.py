"""tf.unique / unique_with_counts, tf.math.bincount, tf.searchsorted, the segment reductions and
tf.TensorArray: TF 2's values, dtypes, errors and gradients, eagerly and inside tf.function."""

import numpy as np
import pytest

D = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)
F32_MAX = float(np.finfo(np.float32).max)


def test_unique_and_counts(tf):
    y, idx = tf.unique([1, 1, 2, 4, 4, 4, 7, 8, 8])
    assert y.numpy().tolist() == [1, 2, 4, 7, 8] and idx.dtype == tf.int32
    assert idx.numpy().tolist() == [0, 0, 1, 2, 2, 2, 3, 4, 4]
    y, idx, count = tf.unique_with_counts([1, 1, 2, 4, 4, 4, 7, 8, 8], out_idx=tf.int64)
    assert idx.dtype == count.dtype == tf.int64 and count.numpy().tolist() == [2, 1, 3, 1, 2]
    assert type(tf.unique([1]))._fields == ("y", "idx")
    y, idx = tf.unique([0.0, -0.0, np.nan, np.nan, 1.0])
    assert y.shape == (4,) and idx.numpy().tolist() == [0, 0, 1, 2, 3]
    with pytest.raises(tf.errors.InvalidArgumentError, match="unique expects a 1D vector"):
        tf.unique([[1, 2]])
    f = tf.function(lambda x: tf.unique(x).y)
    assert f(tf.constant([3, 1, 3])).numpy().tolist() == [3, 1]


def test_bincount(tf):
    assert tf.math.bincount([1, 1, 2, 4]).numpy().tolist() == [0, 2, 1, 0, 1]
    assert tf.math.bincount([1, 1, 2, 4], minlength=7, maxlength=3).numpy().tolist() == [0, 2, 1]
    two = tf.math.bincount([[1, 1], [2, 4]], axis=-1)
    assert two.numpy().tolist() == [[0, 2, 0, 0, 0], [0, 0, 1, 0, 1]]
    binary = tf.math.bincount([[1, 1], [2, 4]], axis=-1, binary_output=True)
    assert binary.numpy().tolist() == [[0, 1, 0, 0, 0], [0, 0, 1, 0, 1]]
    flat = tf.math.bincount([[1, 1], [2, 4]])
    assert flat.numpy().tolist() == [0, 2, 1, 0, 1]
    w = tf.math.bincount([1, 1, 2], weights=[0.5, 0.5, 1.0])
    assert w.dtype == tf.float32 and w.numpy().tolist() == [0.0, 1.0, 1.0]
    rows = tf.math.bincount([[1, 2], [0, 0]], weights=[[1.0, 2.0], [3.0, 4.0]], axis=-1)
    assert rows.numpy().tolist() == [[0.0, 1.0, 2.0], [7.0, 0.0, 0.0]]
    assert tf.math.bincount([], minlength=2).numpy().tolist() == [0, 0]
    assert tf.math.bincount([3], dtype=tf.float32).dtype == tf.float32
    with pytest.raises(tf.errors.InvalidArgumentError, match="must be non-negative"):
        tf.math.bincount([-1, 2])
    with pytest.raises(ValueError, match="mutually exclusive"):
        tf.math.bincount([1, 2], weights=[1.0, 2.0], binary_output=True)
    f = tf.function(lambda a: tf.math.bincount(a, minlength=3))
    assert f(tf.constant([0, 5])).numpy().tolist() == [1, 0, 0, 0, 0, 1]


def test_searchsorted(tf):
    got = tf.searchsorted([[0, 3, 9, 9, 10], [1, 2, 3, 4, 5]], [[2, 4, 9], [0, 2, 6]],
                          side="right", out_type=tf.int64)  # fmt: skip
    assert got.dtype == tf.int64 and got.numpy().tolist() == [[1, 2, 4], [0, 2, 5]]
    assert tf.searchsorted([0, 3, 9, 9, 10], [2, 4, 9]).numpy().tolist() == [1, 2, 2]
    assert tf.searchsorted([[1, 2, 3]], [1, 2]).numpy().tolist() == [0, 1]
    with pytest.raises(ValueError, match="must be either 'right' or 'left'"):
        tf.searchsorted([1, 2, 3], [2], side="middle")
    f = tf.function(lambda s, v: tf.searchsorted(s, v, side="right"))
    assert f(tf.constant([1.0, 2.0, 2.0]), tf.constant([2.0])).numpy().tolist() == [3]


def test_unsorted_segment_reductions(tf):
    ids = [0, -1, 0]  # -1 is dropped; segments 1 and 2 stay empty
    assert tf.math.unsorted_segment_max(D, ids, 3).numpy().tolist() == [
        [5.0, 6.0], [-F32_MAX, -F32_MAX], [-F32_MAX, -F32_MAX]]  # fmt: skip
    assert tf.math.unsorted_segment_min(D, ids, 3).numpy().tolist() == [
        [1.0, 2.0], [F32_MAX, F32_MAX], [F32_MAX, F32_MAX]]  # fmt: skip
    assert tf.math.unsorted_segment_prod(D, ids, 3).numpy().tolist() == [
        [5.0, 12.0], [1.0, 1.0], [1.0, 1.0]]  # fmt: skip
    sqrt_n = tf.math.unsorted_segment_sqrt_n(D, ids, 2).numpy()
    np.testing.assert_allclose(sqrt_n, [[6 / np.sqrt(2), 8 / np.sqrt(2)], [0.0, 0.0]], rtol=1e-6)
    ints = tf.math.unsorted_segment_max(tf.constant([1, 2, 3]), [0, 0, 2], 3)
    assert ints.numpy().tolist() == [2, -(2**31), 3]
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of range"):
        tf.math.unsorted_segment_max([1.0, 2.0, 3.0], [1, 5, 0], 3)


def test_sorted_segment_reductions(tf):
    ids = [0, 0, 2]  # segment 1 is missing: 0 (1 for prod)
    want = {"segment_max": [[3, 4], [0, 0], [5, 6]], "segment_min": [[1, 2], [0, 0], [5, 6]],
            "segment_prod": [[3, 8], [1, 1], [5, 6]], "segment_mean": [[2, 3], [0, 0], [5, 6]],
            "segment_sum": [[4, 6], [0, 0], [5, 6]]}  # fmt: skip
    for name, expected in want.items():
        assert getattr(tf.math, name)(D, ids).numpy().tolist() == expected, name
    assert tf.math.segment_max(tf.constant([1, 5, 2]), [0, 0, 2]).numpy().tolist() == [5, 0, 2]
    with pytest.raises(tf.errors.InvalidArgumentError, match="segment ids are not increasing"):
        tf.math.segment_sum([1, 2, 3, 4], [0, 2, 1, 3])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Segment id -1 out of range"):
        tf.math.segment_max([1.0, 2.0, 3.0], [-1, 0, 0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="same size as dimension 0"):
        tf.math.segment_sum([1, 2, 3], [0, 0])
    f = tf.function(lambda d, i: tf.math.segment_max(d, i))
    assert f(tf.constant(D), tf.constant([0, 1, 1])).numpy().tolist() == [[1, 2], [5, 6]]


def test_segment_gradients(tf):
    x = tf.Variable([[1.0, 3.0], [1.0, 2.0], [0.0, 5.0]])
    with tf.GradientTape(persistent=True) as tape:
        m = tf.math.unsorted_segment_max(x, [0, 0, 1], 2)
        p = tf.math.unsorted_segment_prod(x, [0, 1, 1], 2)
        sp = tf.math.segment_prod(x, [0, 0, 1])
        sm = tf.math.segment_mean(x, [0, 0, 1])
    assert tape.gradient(m, x).numpy().tolist() == [[0.5, 1], [0.5, 0], [1, 1]]
    assert tape.gradient(p, x).numpy().tolist() == [[1, 1], [0, 5], [1, 2]]
    assert tape.gradient(sp, x).numpy().tolist() == [[1, 2], [1, 3], [1, 1]]
    assert tape.gradient(sm, x).numpy().tolist() == [[0.5, 0.5], [0.5, 0.5], [1, 1]]


def test_tensor_array_eager(tf):
    ta = tf.TensorArray(tf.float32, size=3)
    ta = ta.write(0, [1.0, 2.0])
    assert ta.stack().numpy().tolist() == [[1, 2], [0, 0], [0, 0]]
    assert ta.read(0).numpy().tolist() == [1.0, 2.0]
    with pytest.raises(tf.errors.InvalidArgumentError, match="cleared after a previous read"):
        ta.read(0)
    with pytest.raises(tf.errors.OutOfRangeError, match="not resizeable"):
        ta.write(3, [1.0, 2.0])
    assert int(ta.size()) == 3 and ta.size().dtype == tf.int32
    dyn = tf.TensorArray(tf.float32, size=0, dynamic_size=True).write(2, 5.0)
    assert dyn.stack().numpy().tolist() == [0.0, 0.0, 5.0]
    x = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)
    assert tf.TensorArray(tf.float32, size=3).unstack(x).gather([2, 0]).numpy().tolist() == [
        [5, 6], [1, 2]]  # fmt: skip
    sc = tf.TensorArray(tf.float32, size=3).scatter([2, 0], x[:2])
    assert sc.stack().numpy().tolist() == [[3, 4], [0, 0], [1, 2]]
    sp = tf.TensorArray(tf.float32, size=2).split([1.0, 2.0, 3.0], [1, 2])
    assert sp.read(1).numpy().tolist() == [2.0, 3.0]
    ragged = tf.TensorArray(tf.int32, size=0, dynamic_size=True, infer_shape=False)
    assert ragged.write(0, [1, 2]).write(1, [3]).concat().numpy().tolist() == [1, 2, 3]


def test_tensor_array_in_tf_function_loops_and_gradients(tf):
    @tf.function
    def f(x):
        ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        for i in tf.range(tf.shape(x)[0]):
            ta = ta.write(i, x[i] * 2.0)
        return ta.stack()

    assert f(tf.constant([[1.0, 2.0], [3.0, 4.0]])).numpy().tolist() == [[2, 4], [6, 8]]
    assert f(tf.constant([[1.0, 2.0]])).numpy().tolist() == [[2, 4]]
    v = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        ta = tf.TensorArray(tf.float32, size=3)
        for i in range(3):
            ta = ta.write(i, v[i] * v[i])
        y = tf.reduce_sum(ta.stack()) + ta.read(1)
    assert tape.gradient(y, v).numpy().tolist() == [2.0, 8.0, 6.0]


def test_range_with_tensor_limit_in_tf_function(tf):
    f = tf.function(lambda n: (tf.range(n), tf.range(n, 0, -2)))
    a, b = f(tf.constant(5))
    assert a.numpy().tolist() == [0, 1, 2, 3, 4] and b.numpy().tolist() == [5, 3, 1]


def test_variable_equality_is_elementwise(tf):
    a, b = tf.Variable([1.0, 2.0]), tf.Variable([1.0, 3.0])
    assert (a == b).numpy().tolist() == [True, False]
    assert (a != b).numpy().tolist() == [False, True]
    assert {a.ref(): 1, b.ref(): 2}[a.ref()] == 1
