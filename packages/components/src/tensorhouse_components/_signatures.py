"""Constructors with Keras 3's signatures for classes that pass arguments on through ``**kwargs``.

``keras_signature(Base.__init__)`` decorates an ``__init__`` that names a few parameters and
hands the rest to its base: the result takes, by position or by name, the decorated function's
parameters, then those of the bases it lacks, then ``name``, then ``**kwargs`` (or exactly the
parameters ``order`` lists, for Keras's own orders), so ``inspect.signature`` and positional
calls are Keras's. It binds the call to that signature and calls the decorated function with
every argument by name.
"""

from __future__ import annotations

import functools
import inspect

__all__ = ["keras_signature"]

_NAMED = inspect.Parameter.POSITIONAL_OR_KEYWORD


def keras_signature(*bases, order=None, **defaults):
    """A decorator of ``__init__``; ``defaults`` replace defaults or give those of parameters
    that only ``order`` names (arguments the chain takes through ``**kwargs``)."""

    def decorate(init):
        found = {}
        for f in (init, *bases):
            for p in inspect.signature(f).parameters.values():
                found.setdefault(p.name, p)
        var_kw = next(p for p in found.values() if p.kind is p.VAR_KEYWORD)
        if order is None:
            names = [n for n, p in found.items() if p.kind in (_NAMED, p.KEYWORD_ONLY)]
            names = [n for n in names if n != "name"] + (["name"] if "name" in found else [])
        else:
            names = ["self", *order.split()]
        params = []
        for n in names:
            p = found.get(n) or inspect.Parameter(n, _NAMED)
            p = p.replace(kind=_NAMED, default=defaults.get(n, p.default))
            params.append(p)
        signature = inspect.Signature([*params, var_kw])

        @functools.wraps(init)
        def __init__(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            extra = bound.arguments.pop(var_kw.name)
            init(**bound.arguments, **extra)

        __init__.__signature__ = signature
        return __init__

    return decorate
