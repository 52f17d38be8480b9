"""Keras 3.15's sharded weights: a ``.weights.json`` index and ``<base>_NNNNN.weights.h5`` shards.

``save_weights("m.weights.json", max_shard_size=gb)`` walks the model as for one ``.weights.h5``
file, but fills shard files ``m_00000.weights.h5``, ``m_00001.weights.h5``, ... in turn: a value
goes to the current shard unless the bytes already there plus its own would pass
``max_shard_size`` GiB, in which case a new shard starts (an object's values may so span two
shards; its ``vars`` group in the later shard has no ``name`` attribute). The index is

    {"metadata": {"total_size": <bytes, float>},
     "weight_map": {"/layers/dense/vars": "m_00000.weights.h5", "/optimizer/vars": [...]}}

with one entry per ``vars`` group that holds values: the shard's file name for the first value,
a list of names from the second value on. Loading reads the index, refuses shard names that are
not plain file names inside the index's folder, and reads each object's values from the shards
its entry lists.
"""

from __future__ import annotations

import json
import math
import os
from collections import OrderedDict

import h5py
import numpy as np

from .._file_utils import inside
from ._h5_store import H5Reader, H5Writer

__all__ = ["ShardedH5Reader", "ShardedH5Writer", "shard_layout"]

_GIB = 1024**3
_MAX_INDEX_BYTES = 256 * 1024**2  # an index this large is not one a model wrote
_OPEN_SHARDS = 8  # shard files kept open at once while loading


def shard_layout(filepath) -> tuple[str, str]:
    """``(index path, shard base name)`` for a ``save_weights`` path, as Keras names them:
    ``m.weights.json`` gives ``m_00000.weights.h5``, ...; a path not ending in ``.json`` has its
    last suffix replaced by ``.json``."""
    directory, name = os.path.split(filepath)
    stem, suffix = os.path.splitext(name)
    base = stem.replace(".weights", "")
    if suffix != ".json":
        name = stem + ".json"
    return os.path.join(directory, name), base


def _bits(dtype) -> int:
    """Keras's size of one element in bits (``bool`` counts as one bit)."""
    return 1 if dtype == np.bool_ else dtype.itemsize * 8


def readable_size(size) -> str:
    """``800.00 B``, ``2.93 KB``, ... (powers of 1024), as Keras prints sizes."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


class ShardedH5Writer(H5Writer):
    """Writes ``vars`` groups across shard files; ``open_shard(name)`` gives each new shard's
    ``h5py.File`` (the caller decides where it lives)."""

    def __init__(self, base, max_shard_size, open_shard):
        self._base = base
        self._max_bytes = float(max_shard_size) * _GIB
        self._open_shard = open_shard
        self.shard_names: list[str] = []
        self.weight_map: dict = {}
        self.total_size = 0.0
        self._shard_bytes = 0.0
        super().__init__(None)
        self._next_shard()

    def _next_shard(self):
        if self._file is not None:
            self._file.close()
        name = f"{self._base}_{len(self.shard_names):05d}.weights.h5"
        self.shard_names.append(name)
        self._file = self._open_shard(name)
        self._group = None  # the current object's values go on in a new, unnamed group
        self._shard_bytes = 0.0

    def __setitem__(self, key, value):
        value = np.asarray(value)
        size = math.prod(value.shape) * _bits(value.dtype) / 8
        self.total_size += size
        if size > self._max_bytes:
            raise ValueError(
                f"The size of {key} is {readable_size(size)} which exceeds the maximum shard "
                f"size {readable_size(self._max_bytes)}. You can increase the `max_shard_size` "
                "parameter to accommodate the size."
            )
        if self._shard_bytes + size > self._max_bytes:
            self._next_shard()
        self._shard_bytes += size
        super().__setitem__(key, value)
        shard, path = self.shard_names[-1], self._group.name
        entry = self.weight_map.get(path)
        if entry is None:
            self.weight_map[path] = shard
        else:
            entry = [entry] if isinstance(entry, str) else entry
            if shard not in entry:
                entry.append(shard)
            self.weight_map[path] = entry

    def close(self):
        if self._file is not None:
            self._file.close()
            self._file = None

    def index_json(self) -> str:
        """The ``.weights.json`` text (Keras's layout, 4-space indent)."""
        index = {"metadata": {"total_size": self.total_size}, "weight_map": self.weight_map}
        return json.dumps(index, indent=4)


# ---- reading ----------------------------------------------------------------------------------
def _damaged(index_path, what) -> ValueError:
    return ValueError(f"Invalid sharded weights index {index_path!r}: {what}")


def _read_index(index_path) -> dict:
    """The index's ``weight_map`` as ``{group path: [shard names]}``, checked."""
    if os.path.getsize(index_path) > _MAX_INDEX_BYTES:
        raise _damaged(index_path, f"larger than {_MAX_INDEX_BYTES} bytes")
    with open(index_path, "rb") as f:
        raw = f.read()
    try:
        index = json.loads(raw)
    except (ValueError, RecursionError) as e:  # JSONDecodeError and bad UTF-8 are ValueErrors
        raise _damaged(index_path, f"not valid JSON ({e})") from None
    if not isinstance(index, dict):
        raise _damaged(index_path, f"expected a JSON object, received {type(index).__name__}")
    weight_map = index.get("weight_map")
    if not isinstance(weight_map, dict):
        raise _damaged(
            index_path, f"'weight_map' must be an object, received {type(weight_map).__name__}"
        )
    out = {}
    for path, names in weight_map.items():
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not names:
            raise _damaged(
                index_path, f"weight_map[{path!r}] must be a file name or a non-empty list of "
                f"file names, received {names!r}",
            )  # fmt: skip
        for name in names:
            if not isinstance(name, str):
                raise _damaged(index_path, f"weight_map[{path!r}] lists {name!r}, not a file name")
        out[path] = names
    return out


class ShardedH5Reader:
    """Reads each object's ``vars`` group from the shards the index lists for it."""

    def __init__(self, index_path):
        self._index_path = os.fspath(index_path)
        self._dir = os.path.dirname(os.path.abspath(self._index_path))
        self._map = _read_index(self._index_path)
        for names in self._map.values():
            for name in names:
                self._check_shard(name)
        self._files: OrderedDict = OrderedDict()
        self._path = ""
        self._shards: list = []

    def _check_shard(self, name):
        target = os.path.join(self._dir, name)
        plain = name not in ("", ".", "..") and "/" not in name and "\x00" not in name
        if not plain or not inside(self._dir, target):
            raise _damaged(
                self._index_path,
                f"shard {name!r} is not a file name inside {self._dir!r}",
            )
        if not os.path.isfile(target):
            raise FileNotFoundError(
                f"[Errno 2] No such file or directory: {target!r} (a shard listed in "
                f"{self._index_path!r})"
            )

    def _reader(self, name) -> H5Reader:
        if name in self._files:
            self._files.move_to_end(name)
        else:
            if len(self._files) >= _OPEN_SHARDS:
                self._files.popitem(last=False)[1].close()
            self._files[name] = h5py.File(os.path.join(self._dir, name), "r")
        return H5Reader(self._files[name]).get(self._path)

    def get(self, path):
        """Point the reader at ``path``'s values (empty when the index lists none)."""
        self._path = path
        self._shards = self._map.get(f"/{path}/vars" if path else "/vars", [])
        return self

    def has_path(self, path):
        prefix = f"/{path}"
        return any(key == prefix or key.startswith(prefix + "/") for key in self._map)

    def keys(self):
        return [key for name in self._shards for key in self._reader(name).keys()]

    def __len__(self):
        return len(self.keys())

    def __contains__(self, key):
        return any(key in self._reader(name) for name in self._shards)

    def __getitem__(self, key):
        for name in self._shards:
            reader = self._reader(name)
            if key in reader:
                return reader[key]
        raise KeyError(f"Key '{key}' not found in any of the shards: {self._shards}")

    def close(self):
        while self._files:
            self._files.popitem()[1].close()
