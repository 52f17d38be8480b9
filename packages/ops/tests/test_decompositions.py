"""tf.linalg.qr / svd / eigh / eigvalsh / lu / pinv / matrix_rank / lstsq against NumPy, with
gradients checked by central finite differences, eagerly and inside tf.function."""

import numpy as np
import pytest

import tensorhouse_ops as tf

RNG = np.random.default_rng(7)


def _numeric_grad(fn, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        hi, lo = x.copy(), x.copy()
        hi[i] += eps
        lo[i] -= eps
        g[i] = (fn(hi) - fn(lo)) / (2 * eps)
    return g


def _check_grad(fn, x, rtol=1e-5, atol=1e-7):
    """The tape's gradient of the scalar fn(x) against finite differences of fn."""
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = fn(xt)
    got = tape.gradient(y, xt).numpy()
    want = _numeric_grad(lambda a: float(fn(tf.constant(a)).numpy()), x)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def _proj(u, w):
    """u diag(w) u^T: a weighted projection, the same for either sign of each column."""
    return tf.matmul(u * w, u, transpose_b=True)


# ---- QR -------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 4), (2, 5, 3), (3, 0, 2)])
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_qr_reconstructs_with_orthonormal_q_and_upper_r(shape, full, dtype):
    a = RNG.standard_normal(shape).astype(dtype)
    q, r = tf.linalg.qr(a, full_matrices=full)
    m, n = shape[-2:]
    k = m if full else min(m, n)
    assert q.shape == shape[:-2] + (m, k) and r.shape == shape[:-2] + (k, n)
    assert q.dtype == r.dtype == tf.as_dtype(dtype)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(q.numpy() @ r.numpy(), a, atol=tol)
    np.testing.assert_allclose(
        np.swapaxes(q.numpy(), -1, -2) @ q.numpy(),
        np.broadcast_to(np.eye(k), shape[:-2] + (k, k)),
        atol=tol,
    )
    assert np.all(np.tril(r.numpy(), -1) == 0)
    if 0 not in shape:  # the same factors as NumPy's LAPACK (Householder signs)
        q_np, r_np = np.linalg.qr(a, mode="complete" if full else "reduced")
        np.testing.assert_allclose(np.abs(r.numpy()), np.abs(r_np), atol=tol * 10)


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 4), (2, 3, 2)])
def test_qr_gradient_matches_finite_differences(shape):
    a = RNG.standard_normal(shape)
    wq = RNG.standard_normal(shape[:-1] + (min(shape[-2:]),))
    wr = RNG.standard_normal(shape[:-2] + (min(shape[-2:]), shape[-1]))

    def loss(x):
        q, r = tf.linalg.qr(x)
        return tf.reduce_sum(q * wq) + tf.reduce_sum(r * wr)

    _check_grad(loss, a)


def test_qr_gradient_full_matrices_deep_is_not_implemented_as_tf():
    x = tf.constant(RNG.standard_normal((4, 2)))
    with tf.GradientTape() as tape:
        tape.watch(x)
        q, _ = tf.linalg.qr(x, full_matrices=True)
        y = tf.reduce_sum(q)
    with pytest.raises(NotImplementedError, match="full_matrices"):
        tape.gradient(y, x)


# ---- SVD ------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 5), (3, 4, 2), (0, 3)])
@pytest.mark.parametrize("full", [False, True])
def test_svd_order_s_u_v_and_reconstruction(shape, full):
    a = RNG.standard_normal(shape)
    s, u, v = tf.linalg.svd(a, full_matrices=full)
    m, n = shape[-2:]
    k = min(m, n)
    assert s.shape == shape[:-2] + (k,)
    assert u.shape == shape[:-2] + ((m, m) if full else (m, k))
    assert v.shape == shape[:-2] + ((n, n) if full else (n, k))
    np.testing.assert_allclose(s.numpy(), np.linalg.svd(a, compute_uv=False), atol=1e-12)
    recon = (u.numpy()[..., :, :k] * s.numpy()[..., None, :]) @ np.swapaxes(
        v.numpy()[..., :k], -1, -2
    )
    np.testing.assert_allclose(recon, a, atol=1e-12)
    assert np.all(np.diff(s.numpy(), axis=-1) <= 0)  # descending
    only_s = tf.linalg.svd(a, compute_uv=False)
    np.testing.assert_allclose(only_s.numpy(), s.numpy(), atol=1e-12)


def test_svd_of_a_nan_matrix_is_nan_as_tf():
    s, u, v = tf.linalg.svd(tf.constant([[np.nan, 1.0], [1.0, 1.0]]))
    assert np.isnan(s.numpy()).all() and np.isnan(u.numpy()).all() and np.isnan(v.numpy()).all()


@pytest.mark.parametrize(
    "shape,full",
    [
        ((4, 3), False),
        ((3, 3), False),
        ((2, 4), False),
        ((3, 2), True),
        ((2, 3), True),
        ((2, 3, 2), False),
    ],
)
def test_svd_gradient_matches_finite_differences(shape, full):
    a = RNG.standard_normal(shape)
    k = min(shape[-2:])
    ws = RNG.standard_normal(k)
    wu = RNG.standard_normal(k)
    wv = RNG.standard_normal(k)

    def loss(x):
        s, u, v = tf.linalg.svd(x, full_matrices=full)
        u, v = u[..., :k], v[..., :k]
        return (tf.reduce_sum(s * ws) + tf.reduce_sum(_proj(u, wu) ** 2 * 0.5)
                + tf.reduce_sum(_proj(v, wv) * _proj(v, wv)))  # fmt: skip

    _check_grad(loss, a, rtol=1e-5, atol=1e-6)
    _check_grad(lambda x: tf.reduce_sum(tf.linalg.svd(x, compute_uv=False) ** 2), a)


# ---- eigh -------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_eigh_reads_the_lower_triangle_and_matches_numpy(dtype):
    a = RNG.standard_normal((3, 4, 4)).astype(dtype)
    e, v = tf.linalg.eigh(a)
    sym = np.tril(a) + np.swapaxes(np.tril(a, -1), -1, -2)
    want = np.linalg.eigvalsh(sym)
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(e.numpy(), want, atol=tol)
    np.testing.assert_allclose(v.numpy() @ (e.numpy()[..., None] * np.swapaxes(v.numpy(), -1, -2)),
                               sym, atol=tol)  # fmt: skip
    np.testing.assert_allclose(tf.linalg.eigvalsh(a).numpy(), want, atol=tol)


def test_eigh_gradient_matches_finite_differences():
    a = RNG.standard_normal((4, 4))
    we, wv = RNG.standard_normal(4), RNG.standard_normal(4)

    def loss(x):
        e, v = tf.linalg.eigh(x)
        return tf.reduce_sum(e * we) + tf.reduce_sum(_proj(v, wv) ** 2)

    _check_grad(loss, a)
    _check_grad(lambda x: tf.reduce_sum(tf.linalg.eigvalsh(x) * we), a)


def test_eigh_non_square_is_tf_error():
    with pytest.raises(tf.errors.InvalidArgumentError, match="must be square"):
        tf.linalg.eigh(tf.ones([2, 3]))


# ---- LU, pinv, matrix_rank, lstsq ------------------------------------------------------------


def test_lu_packs_l_and_u_with_the_row_permutation():
    a = RNG.standard_normal((2, 4, 4))
    lu, p = tf.linalg.lu(a)
    assert p.dtype == tf.int32 and p.shape == (2, 4)
    for b in range(2):
        low = np.tril(lu.numpy()[b], -1) + np.eye(4)
        up = np.triu(lu.numpy()[b])
        np.testing.assert_allclose(low @ up, a[b][p.numpy()[b]], atol=1e-12)
    assert tf.linalg.lu(a, output_idx_type=tf.int64).p.dtype == tf.int64
    with pytest.raises(tf.errors.InvalidArgumentError, match="not invertible"):
        tf.linalg.lu(tf.zeros([2, 2]))


def test_pinv_and_matrix_rank_match_numpy():
    a = RNG.standard_normal((5, 3)) @ RNG.standard_normal((3, 4))  # rank 3
    np.testing.assert_allclose(tf.linalg.pinv(a).numpy(), np.linalg.pinv(a), atol=1e-10)
    assert int(tf.linalg.matrix_rank(a)) == 3
    assert tf.linalg.matrix_rank(a).dtype == tf.int32
    np.testing.assert_allclose(tf.linalg.pinv(a, rcond=0.5).numpy(), np.linalg.pinv(a, rcond=0.5),
                               atol=1e-10)  # fmt: skip
    _check_grad(lambda x: tf.reduce_sum(tf.linalg.pinv(x) * np.arange(15.0).reshape(3, 5)),
                RNG.standard_normal((5, 3)))  # fmt: skip


@pytest.mark.parametrize("shape", [(5, 3), (3, 5)])
def test_lstsq_fast_is_the_regularised_solution(shape):
    a, b = RNG.standard_normal(shape), RNG.standard_normal((shape[0], 2))
    m, n = shape
    x = tf.linalg.lstsq(a, b, l2_regularizer=0.3).numpy()
    if m >= n:
        want = np.linalg.solve(a.T @ a + 0.3 * np.eye(n), a.T @ b)
    else:
        want = a.T @ np.linalg.solve(a @ a.T + 0.3 * np.eye(m), b)
    np.testing.assert_allclose(x, want, atol=1e-10)
    slow = tf.linalg.lstsq(a, b, fast=False).numpy()
    np.testing.assert_allclose(slow, np.linalg.lstsq(a, b, rcond=None)[0], atol=1e-10)
    _check_grad(lambda t: tf.reduce_sum(tf.linalg.lstsq(t, b, l2_regularizer=0.1) ** 2), a)


def test_decompositions_trace_and_match_eager():
    a = RNG.standard_normal((4, 3))

    @tf.function
    def f(x):
        q, r = tf.linalg.qr(x)
        s, u, v = tf.linalg.svd(x)
        e = tf.linalg.eigvalsh(tf.matmul(x, x, transpose_a=True))
        return q, r, s, e, tf.linalg.pinv(x), tf.linalg.lstsq(x, x[:, :1])

    eager = [f.python_function(tf.constant(a))[i].numpy() for i in range(6)]
    for got, want in zip(f(tf.constant(a)), eager):
        np.testing.assert_allclose(got.numpy(), want, atol=1e-12)
