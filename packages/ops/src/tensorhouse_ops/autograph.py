"""TF's ``tf.autograph``: show and control the conversion of Python control flow that
``tf.function`` applies (``_autograph.py``)."""

import sys as _sys
import types as _types

from . import _autograph
from ._autograph import ConversionError

__all__ = ["ConversionError", "experimental", "to_code", "to_graph", "trace"]


def to_code(entity, recursive=True, experimental_optional_features=None):
    """The converted Python source of ``entity`` (a function, method or ``tf.function``)."""
    return _autograph.to_code(entity)


def to_graph(entity, recursive=True, experimental_optional_features=None):
    """``entity`` converted: a Python function whose control flow on tensors builds graph ops
    when it runs inside ``tf.function``."""
    if hasattr(entity, "python_function"):
        entity = entity.python_function
    converted = _autograph.convert(entity)
    if converted is entity:
        raise ConversionError(f"converting {entity!r}: its source is not available")
    return converted


def trace(*args):
    """Print ``args`` when the code runs: at trace time inside ``tf.function``."""
    print(*args)


experimental = _types.ModuleType(__name__ + ".experimental")
experimental.__doc__ = "TF's ``tf.autograph.experimental``."


def _do_not_convert(func=None):
    """TF's ``tf.autograph.experimental.do_not_convert``: run ``func`` as written."""
    return _autograph.do_not_convert(func)


def _set_loop_options(
    parallel_iterations=None, swap_memory=None, maximum_iterations=None, shape_invariants=None
):
    """TF's ``tf.autograph.experimental.set_loop_options``: hints for the enclosing converted
    loop's ``while_loop``. ``parallel_iterations`` and ``swap_memory`` are hints, taken and
    ignored; ``shape_invariants`` too (loops relax changing shapes themselves).
    ``maximum_iterations`` would change the loop's count: not supported, so it raises rather
    than run the loop to its full count."""
    if maximum_iterations is not None:
        raise NotImplementedError(
            "tf.autograph.experimental.set_loop_options(maximum_iterations=...) is not supported "
            "by tensorhouse: bound the loop's own condition instead."
        )


experimental.do_not_convert = _do_not_convert  # pyright: ignore[reportAttributeAccessIssue]
experimental.set_loop_options = _set_loop_options  # pyright: ignore[reportAttributeAccessIssue]
_sys.modules[experimental.__name__] = experimental
