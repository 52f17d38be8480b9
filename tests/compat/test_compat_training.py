"""Keras 3's training engine: log names, metric order, callback order, numbers, summary, errors.

Everything here is checked against real Keras 3 (``TENSORHOUSE_COMPAT_TF=1``) and tensorhouse.
"""

import re

import numpy as np
import pytest

RNG = np.random.default_rng(7)
X = RNG.normal(size=(10, 2)).astype("float32")
Y = RNG.normal(size=(10, 1)).astype("float32")


def _recorder(keras):
    class Recorder(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.calls = []

    for name in [n for n in dir(keras.callbacks.Callback) if n.startswith("on_")]:
        if name in ("on_batch_begin", "on_batch_end"):
            continue

        def hook(self, *args, _name=name, **kwargs):
            self.calls.append((_name, *[a for a in args if isinstance(a, int)]))

        setattr(Recorder, name, hook)
    return Recorder()


def _linear(tf, name="linear"):
    keras = tf.keras
    model = keras.Sequential(
        [keras.Input((2,)), keras.layers.Dense(1, name=f"{name}_dense")], name=name
    )
    model.set_weights([np.array([[0.5], [-0.25]], "float32"), np.array([0.1], "float32")])
    return model


def test_callback_hooks_in_keras_order_with_steps_per_execution(tf):
    model = _linear(tf)
    model.compile("sgd", "mse", steps_per_execution=2)
    rec = _recorder(tf.keras)
    model.fit(X, Y, batch_size=4, epochs=2, verbose=0, validation_data=(X[:6], Y[:6]),
              callbacks=[rec])  # fmt: skip
    epoch = [
        ("on_train_batch_begin", 0), ("on_train_batch_end", 1),
        ("on_train_batch_begin", 2), ("on_train_batch_end", 3),
        ("on_test_begin",), ("on_test_batch_begin", 0), ("on_test_batch_end", 1),
        ("on_test_end",),
    ]  # fmt: skip
    assert rec.calls == [
        ("on_train_begin",),
        ("on_epoch_begin", 0), *epoch, ("on_epoch_end", 0),
        ("on_epoch_begin", 1), *epoch, ("on_epoch_end", 1),
        ("on_train_end",),
    ]  # fmt: skip
    assert rec.params == {"verbose": 0, "epochs": 2, "steps": 3}
    rec = _recorder(tf.keras)
    model.evaluate(X, Y, batch_size=4, verbose=0, callbacks=[rec])
    assert rec.calls == [
        ("on_test_begin",), ("on_test_batch_begin", 0), ("on_test_batch_end", 1),
        ("on_test_batch_begin", 2), ("on_test_batch_end", 3), ("on_test_end",),
    ]  # fmt: skip
    rec = _recorder(tf.keras)
    model.predict(X, batch_size=4, verbose=0, callbacks=[rec])
    assert rec.calls == [
        ("on_predict_begin",), ("on_predict_batch_begin", 0), ("on_predict_batch_end", 1),
        ("on_predict_batch_begin", 2), ("on_predict_batch_end", 3), ("on_predict_end",),
    ]  # fmt: skip


def test_fit_with_sgd_takes_the_numpy_steps(tf):
    model = _linear(tf)
    model.compile(tf.keras.optimizers.SGD(learning_rate=0.1), "mse")
    history = model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    w, b = np.array([[0.5], [-0.25]]), np.array([0.1])
    losses = []
    for _ in range(2):
        total, count = 0.0, 0
        for s in range(0, 10, 4):
            x, y = X[s : s + 4].astype(np.float64), Y[s : s + 4].astype(np.float64)
            err = x @ w + b - y
            total += float(np.mean(err**2)) * len(x)
            count += len(x)
            w = w - 0.1 * 2 * x.T @ err / len(x)
            b = b - 0.1 * 2 * err.sum(0) / len(x)
        losses.append(total / count)
    np.testing.assert_allclose(history.history["loss"], losses, rtol=1e-5)
    np.testing.assert_allclose(model.get_weights()[0], w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.get_weights()[1], b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.evaluate(X, Y, verbose=0),
                               np.mean((X @ w + b - Y) ** 2), rtol=1e-5)  # fmt: skip


def test_sample_weight_and_class_weight_enter_the_loss(tf):
    model = _linear(tf)
    model.compile("sgd", "mse")
    sw = np.arange(10, dtype="float32")
    pred = X @ np.array([[0.5], [-0.25]]) + 0.1
    per = ((pred - Y) ** 2)[:, 0]
    got = model.evaluate(X, Y, sample_weight=sw, batch_size=10, verbose=0)
    np.testing.assert_allclose(got, np.sum(per * sw) / 10, rtol=1e-5)
    labels = (np.arange(10) % 2).astype("float32")[:, None]
    out = model.train_on_batch(X, labels, class_weight={0: 1.0, 1: 3.0})
    w = np.where(labels[:, 0] == 1, 3.0, 1.0)
    np.testing.assert_allclose(out, np.sum(((pred - labels) ** 2)[:, 0] * w) / 10, rtol=1e-5)


def _two_outputs(tf):
    keras = tf.keras
    inp = keras.Input(shape=(2,), name="x")
    a = keras.layers.Dense(1, name="a")(inp)
    b = keras.layers.Dense(3, activation="softmax", name="b")(inp)
    return inp, a, b


def test_log_names_of_a_single_output_model(tf):
    model = _linear(tf)
    model.compile("sgd", "mse", metrics=["mae", tf.keras.metrics.RootMeanSquaredError()])
    history = model.fit(X, Y, epochs=1, verbose=0, validation_split=0.2)
    assert list(history.history) == [
        "loss", "mae", "root_mean_squared_error", "val_loss", "val_mae",
        "val_root_mean_squared_error",
    ]  # fmt: skip
    assert model.metrics_names == ["loss", "compile_metrics"]
    assert set(model.evaluate(X, Y, verbose=0, return_dict=True)) == {
        "loss", "mae", "root_mean_squared_error"
    }  # fmt: skip


def test_logs_come_in_sorted_key_order(tf):
    keras = tf.keras
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    labels = np.arange(10) % 3
    history = model.fit(X, labels, epochs=1, verbose=0, validation_split=0.2)
    assert list(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert list(model.evaluate(X, labels, verbose=0, return_dict=True)) == ["accuracy", "loss"]
    assert list(model.train_on_batch(X, labels, return_dict=True)) == ["accuracy", "loss"]


def test_string_metrics_are_named_after_the_string_and_crossentropy_follows_shapes(tf):
    model = _linear(tf)
    model.compile("sgd", "mse", metrics=["MSE", "mape", "acc"])
    logs = model.evaluate(X, Y, verbose=0, return_dict=True)
    assert sorted(logs) == ["MSE", "acc", "loss", "mape"]
    np.testing.assert_allclose(logs["MSE"], logs["loss"], rtol=1e-6)
    keras = tf.keras
    labels = np.arange(10) % 3
    clf = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, activation="softmax")])
    clf.compile("sgd", "crossentropy", metrics=["accuracy"])
    logs = clf.evaluate(X, labels, verbose=0, return_dict=True)
    pred = clf.predict(X, verbose=0)
    ce = -np.mean(np.log(pred[np.arange(10), labels]))
    np.testing.assert_allclose(logs["loss"], ce, rtol=1e-5)
    np.testing.assert_allclose(logs["accuracy"], np.mean(pred.argmax(-1) == labels), rtol=1e-6)


def test_log_names_and_weights_of_a_multi_output_model(tf):
    inp, a, b = _two_outputs(tf)
    model = tf.keras.Model(inp, {"a": a, "b": b})
    model.compile(
        "sgd",
        loss={"a": "mse", "b": "sparse_categorical_crossentropy"},
        loss_weights={"a": 0.5, "b": 2.0},
        metrics={"a": ["mae"], "b": ["accuracy"]},
        weighted_metrics={"b": ["accuracy"]},
    )
    labels = np.arange(10) % 3
    history = model.fit(X, {"a": Y, "b": labels}, epochs=1, verbose=0)
    assert sorted(history.history) == [
        "a_loss", "a_mae", "b_accuracy", "b_loss", "b_weighted_accuracy", "loss",
    ]  # fmt: skip
    assert model.metrics_names == ["loss", "compile_metrics", "a_loss", "b_loss"]
    logs = model.evaluate(X, {"a": Y, "b": labels}, verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["loss"], 0.5 * logs["a_loss"] + 2.0 * logs["b_loss"],
                               rtol=1e-5)  # fmt: skip
    pred = model.predict(X, verbose=0)
    assert sorted(pred) == ["a", "b"] and pred["b"].shape == (10, 3)
    np.testing.assert_allclose(logs["a_loss"], np.mean((pred["a"] - Y) ** 2), rtol=1e-5)
    ce = -np.mean(np.log(np.clip(pred["b"][np.arange(10), labels], 1e-7, 1.0)))
    np.testing.assert_allclose(logs["b_loss"], ce, rtol=1e-5)
    acc = np.mean(pred["b"].argmax(-1) == labels)
    np.testing.assert_allclose(logs["b_accuracy"], acc, rtol=1e-6)


def test_list_outputs_loss_broadcast_and_evaluate_order(tf):
    inp, a, b = _two_outputs(tf)
    model = tf.keras.Model(inp, [a, b])
    labels = np.arange(10) % 3
    model.compile("sgd", loss=["mse", "sparse_categorical_crossentropy"],
                  metrics=[["mae"], ["accuracy"]])  # fmt: skip
    history = model.fit(X, [Y, labels], epochs=1, verbose=0)
    assert sorted(history.history) == ["a_loss", "a_mae", "b_accuracy", "b_loss", "loss"]
    values = model.evaluate(X, [Y, labels], verbose=0)
    logs = model.evaluate(X, [Y, labels], verbose=0, return_dict=True)
    assert values == pytest.approx(
        [logs[k] for k in ("loss", "a_loss", "b_loss", "a_mae", "b_accuracy")], rel=1e-6
    )
    assert model.output_names == ["a", "b"]
    one = tf.keras.Model(inp, [a, b])
    one.compile("sgd", loss="mse")  # one loss for every output
    y3 = np.eye(3, dtype="float32")[labels]
    assert sorted(one.fit(X, [Y, y3], epochs=1, verbose=0).history) == ["a_loss", "b_loss",
                                                                         "loss"]  # fmt: skip
    logs = one.evaluate(X, [Y, y3], verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["loss"], logs["a_loss"] + logs["b_loss"], rtol=1e-5)
    with pytest.raises(ValueError):
        bad = tf.keras.Model(inp, [a, b])
        bad.compile("sgd", loss="mse", metrics=["mae"])  # a flat list for two outputs
        bad.fit(X, [Y, labels], epochs=1, verbose=0)


def test_errors(tf):
    model = _linear(tf)
    with pytest.raises(ValueError, match=r"You must call `compile\(\)` before using the model"):
        model.fit(X, Y, verbose=0)
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="Data cardinality is ambiguous") as info:
        model.fit(X, Y[:5], verbose=0)
    assert "'x' sizes: 10" in str(info.value) and "'y' sizes: 5" in str(info.value)


def test_on_batch_methods(tf):
    model = _linear(tf)
    model.compile(tf.keras.optimizers.SGD(0.1), "mse", metrics=["mae"])
    pred = X @ np.array([[0.5], [-0.25]]) + 0.1
    loss, mae = model.test_on_batch(X, Y)
    np.testing.assert_allclose([loss, mae], [np.mean((pred - Y) ** 2),
                                             np.mean(np.abs(pred - Y))], rtol=1e-5)  # fmt: skip
    np.testing.assert_allclose(model.predict_on_batch(X), pred, rtol=1e-6)
    logs = model.train_on_batch(X, Y, return_dict=True)
    assert sorted(logs) == ["loss", "mae"]
    np.testing.assert_allclose(logs["loss"], np.mean((pred - Y) ** 2), rtol=1e-5)
    assert not np.allclose(model.predict_on_batch(X), pred)


def test_verbose_2_prints_one_plain_line_per_epoch(tf, capsys):
    model = _linear(tf)
    model.compile("sgd", "mse", metrics=["mae"])
    model.fit(X, Y, batch_size=4, epochs=2, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert re.fullmatch(r"3/3 - \d+s - \d+[mu]?s/step - loss: \d+\.\d{4} - mae: \d+\.\d{4}",
                        lines[3]), lines[3]  # fmt: skip


SUMMARY = """\
Model: "summary_model"
┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃
┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩
│ x (InputLayer)      │ (None, 2)         │          0 │ -                 │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ a (Dense)           │ (None, 1)         │          3 │ x[0][0]           │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ b (Dense)           │ (None, 3)         │          9 │ x[0][0]           │
└─────────────────────┴───────────────────┴────────────┴───────────────────┘
 Total params: 12 (48.00 B)
 Trainable params: 12 (48.00 B)
 Non-trainable params: 0 (0.00 B)
"""


def test_summary_of_a_functional_model(tf):
    inp, a, b = _two_outputs(tf)
    model = tf.keras.Model(inp, [a, b], name="summary_model")
    lines = []
    model.summary(print_fn=lines.append, line_length=76)
    assert lines == [SUMMARY]


def _scripted(keras, values, key="val_score"):
    """A callback that writes ``values[epoch]`` into the epoch logs before later callbacks."""

    class Script(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.snapshots = []

        def on_epoch_end(self, epoch, logs=None):
            logs[key] = values[epoch]
            self.snapshots.append([np.array(w) for w in self.model.get_weights()])

    return Script()


@pytest.mark.parametrize(
    "kwargs, stopped, epochs_run, weights_of",
    [
        ({"patience": 2}, 3, 4, 3),
        ({"patience": 2, "restore_best_weights": True}, 3, 4, 1),
        ({"patience": 1, "start_from_epoch": 3}, 4, 5, 4),
        ({"patience": 2, "baseline": 3.9}, 2, 3, 2),
        ({"patience": 2, "baseline": 4.2, "restore_best_weights": True}, 3, 4, 1),
        ({"patience": 10, "restore_best_weights": True}, 0, 8, 5),
        ({"patience": 0}, 2, 3, 2),
    ],
)  # fmt: skip
def test_early_stopping_as_keras(tf, kwargs, stopped, epochs_run, weights_of):
    values = [5.0, 4.0, 4.5, 4.6, 4.7, 3.0, 3.5, 3.6]
    model = _linear(tf)
    model.compile(tf.keras.optimizers.SGD(0.01), "mse")
    script = _scripted(tf.keras, values)
    stop = tf.keras.callbacks.EarlyStopping(monitor="val_score", mode="min", **kwargs)
    history = model.fit(X, Y, batch_size=5, epochs=8, verbose=0, callbacks=[script, stop])
    assert len(history.history["loss"]) == epochs_run
    assert stop.stopped_epoch == stopped
    # the weights at the end: the last epoch's, or the best epoch's when restored (even
    # without an early stop)
    for a, b in zip(model.get_weights(), script.snapshots[weights_of]):
        np.testing.assert_array_equal(np.asarray(a), b)


def test_add_loss_counts_in_the_loss(tf):
    keras = tf.keras

    class Penalty(keras.layers.Layer):
        def call(self, x):
            self.add_loss(0.5 * tf.reduce_sum(tf.square(x)) / 10.0)
            return x

    model = keras.Sequential([keras.Input((2,)), Penalty(), keras.layers.Dense(1)])
    model.set_weights([np.array([[0.5], [-0.25]], "float32"), np.array([0.1], "float32")])
    model.compile("sgd", "mse")
    got = model.evaluate(X, Y, batch_size=10, verbose=0)
    pred = X @ np.array([[0.5], [-0.25]]) + 0.1
    want = np.mean((pred - Y) ** 2) + 0.5 * np.sum(X**2) / 10.0
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_mixed_float16_compile_wraps_the_optimizer_in_loss_scaling(tf):
    keras = tf.keras
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3),
                                  keras.layers.Dense(1, dtype="float32")])  # fmt: skip
        model.compile(keras.optimizers.SGD(0.05), "mse")
        assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
        history = model.fit(X, Y, batch_size=5, epochs=3, verbose=0)
        assert history.history["loss"][-1] < history.history["loss"][0]
        assert model.layers[0].kernel.dtype == "float32"
        assert model.predict(X, verbose=0).dtype == np.float32
        unscaled = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        unscaled.compile(keras.optimizers.SGD(0.05), "mse", auto_scale_loss=False)
        assert not isinstance(unscaled.optimizer, keras.optimizers.LossScaleOptimizer)
    finally:
        keras.mixed_precision.set_global_policy("float32")
