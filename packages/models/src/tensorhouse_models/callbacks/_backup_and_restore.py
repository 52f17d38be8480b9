"""``BackupAndRestore``: back up the training state so that an interrupted ``fit`` resumes.

Each backup writes ``latest.weights.h5`` (the model's weights and its optimizer's state) and
``training_metadata.json`` (``{"epoch": next epoch to run, "batch": last batch seen}``) into
``backup_dir``, each renamed into place whole. At the start of the next ``fit`` both are read
back and ``model._initial_epoch`` is set to the epoch to resume from (Keras 3's hook: ``fit``
starts at ``model._initial_epoch or initial_epoch``, read after ``on_train_begin``).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile

from ._callback import Callback
from ._model_checkpoint import save_weights_of

__all__ = ["BackupAndRestore"]


def _load_weights_into(model, filepath):
    method = getattr(model, "load_weights", None)
    if method is not None:
        method(filepath)
    else:
        from ..saving import load_weights

        load_weights(model, filepath)


def _write_json(path, data):
    fd, tmp = tempfile.mkstemp(prefix=".metadata.", suffix=".tmp", dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "w") as f:
            f.write(json.dumps(data))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


class BackupAndRestore(Callback):
    """Back up weights, optimizer state and epoch to ``backup_dir`` every epoch (or every
    ``save_freq`` batches); a restarted ``fit`` restores them and resumes; the backup is
    deleted when training finishes (``delete_checkpoint``). ``double_checkpoint`` keeps the
    previous backup too, used when the latest cannot be read."""

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):  # fmt: skip
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and not isinstance(save_freq, int):
            raise ValueError(
                f"Invalid value for argument `save_freq`. Received: save_freq={save_freq}. "
                "Expected either 'epoch' or an integer value."
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.h5")
        self._training_metadata_path = os.path.join(self.backup_dir, "training_metadata.json")
        self._prev_weights_path = f"{self._weights_path}.bkp"
        self._prev_training_metadata_path = f"{self._training_metadata_path}.bkp"
        self._reads_batch_logs = False

    # ---- restoring --------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        try:
            self._load_model()
        except OSError:
            if not os.path.exists(self._prev_weights_path):
                raise
            shutil.copyfile(self._prev_weights_path, self._weights_path)
            if os.path.exists(self._prev_training_metadata_path):
                shutil.copyfile(self._prev_training_metadata_path, self._training_metadata_path)
            elif os.path.exists(self._training_metadata_path):
                os.remove(self._training_metadata_path)
            self._load_model()

    def _load_model(self):
        model = self.model
        if not model.built:
            raise ValueError(
                "To use the BackupAndRestore callback, you model must be built before you call "
                f"`fit()`. Model {model} is unbuilt. You can build it beforehand by calling it "
                "on a batch of data."
            )
        if os.path.exists(self._weights_path):
            optimizer = getattr(model, "optimizer", None)
            if optimizer is not None and not optimizer.built:
                optimizer.build(model.trainable_variables)
            _load_weights_into(model, self._weights_path)
        if os.path.exists(self._training_metadata_path):
            with open(self._training_metadata_path) as f:
                metadata = json.loads(f.read())
            self._current_epoch = int(metadata["epoch"])
            model._initial_epoch = self._current_epoch

    # ---- backing up ---------------------------------------------------------------------------
    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save_model()

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model()

    def _should_save_on_batch(self, batch):
        if self.save_freq == "epoch":
            return False
        if batch <= self._last_batch_seen:  # a new epoch: batches count from 0
            added = batch + 1
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _save_model(self):
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint:
            if os.path.exists(self._weights_path):
                shutil.copyfile(self._weights_path, self._prev_weights_path)
            if os.path.exists(self._training_metadata_path):
                shutil.copyfile(self._training_metadata_path, self._prev_training_metadata_path)
        save_weights_of(self.model, self._weights_path)
        _write_json(
            self._training_metadata_path,
            {"epoch": self._current_epoch, "batch": self._last_batch_seen},
        )

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.exists(self.backup_dir):
            shutil.rmtree(self.backup_dir)
