"""FTRL-Proximal (Follow The Regularized Leader), with L1, L2 and L2-shrinkage terms."""

from __future__ import annotations

from tensorhouse_ops import clip_by_value, pow, square

from .. import initializers
from .._signatures import keras_signature
from ._optimizer import Optimizer

__all__ = ["Ftrl"]


class Ftrl(Optimizer):
    """With ``p = -learning_rate_power`` and ``l2 = l2_regularization_strength + beta / (2 lr)``::

    n' = n + g^2
    z += g + 2 * l2_shrinkage * w - (n'^p - n^p) / lr * w
    w = (clip(z, -l1, l1) - z) / (n'^p / lr + 2 * l2);  n = n'
    """

    @keras_signature(Optimizer.__init__)
    def __init__(
        self,
        learning_rate=0.001,
        learning_rate_power=-0.5,
        initial_accumulator_value=0.1,
        l1_regularization_strength=0.0,
        l2_regularization_strength=0.0,
        l2_shrinkage_regularization_strength=0.0,
        beta=0.0,
        name=None,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        non_negative = {
            "initial_accumulator_value": initial_accumulator_value,
            "learning_rate_power": -learning_rate_power,
            "l1_regularization_strength": l1_regularization_strength,
            "l2_regularization_strength": l2_regularization_strength,
            "l2_shrinkage_regularization_strength": l2_shrinkage_regularization_strength,
        }
        for key, value in non_negative.items():
            if value < 0.0:
                if key == "learning_rate_power":
                    raise ValueError(
                        "`learning_rate_power` needs to be negative or zero. Received: "
                        f"learning_rate_power={learning_rate_power}."
                    )
                raise ValueError(f"`{key}` needs to be positive or zero. Received: {key}={value}.")
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta
        self.accumulators, self.linears = [], []

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        init = initializers.Constant(self.initial_accumulator_value)
        self.accumulators, self.linears = self.add_optimizer_variables(
            var_list, ["accumulator", "linear"], initializer=[init, "zeros"]
        )

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        accum, linear = self.accumulators[i], self.linears[i]
        power = -self.learning_rate_power
        l1 = self.l1_regularization_strength
        l2 = self.l2_regularization_strength + self.beta / (2.0 * learning_rate)
        w = variable.value()
        grad_to_use = gradient + 2 * self.l2_shrinkage_regularization_strength * w
        old_accum = accum.value()
        new_accum = old_accum + square(gradient)
        linear.assign_add(
            grad_to_use - (pow(new_accum, power) - pow(old_accum, power)) / learning_rate * w
        )
        quadratic = pow(new_accum, power) / learning_rate + 2 * l2
        z = linear.value()
        variable.assign((clip_by_value(z, -l1, l1) - z) / quadratic)
        accum.assign(new_accum)

    def _fused_spec(self, learning_rate, dtype):
        l2 = self.l2_regularization_strength + self.beta / (2.0 * learning_rate)
        scalars = [learning_rate, 2 * self.l2_shrinkage_regularization_strength,
                   -self.learning_rate_power, self.l1_regularization_strength, 2 * l2]  # fmt: skip
        return "FusedApplyFtrl", [self.accumulators, self.linears], scalars, {}

    def get_config(self):
        return {
            **super().get_config(),
            "learning_rate_power": self.learning_rate_power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1_regularization_strength": self.l1_regularization_strength,
            "l2_regularization_strength": self.l2_regularization_strength,
            "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
            "beta": self.beta,
        }
