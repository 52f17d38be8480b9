"""``LossScaleOptimizer``: dynamic loss scaling around another optimizer."""

from __future__ import annotations

from tensorhouse_ops import (
    Tensor,
    cast,
    cond,
    convert_to_tensor,
    equal,
    is_tensor,
    reduce_all,
    stack,
)
from tensorhouse_ops import math as tmath

from .. import _serialization, initializers
from ._optimizer import Optimizer

__all__ = ["LossScaleOptimizer"]

_BASE_DEFAULTS = {
    "weight_decay": None,
    "clipnorm": None,
    "global_clipnorm": None,
    "clipvalue": None,
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}


class LossScaleOptimizer(Optimizer):
    """Wraps ``inner_optimizer``: gradients are divided by the scale; a step with a non-finite
    gradient is skipped and halves the scale; ``dynamic_growth_steps`` finite steps in a row
    double it."""

    def __init__(
        self, inner_optimizer, initial_scale=2.0**15, dynamic_growth_steps=2000, name=None,
        **kwargs,
    ):  # fmt: skip
        if not kwargs.pop("dynamic", True):
            raise ValueError(
                "LossScaleOptimizer no longer supports `dynamic=False`. Instead, simply set "
                "`loss_scale_factor` directly on the `inner_optimizer`."
            )
        for key, default in _BASE_DEFAULTS.items():
            if key in kwargs and kwargs.pop(key) != default:
                raise ValueError(
                    f"LossScaleOptimizer does not support `{key}`. Instead, set `{key}` on the "
                    "`inner_optimizer`."
                )
        if kwargs:
            raise ValueError(
                f"LossScaleOptimizer does not support arguments: `{'`, `'.join(kwargs)}`."
            )
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = initial_scale
        self.dynamic_growth_steps = dynamic_growth_steps
        self.inner_optimizer.loss_scale_factor = None

    def build(self, var_list):
        self.step_counter = self.add_variable((), dtype="int64", name="step_counter")
        self.dynamic_scale = self.add_variable(
            (), initializer=initializers.Constant(self.initial_scale), dtype="float32",
            name="dynamic_scale",
        )  # fmt: skip
        self.inner_optimizer.build(var_list)
        super().build(var_list)

    @property
    def variables(self) -> list:
        return list(self._variables) + self.inner_optimizer.variables

    def check_finite(self, grads):
        """A bool scalar: every element of every gradient is finite."""
        flags = [reduce_all(tmath.is_finite(g)) for g in grads if g is not None]
        return reduce_all(stack(flags))

    def apply(self, grads, trainable_variables=None):
        """The inner step on unscaled gradients when all are finite, else a skipped step."""
        grads = list(grads)
        if not self.built:
            self.build(trainable_variables)
            self.built = True
        grads = [g if g is None or isinstance(g, Tensor) else convert_to_tensor(g) for g in grads]
        cond(
            self.check_finite(grads),
            lambda: self._finite_step(grads, trainable_variables),
            self._non_finite_step,
        )

    def _finite_step(self, grads, trainable_variables):
        scale = self.dynamic_scale.value()
        unscaled = [g if g is None else g / cast(scale, g.dtype) for g in grads]
        self.inner_optimizer.apply(unscaled, trainable_variables=trainable_variables)

        def upscale():
            self.step_counter.assign(0)
            self.dynamic_scale.assign(self.dynamic_scale.value() * 2.0)
            return ()

        def increment():
            self.step_counter.assign_add(1)
            return ()

        cond(equal(self.step_counter.value(), self.dynamic_growth_steps - 1), upscale, increment)
        return ()

    def _non_finite_step(self):
        self.step_counter.assign(0)
        self.dynamic_scale.assign(self.dynamic_scale.value() * 0.5)
        return ()

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self.inner_optimizer.learning_rate = value

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    def scale_loss(self, loss):
        """``loss`` times the current scale (``initial_scale`` before the first step)."""
        scale = self.dynamic_scale.value() if self.built else self.initial_scale
        if is_tensor(loss) and is_tensor(scale) and loss.dtype != scale.dtype:
            scale = cast(scale, loss.dtype)
        return loss * scale

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self):
        return {
            "name": self.name,
            "inner_optimizer": _serialization.serialize(self.inner_optimizer, "keras.optimizers"),
            "initial_scale": self.initial_scale,
            "dynamic_growth_steps": self.dynamic_growth_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from . import deserialize

        config = dict(config)
        inner = deserialize(config.pop("inner_optimizer"), custom_objects=custom_objects)
        return cls(inner, **config)
