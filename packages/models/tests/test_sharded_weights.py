"""Sharded weights (``save_weights("m.weights.json", max_shard_size=...)``): Keras 3.15's index
and shard files (checked against files real Keras 3.15 wrote, kept in ``data/sharded/keras``),
round trips, atomic saves, and a loader that refuses damaged or hostile indexes."""

import json
import os
import shutil
import stat
import warnings

import h5py
import numpy as np
import pytest

from tensorhouse_models import Input, Model, Sequential, layers, optimizers, saving
from tensorhouse_models.saving._sharded_h5 import ShardedH5Writer, readable_size, shard_layout

DATA = os.path.join(os.path.dirname(__file__), "data", "sharded")
X = np.linspace(-1.0, 1.0, 40, dtype=np.float32).reshape(10, 4)
Y = np.cos(np.arange(20, dtype=np.float32)).reshape(10, 2)
SHARD = 400 / 1024**3


def _fill(model):
    rng = np.random.default_rng(7)
    model.set_weights(
        [rng.uniform(0.5, 1.5, w.shape).astype("float32") if "variance" in w.path
         else rng.normal(0, 0.5, w.shape).astype("float32") for w in model.weights]
    )  # fmt: skip


def mlp():
    bn = layers.BatchNormalization(name="bn")
    model = Sequential([Input((4,)), layers.Dense(8, name="a"), bn, layers.Dense(2, name="b")])
    _fill(model)
    return model


def functional():
    inputs = Input((4,))
    shared = layers.Dense(4, activation="tanh")
    inner = Sequential([Input((4,)), layers.Dense(16), layers.Dense(2)])
    model = Model(inputs, inner(shared(shared(inputs))))
    _fill(model)
    return model


def compiled(build, train=False):
    model = build()
    model.compile(optimizers.Adam(0.01), "mse")
    if train:
        model.fit(X, Y, batch_size=5, epochs=1, verbose=0, shuffle=False)
    else:
        model.optimizer.build(model.trainable_variables)
    return model


def datasets(path):
    out = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            out[name] = obj[()]

    with h5py.File(path, "r") as f:
        f.visititems(visit)
    return out


def read_bytes(path) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def read_index(path):
    with open(path) as f:
        return json.load(f)


# ---- Keras's files ---------------------------------------------------------------------------
@pytest.mark.parametrize("build", [mlp, functional])
def test_reads_files_real_keras_wrote(build):
    folder = os.path.join(DATA, "keras")
    expected = np.load(os.path.join(folder, "expected.npz"))
    model = compiled(build)
    model.load_weights(os.path.join(folder, f"{build.__name__}.weights.json"))
    np.testing.assert_allclose(
        model.predict(X, verbose=0), expected[f"{build.__name__}_pred"], rtol=1e-5, atol=1e-6
    )
    assert int(model.optimizer.iterations.numpy()) == 2
    for i, v in enumerate(model.optimizer.variables):
        np.testing.assert_array_equal(v.numpy(), expected[f"{build.__name__}_opt{i}"])


@pytest.mark.parametrize("build", [mlp, functional])
def test_writes_what_real_keras_wrote(tmp_path, build):
    """Same index, shard names and datasets in each shard (names, shapes, dtypes): the values
    differ past 1e-5 only because two Adam steps amplify float rounding differences."""
    name, keras_dir = build.__name__, os.path.join(DATA, "keras")
    compiled(build, train=True).save_weights(
        str(tmp_path / f"{name}.weights.json"), max_shard_size=SHARD
    )
    assert read_index(tmp_path / f"{name}.weights.json") == read_index(
        os.path.join(keras_dir, f"{name}.weights.json")
    )
    ours = sorted(os.listdir(tmp_path))
    assert ours == sorted(f for f in os.listdir(keras_dir) if f.startswith(name))
    for shard in [f for f in ours if f.endswith(".h5")]:
        got, want = datasets(tmp_path / shard), datasets(os.path.join(keras_dir, shard))
        assert {k: (v.shape, v.dtype) for k, v in got.items()} == {
            k: (v.shape, v.dtype) for k, v in want.items()
        }


def test_layout_helpers():
    assert shard_layout("d/m.weights.json") == ("d/m.weights.json", "m")
    assert shard_layout("d/m.weights.h5") == ("d/m.weights.json", "m")
    assert shard_layout("mweights.h5") == ("mweights.json", "mweights")
    assert [readable_size(s) for s in (100.0, 3000.0, 5 * 1024**3)] == [
        "100.00 B", "2.93 KB", "5.00 GB",
    ]  # fmt: skip


def test_bool_counts_one_bit_and_roll_over(tmp_path):
    """Keras sizes a ``bool`` element as 1 bit; a value that would pass the limit opens the
    next shard, and its object's group goes on there without a name."""
    files = {}

    def open_shard(name):
        files[name] = h5py.File(tmp_path / name, "w")
        return files[name]

    writer = ShardedH5Writer("w", 20 / 1024**3, open_shard)
    store = writer.make("layers/x", "x")
    store["0"] = np.ones(64, bool)  # 8 bytes
    store["1"] = np.ones(3, np.float32)  # 12 bytes: 20 in all, fits
    store["2"] = np.ones((), np.int8)  # 21 > 20: next shard
    writer.close()
    assert writer.total_size == 21.0
    assert writer.weight_map == {"/layers/x/vars": ["w_00000.weights.h5", "w_00001.weights.h5"]}
    with h5py.File(tmp_path / "w_00001.weights.h5", "r") as f:
        assert list(f["layers/x/vars"]) == ["2"] and "name" not in f["layers/x/vars"].attrs
    with pytest.raises(ValueError, match=r"The size of 0 is 24\.00 B which exceeds the maximum"):
        ShardedH5Writer("v", 20 / 1024**3, open_shard).make("", None)["0"] = np.ones(3)


# ---- round trips -----------------------------------------------------------------------------
def test_round_trip_over_many_shards(tmp_path):
    """More shards than the reader keeps open (8): every value still comes back."""
    model = Sequential([Input((6,))] + [layers.Dense(6) for _ in range(12)])
    path = str(tmp_path / "deep.weights.json")
    saving.save_weights(model, path, max_shard_size=170 / 1024**3)  # one Dense (168 B) a shard
    assert len([f for f in os.listdir(tmp_path) if f.endswith(".h5")]) == 12
    other = Sequential([Input((6,))] + [layers.Dense(6) for _ in range(12)])
    saving.load_weights(other, path)
    for a, b in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_skip_mismatch_and_mismatch_error(tmp_path):
    path = str(tmp_path / "m.weights.json")
    mlp().save_weights(path, max_shard_size=200 / 1024**3)
    wider = Sequential([Input((5,)), layers.Dense(8), layers.BatchNormalization(),
                        layers.Dense(2)])  # fmt: skip
    with pytest.raises(ValueError, match=r"variable.shape=\(5, 8\), Received: value.shape=\(4, 8"):
        wider.load_weights(path)
    before = wider.get_weights()
    with pytest.warns(UserWarning, match="could not be loaded"):
        wider.load_weights(path, skip_mismatch=True)
    after = wider.get_weights()
    np.testing.assert_array_equal(after[0], before[0])  # the mismatched layer keeps its values
    np.testing.assert_array_equal(after[-1], mlp().get_weights()[-1])


def test_resave_and_overwrite_prompt(tmp_path, monkeypatch):
    path = str(tmp_path / "m.weights.json")
    model = mlp()
    model.save_weights(path, max_shard_size=SHARD)
    first = read_bytes(path)
    model.layers[0].kernel.assign(np.zeros((4, 8), np.float32))
    monkeypatch.setattr("builtins.input", lambda prompt="": "n")
    model.save_weights(path, overwrite=False, max_shard_size=SHARD)
    assert read_bytes(path) == first
    other = mlp()
    other.layers[0].kernel.assign(np.ones((4, 8), np.float32))
    other.load_weights(path)
    assert np.abs(other.layers[0].kernel.numpy()).sum() > 1.0  # the first save's values
    model.save_weights(path, max_shard_size=SHARD)  # overwrite=True
    other.load_weights(path)
    np.testing.assert_array_equal(other.layers[0].kernel.numpy(), np.zeros((4, 8)))


def test_files_get_the_umask_mode(tmp_path):
    old = os.umask(0o022)
    try:
        mlp().save_weights(str(tmp_path / "m.weights.json"), max_shard_size=SHARD)
        mlp().save_weights(str(tmp_path / "s.weights.h5"))
    finally:
        os.umask(old)
    for name in os.listdir(tmp_path):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o644, name


def test_failed_save_leaves_previous_files_whole(tmp_path):
    path = str(tmp_path / "m.weights.json")
    model = mlp()
    model.save_weights(path, max_shard_size=200 / 1024**3)
    before = {n: read_bytes(tmp_path / n) for n in os.listdir(tmp_path)}

    def broken(store):
        store["0"] = np.zeros((8, 2), np.float32)
        raise RuntimeError("disk full")

    model.layers[2].save_own_variables = broken
    with pytest.raises(RuntimeError, match="disk full"):
        model.save_weights(path, max_shard_size=200 / 1024**3)
    assert {n: read_bytes(tmp_path / n) for n in os.listdir(tmp_path)} == before
    with pytest.raises(ValueError, match=r"The size of 0 is 128\.00 B"):
        mlp().save_weights(str(tmp_path / "n.weights.json"), max_shard_size=100 / 1024**3)
    assert sorted(os.listdir(tmp_path)) == sorted(before)  # no temporary file is left


def test_save_argument_errors(tmp_path):
    model = mlp()
    with pytest.raises(ValueError, match=r"must end in `\.weights\.json` when `max_shard_size`"):
        model.save_weights(str(tmp_path / "m.json"), max_shard_size=1)
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`\. Received"):
        model.save_weights(str(tmp_path / "m.weights.json"))
    with pytest.raises(ValueError, match="could not convert string to float"):
        model.save_weights(str(tmp_path / "m.weights.json"), max_shard_size="big")
    with pytest.raises(ValueError, match=r"argument\(s\) are not supported: \['max_shard_size'\]"):
        model.save(str(tmp_path / "m.keras"), max_shard_size=1)
    with pytest.raises(ValueError, match="not yet been built"):
        Sequential([layers.Dense(2)]).save_weights(
            str(tmp_path / "u.weights.json"), max_shard_size=1
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.save_weights(str(tmp_path / "h.weights.h5"), max_shard_size=1)
    assert any("will be renamed to" in str(w.message) for w in caught)
    assert os.path.exists(tmp_path / "h.weights.json")
    assert os.path.exists(tmp_path / "h_00000.weights.h5")
    assert not os.path.exists(tmp_path / "h.weights.h5")
    with pytest.raises(ValueError, match="not yet been built"):
        Sequential([layers.Dense(2)]).load_weights(str(tmp_path / "h.weights.json"))
    with pytest.raises(FileNotFoundError):
        model.load_weights(str(tmp_path / "absent.weights.json"))


# ---- hostile and damaged indexes -------------------------------------------------------------
@pytest.fixture
def saved(tmp_path):
    """A sharded save of ``mlp()`` (4 shards) in ``tmp_path/w``: (index path, its JSON)."""
    folder = tmp_path / "w"
    folder.mkdir()
    path = str(folder / "m.weights.json")
    mlp().save_weights(path, max_shard_size=200 / 1024**3)
    return path, read_index(path)


def _write(path, index):
    if not isinstance(index, str | bytes):
        index = json.dumps(index)
    with open(path, "wb") as f:
        f.write(index.encode() if isinstance(index, str) else index)


def _with_entry(index, value, key="/layers/dense/vars"):
    index = json.loads(json.dumps(index))
    index["weight_map"][key] = value
    return index


@pytest.mark.parametrize(
    "change, error, message",
    [
        (lambda i: "{nope", ValueError, "not valid JSON"),
        (lambda i: "[" * 100000, ValueError, "not valid JSON"),
        (lambda i: b"\xff\xfe{}", ValueError, "not valid JSON"),
        (lambda i: [], ValueError, "expected a JSON object, received list"),
        (lambda i: {"metadata": {}}, ValueError, "'weight_map' must be an object"),
        (lambda i: _with_entry(i, 5), ValueError, r"must be a file name or a non-empty list"),
        (lambda i: _with_entry(i, []), ValueError, "non-empty list"),
        (lambda i: _with_entry(i, [None]), ValueError, "lists None, not a file name"),
        (lambda i: _with_entry(i, "../m_00000.weights.h5"), ValueError, "not a file name inside"),
        (lambda i: _with_entry(i, "/etc/passwd"), ValueError, "not a file name inside"),
        (lambda i: _with_entry(i, "sub/m.weights.h5"), ValueError, "not a file name inside"),
        (lambda i: _with_entry(i, ".."), ValueError, "not a file name inside"),
        (lambda i: _with_entry(i, "a\x00b"), ValueError, "not a file name inside"),
        (lambda i: _with_entry(i, "gone.weights.h5"), FileNotFoundError, "gone.weights.h5"),
    ],
)
def test_damaged_index_is_refused_before_loading(saved, change, error, message):
    path, index = saved
    _write(path, change(index))
    model = mlp()
    model.layers[0].kernel.assign(np.zeros((4, 8), np.float32))
    with pytest.raises(error, match=message) as info:
        model.load_weights(path)
    if error is ValueError:
        assert "m.weights.json" in str(info.value)
    for variable in model.weights:  # nothing was loaded
        if variable.path.endswith("kernel") and "dense/" in variable.path:
            np.testing.assert_array_equal(variable.numpy(), np.zeros((4, 8)))


def test_symlinked_shard_leaving_the_folder_is_refused(saved, tmp_path):
    path, index = saved
    outside = tmp_path / "outside.weights.h5"
    shutil.copy(os.path.join(os.path.dirname(path), "m_00000.weights.h5"), outside)
    os.symlink(outside, os.path.join(os.path.dirname(path), "link.weights.h5"))
    _write(path, _with_entry(index, "link.weights.h5"))
    with pytest.raises(ValueError, match="'link.weights.h5' is not a file name inside"):
        mlp().load_weights(path)


def test_shard_that_is_not_hdf5(saved):
    path, index = saved
    with open(os.path.join(os.path.dirname(path), "m_00001.weights.h5"), "wb") as f:
        f.write(b"not an hdf5 file")
    with pytest.raises(ValueError, match="could not be loaded"):
        mlp().load_weights(path)


def test_entry_pointing_at_another_objects_values(saved):
    path, index = saved
    index = _with_entry(index, "m_00000.weights.h5", key="/layers/dense_1/vars")
    _write(path, index)  # dense_1's values are not in shard 0: a count mismatch, by name
    with pytest.raises(ValueError, match="Layer 'b' expected 2 variables, but received 0"):
        mlp().load_weights(path)


def _mutate(rng, data: bytes) -> bytes:
    how = rng.integers(5)
    b = bytearray(data)
    if how == 0:
        return bytes(b[: rng.integers(len(b) + 1)])
    if how == 1:
        for k in rng.integers(0, len(b), size=rng.integers(1, 6)):
            b[k] = rng.integers(256)
        return bytes(b)
    if how == 2:
        k = rng.integers(len(b))
        return bytes(b[:k] + b[k + 1 :])
    if how == 3:
        return rng.bytes(rng.integers(0, 64))
    k = rng.integers(len(b))
    return bytes(b[:k] + b'"../x", "/", 0, [], {' + b[k:])


def _mutate_json(rng, index):
    index = json.loads(json.dumps(index))
    entries = index["weight_map"]
    keys = list(entries)
    key = keys[rng.integers(len(keys))]
    how = rng.integers(4)
    if how == 0:
        del entries[key]
    elif how == 1:
        entries[key] = entries[keys[rng.integers(len(keys))]]
    elif how == 2:
        entries[f"/{rng.bytes(3).hex()}/vars"] = entries[key]
    else:
        names = [f"m_{i:05d}.weights.h5" for i in range(4)]
        entries[key] = [names[i] for i in rng.permutation(4)[: rng.integers(1, 5)]]
    return index


def test_fuzzed_indexes_and_shards_raise_only_clear_errors(saved):
    """Mutated index bytes, reshuffled index entries and mutated shard bytes: each load raises
    ValueError or OSError (or loads), and never leaks another exception."""
    path, index = saved
    folder = os.path.dirname(path)
    raw = read_bytes(path)
    shards = {n: read_bytes(os.path.join(folder, n)) for n in os.listdir(folder)
              if n.endswith(".h5")}  # fmt: skip
    rng = np.random.default_rng(2026)
    outcomes = {"loaded": 0, "refused": 0}
    model = mlp()
    for case in range(400):
        kind = case % 3
        with open(path, "wb") as f:
            if kind == 0:
                f.write(_mutate(rng, raw))
            elif kind == 1:
                f.write(json.dumps(_mutate_json(rng, index)).encode())
            else:
                f.write(raw)
        for name, data in shards.items():
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
        if kind == 2:
            name = sorted(shards)[rng.integers(len(shards))]
            with open(os.path.join(folder, name), "wb") as f:
                f.write(_mutate(rng, shards[name]))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.load_weights(path)
            outcomes["loaded"] += 1
        except (ValueError, OSError):
            outcomes["refused"] += 1
    assert outcomes["refused"] > 100 and outcomes["loaded"] > 10, outcomes
