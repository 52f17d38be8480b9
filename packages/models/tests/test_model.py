"""Model, Sequential and Functional: compile, structure, callbacks, errors."""

import numpy as np
import pytest

from tensorhouse_models import (
    Input,
    Model,
    Sequential,
    callbacks,
    data,
    layers,
    losses,
    metrics,
    ops,
    optimizers,
    regularizers,
    utils,
)

RNG = np.random.default_rng(3)
X = RNG.normal(size=(64, 3)).astype(np.float32)
Y = (X @ np.array([[1.0], [2.0], [-1.0]], np.float32) + 0.5).astype(np.float32)


def small_model(**compile_kwargs):
    model = Sequential([Input(shape=(3,)), layers.Dense(4, activation="tanh"), layers.Dense(1)])
    model.compile(**({"optimizer": "adam", "loss": "mse"} | compile_kwargs))
    return model


def test_bad_loss_string_raises_value_error_naming_it():
    model = Sequential([Input(shape=(3,)), layers.Dense(1)])
    with pytest.raises(ValueError, match="'mean_squarred_error'"):
        model.compile(optimizer="sgd", loss="mean_squarred_error")
    with pytest.raises(ValueError, match="'sgdd'"):
        model.compile(optimizer="sgdd", loss="mse")
    with pytest.raises(ValueError, match="'mea'"):
        model.compile(optimizer="sgd", loss="mse", metrics=["mea"])


def test_fit_needs_compile_and_a_loss():
    model = Sequential([Input(shape=(3,)), layers.Dense(1)])
    with pytest.raises(ValueError, match="compile"):
        model.fit(X, Y, verbose=0)
    model.compile(optimizer="sgd")
    with pytest.raises(ValueError, match="loss"):
        model.fit(X, Y, verbose=0)


def test_compile_resolves_strings_and_objects():
    model = small_model(optimizer="rmsprop", loss=losses.MeanAbsoluteError(), metrics=["mse"])
    assert isinstance(model.optimizer, optimizers.RMSprop)
    assert isinstance(model.loss, losses.MeanAbsoluteError)
    model = Sequential([Input(shape=(3,)), layers.Dense(1)])
    model.compile()  # Keras's default optimizer is rmsprop
    assert isinstance(model.optimizer, optimizers.RMSprop)


def test_structure_weights_and_count_params():
    model = small_model()
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Dense"]
    assert model.count_params() == (3 * 4 + 4) + (4 * 1 + 1)
    assert len(model.trainable_variables) == 4 and model.non_trainable_variables == []
    assert model.input_shape == (None, 3) and model.output_shape == (None, 1)
    weights = model.get_weights()
    model.set_weights([np.zeros_like(w) for w in weights])
    assert all(not np.any(w) for w in model.get_weights())
    model.set_weights(weights)
    assert model.get_layer(model.layers[0].name) is model.layers[0]


SUMMARY = """\
Model: "regressor"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ hidden (Dense)                  │ (None, 4)              │            16 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ out (Dense)                     │ (None, 1)              │             5 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 21 (84.00 B)
 Trainable params: 21 (84.00 B)
 Non-trainable params: 0 (0.00 B)
"""


def test_summary_is_keras_3s_box_table():
    model = Sequential(
        [Input(shape=(3,)), layers.Dense(4, name="hidden"), layers.Dense(1, name="out")],
        name="regressor",
    )
    lines = []
    model.summary(print_fn=lines.append, line_length=76)
    assert lines == [SUMMARY]


def test_summary_of_an_unbuilt_model_marks_the_layers_unbuilt():
    lines = []
    Sequential([layers.Dense(1, name="d")], name="s").summary(print_fn=lines.append)
    assert "│ d (Dense)" in lines[0] and "│ ?  " in lines[0] and "0 (unbuilt) │" in lines[0]
    assert " Total params: 0 (0.00 B)" in lines[0]


def test_sequential_deferred_build_add_and_input_shape_kwarg():
    model = Sequential()
    model.add(layers.Dense(2))
    assert not model.built
    out = model(X[:5])
    assert model.built and out.shape.as_list() == [5, 2]
    assert model.output_shape == (None, 2)
    eager = Sequential([layers.Dense(2, input_shape=(3,))])
    assert eager.built and eager.layers[0].kernel.shape.as_list() == [3, 2]
    with pytest.raises(ValueError, match="Layer"):
        Sequential().add("dense")


def test_sequential_get_config_round_trip():
    model = small_model()
    config = model.get_config()
    clone = Sequential.from_config(config)
    assert [type(layer).__name__ for layer in clone.layers] == ["Dense", "Dense"]
    assert clone.built and clone.get_config()["layers"][1]["config"] == config["layers"][1][
        "config"
    ]  # fmt: skip
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(X), model.predict(X), rtol=1e-6)


def test_metrics_and_evaluate_list():
    model = small_model(metrics=["mae", metrics.MeanSquaredError()])
    history = model.fit(X, Y, epochs=2, batch_size=16, verbose=0)
    assert set(history.history) == {"loss", "mae", "mean_squared_error"}
    loss, mae, mse = model.evaluate(X, Y, verbose=0)
    pred = model.predict(X)
    np.testing.assert_allclose(loss, np.mean((pred - Y) ** 2), rtol=1e-5)
    np.testing.assert_allclose(mse, loss, rtol=1e-6)
    np.testing.assert_allclose(mae, np.mean(np.abs(pred - Y)), rtol=1e-5)
    assert model.metrics_names == ["loss", "compile_metrics"]  # Keras 3's


def test_binary_classification_with_accuracy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 2)).astype(np.float32)
    y = (x[:, :1] + x[:, 1:] > 0).astype(np.float32)
    utils.set_random_seed(1)
    model = Sequential([Input(shape=(2,)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=optimizers.Adam(0.1), loss="binary_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    history = model.fit(x, y, epochs=10, verbose=0)
    assert history.history["accuracy"][-1] > 0.95
    pred = model.predict(x)
    acc = model.evaluate(x, y, return_dict=True, verbose=0)["accuracy"]
    np.testing.assert_allclose(acc, np.mean((pred > 0.5) == (y > 0.5)), rtol=1e-6)


def test_validation_data_and_split():
    model = small_model()
    history = model.fit(X, Y, epochs=3, verbose=0, validation_split=0.25)
    assert len(history.history["val_loss"]) == 3
    history = model.fit(X, Y, epochs=2, verbose=0, validation_data=(X[:8], Y[:8]))
    val = model.evaluate(X[:8], Y[:8], verbose=0)
    np.testing.assert_allclose(history.history["val_loss"][-1], val, rtol=1e-6)


def test_callbacks_see_every_epoch_and_batch():
    seen = {"epochs": [], "batches": 0, "begin": 0}
    cb = callbacks.LambdaCallback(
        on_train_begin=lambda logs: seen.__setitem__("begin", seen["begin"] + 1),
        on_epoch_end=lambda epoch, logs: seen["epochs"].append((epoch, logs["loss"])),
        on_train_batch_end=lambda batch, logs: seen.__setitem__("batches", seen["batches"] + 1),
    )
    model = small_model()
    history = model.fit(X, Y, epochs=3, batch_size=16, verbose=0, callbacks=[cb])
    assert seen["begin"] == 1 and seen["batches"] == 3 * 4
    assert [e for e, _ in seen["epochs"]] == [0, 1, 2]
    assert [loss for _, loss in seen["epochs"]] == history.history["loss"]
    assert model.history is history


def test_early_stopping_stops_and_restores():
    class Worse(callbacks.Callback):
        """Fake a validation loss that improves once, then gets worse."""

        def on_epoch_end(self, epoch, logs=None):
            logs["val_loss"] = [1.0, 0.5, 0.7, 0.8, 0.9, 1.0][epoch]

    stopper = callbacks.EarlyStopping(monitor="val_loss", patience=2)
    model = small_model()
    history = model.fit(X, Y, epochs=6, verbose=0, callbacks=[Worse(), stopper])
    assert len(history.history["loss"]) == 4 and stopper.stopped_epoch == 3


def test_subclassed_model_trains():
    class TwoLayer(Model):
        def __init__(self):
            super().__init__(name="two_layer")
            self.hidden = layers.Dense(8, activation="relu")
            self.out = layers.Dense(1)

        def call(self, inputs, training=None):
            return self.out(self.hidden(inputs))

    utils.set_random_seed(0)
    model = TwoLayer()
    model.compile(optimizer=optimizers.Adam(0.05), loss="mse")
    history = model.fit(X, Y, epochs=15, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.3 * history.history["loss"][0]
    assert len(model.trainable_variables) == 4 and model.count_params() == 3 * 8 + 8 + 9
    other = TwoLayer()
    other.build((None, 3))
    assert other.count_params() == model.count_params()


def test_functional_model_matches_its_layers():
    inp = Input(shape=(3,))
    hidden = layers.Dense(4, activation="relu", name="f_hidden")(inp)
    out = layers.Dense(1, name="f_out")(hidden)
    model = Model(inp, out, name="functional")
    assert isinstance(model, Model) and model.built
    assert [layer.name for layer in model.layers][1:] == ["f_hidden", "f_out"]
    w1, b1, w2, b2 = model.get_weights()
    expected = np.maximum(X @ w1 + b1, 0) @ w2 + b2
    np.testing.assert_allclose(model.predict(X), expected, rtol=1e-5, atol=1e-6)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X, Y, epochs=1, verbose=0)
    lines = []
    model.summary(print_fn=lines.append)
    assert any("f_hidden (Dense)" in line and "(None, 4)" in line for line in lines)
    config = model.get_config()
    assert [item["name"] for item in config["layers"]][1:] == ["f_hidden", "f_out"]


def test_functional_graph_disconnected():
    a, b = Input(shape=(2,)), Input(shape=(2,))
    out = layers.Dense(1)(b)
    with pytest.raises(ValueError, match="disconnected"):
        Model(a, out)


def test_regularization_losses_are_added_in_fit():
    model = Sequential([Input(shape=(3,)),
                        layers.Dense(1, kernel_regularizer=regularizers.L2(10.0))])  # fmt: skip
    model.compile(optimizer=optimizers.SGD(0.01), loss="mse")
    model.fit(X, Y, epochs=20, verbose=0)
    # the minimum of mean((Xw + b - y)^2) + 10 |w|^2, solved in closed form (ridge)
    A = np.hstack([X, np.ones((len(X), 1))]).astype(np.float64)
    penalty = np.diag([10.0, 10.0, 10.0, 0.0]) * len(X)
    ridge = np.linalg.solve(A.T @ A + penalty, A.T @ Y.astype(np.float64))
    w, b = model.get_weights()
    np.testing.assert_allclose(w[:, 0], ridge[:3, 0], atol=0.03)  # heavily shrunk: |w| ~ 0.2
    assert np.abs(w).max() < 0.3


def test_dropout_is_on_in_fit_and_off_in_predict():
    model = Sequential([Input(shape=(3,)), layers.Dropout(0.5, seed=1), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    np.testing.assert_array_equal(model.predict(X), model.predict(X))
    seen = []

    class Probe(layers.Layer):
        def call(self, inputs, training=None):
            seen.append(training)
            return inputs

    probe = Sequential([Input(shape=(3,)), Probe(), layers.Dense(1)])
    probe.compile(optimizer="sgd", loss="mse")
    seen.clear()
    probe.fit(X, Y, epochs=1, batch_size=64, verbose=0)
    probe.predict(X[:2])
    assert seen == [True, False]


def test_predict_on_a_dataset_and_unknown_inputs():
    model = small_model()
    ds = data.Dataset.from_tensor_slices(X).batch(10)
    np.testing.assert_allclose(model.predict(ds), model.predict(X), rtol=1e-6)
    with pytest.raises(TypeError, match="Unrecognized data type"):
        model.predict(object())
    assert isinstance(model(ops.constant(X)), ops.Tensor)
