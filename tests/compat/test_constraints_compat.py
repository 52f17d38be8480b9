"""tf.keras.constraints: the four projections and their numbers, config / get / serialize round
trips, and the optimizers applying a variable's constraint after each update (eager, inside
tf.function and in fit)."""

import numpy as np
import pytest

EPS = 1e-7
W = np.array([[3.0, -0.1, 0.5], [4.0, 0.2, -0.5], [0.0, -0.3, 0.5]], np.float32)


def close(a, b, tol=1e-6):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def norms(w, axis):
    return np.sqrt((w.astype(np.float64) ** 2).sum(axis=axis, keepdims=True))


def test_max_norm_numbers_and_axes(tf):
    c = tf.keras.constraints
    n = norms(W, 0)
    close(c.MaxNorm(2.0)(tf.constant(W)), W * np.clip(n, 0, 2.0) / (EPS + n))
    n1 = norms(W, 1)
    close(c.MaxNorm(1.0, axis=1)(tf.constant(W)), W * np.clip(n1, 0, 1.0) / (EPS + n1))
    n01 = norms(W, (0, 1))
    close(c.max_norm(1.5, axis=[0, 1])(tf.constant(W)), W * np.clip(n01, 0, 1.5) / (EPS + n01))
    assert c.MaxNorm().get_config() == {"max_value": 2, "axis": 0}


def test_min_max_norm_rate_unit_norm_non_neg(tf):
    c = tf.keras.constraints
    n = norms(W, 0)
    desired = 0.5 * np.clip(n, 0.4, 1.0) + 0.5 * n
    close(c.MinMaxNorm(0.4, 1.0, rate=0.5)(tf.constant(W)), W * desired / (EPS + n))
    close(c.UnitNorm()(tf.constant(W)), W / (EPS + n))
    close(c.unit_norm(axis=1)(tf.constant(W)), W / (EPS + norms(W, 1)))
    close(c.NonNeg()(tf.constant(W)), np.maximum(W, 0))
    close(c.Constraint()(tf.constant(W)), W)
    assert c.MinMaxNorm().get_config() == {
        "min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0
    }  # fmt: skip
    assert c.UnitNorm().get_config() == {"axis": 0}
    assert c.NonNeg().get_config() == {}


def test_get_serialize_deserialize(tf):
    c = tf.keras.constraints
    for name, cls in [("max_norm", c.MaxNorm), ("MinMaxNorm", c.MinMaxNorm),
                      ("non_neg", c.NonNeg), ("unit_norm", c.UnitNorm)]:  # fmt: skip
        assert isinstance(c.get(name), cls)
    assert c.get(None) is None
    s = c.serialize(c.MaxNorm(3.0, axis=1))
    assert s["class_name"] == "MaxNorm" and s["config"] == {"max_value": 3.0, "axis": 1}
    back = c.deserialize(s)
    assert isinstance(back, c.MaxNorm) and (back.max_value, back.axis) == (3.0, 1)
    got = c.get({"class_name": "UnitNorm", "config": {"axis": 1}})
    assert isinstance(got, c.UnitNorm) and got.axis == 1
    assert isinstance(c.MinMaxNorm.from_config({"min_value": 0.1}), c.MinMaxNorm)
    fn = lambda w: w  # noqa: E731
    assert c.get(fn) is fn
    with pytest.raises(ValueError, match="Could not interpret constraint identifier: foo"):
        c.get("foo")
    with pytest.raises(ValueError, match="Could not interpret constraint identifier: 3"):
        c.get(3)


def test_layer_config_round_trip(tf):
    layers = tf.keras.layers
    d = layers.Dense(
        2, kernel_constraint="non_neg", bias_constraint=tf.keras.constraints.MaxNorm(1)
    )
    cfg = d.get_config()
    assert cfg["kernel_constraint"]["class_name"] == "NonNeg"
    assert cfg["bias_constraint"]["config"] == {"max_value": 1, "axis": 0}
    d2 = layers.Dense.from_config(cfg)
    assert isinstance(d2.kernel_constraint, tf.keras.constraints.NonNeg)
    assert layers.Dense(2).get_config()["kernel_constraint"] is None
    conv = layers.Conv2D(2, 3, kernel_constraint="unit_norm")
    cfg = layers.Conv2D.from_config(conv.get_config()).get_config()
    assert cfg["kernel_constraint"]["class_name"] == "UnitNorm"
    emb = layers.Embedding(4, 2, embeddings_constraint="max_norm")
    assert emb.get_config()["embeddings_constraint"]["class_name"] == "MaxNorm"


def _dense(tf, **kw):
    d = tf.keras.layers.Dense(3, **kw)
    d.build((None, 3))
    d.set_weights([W, np.array([2.0, -1.0, 0.5], np.float32)])
    return d


X = np.array([[1.0, 2.0, -1.0], [0.5, -0.5, 1.0]], np.float32)
Y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 2.0]], np.float32)


def sgd_expected(lr):
    pred = X @ W + np.array([2.0, -1.0, 0.5])
    g = 2 * (pred - Y) / Y.size
    return W - lr * X.T @ g, np.array([2.0, -1.0, 0.5]) - lr * g.sum(0)


def test_constraints_applied_after_each_update(tf):
    d = _dense(tf, kernel_constraint="non_neg", bias_constraint=tf.keras.constraints.MaxNorm(1.0))
    opt = tf.keras.optimizers.SGD(0.1)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(d(X) - Y))
    opt.apply_gradients(zip(tape.gradient(loss, d.trainable_variables), d.trainable_variables))
    k, b = sgd_expected(0.1)
    close(d.kernel, np.maximum(k, 0), 1e-5)
    close(d.bias, b * min(1.0, 1.0 / (EPS + np.linalg.norm(b))), 1e-5)


def test_constraints_applied_in_traced_step(tf):
    d = _dense(tf, kernel_constraint=tf.keras.constraints.UnitNorm(axis=0))
    opt = tf.keras.optimizers.SGD(0.1)

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(d(x) - y))
        grads = tape.gradient(loss, d.trainable_variables)
        opt.apply_gradients(zip(grads, d.trainable_variables))

    step(tf.constant(X), tf.constant(Y))
    k, b = sgd_expected(0.1)
    close(d.kernel, k / (EPS + norms(k, 0)), 1e-5)
    close(d.bias, b, 1e-5)


def test_constraint_in_fit_and_add_weight(tf):
    class Scale(tf.keras.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones",
                                     constraint="non_neg", name="w")  # fmt: skip

        def call(self, x):
            return x * self.w

    inp = tf.keras.Input((3,))
    scale = Scale()
    model = tf.keras.Model(inp, scale(inp))
    model.compile(optimizer=tf.keras.optimizers.SGD(1.0), loss="mse")
    x = np.array([[1.0, 1.0, 1.0]], np.float32)
    y = np.array([[3.0, -4.0, 1.0]], np.float32)
    model.fit(x, y, epochs=1, batch_size=1, verbose=0)
    # gradient of mean((w - y)^2) is 2 (w - y) / 3; w = 1 - 2 (1 - y) / 3, then clipped at 0
    close(scale.w, np.maximum(1.0 - 2.0 * (1.0 - y[0]) / 3.0, 0.0), 1e-5)
    assert isinstance(scale.w.constraint, tf.keras.constraints.NonNeg)
