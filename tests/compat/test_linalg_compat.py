"""tf.linalg.qr / svd / eigh / eigvalsh / lu / pinv / matrix_rank / lstsq: TF 2's output order,
shapes, values (up to the signs of singular and eigen vectors), gradients and errors."""

import numpy as np
import pytest

A = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)


def test_qr_shapes_and_values(tf):
    q, r = tf.linalg.qr(tf.constant(A))
    assert q.shape == (3, 2) and r.shape == (2, 2)
    np.testing.assert_allclose(r.numpy(), [[-5.91608, -7.437357], [0.0, 0.828078]], atol=1e-4)
    np.testing.assert_allclose(q.numpy()[:, 0], [-0.169031, -0.507093, -0.845154], atol=1e-5)
    q, r = tf.linalg.qr(tf.constant(A), full_matrices=True)
    assert q.shape == (3, 3) and r.shape == (3, 2)
    np.testing.assert_allclose(q.numpy() @ r.numpy(), A, atol=1e-5)
    assert [f for f in type(tf.linalg.qr(A))._fields] == ["q", "r"]


def test_svd_returns_s_u_v(tf):
    s, u, v = tf.linalg.svd(tf.constant(A))
    np.testing.assert_allclose(s.numpy(), [9.525518, 0.514301], rtol=1e-5)
    assert u.shape == (3, 2) and v.shape == (2, 2)
    np.testing.assert_allclose(u.numpy() @ np.diag(s.numpy()) @ v.numpy().T, A, atol=1e-5)
    s, u, v = tf.linalg.svd(tf.constant(A), full_matrices=True)
    assert u.shape == (3, 3) and v.shape == (2, 2)
    only = tf.linalg.svd(tf.constant(A), compute_uv=False)
    assert tf.is_tensor(only) and only.shape == (2,)


def test_eigh_reads_the_lower_triangle(tf):
    e, v = tf.linalg.eigh(tf.constant([[2.0, 1.0], [1.0, 3.0]]))
    np.testing.assert_allclose(e.numpy(), [1.381966, 3.618034], rtol=1e-5)
    np.testing.assert_allclose(np.abs(v.numpy()), [[0.850651, 0.525731], [0.525731, 0.850651]],
                               rtol=1e-5)  # fmt: skip
    lower_only = tf.linalg.eigvalsh(tf.constant([[2.0, 1.0], [5.0, 3.0]]))
    np.testing.assert_allclose(lower_only.numpy(), [-2.524938, 7.524938], rtol=1e-5)
    with pytest.raises(tf.errors.InvalidArgumentError, match="must be square"):
        tf.linalg.eigh(tf.ones([2, 3]))


def test_lu_pinv_rank_lstsq(tf):
    lu, p = tf.linalg.lu(tf.constant([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_allclose(lu.numpy(), [[3.0, 4.0], [1 / 3, 2 / 3]], rtol=1e-6)
    assert p.numpy().tolist() == [1, 0] and p.dtype == tf.int32
    with pytest.raises(tf.errors.InvalidArgumentError, match="not invertible"):
        tf.linalg.lu(tf.zeros([2, 2]))
    np.testing.assert_allclose(tf.linalg.pinv(A).numpy(), np.linalg.pinv(A), atol=1e-5)
    rank = tf.linalg.matrix_rank(tf.constant([[1.0, 2.0], [2.0, 4.0]]))
    assert int(rank) == 1 and rank.dtype == tf.int32
    b = tf.constant([[1.0], [2.0], [4.0]])
    np.testing.assert_allclose(tf.linalg.lstsq(A, b, l2_regularizer=0.1).numpy(),
                               [[0.564783], [0.163094]], rtol=1e-4)  # fmt: skip
    np.testing.assert_allclose(tf.linalg.lstsq(A, b, fast=False).numpy(),
                               [[0.666667], [0.083333]], rtol=1e-4)  # fmt: skip
    ones = tf.ones([3, 2])
    ignored = tf.linalg.lstsq(ones, tf.ones([3, 1]), l2_regularizer=0.1, fast=False)
    np.testing.assert_allclose(ignored.numpy(), [[0.5], [0.5]], rtol=1e-5)


def test_decomposition_gradients(tf):
    x = tf.Variable(A)
    w = tf.constant([[1.0, 2], [3, 4], [5, 6]])
    with tf.GradientTape(persistent=True) as tape:
        q, r = tf.linalg.qr(x)
        l_qr = tf.reduce_sum(q * w) + tf.reduce_sum(r * r * r)
        l_svd = tf.reduce_sum(tf.linalg.svd(x, compute_uv=False) ** 3)
        e = tf.linalg.eigvalsh(tf.matmul(x, x, transpose_a=True))
        l_eig = tf.reduce_sum(e * tf.constant([1.0, 2.0]))
    np.testing.assert_allclose(tape.gradient(l_qr, x).numpy(),
                               [[-42.0327, -26.204016], [-60.716873, -83.58054],
                                [-79.40102, -140.95708]], rtol=2e-4)  # fmt: skip
    np.testing.assert_allclose(tape.gradient(l_svd, x).numpy(),
                               [[38.217537, 49.54213], [88.357285, 112.23191],
                                [138.49704, 174.9217]], rtol=2e-4)  # fmt: skip
    g = tape.gradient(l_eig, x).numpy()  # d/dx sum(w * eig(x^T x)) = 2 x V diag(w) V^T
    _, vecs = np.linalg.eigh(A.T.astype(np.float64) @ A)
    np.testing.assert_allclose(g, 2 * A @ vecs @ np.diag([1.0, 2.0]) @ vecs.T, rtol=1e-3)


def test_decompositions_inside_tf_function(tf):
    @tf.function
    def f(x):
        q, r = tf.linalg.qr(x)
        s = tf.linalg.svd(x, compute_uv=False)
        return tf.matmul(q, r), s, tf.linalg.pinv(x)

    back, s, p = f(tf.constant(A))
    np.testing.assert_allclose(back.numpy(), A, atol=1e-5)
    np.testing.assert_allclose(s.numpy(), [9.525518, 0.514301], rtol=1e-5)
    np.testing.assert_allclose(p.numpy(), np.linalg.pinv(A), atol=1e-5)


EIG_REAL = [[2.0, 1.0, 0.5], [0.3, 1.0, -1.0], [0.2, 0.4, 3.0]]  # distinct real eigenvalues
EIG_PAIR = [[0.0, -2.0], [1.0, 0.5]]  # 0.25 +- 1.3919j


def _eig_losses(tf, m):
    """Losses of eig / eigvals that do not depend on the eigenvectors' phases or order."""
    e, v = tf.linalg.eig(m)
    ev = tf.linalg.eigvals(m)
    return [
        tf.reduce_sum(tf.math.real(e) ** 2 + 0.5 * tf.math.imag(e) ** 2),
        tf.reduce_sum(tf.abs(v[0, :])),  # |v|: the same for any column phase
        tf.reduce_sum(tf.math.imag(ev) ** 2 + tf.math.real(ev) ** 3),
    ]


@pytest.mark.parametrize(
    "m, want",
    [
        # real spectrum: sum(e^2) = tr(A^2) and sum(e^3) = tr(A^3), so 2 A^T and 3 (A^2)^T
        (EIG_REAL, [2 * np.array(EIG_REAL).T,
                    [[-0.5726, 1.0338, -1.5221], [-1.0437, 0.2332, -0.4939],
                     [-1.4559, -0.6714, 0.3394]],
                    3 * (np.array(EIG_REAL) @ np.array(EIG_REAL)).T]),
        (EIG_PAIR, [[[0.75, -1.0], [2.0, 0.25]], [[0.0, -0.1361], [-0.2722, 0.0]],
                    [[0.6875, -2.0], [4.0, -0.3125]]]),
    ],
)  # fmt: skip
def test_eig_gradients_match_tf(tf, m, want):
    x = tf.constant(m)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        losses = _eig_losses(tf, x)
    for loss, w in zip(losses, want):
        g = tape.gradient(loss, x)
        assert g.dtype == tf.float32
        np.testing.assert_allclose(g.numpy(), w, atol=2e-3)


def test_eig_gradient_inside_tf_function(tf):
    @tf.function
    def grad(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = _eig_losses(tf, x)[0]
        return tape.gradient(loss, x)

    eager = tf.constant(EIG_REAL, tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(eager)
        loss = _eig_losses(tf, eager)[0]
    # d sum(Re e^2) / dA = Re(W^-1 diag(2 Re e) W), W = V^H: the eigenvalue derivative
    e, v = np.linalg.eig(np.array(EIG_REAL))
    w = v.conj().T
    want = np.real(np.linalg.solve(w, np.diag(2 * e.real) @ w))
    np.testing.assert_allclose(tape.gradient(loss, eager).numpy(), want, rtol=1e-10)
    np.testing.assert_allclose(grad(eager).numpy(), want, rtol=1e-10)
