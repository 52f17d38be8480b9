"""tf.RaggedTensor, tf.ragged and ragged elements of tf.data, checked against TF."""

from __future__ import annotations

import numpy as np
import pytest

ROWS = [[1.0, 2.0], [], [3.0, 4.0, 5.0]]


@pytest.fixture
def rt(tf):
    return tf.ragged.constant(ROWS)


def test_constant_and_parts(tf, rt):
    assert rt.shape.as_list() == [3, None]
    assert rt.dtype == tf.float32 and rt.row_splits.dtype == tf.int64
    assert rt.row_splits.numpy().tolist() == [0, 2, 2, 5]
    assert rt.values.numpy().tolist() == [1, 2, 3, 4, 5]
    assert rt.ragged_rank == 1
    nested = tf.ragged.constant([[[1, 2], [3]], [], [[4]]])
    assert nested.shape.as_list() == [3, None, None] and nested.ragged_rank == 2
    assert [s.numpy().tolist() for s in nested.nested_row_splits] == [[0, 2, 2, 3], [0, 2, 3, 4]]
    uniform = tf.ragged.constant([[[1, 2], [3, 4]], [[5, 6]]], ragged_rank=1)
    assert uniform.shape.as_list() == [2, None, 2]
    inner = tf.ragged.constant([[[1, 2]], [[3, 4], [5, 6]]], inner_shape=(2,))
    assert inner.shape.as_list() == [2, None, 2]


def test_repr(tf, rt):
    assert repr(rt) == "<tf.RaggedTensor [[1.0, 2.0], [], [3.0, 4.0, 5.0]]>"
    assert str(tf.ragged.constant([[1, 2], [3]])) == "<tf.RaggedTensor [[1, 2], [3]]>"
    s = tf.ragged.constant([[b"a"], [b"bc", b"d"]])
    assert repr(s) == "<tf.RaggedTensor [[b'a'], [b'bc', b'd']]>"
    stacked = tf.stack([tf.ragged.constant([[1, 2], [], [3]])] * 2, axis=1)
    assert repr(stacked) == "<tf.RaggedTensor [[[1, 2], [1, 2]],\n [[], []],\n [[3], [3]]]>"


def test_factories(tf):
    values = tf.constant([1, 2, 3, 4])
    expected = [[1, 2], [], [3, 4], []]
    assert tf.RaggedTensor.from_row_splits(values, [0, 2, 2, 4, 4]).to_list() == expected
    assert tf.RaggedTensor.from_row_lengths(values, [2, 0, 2, 0]).to_list() == expected
    assert tf.RaggedTensor.from_value_rowids(values, [0, 0, 2, 2], nrows=4).to_list() == expected
    nested = tf.RaggedTensor.from_nested_row_splits(values, [[0, 2, 3], [0, 1, 3, 4]])
    assert nested.to_list() == [[[1], [2, 3]], [[4]]]
    t = [[1, 0, 0], [2, 3, 0]]
    assert tf.RaggedTensor.from_tensor(t, padding=0).to_list() == [[1], [2, 3]]
    assert tf.RaggedTensor.from_tensor(t, lengths=[1, 3]).to_list() == [[1], [2, 3, 0]]


def test_invalid_splits(tf, errors):
    with pytest.raises(errors.InvalidArgumentError, match="do not form a valid RaggedTensor"):
        tf.RaggedTensor.from_row_splits([1, 2, 3], [1, 2, 3])
    with pytest.raises(errors.InvalidArgumentError, match="do not form a valid RaggedTensor"):
        tf.RaggedTensor.from_row_splits([1, 2, 3], [0, 3, 2])
    with pytest.raises(ValueError, match="constructor is private"):
        tf.RaggedTensor([1], [0, 1])


def test_conversions(tf, rt):
    np.testing.assert_array_equal(rt.to_tensor().numpy(), [[1, 2, 0], [0, 0, 0], [3, 4, 5]])
    np.testing.assert_array_equal(rt.to_tensor(default_value=9.0, shape=[2, 4]).numpy(),
                                  [[1, 2, 9, 9], [9, 9, 9, 9]])  # fmt: skip
    assert rt.to_list() == ROWS
    assert [a.tolist() for a in rt.numpy()] == ROWS
    nested = tf.ragged.constant([[[1, 2], [3]], [], [[4]]])
    assert nested.to_tensor().shape == (3, 2, 2)
    assert nested.bounding_shape().numpy().tolist() == [3, 2, 2]


def test_partitions(tf, rt):
    assert rt.row_lengths().numpy().tolist() == [2, 0, 3]
    assert rt.value_rowids().numpy().tolist() == [0, 0, 2, 2, 2]
    assert int(rt.nrows()) == 3
    assert rt.with_flat_values(rt.flat_values * 10).to_list() == [[10, 20], [], [30, 40, 50]]
    assert tf.ragged.map_flat_values(tf.ones_like, rt).to_list() == [[1, 1], [], [1, 1, 1]]


def test_indexing(tf, rt, errors):
    assert rt[0].numpy().tolist() == [1.0, 2.0]
    assert rt[1:].to_list() == [[], [3.0, 4.0, 5.0]]
    assert rt[:, 1:].to_list() == [[2.0], [], [4.0, 5.0]]
    assert rt[:, :1].to_list() == [[1.0], [], [3.0]]
    with pytest.raises(ValueError, match="Cannot index into an inner ragged dimension"):
        rt[:, 0]


def test_elementwise(tf, rt, errors):
    assert (rt + 1.0).to_list() == [[2, 3], [], [4, 5, 6]]
    assert (2.0 * rt).to_list() == [[2, 4], [], [6, 8, 10]]
    assert (rt * rt).to_list() == [[1, 4], [], [9, 16, 25]]
    assert (rt / 2.0).to_list() == [[0.5, 1.0], [], [1.5, 2.0, 2.5]]
    assert (-rt).to_list() == [[-1, -2], [], [-3, -4, -5]]
    assert (rt > 2.0).to_list() == [[False, False], [], [True, True, True]]
    np.testing.assert_allclose(tf.math.sqrt(rt).flat_values.numpy(), np.sqrt([1, 2, 3, 4, 5]))
    assert tf.cast(rt, tf.int32).to_list() == [[1, 2], [], [3, 4, 5]]
    column = tf.constant([[10.0], [20.0], [30.0]])
    assert (rt + column).to_list() == [[11, 12], [], [33, 34, 35]]
    with pytest.raises(errors.InvalidArgumentError):
        tf.ragged.constant([[1, 2], [3]]) + tf.ragged.constant([[1], [2, 3]])


def test_reductions(tf, rt):
    assert tf.reduce_sum(rt, axis=1).numpy().tolist() == [3, 0, 12]
    assert tf.reduce_sum(rt, axis=0).numpy().tolist() == [4, 6, 5]
    assert float(tf.reduce_sum(rt)) == 15.0
    means = tf.reduce_mean(rt, axis=1).numpy()
    assert means[0] == 1.5 and np.isnan(means[1]) and means[2] == 4.0
    maxes = tf.reduce_max(rt, axis=1).numpy()
    assert maxes.tolist() == [2.0, float(np.finfo(np.float32).min), 5.0]
    assert tf.reduce_min(rt, axis=0).numpy().tolist() == [1, 2, 5]
    assert tf.reduce_sum(rt, axis=1, keepdims=True).numpy().tolist() == [[3], [0], [12]]
    int_mean = tf.reduce_mean(tf.ragged.constant([[1, 2], [3]]), axis=1)
    assert int_mean.dtype == tf.float64 and int_mean.numpy().tolist() == [1.5, 3.0]
    nested = tf.ragged.constant([[[1, 2], [3]], [[4]]])
    assert tf.reduce_sum(nested, axis=2).to_list() == [[3, 3], [4]]


def test_concat_stack_gather_mask(tf, rt):
    assert tf.concat([rt, rt], axis=0).to_list() == ROWS + ROWS
    assert tf.concat([rt, rt], axis=1).to_list() == [r + r for r in ROWS]
    assert tf.stack([rt, rt], axis=0).to_list() == [ROWS, ROWS]
    assert tf.gather(rt, [2, 0]).to_list() == [ROWS[2], ROWS[0]]
    ids = tf.ragged.constant([[1, 2], [], [3]])
    assert tf.gather(tf.constant([10, 20, 30, 40]), ids).to_list() == [[20, 30], [], [40]]
    kept = tf.ragged.boolean_mask(rt, tf.constant([True, False, True]))
    assert kept.to_list() == [ROWS[0], ROWS[2]]
    assert tf.ragged.boolean_mask(rt, rt > 2.0).to_list() == [[], [], [3, 4, 5]]


def test_spec(tf, rt):
    spec = tf.RaggedTensorSpec.from_value(rt)
    assert repr(spec) == "RaggedTensorSpec(TensorShape([3, None]), tf.float32, 1, tf.int64)"
    assert spec == tf.RaggedTensorSpec([3, None], tf.float32, 1)
    wider = tf.RaggedTensorSpec([5, None], tf.float32, 1)
    assert spec.most_specific_compatible_type(wider).shape.as_list() == [None, None]


def test_nest_expand_composites(tf, rt):
    flat = tf.nest.flatten({"a": rt, "b": 1}, expand_composites=True)
    assert len(flat) == 3 and flat[2] == 1
    assert flat[0].numpy().tolist() == [1, 2, 3, 4, 5]
    assert flat[1].numpy().tolist() == [0, 2, 2, 5]
    assert tf.nest.flatten(rt) == [rt]
    doubled = tf.nest.map_structure(lambda t: t * 2, rt, expand_composites=True)
    assert doubled.row_splits.numpy().tolist() == [0, 4, 4, 10]  # the splits too, as TF


def test_function_with_ragged(tf, rt):
    @tf.function
    def f(x):
        return x * 2.0 + 1.0, tf.reduce_sum(x, axis=1)

    out, sums = f(rt)
    assert isinstance(out, tf.RaggedTensor)
    assert out.to_list() == [[3, 5], [], [7, 9, 11]]
    assert sums.numpy().tolist() == [3, 0, 12]
    out2, _ = f(tf.ragged.constant([[5.0], [6.0, 7.0, 8.0, 9.0], []]))
    assert out2.to_list() == [[11], [13, 15, 17, 19], []]
    out3, sums3 = f(tf.ragged.constant([[1.0, 1.0, 1.0, 1.0, 1.0, 1.0], [2.0], [3.0]]))
    assert out3.to_list() == [[3.0] * 6, [5.0], [7.0]] and sums3.numpy().tolist() == [6, 2, 3]
    assert f.experimental_get_tracing_count() == 1
    f(tf.ragged.constant([[1.0]]))
    assert f.experimental_get_tracing_count() == 2


def test_gradient_through_flat_values(tf):
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        r = tf.RaggedTensor.from_row_splits(x, [0, 2, 3])
        loss = tf.reduce_sum(tf.reduce_sum(r * r, axis=1))
    assert tape.gradient(loss, x).numpy().tolist() == [2.0, 4.0, 6.0]


# ---- tf.data --------------------------------------------------------------------------------


def test_dataset_slices_and_batch(tf):
    rt = tf.ragged.constant([[1, 2], [], [3]])
    ds = tf.data.Dataset.from_tensor_slices(rt)
    assert repr(ds.element_spec) == "RaggedTensorSpec(TensorShape([None]), tf.int32, 0, tf.int64)"
    assert [x.numpy().tolist() for x in ds] == [[1, 2], [], [3]]
    batched = ds.batch(2)
    assert repr(batched.element_spec) == (
        "RaggedTensorSpec(TensorShape([None, None]), tf.int32, 1, tf.int64)"
    )
    assert [x.to_list() for x in batched] == [[[1, 2], []], [[3]]]
    nested = tf.data.Dataset.from_tensor_slices(tf.ragged.constant([[[1], [2, 3]], [[4]], []]))
    assert nested.element_spec.ragged_rank == 1
    assert nested.batch(2).element_spec.ragged_rank == 2
    d = tf.data.Dataset.from_tensor_slices({"a": rt, "b": [1, 2, 3]})
    assert isinstance(d.element_spec["a"], tf.RaggedTensorSpec)


def test_dataset_map_returning_ragged(tf):
    ds = tf.data.Dataset.from_tensor_slices(tf.constant([[1, 2], [3, 4], [5, 6]]))
    ds = ds.map(lambda x: tf.RaggedTensor.from_row_lengths(x, [1, 1]))
    assert isinstance(ds.element_spec, tf.RaggedTensorSpec)
    assert [x.to_list() for x in ds] == [[[1], [2]], [[3], [4]], [[5], [6]]]


def test_dense_to_ragged_batch(tf):
    ds = tf.data.Dataset.range(4).map(lambda x: tf.range(x))
    ds = ds.apply(tf.data.experimental.dense_to_ragged_batch(3))
    assert repr(ds.element_spec) == (
        "RaggedTensorSpec(TensorShape([None, None]), tf.int64, 1, tf.int64)"
    )
    assert [x.to_list() for x in ds] == [[[], [0], [0, 1]], [[0, 1, 2]]]
    fixed = tf.data.Dataset.from_tensor_slices([[1, 2, 3], [4, 5, 6]]).map(lambda x: x[:2])
    fixed = fixed.apply(tf.data.experimental.dense_to_ragged_batch(2))
    assert isinstance(fixed.element_spec, tf.TensorSpec)


def test_dataset_strings_split_batch_unbatch(tf):
    lines = tf.data.Dataset.from_tensor_slices(tf.constant(["a b", "c", "d e f"]))
    ds = lines.batch(2).map(lambda s: tf.strings.split(s))
    assert repr(ds.element_spec) == (
        "RaggedTensorSpec(TensorShape([None, None]), tf.string, 1, tf.int64)"
    )
    assert [x.to_list() for x in ds] == [[[b"a", b"b"], [b"c"]], [[b"d", b"e", b"f"]]]
    rows = ds.unbatch()
    assert (
        repr(rows.element_spec) == "RaggedTensorSpec(TensorShape([None]), tf.string, 0, tf.int64)"
    )
    assert [x.numpy().tolist() for x in rows] == [[b"a", b"b"], [b"c"], [b"d", b"e", b"f"]]
    assert [x.to_list() for x in rows.batch(3)] == [[[b"a", b"b"], [b"c"], [b"d", b"e", b"f"]]]


def test_function_input_signature(tf):
    spec = tf.RaggedTensorSpec([None, None], tf.float32, 1)

    @tf.function(input_signature=[spec])
    def f(x):
        return tf.ragged.map_flat_values(tf.math.square, x) + 1.0

    assert f(tf.ragged.constant([[1.0, 2.0], [3.0]])).to_list() == [[2.0, 5.0], [10.0]]
    assert f(tf.ragged.constant([[4.0], [], []])).to_list() == [[17.0], [], []]
    assert f.experimental_get_tracing_count() == 1
    with pytest.raises(TypeError):
        f(tf.constant([1.0]))


def test_sparse_interop_stack_equality(tf, rt, errors):
    sp = rt.to_sparse()
    assert sp.indices.numpy().tolist() == [[0, 0], [0, 1], [2, 0], [2, 1], [2, 2]]
    assert sp.dense_shape.numpy().tolist() == [3, 3]
    assert tf.RaggedTensor.from_sparse(sp).to_list() == ROWS
    assert rt.merge_dims(0, 1).numpy().tolist() == [1, 2, 3, 4, 5]
    assert tf.ragged.stack([tf.constant([1, 2]), tf.constant([3])]).to_list() == [[1, 2], [3]]
    mixed = tf.ragged.stack([tf.ragged.constant([[1, 2], [3]]), tf.constant([[4, 5]])])
    assert mixed.to_list() == [[[1, 2], [3]], [[4, 5]]]
    r = tf.ragged.constant([[1, 2], [], [3]])
    assert (r == r).to_list() == [[True, True], [], [True]]


def test_traced_to_tensor_and_reductions(tf):
    @tf.function(input_signature=[tf.RaggedTensorSpec([None, None], tf.float32, 1)])
    def f(x):
        return x.to_tensor(default_value=-1.0), tf.reduce_sum(x, axis=1), tf.reduce_max(x, axis=1)

    dense, sums, maxes = f(tf.ragged.constant(ROWS))
    assert dense.numpy().tolist() == [[1, 2, -1], [-1, -1, -1], [3, 4, 5]]
    assert sums.numpy().tolist() == [3, 0, 12]
    assert maxes.numpy().tolist() == [2.0, float(np.finfo(np.float32).min), 5.0]
    dense, _, _ = f(tf.ragged.constant([[7.0], [8.0, 9.0]]))
    assert dense.numpy().tolist() == [[7, -1], [8, 9]]
    assert f.experimental_get_tracing_count() == 1


def test_dataset_pipelines_with_ragged_components(tf):
    rt = tf.ragged.constant([[1, 2], [], [3], [4, 5, 6]])
    ds = tf.data.Dataset.from_tensor_slices((rt, tf.constant([0, 1, 0, 1])))
    batches = [(x.to_list(), y.numpy().tolist()) for x, y in ds.repeat(2).batch(3)]
    assert batches[0] == ([[1, 2], [], [3]], [0, 1, 0])
    assert batches[1] == ([[4, 5, 6], [1, 2], []], [1, 0, 1])
    sums = ds.filter(lambda x, y: y > 0).map(lambda x, y: tf.reduce_sum(x))
    assert [int(s) for s in sums] == [0, 15]
    a = tf.data.Dataset.from_tensors(tf.ragged.constant([[1, 2], []]))
    b = tf.data.Dataset.from_tensors(tf.ragged.constant([[3]]))
    joined = a.concatenate(b)
    assert joined.element_spec.shape.as_list() == [None, None]
    assert [x.to_list() for x in joined] == [[[1, 2], []], [[3]]]
