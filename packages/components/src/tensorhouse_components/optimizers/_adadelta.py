"""Adadelta: steps scaled by the ratio of running RMS of updates to running RMS of gradients."""

from __future__ import annotations

from tensorhouse_ops import sqrt, square

from .._signatures import keras_signature
from ._optimizer import Optimizer

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """With ``rms(x) = sqrt(x + epsilon)``::

    E[g^2] = rho * E[g^2] + (1 - rho) * g^2
    d = -rms(E[d^2]) * g / rms(E[g^2])
    E[d^2] = rho * E[d^2] + (1 - rho) * d^2
    w += lr * d
    """

    @keras_signature(Optimizer.__init__)
    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho = rho
        self.epsilon = epsilon
        self.accumulated_grads, self.accumulated_delta_vars = [], []

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self.accumulated_grads, self.accumulated_delta_vars = self.add_optimizer_variables(
            var_list, ["accumulated_grad", "accumulated_delta_var"]
        )

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        acc_grad, acc_delta = self.accumulated_grads[i], self.accumulated_delta_vars[i]
        rho = self.rho
        acc_grad.assign(rho * acc_grad.value() + (1 - rho) * square(gradient))
        delta = -(sqrt(acc_delta.value() + self.epsilon) * gradient) / sqrt(
            acc_grad.value() + self.epsilon
        )
        acc_delta.assign(rho * acc_delta.value() + (1 - rho) * square(delta))
        variable.assign_add(learning_rate * delta)

    def _fused_spec(self, learning_rate, dtype):
        slots = [self.accumulated_grads, self.accumulated_delta_vars]
        scalars = [learning_rate, self.rho, 1 - self.rho, self.epsilon]
        return "FusedApplyAdadelta", slots, scalars, {}

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
