"""The HDF5 side of ``.weights.h5``: one group per object path, its values in ``<path>/vars``.

Writing mirrors Keras 3's store: ``make(path, name)`` opens the ``vars`` group of an object
(created at once when the object has a name, which becomes the group's ``name`` attribute), and
``store["0"] = array`` adds a dataset. Reading only ever takes plain groups and numeric
datasets stored inside the file: links, external or virtual datasets, non-numeric types and
datasets declaring far more bytes than they store are refused, so nothing in a file can make
loading run code or reach outside it.
"""

from __future__ import annotations

import math

import h5py
import numpy as np

__all__ = ["H5Reader", "H5Writer"]

_BOMB_FLOOR_BYTES = 1 << 32  # datasets declaring more than 4 GiB ...
_MAX_EXPANSION = 1000  # ... must store at least 1/1000 of it on disk


class H5Writer:
    """Writes ``vars`` groups into an open, writable ``h5py.File``."""

    def __init__(self, h5_file):
        self._file = h5_file
        self._path = None
        self._group = None

    def make(self, path, name=None):
        """Point the writer at ``path``'s ``vars`` group (created now when ``name`` is set,
        otherwise on the first value written, so objects without values leave no group)."""
        self._path, self._group = path, None
        if name is not None:
            self._create(name)
        return self

    def _create(self, name=None):
        parent = self._file.require_group(self._path) if self._path else self._file
        self._group = parent.create_group("vars")
        if name is not None:
            self._group.attrs["name"] = name

    def __setitem__(self, key, value):
        if self._group is None:
            self._create()
        if hasattr(value, "numpy"):
            value = value.numpy()
        self._group[key] = np.asarray(value)

    def keys(self):
        return [] if self._group is None else list(self._group.keys())

    def __len__(self):
        return len(self.keys())


def _child(group, name, kind):
    """``group[name]`` when it is a hard-linked member of the wanted kind, else an error."""
    link = group.get(name, default=None, getclass=True, getlink=True)
    if link is not h5py.HardLink:
        raise ValueError(f"Not allowed: H5 file with {getattr(link, '__name__', link)}")
    obj = group[name]
    if not isinstance(obj, kind):
        raise ValueError(f"Invalid H5 file, expected {kind.__name__} but received {type(obj)}")
    return obj


def _safe_group(root, path):
    group = root
    for part in path.split("/"):
        if not part:
            raise ValueError(f"Invalid path in H5 file: {path}")
        if part not in group:
            return None
        group = _child(group, part, h5py.Group)
    return group


def _safe_array(group, key):
    dataset = _child(group, key, h5py.Dataset)
    if dataset.external:
        raise ValueError(f"Not allowed: H5 file with external Dataset: {dataset.external}")
    if dataset.is_virtual:
        raise ValueError("Not allowed: H5 file with virtual Dataset")
    if dataset.dtype.kind not in "biufc":
        raise ValueError(f"Not allowed: H5 dataset '{key}' of non-numeric dtype {dataset.dtype}")
    declared = math.prod(dataset.shape) * dataset.dtype.itemsize
    stored = dataset.id.get_storage_size()
    if declared > _BOMB_FLOOR_BYTES and declared > _MAX_EXPANSION * stored:
        raise ValueError(
            f"Not allowed: H5 dataset '{key}' declares {declared} bytes but stores only "
            f"{stored}; refusing to load a potential decompression or shape bomb."
        )
    return np.asarray(dataset[()])


class H5Reader:
    """Reads the ``vars`` group of an object path from an open ``h5py.File``."""

    def __init__(self, h5_file):
        self._file = h5_file
        self._group = None

    def get(self, path):
        """Point the reader at ``path``'s ``vars`` group (empty when the file has none)."""
        group = _safe_group(self._file, path) if path else self._file
        self._group = None
        if group is not None and "vars" in group:
            self._group = _child(group, "vars", h5py.Group)
        return self

    def has_path(self, path):
        return _safe_group(self._file, path) is not None

    def keys(self):
        return [] if self._group is None else list(self._group.keys())

    def __len__(self):
        return len(self.keys())

    def __contains__(self, key):
        return self._group is not None and key in self._group

    def __getitem__(self, key):
        if self._group is None:
            raise KeyError(key)
        if key not in self._group:
            raise KeyError(key)
        return _safe_array(self._group, key)
