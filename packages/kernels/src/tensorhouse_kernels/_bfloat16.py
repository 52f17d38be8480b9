"""bfloat16 on first use: the kernels never import ml_dtypes (0.1 to 1 s), they wait for it.

When ml_dtypes is loaded before the kernels, the op tables hold bfloat16 from the start and
the kernels register for it as for any dtype. Otherwise ``install`` puts a finder on
``sys.meta_path`` that, once anything imports ml_dtypes (``tf.bfloat16``, JAX, a user making
a bfloat16 array), adds bfloat16 to the op tables and gives every float16 kernel of this
package a bfloat16 twin: the 16-bit kernels read the dtype from their buffers, and the
registry then holds what it holds when ml_dtypes comes first (a test compares the two).
"""

from __future__ import annotations

import sys
import threading

import numpy as np

from . import opdefs
from .runtime import list_kernels, registry

__all__ = ["install"]

_MODULE = "ml_dtypes"
# float16 kernels with no bfloat16 twin (TF has no bfloat16 kernel for them: cpu.py)
NO_BFLOAT16_KERNEL = frozenset({"Lgamma", "Digamma"})
_lock = threading.Lock()


def add_bfloat16() -> None:
    """bfloat16 into the op tables and the registry (once; ml_dtypes must be loaded)."""
    bf16 = np.dtype(sys.modules[_MODULE].bfloat16)
    with _lock:
        if not opdefs.add_bfloat16(bf16):
            return
        for k in list_kernels():
            if (
                k.dtype == "float16"
                and k.source.startswith("tensorhouse_kernels")
                and k.op_type not in NO_BFLOAT16_KERNEL
                and bf16 in opdefs.get_op_def(k.op_type).dtypes
            ):
                registry.register(
                    k.op_type, k.device_type, bf16, k.kernel, priority=k.priority, source=k.source
                )


class _Loader:  # the import system's loader protocol (importlib.abc: slower to import)
    """ml_dtypes' own loader, then ``add_bfloat16``; it leaves the module as it found it."""

    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        spec = module.__spec__
        spec.loader = module.__loader__ = self._loader
        self._loader.exec_module(module)
        _uninstall()
        add_bfloat16()


class _Finder:  # a meta path finder
    """Finds ml_dtypes with the finders after it and wraps its loader in ``_Loader``."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != _MODULE:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _Loader(spec.loader)
                return spec
        return None


_finder = _Finder()


def _uninstall() -> None:
    try:
        sys.meta_path.remove(_finder)
    except ValueError:
        pass


def install() -> None:
    """bfloat16 now if ml_dtypes is loaded, else as soon as it is."""
    if _MODULE in sys.modules:
        add_bfloat16()
    elif _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
