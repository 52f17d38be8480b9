"""Legacy whole-model ``.h5`` files: the Keras 2 layout (TF 2.0-2.15) that Keras 3 still reads
and writes when a path ends in ``.h5`` / ``.hdf5``.

One HDF5 file:

* root attributes ``keras_version``, ``backend``, ``model_config`` (the model's
  ``{"class_name", "config"}`` as JSON) and, for a compiled model saved with its optimizer,
  ``training_config`` (``loss``, ``metrics``, ``weighted_metrics``, ``loss_weights`` and
  ``optimizer_config``, as JSON);
* group ``model_weights``: attribute ``layer_names`` (the model's layers in order), and per layer
  a group with attribute ``weight_names`` (trainable weights first, then the others) whose
  datasets sit at those names (``dense/kernel:0`` in Keras 2 files, the variable's path
  ``sequential/dense/kernel`` in Keras 3's); ``top_level_model_weights`` for weights the model
  holds itself;
* group ``optimizer_weights``: attribute ``weight_names``, the optimizer's variables in order.

Weights load by position: the n-th layer with weights in the model takes the n-th layer with
weights in the file (``by_name=True``: the layer of the same name), as Keras does. Attribute
lists longer than HDF5's 64 KiB header limit are split into ``name0``, ``name1``, ... as Keras
writes them. Loading reads JSON and numeric arrays only; Keras 2 configs (``batch_input_shape``,
nested-list ``inbound_nodes``, ``Custom>`` optimizer names) are converted to Keras 3's before any
object is made, and the safety checks of ``.keras`` files apply.
"""

from __future__ import annotations

import json
import os
import warnings

import h5py
import numpy as np

from . import _keras_file, _normalize, _weights_h5
from ._h5_store import _child, _safe_array

__all__ = ["is_legacy_h5", "load_legacy_model", "load_legacy_weights", "save_legacy_model"]

_ATTR_LIMIT = 64512  # bytes an HDF5 object header holds for attributes (Keras's figure)


# ---- attributes --------------------------------------------------------------------------------
def _save_attribute(group, name, values):
    """A list of strings as a bytes-array attribute, split into ``name0``, ``name1``, ... when it
    would not fit in an object header."""
    data = np.array([v.encode("utf8") for v in values], dtype=bytes) if values else np.array([])
    if data.nbytes <= _ATTR_LIMIT:
        group.attrs[name] = data
        return
    chunks = 1
    while True:
        parts = np.array_split(data, chunks)
        if all(p.nbytes <= _ATTR_LIMIT for p in parts):
            break
        chunks += 1
    for i, part in enumerate(parts):
        group.attrs[f"{name}{i}"] = part


def _text(value):
    return value.decode("utf8") if isinstance(value, bytes | np.bytes_) else str(value)


def _load_attribute(group, name, where):
    """A list-of-strings attribute (joined from ``name0``, ``name1``, ... when split)."""
    if name in group.attrs:
        raw = [group.attrs[name]]
    else:
        raw, i = [], 0
        while f"{name}{i}" in group.attrs:
            raw.append(group.attrs[f"{name}{i}"])
            i += 1
        if not raw:
            return []
    out = []
    for part in raw:
        part = np.asarray(part)
        if part.size and part.dtype.kind not in "SUO":
            raise ValueError(f"{where}: attribute {name!r} is not a list of names")
        out.extend(_text(v) for v in part.reshape(-1))
    return out


def _string_attr(attrs, name):
    value = attrs.get(name)
    return None if value is None else _text(value)


# ---- writing -----------------------------------------------------------------------------------
def _legacy_weights(layer):
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def _weight_name(variable):
    return getattr(variable, "path", None) or variable.name


def _write_weights(group, variables):
    _save_attribute(group, "weight_names", [_weight_name(v) for v in variables])
    for v in variables:
        value = np.asarray(v)
        group.create_dataset(_weight_name(v), data=value, shape=value.shape, dtype=value.dtype)


def _top_level_weights(model):
    inner = {id(w) for layer in model.layers for w in layer.weights}
    return [w for w in _legacy_weights(model) if id(w) not in inner]


def _training_config(model):
    config = _keras_file.compile_config(model)
    optimizer = config["optimizer"]
    return {
        "loss": config["loss"],
        "loss_weights": config["loss_weights"],
        "metrics": config["metrics"],
        "weighted_metrics": config["weighted_metrics"],
        "run_eagerly": config["run_eagerly"],
        "steps_per_execution": config["steps_per_execution"],
        "jit_compile": config["jit_compile"],
        "optimizer_config": {"class_name": optimizer["class_name"], "config": optimizer["config"]},
    }


def _write(model, path, include_optimizer):
    config = _keras_file.model_config(model)
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = _keras_file.KERAS_VERSION
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps({"class_name": config["class_name"],
                                              "config": config["config"]})  # fmt: skip
        weights = f.create_group("model_weights")
        weights.attrs["keras_version"] = _keras_file.KERAS_VERSION
        weights.attrs["backend"] = "tensorflow"
        _save_attribute(weights, "layer_names", [layer.name for layer in model.layers])
        for layer in model.layers:
            _write_weights(weights.create_group(layer.name), _legacy_weights(layer))
        _write_weights(weights.create_group("top_level_model_weights"), _top_level_weights(model))
        optimizer = getattr(model, "optimizer", None)
        if include_optimizer and getattr(model, "compiled", False) and optimizer is not None:
            f.attrs["training_config"] = json.dumps(_training_config(model))
            if optimizer.built and optimizer.variables:
                _write_weights(f.create_group("optimizer_weights"), list(optimizer.variables))


def save_legacy_model(model, filepath, include_optimizer=True):
    """Write ``model`` as a legacy ``.h5`` file (atomically: a temporary file renamed in place)."""
    if not model.built:
        raise ValueError(
            "You are saving a model that has not yet been built. Try building the model first "
            "by calling it on some data or by using `build()`."
        )
    _weights_h5.write_atomically(filepath, lambda path: _write(model, path, include_optimizer))


# ---- Keras 2 configs -----------------------------------------------------------------------
_MODEL_CLASSES = ("Functional", "Model", "Sequential")
# Keras 2 layer keys that Keras 3 dropped, with the value that changes nothing.
_KERAS2_ONLY = {
    "Embedding": {"input_length": None},
    "LSTM": {"time_major": False},
    "GRU": {"time_major": False},
    "SimpleRNN": {"time_major": False},
}


def _legacy_node(node):
    """Keras 2's ``[[layer, node, tensor, kwargs], ...]`` as Keras 3's ``{"args", "kwargs"}``."""
    tensors, kwargs = [], {}
    for entry in node:
        if not isinstance(entry, list) or len(entry) not in (3, 4):
            raise ValueError(f"Cannot deserialize the model: invalid inbound node {entry!r}")
        history = {"keras_history": [entry[0], entry[1], entry[2]]}
        tensors.append({"class_name": "__keras_tensor__", "config": history})
        if len(entry) == 4:
            kwargs = dict(entry[3] or {})
    return {"args": [tensors[0] if len(tensors) == 1 else tensors], "kwargs": kwargs}


def _keras2_layer(item):
    """One layer's dict converted in place from Keras 2's conventions (nested models too)."""
    if not isinstance(item, dict) or not isinstance(item.get("config"), dict):
        return item
    name, config = item.get("class_name"), item["config"]
    shape = config.pop("batch_input_shape", None)
    if shape is not None:
        if name == "InputLayer":
            config.setdefault("batch_shape", shape)
        else:
            config.setdefault("input_shape", list(shape[1:]))
            if shape[0] is not None:
                config.setdefault("batch_size", shape[0])
    for key, off in _KERAS2_ONLY.get(name, {}).items():
        if key in config and config[key] == off:
            del config[key]
    if name == "BatchNormalization" and isinstance(config.get("axis"), list):
        if len(config["axis"]) == 1:
            config["axis"] = config["axis"][0]
    dtype = config.get("dtype")
    if isinstance(dtype, dict) and dtype.get("class_name") == "Policy":
        config["dtype"] = dtype.get("config", {}).get("name")
    nodes = item.get("inbound_nodes")
    if isinstance(nodes, list):
        item["inbound_nodes"] = [_legacy_node(n) if isinstance(n, list) else n for n in nodes]
    if name in _MODEL_CLASSES or "layers" in config:
        for layer in config.get("layers") or []:
            _keras2_layer(layer)
    inner = config.get("layer")  # wrappers: TimeDistributed, Bidirectional
    if isinstance(inner, dict):
        _keras2_layer(inner)
    return item


def _keras2_object(value):
    """A Keras 2 optimizer / loss / metric dict as Keras 3 names it."""
    if isinstance(value, list):
        return [_keras2_object(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "class_name" in value and isinstance(value.get("config"), dict):
        name = value["class_name"]
        if isinstance(name, str) and name.startswith("Custom>"):
            name = name[len("Custom>") :]
        config = dict(value["config"])
        if name == "MeanMetricWrapper" and isinstance(config.get("fn"), str):
            return config["fn"]  # Keras 2's wrapper of a metric function: the function
        for key in ("is_legacy_optimizer", "jit_compile", "decay"):
            if key == "decay" and config.get(key) not in (None, 0, 0.0):
                continue
            config.pop(key, None)
        return {"class_name": name, "config": config}
    return {k: _keras2_object(v) for k, v in value.items()}


def _single_output(model, metrics):
    """Keras 2 wrote a single-output model's metrics as a list of one list."""
    outputs = getattr(model, "outputs", None) or [None]
    if isinstance(metrics, list) and len(metrics) == 1 and isinstance(metrics[0], list):
        if len(outputs) == 1:
            return metrics[0]
    return metrics


# ---- reading -----------------------------------------------------------------------------------
def is_legacy_h5(filepath) -> bool:
    return str(filepath).endswith((".h5", ".hdf5")) and not str(filepath).endswith(".weights.h5")


def _group(parent, name, where):
    if name not in parent:
        raise ValueError(f"{where}: no group {name!r}")
    try:
        return _child(parent, name, h5py.Group)  # hard links only, as the weights files
    except ValueError as e:
        raise ValueError(f"{where}: group {name!r}: {e}") from None


def _dataset(group, name, where):
    """The weight at ``name`` (``dense/kernel:0``), read with the ``.weights.h5`` files' checks:
    hard links only, plain numeric data stored in the file, no decompression bombs."""
    *folders, last = [part for part in name.split("/") if part] or [""]
    try:
        for part in folders:
            if part not in group:
                raise ValueError("the file has no such weight")
            group = _child(group, part, h5py.Group)
        if last not in group:
            raise ValueError("the file has no such weight")
        return _safe_array(group, last)
    except ValueError as e:
        raise ValueError(f"{where}: weight {name!r}: {e}") from None


def _values(group, where):
    return [_dataset(group, n, where) for n in _load_attribute(group, "weight_names", where)]


def _set_weights(variables, values, name, skip_mismatch):
    for variable, value in zip(variables, values):
        expected = tuple(variable.shape)
        if tuple(value.shape) != expected:
            message = (
                f"Shape mismatch in {name} for weight {_weight_name(variable)}. Weight expects "
                f"shape {expected}. Received saved weight with shape {tuple(value.shape)}"
            )
            if skip_mismatch:
                warnings.warn(f"Skipping loading weights: {message}", stacklevel=3)
                continue
            raise ValueError(message)
        variable.assign(value.astype(np.dtype(variable.dtype.as_numpy_dtype), copy=False))


def _load_by_position(group, model, skip_mismatch, where):
    layers = [layer for layer in model.layers if _legacy_weights(layer)]
    names = [
        n
        for n in _load_attribute(group, "layer_names", where)
        if _load_attribute(_group(group, n, where), "weight_names", where)
    ]
    if len(names) != len(layers):
        raise ValueError(
            f"Layer count mismatch when loading weights from file. Model expected "
            f"{len(layers)} layers, found {len(names)} saved layers."
        )
    for k, (name, layer) in enumerate(zip(names, layers)):
        variables = _legacy_weights(layer)
        values = _values(_group(group, name, where), where)
        if len(values) != len(variables):
            raise ValueError(
                f"Weight count mismatch for layer #{k} (named {layer.name} in the current model, "
                f"{name} in the save file). Layer expects {len(variables)} weight(s). Received "
                f"{len(values)} saved weight(s)"
            )
        _set_weights(variables, values, f"layer #{k} (named {layer.name})", skip_mismatch)
    if "top_level_model_weights" in group:
        variables = _top_level_weights(model)
        values = _values(_group(group, "top_level_model_weights", where), where)
        if len(values) != len(variables):
            raise ValueError(
                f"Weight count mismatch for top-level weights when loading weights from file. "
                f"Model expects {len(variables)} top-level weight(s). Received {len(values)} "
                "saved top-level weight(s)"
            )
        _set_weights(variables, values, "top-level weights", skip_mismatch)


def _load_by_name(group, model, skip_mismatch, where):
    index = {}
    for layer in model.layers:
        index.setdefault(layer.name, []).append(layer)
    for k, name in enumerate(_load_attribute(group, "layer_names", where)):
        values = _values(_group(group, name, where), where)
        for layer in index.get(name, []):
            variables = _legacy_weights(layer)
            if len(values) != len(variables):
                message = (
                    f"Weight count mismatch for layer #{k} (named {layer.name}). Layer expects "
                    f"{len(variables)} weight(s). Received {len(values)} saved weight(s)"
                )
                if skip_mismatch:
                    warnings.warn(f"Skipping loading weights: {message}", stacklevel=3)
                    continue
                raise ValueError(message)
            _set_weights(variables, values, f"layer #{k} (named {layer.name})", skip_mismatch)


def _open(filepath):
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"[Errno 2] No such file or directory: {str(filepath)!r}")
    try:
        return h5py.File(filepath, "r")
    except OSError as e:
        raise ValueError(f"{filepath}: not a readable HDF5 file ({e})") from None


def load_legacy_weights(model, filepath, skip_mismatch=False, by_name=False):
    """``model.load_weights`` from a legacy ``.h5`` file (a whole-model file or a weights-only
    one): by layer order, or ``by_name``."""
    if not model.built:
        raise ValueError(
            "You are loading weights into a model that has not yet been built. Try building "
            "the model first by calling it on some data or by using `build()`."
        )
    where = str(filepath)
    with _open(filepath) as f:
        group = f
        if "layer_names" not in f.attrs and "layer_names0" not in f.attrs and "model_weights" in f:
            group = _group(f, "model_weights", where)
        if by_name:
            _load_by_name(group, model, skip_mismatch, where)
        else:
            _load_by_position(group, model, skip_mismatch, where)


def _json_attr(f, name, where):
    text = _string_attr(f.attrs, name)
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as e:
        raise ValueError(f"{where}: attribute {name!r} is not valid JSON ({e})") from None


def _restore_optimizer(model, f, where):
    optimizer = model.optimizer
    try:
        if not optimizer.built:
            optimizer.build(model.trainable_variables)
        values = _values(_group(f, "optimizer_weights", where), where)
        variables = list(optimizer.variables)
        if len(values) != len(variables):
            raise ValueError(f"{len(variables)} optimizer variables, {len(values)} saved")
        _set_weights(variables, values, "the optimizer", False)
    except ValueError as e:
        warnings.warn(
            f"Error in loading the saved optimizer state ({e}). As a result, your model is "
            "starting with a freshly initialized optimizer.",
            stacklevel=4,
        )


def load_legacy_model(filepath, custom_objects=None, compile=True, safe_mode=True):  # noqa: A002
    """A model from a legacy ``.h5`` file written by Keras 2 (TF 2.x) or by Keras 3."""
    where = str(filepath)
    with _open(filepath) as f:
        try:
            return _read_legacy_model(f, where, custom_objects, compile, safe_mode)
        except (RuntimeError, KeyError, UnicodeDecodeError) as e:  # h5py's, damaged metadata
            raise ValueError(f"{where}: damaged HDF5 file ({type(e).__name__}: {e})") from None


def _read_legacy_model(f, where, custom_objects, compile, safe_mode):  # noqa: A002
    config = _json_attr(f, "model_config", where)
    if config is None:
        raise ValueError(f"No model config found in the file at {where}.")
    if not isinstance(config, dict):
        raise ValueError(f"{where}: the model config is not a dict")
    if "__lambda__" in json.dumps(config):
        _normalize.reject_lambda(f"{where} model_config", safe_mode)
    config = _keras2_layer(config)
    model = _keras_file.model_from_config_json(
        json.dumps(config), custom_objects, compile_model=False, safe_mode=safe_mode
    )
    _load_by_position(_group(f, "model_weights", where), model, False, where)
    if not compile:
        return model
    training = _json_attr(f, "training_config", where)
    if training is None:
        warnings.warn(
            "No training configuration found in the save file, so the model was *not* "
            "compiled. Compile it manually.",
            stacklevel=3,
        )
        return model
    if not isinstance(training, dict):
        raise ValueError(f"{where}: the training config is not a dict")
    compile_config = {
        "optimizer": _keras2_object(training.get("optimizer_config")),
        "loss": _keras2_object(training.get("loss")),
        "loss_weights": training.get("loss_weights"),
        "metrics": _single_output(model, _keras2_object(training.get("metrics"))),
        "weighted_metrics": _keras2_object(training.get("weighted_metrics")),
    }
    custom = _normalize.expand_custom_objects(custom_objects)
    _keras_file._compile_from_config(model, compile_config, custom, safe_mode)
    if "optimizer_weights" in f:
        _restore_optimizer(model, f, where)
    return model
