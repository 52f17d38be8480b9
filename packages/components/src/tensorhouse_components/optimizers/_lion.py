"""Lion: the sign of an interpolated momentum is the step."""

from __future__ import annotations

from tensorhouse_ops import sign

from .._signatures import keras_signature
from ._optimizer import Optimizer

__all__ = ["Lion"]


class Lion(Optimizer):
    """``w -= lr * sign(beta_1 * m + (1 - beta_1) * g)``; then
    ``m = beta_2 * m + (1 - beta_2) * g``."""

    @keras_signature(Optimizer.__init__)
    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError(
                "Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer "
                f"degenerates to SignSGD. Received: beta_1={beta_1}."
            )
        self.momentums = []

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self.momentums = self.add_optimizer_variables(var_list, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        m = self.momentums[self._get_variable_index(variable)]
        b1, b2 = self.beta_1, self.beta_2
        variable.assign_sub(learning_rate * sign(m.value() * b1 + gradient * (1.0 - b1)))
        m.assign(m.value() * b2 + gradient * (1.0 - b2))

    def _fused_spec(self, learning_rate, dtype):
        b1, b2 = self.beta_1, self.beta_2
        scalars = [learning_rate, b1, 1.0 - b1, b2, 1.0 - b2]
        return "FusedApplyLion", [self.momentums], scalars, {}

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
