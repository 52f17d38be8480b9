"""Functional models with ``keras.ops.einsum`` nodes (one, two and three operands: Keras's
``Einsum`` takes its operands as ``call(*operands)``) and ``diff`` / ``meshgrid`` /
``convert_to_tensor`` nodes, saved as Keras 3.15 saves them: each library loads the ``.keras``
file the other wrote (``make_einsum_nodes_data.py``) with the same predictions, writes the
same config layout, and round-trips its own file."""

from __future__ import annotations

import json
import os
import sys
import zipfile

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from einsum_nodes_cases import XA, XB, build
from test_ops_nodes_compat import check, layout, reference

DATA = os.path.join(os.path.dirname(__file__), "data")


def test_reference_is_numpy():
    refs = reference("einsum_nodes")
    three = np.einsum("bij,bjk,bkl->bil", XA, XB, np.einsum("bij,bjk->bki", XA, XB))
    np.testing.assert_allclose(refs[0][..., :3], three, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(refs[1], XA.transpose(0, 2, 1), rtol=1e-6)
    ab = np.einsum("bij,bjk->bik", XA, XB)
    np.testing.assert_allclose(refs[0][..., 3:6], np.diff(ab, n=2, axis=-1), rtol=1e-4, atol=1e-5)
    gx, gy = np.meshgrid(XA[0, 0], XA[0, 1], indexing="ij")
    want = (gx * gy)[None] + (XA * XA).sum(axis=1)[:, None, :]
    np.testing.assert_allclose(refs[2], want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("writer", ["keras315", "tensorhouse"])
def test_loads_the_file_either_library_wrote(tf, writer):
    model = tf.keras.models.load_model(os.path.join(DATA, f"einsum_nodes_{writer}.keras"))
    check(model([XA, XB]), reference("einsum_nodes"))
    assert sorted(layer.name for layer in model.layers) == ["a", "b", "dense"]


def test_config_layout_matches_keras(tf):
    model = build(tf.keras)
    check(model([XA, XB]), reference("einsum_nodes"))
    mine = json.loads(json.dumps(model.get_config()))
    with zipfile.ZipFile(os.path.join(DATA, "einsum_nodes_keras315.keras")) as z:
        keras_config = json.loads(z.read("config.json"))["config"]
    assert layout(mine) == layout(keras_config)
    einsums = {
        item["config"]["subscripts"]: len(item["inbound_nodes"][0]["args"])
        for item in mine["layers"]
        if item["class_name"] == "Einsum"
    }
    assert einsums == {"bij,bjk->bik": 2, "bij,bjk,bkl->bil": 3, "bij->bji": 1, "bij,bij->bj": 2}


def test_round_trip_through_a_keras_file(tf, tmp_path):
    model = build(tf.keras)
    path = str(tmp_path / "einsum.keras")
    model.save(path)
    loaded = tf.keras.models.load_model(path)
    check(loaded([XA, XB]), reference("einsum_nodes"))
    again = tf.keras.models.model_from_json(model.to_json())
    again.set_weights(model.get_weights())
    check(again([XA, XB]), reference("einsum_nodes"))
