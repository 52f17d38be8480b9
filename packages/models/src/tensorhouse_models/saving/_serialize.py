"""Keras 3's object dicts: ``serialize_keras_object`` / ``deserialize_keras_object``.

An object becomes ``{"module", "class_name", "config", "registered_name"}`` (layers and models
add ``build_config`` / ``compile_config``), a function ``{"module": "builtins", "class_name":
"function", "config": name, ...}``, and plain values stay themselves (tuples and lists item by
item, NumPy arrays, bytes and slices as Keras's ``__numpy__`` / ``__bytes__`` / ``__slice__``
dicts). Deserializing looks classes up only in ``custom_objects``, the registry and the
built-in tables, through the ``.keras`` loader's checks (``_normalize``): nothing is imported
by path and no bytecode is run (a ``__lambda__`` dict is refused in every mode)."""

from __future__ import annotations

import types

import numpy as np

from tensorhouse_components import (
    activations,
    constraints,
    dtype_policies,
    initializers,
    keras_ops,
    losses,
    metrics,
    ops,
    optimizers,
    regularizers,
)
from tensorhouse_components import layers as layers_module
from tensorhouse_components.optimizers import schedules

from . import _keras_file, _normalize, _registry

__all__ = ["deserialize_keras_object", "serialize_keras_object"]

_PLAIN = (str, int, float, bool)
# Built-in classes: the public module Keras names them by, and how each kind deserializes.
_KINDS = (
    (losses, "keras.losses"), (metrics, "keras.metrics"), (optimizers, "keras.optimizers"),
    (initializers, "keras.initializers"), (regularizers, "keras.regularizers"),
    (constraints, "keras.constraints"), (schedules, "keras.optimizers.schedules"),
    (dtype_policies, "keras"),
)  # fmt: skip
_FUNCTION_TABLES = (activations, losses, metrics)  # where a "builtins" function name is found


def _public_module(cls):
    for table, module in _KINDS:
        if getattr(table, cls.__name__, None) is cls:
            return module
    return None


def _function_dict(fn):
    if fn.__name__ == "<lambda>":
        raise ValueError(
            f"Cannot serialize the lambda {fn!r}: tensorhouse never writes (nor runs) Python "
            "bytecode; use a named function registered with register_keras_serializable."
        )
    name = _registry.registered_name(fn) or fn.__name__
    return {"module": "builtins", "class_name": "function", "config": name,
            "registered_name": "function"}  # fmt: skip


def _layer_dict(layer):
    from .._model import Model, serialize_layer

    if isinstance(layer, Model):
        return _keras_file.model_config(layer)
    out = serialize_layer(layer)
    _keras_file._mark_user_classes(out, _keras_file._user_classes(layer))
    out["config"] = serialize_keras_object(out["config"])
    return out


def serialize_keras_object(obj):
    """Keras 3's dict for ``obj`` (see the module docstring); ``deserialize_keras_object``
    gives it back."""
    if obj is None or isinstance(obj, _PLAIN):
        return obj
    if isinstance(obj, list | tuple):
        items = [serialize_keras_object(x) for x in obj]
        return tuple(items) if isinstance(obj, tuple) else items
    if isinstance(obj, dict):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, slice):
        parts = {"start": obj.start, "stop": obj.stop, "step": obj.step}
        return {"class_name": "__slice__", "config": serialize_keras_object(parts)}
    if obj is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(obj, ops.TensorShape):
        return obj.as_list() if obj.rank is not None else None
    if isinstance(obj, ops.DType):
        return obj.name
    if ops.is_tensor(obj):
        value = keras_ops.convert_to_numpy(obj)
        return {"class_name": "__tensor__", "config": {"value": value.tolist(),
                                                       "dtype": str(value.dtype)}}  # fmt: skip
    if type(obj).__module__ == "numpy":
        if isinstance(obj, np.ndarray) and obj.ndim > 0:
            return {"class_name": "__numpy__", "config": {"value": obj.tolist(),
                                                          "dtype": str(obj.dtype)}}  # fmt: skip
        return obj.item()
    if isinstance(obj, types.FunctionType):
        return _function_dict(obj)
    if isinstance(obj, layers_module.Layer):
        return _layer_dict(obj)
    if not hasattr(obj, "get_config"):
        raise TypeError(
            f"Cannot serialize object {obj} of type {type(obj)}. To be serializable, a class "
            "must implement the `get_config()` method."
        )
    config = obj.get_config()
    if not isinstance(config, dict):
        raise TypeError(f"The `get_config()` method of {obj} should return a dict. It returned: "
                        f"{config}")  # fmt: skip
    cls = type(obj)
    module = _public_module(cls)
    custom = module is None
    if custom:
        module = None if cls.__module__ == "__main__" else cls.__module__
    return {
        "module": module, "class_name": cls.__name__, "config": serialize_keras_object(config),
        "registered_name": (_registry.registered_name(cls) or cls.__name__) if custom else None,
    }  # fmt: skip


class _Deserializer:
    def __init__(self, custom, safe_mode):
        self.custom = custom
        self.safe_mode = safe_mode

    def __call__(self, config):
        if isinstance(config, str) and self.custom.get(config) is not None:
            return self.custom[config]
        if config is None or isinstance(config, _PLAIN):
            return config
        if isinstance(config, list | tuple):
            return [self(x) for x in config]
        if not isinstance(config, dict):
            raise TypeError(f"Could not parse config: {config}")
        if "class_name" not in config or "config" not in config:
            return {key: self(value) for key, value in config.items()}
        name, inner = config["class_name"], config["config"]
        inner = {} if inner is None else inner
        special = self._special(name, inner)
        if special is not _NOTHING:
            return special
        if name == "function":
            return self._function(inner, config)
        if not isinstance(inner, dict):
            raise TypeError(f"Expected 'config' to be a dict for {name},\ninstead got "
                            f"{type(inner)}\nFull config: {config}")  # fmt: skip
        return self._object(config)

    def _special(self, name, inner):
        if name == "__lambda__":
            _normalize.reject_lambda("deserialize_keras_object", self.safe_mode)
        if name == "__numpy__":
            return np.array(inner["value"], dtype=inner["dtype"])
        if name == "__tensor__":
            return keras_ops.convert_to_tensor(inner["value"], dtype=inner["dtype"])
        if name == "__bytes__":
            return inner["value"].encode("utf-8")
        if name == "__ellipsis__":
            return Ellipsis
        if name == "__slice__":
            return slice(self(inner["start"]), self(inner["stop"]), self(inner["step"]))
        return _NOTHING

    def _function(self, fn_name, config):
        if not isinstance(fn_name, str):
            raise TypeError(
                "Expected 'config' to be a non-null str for a function classname,\ninstead got "
                f"{type(fn_name)}\nFull config: {config}"
            )
        if fn_name in self.custom:
            return self.custom[fn_name]
        for table in _FUNCTION_TABLES:
            fn = getattr(table, fn_name, None)
            if isinstance(fn, types.FunctionType):
                return fn
        for key, value in self.custom.items():  # Keras <= 3.6 saved "name" for "package>name"
            if isinstance(key, str) and key.endswith(f">{fn_name}"):
                return value
        raise TypeError(
            f"Could not locate function '{fn_name}'. Make sure custom classes and functions are "
            "decorated with `@keras.saving.register_keras_serializable()`. If they are already "
            "decorated, make sure they are all imported so that the decorator is run before "
            f"trying to load them. Full object config: {config}"
        )

    def _object(self, config):
        from .._model import Model

        found = None
        for key in (config.get("registered_name"), config["class_name"]):
            if isinstance(key, str) and key in self.custom:
                found = self.custom[key]
                break
        module = str(config.get("module") or "")
        is_layer = isinstance(found, type) and issubclass(found, layers_module.Layer)
        if (
            is_layer
            or module.startswith(("keras.layers", "keras.src.models"))
            or (found is None and config["class_name"] in ("Functional", "Model", "Sequential"))
        ):
            return _keras_file.model_from_config(config, self.custom, True, self.safe_mode)
        if found is not None and not (isinstance(found, type) and issubclass(found, Model)):
            if isinstance(found, types.FunctionType):
                return found
            with _registry.CustomObjectScope(self.custom):
                return found.from_config(config["config"])
        for table, name in _KINDS:
            if module == name and isinstance(getattr(table, config["class_name"], None), type):
                fitted = _normalize._Normalizer(self.custom, self.safe_mode).value(
                    config, config["class_name"]
                )
                if name == "keras" or not isinstance(fitted, dict):  # a policy: its name
                    return dtype_policies.get(fitted if isinstance(fitted, str) else config)
                return table.deserialize(fitted, self.custom)
        raise _normalize._not_found(config)


_NOTHING = object()


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """The object ``serialize_keras_object`` (or real Keras) made ``config`` from; classes
    come from ``custom_objects``, the active ``CustomObjectScope``, the registered classes
    and the built-ins only. ``safe_mode`` only changes the wording of the refusal of a
    ``__lambda__``: bytecode is never run."""
    custom = _normalize.expand_custom_objects(
        {**(custom_objects or {}), **(kwargs.get("module_objects") or {})}
    )
    return _Deserializer(custom, safe_mode)(config)
