"""``keras.saving.serialize_keras_object`` / ``deserialize_keras_object`` (issue 17), without TF:
Keras 3.15's dicts (checked against real Keras in tests/compat/test_saving_s31_serialize_compat.py),
round trips of every kind, custom objects, safe mode; and a ``.keras`` file without its
``config.json``."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import tensorhouse_models as keras
from tensorhouse_components import constraints, ops
from tensorhouse_components.optimizers import schedules
from tensorhouse_models import saving, utils
from tensorhouse_models.saving import deserialize_keras_object, serialize_keras_object

X = np.linspace(-1, 1, 8, dtype="float32").reshape(2, 4)


def _round_trip(obj):
    return deserialize_keras_object(json.loads(json.dumps(serialize_keras_object(obj))))


@pytest.mark.parametrize(
    "obj",
    [
        keras.losses.Huber(delta=0.5), keras.metrics.MeanIoU(num_classes=3),
        keras.optimizers.SGD(0.25, momentum=0.5, nesterov=True),
        keras.optimizers.Adam(schedules.ExponentialDecay(0.1, 10, 0.5)),
        keras.initializers.RandomNormal(0.5, 2.0, seed=3), keras.regularizers.L1L2(0.1, 0.2),
        constraints.MaxNorm(2.0, axis=1), schedules.PiecewiseConstantDecay([5], [1.0, 0.5]),
        keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="tanh"),
        keras.layers.LSTM(5, return_sequences=True), keras.layers.Dropout(0.25, seed=4),
    ],
    ids=lambda o: type(o).__name__,
)  # fmt: skip
def test_built_in_objects_round_trip(obj):
    back = _round_trip(obj)
    assert type(back) is type(obj) and back is not obj
    assert back.get_config() == obj.get_config()


def test_built_layer_and_functional_model_round_trip():
    inputs = keras.Input((4,), name="x")
    hidden = keras.layers.Dense(3, activation="relu", name="h")(inputs)
    model = keras.Model(inputs, [keras.layers.Dense(2, name="a")(hidden), hidden])
    back = _round_trip(model)
    assert [layer.name for layer in back.layers] == ["x", "h", "a"]
    back.set_weights(model.get_weights())  # same shapes, built from the dict
    for got, want in zip(back(X), model(X), strict=True):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-6)
    layer = model.get_layer("h")
    assert serialize_keras_object(layer)["build_config"] == {"input_shape": (None, 4)}  # as Keras
    assert _round_trip(layer).kernel.shape == (4, 3)


def test_functions_and_values():
    assert serialize_keras_object(keras.activations.gelu) == {
        "module": "builtins", "class_name": "function", "config": "gelu",
        "registered_name": "function",
    }  # fmt: skip
    assert _round_trip(keras.activations.gelu) is keras.activations.gelu
    assert _round_trip(keras.metrics.mean_absolute_error) is keras.metrics.mean_absolute_error
    tensor = serialize_keras_object(ops.constant([[1, 2]], dtype="int32"))
    assert tensor == {"class_name": "__tensor__", "config": {"value": [[1, 2]], "dtype": "int32"}}
    back = deserialize_keras_object(tensor)
    assert back.dtype == ops.int32 and np.asarray(back).tolist() == [[1, 2]]
    assert serialize_keras_object(ops.TensorShape([None, 3])) == [None, 3]
    assert serialize_keras_object(ops.float16) == "float16"
    assert serialize_keras_object({"k": np.array([True, False])}) == {
        "k": {"class_name": "__numpy__", "config": {"value": [True, False], "dtype": "bool"}}
    }  # fmt: skip
    with pytest.raises(ValueError, match="never writes"):
        serialize_keras_object(lambda x: x)
    with pytest.raises(TypeError, match="must implement the `get_config\\(\\)` method"):
        serialize_keras_object(object())


@saving.register_keras_serializable(package="s31test")
class Scaled(keras.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def test_registered_layer_inside_a_model():
    model = keras.Sequential([keras.Input((4,)), Scaled(3.0, name="s")])
    out = serialize_keras_object(model)
    (layer,) = [layer for layer in out["config"]["layers"] if layer["class_name"] == "Scaled"]
    assert layer["registered_name"] == "s31test>Scaled" and layer["module"] == __name__
    back = _round_trip(model)
    np.testing.assert_allclose(np.asarray(back(X)), 3.0 * X)
    alone = serialize_keras_object(Scaled(0.5))
    assert (alone["module"], alone["registered_name"]) == (__name__, "s31test>Scaled")
    assert _round_trip(Scaled(0.5)).factor == 0.5


def test_errors_and_safe_mode():
    lam = {"class_name": "__lambda__", "config": {"value": ["AA==", None, None]}}
    with pytest.raises(ValueError, match="Requested the deserialization of a Python lambda"):
        deserialize_keras_object(lam)
    with pytest.raises(ValueError, match="never executes Python bytecode"):
        deserialize_keras_object(lam, safe_mode=False)
    with pytest.raises(ValueError, match="Could not deserialize 'keras.losses.NoSuchLoss'"):
        deserialize_keras_object(
            {"module": "keras.losses", "class_name": "NoSuchLoss", "config": {}}
        )  # fmt: skip
    with pytest.raises(TypeError, match="Could not locate class 'Gone'"):
        deserialize_keras_object({"module": "os", "class_name": "Gone", "config": {}})
    with pytest.raises(TypeError, match="non-null str for a function"):
        deserialize_keras_object({"class_name": "function", "config": None, "module": "builtins"})
    with pytest.raises(TypeError, match="Could not parse config"):
        deserialize_keras_object(object())


def test_exported_in_utils():
    assert utils.serialize_keras_object is serialize_keras_object
    assert utils.deserialize_keras_object is deserialize_keras_object
    assert utils.CustomObjectScope is saving.CustomObjectScope


def test_keras_file_without_config_json(tmp_path):
    path = tmp_path / "m.keras"
    keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)]).save(path)
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist() if n != "config.json"}
    broken = tmp_path / "broken.keras"
    with zipfile.ZipFile(broken, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(ValueError, match=r"broken\.keras.*has no 'config\.json'"):
        saving.load_model(broken)
