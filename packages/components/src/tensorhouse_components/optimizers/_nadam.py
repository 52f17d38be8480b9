"""Nadam: Adam with Nesterov momentum and Dozat's momentum schedule."""

from __future__ import annotations

from tensorhouse_ops import cast, dtypes, pow, sqrt, square

from .._signatures import keras_signature
from ._optimizer import Optimizer

__all__ = ["Nadam"]


class Nadam(Optimizer):
    """At step ``t`` (from 1), with ``mu_t = beta_1 * (1 - 0.5 * 0.96^t)`` and
    ``P_t = mu_1 * ... * mu_t`` (one variable shared by all weights)::

        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g^2
        m_hat = mu_{t+1} * m / (1 - P_t * mu_{t+1}) + (1 - mu_t) * g / (1 - P_t)
        w -= lr * m_hat / (sqrt(v / (1 - beta_2^t)) + epsilon)
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
        self.momentums, self.velocities = [], []
        self.u_product = None

    def build(self, var_list):
        if self.built:
            return
        dtype = var_list[0].dtype if var_list else dtypes.float32
        super().build(var_list)
        self.momentums, self.velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"]
        )
        self.u_product = self.add_variable((), initializer="ones", dtype=dtype, name="u_product")

    def _mu(self, step, dtype):
        return cast(self.beta_1, dtype) * (1.0 - 0.5 * pow(cast(0.96, dtype), step))

    def _next_u_product(self):
        """``u_product`` after this step (shared by all variables)."""
        dtype = self.u_product.dtype
        decay = 1.0 - 0.5 * pow(cast(0.96, dtype), self._local_step(dtype))
        return self.u_product.value() * self.beta_1 * decay

    def _backend_update_step(self, grads, variables, learning_rate):
        self.u_product.assign(self._next_u_product())
        super()._backend_update_step(grads, variables, learning_rate)

    def _fused_update_done(self):
        self.u_product.assign(self._next_u_product())

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        step = self._local_step(dtype)
        u_t = self._mu(step, dtype)
        u_t_1 = self._mu(step + 1.0, dtype)
        u_product_t = cast(self.u_product.value(), dtype)
        u_product_t_1 = u_product_t * u_t_1
        beta_2_power = pow(cast(self.beta_2, dtype), step)
        i = self._get_variable_index(variable)
        m, v = self.momentums[i], self.velocities[i]
        # Keras takes (1 - beta) in the variable's dtype here (Adam takes it in Python).
        m.assign_add((gradient - m.value()) * (1 - cast(self.beta_1, dtype)))
        v.assign_add((square(gradient) - v.value()) * (1 - cast(self.beta_2, dtype)))
        m_hat = u_t_1 * m.value() / (1 - u_product_t_1) + (1 - u_t) * gradient / (1 - u_product_t)
        v_hat = v.value() / (1 - beta_2_power)
        variable.assign_sub(m_hat * learning_rate / (sqrt(v_hat) + self.epsilon))

    def _fused_spec(self, learning_rate, dtype):
        step = self._local_step(dtype)
        u_t, u_t_1 = self._mu(step, dtype), self._mu(step + 1.0, dtype)
        u_product_t = cast(self._next_u_product(), dtype)  # as update_step reads it
        beta_2_power = pow(cast(self.beta_2, dtype), step)
        scalars = [learning_rate, 1 - cast(self.beta_1, dtype), 1 - cast(self.beta_2, dtype),
                   u_t_1, 1 - u_product_t * u_t_1, 1 - u_t, 1 - u_product_t, 1 - beta_2_power,
                   self.epsilon]  # fmt: skip
        return "FusedApplyNadam", [self.momentums, self.velocities], scalars, {}

    def get_config(self):
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }
