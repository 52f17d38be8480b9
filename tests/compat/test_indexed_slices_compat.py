"""``tf.IndexedSlices`` and ``Variable.scatter_*``: TF's numbers, repeated indices, errors."""

import numpy as np
import pytest

ROWS = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]


def _slices(tf):
    return tf.IndexedSlices(
        tf.constant([[10.0, 10.0], [1.0, 1.0], [2.0, 2.0]]), tf.constant([0, 2, 0])
    )


def test_indexed_slices_properties_and_dense_form(tf):
    s = _slices(tf)
    assert s.dtype == tf.float32 and s.dense_shape is None and s.shape.rank is None
    assert str(s) == (
        "IndexedSlices(indices=tf.Tensor([0 2 0], shape=(3,), dtype=int32), values=tf.Tensor(\n"
        "[[10. 10.]\n [ 1.  1.]\n [ 2.  2.]], shape=(3, 2), dtype=float32))"
    )
    d = tf.IndexedSlices(
        tf.constant([[1.0, 1.0], [2.0, 2.0]]), tf.constant([1, 1]), tf.constant([3, 2])
    )
    assert d.shape.as_list() == [3, 2]
    np.testing.assert_array_equal(tf.convert_to_tensor(d).numpy(), [[0, 0], [3, 3], [0, 0]])


@pytest.mark.parametrize("traced", [False, True])
def test_variable_scatter_updates(tf, traced):
    v = tf.Variable(ROWS)
    s = _slices(tf)

    def run(method, delta):
        def fn():
            return getattr(v, method)(delta)

        (tf.function(fn) if traced else fn)()
        return v.numpy().tolist()

    assert run("scatter_add", s) == [[13, 14], [3, 4], [6, 7]]
    assert run("scatter_mul", s) == [[260, 280], [3, 4], [6, 7]]
    assert run("scatter_max", tf.IndexedSlices(tf.constant([[100.0, 0.0]]), tf.constant([1]))) == [
        [260, 280], [100, 4], [6, 7]
    ]  # fmt: skip
    assert run("scatter_min", tf.IndexedSlices(tf.constant([[0.0, 9.0]]), tf.constant([2]))) == [
        [260, 280], [100, 4], [0, 7]
    ]  # fmt: skip
    twice = tf.IndexedSlices(tf.constant([[1.0, 1.0], [2.0, 2.0]]), tf.constant([1, 1]))
    assert run("scatter_sub", twice) == [
        [260, 280], [97, 1], [0, 7]
    ]  # fmt: skip
    assert run("scatter_div", tf.IndexedSlices(tf.constant([[2.0, 4.0]]), tf.constant([0]))) == [
        [130, 70], [97, 1], [0, 7]
    ]  # fmt: skip
    one = tf.IndexedSlices(tf.constant([[7.0, 8.0]]), tf.constant([1]))
    assert run("scatter_update", one) == [[130, 70], [7, 8], [0, 7]]


def test_scatter_errors(tf):
    v = tf.Variable(ROWS)
    with pytest.raises(TypeError, match="sparse_delta"):
        v.scatter_add(tf.constant([1.0]))
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"indices\[0\] = 5 is not in \[0, 3\)"
    ):
        v.scatter_add(tf.IndexedSlices(tf.constant([[1.0, 1.0]]), tf.constant([5])))
    np.testing.assert_array_equal(v.numpy(), ROWS)  # nothing applied
