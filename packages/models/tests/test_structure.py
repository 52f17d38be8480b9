"""Model structure: functional get_config / from_config, to_json / model_from_json,
clone_model, get_layer errors and trainable changes after compile."""

import json

import numpy as np
import pytest

import tensorhouse_models as keras
from tensorhouse_models import layers
from tensorhouse_models.models import clone_model, model_from_json

RNG = np.random.default_rng(0)


def _x(*shape):
    return RNG.standard_normal(shape).astype("float32")


def _np(struct):
    if isinstance(struct, dict):
        return {k: np.asarray(v) for k, v in struct.items()}
    if isinstance(struct, list | tuple):
        return [np.asarray(v) for v in struct]
    return np.asarray(struct)


def _assert_same(a, b):
    a, b = _np(a), _np(b)
    if isinstance(a, dict):
        assert sorted(a) == sorted(b)
        for k in a:
            np.testing.assert_allclose(a[k], b[k], rtol=1e-6, atol=1e-6)
    elif isinstance(a, list):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            np.testing.assert_allclose(u, v, rtol=1e-6, atol=1e-6)
    else:
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def _two_tower():
    """Dict inputs and outputs, a layer shared by both towers, a merge."""
    a = keras.Input((3,), name="a")
    b = keras.Input((2,), name="b")
    x = layers.Dense(4, name="d")(a)
    y = layers.Dense(4, name="e")(b)
    shared = layers.Dense(4, activation="tanh", name="shared")
    z1, z2 = shared(x), shared(y)
    c = layers.Concatenate(name="cat")([z1, z2])
    out = layers.Dense(1, name="o1")(c)
    return keras.Model({"a": a, "b": b}, {"out": out, "z": z2}, name="towers")


def _roundtrip(model):
    new = keras.Model.from_config(model.get_config())
    new.set_weights(model.get_weights())
    return new


# ---- get_config: Keras 3's format ----------------------------------------------------------
def test_functional_config_layers_nodes_and_history():
    cfg = _two_tower().get_config()
    assert sorted(cfg) == ["input_layers", "layers", "name", "output_layers", "trainable"]
    assert [item["name"] for item in cfg["layers"]] == ["a", "b", "d", "e", "shared", "cat", "o1"]
    assert cfg["input_layers"] == {"a": ["a", 0, 0], "b": ["b", 0, 0]}
    # the second call of the shared layer is its node 1
    assert cfg["output_layers"] == {"out": ["o1", 0, 0], "z": ["shared", 1, 0]}
    by_name = {item["name"]: item for item in cfg["layers"]}
    assert by_name["a"]["inbound_nodes"] == [] and by_name["a"]["class_name"] == "InputLayer"
    dense = by_name["d"]
    assert sorted(dense) == [
        "build_config", "class_name", "config", "inbound_nodes", "module", "name",
        "registered_name",
    ]  # fmt: skip
    assert dense["module"] == "keras.layers" and dense["registered_name"] is None
    assert dense["inbound_nodes"] == [
        {
            "args": [
                {
                    "class_name": "__keras_tensor__",
                    "config": {
                        "shape": [None, 3],
                        "dtype": "float32",
                        "keras_history": ["a", 0, 0],
                    },
                }
            ],
            "kwargs": {},
        }
    ]
    shared_hist = [
        n["args"][0]["config"]["keras_history"] for n in by_name["shared"]["inbound_nodes"]
    ]
    assert shared_hist == [["d", 0, 0], ["e", 0, 0]]
    cat_args = by_name["cat"]["inbound_nodes"][0]["args"]
    assert [t["config"]["keras_history"] for t in cat_args[0]] == [
        ["shared", 0, 0],
        ["shared", 1, 0],
    ]
    json.dumps(cfg)  # plain JSON data


def test_single_and_list_inputs_config_structure():
    a = keras.Input((3,), name="a")
    b = keras.Input((2,), name="b")
    x = layers.Dense(2, name="d")(a)
    assert keras.Model(a, x).get_config()["input_layers"] == ["a", 0, 0]
    assert keras.Model([a], [x]).get_config()["output_layers"] == [["d", 0, 0]]
    cfg = keras.Model([a, b], [x, b]).get_config()
    assert cfg["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert cfg["output_layers"] == [["d", 0, 0], ["b", 0, 0]]


def test_call_kwargs_are_recorded():
    i = keras.Input((3,), name="i")
    y = layers.Dropout(0.5, name="drop")(i, training=False)
    cfg = keras.Model(i, layers.Dense(2, name="dd")(y)).get_config()
    assert cfg["layers"][1]["inbound_nodes"][0]["kwargs"] == {"training": False}


def test_unused_input_is_kept_first():
    a = keras.Input((3,), name="a")
    u = keras.Input((1,), name="u")
    m = keras.Model([a, u], layers.Dense(2, name="d")(a))
    assert [layer.name for layer in m.layers] == ["a", "u", "d"]
    new = _roundtrip(m)
    xa, xu = _x(2, 3), _x(2, 1)
    _assert_same(m([xa, xu]), new([xa, xu]))


# ---- from_config round trips ---------------------------------------------------------------
def test_roundtrip_dicts_and_shared_layer_compute_the_same():
    m = _two_tower()
    new = _roundtrip(m)
    assert new is not m and isinstance(new, keras.Functional) and new.name == "towers"
    assert new.get_config() == m.get_config()
    feed = {"a": _x(5, 3), "b": _x(5, 2)}
    _assert_same(m(feed), new(feed))
    # the shared layer stays one layer (one set of weights) in the rebuilt model
    assert len(new.get_layer("shared").weights) == 2 and len(new.weights) == len(m.weights)


def test_roundtrip_list_inputs_and_outputs():
    a = keras.Input((3,), name="a")
    b = keras.Input((3,), name="b")
    s = layers.Add(name="add")([layers.Dense(3, name="da")(a), b])
    m = keras.Model([a, b], [s, layers.Dense(2, name="head")(s)])
    new = _roundtrip(m)
    xs = [_x(4, 3), _x(4, 3)]
    _assert_same(m(xs), new(xs))


def test_roundtrip_nested_model_called_twice():
    a = keras.Input((3,), name="inner_in")
    inner = keras.Model(a, layers.Dense(3, activation="relu", name="inner_d")(a), name="inner")
    i = keras.Input((3,), name="outer_in")
    outer = keras.Model(i, inner(inner(i)), name="outer")
    cfg = outer.get_config()
    item = cfg["layers"][1]
    assert item["class_name"] == "Functional" and item["registered_name"] == "Functional"
    assert item["module"] == "keras.src.models.functional"
    # as in Keras: inbound nodes count the nested model's calls from 0, the outputs from 1
    # (a nested Functional model's own graph is its node 0 there)
    assert item["inbound_nodes"][1]["args"][0]["config"]["keras_history"] == ["inner", 0, 0]
    assert cfg["output_layers"] == ["inner", 2, 0]
    new = _roundtrip(outer)
    x = _x(4, 3)
    _assert_same(outer(x), new(x))
    assert new.get_config() == cfg


def test_roundtrip_nested_sequential():
    seq = keras.Sequential([layers.Dense(3, name="s1"), layers.Dense(2, name="s2")], name="seq")
    i = keras.Input((4,), name="i")
    m = keras.Model(i, layers.Dense(1, name="top")(seq(i)))
    assert m.get_config()["layers"][1]["class_name"] == "Sequential"
    new = _roundtrip(m)
    x = _x(3, 4)
    _assert_same(m(x), new(x))


def test_custom_layer_needs_custom_objects():
    class Scale(layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return super().get_config() | {"factor": self.factor}

    i = keras.Input((2,), name="i")
    m = keras.Model(i, Scale(3.0, name="scale")(i))
    with pytest.raises(ValueError, match="Scale"):
        keras.Model.from_config(m.get_config())
    new = keras.Model.from_config(m.get_config(), custom_objects={"Scale": Scale})
    np.testing.assert_allclose(np.asarray(new(np.ones((1, 2), "float32"))), [[3.0, 3.0]])


def test_config_never_executes_anything():
    m = _two_tower()
    cfg = m.get_config()
    cfg["layers"][2]["class_name"] = "os.system"
    cfg["layers"][2]["module"] = "os"
    with pytest.raises(ValueError, match="os.system"):
        keras.Model.from_config(cfg)
    bad = json.dumps({"module": "builtins", "class_name": "eval", "config": {}})
    with pytest.raises(ValueError, match="eval"):
        model_from_json(bad)


def test_config_naming_a_missing_call_raises():
    cfg = _two_tower().get_config()
    cfg["output_layers"]["z"] = ["shared", 5, 0]
    with pytest.raises(ValueError, match="shared"):
        keras.Model.from_config(cfg)


def test_duplicate_layer_names_are_rejected():
    i = keras.Input((2,), name="i")
    x = layers.Dense(2, name="same")(i)
    with pytest.raises(ValueError, match='"same" is used 2 times'):
        keras.Model(i, layers.Dense(2, name="same")(x))


# ---- JSON -----------------------------------------------------------------------------------
def test_functional_json_roundtrip():
    m = _two_tower()
    j = json.loads(m.to_json())
    assert j["module"] == "keras.src.models.functional" and j["class_name"] == "Functional"
    assert j["registered_name"] == "Functional" and j["build_config"] == {"input_shape": None}
    new = model_from_json(m.to_json())
    assert isinstance(new, keras.Functional)
    new.set_weights(m.get_weights())
    feed = {"a": _x(2, 3), "b": _x(2, 2)}
    _assert_same(m(feed), new(feed))


def test_sequential_json_roundtrip():
    m = keras.Sequential([keras.Input((3,)), layers.Dense(4, "relu"), layers.Dense(2)], name="s")
    j = json.loads(m.to_json(indent=2))
    assert (j["module"], j["class_name"], j["registered_name"]) == ("keras", "Sequential", None)
    assert j["build_config"] == {"input_shape": [None, 3]}
    assert sorted(j["config"]) == ["build_input_shape", "dtype", "layers", "name", "trainable"]
    new = model_from_json(m.to_json())
    assert isinstance(new, keras.Sequential) and new.name == "s"
    new.set_weights(m.get_weights())
    x = _x(5, 3)
    _assert_same(m(x), new(x))


def test_sequential_built_without_input_json_roundtrip():
    m = keras.Sequential([layers.Dense(2)])
    m.build((None, 5))
    new = model_from_json(m.to_json())
    assert new.built and len(new.weights) == 2
    new.set_weights(m.get_weights())
    x = _x(2, 5)
    _assert_same(m(x), new(x))


def test_model_from_json_rejects_non_json():
    with pytest.raises(ValueError, match="JSON"):
        model_from_json("not json {")


# ---- clone_model ----------------------------------------------------------------------------
def test_clone_functional_has_new_weights_and_same_structure():
    m = _two_tower()
    c = clone_model(m)
    assert c.get_config() == m.get_config()
    assert all(u is not v for u, v in zip(c.weights, m.weights))
    assert not any(layer is other for layer in c.layers for other in m.layers)
    c.set_weights(m.get_weights())
    feed = {"a": _x(3, 3), "b": _x(3, 2)}
    _assert_same(m(feed), c(feed))
    # independence: changing the clone's weights leaves the original alone
    before = [np.asarray(w) for w in m.get_weights()]
    c.set_weights([np.zeros_like(w) for w in before])
    for w, b in zip(m.get_weights(), before):
        np.testing.assert_array_equal(np.asarray(w), b)
    assert np.abs(np.asarray(c(feed)["out"])).max() == 0.0


def test_clone_sequential_and_clone_function():
    m = keras.Sequential([keras.Input((3,)), layers.Dense(4, name="a"), layers.Dense(2, name="b")])
    seen = []

    def fn(layer):
        seen.append(layer.name)
        config = layer.get_config()
        if layer.name == "b":
            config["units"] = 5
        return type(layer).from_config(config)

    c = clone_model(m, clone_function=fn)
    assert seen == ["a", "b"]
    assert c.output_shape == (None, 5)
    plain = clone_model(m)
    plain.set_weights(m.get_weights())
    x = _x(2, 3)
    _assert_same(m(x), plain(x))


def test_clone_shared_layer_stays_shared_and_input_tensors():
    i = keras.Input((2,), name="i")
    d = layers.Dense(2, name="d")
    m = keras.Model(i, d(d(i)))
    new_in = keras.Input((2,), name="new_in")
    c = clone_model(m, input_tensors=new_in)
    assert len(c.weights) == 2 and c.inputs[0] is new_in
    c.set_weights(m.get_weights())
    x = _x(2, 2)
    _assert_same(m(x), c(x))


def test_clone_errors():
    class Sub(keras.Model):
        def call(self, x):
            return x

    with pytest.raises(ValueError, match="Sub"):
        clone_model(Sub())
    m = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    with pytest.raises(ValueError, match="must return a Layer"):
        clone_model(m, clone_function=lambda layer: None)


# ---- get_layer and trainable ----------------------------------------------------------------
def test_get_layer_errors_are_keras_messages():
    m = keras.Sequential([keras.Input((2,)), layers.Dense(1, name="d")])
    assert m.get_layer("d") is m.get_layer(index=0)
    with pytest.raises(ValueError, match=r"No such layer: x\. Existing layers are: \['d'\]\."):
        m.get_layer("x")
    with pytest.raises(ValueError, match="at index 3 but model only has 1 layers"):
        m.get_layer(index=3)
    with pytest.raises(ValueError, match="Provide only a layer name or a layer index"):
        m.get_layer("d", 0)
    with pytest.raises(ValueError, match="Provide either a layer name or layer index"):
        m.get_layer()


def test_trainable_false_freezes_after_recompile():
    m = keras.Sequential([keras.Input((2,)), layers.Dense(2, name="d1"), layers.Dense(1)])
    x, y = _x(8, 2), _x(8, 1)
    m.compile("sgd", "mse")
    m.fit(x, y, verbose=0)
    d1 = m.get_layer("d1")
    d1.trainable = False
    assert len(m.trainable_weights) == 2 and len(m.non_trainable_weights) == 2
    before = np.array(d1.get_weights()[0])
    m.fit(x, y, verbose=0)  # the train function made before still updates d1 (as Keras)
    assert not np.array_equal(before, np.array(d1.get_weights()[0]))
    m.compile("sgd", "mse")
    frozen = [np.array(w) for w in d1.get_weights()]
    m.fit(x, y, verbose=0)
    for w, f in zip(d1.get_weights(), frozen):
        np.testing.assert_array_equal(np.asarray(w), f)
    m.trainable = False
    assert m.trainable_weights == [] and not d1.trainable
    assert m.get_config()["trainable"] is False
    assert keras.Sequential.from_config(m.get_config()).trainable is False
