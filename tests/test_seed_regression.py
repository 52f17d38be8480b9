"""The seed's linear regression at each API level, each using only the layer it names."""

import importlib

import numpy as np


def test_low_level_ops_only(seed_data, assert_recovered):
    ops = importlib.import_module("tensorhouse_ops")
    X, y = (ops.constant(a) for a in seed_data)
    w = ops.Variable(ops.zeros((2, 1)))
    b = ops.Variable(0.0)
    losses = []
    for _ in range(150):
        with ops.GradientTape() as tape:
            loss = ops.reduce_mean(ops.square(ops.matmul(X, w) + b - y))
        dw, db = tape.gradient(loss, [w, b])
        w.assign_sub(0.1 * dw)
        b.assign_sub(0.1 * db)
        losses.append(float(loss))
    assert_recovered(w.numpy(), b.numpy())
    assert losses[-1] < 0.02 < losses[0]  # noise variance is 0.01


def test_mid_level_components_only(seed_data, assert_recovered):
    keras = importlib.import_module("tensorhouse_components")
    X, y = seed_data
    layer = keras.layers.Dense(1)
    loss_fn = keras.losses.MeanSquaredError()
    optimizer = keras.optimizers.SGD(learning_rate=0.1)
    dataset = keras.data.Dataset.from_tensor_slices((X, y)).shuffle(400, seed=3).batch(32)
    tape_cls = keras.ops.GradientTape
    for _ in range(15):
        for xb, yb in dataset:
            with tape_cls() as tape:
                loss = loss_fn(yb, layer(xb))
            grads = tape.gradient(loss, layer.trainable_weights)
            optimizer.apply_gradients(zip(grads, layer.trainable_weights))
    kernel, bias = layer.get_weights()
    assert kernel.shape == (2, 1) and bias.shape == (1,)
    assert_recovered(kernel, bias)
    assert int(optimizer.iterations.numpy()) == 15 * 13  # 13 batches of 32 cover 400 points


def test_high_level_models_only(seed_data, assert_recovered):
    keras = importlib.import_module("tensorhouse_models")
    X, y = seed_data

    def train():
        keras.utils.set_random_seed(11)
        model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
        history = model.fit(X, y, epochs=15, batch_size=32, verbose=0)
        return model, history

    model, history = train()
    kernel, bias = model.get_weights()
    assert_recovered(kernel, bias)
    losses = history.history["loss"]
    assert len(losses) == 15 and losses[-1] < 0.02 < losses[0]
    pred = model.predict(X, verbose=0)
    np.testing.assert_allclose(pred, X @ kernel + bias, rtol=1e-5, atol=1e-5)
    mse = float(np.asarray(model.evaluate(X, y, verbose=0)))
    np.testing.assert_allclose(mse, np.mean((pred - y) ** 2), rtol=1e-4)
    model2, _ = train()  # set_random_seed makes the run repeatable
    for a, b in zip(model.get_weights(), model2.get_weights()):
        np.testing.assert_array_equal(a, b)
