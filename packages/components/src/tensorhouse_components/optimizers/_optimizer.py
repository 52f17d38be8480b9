"""``Optimizer``: the loop every optimizer shares (Keras 3's ``BaseOptimizer``).

A subclass writes ``build(var_list)`` (its slot variables, made with
``add_variable_from_reference``) and ``update_step(gradient, variable, learning_rate)``; the base
class filters missing gradients, unscales (``loss_scale_factor``), accumulates
(``gradient_accumulation_steps``), clips, applies weight decay, calls ``update_step`` for each
variable, keeps the moving average of the weights (``use_ema``), applies variable constraints and
counts ``iterations``. Where a subclass gives its fused form (``_fused_spec``) and the variables
are dense float32 / float64 CPU variables, weight decay and ``update_step`` of all of them run
as one fused kernel call per dtype (``tensorhouse_ops.train.fused_apply``), with the same
numbers. Every update is an ops call on variables and every decision on a tensor
is a ``cond``, so ``apply`` traces inside ``tensorhouse_ops.function``.
"""

from __future__ import annotations

import re
import warnings

import numpy as np

from tensorhouse_ops import (
    IndexedSlices,
    Tensor,
    Variable,
    add_n,
    cast,
    clip_by_norm,
    clip_by_value,
    cond,
    convert_to_tensor,
    dtypes,
    equal,
    minimum,
    not_equal,
    reduce_sum,
    sqrt,
    square,
    zeros,
)
from tensorhouse_ops.train import fused_apply, fused_apply_supported

from .. import _naming, initializers
from .._keras_variable import keras_variable
from .schedules import LearningRateSchedule
from .schedules import serialize as _serialize_schedule

__all__ = ["Optimizer"]

_LR_ERROR = (
    "Argument `learning_rate` should be float, or an instance of LearningRateSchedule, or a "
    "callable (that takes in the current iteration value and returns the corresponding learning "
    "rate value). Received instead: learning_rate={}"
)


def _fusable_update(optimizer) -> bool:
    """Whether the class that defines ``optimizer``'s ``update_step`` also defines its fused
    form (a subclass that overrides ``update_step`` keeps the per-variable path)."""
    for klass in type(optimizer).__mro__:
        if "update_step" in klass.__dict__:
            return "_fused_spec" in klass.__dict__
    return False


def _value(x):
    """A Variable's current value as a tensor; anything else unchanged."""
    return x.value() if isinstance(x, Variable) else x


class Optimizer:
    """Base class of the optimizers; see the module docstring for what a subclass writes."""

    def __init__(
        self,
        learning_rate,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name=None,
        **kwargs,
    ):
        if kwargs.pop("decay", None) is not None:
            warnings.warn(
                "Argument `decay` is no longer supported and will be ignored.", stacklevel=2
            )
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        if gradient_accumulation_steps and not gradient_accumulation_steps >= 2:
            raise ValueError(
                "`gradient_accumulation_steps` must be an integer >= 2. Received: "
                f"gradient_accumulation_steps={gradient_accumulation_steps}"
            )
        if use_ema:
            if ema_momentum > 1 or ema_momentum < 0:
                raise ValueError(
                    f"`ema_momentum` must be in the range [0, 1]. Received: "
                    f"ema_momentum={ema_momentum}"
                )
            if ema_overwrite_frequency and (
                not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1
            ):
                raise ValueError(
                    "`ema_overwrite_frequency` must be an integer >= 1 or None. Received: "
                    f"ema_overwrite_frequency={ema_overwrite_frequency}"
                )
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                f"global_clipnorm={global_clipnorm}"
            )
        self.name = name if name is not None else _naming.unique_name(type(self).__name__)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.global_clipnorm = global_clipnorm
        self.clipvalue = clipvalue
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False
        self._variables: list = []
        self._trainable_variables: list = []
        self._var_index: dict[int, int] = {}
        self._model_variables_moving_average: list = []
        self._accumulated_gradients: list = []
        self._exclude_ids: set = set()
        self._exclude_pattern = None
        self._iterations = self._variable(0, dtype=dtypes.int64, name="iteration")
        self._variables.append(self._iterations)
        if callable(learning_rate):
            self._learning_rate = learning_rate
        else:
            if not isinstance(learning_rate, float):
                raise ValueError(_LR_ERROR.format(learning_rate))
            self._learning_rate = self._new_lr_variable(learning_rate)

    def _new_lr_variable(self, value):
        var = self._variable(float(value), dtype=dtypes.float32, name="learning_rate")
        self._variables.insert(1, var)
        return var

    # ---- state --------------------------------------------------------------------------
    @property
    def iterations(self):
        """Steps taken: a Variable (with gradient accumulation, a tensor counting updates)."""
        if self.gradient_accumulation_steps:
            return self._iterations.value() // self.gradient_accumulation_steps
        return self._iterations

    def _step_count(self):
        """``iterations`` as an int64 tensor."""
        return _value(self.iterations)

    def _local_step(self, dtype):
        """``iterations + 1`` in ``dtype``: the step being taken, counted from 1."""
        return cast(self._step_count() + 1, dtype)

    @property
    def learning_rate(self):
        """The learning rate: its Variable, or a schedule's value at the current step."""
        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule):
            return lr(self._iterations)
        if isinstance(lr, Variable):
            return lr
        return lr()

    @learning_rate.setter
    def learning_rate(self, value):
        previous = self._learning_rate
        if callable(value):
            self._learning_rate = value
            if isinstance(previous, Variable):
                self._variables.remove(previous)
            return
        if isinstance(previous, LearningRateSchedule):
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` object as its "
                "`learning_rate` constructor argument, hence its learning rate is not settable. "
                "If you need the learning rate to be settable, you should instantiate the "
                "optimizer with a float `learning_rate` argument."
            )
        if isinstance(previous, Variable):
            previous.assign(float(value))
        else:
            self._learning_rate = self._new_lr_variable(value)

    def _current_learning_rate(self):
        """The learning rate as a float32 tensor."""
        return convert_to_tensor(_value(self.learning_rate), dtype=dtypes.float32)

    @property
    def variables(self) -> list:
        """The optimizer's own variables, in Keras's order."""
        return list(self._variables)

    def build(self, variables):
        """Index the variables and make the EMA and accumulator slots; subclasses add theirs."""
        variables = list(variables)
        if self.use_ema:
            self._model_variables_moving_average = self.add_optimizer_variables(
                variables, "average"
            )
        self._var_index = {id(v): i for i, v in enumerate(variables)}
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = [
                self.add_variable_from_reference(v, "gradient_accumulator") for v in variables
            ]
        self._trainable_variables = variables
        self.built = True

    def add_variable(
        self, shape, initializer="zeros", dtype=None, aggregation="none", layout=None, name=None
    ):
        """A non-trainable optimizer variable of ``shape``, tracked in ``variables``."""
        init = initializers.get(initializer)
        dtype = dtypes.float32 if dtype is None else dtypes.as_dtype(dtype)
        shape = list(shape)
        value = zeros(shape, dtype) if init is None else cast(init(shape, dtype=dtype), dtype)
        var = self._variable(value, name=name or "variable")
        self._variables.append(var)
        return var

    def _variable(self, value, name, dtype=None):
        """A non-trainable variable named ``name``, pathed ``{optimizer name}/{name}``."""
        return keras_variable(
            value, name=name, path=f"{self.name}/{name}", trainable=False, dtype=dtype
        )

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """A slot shaped and typed like ``reference_variable``, named ``{ref}_{name}``."""
        ref = getattr(reference_variable, "path", None)
        if ref is None:
            ref = str(reference_variable.name).replace("/", "_").replace(":", "_")
        else:
            ref = ref.replace("/", "_")
        return self.add_variable(
            reference_variable.shape.as_list(),
            initializer=initializer,
            dtype=reference_variable.dtype,
            name=f"{ref}_{name or 'var'}",
        )

    def add_optimizer_variables(self, trainable_variables, name, initializer="zeros"):
        """One slot per variable for ``name`` (a list of names gives a tuple of lists)."""
        names = [name] if isinstance(name, str) else list(name)
        inits = initializer if isinstance(initializer, list | tuple) else [initializer] * len(names)
        if len(names) != len(inits):
            raise ValueError(
                "The number of provided names must match the number of provided initializers.  "
                f"Received name='{name}', initializer='{initializer}'"
            )
        out = tuple([] for _ in names)
        for variable in trainable_variables:
            for slots, n, init in zip(out, names, inits):
                slots.append(self.add_variable_from_reference(variable, n, initializer=init))
        return out[0] if isinstance(name, str) else out

    def _get_variable_index(self, variable) -> int:
        return self._var_index[id(variable)]

    def set_weights(self, weights):
        """Assign ``weights`` (arrays) to ``variables``, in order."""
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not yet been built. "
                "Please call `optimizer.build(trainable_variables)` to create the optimizer "
                "weights before calling `set_weights()`."
            )
        for variable, weight in zip(self._variables, weights):
            shape = tuple(np.shape(weight))
            if tuple(variable.shape.as_list()) != shape:
                raise ValueError(
                    f"Optimizer variable {variable.name} has shape {variable.shape} not "
                    f"compatible with provided weight shape {shape}."
                )
            variable.assign(weight)

    def save_own_variables(self, store):
        """Write every variable's value into ``store`` under ``"0"``, ``"1"``, ..."""
        for i, variable in enumerate(self.variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store):
        """Read the values written by ``save_own_variables`` (skipped, with a warning, when the
        counts differ)."""
        variables = self.variables
        if len(store.keys()) != len(variables):
            warnings.warn(
                f"Skipping variable loading for optimizer '{self.name}', because it has "
                f"{len(variables)} variables whereas the saved optimizer has {len(store.keys())} "
                "variables. ",
                stacklevel=2,
            )
            return
        for i, variable in enumerate(variables):
            variable.assign(store[str(i)])

    # ---- updates --------------------------------------------------------------------------
    def update_step(self, gradient, variable, learning_rate):
        """Update one variable; ``gradient`` and ``learning_rate`` come in its dtype."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_step")

    def apply_gradients(self, grads_and_vars):
        """Apply ``(gradient, variable)`` pairs; pairs whose gradient is None are skipped."""
        pairs = list(grads_and_vars)
        if pairs:
            grads, variables = zip(*pairs)
            self.apply(list(grads), list(variables))
        return self._iterations

    def apply(self, grads, trainable_variables=None):
        """One optimization step: ``grads[i]`` updates ``trainable_variables[i]``."""
        grads = list(grads)
        if not grads:
            return None
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be "
                    "built on a list of variables. Call `optimizer.build(trainable_variables)` "
                    "first. "
                )
            if len(grads) != len(self._var_index):
                raise ValueError(
                    "When passing `grads` as a list of gradient tensors, the gradients must "
                    f"match `optimizer.variables` one-to-one. Received a list of {len(grads)} "
                    f"gradients, but the optimizer is tracking {len(self._trainable_variables)} "
                    "trainable variables."
                )
            variables = list(self._trainable_variables)
        else:
            variables = list(trainable_variables)
            if len(grads) != len(variables):
                raise ValueError(
                    f"apply() got {len(grads)} gradients for {len(variables)} variables"
                )
            if not self.built:
                self.build(variables)
                self.built = True
            for v in variables:
                if id(v) not in self._var_index:
                    raise ValueError(
                        f"Unknown variable: {v}. This optimizer can only be called for the "
                        "variables it was originally built with. When working with a new set of "
                        "variables, you should recreate a new optimizer instance."
                    )
        pairs = [(g, v) for g, v in zip(grads, variables) if g is not None]
        if not pairs:
            raise ValueError("No gradients provided for any variable.")
        if len(pairs) < len(variables):
            missing = [v.name for g, v in zip(grads, variables) if g is None]
            warnings.warn(
                f"Gradients do not exist for variables {missing} when minimizing the loss. If "
                "using `model.compile()`, did you forget to provide a `loss` argument?",
                stacklevel=2,
            )
        grads = [g if isinstance(g, Tensor) else convert_to_tensor(g) for g, _ in pairs]
        variables = [v for _, v in pairs]
        if self.loss_scale_factor is not None:
            grads = [g / self.loss_scale_factor for g in grads]
        self._backend_apply_gradients(grads, variables)
        for v in variables:
            if v.constraint is not None:
                v.assign(v.constraint(v.value()))
        self._iterations.assign_add(1)
        return self._iterations

    def _backend_apply_gradients(self, grads, variables):
        """Accumulate or update, then the moving average (Keras's order)."""
        if self.gradient_accumulation_steps:
            steps = self.gradient_accumulation_steps
            accumulators = [self._accumulated_gradients[self._get_variable_index(v)]
                            for v in variables]  # fmt: skip
            is_update_step = equal((self._iterations.value() + 1) % steps, 0)

            def update():
                summed = [(g + cast(a.value(), g.dtype)) / steps
                          for g, a in zip(grads, accumulators)]  # fmt: skip
                self._clip_and_update(summed, variables)
                for a in accumulators:
                    a.assign(zeros(a.shape.as_list(), a.dtype))
                return ()

            def accumulate():
                for g, a in zip(grads, accumulators):
                    a.assign(a.value() + cast(g, a.dtype))
                return ()

            cond(is_update_step, update, accumulate)
        else:
            self._clip_and_update(grads, variables)
        if self.use_ema:
            self._update_model_variables_moving_average(self._trainable_variables)
            if self.ema_overwrite_frequency:
                overwrite = equal((self._step_count() + 1) % self.ema_overwrite_frequency, 0)

                def do_overwrite():
                    self._overwrite_model_variables_with_average_value(self._trainable_variables)
                    return ()

                cond(overwrite, do_overwrite, lambda: ())

    def _clip_and_update(self, grads, variables):
        grads = self._clip_gradients(grads)
        if self._fused_update(grads, variables):
            return
        self._apply_weight_decay(variables)
        self._backend_update_step(grads, variables, self._current_learning_rate())

    # ---- the fused update: all variables in one kernel call ------------------------------
    def _fused_spec(self, learning_rate, dtype):
        """``(op type, slot groups, scalars before weight decay, flags)`` of the fused op that
        computes this optimizer's ``update_step``; None where there is none."""
        return None

    def _fused_update(self, grads, variables) -> bool:
        """Weight decay and ``update_step`` of every variable as one fused kernel call per
        dtype, where the variables are dense float32 / float64 CPU variables and no feature
        needs the per-variable path. Returns whether it ran."""
        if self.gradient_accumulation_steps or not _fusable_update(self):
            return False
        if any(not isinstance(g, Tensor) or isinstance(g, IndexedSlices) for g in grads):
            return False
        groups = {}  # dtype -> positions, in the variables' order
        for i, v in enumerate(variables):
            groups.setdefault(v.dtype, []).append(i)
        lr32 = self._current_learning_rate()
        calls = []
        for dtype, positions in groups.items():
            group = [variables[i] for i in positions]
            if not fused_apply_supported(group):
                return False
            lr = lr32 if lr32.dtype == dtype else cast(lr32, dtype)
            spec = self._fused_spec(lr, dtype)
            if spec is None:
                return False
            op_type, slot_groups, scalars, flags = spec
            index = [self._get_variable_index(v) for v in group]
            slots = [[slot_group[i] for i in index] for slot_group in slot_groups]
            if not fused_apply_supported([s for g in slots for s in g] or group):
                return False
            decay, weight_decay = None, self._fused_weight_decay()
            if weight_decay is not None:
                decay = [self._use_weight_decay(v) for v in group]
            wd = 0.0 if weight_decay is None else cast(weight_decay, dtype)  # as below
            gs = [grads[i] if grads[i].dtype == dtype else cast(grads[i], dtype) for i in positions]
            calls.append((op_type, group, slots, gs, [*scalars, wd], decay, flags))
        for op_type, group, slots, gs, scalars, decay, flags in calls:
            fused_apply(op_type, group, slots, gs, scalars, decay=decay, **flags)
        self._fused_update_done()
        return True

    def _fused_weight_decay(self):
        """The decoupled weight decay the fused op applies (None: none)."""
        return self.weight_decay

    def _fused_update_done(self):
        """After the fused calls of a step: the state an optimizer shares across variables."""

    def _backend_update_step(self, grads, variables, learning_rate):
        """``update_step`` for each pair, with the gradient and learning rate in its dtype."""
        for g, v in zip(grads, variables):
            lr = learning_rate if v.dtype == learning_rate.dtype else cast(learning_rate, v.dtype)
            self.update_step(g if g.dtype == v.dtype else cast(g, v.dtype), v, lr)

    def _clip_gradients(self, grads):
        if self.clipnorm and self.clipnorm > 0:
            return [clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            norm = sqrt(add_n([reduce_sum(square(cast(g, dtypes.float32))) for g in grads]))
            c = float(self.global_clipnorm)
            # NaN or inf norms make the scale NaN (``norm - norm``), as Keras does.
            scale = c * minimum(1.0 / norm, 1.0 / c) + (norm - norm)
            return [g * cast(scale, g.dtype) for g in grads]
        if self.clipvalue and self.clipvalue > 0:
            c = self.clipvalue
            return [clip_by_value(g, -c, c) for g in grads]
        return grads

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Exclude ``var_list`` and variables whose name contains one of ``var_names`` from
        weight decay (call before the optimizer is built)."""
        if self.built:
            raise ValueError(
                "`exclude_from_weight_decay()` can only be configured before the optimizer is "
                "built."
            )
        self._exclude_ids = {id(v) for v in var_list} if var_list else set()
        self._exclude_pattern = re.compile("|".join(set(var_names))) if var_names else None

    def _use_weight_decay(self, variable) -> bool:
        if id(variable) in self._exclude_ids:
            return False
        pattern = self._exclude_pattern
        return pattern is None or pattern.search(variable.name) is None

    def _apply_weight_decay(self, variables):
        if self.weight_decay is None:
            return
        lr = self._current_learning_rate()
        for v in variables:
            if self._use_weight_decay(v):
                lr_v = lr if lr.dtype == v.dtype else cast(lr, v.dtype)
                v.assign_sub(v.value() * cast(self.weight_decay, v.dtype) * lr_v)

    def _update_model_variables_moving_average(self, variables):
        not_first_step = not_equal(self._step_count(), 0)
        for var, average in zip(variables, self._model_variables_moving_average):
            momentum = cast(not_first_step, var.dtype) * self.ema_momentum
            average.assign(momentum * average.value() + (1.0 - momentum) * var.value())

    def _overwrite_model_variables_with_average_value(self, variables):
        averages = self._model_variables_moving_average
        if len(variables) != len(averages):
            raise ValueError(
                f"The length of model variables ({len(variables)}) to override does not match "
                f"the length of model variables stored in the optimizer ({len(averages)}). "
                "Please check if the optimizer was called on your model."
            )
        for var, average in zip(variables, averages):
            var.assign(average.value())

    def finalize_variable_values(self, var_list):
        """With ``use_ema``, overwrite the variables with their moving averages."""
        if self.use_ema:
            self._overwrite_model_variables_with_average_value(list(var_list))

    def scale_loss(self, loss):
        """``loss * loss_scale_factor`` (the loss itself without a factor)."""
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    # ---- config -------------------------------------------------------------------------
    def get_config(self) -> dict:
        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule):
            lr = _serialize_schedule(lr)
        elif isinstance(lr, Variable):
            lr = float(lr.numpy())
        return {
            "name": self.name,
            "learning_rate": lr,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            from .schedules import deserialize

            config["learning_rate"] = deserialize(config["learning_rate"], custom_objects)
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"
