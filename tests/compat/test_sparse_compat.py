"""tf.sparse.SparseTensor, tf.sparse and sparse elements of tf.data, checked against TF."""

from __future__ import annotations

import numpy as np
import pytest

IDX = [[0, 1], [1, 0], [2, 3]]
VALS = [1.0, 2.0, 3.0]
SHAPE = [3, 4]
DENSE = [[0, 1, 0, 0], [2, 0, 0, 0], [0, 0, 0, 3]]


def parts(sp):
    return sp.indices.numpy().tolist(), sp.values.numpy().tolist(), sp.dense_shape.numpy().tolist()


@pytest.fixture
def sp(tf):
    return tf.sparse.SparseTensor(IDX, VALS, SHAPE)


def test_constructor_and_repr(tf, sp):
    assert sp.indices.dtype == tf.int64 and sp.dense_shape.dtype == tf.int64
    assert sp.shape.as_list() == SHAPE and sp.dtype == tf.float32
    assert tf.sparse.SparseTensor([[0, 1]], [1], [2, 3]).dtype == tf.int32
    text = str(tf.sparse.SparseTensor([[0, 1]], [2.0], [2, 3]))
    assert text == (
        "SparseTensor(indices=tf.Tensor([[0 1]], shape=(1, 2), dtype=int64), values=tf.Tensor("
        "[2.], shape=(1,), dtype=float32), dense_shape=tf.Tensor([2 3], shape=(2,), dtype=int64))"
    )
    assert repr(sp._type_spec) == "SparseTensorSpec(TensorShape([3, 4]), tf.float32)"
    assert tf.SparseTensorSpec([3, 4], tf.float32) == sp._type_spec
    with pytest.raises(ValueError, match="must have rank 2"):
        tf.sparse.SparseTensor([0, 1], [1.0], [2, 3])


def test_dense_round_trip(tf, sp):
    assert tf.sparse.to_dense(sp).numpy().tolist() == DENSE
    filled = tf.sparse.to_dense(sp, default_value=-1.0).numpy()
    assert filled.tolist() == [[v if v else -1 for v in row] for row in DENSE]
    assert parts(tf.sparse.from_dense(tf.constant(DENSE, tf.float32))) == (IDX, VALS, SHAPE)


def test_index_errors(tf, errors):
    cases = [
        ([[1, 0], [0, 1]], r"indices\[1\] = \[0,1\] is out of order"),
        ([[0, 1], [0, 1]], r"indices\[1\] = \[0,1\] is repeated"),
        ([[0, 1], [3, 1]], r"indices\[1\] = \[3,1\] is out of bounds: need 0 <= index < \[3,4\]"),
    ]
    for indices, message in cases:
        with pytest.raises(errors.InvalidArgumentError, match=message):
            tf.sparse.to_dense(tf.sparse.SparseTensor(indices, [1.0, 2.0], SHAPE))
    unordered = tf.sparse.SparseTensor([[1, 0], [0, 1]], [1.0, 2.0], [2, 2])
    out = tf.sparse.to_dense(unordered, validate_indices=False)
    assert out.numpy().tolist() == [[0, 2], [1, 0]]
    with pytest.raises(errors.InvalidArgumentError, match="Indices are not valid"):
        tf.sparse.to_dense(tf.sparse.SparseTensor([[5, 0]], [1.0], [2, 2]), validate_indices=False)


def test_reorder_retain_reset_slice(tf, sp):
    shuffled = tf.sparse.SparseTensor([[2, 3], [0, 1], [1, 0]], [3.0, 1.0, 2.0], SHAPE)
    assert parts(tf.sparse.reorder(shuffled)) == (IDX, VALS, SHAPE)
    assert parts(tf.sparse.retain(sp, [True, False, True]))[0] == [[0, 1], [2, 3]]
    assert parts(tf.sparse.reset_shape(sp, [5, 6]))[2] == [5, 6]
    with pytest.raises(ValueError, match="dimension sizes >= sp_input.shape"):
        tf.sparse.reset_shape(sp, [1, 6])
    tight = tf.sparse.reset_shape(tf.sparse.SparseTensor([[0, 1]], [1.0], [5, 5]))
    assert parts(tight)[2] == [1, 2]
    assert parts(tf.sparse.slice(sp, [1, 0], [2, 2])) == ([[0, 0]], [2.0], [2, 2])


def test_reductions(tf, sp):
    assert tf.sparse.reduce_sum(sp, axis=1).numpy().tolist() == [1, 2, 3]
    assert tf.sparse.reduce_sum(sp, axis=0).numpy().tolist() == [2, 1, 0, 3]
    assert tf.sparse.reduce_sum(sp, axis=1, keepdims=True).numpy().tolist() == [[1], [2], [3]]
    assert float(tf.sparse.reduce_sum(sp)) == 6.0
    out = tf.sparse.reduce_sum(sp, axis=1, output_is_sparse=True)
    assert parts(out) == ([[0], [1], [2]], [1.0, 2.0, 3.0], [3])
    neg = tf.sparse.SparseTensor([[0, 1], [1, 1]], [-1.0, -2.0], [3, 3])
    assert tf.sparse.reduce_max(neg, axis=1).numpy().tolist() == [-1.0, -2.0, 0.0]
    assert float(tf.sparse.reduce_max(neg)) == -1.0
    assert parts(tf.sparse.reduce_max(neg, axis=1, output_is_sparse=True))[1] == [-1.0, -2.0]


def test_concat_and_add(tf, sp, errors):
    joined = tf.sparse.concat(1, [sp, sp])
    assert parts(joined)[0] == [[0, 1], [0, 5], [1, 0], [1, 4], [2, 3], [2, 7]]
    other = tf.sparse.SparseTensor([[0, 4]], [7.0], [1, 5])
    with pytest.raises(errors.InvalidArgumentError, match="Input shapes must match"):
        tf.sparse.concat(0, [sp, other])
    wide = tf.sparse.concat(0, [sp, other], expand_nonconcat_dims=True)
    assert parts(wide) == (IDX + [[3, 4]], VALS + [7.0], [4, 5])
    b = tf.sparse.SparseTensor([[0, 0], [0, 1]], [5.0, -1.0], SHAPE)
    assert parts(tf.sparse.add(sp, b)) == ([[0, 0], [0, 1], [1, 0], [2, 3]], [5, 0, 2, 3], SHAPE)
    assert parts(tf.sparse.add(sp, b, threshold=0.5))[0] == [[0, 0], [1, 0], [2, 3]]
    dense = tf.sparse.add(sp, tf.ones(SHAPE))
    assert dense.numpy().tolist() == [[v + 1 for v in row] for row in DENSE]


def test_elementwise_with_dense(tf, sp):
    assert parts(sp * tf.constant([[1.0], [10.0], [100.0]]))[1] == [1.0, 20.0, 300.0]
    assert parts(sp * 3.0)[1] == [3.0, 6.0, 9.0]
    assert parts(sp / 2.0)[1] == [0.5, 1.0, 1.5]
    with pytest.raises(TypeError):
        sp + sp


def test_matmul_and_gradients(tf, sp):
    b = np.arange(8, dtype=np.float32).reshape(4, 2)
    dense = np.asarray(DENSE, np.float32)
    out = tf.sparse.sparse_dense_matmul(sp, tf.constant(b))
    np.testing.assert_allclose(out.numpy(), dense @ b)
    c = np.arange(6, dtype=np.float32).reshape(3, 2)
    np.testing.assert_allclose(
        tf.sparse.sparse_dense_matmul(sp, tf.constant(c), adjoint_a=True).numpy(), dense.T @ c
    )
    np.testing.assert_allclose(
        tf.sparse.sparse_dense_matmul(sp, tf.constant(b.T), adjoint_b=True).numpy(), dense @ b
    )
    values, rhs = tf.constant(VALS), tf.constant(b)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([values, rhs])
        s = tf.sparse.SparseTensor(IDX, values, SHAPE)
        loss = tf.reduce_sum(tf.sparse.sparse_dense_matmul(s, rhs))
    np.testing.assert_allclose(tape.gradient(loss, rhs).numpy(), dense.T @ np.ones((3, 2)))
    np.testing.assert_allclose(
        tape.gradient(loss, values).numpy(), [b[1].sum(), b[0].sum(), b[3].sum()]
    )


def test_indicator_fill_segments(tf):
    ids = tf.sparse.SparseTensor([[0, 0], [0, 1], [1, 0]], [2, 0, 3], [2, 2])
    assert tf.sparse.to_indicator(ids, 4).numpy().tolist() == [
        [True, False, True, False], [False, False, False, True]
    ]  # fmt: skip
    sp = tf.sparse.SparseTensor([[0, 1], [2, 0]], [1.0, 2.0], [4, 3])
    filled, empty = tf.sparse.fill_empty_rows(sp, -1.0)
    assert parts(filled) == ([[0, 1], [1, 0], [2, 0], [3, 0]], [1.0, -1.0, 2.0, -1.0], [4, 3])
    assert empty.numpy().tolist() == [False, True, False, True]
    data = tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    idx, seg = tf.constant([0, 2, 1]), tf.constant([0, 0, 1])
    assert tf.sparse.segment_sum(data, idx, seg).numpy().tolist() == [[6, 8], [3, 4]]
    assert tf.sparse.segment_mean(data, idx, seg).numpy().tolist() == [[3, 4], [3, 4]]
    np.testing.assert_allclose(tf.sparse.segment_sqrt_n(data, idx, seg).numpy(),
                               [[6 / np.sqrt(2), 8 / np.sqrt(2)], [3, 4]], rtol=1e-6)  # fmt: skip
    padded = tf.sparse.segment_sum(data, idx, seg, num_segments=3)
    assert padded.numpy().tolist() == [[6, 8], [3, 4], [0, 0]]


def test_nest_and_function(tf, sp):
    flat = tf.nest.flatten(sp, expand_composites=True)
    assert [f.shape.as_list() for f in flat] == [[3, 2], [3], [2]]

    @tf.function
    def f(s, d):
        return tf.sparse.sparse_dense_matmul(s, d), s * 2.0

    prod, doubled = f(sp, tf.ones([4, 2]))
    assert prod.numpy().tolist() == [[1, 1], [2, 2], [3, 3]]
    assert isinstance(doubled, tf.sparse.SparseTensor)
    assert parts(doubled) == (IDX, [2.0, 4.0, 6.0], SHAPE)


def test_dataset_of_sparse(tf):
    sp = tf.sparse.SparseTensor([[0, 1], [2, 0]], [1.0, 2.0], [3, 2])
    ds = tf.data.Dataset.from_tensor_slices(sp)
    assert repr(ds.element_spec) == "SparseTensorSpec(TensorShape([2]), tf.float32)"
    rows = [tf.sparse.to_dense(x).numpy().tolist() for x in ds]
    assert rows == [[0, 1], [0, 0], [2, 0]]
    batched = ds.batch(2)
    assert repr(batched.element_spec) == "SparseTensorSpec(TensorShape([None, 2]), tf.float32)"
    out = [parts(x) for x in batched]
    assert out == [([[0, 1]], [1.0], [2, 2]), ([[0, 0]], [2.0], [1, 2])]


def test_dataset_of_sparse_unbatch(tf):
    sp = tf.sparse.SparseTensor([[0, 1], [2, 0]], [1.0, 2.0], [3, 2])
    ds = tf.data.Dataset.from_tensor_slices(sp).batch(2).unbatch()
    assert repr(ds.element_spec) == "SparseTensorSpec(TensorShape([2]), tf.float32)"
    assert [tf.sparse.to_dense(x).numpy().tolist() for x in ds] == [[0, 1], [0, 0], [2, 0]]


def test_function_input_signature(tf):
    @tf.function(input_signature=[tf.SparseTensorSpec([None, 3], tf.float32)])
    def g(s):
        return s * 2.0

    out = g(tf.sparse.SparseTensor([[0, 1]], [1.5], [2, 3]))
    assert parts(out) == ([[0, 1]], [3.0], [2, 3])
    out = g(tf.sparse.SparseTensor([[4, 2], [5, 0]], [1.0, 2.0], [6, 3]))
    assert parts(out) == ([[4, 2], [5, 0]], [2.0, 4.0], [6, 3])
    assert g.experimental_get_tracing_count() == 1
