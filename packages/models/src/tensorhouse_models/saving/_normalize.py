"""Keras's ``config.json`` made fit for the components' ``from_config``, and checked for safety.

Real Keras 3.15 writes keys the components' layers do not take. Before any object is made, the
loader walks the model's config and:

* turns a dtype policy dict (``{"class_name": "DTypePolicy", "config": {"name": "float32"}}``)
  into its name (``"float32"``), and drops ``shared_object_id`` markers;
* drops, from a built-in layer's, initializer's or regularizer's config, the Keras-only keys
  its class does not take (read from its ``__init__`` signatures) when they hold their "off"
  value (``_KERAS_ONLY``: InputLayer ``ragged`` / ``optional``, Dense ``quantization_config``,
  ``*_constraint: None``, initializers' ``input_axes`` / ``output_axes``, Flatten's
  ``data_format: "channels_last"``, BatchNormalization's ``renorm_momentum`` /
  ``synchronized``, ...); such a key set to anything else raises ``ValueError``. Other keys go
  to the class as written (an RNN layer passes its cell's keys on through ``**kwargs``);
* drops ``None`` call arguments a layer's ``call`` does not take from the ``inbound_nodes``
  (Keras records ``mask=None`` for a nested model's call);
* refuses Python bytecode (``__lambda__`` configs) exactly as Keras does in safe mode, and in
  every mode: tensorhouse never turns bytes from a file into code;
* looks every class up only in ``custom_objects``, the classes registered with
  ``register_serializable`` and the components' own tables; an unknown one raises Keras's
  ``TypeError`` ("Could not locate class ..."), or its ``ValueError`` when the dict names a
  ``keras.*`` module.
"""

from __future__ import annotations

import inspect

from tensorhouse_components import initializers, regularizers
from tensorhouse_components import layers as layers_module

from ._registry import get_custom_objects, scoped_objects

__all__ = ["expand_custom_objects", "normalize_model_config", "reject_lambda"]

_MODELS = ("Functional", "Model", "Sequential")
_POLICIES = ("DTypePolicy", "FloatDTypePolicy")
# Keys Keras writes that a components class may not take, with the value that means "off"
# (what the components class does anyway); ``*_constraint: None`` too.
_KERAS_ONLY = {
    "ragged": False, "optional": False, "quantization_config": None, "input_axes": None,
    "output_axes": None, "data_format": "channels_last", "renorm_momentum": 0.99,
    "synchronized": False, "lora_rank": None, "lora_alpha": None,
}  # fmt: skip
_LAYER_BASE_KEYS = {"input_shape", "input_dim", "batch_size"}

_LAMBDA_LAYER_MESSAGE = (
    "Requested the deserialization of a `Lambda` layer whose `function` is a Python lambda. "
    "This carries a potential risk of arbitrary code execution and thus it is disallowed by "
    "default. If you trust the source of the artifact, you can override this error by passing "
    "`safe_mode=False` to the loading function, or calling "
    "`keras.config.enable_unsafe_deserialization()."
)
_LAMBDA_MESSAGE = (
    "Requested the deserialization of a Python lambda. This carries a potential risk of "
    "arbitrary code execution and thus it is disallowed by default. If you trust the source of "
    "the artifact, you can override this error by passing `safe_mode=False` to the loading "
    "function, or calling `keras.config.enable_unsafe_deserialization()."
)
_NEVER_CODE = (
    "tensorhouse never executes Python bytecode stored in a file, even with safe_mode=False: "
    "rebuild the Lambda layer with a named function and pass it in custom_objects "
    "(found in: {where})."
)


def expand_custom_objects(custom_objects) -> dict:
    """``custom_objects`` with each ``"package>Name"`` key also reachable as ``"Name"``, then
    ``get_custom_objects()`` and the active ``CustomObjectScope`` (later ones win, as in
    Keras's look-up)."""
    out = dict(custom_objects or {})
    for key, value in list(out.items()):
        if isinstance(key, str) and ">" in key:
            out.setdefault(key.split(">", 1)[1], value)
    return {**out, **get_custom_objects(), **scoped_objects()}


def reject_lambda(where, safe_mode, layer=False):
    """Keras's safe-mode error for a ``__lambda__`` config; outside safe mode, still an error."""
    if safe_mode:
        raise ValueError(_LAMBDA_LAYER_MESSAGE if layer else _LAMBDA_MESSAGE)
    raise ValueError(_NEVER_CODE.format(where=where))


def _not_found(config):
    module = config.get("module")
    if isinstance(module, str) and module.startswith("keras"):  # Keras's error class for these
        return ValueError(
            f"Could not deserialize '{module}.{config.get('class_name')}': tensorhouse has no "
            "such class (searched: custom_objects, registered classes, the built-in layers)."
        )
    return TypeError(
        f"Could not locate class '{config.get('class_name')}'. Make sure custom classes and "
        "functions are decorated with `@keras.saving.register_keras_serializable()`. If they "
        "are already decorated, make sure they are all imported so that the decorator is run "
        f"before trying to load them. Full object config: {config}"
    )


def _is_object(value) -> bool:
    return isinstance(value, dict) and "class_name" in value and "config" in value


def _accepted_keys(cls) -> set:
    """Keyword arguments ``cls(...)`` takes: its ``__init__`` and, through ``**kwargs``, its
    bases' (up to ``Layer``, which takes ``name``, ``dtype``, ``trainable`` and the shape
    keys)."""
    names: set = set()
    for klass in cls.__mro__:
        init = vars(klass).get("__init__")
        if init is None:
            continue
        if klass is object:
            break
        params = inspect.signature(init).parameters.values()
        names |= {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
        if klass is layers_module.Layer:
            names |= _LAYER_BASE_KEYS
            break
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            break
    return names - {"self"}


def _fit_call_kwargs(item, cls):
    """Drop the ``None`` call arguments Keras records (a nested model's ``mask=None``) that
    ``cls.call`` does not take."""
    nodes = item.get("inbound_nodes")
    if not isinstance(nodes, list) or not hasattr(cls, "call"):
        return
    params = inspect.signature(cls.call).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return
    fitted = []
    for node in nodes:
        kwargs = node.get("kwargs") if isinstance(node, dict) else None
        if isinstance(kwargs, dict):
            drop = [k for k, v in kwargs.items() if v is None and k not in params]
            node = {**node, "kwargs": {k: v for k, v in kwargs.items() if k not in drop}}
        fitted.append(node)
    item["inbound_nodes"] = fitted


def _is_off(key, value) -> bool:
    """Whether ``key: value`` is a Keras-only option left at its "off" value."""
    if key.endswith("_constraint"):
        return value is None
    return (
        key in _KERAS_ONLY and value == _KERAS_ONLY[key] and type(value) is type(_KERAS_ONLY[key])
    )


class _Normalizer:
    def __init__(self, custom_objects, safe_mode):
        self.custom = custom_objects
        self.safe_mode = safe_mode
        self.dropped: list = []  # (class name, key) pairs, for the report and the tests

    # ---- class lookup -------------------------------------------------------------------
    def _custom_class(self, config):
        for key in (config.get("registered_name"), config.get("class_name")):
            if isinstance(key, str) and key in self.custom:
                return self.custom[key]
        return None

    def layer_class(self, config):
        """The class a layer dict names: custom objects, registered classes, built-ins."""
        found = self._custom_class(config)
        if found is not None:
            return found, True
        for key in (config.get("class_name"), config.get("registered_name")):
            if not isinstance(key, str):
                continue
            try:
                cls = layers_module.get(key)
            except ValueError:
                continue
            if isinstance(cls, type):
                builtin = getattr(layers_module, cls.__name__, None) is cls
                return cls, not builtin
        raise _not_found(config)

    # ---- values -----------------------------------------------------------------------
    def value(self, value, where):
        """Dtype policies to names, bytecode refused, nested objects normalized."""
        if isinstance(value, list):
            return [self.value(v, where) for v in value]
        if not isinstance(value, dict):
            return value
        if _is_object(value):
            name = value["class_name"]
            if name == "__lambda__":
                reject_lambda(where, self.safe_mode)
            if name in _POLICIES and isinstance(value["config"], dict):
                return value["config"].get("name", "float32")
            module = str(value.get("module") or "")
            if module.startswith("keras.layers") or name in _MODELS:
                return self.layer(value)
            for prefix, table in (
                ("keras.initializers", initializers),
                ("keras.regularizers", regularizers),
            ):
                cls = getattr(table, name, None)
                if module.startswith(prefix) and isinstance(cls, type):
                    return self._object(value, cls, where)
        return {k: self.value(v, where) for k, v in value.items() if k != "shared_object_id"}

    def _object(self, item, cls, where, custom=False):
        """An object dict whose class is known: its config's keys fitted to ``cls``."""
        config = item.get("config")
        out = {k: v for k, v in item.items() if k != "shared_object_id"}
        if not isinstance(config, dict):
            return out
        config = {k: self.value(v, f"{where}.{k}") for k, v in config.items()}
        if not custom:
            accepted = _accepted_keys(cls)
            for key in [k for k in config if k not in accepted and _is_off(k, config[k])]:
                self.dropped.append((item["class_name"], key))
                del config[key]
            for key in [k for k in config if k in _KERAS_ONLY or k.endswith("_constraint")]:
                if key not in accepted and not _is_off(key, config[key]):
                    raise ValueError(
                        f"{item['class_name']} config from Keras sets {key}={config[key]!r}, "
                        f"which tensorhouse's {cls.__name__} does not support."
                    )
        out["config"] = config
        return out

    # ---- layers and models --------------------------------------------------------------
    def layer(self, item):
        """One layer's (or nested model's) dict, ready for ``deserialize_layer``."""
        if not _is_object(item):
            return item
        if layers_module.is_operation_config(item):  # a keras.ops node: checked on loading
            return {k: v for k, v in item.items() if k != "shared_object_id"}
        name = item["class_name"]
        custom = self._custom_class(item)
        if custom is None and name in _MODELS:
            return self._model(item)
        cls, is_custom = self.layer_class(item)
        if name == "Lambda" or (isinstance(cls, type) and cls.__name__ == "Lambda"):
            for key in ("function", "output_shape", "mask"):
                value = (item.get("config") or {}).get(key)
                if _is_object(value) and value["class_name"] == "__lambda__":
                    reject_lambda(f"layer {item['config'].get('name')!r}", self.safe_mode, True)
        if is_custom and name not in self.custom:
            self.custom[name] = cls  # registered under "package>Name": make it findable
        if is_custom and isinstance(cls, type):
            from .._model import Model

            if issubclass(cls, Model):  # a user's model: its own config, its own rules
                return self._model(item, custom=True)
        out = self._object(item, cls, f"layer {name}", custom=is_custom)
        if not is_custom:
            _fit_call_kwargs(out, cls)
        return out

    def _model(self, item, custom=False):
        out = {k: v for k, v in item.items() if k != "shared_object_id"}
        if not custom and item["class_name"] != "Sequential":
            from .._functional import Functional

            _fit_call_kwargs(out, Functional)
        elif not custom:
            from .._sequential import Sequential

            _fit_call_kwargs(out, Sequential)
        config = item.get("config") or {}
        if not isinstance(config, dict):
            raise ValueError(
                f"Could not deserialize the model {item['class_name']!r}: its config is not a "
                f"dict. Received: {config!r}"
            )
        config = dict(config)
        if isinstance(config.get("layers"), list):
            config["layers"] = [self.layer(layer) for layer in config["layers"]]
        for key, value in list(config.items()):
            if key != "layers":
                config[key] = self.value(value, f"model {item['class_name']}.{key}")
        out["config"] = config
        if not custom:
            out.pop("compile_config", None)
        return out


def normalize_model_config(config, custom_objects, safe_mode):
    """``(normalized config, custom objects, compile_config, [(class, dropped key), ...])`` for
    a model's dict from ``config.json``; its ``compile_config`` is left to the caller."""
    custom = expand_custom_objects(custom_objects)
    normalizer = _Normalizer(custom, safe_mode)
    if not _is_object(config):
        raise ValueError(
            f"Could not deserialize the model: config.json holds no model dict. Received: "
            f"{config!r}"
        )
    compile_config = config.get("compile_config")
    out = normalizer.layer(config)
    out.pop("compile_config", None)
    return out, custom, compile_config, normalizer.dropped
