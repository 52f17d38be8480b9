"""Forward ops inside tf.function with an input_signature of unknown rank or unknown dims: the
traced values equal eager (and a NumPy reference), the static output shapes are TF's."""

from __future__ import annotations

import numpy as np
import pytest

X = np.arange(12, dtype=np.float32).reshape(3, 4) / 7.0 - 0.5
LABELS = np.array([1, 0, 3], np.int32)
SPD = (X[:, :3] @ X[:, :3].T + np.eye(3)).astype(np.float32)


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _fused_batch_norm(tf):
    return tf.compat.v1.nn.fused_batch_norm if hasattr(tf, "compat") else tf.nn.fused_batch_norm


def _bn_reference(x, scale, offset):
    mean, var = x.mean((0, 1, 2)), x.var((0, 1, 2))
    return (x - mean) / np.sqrt(var + 1e-3) * scale + offset


def _cases(tf):
    """name -> (function, input signature, inputs, NumPy reference, TF's static output shape)."""
    u = tf.TensorSpec(None, tf.float32)
    ui = tf.TensorSpec(None, tf.int32)
    m = tf.TensorSpec([None, None], tf.float32)
    x4 = X.reshape(1, 3, 2, 2)
    bias = np.arange(4, dtype=np.float32)
    dist = _softmax(X * 2.0)
    return {
        "softmax": (tf.nn.softmax, [u], [X], _softmax(X), None),
        "log_softmax": (tf.nn.log_softmax, [u], [X], np.log(_softmax(X)), None),
        "softmax_xent": (
            lambda a, b: tf.nn.softmax_cross_entropy_with_logits(labels=b, logits=a),
            [u, u], [X, dist], -(dist * np.log(_softmax(X))).sum(-1), None,
        ),
        "sparse_softmax_xent": (
            lambda a, b: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=b, logits=a),
            [u, ui], [X, LABELS], -np.log(_softmax(X)[np.arange(3), LABELS]), None,
        ),
        "transpose": (lambda a: tf.transpose(a), [u], [X], X.T, None),
        "transpose_3d": (lambda a: tf.transpose(a), [u], [x4], x4.T, None),
        "tile_run_time_multiples": (
            lambda a, b: tf.tile(a, [tf.shape(b)[0], 1]), [m, u], [X, X], np.tile(X, (3, 1)),
            (None, None),
        ),
        "tile_unknown_rank": (
            lambda a, b: tf.tile(a, [tf.shape(b)[0], 2]), [u, u], [X, X[:2]],
            np.tile(X, (2, 2)), (None, None),
        ),
        "bias_add": (tf.nn.bias_add, [u, u], [X, bias], X + bias, None),
        "bias_add_known_last": (
            tf.nn.bias_add, [tf.TensorSpec([None, 4], tf.float32), u], [X, bias], X + bias,
            (None, 4),
        ),
        "fused_batch_norm": (
            lambda a, s, o: _fused_batch_norm(tf)(a, s, o)[0], [u, u, u],
            [x4, np.float32([2.0, 0.5]), np.float32([1.0, -1.0])],
            _bn_reference(x4, np.float32([2.0, 0.5]), np.float32([1.0, -1.0])),
            (None, None, None, None),
        ),
        "batch_normalization": (
            lambda a, mu, v: tf.nn.batch_normalization(a, mu, v, None, None, 1e-3), [u, u, u],
            [X, bias, bias + 1.0], (X - bias) / np.sqrt(bias + 1.0 + 1e-3), None,
        ),
        "scatter_nd_run_time_shape": (
            lambda a: tf.scatter_nd([[0], [2]], tf.ones([2, 4]), tf.shape(a)), [m], [X],
            np.float32([[1] * 4, [0] * 4, [1] * 4]), (None, None),
        ),
        "scatter_nd_unknown_rank_shape": (
            lambda a: tf.scatter_nd([[0], [2]], tf.ones([2, 4]), tf.shape(a)), [u], [X],
            np.float32([[1] * 4, [0] * 4, [1] * 4]), None,
        ),
        "reshape_to_unknown_rank_shape": (
            lambda a, b: tf.reshape(b, tf.shape(a)) + tf.zeros(tf.shape(a)), [u, u],
            [X, X.reshape(-1)], X, None,
        ),
        "cholesky": (
            lambda a: tf.linalg.cholesky((a + tf.transpose(a)) * 0.5), [u], [SPD],
            np.linalg.cholesky(SPD), None,
        ),
    }  # fmt: skip


NAMES = [
    "softmax", "log_softmax", "softmax_xent", "sparse_softmax_xent", "transpose",
    "transpose_3d", "tile_run_time_multiples", "tile_unknown_rank", "bias_add",
    "bias_add_known_last", "fused_batch_norm", "batch_normalization",
    "scatter_nd_run_time_shape", "scatter_nd_unknown_rank_shape", "cholesky",
    "reshape_to_unknown_rank_shape",
]  # fmt: skip


def _static(shape):
    return None if shape.rank is None else tuple(shape.as_list())


@pytest.mark.parametrize("name", NAMES)
def test_traced_matches_eager_and_static_shape(tf, name):
    cases = _cases(tf)
    assert sorted(cases) == sorted(NAMES)
    f, spec, args, want, static = cases[name]
    eager = f(*[tf.constant(a) for a in args])
    g = tf.function(f, input_signature=spec)
    out = g.get_concrete_function().structured_outputs
    assert _static(out.shape) == static
    traced = g(*[tf.constant(a) for a in args])
    np.testing.assert_allclose(traced.numpy(), eager.numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(traced.numpy(), want, rtol=1e-4, atol=1e-5)


def test_traced_unknown_rank_runs_at_another_rank(tf):
    """One trace of unknown rank, run with rank-2 and rank-3 inputs."""
    g = tf.function(lambda a: tf.nn.softmax(tf.transpose(a)), input_signature=[
        tf.TensorSpec(None, tf.float32)])  # fmt: skip
    for x in (X, X.reshape(1, 3, 4)):
        np.testing.assert_allclose(g(tf.constant(x)).numpy(), _softmax(x.T), rtol=1e-5)


@pytest.mark.parametrize(
    "steps", [pytest.param(4, id="time_known"), pytest.param(None, id="time_unknown")]
)
@pytest.mark.parametrize("layer", ["LSTM", "GRU"])
def test_recurrent_layer_with_unknown_batch(tf, layer, steps):
    rnn = getattr(tf.keras.layers, layer)(3, return_sequences=True)
    x = np.linspace(-1.0, 1.0, 2 * 4 * 2, dtype=np.float32).reshape(2, 4, 2)
    eager = rnn(tf.constant(x))
    g = tf.function(rnn, input_signature=[tf.TensorSpec([None, steps, 2], tf.float32)])
    assert _static(g.get_concrete_function().structured_outputs.shape) == (None, steps, 3)
    for n in (2, 1):
        got = g(tf.constant(x[:n]))
        np.testing.assert_allclose(got.numpy(), eager.numpy()[:n], rtol=1e-5, atol=1e-6)


def test_tile_gradient_with_unknown_rank_and_run_time_multiples(tf):
    def f(a, b):
        with tf.GradientTape() as tape:
            tape.watch(a)
            y = tf.reshape(tf.tile(a, [tf.shape(b)[0], 2]), [-1])
            s = tf.reduce_sum(y * y * tf.range(1.0, 1.0 + tf.cast(tf.size(y), tf.float32)))
        return tape.gradient(s, a)

    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    w = np.arange(1.0, 37.0).reshape(6, 6)  # the weights of the tiled [6, 6] output
    want = sum(2 * a * w[2 * i : 2 * i + 2, 3 * j : 3 * j + 3] for i in range(3) for j in range(2))
    u = tf.TensorSpec(None, tf.float32)
    got = tf.function(f, input_signature=[u, u])(tf.constant(a), tf.ones([3, 1]))
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-6)


@pytest.mark.parametrize("shape", [(2, 3), (2, 3, 4)])
def test_transpose_without_perm_gradient_with_unknown_rank(tf, shape):
    def f(a, w):
        with tf.GradientTape() as tape:
            tape.watch(a)
            s = tf.reduce_sum(tf.transpose(a) * w)
        return tape.gradient(s, a)

    a = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    w = np.arange(1.0, 1.0 + a.size, dtype=np.float32).reshape(shape[::-1])
    u = tf.TensorSpec(None, tf.float32)
    got = tf.function(f, input_signature=[u, u])(tf.constant(a), tf.constant(w))
    np.testing.assert_array_equal(got.numpy(), w.T)  # d/da sum(a.T * w) = w.T
