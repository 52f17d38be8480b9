"""``import tensorhouse as tf``: TensorFlow 2's names on the five tensorhouse layers.

Names are resolved lazily on first use, so ``import tensorhouse`` itself stays fast; the layers
load the first time a name such as ``tf.constant`` is touched.
"""

from __future__ import annotations

import importlib
from typing import Any

_SUBMODULES = {
    "keras", "data", "train", "saved_model", "export", "distribute", "feature_column",
    "experimental",
}  # fmt: skip
_FROM_DATA = {"OptionalSpec"}  # TF's top-level names that tf.data defines
_NOT_TF = {"CompositeTensor"}  # public in the ops layer, not a TF 2 top-level name


def _version() -> str:  # reads the installed metadata (slow to import) on first use only
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tensorhouse")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0.0.0+unknown"


def _ops():
    return importlib.import_module("tensorhouse_models").ops


def __getattr__(name: str) -> Any:  # any TF name: a function, a class, a module
    if name == "__version__":
        value = _version()
    elif name in _SUBMODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    elif name in _FROM_DATA:
        value = getattr(importlib.import_module("tensorhouse_models").data, name)
    elif name.startswith("__"):
        raise AttributeError(name)
    elif name in _NOT_TF:
        raise AttributeError(f"module 'tensorhouse' has no attribute '{name}'")
    else:
        ops = _ops()  # outside the try: an error while loading the layers shows as itself
        try:
            value = getattr(ops, name)
        except AttributeError:
            raise AttributeError(f"module 'tensorhouse' has no attribute '{name}'") from None
    globals()[name] = value
    return value


def __dir__():
    return sorted((set(globals()) | _SUBMODULES | _FROM_DATA | set(dir(_ops()))) - _NOT_TF)
