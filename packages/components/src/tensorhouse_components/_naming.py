"""Unique default names for layers, models and metrics: ``dense``, ``dense_1``, ..."""

from __future__ import annotations

import collections
import threading

from ._serialization import snake_case

_counts: collections.Counter = collections.Counter()
_lock = threading.Lock()


def unique_name(base: str) -> str:
    """``base`` the first time, then ``base_1``, ``base_2``, ... (Keras's auto-naming)."""
    base = snake_case(base)
    with _lock:
        n = _counts[base]
        _counts[base] += 1
    return base if n == 0 else f"{base}_{n}"


def reset_names() -> None:
    """Forget every name given so far (``utils.clear_session``)."""
    with _lock:
        _counts.clear()


def get_uid(prefix: str = "") -> int:
    """Keras's ``backend.get_uid``: 1, 2, ... per ``prefix``, the counter default names use."""
    with _lock:
        _counts[prefix] += 1
        return _counts[prefix]
