"""``tf.saved_model.save`` / ``load`` and Keras 3's ``model.export``: traced graphs and
variables on disk, loaded back as callables without the Python code that defined them.

A SavedModel directory holds ``saved_model.json`` (the object tree, the functions' graphs as
``ops.graph_io`` data and the signatures), ``graph_tensors.bin`` (the graphs' constant tensors)
and ``variables/variables.index`` + ``variables.data-00000-of-00001`` (a TF tensor bundle, one
key per variable). The format is described in the models README. Loading reads JSON and
numeric arrays only: nothing in the directory is executed, imported or unpickled.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Mapping

import numpy as np

from tensorhouse_components import layers as layers_module
from tensorhouse_components import ops
from tensorhouse_components.ops import errors

from ._tensor_bundle import BundleReader, write_bundle

__all__ = ["export_model", "load", "save"]

FORMAT = "tensorhouse.saved_model"
VERSION = 1
MODEL_FILE = "saved_model.json"
TENSORS_FILE = "graph_tensors.bin"
VARIABLES_DIR = "variables"
_gio = ops.graph_io


# --------------------------------------------------------------------------- saving


class _Saver:
    def __init__(self):
        self.variables = []  # in index order
        self.var_ids = {}
        self.functions = []
        self.function_ids = {}
        self.store = _gio.TensorStore()

    def variable(self, v):
        key = id(v)
        if key not in self.var_ids:
            self.var_ids[key] = len(self.variables)
            self.variables.append(v)
        return self.var_ids[key]

    def function(self, fn):
        """Index of a tf.function / ConcreteFunction (None when it was never traced)."""
        key = id(fn)
        if key in self.function_ids:
            return self.function_ids[key]
        if not _gio.concrete_functions(fn):
            return None  # TF skips a function that was never traced
        for v in _gio.function_variables(fn):
            self.variable(v)
        self.function_ids[key] = len(self.functions)
        self.functions.append(fn)
        return self.function_ids[key]


def _is_function(x) -> bool:
    return isinstance(x, ops.Function | ops.ConcreteFunction)


def _module_functions(obj) -> dict:
    """The tf.function attributes of ``obj``: methods of its class (bound) and its own (a
    Keras layer's own, such as a model's ``train_function``, are not saved)."""
    found = {}
    for cls in reversed(type(obj).__mro__):
        for name, value in vars(cls).items():
            if isinstance(value, ops.Function):
                found[name] = getattr(obj, name)
    if isinstance(obj, layers_module.Layer):
        return found
    for name, value in vars(obj).items():
        if _is_function(value):
            found[name] = value
    return found


class _Walker:
    def __init__(self, saver):
        self.saver = saver
        self.objects = []  # node dicts; an object's index is its position (the root is 0)
        self.index = {}

    def value(self, x):
        """An attribute value as JSON, or None when it is not saved."""
        if isinstance(x, ops.Variable):
            return {"variable": self.saver.variable(x)}
        if _is_function(x):
            i = self.saver.function(x)
            return None if i is None else {"function": i}
        if isinstance(x, ops.Module | layers_module.Layer):
            return {"object": self.node(x)}
        if isinstance(x, list | tuple):
            items = [self.value(v) for v in x]
            if any(v is not None for v in items):
                return {"list": [v for v in items if v is not None]}
        if isinstance(x, dict) and all(isinstance(k, str) for k in x):
            items = {k: self.value(v) for k, v in x.items()}
            items = {k: v for k, v in items.items() if v is not None}
            if items:
                return {"dict": items}
        return None

    def node(self, obj):
        """The index of ``obj``'s node (an object reachable twice is saved once)."""
        if id(obj) in self.index:
            return self.index[id(obj)]
        self.index[id(obj)] = len(self.objects)
        attrs = {}
        self.objects.append({"class_name": type(obj).__name__, "attributes": attrs})
        if isinstance(obj, layers_module.Layer):
            for name in ("variables", "trainable_variables", "non_trainable_variables"):
                attrs[name] = {"list": [self.value(v) for v in getattr(obj, name)]}
        else:
            for name, x in vars(obj).items():
                if name in ("_name", "_scope_name", "_tf_function_cache"):
                    continue
                v = self.value(x)
                if v is not None:
                    attrs[name] = v
        for name, fn in _module_functions(obj).items():
            i = self.saver.function(fn)
            if i is not None:
                attrs[name] = {"function": i}
        return self.index[id(obj)]


def _default_signatures(obj):
    """TF's rule: with no ``signatures``, a single tf.function with an input_signature."""
    fns = [f for f in _module_functions(obj).values()
           if isinstance(f, ops.Function) and f.input_signature is not None]  # fmt: skip
    return {"serving_default": fns[0]} if len(fns) == 1 else {}


def _signature_map(signatures):
    if signatures is None:
        return None
    if _is_function(signatures):
        return {"serving_default": signatures}
    if not isinstance(signatures, Mapping):
        raise ValueError(
            "Expected a TensorFlow function for which to generate a signature (or a dict of "
            f"them), but got {signatures!r}"
        )
    for name, fn in signatures.items():
        if not isinstance(name, str) or not _is_function(fn):
            raise ValueError(
                f"Expected signatures to map names to tf.functions, got {name!r}: {fn!r}"
            )
    return dict(signatures)


def _write_atomic(export_dir, write):
    """Run ``write(tmp_dir)`` then move the finished directory to ``export_dir``."""
    export_dir = os.fspath(export_dir)
    parent = os.path.dirname(os.path.abspath(export_dir))
    os.makedirs(parent, exist_ok=True)
    tmp = os.path.join(parent, f".{os.path.basename(export_dir)}.tmp-{uuid.uuid4().hex}")
    os.makedirs(tmp)
    try:
        write(tmp)
        old = None
        if os.path.exists(export_dir):
            old = os.path.join(parent, f".{os.path.basename(export_dir)}.old-{uuid.uuid4().hex}")
            os.replace(export_dir, old)
        os.replace(tmp, export_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _save(objects, saver, signatures, export_dir):
    sigs = {}
    for name, fn in (signatures or {}).items():
        for v in _gio.function_variables(fn):
            saver.variable(v)
        sigs[name] = _gio.serialize_signature(fn, saver.var_ids, saver.store)
    funcs = [_gio.serialize_function(fn, saver.var_ids, saver.store) for fn in saver.functions]
    tensors = {}
    var_meta = []
    for i, v in enumerate(saver.variables):
        key = f"variables/{i}/.ATTRIBUTES/VARIABLE_VALUE"
        name = getattr(v, "path", None) or v.name
        name = name[:-2] if name.endswith(":0") else name
        dtype = ops.as_dtype(v.dtype).name
        tensors[key] = (dtype, np.asarray(v))
        var_meta.append({"key": key, "name": name, "trainable": bool(v.trainable),
                         "dtype": dtype, "shape": list(v.shape)})  # fmt: skip
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "graph_format": [_gio.FORMAT, _gio.VERSION],
        "variables": var_meta,
        "objects": objects,
        "functions": funcs,
        "signatures": sigs,
        "tensors": saver.store.entries,
    }

    def write(tmp):
        os.makedirs(os.path.join(tmp, VARIABLES_DIR))
        os.makedirs(os.path.join(tmp, "assets"))
        write_bundle(os.path.join(tmp, VARIABLES_DIR, "variables"), tensors)
        with open(os.path.join(tmp, TENSORS_FILE), "wb") as f:
            f.write(saver.store.data())
        with open(os.path.join(tmp, MODEL_FILE), "w", encoding="utf-8") as f:
            json.dump(doc, f, allow_nan=False)

    _write_atomic(export_dir, write)


def save(obj, export_dir, signatures=None, options=None):
    """TF's ``tf.saved_model.save``: a ``tf.Module`` (its tf.functions, variables and
    submodules) or a Keras model, with ``signatures`` (a tf.function or a dict of them)."""
    if isinstance(obj, layers_module.Layer) and hasattr(obj, "fit"):
        if signatures is None:
            sigs = {"serving_default": _keras_signature(obj, None, named=False)}
        else:
            sigs = _signature_map(signatures)
        _save_keras(obj, export_dir, sigs, endpoints={})
        return
    if not isinstance(obj, ops.Module | layers_module.Layer):
        raise ValueError(
            f"Expected an object of type `Trackable`, such as `tf.Module` or a subclass of the "
            f"`Trackable` class, for export. Got {obj} with type {type(obj)}."
        )
    sigs = _signature_map(signatures)
    if sigs is None:
        sigs = _default_signatures(obj)
    saver = _Saver()
    walker = _Walker(saver)
    walker.node(obj)
    _save(walker.objects, saver, sigs, export_dir)


# --------------------------------------------------------------------------- Keras export


def _spec(shape, dtype, name):
    return ops.TensorSpec((None, *tuple(shape)[1:]), dtype, name)


def _keras_input_signature(model):
    """Keras 3's export input signature (a list with one entry per positional argument)."""
    if not model.built:
        raise ValueError(
            "The model provided has not yet been built. It must be built before export."
        )
    struct = getattr(model, "_inputs_struct", None)
    if struct is not None:  # functional: one argument holding the whole input structure
        return [ops.nest.map_structure(lambda t: _spec(t.shape, t.dtype, t.name), struct)]
    layer = getattr(model, "_input_layer", None)
    if layer is not None:
        out = getattr(layer, "output", None)
        name = getattr(out, "name", None) or layer.name
        return [_spec(layer.batch_shape, layer.dtype, name)]
    shape = getattr(model, "_build_input_shape", None)
    if shape is None and hasattr(model, "input_shape"):
        shape = model.input_shape
    if shape is None:
        raise ValueError(
            "The model provided has never called. It must be called at least once before export."
        )
    if shape and all(isinstance(d, int | None) for d in shape):
        shape = (None, *shape[1:])  # any batch size, as Keras's export
    return [_spec(shape, model.compute_dtype, None)]


def _keras_signature(model, input_signature, named):
    """``serve(inputs)``: the model's inference call traced for the export signature; the
    inputs keep their Keras names only when ``named`` (``model.export``)."""
    sig = input_signature if input_signature is not None else _keras_input_signature(model)
    sig = list(sig)
    if len(sig) != 1:
        raise ValueError(f"Export supports one positional input argument, got {len(sig)}")
    if not named:
        sig = ops.nest.map_structure(lambda s: ops.TensorSpec(s.shape, s.dtype), sig)

    def serve(inputs):
        return model(inputs, training=False)

    return ops.function(serve, input_signature=sig)


def _save_keras(model, export_dir, signatures, endpoints):
    saver = _Saver()
    walker = _Walker(saver)
    walker.node(model)
    root = walker.objects[0]
    for name, fn in endpoints.items():
        root["attributes"][name] = {"function": saver.function(fn)}
    root["class_name"] = "_UserObject"
    _save(walker.objects, saver, signatures, export_dir)


def export_model(model, filepath, format="tf_saved_model", verbose=None,  # noqa: A002
                 input_signature=None, **kwargs):  # fmt: skip
    """Keras 3's ``Model.export``: a SavedModel with a ``serve`` endpoint and the
    ``serve`` / ``serving_default`` signatures (``format="onnx"``: an ONNX file)."""
    if format == "onnx":
        from ..export import to_onnx

        to_onnx(model, filepath, input_signature=input_signature)
        return
    if format != "tf_saved_model":
        raise ValueError(
            "The `format` argument must be one of {'tf_saved_model', 'onnx'}. "
            f"Received: format={format}"
        )
    serve = _keras_signature(model, input_signature, named=True)
    _save_keras(model, filepath, {"serve": serve, "serving_default": serve}, {"serve": serve})
    if verbose or verbose is None:
        print(f"Saved artifact at '{filepath}'. The following endpoints are available:\n\n"
              f"* Endpoint 'serve'\n  args_0: {serve.input_signature[0]!r}")  # fmt: skip


# --------------------------------------------------------------------------- loading


class _UserObject(ops.Module):
    """A loaded object: its saved attributes (functions, variables, objects, signatures)."""

    def __init__(self):
        super().__init__(name="user_object")

    def __call__(self, *args, **kwargs):
        fn = self.__dict__.get("__call__")
        if fn is None:
            raise TypeError("'_UserObject' object is not callable")
        return fn(*args, **kwargs)

    def _saved(self, name):
        return self.__dict__.get("_saved_" + name)

    @property
    def variables(self):
        saved = self._saved("variables")
        return saved if saved is not None else super().variables

    @property
    def trainable_variables(self):
        saved = self._saved("trainable_variables")
        return saved if saved is not None else super().trainable_variables

    @property
    def non_trainable_variables(self):
        saved = self._saved("non_trainable_variables")
        return saved if saved is not None else super().non_trainable_variables


_PROPERTIES = ("variables", "trainable_variables", "non_trainable_variables")


class _SignatureMap(Mapping):
    """``loaded.signatures``: signature name -> concrete function (TF's mapping)."""

    def __init__(self, sigs):
        self._sigs = dict(sigs)

    def __getitem__(self, key):
        return self._sigs[key]

    def __iter__(self):
        return iter(self._sigs)

    def __len__(self):
        return len(self._sigs)

    def __repr__(self):
        return f"_SignatureMap({self._sigs!r})"


def _fail(path, part, msg):
    raise ValueError(f"Error loading SavedModel {path}: {part}: {msg}")


def _read_doc(export_dir):
    path = os.path.join(export_dir, MODEL_FILE)
    if not os.path.isfile(path):
        if os.path.isfile(os.path.join(export_dir, "saved_model.pb")):
            raise errors.UnimplementedError(
                None, None, f"{export_dir} holds a TensorFlow saved_model.pb (GraphDef), which "
                "tensorhouse cannot load; save it with tensorhouse's tf.saved_model.save"
            )  # fmt: skip
        raise OSError(f"SavedModel file does not exist at: {export_dir}{os.sep}{{{MODEL_FILE}}}")
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        _fail(path, "JSON", f"unreadable ({type(e).__name__}: {e})")
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        _fail(path, "header", f"not a tensorhouse SavedModel (format {FORMAT!r} expected)")
    if doc.get("version") != VERSION:
        _fail(path, "header", f"version {doc.get('version')!r} is not supported ({VERSION})")
    for key, kind in (("variables", list), ("objects", list), ("functions", list),
                      ("signatures", dict), ("tensors", list)):  # fmt: skip
        if not isinstance(doc.get(key), kind):
            _fail(path, key, f"missing or not a {kind.__name__}")
    return path, doc


def _load_variables(export_dir, metas, json_path):
    prefix = os.path.join(export_dir, VARIABLES_DIR, "variables")
    if not metas:
        return []
    reader = BundleReader(prefix)
    out = []
    for i, m in enumerate(metas):
        part = f"variables[{i}]"
        try:
            key, name, trainable = str(m["key"]), str(m["name"]), bool(m["trainable"])
            dtype = ops.as_dtype(m["dtype"])
            shape = [int(d) for d in m["shape"]]
        except (KeyError, TypeError, ValueError) as e:
            _fail(json_path, part, f"malformed entry ({e})")
        value = reader.tensor(key)
        if list(value.shape) != shape or ops.as_dtype(value.dtype).name != dtype.name:
            got = f"{value.dtype}{list(value.shape)}"
            _fail(prefix + ".index", part, f"{key} holds {got}, expected {dtype.name}{shape}")
        out.append(ops.Variable(value, trainable=trainable, name=name, dtype=dtype))
    return out


def load(export_dir, tags=None, options=None):
    """TF's ``tf.saved_model.load``: the saved object, its functions callable without the
    code that defined them, bound to the restored variables; ``signatures`` as TF's."""
    export_dir = os.fspath(export_dir)
    try:
        return _load(export_dir)
    except RecursionError:
        _fail(os.path.join(export_dir, MODEL_FILE), "structure", "nested too deeply")


def _load(export_dir):
    json_path, doc = _read_doc(export_dir)
    data_path = os.path.join(export_dir, TENSORS_FILE)
    try:
        with open(data_path, "rb") as f:
            data = f.read()
    except OSError as e:
        _fail(data_path, "graph tensors", f"cannot be read ({e})")
    store = _gio.TensorStore(data, doc["tensors"], data_path)
    variables = _load_variables(export_dir, doc["variables"], json_path)
    functions = []
    for i, d in enumerate(doc["functions"]):
        functions.append(
            _gio.deserialize_function(d, variables, store, f"{json_path}: functions[{i}]")
        )
    sigs = {}
    for name, d in doc["signatures"].items():
        sigs[name] = _gio.deserialize_signature(
            name, d, variables, store, f"{json_path}: signatures[{name!r}]"
        )
    if not doc["objects"]:
        _fail(json_path, "objects", "no root object")
    objects = [_UserObject() for _ in doc["objects"]]
    for i, node in enumerate(doc["objects"]):
        _fill(objects[i], node, variables, functions, objects, json_path, f"objects[{i}]")
    objects[0].signatures = _SignatureMap(sigs)
    return objects[0]


def _fill(obj, node, variables, functions, objects, path, where):
    if not isinstance(node, dict) or not isinstance(node.get("attributes"), dict):
        _fail(path, where, "malformed object")
    tables = {"variable": variables, "function": functions, "object": objects}
    for name, value in node["attributes"].items():
        if not isinstance(name, str) or not name.isidentifier():
            _fail(path, where, f"bad attribute name {name!r:.60}")
        v = _value(value, tables, path, f"{where}.{name}")
        if name in _PROPERTIES:
            name = "_saved_" + name
        object.__setattr__(obj, name, v)


def _value(value, tables, path, where):
    if not isinstance(value, dict) or len(value) != 1:
        _fail(path, where, f"malformed value {value!r:.60}")
    (tag, x), = value.items()  # fmt: skip
    if tag in tables:
        table = tables[tag]
        if not isinstance(x, int) or isinstance(x, bool) or not 0 <= x < len(table):
            _fail(path, where, f"{tag} index {x!r} out of range")
        return table[x]
    if tag == "list" and isinstance(x, list):
        return [_value(v, tables, path, f"{where}[{i}]") for i, v in enumerate(x)]
    if tag == "dict" and isinstance(x, dict):
        return {k: _value(v, tables, path, f"{where}[{k!r}]") for k, v in x.items()}
    _fail(path, where, f"malformed value {value!r:.60}")
