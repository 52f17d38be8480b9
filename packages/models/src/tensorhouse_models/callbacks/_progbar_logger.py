"""``ProgbarLogger``: the progress bar of ``fit``, ``evaluate`` and ``predict``.

``verbose=1``: Keras's live bar (``Epoch 3/20`` then the bar, redrawn as batches finish);
``verbose=2``: one line per epoch. Batch values are read back from the tensors only when the
bar is redrawn, so a fast step does not wait on the display.
"""

from __future__ import annotations

from ._callback import Callback
from ._progbar import Progbar

__all__ = ["ProgbarLogger"]


class ProgbarLogger(Callback):
    """Prints Keras's progress bar; ``fit`` adds one unless ``verbose=0``."""

    _reads_batch_logs = False  # the bar reads the values itself, when it draws

    def __init__(self):
        super().__init__()
        self.progbar = None
        self.seen = 0
        self.target = None
        self.epochs = 1
        self.verbose = 1
        self._called_in_fit = False

    def set_params(self, params):
        super().set_params(params)
        self.verbose = params.get("verbose", 1)
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def _reset(self):
        self.seen = 0
        self.progbar = None

    def _bar(self):
        if self.progbar is None:
            self.progbar = Progbar(target=self.target, verbose=self.verbose, unit_name="step")
        return self.progbar

    def _batch_end(self, batch, logs):
        self.seen = batch + 1
        self._bar().update(self.seen, logs, finalize=False)

    def _finalize(self, logs):
        bar = self._bar()
        if bar.target is None:
            bar.target = self.seen
        bar.update(bar.target, logs, finalize=True)

    def on_train_begin(self, logs=None):
        self._called_in_fit = True

    def on_epoch_begin(self, epoch, logs=None):
        self._reset()
        if self.verbose and self._called_in_fit and self.epochs > 1:  # Keras: none for 1 epoch
            print(f"Epoch {epoch + 1}/{self.epochs}", flush=True)

    def on_train_batch_end(self, batch, logs=None):
        self._batch_end(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._finalize(logs)

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._reset()

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._batch_end(batch, logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize(logs)

    def on_predict_begin(self, logs=None):
        self._reset()

    def on_predict_batch_end(self, batch, logs=None):
        self._batch_end(batch, None)

    def on_predict_end(self, logs=None):
        self._finalize(None)
