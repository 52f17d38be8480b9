"""TF's tf.linalg normalize, expm, tridiagonal_matmul / tridiagonal_solve (three formats),
banded_triangular_solve (both layouts) and eigh_tridiagonal, against NumPy."""

import numpy as np
import pytest

RNG = np.random.default_rng(11)


def test_normalize_returns_unit_tensor_and_norm(tf):
    unit, norm = tf.linalg.normalize(tf.constant([[3.0, 4.0], [0.0, 2.0]]), axis=-1)
    np.testing.assert_allclose(unit.numpy(), [[0.6, 0.8], [0.0, 1.0]], rtol=1e-6)
    assert norm.shape == (2, 1) and norm.numpy().ravel().tolist() == [5.0, 2.0]


@pytest.mark.parametrize("scale", [0.5, 10.0])
def test_expm_of_symmetric_matrices(tf, scale):
    s = RNG.standard_normal((2, 4, 4)) * scale
    s = s + np.swapaxes(s, 1, 2)
    w, v = np.linalg.eigh(s)
    want = np.einsum("bij,bj,bkj->bik", v, np.exp(w), v)
    got = tf.linalg.expm(tf.constant(s)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12 * np.abs(want).max())
    rot = tf.linalg.expm(tf.constant([[0.0, -np.pi / 2], [np.pi / 2, 0.0]])).numpy()
    np.testing.assert_allclose(rot, [[0.0, -1.0], [1.0, 0.0]], atol=1e-15)


def test_tridiagonal_formats(tf):
    d = RNG.standard_normal((3, 5))
    d[1] += 4.0
    dense = np.diag(d[1]) + np.diag(d[0, :-1], 1) + np.diag(d[2, 1:], -1)
    x = RNG.standard_normal((5, 2))
    np.testing.assert_allclose(
        tf.linalg.tridiagonal_matmul(tf.constant(d), tf.constant(x)).numpy(), dense @ x, rtol=1e-12
    )
    want = np.linalg.solve(dense, x)
    got = tf.linalg.tridiagonal_solve(tf.constant(d), tf.constant(x))
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10)
    got = tf.linalg.tridiagonal_solve(tf.constant(dense), tf.constant(x), diagonals_format="matrix")
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10)
    seq = [tf.constant(v) for v in d]
    got = tf.linalg.tridiagonal_solve(
        seq, tf.constant(x.T), diagonals_format="sequence", transpose_rhs=True
    )
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10)


def test_banded_triangular_solve(tf):
    got = tf.linalg.banded_triangular_solve([[2.0, 3.0, 4.0], [10000.0, 2.0, 3.0]], tf.ones([3, 1]))
    np.testing.assert_allclose(got.numpy(), [[0.5], [0.0], [0.25]], atol=1e-7)
    up = [[2.0, 3.0, 4.0, 5.0], [-1.0, -2.0, -3.0, -4.0]]
    mat = np.diag(up[1]) + np.diag(up[0][:3], 1)
    got = tf.linalg.banded_triangular_solve(up, tf.ones([4, 1]), lower=False)
    np.testing.assert_allclose(got.numpy(), np.linalg.solve(mat, np.ones((4, 1))), rtol=1e-6)


def test_eigh_tridiagonal(tf):
    a, b = RNG.standard_normal(5), RNG.standard_normal(4)
    want = np.linalg.eigvalsh(np.diag(a) + np.diag(b, 1) + np.diag(b, -1))
    np.testing.assert_allclose(tf.linalg.eigh_tridiagonal(a, b).numpy(), want, rtol=1e-10)
    got = tf.linalg.eigh_tridiagonal(a, b, select="i", select_range=[0, 2]).numpy()
    np.testing.assert_allclose(got, want[:3], rtol=1e-10)


def test_sqrtm_principal_root(tf):
    a = RNG.standard_normal((4, 4))
    spd = a @ a.T + np.eye(4)
    w, v = np.linalg.eigh(spd)
    np.testing.assert_allclose(tf.linalg.sqrtm(spd).numpy(), (v * np.sqrt(w)) @ v.T, rtol=1e-10)
    rot = np.array([[0.5, -2.0], [2.0, 0.5]])  # complex eigenvalues, a real principal root
    r = tf.linalg.sqrtm(rot).numpy()
    np.testing.assert_allclose(r @ r, rot, rtol=1e-12)
    assert r[0, 0] > 0
