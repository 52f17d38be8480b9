"""Utilities: ``set_random_seed``, ``clear_session``, ``FeatureSpace``, Keras's host-side
array helpers ``to_categorical``, ``normalize`` and ``pad_sequences``, the image helpers
(``array_to_img``, ``img_to_array``, ``load_img``, ``save_img``), ``Config``,
``standardize_dtype``, ``is_keras_tensor``, ``get_source_inputs`` and the interactive logging
switch."""

from __future__ import annotations

import copy
import difflib
import json
import random as _pyrandom

import numpy as np

from tensorhouse_ops import is_tensor, random

from ._image_utils import array_to_img, img_to_array, load_img, save_img
from .keras_ops import _nn
from .keras_ops.backend import clear_session, is_keras_tensor
from .keras_ops.config import (
    disable_interactive_logging,
    enable_interactive_logging,
    floatx,
    is_interactive_logging_enabled,
)
from .layers.preprocessing import FeatureSpace

__all__ = [
    "Config", "FeatureSpace", "array_to_img", "clear_session", "disable_interactive_logging",
    "enable_interactive_logging", "get_source_inputs", "img_to_array",
    "is_interactive_logging_enabled", "is_keras_tensor", "load_img", "normalize",
    "pad_sequences", "save_img", "set_random_seed", "standardize_dtype", "to_categorical",
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


_DTYPES = (
    "float16", "float32", "float64", "uint8", "uint16", "uint32", "uint64", "int8", "int16",
    "int32", "int64", "bfloat16", "bool", "string", "float8_e4m3fn", "float8_e5m2",
    "complex64", "complex128",
)  # fmt: skip
_PYTHON_DTYPES = {bool: "bool", int: "int64", float: "float32", str: "string", "int": "int64",
                  complex: "complex128"}  # fmt: skip


def standardize_dtype(dtype):
    """Keras's dtype name for ``dtype`` (a name, a DType, a NumPy dtype or type, a Python
    type: ``int`` is ``"int64"`` as on Keras's TensorFlow backend); ``None`` is ``floatx()``."""
    if dtype is None:
        return floatx()
    dtype = _PYTHON_DTYPES.get(dtype, dtype)
    name = getattr(dtype, "name", None) or getattr(dtype, "__name__", None) or dtype
    if name not in _DTYPES:
        raise ValueError(f"Invalid dtype: {name}")
    return name


def get_source_inputs(tensor):
    """The ``Input`` tensors that ``tensor`` (a ``KerasTensor``) is computed from, each once,
    in the order met; anything that is not a ``KerasTensor`` comes back as it is."""
    if not hasattr(tensor, "_keras_history"):
        return tensor
    node = tensor.node
    if node is None:
        return [tensor]
    if node.is_input:
        return [node.outputs] if not isinstance(node.outputs, list | tuple) else [*node.outputs]
    sources = []
    for x in node.input_tensors:
        for s in get_source_inputs(x):
            if all(s is not t for t in sources):
                sources.append(s)
    return sources


class Config:
    """Keras's ``keras.utils.Config``: a dict whose keys are also attributes, that can be
    frozen (then every change raises ``ValueError``)."""

    def __init__(self, **kwargs):
        object.__setattr__(self, "_config", kwargs)
        object.__setattr__(self, "_frozen", False)

    @property
    def frozen(self):
        return self._frozen

    def freeze(self):
        object.__setattr__(self, "_frozen", True)

    def unfreeze(self):
        object.__setattr__(self, "_frozen", False)

    def _check(self):
        if self._frozen:
            raise ValueError("Cannot mutate attribute(s) because the config is frozen.")

    def as_dict(self):
        return copy.copy(self._config)

    def to_json(self):
        return json.dumps(self._config)

    def keys(self):
        return self._config.keys()

    def values(self):
        return self._config.values()

    def items(self):
        return self._config.items()

    def pop(self, *args):
        self._check()
        return self._config.pop(*args)

    def update(self, *args, **kwargs):
        self._check()
        return self._config.update(*args, **kwargs)

    def get(self, keyname, value=None):
        return self._config.get(keyname, value)

    def __setattr__(self, name, value):
        if hasattr(type(self), name):
            return object.__setattr__(self, name, value)
        self[name] = value

    def __getattr__(self, name):
        config = object.__getattribute__(self, "_config")
        if name in config:
            return config[name]
        message = f"Unknown attribute: '{name}'."
        match = difflib.get_close_matches(name, config.keys(), n=1, cutoff=0.7)
        raise AttributeError(message + (f" Did you mean '{match[0]}'?" if match else ""))

    def __setitem__(self, key, item):
        self._check()
        self._config[key] = item

    def __getitem__(self, key):
        return self._config[key]

    def __delitem__(self, key):
        self._check()
        del self._config[key]

    def __repr__(self):
        return f"<Config {self._config}>"

    def __iter__(self):
        return iter(sorted(self._config))

    def __len__(self):
        return len(self._config)

    def __contains__(self, item):
        return item in self._config
