"""ScheduleFreeAdamW: Adam steps on an auxiliary sequence ``z`` (the ``momentum`` slots, started
at the weights); the weights follow an average of it, with no learning-rate schedule."""

from __future__ import annotations

from tensorhouse_ops import cast, minimum, pow, sqrt, square

from .._signatures import keras_signature
from ._optimizer import Optimizer

__all__ = ["ScheduleFreeAdamW"]


class ScheduleFreeAdamW(Optimizer):
    """At step ``t`` (from 1), with ``lr`` scaled by ``min(t / warmup_steps, 1)`` when
    ``warmup_steps > 0``::

        v = beta_2 * v + (1 - beta_2) * g^2
        z -= lr * g / (sqrt(v / (1 - beta_2^t)) + epsilon)
        x = (w - (1 - beta_1) * z) / beta_1   # z after its update, as Keras on TF reads it
        w = (1 - beta_1) * z + beta_1 * ((1 - 1/t) * x + z / t)

    (Keras's JAX backend reads ``z`` before its update there.) As in Keras, the model's
    variables hold the training point ``w``: there is no swap to the averaged sequence for
    evaluation.
    """

    @keras_signature(Optimizer.__init__)
    def __init__(
        self,
        learning_rate=0.0025,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        warmup_steps=0,
        name=None,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.warmup_steps = warmup_steps
        self._momentums, self._velocities = [], []

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"]
        )
        for z, var in zip(self._momentums, var_list):
            z.assign(var.value())

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        step = self._local_step(dtype)
        beta_1, beta_2 = cast(self.beta_1, dtype), cast(self.beta_2, dtype)
        lr = learning_rate
        if self.warmup_steps > 0:
            lr = lr * minimum(step / cast(self.warmup_steps, dtype), 1.0)
        i = self._get_variable_index(variable)
        z, v = self._momentums[i], self._velocities[i]
        v.assign_add((square(gradient) - v.value()) * (1 - beta_2))
        denom = sqrt(v.value() / (1 - pow(beta_2, step))) + cast(self.epsilon, dtype)
        z.assign_sub(lr * gradient / denom)
        weight = 1.0 / step
        x_old = (variable.value() - (1 - beta_1) * z.value()) / beta_1
        x_new = (1 - weight) * x_old + weight * z.value()
        variable.assign((1 - beta_1) * z.value() + beta_1 * x_new)

    def get_config(self):
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "warmup_steps": self.warmup_steps,
        }
