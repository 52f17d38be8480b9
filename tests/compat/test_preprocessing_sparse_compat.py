"""``sparse=True`` outputs of the Keras 3.15 preprocessing layers on the TF backend: a
``tf.SparseTensor`` with TF's indices (row-major), values, dtype and dense shape."""

import numpy as np
import pytest

X = np.array([[1, 2, 2], [0, 3, 1]])
WORDS = np.array([["a", "b", "a"], ["z", "a", "c"]])


def parts(st):
    return st.indices.numpy().tolist(), st.values.numpy().tolist(), st.dense_shape.numpy().tolist()


def check(tf, out, indices, values, shape, dtype):
    assert isinstance(out, tf.SparseTensor)
    assert out.dtype == dtype
    assert parts(out) == (indices, values, shape)


ROWS2 = [[0, 1], [0, 2], [1, 0], [1, 1], [1, 3]]


@pytest.mark.parametrize(
    "mode, x, indices, values, shape",
    [
        ("one_hot", np.array([1, 3, 0]), [[0, 1], [1, 3], [2, 0]], [1.0] * 3, [3, 4]),
        ("one_hot", np.array([[1], [3]]), [[0, 1], [1, 3]], [1.0, 1.0], [2, 4]),
        ("multi_hot", X, ROWS2, [1.0] * 5, [2, 4]),
        ("count", X, ROWS2, [1.0, 2.0, 1.0, 1.0, 1.0], [2, 4]),
        ("multi_hot", np.array([1, 3, 3]), [[1], [3]], [1.0, 1.0], [4]),
        ("count", np.array([[0, 0, 2]]), [[0, 0], [0, 2]], [2.0, 1.0], [1, 4]),
    ],
)
def test_category_encoding_sparse(tf, mode, x, indices, values, shape):
    layer = tf.keras.layers.CategoryEncoding(num_tokens=4, output_mode=mode, sparse=True)
    check(tf, layer(x), indices, values, shape, tf.float32)


def test_category_encoding_sparse_count_weights(tf):
    layer = tf.keras.layers.CategoryEncoding(num_tokens=4, output_mode="count", sparse=True)
    out = layer(X, count_weights=np.array([[0.5, 1.0, 2.0], [1.0, 1.0, 1.0]]))
    check(tf, out, ROWS2, [0.5, 3.0, 1.0, 1.0, 1.0], [2, 4], tf.float32)
    dense = tf.keras.layers.CategoryEncoding(num_tokens=4, output_mode="count")
    np.testing.assert_allclose(
        dense(X, count_weights=np.array([[0.5, 1.0, 2.0], [1.0, 1.0, 1.0]])),
        [[0.0, 0.5, 3.0, 0.0], [1.0, 1.0, 0.0, 1.0]],
    )


@pytest.mark.parametrize(
    "mode, x, indices, values",
    [
        ("one_hot", np.array(["a", "c", "z"]), [[0, 1], [1, 3], [2, 0]], [1, 1, 1]),
        ("multi_hot", WORDS, ROWS2, [1, 1, 1, 1, 1]),
        ("count", WORDS, ROWS2, [2, 1, 1, 1, 1]),
    ],
)
def test_string_lookup_sparse(tf, mode, x, indices, values):
    layer = tf.keras.layers.StringLookup(vocabulary=["a", "b", "c"], output_mode=mode, sparse=True)
    check(tf, layer(x), indices, values, [len(x), 4], tf.int64)


def test_string_lookup_sparse_padded_and_ragged(tf):
    padded = tf.keras.layers.StringLookup(
        vocabulary=["a", "b", "c"], output_mode="multi_hot", sparse=True, max_tokens=6,
        pad_to_max_tokens=True,
    )  # fmt: skip
    check(tf, padded(np.array([["a", "b"]])), [[0, 1], [0, 2]], [1, 1], [1, 6], tf.int64)
    counts = tf.keras.layers.StringLookup(
        vocabulary=["a", "b", "c"], output_mode="count", sparse=True
    )
    out = counts(tf.ragged.constant([["a", "b", "a"], ["c"]]))
    check(tf, out, [[0, 1], [0, 2], [1, 3]], [2, 1, 1], [2, 4], tf.int64)


def test_integer_lookup_sparse_with_mask(tf):
    layer = tf.keras.layers.IntegerLookup(vocabulary=[10, 20, 30], output_mode="multi_hot",
                                          sparse=True)  # fmt: skip
    out = layer(np.array([[10, 20, 99], [30, 30, 10]]))
    check(tf, out, [[0, 0], [0, 1], [0, 2], [1, 1], [1, 3]], [1] * 5, [2, 4], tf.int64)
    masked = tf.keras.layers.IntegerLookup(
        vocabulary=[10, 20, 30], mask_token=0, output_mode="count", sparse=True
    )
    out = masked(np.array([[10, 0, 99], [30, 30, 0]]))
    check(tf, out, [[0, 0], [0, 1], [1, 3]], [1, 1, 2], [2, 4], tf.int64)


def test_lookup_sparse_int_mode_is_an_error(tf):
    with pytest.raises(ValueError, match="`sparse` may only be true if `output_mode` is"):
        tf.keras.layers.StringLookup(vocabulary=["a"], sparse=True)
    with pytest.raises(ValueError, match="`sparse` may only be true if `output_mode` is"):
        tf.keras.layers.Hashing(num_bins=3, sparse=True)
    with pytest.raises(ValueError, match="`sparse=True` may only be used if `output_mode`"):
        tf.keras.layers.Discretization(bin_boundaries=[1.0], sparse=True)


@pytest.mark.parametrize(
    "mode, x, indices, values",
    [
        ("one_hot", np.array(["a", "b", "c"]), [[0, 4], [1, 2], [2, 2]], [1.0] * 3),
        ("multi_hot", np.array([["a", "b", "a"], ["c", "d", "a"]]),
         [[0, 2], [0, 4], [1, 0], [1, 2], [1, 4]], [1.0] * 5),
        ("count", np.array([["a", "b", "a"], ["c", "d", "a"]]),
         [[0, 2], [0, 4], [1, 0], [1, 2], [1, 4]], [1.0, 2.0, 1.0, 1.0, 1.0]),
    ],
)  # fmt: skip
def test_hashing_sparse(tf, mode, x, indices, values):
    layer = tf.keras.layers.Hashing(num_bins=5, output_mode=mode, sparse=True)
    check(tf, layer(x), indices, values, [len(x), 5], tf.float32)


def test_hashed_crossing_sparse(tf):
    layer = tf.keras.layers.HashedCrossing(num_bins=5, output_mode="one_hot", sparse=True)
    out = layer((np.array([1, 2, 3]), np.array(["a", "b", "c"])))
    check(tf, out, [[0, 0], [1, 4], [2, 3]], [1.0] * 3, [3, 5], tf.float32)
    ints = tf.keras.layers.HashedCrossing(num_bins=5, sparse=True)  # int mode: dense ids
    out = ints((np.array([1, 2, 3]), np.array(["a", "b", "c"])))
    assert not isinstance(out, tf.SparseTensor)
    assert np.asarray(out).tolist() == [0, 4, 3]


@pytest.mark.parametrize(
    "mode, x, indices, values, shape",
    [
        ("one_hot", np.array([0.1, 1.5, 3.0]), [[0, 0], [1, 1], [2, 2]], [1.0] * 3, [3, 3]),
        ("multi_hot", np.array([[0.1, 1.5, 1.6], [3.0, 3.0, 0.0]]),
         [[0, 0], [0, 1], [1, 0], [1, 2]], [1.0] * 4, [2, 3]),
        ("count", np.array([[0.1, 1.5, 1.6], [3.0, 3.0, 0.0]]),
         [[0, 0], [0, 1], [1, 0], [1, 2]], [1.0, 2.0, 1.0, 2.0], [2, 3]),
    ],
)  # fmt: skip
def test_discretization_sparse(tf, mode, x, indices, values, shape):
    layer = tf.keras.layers.Discretization(bin_boundaries=[1.0, 2.0], output_mode=mode,
                                           sparse=True)  # fmt: skip
    check(tf, layer(x), indices, values, shape, tf.float32)


@pytest.mark.parametrize("mode, values", [("multi_hot", [1, 1, 1, 1]), ("count", [1, 1, 1, 2])])
def test_text_vectorization_sparse(tf, mode, values):
    layer = tf.keras.layers.TextVectorization(output_mode=mode, sparse=True,
                                              vocabulary=["a", "b", "c"])  # fmt: skip
    out = layer(np.array(["a b z", "c c", ""]))
    check(tf, out, [[0, 0], [0, 1], [0, 2], [1, 3]], values, [3, 4], tf.int64)


def test_sparse_lookup_in_dataset_map(tf):
    layer = tf.keras.layers.StringLookup(vocabulary=["a", "b", "c"], output_mode="count",
                                         sparse=True)  # fmt: skip
    ds = tf.data.Dataset.from_tensor_slices(WORDS).batch(2).map(layer)
    assert isinstance(ds.element_spec, tf.SparseTensorSpec)
    out = next(iter(ds))
    check(tf, out, ROWS2, [2, 1, 1, 1, 1], [2, 4], tf.int64)


def test_sparse_lookup_in_tf_function(tf):
    layer = tf.keras.layers.StringLookup(vocabulary=["a", "b", "c"], output_mode="multi_hot",
                                         sparse=True)  # fmt: skip
    out = tf.function(lambda t: layer(t))(tf.constant(WORDS))
    check(tf, out, ROWS2, [1] * 5, [2, 4], tf.int64)
