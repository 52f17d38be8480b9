"""Lamb: Adam's step rescaled per variable by the trust ratio ``||w|| / ||step||``."""

from __future__ import annotations

from tensorhouse_ops import cast, greater, pow, reduce_sum, sqrt, square, where

from .._signatures import keras_signature
from ._optimizer import Optimizer

__all__ = ["Lamb"]


class Lamb(Optimizer):
    """At step ``t`` (from 1)::

    m = beta_1 * m + (1 - beta_1) * g;  v = beta_2 * v + (1 - beta_2) * g^2
    u = (m / (1 - beta_1^t)) / (sqrt(v / (1 - beta_2^t)) + epsilon)
    w -= ratio * lr * u,  ratio = ||w|| / ||u|| where both norms are > 0, else 1
    """

    @keras_signature(Optimizer.__init__)
    def __init__(
        self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name=None, **kwargs
    ):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self._momentums, self._velocities = [], []

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"]
        )

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        step = self._local_step(dtype)
        i = self._get_variable_index(variable)
        m, v = self._momentums[i], self._velocities[i]
        m.assign_add((gradient - m.value()) * (1 - self.beta_1))
        v.assign_add((square(gradient) - v.value()) * (1 - self.beta_2))
        m_hat = m.value() / (1.0 - pow(cast(self.beta_1, dtype), step))
        update = m_hat / (
            sqrt(v.value() / (1.0 - pow(cast(self.beta_2, dtype), step))) + self.epsilon
        )
        w_norm = sqrt(reduce_sum(square(variable.value())))
        u_norm = sqrt(reduce_sum(square(update)))
        one = cast(1.0, dtype)
        ratio = where(greater(w_norm, 0.0), where(greater(u_norm, 0.0), w_norm / u_norm, one), one)
        variable.assign_sub(ratio * learning_rate * update)

    def get_config(self):
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }
