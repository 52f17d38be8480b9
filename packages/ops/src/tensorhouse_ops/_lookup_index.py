"""The host side of ``tf.lookup``: key -> value maps over NumPy arrays, vectorised.

Numeric keys live in a sorted array (``np.searchsorted``); string keys (``bytes``) in the
kernels' C++ hash index (``host_strings.StringIndex``, one probe a key), with a dict beside it.
"""

from __future__ import annotations

import itertools

import numpy as np

from tensorhouse_kernels import host_strings

__all__ = ["HostIndex", "flat_bytes"]


def flat_bytes(a) -> np.ndarray:
    """An array of strings (``bytes`` or ``str``) as a flat object array of ``bytes``."""
    flat = np.asarray(a, dtype=object).reshape(-1)
    if flat.size and not isinstance(flat[0], bytes):
        flat = np.array([v.encode("utf-8") if isinstance(v, str) else bytes(v) for v in flat],
                        dtype=object)  # fmt: skip
    return flat


class HostIndex:
    """An immutable map from unique keys to positions ``0..n-1``."""

    def __init__(self, keys: np.ndarray, is_string: bool):
        self.is_string = is_string
        self.size = len(keys)
        if is_string:
            self._pos = {k: i for i, k in enumerate(keys.tolist())}
            self._keys = keys
            self._fast = None  # the C++ hash index, built on the first lookup
        else:
            keys = np.asarray(keys)
            self._order = np.argsort(keys, kind="stable")
            self._sorted = keys[self._order]

    def positions(self, flat: np.ndarray) -> np.ndarray:
        """The position of each key of ``flat``, -1 where it is absent."""
        n = flat.shape[0]
        if self.size == 0:
            return np.full(n, -1, np.int64)
        if self.is_string and len(self._pos) == self.size:
            if self._fast is None:
                self._fast = host_strings.StringIndex(np.asarray(self._keys, dtype=object))
            try:
                return self._fast.positions(flat)  # one C++ probe a key
            except TypeError:  # not all bytes: the dict below
                pass
        if self.is_string:
            found = map(self._pos.get, flat.tolist(), itertools.repeat(-1))
            return np.fromiter(found, np.int64, count=n)
        flat = np.asarray(flat).astype(self._sorted.dtype, copy=False)
        at = np.minimum(np.searchsorted(self._sorted, flat), self.size - 1)
        hit = self._sorted[at] == flat
        return np.where(hit, self._order[at], -1)
