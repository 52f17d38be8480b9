"""The CPU backend: discovery and buffers (C-contiguous NumPy arrays, shared without copies)."""

from __future__ import annotations

import os

import numpy as np

DEVICE_TYPE = "CPU"


def discover() -> list[dict]:
    """One physical CPU device holding every core, as TF reports it."""
    return [{"index": 0, "cores": os.cpu_count() or 1}]


def allocate(shape, dtype) -> np.ndarray:
    return np.empty(shape, dtype=dtype)


def from_host(array) -> np.ndarray:
    """Host memory is this device's memory: only copy when the array is not C-contiguous.

    (Not ``np.ascontiguousarray``: it turns 0-d arrays into 1-d ones.)
    """
    array = np.asarray(array)
    return array if array.flags.c_contiguous else array.copy(order="C")


def to_host(handle) -> np.ndarray:
    return handle
