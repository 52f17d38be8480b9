"""Functional models with operator and ``keras.ops`` nodes saved as Keras 3.15 saves them:
each library loads the ``.keras`` file the other wrote (``make_ops_nodes_data.py``) with the
same predictions, writes the same config layout, and round-trips its own file."""

from __future__ import annotations

import json
import os
import sys
import zipfile

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from ops_nodes_cases import XA, XB, build

DATA = os.path.join(os.path.dirname(__file__), "data")


def reference(stem="ops_nodes"):
    """The predictions real Keras 3.15 saved beside ``data/<stem>_keras315.keras``."""
    arrays = np.load(os.path.join(DATA, f"{stem}_keras315.npz"))
    return [arrays[f"arr_{i}"] for i in range(len(arrays.files))]


def check(outputs, refs, tol=1e-5):
    assert len(outputs) == len(refs)
    for got, ref in zip(outputs, refs):
        got = np.asarray(got, dtype="float32")
        assert got.shape == ref.shape
        np.testing.assert_allclose(got, ref, rtol=tol, atol=tol)


@pytest.mark.parametrize("writer", ["keras315", "tensorhouse"])
def test_loads_the_file_either_library_wrote(tf, writer):
    model = tf.keras.models.load_model(os.path.join(DATA, f"ops_nodes_{writer}.keras"))
    check(model([XA, XB]), reference())
    assert sorted(layer.name for layer in model.layers) == ["a", "b", "dense"]


def layout(config):
    """The op nodes of a functional config, their names replaced by their positions."""
    names = {item["name"]: i for i, item in enumerate(config["layers"])}

    def rename(value):
        if isinstance(value, dict):
            if value.get("class_name") == "__keras_tensor__":
                name, node, index = value["config"]["keras_history"]
                return {**value, "config": {**value["config"], "keras_history": [
                    names[name], node, index]}}  # fmt: skip
            return {k: rename(v) for k, v in value.items()}
        if isinstance(value, list):
            return [rename(v) for v in value]
        return value

    out = []
    for item in config["layers"]:
        entry = [item["module"], item["class_name"], item["registered_name"]]
        if item["module"].startswith("keras.src.ops."):
            inner = dict(item["config"])
            assert inner.pop("name") == item["name"]
            entry += [inner, rename(item["inbound_nodes"])]
        out.append(entry)
    return out, [names[h[0]] for h in config["output_layers"]]


def test_config_layout_matches_keras(tf):
    model = build(tf.keras)
    check(model([XA, XB]), reference())
    mine = json.loads(json.dumps(model.get_config()))
    with zipfile.ZipFile(os.path.join(DATA, "ops_nodes_keras315.keras")) as z:
        keras_config = json.loads(z.read("config.json"))["config"]
    assert layout(mine) == layout(keras_config)


def test_round_trip_through_a_keras_file(tf, tmp_path):
    model = build(tf.keras)
    path = str(tmp_path / "ops.keras")
    model.save(path)
    loaded = tf.keras.models.load_model(path)
    check(loaded([XA, XB]), reference())
    again = tf.keras.models.model_from_json(model.to_json())
    again.set_weights(model.get_weights())
    check(again([XA, XB]), reference())


def test_unknown_operation_class(tf):
    x = tf.keras.Input((4,))
    config = json.loads(tf.keras.Model(x, x * 2).to_json())
    for item in config["config"]["layers"]:
        if item["class_name"] == "Multiply":
            item["class_name"] = item["registered_name"] = "Bogus"
    with pytest.raises(ValueError, match=r"Could not deserialize 'keras.src.ops.numpy.Bogus'"):
        tf.keras.models.model_from_json(json.dumps(config))
