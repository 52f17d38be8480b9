"""The ops-level functions over the kernels added for issue 4: TF's names, signatures and
semantics, checked against NumPy; their gradients are in test_gradients.py."""

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_ops import errors

RNG = np.random.default_rng(4)


def np_of(t):
    return t.numpy() if isinstance(t, tf.Tensor) else np.asarray(t)


# ---- elementwise ----------------------------------------------------------------------------


def test_math_elementwise_additions():
    x = np.array([-2.5, -0.5, 0.5, 1.5, 7.0])
    t = tf.constant(x)
    np.testing.assert_array_equal(tf.round(t).numpy(), [-2.0, -0.0, 0.0, 2.0, 7.0])
    np.testing.assert_allclose(tf.math.erf(t).numpy()[2], 0.5204998778130465)
    np.testing.assert_allclose(tf.nn.relu6(t).numpy(), [0, 0, 0.5, 1.5, 6])
    np.testing.assert_allclose(tf.nn.elu(t).numpy()[:2], np.expm1(x[:2]))
    np.testing.assert_allclose(tf.nn.softplus(t).numpy(), np.logaddexp(0, x))
    np.testing.assert_allclose(tf.math.softplus(t).numpy(), np.logaddexp(0, x))
    assert tf.nn.selu(t).dtype == tf.float64
    nan = tf.constant([1.0, np.nan, np.inf])
    np.testing.assert_array_equal(tf.math.is_nan(nan).numpy(), [False, True, False])
    np.testing.assert_array_equal(tf.math.is_finite(nan).numpy(), [True, False, False])


def test_floordiv_mod_and_logical_operators():
    a, b = tf.constant([7, -7, 8]), tf.constant([2, 2, -3])
    np.testing.assert_array_equal((a // b).numpy(), [3, -4, -3])
    np.testing.assert_array_equal((a % b).numpy(), [1, 1, -1])
    np.testing.assert_array_equal((a // 2).numpy(), [3, -4, 4])
    np.testing.assert_array_equal((9 % b).numpy(), [1, 1, 0])
    assert tf.math.mod is tf.math.floormod
    with pytest.raises(errors.InvalidArgumentError, match=r"Integer division by zero \[Op:"):
        _ = a // tf.constant([1, 0, 1])
    p, q = tf.constant([True, True, False]), tf.constant([True, False, False])
    np.testing.assert_array_equal((p & q).numpy(), [True, False, False])
    np.testing.assert_array_equal((p | q).numpy(), [True, True, False])
    np.testing.assert_array_equal((~p).numpy(), [False, False, True])
    np.testing.assert_array_equal(tf.logical_and(p, True).numpy(), [True, True, False])
    with pytest.raises(errors.InvalidArgumentError, match="bool tensor"):
        tf.logical_or(a, a)


def test_where_selects_with_broadcasting_or_lists_coordinates():
    c = tf.constant([[True], [False]])
    out = tf.where(c, tf.constant([1.0, 2.0, 3.0]), 0.0)
    np.testing.assert_array_equal(out.numpy(), [[1, 2, 3], [0, 0, 0]])
    coords = tf.where(tf.constant([[0, 3], [5, 0]]) > 0)
    assert coords.dtype == tf.int64
    np.testing.assert_array_equal(coords.numpy(), [[0, 1], [1, 0]])
    with pytest.raises(ValueError, match="both be non-None or both be None"):
        tf.where(c, 1.0)


# ---- reductions and ops along one axis ----------------------------------------------------------


def test_reduce_all_any_argmax_argmin():
    b = tf.constant([[True, False], [True, True]])
    assert tf.reduce_all(b).numpy() == np.False_
    np.testing.assert_array_equal(tf.reduce_all(b, axis=1).numpy(), [False, True])
    np.testing.assert_array_equal(tf.reduce_any(b, axis=0, keepdims=True).numpy(), [[True, True]])
    x = tf.constant([[1.0, 5.0, 5.0], [7.0, 0.0, -1.0]])
    am = tf.argmax(x)
    assert am.dtype == tf.int64
    np.testing.assert_array_equal(am.numpy(), [1, 0, 0])
    np.testing.assert_array_equal(tf.argmax(x, axis=1, output_type=tf.int32).numpy(), [1, 0])
    np.testing.assert_array_equal(tf.math.argmin(x, axis=-1).numpy(), [0, 2])


def test_cumsum_cumprod_and_top_k():
    x = tf.constant([[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(tf.cumsum(x, axis=1).numpy(), [[1, 3, 6], [4, 9, 15]])
    np.testing.assert_array_equal(
        tf.math.cumsum(x, axis=1, exclusive=True, reverse=True).numpy(), [[5, 3, 0], [11, 6, 0]]
    )
    np.testing.assert_array_equal(tf.math.cumprod(x, axis=0).numpy(), [[1, 2, 3], [4, 10, 18]])
    top = tf.math.top_k(tf.constant([[3.0, 1.0, 4.0, 1.0, 5.0]]), k=3)
    values, indices = top
    np.testing.assert_array_equal(values.numpy(), [[5, 4, 3]])
    assert indices.dtype == tf.int32 and top.indices is indices
    np.testing.assert_array_equal(indices.numpy(), [[4, 2, 0]])
    assert tf.nn.top_k is tf.math.top_k


def test_unsorted_segment_sum_drops_negative_ids():
    data = tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    out = tf.math.unsorted_segment_sum(data, tf.constant([1, -1, 1]), 3)
    np.testing.assert_array_equal(out.numpy(), [[0, 0], [6, 8], [0, 0]])


def test_batched_matmul_broadcasts():
    a, b = RNG.standard_normal((2, 1, 3, 4)), RNG.standard_normal((5, 4, 2))
    out = tf.matmul(tf.constant(a), tf.constant(b))
    np.testing.assert_allclose(out.numpy(), a @ b, rtol=1e-12)
    out = tf.linalg.matmul(tf.constant(b), tf.constant(b), adjoint_a=True)
    np.testing.assert_allclose(out.numpy(), np.swapaxes(b, -1, -2) @ b, rtol=1e-12)
    with pytest.raises(errors.InvalidArgumentError, match="rank >= 2"):
        tf.matmul(tf.ones([3]), tf.ones([3, 2]))


# ---- softmax and the losses -------------------------------------------------------------------


@pytest.mark.parametrize("axis", [None, -1, 0, 1])
def test_softmax_and_log_softmax_on_any_axis(axis):
    x = RNG.standard_normal((3, 4, 2))
    ax = -1 if axis is None else axis
    e = np.exp(x - x.max(axis=ax, keepdims=True))
    ref = e / e.sum(axis=ax, keepdims=True)
    np.testing.assert_allclose(tf.nn.softmax(tf.constant(x), axis=axis).numpy(), ref, rtol=1e-12)
    np.testing.assert_allclose(
        tf.nn.log_softmax(tf.constant(x), axis=axis).numpy(), np.log(ref), rtol=1e-12
    )


def test_softmax_cross_entropy_losses():
    logits = RNG.standard_normal((2, 3, 4))
    labels = RNG.random((2, 3, 4))
    labels /= labels.sum(-1, keepdims=True)
    lse = np.log(np.exp(logits).sum(-1, keepdims=True))
    ref = (labels * (lse - logits)).sum(-1)
    loss = tf.nn.softmax_cross_entropy_with_logits(labels, tf.constant(logits))
    np.testing.assert_allclose(loss.numpy(), ref, rtol=1e-12)
    # another class axis, and labels broadcast to the logits
    loss0 = tf.nn.softmax_cross_entropy_with_logits(
        np.moveaxis(labels, -1, 0), tf.constant(np.moveaxis(logits, -1, 0)), axis=0
    )
    np.testing.assert_allclose(loss0.numpy(), ref, rtol=1e-12)
    ints = RNG.integers(0, 4, (2, 3))
    sparse = tf.nn.sparse_softmax_cross_entropy_with_logits(ints, tf.constant(logits))
    picked = np.take_along_axis(lse - logits, ints[..., None], -1)[..., 0]
    np.testing.assert_allclose(sparse.numpy(), picked, rtol=1e-12)
    with pytest.raises(errors.InvalidArgumentError, match="label value of 4"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(np.full((2, 3), 4), tf.constant(logits))
    with pytest.raises(ValueError, match="Rank mismatch"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(ints[0], tf.constant(logits))


# ---- array ops ----------------------------------------------------------------------------------


def test_concat_stack_unstack_split():
    a, b = tf.constant([[1, 2]]), tf.constant([[3, 4], [5, 6]])
    np.testing.assert_array_equal(tf.concat([a, b], 0).numpy(), [[1, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(tf.concat([a], axis=1).numpy(), [[1, 2]])
    np.testing.assert_array_equal(tf.concat([a, [[9, 9]]], -1).numpy(), [[1, 2, 9, 9]])
    s = tf.stack([tf.constant([1, 2]), tf.constant([3, 4])], axis=1)
    np.testing.assert_array_equal(s.numpy(), [[1, 3], [2, 4]])
    parts = tf.unstack(s, axis=1)
    assert [p.numpy().tolist() for p in parts] == [[1, 2], [3, 4]]
    x = tf.reshape(tf.range(12), [3, 4])
    halves = tf.split(x, 2, axis=1)
    assert [h.shape.as_list() for h in halves] == [[3, 2], [3, 2]]
    pieces = tf.split(x, [1, -1], axis=0)
    assert [p.shape.as_list() for p in pieces] == [[1, 4], [2, 4]]
    with pytest.raises(errors.InvalidArgumentError, match="evenly divide"):
        tf.split(x, 3, axis=1)


def test_getitem_follows_numpy_and_tf_slicing():
    base = np.arange(60).reshape(3, 4, 5)
    x = tf.constant(base)
    for key in [
        1,
        -1,
        (1, 2),
        (slice(None), 1),
        (Ellipsis, 2),
        (None, 1),
        (slice(1, None, 2),),
        (slice(None, None, -1), Ellipsis, slice(3, 0, -2)),
        (0, None, slice(None), -1),
    ]:
        np.testing.assert_array_equal(x[key].numpy(), base[key], err_msg=str(key))
    np.testing.assert_array_equal(x[tf.constant(2)].numpy(), base[2])
    np.testing.assert_array_equal(x[..., 1 : tf.constant(3)].numpy(), base[..., 1:3])
    with pytest.raises(errors.InvalidArgumentError, match="out of bounds"):
        _ = x[3]
    with pytest.raises(TypeError, match="valid indices"):
        _ = x[[0, 1]]
    assert [v.numpy().tolist() for v in tf.constant([4, 5])] == [4, 5]
    with pytest.raises(TypeError, match="scalar"):
        iter(tf.constant(1.0))
    out = tf.strided_slice(x, [0, 1], [3, 0], [2, -1], end_mask=2)
    np.testing.assert_array_equal(out.numpy(), base[0:3:2, 1::-1])
    np.testing.assert_array_equal(tf.slice(x, [1, 0, 2], [2, -1, 1]).numpy(), base[1:, :, 2:3])


def test_pad_tile_reverse():
    x = tf.constant([[1, 2], [3, 4]])
    np.testing.assert_array_equal(
        tf.pad(x, [[1, 0], [0, 2]], constant_values=9).numpy(),
        np.pad(x.numpy(), [(1, 0), (0, 2)], constant_values=9),
    )
    np.testing.assert_array_equal(
        tf.pad(x, [[1, 1], [1, 1]], mode="REFLECT").numpy(),
        [[4, 3, 4, 3], [2, 1, 2, 1], [4, 3, 4, 3], [2, 1, 2, 1]],
    )
    np.testing.assert_array_equal(
        tf.pad(x, [[0, 2], [2, 0]], mode="symmetric").numpy(),
        [[2, 1, 1, 2], [4, 3, 3, 4], [4, 3, 3, 4], [2, 1, 1, 2]],
    )
    with pytest.raises(errors.InvalidArgumentError, match="MirrorPad"):
        tf.pad(x, [[2, 0], [0, 0]], mode="REFLECT")
    with pytest.raises(ValueError, match="mode"):
        tf.pad(x, [[1, 1], [1, 1]], mode="WRAP")
    np.testing.assert_array_equal(tf.tile(x, [2, 1]).numpy(), np.tile(x.numpy(), (2, 1)))
    np.testing.assert_array_equal(tf.reverse(x, [1]).numpy(), [[2, 1], [4, 3]])
    np.testing.assert_array_equal(tf.reverse(x, [-1, 0]).numpy(), [[4, 3], [2, 1]])


def test_gather_scatter_one_hot_range():
    p = tf.constant(np.arange(12.0).reshape(3, 4))
    np.testing.assert_array_equal(tf.gather(p, [2, 0]).numpy(), p.numpy()[[2, 0]])
    np.testing.assert_array_equal(tf.gather(p, [[1, 3]], axis=1).numpy(), p.numpy()[:, [[1, 3]]])
    with pytest.raises(errors.InvalidArgumentError, match=r"indices\[1\] = 3 is not in \[0, 3\)"):
        tf.gather(p, [0, 3])
    np.testing.assert_array_equal(tf.gather_nd(p, [[1, 2], [0, 0]]).numpy(), [6.0, 0.0])
    s = tf.scatter_nd([[1], [1], [3]], tf.constant([1.0, 2.0, 5.0]), [4])
    np.testing.assert_array_equal(s.numpy(), [0, 3, 0, 5])
    oh = tf.one_hot([0, 2, -1], 3)
    assert oh.dtype == tf.float32
    np.testing.assert_array_equal(oh.numpy(), [[1, 0, 0], [0, 0, 1], [0, 0, 0]])
    oh = tf.one_hot([1, 0], 2, on_value=5, off_value=-1, axis=0)
    assert oh.dtype == tf.int32
    np.testing.assert_array_equal(oh.numpy(), [[-1, 5], [5, -1]])
    assert tf.range(5).dtype == tf.int32 and tf.range(0.0, 1.0, 0.5).dtype == tf.float32
    np.testing.assert_array_equal(tf.range(10, 2, -3).numpy(), [10, 7, 4])
    np.testing.assert_array_equal(tf.range(3, dtype=tf.float64).numpy(), [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(tf.range(tf.constant(2, tf.int64), 4).numpy(), [2, 3])
    assert tf.range(tf.constant(2, tf.int64), 4).dtype == tf.int64


# ---- gradients beyond the finite-difference table ----------------------------------------------


def _grad(f, *xs):
    xs = [tf.constant(x) for x in xs]
    with tf.GradientTape() as tape:
        for x in xs:
            tape.watch(x)
        y = tf.reduce_sum(f(*xs))
    return [g.numpy() for g in tape.gradient(y, xs)]


@pytest.mark.parametrize("adj_x", [False, True])
@pytest.mark.parametrize("adj_y", [False, True])
def test_batch_matmul_gradient_with_adjoints(adj_x, adj_y):
    a = RNG.standard_normal((2, 4, 3) if adj_x else (2, 3, 4))
    b = RNG.standard_normal((5, 4) if adj_y else (4, 5))
    w = RNG.standard_normal((2, 3, 5))
    ga, gb = _grad(lambda x, y: tf.matmul(x, y, adjoint_a=adj_x, adjoint_b=adj_y) * w, a, b)
    am = np.swapaxes(a, -1, -2) if adj_x else a
    bm = b.T if adj_y else b
    da = w @ bm.T  # d/d am
    db = (np.swapaxes(am, -1, -2) @ w).sum(0)  # d/d bm, summed over the broadcast batch
    np.testing.assert_allclose(ga, np.swapaxes(da, -1, -2) if adj_x else da, rtol=1e-10)
    np.testing.assert_allclose(gb, db.T if adj_y else db, rtol=1e-10)


def test_gather_gradient_on_axis_zero_accumulates_duplicates():
    (g,) = _grad(lambda p: tf.gather(p, [1, 1, 0]), np.ones((3, 2)))
    np.testing.assert_array_equal(g, [[1, 1], [2, 2], [0, 0]])


def test_sparse_xent_gradient_is_softmax_minus_one_hot():
    logits = RNG.standard_normal((2, 3))
    labels = np.array([2, 0])
    (g,) = _grad(lambda x: tf.nn.sparse_softmax_cross_entropy_with_logits(labels, x), logits)
    e = np.exp(logits - logits.max(-1, keepdims=True))
    np.testing.assert_allclose(g, e / e.sum(-1, keepdims=True) - np.eye(3)[labels], rtol=1e-12)
