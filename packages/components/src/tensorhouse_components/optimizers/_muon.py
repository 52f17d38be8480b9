"""Muon: momentum SGD whose step on a 2-D weight is orthogonalised by a Newton-Schulz
iteration; the other weights take AdamW steps."""

from __future__ import annotations

import math
import re

from tensorhouse_ops import cast, matmul, norm, pow, sqrt, square, transpose

from .._signatures import keras_signature
from ._optimizer import Optimizer

__all__ = ["Muon"]

_ORDER = (
    "learning_rate adam_beta_1 adam_beta_2 adam_weight_decay epsilon weight_decay clipnorm "
    "clipvalue global_clipnorm use_ema ema_momentum ema_overwrite_frequency loss_scale_factor "
    "gradient_accumulation_steps name exclude_layers exclude_embeddings muon_a muon_b muon_c "
    "adam_lr_ratio momentum ns_steps nesterov rms_rate"
)


def _swap_last_axes(x):
    perm = list(range(len(x.shape)))
    perm[-2], perm[-1] = perm[-1], perm[-2]
    return transpose(x, perm)


class Muon(Optimizer):
    """A variable takes the AdamW step (learning rate ``lr * adam_lr_ratio``, weight decay
    ``adam_weight_decay``) when it is not 2-D, when ``exclude_embeddings`` and its path contains
    ``embedding`` (any case), or when one of the ``exclude_layers`` patterns is found in its
    path (``re.search``). Every other variable takes the Muon step (weight decay
    ``weight_decay``)::

        m = momentum * m + g;  u = g + momentum * m (nesterov) or m
        w -= lr * NewtonSchulz(u) * sqrt(max(rows, cols)) * rms_rate  (no factor when None)
    """

    @keras_signature(Optimizer.__init__, order=_ORDER)
    def __init__(
        self,
        learning_rate=0.001,
        adam_beta_1=0.9,
        adam_beta_2=0.999,
        adam_weight_decay=0.004,
        epsilon=1e-7,
        weight_decay=0.004,
        name=None,
        exclude_layers=None,
        exclude_embeddings=True,
        muon_a=3.4445,
        muon_b=-4.7750,
        muon_c=2.0315,
        adam_lr_ratio=1,
        momentum=0.95,
        ns_steps=5,
        nesterov=True,
        rms_rate=0.2,
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate, name=name, weight_decay=weight_decay, **kwargs
        )
        self.adam_beta_1 = adam_beta_1
        self.adam_beta_2 = adam_beta_2
        self.epsilon = epsilon
        self.muon_a, self.muon_b, self.muon_c = muon_a, muon_b, muon_c
        self.adam_lr_ratio = adam_lr_ratio
        self.momentum = momentum
        self.ns_steps = ns_steps
        self.nesterov = nesterov
        self.exclude_embeddings = exclude_embeddings
        self.exclude_layers = exclude_layers or []
        self.adam_weight_decay = adam_weight_decay
        self.rms_rate = rms_rate
        self.momentums, self.adam_velocities = [], []

    def _should_use_adamw(self, variable) -> bool:
        if len(variable.shape) != 2:
            return True
        path = getattr(variable, "path", None) or str(variable.name)
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(keyword, path) for keyword in self.exclude_layers)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        # Keras's order: each variable's momentum, then its velocity when it takes AdamW steps
        self.momentums, self.adam_velocities = [], []
        for var in var_list:
            self.momentums.append(self.add_variable_from_reference(var, "momentum"))
            velocity = None
            if self._should_use_adamw(var):
                velocity = self.add_variable_from_reference(var, "velocity")
            self.adam_velocities.append(velocity)

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        m, v = self.momentums[i], self.adam_velocities[i]
        if v is not None:
            self._adamw_update_step(gradient, variable, learning_rate * self.adam_lr_ratio, m, v)
        else:
            self._muon_update_step(gradient, variable, learning_rate, m)

    def _muon_update_step(self, gradient, variable, lr, m):
        m.assign_add(gradient + m.value() * (self.momentum - 1))
        g = gradient + self.momentum * m.value() if self.nesterov else m.value()
        update = lr * self.zeropower_via_newtonschulz5(g, self.ns_steps)
        if self.rms_rate is not None:
            rows, cols = variable.shape.as_list()
            update = update * cast(math.sqrt(max(rows, cols)), update.dtype) * self.rms_rate
        variable.assign_sub(update)

    def _clip_and_update(self, grads, variables):
        """The AdamW variables as one fused step where they can be (``_fused_update``),
        then weight decay and ``update_step`` for the rest."""
        grads = self._clip_gradients(grads)
        adam = [self.adam_velocities[self._get_variable_index(v)] is not None for v in variables]

        def pick(xs, flag):
            return [x for x, a in zip(xs, adam) if a == flag]

        if any(adam) and self._fused_update(pick(grads, True), pick(variables, True)):
            grads, variables = pick(grads, False), pick(variables, False)
        if variables:
            self._apply_weight_decay(variables)
            self._backend_update_step(grads, variables, self._current_learning_rate())

    def _fused_spec(self, learning_rate, dtype):
        # the AdamW variables' step; the fused weight decay takes the full learning rate
        step = self._local_step(dtype)
        beta_1_power = pow(cast(self.adam_beta_1, dtype), step)
        beta_2_power = pow(cast(self.adam_beta_2, dtype), step)
        lr = learning_rate * self.adam_lr_ratio
        alpha = lr * sqrt(1 - beta_2_power) / (1 - beta_1_power)
        scalars = [learning_rate, alpha, 1 - self.adam_beta_1, 1 - self.adam_beta_2, self.epsilon]
        return "FusedApplyAdam", [self.momentums, self.adam_velocities], scalars, {"amsgrad": False}

    def _fused_weight_decay(self):
        return self.adam_weight_decay

    def _adamw_update_step(self, gradient, variable, learning_rate, m, v):
        dtype = variable.dtype
        step = self._local_step(dtype)
        beta_1_power = pow(cast(self.adam_beta_1, dtype), step)
        beta_2_power = pow(cast(self.adam_beta_2, dtype), step)
        alpha = learning_rate * sqrt(1 - beta_2_power) / (1 - beta_1_power)
        m.assign_add((gradient - m.value()) * (1 - self.adam_beta_1))
        v.assign_add((square(gradient) - v.value()) * (1 - self.adam_beta_2))
        variable.assign_sub(m.value() * alpha / (sqrt(v.value()) + self.epsilon))

    def zeropower_via_newtonschulz5(self, x, steps: int):
        """The quintic Newton-Schulz iteration (coefficients ``muon_a/b/c``) towards the
        orthogonal factor ``U V^T`` of ``x``, on the last two axes."""
        shape = x.shape.as_list()
        if len(shape) < 2:
            raise ValueError(
                "Expected gradient or momentum to have at least 2 dimensions. "
                f"Received: shape={tuple(shape)}"
            )
        a, b, c = self.muon_a, self.muon_b, self.muon_c
        tall = shape[-2] > shape[-1]
        if tall:
            x = _swap_last_axes(x)
        x = x / (norm(x, axis=(-2, -1), keepdims=True) + 1e-7)
        for _ in range(steps):
            gram = matmul(x, _swap_last_axes(x))
            poly = b * gram + matmul(c * gram, gram)
            x = a * x + matmul(poly, x)
        return _swap_last_axes(x) if tall else x

    def _apply_weight_decay(self, variables):
        lr = self._current_learning_rate()
        for v in variables:
            if not self._use_weight_decay(v):
                continue
            decay = self.adam_weight_decay if self._should_use_adamw(v) else self.weight_decay
            if decay is None:
                continue
            lr_v = lr if lr.dtype == v.dtype else cast(lr, v.dtype)
            v.assign(v.value() - v.value() * cast(decay, v.dtype) * lr_v)

    def get_config(self):
        return {
            **super().get_config(),
            "adam_beta_1": self.adam_beta_1,
            "adam_beta_2": self.adam_beta_2,
            "epsilon": self.epsilon,
            "exclude_layers": self.exclude_layers,
            "muon_a": self.muon_a,
            "muon_b": self.muon_b,
            "muon_c": self.muon_c,
            "adam_lr_ratio": self.adam_lr_ratio,
            "momentum": self.momentum,
            "ns_steps": self.ns_steps,
            "nesterov": self.nesterov,
            "exclude_embeddings": self.exclude_embeddings,
            "adam_weight_decay": self.adam_weight_decay,
            "rms_rate": self.rms_rate,
        }
