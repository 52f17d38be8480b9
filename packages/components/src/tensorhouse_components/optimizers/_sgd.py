"""Stochastic gradient descent, with optional (Nesterov) momentum."""

from __future__ import annotations

from .._signatures import keras_signature
from ._optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """``m = momentum * m - lr * g``; ``w += m`` (Nesterov: ``w += momentum * m - lr * g``).

    With ``momentum=0``: ``w -= lr * g``.
    """

    @keras_signature(Optimizer.__init__)
    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if not isinstance(momentum, float) or momentum < 0 or momentum > 1:
            raise ValueError("`momentum` must be a float between [0, 1].")
        self.momentum = momentum
        self.nesterov = nesterov
        self.momentums = []

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        if self.momentum != 0:
            self.momentums = self.add_optimizer_variables(variables, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        if self.momentum == 0:
            variable.assign_sub(gradient * learning_rate)
            return
        m = self.momentums[self._get_variable_index(variable)]
        m.assign(m.value() * self.momentum - gradient * learning_rate)
        if self.nesterov:
            variable.assign_add(m.value() * self.momentum - gradient * learning_rate)
        else:
            variable.assign_add(m.value())

    def _fused_spec(self, learning_rate, dtype):
        momentum = self.momentum != 0
        slots = [self.momentums] if momentum else []
        flags = {"momentum": momentum, "nesterov": momentum and bool(self.nesterov)}
        return "FusedApplySGD", slots, [learning_rate, self.momentum], flags

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
