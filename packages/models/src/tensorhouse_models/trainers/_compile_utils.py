"""What ``compile`` resolves: the loss object and the metrics (``"accuracy"`` by shapes)."""

from __future__ import annotations

from tensorhouse_components import losses, metrics

__all__ = ["CompiledMetrics", "resolve_loss"]


def resolve_loss(loss):
    """A Loss instance from a name, a function, a config dict or a Loss instance."""
    if loss is None:
        return None
    if isinstance(loss, list | tuple | dict):
        raise NotImplementedError(
            "Several losses (one per output) are not supported in this release; pass one loss"
        )
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


def _accuracy_for(y_true, y_pred):
    if y_pred.shape[-1] == 1:
        return metrics.BinaryAccuracy(name="accuracy")
    if y_true.ndim < y_pred.ndim or y_true.shape[-1] == 1:
        return metrics.SparseCategoricalAccuracy(name="accuracy")
    return metrics.CategoricalAccuracy(name="accuracy")


class CompiledMetrics:
    """The metrics given to ``compile``, built on the first batch (``"accuracy"`` needs its
    shapes to pick binary, categorical or sparse categorical accuracy)."""

    def __init__(self, identifiers):
        if identifiers is None:
            identifiers = []
        elif isinstance(identifiers, dict):
            raise NotImplementedError("Metrics per output (a dict) are not supported yet")
        elif not isinstance(identifiers, list | tuple):
            identifiers = [identifiers]
        self._identifiers = list(identifiers)
        for ident in self._identifiers:  # fail at compile time on a bad name
            if isinstance(ident, str) and ident.lower() not in ("accuracy", "acc"):
                metrics.get(ident)
        self._metrics = None

    @property
    def built(self):
        return self._metrics is not None

    @property
    def metrics(self):
        return list(self._metrics or [])

    def build(self, y_true, y_pred):
        out = []
        for ident in self._identifiers:
            if isinstance(ident, str) and ident.lower() in ("accuracy", "acc"):
                m = _accuracy_for(y_true, y_pred)
                m.name = ident
            else:
                m = metrics.get(ident)
                if not isinstance(m, metrics.Metric):
                    name = ident if isinstance(ident, str) else getattr(m, "__name__", "metric")
                    m = metrics.MeanMetricWrapper(m, name=name)
            out.append(m)
        self._metrics = out

    def update_state(self, y_true, y_pred, sample_weight=None):
        if not self.built:
            self.build(y_true, y_pred)
        for m in self._metrics:
            m.update_state(y_true, y_pred, sample_weight=sample_weight)

    def reset_state(self):
        for m in self._metrics or []:
            m.reset_state()
