"""Utilities: ``set_random_seed``, ``clear_session`` and ``FeatureSpace``."""

from __future__ import annotations

import random as _pyrandom

import numpy as np

from tensorhouse_ops import random

from . import _naming
from .layers.preprocessing import FeatureSpace

__all__ = ["FeatureSpace", "clear_session", "set_random_seed"]


def set_random_seed(seed: int) -> None:
    """Seed everything at once (Keras's ``keras.utils.set_random_seed``).

    Sets the ops global seed (which also restarts its op-seed counter, so weights, dropout
    masks, ``Dataset.shuffle`` and ``fit``'s shuffling repeat), Python's ``random`` and NumPy's
    legacy global generator.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ValueError(
            f"Expected `seed` argument to be an integer. Received: seed={seed!r} "
            f"(of type {type(seed).__name__})"
        )
    seed = int(seed)
    random.set_seed(seed)
    _pyrandom.seed(seed)
    np.random.seed(seed % 2**32)


def clear_session() -> None:
    """Restart default layer names (``dense``, ``dense_1``, ...) from the beginning."""
    _naming.reset_names()
