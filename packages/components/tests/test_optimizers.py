"""One optimizer step at a time, against updates computed by hand in NumPy."""

import math

import numpy as np
import pytest

from tensorhouse_components import ops, optimizers

W0 = np.array([[1.0, -2.0], [0.5, 3.0]], np.float32)
G1 = np.array([[0.1, -0.4], [2.0, 0.0]], np.float32)
G2 = np.array([[-0.3, 0.2], [1.0, 0.5]], np.float32)


def _var():
    return ops.Variable(W0.copy(), name="w")


def test_sgd_single_step():
    w = _var()
    opt = optimizers.SGD(learning_rate=0.1)
    opt.apply_gradients([(ops.constant(G1), w)])
    np.testing.assert_allclose(w.numpy(), W0 - 0.1 * G1, rtol=1e-6)
    assert int(opt.iterations) == 1


def test_sgd_momentum_two_steps():
    w = _var()
    opt = optimizers.SGD(learning_rate=0.1, momentum=0.9)
    opt.apply([ops.constant(G1)], [w])
    opt.apply([ops.constant(G2)], [w])
    m1 = -0.1 * G1
    m2 = 0.9 * m1 - 0.1 * G2
    np.testing.assert_allclose(w.numpy(), W0 + m1 + m2, rtol=1e-6)


def test_sgd_nesterov_two_steps():
    w = _var()
    opt = optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
    opt.apply([ops.constant(G1)], [w])
    opt.apply([ops.constant(G2)], [w])
    m1 = -0.1 * G1
    step1 = 0.9 * m1 - 0.1 * G1
    m2 = 0.9 * m1 - 0.1 * G2
    step2 = 0.9 * m2 - 0.1 * G2
    np.testing.assert_allclose(w.numpy(), W0 + step1 + step2, rtol=1e-6)


def _adam_reference(grads, lr=0.01, b1=0.9, b2=0.999, eps=1e-7):
    w, m, v = W0.astype(np.float64), np.zeros_like(W0, np.float64), np.zeros_like(W0, np.float64)
    for t, g in enumerate(grads, start=1):
        lr_t = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        w = w - lr_t * m / (np.sqrt(v) + eps)
    return w


def test_adam_single_step():
    w = _var()
    opt = optimizers.Adam(learning_rate=0.01)
    opt.apply_gradients([(ops.constant(G1), w)])
    np.testing.assert_allclose(w.numpy(), _adam_reference([G1]), rtol=1e-5, atol=1e-7)
    # Step 1 moves every weight with a nonzero gradient by about lr, against its sign.
    moved = W0 - w.numpy()
    np.testing.assert_allclose(moved[G1 != 0], 0.01 * np.sign(G1[G1 != 0]), rtol=1e-3)


def test_adam_three_steps():
    w = _var()
    opt = optimizers.Adam(learning_rate=0.01, beta_1=0.8, beta_2=0.99)
    for g in (G1, G2, G1):
        opt.apply([ops.constant(g)], [w])
    expected = _adam_reference([G1, G2, G1], b1=0.8, b2=0.99)
    np.testing.assert_allclose(w.numpy(), expected, rtol=1e-5, atol=1e-7)
    assert int(opt.iterations) == 3


def test_rmsprop_single_step():
    w = _var()
    optimizers.RMSprop(learning_rate=0.01).apply([ops.constant(G1)], [w])
    v = 0.1 * G1**2
    np.testing.assert_allclose(w.numpy(), W0 - 0.01 * G1 / np.sqrt(v + 1e-7), rtol=1e-5)


def test_apply_gradients_skips_none_and_counts_iterations():
    w, b = _var(), ops.Variable(np.zeros(2, np.float32), name="b")
    opt = optimizers.SGD(learning_rate=1.0)
    with pytest.warns(UserWarning, match=r"Gradients do not exist for variables \['b:0'\]"):
        opt.apply_gradients([(ops.constant(G1), w), (None, b)])
    np.testing.assert_allclose(w.numpy(), W0 - G1)
    np.testing.assert_array_equal(b.numpy(), np.zeros(2))
    assert int(opt.iterations) == 1
    with pytest.raises(ValueError, match="No gradients"):
        opt.apply_gradients([(None, w), (None, b)])


def test_gradients_from_a_tape():
    w = ops.Variable(np.array([2.0, -1.0], np.float32))
    opt = optimizers.SGD(learning_rate=0.25)
    with ops.GradientTape() as tape:
        loss = ops.reduce_sum(ops.square(w))
    opt.apply_gradients(zip(tape.gradient(loss, [w]), [w]))
    np.testing.assert_allclose(w.numpy(), [2.0 - 0.25 * 4.0, -1.0 + 0.25 * 2.0])


def test_clipping():
    w = _var()
    optimizers.SGD(learning_rate=1.0, clipvalue=0.5).apply([ops.constant(G1)], [w])
    np.testing.assert_allclose(w.numpy(), W0 - np.clip(G1, -0.5, 0.5), rtol=1e-6)
    w = _var()
    optimizers.SGD(learning_rate=1.0, clipnorm=1.0).apply([ops.constant(G1)], [w])
    np.testing.assert_allclose(w.numpy(), W0 - G1 / np.linalg.norm(G1), rtol=1e-5)
    with pytest.raises(ValueError, match="Only one of"):
        optimizers.SGD(clipnorm=1.0, clipvalue=1.0)


def test_weight_decay_and_learning_rate_setter():
    w = _var()
    opt = optimizers.SGD(learning_rate=0.1, weight_decay=0.5)
    opt.apply([ops.constant(G1)], [w])
    np.testing.assert_allclose(w.numpy(), W0 * (1 - 0.05) - 0.1 * G1, rtol=1e-6)
    opt.learning_rate = 0.0
    before = w.numpy().copy()
    opt.apply([ops.constant(G1)], [w])
    np.testing.assert_array_equal(w.numpy(), before)


def test_get_and_config():
    assert isinstance(optimizers.get("sgd"), optimizers.SGD)
    assert isinstance(optimizers.get("adam"), optimizers.Adam)
    assert isinstance(optimizers.get("rmsprop"), optimizers.RMSprop)
    opt = optimizers.Adam(learning_rate=0.05, beta_1=0.5)
    clone = optimizers.deserialize(optimizers.serialize(opt))
    assert isinstance(clone, optimizers.Adam) and clone.beta_1 == 0.5
    np.testing.assert_allclose(float(clone.learning_rate), 0.05)
    assert isinstance(optimizers.get("adamax"), optimizers.Adamax)
    with pytest.raises(ValueError, match="'adamaxx'"):
        optimizers.get("adamaxx")


def test_optimizer_refuses_a_variable_it_was_not_built_for():
    opt = optimizers.Adam()
    opt.apply([ops.constant(G1)], [_var()])
    with pytest.raises(ValueError, match="Unknown variable"):
        opt.apply([ops.constant(G1)], [_var()])
