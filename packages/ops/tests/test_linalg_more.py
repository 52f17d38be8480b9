"""tf.linalg's normalize, expm, tridiagonal / banded solves and products and eigh_tridiagonal
against NumPy references; expm's gradient against central differences; traced against eager."""

import numpy as np
import pytest

import tensorhouse_ops as tf

RNG = np.random.default_rng(5)


def _taylor_expm(a, terms=200):
    """exp(a) by scaling, a long Taylor series and squaring, in float64."""
    s = max(0, int(np.ceil(np.log2(max(np.abs(a).sum(0).max(), 1e-300)))) + 1)
    b = a / 2.0**s
    out, term = np.eye(len(a)), np.eye(len(a))
    for k in range(1, terms):
        term = term @ b / k
        out = out + term
    for _ in range(s):
        out = out @ out
    return out


@pytest.mark.parametrize("scale", [0.0, 0.1, 1.0, 8.0, 40.0])
def test_expm_matches_series(scale):
    a = RNG.standard_normal((3, 4, 4)) * scale
    got = tf.linalg.expm(a).numpy()
    for g, m in zip(got, a):
        want = _taylor_expm(m)
        np.testing.assert_allclose(g, want, rtol=1e-10, atol=1e-12 * np.abs(want).max())


def test_expm_symmetric_float32_and_traced():
    s = RNG.standard_normal((5, 5))
    s = s + s.T
    w, v = np.linalg.eigh(s)
    want = (v * np.exp(w)) @ v.T
    got = tf.linalg.expm(s.astype(np.float32)).numpy()
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-5 * np.abs(want).max())
    batch = tf.constant(RNG.standard_normal((2, 3, 3)) * [[[1.0]], [[20.0]]])
    np.testing.assert_array_equal(
        tf.function(tf.linalg.expm)(batch).numpy(), tf.linalg.expm(batch).numpy()
    )


def test_expm_gradient_matches_central_differences():
    a = RNG.standard_normal((3, 3)) * 3.0
    w = RNG.standard_normal((3, 3))

    def f(x):
        return float(tf.reduce_sum(tf.linalg.expm(tf.constant(x)) * w))

    x = tf.constant(a)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.linalg.expm(x) * w)
    g = tape.gradient(y, x).numpy()
    eps = 1e-6
    num = np.array([(f(a + e) - f(a - e)) / (2 * eps) for e in np.eye(9).reshape(9, 3, 3) * eps])
    np.testing.assert_allclose(g.reshape(-1), num, rtol=1e-6, atol=1e-6)


def _tridiag_dense(d):
    sup, main, sub = d[..., 0, :], d[..., 1, :], d[..., 2, :]
    m = d.shape[-1]
    out = np.zeros(d.shape[:-2] + (m, m))
    i = np.arange(m)
    out[..., i, i] = main
    out[..., i[:-1], i[1:]] = sup[..., :-1]
    out[..., i[1:], i[:-1]] = sub[..., 1:]
    return out


def test_tridiagonal_matmul_and_solve():
    d = RNG.standard_normal((2, 3, 6))
    d[:, 1] += 4.0
    x = RNG.standard_normal((2, 6, 3))
    dense = _tridiag_dense(d)
    np.testing.assert_allclose(tf.linalg.tridiagonal_matmul(d, x).numpy(), dense @ x, rtol=1e-12)
    seq = [tf.constant(d[:, 0]), tf.constant(d[:, 1]), tf.constant(d[:, 2])]
    got = tf.linalg.tridiagonal_solve(seq, tf.constant(x), diagonals_format="sequence").numpy()
    np.testing.assert_allclose(got, np.linalg.solve(dense, x), rtol=1e-10)
    got = tf.linalg.tridiagonal_solve(
        tf.constant(dense + np.triu(np.ones((6, 6)), 2)), tf.constant(x), diagonals_format="matrix"
    )
    np.testing.assert_allclose(got.numpy(), np.linalg.solve(dense, x), rtol=1e-10)
    vec = tf.linalg.tridiagonal_solve(tf.constant(d[0]), tf.constant(x[0, :, 0])).numpy()
    np.testing.assert_allclose(vec, np.linalg.solve(dense[0], x[0, :, 0]), rtol=1e-10)
    with pytest.raises(ValueError, match="diagonals_format"):
        tf.linalg.tridiagonal_solve(tf.constant(d), tf.constant(x), diagonals_format="band")


def test_banded_triangular_solve_layouts():
    bands = np.array([[2.0, 3.0, 4.0], [10000.0, 2.0, 3.0]])  # main, then the subdiagonal
    got = tf.linalg.banded_triangular_solve(bands, np.ones((3, 1))).numpy()
    np.testing.assert_allclose(got, [[0.5], [0.0], [0.25]], atol=1e-15)
    up = np.array([[2.0, 3.0, 4.0, 99.0], [-1.0, -2.0, -3.0, -4.0]])  # superdiagonal, then main
    mat = np.diag(up[1]) + np.diag(up[0, :3], 1)
    got = tf.linalg.banded_triangular_solve(up, np.ones((4, 2)), lower=False, adjoint=True)
    np.testing.assert_allclose(got.numpy(), np.linalg.solve(mat.T, np.ones((4, 2))), rtol=1e-12)


def test_eigh_tridiagonal_and_normalize():
    a, b = RNG.standard_normal(6), RNG.standard_normal(5)
    t = np.diag(a) + np.diag(b, 1) + np.diag(b, -1)
    want = np.linalg.eigvalsh(t)
    np.testing.assert_allclose(tf.linalg.eigh_tridiagonal(a, b).numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(
        tf.linalg.eigh_tridiagonal(a, b, select="i", select_range=[1, 3]).numpy(),
        want[1:4],
        rtol=1e-12,
    )
    lo, hi = want[2] - 1e-3, want[4] + 1e-3
    np.testing.assert_allclose(
        tf.linalg.eigh_tridiagonal(a, b, select="v", select_range=[lo, hi]).numpy(),
        want[2:5],
        rtol=1e-12,
    )
    w, v = tf.linalg.eigh_tridiagonal(a, b, eigvals_only=False)
    np.testing.assert_allclose(t @ v.numpy(), v.numpy() * w.numpy(), atol=1e-12)
    x = RNG.standard_normal((3, 4))
    unit, norm = tf.linalg.normalize(x, axis=1)
    np.testing.assert_allclose(norm.numpy(), np.linalg.norm(x, axis=1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(
        unit.numpy(), x / np.linalg.norm(x, axis=1, keepdims=True), rtol=1e-12
    )


def test_sqrtm_squares_back_and_its_gradient():
    a = RNG.standard_normal((2, 4, 4))
    spd = a @ np.swapaxes(a, 1, 2) + np.eye(4)
    general = RNG.standard_normal((4, 4)) + 4 * np.eye(4)
    for m in (spd, general):
        r = tf.linalg.sqrtm(m).numpy()
        np.testing.assert_allclose(r @ r, m, rtol=1e-10, atol=1e-12)
    w, v = np.linalg.eigh(spd[0])
    np.testing.assert_allclose(tf.linalg.sqrtm(spd[0]).numpy(), (v * np.sqrt(w)) @ v.T, rtol=1e-10)
    weights = RNG.standard_normal((4, 4))

    def f(x):
        return float(tf.reduce_sum(tf.linalg.sqrtm(tf.constant(x)) * weights))

    x = tf.constant(general)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.linalg.sqrtm(x) * weights)
    g = tape.gradient(y, x).numpy()
    e = np.zeros((4, 4))
    e[1, 2] = 1e-6
    np.testing.assert_allclose(g[1, 2], (f(general + e) - f(general - e)) / 2e-6, rtol=1e-6)


def test_bad_inputs_get_tfs_errors():
    with pytest.raises(ValueError, match="expm does not support matrices of type"):
        tf.linalg.expm(np.eye(2, dtype=np.int32))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Matrix size-incompatible"):
        tf.linalg.expm(np.ones((2, 3)))
    with pytest.raises(ValueError, match="left-hand sided and right-hand sides"):
        tf.linalg.tridiagonal_solve(tf.ones((3, 4)), tf.ones((5, 1)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="rank >= 2"):
        tf.linalg.sqrtm(np.ones(3))
