"""The main job: the seed's linear regression, trained at each of the three API levels.

y = X @ [[2.0], [-3.0]] + 3 + noise, 400 points. Each level must recover w and b within 0.1.
Run it with ``tensorhouse demo`` (or ``nox -s demo``).
"""

from __future__ import annotations

import time

import numpy as np

import tensorhouse as tf

TRUE_W = np.array([2.0, -3.0])
TRUE_B = 3.0
TOLERANCE = 0.1


def make_data(n=400, seed=42):
    """The seed's data set: features X (n, 2) and targets y (n, 1), float32."""
    tf.random.set_seed(seed)
    X = tf.random.normal((n, 2))
    noise = tf.random.normal((n, 1), stddev=0.1)
    y = tf.matmul(X, tf.constant([[2.0], [-3.0]])) + 3.0 + noise
    return X, y


def low_level(X, y, steps=200, learning_rate=0.1):
    """Bricks: Variable, GradientTape, reduce_mean, matmul, manual assign_sub updates."""
    w = tf.Variable(tf.zeros((2, 1)), name="w")
    b = tf.Variable(0.0, name="b")
    for _ in range(steps):
        with tf.GradientTape() as tape:
            pred = tf.matmul(X, w) + b
            loss = tf.reduce_mean(tf.square(pred - y))
        dw, db = tape.gradient(loss, [w, b])
        w.assign_sub(learning_rate * dw)
        b.assign_sub(learning_rate * db)
    return w.numpy().reshape(-1), float(b.numpy()), float(loss)


def mid_level(X, y, epochs=20, learning_rate=0.1):
    """Walls: a Dense layer, a loss, an optimizer and a Dataset pipeline."""
    layer = tf.keras.layers.Dense(1)
    loss_fn = tf.keras.losses.MeanSquaredError()
    optimizer = tf.keras.optimizers.SGD(learning_rate=learning_rate)
    dataset = tf.data.Dataset.from_tensor_slices((X, y)).shuffle(400, seed=1).batch(32)
    loss = None
    for _ in range(epochs):
        for xb, yb in dataset:
            with tf.GradientTape() as tape:
                loss = loss_fn(yb, layer(xb))
            grads = tape.gradient(loss, layer.trainable_weights)
            optimizer.apply_gradients(zip(grads, layer.trainable_weights))
    kernel, bias = layer.get_weights()
    return kernel.reshape(-1), float(bias[0]), float(loss)


def high_level(X, y, epochs=20, learning_rate=0.1, verbose=1):
    """Houses: Sequential, compile, fit, predict, get_weights."""
    tf.keras.utils.set_random_seed(7)
    model = tf.keras.Sequential([tf.keras.Input(shape=(2,)), tf.keras.layers.Dense(1)])
    model.compile(optimizer=tf.keras.optimizers.SGD(learning_rate=learning_rate), loss="mse")
    history = model.fit(X, y, epochs=epochs, batch_size=32, verbose=verbose)
    kernel, bias = model.get_weights()
    pred = model.predict(X, verbose=0)
    # predict must agree with the weights it reports
    expected = np.asarray(X) @ kernel + bias
    if pred.shape != (400, 1) or not np.allclose(pred, expected, atol=1e-4):
        raise AssertionError(f"predict disagrees with get_weights: {pred[:3]} vs {expected[:3]}")
    return kernel.reshape(-1), float(bias[0]), history.history["loss"][-1]


def main(verbose=1) -> int:
    X, y = make_data()
    failures = 0
    for name, fn in (("low level (ops)", low_level), ("mid level (components)", mid_level),
                     ("high level (models)", high_level)):  # fmt: skip
        start = time.perf_counter()
        kwargs = {"verbose": verbose} if fn is high_level else {}
        w, b, loss = fn(X, y, **kwargs)
        took = time.perf_counter() - start
        ok = np.all(np.abs(w - TRUE_W) < TOLERANCE) and abs(b - TRUE_B) < TOLERANCE
        failures += not ok
        print(
            f"{name:24s} w = [{w[0]:+.4f}, {w[1]:+.4f}]  b = {b:+.4f}  loss = {loss:.5f}  "
            f"({took:.2f} s)  {'OK' if ok else 'FAILED: not within 0.1 of w=[2,-3], b=3'}",
            flush=True,
        )
    return 1 if failures else 0
