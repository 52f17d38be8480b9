"""FeatureSpace: encoded values against NumPy references, traced == eager, Dataset.map, the
encoders made once, adapt on batched and unbatched data, config and the loading hooks."""

from collections import Counter

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_components import layers, utils
from tensorhouse_components.data import Dataset
from tensorhouse_components.utils import FeatureSpace

RNG = np.random.default_rng(7)
N = 70
AGE = RNG.normal(40.0, 12.0, N).astype(np.float32)
# distinct counts, so the vocabulary order (most frequent first) has no ties
COLOR = np.array(["red"] * 30 + ["green"] * 25 + ["blue"] * 15)[RNG.permutation(N)]
KIDS = np.array([0] * 35 + [1] * 20 + [2] * 10 + [3] * 5)[RNG.permutation(N)]
DATA = {"age": AGE, "color": COLOR, "kids": KIDS}


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def one_hot(indices, depth):
    return np.eye(depth, dtype=np.float32)[np.asarray(indices)]


def vocabulary(values, oov):
    return [oov] + [v for v, _ in Counter(values.tolist()).most_common()]


def make_space(**kwargs):
    fs = FeatureSpace(
        {"age": "float_normalized", "color": "string_categorical", "kids": "integer_categorical"},
        **kwargs,
    )
    fs.adapt(Dataset.from_tensor_slices(DATA))
    return fs


def reference(fs):
    """The concatenated encoding from NumPy and the layers' own vocabularies."""
    age = (AGE - AGE.astype(np.float64).mean()) / AGE.astype(np.float64).std()
    colors = vocabulary(COLOR, "[UNK]")
    kids = vocabulary(KIDS, -1)
    color = one_hot([colors.index(c) for c in COLOR.tolist()], len(colors))
    kid = one_hot([kids.index(k) for k in KIDS.tolist()], len(kids))
    return np.concatenate([age[:, None], color, kid], axis=1)  # age, color, kids: sorted


def test_concat_matches_numpy_reference():
    fs = make_space()
    assert fs.preprocessors["color"].get_vocabulary() == vocabulary(COLOR, "[UNK]")
    assert fs.preprocessors["kids"].get_vocabulary() == vocabulary(KIDS, -1)
    out = fs(DATA)
    assert tuple(out.shape) == (N, 1 + 4 + 5)
    close(out, reference(fs), 1e-4)


def test_traced_equals_eager_and_unbatched_rows():
    fs = make_space(crosses=[("color", "kids")], crossing_dim=6)
    eager = fs(DATA).numpy()
    traced = tf.function(lambda d: fs(d))({k: tf.constant(v) for k, v in DATA.items()})
    close(traced, eager)
    for row in (0, 13, 69):
        single = fs({k: v[row] for k, v in DATA.items()})
        assert tuple(single.shape) == (eager.shape[1],)
        close(single, eager[row])


def test_cross_is_hashed_crossing_of_the_lookup_indices():
    fs = make_space(crosses=[("kids", "color")], crossing_dim=6, output_mode="dict")
    out = fs(DATA)
    assert list(out) == ["age", "color", "kids", "kids_X_color"]
    kids = fs.preprocessors["kids"](tf.constant(KIDS[:, None]))
    color = fs.preprocessors["color"](COLOR[:, None])
    ids = layers.HashedCrossing(6)([kids, color]).numpy()[:, 0]
    close(out["kids_X_color"], one_hot(ids, 6))
    assert out["kids_X_color"].numpy().sum(axis=1).tolist() == [1.0] * N


def test_dataset_map_batched_and_unbatched():
    fs = make_space()
    expected = fs(DATA).numpy()
    batched = Dataset.from_tensor_slices(DATA).batch(16).map(fs)
    assert batched.element_spec.shape.as_list() == [None, 10]
    close(np.concatenate([b.numpy() for b in batched]), expected)
    unbatched = Dataset.from_tensor_slices(DATA).map(fs)
    assert unbatched.element_spec.shape.as_list() == [10]
    close(np.stack([b.numpy() for b in unbatched]), expected)


def test_adapt_on_batched_columns_gives_the_same_statistics():
    columns = {k: v[:, None] for k, v in DATA.items()}  # (batch, 1) already: no expand_dims
    fs = FeatureSpace({"age": "float_normalized", "color": "string_categorical"})
    fs.adapt(Dataset.from_tensor_slices(columns).batch(9))
    close(fs.preprocessors["age"].mean.numpy().ravel(), [AGE.astype(np.float64).mean()], 1e-4)
    close(fs.preprocessors["age"].variance.numpy().ravel(), [AGE.astype(np.float64).var()], 1e-3)
    assert fs.preprocessors["color"].get_vocabulary() == vocabulary(COLOR, "[UNK]")


def test_discretized_matches_a_discretization_adapted_alone():
    fs = FeatureSpace({"age": "float_discretized"}, num_discretization_bins=5)
    fs.adapt({"age": AGE})
    alone = layers.Discretization(num_bins=5)
    alone.adapt(AGE[:, None])
    assert fs.preprocessors["age"].bin_boundaries == alone.bin_boundaries
    bins = np.digitize(AGE, alone.bin_boundaries)
    close(fs({"age": AGE}), one_hot(bins, 5))


def test_encoders_are_made_once():
    fs = make_space(crosses=[("color", "kids")], crossing_dim=6)
    encoders = dict(fs.one_hot_encoders)
    assert sorted(encoders) == ["color", "color_X_kids", "kids"]
    assert [e.num_tokens for _, e in sorted(encoders.items())] == [4, 6, 5]
    concat = fs.concat
    fs(DATA)
    fs({k: v[0] for k, v in DATA.items()})
    assert fs.one_hot_encoders == encoders and fs.concat is concat


def test_feature_names_and_helpers():
    utils.clear_session()
    assert FeatureSpace.float().preprocessor.name == "float_preprocessor"
    assert FeatureSpace.float().preprocessor.name == "float_1_preprocessor"
    assert FeatureSpace.float_normalized(name="x").preprocessor.name == "x_preprocessor"
    feature = FeatureSpace.string_hashed(11, output_mode="int")
    assert (feature.dtype, feature.output_mode, feature.preprocessor.num_bins) == (
        "string", "int", 11
    )  # fmt: skip
    cross = FeatureSpace.cross(["a", "b", "c"], crossing_dim=7)
    assert (cross.name, cross.feature_names, cross.output_mode) == ("a_X_b_X_c", ("a", "b", "c"),
                                                                    "one_hot")  # fmt: skip


def test_float_feature_casts_to_float32():
    fs = FeatureSpace({"x": "float"})
    out = fs({"x": np.array([1, 2, 3], np.int64)})
    assert out.dtype == tf.float32
    close(out, [[1.0], [2.0], [3.0]])
    out64 = fs({"x": np.array([0.5], np.float64)})
    assert out64.dtype == tf.float32


def test_config_round_trip_keeps_every_feature_type():
    features = {
        "a": "float", "b": "float_rescaled", "c": "float_normalized", "d": "float_discretized",
        "e": "integer_categorical", "f": "string_categorical", "g": "integer_hashed",
        "h": "string_hashed",
    }  # fmt: skip
    fs = FeatureSpace(features, crosses=[("e", "f")], hashing_dim=13, num_discretization_bins=6)
    identity = fs.get_config()["features"]["a"]["config"]["preprocessor"]
    assert (identity["module"], identity["class_name"], identity["registered_name"]) == (
        "keras.src.layers.preprocessing.feature_space", "TFDIdentity", "TFDIdentity"
    )  # fmt: skip
    again = FeatureSpace.from_config(fs.get_config())
    kinds = {k: type(f.preprocessor).__name__ for k, f in again.features.items()}
    assert kinds == {
        "a": "TFDIdentity", "b": "Rescaling", "c": "Normalization", "d": "Discretization",
        "e": "IntegerLookup", "f": "StringLookup", "g": "Hashing", "h": "Hashing",
    }  # fmt: skip
    assert again.features["g"].preprocessor.num_bins == 13
    assert again.features["d"].preprocessor.num_bins == 6
    assert [c.name for c in again.crosses] == ["e_X_f"]
    assert again.get_config() == fs.get_config()


def test_loading_hooks_mark_the_space_adapted():
    fs = make_space()
    again = FeatureSpace.from_config(fs.get_config())
    with pytest.raises(ValueError, match="adapt"):
        again(DATA)
    again.build_from_config(fs.get_build_config())
    assert again.preprocessors["age"].built
    again.preprocessors["age"].set_weights(fs.preprocessors["age"].get_weights())
    again.preprocessors["color"].set_vocabulary(fs.preprocessors["color"].get_vocabulary())
    again.preprocessors["kids"].set_vocabulary(fs.preprocessors["kids"].get_vocabulary())
    close(again(DATA), fs(DATA))
    other = FeatureSpace.from_config(fs.get_config())
    other.load_own_variables({})
    assert other._is_adapted


def test_missing_and_unknown_features():
    fs = make_space()
    with pytest.raises(KeyError, match="kids"):
        fs({"age": AGE, "color": COLOR})
    with pytest.raises(KeyError, match="'zzz' is not in this FeatureSpace"):
        fs({**DATA, "zzz": AGE})


def test_nothing_to_adapt_builds_on_first_use():
    fs = FeatureSpace({"h": FeatureSpace.string_hashed(4), "x": "float"}, output_mode="dict")
    out = fs({"h": ["a", "b"], "x": [1.0, 2.0]})
    hashed = layers.Hashing(num_bins=4)(np.array([["a"], ["b"]])).numpy()[:, 0]
    close(out["h"], one_hot(hashed, 4))
    assert sorted(fs.get_inputs()) == ["h", "x"]
