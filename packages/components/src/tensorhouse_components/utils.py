"""Utilities: ``set_random_seed``, ``clear_session``, ``FeatureSpace`` and Keras's host-side
array helpers ``to_categorical``, ``normalize`` and ``pad_sequences``."""

from __future__ import annotations

import random as _pyrandom

import numpy as np

from tensorhouse_ops import is_tensor, random

from .keras_ops import _nn
from .keras_ops.backend import clear_session
from .layers.preprocessing import FeatureSpace

__all__ = [
    "FeatureSpace", "clear_session", "normalize", "pad_sequences", "set_random_seed",
    "to_categorical",
]  # fmt: skip


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


def to_categorical(x, num_classes=None):
    """One-hot rows for class indices; a trailing axis of 1 is dropped. A tensor gives a
    float32 tensor (``num_classes`` required); anything else a float64 NumPy array, with
    ``num_classes`` defaulting to ``max(x) + 1``."""
    if is_tensor(x):
        if x.shape.rank is not None and x.shape.rank > 1 and x.shape[-1] == 1:
            x = x[..., 0]
        return _nn.one_hot(x, num_classes)
    x = np.array(x, dtype="int64")
    shape = x.shape[:-1] if x.ndim > 1 and x.shape[-1] == 1 else x.shape
    x = x.reshape(-1)
    num_classes = num_classes or int(np.max(x)) + 1
    out = np.zeros((x.shape[0], num_classes))
    out[np.arange(x.shape[0]), x] = 1
    return out.reshape(shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """``x`` divided by its ``order``-norm along ``axis`` (zero norms left as 1). A NumPy array
    stays NumPy; a tensor goes through ``keras.ops.normalize``."""
    if not isinstance(x, np.ndarray):
        return _nn.normalize(x, axis=axis, order=order)
    norm = np.linalg.norm(x, order, axis, keepdims=True)
    return x / np.where(norm == 0, 1, norm)


def pad_sequences(
    sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0
):
    """A ``(len(sequences), maxlen, ...)`` array: each sequence cut to ``maxlen`` (``truncating``
    "pre" keeps its end, "post" its start) and filled with ``value`` before ("pre") or after
    ("post") it; ``maxlen`` defaults to the longest sequence."""
    if not hasattr(sequences, "__len__"):
        raise ValueError("`sequences` must be iterable.")
    for s in sequences:
        if not hasattr(s, "__len__"):
            raise ValueError(f"`sequences` must be a list of iterables. Found non-iterable: {s}")
    sample_shape = next((np.asarray(s).shape[1:] for s in sequences if len(s)), ())
    if maxlen is None:
        maxlen = max((len(s) for s in sequences), default=0)
    is_str = np.issubdtype(dtype, np.str_) or np.issubdtype(dtype, np.bytes_)
    if isinstance(value, str) and dtype is not object and not is_str:
        raise ValueError(
            f"`dtype` {dtype} is not compatible with `value`'s type: {type(value)}\n"
            "You should set `dtype=object` for variable length strings."
        )
    if padding not in ("pre", "post"):
        raise ValueError(f'Padding type "{padding}" not understood')
    if truncating not in ("pre", "post"):
        raise ValueError(f'Truncating type "{truncating}" not understood')
    out = np.full((len(sequences), maxlen, *sample_shape), value, dtype=dtype)
    for i, s in enumerate(sequences):
        if not len(s) or not maxlen:
            continue
        kept = np.asarray(s[-maxlen:] if truncating == "pre" else s[:maxlen], dtype=dtype)
        if kept.shape[1:] != sample_shape:
            raise ValueError(
                f"Shape of sample {kept.shape[1:]} of sequence at position {i} is different "
                f"from expected shape {sample_shape}"
            )
        if padding == "post":
            out[i, : len(kept)] = kept
        else:
            out[i, -len(kept) :] = kept
    return out
