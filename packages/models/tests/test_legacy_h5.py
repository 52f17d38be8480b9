"""Legacy whole-model ``.h5`` files: files real Keras 3.15 wrote (kept in ``data/legacy_h5``,
made by ``tests/compat/make_legacy_h5_data.py``), files in TF 2.15's Keras 2 layout built here
from that layout, round trips, ``load_weights`` by order and by name, and bad files."""

from __future__ import annotations

import json
import os
import warnings

import h5py
import numpy as np
import pytest

import tensorhouse_models as keras
from tensorhouse_models.saving import load_model

DATA = os.path.join(os.path.dirname(__file__), "data", "legacy_h5")
EXPECTED = np.load(os.path.join(DATA, "expected.npz"))


def run(model, *x):
    return np.asarray(model(x[0] if len(x) == 1 else list(x), training=False))


# ---- files written by real Keras 3.15 ---------------------------------------------------------
def test_reads_keras3_cnn_with_optimizer_state():
    model = load_model(os.path.join(DATA, "cnn.h5"))
    np.testing.assert_allclose(run(model, EXPECTED["xi"]), EXPECTED["cnn"], rtol=1e-5, atol=1e-6)
    assert type(model.optimizer).__name__ == "Adam"
    assert model.optimizer.learning_rate.numpy() == pytest.approx(0.01)
    saved = [EXPECTED[f"cnn_opt_{i}"] for i in range(len(model.optimizer.variables))]
    assert len(saved) == len([k for k in EXPECTED.files if k.startswith("cnn_opt_")])
    for variable, value in zip(model.optimizer.variables, saved):
        np.testing.assert_allclose(np.asarray(variable.numpy()), value, rtol=1e-6)
    # compiled: it trains on from the restored state
    model.fit(EXPECTED["xi"], np.zeros(16, "int64"), batch_size=4, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == int(EXPECTED["cnn_opt_0"]) + 4


def test_reads_keras3_functional_two_inputs_uncompiled():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = load_model(os.path.join(DATA, "two_inputs.h5"))
    assert any("No training configuration" in str(w.message) for w in caught)
    got = run(model, EXPECTED["xa"], EXPECTED["xb"])
    np.testing.assert_allclose(got, EXPECTED["two"], rtol=1e-5, atol=1e-6)
    assert [i.name for i in model.inputs] == ["a", "b"]


def test_reads_keras3_recurrent_model():
    model = load_model(os.path.join(DATA, "rnn.h5"))
    np.testing.assert_allclose(run(model, EXPECTED["xs"]), EXPECTED["rnn"], rtol=1e-4, atol=1e-5)
    assert type(model.optimizer).__name__ == "RMSprop"


def test_compile_false_leaves_the_model_uncompiled():
    model = load_model(os.path.join(DATA, "cnn.h5"), compile=False)
    assert not model.compiled
    np.testing.assert_allclose(run(model, EXPECTED["xi"]), EXPECTED["cnn"], rtol=1e-5, atol=1e-6)


# ---- round trips ------------------------------------------------------------------------------
def mlp():
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(3, activation="relu", name="dense"),
            keras.layers.BatchNormalization(name="batch_normalization"),
            keras.layers.Dense(2, name="dense_1"),
        ],
        name="sequential",
    )
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


X = np.random.default_rng(1).random((8, 4)).astype("float32")
Y = np.random.default_rng(2).random((8, 2)).astype("float32")


def test_round_trip_layout_predictions_and_optimizer(tmp_path):
    model = mlp()
    model.fit(X, Y, epochs=2, verbose=0)
    path = str(tmp_path / "m.h5")
    with pytest.warns(UserWarning, match="considered legacy"):
        model.save(path)
    with h5py.File(path) as f:
        assert set(f.attrs) == {"keras_version", "backend", "model_config", "training_config"}
        assert json.loads(f.attrs["model_config"])["class_name"] == "Sequential"
        training = json.loads(f.attrs["training_config"])
        assert training["loss"] == "mse" and training["optimizer_config"]["class_name"] == "Adam"
        names = [n.decode() for n in f["model_weights"].attrs["layer_names"]]
        assert names == ["dense", "batch_normalization", "dense_1"]
        bn = [n.decode() for n in f["model_weights/batch_normalization"].attrs["weight_names"]]
        assert bn == [
            "sequential/batch_normalization/gamma", "sequential/batch_normalization/beta",
            "sequential/batch_normalization/moving_mean",
            "sequential/batch_normalization/moving_variance",
        ]  # fmt: skip
        kernel = f["model_weights/dense/sequential/dense/kernel"][()]
        np.testing.assert_array_equal(kernel, model.layers[0].kernel.numpy())
        assert len(f["optimizer_weights"].attrs["weight_names"]) == len(model.optimizer.variables)
    loaded = load_model(path)
    np.testing.assert_allclose(run(loaded, X), run(model, X), rtol=1e-6)
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(np.asarray(a.numpy()), np.asarray(b.numpy()))
    assert loaded.evaluate(X, Y, verbose=0) == pytest.approx(model.evaluate(X, Y, verbose=0))


def test_include_optimizer_false_writes_no_training_config(tmp_path):
    model = mlp()
    model.fit(X, Y, verbose=0)
    path = str(tmp_path / "m.hdf5")
    with pytest.warns(UserWarning):
        keras.saving.save_model(model, path, include_optimizer=False)
    with h5py.File(path) as f:
        assert "training_config" not in f.attrs and "optimizer_weights" not in f
    with pytest.warns(UserWarning, match="No training configuration"):
        loaded = load_model(path)
    np.testing.assert_allclose(run(loaded, X), run(model, X), rtol=1e-6)


def test_many_long_layer_names_split_the_attribute(tmp_path):
    layers = [keras.Input((2,))]
    layers += [keras.layers.Dense(2, name=f"layer_{i:04d}_" + "x" * 200) for i in range(400)]
    model = keras.Sequential(layers)
    path = str(tmp_path / "long.h5")
    with pytest.warns(UserWarning):
        model.save(path)
    with h5py.File(path) as f:
        assert "layer_names" not in f["model_weights"].attrs
        assert "layer_names0" in f["model_weights"].attrs
    with pytest.warns(UserWarning, match="No training configuration"):
        loaded = load_model(path)
    x = np.ones((1, 2), "float32")
    np.testing.assert_allclose(run(loaded, x), run(model, x), rtol=1e-5)


# ---- Keras 2 files (TF 2.0-2.15), built from the documented layout ---------------------------
def _init(name):
    return {"module": "keras.initializers", "class_name": name, "config": {"seed": None},
            "registered_name": None}  # fmt: skip


def _dense(name, units, activation, **extra):
    config = {"name": name, "trainable": True, "dtype": "float32", "units": units,
              "activation": activation, "use_bias": True,
              "kernel_initializer": _init("GlorotUniform"),
              "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros",
                                   "config": {}, "registered_name": None},
              "kernel_regularizer": None, "bias_regularizer": None,
              "activity_regularizer": None, "kernel_constraint": None,
              "bias_constraint": None}  # fmt: skip
    config.update(extra)
    return {"module": "keras.layers", "class_name": "Dense", "config": config,
            "registered_name": None}  # fmt: skip


def _weights(group, layer, values):
    names = []
    for key, value in values.items():
        name = f"{layer}/{key}:0"
        group.create_dataset(name, data=value)
        names.append(name.encode())
    group.attrs["weight_names"] = np.array(names) if names else np.array([])


def test_reads_a_keras2_sequential_file(tmp_path):
    rng = np.random.default_rng(5)
    k1, b1 = rng.standard_normal((4, 3)).astype("f4"), rng.standard_normal(3).astype("f4")
    k2, b2 = rng.standard_normal((3, 2)).astype("f4"), rng.standard_normal(2).astype("f4")
    config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4],
                                                "dtype": "float32", "sparse": False,
                                                "ragged": False, "name": "dense_input"}},
        _dense("dense", 3, "relu", batch_input_shape=[None, 4]),
        _dense("dense_1", 2, "linear"),
    ]}}  # fmt: skip
    training = {
        "loss": "mse", "weighted_metrics": None, "loss_weights": None,
        "metrics": [[{"class_name": "MeanMetricWrapper",
                      "config": {"name": "mae", "dtype": "float32",
                                 "fn": "mean_absolute_error"}}]],
        "optimizer_config": {"class_name": "Custom>Adam", "config": {
            "name": "Adam", "weight_decay": None, "clipnorm": None, "global_clipnorm": None,
            "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
            "ema_overwrite_frequency": None, "jit_compile": False,
            "is_legacy_optimizer": False, "learning_rate": 0.0020000000949949026,
            "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False}},
    }  # fmt: skip
    path = str(tmp_path / "keras2.h5")
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "2.15.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(config)
        f.attrs["training_config"] = json.dumps(training)
        weights = f.create_group("model_weights")
        weights.attrs["layer_names"] = np.array([b"dense", b"dense_1"])
        weights.attrs["backend"], weights.attrs["keras_version"] = "tensorflow", "2.15.0"
        _weights(weights.create_group("dense"), "dense", {"kernel": k1, "bias": b1})
        _weights(weights.create_group("dense_1"), "dense_1", {"kernel": k2, "bias": b2})
        opt = f.create_group("optimizer_weights")  # Keras 2 state: no learning_rate variable
        opt.create_dataset("iteration:0", data=np.int64(3))
        opt.attrs["weight_names"] = np.array([b"iteration:0"])
    with pytest.warns(UserWarning, match="freshly initialized optimizer"):
        model = load_model(path)
    x = rng.standard_normal((5, 4)).astype("f4")
    np.testing.assert_allclose(run(model, x), np.maximum(x @ k1 + b1, 0) @ k2 + b2, rtol=1e-5)
    assert type(model.optimizer).__name__ == "Adam"
    assert model.optimizer.learning_rate.numpy() == pytest.approx(0.002)
    logs = model.evaluate(x, np.zeros((5, 2), "f4"), return_dict=True, verbose=0)
    pred = np.maximum(x @ k1 + b1, 0) @ k2 + b2
    assert logs["loss"] == pytest.approx(float(np.mean(pred**2)), rel=1e-5)
    assert logs["mean_absolute_error"] == pytest.approx(float(np.mean(np.abs(pred))), rel=1e-5)


def test_reads_a_keras2_functional_file_with_a_shared_layer(tmp_path):
    rng = np.random.default_rng(6)
    ks, bs = rng.standard_normal((3, 3)).astype("f4"), rng.standard_normal(3).astype("f4")
    ko, bo = rng.standard_normal((5, 2)).astype("f4"), rng.standard_normal(2).astype("f4")

    def inp(name, n):
        return {"class_name": "InputLayer", "name": name, "inbound_nodes": [],
                "config": {"batch_input_shape": [None, n], "dtype": "float32",
                           "sparse": False, "ragged": False, "name": name}}  # fmt: skip

    layers = [
        inp("a", 3), inp("b", 2),
        dict(_dense("shared", 3, "tanh"), name="shared",
             inbound_nodes=[[["a", 0, 0, {}]], [["shared", 0, 0, {}]]]),
        {"class_name": "Concatenate", "name": "concatenate",
         "config": {"name": "concatenate", "trainable": True, "dtype": "float32", "axis": -1},
         "inbound_nodes": [[["shared", 1, 0, {}], ["b", 0, 0, {}]]]},
        dict(_dense("out", 2, "linear"), name="out",
             inbound_nodes=[[["concatenate", 0, 0, {}]]]),
    ]  # fmt: skip
    config = {"class_name": "Functional", "config": {
        "name": "model", "trainable": True, "layers": layers,
        "input_layers": [["a", 0, 0], ["b", 0, 0]], "output_layers": [["out", 0, 0]]}}  # fmt: skip
    path = str(tmp_path / "keras2_functional.h5")
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"], f.attrs["backend"] = "2.15.0", "tensorflow"
        f.attrs["model_config"] = json.dumps(config)
        weights = f.create_group("model_weights")
        weights.attrs["layer_names"] = np.array([b"a", b"b", b"shared", b"concatenate", b"out"])
        for name in ("a", "b", "concatenate"):
            _weights(weights.create_group(name), name, {})
        _weights(weights.create_group("shared"), "shared", {"kernel": ks, "bias": bs})
        _weights(weights.create_group("out"), "out", {"kernel": ko, "bias": bo})
    with pytest.warns(UserWarning, match="No training configuration"):
        model = load_model(path)
    a = rng.standard_normal((4, 3)).astype("f4")
    b = rng.standard_normal((4, 2)).astype("f4")
    hidden = np.tanh(np.tanh(a @ ks + bs) @ ks + bs)
    expected = np.concatenate([hidden, b], axis=-1) @ ko + bo
    np.testing.assert_allclose(run(model, a, b), expected, rtol=1e-5, atol=1e-6)


# ---- load_weights -----------------------------------------------------------------------------
def test_load_weights_by_order_by_name_and_mismatches(tmp_path):
    source = mlp()
    source.fit(X, Y, verbose=0)
    path = str(tmp_path / "w.h5")
    with pytest.warns(UserWarning):
        source.save(path)
    target = mlp()
    target.load_weights(path)
    np.testing.assert_allclose(run(target, X), run(source, X), rtol=1e-6)

    renamed = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3, activation="relu", name="dense"),
         keras.layers.BatchNormalization(name="other"), keras.layers.Dense(2, name="dense_1")]
    )  # fmt: skip
    renamed.load_weights(path, by_name=True)  # "other" is not in the file: it keeps its values
    np.testing.assert_array_equal(renamed.layers[0].kernel.numpy(), source.layers[0].kernel.numpy())
    np.testing.assert_array_equal(renamed.layers[1].gamma.numpy(), np.ones(3, "f4"))

    wider = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(5), keras.layers.BatchNormalization(),
         keras.layers.Dense(2)]
    )  # fmt: skip
    with pytest.raises(ValueError, match=r"Shape mismatch in layer #0 .*Weight expects shape"):
        wider.load_weights(path)
    with pytest.warns(UserWarning, match="Skipping loading weights"):
        wider.load_weights(path, skip_mismatch=True)
    # only the shapes that fit load: the last layer's bias
    np.testing.assert_array_equal(wider.layers[2].bias.numpy(), source.layers[2].bias.numpy())

    short = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="Layer count mismatch .* expected 1 layers, found 3"):
        short.load_weights(path)
    with pytest.raises(ValueError, match="by_name"):
        short.load_weights(str(tmp_path / "x.weights.h5"), by_name=True)


# ---- bad files --------------------------------------------------------------------------------
def test_bad_files_raise_value_errors_naming_the_file(tmp_path):
    empty = str(tmp_path / "empty.h5")
    with h5py.File(empty, "w"):
        pass
    with pytest.raises(ValueError, match="No model config found"):
        load_model(empty)
    truncated = str(tmp_path / "truncated.h5")
    with open(os.path.join(DATA, "cnn.h5"), "rb") as f:
        data = f.read()
    with open(truncated, "wb") as f:
        f.write(data[: len(data) // 3])
    with pytest.raises(ValueError, match="truncated.h5"):
        load_model(truncated)
    bad_json = str(tmp_path / "json.h5")
    with h5py.File(bad_json, "w") as f:
        f.attrs["model_config"] = "{not json"
    with pytest.raises(ValueError, match="not valid JSON"):
        load_model(bad_json)
    with pytest.raises(FileNotFoundError):
        load_model(str(tmp_path / "missing.h5"))


def test_lambda_layers_are_refused(tmp_path):
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 2], "name": "i"}},
        {"class_name": "Lambda", "config": {"name": "l", "function": {
            "class_name": "__lambda__", "config": {"code": "4wEAAA==", "defaults": None,
                                                   "closure": None}}}},
    ]}}  # fmt: skip
    path = str(tmp_path / "lambda.h5")
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = json.dumps(config)
        f.create_group("model_weights").attrs["layer_names"] = np.array([b"l"])
    with pytest.raises(ValueError, match="(?i)lambda"):
        load_model(path)
    with pytest.raises(ValueError, match="(?i)lambda"):
        load_model(path, safe_mode=False)


def test_a_dataset_behind_a_link_is_refused(tmp_path):
    path = str(tmp_path / "link.h5")
    model = mlp()
    with pytest.warns(UserWarning):
        model.save(path)
    with h5py.File(path, "a") as f:
        group = f["model_weights/dense/sequential/dense"]
        del group["kernel"]
        group["kernel"] = h5py.SoftLink("/model_weights/dense_1/sequential/dense_1/kernel")
    with pytest.raises(ValueError, match="kernel"):
        load_model(path)
