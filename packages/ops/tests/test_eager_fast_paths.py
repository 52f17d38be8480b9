"""The eager fast paths of small ops (issue 20) give the general path's results: eager against
NumPy, eager against traced, and against a tape and a device scope (the general path)."""

import numpy as np
import pytest

import tensorhouse_ops as tf

X = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
Y = np.arange(8, dtype=np.float32).reshape(4, 2) - 3.5
B = np.array([0.5, -1.0, 2.0, 0.25], np.float32)

CASES = {
    "matmul": (lambda a, b: tf.matmul(a, b), X @ Y),
    "matmul_ta": (lambda a, b: tf.matmul(a, a, transpose_a=True), X.T @ X),
    "matmul_tb": (lambda a, b: tf.matmul(b, b, transpose_b=1), Y @ Y.T),
    "reduce_sum": (lambda a, b: tf.reduce_sum(a), X.sum()),
    "reduce_sum_axis": (lambda a, b: tf.reduce_sum(a, 1, keepdims=True), X.sum(1, keepdims=True)),
    "reduce_max_neg_axis": (lambda a, b: tf.reduce_max(a, axis=-2), X.max(0)),
    "reshape_tuple": (lambda a, b: tf.reshape(a, (2, 6)), X.reshape(2, 6)),
    "reshape_list_infer": (lambda a, b: tf.reshape(a, [-1, 3]), X.reshape(-1, 3)),
    "reshape_np_ints": (lambda a, b: tf.reshape(a, (np.int64(4), 3)), X.reshape(4, 3)),
    "transpose": (lambda a, b: tf.transpose(a), X.T),
    "transpose_perm": (lambda a, b: tf.transpose(a, [1, 0]), X.T),
    "concat": (lambda a, b: tf.concat([a, a], 0), np.concatenate([X, X], 0)),
    "concat_neg_axis": (lambda a, b: tf.concat([a, a, a], -1), np.concatenate([X, X, X], -1)),
    "gather": (lambda a, b: tf.gather(a, tf.constant([2, 0])), X[[2, 0]]),
    "add_broadcast": (lambda a, b: a + tf.constant(B), X + B),
    "sub_broadcast": (lambda a, b: tf.subtract(tf.constant(B), a), B - X),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_eager_traced_taped_and_scoped_agree_with_numpy(name):
    fn, want = CASES[name]
    a, b = tf.constant(X), tf.constant(Y)
    eager = fn(a, b).numpy()
    np.testing.assert_allclose(eager, want, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(tf.function(fn)(a, b).numpy(), eager, rtol=1e-6, atol=1e-6)
    with tf.GradientTape() as tape:
        tape.watch(a)
        taped = fn(a, b)
    np.testing.assert_allclose(taped.numpy(), eager, rtol=1e-6, atol=1e-6)
    with tf.device("/CPU:0"):
        np.testing.assert_allclose(fn(a, b).numpy(), eager, rtol=1e-6, atol=1e-6)


def test_variable_operand_reads_its_value_and_records_the_gradient():
    v = tf.Variable(B)
    x = tf.constant(X)
    np.testing.assert_allclose((x + v).numpy(), X + B)
    np.testing.assert_allclose((x * v).numpy(), X * B)
    w = tf.Variable(Y)
    np.testing.assert_allclose(tf.matmul(x, w).numpy(), X @ Y, rtol=1e-6)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.matmul(x, w) + tf.reduce_sum(v))
    gw, gv = tape.gradient(loss, [w, v])
    np.testing.assert_allclose(gw.numpy(), X.sum(0)[:, None] * np.ones((1, 2)), rtol=1e-6)
    np.testing.assert_allclose(gv.numpy(), np.full(4, 6.0), rtol=1e-6)


def test_fast_paths_keep_tf_errors():
    a = tf.constant(X)
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.matmul(a, a)  # (3, 4) @ (3, 4)
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.reshape(a, (5, 2))
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.concat([a, tf.constant(Y)], 0)
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.reduce_sum(a, 2)
    with pytest.raises(TypeError):
        tf.reshape(a, (6.5, 2))
    with pytest.raises(tf.errors.InvalidArgumentError):
        a + tf.constant(B[:3])


def test_string_add_and_complex_matmul_still_take_their_own_paths():
    s = tf.constant(["ab", "c"])
    assert list((s + tf.constant(["x", "yz"])).numpy()) == [b"abx", b"cyz"]
    z = np.array([[1 + 2j, 0], [1j, 3]], np.complex64)
    got = tf.matmul(tf.constant(z), tf.constant(z), adjoint_b=True).numpy()
    np.testing.assert_allclose(got, z @ z.conj().T, rtol=1e-6)
