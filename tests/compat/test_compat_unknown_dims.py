"""tf.function with unknown (None) dims: tf.shape at run time and the ops taking shapes."""

import numpy as np
import pytest

SPEC = ([None, 3], "float32")


def _x(tf, n):
    return tf.constant(np.arange(n * 3, dtype=np.float32).reshape(n, 3) / 4.0 - 1.0)


def _programs(tf):
    return {
        "shape": lambda x: tf.shape(x),
        "size": lambda x: tf.size(x),
        "expand_dims": lambda x: tf.expand_dims(x, 1),
        "squeeze": lambda x: tf.squeeze(tf.expand_dims(x, 1), 1),
        "zeros_like": lambda x: tf.zeros_like(x),
        "ones_like": lambda x: tf.ones_like(x),
        "fill": lambda x: tf.fill(tf.shape(x), 2.5),
        "ones_rows": lambda x: tf.ones([tf.shape(x)[0], 2]),
        "broadcast_to": lambda x: tf.broadcast_to(x[:, :1], tf.shape(x)),
        "reshape_minus_one": lambda x: tf.reshape(x, [-1, 1]),
        "reshape_shape": lambda x: tf.reshape(tf.reshape(x, [-1]), tf.shape(x)),
        "cast_batch": lambda x: tf.cast(tf.shape(x)[0], tf.float32),
        "reduce_mean": lambda x: tf.reduce_mean(x, axis=0),
        "mean_by_count": lambda x: tf.reduce_sum(x) / tf.cast(tf.shape(x)[0], tf.float32),
    }


NAMES = ["shape", "size", "expand_dims", "squeeze", "zeros_like", "ones_like", "fill",
         "ones_rows", "broadcast_to", "reshape_minus_one", "reshape_shape", "cast_batch",
         "reduce_mean", "mean_by_count"]  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
def test_op_traced_with_unknown_batch_matches_eager(tf, name):
    fn = _programs(tf)[name]
    f = tf.function(fn, input_signature=[tf.TensorSpec(*SPEC)])
    for n in (2, 5):
        got, want = f(_x(tf, n)), fn(_x(tf, n))
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    assert f.experimental_get_tracing_count() == 1


def test_static_shapes_keep_the_unknown_dim(tf):
    seen = {}

    def fn(x):
        seen["s"] = tf.shape(x).shape.as_list()
        seen["y"] = tf.reshape(x, [tf.shape(x)[0], 3, 1]).shape.as_list()
        seen["z"] = tf.zeros_like(x).shape.as_list()
        return x

    tf.function(fn, input_signature=[tf.TensorSpec(*SPEC)]).get_concrete_function()
    assert seen == {"s": [2], "y": [None, 3, 1], "z": [None, 3]}


def test_cross_entropies_with_unknown_batch(tf):
    spec = [tf.TensorSpec([None, 3], tf.float32), tf.TensorSpec([None], tf.int32)]

    def fn(x, y):
        dense = tf.nn.softmax_cross_entropy_with_logits(labels=tf.one_hot(y, 3), logits=x)
        sparse = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=x)
        return dense, sparse

    f = tf.function(fn, input_signature=spec)
    for n in (2, 5):
        x, y = _x(tf, n), tf.constant(np.arange(n, dtype=np.int32) % 3)
        z = x.numpy().astype(np.float64)
        ref = -np.log(np.exp(z) / np.exp(z).sum(-1, keepdims=True))[np.arange(n), np.arange(n) % 3]
        dense, sparse = f(x, y)
        np.testing.assert_allclose(dense.numpy(), ref, rtol=1e-5)
        np.testing.assert_allclose(sparse.numpy(), ref, rtol=1e-5)


def test_train_step_with_unknown_batch(tf):
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((3, 4)).astype(np.float32)
    w, b = tf.Variable(w0), tf.Variable(np.zeros(4, np.float32))
    spec = [tf.TensorSpec([None, 3], tf.float32), tf.TensorSpec([None], tf.int32)]

    @tf.function(input_signature=spec)
    def step(x, y):
        with tf.GradientTape() as tape:
            logits = tf.matmul(x, w) + b
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
            )
        gw, gb = tape.gradient(loss, [w, b])
        return loss, gw, gb

    for n in (2, 7):
        x, labels = _x(tf, n).numpy().astype(np.float64), np.arange(n) % 4
        z = x @ w0
        p = np.exp(z - z.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        d = p.copy()
        d[np.arange(n), labels] -= 1
        d /= n
        loss, gw, gb = step(tf.constant(x.astype(np.float32)), tf.constant(labels, tf.int32))
        np.testing.assert_allclose(loss.numpy(), -np.log(p[np.arange(n), labels]).mean(), 1e-5)
        np.testing.assert_allclose(gw.numpy(), x.T @ d, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(gb.numpy(), d.sum(0), rtol=1e-4, atol=1e-6)
    assert step.experimental_get_tracing_count() == 1


def test_reduce_retracing_relaxes_to_an_unknown_dim(tf):
    shapes = []

    @tf.function(reduce_retracing=True)
    def f(x):
        shapes.append(x.shape.as_list())
        return tf.concat([x, tf.ones([tf.shape(x)[0], 1])], axis=1), tf.size(x)

    for n in (2, 3, 5):
        got, size = f(_x(tf, n))
        np.testing.assert_allclose(got.numpy(), np.concatenate([_x(tf, n).numpy(),
                                                                np.ones((n, 1))], 1))  # fmt: skip
        assert int(size) == 3 * n
    assert shapes == [[2, 3], [None, 3]]
