"""``CSVLogger``: the epoch logs, one row per epoch, in a CSV file."""

from __future__ import annotations

import csv
import os

import numpy as np

from ._callback import Callback

__all__ = ["CSVLogger"]


def _cell(v):
    if isinstance(v, str):
        return v
    arr = np.asarray(v)
    if arr.ndim == 0:
        return arr.item()
    return f'"[{", ".join(str(x) for x in arr.ravel())}]"'


class CSVLogger(Callback):
    """Write ``epoch`` and every log value to ``filename`` after each epoch; ``append=True``
    keeps the rows of an earlier run (and writes no second header)."""

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.keys = None
        self._file = None
        self._writer = None

    def on_train_begin(self, logs=None):
        had_rows = self.append and os.path.exists(self.filename) and os.path.getsize(self.filename)
        self._header_needed = not had_rows
        self._file = open(self.filename, "a" if self.append else "w", newline="")
        self._writer = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
        if self._writer is None:
            self._writer = csv.DictWriter(
                self._file, fieldnames=["epoch", *self.keys], delimiter=self.sep,
                extrasaction="ignore",
            )  # fmt: skip
            if self._header_needed:
                self._writer.writeheader()
        row = {"epoch": epoch}
        row.update({k: _cell(logs[k]) if k in logs else "NA" for k in self.keys})
        self._writer.writerow(row)
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = None
        self._writer = None
