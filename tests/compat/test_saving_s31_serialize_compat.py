"""``keras.saving.serialize_keras_object`` / ``deserialize_keras_object`` (Keras 3.15), checked
against real Keras 3 (``TENSORHOUSE_COMPAT_TF=1``) and tensorhouse: the exact dicts, round trips,
dicts written by the other side, custom objects and safe mode."""

import json

import numpy as np
import pytest


@pytest.fixture
def keras(tf):
    """Keras 3 itself beside TensorFlow; ``tensorhouse.keras`` otherwise."""
    if tf.__name__ == "tensorflow":
        import keras

        return keras
    return tf.keras


def _dict(module, class_name, config):
    return {"module": module, "class_name": class_name, "config": config, "registered_name": None}


ADAM = {
    "name": "adam", "learning_rate": 0.0010000000474974513, "weight_decay": None,
    "clipnorm": None, "global_clipnorm": None, "clipvalue": None, "use_ema": False,
    "ema_momentum": 0.99, "ema_overwrite_frequency": None, "loss_scale_factor": None,
    "gradient_accumulation_steps": None, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07,
    "amsgrad": False,
}  # fmt: skip
EXPECTED = {  # what real Keras 3.15 writes, object by object
    "mse": _dict("keras.losses", "MeanSquaredError",
                 {"name": "mean_squared_error", "reduction": "sum_over_batch_size"}),
    "adam": _dict("keras.optimizers", "Adam", ADAM),
    "l2": _dict("keras.regularizers", "L2", {"l2": 0.01}),
    "nonneg": _dict("keras.constraints", "NonNeg", {}),
    "sched": _dict("keras.optimizers.schedules", "ExponentialDecay",
                   {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.9,
                    "staircase": False, "name": "ExponentialDecay"}),
    "policy": _dict("keras", "DTypePolicy", {"name": "mixed_float16"}),
    "relu": {"module": "builtins", "class_name": "function", "config": "relu",
             "registered_name": "function"},
    "mse_fn": {"module": "builtins", "class_name": "function", "config": "mean_squared_error",
               "registered_name": "function"},
    "acc": _dict("keras.metrics", "BinaryAccuracy",
                 {"name": "acc", "dtype": "float32", "threshold": 0.5}),
}  # fmt: skip


def _objects(keras):
    return {
        "mse": keras.losses.MeanSquaredError(),
        "adam": keras.optimizers.Adam(1e-3, name="adam"),
        "l2": keras.regularizers.L2(0.01),
        "nonneg": keras.constraints.NonNeg(),
        "sched": keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9),
        "policy": keras.dtype_policies.DTypePolicy("mixed_float16"),
        "relu": keras.activations.relu,
        "mse_fn": keras.losses.mean_squared_error,
        "acc": keras.metrics.BinaryAccuracy(name="acc"),
    }


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_exact_dicts_and_round_trip(keras, name):
    obj = _objects(keras)[name]
    out = keras.saving.serialize_keras_object(obj)
    assert out == EXPECTED[name]
    back = keras.saving.deserialize_keras_object(json.loads(json.dumps(out)))
    if callable(obj) and not hasattr(obj, "get_config"):
        assert back is obj
    else:
        assert type(back).__name__ == type(obj).__name__
        assert keras.saving.serialize_keras_object(back) == out


def test_plain_values(keras):
    s = keras.saving.serialize_keras_object
    assert s(None) is None and s(3) == 3 and s("abc") == "abc" and s(True) is True
    assert s((1, (2, 3))) == (1, (2, 3)) and s([1, (2,)]) == [1, (2,)]
    assert s(np.float32(2.5)) == 2.5 and type(s(np.int64(4))) is int
    assert s(np.array([1.0, 2.0])) == {
        "class_name": "__numpy__", "config": {"value": [1.0, 2.0], "dtype": "float64"},
    }  # fmt: skip
    assert s(b"ab") == {"class_name": "__bytes__", "config": {"value": "ab"}}
    assert s(slice(1, 3)) == {
        "class_name": "__slice__", "config": {"start": 1, "stop": 3, "step": None},
    }  # fmt: skip
    assert s(Ellipsis) == {"class_name": "__ellipsis__", "config": {}}
    d = keras.saving.deserialize_keras_object
    assert d((1, 2)) == [1, 2]  # Keras gives lists back for tuples
    arr = d({"class_name": "__numpy__", "config": {"value": [[1, 2]], "dtype": "int32"}})
    assert arr.dtype == np.int32 and arr.tolist() == [[1, 2]]
    assert d(s(slice(None, 4, 2))) == slice(None, 4, 2) and d(s(b"xy")) == b"xy"
    assert d(s(Ellipsis)) is Ellipsis
    nested = d(s({"a": (1,), "b": keras.initializers.Zeros()}))
    assert nested["a"] == [1] and type(nested["b"]).__name__ == "Zeros"


# Real Keras 3.15's dict for Dense(3, activation="relu", name="d") built on (None, 4).
KERAS_DENSE = {
    "module": "keras.layers", "class_name": "Dense", "registered_name": None,
    "config": {
        "name": "d", "trainable": True,
        "dtype": _dict("keras", "DTypePolicy", {"name": "float32"}),
        "units": 3, "activation": "relu", "use_bias": True,
        "kernel_initializer": _dict("keras.initializers", "GlorotUniform",
                                    {"seed": 7, "input_axes": None, "output_axes": None}),
        "bias_initializer": _dict("keras.initializers", "Zeros", {}),
        "kernel_regularizer": _dict("keras.regularizers", "L2", {"l2": 0.5}),
        "bias_regularizer": None, "kernel_constraint": None, "bias_constraint": None,
        "quantization_config": None,
    },
    "build_config": {"input_shape": [None, 4]},
}  # fmt: skip


def test_layer_dicts_cross(keras):
    """Keras's own dict and tensorhouse's (no policy dict, no off-valued Keras-only keys) both
    give the same built layer on either side."""
    for config in (KERAS_DENSE, keras.saving.serialize_keras_object(_dense(keras))):
        layer = keras.saving.deserialize_keras_object(json.loads(json.dumps(config)))
        assert type(layer).__name__ == "Dense" and layer.built and layer.units == 3
        assert layer.name == "d" and layer.activation is keras.activations.relu
        assert tuple(layer.kernel.shape) == (4, 3)
        assert layer.kernel_initializer.get_config()["seed"] == 7
        assert float(layer.kernel_regularizer.l2) == 0.5


def _dense(keras):
    layer = keras.layers.Dense(
        3, activation="relu", name="d", kernel_initializer=keras.initializers.GlorotUniform(7),
        kernel_regularizer=keras.regularizers.L2(0.5),
    )  # fmt: skip
    layer(keras.Input((4,)))  # built by a call: both record the build shape
    return layer


def test_layer_dict_keys(keras):
    out = keras.saving.serialize_keras_object(_dense(keras))
    assert {k: out[k] for k in ("module", "class_name", "registered_name")} == {
        "module": "keras.layers", "class_name": "Dense", "registered_name": None,
    }  # fmt: skip
    assert json.loads(json.dumps(out["build_config"])) == {"input_shape": [None, 4]}
    assert out["config"]["kernel_regularizer"] == _dict("keras.regularizers", "L2", {"l2": 0.5})


def test_model_round_trip_compiled(keras):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, name="out")])
    model.compile(keras.optimizers.SGD(0.5), "mse", metrics=["mae"])
    out = keras.saving.serialize_keras_object(model)
    assert out["class_name"] == "Sequential" and out["module"] == "keras"
    assert out["compile_config"]["loss"] == "mse"
    back = keras.saving.deserialize_keras_object(json.loads(json.dumps(out)))
    assert type(back).__name__ == "Sequential" and back.compiled
    assert float(back.optimizer.learning_rate) == 0.5
    x = np.ones((2, 4), "float32")
    assert np.asarray(back(x)).shape == (2, 2)


def test_registered_custom_objects(keras):
    @keras.saving.register_keras_serializable(package="s31")
    class Scale(keras.regularizers.Regularizer):
        def __init__(self, factor=1.0):
            self.factor = factor

        def __call__(self, x):
            return self.factor * keras.ops.sum(x)

        def get_config(self):
            return {"factor": self.factor}

    @keras.saving.register_keras_serializable(package="s31")
    def doubled(x):
        return 2 * x

    out = keras.saving.serialize_keras_object(Scale(3.0))
    assert out == {
        "module": __name__, "class_name": "Scale", "config": {"factor": 3.0},
        "registered_name": "s31>Scale",
    }  # fmt: skip
    back = keras.saving.deserialize_keras_object(out)
    assert type(back) is Scale and back.factor == 3.0
    fn = keras.saving.serialize_keras_object(doubled)
    assert fn == {"module": "builtins", "class_name": "function", "config": "s31>doubled",
                  "registered_name": "function"}  # fmt: skip
    assert keras.saving.deserialize_keras_object(fn) is doubled


def test_custom_objects_argument_and_scope(keras):
    class Halve(keras.constraints.Constraint):
        def __call__(self, w):
            return w / 2

    def mine(x):
        return x

    config = {"module": None, "class_name": "Halve", "config": {}, "registered_name": "Halve"}
    with pytest.raises(TypeError, match="Could not locate class 'Halve'"):
        keras.saving.deserialize_keras_object(config)
    assert type(keras.saving.deserialize_keras_object(config, {"Halve": Halve})) is Halve
    with keras.saving.CustomObjectScope({"Halve": Halve}):
        assert type(keras.saving.deserialize_keras_object(config)) is Halve
    fn = keras.saving.serialize_keras_object(mine)
    assert fn["config"] == "mine"
    assert keras.saving.deserialize_keras_object(fn, custom_objects={"mine": mine}) is mine
    with pytest.raises(TypeError, match="Could not locate function 'mine'"):
        keras.saving.deserialize_keras_object(fn)


def test_lambda_refused_in_safe_mode(keras):
    config = {"class_name": "__lambda__", "config": {"value": ["AAAA", None, None]}}
    with pytest.raises(ValueError, match="Requested the deserialization of a Python lambda"):
        keras.saving.deserialize_keras_object(config)


def test_exported_where_keras_exports_them(keras):
    for module in (keras.saving, keras.utils):
        for name in ("serialize_keras_object", "deserialize_keras_object", "CustomObjectScope",
                     "custom_object_scope", "get_custom_objects", "get_registered_name",
                     "get_registered_object", "register_keras_serializable"):  # fmt: skip
            assert callable(getattr(module, name)), (module, name)
