"""``Optimizer``: the loop every optimizer shares (Keras 3's ``BaseOptimizer``).

A subclass writes ``build(var_list)`` (its slot variables, made with
``add_variable_from_reference``) and ``update_step(gradient, variable, learning_rate)``; the base
class filters missing gradients, clips, applies weight decay, calls ``update_step`` for each
variable, applies variable constraints and counts ``iterations``. Every update is an ops call
on variables (``assign``, ``assign_add``, ``assign_sub``): no NumPy math on the weights.
"""

from __future__ import annotations

from tensorhouse_ops import (
    Tensor,
    Variable,
    add_n,
    cast,
    convert_to_tensor,
    dtypes,
    maximum,
    minimum,
    reduce_sum,
    sqrt,
    square,
    zeros,
)

from .. import _naming

__all__ = ["Optimizer"]


class Optimizer:
    """Base class of the optimizers; see the module docstring for what a subclass writes."""

    def __init__(
        self,
        learning_rate,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        name=None,
        **kwargs,
    ):
        for key in ("use_ema", "loss_scale_factor", "gradient_accumulation_steps"):
            if kwargs.get(key):
                raise NotImplementedError(f"Optimizer argument `{key}` is not supported yet")
            kwargs.pop(key, None)
        kwargs.pop("ema_momentum", None)
        kwargs.pop("ema_overwrite_frequency", None)
        if kwargs:
            raise TypeError(f"Unrecognized keyword arguments passed to {type(self).__name__}: "
                            f"{kwargs}")  # fmt: skip
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                f"global_clipnorm={global_clipnorm}"
            )
        self.name = name or _naming.unique_name(type(self).__name__)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self._iterations = Variable(0, dtype=dtypes.int64, trainable=False, name="iteration")
        self._schedule = None
        if callable(learning_rate):
            self._schedule = learning_rate
            self._learning_rate = None
        else:
            lr = float(learning_rate)
            if lr < 0:
                raise ValueError(
                    f"`learning_rate` must be >= 0. Received: learning_rate={learning_rate}"
                )
            self._learning_rate = Variable(lr, dtype=dtypes.float32, trainable=False,
                                           name="learning_rate")  # fmt: skip
        self.built = False
        self._var_index: dict[int, int] = {}
        self._built_variables: list = []
        self._slots: list = []

    # ---- state --------------------------------------------------------------------------
    @property
    def iterations(self) -> Variable:
        return self._iterations

    @property
    def learning_rate(self):
        """The current learning rate: a float32 scalar tensor (a schedule is evaluated)."""
        if self._schedule is not None:
            return convert_to_tensor(self._schedule(self._iterations), dtype=dtypes.float32)
        return self._learning_rate.value()

    @learning_rate.setter
    def learning_rate(self, value):
        if callable(value):
            self._schedule, self._learning_rate = value, None
        elif self._learning_rate is None:
            self._schedule = None
            self._learning_rate = Variable(float(value), dtype=dtypes.float32, trainable=False,
                                           name="learning_rate")  # fmt: skip
        else:
            self._learning_rate.assign(float(value))

    @property
    def variables(self) -> list:
        lr = [] if self._learning_rate is None else [self._learning_rate]
        return [self._iterations, *lr, *self._slots]

    def build(self, var_list):
        """Index the variables; subclasses then add their slots."""
        self._built_variables = list(var_list)
        self._var_index = {id(v): i for i, v in enumerate(self._built_variables)}
        self.built = True

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """A zero slot variable shaped and typed like ``reference_variable``."""
        if initializer != "zeros":
            raise ValueError(f"Slot variables start at zero. Received: initializer={initializer!r}")
        base = reference_variable.name.split(":")[0]
        var = Variable(
            zeros(reference_variable.shape.as_list(), reference_variable.dtype),
            trainable=False,
            name=f"{name}/{base}",
        )
        self._slots.append(var)
        return var

    def _get_variable_index(self, variable) -> int:
        try:
            return self._var_index[id(variable)]
        except KeyError:
            raise KeyError(
                f"The optimizer {self.name!r} was built for {len(self._var_index)} variables and "
                f"does not know variable {variable.name!r}; build it with every variable it "
                "will update (a new optimizer per model)"
            ) from None

    # ---- updates --------------------------------------------------------------------------
    def update_step(self, gradient, variable, learning_rate):
        raise NotImplementedError(f"{type(self).__name__} must implement update_step")

    def apply_gradients(self, grads_and_vars):
        """Apply ``(gradient, variable)`` pairs; pairs whose gradient is None are skipped."""
        pairs = list(grads_and_vars)
        if not pairs:
            return self._iterations
        grads, variables = zip(*pairs)
        return self.apply(list(grads), list(variables))

    def apply(self, grads, trainable_variables=None):
        """One optimization step: ``grads[i]`` updates ``trainable_variables[i]``."""
        grads = list(grads)
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "apply(grads) without variables needs a built optimizer: call "
                    "optimizer.build(variables) first or pass trainable_variables"
                )
            trainable_variables = self._built_variables
        variables = list(trainable_variables)
        if len(grads) != len(variables):
            raise ValueError(f"apply() got {len(grads)} gradients for {len(variables)} variables")
        if not self.built:
            self.build(variables)
        pairs = [(g, v) for g, v in zip(grads, variables) if g is not None]
        if not pairs:
            raise ValueError(
                "No gradients provided for any variable: " + ", ".join(v.name for v in variables)
            )
        grads = self._clip([g if isinstance(g, Tensor) else convert_to_tensor(g) for g, _ in pairs])
        lr = self.learning_rate
        for g, v in zip(grads, (v for _, v in pairs)):
            lr_v = lr if v.dtype is lr.dtype else cast(lr, v.dtype)
            g = g if g.dtype is v.dtype else cast(g, v.dtype)
            if self.weight_decay:
                v.assign_sub(v.value() * (lr_v * float(self.weight_decay)))
            self.update_step(g, v, lr_v)
            if v.constraint is not None:
                v.assign(v.constraint(v.value()))
        self._iterations.assign_add(1)
        return self._iterations

    def _clip(self, grads):
        if self.clipvalue is not None:
            c = float(self.clipvalue)
            return [minimum(maximum(g, -c), c) for g in grads]
        if self.clipnorm is not None:
            c = float(self.clipnorm)
            return [g * (c / maximum(sqrt(reduce_sum(square(g))), c)) for g in grads]
        if self.global_clipnorm is not None:
            c = float(self.global_clipnorm)
            norm = sqrt(add_n([reduce_sum(square(cast(g, dtypes.float32))) for g in grads]))
            scale = c / maximum(norm, c)
            return [g * (scale if g.dtype is scale.dtype else cast(scale, g.dtype)) for g in grads]
        return grads

    # ---- config -------------------------------------------------------------------------
    def get_config(self) -> dict:
        lr = self._schedule if self._schedule is not None else float(self._learning_rate.numpy())
        return {
            "name": self.name,
            "learning_rate": lr,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, iterations={int(self._iterations)}>"
