"""``SwapEMAWeights``: evaluate (and optionally checkpoint) with the optimizer's moving
averages of the weights (``use_ema=True``) in place of the weights themselves."""

from __future__ import annotations

from ._callback import Callback

__all__ = ["SwapEMAWeights"]


class SwapEMAWeights(Callback):
    """Swap the weights and their moving averages in place before ``evaluate`` (and
    ``predict``) and back after; with ``swap_on_epoch=True`` also at each epoch's end and back
    at the next one's beginning, so that later callbacks (``ModelCheckpoint``) see the
    averages. As in Keras 3.15, the weights swapped in by ``predict`` stay in the model after
    it (Keras's ``on_predict_end`` swaps only when they are not in).
    """

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _ema_optimizers(self):
        optimizer = self.model.optimizer
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)  # a LossScaleOptimizer's
        if hasattr(optimizer, "optimizers"):  # a MultiOptimizer's inner optimizers with EMA
            found = [o for o in optimizer.optimizers if getattr(o, "use_ema", False)]
            if not found:
                raise ValueError(
                    "SwapEMAWeights must be used when at least one inner optimizer has "
                    "`use_ema=True` set. Received a MultiOptimizer with all inner optimizers "
                    "having `use_ema=False`."
                )
        else:
            found = [optimizer]
        for o in found:
            if not (getattr(o, "use_ema", False) and o.built):
                raise ValueError(
                    "SwapEMAWeights must be used when `use_ema=True` is set on the optimizer. "
                    f"Received: use_ema={getattr(o, 'use_ema', None)}"
                )
        return found

    def _pairs(self):
        for optimizer in self._ema_optimizers():
            yield from zip(optimizer._trainable_variables,
                           optimizer._model_variables_moving_average)  # fmt: skip

    def _swap_variables(self):
        for var, average in self._pairs():
            value = var.value()
            var.assign(average.value())
            average.assign(value)

    def _finalize_ema_values(self):
        """The averages, which sit in the weights, back into the optimizer: ``fit`` ends by
        writing the optimizer's averages into the weights."""
        for var, average in self._pairs():
            average.assign(var.value())

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch and self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True
            if epoch == self.params["epochs"] - 1:
                self._finalize_ema_values()

    def on_test_begin(self, logs=None):
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def on_test_end(self, logs=None):
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_predict_begin(self, logs=None):
        self.on_test_begin(logs)

    def on_predict_end(self, logs=None):
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False
