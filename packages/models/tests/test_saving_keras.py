"""Whole-model ``.keras`` files: round trips (Sequential, Functional, nested, shared layers,
subclassed, compiled with optimizer state), Keras 3.15's archive and config layout, configs as
real Keras writes them, custom objects, safe mode, atomic writes and errors."""

import json
import os
import zipfile

import numpy as np
import pytest

from tensorhouse_models import Input, Model, Sequential, layers, losses, models, optimizers, saving
from tensorhouse_models.saving import _keras_file

RNG = np.random.default_rng(7)
X = RNG.standard_normal((12, 4)).astype("float32")
Y = RNG.standard_normal((12, 2)).astype("float32")
XB = RNG.standard_normal((12, 3)).astype("float32")


def _sequential(dropout=True):
    return Sequential(
        [
            Input((4,)),
            layers.Dense(5, activation="relu"),
            layers.BatchNormalization(),
            *([layers.Dropout(0.3)] if dropout else []),
            layers.Dense(2),
        ]
    )


def _functional():
    a, b = Input((4,), name="a"), Input((3,), name="b")
    shared = layers.Dense(4, activation="tanh", name="shared")
    inner = Sequential([Input((7,)), layers.Dense(2)], name="inner")
    return Model([a, b], inner(layers.Concatenate()([shared(shared(a)), b])))


def _predict(model, x):
    return np.asarray(model(x, training=False))


def _members(path):
    with zipfile.ZipFile(path) as zf:
        return (
            zf.namelist(),
            json.loads(zf.read("config.json")),
            json.loads(zf.read("metadata.json")),
        )


# ---- round trips --------------------------------------------------------------------------------
def test_sequential_round_trip_and_archive_layout(tmp_path):
    model = _sequential()
    model.compile("adam", "mse")
    model.fit(X, Y, batch_size=4, epochs=1, verbose=0)  # moves BatchNormalization's statistics
    path = tmp_path / "seq.keras"
    model.save(path)
    names, config, metadata = _members(path)
    assert names == ["metadata.json", "config.json", "model.weights.h5"]
    with zipfile.ZipFile(path) as zf:
        assert {i.compress_type for i in zf.infolist()} == {zipfile.ZIP_STORED}
    assert metadata["keras_version"] == "3.15.1"
    assert len(metadata["date_saved"]) == 19 and metadata["date_saved"][10] == "@"
    assert list(config) == [
        "module", "class_name", "config", "registered_name", "build_config", "compile_config",
    ]  # fmt: skip
    assert config["class_name"] == "Sequential" and config["module"] == "keras"
    assert config["build_config"] == {"input_shape": [None, 4]}
    restored = saving.load_model(path)
    assert isinstance(restored, Sequential)
    assert [la.name for la in restored.layers] == [la.name for la in model.layers]
    np.testing.assert_allclose(_predict(restored, X), _predict(model, X), rtol=0, atol=1e-6)
    moving = restored.layers[1].moving_variance.numpy()
    np.testing.assert_array_equal(moving, model.layers[1].moving_variance.numpy())
    assert not np.allclose(moving, 1.0)


def test_functional_two_inputs_shared_layer_nested_model(tmp_path):
    model = _functional()
    path = tmp_path / "fun.keras"
    saving.save_model(model, path)
    _, config, _ = _members(path)
    assert config["class_name"] == "Functional" and config["registered_name"] == "Functional"
    assert config["compile_config"] == {}
    restored = models.load_model(path)
    assert [la.name for la in restored.layers] == [la.name for la in model.layers]
    assert not restored.compiled
    np.testing.assert_allclose(
        _predict(restored, [X, XB]), _predict(model, [X, XB]), rtol=0, atol=1e-6
    )
    shared = restored.get_layer("shared")
    assert len(restored.trainable_weights) == len(model.trainable_weights) == 4
    np.testing.assert_array_equal(shared.kernel.numpy(), model.get_layer("shared").kernel.numpy())


def test_compiled_model_restores_optimizer_state_and_trains_on_identically(tmp_path):
    model = _sequential(dropout=False)
    model.compile(optimizers.Adam(0.01), "mse", metrics=["mae"])
    model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    path = tmp_path / "c.keras"
    model.save(path)
    _, config, _ = _members(path)
    cc = config["compile_config"]
    assert cc["optimizer"]["class_name"] == "Adam"
    assert cc["optimizer"]["config"]["learning_rate"] == pytest.approx(0.01)
    assert cc["loss"] == "mse" and cc["metrics"] == ["mae"] and cc["loss_weights"] is None
    assert cc["steps_per_execution"] == 1 and cc["run_eagerly"] is False
    restored = saving.load_model(path)
    assert restored.compiled and isinstance(restored.optimizer, optimizers.Adam)
    assert int(restored.optimizer.iterations.numpy()) == 6
    for mine, theirs in zip(restored.optimizer.variables, model.optimizer.variables, strict=True):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    # Adam's moments came back: one more epoch moves both models the same way.
    model.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    restored.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(_predict(restored, X), _predict(model, X), rtol=0, atol=1e-5)
    assert not saving.load_model(path, compile=False).compiled


def test_loss_and_metric_objects_and_functions_in_compile_config(tmp_path):
    model = _sequential()
    model.compile(optimizers.SGD(0.1, momentum=0.5), losses.Huber(), metrics=[losses.mae])
    model.save(tmp_path / "h.keras")
    _, config, _ = _members(tmp_path / "h.keras")
    cc = config["compile_config"]
    assert cc["loss"]["class_name"] == "Huber" and cc["loss"]["module"] == "keras.losses"
    assert cc["metrics"] == [
        {"module": "builtins", "class_name": "function", "config": "mean_absolute_error",
         "registered_name": "function"}
    ]  # fmt: skip
    # Never trained: the saved optimizer holds only its counters, so its slots are not loaded
    # (Keras warns the same way).
    with pytest.warns(UserWarning, match="Skipping variable loading for optimizer 'sgd"):
        restored = saving.load_model(tmp_path / "h.keras")
    assert isinstance(restored.loss, losses.Huber)
    assert restored.optimizer.momentum == 0.5
    logs = restored.evaluate(X, Y, verbose=0, return_dict=True)
    want = model.evaluate(X, Y, verbose=0, return_dict=True)
    assert logs.keys() == want.keys()
    np.testing.assert_allclose(list(logs.values()), list(want.values()), rtol=1e-6)


@saving.register_keras_serializable(package="TestSaving")
class _Scale(layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, x):
        return x * self.w * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class _Unregistered(_Scale):
    pass


def test_custom_layers_from_registry_and_custom_objects(tmp_path):
    model = Sequential([Input((4,)), _Scale(3.0, name="scale"), _Unregistered(name="unreg")])
    model.layers[0].w.assign(np.arange(4, dtype="float32"))
    path = tmp_path / "custom.keras"
    model.save(path)
    with pytest.raises(TypeError, match="Could not locate class '_Unregistered'"):
        saving.load_model(path)
    restored = saving.load_model(path, custom_objects={"_Unregistered": _Unregistered})
    assert type(restored.layers[0]) is _Scale and restored.layers[0].factor == 3.0
    np.testing.assert_array_equal(_predict(restored, X), _predict(model, X))
    assert np.any(_predict(model, X) != 0)


@saving.register_keras_serializable(package="TestSaving")
class _Net(Model):
    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = layers.Dense(units, activation="tanh")
        self.head = layers.Dense(2)

    def call(self, x):
        return self.head(self.hidden(x))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_subclassed_model_is_rebuilt_from_build_config(tmp_path):
    model = _Net(units=5)
    model.build((None, 4))
    model.save(tmp_path / "net.keras")
    _, config, _ = _members(tmp_path / "net.keras")
    assert config["build_config"] == {"input_shape": [None, 4]}
    assert config["registered_name"] == "TestSaving>_Net"
    restored = saving.load_model(tmp_path / "net.keras")
    assert isinstance(restored, _Net) and restored.units == 5 and restored.built
    np.testing.assert_allclose(_predict(restored, X), _predict(model, X), rtol=0, atol=1e-6)


def test_a_subclassed_model_built_by_calling_keeps_its_weights(tmp_path):
    """Built by its first call (no ``build``): the shape is saved as ``build_config`` (as
    Keras's), so loading builds it and its weights load, rather than staying fresh."""
    model = _Net(units=5)
    model(X[:1])
    model.save(tmp_path / "net.keras")
    _, config, _ = _members(tmp_path / "net.keras")
    assert config["build_config"] == {"input_shape": [1, X.shape[1]]}
    restored = saving.load_model(tmp_path / "net.keras")
    np.testing.assert_allclose(_predict(restored, X), _predict(model, X), rtol=0, atol=1e-6)


def test_unzipped_directory_round_trip(tmp_path):
    model = _functional()
    saving.save_model(model, tmp_path / "dir", zipped=False)
    assert sorted(os.listdir(tmp_path / "dir")) == [
        "assets", "config.json", "metadata.json", "model.weights.h5",
    ]  # fmt: skip
    restored = saving.load_model(tmp_path / "dir")
    np.testing.assert_allclose(
        _predict(restored, [X, XB]), _predict(model, [X, XB]), rtol=0, atol=1e-6
    )


# ---- configs as real Keras writes them ----------------------------------------------------------
def _policy(shared=False):
    out = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
           "registered_name": None}  # fmt: skip
    return out | ({"shared_object_id": 140420417830800} if shared else {})


def _keras_dense(name, units, constraint=None):
    return {
        "module": "keras.layers", "class_name": "Dense", "registered_name": None,
        "config": {
            "name": name, "trainable": True, "dtype": _policy(True), "units": units,
            "activation": "linear", "use_bias": True,
            "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
                                   "config": {"seed": None, "input_axes": None,
                                              "output_axes": None}, "registered_name": None},
            "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros",
                                 "config": {}, "registered_name": None},
            "kernel_regularizer": None, "bias_regularizer": None,
            "kernel_constraint": constraint, "bias_constraint": None, "quantization_config": None,
        },
        "build_config": {"input_shape": [None, 4]},
    }  # fmt: skip


def _keras_archive(path, layer):
    config = {
        "module": "keras", "class_name": "Sequential", "registered_name": None,
        "config": {
            "name": "sequential", "trainable": True, "dtype": _policy(True),
            "layers": [
                {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
                 "config": {"batch_shape": [None, 4], "dtype": "float32", "sparse": False,
                            "ragged": False, "name": "input_layer", "optional": False}},
                layer,
            ],
            "build_input_shape": [None, 4],
        },
        "build_config": {"input_shape": [None, 4]},
        "compile_config": {},
    }  # fmt: skip
    donor = Sequential([Input((4,)), layers.Dense(3, name="dense")])
    donor.layers[0].kernel.assign(np.arange(12, dtype="float32").reshape(4, 3) / 10)
    donor.layers[0].bias.assign(np.array([1.0, -1.0, 0.5], "float32"))
    weights = os.path.join(os.path.dirname(path), "donor.weights.h5")
    _keras_file._write_weights_file(donor, weights)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("metadata.json", json.dumps({"keras_version": "3.15.1", "date_saved": "x"}))
        zf.writestr("config.json", json.dumps(config))
        zf.write(weights, "model.weights.h5")
    os.remove(weights)
    return donor


def test_keras_written_config_keys_are_normalized(tmp_path):
    path = tmp_path / "k.keras"
    _keras_archive(path, _keras_dense("dense", 3))
    model = saving.load_model(path)
    kernel = np.arange(12, dtype="float32").reshape(4, 3) / 10
    np.testing.assert_allclose(_predict(model, X), X @ kernel + [1.0, -1.0, 0.5], atol=1e-5)
    assert model.layers[0].dtype == "float32"
    _, _, _, dropped = saving._normalize.normalize_model_config(
        json.loads(zipfile.ZipFile(path).read("config.json")), None, True
    )
    assert dropped == []  # Dense takes Keras 3's quantization_config (None) as written
    init_config = model.layers[0].get_config()["kernel_initializer"]["config"]
    assert init_config == {"seed": None, "input_axes": None, "output_axes": None}


def test_keras_option_that_cannot_be_honoured_is_an_error(tmp_path):
    path = tmp_path / "k.keras"
    layer = _keras_dense("dense", 3)
    layer["config"]["quantization_config"] = {"mode": "int8"}  # no quantized Dense here
    _keras_archive(path, layer)
    with pytest.raises(NotImplementedError, match="quantization_config"):
        saving.load_model(path)


def test_keras_constraint_loads_as_the_components_constraint(tmp_path):
    path = tmp_path / "k.keras"
    constraint = {"module": "keras.constraints", "class_name": "NonNeg", "config": {},
                  "registered_name": None}  # fmt: skip
    _keras_archive(path, _keras_dense("dense", 3, constraint=constraint))
    model = saving.load_model(path)
    assert type(model.layers[0].kernel_constraint).__name__ == "NonNeg"


def test_unknown_classes_raise_keras_error_classes(tmp_path):
    path = tmp_path / "k.keras"
    _keras_archive(path, {"module": "mymod", "class_name": "Foo", "registered_name": "X>Foo",
                          "config": {"name": "foo"}})  # fmt: skip
    with pytest.raises(TypeError, match=r"Could not locate class 'Foo'\. Make sure custom"):
        saving.load_model(path)
    _keras_archive(path, {"module": "keras.layers", "class_name": "Foo", "registered_name": None,
                          "config": {"name": "foo"}})  # fmt: skip
    with pytest.raises(ValueError, match=r"Could not deserialize 'keras\.layers\.Foo'"):
        saving.load_model(path)


_LAMBDA = {"class_name": "__lambda__", "config": {"code": "4wEAAAAA", "defaults": None,
                                                  "closure": None}}  # fmt: skip


def test_safe_mode_refuses_python_bytecode(tmp_path):
    path = tmp_path / "lam.keras"
    _keras_archive(path, {"module": "keras.layers", "class_name": "Lambda",
                          "registered_name": None,
                          "config": {"name": "lambda", "trainable": True, "dtype": _policy(),
                                     "function": _LAMBDA, "arguments": {}}})  # fmt: skip
    with pytest.raises(ValueError) as info:
        saving.load_model(path)
    assert str(info.value) == (
        "Requested the deserialization of a `Lambda` layer whose `function` is a Python lambda. "
        "This carries a potential risk of arbitrary code execution and thus it is disallowed by "
        "default. If you trust the source of the artifact, you can override this error by "
        "passing `safe_mode=False` to the loading function, or calling "
        "`keras.config.enable_unsafe_deserialization()."
    )
    with pytest.raises(ValueError, match="never executes Python bytecode"):
        saving.load_model(path, safe_mode=False)


def test_lambda_anywhere_else_is_refused(tmp_path):
    path = tmp_path / "k.keras"
    layer = _keras_dense("dense", 3)
    layer["config"]["kernel_initializer"] = _LAMBDA
    _keras_archive(path, layer)
    with pytest.raises(ValueError, match="^Requested the deserialization of a Python lambda"):
        saving.load_model(path)


# ---- writes and errors --------------------------------------------------------------------------
def test_interrupted_save_leaves_the_previous_file(tmp_path, monkeypatch):
    model = _sequential()
    path = tmp_path / "m.keras"
    model.save(path)
    before = path.read_bytes()

    def broken(_model, _path):
        raise RuntimeError("disk full")

    monkeypatch.setattr(_keras_file, "_write_weights_file", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.keras"]  # no temporary file left behind


def test_overwrite_false_asks(tmp_path, monkeypatch):
    path = tmp_path / "m.keras"
    path.write_bytes(b"old")
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    _sequential().save(path, overwrite=False)
    assert path.read_bytes() == b"old"


def test_save_and_load_errors(tmp_path):
    model = _sequential()
    with pytest.raises(ValueError, match=r"Invalid filepath extension for saving.*m\.txt"):
        model.save(tmp_path / "m.txt")
    with pytest.raises(ValueError, match="When using `zipped=False`, the `filepath` argument"):
        model.save(tmp_path / "m.keras", zipped=False)
    with pytest.raises(ValueError, match=r"The following argument\(s\) are not supported: \['x'"):
        model.save(tmp_path / "m.keras", x=1)
    with pytest.warns(UserWarning, match="considered legacy"):  # the legacy format: test_legacy_h5
        model.save(tmp_path / "m.h5")
    with pytest.raises(ValueError, match=r"^File not found: filepath=.*nope\.keras"):
        saving.load_model(tmp_path / "nope.keras")
    (tmp_path / "bad.keras").write_text("not a zip")
    with pytest.raises(ValueError, match="File not found"):
        saving.load_model(tmp_path / "bad.keras")
    with pytest.raises(ValueError, match="^File format not supported: filepath="):
        saving.load_model(tmp_path / "m.txt")


def test_exposed_names():
    assert models.load_model is saving.load_model and models.save_model is saving.save_model
