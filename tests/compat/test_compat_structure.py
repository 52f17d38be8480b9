"""tf.keras model structure: functional get_config's format, to_json / model_from_json round
trips and clone_model."""

import json
import warnings

import numpy as np
import pytest

RNG = np.random.default_rng(1)


def _x(*shape):
    return RNG.standard_normal(shape).astype("float32")


def _towers(tf):
    keras = tf.keras
    a = keras.Input((3,), name="a")
    b = keras.Input((2,), name="b")
    x = keras.layers.Dense(4, name="d")(a)
    y = keras.layers.Dense(4, name="e")(b)
    shared = keras.layers.Dense(4, activation="tanh", name="shared")
    z1, z2 = shared(x), shared(y)
    c = keras.layers.Concatenate(name="cat")([z1, z2])
    out = keras.layers.Dense(1, name="o1")(c)
    return keras.Model({"a": a, "b": b}, {"out": out, "z": z2}, name="towers")


def _nested(tf):
    keras = tf.keras
    a = keras.Input((3,), name="inner_in")
    inner = keras.Model(
        a, keras.layers.Dense(3, activation="relu", name="inner_d")(a), name="inner"
    )
    i = keras.Input((3,), name="outer_in")
    return keras.Model(i, inner(inner(i)), name="outer")


def _same(a, b):
    if isinstance(a, dict):
        assert sorted(a) == sorted(b)
        for k in a:
            np.testing.assert_allclose(np.asarray(a[k]), np.asarray(b[k]), rtol=1e-5, atol=1e-6)
    else:
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)


def _node_shape(node):
    """The structure of one inbound node with the tensors reduced to their keras_history."""

    def walk(v):
        if isinstance(v, dict) and v.get("class_name") == "__keras_tensor__":
            return ("tensor", tuple(v["config"]["keras_history"]), sorted(v["config"]))
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [walk(x) for x in v]
        return v

    kwargs = {k: v for k, v in node["kwargs"].items() if k != "mask"}  # Keras adds mask=None
    return walk(list(node["args"])), walk(kwargs)


def test_functional_config_structure(tf):
    cfg = json.loads(json.dumps(_towers(tf).get_config()))
    assert sorted(cfg) == ["input_layers", "layers", "name", "output_layers", "trainable"]
    assert [item["name"] for item in cfg["layers"]] == ["a", "b", "d", "e", "shared", "cat", "o1"]
    assert cfg["input_layers"] == {"a": ["a", 0, 0], "b": ["b", 0, 0]}
    assert cfg["output_layers"] == {"out": ["o1", 0, 0], "z": ["shared", 1, 0]}
    by_name = {item["name"]: item for item in cfg["layers"]}
    assert sorted(by_name["a"]) == [
        "class_name", "config", "inbound_nodes", "module", "name", "registered_name",
    ]  # fmt: skip
    assert sorted(by_name["d"]) == [
        "build_config", "class_name", "config", "inbound_nodes", "module", "name",
        "registered_name",
    ]  # fmt: skip
    assert by_name["a"]["inbound_nodes"] == []
    tensor_keys = ["dtype", "keras_history", "shape"]
    assert [_node_shape(n) for n in by_name["shared"]["inbound_nodes"]] == [
        ([("tensor", ("d", 0, 0), tensor_keys)], {}),
        ([("tensor", ("e", 0, 0), tensor_keys)], {}),
    ]
    assert [_node_shape(n) for n in by_name["cat"]["inbound_nodes"]] == [
        (
            [
                [
                    ("tensor", ("shared", 0, 0), tensor_keys),
                    ("tensor", ("shared", 1, 0), tensor_keys),
                ]
            ],
            {},
        )
    ]
    arg = by_name["d"]["inbound_nodes"][0]["args"][0]
    assert arg["config"]["shape"] == [None, 3] and arg["config"]["dtype"] == "float32"


def test_list_and_single_io_structure(tf):
    keras = tf.keras
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    x = keras.layers.Dense(2, name="d")(a)
    single = keras.Model(a, x).get_config()
    assert (single["input_layers"], single["output_layers"]) == (["a", 0, 0], ["d", 0, 0])
    listed = keras.Model([a, b], [x, b]).get_config()
    assert listed["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert listed["output_layers"] == [["d", 0, 0], ["b", 0, 0]]


def test_nested_model_config_structure(tf):
    cfg = json.loads(json.dumps(_nested(tf).get_config()))
    assert [item["name"] for item in cfg["layers"]] == ["outer_in", "inner"]
    item = cfg["layers"][1]
    assert (item["module"], item["class_name"], item["registered_name"]) == (
        "keras.src.models.functional", "Functional", "Functional",
    )  # fmt: skip
    assert item["build_config"] == {"input_shape": None}
    histories = [n["args"][0]["config"]["keras_history"] for n in item["inbound_nodes"]]
    assert histories == [["outer_in", 0, 0], ["inner", 0, 0]]
    assert cfg["output_layers"] == ["inner", 2, 0]
    assert sorted(item["config"]) == [
        "input_layers",
        "layers",
        "name",
        "output_layers",
        "trainable",
    ]


def test_from_config_roundtrip(tf):
    m = _towers(tf)
    new = tf.keras.Model.from_config(m.get_config())
    new.set_weights(m.get_weights())
    feed = {"a": _x(4, 3), "b": _x(4, 2)}
    _same(m(feed), new(feed))


@pytest.mark.parametrize("build", [_towers, _nested])
def test_functional_json_roundtrip(tf, build):
    m = build(tf)
    j = json.loads(m.to_json())
    assert (j["module"], j["class_name"]) == ("keras.src.models.functional", "Functional")
    new = tf.keras.models.model_from_json(m.to_json())
    new.set_weights(m.get_weights())
    feed = {"a": _x(4, 3), "b": _x(4, 2)} if build is _towers else _x(4, 3)
    _same(m(feed), new(feed))


def test_sequential_json_roundtrip(tf):
    keras = tf.keras
    m = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(2)],
        name="seq",
    )
    j = json.loads(m.to_json())
    assert (j["module"], j["class_name"], j["registered_name"]) == ("keras", "Sequential", None)
    assert j["build_config"] == {"input_shape": [None, 3]}
    assert sorted(j["config"]) == ["build_input_shape", "dtype", "layers", "name", "trainable"]
    new = keras.models.model_from_json(m.to_json())
    assert isinstance(new, keras.Sequential) and new.name == "seq"
    new.set_weights(m.get_weights())
    x = _x(5, 3)
    _same(m(x), new(x))


def test_model_from_json_unknown_class_raises(tf):
    bad = json.dumps(
        {"module": "keras", "class_name": "Nope", "config": {}, "registered_name": None}
    )
    with pytest.raises(ValueError, match="Nope"):
        tf.keras.models.model_from_json(bad)
    cfg = _towers(tf).get_config()
    cfg["layers"][2]["class_name"] = "Evil"
    with pytest.raises(ValueError, match="Evil"):
        tf.keras.Model.from_config(cfg)


def test_clone_model(tf):
    keras = tf.keras
    m = _towers(tf)
    c = keras.models.clone_model(m)
    assert [layer.name for layer in c.layers] == [layer.name for layer in m.layers]
    assert not any(u is v for u in c.weights for v in m.weights)
    c.set_weights(m.get_weights())
    feed = {"a": _x(3, 3), "b": _x(3, 2)}
    _same(m(feed), c(feed))
    c.set_weights([np.zeros(w.shape, "float32") for w in m.get_weights()])
    assert np.abs(np.asarray(m(feed)["out"])).max() > 0.0
    seq = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="a")])
    names = []
    keras.models.clone_model(seq, clone_function=lambda layer: names.append(layer.name) or layer)
    assert names == ["a"]


def test_get_layer_errors(tf):
    keras = tf.keras
    m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, name="d")])
    with pytest.raises(ValueError, match=r"No such layer: x\. Existing layers are: \['d'\]\."):
        m.get_layer("x")
    with pytest.raises(ValueError, match="at index 3 but model only has 1 layers"):
        m.get_layer(index=3)
    with pytest.raises(ValueError, match="Provide either a layer name or layer index"):
        m.get_layer()


def test_training_given_at_construction_applies_unless_the_call_gives_one(tf):
    keras = tf.keras
    i = keras.Input((200,))
    m = keras.Model(i, keras.layers.Dropout(0.5)(i, training=True))
    x = np.ones((1, 200), "float32")
    y = np.asarray(m(x))
    assert (y == 0).sum() > 20 and np.allclose(y[y != 0], 2.0)
    np.testing.assert_array_equal(np.asarray(m(x, training=False)), x)
    new = keras.models.model_from_json(m.to_json())
    assert (np.asarray(new(x)) == 0).sum() > 20


def test_trainable_change_after_a_fit_needs_recompile(tf):
    """Trainable variables are fixed when the train function is made (Keras 3.15 has a warning
    for this, but it is unreachable code: it does not warn)."""
    keras = tf.keras
    x, y = _x(8, 2), _x(8, 1)

    def d1_moves(m):
        before = np.array(m.get_layer("d1").get_weights()[0])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            m.fit(x, y, verbose=0)
        assert not [w for w in caught if "trainable" in str(w.message)]
        return not np.array_equal(before, np.array(m.get_layer("d1").get_weights()[0]))

    m = keras.Sequential(
        [keras.Input((2,)), keras.layers.Dense(2, name="d1"), keras.layers.Dense(1)]
    )
    m.compile("sgd", "mse")
    m.get_layer("d1").trainable = False  # before the first fit: it applies
    assert len(m.trainable_weights) == 2 and len(m.non_trainable_weights) == 2
    assert not d1_moves(m)
    m.get_layer("d1").trainable = True  # after a fit: not until compile() again
    assert not d1_moves(m)
    m.compile("sgd", "mse")
    assert d1_moves(m)
