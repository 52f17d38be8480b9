"""RMSprop (Keras 3's update: epsilon inside the square root)."""

from __future__ import annotations

from tensorhouse_ops import sqrt, square

from .._signatures import keras_signature
from ._optimizer import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """``v = rho * v + (1 - rho) * g^2``; ``w -= lr * g / sqrt(v + epsilon)``.

    ``centered`` subtracts the square of the running mean gradient from ``v``; ``momentum``
    accumulates the increments.
    """

    @keras_signature(Optimizer.__init__)
    def __init__(
        self,
        learning_rate=0.001,
        rho=0.9,
        momentum=0.0,
        epsilon=1e-7,
        centered=False,
        name=None,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered
        self.velocities, self.momentums, self.average_gradients = [], [], []

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self.velocities = self.add_optimizer_variables(var_list, "velocity")
        if self.momentum > 0:
            self.momentums = self.add_optimizer_variables(var_list, "momentum")
        if self.centered:
            self.average_gradients = self.add_optimizer_variables(var_list, "average_gradient")

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        velocity = self.velocities[i]
        rho = self.rho
        velocity.assign(velocity.value() * rho + square(gradient) * (1.0 - rho))
        denominator = velocity.value()
        if self.centered:
            avg = self.average_gradients[i]
            avg.assign(avg.value() * rho + gradient * (1.0 - rho))
            denominator = denominator - square(avg.value())
        increment = learning_rate * gradient / sqrt(denominator + self.epsilon)
        if self.momentum > 0:
            m = self.momentums[i]
            m.assign(m.value() * self.momentum + increment)
            variable.assign_sub(m.value())
        else:
            variable.assign_sub(increment)

    def _fused_spec(self, learning_rate, dtype):
        momentum = self.momentum > 0
        slots = [self.velocities]
        if momentum:
            slots.append(self.momentums)
        if self.centered:
            slots.append(self.average_gradients)
        rho = self.rho
        scalars = [learning_rate, rho, 1.0 - rho, self.epsilon, self.momentum]
        flags = {"momentum": momentum, "centered": bool(self.centered)}
        return "FusedApplyRMSProp", slots, scalars, flags

    def get_config(self):
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }
