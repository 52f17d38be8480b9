"""TF's ``tf.autograph``: show and control the conversion of Python control flow that
``tf.function`` applies (``_autograph.py``)."""

import importlib as _importlib
import sys as _sys
import types as _types

__all__ = ["ConversionError", "experimental", "to_code", "to_graph", "trace"]  # noqa: F822 (lazy)


def _converter():
    """The converter module, loaded on first use: ``import tensorhouse_ops`` does not pay for
    it (``tf.function`` loads it at a first trace)."""
    return _importlib.import_module(f"{__package__}._autograph")


def __getattr__(name):
    if name == "ConversionError":
        return _converter().ConversionError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def to_code(entity, recursive=True, experimental_optional_features=None):
    """The converted Python source of ``entity`` (a function, method or ``tf.function``)."""
    return _converter().to_code(entity)


def to_graph(entity, recursive=True, experimental_optional_features=None):
    """``entity`` converted: a Python function whose control flow on tensors builds graph ops
    when it runs inside ``tf.function``."""
    if hasattr(entity, "python_function"):
        entity = entity.python_function
    ag = _converter()
    converted = ag.convert(entity)
    if converted is entity:
        raise ag.ConversionError(f"converting {entity!r}: its source is not available")
    return converted


def trace(*args):
    """Print ``args`` when the code runs: at trace time inside ``tf.function``."""
    print(*args)


experimental = _types.ModuleType(__name__ + ".experimental")
experimental.__doc__ = "TF's ``tf.autograph.experimental``."


def _do_not_convert(func=None):
    """TF's ``tf.autograph.experimental.do_not_convert``: run ``func`` as written."""
    return _converter().do_not_convert(func)


experimental.do_not_convert = _do_not_convert  # pyright: ignore[reportAttributeAccessIssue]
_sys.modules[experimental.__name__] = experimental
