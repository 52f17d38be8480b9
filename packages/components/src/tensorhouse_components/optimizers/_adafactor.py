"""Adafactor: a second moment factored into row and column statistics (last two axes)."""

from __future__ import annotations

from tensorhouse_ops import expand_dims, maximum, minimum, pow, reduce_mean, sqrt, square

from .._signatures import keras_signature
from ._optimizer import Optimizer

__all__ = ["Adafactor"]


def _rms(x):
    return sqrt(reduce_mean(square(x)))


class Adafactor(Optimizer):
    """At step ``t`` (from 1), with ``G = g^2 + epsilon_1`` and ``b = 1 - t^beta_2_decay``::

    rho = min(lr, 1 / sqrt(t));  alpha = max(epsilon_2, rms(w)) * rho
    rank >= 2: r = b r + (1 - b) mean(G, -1); c = b c + (1 - b) mean(G, -2);
               v = (r / mean(r)) outer c
    rank < 2:  v = b v + (1 - b) G
    u = g / sqrt(v);  w -= alpha * u / max(1, rms(u) / clip_threshold)
    """

    @keras_signature(Optimizer.__init__)
    def __init__(
        self,
        learning_rate=0.001,
        beta_2_decay=-0.8,
        epsilon_1=1e-30,
        epsilon_2=1e-3,
        clip_threshold=1.0,
        relative_step=True,
        name=None,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_2_decay = beta_2_decay
        self.epsilon_1 = epsilon_1
        self.epsilon_2 = epsilon_2
        self.clip_threshold = clip_threshold
        self.relative_step = relative_step
        self._r, self._c, self._v = [], [], []

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        for var in var_list:
            shape = var.shape.as_list()
            base = str(var.name).split(":")[0]
            if len(shape) < 2:
                # Unfactored: placeholders keep Keras's variable list.
                self._r.append(self.add_variable((), dtype="int32", name=base))
                self._c.append(self.add_variable((), dtype="int32", name=base))
            else:
                self._r.append(self.add_variable(shape[:-1], dtype=var.dtype, name=base))
                self._c.append(
                    self.add_variable(shape[:-2] + shape[-1:], dtype=var.dtype, name=base)
                )
            self._v.append(self.add_variable_from_reference(var, "velocity"))

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        step = self._local_step(dtype)
        i = self._get_variable_index(variable)
        r, c, v = self._r[i], self._c[i], self._v[i]
        rho = minimum(learning_rate, 1 / sqrt(step))
        alpha = maximum(self.epsilon_2, _rms(variable.value())) * rho
        grad_sq = square(gradient) + self.epsilon_1
        beta = 1 - pow(step, self.beta_2_decay)
        if len(variable.shape) >= 2:
            r.assign(beta * r.value() + (1 - beta) * reduce_mean(grad_sq, axis=-1))
            c.assign(beta * c.value() + (1 - beta) * reduce_mean(grad_sq, axis=-2))
            row = r.value() / reduce_mean(r.value(), axis=-1, keepdims=True)
            v.assign(expand_dims(row, -1) * expand_dims(c.value(), -2))
        else:
            v.assign(beta * v.value() + (1 - beta) * grad_sq)
        u = gradient / sqrt(v.value())
        u_hat = u / maximum(1.0, _rms(u) / self.clip_threshold)
        variable.assign_sub(alpha * u_hat)

    def get_config(self):
        return {
            **super().get_config(),
            "beta_2_decay": self.beta_2_decay,
            "epsilon_1": self.epsilon_1,
            "epsilon_2": self.epsilon_2,
            "clip_threshold": self.clip_threshold,
            "relative_step": self.relative_step,
        }
