"""Adam and AdamW (Keras 3's update, with the bias correction folded into the step size)."""

from __future__ import annotations

from tensorhouse_ops import cast, maximum, pow, sqrt, square

from .._signatures import keras_signature
from ._optimizer import Optimizer

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """At step ``t`` (from 1)::

        lr_t = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g^2
        w -= lr_t * m / (sqrt(v) + epsilon)

    With ``amsgrad`` the running maximum of ``v`` is used in the denominator.
    """

    @keras_signature(Optimizer.__init__)
    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        name=None,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad
        self.momentums, self.velocities, self.velocity_hats = [], [], []

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self.momentums, self.velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"]
        )
        if self.amsgrad:
            self.velocity_hats = self.add_optimizer_variables(var_list, "velocity_hat")

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        step = self._local_step(dtype)
        beta_1_power = pow(cast(self.beta_1, dtype), step)
        beta_2_power = pow(cast(self.beta_2, dtype), step)
        i = self._get_variable_index(variable)
        m, v = self.momentums[i], self.velocities[i]
        alpha = learning_rate * sqrt(1.0 - beta_2_power) / (1.0 - beta_1_power)
        m.assign_add((gradient - m.value()) * (1.0 - self.beta_1))
        v.assign_add((square(gradient) - v.value()) * (1.0 - self.beta_2))
        denominator = v.value()
        if self.amsgrad:
            v_hat = self.velocity_hats[i]
            v_hat.assign(maximum(v_hat.value(), v.value()))
            denominator = v_hat.value()
        variable.assign_sub(m.value() * alpha / (sqrt(denominator) + self.epsilon))

    def _fused_spec(self, learning_rate, dtype):
        step = self._local_step(dtype)
        beta_1_power = pow(cast(self.beta_1, dtype), step)
        beta_2_power = pow(cast(self.beta_2, dtype), step)
        alpha = learning_rate * sqrt(1.0 - beta_2_power) / (1.0 - beta_1_power)
        slots = [self.momentums, self.velocities]
        if self.amsgrad:
            slots.append(self.velocity_hats)
        scalars = [learning_rate, alpha, 1.0 - self.beta_1, 1.0 - self.beta_2, self.epsilon]
        return "FusedApplyAdam", slots, scalars, {"amsgrad": bool(self.amsgrad)}

    def get_config(self):
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        }


class AdamW(Adam):
    """Adam with decoupled weight decay (``w -= lr * weight_decay * w`` before each step)."""

    @keras_signature(Optimizer.__init__)
    def __init__(
        self,
        learning_rate=0.001,
        weight_decay=0.004,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        name=None,
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
            amsgrad=amsgrad, name=name, weight_decay=weight_decay, **kwargs,
        )  # fmt: skip
        if self.weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")
