"""``.keras`` assets: an adapted lookup layer's vocabulary is written to
``assets/layers/<layer>/vocabulary.txt`` and read back on load, against real Keras 3.15
(``TENSORHOUSE_COMPAT_TF=1``) and tensorhouse."""

import importlib
import zipfile

import numpy as np


def _model(keras):
    lookup = keras.layers.StringLookup(name="string_lookup")
    lookup.adapt(np.array(["a", "b", "b", "c", "c", "c"]))
    return keras.Sequential([keras.Input((1,), dtype="string"), lookup])


def test_adapted_vocabulary_round_trips_through_assets(tf, tmp_path):
    keras = tf.keras
    model = _model(keras)
    path = str(tmp_path / "lookup.keras")
    model.save(path)
    with zipfile.ZipFile(path) as zf:
        assert "assets/layers/string_lookup/vocabulary.txt" in zf.namelist()
        assert zf.read("assets/layers/string_lookup/vocabulary.txt") == b"[UNK]\nc\nb\na"
    loaded = keras.models.load_model(path)
    assert loaded.layers[0].get_vocabulary() == ["[UNK]", "c", "b", "a"]
    x = tf.constant([["a"], ["c"], ["zzz"]])
    np.testing.assert_array_equal(np.asarray(loaded(x)), [[3], [1], [0]])


def test_directory_format_writes_assets(tf, tmp_path):
    keras = tf.keras
    # tf.keras in TF 2.21 has no ``saving``: real Keras's is the same module as keras.saving
    saving = getattr(keras, "saving", None) or importlib.import_module("keras").saving
    model = _model(keras)
    folder = tmp_path / "unzipped"
    saving.save_model(model, str(folder), zipped=False)
    text = (folder / "assets" / "layers" / "string_lookup" / "vocabulary.txt").read_text()
    assert text == "[UNK]\nc\nb\na"
    loaded = saving.load_model(str(folder))
    assert loaded.layers[0].get_vocabulary() == ["[UNK]", "c", "b", "a"]
