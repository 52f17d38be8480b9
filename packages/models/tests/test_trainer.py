"""The compiled training engine: traced steps, steps_per_execution, jit_compile, data adapters,
the callbacks that steer training, and the progress bar."""

import csv
import io
import math

import numpy as np
import pytest

from tensorhouse_models import (
    Input,
    Model,
    Sequential,
    callbacks,
    data,
    layers,
    ops,
    optimizers,
    utils,
)

RNG = np.random.default_rng(3)
X = RNG.normal(size=(100, 3)).astype(np.float32)
Y = (X @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype(np.float32)
W0 = [np.array([[0.1], [0.2], [-0.1]], np.float32), np.array([0.0], np.float32)]


def linear(**compile_kwargs):
    model = Sequential([Input(shape=(3,)), layers.Dense(1)])
    model.set_weights(W0)
    kwargs = {"optimizer": optimizers.SGD(learning_rate=0.05), "loss": "mse"}
    kwargs.update(compile_kwargs)
    model.compile(**kwargs)
    return model


def numpy_sgd(epochs, batch, lr=0.05):
    w, b = W0[0].astype(np.float64), W0[1].astype(np.float64)
    for _ in range(epochs):
        for s in range(0, len(X), batch):
            x, y = X[s : s + batch], Y[s : s + batch]
            err = x @ w + b - y
            w, b = w - lr * 2 * x.T @ err / len(x), b - lr * 2 * err.sum(0) / len(x)
    return w, b


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"run_eagerly": True}, {"steps_per_execution": 3}, {"steps_per_execution": 7},
     {"jit_compile": True}],
)  # fmt: skip
def test_every_execution_mode_takes_the_same_steps(kwargs):
    if kwargs.get("jit_compile"):
        pytest.importorskip("jax")
    model = linear(**kwargs)
    model.fit(X, Y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    w, b = numpy_sgd(3, 16)
    np.testing.assert_allclose(model.get_weights()[0], w, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(model.get_weights()[1], b, rtol=1e-4, atol=1e-5)
    assert int(model.optimizer.iterations) == 3 * 7


def test_fit_traces_once_per_batch_shape_and_not_per_epoch():
    model = linear()
    model.fit(X, Y, batch_size=16, epochs=4, verbose=0)  # 6 batches of 16, then one of 4
    assert model.train_function.experimental_get_tracing_count() == 2
    model.evaluate(X, Y, batch_size=16, verbose=0)
    model.evaluate(X, Y, batch_size=16, verbose=0)
    assert model.test_function.experimental_get_tracing_count() == 2
    model.predict(X, batch_size=50, verbose=0)
    assert model.predict_function.experimental_get_tracing_count() == 1


def test_run_functions_eagerly_is_honoured():
    from tensorhouse_components.ops import config

    seen = []

    class Probe(layers.Layer):
        def call(self, x):
            seen.append(ops.executing_eagerly())
            return x

    model = Sequential([Input(shape=(3,)), Probe(), layers.Dense(1)])
    model.compile("sgd", "mse")
    seen.clear()  # building the Sequential ran call once
    config.run_functions_eagerly(True)
    try:
        model.fit(X, Y, batch_size=50, epochs=1, verbose=0)
    finally:
        config.run_functions_eagerly(False)
    assert seen == [True, True]  # both batches ran as plain Python
    seen.clear()
    model.fit(X, Y, batch_size=50, epochs=2, verbose=0)
    assert seen == [False]  # one trace, then the graph runs


def test_a_custom_train_step_with_a_tape_is_compiled():
    traces = []

    class Custom(Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)
            self.tracker = None

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            traces.append(1)
            x, y = data
            with ops.GradientTape() as tape:
                loss = ops.reduce_mean(ops.square(self(x) - y))
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply(grads, self.trainable_variables)
            return {"loss": loss}

    model = Custom()
    model(X[:1])
    model.set_weights(W0)
    model.compile(optimizers.SGD(learning_rate=0.05))
    history = model.fit(X, Y, batch_size=20, epochs=3, shuffle=False, verbose=0)
    assert len(traces) == 1
    w, _ = numpy_sgd(3, 20)
    np.testing.assert_allclose(model.get_weights()[0], w, rtol=1e-4, atol=1e-5)
    assert len(history.history["loss"]) == 3


def test_generator_pydataset_and_dataset_inputs():
    def gen():
        for s in range(0, 100, 25):
            yield X[s : s + 25], Y[s : s + 25]

    class Batches(utils.PyDataset):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.epochs_ended = 0

        def __len__(self):
            return 4

        def __getitem__(self, i):
            return X[i * 25 : (i + 1) * 25], Y[i * 25 : (i + 1) * 25]

        def on_epoch_end(self):
            self.epochs_ended += 1

    expected = numpy_sgd(2, 25)
    for source in ("generator", "pydataset", "pydataset-threads", "dataset"):
        model = linear()
        if source == "generator":
            model.fit(gen(), epochs=1, verbose=0)
            model.fit(gen(), epochs=1, verbose=0)
        elif source == "dataset":
            model.fit(data.Dataset.from_tensor_slices((X, Y)).batch(25), epochs=2, verbose=0)
        else:
            batches = Batches(workers=3 if source.endswith("threads") else 1)
            model.fit(batches, epochs=2, shuffle=False, verbose=0)
            assert batches.epochs_ended == 2
        np.testing.assert_allclose(model.get_weights()[0], expected[0], rtol=1e-4, atol=1e-5,
                                   err_msg=source)  # fmt: skip


def test_class_weight_scales_each_sample():
    labels = (np.arange(100) % 2).astype(np.float32)[:, None]
    model = linear()
    pred = X @ W0[0] + W0[1]
    out = model.test_on_batch(X, labels)
    np.testing.assert_allclose(out, np.mean((pred - labels) ** 2), rtol=1e-5)
    weighted = model.train_on_batch(X, labels, class_weight={0: 0.5, 1: 2.0})
    w = np.where(labels[:, 0] == 1, 2.0, 0.5)
    np.testing.assert_allclose(weighted, np.sum(((pred - labels) ** 2)[:, 0] * w) / 100,
                               rtol=1e-5)  # fmt: skip
    model.set_weights(W0)  # as Keras: a class the dict leaves out weighs 1
    partial = model.train_on_batch(X, labels, class_weight={0: 0.5})
    w = np.where(labels[:, 0] == 1, 1.0, 0.5)
    np.testing.assert_allclose(partial, np.sum(((pred - labels) ** 2)[:, 0] * w) / 100,
                               rtol=1e-5)  # fmt: skip
    with pytest.raises(ValueError, match="`class_weight` and `sample_weight` at the same time"):
        model.fit(X, labels, class_weight={0: 1.0}, sample_weight=np.ones(100), verbose=0)
    batches = data.Dataset.from_tensor_slices((X, labels, np.ones(100, np.float32))).batch(50)
    with pytest.raises(ValueError, match="`class_weight` and `sample_weight` at the same time"):
        model.fit(batches, class_weight={0: 1.0}, verbose=0)


def test_dict_inputs_must_name_the_model_inputs():
    a, b = Input(shape=(2,), name="a"), Input(shape=(1,), name="b")
    out = layers.Dense(1)(layers.Dense(3)(a))
    model = Model({"a": a, "b": b}, out)
    model.compile("sgd", "mse")
    model.fit({"a": X[:, :2], "b": X[:, 2:]}, Y, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"unknown: \['c'\]"):
        model.fit({"a": X[:, :2], "c": X[:, 2:]}, Y, epochs=1, verbose=0)


def test_validation_split_freq_and_initial_epoch():
    model = linear()
    history = model.fit(X, Y, batch_size=10, epochs=5, initial_epoch=1, validation_split=0.2,
                        validation_freq=2, verbose=0)  # fmt: skip
    assert history.epoch == [1, 2, 3, 4]
    assert len(history.history["loss"]) == 4 and len(history.history["val_loss"]) == 2
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(data.Dataset.from_tensor_slices((X, Y)).batch(10), validation_split=0.1)


def test_learning_rate_callbacks_reach_the_traced_step():
    model = linear()
    sched = callbacks.LearningRateScheduler(lambda epoch, lr: 0.05 if epoch == 0 else 0.0)
    history = model.fit(X, Y, batch_size=100, epochs=3, verbose=0, callbacks=[sched])
    after_first = numpy_sgd(1, 100)
    np.testing.assert_allclose(model.get_weights()[0], after_first[0], rtol=1e-4, atol=1e-6)
    assert history.history["learning_rate"] == pytest.approx([0.05, 0.0, 0.0])

    model = linear()
    plateau = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=1e9)
    history = model.fit(X, Y, batch_size=100, epochs=4, verbose=0, callbacks=[plateau])
    # no improvement can beat min_delta=1e9 after the first epoch: halved after each later one
    assert history.history["learning_rate"] == pytest.approx([0.05, 0.05, 0.025, 0.0125])
    with pytest.raises(ValueError, match="factor"):
        callbacks.ReduceLROnPlateau(factor=1.5)


def test_csv_logger_appends_and_terminate_on_nan(tmp_path):
    path = tmp_path / "log.csv"
    model = linear(metrics=["mae"])
    model.fit(X, Y, batch_size=50, epochs=2, verbose=0, callbacks=[callbacks.CSVLogger(path)])
    model.fit(X, Y, batch_size=50, epochs=1, verbose=0,
              callbacks=[callbacks.CSVLogger(path, append=True)])  # fmt: skip
    with path.open() as f:
        rows = list(csv.DictReader(f))
    assert [r["epoch"] for r in rows] == ["0", "1", "0"] and set(rows[0]) == {"epoch", "loss",
                                                                            "mae"}  # fmt: skip
    assert float(rows[2]["loss"]) < float(rows[0]["loss"])

    bad = Y.copy()
    bad[60] = np.inf
    model = linear()
    history = model.fit(X, bad, batch_size=20, epochs=3, verbose=0, shuffle=False,
                        callbacks=[callbacks.TerminateOnNaN()])  # fmt: skip
    assert len(history.history["loss"]) == 1 and not math.isfinite(history.history["loss"][0])
    assert int(model.optimizer.iterations) == 4  # stopped after the first bad batch


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_live_progress_bar_redraws_in_place():
    bar = callbacks.Progbar(target=4, interval=0.0, stream=_Tty())
    for step in range(1, 5):
        bar.update(step, {"loss": 1.0 / step})
    text = bar.stream.getvalue()
    frames = text.split("\r")[1:]
    assert len(frames) == 4 and text.endswith("\n")
    assert "\x1b[1m1/4\x1b[0m" in frames[0] and "loss: 1.0000" in frames[0]
    assert frames[1].count("\u2501") == 20 and "loss: 0.5000" in frames[1]
    assert "4/4" in frames[3] and "loss: 0.2500" in frames[3] and "/step" in frames[3]

    quiet = callbacks.Progbar(target=4, interval=0.0, stream=io.StringIO())
    for step in range(1, 5):
        quiet.update(step, {"loss": 1.0})
    assert quiet.stream.getvalue().count("4/4") == 1 and "\r" not in quiet.stream.getvalue()


def test_fit_prints_keras_epoch_lines(capsys):
    model = linear(metrics=["mae"])
    model.fit(X, Y, batch_size=25, epochs=2, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    assert "4/4" in lines[1] and "loss: " in lines[1] and "mae: " in lines[1]
    model.evaluate(X, Y, verbose=0)
    model.predict(X, verbose=0)
    assert capsys.readouterr().out == ""


def test_pandas_frames_and_series_are_arrays():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    target = pd.Series(Y[:, 0])
    model = linear()
    model.fit(frame, target, batch_size=16, epochs=3, shuffle=False, verbose=0)
    w, b = numpy_sgd(3, 16)
    np.testing.assert_allclose(model.get_weights()[0], w, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(model.predict(frame, verbose=0), X @ w + b, rtol=1e-4, atol=1e-5)


def test_predict_and_evaluate_a_two_input_model_from_lists_and_dicts():
    a, b = Input(shape=(2,), name="a"), Input(shape=(1,), name="b")
    out = layers.Dense(1)(layers.Concatenate()([a, b]))
    model = Model([a, b], out)
    model.compile("sgd", "mse")
    xa, xb = X[:, :2], X[:, 2:]
    want = np.asarray(model([xa, xb]))
    np.testing.assert_allclose(model.predict([xa, xb], batch_size=16, verbose=0), want,
                               rtol=1e-6)  # fmt: skip
    np.testing.assert_allclose(model.predict_on_batch([xa, xb]), want, rtol=1e-6)
    loss = model.evaluate([xa, xb], Y, verbose=0)
    np.testing.assert_allclose(loss, np.mean((want - Y) ** 2), rtol=1e-5)
    named = Model({"a": a, "b": b}, out)
    np.testing.assert_allclose(named.predict({"a": xa, "b": xb}, verbose=0), want, rtol=1e-6)


def test_load_weights_reads_a_keras_archive(tmp_path):
    model = linear()
    model.fit(X, Y, batch_size=20, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    fresh = linear()
    fresh.load_weights(tmp_path / "m.keras")
    for got, want in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(got, want)


def test_a_third_batch_size_reuses_the_relaxed_trace():
    model = linear()
    model.fit(X, Y, batch_size=16, epochs=1, shuffle=False, verbose=0)  # 16, then 4
    assert model.train_function.experimental_get_tracing_count() == 2
    model.fit(X[:90], Y[:90], batch_size=16, epochs=1, shuffle=False, verbose=0)  # 16, then 10
    model.fit(X, Y, batch_size=7, epochs=1, shuffle=False, verbose=0)
    assert model.train_function.experimental_get_tracing_count() == 2
    w, b = numpy_sgd(1, 16)
    ref = linear()
    ref.fit(X, Y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(ref.get_weights()[0], w, rtol=1e-4, atol=1e-5)


def test_a_cnn_trains_across_batch_sizes_with_one_relaxed_trace():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 6, 6, 1)).astype(np.float32)
    y = rng.integers(0, 3, 50)
    utils.set_random_seed(7)  # the initial weights and the dropout masks: a fixed run
    model = Sequential([
        Input(shape=(6, 6, 1)), layers.Conv2D(4, 3, activation="relu"),
        layers.BatchNormalization(), layers.MaxPooling2D(), layers.Flatten(), layers.Dropout(0.2),
        layers.Dense(3, activation="softmax"),
    ])  # fmt: skip
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=16, epochs=4, validation_split=0.2, verbose=0)
    assert model.train_function.experimental_get_tracing_count() == 2  # 16 and the relaxed one
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.predict(x, batch_size=7, verbose=0).shape == (50, 3)
