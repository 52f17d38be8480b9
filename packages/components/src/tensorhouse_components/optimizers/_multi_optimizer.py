"""``OptimizerMap`` and ``MultiOptimizer``: a different optimizer for each group of variables,
chosen by the variable's path."""

from __future__ import annotations

import re
from collections.abc import MutableMapping

from .. import _serialization
from ._loss_scale_optimizer import LossScaleOptimizer
from ._optimizer import Optimizer

__all__ = ["MultiOptimizer", "OptimizerMap"]


def _serialize(optimizer):
    return _serialization.serialize(optimizer, "keras.optimizers")


class OptimizerMap(MutableMapping):
    """Variable paths (or regular expressions that ``re.fullmatch`` them) to optimizers;
    ``default_optimizer`` takes every path no key matches."""

    def __init__(self, default_optimizer, optimizer_map=None):
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError(
                "default_optimizer must be a Keras Optimizer instance. "
                f"Received: {default_optimizer}"
            )
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(f"optimizer_map must be a dictionary. Received: {optimizer_map}")
        self._default_optimizer = default_optimizer
        self._optimizer_map = optimizer_map or {}

    @property
    def default_optimizer(self):
        return self._default_optimizer

    def __getitem__(self, key):
        """The optimizer of ``key``: an exact key first, else the one pattern that fully
        matches it (a ValueError when several do), else the default."""
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matches = [p for p in self._optimizer_map if re.fullmatch(p, key)]
        if len(matches) > 1:
            raise ValueError(f"Multiple optimizers assigned to variable {key}.")
        return self._optimizer_map[matches[0]] if matches else self._default_optimizer

    def __setitem__(self, key, optimizer):
        if key in self._optimizer_map:
            raise ValueError(
                f"'{key}' already exists in the OptimizerMap with value "
                f"{self._optimizer_map[key]}. Please make sure to not use duplicated keys."
            )
        if not isinstance(key, str):
            raise ValueError(f"key must be a string. Received: {key}")
        if not isinstance(optimizer, Optimizer):
            raise ValueError(f"optimizer must be a Keras Optimizer instance. Received: {optimizer}")
        if isinstance(optimizer, LossScaleOptimizer):
            raise ValueError("optimizer cannot be LossScaleOptimizer.")
        if isinstance(optimizer, MultiOptimizer):
            raise ValueError("optimizer cannot be MultiOptimizer.")
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key):
        del self._optimizer_map[key]

    def __len__(self):
        return len(self._optimizer_map)

    def __iter__(self):
        return iter(self._optimizer_map)

    def __call__(self, variable):
        return self[variable.path]

    def get_config(self):
        return {
            "default_optimizer": _serialize(self._default_optimizer),
            "optimizer_map": {k: _serialize(v) for k, v in self._optimizer_map.items()},
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from . import deserialize

        default = deserialize(config["default_optimizer"], custom_objects=custom_objects)
        mapping = {k: deserialize(v, custom_objects=custom_objects)
                   for k, v in (config.get("optimizer_map") or {}).items()}  # fmt: skip
        return cls(default, mapping)


class MultiOptimizer(Optimizer):
    """Hands each variable to the optimizer ``optimizer_map(variable)`` names (an
    ``OptimizerMap`` or any callable); each inner optimizer steps its own variables and
    counts its own ``iterations``. ``loss_scale_factor`` is set on every inner optimizer; the
    learning rate lives only on the inner optimizers."""

    def __init__(self, optimizer_map, loss_scale_factor=None, name=None):
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor, name=name)
        self._optimizer_map = optimizer_map
        self._inner_optimizers = []
        candidates = list(optimizer_map.values()) if hasattr(optimizer_map, "values") else []
        candidates.append(getattr(optimizer_map, "default_optimizer", None))
        for opt in candidates:
            if opt is not None and opt not in self._inner_optimizers:
                opt.loss_scale_factor = loss_scale_factor
                self._inner_optimizers.append(opt)
        self._var_to_optimizer: dict[int, Optimizer] = {}

    def build(self, var_list):
        if self.built:
            return
        var_list = list(var_list)
        groups = {id(opt): [] for opt in self._inner_optimizers}
        for var in var_list:
            opt = self._optimizer_map(var)
            if not isinstance(opt, Optimizer):
                raise ValueError(f"Optimizer for variable {var} is not an Optimizer instance.")
            if isinstance(opt, LossScaleOptimizer):
                raise ValueError("LossScaleOptimizer cannot be used inside an MultiOptimizer.")
            if isinstance(opt, MultiOptimizer):
                raise ValueError("MultiOptimizer cannot be used inside an MultiOptimizer.")
            if id(opt) not in groups:
                opt.loss_scale_factor = self.loss_scale_factor
                self._inner_optimizers.append(opt)
                groups[id(opt)] = []
            self._var_to_optimizer[id(var)] = opt
            groups[id(opt)].append(var)
        for opt in self._inner_optimizers:
            if groups[id(opt)]:
                opt.build(groups[id(opt)])
        super().build(var_list)

    @property
    def optimizers(self) -> list:
        """The inner optimizers, in the order their variables appear."""
        return self._inner_optimizers

    @property
    def variables(self) -> list:
        own = list(self._variables)
        return own + [v for opt in self._inner_optimizers for v in opt.variables]

    @property
    def learning_rate(self):
        raise AttributeError(
            "Learning rate cannot be accessed on a MultiOptimizer. "
            "Access the learning rate on the individual sub-optimizers instead."
        )

    @learning_rate.setter
    def learning_rate(self, value):
        raise AttributeError(
            "Learning rate cannot be set on a MultiOptimizer. "
            "Set the learning rate on the individual sub-optimizers instead."
        )

    @property
    def loss_scale_factor(self):
        return getattr(self, "_loss_scale_factor", None)

    @loss_scale_factor.setter
    def loss_scale_factor(self, value):
        self._loss_scale_factor = value
        for opt in getattr(self, "_inner_optimizers", ()):
            opt.loss_scale_factor = value

    def apply(self, grads, trainable_variables=None):
        """Each inner optimizer applies the gradients of its own variables."""
        grads = list(grads)
        if not grads:
            return None
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be "
                    "built on a list of variables. Call `optimizer.build(trainable_variables)` "
                    "first."
                )
            trainable_variables = self._trainable_variables
        trainable_variables = list(trainable_variables)
        self.build(trainable_variables)
        if len(grads) != len(self._var_to_optimizer):
            raise ValueError(
                "Gradients must match trainable variables one-to-one. Received "
                f"{len(grads)} gradients and {len(self._var_to_optimizer)} variables."
            )
        pairs = {id(opt): ([], []) for opt in self._inner_optimizers}
        for grad, var in zip(grads, trainable_variables):
            sub_grads, sub_vars = pairs[id(self._var_to_optimizer[id(var)])]
            sub_grads.append(grad)
            sub_vars.append(var)
        for opt in self._inner_optimizers:
            sub_grads, sub_vars = pairs[id(opt)]
            if sub_grads:
                opt.apply(sub_grads, sub_vars)
        self._iterations.assign_add(1)
        return self._iterations

    def finalize_variable_values(self, var_list):
        groups = {id(opt): [] for opt in self._inner_optimizers}
        for var in var_list:
            groups[id(self._var_to_optimizer[id(var)])].append(var)
        for opt in self._inner_optimizers:
            if groups[id(opt)]:
                opt.finalize_variable_values(groups[id(opt)])

    def set_weights(self, weights):
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not yet been built. "
                "Please call `optimizer.build(trainable_variables)` to create the optimizer "
                "weights before calling `set_weights()`."
            )
        weights = list(weights)
        own = len(self._variables)
        for var, weight in zip(self._variables, weights[:own]):
            var.assign(weight)
        start = own
        for opt in self._inner_optimizers:
            count = len(opt.variables)
            if count:
                opt.set_weights(weights[start : start + count])
                start += count

    def get_config(self):
        mapping = self._optimizer_map
        if isinstance(mapping, OptimizerMap):
            mapping = _serialize(mapping)
        return {"optimizer_map": mapping, "loss_scale_factor": self.loss_scale_factor,
                "name": self.name}  # fmt: skip

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        mapping = config["optimizer_map"]
        if isinstance(mapping, dict) and mapping.get("class_name") == "OptimizerMap":
            mapping = OptimizerMap.from_config(mapping["config"], custom_objects)
        config["optimizer_map"] = mapping
        return cls(**config)
