"""``fit`` / ``evaluate`` / ``predict`` under a strategy (the training engine's hooks).

A training step under a strategy is three parts: each local replica runs a traced "gradient
step" on its share of the global batch (forward, loss scaled by ``1 / num_replicas_in_sync``
as TF does, metrics, gradients) on its device; the gradients are summed over the local
replicas and then over the workers (MPI, fused buckets, non-blocking); a traced "apply step"
updates the variables once. Metric variables are summed over the workers when results are
read (TF's sync-on-read ``SUM`` aggregation). With one replica per worker the gradient step
starts each bucket's all-reduce during its backward pass (``_overlapped_train_function``).
"""

from __future__ import annotations

import time

import numpy as np

from tensorhouse_components import ops

from ._input import split_batch
from ._strategy import FIRST_BUCKET_BYTES, get_strategy, has_strategy

__all__ = [
    "StepProfile",
    "barrier",
    "capture_strategy",
    "make_predict_function",
    "make_test_function",
    "make_train_function",
    "metrics_result",
    "model_strategy",
    "on_train_begin",
    "shared_seed",
]


class StepProfile:
    """Where this worker's training steps spend their time: wall and the main thread's CPU
    seconds per phase, summed over ``steps`` (set ``strategy._profile = StepProfile()``)."""

    PHASES = ("compute", "copy_in", "all_reduce", "copy_out", "optimizer", "metrics")

    def __init__(self):
        self.wall = dict.fromkeys(self.PHASES, 0.0)
        self.cpu = dict.fromkeys(self.PHASES, 0.0)
        self.steps = 0
        self._last = (0.0, 0.0)

    def start(self):
        """Begin a step."""
        self._last = (time.perf_counter(), time.thread_time())

    def mark(self, phase):
        """Charge the time since the last mark to ``phase``."""
        now = (time.perf_counter(), time.thread_time())
        self.wall[phase] += now[0] - self._last[0]
        self.cpu[phase] += now[1] - self._last[1]
        self._last = now


def capture_strategy():
    """The strategy a model built now trains under (None outside any strategy's scope)."""
    return get_strategy() if has_strategy() else None


def model_strategy(model):
    """The model's strategy when it distributes work (several replicas or workers)."""
    strategy = getattr(model, "_distribute_strategy", None)
    return strategy if strategy is not None and strategy._is_distributed else None


def _unpack(data):
    from ..trainers._epoch_iterator import unpack_x_y_sample_weight

    return unpack_x_y_sample_weight(data)


def _trace(model, fn, name):
    if model.run_eagerly:
        return fn
    return ops.function(fn, jit_compile=model._jit_compile is True, reduce_retracing=True,
                        name=name)  # fmt: skip


def _check_default_step(model, method):
    from ..trainers._trainer import Trainer

    if getattr(type(model), method) is not getattr(Trainer, method):
        raise NotImplementedError(
            f"A model that overrides `{method}` cannot run under {model._distribute_strategy} "
            "with several replicas yet; use a custom loop with `strategy.run`."
        )


def _shards(strategy, data):
    """``(replica index, share)`` of this worker's local replicas, empty shares left out (an
    empty share adds no loss and no gradient, as in TF)."""
    for i, shard in enumerate(split_batch(strategy, data)):
        leaves = [t for t in ops.nest.flatten(shard) if t is not None]
        if not leaves or int(leaves[0].shape[0]) > 0:
            yield i, shard


def make_train_function(model, strategy):
    """``fn(batches)``: one distributed training step per global batch; returns the logs."""
    _check_default_step(model, "train_step")
    overlap = strategy._comm is not None and strategy._num_local == 1 and strategy._overlap
    if overlap and model._jit_compile is not True:  # XLA runs no Python inside the step
        return _overlapped_train_function(model, strategy)
    replicas = strategy.num_replicas_in_sync

    def gradient_step(data):
        return _gradients(model, data, replicas)

    def apply_step(grads):
        model.optimizer.apply(grads, model.trainable_variables)

    grad_fn = _trace(model, gradient_step, "train_step_function")
    apply_fn = _trace(model, apply_step, "apply_step_function")

    def train(batches):
        prof = strategy._profile
        for data in batches:
            if prof is not None:
                prof.start()
            per_replica = []
            for i, shard in _shards(strategy, data):
                with strategy._device_scope(i):
                    grads = grad_fn(shard)
                per_replica.append(
                    [
                        np.zeros(v.shape, v.dtype) if g is None else ops.convert_to_numpy(g)
                        for g, v in zip(grads, model.trainable_variables)
                    ]
                )
            if prof is not None:
                prof.mark("compute")
            if not per_replica:  # every local share is empty: this worker adds nothing
                per_replica = [[np.zeros(v.shape, v.dtype) for v in model.trainable_variables]]
            columns = list(zip(*per_replica))  # each gradient's parts, one per local replica
            k = len(columns)
            if strategy._comm is None:
                summed = [
                    np.add.reduce(parts) if len(parts) > 1 else np.asarray(parts[0])
                    for parts in columns
                ]
                if prof is not None:
                    prof.mark("copy_in")  # the local replicas' sum
            else:
                # the metric variables (sums and counts) ride in the gradients' buckets; the
                # local replicas' gradients are summed straight into them
                variables = _metric_variables(model)
                local = [np.array(ops.convert_to_numpy(v)) for v in variables]
                columns += [(a,) for a in local]
                specs = [(np.shape(parts[0]), np.asarray(parts[0]).dtype) for parts in columns]
                plan = strategy._bucket_plan(specs)
                requests = plan.start(lambda i, view, cols=columns: _sum_into(view, cols[i]))
                if prof is not None:
                    prof.mark("copy_in")
                summed = plan.wait(requests)
                if prof is not None:
                    prof.mark("all_reduce")
            grads = [ops.convert_to_tensor(g) for g in summed[:k]]
            if prof is not None:
                prof.mark("copy_out")
            apply_fn(grads)
            if prof is not None:
                prof.mark("optimizer")
                prof.steps += 1
        if strategy._comm is None:
            logs = model.get_metrics_result()
        else:
            logs = _result_with(model, variables, local, summed[k:])
        if prof is not None:
            prof.mark("metrics")
        return logs

    return train


def _gradients(model, data, replicas, on_gradient=None):
    """One replica's gradients of its share ``data`` (the loss scaled for the global batch),
    its metrics updated; ``on_gradient`` as ``GradientTape.gradient``'s."""
    x, y, sample_weight = _unpack(data)
    with ops.GradientTape() as tape:
        y_pred = model(x, training=True)
        loss = model.compute_loss(x, y, y_pred, sample_weight, training=True)
        model._loss_tracker.update_state(loss, sample_weight=model._batch_size_weight(x))
        loss = loss / ops.cast(replicas, loss.dtype)  # TF: scaled for the global batch
        if model.optimizer is not None:
            loss = model.optimizer.scale_loss(loss)
    grads = tape.gradient(loss, model.trainable_variables, on_gradient=on_gradient)
    if model._compile_metrics is not None:
        model._compile_metrics.update_state(y, y_pred, sample_weight)
    return grads


def _overlapped_train_function(model, strategy):
    """The training step of one local replica over workers, the all-reduce overlapped with the
    backward pass: the tape hands each gradient over as soon as it is final, a side effect
    traced into the step copies it into its bucket (laid out last layer first, the order the
    backward pass finishes them, the first bucket small) and starts the bucket's all-reduce
    once full; the step waits for the buckets only before the optimizer's update."""
    replicas = strategy.num_replicas_in_sync
    current = [None]  # this step's ``Filling``, read when the traced side effects run
    n = len(model.trainable_variables)

    def deliver(index, gradient=None):
        current[0].put(index, None if gradient is None else ops.convert_to_numpy(gradient))

    def on_gradient(k, g):  # called while tracing: variable k's gradient is final here
        index = n - 1 - k  # the bucket layout runs from the last variable to the first
        if g is None:
            ops.py_function(lambda: deliver(index), [], [])
        else:
            ops.py_function(lambda t: deliver(index, t), [g], [])

    def gradient_step(data):
        _gradients(model, data, replicas, on_gradient)

    def apply_step(grads):
        model.optimizer.apply(grads, model.trainable_variables)

    grad_fn = _trace(model, gradient_step, "train_step_function")
    apply_fn = _trace(model, apply_step, "apply_step_function")

    def train(batches):
        prof = strategy._profile
        variables = _metric_variables(model)
        trainable = model.trainable_variables
        specs = [_spec(v) for v in reversed(trainable)] + [_spec(v) for v in variables]
        plan = strategy._bucket_plan(specs, FIRST_BUCKET_BYTES)
        local, summed = [], []
        for data in batches:
            if prof is not None:
                prof.start()
            current[0] = filling = plan.begin()
            for _, shard in _shards(strategy, data):
                grad_fn(shard)  # puts the gradients and starts their buckets' all-reduce
            if prof is not None:
                prof.mark("compute")
            for j in filling.missing():  # an empty share: no gradient, zeros
                if j < n:
                    filling.put(j, None)
            local = [np.array(ops.convert_to_numpy(v)) for v in variables]
            for j, a in enumerate(local):  # the metric variables ride in the last buckets
                filling.put(n + j, a)
            if prof is not None:
                prof.mark("copy_in")
            summed = filling.wait()
            if prof is not None:
                prof.mark("all_reduce")
            grads = [ops.convert_to_tensor(summed[n - 1 - k]) for k in range(n)]
            if prof is not None:
                prof.mark("copy_out")
            apply_fn(grads)
            if prof is not None:
                prof.mark("optimizer")
                prof.steps += 1
        current[0] = None
        if summed:  # the metric variables' sums came with the last step's gradients
            logs = _result_with(model, variables, local, summed[n:])
        else:
            logs = metrics_result(model)
        if prof is not None:
            prof.mark("metrics")
        return logs

    return train


def make_test_function(model, strategy):
    """``fn(batches)``: each replica tests its share of every global batch."""
    _check_default_step(model, "test_step")
    step = _trace(model, model.test_step, "test_step_function")

    def test(batches):
        for data in batches:
            for i, shard in _shards(strategy, data):
                with strategy._device_scope(i):
                    step(shard)
        return metrics_result(model)

    return test


def make_predict_function(model, strategy):
    """``fn(batches)``: each replica predicts its share; the outputs of all replicas are put
    back together in order (gathered from every worker)."""
    step = _trace(model, model.predict_step, "predict_step_function")

    def predict(batches):
        outputs = []
        for data in batches:
            parts = []
            for i, shard in _shards(strategy, data):
                with strategy._device_scope(i):
                    parts.append(ops.nest.map_structure(ops.convert_to_numpy, step(shard)))
            if strategy._comm is not None:
                parts = [p for worker in strategy._comm.allgather_object(parts) for p in worker]
            first = parts[0]
            flat = [ops.nest.flatten(p) for p in parts]
            joined = [np.concatenate([f[k] for f in flat]) for k in range(len(flat[0]))]
            outputs.append(ops.nest.pack_sequence_as(first, joined))
        return outputs

    return predict


def _spec(variable):
    """``(shape, NumPy dtype)`` of a variable."""
    dtype = variable.dtype
    return tuple(variable.shape), np.dtype(getattr(dtype, "as_numpy_dtype", dtype))


def _sum_into(out, parts):
    """``out`` = the sum of ``parts`` in order (a copy for one part, in-place adds for more)."""
    if len(parts) == 1:
        np.copyto(out, parts[0])
        return
    np.add(parts[0], parts[1], out=out)
    for part in parts[2:]:
        np.add(out, part, out=out)


def _metric_variables(model) -> list:
    return [v for m in model.metrics for v in m.variables]


def _result_with(model, variables, local, summed) -> dict:
    """The metric results read with the summed variables, the local values put back."""
    for v, total, mine in zip(variables, summed, local):
        v.assign(total.astype(mine.dtype))
    try:
        return model.get_metrics_result()
    finally:
        for v, mine in zip(variables, local):
            v.assign(mine)


def metrics_result(model) -> dict:
    """The model's metric results over every replica: the metric variables (sums and
    counts) are summed over the workers for the read, then put back."""
    strategy = model_strategy(model)
    if strategy is None or strategy._comm is None:
        return model.get_metrics_result()
    variables = _metric_variables(model)
    local = [np.array(ops.convert_to_numpy(v)) for v in variables]
    return _result_with(model, variables, local, strategy._cross_worker_sum_arrays(local))


def on_train_begin(model, initial_epoch: int) -> int:
    """After the callbacks' ``on_train_begin`` (a restored backup included): every worker
    takes rank 0's variables and epoch to start at."""
    strategy = model_strategy(model)
    if strategy is None or strategy._comm is None:
        return initial_epoch
    variables = list(model.weights)
    optimizer = model.optimizer
    if optimizer is not None and getattr(optimizer, "built", False):
        variables += [v for v in optimizer.variables if all(v is not w for w in variables)]
    arrays = [np.array(ops.convert_to_numpy(v), order="C") for v in variables]
    strategy._broadcast_arrays(arrays)
    for v, a in zip(variables, arrays):
        v.assign(a)
    return int(strategy._comm.broadcast_object(initial_epoch))


def shared_seed(model, seed):
    """The shuffle seed, the same on every worker (rank 0's, drawn there when None)."""
    strategy = model_strategy(model)
    if strategy is None or strategy._comm is None:
        return seed
    if seed is None:
        seed = tuple(int(s) for s in np.random.default_rng().integers(0, 2**31, 2))
    return strategy._comm.broadcast_object(seed)


def barrier(model):
    """Wait for every worker (before the end of training removes shared files)."""
    strategy = model_strategy(model)
    if strategy is not None and strategy._comm is not None:
        strategy._comm.barrier()


def should_write(model) -> bool:
    """Whether this process writes the model's files (the chief only, under a strategy)."""
    strategy = model_strategy(model)
    return strategy is None or strategy._is_chief


def worker_callbacks(model, callbacks):
    """The callbacks of this worker: on a non-chief worker each ``BackupAndRestore`` backs up
    into a private temporary folder instead (it restores nothing: the chief's restored state
    reaches every worker by broadcast), so only the chief writes and removes the backup."""
    strategy = model_strategy(model)
    if strategy is None or strategy._is_chief or not callbacks:
        return callbacks
    import tempfile

    from ..callbacks import BackupAndRestore

    out = []
    for cb in callbacks:
        if isinstance(cb, BackupAndRestore):
            private = tempfile.mkdtemp(prefix=f"backup_worker{strategy._worker_index}_")
            cb = BackupAndRestore(private, save_freq=cb.save_freq,
                                  double_checkpoint=cb.double_checkpoint)  # fmt: skip
        out.append(cb)
    return out
