"""Adamax: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

from tensorhouse_ops import abs as _abs
from tensorhouse_ops import cast, maximum, pow

from .._signatures import keras_signature
from ._optimizer import Optimizer

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """At step ``t`` (from 1)::

    m = beta_1 * m + (1 - beta_1) * g
    u = max(beta_2 * u, |g|)
    w -= lr * m / ((1 - beta_1^t) * (u + epsilon))
    """

    @keras_signature(Optimizer.__init__)
    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        name=None,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.momentums, self.norms = [], []

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self.momentums, self.norms = self.add_optimizer_variables(var_list, ["momentum", "norm"])

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        beta_1_power = pow(cast(self.beta_1, dtype), self._local_step(dtype))
        i = self._get_variable_index(variable)
        m, u = self.momentums[i], self.norms[i]
        m.assign_add((gradient - m.value()) * (1 - self.beta_1))
        u.assign(maximum(self.beta_2 * u.value(), _abs(gradient)))
        variable.assign_sub(
            learning_rate * m.value() / ((1 - beta_1_power) * (u.value() + self.epsilon))
        )

    def _fused_spec(self, learning_rate, dtype):
        beta_1_power = pow(cast(self.beta_1, dtype), self._local_step(dtype))
        scalars = [learning_rate, 1 - self.beta_1, self.beta_2, 1 - beta_1_power, self.epsilon]
        return "FusedApplyAdamax", [self.momentums, self.norms], scalars, {}

    def get_config(self):
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }
