"""Keras masks carried by tensors (Keras 3's ``_keras_mask``).

As Keras does: an object that takes attributes (a Variable) carries the mask as its
``_keras_mask`` attribute; the ops layer's tensors take none, so their masks live in a side table
keyed by ``id`` and are dropped when the tensor is collected (eager and traced tensors alike).
"""

from __future__ import annotations

import weakref

__all__ = ["get_keras_mask", "set_keras_mask", "carry_mask"]

_table: dict = {}  # id(tensor) -> (weakref to the tensor, mask)


def _forget(key, ref):
    entry = _table.get(key)
    if entry is not None and entry[0] is ref:
        del _table[key]


def get_keras_mask(x):
    """The mask attached to ``x``, or None."""
    if hasattr(x, "_keras_mask"):
        return x._keras_mask
    entry = _table.get(id(x))
    if entry is None or entry[0]() is not x:
        return None
    return entry[1]


def set_keras_mask(x, mask) -> None:
    """Attach ``mask`` to ``x`` (None removes it); objects without weak references are skipped."""
    try:
        x._keras_mask = mask
        return
    except AttributeError:
        pass
    if mask is None:
        _table.pop(id(x), None)
        return
    key = id(x)
    try:
        ref = weakref.ref(x, lambda r, key=key: _forget(key, r))
    except TypeError:
        return
    _table[key] = (ref, mask)


def carry_mask(source, target):
    """``target`` with ``source``'s mask attached (when it has one); returns ``target``."""
    if target is not source:
        mask = get_keras_mask(source)
        if mask is not None and get_keras_mask(target) is None:
            set_keras_mask(target, mask)
    return target
