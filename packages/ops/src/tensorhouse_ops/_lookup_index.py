"""The host side of ``tf.lookup``: key -> value maps over NumPy arrays, vectorised.

Numeric keys live in a sorted array (``np.searchsorted``); string keys (``bytes``) in the
kernels' C++ hash index (``host_strings.StringIndex``, one probe a key), with a dict beside it.
"""

from __future__ import annotations

import itertools

import numpy as np

from tensorhouse_kernels import host_strings

__all__ = ["HostIndex", "dense_rows", "flat_bytes"]


def flat_bytes(a) -> np.ndarray:
    """An array of strings (``bytes`` or ``str``) as a flat object array of ``bytes``."""
    flat = np.asarray(a, dtype=object).reshape(-1)
    if flat.size and not isinstance(flat[0], bytes):
        flat = np.array([v.encode("utf-8") if isinstance(v, str) else bytes(v) for v in flat],
                        dtype=object)  # fmt: skip
    return flat


def dense_rows(values: np.ndarray, splits: np.ndarray, width: int, pad) -> np.ndarray:
    """The rows of a ragged ``(values, row_splits)`` as ``[rows, width]``: each row's first
    ``width`` values, then ``pad``."""
    lengths = np.diff(splits)
    out = np.full((len(lengths), width), pad, values.dtype)
    if values.size == 0 or width == 0:
        return out
    inside = np.arange(width) < lengths[:, None]  # row-major: the kept values in order
    if lengths.max() <= width:
        out[inside] = values
    else:
        place = np.arange(values.size) - np.repeat(splits[:-1], lengths)  # within its row
        out[inside] = values[place < width]
    return out


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

    def _string_index(self):
        if self._fast is None:
            self._fast = host_strings.StringIndex(np.asarray(self._keys, dtype=object))
        return self._fast

    def split_ngram_values(self, flat: np.ndarray, widths, sep: bytes, values, fill,
                           width=None, pad=0):  # fmt: skip
        """Split 1-D strings on ASCII whitespace: the value of each ngram of each string (each
        width in turn, then each start; ``values[position]``, ``fill`` where absent) and the
        row splits; with ``width``, each row's first ``width`` values as ``[rows, width]``,
        padded with ``pad`` (and the splits of what was kept)."""
        widths = [int(w) for w in widths]
        if self.is_string and len(self._pos) == self.size:
            fast = self._string_index()
            as_int = values.dtype == np.int64 and np.ndim(fill) == 0 and np.ndim(pad) == 0
            try:  # one C++ pass: no token or ngram strings made
                if as_int:
                    cut = -1 if width is None else int(width)
                    return fast.split_ngram_positions(flat, widths, sep, values, int(fill),
                                                      cut, int(pad))  # fmt: skip
                pos, splits = fast.split_ngram_positions(flat, widths, sep)
                return self._dense(self._pick(pos, values, fill), splits, width, pad)
            except TypeError:  # not all bytes: the steps one by one
                pass
        tokens, splits = host_strings.split_whitespace(flat_bytes(flat))
        if widths != [1]:
            tokens, splits = host_strings.ngram_join(tokens, splits, widths, sep)
        return self._dense(self._pick(self.positions(tokens), values, fill), splits, width, pad)

    @staticmethod
    def _dense(out, splits, width, pad):
        if width is None:
            return out, splits
        kept = np.concatenate([[0], np.cumsum(np.minimum(np.diff(splits), width))])
        return dense_rows(out, splits, int(width), pad), kept.astype(np.int64)

    @staticmethod
    def _pick(pos, values, fill):
        return np.append(values, fill).astype(values.dtype)[pos]  # position -1: ``fill``

    def positions(self, flat: np.ndarray) -> np.ndarray:
        """The position of each key of ``flat``, -1 where it is absent."""
        n = flat.shape[0]
        if self.size == 0:
            return np.full(n, -1, np.int64)
        if self.is_string and len(self._pos) == self.size:
            try:
                return self._string_index().positions(flat)  # one C++ probe a key
            except TypeError:  # not all bytes: the dict below
                pass
        if self.is_string:
            found = map(self._pos.get, flat.tolist(), itertools.repeat(-1))
            return np.fromiter(found, np.int64, count=n)
        flat = np.asarray(flat).astype(self._sorted.dtype, copy=False)
        at = np.minimum(np.searchsorted(self._sorted, flat), self.size - 1)
        hit = self._sorted[at] == flat
        return np.where(hit, self._order[at], -1)
