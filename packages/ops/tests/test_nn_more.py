"""tf.nn's 3-D convolutions and pools, the transposed convolutions, convolution / pool by rank,
separable and atrous convolutions, space_to_batch, collapse_repeated: against direct NumPy loops,
the transposes against the adjoint identity <conv(x), y> = <x, conv_T(y)>, gradients against
central differences, traced against eager."""

import numpy as np
import pytest

import tensorhouse_ops as tf

RNG = np.random.default_rng(8)


def np_conv3d(x, k, strides, dil=(1, 1, 1)):
    spans = [(w - 1) * d + 1 for w, d in zip(k.shape[:3], dil)]
    outs = [(n - sp) // s + 1 for n, sp, s in zip(x.shape[1:4], spans, strides)]
    y = np.zeros((x.shape[0], *outs, k.shape[4]))
    for i, j, m in np.ndindex(*outs):
        for a, b, c in np.ndindex(*k.shape[:3]):
            p = x[
                :,
                i * strides[0] + a * dil[0],
                j * strides[1] + b * dil[1],
                m * strides[2] + c * dil[2],
            ]
            y[:, i, j, m] += p @ k[a, b, c]
    return y


@pytest.mark.parametrize(
    ("strides", "dil"), [((1, 1, 1), (1, 1, 1)), ((2, 1, 3), (1, 1, 1)), ((1, 1, 1), (2, 1, 2))]
)
def test_conv3d_valid_matches_loops(strides, dil):
    x = RNG.standard_normal((2, 6, 5, 7, 3))
    k = RNG.standard_normal((2, 3, 2, 3, 4))
    got = tf.nn.conv3d(x, k, [1, *strides, 1], "VALID", dilations=[1, *dil, 1]).numpy()
    np.testing.assert_allclose(got, np_conv3d(x, k, strides, dil), rtol=1e-10, atol=1e-10)


def test_pool3d_match_loops():
    x = RNG.standard_normal((2, 5, 4, 6, 3))
    got = tf.nn.max_pool3d(x, 2, 2, "VALID").numpy()
    want = x[:, :4, :4, :6].reshape(2, 2, 2, 2, 2, 3, 2, 3).max(axis=(2, 4, 6))
    np.testing.assert_array_equal(got, want)
    got = tf.nn.avg_pool3d(x, [1, 2, 2, 2, 1], [1, 2, 2, 2, 1], "SAME").numpy()
    assert got.shape == (2, 3, 2, 3, 3)
    np.testing.assert_allclose(got[:, 2, 1, 2], x[:, 4, 2:4, 4:6].mean(axis=(1, 2)), rtol=1e-12)
    np.testing.assert_allclose(got[:, 0, 0, 0], x[:, :2, :2, :2].mean(axis=(1, 2, 3)), rtol=1e-12)


@pytest.mark.parametrize(
    ("forward", "transpose", "xshape", "kshape"),
    [
        (
            lambda x, k: tf.nn.conv3d(x, k, [1, 2, 1, 2, 1], "SAME"),
            lambda y, k, s: tf.nn.conv3d_transpose(y, k, s, [1, 2, 1, 2, 1], "SAME"),
            (2, 5, 4, 6, 3),
            (2, 3, 2, 3, 4),
        ),
        (
            lambda x, k: tf.nn.conv1d(x, k, 2, "VALID"),
            lambda y, k, s: tf.nn.conv1d_transpose(y, k, s, 2, "VALID"),
            (2, 9, 3),
            (3, 3, 4),
        ),
        (
            lambda x, k: tf.nn.atrous_conv2d(x, k, 2, "SAME"),
            lambda y, k, s: tf.nn.atrous_conv2d_transpose(y, k, s, 2, "SAME"),
            (1, 6, 7, 3),
            (3, 2, 3, 4),
        ),
    ],
)
def test_transposed_convolutions_are_adjoints(forward, transpose, xshape, kshape):
    x, k = RNG.standard_normal(xshape), RNG.standard_normal(kshape)
    y = forward(tf.constant(x), tf.constant(k))
    dy = RNG.standard_normal(y.shape.as_list())
    # a transpose's filters [..., out, in] are the forward's [..., in, out]: the same array
    back = transpose(tf.constant(dy), tf.constant(k), list(xshape))
    lhs = float(np.sum(y.numpy() * dy))
    assert back.shape == xshape
    np.testing.assert_allclose(float(np.sum(x * back.numpy())), lhs, rtol=1e-10)


def test_depthwise_backprops_are_the_gradients():
    x, f = (
        tf.constant(RNG.standard_normal((2, 7, 8, 3))),
        tf.constant(RNG.standard_normal((3, 3, 3, 2))),
    )
    dy = tf.constant(RNG.standard_normal((2, 4, 4, 6)))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, f])
        y = tf.nn.depthwise_conv2d(x, f, [1, 2, 2, 1], "SAME")
    gx, gf = tape.gradient(y, [x, f], output_gradients=dy)
    got_x = tf.nn.depthwise_conv2d_backprop_input([2, 7, 8, 3], f, dy, [1, 2, 2, 1], "SAME")
    got_f = tf.nn.depthwise_conv2d_backprop_filter(x, [3, 3, 3, 2], dy, [1, 2, 2, 1], "SAME")
    np.testing.assert_allclose(got_x.numpy(), gx.numpy(), rtol=1e-12)
    np.testing.assert_allclose(got_f.numpy(), gf.numpy(), rtol=1e-12)


def test_convolution_pool_separable_by_rank():
    x4, k4 = RNG.standard_normal((2, 7, 8, 3)), RNG.standard_normal((3, 3, 3, 4))
    np.testing.assert_array_equal(
        tf.nn.convolution(x4, k4, 2, "SAME").numpy(), tf.nn.conv2d(x4, k4, 2, "SAME").numpy()
    )
    x5, k5 = RNG.standard_normal((1, 4, 5, 6, 2)), RNG.standard_normal((2, 2, 2, 2, 3))
    np.testing.assert_array_equal(
        tf.nn.convolution(x5, k5, [1, 2, 1]).numpy(),
        tf.nn.conv3d(x5, k5, [1, 1, 2, 1, 1], "VALID").numpy(),
    )
    np.testing.assert_array_equal(
        tf.nn.pool(x4, [2, 2], "MAX", [2, 2]).numpy(), tf.nn.max_pool2d(x4, 2, 2, "VALID").numpy()
    )
    x3 = RNG.standard_normal((2, 9, 3))
    np.testing.assert_allclose(
        tf.nn.pool(x3, [3], "AVG", [3]).numpy(), x3.reshape(2, 3, 3, 3).mean(2), rtol=1e-12
    )
    dw, pw = RNG.standard_normal((3, 3, 3, 2)), RNG.standard_normal((1, 1, 6, 5))
    sep = tf.nn.separable_conv2d(x4, dw, pw, [1, 1, 1, 1], "SAME").numpy()
    want = tf.nn.depthwise_conv2d(x4, dw, [1, 1, 1, 1], "SAME").numpy() @ pw[0, 0]
    np.testing.assert_allclose(sep, want, rtol=1e-10)
    with pytest.raises(ValueError, match="pooling_type"):
        tf.nn.pool(x4, [2, 2], "MIN")


def test_space_to_batch_and_collapse_repeated():
    x = RNG.standard_normal((1, 4, 4, 1))
    got = tf.nn.space_to_batch(x, [2, 2], [[0, 0], [0, 0]]).numpy()
    np.testing.assert_array_equal(
        got[:, :, :, 0], [x[0, a::2, b::2, 0] for a in (0, 1) for b in (0, 1)]
    )
    labels, lengths = tf.nn.collapse_repeated(
        tf.constant([[1, 1, 2, 2, 3, 0], [4, 4, 4, 5, 5, 5]]), tf.constant([5, 6])
    )
    assert labels.numpy().tolist() == [[1, 2, 3], [4, 5, 0]] and lengths.numpy().tolist() == [3, 2]


def test_conv3d_and_pool3d_gradients_and_trace():
    x = RNG.standard_normal((1, 4, 3, 4, 2))
    k = RNG.standard_normal((2, 2, 2, 2, 2))
    w = RNG.standard_normal((1, 2, 2, 2, 2))

    def f(v):
        return tf.reduce_sum(
            tf.nn.max_pool3d(tf.nn.conv3d(v, k, [1, 1, 1, 1, 1], "SAME"), 2, 2, "VALID") * w
        )

    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = f(xt)
    g = tape.gradient(y, xt).numpy().reshape(-1)
    eps = 1e-6
    for i in range(0, x.size, 7):
        e = np.zeros(x.size)
        e[i] = eps
        e = e.reshape(x.shape)
        num = (float(f(tf.constant(x + e))) - float(f(tf.constant(x - e)))) / (2 * eps)
        np.testing.assert_allclose(g[i], num, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(tf.function(f)(xt).numpy(), f(xt).numpy())


def _ids():
    return tf.sparse.SparseTensor(
        [[0, 0], [0, 1], [2, 0], [2, 1], [2, 2]], tf.constant([1, 3, 0, 0, 5], tf.int64), [4, 3]
    )


@pytest.mark.parametrize("combiner", ["sum", "mean", "sqrtn"])
def test_embedding_lookup_sparse_combiners_and_gradient(combiner):
    params = RNG.standard_normal((6, 2))
    w = np.array([1.0, 2.0, 3.0, 1.0, 0.5])
    sp_w = tf.sparse.SparseTensor(_ids().indices, w, [4, 3])
    rows = [[1, 3], [], [0, 0, 5]]
    ws = [w[:2], [], w[2:]]
    want = []
    for r, wr in zip(rows, ws):
        total = sum((wi * params[i] for i, wi in zip(r, wr)), np.zeros(2))
        norm = {"sum": 1.0, "mean": np.sum(wr), "sqrtn": np.sqrt(np.sum(np.square(wr)))}[combiner]
        want.append(total / norm if norm else total)
    p = tf.constant(params)
    with tf.GradientTape() as tape:
        tape.watch(p)
        got = tf.nn.embedding_lookup_sparse(p, _ids(), sp_w, combiner=combiner)
        y = tf.reduce_sum(got * np.arange(6.0).reshape(3, 2))
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    g = tf.convert_to_tensor(tape.gradient(y, p)).numpy()
    eps, e = 1e-6, np.zeros((6, 2))
    e[0, 1] = eps

    def f(v):
        out = tf.nn.embedding_lookup_sparse(tf.constant(v), _ids(), sp_w, combiner=combiner)
        return float(tf.reduce_sum(out * np.arange(6.0).reshape(3, 2)))

    np.testing.assert_allclose(g[0, 1], (f(params + e) - f(params - e)) / (2 * eps), rtol=1e-6)


def test_safe_embedding_lookup_sparse_prunes_and_fills():
    params = np.arange(12.0).reshape(6, 2)
    ids = tf.sparse.SparseTensor(
        [[0, 0], [0, 1], [2, 0], [2, 1]], tf.constant([1, -1, 0, 4], tf.int64), [3, 2]
    )
    w = tf.sparse.SparseTensor(ids.indices, [1.0, 2.0, 0.0, 1.0], [3, 2])
    got = tf.nn.safe_embedding_lookup_sparse(params, ids).numpy()
    np.testing.assert_allclose(got, [params[1], [0, 0], (params[0] + params[4]) / 2])
    got = tf.nn.safe_embedding_lookup_sparse(params, ids, w, combiner="sum", default_id=5).numpy()
    np.testing.assert_allclose(got, [params[1], params[5], params[4]])
    deep = tf.sparse.SparseTensor(
        [[0, 0, 0], [1, 1, 0], [1, 1, 1]], tf.constant([1, 2, 4], tf.int64), [2, 2, 2]
    )
    got = tf.nn.safe_embedding_lookup_sparse(params, deep).numpy()
    np.testing.assert_allclose(got, [[params[1], [0, 0]], [[0, 0], (params[2] + params[4]) / 2]])


def test_dilation_erosion_and_max_pool_with_argmax():
    x = RNG.standard_normal((2, 5, 6, 3))
    f = RNG.standard_normal((2, 3, 3))
    got = tf.nn.dilation2d(x, f, [1, 1, 1, 1], "VALID", "NHWC", [1, 1, 1, 1]).numpy()
    want = np.full((2, 4, 4, 3), -np.inf)
    for i, j, a, b in np.ndindex(4, 4, 2, 3):
        want[:, i, j] = np.maximum(want[:, i, j], x[:, i + a, j + b] + f[a, b])
    np.testing.assert_allclose(got, want, rtol=1e-12)
    ero = tf.nn.erosion2d(x, f, [1, 1, 1, 1], "VALID", "NHWC", [1, 1, 1, 1]).numpy()
    want = np.full((2, 4, 4, 3), np.inf)
    for i, j, a, b in np.ndindex(4, 4, 2, 3):
        want[:, i, j] = np.minimum(want[:, i, j], x[:, i + a, j + b] - f[1 - a, 2 - b])
    np.testing.assert_allclose(ero, want, rtol=1e-12)
    out, where = tf.nn.max_pool_with_argmax(x, 2, 2, "VALID", include_batch_in_index=True)
    np.testing.assert_array_equal(out.numpy(), tf.nn.max_pool2d(x, 2, 2, "VALID").numpy())
    assert where.dtype == tf.int64
    np.testing.assert_array_equal(x.reshape(-1)[where.numpy()], out.numpy())
    traced = tf.function(lambda v: tf.nn.max_pool_with_argmax(v, 3, 2, "SAME"))(tf.constant(x))
    eager = tf.nn.max_pool_with_argmax(x, 3, 2, "SAME")
    np.testing.assert_array_equal(traced[1].numpy(), eager[1].numpy())


def test_bad_inputs_get_tfs_errors():
    x = np.ones((1, 3, 3, 2), np.float32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="same depth: 2 vs 3"):
        tf.nn.dilation2d(x, np.ones((2, 2, 3), np.float32), 1, "VALID", "NHWC", 1)
    with pytest.raises(tf.errors.InvalidArgumentError, match="filter depth"):
        tf.nn.conv3d(np.ones((1, 2, 2, 2, 3)), np.ones((1, 1, 1, 2, 4)), 1, "VALID")
    with pytest.raises(tf.errors.InvalidArgumentError, match="divisible by block_shape"):
        tf.nn.space_to_batch(np.ones((1, 4, 4, 1)), [3, 2], [[0, 0], [0, 0]])
