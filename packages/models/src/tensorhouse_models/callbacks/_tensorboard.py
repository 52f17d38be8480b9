"""``TensorBoard``: the training curves and weight histograms as TensorBoard event files.

The files are written by the ``tensorboard`` package's own ``EventFileWriter`` from its own
protocol buffers (``pip install tensorboard``, or the ``tensorboard`` extra), so TensorBoard
reads them as it reads TF's. Keras 3's layout and tags: ``<log_dir>/train`` gets
``epoch_<metric>`` per epoch (the learning rate as ``epoch_learning_rate``), ``batch_<metric>``
every ``update_freq`` batches when ``update_freq`` is a number, and ``<weight path>/histogram``
every ``histogram_freq`` epochs; ``<log_dir>/validation`` gets ``epoch_<metric>`` for the
``val_`` logs and ``evaluation_<metric>_vs_iterations`` after each evaluation.
"""

from __future__ import annotations

import os
import time

import numpy as np

from ._callback import Callback
from ._progbar import scalar

__all__ = ["TensorBoard"]

_BUCKETS = 30  # TF 2's default number of histogram buckets


def _tensorboard():
    try:
        from tensorboard.compat.proto import event_pb2, summary_pb2
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
    except ImportError:
        raise ImportError(
            "The TensorBoard callback writes event files with the tensorboard package: "
            "pip install tensorboard (or 'tensorhouse-models[tensorboard]')"
        ) from None
    return EventFileWriter, event_pb2, summary_pb2


def histogram_proto(summary_pb2, values):
    """A ``HistogramProto`` of ``values``: min, max, count, sums and 30 equal-width buckets
    (``bucket_limit`` holds each bucket's right edge)."""
    v = np.asarray(values, dtype=np.float64).ravel()
    proto = summary_pb2.HistogramProto()
    if v.size == 0:
        return proto
    lo, hi = float(v.min()), float(v.max())
    proto.min, proto.max, proto.num = lo, hi, float(v.size)
    proto.sum, proto.sum_squares = float(v.sum()), float(np.dot(v, v))
    if lo == hi:  # one bucket holds every value
        limits, counts = [hi], [v.size]
    else:
        counts, edges = np.histogram(v, bins=_BUCKETS, range=(lo, hi))
        limits = edges[1:]
    proto.bucket_limit.extend(float(e) for e in limits)
    proto.bucket.extend(float(c) for c in counts)
    return proto


class _Writer:
    """One event file in one directory (a run, in TensorBoard's words)."""

    def __init__(self, directory):
        writer_cls, self._event_pb2, self._summary_pb2 = _tensorboard()
        os.makedirs(directory, exist_ok=True)
        self._writer = writer_cls(directory)

    def _write(self, value, step):
        event = self._event_pb2.Event(
            wall_time=time.time(), step=int(step), summary=self._summary_pb2.Summary(value=[value])
        )
        self._writer.add_event(event)

    def scalar(self, tag, value, step):
        self._write(self._summary_pb2.Summary.Value(tag=tag, simple_value=float(value)), step)

    def histogram(self, tag, values, step):
        histo = histogram_proto(self._summary_pb2, values)
        self._write(self._summary_pb2.Summary.Value(tag=tag, histo=histo), step)

    def flush(self):
        self._writer.flush()

    def close(self):
        self._writer.close()


def _scalar(v):
    """A log value as a float, or None for a value that is not a number."""
    value = scalar(v)
    return value if isinstance(value, float) else None


class TensorBoard(Callback):
    """Write the logs of ``fit`` (and weight histograms) for TensorBoard under ``log_dir``."""

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None):  # fmt: skip
        super().__init__()
        every_n = isinstance(update_freq, int) and not isinstance(update_freq, bool)
        if update_freq != "epoch" and not (every_n and update_freq >= 1):
            raise ValueError(
                f"update_freq must be 'epoch' or a positive integer. Received: {update_freq!r}"
            )
        if profile_batch or embeddings_freq or write_images:
            raise ValueError(
                "TensorBoard: profiling, embeddings and weight images are not supported; pass "
                "profile_batch=0, embeddings_freq=0 and write_images=False"
            )
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = int(histogram_freq)
        self.write_graph = write_graph  # accepted; the graph is not written
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = update_freq
        self._train = self._val = None
        self._global_train_batch = 0
        self._epoch_start = self._batch_start = 0.0
        self._epoch_batches = 0

    def _writers(self):
        if self._train is None:
            self._train = _Writer(os.path.join(self.log_dir, "train"))
            self._val = _Writer(os.path.join(self.log_dir, "validation"))
        return self._train, self._val

    def on_train_begin(self, logs=None):
        self._global_train_batch = 0
        self._writers()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.time()
        self._epoch_batches = 0

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        self._epoch_batches += 1
        self._batch_start = time.time()

    def on_train_batch_end(self, batch, logs=None):
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        train, _ = self._writers()
        step = self._global_train_batch
        for name, value in (logs or {}).items():
            value = _scalar(value)
            if value is not None:
                train.scalar(f"batch_{name}", value, step)
        if self.write_steps_per_second:
            elapsed = max(time.time() - self._batch_start, 1e-9)
            train.scalar("batch_steps_per_second", 1.0 / elapsed, step)

    def on_epoch_end(self, epoch, logs=None):
        train, val = self._writers()
        logs = dict(logs or {})
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and hasattr(optimizer, "learning_rate"):
            lr = _scalar(optimizer.learning_rate)
            if lr is not None:
                logs.setdefault("learning_rate", lr)
        if self.write_steps_per_second:
            elapsed = max(time.time() - self._epoch_start, 1e-9)
            logs["steps_per_second"] = self._epoch_batches / elapsed
        for name, value in logs.items():
            value = _scalar(value)
            if value is None:
                continue
            if name.startswith("val_"):
                val.scalar(f"epoch_{name[4:]}", value, epoch)
            else:
                train.scalar(f"epoch_{name}", value, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            for layer in self.model.layers:
                for weight in layer.weights:
                    train.histogram(f"{_path(layer, weight)}/histogram", weight.numpy(), epoch)
        train.flush()
        val.flush()

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if self._val is None or optimizer is None:
            return
        step = int(np.asarray(optimizer.iterations))
        for name, value in (logs or {}).items():
            value = _scalar(value)
            if value is not None:
                self._val.scalar(f"evaluation_{name}_vs_iterations", value, step)

    def on_train_end(self, logs=None):
        for writer in (self._train, self._val):
            if writer is not None:
                writer.close()
        self._train = self._val = None


def _path(layer, weight):
    """Keras 3's weight path, ``dense/kernel``."""
    path = getattr(weight, "path", None)
    if path:
        return path.replace(":", "_")
    name = weight.name.split(":")[0]
    return name if "/" in name else f"{layer.name}/{name}"
