"""``save_model`` / ``load_model``: Keras 3.15's whole-model ``.keras`` files.

A ``.keras`` file is a zip archive of three stored (uncompressed) members: ``metadata.json``
(``keras_version``, ``date_saved``), ``config.json`` (the model's serialized dict with its
``build_config`` and ``compile_config``) and ``model.weights.h5`` (the ``.weights.h5`` layout
of ``_weights_h5``), and ``assets/<object path>/...``: the files objects write with
``save_assets`` (a lookup layer's adapted vocabulary), read back with ``load_assets`` after the
weights. With ``zipped=False`` the same files go into a directory.

Loading reads only JSON and numeric arrays: classes come from ``custom_objects``, the classes
registered with ``register_serializable`` and the components' tables (see ``_normalize``), and
no Python bytecode in a file is ever run.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import os
import tempfile
import warnings
import zipfile
import zlib

import h5py

from tensorhouse_components import layers as layers_module
from tensorhouse_components import losses as losses_module
from tensorhouse_components import metrics as metrics_module
from tensorhouse_components import optimizers as optimizers_module

from .._file_utils import inside
from . import _normalize, _registry, _weights_h5
from ._h5_store import H5Reader, H5Writer
from ._zip_member import copy_into_zip, open_member

__all__ = ["load_model", "save_model"]

KERAS_VERSION = "3.15.1"  # the Keras release whose format these files follow
_CONFIG = "config.json"
_METADATA = "metadata.json"
_WEIGHTS = "model.weights.h5"
_ASSETS = "assets"
_BOMB_FLOOR_BYTES = 1 << 32
_MAX_EXPANSION = 100


# ---- writing -------------------------------------------------------------------------------
def _function_config(fn):
    """Keras's dict for a plain function (a loss or metric given as a function)."""
    return {
        "module": "builtins",
        "class_name": "function",
        "config": fn.__name__,
        "registered_name": "function",
    }


def _serialize_compile_item(value, kind):
    """A loss, metric or structure of them, as Keras writes them in ``compile_config``."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, dict):
        return {k: _serialize_compile_item(v, kind) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_serialize_compile_item(v, kind) for v in value]
    if isinstance(value, losses_module.Loss):
        return losses_module.serialize(value)
    if isinstance(value, metrics_module.Metric):
        return metrics_module.serialize(value)
    if callable(value) and hasattr(value, "__name__"):
        if value.__name__ == "<lambda>":
            raise ValueError(f"Cannot save a model compiled with a lambda {kind}: {value!r}")
        return _function_config(value)
    raise ValueError(f"Cannot serialize the compiled {kind}: {value!r}")


def compile_config(model) -> dict:
    """Keras's ``compile_config``: the arguments ``compile`` was given, serialized ({} when the
    model is not compiled)."""
    if not getattr(model, "compiled", False):
        return {}
    loss = getattr(model, "_compile_loss", None)
    metrics = getattr(model, "_compile_metrics", None)
    return {
        "optimizer": optimizers_module.serialize(model.optimizer),
        "loss": _serialize_compile_item(model.loss, "loss"),
        "loss_weights": _serialize_compile_item(
            None if loss is None else loss._weights_config, "loss weight"
        ),
        "metrics": _serialize_compile_item(None if metrics is None else metrics._config, "metric"),
        "weighted_metrics": _serialize_compile_item(
            None if metrics is None else metrics._weighted_config, "metric"
        ),
        "run_eagerly": bool(model.run_eagerly),
        "steps_per_execution": int(getattr(model, "_steps_per_execution", 1)),
        "jit_compile": bool(model.jit_compile),
    }


def _user_classes(model) -> dict:
    """``{class name: class}`` for the model's layers (itself included) whose classes are not
    the library's own."""
    from .._functional import Functional
    from .._model import Model
    from .._sequential import Sequential

    found, seen, stack = {}, set(), [model]
    while stack:
        layer = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        cls = type(layer)
        own = getattr(layers_module, cls.__name__, None) is cls or "_keras_module" in vars(cls)
        if not own and cls not in (Functional, Model, Sequential):
            found.setdefault(cls.__name__, cls)
        stack.extend(_weights_h5._sublayers(layer))
        stack.extend(getattr(layer, "layers", None) or [])
    return found


def _mark_user_classes(value, classes):
    """Name user classes as Keras does: ``module`` None (or the class's module) and
    ``registered_name`` ``"package>Name"`` when registered, else the class name."""
    if isinstance(value, list):
        for item in value:
            _mark_user_classes(item, classes)
    elif isinstance(value, dict):
        cls = classes.get(value.get("class_name"))
        if cls is not None and "config" in value and value.get("registered_name") is None:
            value["module"] = None if cls.__module__ == "__main__" else cls.__module__
            value["registered_name"] = _registry.registered_name(cls) or cls.__name__
        for item in value.values():
            _mark_user_classes(item, classes)


def model_config(model) -> dict:
    """The model's dict as ``config.json`` holds it (Keras's key order)."""
    from .._model import serialize_layer

    serialized = serialize_layer(model)
    _mark_user_classes(serialized, _user_classes(model))
    out = {k: serialized[k] for k in ("module", "class_name", "config", "registered_name")}
    if "build_config" in serialized:
        out["build_config"] = serialized["build_config"]
    out["compile_config"] = compile_config(model)
    return out


def _json_files(model):
    config = json.dumps(model_config(model))
    metadata = json.dumps(
        {
            "keras_version": KERAS_VERSION,
            "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
        }
    )
    return config, metadata


def _write_weights_file(model, path):
    """``model.weights.h5`` written straight to ``path`` (values streamed one at a time)."""
    with h5py.File(path, "w") as f:
        _weights_h5._save_state(model, H5Writer(f), "", set())


def _save_assets(model, root):
    """Let each object with ``save_assets`` write its files into ``root/<its path>`` (Keras's
    ``assets`` layout: ``assets/layers/string_lookup/vocabulary.txt``)."""
    for path, obj in _weights_h5.objects_with_paths(model):
        save = getattr(obj, "save_assets", None)
        if callable(save):
            folder = os.path.join(root, path) if path else root
            os.makedirs(folder, exist_ok=True)
            save(folder)


def _asset_files(root):
    for folder, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            full = os.path.join(folder, name)
            yield full, os.path.relpath(full, root).replace(os.sep, "/")


def _load_assets(model, root):
    """``load_assets`` on each object whose folder ``root/<its path>`` exists."""
    for path, obj in _weights_h5.objects_with_paths(model):
        load = getattr(obj, "load_assets", None)
        folder = os.path.join(root, path) if path else root
        if callable(load) and os.path.isdir(folder):
            load(folder)


def _extract_assets(archive, target):
    """The archive's ``assets/`` members, unpacked under ``target``; names that would leave it
    (absolute, ``..``) are refused."""
    found = False
    for name in archive.namelist():
        if not name.startswith(_ASSETS + "/") or name.endswith("/"):
            continue
        dest = os.path.realpath(os.path.join(target, name[len(_ASSETS) + 1 :]))
        if not inside(target, dest):
            raise ValueError(f"The archive's asset {name!r} points outside its folder")
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "wb") as f:
            f.write(_read_member(archive, name))
        found = True
    return found


def _write_zip(model, fileobj, scratch=None):
    """The archive into ``fileobj``; the weights go through a file in a new temporary folder
    under ``scratch`` (the target's folder) and are streamed into the archive from there, so
    they are never held in memory."""
    config, metadata = _json_files(model)
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        weights = os.path.join(tmp, _WEIGHTS)
        _write_weights_file(model, weights)
        with zipfile.ZipFile(fileobj, "w") as zf:
            zf.writestr(zipfile.ZipInfo(_METADATA), metadata.encode())
            zf.writestr(zipfile.ZipInfo(_CONFIG), config.encode())
            copy_into_zip(zf, _WEIGHTS, weights)
            os.remove(weights)
            _write_assets(model, zf)


def _write_assets(model, zf):
    with tempfile.TemporaryDirectory() as assets:
        _save_assets(model, assets)
        for full, rel in _asset_files(assets):
            zf.write(full, f"{_ASSETS}/{rel}")


def _write_zip_file(model, path):
    with open(path, "wb") as f:
        _write_zip(model, f, scratch=os.path.dirname(os.path.abspath(path)))


def _write_directory(model, dirpath):
    config, metadata = _json_files(model)
    os.makedirs(os.path.join(dirpath, _ASSETS), exist_ok=True)  # Keras makes it, empty or not
    _save_assets(model, os.path.join(dirpath, _ASSETS))
    write = _weights_h5.write_atomically
    for name, data in ((_METADATA, metadata.encode()), (_CONFIG, config.encode())):
        write(os.path.join(dirpath, name), lambda path, d=data: _write_bytes(path, d))
    write(os.path.join(dirpath, _WEIGHTS), lambda path: _write_weights_file(model, path))


def _write_bytes(path, data):
    with open(path, "wb") as f:
        f.write(data)


def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    """Save ``model`` (config, weights, optimizer state) as a Keras 3 ``.keras`` file.

    The archive is written next to its target under a temporary name and renamed into place,
    so an interrupted save leaves the previous file whole.
    """
    include_optimizer = kwargs.pop("include_optimizer", True)
    save_format = kwargs.pop("save_format", False)
    if save_format:
        if str(filepath).endswith((".h5", ".hdf5", ".keras")):
            warnings.warn(
                "The `save_format` argument is deprecated in Keras 3. We recommend removing "
                "this argument as it can be inferred from the file path. Received: "
                f"save_format={save_format}",
                stacklevel=2,
            )
        else:
            raise ValueError(
                "The `save_format` argument is deprecated in Keras 3. Please remove this "
                "argument and pass a file path with either `.keras` or `.h5` extension."
                f"Received: save_format={save_format}"
            )
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {list(kwargs.keys())}")
    if isinstance(filepath, io.IOBase):
        _warn_unbuilt(model)
        _write_zip(model, filepath)
        return
    filepath = os.fspath(filepath)
    name = str(filepath)
    zipped = True if zipped is None else zipped
    if zipped and not name.endswith((".keras", ".h5", ".hdf5")):
        raise ValueError(
            "Invalid filepath extension for saving. Please add either a `.keras` extension for "
            "the native Keras format (recommended) or a `.h5` extension. Use "
            "`model.export(filepath)` if you want to export a SavedModel for use with "
            f"TFLite/TFServing/etc. Received: filepath={filepath}."
        )
    if not zipped and name.endswith(".keras"):
        raise ValueError(
            "When using `zipped=False`, the `filepath` argument should not end in `.keras`. "
            f"Received: filepath={filepath}"
        )
    if os.path.exists(filepath) and not overwrite and not _weights_h5._ask_to_overwrite(filepath):
        return
    if name.endswith((".h5", ".hdf5")) and zipped:
        warnings.warn(
            "You are saving your model as an HDF5 file via `model.save()` or "
            "`keras.saving.save_model(model)`. This file format is considered legacy. We "
            "recommend using instead the native Keras format, e.g. "
            "`model.save('my_model.keras')` or `keras.saving.save_model(model, "
            "'my_model.keras')`. ",
            stacklevel=2,
        )
        from ._legacy_h5 import save_legacy_model

        save_legacy_model(model, filepath, include_optimizer=include_optimizer)
        return
    _warn_unbuilt(model)
    if zipped:
        _weights_h5.write_atomically(filepath, lambda path: _write_zip_file(model, path))
    else:
        _write_directory(model, filepath)


def _warn_unbuilt(model):
    if not model.built:
        warnings.warn(
            "You are saving a model that has not yet been built. It might not contain any "
            "weights yet. Consider building the model first by calling it on some data.",
            stacklevel=3,
        )


# ---- reading -------------------------------------------------------------------------------
def _reject_bomb(archive, name):
    info = archive.getinfo(name)
    if info.file_size > _BOMB_FLOOR_BYTES and info.file_size > _MAX_EXPANSION * info.compress_size:
        raise ValueError(
            f"Not allowed: ZIP member '{name}' declares {info.file_size} bytes but only "
            f"{info.compress_size} are stored on disk; refusing to load a potential "
            "decompression bomb."
        )


def _read_member(archive, name) -> bytes:
    if name not in archive.namelist():
        raise ValueError(
            f"{archive.filename or 'the archive'}: not a Keras 3 `.keras` file: the archive "
            f"has no {name!r} (it holds: {sorted(archive.namelist())})"
        )
    _reject_bomb(archive, name)
    try:
        with archive.open(name, "r") as f:
            return f.read()
    except (zipfile.BadZipFile, NotImplementedError, EOFError, zlib.error) as e:
        # a damaged member (bad CRC, unknown compression, truncated data)
        raise ValueError(
            f"{archive.filename or 'the archive'}: cannot read {name!r} ({type(e).__name__}: {e})"
        ) from None


def _deserialize_compile_item(value, kind, custom):
    """A loss or metric (or a structure of them) from ``compile_config``."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return [_deserialize_compile_item(v, kind, custom) for v in value]
    if isinstance(value, dict) and "class_name" in value and "config" in value:
        if value["class_name"] == "__lambda__":
            _normalize.reject_lambda(f"compile_config {kind}", True)
        if value["class_name"] == "function":
            name = value["config"]
            if isinstance(name, str) and name in custom:
                return custom[name]
            if kind == "loss":
                return losses_module.deserialize(name, custom)
            return metrics_module.deserialize(name, custom)
        if kind == "loss":
            return losses_module.deserialize(value, custom)
        return metrics_module.deserialize(value, custom)
    if isinstance(value, dict):
        return {k: _deserialize_compile_item(v, kind, custom) for k, v in value.items()}
    raise ValueError(f"Could not deserialize the compiled {kind}: {value!r}")


def _compile_from_config(model, config, custom, safe_mode):
    """``model.compile(...)`` with the saved arguments; the optimizer is built at once so the
    weights file can fill its state."""
    if not isinstance(config, dict):
        raise ValueError(f"Could not deserialize compile_config: it is not a dict: {config!r}")
    if "__lambda__" in json.dumps(config):
        _normalize.reject_lambda("compile_config", safe_mode)
    optimizer = config.get("optimizer")
    if isinstance(optimizer, dict):
        optimizer = optimizers_module.deserialize(optimizer, custom)
    model.compile(
        optimizer=optimizer if optimizer is not None else "rmsprop",
        loss=_deserialize_compile_item(config.get("loss"), "loss", custom),
        loss_weights=config.get("loss_weights"),
        metrics=_deserialize_compile_item(config.get("metrics"), "metric", custom),
        weighted_metrics=_deserialize_compile_item(
            config.get("weighted_metrics"), "metric", custom
        ),
        run_eagerly=bool(config.get("run_eagerly", False)),
        steps_per_execution=int(config.get("steps_per_execution", 1) or 1),
        jit_compile=config.get("jit_compile", "auto"),
    )
    if model.built and model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)


def model_from_config_json(config_json, custom_objects=None, compile_model=True, safe_mode=True):
    """The model (fresh weights) from ``config.json``'s text, compiled when asked."""
    try:
        config = json.loads(config_json)
    except ValueError as e:  # JSONDecodeError, UnicodeDecodeError
        raise ValueError(f"{_CONFIG} is not valid JSON ({type(e).__name__}: {e})") from None
    return model_from_config(config, custom_objects, compile_model, safe_mode)


def model_from_config(config, custom_objects=None, compile_model=True, safe_mode=True):
    """A layer or model (fresh weights) from its dict, built from its ``build_config`` and
    compiled from its ``compile_config`` when asked."""
    from .._model import deserialize_layer

    normalized, custom, compile_cfg, _ = _normalize.normalize_model_config(
        config, custom_objects, safe_mode
    )
    model = deserialize_layer(normalized, custom)
    build_config = normalized.get("build_config")
    if not model.built and build_config and build_config.get("input_shape") is not None:
        model.build_from_config(build_config)
    if compile_model and compile_cfg:
        _compile_from_config(model, compile_cfg, custom, safe_mode)
    return model


def _load_weights_from(model, h5_file):
    state = _weights_h5._Loading(H5Reader(h5_file))
    _weights_h5._load_state(model, state, "")
    if state.failed:
        raise ValueError(_weights_h5._loading_failure(state.failed))


@contextlib.contextmanager
def weights_member(filepath):
    """The ``model.weights.h5`` of a ``.keras`` archive as a file object, read in place
    (``Model.load_weights``)."""
    with open(filepath, "rb") as raw, _open_zip(raw, filepath) as zf:
        with _open_weights(zf, raw) as member:
            yield member


def _open_zip(raw, where) -> zipfile.ZipFile:
    """The archive in ``raw``; a damaged directory, or one that claims a zip feature zipfile
    lacks ("zip file version 23.5"), is a ValueError naming the file, as any other damage."""
    try:
        return zipfile.ZipFile(raw, "r")
    except (NotImplementedError, zipfile.BadZipFile) as e:
        raise ValueError(f"{where}: cannot read the archive ({type(e).__name__}: {e})") from None


def _open_weights(zf, raw):
    """The archive's weights member, opened in place (``zf`` reads the open file ``raw``)."""
    if _WEIGHTS not in zf.namelist():
        raise ValueError(f"Expected a {_WEIGHTS} or model.weights.npz file.")
    _reject_bomb(zf, _WEIGHTS)
    return open_member(zf, _WEIGHTS, raw)


def _load_zip(filepath, custom_objects, compile_model, safe_mode):
    with contextlib.ExitStack() as stack:
        raw = filepath if isinstance(filepath, io.IOBase) else open(filepath, "rb")
        if raw is not filepath:
            stack.enter_context(raw)
        zf = stack.enter_context(_open_zip(raw, filepath))
        model = model_from_config_json(
            _read_member(zf, _CONFIG), custom_objects, compile_model, safe_mode
        )
        with _open_weights(zf, raw) as weights, h5py.File(weights, "r") as f:
            _load_weights_from(model, f)
        with tempfile.TemporaryDirectory() as assets:
            if _extract_assets(zf, assets):
                _load_assets(model, assets)
    return model


def _load_directory(dirpath, custom_objects, compile_model, safe_mode):
    with open(os.path.join(dirpath, _CONFIG)) as f:
        model = model_from_config_json(f.read(), custom_objects, compile_model, safe_mode)
    weights = os.path.join(dirpath, _WEIGHTS)
    if not os.path.isfile(weights):
        raise ValueError(f"Expected a {_WEIGHTS} or model.weights.npz file.")
    with h5py.File(weights, "r") as f:
        _load_weights_from(model, f)
    if os.path.isdir(os.path.join(dirpath, _ASSETS)):
        _load_assets(model, os.path.join(dirpath, _ASSETS))
    return model


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):  # noqa: A002
    """A model from a Keras 3 ``.keras`` file (or a ``zipped=False`` directory): its config,
    weights and, with ``compile=True``, its compiled optimizer (state included), loss and
    metrics. ``custom_objects`` names classes and functions the config refers to."""
    if isinstance(filepath, io.IOBase):
        return _load_zip(filepath, custom_objects, compile, safe_mode)
    filepath = os.fspath(filepath)
    name = str(filepath)
    if name.endswith(".keras") and os.path.isfile(filepath) and zipfile.is_zipfile(filepath):
        return _load_zip(filepath, custom_objects, compile, safe_mode)
    if os.path.isdir(filepath) and os.path.isfile(os.path.join(filepath, _CONFIG)):
        return _load_directory(filepath, custom_objects, compile, safe_mode)
    if name.endswith((".h5", ".hdf5")):
        from ._legacy_h5 import load_legacy_model

        return load_legacy_model(filepath, custom_objects, compile, safe_mode)
    if name.endswith(".keras"):
        raise ValueError(
            f"File not found: filepath={filepath}. Please ensure the file is an accessible "
            "`.keras` zip file."
        )
    raise ValueError(
        f"File format not supported: filepath={filepath}. Keras 3 only supports V3 `.keras` "
        "files, legacy H5 format files (`.h5` extension). Note that the legacy SavedModel "
        "format is not supported by `load_model()` in Keras 3. In order to reload a TensorFlow "
        "SavedModel as an inference-only layer in Keras 3, use "
        f"`keras.layers.TFSMLayer({filepath}, call_endpoint='serving_default')` (note that "
        "your `call_endpoint` might have a different name)."
    )
