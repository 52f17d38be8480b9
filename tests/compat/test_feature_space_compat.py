"""tf.keras.utils.FeatureSpace: encoded values, the order of the merged features (sorted names,
then sorted crosses), one-hot widths, crosses, unbatched calls, ``Dataset.map``, the functional
view, config, ``.keras`` files, errors, and a small model trained on top, as Keras 3.15 has them.
"""

import io
import json
import os
import zipfile

import h5py
import numpy as np
import pytest

DATA = {
    "f": np.array([0.0, 1.0, 2.0, 3.0], np.float32),
    "s": np.array(["a", "b", "a", "c"]),
    "i": np.array([1, 2, 3, 1]),
}


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def one_hot(indices, depth):
    return np.eye(depth, dtype=np.float32)[np.asarray(indices)]


def feature_space(tf, *args, **kwargs):
    return tf.keras.utils.FeatureSpace(*args, **kwargs)


def adapted_concat(tf):
    fs = feature_space(
        tf,
        {"f": "float_normalized", "s": "string_categorical", "i": "integer_categorical"},
        crosses=[("s", "i")],
        crossing_dim=4,
    )
    fs.adapt(tf.data.Dataset.from_tensor_slices(DATA))
    return fs


def expected_concat():
    f = (DATA["f"] - 1.5) / np.sqrt(1.25)
    # vocabularies by frequency: i -> [-1, 1, 3, 2], s -> ["[UNK]", "a", "c", "b"]
    i = one_hot([1, 3, 2, 1], 4)
    s = one_hot([1, 3, 1, 2], 4)
    cross = one_hot([1, 1, 1, 0], 4)  # HashedCrossing of the lookup indices (TF's bins)
    return np.concatenate([f[:, None], i, s, cross], axis=1)  # sorted: f, i, s, then s_X_i


def test_concat_values_and_sorted_order(tf):
    fs = adapted_concat(tf)
    assert fs.preprocessors["i"].get_vocabulary() == [-1, 1, 3, 2]
    assert fs.preprocessors["s"].get_vocabulary() == ["[UNK]", "a", "c", "b"]
    assert sorted(fs.crossers) == ["s_X_i"]
    assert isinstance(fs.crossers["s_X_i"], tf.keras.layers.HashedCrossing)
    out = fs(DATA)
    assert tuple(out.shape) == (4, 13)
    assert out.dtype == tf.float32
    close(out, expected_concat())
    # lists, and a (batch, 1) layout, give the same
    as_lists = {k: v.tolist() for k, v in DATA.items()}
    close(fs(as_lists), expected_concat())
    close(fs({k: v[:, None] for k, v in DATA.items()}), expected_concat())


def test_unbatched_call_and_dataset_map(tf):
    fs = adapted_concat(tf)
    one = fs({"f": 3.0, "s": "c", "i": 1})
    assert tuple(one.shape) == (13,)
    close(one, expected_concat()[3])
    unbatched = tf.data.Dataset.from_tensor_slices(DATA).map(fs)
    assert unbatched.element_spec.shape.as_list() == [13]
    close(np.stack([x.numpy() for x in unbatched]), expected_concat())
    batched = tf.data.Dataset.from_tensor_slices(DATA).batch(3).map(fs)
    assert batched.element_spec.shape.as_list() == [None, 13]
    close(np.concatenate([x.numpy() for x in batched]), expected_concat())
    labeled = tf.data.Dataset.from_tensor_slices((DATA, np.arange(4))).batch(2)
    x, y = next(iter(labeled.map(lambda x, y: (fs(x), y))))
    close(x, expected_concat()[:2])
    assert y.numpy().tolist() == [0, 1]


def test_traced_call_matches_eager(tf):
    fs = adapted_concat(tf)
    traced = tf.function(lambda d: fs(d))
    close(traced({k: tf.constant(v) for k, v in DATA.items()}), expected_concat())


def test_dict_mode_int_outputs_and_hashing(tf):
    FS = tf.keras.utils.FeatureSpace
    fs = feature_space(
        tf,
        {
            "s": FS.string_categorical(output_mode="int"),
            "i": FS.integer_categorical(output_mode="int"),
            "h": FS.string_hashed(7, output_mode="int"),
        },
        output_mode="dict",
        crosses=[FS.cross(("s", "i"), crossing_dim=5, output_mode="int")],
    )
    data = {"s": ["a", "b", "c", "a"], "i": [1, 2, 2, 5], "h": ["x", "y", "z", "w"]}
    fs.adapt(tf.data.Dataset.from_tensor_slices(data).batch(2))
    out = fs(data)
    assert list(out) == ["h", "i", "s", "s_X_i"]
    values = {k: v.numpy()[:, 0].tolist() for k, v in out.items()}
    assert values == {
        "h": [1, 3, 4, 3],
        "i": [3, 1, 1, 2],
        "s": [1, 3, 2, 1],
        "s_X_i": [1, 3, 1, 2],
    }
    assert all(v.dtype == tf.int64 and tuple(v.shape) == (4, 1) for v in out.values())
    single = fs({"s": "a", "i": 2, "h": "y"})
    assert {k: v.numpy().tolist() for k, v in single.items()} == {
        "h": [3], "i": [1], "s": [1], "s_X_i": [1]
    }  # fmt: skip


def test_dict_mode_one_hot_widths_and_oov(tf):
    FS = tf.keras.utils.FeatureSpace
    fs = feature_space(
        tf,
        {"s": "string_categorical", "i": FS.integer_categorical(max_tokens=3, num_oov_indices=2)},
        crosses=[FS.cross(("i", "s"), crossing_dim=6)],
        output_mode="dict",
    )
    data = {"s": np.array(["a", "b", "c", "a"]), "i": np.array([1, 2, 2, 5])}
    fs.adapt(data)
    out = fs(data)
    assert list(out) == ["i", "s", "i_X_s"]
    close(out["i"], one_hot([1, 2, 2, 1], 3))  # two OOV slots, then the one kept token (2)
    close(out["s"], one_hot([1, 3, 2, 1], 4))
    close(out["i_X_s"], one_hot([3, 2, 3, 3], 6))
    encoded = fs.get_encoded_features()
    assert {k: tuple(v.shape) for k, v in encoded.items()} == {
        "i": (None, 3), "s": (None, 4), "i_X_s": (None, 6)
    }  # fmt: skip


def test_discretized_rescaled_hashed_defaults(tf):
    fs = feature_space(
        tf,
        {"f": "float_discretized", "r": "float_rescaled", "ih": "integer_hashed"},
        num_discretization_bins=4,
        hashing_dim=3,
    )
    data = {"f": np.arange(8.0), "r": np.arange(8.0), "ih": np.arange(8)}
    fs.adapt(tf.data.Dataset.from_tensor_slices(data))
    assert fs.preprocessors["f"].bin_boundaries == [1.0, 3.0, 5.0]
    f = one_hot(np.digitize(np.arange(8.0), [1.0, 3.0, 5.0]), 4)
    ih = one_hot([1, 0, 1, 0, 2, 1, 2, 1], 3)  # TF's hash bins of the integers 0..7
    expected = np.concatenate([f, ih, np.arange(8.0, dtype=np.float32)[:, None]], axis=1)
    close(fs(data), expected)
    close(fs({"f": 2.0, "r": 3.0, "ih": 5}), [0, 1, 0, 0, 0, 1, 0, 3])


def test_float_features_and_custom_preprocessor(tf):
    FS = tf.keras.utils.FeatureSpace
    fs = feature_space(
        tf,
        {
            "p": "float",
            "r": FS.float_rescaled(scale=2.0, offset=1.0),
            "n": FS.feature(
                preprocessor=tf.keras.layers.Normalization(mean=2.0, variance=4.0),
                dtype="float32",
                output_mode="float",
            ),
        },
    )
    out = fs({"p": [1, 2, 3], "r": [1.0, 2.0, 3.0], "n": [0.0, 2.0, 6.0]})  # nothing to adapt
    assert out.dtype == tf.float32
    close(out, [[-1.0, 1.0, 3.0], [0.0, 2.0, 5.0], [2.0, 3.0, 7.0]])  # n, p, r
    inputs = fs.get_inputs()
    assert {k: (tuple(v.shape), v.dtype) for k, v in inputs.items()} == {
        "p": ((None, 1), "float32"), "r": ((None, 1), "float32"), "n": ((None, 1), "float32")
    }  # fmt: skip


def test_functional_model_on_encoded_features(tf):
    fs = adapted_concat(tf)
    inputs = fs.get_inputs()
    assert {k: v.dtype for k, v in inputs.items()} == {
        "f": "float32", "s": "string", "i": "int32"
    }  # fmt: skip
    encoded = fs.get_encoded_features()
    assert tuple(encoded.shape) == (None, 13)
    model = tf.keras.Model(inputs, encoded)
    close(model({k: tf.constant(v[:, None]) for k, v in DATA.items()}), expected_concat())


def test_config_round_trip(tf):
    FS = tf.keras.utils.FeatureSpace
    fs = feature_space(
        tf,
        {"s": "string_categorical", "h": FS.string_hashed(5, output_mode="int")},
        crosses=[FS.cross(("s", "h"), crossing_dim=8, output_mode="int")],
        output_mode="dict",
        hashing_dim=9,
    )
    config = fs.get_config()
    assert sorted(config) == [
        "crosses", "crossing_dim", "features", "hashing_dim", "num_discretization_bins",
        "output_mode",
    ]  # fmt: skip
    assert config["features"]["s"]["class_name"] == "Feature"
    assert config["features"]["s"]["config"]["preprocessor"]["class_name"] == "StringLookup"
    assert config["features"]["h"]["config"]["preprocessor"]["config"]["num_bins"] == 5
    assert config["crosses"][0]["config"] == {
        "feature_names": ("s", "h"), "crossing_dim": 8, "output_mode": "int"
    }  # fmt: skip
    again = FS.from_config(config)
    assert again.output_mode == "dict" and again.hashing_dim == 9
    assert sorted(again.crossers) == ["s_X_h"]
    with pytest.raises(ValueError, match="adapt"):
        again({"s": ["a"], "h": ["b"]})
    again.adapt({"s": ["a", "b", "a"], "h": ["x", "y", "z"]})
    assert again.preprocessors["s"].get_vocabulary() == ["[UNK]", "a", "b"]


def test_save_and_load_model(tf, tmp_path):
    fs = adapted_concat(tf)
    path = str(tmp_path / "fs.keras")
    fs.save(path)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        config = json.loads(archive.read("config.json"))
        with h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r") as weights:
            datasets = []
            weights.visititems(
                lambda n, o: datasets.append(n) if isinstance(o, h5py.Dataset) else None
            )
            groups = sorted(k for k in weights if k != "vars")
            encoders = sorted(weights["one_hot_encoders"])
    assert sorted(n for n in names if n.startswith("assets/")) == [
        "assets/preprocessors/integer_lookup/vocabulary.txt",
        "assets/preprocessors/string_lookup/vocabulary.txt",
    ]
    # Keras's own names: a file written here loads in real Keras
    assert (config["module"], config["registered_name"]) == ("keras.utils", None)
    assert groups == ["concat", "crossers", "one_hot_encoders", "preprocessors"]
    assert encoders == ["category_encoding", "category_encoding_1", "category_encoding_2"]
    assert sorted(datasets) == [f"preprocessors/normalization/vars/{i}" for i in range(3)]
    loaded = tf.keras.models.load_model(path)
    assert type(loaded).__name__ == "FeatureSpace"
    close(loaded(DATA), expected_concat())
    assert loaded.preprocessors["s"].get_vocabulary() == ["[UNK]", "a", "c", "b"]


def test_loads_a_file_written_by_keras(tf):
    data_dir = os.path.join(os.path.dirname(__file__), "data")
    arrays = np.load(os.path.join(data_dir, "feature_space_keras315.npz"))
    loaded = tf.keras.models.load_model(os.path.join(data_dir, "feature_space_keras315.keras"))
    raw = {k: arrays[k] for k in arrays.files if k != "encoded"}
    assert sorted(loaded.features) == sorted(raw)
    out = loaded(raw)
    assert tuple(out.shape) == (12, 32)
    close(out, arrays["encoded"])
    # the adapted state came from the file: Normalization's weights, the lookups' assets
    close(np.ravel(loaded.preprocessors["norm"].mean), [raw["norm"].mean()], 1e-4)
    assert len(loaded.preprocessors["word"].get_vocabulary()) == 4


def test_errors(tf):
    FS = tf.keras.utils.FeatureSpace
    with pytest.raises(ValueError, match="cannot be None or empty"):
        FS({})
    with pytest.raises(ValueError, match="Invalid feature type: floaty"):
        FS({"x": "floaty"})
    with pytest.raises(ValueError, match="Received: output_mode=x"):
        FS({"x": "float"}, output_mode="x")
    with pytest.raises(ValueError, match=r"Received unknown features: \('x', 'y'\)"):
        FS({"x": "float"}, crosses=[("x", "y")])
    with pytest.raises(ValueError, match="`crossing_dim`"):
        FS({"x": "float"}, crosses=[("x", "x")], crossing_dim=None)
    with pytest.raises(ValueError, match="Received: output_mode=float"):
        FS.cross(("a", "b"), 3, output_mode="float")
    with pytest.raises(ValueError, match="Received: output_mode=multi_hot"):
        FS.feature("float32", tf.keras.layers.Identity(), "multi_hot")
    with pytest.raises(ValueError, match=r"call `\.adapt\(dataset\)`"):
        FS({"x": "float_normalized"}).get_inputs()
    with pytest.raises(ValueError, match="can only be called on a tf.data.Dataset"):
        FS({"x": "float_normalized"}).adapt([1.0, 2.0])
    with pytest.raises(ValueError, match="can only be called with a dict"):
        FS({"x": "float"})(np.array([1.0]))
    fs = FS({"s": FS.string_categorical(output_mode="int")})
    with pytest.raises(ValueError, match="feature 's' has not been encoded .*dtype int64"):
        fs.adapt({"s": ["a"]})
    custom = FS(
        {
            "t": FS.feature(
                dtype="float32", preprocessor=tf.keras.layers.Identity(), output_mode="one_hot"
            )
        }  # fmt: skip
    )
    with pytest.raises(ValueError, match="should return an integer dtype"):
        custom({"t": [1.0]})


def test_model_trains_on_feature_space(tf):
    tf.keras.utils.set_random_seed(3)
    rng = np.random.default_rng(0)
    n = 256
    age = rng.uniform(20, 70, n).astype(np.float32)
    city = rng.choice(["paris", "rome", "oslo"], n)
    pets = rng.integers(0, 4, n)
    label = ((age > 45) ^ (city == "oslo")).astype(np.float32)
    raw = tf.data.Dataset.from_tensor_slices(({"age": age, "city": city, "pets": pets}, label))
    fs = feature_space(
        tf,
        {"age": "float_normalized", "city": "string_categorical", "pets": "integer_categorical"},
        crosses=[("city", "pets")],
        crossing_dim=8,
    )
    fs.adapt(raw.map(lambda x, y: x))
    train = raw.batch(32).map(lambda x, y: (fs(x), y))
    width = fs.get_encoded_features().shape[-1]
    assert width == 1 + 4 + 5 + 8  # age, city (3 + OOV), pets (4 + OOV), the cross
    inputs = tf.keras.Input(shape=(width,))
    hidden = tf.keras.layers.Dense(16, activation="relu")(inputs)
    outputs = tf.keras.layers.Dense(1, activation="sigmoid")(hidden)
    model = tf.keras.Model(inputs, outputs)
    model.compile(optimizer=tf.keras.optimizers.Adam(0.02), loss="binary_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    history = model.fit(train, epochs=12, verbose=0).history
    assert history["loss"][-1] < 0.7 * history["loss"][0]
    assert history["accuracy"][-1] > 0.85
    # the inference model: raw dicts in, through the FeatureSpace's own encoders
    end_to_end = tf.keras.Model(fs.get_inputs(), model(fs.get_encoded_features()))
    sample = {"age": age[:5, None], "city": city[:5, None], "pets": pets[:5, None]}
    close(
        end_to_end({k: tf.constant(v) for k, v in sample.items()}),
        model(fs({"age": age[:5], "city": city[:5], "pets": pets[:5]})),
    )
