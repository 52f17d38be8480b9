"""``tf.train.Checkpoint`` / ``CheckpointManager`` / ``latest_checkpoint`` / ``list_variables``:
TF 2.21's keys, files and errors, plus checkpoints written by real TF (``data/checkpoints``, made
by ``data/checkpoints/make_checkpoints.py``) restored on either side. The other direction (written
here, restored by TF) is ``check_checkpoint_cross.py``, run by hand."""

from __future__ import annotations

import importlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).parent / "data" / "checkpoints"
SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"


@pytest.fixture(scope="module")
def train(tf):
    """``tf.train``; tensorhouse's checkpoint half lives in ``tensorhouse_models.train`` until
    the meta-package merges it into ``tf.train``."""
    if hasattr(tf.train, "Checkpoint"):
        return tf.train
    return importlib.import_module("tensorhouse_models.train")


def _sequential(keras):
    L = keras.layers
    return keras.Sequential([
        keras.Input((3,)), L.Dense(4, activation="relu"), L.BatchNormalization(), L.Dense(2),
    ])  # fmt: skip


def _keys(train, path):
    return [k for k, _ in train.list_variables(path)]


X = np.linspace(-1, 1, 12).reshape(4, 3).astype("float32")
Y = np.linspace(0, 1, 8).reshape(4, 2).astype("float32")


def test_round_trip_model_and_optimizer(tf, train, tmp_path):
    keras = tf.keras
    a, b = _sequential(keras), _sequential(keras)
    for m in (a, b):
        m.compile(keras.optimizers.Adam(0.05), "mse")
    a.fit(X, Y, epochs=2, verbose=0)
    b.optimizer.build(b.trainable_variables)
    ckpt = train.Checkpoint(model=a, optimizer=a.optimizer)
    path = ckpt.save(str(tmp_path / "ck"))
    assert os.path.basename(path) == "ck-1" and int(ckpt.save_counter.numpy()) == 1
    status = train.Checkpoint(model=b, optimizer=b.optimizer).restore(path)
    status.assert_consumed()
    np.testing.assert_array_equal(b.predict(X, verbose=0), a.predict(X, verbose=0))
    for va, vb in zip(a.optimizer.variables, b.optimizer.variables, strict=True):
        np.testing.assert_array_equal(va.numpy(), vb.numpy())
    assert int(b.optimizer.iterations.numpy()) == 2


def test_keras_keys(tf, train, tmp_path):
    keras = tf.keras
    L = keras.layers
    model = _sequential(keras)
    opt = keras.optimizers.Adam(0.01)
    opt.build(model.trainable_variables)
    path = train.Checkpoint(model=model, optimizer=opt).write(str(tmp_path / "k"))
    ops_ = "model/_functional/_operations/"
    expected = [
        f"{ops_}2/moving_mean", f"{ops_}2/moving_variance",
        "optimizer/_iterations", "optimizer/_learning_rate",
        *[f"optimizer/_trainable_variables/{i}" for i in range(6)],
        *[f"optimizer/_variables/{i}" for i in range(2, 14)],
    ]  # fmt: skip
    assert _keys(train, path) == [
        "_CHECKPOINTABLE_OBJECT_GRAPH",
        *sorted(k + SUFFIX for k in expected),
    ]
    a = keras.Input((3,))
    func = keras.Model(a, L.Dense(2)(L.Embedding(5, 3)(a)))
    path = train.Checkpoint(model=func).write(str(tmp_path / "f"))
    assert _keys(train, path)[1:] == [
        f"model/_operations/{k}{SUFFIX}" for k in ("1/_embeddings", "2/_kernel", "2/bias")
    ]


def test_subclassed_model_keys(tf, train, tmp_path):
    keras = tf.keras
    L = keras.layers

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.first = L.Dense(3)
            self.in_a_list = [L.Dense(2)]  # TF's Keras 3 does not track lists of layers
            self.rnn = L.LSTM(2)
            self.scale = self.add_weight(shape=(), initializer="ones", name="scale")
            self.extra = tf.Variable(2.0)

        def call(self, x):
            return self.in_a_list[0](self.rnn(self.first(x))) * self.scale * self.extra

    net = Net()
    net(np.ones((1, 4, 5), "float32"))
    path = train.Checkpoint(net=net).write(str(tmp_path / "s"))
    expected = ["first/_kernel", "first/bias", "rnn/cell/kernel", "rnn/cell/recurrent_kernel",
                "rnn/cell/bias", "scale", "extra"]  # fmt: skip
    assert _keys(train, path)[1:] == sorted(f"net/{k}{SUFFIX}" for k in expected)


def test_module_containers(tf, train, tmp_path):
    mod = tf.Module()
    mod.w = tf.Variable([[1.0, 2.0]])
    mod.items = [tf.Variable(3, dtype=tf.int64), {"a": tf.Variable(4.5)}]
    path = train.Checkpoint(mod=mod).write(str(tmp_path / "m"))
    assert _keys(train, path) == [
        "_CHECKPOINTABLE_OBJECT_GRAPH", f"mod/items/0{SUFFIX}", f"mod/items/1/a{SUFFIX}",
        f"mod/w{SUFFIX}",
    ]  # fmt: skip
    value = train.load_variable(path, f"mod/items/1/a{SUFFIX}")
    assert value == 4.5 and value.dtype == np.float32 and np.ndim(value) == 0
    assert isinstance(train.load_variable(path, "_CHECKPOINTABLE_OBJECT_GRAPH"), bytes)
    other = tf.Module()
    other.w = tf.Variable([[0.0, 0.0]])
    other.items = [tf.Variable(0, dtype=tf.int64), {"a": tf.Variable(0.0)}]
    train.Checkpoint(mod=other).read(path).assert_consumed()
    assert other.w.numpy().tolist() == [[1.0, 2.0]] and int(other.items[0].numpy()) == 3


def test_restores_tf_written_model(tf, train):
    keras = tf.keras
    expected = np.load(DATA / "model_expected.npz")
    model = _sequential(keras)
    opt = keras.optimizers.Adam(0.01)
    model.compile(opt, "mse")
    opt.build(model.trainable_variables)
    ckpt = train.Checkpoint(model=model, optimizer=opt)
    ckpt.restore(train.latest_checkpoint(str(DATA / "model"))).assert_consumed()
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_array_equal(w, expected[f"weight_{i}"])
    for i, v in enumerate(opt.variables):
        np.testing.assert_array_equal(v.numpy(), expected[f"opt_{i}"])
    np.testing.assert_allclose(
        model.predict(expected["x"], verbose=0), expected["predictions"], 1e-5
    )
    assert int(ckpt.save_counter.numpy()) == 1


def test_restores_tf_written_module(tf, train):
    mod = tf.Module()
    mod.w = tf.Variable(np.zeros((2, 2), "float32"))
    mod.items = [tf.Variable(0, dtype=tf.int64), {"a": tf.Variable([0.0, 0.0], dtype=tf.float64)}]
    train.Checkpoint(module=mod).read(str(DATA / "module" / "ckpt")).assert_consumed()
    assert mod.w.numpy().tolist() == [[0.0, 1.0], [2.0, 3.0]]
    assert int(mod.items[0].numpy()) == 7 and mod.items[1]["a"].numpy().tolist() == [0.5, 1.5]


def test_manager(tf, train, tmp_path):
    v = tf.Variable(0.0)
    ckpt = train.Checkpoint(v=v)
    manager = train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=2)
    assert manager.latest_checkpoint is None and train.latest_checkpoint(str(tmp_path)) is None
    for value in (1.0, 2.0, 3.0):
        v.assign(value)
        manager.save()
    last = manager.save(checkpoint_number=10)
    assert [os.path.basename(p) for p in manager.checkpoints] == ["ckpt-3", "ckpt-10"]
    assert manager.latest_checkpoint == last == train.latest_checkpoint(str(tmp_path))
    assert int(ckpt.save_counter.numpy()) == 4
    assert not os.path.exists(str(tmp_path / "ckpt-2.index"))
    lines = (tmp_path / "checkpoint").read_text().splitlines()
    assert lines[:3] == [
        'model_checkpoint_path: "ckpt-10"', 'all_model_checkpoint_paths: "ckpt-3"',
        'all_model_checkpoint_paths: "ckpt-10"',
    ]  # fmt: skip
    assert [line.split(":")[0] for line in lines[3:]] == [
        "all_model_checkpoint_timestamps", "all_model_checkpoint_timestamps",
        "last_preserved_timestamp",
    ]  # fmt: skip
    v.assign(0.0)
    ckpt.restore(str(tmp_path / "ckpt-3")).assert_consumed()
    assert float(v.numpy()) == 3.0


def test_manager_recovers_tf_state(tf, train, tmp_path):
    shutil.copytree(DATA / "managed", tmp_path / "m")
    v = tf.Variable(0.0)
    ckpt = train.Checkpoint(v=v)
    manager = train.CheckpointManager(ckpt, str(tmp_path / "m"), max_to_keep=2)
    assert [os.path.basename(p) for p in manager.checkpoints] == ["ckpt-2", "ckpt-3"]
    ckpt.restore(manager.latest_checkpoint).assert_consumed()
    assert float(v.numpy()) == 3.0
    assert os.path.basename(manager.save()) == "ckpt-4"
    assert sorted(os.path.basename(p) for p in manager.checkpoints) == ["ckpt-3", "ckpt-4"]
    assert not (tmp_path / "m" / "ckpt-2.index").exists()


def test_save_and_write(tf, train, tmp_path):
    ckpt = train.Checkpoint(v=tf.Variable(1.0))
    ckpt.save(str(tmp_path / "c"))
    second = ckpt.save(str(tmp_path / "c"))
    assert (tmp_path / "checkpoint").read_text() == (
        'model_checkpoint_path: "c-2"\nall_model_checkpoint_paths: "c-2"\n'
    )
    written = ckpt.write(str(tmp_path / "w"))
    assert written == str(tmp_path / "w") and train.latest_checkpoint(str(tmp_path)) == second
    assert int(train.load_variable(written, "save_counter" + SUFFIX)) == 2


def test_restore_errors(tf, train, tmp_path):
    path = train.Checkpoint(v=tf.Variable([1.0, 2.0]), u=tf.Variable(1.0)).write(
        str(tmp_path / "a")
    )
    with pytest.raises(ValueError, match=r"Received incompatible tensor with shape \(2,\)"):
        train.Checkpoint(v=tf.Variable([1.0, 2.0, 3.0])).restore(path)
    with pytest.raises(tf.errors.InvalidArgumentError, match="expected dtype int32"):
        train.Checkpoint(v=tf.Variable([1, 2])).restore(path)
    with pytest.raises(tf.errors.NotFoundError):
        train.Checkpoint(v=tf.Variable(1.0)).restore(str(tmp_path / "missing"))
    with pytest.raises(tf.errors.NotFoundError, match="Key nope not found"):
        train.load_variable(path, "nope")
    with pytest.raises(ValueError, match="expecting v to be a trackable object"):
        train.Checkpoint(v=3)
    status = train.Checkpoint(v=tf.Variable([0.0, 0.0])).read(path)
    status.assert_existing_objects_matched()
    with pytest.raises(AssertionError, match="Unresolved object in checkpoint"):
        status.assert_consumed()
    status = train.Checkpoint(v=tf.Variable([0.0, 0.0]), w=tf.Variable(0.0)).restore(path)
    with pytest.raises(AssertionError, match="Found 2 Python objects that were not bound"):
        status.assert_existing_objects_matched()
    assert status.expect_partial() is not None


@pytest.mark.parametrize("damage", ["truncate_index", "flip_index", "flip_data", "empty_index"])
def test_damaged_files(tf, train, tmp_path, damage):
    path = train.Checkpoint(v=tf.Variable([1.0, 2.0])).write(str(tmp_path / "a"))
    index, data = Path(path + ".index"), Path(path + ".data-00000-of-00001")
    if damage == "truncate_index":
        index.write_bytes(index.read_bytes()[:-10])
    elif damage == "flip_index":
        raw = bytearray(index.read_bytes())
        raw[20] ^= 1
        index.write_bytes(bytes(raw))
    elif damage == "flip_data":
        raw = bytearray(data.read_bytes())
        raw[-3] ^= 1
        data.write_bytes(bytes(raw))
    else:
        index.write_bytes(b"")
    # TF raises a bare OpError here; tensorhouse its DataLossError subclass.
    with pytest.raises(tf.errors.OpError):
        train.Checkpoint(v=tf.Variable([0.0, 0.0])).restore(path)


def test_root_object(tf, train, tmp_path):
    mod = tf.Module()
    mod.w = tf.Variable(1.0)
    mod.items = [tf.Variable(2.0)]
    ckpt = train.Checkpoint(root=mod, extra=tf.Variable(3.0))
    assert ckpt.root is mod
    path = ckpt.save(str(tmp_path / "c"))
    names = ["extra", "items/0", "save_counter", "w"]
    assert _keys(train, path) == ["_CHECKPOINTABLE_OBJECT_GRAPH"] + [n + SUFFIX for n in names]
    other = tf.Module()
    other.w = tf.Variable(0.0)
    other.items = [tf.Variable(0.0)]
    extra = tf.Variable(0.0)
    train.Checkpoint(root=other, extra=extra).restore(path)
    assert [float(v.numpy()) for v in (other.w, other.items[0], extra)] == [1.0, 2.0, 3.0]


def test_deferred_restoration(tf, train):
    """Restored before it is built, a model gets its saved values when it builds."""
    keras = tf.keras
    L = keras.layers
    expected = np.load(DATA / "model_expected.npz")
    model = keras.Sequential([L.Dense(4, activation="relu"), L.BatchNormalization(), L.Dense(2)])
    status = train.Checkpoint(model=model).restore(str(DATA / "model" / "ckpt-1"))
    status.expect_partial()
    assert not model.weights
    np.testing.assert_allclose(
        model.predict(expected["x"], verbose=0), expected["predictions"], 1e-5
    )
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_array_equal(w, expected[f"weight_{i}"])
    status.assert_existing_objects_matched()
