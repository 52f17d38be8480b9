"""Adagrad: per-coordinate step sizes from the running sum of squared gradients."""

from __future__ import annotations

from tensorhouse_ops import sqrt, square

from .. import initializers
from .._signatures import keras_signature
from ._optimizer import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """``a += g^2``; ``w -= lr * g / sqrt(a + epsilon)``, ``a`` starting at
    ``initial_accumulator_value``."""

    @keras_signature(Optimizer.__init__)
    def __init__(
        self,
        learning_rate=0.001,
        initial_accumulator_value=0.1,
        epsilon=1e-7,
        name=None,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon
        self.accumulators = []

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        init = initializers.Constant(self.initial_accumulator_value)
        self.accumulators = self.add_optimizer_variables(var_list, "accumulator", init)

    def update_step(self, gradient, variable, learning_rate):
        accumulator = self.accumulators[self._get_variable_index(variable)]
        accumulator.assign_add(square(gradient))
        variable.assign_sub(learning_rate * gradient / sqrt(accumulator.value() + self.epsilon))

    def _fused_spec(self, learning_rate, dtype):
        scalars = [learning_rate, self.epsilon]
        return "FusedApplyAdagrad", [self.accumulators], scalars, {}

    def get_config(self):
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }
