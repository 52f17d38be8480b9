"""Functional models with operator and ``keras.ops`` nodes: ``get_config`` / ``from_config``,
``to_json`` / ``model_from_json`` and ``.keras`` files round trip them with Keras 3's layout."""

import json
import zipfile

import numpy as np
import pytest

from tensorhouse_models import Input, Model, layers, models, ops
from tensorhouse_models import keras_ops as kops

RNG = np.random.default_rng(3)
XA = RNG.standard_normal((6, 4)).astype("float32")
XB = RNG.uniform(0.5, 2.0, (6, 4)).astype("float32")


def build():
    a = Input((4,), name="a")
    b = Input((4,), name="b")
    h = layers.Dense(3, name="dense")(a)
    s = a * 2.0 + b - 1.5
    t = 3.0 / b + (-a) ** 2
    v = a[:, 1:3] + b[..., None, 0] - a[:, ::2]
    w = kops.concatenate(
        [kops.sum(s, axis=-1, keepdims=True), kops.max(abs(t), axis=1, keepdims=True), h], -1
    )
    r = kops.squeeze(kops.matmul(kops.expand_dims(w, 1), kops.ones((5, 2))), 1)
    e = kops.cast(kops.where(a > 0, kops.exp(a), kops.sqrt(b)), "float16")
    g = kops.softmax(kops.transpose(kops.reshape(v, (-1, 1, 2)), (0, 2, 1)), axis=1)
    out = [r, kops.stack([kops.cast(e, "float32"), kops.log(b)], axis=1), g]
    model = Model([a, b], out, name="ops_model")
    model.get_layer("dense").set_weights(
        [RNG.standard_normal((4, 3)).astype("float32"), np.ones(3, "float32")]
    )
    return model


def expected(model):
    """The model's outputs computed in NumPy from its Dense weights."""
    kernel, bias = model.get_layer("dense").get_weights()
    h = XA @ kernel + bias
    s = XA * 2 + XB - 1.5
    t = 3 / XB + XA**2
    v = XA[:, 1:3] + XB[:, None, 0] - XA[:, ::2]
    w = np.concatenate([s.sum(-1, keepdims=True), np.abs(t).max(1, keepdims=True), h], -1)
    r = w @ np.ones((5, 2))
    e = np.where(XA > 0, np.exp(XA), np.sqrt(XB)).astype("float16").astype("float32")
    z = v.reshape(-1, 1, 2).transpose(0, 2, 1)
    g = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    return [r, np.stack([e, np.log(XB)], 1), g]


def check(outputs, refs):
    for got, ref in zip(outputs, refs):
        np.testing.assert_allclose(np.asarray(got, dtype="float32"), ref, rtol=2e-3, atol=1e-5)


def test_outputs_and_layers():
    model = build()
    check(model([XA, XB]), expected(model))
    assert sorted(layer.name for layer in model.layers) == ["a", "b", "dense"]
    assert all(not isinstance(layer, layers.Operation) for layer in model.layers)
    assert len(model.operations) > len(model.layers)
    assert any(isinstance(op, layers.Operation) for op in model.operations)


def test_config_layout_is_keras():
    model = build()
    config = json.loads(json.dumps(model.get_config()))
    by_class = {item["class_name"]: item for item in config["layers"]}
    total = by_class["Sum"]
    assert total["module"] == "keras.src.ops.numpy" and total["registered_name"] == "Sum"
    assert total["config"] == {"name": total["name"], "axis": -1, "keepdims": True}
    (call,) = total["inbound_nodes"]
    assert call["kwargs"] == {} and call["args"][0]["class_name"] == "__keras_tensor__"
    assert by_class["Cast"]["module"] == "keras.src.ops.core"
    assert by_class["Softmax"]["module"] == "keras.src.ops.nn"
    assert by_class["Softmax"]["config"]["axis"] == 1
    keys = [
        item["inbound_nodes"][0]["args"][1]
        for item in config["layers"]
        if item["class_name"] == "GetItem"
    ]
    slice_all = {"class_name": "__slice__", "config": {"start": None, "stop": None, "step": None}}
    assert [slice_all, {"class_name": "__slice__", "config": {"start": 1, "stop": 3, "step": None}}
            ] in keys  # fmt: skip
    assert [{"class_name": "__ellipsis__", "config": {}}, None, 0] in keys
    (matmul,) = [item for item in config["layers"] if item["class_name"] == "Matmul"]
    const = matmul["inbound_nodes"][0]["args"][1]
    assert const["class_name"] == "__tensor__" and const["config"]["dtype"] == "float32"
    assert np.asarray(const["config"]["value"]).shape == (5, 2)
    multiply = by_class["Multiply"]["inbound_nodes"][0]["args"]
    assert multiply[1] == 2.0  # a Python number stays inline


def test_from_config_and_json_round_trip():
    model = build()
    ref = expected(model)
    again = Model.from_config(model.get_config())
    again.set_weights(model.get_weights())
    check(again([XA, XB]), ref)
    assert json.loads(json.dumps(again.get_config())) == json.loads(json.dumps(model.get_config()))
    from_json = models.model_from_json(model.to_json())
    from_json.set_weights(model.get_weights())
    check(from_json([XA, XB]), ref)


def test_keras_file_round_trip(tmp_path):
    model = build()
    path = str(tmp_path / "ops.keras")
    model.save(path)
    loaded = models.load_model(path)
    check(loaded([XA, XB]), expected(model))
    traced = ops.function(lambda a, b: loaded([a, b]))
    check(traced(XA, XB), expected(model))
    with zipfile.ZipFile(path) as z:
        saved = json.loads(z.read("config.json"))
    classes = {item["class_name"] for item in saved["config"]["layers"]}
    assert {"Multiply", "GetItem", "Concatenate", "Stack", "Where", "Cast"} <= classes


def test_unknown_op_class_raises():
    model = build()
    config = json.loads(model.to_json())
    for item in config["config"]["layers"]:
        if item["class_name"] == "Stack":
            item["class_name"] = item["registered_name"] = "RunCode"
    with pytest.raises(ValueError, match=r"Could not deserialize 'keras.src.ops.numpy.RunCode'"):
        models.model_from_json(json.dumps(config))


def test_unsaveable_op_raises_on_get_config():
    a = Input((3,))
    model = Model(a, kops.clip(a, a, 1.0))
    np.testing.assert_allclose(model(np.array([[0.5, 2.0, -1.0]], "float32")), [[0.5, 1, -1]])
    with pytest.raises(NotImplementedError, match="cannot be serialized"):
        model.get_config()


def test_clone_model_keeps_op_nodes():
    model = build()
    clone = models.clone_model(model)
    clone.set_weights(model.get_weights())
    check(clone([XA, XB]), expected(model))
    names = [op.name for op in clone.operations]
    assert names == [op.name for op in model.operations]
    assert all(a is not b for a, b in zip(clone.operations, model.operations))
    assert json.loads(clone.to_json())["config"] == json.loads(model.to_json())["config"]


def test_summary_names_keras_op_classes():
    lines = []
    build().summary(print_fn=lines.append, line_length=120)
    text = "\n".join(lines)
    assert "(Multiply)" in text and "(GetItem)" in text and "(Operation)" not in text
