"""Traced functions with unknown (None) dims: tf.shape and the ops taking shapes at run time."""

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_kernels.runtime import list_kernels

SPEC = [tf.TensorSpec([None, 3], tf.float32)]
# jit_compile needs the XLA kernels (JAX); the ops layer alone runs the plain traced path
NEEDS_XLA = pytest.mark.skipif(not list_kernels(device_type="XLA_CPU"), reason="no JAX / XLA")
JIT = [False, pytest.param(True, marks=NEEDS_XLA)]


def _x(n):
    return tf.constant(np.arange(n * 3, dtype=np.float32).reshape(n, 3) / 4.0 - 1.0)


def _check(fn, spec=SPEC, sizes=(2, 5), make=_x, jit=False):
    """``fn`` traced once with ``spec``, run at each batch size: values equal to eager."""
    f = tf.function(fn, input_signature=spec, jit_compile=jit)
    for n in sizes:
        args = make(n)
        args = args if isinstance(args, tuple) else (args,)
        want = fn(*args)
        got = f(*args)
        for w, g in zip(tf.nest.flatten(want), tf.nest.flatten(got)):
            assert g.shape == w.shape and g.dtype == w.dtype
            np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-6, atol=1e-6)
    assert f.experimental_get_tracing_count() == 1
    return f


CASES = {
    "shape": lambda x: tf.shape(x),
    "shape_int64": lambda x: tf.shape(x, out_type=tf.int64),
    "size": lambda x: tf.size(x),
    "expand_dims": lambda x: tf.expand_dims(x, 1),
    "expand_dims_neg": lambda x: tf.expand_dims(x, -1),
    "squeeze": lambda x: tf.squeeze(tf.expand_dims(x, 1), 1),
    "squeeze_all": lambda x: tf.squeeze(tf.expand_dims(x, 0)),
    "zeros_like": lambda x: tf.zeros_like(x),
    "ones_like_int": lambda x: tf.ones_like(x, dtype=tf.int32),
    "fill": lambda x: tf.fill(tf.shape(x), 2.5),
    "zeros_of_shape": lambda x: tf.zeros(tf.shape(x)),
    "ones_rows": lambda x: tf.ones([tf.shape(x)[0], 2]),
    "broadcast_to": lambda x: tf.broadcast_to(x[:, :1], tf.shape(x)),
    "reshape_minus_one": lambda x: tf.reshape(x, [-1, 1]),
    "reshape_shape": lambda x: tf.reshape(tf.reshape(x, [-1]), tf.shape(x)),
    "reshape_list": lambda x: tf.reshape(x, [tf.shape(x)[0], 3, 1]),
    "cast_batch": lambda x: tf.cast(tf.shape(x)[0], tf.float32),
    "mean_by_count": lambda x: tf.reduce_sum(x) / tf.cast(tf.shape(x)[0], tf.float32),
    "reduce_mean": lambda x: tf.reduce_mean(x, axis=0),
    "reduce_mean_all": lambda x: tf.reduce_mean(x),
    "shape_arith": lambda x: tf.shape(x)[0] * 2 + tf.size(x),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_op_with_unknown_batch(name):
    _check(CASES[name])


def test_static_shape_propagates():
    seen = {}

    def fn(x):
        y = tf.reshape(x, [tf.shape(x)[0], 3, 1])
        z = tf.broadcast_to(x[:, :1], tf.shape(x))
        seen["shapes"] = (x.shape, tf.shape(x).shape, y.shape, z.shape, tf.zeros_like(x).shape)
        return y

    tf.function(fn, input_signature=SPEC)(_x(2))
    xs, s, y, z, zl = seen["shapes"]
    assert xs.as_list() == [None, 3] and s.as_list() == [2]
    assert y.as_list() == [None, 3, 1] and z.as_list() == [None, 3] and zl.as_list() == [None, 3]


def test_fully_known_shape_is_a_constant():
    f = tf.function(lambda x: tf.shape(x) + 0)
    f(_x(2))
    types = [op.type for op in f.get_concrete_function(_x(2)).graph.get_operations()]
    assert "Shape" not in types
    g = tf.function(lambda x: tf.shape(x) + 0, input_signature=SPEC)
    types = [op.type for op in g.get_concrete_function().graph.get_operations()]
    assert "Shape" in types


def _labels(n):
    return np.arange(n) % 3


def test_softmax_cross_entropy_unknown_batch():
    spec = [tf.TensorSpec([None, 3], tf.float32), tf.TensorSpec([None, 3], tf.float32)]

    def make(n):
        return _x(n), tf.one_hot(_labels(n), 3)

    def fn(x, y):
        return tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=x)

    _check(fn, spec, make=make)
    z = np.asarray(_x(4).numpy(), np.float64)
    ref = -np.log(np.exp(z) / np.exp(z).sum(-1, keepdims=True))[np.arange(4), _labels(4)]
    got = tf.function(fn, input_signature=spec)(*make(4))
    np.testing.assert_allclose(got.numpy(), ref, rtol=1e-5)


def test_sparse_softmax_cross_entropy_and_one_hot_unknown_batch():
    spec = [tf.TensorSpec([None, 3], tf.float32), tf.TensorSpec([None], tf.int32)]

    def make(n):
        return _x(n), tf.constant(_labels(n).astype(np.int32))

    def sparse(x, y):
        return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=x)

    def dense(x, y):
        return tf.nn.softmax_cross_entropy_with_logits(labels=tf.one_hot(y, 3), logits=x)

    _check(sparse, spec, make=make)
    _check(dense, spec, make=make)
    _check(lambda x, y: tf.one_hot(y, 4), spec, make=make)


def _train_setup():
    rng = np.random.default_rng(0)
    w = tf.Variable(rng.standard_normal((3, 4)).astype(np.float32))
    b = tf.Variable(np.zeros(4, np.float32))

    def loss_and_grads(x, y):
        with tf.GradientTape() as tape:
            logits = tf.matmul(x, w) + b
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
            )
        gw, gb = tape.gradient(loss, [w, b])
        return loss, gw, gb

    return w, b, loss_and_grads


def _numeric_grad(w, b, x, y):
    """Finite-difference gradient of the mean cross-entropy in float64."""
    x, w, b = (np.asarray(v, np.float64) for v in (x, w, b))

    def loss(w, b):
        z = x @ w + b
        z = z - z.max(-1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
        return -logp[np.arange(len(y)), y].mean()

    gw, gb = np.zeros_like(w), np.zeros_like(b)
    eps = 1e-6
    for idx in np.ndindex(w.shape):
        d = np.zeros_like(w)
        d[idx] = eps
        gw[idx] = (loss(w + d, b) - loss(w - d, b)) / (2 * eps)
    for i in range(len(b)):
        d = np.zeros_like(b)
        d[i] = eps
        gb[i] = (loss(w, b + d) - loss(w, b - d)) / (2 * eps)
    return gw, gb


@pytest.mark.parametrize("jit", JIT)
def test_train_step_gradients_unknown_batch(jit):
    w, b, fn = _train_setup()
    spec = [tf.TensorSpec([None, 3], tf.float32), tf.TensorSpec([None], tf.int32)]
    f = tf.function(fn, input_signature=spec, jit_compile=jit)
    for n in (2, 7):
        x, y = _x(n), tf.constant(_labels(n).astype(np.int32))
        loss, gw, gb = f(x, y)
        el, egw, egb = fn(x, y)
        np.testing.assert_allclose(loss.numpy(), el.numpy(), rtol=1e-5)
        np.testing.assert_allclose(gw.numpy(), egw.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(gb.numpy(), egb.numpy(), rtol=1e-5, atol=1e-6)
        nw, nb = _numeric_grad(w.numpy(), b.numpy(), x.numpy(), _labels(n))
        np.testing.assert_allclose(gw.numpy(), nw, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(gb.numpy(), nb, rtol=1e-4, atol=1e-5)
    assert f.experimental_get_tracing_count() == 1


def test_train_step_updates_variables_unknown_batch():
    w, b, fn = _train_setup()
    w2, b2 = tf.Variable(w.numpy()), tf.Variable(b.numpy())

    def step(x, y, w, b):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(
                labels=tf.one_hot(y, 4), logits=tf.matmul(x, w) + b))  # fmt: skip
        gw, gb = tape.gradient(loss, [w, b])
        w.assign_sub(0.5 * gw)
        b.assign_sub(0.5 * gb)
        return loss

    spec = [tf.TensorSpec([None, 3], tf.float32), tf.TensorSpec([None], tf.int32)]
    f = tf.function(lambda x, y: step(x, y, w, b), input_signature=spec)
    for n in (3, 6, 2):
        x, y = _x(n), tf.constant(_labels(n).astype(np.int32))
        np.testing.assert_allclose(f(x, y).numpy(), step(x, y, w2, b2).numpy(), rtol=1e-5)
        np.testing.assert_allclose(w.numpy(), w2.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(b.numpy(), b2.numpy(), rtol=1e-5, atol=1e-6)


def test_gradients_of_shape_taking_ops_unknown_batch():
    def fn(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reshape(x * x, [tf.shape(x)[0], 3, 1])
            z = tf.broadcast_to(tf.expand_dims(x[:, 0], 1), tf.shape(x))
            loss = tf.reduce_sum(tf.squeeze(y, 2) * z) + tf.reduce_mean(x * 3.0)
        return tape.gradient(loss, x)

    for jit in (False, True) if list_kernels(device_type="XLA_CPU") else (False,):
        f = tf.function(fn, input_signature=SPEC, jit_compile=jit)
        for n in (2, 4):
            x = _x(n).numpy()
            want = 2 * x * x[:, :1]
            want[:, 0] += (x * x).sum(1)
            want += 3.0 / x.size
            np.testing.assert_allclose(f(tf.constant(x)).numpy(), want, rtol=1e-5)


def test_gradient_outside_the_function_unknown_batch():
    f = tf.function(lambda x: tf.reduce_mean(tf.reshape(x, tf.shape(x)) ** 2), input_signature=SPEC)
    x = _x(4)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), 2 * x.numpy() / 12, rtol=1e-6)


def test_reduce_retracing_relaxes_and_runs_a_third_size():
    calls = []

    def fn(x):
        calls.append(x.shape.as_list())
        ones = tf.ones([tf.shape(x)[0], 1])
        return tf.concat([x, ones], axis=1), tf.cast(tf.size(x), tf.float32)

    f = tf.function(fn, reduce_retracing=True)
    for n in (2, 3, 5, 9):
        got, size = f(_x(n))
        np.testing.assert_allclose(got.numpy(), np.concatenate([_x(n).numpy(), np.ones((n, 1))], 1))
        assert float(size) == n * 3
    assert f.experimental_get_tracing_count() == 2
    assert calls == [[2, 3], [None, 3]]


@NEEDS_XLA
@pytest.mark.parametrize("name", ["shape", "fill", "broadcast_to", "reshape_shape", "squeeze"])
def test_jit_compile_unknown_batch(name):
    _check(CASES[name], jit=True)


def test_bad_shapes_still_raise():
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.function(lambda x: tf.squeeze(x, 1), input_signature=SPEC).get_concrete_function()
    f = tf.function(lambda x: tf.broadcast_to(x, [tf.shape(x)[0], 4]), input_signature=SPEC)
    with pytest.raises(tf.errors.InvalidArgumentError):
        f(_x(2))


@pytest.mark.parametrize("jit", JIT)
def test_random_ops_with_a_run_time_shape(jit):
    def fn(x):
        u = tf.random.uniform(tf.shape(x), seed=3)
        return u, tf.nn.dropout(x, 0.5, seed=4), tf.random.normal([tf.shape(x)[0], 2])

    def draws():
        tf.random.set_seed(1)
        f = tf.function(fn, input_signature=SPEC, jit_compile=jit)
        return [[t.numpy() for t in f(_x(n))] for n in (4, 4, 6)]

    first = draws()
    for (u, d, z), n in zip(first, (4, 4, 6)):
        assert u.shape == (n, 3) and d.shape == (n, 3) and z.shape == (n, 2)
        assert ((u >= 0) & (u < 1)).all()
        x = _x(n).numpy()
        kept = d != 0
        np.testing.assert_allclose(d[kept], 2 * x[kept], rtol=1e-6)
    assert not np.array_equal(first[0][0], first[1][0])  # each call draws new numbers
    for a, b in zip(first, draws()):  # the same seeds give the same numbers
        for p, q in zip(a, b):
            np.testing.assert_array_equal(p, q)


def test_reshape_infers_the_minus_one_beside_the_unknown_batch():
    seen = []

    def fn(x):
        y = tf.reshape(x, [tf.shape(x)[0], -1])
        z = tf.reshape(x, [-1, tf.shape(x)[1], tf.shape(x)[2] // 2, 2])
        seen.append((y.shape.as_list(), z.shape.as_list()))
        return y, z

    spec = [tf.TensorSpec([None, 2, None], tf.float32)]
    _check(fn, spec, make=lambda n: tf.reshape(tf.range(n * 16, dtype=tf.float32), [n, 2, 8]))
    assert ([None, None], [None, 2, None, 2]) in seen  # the trace (the rest: eager runs)
    f = tf.function(lambda x: tf.reshape(x, [tf.shape(x)[0], -1]), input_signature=[
        tf.TensorSpec([None, 2, 4], tf.float32)])  # fmt: skip
    assert f.get_concrete_function().outputs[0].shape.as_list() == [None, 8]


def test_convolution_gradients_with_an_unknown_batch():
    rng = np.random.default_rng(0)
    w = tf.Variable(rng.normal(size=(3, 3, 2, 4)).astype("float32"))
    dw = tf.Variable(rng.normal(size=(3, 3, 2, 2)).astype("float32"))

    def grads(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.nn.conv2d(x, w, 1, "SAME")
            z = tf.nn.depthwise_conv2d(x, dw, [1, 1, 1, 1], "SAME")
            loss = tf.reduce_sum(y * y) + tf.reduce_sum(z)
        return tape.gradient(loss, [x, w, dw])

    traced = tf.function(grads, input_signature=[tf.TensorSpec([None, 5, 5, 2])])
    for n in (2, 3):
        x = tf.constant(rng.normal(size=(n, 5, 5, 2)).astype("float32"))
        for got, want in zip(traced(x), grads(x)):
            np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-5)
    assert traced.experimental_get_tracing_count() == 1
