"""Keras 3's engine as a new user meets it (issue 13's audit): loss-dict order, weighted metric
names, ``validation_freq`` lists, one-element input lists, a nested ``Sequential``'s input check
and ``summary()``'s rows. Checked against real Keras 3 (``TENSORHOUSE_COMPAT_TF=1``) and
tensorhouse, with NumPy references for the numbers.
"""

import re

import numpy as np
import pytest

RNG = np.random.default_rng(13)
XA = RNG.normal(size=(12, 3)).astype("float32")
Y_REG = RNG.normal(size=(12, 1)).astype("float32")
Y_CLS = RNG.integers(0, 3, 12)


def _two_output_model(keras):
    a = keras.Input((3,), name="a")
    model = keras.Model(
        a,
        {"reg": keras.layers.Dense(1, name="reg")(a), "cls": keras.layers.Dense(3, name="cls")(a)},
    )
    model.set_weights([np.full(w.shape, 0.1 * (i + 1), "float32")
                       for i, w in enumerate(model.get_weights())])  # fmt: skip
    return model


def _reference_losses(model):
    """NumPy's mse of ``reg`` and sparse cross-entropy (from logits) of ``cls``."""
    k_cls, b_cls, k_reg, b_reg = model.get_weights()  # Keras's layer order: cls, reg by name
    reg = XA @ k_reg + b_reg
    logits = XA @ k_cls + b_cls
    log_p = logits - logits.max(1, keepdims=True)
    log_p = log_p - np.log(np.exp(log_p).sum(1, keepdims=True))
    return float(np.mean((reg - Y_REG) ** 2)), float(-np.mean(log_p[np.arange(12), Y_CLS]))


@pytest.mark.parametrize("order", [("reg", "cls"), ("cls", "reg")])
def test_per_output_losses_come_in_the_loss_dicts_order(tf, order):
    keras = tf.keras
    model = _two_output_model(keras)
    assert [layer.name for layer in model.layers] == ["a", "cls", "reg"]
    kinds = {"reg": "mse", "cls": keras.losses.SparseCategoricalCrossentropy(from_logits=True)}
    weights = {"reg": 1.0, "cls": 0.5}
    model.compile("sgd", loss={k: kinds[k] for k in order}, loss_weights=weights)
    got = model.evaluate(XA, {"reg": Y_REG, "cls": Y_CLS}, batch_size=12, verbose=0)
    assert model.metrics_names == ["loss", f"{order[0]}_loss", f"{order[1]}_loss"]
    mse, ce = _reference_losses(model)
    per = {"reg": mse, "cls": ce}
    np.testing.assert_allclose(got, [mse + 0.5 * ce, per[order[0]], per[order[1]]], rtol=1e-5)


def test_weighted_metrics_keep_their_name_unless_it_is_taken(tf):
    keras = tf.keras
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    model.set_weights([np.array([[0.5], [-0.4], [0.3]], "float32"), np.array([0.1], "float32")])
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy"],
                  weighted_metrics=["accuracy", "mae"])  # fmt: skip
    y = (XA[:, :1] > 0).astype("float32")
    w = np.arange(1.0, 13.0, dtype="float32")
    logs = model.evaluate(XA, y, sample_weight=w, batch_size=12, verbose=0, return_dict=True)
    assert sorted(logs) == ["accuracy", "loss", "mae", "weighted_accuracy"]
    p = 1 / (1 + np.exp(-(XA @ np.array([[0.5], [-0.4], [0.3]]) + 0.1)))
    hit = ((p > 0.5) == (y > 0.5)).astype("float64").ravel()
    np.testing.assert_allclose(logs["accuracy"], hit.mean(), rtol=1e-6)
    np.testing.assert_allclose(logs["weighted_accuracy"], (w * hit).sum() / w.sum(), rtol=1e-6)
    mae = np.abs(y - p).ravel()
    np.testing.assert_allclose(logs["mae"], (w * mae).sum() / w.sum(), rtol=1e-5)


def test_weighted_metrics_of_a_two_output_model_are_named_per_output(tf):
    keras = tf.keras
    model = _two_output_model(keras)
    model.compile("sgd", loss={"reg": "mse", "cls": "sparse_categorical_crossentropy"},
                  weighted_metrics={"reg": ["mae"], "cls": ["accuracy"]})  # fmt: skip
    logs = model.evaluate(XA, {"reg": Y_REG, "cls": Y_CLS}, verbose=0, return_dict=True)
    assert sorted(logs) == ["cls_accuracy", "cls_loss", "loss", "reg_loss", "reg_mae"]


def _linear(keras):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.set_weights([np.array([[0.2], [-0.1], [0.3]], "float32"), np.array([0.0], "float32")])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    return model


def test_validation_freq_as_a_list_of_epochs(tf):
    keras = tf.keras
    model = _linear(keras)
    seen = []

    class Epochs(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_test_begin(self, logs=None):
            seen.append(self.epoch)

    history = model.fit(XA, Y_REG, batch_size=12, epochs=4, verbose=0, shuffle=False,
                        validation_data=(XA, Y_REG), validation_freq=[1, 4],
                        callbacks=[Epochs()])  # fmt: skip
    assert seen == [0, 3]
    assert len(history.history["loss"]) == 4 and len(history.history["val_loss"]) == 2
    k, b = model.get_weights()
    np.testing.assert_allclose(
        history.history["val_loss"][-1], np.mean((XA @ k + b - Y_REG) ** 2), rtol=1e-5
    )
    with pytest.raises(ValueError, match="validation_freq"):
        model.fit(XA, Y_REG, epochs=1, verbose=0, validation_data=(XA, Y_REG),
                  validation_freq="2")  # fmt: skip


def test_a_one_element_list_feeds_a_single_input_sequential(tf):
    keras = tf.keras
    model = _linear(keras)
    np.testing.assert_allclose(model([XA]), model(XA), rtol=1e-6)
    np.testing.assert_allclose(model.predict([XA], verbose=0), XA @ model.get_weights()[0],
                               rtol=1e-5, atol=1e-6)  # fmt: skip
    k0, b0 = model.get_weights()
    model.fit([XA], [Y_REG], batch_size=12, epochs=1, verbose=0)  # [y]: the one output's y
    residual = XA @ k0 + b0 - Y_REG  # one full-batch SGD step on the mean squared error
    np.testing.assert_allclose(model.get_weights()[0], k0 - 0.1 * 2 / 12 * XA.T @ residual,
                               rtol=1e-5)  # fmt: skip
    np.testing.assert_allclose(model.get_weights()[1], b0 - 0.1 * 2 * residual.mean(0), rtol=1e-5)


def test_a_nested_sequential_checks_its_input_shape(tf):
    keras = tf.keras
    inner = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3)], name="inner")
    with pytest.raises(ValueError, match="incompatible with the layer"):
        inner(keras.Input((10,)))
    with pytest.raises(ValueError, match="incompatible with the layer"):
        inner(np.ones((2, 10), "float32"))
    assert tuple(inner(keras.Input((5,))).shape) == (None, 3)


def _rows(model, **kwargs):
    """(layer cell, output shape cell) of each row of ``summary()``'s table."""
    out = []
    model.summary(print_fn=lambda s, **k: out.append(s), **kwargs)
    rows = []
    for line in "\n".join(out).splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if len(cells) >= 3 and cells[0] and "Layer (type)" not in cells[0]:
            rows.append((re.sub(r"_\d+\b", "", cells[0]), cells[1]))
    return rows


def test_summary_rows_inputs_first_nested_and_subclassed_shapes(tf):
    keras = tf.keras
    a, b = keras.Input((8,), name="a"), keras.Input((4,), name="b")
    inner = keras.Sequential([keras.Input((10,)), keras.layers.Dense(3, name="in1")],
                             name="inner")  # fmt: skip
    x = keras.layers.Concatenate(name="cat")(
        [keras.layers.Dense(5, name="da")(a), keras.layers.Dense(5, name="db")(b)]
    )
    model = keras.Model([a, b], keras.layers.Dense(2, name="out")(inner(x)))
    assert [r[0] for r in _rows(model)] == [
        "a (InputLayer)", "b (InputLayer)", "da (Dense)", "db (Dense)", "cat (Concatenate)",
        "inner (Sequential)", "out (Dense)",
    ]  # fmt: skip
    nested = _rows(model, expand_nested=True)
    assert nested[6] == ("└ in1 (Dense)", "(None, 3)")

    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = keras.layers.Dense(3, name="d")
            self.e = keras.layers.Dense(1, name="e")

        def call(self, x):
            return self.e(self.d(x))

    sub = Sub()
    sub(np.ones((2, 5), "float32"))
    assert _rows(sub) == [("d (Dense)", "(2, 3)"), ("e (Dense)", "(2, 1)")]


def test_a_subclass_built_as_model_inputs_outputs_keeps_its_train_step(tf):
    """The TF guide's "customizing fit": ``CustomModel(inputs, outputs)`` with a tape step whose
    logs are not the compiled metrics' names: ``fit`` reports the last step's logs."""
    keras = tf.keras

    class Custom(keras.Model):
        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(self(x, training=True) - y))
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            return {"my_loss": loss}

    inputs = keras.Input((3,))
    model = Custom(inputs, keras.layers.Dense(1)(inputs))
    assert isinstance(model, Custom) and len(model.layers) == 2  # the Input and the Dense
    model.set_weights([np.ones((3, 1), "float32"), np.zeros(1, "float32")])
    model.compile(keras.optimizers.SGD(0.01))
    y = XA[:, :1] * 2.0
    history = model.fit(XA, y, batch_size=6, epochs=2, verbose=0, shuffle=False)
    w, b, last = np.ones((3, 1)), np.zeros(1), []
    for _ in range(2):
        for s in (slice(0, 6), slice(6, 12)):
            err = XA[s] @ w + b - y[s]
            loss = float(np.mean(err**2))
            w, b = w - 0.01 * 2 / 6 * XA[s].T @ err, b - 0.01 * 2 * err.mean(0)
        last.append(loss)
    assert list(history.history) == ["my_loss"]
    np.testing.assert_allclose(history.history["my_loss"], last, rtol=1e-5)
    np.testing.assert_allclose(model.get_weights()[0], w, rtol=1e-5)


def test_learning_rate_scheduler_takes_a_one_argument_schedule(tf):
    keras = tf.keras
    model = _linear(keras)
    k0, b0 = model.get_weights()
    schedule = keras.callbacks.LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1))
    history = model.fit(XA, Y_REG, batch_size=12, epochs=2, verbose=0, shuffle=False,
                        callbacks=[schedule])  # fmt: skip
    np.testing.assert_allclose(history.history["learning_rate"], [0.1, 0.05], rtol=1e-6)
    k, b = k0.astype("float64"), b0.astype("float64")
    for lr in (0.1, 0.05):  # full-batch SGD steps on the mean squared error
        err = XA @ k + b - Y_REG
        k, b = k - lr * 2 / 12 * XA.T @ err, b - lr * 2 * err.mean(0)
    np.testing.assert_allclose(model.get_weights()[0], k, rtol=1e-5)


def test_compile_config_round_trip(tf):
    keras = tf.keras
    model = _linear(keras)
    assert keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)]).get_compile_config() == {}
    model.compile(keras.optimizers.SGD(0.25), "mae", metrics=["mse"], steps_per_execution=2)
    config = model.get_compile_config()
    assert sorted(config) == ["jit_compile", "loss", "loss_weights", "metrics", "optimizer",
                              "run_eagerly", "steps_per_execution", "weighted_metrics"]  # fmt: skip
    assert config["steps_per_execution"] == 2 and config["run_eagerly"] is False
    other = keras.models.clone_model(model)
    other.set_weights(model.get_weights())
    other.compile_from_config(config)
    assert other.steps_per_execution == 2
    np.testing.assert_allclose(float(other.optimizer.learning_rate), 0.25)
    logs = other.evaluate(XA, Y_REG, batch_size=12, verbose=0, return_dict=True)
    k, b = model.get_weights()
    np.testing.assert_allclose(logs["loss"], np.mean(np.abs(XA @ k + b - Y_REG)), rtol=1e-5)
    np.testing.assert_allclose(logs["mse"], np.mean((XA @ k + b - Y_REG) ** 2), rtol=1e-5)


def test_a_functional_subclass_survives_clone_and_keras_file(tf, tmp_path):
    keras = tf.keras

    class Scaled(keras.Model):
        def predict_step(self, data):
            return 2.0 * self(data, training=False)

    inputs = keras.Input((3,))
    model = Scaled(inputs, keras.layers.Dense(2)(inputs))
    model.compile("sgd", "mse")
    k, b = model.get_weights()
    np.testing.assert_allclose(model.predict(XA, verbose=0), 2 * (XA @ k + b), rtol=1e-5)
    clone = keras.models.clone_model(model)
    assert isinstance(clone, Scaled) and type(clone).__name__ == "Scaled"
    model.save(tmp_path / "scaled.keras")
    loaded = keras.models.load_model(tmp_path / "scaled.keras", custom_objects={"Scaled": Scaled})
    assert isinstance(loaded, Scaled)
    np.testing.assert_allclose(loaded.predict(XA, verbose=0), 2 * (XA @ k + b), rtol=1e-5)


def test_the_guides_custom_step_over_self_metrics(tf):
    """Keras 3's "customizing fit" step: ``compute_loss``, then every metric of ``self.metrics``
    updated and returned (``compile_metrics`` a dict, flattened into the logs as Keras does)."""
    keras = tf.keras

    class Guide(keras.Model):
        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply(grads, self.trainable_variables)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    inputs = keras.Input((3,))
    model = Guide(inputs, keras.layers.Dense(1)(inputs))
    model.set_weights([np.full((3, 1), 0.1, "float32"), np.zeros(1, "float32")])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    history = model.fit(XA, Y_REG, epochs=2, batch_size=4, verbose=0, shuffle=False)
    w, b, want = np.full((3, 1), 0.1), np.zeros(1), {"loss": [], "mae": []}
    for _ in range(2):
        losses, errors = [], []
        for s in (slice(0, 4), slice(4, 8), slice(8, 12)):
            err = XA[s] @ w + b - Y_REG[s]
            losses.append(np.mean(err**2))
            w, b = w - 0.05 * 2 / 4 * XA[s].T @ err, b - 0.05 * 2 * err.mean(0)
            errors.append(np.abs(err))
        want["loss"].append(np.mean(losses))
        want["mae"].append(np.mean(np.concatenate(errors)))
    assert sorted(history.history) == ["loss", "mae"]
    for key in ("loss", "mae"):
        np.testing.assert_allclose(history.history[key], want[key], rtol=1e-5)


def test_class_weight_defaults_to_one_and_excludes_sample_weight(tf):
    keras = tf.keras
    model = _linear(keras)
    labels = np.array([0, 1, 2, 1, 0, 2, 1, 1, 0, 2, 2, 0], "float32")[:, None]
    k, b = model.get_weights()
    per = ((XA @ k + b - labels) ** 2)[:, 0]
    out = model.test_on_batch(XA, labels)
    np.testing.assert_allclose(out, per.mean(), rtol=1e-5)
    weighted = model.train_on_batch(XA, labels, class_weight={0: 0.5, 2: 3.0})  # 1: weight 1
    w = np.select([labels[:, 0] == 0, labels[:, 0] == 2], [0.5, 3.0], 1.0)
    np.testing.assert_allclose(weighted, np.sum(per * w) / 12, rtol=1e-5)
    with pytest.raises(ValueError, match="`class_weight` and `sample_weight` at the same time"):
        model.fit(XA, labels, class_weight={0: 1.0}, sample_weight=np.ones(12), verbose=0)
