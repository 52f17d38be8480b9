"""Keras 3's sharded weights (``save_weights("m.weights.json", max_shard_size=...)``), checked
against real Keras 3.15 (``TENSORHOUSE_COMPAT_TF=1``) and tensorhouse: the same index, shard
names and shard contents, the same errors, and files that cross both ways.

The crossing uses files kept in ``packages/models/tests/data/sharded``: ``keras/`` written by
real Keras 3.15, ``tensorhouse/`` by tensorhouse, each with the predictions and optimizer values
its writer had (``expected.npz``). Both runs of this suite load both sets. Rewrite them with

    /tmp/tfv/bin/python tests/compat/test_sharded_weights_compat.py keras
    .venv/bin/python tests/compat/test_sharded_weights_compat.py tensorhouse
"""

import json
import os
import sys
import warnings

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")

DATA = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "packages", "models", "tests", "data",
    "sharded",
)  # fmt: skip
X = np.linspace(-1.0, 1.0, 40, dtype="float32").reshape(10, 4)
Y = np.cos(np.arange(20, dtype="float32")).reshape(10, 2)
SHARD = 400 / 1024**3  # 400 bytes: the models below fill several shards


def mlp(keras):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, name="a"),
                              keras.layers.BatchNormalization(name="bn"),
                              keras.layers.Dense(2, name="b")])  # fmt: skip
    _fill(model)
    return model


def functional(keras):
    inputs = keras.Input((4,))
    shared = keras.layers.Dense(4, activation="tanh")
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(16), keras.layers.Dense(2)])
    model = keras.Model(inputs, inner(shared(shared(inputs))))
    _fill(model)
    return model


def _fill(model):
    """Fixed weights, the same on both sides."""
    rng = np.random.default_rng(7)
    model.set_weights(
        [rng.uniform(0.5, 1.5, w.shape).astype("float32") if "variance" in w.path
         else rng.normal(0, 0.5, w.shape).astype("float32") for w in model.weights]
    )  # fmt: skip


def trained(keras, build):
    model = build(keras)
    model.compile(keras.optimizers.Adam(0.01), "mse")
    model.fit(X, Y, batch_size=5, epochs=1, verbose=0, shuffle=False)
    return model


def fresh(keras, build):
    model = build(keras)
    model.compile(keras.optimizers.Adam(0.01), "mse")
    model.optimizer.build(model.trainable_variables)
    return model


def index(path):
    with open(path) as f:
        return json.load(f)


def datasets(path):
    out = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            out[name] = tuple(obj.shape)

    with h5py.File(path, "r") as f:
        f.visititems(visit)
    return out


# ---- the layout ----------------------------------------------------------------------------------
def test_index_and_shards_are_keras_layout(tf, tmp_path):
    keras = tf.keras
    model = trained(keras, mlp)
    model.save_weights(str(tmp_path / "m.weights.json"), max_shard_size=200 / 1024**3)
    assert sorted(os.listdir(tmp_path)) == ["m.weights.json"] + [
        f"m_{i:05d}.weights.h5" for i in range(6)
    ]
    assert index(tmp_path / "m.weights.json") == {
        "metadata": {"total_size": 964.0},
        "weight_map": {
            "/layers/dense/vars": ["m_00000.weights.h5"],
            "/layers/batch_normalization/vars": ["m_00000.weights.h5", "m_00001.weights.h5"],
            "/layers/dense_1/vars": ["m_00001.weights.h5"],
            "/optimizer/vars": [f"m_0000{i}.weights.h5" for i in range(1, 6)],
        },
    }
    with open(tmp_path / "m.weights.json") as f:
        assert f.read().startswith('{\n    "metadata": {\n        "total_size": 964.0\n    },')
    shards = [datasets(tmp_path / f"m_{i:05d}.weights.h5") for i in range(6)]
    assert shards[0] == {
        "layers/dense/vars/0": (4, 8), "layers/dense/vars/1": (8,),
        "layers/batch_normalization/vars/0": (8,),
    }  # fmt: skip
    assert shards[1] == {
        **{f"layers/batch_normalization/vars/{i}": (8,) for i in (1, 2, 3)},
        "layers/dense_1/vars/0": (8, 2), "layers/dense_1/vars/1": (2,),
        "optimizer/vars/0": (), "optimizer/vars/1": (),
    }  # fmt: skip
    assert [sorted(s, key=lambda k: int(k.rsplit("/", 1)[1])) for s in shards[2:]] == [
        ["optimizer/vars/2"],
        [f"optimizer/vars/{i}" for i in (3, 4, 5)],
        [f"optimizer/vars/{i}" for i in range(6, 11)],
        [f"optimizer/vars/{i}" for i in (11, 12, 13)],
    ]
    with h5py.File(tmp_path / "m_00000.weights.h5", "r") as f:
        assert f["vars"].attrs["name"] == model.name
        assert f["layers/batch_normalization/vars"].attrs["name"] == "bn"
    with h5py.File(tmp_path / "m_00001.weights.h5", "r") as f:
        assert "name" not in f["layers/batch_normalization/vars"].attrs  # continued group
        assert f["layers/dense_1/vars"].attrs["name"] == "b"


def test_one_value_entry_is_a_string(tf, tmp_path):
    keras = tf.keras
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, use_bias=False),
                              keras.layers.Dense(2)])  # fmt: skip
    model.save_weights(str(tmp_path / "w.weights.json"), max_shard_size=1)
    assert sorted(os.listdir(tmp_path)) == ["w.weights.json", "w_00000.weights.h5"]
    assert index(tmp_path / "w.weights.json") == {
        "metadata": {"total_size": 48.0},
        "weight_map": {
            "/layers/dense/vars": "w_00000.weights.h5",
            "/layers/dense_1/vars": ["w_00000.weights.h5"],
        },
    }


def test_round_trip_with_optimizer_state(tf, tmp_path):
    keras = tf.keras
    for build in (mlp, functional):
        model = trained(keras, build)
        path = str(tmp_path / f"{build.__name__}.weights.json")
        model.save_weights(path, max_shard_size=SHARD)
        other = fresh(keras, build)
        other.load_weights(path)
        np.testing.assert_array_equal(other.predict(X, verbose=0), model.predict(X, verbose=0))
        for a, b in zip(other.optimizer.variables, model.optimizer.variables):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


# ---- both ways ---------------------------------------------------------------------------------
@pytest.mark.parametrize("writer", ["keras", "tensorhouse"])
@pytest.mark.parametrize("build", [mlp, functional])
def test_loads_files_each_side_wrote(tf, writer, build):
    keras = tf.keras
    folder = os.path.join(DATA, writer)
    expected = np.load(os.path.join(folder, "expected.npz"))
    name = build.__name__
    model = fresh(keras, build)
    model.load_weights(os.path.join(folder, f"{name}.weights.json"))
    np.testing.assert_allclose(
        model.predict(X, verbose=0), expected[f"{name}_pred"], rtol=1e-5, atol=1e-6
    )
    for i, v in enumerate(model.optimizer.variables):
        np.testing.assert_array_equal(np.asarray(v), expected[f"{name}_opt{i}"])


def test_both_sides_wrote_the_same_files():
    for name in ("mlp", "functional"):
        k, t = os.path.join(DATA, "keras"), os.path.join(DATA, "tensorhouse")
        assert index(os.path.join(k, f"{name}.weights.json")) == index(
            os.path.join(t, f"{name}.weights.json")
        )
        shards = sorted(f for f in os.listdir(k) if f.startswith(f"{name}_"))
        assert shards == sorted(f for f in os.listdir(t) if f.startswith(f"{name}_"))
        for shard in shards:
            assert datasets(os.path.join(k, shard)) == datasets(os.path.join(t, shard))


# ---- errors ------------------------------------------------------------------------------------
def test_file_name_errors(tf, tmp_path):
    keras = tf.keras
    model = mlp(keras)
    with pytest.raises(ValueError, match=r"must end in `\.weights\.json` when `max_shard_size`"):
        model.save_weights(str(tmp_path / "m.json"), max_shard_size=1)
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`\. Received"):
        model.save_weights(str(tmp_path / "m.weights.json"))
    with pytest.raises(ValueError, match=r"argument\(s\) are not supported: \['max_shard_size'\]"):
        model.save(str(tmp_path / "m.keras"), max_shard_size=1)


def test_h5_name_becomes_json_with_a_warning(tf, tmp_path):
    keras = tf.keras
    model = mlp(keras)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.save_weights(str(tmp_path / "h.weights.h5"), max_shard_size=1)
    messages = [str(w.message) for w in caught]
    assert any("requires `*.json` as the extension" in m and "h.weights.json" in m
               for m in messages)  # fmt: skip
    assert sorted(os.listdir(tmp_path)) == ["h.weights.json", "h_00000.weights.h5"]


def test_value_larger_than_a_shard(tf, tmp_path):
    keras = tf.keras
    model = mlp(keras)
    message = (
        r"The size of 0 is 128\.00 B which exceeds the maximum shard size 100\.00 B\. You can "
        r"increase the `max_shard_size`"
    )
    with pytest.raises(ValueError, match=message):
        model.save_weights(str(tmp_path / "m.weights.json"), max_shard_size=100 / 1024**3)
    assert not os.path.exists(tmp_path / "m.weights.json")


def test_missing_shard(tf, tmp_path):
    if tf.__name__ != "tensorhouse":
        pytest.skip(
            "Keras 3.15 loads without a word, leaving the missing shard's layers as they were"
        )
    keras = tf.keras
    model = mlp(keras)
    path = str(tmp_path / "m.weights.json")
    model.save_weights(path, max_shard_size=200 / 1024**3)
    os.remove(tmp_path / "m_00001.weights.h5")
    with pytest.raises(FileNotFoundError, match="m_00001.weights.h5"):
        mlp(keras).load_weights(path)


# ---- the data files ------------------------------------------------------------------------------
def _write_data(lib, folder):
    if lib == "keras":
        import keras
    else:
        import tensorhouse as th

        keras = th.keras
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        os.remove(os.path.join(folder, name))
    expected = {}
    for build in (mlp, functional):
        model = trained(keras, build)
        model.save_weights(os.path.join(folder, f"{build.__name__}.weights.json"),
                           max_shard_size=SHARD)  # fmt: skip
        expected[f"{build.__name__}_pred"] = model.predict(X, verbose=0)
        for i, v in enumerate(model.optimizer.variables):
            expected[f"{build.__name__}_opt{i}"] = np.asarray(v)
    np.savez(os.path.join(folder, "expected.npz"), **expected)


if __name__ == "__main__":
    _write_data(sys.argv[1], os.path.join(DATA, sys.argv[1]))
