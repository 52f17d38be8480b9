"""tf.RaggedTensor: factories, conversion, indexing, elementwise ops, reductions, joins,
tf.function (composites traced as their component tensors), tf.nest and gradients."""

import numpy as np
import pytest

import tensorhouse_ops as tf

ROWS = [[1.0, 2.0], [], [3.0, 4.0, 5.0]]


def rows_of(rt):
    return [np.asarray(r, np.float64) for r in rt.to_list()]


def assert_rows(rt, expected):
    got = rt.to_list()
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(np.asarray(g, np.float64), np.asarray(e, np.float64))


@pytest.fixture
def rt():
    return tf.ragged.constant(ROWS)


# ---- factories ------------------------------------------------------------------------------


def test_from_row_splits_parts(rt):
    r = tf.RaggedTensor.from_row_splits([1.0, 2.0, 3.0], [0, 2, 2, 3])
    assert r.to_list() == [[1.0, 2.0], [], [3.0]]
    assert r.row_splits.dtype == tf.int64
    assert r.shape.as_list() == [3, None]
    assert r.dtype == tf.float32
    np.testing.assert_array_equal(r.values.numpy(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(r.flat_values.numpy(), [1.0, 2.0, 3.0])


def test_factories_agree():
    values = tf.constant([1, 2, 3, 4])
    expected = [[1, 2], [], [3, 4], []]
    assert tf.RaggedTensor.from_row_splits(values, [0, 2, 2, 4, 4]).to_list() == expected
    assert tf.RaggedTensor.from_row_lengths(values, [2, 0, 2, 0]).to_list() == expected
    assert tf.RaggedTensor.from_value_rowids(values, [0, 0, 2, 2], nrows=4).to_list() == expected
    assert tf.RaggedTensor.from_row_starts(values, [0, 2, 2, 4]).to_list() == expected
    assert tf.RaggedTensor.from_row_limits(values, [2, 2, 4, 4]).to_list() == expected


@pytest.mark.parametrize(
    "splits, what",
    [([1, 2, 3], "zero"), ([0, 3, 2], "monotonic"), ([0, 1, 2], "")],
)
def test_from_row_splits_validates(splits, what):
    with pytest.raises(tf.errors.InvalidArgumentError, match="do not form a valid RaggedTensor"):
        tf.RaggedTensor.from_row_splits([1, 2, 3], splits)


def test_constructor_is_private():
    with pytest.raises(ValueError, match="constructor is private"):
        tf.RaggedTensor([1], [0, 1])


def test_from_tensor_lengths_and_padding():
    t = [[1, 0, 0], [2, 3, 0]]
    assert tf.RaggedTensor.from_tensor(t, padding=0).to_list() == [[1], [2, 3]]
    assert tf.RaggedTensor.from_tensor(t, lengths=[1, 3]).to_list() == [[1], [2, 3, 0]]
    assert tf.RaggedTensor.from_tensor(t).to_list() == t


def test_nested_row_splits(rt):
    r = tf.RaggedTensor.from_nested_row_splits([1, 2, 3, 4], [[0, 2, 2, 4], [0, 2, 3, 3, 4]])
    assert r.to_list() == [[[1, 2], [3]], [], [[], [4]]]
    assert r.ragged_rank == 2
    assert r.shape.as_list() == [3, None, None]
    assert [s.numpy().tolist() for s in r.nested_row_splits] == [[0, 2, 2, 4], [0, 2, 3, 3, 4]]
    assert [s.numpy().tolist() for s in r.nested_row_lengths()] == [[2, 0, 2], [2, 1, 0, 1]]


def test_constant_ragged_rank_and_inner_shape():
    r = tf.ragged.constant([[[1, 2], [3, 4]], [[5, 6]]], ragged_rank=1)
    assert r.shape.as_list() == [2, None, 2] and r.ragged_rank == 1
    r = tf.ragged.constant([[[1, 2]], [[3, 4], [5, 6]]], inner_shape=(2,))
    assert r.shape.as_list() == [2, None, 2]
    assert tf.ragged.constant([[1, 2], [3]], dtype=tf.float64).dtype == tf.float64
    assert tf.ragged.constant([[]]).dtype == tf.float32
    assert isinstance(tf.ragged.constant([1, 2]), tf.Tensor)
    with pytest.raises(ValueError, match="same nesting depth"):
        tf.ragged.constant([[1, [2]]])


# ---- conversion and properties -----------------------------------------------------------


def test_to_tensor(rt):
    expected = np.array([[1, 2, 0], [0, 0, 0], [3, 4, 5]], np.float32)
    np.testing.assert_array_equal(rt.to_tensor().numpy(), expected)
    padded = rt.to_tensor(default_value=-1.0).numpy()
    np.testing.assert_array_equal(padded, np.where(expected == 0, -1, expected))
    np.testing.assert_array_equal(rt.to_tensor(shape=[2, 4]).numpy(), [[1, 2, 0, 0], [0, 0, 0, 0]])


def test_to_tensor_nested_and_strings():
    r = tf.ragged.constant([[[1, 2], [3]], [], [[4]]])
    dense = r.to_tensor().numpy()
    assert dense.shape == (3, 2, 2)
    np.testing.assert_array_equal(dense[0], [[1, 2], [3, 0]])
    np.testing.assert_array_equal(dense[2], [[4, 0], [0, 0]])
    s = tf.ragged.constant([[b"a"], [b"bc", b"d"]])
    assert s.to_tensor().numpy().tolist() == [[b"a", b""], [b"bc", b"d"]]


def test_partitions(rt):
    assert rt.row_lengths().numpy().tolist() == [2, 0, 3]
    assert rt.value_rowids().numpy().tolist() == [0, 0, 2, 2, 2]
    assert int(rt.nrows()) == 3
    assert rt.bounding_shape().numpy().tolist() == [3, 3]
    assert rt.row_starts().numpy().tolist() == [0, 2, 2]
    assert rt.row_limits().numpy().tolist() == [2, 2, 5]


def test_with_flat_values_and_map_flat_values(rt):
    doubled = rt.with_flat_values(rt.flat_values * 2)
    assert_rows(doubled, [[2, 4], [], [6, 8, 10]])
    ones = tf.ragged.map_flat_values(tf.ones_like, rt)
    assert_rows(ones, [[1, 1], [], [1, 1, 1]])
    assert rt.with_row_splits_dtype(tf.int32).row_splits.dtype == tf.int32


def test_repr_and_numpy(rt):
    assert repr(tf.ragged.constant([[1, 2], [3]])) == "<tf.RaggedTensor [[1, 2], [3]]>"
    assert str(rt) == "<tf.RaggedTensor [[1.0, 2.0], [], [3.0, 4.0, 5.0]]>"
    arr = rt.numpy()
    assert arr.dtype == object and [len(a) for a in arr] == [2, 0, 3]


def test_spec(rt):
    spec = rt._type_spec
    assert repr(spec) == "RaggedTensorSpec(TensorShape([3, None]), tf.float32, 1, tf.int64)"
    assert spec == tf.RaggedTensorSpec([3, None], tf.float32, 1)
    other = tf.RaggedTensorSpec([5, None], tf.float32, 1)
    assert spec.most_specific_compatible_type(other).shape.as_list() == [None, None]
    assert tf.RaggedTensorSpec([None, None], tf.float32).is_compatible_with(rt)
    assert not tf.RaggedTensorSpec([None, None], tf.int32).is_compatible_with(rt)


# ---- indexing -------------------------------------------------------------------------------


def test_indexing(rt):
    np.testing.assert_array_equal(rt[0].numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(rt[-1].numpy(), [3.0, 4.0, 5.0])
    assert_rows(rt[1:], [[], [3, 4, 5]])
    assert_rows(rt[:, 1:], [[2], [], [4, 5]])
    assert_rows(rt[::2, :2], [[1, 2], [3, 4]])
    with pytest.raises(ValueError, match="inner ragged dimension"):
        rt[:, 0]
    r3 = tf.ragged.constant([[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0]]], ragged_rank=1)
    assert r3[:, :, 0].to_list() == [[1.0, 3.0], [5.0]]


# ---- elementwise ----------------------------------------------------------------------------


def test_elementwise(rt):
    assert_rows(rt + 1.0, [[2, 3], [], [4, 5, 6]])
    assert_rows(2.0 - rt, [[1, 0], [], [-1, -2, -3]])
    assert_rows(rt * rt, [[1, 4], [], [9, 16, 25]])
    assert_rows(rt / 2.0, [[0.5, 1], [], [1.5, 2, 2.5]])
    assert_rows(-rt, [[-1, -2], [], [-3, -4, -5]])
    assert_rows(tf.math.sqrt(rt), [np.sqrt([1, 2]), [], np.sqrt([3, 4, 5])])
    assert (rt > 2.0).to_list() == [[False, False], [], [True, True, True]]
    assert_rows(tf.cast(rt, tf.int32), [[1, 2], [], [3, 4, 5]])
    assert tf.cast(rt, tf.int32).dtype == tf.int32


def test_broadcast_dense_rows(rt):
    column = tf.constant([[10.0], [20.0], [30.0]])
    assert_rows(rt + column, [[11, 12], [], [33, 34, 35]])
    assert_rows(column + rt, [[11, 12], [], [33, 34, 35]])
    with pytest.raises(tf.errors.InvalidArgumentError):
        rt + tf.constant([1.0, 2.0, 3.0])


def test_mismatched_splits():
    a = tf.ragged.constant([[1, 2], [3]])
    b = tf.ragged.constant([[1], [2, 3]])
    with pytest.raises(tf.errors.InvalidArgumentError):
        a + b


# ---- reductions ----------------------------------------------------------------------------


def test_reductions_against_numpy(rt):
    rows = rows_of(rt)
    np.testing.assert_allclose(tf.reduce_sum(rt, axis=1).numpy(), [r.sum() for r in rows])
    means = tf.reduce_mean(rt, axis=1).numpy()
    np.testing.assert_allclose(means[[0, 2]], [rows[0].mean(), rows[2].mean()])
    assert np.isnan(means[1])
    maxes = tf.reduce_max(rt, axis=1).numpy()
    np.testing.assert_allclose(maxes[[0, 2]], [2, 5])
    assert maxes[1] == np.finfo(np.float32).min
    np.testing.assert_allclose(tf.reduce_min(rt, axis=0).numpy(), [1, 2, 5])
    np.testing.assert_allclose(tf.reduce_sum(rt, axis=0).numpy(), [4, 6, 5])
    np.testing.assert_allclose(tf.reduce_mean(rt, axis=0).numpy(), [2, 3, 5])
    assert float(tf.reduce_sum(rt)) == 15.0
    np.testing.assert_allclose(tf.reduce_sum(rt, axis=1, keepdims=True).numpy(), [[3], [0], [12]])


def test_int_mean_is_float64():
    out = tf.reduce_mean(tf.ragged.constant([[1, 2], [3]]), axis=1)
    assert out.dtype == tf.float64
    np.testing.assert_allclose(out.numpy(), [1.5, 3.0])


def test_reduce_inner_axes():
    r = tf.ragged.constant([[[1, 2], [3]], [[4]]])
    assert tf.reduce_sum(r, axis=2).to_list() == [[3, 3], [4]]
    r3 = tf.ragged.constant([[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0]]], ragged_rank=1)
    assert tf.reduce_sum(r3, axis=2).to_list() == [[3.0, 7.0], [11.0]]
    np.testing.assert_allclose(tf.reduce_sum(r3, axis=1).numpy(), [[4, 6], [5, 6]])


# ---- joins and gathers ----------------------------------------------------------------------


def test_concat_stack_gather(rt):
    assert_rows(tf.concat([rt, rt], axis=0), ROWS + ROWS)
    assert_rows(tf.concat([rt, rt], axis=1), [r + r for r in ROWS])
    stacked = tf.stack([rt, rt], axis=0)
    assert stacked.shape.as_list() == [2, None, None]
    assert stacked.to_list() == [ROWS, ROWS]
    assert tf.stack([rt, rt], axis=1).to_list() == [[r, r] for r in ROWS]
    assert_rows(tf.gather(rt, [2, 0]), [ROWS[2], ROWS[0]])
    ids = tf.ragged.constant([[1, 2], [], [3]])
    assert tf.gather(tf.constant([10, 20, 30, 40]), ids).to_list() == [[20, 30], [], [40]]
    mixed = tf.concat([tf.ragged.constant([[1, 2], [3]]), tf.constant([[7, 8]])], axis=0)
    assert mixed.to_list() == [[1, 2], [3], [7, 8]]


def test_boolean_mask(rt):
    assert_rows(tf.ragged.boolean_mask(rt, tf.constant([True, False, True])), [ROWS[0], ROWS[2]])
    assert_rows(tf.ragged.boolean_mask(rt, rt > 2.0), [[], [], [3, 4, 5]])


def test_ragged_range_and_segment_ids():
    assert tf.ragged.range([0, 2], [3, 4]).to_list() == [[0, 1, 2], [2, 3]]
    assert tf.ragged.row_splits_to_segment_ids([0, 2, 2, 3]).numpy().tolist() == [0, 0, 2]
    assert tf.ragged.segment_ids_to_row_splits([0, 0, 2]).numpy().tolist() == [0, 2, 2, 3]


# ---- nest, tf.function, gradients ----------------------------------------------------------


def test_nest_expand_composites(rt):
    flat = tf.nest.flatten({"a": rt, "b": 1}, expand_composites=True)
    assert [type(x) for x in flat] == [tf.Tensor, tf.Tensor, int]
    assert flat[1].numpy().tolist() == [0, 2, 2, 5]
    assert tf.nest.flatten(rt) == [rt]
    packed = tf.nest.pack_sequence_as(rt, [tf.constant([7.0, 8.0, 9.0, 1.0, 2.0]), flat[1]],
                                      expand_composites=True)  # fmt: skip
    assert_rows(packed, [[7, 8], [], [9, 1, 2]])


def test_function_traces_components_and_returns_ragged(rt):
    @tf.function
    def f(x):
        return x * 2.0 + 1.0, tf.reduce_sum(x, axis=1)

    out, sums = f(rt)
    assert isinstance(out, tf.RaggedTensor)
    eager = rt * 2.0 + 1.0
    assert out.to_list() == eager.to_list()
    np.testing.assert_allclose(sums.numpy(), tf.reduce_sum(rt, axis=1).numpy())
    other = tf.ragged.constant([[5.0], [6.0, 7.0, 8.0, 9.0], []])  # same component shapes
    out2, _ = f(other)
    assert_rows(out2, [[11], [13, 15, 17, 19], []])
    assert f.experimental_get_tracing_count() == 1
    longer, _ = f(tf.ragged.constant([[1.0, 2.0, 3.0, 4.0], [5.0], [6.0, 7.0, 8.0]]))
    assert longer.to_list() == [[3, 5, 7, 9], [11], [13, 15, 17]]
    assert f.experimental_get_tracing_count() == 1  # a trace per spec: ragged dims unknown
    f(tf.ragged.constant([[1.0]]))
    assert f.experimental_get_tracing_count() == 2


def test_gradient_through_flat_values():
    x = tf.constant([1.0, 2.0, 3.0, 4.0])
    splits = [0, 3, 4]
    with tf.GradientTape() as tape:
        tape.watch(x)
        r = tf.RaggedTensor.from_row_splits(x, splits)
        loss = tf.reduce_sum(tf.reduce_max(r * r, axis=1)) + tf.reduce_sum(
            tf.reduce_mean(r, axis=1)
        )
    grad = tape.gradient(loss, x).numpy()

    def f(v):
        rows = [v[0:3], v[3:4]]
        return sum((row**2).max() + row.mean() for row in rows)

    eps = 1e-3
    v0 = x.numpy().astype(np.float64)
    numeric = [(f(v0 + eps * e) - f(v0 - eps * e)) / (2 * eps) for e in np.eye(4)]
    np.testing.assert_allclose(grad, numeric, rtol=1e-3)


def test_gradient_through_to_tensor():
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        dense = tf.RaggedTensor.from_row_splits(x, [0, 1, 3]).to_tensor()
        loss = tf.reduce_sum(dense * tf.constant([[1.0, 10.0], [100.0, 1000.0]]))
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), [1.0, 100.0, 1000.0])


def test_sparse_round_trip_and_merge_dims(rt):
    sp = rt.to_sparse()
    assert sp.indices.numpy().tolist() == [[0, 0], [0, 1], [2, 0], [2, 1], [2, 2]]
    assert sp.dense_shape.numpy().tolist() == [3, 3]
    np.testing.assert_array_equal(tf.sparse.to_dense(sp).numpy(), rt.to_tensor().numpy())
    assert tf.RaggedTensor.from_sparse(sp).to_list() == rt.to_list()
    gappy = tf.sparse.SparseTensor([[0, 1]], [1.0], [1, 3])
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.RaggedTensor.from_sparse(gappy)
    np.testing.assert_array_equal(rt.merge_dims(0, 1).numpy(), [1, 2, 3, 4, 5])


def test_ragged_stack_and_equality():
    stacked = tf.ragged.stack([tf.constant([1, 2]), tf.constant([3])])
    assert stacked.to_list() == [[1, 2], [3]]
    mixed = tf.ragged.stack([tf.ragged.constant([[1, 2], [3]]), tf.constant([[4, 5]])])
    assert mixed.to_list() == [[[1, 2], [3]], [[4, 5]]]
    r = tf.ragged.constant([[1, 2], [], [3]])
    assert (r == r).to_list() == [[True, True], [], [True]]
    assert (r != 2).to_list() == [[True, False], [], [True]]
    assert r != None  # noqa: E711 - TF's comparison with None
    assert tf.ragged.constant.__name__ == "constant"


def test_function_input_signature_retraces_once():
    @tf.function(input_signature=[tf.RaggedTensorSpec([None, None], tf.float32, 1)])
    def f(x):
        return tf.ragged.map_flat_values(tf.math.square, x) + 1.0

    assert f(tf.ragged.constant([[1.0, 2.0], [3.0]])).to_list() == [[2.0, 5.0], [10.0]]
    assert f(tf.ragged.constant([[4.0], [], []])).to_list() == [[17.0], [], []]
    assert f.experimental_get_tracing_count() == 1
    with pytest.raises(TypeError):
        f(tf.constant([1.0]))


@pytest.mark.parametrize("signature", [None, [tf.RaggedTensorSpec([None, None], tf.float32, 1)]])
def test_traced_to_tensor_and_reductions_match_eager(signature):
    def fn(x):
        return (
            x.to_tensor(),
            x.to_tensor(default_value=-1.0),
            tf.reduce_sum(x, axis=1),
            tf.reduce_mean(x, axis=1),
            tf.reduce_max(x, axis=1),
            tf.reduce_min(x, axis=0),
        )

    traced = tf.function(fn, input_signature=signature)
    for rows in (ROWS, [[7.0], [8.0, 9.0]]):
        r = tf.ragged.constant(rows)
        for e, t in zip(fn(r), traced(r)):
            np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_gradient_through_traced_to_tensor():
    @tf.function
    def loss_fn(v):
        dense = tf.RaggedTensor.from_row_splits(v, [0, 1, 3]).to_tensor()
        return tf.reduce_sum(dense * tf.constant([[1.0, 10.0], [100.0, 1000.0]]))

    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = loss_fn(x)
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), [1.0, 100.0, 1000.0])


def test_traced_rowids_and_row_broadcast(rt):
    spec = tf.RaggedTensorSpec([None, None], tf.float32, 1)
    column = tf.constant([[1.0], [2.0], [3.0]])

    @tf.function(input_signature=[spec])
    def f(x):
        return x.value_rowids(), x + column, tf.reduce_sum(x, axis=0)

    rowids, shifted, col_sums = f(rt)
    assert rowids.numpy().tolist() == rt.value_rowids().numpy().tolist()
    assert shifted.to_list() == (rt + column).to_list()
    np.testing.assert_array_equal(col_sums.numpy(), tf.reduce_sum(rt, axis=0).numpy())


def test_traced_bounding_shape():
    nested = tf.ragged.constant([[[1, 2], [3]], [], [[4]]])
    traced = tf.function(lambda x: (x.bounding_shape(), x.bounding_shape(axis=1)))
    full, second = traced(nested)
    assert full.numpy().tolist() == nested.bounding_shape().numpy().tolist() == [3, 2, 2]
    assert int(second) == 2
    inner = tf.ragged.constant([[[1.0, 2.0]], [[3.0, 4.0], [5.0, 6.0]]], ragged_rank=1)
    assert traced(inner)[0].numpy().tolist() == [2, 2, 2]


def test_gradient_through_function_with_ragged_argument():
    @tf.function
    def f(r):
        return tf.reduce_sum(tf.reduce_max(r * r, axis=1))

    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(tf.RaggedTensor.from_row_splits(x, [0, 2, 3]))
    assert float(y) == 13.0
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [0.0, 4.0, 6.0])
