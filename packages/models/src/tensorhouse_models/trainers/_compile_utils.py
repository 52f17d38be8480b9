"""What ``compile`` resolves: the losses and metrics per output, as Keras 3's ``CompileLoss`` and
``CompileMetrics``.

A model's outputs are a single tensor, a list or a dict. ``loss``, ``loss_weights``, ``metrics``
and ``weighted_metrics`` are matched to them the Keras way: one loss for every output, a list in
output order, or a dict keyed by output name. The log names follow Keras 3: ``loss``, and with
several outputs ``<output>_loss`` and ``<output>_<metric>``; a weighted metric gets ``weighted_``
only when its name is taken. A loss dict is walked in its own key order.
Everything here runs inside the traced train step: ops only, no NumPy on tensors.
"""

from __future__ import annotations

from tensorhouse_components import losses, metrics, ops

__all__ = ["CompileLoss", "CompileMetrics", "resolve_loss"]

_ACCURACY = ("accuracy", "acc")
_CROSSENTROPY = ("crossentropy", "ce")  # losses picked by the shapes, as "accuracy"


def resolve_loss(loss):
    """A ``Loss`` from a name, a function, a config dict or a ``Loss`` instance."""
    if loss is None:
        return None
    if isinstance(loss, str):
        try:
            obj = losses.get(loss)
        except ValueError:
            raise ValueError(
                f"Could not interpret loss identifier: {loss!r}. Valid names include 'mse', "
                "'mae', 'binary_crossentropy', 'categorical_crossentropy', "
                "'sparse_categorical_crossentropy' and the Loss class names"
            ) from None
        name = loss
    else:
        obj = losses.get(loss)
        name = getattr(obj, "name", None) or getattr(obj, "__name__", "loss")
    if isinstance(obj, losses.Loss):
        return obj
    if not callable(obj):
        raise TypeError(f"loss must be a name, a Loss or a callable. Received: {loss!r}")
    return losses.LossFunctionWrapper(obj, name=name)


def flat_outputs(y_pred, output_names):
    """``(names, tensors)`` of a model's outputs in Keras's order (dicts by key)."""
    if isinstance(y_pred, dict):
        names = sorted(y_pred)
        return names, [y_pred[k] for k in names]
    if isinstance(y_pred, list | tuple):
        names = list(output_names or [])
        if len(names) != len(y_pred):
            names = [f"output_{i + 1}" for i in range(len(y_pred))]
        return names, list(y_pred)
    name = output_names[0] if output_names and len(output_names) == 1 else "output"
    return [name], [y_pred]


def match_targets(y_true, names, what="y"):
    """``y_true`` (or per-output sample weights) as a list in the order of ``names``."""
    n = len(names)
    if y_true is None:
        return [None] * n
    if isinstance(y_true, dict):
        unknown = sorted(set(y_true) - set(names))
        if unknown:
            raise KeyError(
                f"The {what} dict has keys {unknown} that are not outputs of the model; the "
                f"outputs are {names}"
            )
        return [y_true.get(k) for k in names]
    if isinstance(y_true, list | tuple) and n == 1 and len(y_true) == 1:
        return list(y_true)  # [y] for a single output, as Keras
    if isinstance(y_true, list | tuple) and n > 1:
        if len(y_true) != n:
            raise ValueError(
                f"The model has {n} outputs {names}, but {what} has {len(y_true)} entries"
            )
        return list(y_true)
    if n > 1 and what == "sample_weight":
        return [y_true] * n  # one weight array for every output
    if n > 1:
        raise ValueError(
            f"The model has {n} outputs {names}: pass {what} as a list or a dict keyed by "
            "output name"
        )
    return [y_true]


def _per_output(config, names, what, wrap_single):
    """A config (single, list or dict) spread over the outputs: one entry per output."""
    n = len(names)
    if isinstance(config, dict):
        unknown = sorted(set(config) - set(names))
        if unknown:
            raise ValueError(
                f"Unknown output names {unknown} in the `{what}` dict; the model's outputs are "
                f"{names}"
            )
        if what == "loss" and sorted(config) != sorted(names):
            raise ValueError(
                f"Expected keys {names} in loss dict, but found loss.keys()={sorted(config)}"
            )
        return [config.get(k) for k in names]
    if isinstance(config, list | tuple) and not wrap_single:
        if len(config) != n:
            raise ValueError(
                f"`{what}` should have {n} entries, one per output {names}; received "
                f"{len(config)}: {config!r}"
            )
        return list(config)
    if isinstance(config, list | tuple):  # metrics: a flat list is per output when n > 1
        if n == 1:
            return [list(config)]
        if len(config) != n:
            raise ValueError(
                f"Invalid `{what}`: for a model with {n} outputs {names}, pass a list of {n} "
                f"entries (one per output, each a metric or a list of metrics) or a dict keyed "
                f"by output name. Received: {config!r}"
            )
        return [c if isinstance(c, list | tuple) else [c] for c in config]
    return [config] * n


def _batch_weight(y_pred):
    """The number of samples in a batch, as a float tensor (the loss trackers' weight)."""
    first = ops.nest.flatten(y_pred)[0]
    return ops.cast(ops.shape(first)[0], "float32")


class CompileLoss:
    """The compiled loss: one ``Loss`` per output, weighted and summed; a ``Mean`` tracker per
    output (``<output>_loss``) when the model has several outputs."""

    def __init__(self, loss, loss_weights=None, output_names=None):
        self._config = loss
        self._weights_config = loss_weights
        self._output_names = output_names
        self.built = False
        self._losses = None
        self._weights = None
        self._names = None
        self.metrics = []
        self._order = []
        if not isinstance(loss, dict | list | tuple) and str(loss).lower() not in _CROSSENTROPY:
            resolve_loss(loss)  # a bad name fails at compile time

    def build(self, y_true, y_pred):
        names, preds = flat_outputs(y_pred, self._output_names)
        configs = _per_output(self._config, names, "loss", wrap_single=False)
        trues = match_targets(y_true, names, "y")
        self._losses = [
            losses.LossFunctionWrapper(_crossentropy_for(yt, yp), name=c)
            if isinstance(c, str) and c.lower() in _CROSSENTROPY and yt is not None
            else resolve_loss(c)
            for c, yt, yp in zip(configs, trues, preds)
        ]
        w = self._weights_config
        if w is None:
            self._weights = [None] * len(names)
        elif isinstance(w, int | float) and len(names) == 1:
            self._weights = [float(w)]
        else:
            self._weights = [None if v is None else float(v) for v in
                             _per_output(w, names, "loss_weights", wrap_single=False)]  # fmt: skip
        self._names = names
        # Keras walks a loss dict in its own key order: the per-output losses and their trackers
        # (hence `metrics_names` and `evaluate`'s list) come in that order
        config = self._config
        self._order = (
            [names.index(k) for k in config] if isinstance(config, dict) else range(len(names))
        )
        if len(names) > 1:
            self.metrics = [
                metrics.Mean(name=f"{names[i]}_loss")
                for i in self._order
                if self._losses[i] is not None
            ]
        self.built = True

    def __call__(self, y_true, y_pred, sample_weight=None):
        if not self.built:
            self.build(y_true, y_pred)
        names, preds = flat_outputs(y_pred, self._output_names)
        trues = match_targets(y_true, names, "y")
        weights = match_targets(sample_weight, names, "sample_weight")
        total = None
        trackers = iter(self.metrics)
        for i in self._order:
            fn, w, yt, yp, sw = self._losses[i], self._weights[i], trues[i], preds[i], weights[i]
            if fn is None:
                continue
            if yt is None:
                raise ValueError(
                    f"The model has a loss for output {names[preds.index(yp)]!r} but no target "
                    "(y) was given for it"
                )
            value = ops.cast(fn(yt, yp, sample_weight=sw), "float32")
            if len(self._names) > 1:
                next(trackers).update_state(value, sample_weight=_batch_weight(yp))
            if w is not None:
                value = value * w
            total = value if total is None else total + value
        return total

    def reset_state(self):
        for m in self.metrics:
            m.reset_state()


def _binary_or_sparse(y_true, y_pred):
    """Keras's guess from the shapes: (binary, sparse categorical)."""
    binary = y_pred.shape[-1] == 1
    sparse = len(y_true.shape) < len(y_pred.shape) or (
        y_true.shape[-1] == 1 and y_pred.shape[-1] != 1
    )
    return binary, sparse


def _crossentropy_for(y_true, y_pred):
    binary, sparse = _binary_or_sparse(y_true, y_pred)
    if binary:
        return losses.binary_crossentropy
    return losses.sparse_categorical_crossentropy if sparse else losses.categorical_crossentropy


def _metric_object(ident, y_true, y_pred):
    """Keras's ``get_metric``: ``"accuracy"`` / ``"acc"`` picks binary, sparse categorical or
    categorical accuracy by the shapes; a string names the metric after itself."""
    if isinstance(ident, str) and ident.lower() in _ACCURACY:
        binary, sparse = _binary_or_sparse(y_true, y_pred)
        cls = (
            metrics.BinaryAccuracy if binary
            else metrics.SparseCategoricalAccuracy if sparse else metrics.CategoricalAccuracy
        )  # fmt: skip
        return cls(name=ident)
    m = metrics.get(ident)
    name = ident if isinstance(ident, str) else getattr(m, "name", None) or m.__name__
    if not isinstance(m, metrics.Metric):
        m = metrics.MeanMetricWrapper(m)
    m.name = name
    return m


def _unique_log_name(counts, prefix, name, weighted):
    """Keras 3's log name: ``<output>_<metric>``; a weighted metric whose name is taken gets
    ``weighted_``, and a name still taken gets ``_1``, ``_2``, ..."""
    log = prefix + name
    if log in counts and weighted:
        log = f"{prefix}weighted_{name}"
    if log not in counts:
        counts[log] = 1
        return log
    counts[log] += 1
    return f"{log}_{counts[log] - 1}"


def _as_list(x):
    if x is None:
        return []
    return list(x) if isinstance(x, list | tuple) else [x]


class CompileMetrics:
    """The metrics given to ``compile`` (``metrics`` and ``weighted_metrics``), built on the
    first batch; ``result()`` is a dict keyed by Keras 3's log names."""

    name = "compile_metrics"

    def __init__(self, metrics_config=None, weighted_metrics=None, output_names=None):
        self._config = metrics_config
        self._weighted_config = weighted_metrics
        self._output_names = output_names
        self._flat = None  # [(log name, metric, output index, weighted)]
        for ident in _as_list(metrics_config) + _as_list(weighted_metrics):
            for i in _as_list(ident) if not isinstance(ident, dict) else []:
                if isinstance(i, str) and i.lower() not in _ACCURACY:
                    metrics.get(i)  # a bad name fails at compile time

    @property
    def built(self):
        return self._flat is not None

    @property
    def metrics(self):
        return [m for _, m, _, _ in self._flat or []]

    @property
    def variables(self):
        return [v for m in self.metrics for v in m.variables]

    def build(self, y_true, y_pred):
        names, preds = flat_outputs(y_pred, self._output_names)
        trues = match_targets(y_true, names, "y")
        flat, counts = [], {}
        for config, weighted in ((self._config, False), (self._weighted_config, True)):
            if config is None:
                continue
            per = _per_output(config, names, "metrics", wrap_single=True)
            for i, (name, yt, yp, idents) in enumerate(zip(names, trues, preds, per)):
                prefix = f"{name}_" if len(names) > 1 else ""
                for ident in _as_list(idents):
                    if yt is None:
                        continue
                    m = _metric_object(ident, yt, yp)
                    log = _unique_log_name(counts, prefix, m.name, weighted)
                    flat.append((log, m, i, weighted))
        self._flat = flat

    def update_state(self, y_true, y_pred, sample_weight=None):
        if not self.built:
            self.build(y_true, y_pred)
        names, preds = flat_outputs(y_pred, self._output_names)
        trues = match_targets(y_true, names, "y")
        weights = match_targets(sample_weight, names, "sample_weight")
        for _, m, i, weighted in self._flat:
            m.update_state(trues[i], preds[i], sample_weight=weights[i] if weighted else None)

    def result(self) -> dict:
        return {log: m.result() for log, m, _, _ in self._flat or []}

    def reset_state(self):
        for m in self.metrics:
            m.reset_state()
