"""``Model``: a Layer that trains (Keras 3's ``Model`` and ``Trainer``).

``fit``, ``evaluate`` and ``predict`` are loops over batches that call the overridable
``train_step``, ``test_step`` and ``predict_step``. Every step runs eagerly: the ops layer has
no graph tracing (``function``) yet, so ``run_eagerly`` and ``jit_compile`` change nothing.
"""

from __future__ import annotations

import numpy as np

from tensorhouse_components import layers, ops, optimizers
from tensorhouse_components import metrics as metrics_module

from . import _compile_utils, _summary
from . import callbacks as callbacks_module
from ._data_adapter import EpochIterator, unpack_x_y_sample_weight

__all__ = ["Model"]


def _functional_args(args, kwargs):
    return (
        (len(args) == 2)
        or (len(args) == 1 and "outputs" in kwargs)
        or ("inputs" in kwargs and "outputs" in kwargs)
    )


def _verbosity(verbose) -> int:
    return 1 if verbose == "auto" else int(verbose)


def _to_numpy(x):
    if isinstance(x, tuple | list):
        return type(x)(_to_numpy(v) for v in x)
    if isinstance(x, dict):
        return {k: _to_numpy(v) for k, v in x.items()}
    return np.array(ops.convert_to_numpy(x))


def _concat(batches):
    first = batches[0]
    if isinstance(first, tuple | list):
        return type(first)(_concat([b[i] for b in batches]) for i in range(len(first)))
    if isinstance(first, dict):
        return {k: _concat([b[k] for b in batches]) for k in first}
    return np.concatenate(batches, axis=0)


def _batch_size_of(x):
    while isinstance(x, tuple | list | dict):
        x = next(iter(x.values())) if isinstance(x, dict) else x[0]
    return int(x.shape[0])


class Model(layers.Layer):
    """A trainable layer graph: subclass it (``call``), or use ``Sequential``, or
    ``Model(inputs, outputs)`` on ``Input`` tensors (the Functional API)."""

    def __new__(cls, *args, **kwargs):
        if cls is Model and _functional_args(args, kwargs):
            from ._functional import Functional

            return Functional.__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        if args:
            raise TypeError(
                f"{type(self).__name__}() takes keyword arguments only (name=, trainable=, "
                f"dtype=); received {len(args)} positional arguments"
            )
        super().__init__(**kwargs)
        self.optimizer = None
        self.loss = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._run_eagerly = False
        self._loss_tracker = None
        self._compiled_metrics = None

    # ---- compile --------------------------------------------------------------------------
    def compile(
        self,
        optimizer="rmsprop",
        loss=None,
        loss_weights=None,
        metrics=None,
        weighted_metrics=None,
        run_eagerly=False,
        steps_per_execution=1,
        jit_compile="auto",
        auto_scale_loss=True,
    ):
        """Configure training: the optimizer, the loss and the metrics to report."""
        if loss_weights is not None or weighted_metrics is not None:
            raise NotImplementedError(
                "compile(loss_weights=..., weighted_metrics=...) is not supported yet"
            )
        if jit_compile is True:
            raise NotImplementedError(
                "compile(jit_compile=True): compiled steps need ops.function, which this "
                "release does not have yet; every step runs eagerly"
            )
        if steps_per_execution != 1:
            raise NotImplementedError("compile(steps_per_execution=...) is not supported yet")
        self.optimizer = optimizers.get(optimizer)
        self.loss = _compile_utils.resolve_loss(loss)
        self._compiled_metrics = _compile_utils.CompiledMetrics(metrics)
        self._loss_tracker = metrics_module.Mean(name="loss")
        self._run_eagerly = bool(run_eagerly)
        self.compiled = True

    @property
    def run_eagerly(self) -> bool:
        return self._run_eagerly

    @run_eagerly.setter
    def run_eagerly(self, value):
        self._run_eagerly = bool(value)

    @property
    def metrics(self) -> list:
        """The loss tracker, then the compiled metrics (built on the first batch)."""
        out = [] if self._loss_tracker is None else [self._loss_tracker]
        if self._compiled_metrics is not None:
            out.extend(self._compiled_metrics.metrics)
        return out

    @property
    def metrics_names(self) -> list:
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_state()

    def _assert_compiled(self, what):
        if not self.compiled:
            raise RuntimeError(f"You must call `compile()` before calling `{what}()`.")
        if self.loss is None and what != "predict":
            raise ValueError(
                f"`{what}()` needs a loss: pass one to compile(loss=...), e.g. loss='mse'"
            )

    # ---- steps ----------------------------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss plus the regularization losses of the layers (``self.losses``)."""
        loss = self.loss(y, y_pred, sample_weight)
        extra = self.losses
        if extra:
            loss = ops.add_n([loss, *[ops.cast(t, loss.dtype) for t in extra]])
        return loss

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics; return every metric's result by name."""
        if self._compiled_metrics is not None:
            self._compiled_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self) -> dict:
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        """One optimization step on a batch: forward under a tape, gradients, update."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        with ops.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=True)
        self._loss_tracker.update_state(loss, sample_weight=_batch_size_of(x))
        variables = self.trainable_variables
        if variables:
            grads = tape.gradient(loss, variables)
            self.optimizer.apply(grads, variables)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data):
        """Loss and metrics on a batch, without updating the weights."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        self._loss_tracker.update_state(loss, sample_weight=_batch_size_of(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """The model's output on a batch (the ``x`` of ``(x, y, ...)`` data)."""
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    # ---- loops ----------------------------------------------------------------------------
    def _shuffle_seed(self):
        s1, s2 = ops.random.get_seed(None)
        return None if s1 is None else (s1, s2)

    def fit(
        self,
        x=None,
        y=None,
        batch_size=None,
        epochs=1,
        verbose="auto",
        callbacks=None,
        validation_split=0.0,
        validation_data=None,
        shuffle=True,
        sample_weight=None,
        initial_epoch=0,
        steps_per_epoch=None,
        validation_steps=None,
        validation_batch_size=None,
        validation_freq=1,
    ):
        """Train for ``epochs`` epochs; returns the ``History`` of per-epoch logs.

        Shuffling of array data follows the global seed (``utils.set_random_seed``).
        """
        self._assert_compiled("fit")
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = _split(x, y, sample_weight, validation_split)
        iterator = EpochIterator(
            x, y, sample_weight, batch_size=batch_size, steps_per_epoch=steps_per_epoch,
            shuffle=shuffle, seed=self._shuffle_seed(),
        )  # fmt: skip
        val_iterator = None
        if validation_data is not None:
            if isinstance(validation_data, tuple | list):
                vx, vy, vsw = unpack_x_y_sample_weight(tuple(validation_data))
            else:
                vx, vy, vsw = validation_data, None, None
            val_iterator = EpochIterator(
                vx, vy, vsw, batch_size=validation_batch_size or batch_size,
                steps_per_epoch=validation_steps,
            )  # fmt: skip
        verbose = _verbosity(verbose)
        cbs = callbacks_module.CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=epochs, steps=iterator.num_batches,
        )  # fmt: skip
        self.stop_training = False
        cbs.on_train_begin()
        logs = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            cbs.on_epoch_begin(epoch)
            for step, batch in enumerate(iterator.epoch()):
                cbs.on_train_batch_begin(step)
                logs = self.train_step(batch)
                cbs.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
            epoch_logs = {k: float(v) for k, v in self.get_metrics_result().items()}
            if val_iterator is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate_loop(val_iterator, callbacks_module.CallbackList())
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            cbs.on_epoch_end(epoch, epoch_logs)
            logs = epoch_logs
            if self.stop_training:
                break
        cbs.on_train_end(logs)
        return self.history

    def _evaluate_loop(self, iterator, cbs):
        self.reset_metrics()
        cbs.on_test_begin()
        for step, batch in enumerate(iterator.epoch()):
            cbs.on_test_batch_begin(step)
            logs = self.test_step(batch)
            cbs.on_test_batch_end(step, logs)
        logs = {k: float(v) for k, v in self.get_metrics_result().items()}
        cbs.on_test_end(logs)
        return logs

    def evaluate(
        self,
        x=None,
        y=None,
        batch_size=None,
        verbose="auto",
        sample_weight=None,
        steps=None,
        callbacks=None,
        return_dict=False,
    ):
        """The loss (and metrics) on the data: a float, ``[loss, *metrics]``, or a dict."""
        self._assert_compiled("evaluate")
        iterator = EpochIterator(x, y, sample_weight, batch_size=batch_size,
                                 steps_per_epoch=steps)  # fmt: skip
        verbose = _verbosity(verbose)
        cbs = callbacks_module.CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose,
            steps=iterator.num_batches,
        )  # fmt: skip
        logs = self._evaluate_loop(iterator, cbs)
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names]
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose=0, steps=None, callbacks=None):
        """The model's outputs on ``x``, batch by batch, as NumPy arrays."""
        iterator = EpochIterator(x, batch_size=batch_size, steps_per_epoch=steps)
        verbose = _verbosity(verbose)
        cbs = callbacks_module.CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose,
            steps=iterator.num_batches,
        )  # fmt: skip
        cbs.on_predict_begin()
        outputs = []
        for step, batch in enumerate(iterator.epoch()):
            cbs.on_predict_batch_begin(step)
            out = self.predict_step(batch)
            outputs.append(_to_numpy(out))
            cbs.on_predict_batch_end(step, {"outputs": out})
        cbs.on_predict_end()
        if not outputs:
            raise ValueError("predict() got no batches: the input is empty")
        return _concat(outputs)

    def train_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """One ``train_step`` on one batch; the metrics are reset first."""
        self._assert_compiled("train_on_batch")
        self.reset_metrics()
        iterator = EpochIterator(x, y, sample_weight, batch_size=2**62)  # one batch: all of x
        data = next(iterator.epoch())
        logs = {k: float(v) for k, v in self.train_step(data).items()}
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    # ---- weights and structure ------------------------------------------------------------
    def _maybe_build(self, inputs):
        # A subclassed model builds its sublayers by running: its first call is the build.
        if type(self).build is Model.build:
            if not self.built:
                self.built = True
            return
        super()._maybe_build(inputs)

    def build(self, input_shape=None):
        """Create the weights of a subclassed model by calling it once on zeros."""
        if self.built:
            return
        if input_shape is None:
            raise ValueError(
                f"{self.name}: build() needs an input_shape, e.g. build((None, 2)), or call "
                "the model on a batch of data"
            )
        self.built = True
        shape = [1 if d is None else int(d) for d in input_shape]
        try:
            self(ops.zeros(shape, dtype=self.compute_dtype), training=False)
        except Exception:
            self.built = False
            raise
        self._build_input_shape = tuple(input_shape)

    @property
    def layers(self) -> list:
        return list(self._layers)

    def get_layer(self, name=None, index=None):
        """A sublayer by name or by index in ``layers``."""
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No such layer: {name}. Existing layers are: {[layer.name for layer in self.layers]}"
        )

    def summary(self, line_length=None, positions=None, print_fn=None, **kwargs):
        """Print a table of the layers: name (type), output shape, parameter count."""
        _summary.print_summary(self, line_length=line_length, print_fn=print_fn)


def _split(x, y, sample_weight, fraction):
    """Keras's ``validation_split``: the last ``fraction`` of the samples, before shuffling."""
    if not 0 < fraction < 1:
        raise ValueError(f"validation_split must be in (0, 1). Received: {fraction}")
    from tensorhouse_components.data import Dataset

    if isinstance(x, Dataset):
        raise ValueError("validation_split is only supported for arrays, not a Dataset")
    arrays = [None if a is None else ops.convert_to_numpy(a) for a in (x, y, sample_weight)]
    n = len(arrays[0])
    cut = int(n * (1.0 - fraction))
    if cut == 0 or cut == n:
        raise ValueError(f"validation_split={fraction} leaves no training or validation data")
    train = tuple(None if a is None else a[:cut] for a in arrays)
    val = tuple(a[cut:] for a in arrays if a is not None)
    return train, val
