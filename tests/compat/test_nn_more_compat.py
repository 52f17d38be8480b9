"""TF's tf.nn conv3d, max_pool3d / avg_pool3d, the transposed convolutions, convolution / pool by
rank, separable / atrous convolutions, space_to_batch, collapse_repeated and
batch_norm_with_global_normalization, against NumPy."""

import numpy as np

RNG = np.random.default_rng(12)


def test_conv3d_matches_loops(tf):
    x = RNG.standard_normal((2, 4, 5, 6, 3)).astype(np.float32)
    k = RNG.standard_normal((2, 3, 2, 3, 4)).astype(np.float32)
    got = tf.nn.conv3d(x, k, [1, 1, 2, 1, 1], "VALID").numpy()
    assert got.shape == (2, 3, 2, 5, 4)
    want = np.zeros(got.shape)
    for i, j, m in np.ndindex(3, 2, 5):
        want[:, i, j, m] = np.einsum(
            "nabcd,abcdf->nf", x[:, i : i + 2, 2 * j : 2 * j + 3, m : m + 2], k
        )
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_pool3d(tf):
    x = RNG.standard_normal((1, 4, 4, 4, 2)).astype(np.float32)
    want = x.reshape(1, 2, 2, 2, 2, 2, 2, 2)
    np.testing.assert_array_equal(
        tf.nn.max_pool3d(x, 2, 2, "VALID").numpy(), want.max(axis=(2, 4, 6))
    )
    got = tf.nn.avg_pool3d(x, [1, 3, 3, 3, 1], [1, 3, 3, 3, 1], "SAME").numpy()
    np.testing.assert_allclose(got[0, 1, 1, 1], x[0, 2:, 2:, 2:].mean(axis=(0, 1, 2)), rtol=1e-6)


def test_transposed_convolutions_shapes_and_adjointness(tf):
    x = RNG.standard_normal((1, 4, 5, 4, 3)).astype(np.float64)
    k = RNG.standard_normal((2, 2, 2, 3, 5))
    y = tf.nn.conv3d(x, k, [1, 2, 2, 2, 1], "SAME")
    dy = RNG.standard_normal(y.shape)
    back = tf.nn.conv3d_transpose(tf.constant(dy), k, [1, 4, 5, 4, 3], [1, 2, 2, 2, 1], "SAME")
    assert back.shape == (1, 4, 5, 4, 3)
    np.testing.assert_allclose(np.sum(x * back.numpy()), np.sum(y.numpy() * dy), rtol=1e-10)
    x1 = RNG.standard_normal((2, 9, 3))
    k1 = RNG.standard_normal((3, 3, 4))
    y1 = tf.nn.conv1d(x1, k1, 2, "SAME")
    dy1 = RNG.standard_normal(y1.shape)
    b1 = tf.nn.conv_transpose(tf.constant(dy1), k1, [2, 9, 3], 2, "SAME")
    np.testing.assert_allclose(np.sum(x1 * b1.numpy()), np.sum(y1.numpy() * dy1), rtol=1e-10)


def test_convolution_pool_separable_atrous(tf):
    x = RNG.standard_normal((2, 7, 8, 3))
    k = RNG.standard_normal((3, 3, 3, 4))
    np.testing.assert_allclose(
        tf.nn.convolution(x, k, strides=2, padding="SAME").numpy(),
        tf.nn.conv2d(x, k, 2, "SAME").numpy(),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        tf.nn.atrous_conv2d(x, k, 2, "VALID").numpy(),
        tf.nn.conv2d(x, k, 1, "VALID", dilations=2).numpy(),
        rtol=1e-12,
    )
    got = tf.nn.pool(x, [2, 2], "AVG", strides=[2, 2]).numpy()
    np.testing.assert_allclose(
        got, x[:, :6].reshape(2, 3, 2, 4, 2, 3).mean(axis=(2, 4)), rtol=1e-12
    )
    dw, pw = RNG.standard_normal((3, 3, 3, 2)), RNG.standard_normal((1, 1, 6, 5))
    sep = tf.nn.separable_conv2d(x, dw, pw, [1, 1, 1, 1], "VALID").numpy()
    want = tf.nn.depthwise_conv2d(x, dw, [1, 1, 1, 1], "VALID").numpy() @ pw[0, 0]
    np.testing.assert_allclose(sep, want, rtol=1e-10)


def test_space_to_batch_collapse_and_global_bn(tf):
    x = np.arange(16.0).reshape(1, 4, 4, 1)
    got = tf.nn.space_to_batch(x, [2, 2], [[0, 0], [0, 0]]).numpy()
    assert got[:, :, :, 0].tolist() == [
        [[0, 2], [8, 10]],
        [[1, 3], [9, 11]],
        [[4, 6], [12, 14]],
        [[5, 7], [13, 15]],
    ]
    labels, lengths = tf.nn.collapse_repeated(
        tf.constant([[1, 1, 2, 2, 2, 3, 0], [4, 4, 4, 4, 4, 4, 4], [1, 2, 1, 1, 0, 0, 0]]),
        tf.constant([6, 7, 3]),
    )
    assert labels.numpy().tolist() == [[1, 2, 3], [4, 0, 0], [1, 2, 1]]
    assert lengths.numpy().tolist() == [3, 1, 3]
    t = RNG.standard_normal((2, 3)).astype(np.float32)
    m, v, b, g = (np.full(3, c, np.float32) for c in (0.5, 4.0, 1.0, 2.0))
    got = tf.nn.batch_norm_with_global_normalization(t, m, v, b, g, 0.0, True).numpy()
    np.testing.assert_allclose(got, (t - 0.5) / 2.0 * 2.0 + 1.0, rtol=1e-6)
    got = tf.nn.batch_norm_with_global_normalization(t, m, v, b, g, 0.0, False).numpy()
    np.testing.assert_allclose(got, (t - 0.5) / 2.0 + 1.0, rtol=1e-6)


def test_embedding_lookup_sparse_and_safe(tf):
    params = np.arange(12.0, dtype=np.float32).reshape(6, 2)
    ids = tf.sparse.SparseTensor(
        [[0, 0], [0, 1], [2, 0], [2, 1], [2, 2]], tf.constant([1, 3, 0, 0, 5], tf.int64), [4, 3]
    )
    weights = tf.sparse.SparseTensor(ids.indices, [1.0, 2.0, 3.0, 1.0, 0.5], [4, 3])
    got = tf.nn.embedding_lookup_sparse(params, ids, weights, combiner="mean").numpy()
    assert got.shape == (3, 2)  # rows up to the last one with an id
    want = [(params[1] + 2 * params[3]) / 3, [0, 0], (4 * params[0] + 0.5 * params[5]) / 4.5]
    np.testing.assert_allclose(got, want, rtol=1e-6)
    got = tf.nn.embedding_lookup_sparse(params, ids, None, combiner="sqrtn").numpy()
    np.testing.assert_allclose(got[0], (params[1] + params[3]) / np.sqrt(2), rtol=1e-6)
    pruned = tf.sparse.SparseTensor(
        [[0, 0], [0, 1], [2, 0], [2, 1]], tf.constant([1, -1, 0, 4], tf.int64), [3, 2]
    )
    got = tf.nn.safe_embedding_lookup_sparse(params, pruned).numpy()
    np.testing.assert_allclose(got, [params[1], [0, 0], (params[0] + params[4]) / 2])


def test_morphology_and_argmax_pool(tf):
    x = np.arange(16.0, dtype=np.float32).reshape(1, 4, 4, 1) % 7
    f = np.zeros((2, 2, 1), np.float32)
    got = tf.nn.dilation2d(x, f, [1, 2, 2, 1], "VALID", "NHWC", [1, 1, 1, 1]).numpy()
    assert got[0, :, :, 0].tolist() == [[5.0, 6.0], [6.0, 4.0]]
    got = tf.nn.erosion2d(x, f + 1.0, [1, 2, 2, 1], "VALID", "NHWC", [1, 1, 1, 1]).numpy()
    assert got[0, :, :, 0].tolist() == [[-1.0, -1.0], [0.0, -1.0]]
    out, where = tf.nn.max_pool_with_argmax(x, 2, 2, "VALID")
    assert out.numpy()[0, :, :, 0].tolist() == [[5.0, 6.0], [6.0, 4.0]]
    assert where.numpy()[0, :, :, 0].tolist() == [[5, 6], [13, 11]]
