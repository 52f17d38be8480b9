"""``save_weights`` / ``load_weights``: Keras 3.15's ``.weights.h5`` files.

The file holds one ``vars`` group per object (``layers/dense/vars``, ``optimizer/vars``, the
model's own ``vars`` at the root) with the object's name as its ``name`` attribute and its
values as datasets ``"0"``, ``"1"``, ...: a layer's own trainable variables, then its
non-trainable ones, in creation order; an optimizer's ``variables``. ``_walk`` decides the
paths. Real Keras reads these files, and these functions read its files. With
``max_shard_size`` the same groups are spread over shard files named by a ``.weights.json``
index (``_sharded_h5``).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import warnings

import h5py

from tensorhouse_components import layers as layers_module

from . import _walk
from ._h5_store import H5Reader, H5Writer
from ._sharded_h5 import ShardedH5Reader, ShardedH5Writer, shard_layout

__all__ = ["load_weights", "save_weights"]

_SUFFIX = ".weights.h5"
_INDEX_SUFFIX = ".weights.json"


# ---- a layer's own values ---------------------------------------------------------------------
def _sublayers(layer) -> list:
    """The layers held in ``layer``'s attributes (directly or in lists, tuples and dicts):
    those whose weights ``layer.weights`` includes besides its own."""
    found, seen = [], set()
    stack = list(vars(layer).values())
    while stack:
        value = stack.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, layers_module.Layer):
            if value is not layer:
                found.append(value)
        elif isinstance(value, list | tuple):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.values())
    return found


def _save_own(obj, store):
    """A layer's or optimizer's own variables, through its ``save_own_variables``."""
    obj.save_own_variables(store)


def _load_own(obj, store):
    obj.load_own_variables(store)


# ---- the walk -----------------------------------------------------------------------------------
def _join(path, name):
    return f"{path}/{name}" if path else name


def _save_state(obj, store, path, visited):
    if id(obj) in visited:
        return
    name = obj.name if isinstance(getattr(obj, "name", None), str) else None
    _save_own(obj, store.make(path, name))
    visited.add(id(obj))
    for attr, child in _walk.iter_children(obj):
        if _walk.is_saveable(child):
            _save_state(child, store, _join(path, attr), visited)
        elif isinstance(child, list | tuple | dict):
            _save_container(child, store, _join(path, attr), visited, set())


def _container_items(container, seen):
    """``(name, item)`` for the saveables and nested containers in ``container``."""
    if id(container) in seen:
        return
    seen.add(id(container))
    used = {}
    for item in container.values() if isinstance(container, dict) else container:
        if _walk.is_saveable(item):
            yield _walk.unique_name(_walk.class_path_name(item), used), item
        elif isinstance(item, list | tuple | dict):
            yield _walk.unique_name("container", used), item


def _save_container(container, store, path, visited, seen):
    for name, item in _container_items(container, seen):
        if _walk.is_saveable(item):
            _save_state(item, store, _join(path, name), visited)
        else:
            _save_container(item, store, _join(path, name), visited, seen)


def objects_with_paths(model) -> list:
    """``(path, object)`` for ``model`` and every saveable object under it, in the order and
    with the paths of the weights file (each object once): where Keras puts its assets."""
    out, visited = [], set()

    def visit(obj, path):
        if id(obj) in visited:
            return
        visited.add(id(obj))
        out.append((path, obj))
        for attr, child in _walk.iter_children(obj):
            if _walk.is_saveable(child):
                visit(child, _join(path, attr))
            elif isinstance(child, list | tuple | dict):
                container(child, _join(path, attr), set())

    def container(items, path, seen):
        for name, item in _container_items(items, seen):
            if _walk.is_saveable(item):
                visit(item, _join(path, name))
            else:
                container(item, _join(path, name), seen)

    visit(model, "")
    return out


class _Loading:
    """What one ``load_weights`` call has done: objects loaded, and those that failed."""

    def __init__(self, store, skipped=frozenset()):
        self.store = store
        self.visited: set = set(skipped)  # objects_to_skip count as done
        self.active: set = set()  # objects being loaded now (an attribute cycle stops here)
        self.failed: dict = {}  # id -> (object, error)


def _load_state(obj, state, path):
    if id(obj) in state.visited or id(obj) in state.active:
        return
    state.active.add(id(obj))
    failure = False
    try:
        _load_own(obj, state.store.get(path))
    except Exception as e:  # collected: Keras reports every object that failed at once
        state.failed[id(obj)] = (obj, e)
        failure = True
    before = len(state.failed)
    for attr, child in _walk.iter_children(obj):
        if _walk.is_saveable(child):
            _load_state(child, state, _join(path, attr))
        elif isinstance(child, list | tuple | dict):
            _load_container(child, state, _join(path, attr), set())
    state.active.discard(id(obj))
    if not failure:
        if len(state.failed) <= before:
            state.visited.add(id(obj))
        state.failed.pop(id(obj), None)


def _load_container(container, state, path, seen):
    for name, item in _container_items(container, seen):
        if _walk.is_saveable(item):
            _load_state(item, state, _join(path, name))
        elif state.store.has_path(_join(path, name)):
            _load_container(item, state, _join(path, name), seen)


def _loading_failure(failed) -> str:
    example, error = next(iter(failed.values()))
    return (
        f"A total of {len(failed)} objects could not be loaded. Example error message for "
        f"object {example}:\n\n{error}\n\nList of objects that could not be loaded:\n"
        f"{[obj for obj, _ in failed.values()]}"
    )


# ---- the public functions -----------------------------------------------------------------------
def _ask_to_overwrite(filepath) -> bool:
    answer = input(f"[WARNING] {filepath} already exists - overwrite? [y/n]").strip().lower()
    while answer not in ("y", "n"):
        answer = input('Enter "y" (overwrite) or "n" (cancel).').strip().lower()
    if answer == "n":
        return False
    print("[TIP] Next time specify overwrite=True!")
    return True


def save_weights(model, filepath, overwrite=True, max_shard_size=None, objects_to_skip=None):
    """Write ``model``'s weights (and its optimizer's state) to a Keras 3 ``.weights.h5`` file,
    or, with ``max_shard_size`` (GiB), to a ``.weights.json`` index and its shard files.
    ``objects_to_skip``: layers (or other saveables) written neither themselves nor through.

    Files are written next to their targets under temporary names and renamed into place, so
    an interrupted save leaves the previous file whole.
    """
    filepath = os.fspath(filepath)
    if max_shard_size is None and not str(filepath).endswith(_SUFFIX):
        raise ValueError(f"The filename must end in `{_SUFFIX}`. Received: filepath={filepath}")
    if max_shard_size is not None and not str(filepath).endswith(("weights.h5", "weights.json")):
        raise ValueError(
            "The filename must end in `.weights.json` when `max_shard_size` is specified. "
            f"Received: filepath={filepath}"
        )
    if os.path.exists(filepath) and not overwrite and not _ask_to_overwrite(filepath):
        return
    if not model.built:
        raise ValueError(
            "You are saving a model that has not yet been built. Try building the model first "
            "by calling it on some data or by using `build()`."
        )
    skipped = _skipped_ids(objects_to_skip)
    if max_shard_size is not None:
        _save_sharded(model, filepath, max_shard_size, skipped)
        return
    write_atomically(filepath, lambda tmp: _write_h5(model, tmp, skipped))


def _skipped_ids(objects_to_skip) -> set:
    """The ids of ``objects_to_skip`` (None: none), counted as already visited by the walk."""
    return set() if objects_to_skip is None else {id(obj) for obj in objects_to_skip}


def _write_h5(model, path, skipped=frozenset()):
    with h5py.File(path, "w") as f:
        _save_state(model, H5Writer(f), "", set(skipped))


def write_atomically(filepath, write):
    """``write(path)`` into a temporary file next to ``filepath``, then rename it into place, so
    an interrupted save leaves the previous file whole."""
    tmp = _temp_beside(os.path.dirname(os.path.abspath(filepath)), os.path.basename(filepath))
    try:
        write(tmp)
        _fsync(tmp)
        os.replace(tmp, filepath)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _temp_beside(directory, name) -> str:
    """A new empty file ``.<name>.<random>.tmp`` in ``directory``, with the umask's mode (the
    mode the renamed file keeps, as a plain ``open`` would give)."""
    while True:
        tmp = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.tmp")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return tmp
        except FileExistsError:
            continue


def _fsync(path):
    with open(path, "rb") as written:
        os.fsync(written.fileno())


def _save_sharded(model, filepath, max_shard_size, skipped=frozenset()):
    """Shards and index under temporary names, renamed into place (shards, then the index)
    once every value is written."""
    index_path, base = shard_layout(filepath)
    if index_path != filepath:
        warnings.warn(
            "Saving sharded weights requires `*.json` as the extension. The original path: "
            f"{filepath} will be renamed to {index_path}.",
            stacklevel=3,
        )
    directory = os.path.dirname(os.path.abspath(index_path))
    temps = {}

    def open_shard(name):
        temps[name] = _temp_beside(directory, name)
        return h5py.File(temps[name], "w")

    try:
        writer = ShardedH5Writer(base, max_shard_size, open_shard)
        try:
            _save_state(model, writer, "", set(skipped))
        finally:
            writer.close()
        index_name = os.path.basename(index_path)
        temps[index_name] = _temp_beside(directory, index_name)
        with open(temps[index_name], "w") as f:
            f.write(writer.index_json())
        for tmp in temps.values():
            _fsync(tmp)
        for name, tmp in temps.items():  # the index last: it names the shards
            os.replace(tmp, os.path.join(directory, name))
    except BaseException:
        for tmp in temps.values():
            if os.path.exists(tmp):
                os.remove(tmp)
        raise


def load_weights(model, filepath, skip_mismatch=False, **kwargs):
    """Read a Keras 3 ``.weights.h5`` file (a sharded ``.weights.json`` index and its shards, or
    the weights inside a ``.keras`` archive) into
    ``model`` (layers by path, and its optimizer's state when the file has one). Objects that
    do not fit raise one ``ValueError`` naming them all, or, with ``skip_mismatch=True``, a
    warning (they keep their values). ``objects_to_skip`` (``.weights.h5`` and ``.weights.json``
    only): objects left as they are, and not walked through."""
    filepath = os.fspath(filepath)
    name = str(filepath)
    objects_to_skip = kwargs.pop("objects_to_skip", None)
    by_name = kwargs.pop("by_name", False)
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {kwargs}")
    legacy = name.endswith((".h5", ".hdf5")) and not name.endswith(_SUFFIX)
    if objects_to_skip is not None and (legacy or name.endswith(".keras")):
        raise ValueError(
            f"`objects_to_skip` only supports loading '.weights.h5' files.Received: {filepath}"
        )
    if legacy:
        from ._legacy_h5 import load_legacy_weights

        load_legacy_weights(model, filepath, skip_mismatch=skip_mismatch, by_name=by_name)
        return
    if by_name:
        raise ValueError(
            "Invalid keyword arguments: {'by_name': True}: `by_name` is only supported for "
            "legacy `.h5` files"
        )
    member = None
    if name.endswith(".keras"):
        if not os.path.exists(filepath):
            raise FileNotFoundError(f"[Errno 2] No such file or directory: {filepath!r}")
        from ._keras_file import weights_member

        member = weights_member(filepath)  # the archive's model.weights.h5, read in place
        name = _SUFFIX
    if not name.endswith((_SUFFIX, _INDEX_SUFFIX)):
        raise ValueError(
            f"File format not supported: filepath={filepath}. Keras 3 only supports V3 "
            "`.keras` files, `.weights.h5` files, legacy H5 format files (`.h5` extension), "
            "or Orbax checkpoints."
        )
    if not model.built:
        raise ValueError(
            "You are loading weights into a model that has not yet been built. Try building "
            "the model first by calling it on some data or by using `build()`."
        )
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"[Errno 2] No such file or directory: {filepath!r}")
    skipped = _skipped_ids(objects_to_skip)
    if name.endswith(_INDEX_SUFFIX):
        reader = ShardedH5Reader(filepath)
        try:
            state = _Loading(reader, skipped)
            _load_state(model, state, "")
        finally:
            reader.close()
    else:
        with contextlib.ExitStack() as stack:
            source = filepath if member is None else stack.enter_context(member)
            f = stack.enter_context(h5py.File(source, "r"))
            state = _Loading(H5Reader(f), skipped)
            _load_state(model, state, "")
    if state.failed:
        message = _loading_failure(state.failed)
        if skip_mismatch:
            warnings.warn(message, stacklevel=2)
        else:
            raise ValueError(message)
