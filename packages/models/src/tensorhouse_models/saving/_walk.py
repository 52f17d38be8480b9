"""Which objects a ``.weights.h5`` file holds, under which paths: Keras 3's walk.

From the model, each object that owns values (a layer, a model, an optimizer) gets a path: its
attribute name under its parent (``blk/a``), or, inside a list, tuple or dict, the snake_case
name of its class made unique within that container (``layers/dense``, ``layers/dense_1``;
nested containers are ``container``, ``container_1``). Sequential and Functional models list
their ``layers`` first; then come the attributes in sorted order, private ones last. The base
classes' own attributes are skipped (a model keeps ``layers`` and ``optimizer``), and an object
met twice (a shared layer) is kept under its first path only.
"""

from __future__ import annotations

import dis
import inspect
import re

from tensorhouse_components import layers as layers_module
from tensorhouse_components import optimizers

__all__ = ["class_path_name", "is_saveable", "iter_children", "snake_case", "unique_name"]

# layers whose Python class in Keras is named otherwise than its public name (the file's
# paths follow the class: ``layers/grouped_query_attention/...``)
_KERAS_CLASS_NAMES = {"GroupQueryAttention": "GroupedQueryAttention"}


def snake_case(name: str) -> str:
    """``BatchNormalization`` -> ``batch_normalization`` (Keras's rule, ``Conv2D`` ->
    ``conv2d``)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def class_path_name(obj) -> str:
    """The path name Keras gives ``obj`` inside a list of layers: its class's, snake_case."""
    name = type(obj).__name__
    return snake_case(_KERAS_CLASS_NAMES.get(name, name))


def unique_name(name: str, used: dict) -> str:
    """``name``, then ``name_1``, ``name_2``, ... as it repeats within one container."""
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def is_saveable(obj) -> bool:
    """Objects with values of their own in the file: layers (models too) and optimizers."""
    return isinstance(obj, layers_module.Layer | optimizers.Optimizer)


def _stored_attributes(code) -> set:
    """Attribute names a code object (and those nested in it) assigns: ``self.name = ...``,
    and, where it calls ``__setattr__``, the identifiers among its string constants."""
    names = {i.argval for i in dis.get_instructions(code) if i.opname == "STORE_ATTR"}
    if "__setattr__" in code.co_names:
        names |= {c for c in code.co_consts if isinstance(c, str) and c.isidentifier()}
    for const in code.co_consts:
        if inspect.iscode(const):
            names |= _stored_attributes(const)
    return names


def _own_names(cls) -> set:
    """Attributes a library base class defines: its class members and the instance
    attributes its methods assign (read from their bytecode)."""
    names = set(dir(cls))
    for klass in cls.__mro__:
        for member in vars(klass).values() if klass is not object else ():
            if isinstance(member, property):
                funcs = [member.fget, member.fset]
            else:
                funcs = [getattr(member, "__func__", member)]
            for func in funcs:
                code = getattr(func, "__code__", None)
                if code is not None:
                    names |= _stored_attributes(code)
    return names


_SKIP: dict = {}


def _skipset(kind: str) -> set:
    """The base-class attributes not walked for ``kind`` (computed once)."""
    if kind not in _SKIP:
        from .._functional import Functional
        from .._model import Model
        from .._sequential import Sequential

        if kind == "optimizer":
            skip = _own_names(optimizers.Optimizer) - {"variables"}
        elif kind == "layer":
            skip = _own_names(layers_module.Layer)
        else:  # models keep ``optimizer``; Sequential and Functional list ``layers`` first
            skip = _own_names(Model) | {"_compiled_trainable_state"}
            if kind == "sequential":
                skip |= _own_names(Sequential)
            elif kind == "functional":
                skip |= _own_names(Functional)
            skip -= {"optimizer", "layers"}
            if kind != "model":
                skip.add("layers")
        _SKIP[kind] = skip
    return _SKIP[kind]


def _kind(obj) -> str:
    from .._functional import Functional
    from .._model import Model
    from .._sequential import Sequential

    if isinstance(obj, optimizers.Optimizer):
        return "optimizer"
    if isinstance(obj, Sequential):
        return "sequential"
    if isinstance(obj, Functional):
        return "functional"
    if isinstance(obj, Model):
        return "model"
    return "layer"


def _sort_key(name: str) -> str:
    return f"~{name}" if name.startswith("_") else name


def iter_children(obj):
    """``(attribute name, value)`` pairs of ``obj`` in Keras's order."""
    kind = _kind(obj)
    if kind in ("sequential", "functional"):
        yield "layers", obj.layers
    skip = _skipset(kind)
    for name in sorted(dir(obj), key=_sort_key):
        if name.startswith("__") or name in skip:
            continue
        try:
            value = getattr(obj, name)
        except Exception:  # a property that cannot answer yet is not state
            continue
        yield name, value
