"""Preprocessing layers in a ``.keras`` file, as Keras 3.15 writes it (issue 16): a model with
every stateful preprocessing layer adapted (``preproc_cases.build``) loads from the file either
library wrote (``make_preproc_data.py``) with Keras's predictions, writes the same assets and
weights, and round-trips its own file with the same vocabularies and outputs."""

from __future__ import annotations

import io
import json
import os
import sys
import zipfile

import h5py
import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from preproc_cases import NUM, build, inputs

DATA = os.path.join(os.path.dirname(__file__), "data")
KERAS_FILE = os.path.join(DATA, "preproc_keras315.keras")


def reference():
    """Keras 3.15's predictions (``training=False``), saved beside its file."""
    arrays = np.load(os.path.join(DATA, "preproc_keras315.npz"))
    return [arrays[f"arr_{i}"] for i in range(len(arrays.files))]


def check(outputs, refs):
    assert len(outputs) == len(refs)
    for got, ref in zip(outputs, refs):
        got = np.asarray(got)
        assert got.shape == ref.shape and got.dtype == ref.dtype
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)


def vocabularies(model):
    return {n: model.get_layer(n).get_vocabulary() for n in ("tfidf", "seq", "words", "codes")}


def layout(path):
    """The file's asset texts and its weights (name -> array)."""
    with zipfile.ZipFile(path) as z:
        assets = {n: z.read(n) for n in z.namelist() if n.startswith("assets/")}
        h5 = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
        weights = {}
        h5.visititems(lambda n, o: weights.update({n: o[()]}) if hasattr(o, "shape") else None)
    return assets, weights


@pytest.mark.parametrize("writer", ["keras315", "tensorhouse"])
def test_loads_the_file_either_library_wrote(tf, writer):
    model = tf.keras.models.load_model(os.path.join(DATA, f"preproc_{writer}.keras"))
    check(model(inputs(tf), training=False), reference())
    assert vocabularies(model)["words"] == ["[UNK]", "[UNK]", "eel", "dog", "cat", "ant"]
    assert model.get_layer("codes").get_vocabulary()[:2] == [-1, 107]
    np.testing.assert_allclose(np.ravel(model.get_layer("norm").mean), NUM.mean(0), rtol=1e-5)
    np.testing.assert_allclose(np.ravel(model.get_layer("norm").variance), NUM.var(0), rtol=1e-4)


def test_writes_keras_assets_and_weights(tf, tmp_path):
    model = build(tf.keras)
    check(model(inputs(tf), training=False), reference())
    path = str(tmp_path / "preproc.keras")
    model.save(path)
    mine, theirs = layout(path), layout(KERAS_FILE)
    assert mine[0] == theirs[0]  # the vocabulary files, byte for byte
    assert sorted(mine[1]) == sorted(theirs[1])
    for name, value in theirs[1].items():
        np.testing.assert_allclose(mine[1][name], value, rtol=1e-6, err_msg=name)


def test_round_trip_and_layer_configs(tf, tmp_path):
    model = build(tf.keras)
    path = str(tmp_path / "preproc.keras")
    model.save(path)
    loaded = tf.keras.models.load_model(path)
    check(loaded(inputs(tf), training=False), reference())
    assert vocabularies(loaded) == vocabularies(model)
    with zipfile.ZipFile(KERAS_FILE) as z:
        keras_layers = json.loads(z.read("config.json"))["config"]["layers"]
    with zipfile.ZipFile(path) as z:
        my_layers = json.loads(z.read("config.json"))["config"]["layers"]
    strip = ("dtype", "optional", "ragged")  # how the dtype policy / Input are written: not ours
    for mine, theirs in zip(my_layers, keras_layers):
        assert (mine["class_name"], mine["name"]) == (theirs["class_name"], theirs["name"])
        assert {k: v for k, v in mine["config"].items() if k not in strip} == {
            k: v for k, v in theirs["config"].items() if k not in strip
        }, mine["name"]
