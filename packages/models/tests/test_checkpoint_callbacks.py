"""``ModelCheckpoint`` and ``BackupAndRestore``: file names, best-only, batch frequencies,
backups written, restored and removed."""

import json
import os

import numpy as np
import pytest

from tensorhouse_models import Input, Sequential, callbacks, layers, optimizers, saving

X = np.linspace(-1.0, 1.0, 40, dtype=np.float32).reshape(10, 4)
Y = np.cos(np.arange(20, dtype=np.float32)).reshape(10, 2)


def _linear(momentum=0.0):
    model = Sequential([Input((4,)), layers.Dense(2)])
    model.set_weights([np.full((4, 2), 0.1, np.float32), np.zeros(2, np.float32)])
    model.compile(optimizers.SGD(0.05, momentum=momentum), "mse", metrics=["mae"])
    return model


# ---- ModelCheckpoint ----------------------------------------------------------------------------
def test_file_names_formatted_with_epoch_from_one_and_logs(tmp_path):
    model = _linear()
    pattern = str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.2f}-{mae:.3f}.weights.h5")
    cb = callbacks.ModelCheckpoint(pattern, save_weights_only=True)
    history = model.fit(X, Y, batch_size=5, epochs=3, verbose=0, validation_data=(X, Y),
                        callbacks=[cb]).history  # fmt: skip
    want = {
        f"ckpt-{i + 1:02d}-{v:.2f}-{m:.3f}.weights.h5"
        for i, (v, m) in enumerate(zip(history["val_loss"], history["mae"]))
    }
    assert set(os.listdir(tmp_path)) == want
    fresh = _linear()
    saving.load_weights(fresh, tmp_path / sorted(want)[-1])
    np.testing.assert_array_equal(fresh.predict(X, verbose=0), model.predict(X, verbose=0))


def test_batch_save_freq_counts_batches_across_epochs(tmp_path):
    model = _linear()
    pattern = str(tmp_path / "e{epoch}-b{batch}.weights.h5")
    cb = callbacks.ModelCheckpoint(pattern, save_weights_only=True, save_freq=4)
    model.fit(X, Y, batch_size=2, epochs=3, verbose=0, callbacks=[cb])  # 5 batches an epoch
    # batches 4, 8, 12 of 15 overall: epoch 1 batch 4, epoch 2 batch 3, epoch 3 batch 2
    assert sorted(os.listdir(tmp_path)) == [
        "e1-b4.weights.h5", "e2-b3.weights.h5", "e3-b2.weights.h5",
    ]  # fmt: skip


def test_batch_save_freq_with_steps_per_execution(tmp_path):
    model = _linear()
    model.compile(optimizers.SGD(0.05), "mse", steps_per_execution=2)
    pattern = str(tmp_path / "b{batch}.weights.h5")
    cb = callbacks.ModelCheckpoint(pattern, save_weights_only=True, save_freq=3)
    model.fit(X, Y, batch_size=2, epochs=1, verbose=0, callbacks=[cb])
    # the hooks see batches 1, 3, 4 (groups of two): 2 batches, then 4 (saved), then 1
    assert sorted(os.listdir(tmp_path)) == ["b4.weights.h5"]


def test_best_only_saves_on_improvement_and_says_so(tmp_path, capsys):
    model = _linear()
    path = tmp_path / "best.weights.h5"
    cb = callbacks.ModelCheckpoint(str(path), monitor="loss", verbose=1, save_best_only=True,
                                   save_weights_only=True, mode="max")  # fmt: skip
    losses = model.fit(X, Y, batch_size=5, epochs=3, verbose=0, shuffle=False,
                       callbacks=[cb]).history["loss"]  # fmt: skip
    assert losses[0] > losses[1] > losses[2]  # falling: in "max" mode only epoch 1 is best
    out = capsys.readouterr().out
    assert f"Epoch 1: loss improved from None to {losses[0]:.5f}, saving model to {path}" in out
    assert f"Epoch 2: loss did not improve from {losses[0]:.5f}" in out
    assert f"Epoch 3: loss did not improve from {losses[0]:.5f}" in out
    assert cb.best == pytest.approx(losses[0])
    first_epoch = _linear()
    first_epoch.fit(X, Y, batch_size=5, epochs=1, verbose=0, shuffle=False)
    saved = _linear()
    saving.load_weights(saved, path)
    np.testing.assert_allclose(saved.get_weights()[0], first_epoch.get_weights()[0], rtol=1e-6)


def test_auto_mode_reads_the_metric_direction(tmp_path):
    model = Sequential([Input((4,)), layers.Dense(2, activation="softmax")])
    model.compile(optimizers.SGD(0.1), "categorical_crossentropy", metrics=["accuracy"])
    labels = np.eye(2, dtype=np.float32)[np.arange(10) % 2]
    cb = callbacks.ModelCheckpoint(str(tmp_path / "a.weights.h5"), monitor="val_accuracy",
                                   save_best_only=True, save_weights_only=True)  # fmt: skip
    model.fit(X, labels, epochs=1, verbose=0, validation_data=(X, labels), callbacks=[cb])
    assert cb.monitor_op is np.greater
    loss_cb = callbacks.ModelCheckpoint(str(tmp_path / "l.weights.h5"), save_weights_only=True)
    model.fit(X, labels, epochs=1, verbose=0, callbacks=[loss_cb])
    assert loss_cb.monitor_op is np.less
    unknown = callbacks.ModelCheckpoint(str(tmp_path / "u.weights.h5"), monitor="val_foo",
                                        save_weights_only=True)  # fmt: skip
    with pytest.raises(ValueError, match="isn't able to automatically determine"):
        model.fit(X, labels, epochs=1, verbose=0, callbacks=[unknown])


def test_initial_value_threshold_and_missing_monitor(tmp_path):
    model = _linear()
    path = tmp_path / "t.weights.h5"
    cb = callbacks.ModelCheckpoint(
        str(path), monitor="loss", save_best_only=True, save_weights_only=True,
        initial_value_threshold=1e-9,
    )  # fmt: skip
    model.fit(X, Y, batch_size=5, epochs=2, verbose=0, callbacks=[cb])
    assert not path.exists()  # no epoch beat the threshold
    cb = callbacks.ModelCheckpoint(str(path), save_best_only=True, save_weights_only=True,
                                   mode="min")  # fmt: skip
    with pytest.warns(UserWarning, match="Can save best model only with val_loss available"):
        model.fit(X, Y, batch_size=5, epochs=1, verbose=0, callbacks=[cb])
    assert path.exists()


def test_argument_and_path_errors(tmp_path):
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`"):
        callbacks.ModelCheckpoint(str(tmp_path / "m.keras"), save_weights_only=True)
    with pytest.raises(ValueError, match=r"must end in `\.keras`"):
        callbacks.ModelCheckpoint(str(tmp_path / "m.weights"))
    with pytest.raises(ValueError, match="Unrecognized save_freq: batch"):
        callbacks.ModelCheckpoint(str(tmp_path / "m.keras"), save_freq="batch")
    model = _linear()
    bad = callbacks.ModelCheckpoint(str(tmp_path / "{epoch}-{nope}.weights.h5"),
                                    save_weights_only=True)  # fmt: skip
    with pytest.raises(KeyError, match="Failed to format this callback filepath"):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[bad])
    (tmp_path / "dir.weights.h5").mkdir()
    on_dir = callbacks.ModelCheckpoint(str(tmp_path / "dir.weights.h5"), save_weights_only=True)
    with pytest.raises(OSError, match="non-directory filepath"):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[on_dir])


def test_whole_model_checkpoints_are_keras_files(tmp_path):
    model = _linear(momentum=0.9)
    cb = callbacks.ModelCheckpoint(str(tmp_path / "m-{epoch}.keras"))
    model.fit(X, Y, batch_size=5, epochs=2, verbose=0, callbacks=[cb])
    assert sorted(os.listdir(tmp_path)) == ["m-1.keras", "m-2.keras"]
    restored = saving.load_model(tmp_path / "m-2.keras")
    np.testing.assert_array_equal(restored.predict(X, verbose=0), model.predict(X, verbose=0))
    assert type(restored.optimizer).__name__ == "SGD" and restored.optimizer.momentum == 0.9
    for mine, theirs in zip(restored.optimizer.variables, model.optimizer.variables):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    assert int(restored.optimizer.iterations.numpy()) == 4  # 2 epochs x 2 batches
    first = saving.load_model(tmp_path / "m-1.keras")
    assert int(first.optimizer.iterations.numpy()) == 2


def test_whole_model_checkpoint_needs_a_save_method(tmp_path):
    cb = callbacks.ModelCheckpoint(str(tmp_path / "m.keras"))
    with pytest.raises(NotImplementedError, match="has no `save` method"):
        cb.set_model(layers.Dense(2))


# ---- BackupAndRestore ---------------------------------------------------------------------------
class _Interrupt(callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise RuntimeError("interrupted")


class _Listing(callbacks.Callback):
    def __init__(self, directory):
        super().__init__()
        self.directory, self.seen = directory, []

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append(sorted(os.listdir(self.directory)))


def test_backup_written_every_epoch_and_removed_at_the_end(tmp_path):
    backup = tmp_path / "backup"
    listing = _Listing(backup)
    _linear().fit(X, Y, batch_size=5, epochs=2, verbose=0,
                  callbacks=[callbacks.BackupAndRestore(backup), listing])  # fmt: skip
    assert listing.seen == [["latest.weights.h5", "training_metadata.json"]] * 2
    assert not backup.exists()
    keep = callbacks.BackupAndRestore(backup, delete_checkpoint=False)
    _linear().fit(X, Y, batch_size=5, epochs=2, verbose=0, callbacks=[keep])
    assert json.loads((backup / "training_metadata.json").read_text()) == {"epoch": 2, "batch": 0}


def test_integer_save_freq_records_the_batch(tmp_path):
    backup = tmp_path / "backup"
    model = _linear()
    cb = callbacks.BackupAndRestore(backup, save_freq=3, delete_checkpoint=False)
    with pytest.raises(RuntimeError):
        model.fit(X, Y, batch_size=2, epochs=3, verbose=0, callbacks=[cb, _Interrupt(1)])
    # 5 batches in epoch 0: saved after batch index 2; the epoch has not ended yet then
    assert json.loads((backup / "training_metadata.json").read_text()) == {"epoch": 0, "batch": 2}


def test_interrupted_run_resumes_to_the_same_weights(tmp_path):
    backup = tmp_path / "backup"
    straight = _linear(momentum=0.9)
    straight.fit(X, Y, batch_size=5, epochs=4, verbose=0, shuffle=False)

    first = _linear(momentum=0.9)
    with pytest.raises(RuntimeError, match="interrupted"):
        first.fit(X, Y, batch_size=5, epochs=4, verbose=0, shuffle=False,
                  callbacks=[callbacks.BackupAndRestore(backup), _Interrupt(2)])  # fmt: skip
    resumed = Sequential([Input((4,)), layers.Dense(2)])  # other initial weights
    resumed.compile(optimizers.SGD(0.05, momentum=0.9), "mse", metrics=["mae"])
    restore = callbacks.BackupAndRestore(backup)
    restore.set_model(resumed)
    restore.on_train_begin()
    assert resumed._initial_epoch == 2
    assert int(resumed.optimizer.iterations.numpy()) == 4
    np.testing.assert_array_equal(resumed.get_weights()[0], first.get_weights()[0])
    # the momentum slots came back too: the remaining epochs land on the straight run
    history = resumed.fit(X, Y, batch_size=5, epochs=4, initial_epoch=resumed._initial_epoch,
                          verbose=0, shuffle=False, callbacks=[restore])  # fmt: skip
    assert len(history.history["loss"]) == 2
    for a, b in zip(resumed.get_weights(), straight.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert not backup.exists()


def test_fit_resumes_by_itself(tmp_path):
    backup = tmp_path / "backup"
    model = _linear()
    with pytest.raises(RuntimeError):
        model.fit(X, Y, batch_size=5, epochs=4, verbose=0,
                  callbacks=[callbacks.BackupAndRestore(backup), _Interrupt(3)])  # fmt: skip
    history = model.fit(X, Y, batch_size=5, epochs=4, verbose=0,
                        callbacks=[callbacks.BackupAndRestore(backup)])  # fmt: skip
    assert len(history.history["loss"]) == 1


def test_double_checkpoint_falls_back_to_the_previous_backup(tmp_path):
    backup = tmp_path / "backup"
    model = _linear()
    with pytest.raises(RuntimeError):
        model.fit(X, Y, batch_size=5, epochs=4, verbose=0,
                  callbacks=[callbacks.BackupAndRestore(backup, double_checkpoint=True),
                             _Interrupt(2)])  # fmt: skip
    assert sorted(os.listdir(backup)) == [
        "latest.weights.h5", "latest.weights.h5.bkp", "training_metadata.json",
        "training_metadata.json.bkp",
    ]  # fmt: skip
    assert json.loads((backup / "training_metadata.json.bkp").read_text())["epoch"] == 1
    (backup / "latest.weights.h5").write_bytes(b"not an hdf5 file")
    resumed = _linear()
    restore = callbacks.BackupAndRestore(backup, double_checkpoint=True)
    restore.set_model(resumed)
    restore.on_train_begin()
    assert resumed._initial_epoch == 1
    assert int(resumed.optimizer.iterations.numpy()) == 2


def test_backup_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="Empty `backup_dir` argument passed"):
        callbacks.BackupAndRestore("")
    with pytest.raises(ValueError, match="Invalid value for argument `save_freq`"):
        callbacks.BackupAndRestore(str(tmp_path), save_freq="batch")
    cb = callbacks.BackupAndRestore(str(tmp_path))
    cb.set_model(Sequential([layers.Dense(2)]))
    with pytest.raises(ValueError, match="must be built before you call `fit\\(\\)`"):
        cb.on_train_begin()
