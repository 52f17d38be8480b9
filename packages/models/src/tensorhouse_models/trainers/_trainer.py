"""Keras 3's ``Trainer``: ``compile``, ``fit``, ``evaluate``, ``predict`` and the ``*_on_batch``
methods, on overridable ``train_step`` / ``test_step`` / ``predict_step``.

Each step runs inside one traced function built on first use by ``make_train_function`` (and
``make_test_function``, ``make_predict_function``) with the ops layer's ``function``, unless
``run_eagerly=True`` (or ``tf.config.run_functions_eagerly(True)``, which the ops layer honours
itself). ``jit_compile=True`` traces it under XLA; ``"auto"`` takes the traced CPU path.
``steps_per_execution=N`` hands N batches to one traced call that runs N steps. Functions are
traced with ``reduce_retracing``, as Keras's are: the first batch shape traces once; a second
shape (the last, smaller batch of an epoch) traces once more with the dims that differ relaxed
to ``None``, and that trace serves every later batch size.
"""

from __future__ import annotations

import warnings

import numpy as np

from tensorhouse_components import keras_ops, ops, optimizers
from tensorhouse_components import metrics as metrics_module

from .. import callbacks as callbacks_module
from ..callbacks._callback_list import to_float_logs
from ..distribute import _training as _distribute
from ._compile_utils import CompileLoss, CompileMetrics
from ._epoch_iterator import EpochIterator, split_for_validation, unpack_x_y_sample_weight

__all__ = ["Trainer"]


def _should_eval(epoch, validation_freq):
    """Keras's rule: every ``validation_freq`` epochs (an int), or at the 1-based epochs listed."""
    if isinstance(validation_freq, int):
        return (epoch + 1) % validation_freq == 0
    if isinstance(validation_freq, list):
        return epoch + 1 in validation_freq
    raise ValueError(
        "Expected `validation_freq` to be a list or int. Received: "
        f"validation_freq={validation_freq} of the type {type(validation_freq)}."
    )


def _verbosity(verbose) -> int:
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 'auto', 0, 1 or 2. Received: verbose={verbose!r}")
    return int(verbose)


def _to_numpy(x):
    return ops.nest.map_structure(lambda t: np.asarray(ops.convert_to_numpy(t)), x)


def _concat(batches):
    first = batches[0]
    flats = [ops.nest.flatten(b) for b in batches]
    joined = [np.concatenate([f[i] for f in flats], axis=0) for i in range(len(flats[0]))]
    return ops.nest.pack_sequence_as(first, joined)


def _pythonify(logs) -> dict:
    """The logs as Python floats, keys sorted, nested dicts flattened in (Keras's logs come out
    of a traced function, whose dicts flatten in sorted key order)."""
    return to_float_logs(logs)


class Trainer:
    """The training half of ``Model`` (Keras 3's ``keras.src.trainers.trainer.Trainer``)."""

    def _init_trainer(self):
        self.optimizer = None
        self.loss = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._run_eagerly = False
        self._jit_compile = "auto"
        self._steps_per_execution = 1
        self._loss_tracker = None
        self._compile_loss = None
        self._compile_metrics = None
        self._initial_epoch = None  # set by BackupAndRestore: the epoch a restarted fit resumes at
        self._distribute_strategy = _distribute.capture_strategy()  # built in a strategy's scope
        self._reset_functions()

    def _reset_functions(self):
        self.train_function = None
        self.test_function = None
        self.predict_function = None
        self._own_train_function = None  # the one make_train_function traced
        self._metrics_reset = None  # (the metric variables' ids, the function zeroing them)

    # ---- compile ------------------------------------------------------------------------
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
        """Configure training: the optimizer, the loss(es) and the metrics to report."""
        if jit_compile not in (True, False, "auto"):
            raise ValueError(
                f"jit_compile must be True, False or 'auto'. Received: {jit_compile!r}"
            )
        if not isinstance(steps_per_execution, int) or steps_per_execution < 1:
            raise ValueError(
                "steps_per_execution must be a positive integer. Received: "
                f"steps_per_execution={steps_per_execution!r}"
            )
        self.optimizer = optimizers.get(optimizer)
        policy = getattr(self, "dtype_policy", None)
        if (
            auto_scale_loss
            and getattr(policy, "name", None) == "mixed_float16"
            and self.optimizer is not None
            and not isinstance(self.optimizer, optimizers.LossScaleOptimizer)
        ):
            # Keras 3: float16 gradients underflow without loss scaling
            self.optimizer = optimizers.LossScaleOptimizer(
                self.optimizer, name="loss_scale_optimizer"
            )
        self.loss = loss
        names = self._output_names_for_compile()
        self._compile_loss = None if loss is None else CompileLoss(loss, loss_weights, names)
        if metrics is not None or weighted_metrics is not None:
            self._compile_metrics = CompileMetrics(metrics, weighted_metrics, names)
        else:
            self._compile_metrics = None
        self._loss_tracker = metrics_module.Mean(name="loss")
        self._run_eagerly = bool(run_eagerly)
        self._jit_compile = jit_compile
        self._steps_per_execution = steps_per_execution
        self.stop_training = False
        self.compiled = True
        if getattr(self, "_distribute_strategy", None) is None:
            self._distribute_strategy = _distribute.capture_strategy()
        self._reset_functions()

    def _output_names_for_compile(self):
        return getattr(self, "output_names", None)

    @property
    def distribute_strategy(self):
        """The ``tf.distribute`` strategy the model trains under (the current one if none)."""
        return self._distribute_strategy or _distribute.get_strategy()

    @property
    def run_eagerly(self) -> bool:
        return self._run_eagerly

    @run_eagerly.setter
    def run_eagerly(self, value):
        self._run_eagerly = bool(value)
        self._reset_functions()

    @property
    def jit_compile(self):
        return self._jit_compile is True

    @jit_compile.setter
    def jit_compile(self, value):
        self._jit_compile = value
        self._reset_functions()

    @property
    def steps_per_execution(self) -> int:
        return self._steps_per_execution

    @property
    def metrics(self) -> list:
        """Keras 3's order: the loss tracker, the compiled metrics, the per-output loss
        trackers."""
        out = []
        if self.compiled:
            if self._loss_tracker is not None:
                out.append(self._loss_tracker)
            if self._compile_metrics is not None:
                out.append(self._compile_metrics)
            if self._compile_loss is not None:
                out.extend(self._compile_loss.metrics)
        return out

    @property
    def metrics_names(self) -> list:
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_state()

    def _reset_metrics_fast(self):
        """``reset_metrics()``, as one traced call that zeroes the metrics' variables when that
        is all each ``reset_state`` does (``Metric``'s own); overrides run as written."""
        if type(self).reset_metrics is not Trainer.reset_metrics or self.run_eagerly:
            return self.reset_metrics()
        leaves = [sub for m in self.metrics
                  for sub in (m.metrics if isinstance(m, CompileMetrics) else [m])]  # fmt: skip
        if _distribute.model_strategy(self) is not None or any(
            type(m).reset_state is not metrics_module.Metric.reset_state for m in leaves
        ):
            return self.reset_metrics()
        variables = [v for m in leaves for v in m.variables]
        key = tuple(map(id, variables))
        if self._metrics_reset is None or self._metrics_reset[0] != key:

            def reset_metrics():
                for v in variables:
                    v.assign(ops.zeros(v.shape, v.dtype))

            self._metrics_reset = (key, ops.function(reset_metrics))
        self._metrics_reset[1]()

    def _logs_are_results(self) -> bool:
        """Whether the train function's logs are ``get_metrics_result()`` right after its last
        step: the default ``train_step``, traced by ``make_train_function``, on one machine."""
        cls, names = type(self), ("train_step", "compute_metrics", "get_metrics_result")
        return (
            self.train_function is self._own_train_function
            and all(getattr(cls, n) is getattr(Trainer, n) for n in names)
            and _distribute.model_strategy(self) is None
        )

    def _assert_compiled(self, what):
        if not self.compiled:
            raise ValueError("You must call `compile()` before using the model.")

    # ---- steps --------------------------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss plus the layers' losses (``self.losses``: regularization and
        ``add_loss``)."""
        parts = []
        if self._compile_loss is not None:
            value = self._compile_loss(y, y_pred, sample_weight)
            if value is not None:
                parts.append(value)
        parts.extend(ops.cast(t, "float32") for t in self.losses)
        if not parts:
            if self._compile_loss is None and training:
                raise ValueError(
                    "No loss to compute: pass a loss to compile(loss=...) or add one with "
                    "add_loss() in call()."
                )
            return ops.zeros((), "float32")
        return parts[0] if len(parts) == 1 else ops.add_n(parts)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics; return every metric's result by log name."""
        if self._compile_metrics is not None:
            self._compile_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self) -> dict:
        out = {}
        for m in self.metrics:
            result = m.result()
            if isinstance(result, dict):
                out.update(result)
            else:
                out[m.name] = result
        return out

    def _batch_size_weight(self, x):
        return ops.cast(ops.shape(ops.nest.flatten(x)[0])[0], "float32")

    def train_step(self, data):
        """One optimization step on a batch: forward under a tape, gradients, update."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        with ops.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=True)
            self._loss_tracker.update_state(loss, sample_weight=self._batch_size_weight(x))
            if self.optimizer is not None:
                loss = self.optimizer.scale_loss(loss)  # a LossScaleOptimizer unscales it
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
        self._loss_tracker.update_state(loss, sample_weight=self._batch_size_weight(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """The model's output on a batch (the ``x`` of ``(x, y, ...)`` data)."""
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    # ---- the compiled functions ---------------------------------------------------------
    def _make_function(self, step):
        """``step`` over a tuple of batches (one per step of the execution), traced unless the
        model runs eagerly."""

        def multi_step(batches):
            logs = None
            for data in batches:
                logs = step(data)
            return logs

        if self.run_eagerly:
            return multi_step
        return ops.function(
            multi_step, jit_compile=self._jit_compile is True, reduce_retracing=True,
            name=f"{step.__name__}_function",
        )  # fmt: skip

    def make_train_function(self, force=False):
        """The function ``fit`` calls on each execution's batches (built once)."""
        if self.train_function is None or force:
            strategy = _distribute.model_strategy(self)
            self.train_function = (
                _distribute.make_train_function(self, strategy)
                if strategy is not None
                else self._make_function(self.train_step)
            )
            self._own_train_function = self.train_function
        return self.train_function

    def make_test_function(self, force=False):
        if self.test_function is None or force:
            strategy = _distribute.model_strategy(self)
            self.test_function = (
                _distribute.make_test_function(self, strategy)
                if strategy is not None
                else self._make_function(self.test_step)
            )
        return self.test_function

    def make_predict_function(self, force=False):
        strategy = _distribute.model_strategy(self)
        if (self.predict_function is None or force) and strategy is not None:
            self.predict_function = _distribute.make_predict_function(self, strategy)
        if self.predict_function is None or force:

            def predict_batches(batches):
                return [self.predict_step(data) for data in batches]

            self.predict_function = (
                predict_batches
                if self.run_eagerly
                else ops.function(
                    predict_batches,
                    jit_compile=self._jit_compile is True,
                    reduce_retracing=True,
                    name="predict_function",
                )  # fmt: skip
            )
        return self.predict_function

    def _build_for(self, batch):
        """Build what the first traced step would otherwise create inside the trace: the
        model's weights (by calling it once, eagerly, when it has none yet) and the compiled
        losses and metrics (for the outputs' structure and shapes), as Keras's symbolic build
        does. Bad ``loss`` / ``metrics`` configurations fail here, before any step runs."""
        x, y, _ = unpack_x_y_sample_weight(batch)
        built = self.built and self.weights
        if not built or (
            not self.run_eagerly  # an eager first step builds the losses and metrics (Keras)
            and (
                self._compile_loss is not None
                and not self._compile_loss.built
                or self._compile_metrics is not None
                and not self._compile_metrics.built
            )
        ):
            y_pred = self._symbolic_outputs() if built else None
            if y_pred is None:
                y_pred = self(x, training=False)
            if self._compile_loss is not None and not self._compile_loss.built:
                self._compile_loss.build(y, y_pred)
            if self._compile_metrics is not None and not self._compile_metrics.built:
                self._compile_metrics.build(y, y_pred)
        # the optimizer's slots exist before the first trace, as in Keras's symbolic build (a
        # loss scale read inside the trace is then its variable, not a constant)
        optimizer = self.optimizer
        if optimizer is not None and not optimizer.built and self.trainable_variables:
            optimizer.build(self.trainable_variables)

    def _symbolic_outputs(self):
        """The outputs as KerasTensors (shapes only) when the model knows them without running;
        Functional and Sequential models override it."""
        return None

    def _symbolic_build(self, iterator):
        batch = iterator.peek()
        if batch is not None:
            self._build_for(batch)
        return batch

    # ---- fit ----------------------------------------------------------------------------
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
        class_weight=None,
        sample_weight=None,
        initial_epoch=0,
        steps_per_epoch=None,
        validation_steps=None,
        validation_batch_size=None,
        validation_freq=1,
    ):
        """Train for ``epochs`` epochs; returns the ``History`` of per-epoch logs."""
        self._assert_compiled("fit")
        if keras_ops.config.max_epochs() and keras_ops.config.max_epochs() < epochs:
            epochs = keras_ops.config.max_epochs()  # Keras's debugging cap
            warnings.warn(f"Limiting epochs to {epochs}", stacklevel=2)
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = split_for_validation(
                x, y, sample_weight, validation_split
            )
        iterator = EpochIterator(
            x, y, sample_weight, batch_size=batch_size, steps_per_epoch=steps_per_epoch,
            shuffle=shuffle, class_weight=class_weight, seed=self._shuffle_seed(),
            steps_per_execution=self.steps_per_execution, input_names=self._input_names(),
        )  # fmt: skip
        val_iterator = None
        if validation_data is not None:
            vx, vy, vsw = unpack_x_y_sample_weight(
                tuple(validation_data) if isinstance(validation_data, list) else validation_data
            )
            val_iterator = EpochIterator(
                vx, vy, vsw, batch_size=validation_batch_size or batch_size,
                steps_per_epoch=validation_steps, steps_per_execution=self.steps_per_execution,
                input_names=self._input_names(),
            )  # fmt: skip
        verbose = _verbosity(verbose)
        callbacks = _distribute.worker_callbacks(self, callbacks)  # the chief alone backs up
        cbs = callbacks_module.CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=epochs, steps=iterator.num_batches,
        )  # fmt: skip
        # Keras's TF trainer builds in the first step, after "Epoch 1/N"; under a strategy,
        # before the callbacks start
        build_in_first_step = _distribute.model_strategy(self) is None
        if not build_in_first_step:
            self._symbolic_build(iterator)
        train_function = self.make_train_function()
        self.stop_training = False
        cbs.on_train_begin()
        # a callback that restored a backup (BackupAndRestore) says where to resume, as in Keras
        initial_epoch = self._initial_epoch or initial_epoch
        initial_epoch = _distribute.on_train_begin(self, initial_epoch)  # rank 0's state
        training_logs = None
        logs = {}
        batch_begin, batch_end = (cbs.calls(f"on_train_batch_{h}") for h in ("begin", "end"))
        # with no callback between the steps, the last step's logs are the epoch's results
        reuse_logs = not batch_end and self._logs_are_results()
        for epoch in range(initial_epoch, epochs):
            self._reset_metrics_fast()
            cbs.on_epoch_begin(epoch)
            stepped = False
            for begin, end, batches in iterator.enumerate_epoch():
                if build_in_first_step:
                    self._build_for(batches[0])
                    build_in_first_step = False
                if batch_begin:
                    cbs.on_train_batch_begin(begin)
                logs = train_function(batches)
                stepped = True
                if batch_end:
                    cbs.on_train_batch_end(end, logs)
                if self.stop_training:
                    break
            epoch_logs = _pythonify(logs) if reuse_logs and stepped else self._result_or_logs(logs)
            if val_iterator is not None and _should_eval(epoch, validation_freq):
                val_logs = self._evaluate(val_iterator, cbs)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            cbs.on_epoch_end(epoch, epoch_logs)
            training_logs = epoch_logs
            if self.stop_training:
                break
        if isinstance(self.optimizer, optimizers.Optimizer) and epochs > initial_epoch:
            finalize = getattr(self.optimizer, "finalize_variable_values", None)
            if finalize is not None:
                finalize(self.trainable_weights)
        _distribute.barrier(self)  # every worker is done before the chief cleans up
        cbs.on_train_end(training_logs)
        return self.history

    def _result_or_logs(self, logs):
        """Keras's epoch logs: the metrics' results, or the last step's logs when a custom step
        returned other names than the metrics have."""
        result = _distribute.metrics_result(self)
        if isinstance(logs, dict) and logs and set(logs) != set(result):
            return _pythonify(logs)
        return _pythonify(result)

    def _shuffle_seed(self):
        s1, s2 = ops.random.get_seed(None)
        return _distribute.shared_seed(self, None if s1 is None else (s1, s2))

    def _input_names(self):
        return getattr(self, "input_names", None)

    # ---- evaluate -----------------------------------------------------------------------
    def _evaluate(self, iterator, cbs):
        self._symbolic_build(iterator)
        test_function = self.make_test_function()
        self._reset_metrics_fast()
        cbs.on_test_begin()
        logs = {}
        batch_begin, batch_end = (cbs.calls(f"on_test_batch_{h}") for h in ("begin", "end"))
        for begin, end, batches in iterator.enumerate_epoch():
            if batch_begin:
                cbs.on_test_batch_begin(begin)
            logs = test_function(batches)
            if batch_end:
                cbs.on_test_batch_end(end, logs)
        logs = self._result_or_logs(logs)
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
        iterator, cbs = self._one_pass(x, y, sample_weight, batch_size, steps, callbacks, verbose)
        logs = self._evaluate(iterator, cbs)
        if return_dict:
            return logs
        return self._flatten_in_order(logs)

    def _one_pass(self, x, y, sample_weight, batch_size, steps, callbacks, verbose):
        """The iterator and callbacks of one pass over the data (``evaluate``, ``predict``)."""
        iterator = EpochIterator(
            x, y, sample_weight, batch_size=batch_size, steps_per_epoch=steps,
            steps_per_execution=self.steps_per_execution, input_names=self._input_names(),
        )  # fmt: skip
        verbose = _verbosity(verbose)
        cbs = callbacks_module.CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1,
            steps=iterator.num_batches,
        )  # fmt: skip
        return iterator, cbs

    def _flatten_in_order(self, logs):
        """Keras 3's list order: the metrics' names in ``self.metrics`` order, then any other
        log key, sorted."""
        names = []
        for m in self.metrics:
            if isinstance(m, CompileMetrics):
                names.extend(sub.name for sub in m.metrics)
            else:
                names.append(m.name)
        values = [logs[n] for n in names if n in logs]
        values += [logs[k] for k in sorted(logs) if k not in names]
        return values[0] if len(values) == 1 else values

    # ---- predict ------------------------------------------------------------------------
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs on ``x``, batch by batch, concatenated as NumPy arrays."""
        iterator, cbs = self._one_pass(x, None, None, batch_size, steps, callbacks, verbose)
        self._symbolic_build(iterator)
        predict_function = self.make_predict_function()
        cbs.on_predict_begin()
        outputs = []
        for begin, end, batches in iterator.enumerate_epoch():
            cbs.on_predict_batch_begin(begin)
            outs = predict_function(batches)
            outputs.extend(_to_numpy(o) for o in outs)
            cbs.on_predict_batch_end(end, {"outputs": outs[-1]})
        if not outputs:
            raise ValueError(
                "Unexpected result of `predict_function` (Empty batch_outputs). Please use "
                "`Model.compile(..., run_eagerly=True)`, or `tf.config.run_functions_eagerly"
                "(True)` for more information of where went wrong, or file a issue/bug to "
                "`tf.keras`."
            )
        cbs.on_predict_end()
        return _concat(outputs)

    # ---- single batches -----------------------------------------------------------------
    def _one_batch(self, x, y=None, sample_weight=None, class_weight=None):
        iterator = EpochIterator(
            x, y, sample_weight, batch_size=2**62, class_weight=class_weight,
            input_names=self._input_names(),
        )  # fmt: skip
        return next(iterator.enumerate_epoch())[2]

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One ``train_step`` on one batch (all of ``x``); metrics are reset first."""
        self._assert_compiled("train_on_batch")
        batches = self._one_batch(x, y, sample_weight, class_weight)
        self._build_for(batches[0])
        self.reset_metrics()
        logs = _pythonify(self.make_train_function()(batches))
        return logs if return_dict else self._flatten_in_order(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """One ``test_step`` on one batch; metrics are reset first."""
        self._assert_compiled("test_on_batch")
        batches = self._one_batch(x, y, sample_weight)
        self._build_for(batches[0])
        self.reset_metrics()
        logs = _pythonify(self.make_test_function()(batches))
        return logs if return_dict else self._flatten_in_order(logs)

    def predict_on_batch(self, x):
        """The model's outputs on one batch, as NumPy arrays."""
        batches = self._one_batch(x)
        self._build_for(batches[0])
        return _to_numpy(self.make_predict_function()(batches)[0])
