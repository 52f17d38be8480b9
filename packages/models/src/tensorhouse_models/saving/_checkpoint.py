"""``tf.train.Checkpoint``, ``CheckpointManager``, ``latest_checkpoint``, ``list_variables`` and
``load_variable``, in TF 2's checkpoint format (a tensor bundle holding the object graph).

Objects form a graph of named edges, as TF tracks them: a ``Checkpoint``'s keyword arguments
(sorted) and ``save_counter``; a ``tf.Module``'s attributes in assignment order, with lists
(``0``, ``1``, ...) and dicts (their keys) inside; a Keras layer's variables and sublayers held
in attributes (TF's Keras 3 names: ``Dense``/``Conv``/``EinsumDense`` keep ``_kernel``,
``Embedding`` ``_embeddings``; lists are not followed, as in TF), a model's ``optimizer``, a
``Sequential``'s ``_functional/_operations/<i>`` and a functional model's ``_operations/<i>``
(input layers included); an optimizer's ``_variables``, ``_trainable_variables``,
``_iterations`` and ``_learning_rate``; a ``tf.data`` iterator's position, as TF lays it out
(attribute ``ITERATOR``, tensor ``<path>/.ATTRIBUTES/ITERATOR_STATE``) but tensorhouse's own
int64 state (TF's is an opaque variant: iterator states do not cross between the two). A
variable's key is the first path to it found breadth first, ``<path>/.ATTRIBUTES/
VARIABLE_VALUE``. Restoring walks the saved graph by those names from the root, so files
(iterator states aside) move between tensorhouse and TensorFlow in both directions.
"""

from __future__ import annotations

import os
import time
from collections import OrderedDict

import numpy as np
from google.protobuf import text_format
from google.protobuf.message import DecodeError

from tensorhouse_components import layers as layers_module
from tensorhouse_components import ops, optimizers
from tensorhouse_components.ops import errors

from ._checkpoint_protos import CheckpointState, TrackableObjectGraph
from ._tensor_bundle import BundleReader, data_path, index_path, write_bundle
from ._walk import _kind, _skipset

__all__ = [
    "Checkpoint", "CheckpointManager", "latest_checkpoint", "list_variables", "load_variable",
]  # fmt: skip

OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"
_VALUE = "VARIABLE_VALUE"
_SUFFIX = "/.ATTRIBUTES/" + _VALUE


# --------------------------------------------------------------------------- the object graph


class _Node:
    """A node TF's Keras has and tensorhouse does not (``_functional``, ``_operations``)."""

    def __init__(self, children):
        self.children = children


def _is_trackable(value) -> bool:
    if isinstance(value, list | tuple):
        return any(_is_trackable(v) for v in value)
    if isinstance(value, dict):
        return any(_is_trackable(v) for v in value.values())
    return isinstance(
        value, ops.Variable | ops.Module | layers_module.Layer | optimizers.Optimizer | Checkpoint
    ) or _has_state(value)


def _has_state(value) -> bool:
    """An object saved through TF's tensor hooks (a ``tf.data`` iterator's position)."""
    return all(
        hasattr(value, a)
        for a in ("_checkpoint_attribute", "_serialize_to_tensors", "_restore_from_tensors")
    )


def _container_children(value) -> list:
    if isinstance(value, dict):
        items = [(str(k), v) for k, v in value.items()]
    else:
        items = [(str(i), v) for i, v in enumerate(value)]
    return [(k, v) for k, v in items if _is_trackable(v)]


_TF_UNDERSCORED = {"kernel": "_kernel", "embeddings": "_embeddings"}
_OPTIMIZER = optimizers.Optimizer


def _renamed(layer) -> dict:
    """Attributes TF's Keras 3 keeps under another name (its LoRA-capable layers)."""
    kinds = ("Dense", "EinsumDense", "Embedding", "Conv1D", "Conv2D", "Conv3D")
    classes = tuple(getattr(layers_module, n) for n in kinds if hasattr(layers_module, n))
    if isinstance(layer, classes):
        return _TF_UNDERSCORED
    return {}


def _layer_children(layer) -> list:
    from .._functional import Functional
    from .._model import Model
    from .._sequential import Sequential

    out = []
    if isinstance(layer, Sequential):
        if layer.built and layer.layers:
            first = getattr(layer, "_input_layer", None) or _Node([])
            operations = _Node(_enumerated([first, *layer.layers]))
            out.append(("_functional", _Node([("_operations", operations)])))
    elif isinstance(layer, Functional):
        out.append(("_operations", _Node(_enumerated(layer.layers))))
    else:
        skip = _skipset(_kind(layer))
        rename = _renamed(layer)
        for name, value in vars(layer).items():
            if name in skip or name == "optimizer":
                continue
            if isinstance(value, ops.Variable | layers_module.Layer | ops.Module):
                out.append((rename.get(name, name), value))
    if isinstance(layer, Model) and isinstance(getattr(layer, "optimizer", None), _OPTIMIZER):
        out.append(("optimizer", layer.optimizer))
    return out


def _enumerated(values) -> list:
    return [(str(i), v) for i, v in enumerate(values)]


def _optimizer_children(opt) -> list:
    """Keras 3's optimizer on TF: every variable (iteration, learning rate, then the slots in
    creation order), the variables it updates, and the first two by name. TF's Keras also
    lists each slot kind (``_momentums``, ...), which adds no key: those are left out."""
    variables = opt.variables
    out = [("_variables", variables)]
    out.append(("_trainable_variables", list(getattr(opt, "_trainable_variables", []))))
    out.append(("_iterations", variables[0]))
    if isinstance(opt.learning_rate, ops.Variable) and len(variables) > 1:
        out.append(("_learning_rate", variables[1]))
    return out


def _children(obj) -> list:
    """``(local name, child)`` edges of ``obj``, in TF's order."""
    if isinstance(obj, ops.Variable):
        return []
    if isinstance(obj, Checkpoint):
        out = _children(obj._root) if obj._root is not None else []
        out += list(obj._deps.items())
        if obj._save_counter is not None:
            out.append(("save_counter", obj._save_counter))
        return out
    if isinstance(obj, _Node):
        return obj.children
    if isinstance(obj, list | tuple | dict):
        return _container_children(obj)
    if isinstance(obj, optimizers.Optimizer):
        return _optimizer_children(obj)
    if isinstance(obj, layers_module.Layer):
        return _layer_children(obj)
    if isinstance(obj, ops.Module):
        ignored = set(obj._TF_MODULE_IGNORED_PROPERTIES) | {"_name", "_scope_name"}
        return [(k, v) for k, v in vars(obj).items() if k not in ignored and _is_trackable(v)]
    return []


def _inner(obj):
    """The object a ``Checkpoint(root=...)`` stands for (else ``obj``)."""
    return obj._root if isinstance(obj, Checkpoint) and obj._root is not None else obj


def _escape(name: str) -> str:
    """TF's escaping of a local name inside a checkpoint key."""
    return name.replace(".", "..").replace("/", ".S")


def _full_name(var) -> str:
    path = getattr(var, "path", None)
    if isinstance(path, str):
        return path
    name = var.name
    return name[:-2] if name.endswith(":0") else name


def _dtype_name(var) -> str:
    return ops.as_dtype(var.dtype).name


def _serialize(root):
    """(TrackableObjectGraph, {key: (dtype name, array)}) for everything reachable from root."""
    ids, objs, paths = {id(root): 0, id(_inner(root)): 0}, [root], [""]
    graph = TrackableObjectGraph()
    tensors = {}
    position = 0
    while position < len(objs):
        obj = objs[position]
        node = graph.nodes.add()
        for name, child in _children(obj):
            if id(child) not in ids:
                ids[id(child)] = len(objs)
                objs.append(child)
                prefix = paths[position] + "/" if paths[position] else ""
                paths.append(prefix + _escape(name))
            node.children.add(node_id=ids[id(child)], local_name=name)
        if isinstance(obj, ops.Variable):
            key = paths[position] + _SUFFIX
            node.attributes.add(name=_VALUE, full_name=_full_name(obj), checkpoint_key=key)
            tensors[key] = (_dtype_name(obj), np.asarray(obj))
        elif _has_state(obj):  # TF's layout: one attribute, its tensors under key + suffix
            name = obj._checkpoint_attribute
            key = f"{paths[position]}/.ATTRIBUTES/{name}"
            node.attributes.add(name=name, checkpoint_key=key)
            for suffix, value in obj._serialize_to_tensors().items():
                tensors[key + suffix] = (_dtype_name(value), np.asarray(value))
        position += 1
    has_values = [bool(n.attributes) for n in graph.nodes]
    changed = True
    while changed:
        changed = False
        for i, node in enumerate(graph.nodes):
            if not has_values[i] and any(has_values[c.node_id] for c in node.children):
                has_values[i] = changed = True
    for node, value in zip(graph.nodes, has_values, strict=True):
        node.has_checkpoint_values.value = value
    return graph, tensors


def _write(root, prefix: str) -> str:
    graph, tensors = _serialize(root)
    tensors[OBJECT_GRAPH_KEY] = ("string", np.array(graph.SerializeToString(), dtype=object))
    write_bundle(prefix, tensors)
    return prefix


# --------------------------------------------------------------------------- restoring


def _read_graph(reader: BundleReader):
    path = index_path(reader.prefix)
    if OBJECT_GRAPH_KEY not in reader.keys():
        raise errors.NotFoundError(
            None, None, f"{path} has no object graph ({OBJECT_GRAPH_KEY}): it was not written "
            "by an object-based tf.train.Checkpoint"
        )  # fmt: skip
    if reader.dtype_name(OBJECT_GRAPH_KEY) != "string" or reader.shape(OBJECT_GRAPH_KEY):
        raise errors.DataLossError(None, None, f"{path}: the object graph is not a string scalar")
    try:
        graph = TrackableObjectGraph.FromString(reader.tensor(OBJECT_GRAPH_KEY).item())
    except DecodeError as e:
        raise errors.DataLossError(None, None, f"{path}: unreadable object graph: {e}") from None
    count = len(graph.nodes)
    if not count or any(
        c.node_id >= count or c.node_id < 0 for n in graph.nodes for c in n.children
    ):
        raise errors.DataLossError(None, None, f"{path}: the object graph's node ids are invalid")
    return graph


def _match(graph, root) -> dict:
    """``{node id: object}`` for the saved nodes that ``root``'s graph has, walking by name.
    Unbuilt optimizers whose trainable variables are matched are built on the way."""
    while True:
        matched = {0: root}
        queue, seen = [0], {0}
        while queue:
            node_id = queue.pop(0)
            obj = matched[node_id]
            mine = dict(_children(obj))
            for ref in graph.nodes[node_id].children:
                child = mine.get(ref.local_name)
                if child is None or ref.node_id in seen:
                    continue
                if matched.setdefault(ref.node_id, child) is child:
                    seen.add(ref.node_id)
                    queue.append(ref.node_id)
        if not _build_optimizers(graph, matched):
            return matched


def _build_optimizers(graph, matched) -> bool:
    built = False
    for node_id, obj in list(matched.items()):
        if not isinstance(obj, optimizers.Optimizer) or obj.built:
            continue
        refs = {c.local_name: c.node_id for c in graph.nodes[node_id].children}
        if "_trainable_variables" not in refs:
            continue
        slots = graph.nodes[refs["_trainable_variables"]].children
        variables = [matched.get(c.node_id) for c in slots]
        if variables and all(isinstance(v, ops.Variable) for v in variables):
            obj.build(variables)
            built = True
    return built


def _restore(root, save_path: str, counter: bool):
    reader = BundleReader(save_path)
    graph = _read_graph(reader)
    if isinstance(root, Checkpoint) and root._save_counter is None:
        if counter or any(c.local_name == "save_counter" for c in graph.nodes[0].children):
            root._make_save_counter()
    restoration = _Restoration(root, reader, graph)
    restoration.resume()
    return CheckpointLoadStatus(restoration)


class _Restoration:
    """One ``restore``: the saved graph, what it matched, and the layers still to build.

    A Keras layer matched before it is built (its saved node has children it lacks) gets its
    ``build`` wrapped: once it has built, the walk runs again and the new variables get their
    saved values (TF's deferred restoration)."""

    def __init__(self, root, reader, graph):
        self.root, self.reader, self.graph = root, reader, graph
        self.matched: dict = {}
        self.restored: set = set()

    def resume(self):
        self.matched = _match(self.graph, self.root)
        with ops.init_scope():  # a layer may build inside a traced function
            for node_id, obj in self.matched.items():
                if node_id not in self.restored and isinstance(obj, ops.Variable):
                    self._assign(node_id, obj)
                elif node_id not in self.restored and _has_state(obj):
                    self._restore_state(node_id, obj)
        for node_id, obj in self.matched.items():
            if isinstance(obj, layers_module.Layer) and not obj.built:
                if self.graph.nodes[node_id].children and "build" not in vars(obj):
                    self._defer(obj)

    def _assign(self, node_id, var):
        for attr in self.graph.nodes[node_id].attributes:
            if attr.name != _VALUE:
                continue
            key = attr.checkpoint_key
            value = self.reader.tensor(key)
            shape = tuple(var.shape)
            if tuple(value.shape) != shape:
                raise ValueError(
                    f"Received incompatible tensor with shape {value.shape} when attempting "
                    f"to restore variable with shape {shape} and name {_full_name(var)} "
                    f"(checkpoint key {key!r})."
                )
            saved, wanted = self.reader.dtype_name(key), _dtype_name(var)
            if saved != wanted:
                raise errors.InvalidArgumentError(
                    None, None, f"tensor_name = {key}; expected dtype {wanted} does not equal "
                    f"original dtype {saved} (checkpoint {self.reader.prefix})"
                )  # fmt: skip
            var.assign(value)
            self.restored.add(node_id)

    def _restore_state(self, node_id, obj):
        for attr in self.graph.nodes[node_id].attributes:
            key = attr.checkpoint_key
            keys = [k for k in self.reader.keys() if k.startswith(key)]
            try:
                values = {k[len(key) :]: self.reader.tensor(k) for k in keys}
            except errors.InvalidArgumentError as e:  # TF's variant state
                raise errors.UnimplementedError(
                    None, None, f"Cannot restore the {type(obj).__name__} at {key}: its state "
                    f"is not one tensorhouse writes (TensorFlow's is opaque). {e}"
                ) from None  # fmt: skip
            obj._restore_from_tensors(values)
            self.restored.add(node_id)

    def _defer(self, layer):
        original = layer.build

        def build(*args, **kwargs):
            result = original(*args, **kwargs)
            object.__delattr__(layer, "build")
            layer.built = True
            self.resume()
            return result

        object.__setattr__(layer, "build", build)


def _serialize_objects(root):
    """Reachable objects of ``root`` (breadth first, each once) and their local paths."""
    ids, objs, paths = {id(root), id(_inner(root))}, [root], [""]
    position = 0
    while position < len(objs):
        for name, child in _children(objs[position]):
            if id(child) not in ids:
                ids.add(id(child))
                objs.append(child)
                paths.append(f"{paths[position]}/{name}".lstrip("/"))
        position += 1
    return objs, paths


class CheckpointLoadStatus:
    """What ``Checkpoint.restore`` matched: ``assert_consumed``, ``expect_partial``, ..."""

    def __init__(self, restoration):
        self._restoration = restoration
        self._root = restoration.root
        self._graph = restoration.graph
        self._save_path = restoration.reader.prefix

    @property
    def _matched(self) -> dict:
        return self._restoration.matched

    @property
    def _restored(self) -> set:
        return self._restoration.restored

    def _unmatched_saved(self) -> list:
        out = []
        for node_id, node in enumerate(self._graph.nodes):
            if node.attributes and node_id not in self._restored:
                out.append(node_id)
        return out

    def _unmatched_mine(self) -> list:
        found = {id(o) for o in self._matched.values()}
        objs, paths = _serialize_objects(self._root)
        return [
            f"{p} ({_full_name(o)})" for o, p in zip(objs, paths, strict=True)
            if isinstance(o, ops.Variable) and id(o) not in found
        ]  # fmt: skip

    def assert_consumed(self):
        """Every saved value was matched, and every variable here got a value."""
        missing = self._unmatched_saved()
        if missing:
            names = [self._describe(i) for i in missing[:10]]
            raise AssertionError(
                f"Unresolved object in checkpoint {self._save_path}: {', '.join(names)}"
            )
        self.assert_existing_objects_matched()
        return self

    def assert_existing_objects_matched(self):
        """Every variable reachable from the root was restored from the checkpoint."""
        mine = self._unmatched_mine()
        if mine:
            raise AssertionError(
                f"Found {len(mine)} Python objects that were not bound to checkpointed values, "
                "likely due to changes in the Python program. Showing "
                f"{min(len(mine), 10)} of {len(mine)} unmatched objects: {mine[:10]}"
            )
        return self

    def assert_nontrivial_match(self):
        """At least one object besides the root was matched."""
        if len(self._matched) <= 1:
            raise AssertionError(
                f"No checkpointed values were matched to the object graph: {self._save_path}"
            )
        return self

    def expect_partial(self):
        """Silence the warnings about unused values (none are printed here)."""
        return self

    def run_restore_ops(self, session=None):
        """Values are restored eagerly: nothing to run."""

    def _describe(self, node_id: int) -> str:
        for attr in self._graph.nodes[node_id].attributes:
            return attr.checkpoint_key
        return f"node {node_id}"


class InitializationOnlyStatus:
    """``restore(None)``: nothing was restored; the assertions fail."""

    def __init__(self, root=None):
        if isinstance(root, Checkpoint):
            root.save_counter  # noqa: B018 (TF makes it here too)

    def assert_consumed(self):
        raise AssertionError("No checkpoint specified (save_path=None); nothing is being restored.")

    assert_existing_objects_matched = assert_consumed
    assert_nontrivial_match = assert_consumed

    def expect_partial(self):
        return self

    def run_restore_ops(self, session=None):
        """Nothing to run."""


# --------------------------------------------------------------------------- Checkpoint


class Checkpoint:
    """``tf.train.Checkpoint(root=None, **trackables)``: ``save``, ``write``, ``restore``,
    ``read``; with ``root``, its children sit at the top of the graph next to the keywords."""

    def __init__(self, root=None, **kwargs):
        object.__setattr__(self, "_deps", OrderedDict())
        object.__setattr__(self, "_save_counter", None)
        object.__setattr__(self, "_root", None)
        if root is not None:
            if not _is_trackable(root):
                raise ValueError(
                    f"`Checkpoint` was expecting root to be a trackable object, got {root!r}."
                )
            object.__setattr__(self, "_root", root)
        for name, value in sorted(kwargs.items()):
            setattr(self, name, value)

    def __setattr__(self, name, value):
        if not name.startswith("_"):
            if not _is_trackable(value):
                raise ValueError(
                    f"`Checkpoint` was expecting {name} to be a trackable object (an object "
                    f"derived from `Trackable`), got {value!r}. If you believe this object "
                    "should be trackable (i.e. it is part of the TensorFlow Python API and "
                    "manages state), please open an issue."
                )
            self._deps[name] = value
        object.__setattr__(self, name, value)

    def _make_save_counter(self):
        counter = ops.Variable(0, dtype=ops.int64, trainable=False, name="save_counter")
        object.__setattr__(self, "_save_counter", counter)
        return counter

    @property
    def root(self):
        """The root object passed as ``root=`` (else the checkpoint itself)."""
        return self._root if self._root is not None else self

    @property
    def save_counter(self):
        """How many times ``save`` ran: an int64 Variable (made on first use)."""
        return self._save_counter if self._save_counter is not None else self._make_save_counter()

    def write(self, file_prefix) -> str:
        """Write to exactly ``file_prefix`` (no counter, no ``checkpoint`` state file)."""
        return _write(self, os.fspath(file_prefix))

    def save(self, file_prefix) -> str:
        """Write ``file_prefix-<save_counter>`` and record it in the directory's state file."""
        counter = self.save_counter
        counter.assign_add(1)
        path = self.write(f"{os.fspath(file_prefix)}-{int(counter.numpy())}")
        _write_state(os.path.dirname(path), path, [path], None)
        return path

    def read(self, save_path) -> CheckpointLoadStatus:
        """Restore from ``save_path`` (as ``restore``; kept for TF's API)."""
        return _restore(self, os.fspath(save_path), counter=False)

    def restore(self, save_path):
        """Restore the values saved at ``save_path``; ``None`` restores nothing."""
        if save_path is None:
            return InitializationOnlyStatus(self)
        save_path = os.fspath(save_path)
        if os.path.isdir(save_path):
            latest = latest_checkpoint(save_path)
            save_path = latest if latest is not None else save_path
        return _restore(self, save_path, counter=True)


# --------------------------------------------------------------------------- state files


def _absolute(directory: str, path: str) -> str:
    return path if os.path.isabs(path) else os.path.join(directory, path)


def _state_path(directory: str, latest_filename=None) -> str:
    return os.path.join(directory, latest_filename or "checkpoint")


def _read_state(directory: str, latest_filename=None):
    """The directory's ``CheckpointState``, or None if it has none."""
    path = _state_path(directory, latest_filename)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError):
        return None
    state = CheckpointState()
    text_format.Parse(text, state)
    return state


def _write_state(directory, latest, paths, timestamps, last_preserved=None):
    def rel(p):
        return os.path.relpath(p, directory) if os.path.dirname(p) == directory else p

    state = CheckpointState(
        model_checkpoint_path=rel(latest), all_model_checkpoint_paths=[rel(p) for p in paths]
    )
    if timestamps is not None:
        state.all_model_checkpoint_timestamps.extend(timestamps)
    if last_preserved is not None:
        state.last_preserved_timestamp = last_preserved
    path = _state_path(directory)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text_format.MessageToString(state))
    os.replace(tmp, path)


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """The newest checkpoint prefix recorded in ``checkpoint_dir``, or None."""
    checkpoint_dir = os.fspath(checkpoint_dir)
    state = _read_state(checkpoint_dir, latest_filename)
    if state is None or not state.model_checkpoint_path:
        return None
    path = _absolute(checkpoint_dir, state.model_checkpoint_path)
    return path if os.path.exists(index_path(path)) else None


def _resolve(ckpt_dir_or_file) -> str:
    path = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(path):
        latest = latest_checkpoint(path)
        if latest is None:
            raise ValueError(
                f"Couldn't find 'checkpoint' file or checkpoints in given directory {path}"
            )
        return latest
    return path


def list_variables(ckpt_dir_or_file) -> list:
    """``[(key, shape), ...]`` of every tensor in a checkpoint, sorted by key."""
    reader = BundleReader(_resolve(ckpt_dir_or_file))
    return [(key, reader.shape(key)) for key in reader.keys()]


def load_variable(ckpt_dir_or_file, name):
    """The value of tensor ``name`` (a ``:0`` suffix is dropped) as a NumPy array."""
    if name.endswith(":0"):
        name = name[:-2]
    value = BundleReader(_resolve(ckpt_dir_or_file)).tensor(name)
    return value[()] if value.ndim == 0 else value


# --------------------------------------------------------------------------- manager


class CheckpointManager:
    """``tf.train.CheckpointManager``: numbered saves in a directory, keeping the newest
    ``max_to_keep`` (and one every ``keep_checkpoint_every_n_hours``)."""

    def __init__(
        self,
        checkpoint,
        directory,
        max_to_keep,
        keep_checkpoint_every_n_hours=None,
        checkpoint_name="ckpt",
        step_counter=None,
        checkpoint_interval=None,
        init_fn=None,
    ):
        if not isinstance(checkpoint, Checkpoint):
            raise TypeError(f"Expected a tf.train.Checkpoint, got {checkpoint!r}.")
        if max_to_keep is not None and max_to_keep <= 0:
            raise ValueError(
                f"Expected a positive integer or `None` for `max_to_keep`, got {max_to_keep}."
            )
        if checkpoint_interval is not None and step_counter is None:
            raise ValueError(
                "`step_counter` should be passed if `checkpoint_interval` is not None."
            )
        self._checkpoint = checkpoint
        self._directory = os.fspath(directory)
        self._max_to_keep = max_to_keep
        self._keep_hours = keep_checkpoint_every_n_hours
        self._prefix = os.path.join(self._directory, checkpoint_name)
        self._step_counter = step_counter
        self._interval = checkpoint_interval
        self._init_fn = init_fn
        self._last_step = None
        self._kept: OrderedDict = OrderedDict()
        self._last_preserved = time.time()
        self._latest = None
        state = _read_state(self._directory)
        if state is not None and state.model_checkpoint_path:
            paths = [_absolute(self._directory, p) for p in state.all_model_checkpoint_paths]
            stamps = list(state.all_model_checkpoint_timestamps)
            if len(stamps) != len(paths):
                stamps = [time.time()] * len(paths)
            self._kept = OrderedDict(zip(paths, stamps, strict=True))
            if state.last_preserved_timestamp:
                self._last_preserved = state.last_preserved_timestamp
            self._latest = _absolute(self._directory, state.model_checkpoint_path)

    @property
    def directory(self):
        return self._directory

    @property
    def checkpoint(self):
        return self._checkpoint

    @property
    def checkpoint_interval(self):
        return self._interval

    @property
    def latest_checkpoint(self):
        """The newest managed checkpoint prefix, or None."""
        if self._latest is None or not os.path.exists(index_path(self._latest)):
            return None
        return self._latest

    @property
    def checkpoints(self) -> list:
        """The managed checkpoint prefixes still on disk, oldest first."""
        return list(self._kept)

    def save(self, checkpoint_number=None, check_interval=True, options=None):
        """Write a new numbered checkpoint, drop the old ones; returns its prefix (or None
        when ``checkpoint_interval`` says it is not time yet)."""
        if self._interval is not None and check_interval:
            step = int(np.asarray(ops.convert_to_tensor(self._step_counter)))
            if self._last_step is not None and step < self._last_step + self._interval:
                return None
            self._last_step = step
        counter = self._checkpoint.save_counter
        counter.assign_add(1)
        if checkpoint_number is None:
            checkpoint_number = int(counter.numpy())
        else:
            checkpoint_number = int(np.asarray(ops.convert_to_tensor(checkpoint_number)))
        path = self._checkpoint.write(f"{self._prefix}-{checkpoint_number}")
        now = time.time()
        self._kept.pop(path, None)
        self._kept[path] = now
        self._latest = path
        dropped = self._sweep()
        # the state file names the new checkpoint before any old one is deleted
        _write_state(
            self._directory, path, list(self._kept), list(self._kept.values()), self._last_preserved
        )
        for old in dropped:
            for name in (index_path(old), data_path(old)):
                if os.path.exists(name):
                    os.remove(name)
        return path

    def _sweep(self) -> list:
        """Forget the checkpoints past ``max_to_keep`` (those not preserved); their paths."""
        dropped = []
        while self._max_to_keep is not None and len(self._kept) > self._max_to_keep:
            path, stamp = self._kept.popitem(last=False)
            hours = self._keep_hours
            if hours is not None and stamp - hours * 3600.0 >= self._last_preserved:
                self._last_preserved = stamp
            else:
                dropped.append(path)
        return dropped

    def restore_or_initialize(self):
        """Restore the latest checkpoint (returning its path), else run ``init_fn``."""
        if self.latest_checkpoint is not None:
            self._checkpoint.restore(self.latest_checkpoint)
            return self.latest_checkpoint
        if self._init_fn is not None:
            self._init_fn()
        return None
