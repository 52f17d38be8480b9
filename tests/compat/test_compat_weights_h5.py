"""Keras 3's ``.weights.h5`` files and the checkpoint callbacks, checked against real Keras 3.15
(``TENSORHOUSE_COMPAT_TF=1``) and tensorhouse: the same layouts, errors and file names.

Models are saved with their ``save_weights`` / ``load_weights`` methods where they have them,
else with ``tensorhouse_models.saving``'s functions (what tensorhouse's methods call).
"""

import json
import os

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")

X = np.linspace(-1.0, 1.0, 40, dtype="float32").reshape(10, 4)
Y = np.cos(np.arange(20, dtype="float32")).reshape(10, 2)


def save_weights(model, path, **kwargs):
    if hasattr(model, "save_weights"):
        return model.save_weights(path, **kwargs)
    from tensorhouse_models import saving

    return saving.save_weights(model, path, **kwargs)


def load_weights(model, path, **kwargs):
    if hasattr(model, "load_weights"):
        return model.load_weights(path, **kwargs)
    from tensorhouse_models import saving

    return saving.load_weights(model, path, **kwargs)


def _visit(path, keep):
    out = {}

    def visit(name, obj):  # returns None: h5py stops at the first non-None
        value = keep(name, obj)
        if value is not None:
            out[name] = value

    with h5py.File(path, "r") as f:
        f.visititems(visit)
    return out


def datasets(path):
    """{dataset path: shape}."""
    return _visit(path, lambda n, o: tuple(o.shape) if isinstance(o, h5py.Dataset) else None)


def group_names(path):
    """{``vars`` group path: its ``name`` attribute}."""
    return _visit(path, lambda n, o: o.attrs.get("name", "") if n.endswith("vars") else None)


def mlp(keras, units=3):
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(units),
                             keras.layers.BatchNormalization(), keras.layers.Dense(2)])  # fmt: skip


def test_sequential_round_trip_and_layout(tf, tmp_path):
    keras = tf.keras
    model = mlp(keras)
    model.compile(keras.optimizers.SGD(0.1), "mse")
    model.fit(X, Y, batch_size=5, epochs=2, verbose=0)
    path = str(tmp_path / "m.weights.h5")
    save_weights(model, path)
    assert datasets(path) == {
        "layers/dense/vars/0": (4, 3), "layers/dense/vars/1": (3,),
        "layers/batch_normalization/vars/0": (3,), "layers/batch_normalization/vars/1": (3,),
        "layers/batch_normalization/vars/2": (3,), "layers/batch_normalization/vars/3": (3,),
        "layers/dense_1/vars/0": (3, 2), "layers/dense_1/vars/1": (2,),
        "optimizer/vars/0": (), "optimizer/vars/1": (),
    }  # fmt: skip
    names = group_names(path)
    assert names["vars"] == model.name
    assert names["layers/dense_1/vars"] == model.layers[2].name
    assert names["optimizer/vars"] == model.optimizer.name
    fresh = mlp(keras)
    load_weights(fresh, path)
    np.testing.assert_array_equal(fresh.predict(X, verbose=0), model.predict(X, verbose=0))


def test_optimizer_state_round_trip(tf, tmp_path):
    keras = tf.keras
    model = mlp(keras)
    model.compile(keras.optimizers.Adam(0.02), "mse")
    model.fit(X, Y, batch_size=5, epochs=2, verbose=0)
    path = str(tmp_path / "m.weights.h5")
    save_weights(model, path)
    shapes = datasets(path)
    assert [shapes[f"optimizer/vars/{i}"] for i in range(6)] == [(), (), (4, 3), (4, 3), (3,), (3,)]
    assert len([k for k in shapes if k.startswith("optimizer/")]) == 2 + 2 * 6
    fresh = mlp(keras)
    fresh.compile(keras.optimizers.Adam(0.02), "mse")
    fresh.optimizer.build(fresh.trainable_variables)
    load_weights(fresh, path)
    assert int(fresh.optimizer.iterations.numpy()) == 4
    model.train_on_batch(X, Y)
    fresh.train_on_batch(X, Y)
    for a, b in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def functional(keras):
    inputs = keras.Input((4,))
    shared = keras.layers.Dense(4, activation="tanh")
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    return keras.Model(inputs, inner(shared(shared(inputs))))


def test_functional_with_shared_layer_and_nested_model(tf, tmp_path):
    keras = tf.keras
    model = functional(keras)
    path = str(tmp_path / "f.weights.h5")
    save_weights(model, path)
    assert datasets(path) == {
        "layers/dense/vars/0": (4, 4), "layers/dense/vars/1": (4,),
        "layers/sequential/layers/dense/vars/0": (4, 2),
        "layers/sequential/layers/dense/vars/1": (2,),
    }  # fmt: skip
    assert set(group_names(path)) == {
        "vars", "layers/input_layer/vars", "layers/dense/vars", "layers/sequential/vars",
        "layers/sequential/layers/dense/vars",
    }  # fmt: skip
    fresh = functional(keras)
    load_weights(fresh, path)
    np.testing.assert_array_equal(fresh.predict(X, verbose=0), model.predict(X, verbose=0))


def subclassed(keras):
    class Block(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.b = keras.layers.Dense(2)
            self.a = keras.layers.Dense(2)
            self.stack = [keras.layers.Dense(2), keras.layers.Dense(2)]
            self.w = self.add_weight(shape=(2,), initializer="ones", name="w")

        def call(self, x):
            x = self.a(self.b(x))
            for layer in self.stack:
                x = layer(x)
            return x * self.w

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.blk = Block()
            self.out = keras.layers.Dense(1)

        def call(self, x):
            return self.out(self.blk(x))

    model = Net()
    model(X)
    return model


def test_subclassed_model_paths(tf, tmp_path):
    keras = tf.keras
    model = subclassed(keras)
    path = str(tmp_path / "s.weights.h5")
    save_weights(model, path)
    assert datasets(path) == {
        "blk/a/vars/0": (2, 2), "blk/a/vars/1": (2,),
        "blk/b/vars/0": (4, 2), "blk/b/vars/1": (2,),
        "blk/stack/dense/vars/0": (2, 2), "blk/stack/dense/vars/1": (2,),
        "blk/stack/dense_1/vars/0": (2, 2), "blk/stack/dense_1/vars/1": (2,),
        "blk/vars/0": (2,),
        "layers/dense/vars/0": (2, 1), "layers/dense/vars/1": (1,),
    }  # fmt: skip
    fresh = subclassed(keras)
    load_weights(fresh, path)
    np.testing.assert_array_equal(fresh.predict(X, verbose=0), model.predict(X, verbose=0))


def test_errors(tf, tmp_path):
    keras = tf.keras
    model = mlp(keras)
    with pytest.raises(ValueError, match=r"The filename must end in `\.weights\.h5`"):
        save_weights(model, str(tmp_path / "m.h5"))
    with pytest.raises(FileNotFoundError):
        load_weights(model, str(tmp_path / "missing.weights.h5"))
    path = str(tmp_path / "m.weights.h5")
    save_weights(model, path)
    other = mlp(keras, units=5)
    with pytest.raises(ValueError, match=r"A total of 3 objects could not be loaded") as info:
        load_weights(other, path)
    assert "variable.shape=(4, 5), Received: value.shape=(4, 3)" in str(info.value)
    with pytest.warns(UserWarning, match="could not be loaded"):
        load_weights(other, path, skip_mismatch=True)
    unbuilt = keras.Sequential([keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="has not yet been built"):
        save_weights(unbuilt, str(tmp_path / "u.weights.h5"))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # real Keras's NumPy 2 notice
def test_files_cross_with_real_keras(tf, tmp_path):
    """Runs only against tensorhouse when ``keras`` imports beside it (any backend, e.g.
    ``KERAS_BACKEND=numpy``)."""
    if tf.__name__ != "tensorhouse":
        pytest.skip("crosses tensorhouse with real Keras in one interpreter")
    real = pytest.importorskip("keras")
    ours = tf.keras
    for build in (mlp, functional, subclassed):
        k_model, t_model = build(real), build(ours)
        k_path, t_path = str(tmp_path / "k.weights.h5"), str(tmp_path / "t.weights.h5")
        k_model.save_weights(k_path)
        load_weights(t_model, k_path)
        np.testing.assert_allclose(
            t_model.predict(X, verbose=0), k_model.predict(X, verbose=0), rtol=1e-5, atol=1e-6
        )
        save_weights(t_model, t_path)
        assert datasets(t_path) == datasets(k_path)
        fresh = build(real)
        fresh.load_weights(t_path)
        np.testing.assert_allclose(
            fresh.predict(X, verbose=0), t_model.predict(X, verbose=0), rtol=1e-5, atol=1e-6
        )


# ---- the checkpoint callbacks -------------------------------------------------------------------
def linear(keras):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.set_weights([np.full((4, 2), 0.1, "float32"), np.zeros(2, "float32")])
    model.compile(keras.optimizers.SGD(0.05), "mse")
    return model


def test_model_checkpoint_file_names(tf, tmp_path):
    keras = tf.keras
    model = linear(keras)
    pattern = str(tmp_path / "{epoch:02d}-{val_loss:.2f}.weights.h5")
    cb = keras.callbacks.ModelCheckpoint(pattern, save_weights_only=True)
    history = model.fit(X, Y, batch_size=5, epochs=3, verbose=0, validation_data=(X, Y),
                        callbacks=[cb])  # fmt: skip
    want = {f"{i + 1:02d}-{v:.2f}.weights.h5" for i, v in enumerate(history.history["val_loss"])}
    assert set(os.listdir(tmp_path)) == want
    last = sorted(want)[-1]
    fresh = linear(keras)
    load_weights(fresh, str(tmp_path / last))
    np.testing.assert_array_equal(fresh.predict(X, verbose=0), model.predict(X, verbose=0))


def test_model_checkpoint_batch_frequency(tf, tmp_path):
    keras = tf.keras
    model = linear(keras)
    pattern = str(tmp_path / "e{epoch}-b{batch}.weights.h5")
    cb = keras.callbacks.ModelCheckpoint(pattern, save_weights_only=True, save_freq=3)
    model.fit(X, Y, batch_size=2, epochs=2, verbose=0, callbacks=[cb])  # 5 batches an epoch
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["e1-b3.weights.h5", "e2-b1.weights.h5", "e2-b4.weights.h5"]
    )


def test_model_checkpoint_best_only(tf, tmp_path):
    keras = tf.keras
    model = linear(keras)
    path = str(tmp_path / "best.weights.h5")
    cb = keras.callbacks.ModelCheckpoint(path, monitor="loss", save_best_only=True,
                                         save_weights_only=True, mode="max")  # fmt: skip
    model.fit(X, Y, batch_size=5, epochs=3, verbose=0, callbacks=[cb])
    history_losses = model.history.history["loss"]
    assert history_losses[0] == max(history_losses)  # the loss falls: only epoch 1 is "best"
    assert cb.best == pytest.approx(history_losses[0])
    fresh = linear(keras)
    load_weights(fresh, path)
    assert not np.allclose(fresh.get_weights()[0], model.get_weights()[0])


def test_model_checkpoint_argument_errors(tf, tmp_path):
    keras = tf.keras
    with pytest.raises(ValueError, match="must end in `.weights.h5`"):
        keras.callbacks.ModelCheckpoint(str(tmp_path / "a.keras"), save_weights_only=True)
    with pytest.raises(ValueError, match="must end in `.keras`"):
        keras.callbacks.ModelCheckpoint(str(tmp_path / "a.txt"))
    with pytest.raises(ValueError, match="Unrecognized save_freq"):
        keras.callbacks.ModelCheckpoint(str(tmp_path / "a.keras"), save_freq="batch")


def test_backup_and_restore_files_and_resume(tf, tmp_path):
    keras = tf.keras
    backup = str(tmp_path / "backup")

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                raise RuntimeError("interrupted")

    model = linear(keras)
    cb = keras.callbacks.BackupAndRestore(backup)
    with pytest.raises(RuntimeError, match="interrupted"):
        model.fit(X, Y, batch_size=5, epochs=4, verbose=0, shuffle=False,
                  callbacks=[cb, Interrupt()])  # fmt: skip
    assert sorted(os.listdir(backup)) == ["latest.weights.h5", "training_metadata.json"]
    with open(os.path.join(backup, "training_metadata.json")) as f:
        assert json.load(f) == {"epoch": 2, "batch": 0}
    saved = datasets(os.path.join(backup, "latest.weights.h5"))
    assert saved["optimizer/vars/0"] == ()

    restarted = linear(keras)
    restored = keras.callbacks.BackupAndRestore(backup)
    restored.set_model(restarted)
    restored.on_train_begin()
    assert restarted._initial_epoch == 2
    assert int(restarted.optimizer.iterations.numpy()) == 4
    for a, b in zip(restarted.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
