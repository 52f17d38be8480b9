"""tf.sparse ops whose index bookkeeping runs on the host, inside ``tf.function`` (one host
node each): the same numbers traced as eager, hand-computed references, gradients to the
values; and tf.sort / tf.argsort over an axis of unknown length."""

import numpy as np
import pytest

import tensorhouse_ops as tf

# unordered entries of a [3, 4] matrix
IDX = [[2, 3], [0, 1], [1, 0], [0, 3]]
VALS = [3.0, 1.0, 2.0, 4.0]
SHAPE = [3, 4]


def parts(sp):
    return (np.asarray(sp.indices).tolist(), np.asarray(sp.values).tolist(),
            np.asarray(sp.dense_shape).tolist())  # fmt: skip


def both(fn, *args):
    """``fn`` eagerly and through tf.function on a SparseTensor built from the args."""
    eager = fn(tf.sparse.SparseTensor(*args))

    @tf.function
    def traced(i, v, s):
        return fn(tf.sparse.SparseTensor(i, v, s))

    t = traced(tf.constant(args[0], tf.int64), tf.constant(args[1]), tf.constant(args[2], tf.int64))
    return eager, t


def assert_same(eager, traced):
    if isinstance(eager, tf.sparse.SparseTensor):
        assert parts(eager) == parts(traced)
    else:
        np.testing.assert_array_equal(np.asarray(eager), np.asarray(traced))


def test_reorder():
    eager, traced = both(tf.sparse.reorder, IDX, VALS, SHAPE)
    assert parts(eager) == ([[0, 1], [0, 3], [1, 0], [2, 3]], [1.0, 4.0, 2.0, 3.0], SHAPE)
    assert_same(eager, traced)


def test_reorder_gradient_reaches_values():
    v = tf.Variable(VALS)
    with tf.GradientTape() as tape:
        out = tf.sparse.reorder(tf.sparse.SparseTensor(IDX, v, SHAPE))
        loss = tf.reduce_sum(out.values * tf.constant([1.0, 2.0, 3.0, 4.0]))
    # sorted order is entries 1, 3, 2, 0: each entry's weight is its new position + 1
    np.testing.assert_allclose(tape.gradient(loss, v).numpy(), [4.0, 1.0, 3.0, 2.0])


def test_retain_slice_reset_shape():
    keep = lambda sp: tf.sparse.retain(sp, tf.constant([True, False, True, True]))  # noqa: E731
    eager, traced = both(keep, IDX, VALS, SHAPE)
    assert parts(eager) == ([[2, 3], [1, 0], [0, 3]], [3.0, 2.0, 4.0], SHAPE)
    assert_same(eager, traced)
    cut = lambda sp: tf.sparse.slice(sp, [0, 1], [2, 3])  # noqa: E731
    eager, traced = both(cut, IDX, VALS, SHAPE)
    assert parts(eager) == ([[0, 0], [0, 2]], [1.0, 4.0], [2, 3])
    assert_same(eager, traced)
    eager, traced = both(tf.sparse.reset_shape, IDX, VALS, [5, 6])
    assert parts(eager)[2] == [3, 4]
    assert_same(eager, traced)


def test_concat_and_add():
    def cat(sp):
        other = tf.sparse.SparseTensor([[1, 1]], [9.0], [3, 2])
        return tf.sparse.concat(1, [sp, other])

    eager, traced = both(cat, IDX, VALS, SHAPE)
    assert parts(eager) == (
        [[0, 1], [0, 3], [1, 0], [1, 5], [2, 3]],
        [1.0, 4.0, 2.0, 9.0, 3.0],
        [3, 6],
    )
    assert_same(eager, traced)

    def plus(sp):
        other = tf.sparse.SparseTensor([[0, 1], [2, 2]], [10.0, -1.0], SHAPE)
        return tf.sparse.add(sp, other)

    eager, traced = both(plus, IDX, VALS, SHAPE)
    assert parts(eager) == (
        [[0, 1], [0, 3], [1, 0], [2, 2], [2, 3]],
        [11.0, 4.0, 2.0, -1.0, 3.0],
        SHAPE,
    )
    assert_same(eager, traced)
    dropped = lambda sp: tf.sparse.add(sp, tf.sparse.SparseTensor([[0, 3]], [-3.5], SHAPE), 1.0)  # noqa: E731
    eager, traced = both(dropped, IDX, VALS, SHAPE)
    assert [0, 3] not in parts(eager)[0]  # |4 - 3.5| < 1
    assert_same(eager, traced)


def test_fill_empty_rows_and_indicator():
    idx, vals, shape = [[2, 1], [0, 0]], [5.0, 6.0], [4, 3]
    eager, traced = both(lambda sp: tf.sparse.fill_empty_rows(sp, -1.0)[0], idx, vals, shape)
    assert parts(eager) == ([[0, 0], [1, 0], [2, 1], [3, 0]], [6.0, -1.0, 5.0, -1.0], shape)
    assert_same(eager, traced)
    eager, traced = both(lambda sp: tf.sparse.fill_empty_rows(sp, 0.0)[1], idx, vals, shape)
    assert np.asarray(eager).tolist() == [False, True, False, True]
    assert_same(eager, traced)
    ids = lambda sp: tf.sparse.to_indicator(  # noqa: E731
        tf.sparse.SparseTensor(sp.indices, tf.cast(sp.values, tf.int64), sp.dense_shape), 7
    )
    eager, traced = both(ids, idx, vals, shape)
    ref = np.zeros([4, 7], bool)
    ref[2, 5] = ref[0, 6] = True
    np.testing.assert_array_equal(np.asarray(eager), ref)
    assert_same(eager, traced)


def test_sparse_output_reduction():
    red = lambda sp: tf.sparse.reduce_sum(sp, axis=1, output_is_sparse=True)  # noqa: E731
    eager, traced = both(red, IDX, VALS, SHAPE)
    assert parts(eager) == ([[0], [1], [2]], [5.0, 2.0, 3.0], [3])
    assert_same(eager, traced)
    red = lambda sp: tf.sparse.reduce_max(sp, 0, keepdims=True, output_is_sparse=True)  # noqa: E731
    eager, traced = both(red, IDX, VALS, SHAPE)
    assert parts(eager) == ([[0, 0], [0, 1], [0, 3]], [2.0, 1.0, 4.0], [1, 4])
    assert_same(eager, traced)


def test_segments_with_symbolic_ids():
    data = np.arange(12, dtype=np.float32).reshape(4, 3)
    idx, seg = [0, 2, 3, 1], [0, 0, 2, 2]
    eager = tf.sparse.segment_mean(data, idx, seg)
    traced = tf.function(lambda i, s: tf.sparse.segment_mean(data, i, s))(
        tf.constant(idx), tf.constant(seg)
    )
    ref = [(data[0] + data[2]) / 2, np.zeros(3), (data[3] + data[1]) / 2]
    np.testing.assert_allclose(eager.numpy(), ref)
    np.testing.assert_allclose(traced.numpy(), ref)
    n = tf.function(lambda i, s: tf.sparse.segment_sqrt_n(data, i, s, num_segments=4))(
        tf.constant(idx), tf.constant(seg)
    )
    np.testing.assert_allclose(n.numpy()[2], (data[3] + data[1]) / np.sqrt(2))
    assert n.shape == (4, 3)


@pytest.mark.parametrize("direction", ["ASCENDING", "DESCENDING"])
def test_sort_over_an_unknown_length(direction):
    x = np.array([[3.0, np.nan, 1.0, 3.0, -2.0], [0.0, 5.0, 5.0, -1.0, 2.0]], np.float32)
    spec = tf.TensorSpec([2, None], tf.float32)

    @tf.function(input_signature=[spec])
    def f(t):
        values = tf.sort(t, direction=direction)
        indices = tf.argsort(t, direction=direction)
        assert values.shape.as_list() == [2, None] and indices.shape.as_list() == [2, None]
        return values, indices

    values, indices = f(tf.constant(x))
    np.testing.assert_array_equal(values.numpy(), tf.sort(x, direction=direction).numpy())
    np.testing.assert_array_equal(indices.numpy(), tf.argsort(x, direction=direction).numpy())
    assert indices.dtype == tf.int32
    if direction == "ASCENDING":  # stable, NaN last
        assert indices.numpy().tolist() == [[4, 2, 0, 3, 1], [3, 0, 4, 1, 2]]
    else:  # ties keep their order, NaN first
        assert indices.numpy().tolist() == [[1, 0, 3, 2, 4], [1, 2, 4, 0, 3]]


def test_sort_unknown_length_gradient_and_static_length():
    x = tf.Variable([3.0, 1.0, 2.0])

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def weighted(t):
        return tf.reduce_sum(tf.sort(t) * tf.range(1.0, 1.0 + tf.cast(tf.size(t), tf.float32)))

    with tf.GradientTape() as tape:
        loss = weighted(x)
    assert float(loss) == 1.0 * 1 + 2.0 * 2 + 3.0 * 3
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), [3.0, 1.0, 2.0])

    @tf.function
    def known(t):
        assert tf.sort(t).shape.as_list() == [2, 3]
        assert tf.argsort(t, axis=0).shape.as_list() == [2, 3]
        return tf.sort(t)

    known(tf.constant([[2.0, 1.0, 0.0], [1.0, 1.0, 1.0]]))


def test_table_lookup_of_ragged_and_sparse_keys():
    keys = tf.constant(["a", "b"])
    init = tf.lookup.KeyValueTensorInitializer(keys, tf.constant([1, 2], tf.int64))
    table = tf.lookup.StaticHashTable(init, -1)
    ragged = table.lookup(tf.ragged.constant([["a"], ["b", "c"]]))
    assert isinstance(ragged, tf.RaggedTensor) and ragged.to_list() == [[1], [2, -1]]
    sp = table.lookup(tf.sparse.SparseTensor([[0, 0], [1, 1]], ["b", "q"], [2, 2]))
    assert parts(sp) == ([[0, 0], [1, 1]], [2, -1], [2, 2])
    vocab = tf.lookup.StaticVocabularyTable(init, num_oov_buckets=1)
    assert vocab.lookup(tf.ragged.constant([["b", "zz"]])).to_list() == [[2, 2]]


def test_lookup_split_ngrams_traced_equals_eager():
    keys = tf.constant(["a", "b", "a b", "b c"])
    init = tf.lookup.KeyValueTensorInitializer(keys, tf.constant([10, 20, 30, 40], tf.int64))
    table = tf.lookup.StaticHashTable(init, -7)
    x = tf.constant(["a b c", "", " b\tc "])
    eager = table.lookup_split_ngrams(x, (1, 2))

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def f(t):
        return table.lookup_split_ngrams(t, (1, 2))

    traced = f(x)
    assert eager.to_list() == traced.to_list() == [[10, 20, -7, 30, 40], [], [20, -7, 40]]
    with pytest.raises(ValueError, match="1-D strings"):
        table.lookup_split_ngrams(tf.constant([["a"]]))
