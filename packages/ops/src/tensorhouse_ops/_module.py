"""``tf.Module``: a named container that finds its variables and submodules by walking its
attributes (lists, tuples and dicts included), as TF's ``tf.Module`` does."""

from __future__ import annotations

import contextlib
import re

from ._graph import enter_scope, scopes
from ._variables import VARIABLE_LIKE

__all__ = ["Module", "name_scope"]


@contextlib.contextmanager
def name_scope(name):
    """TF's ``tf.name_scope``: a prefix for the names of the ops traced inside it."""
    full = enter_scope(name)
    try:
        yield full + "/"
    finally:
        scopes().pop()


def _is_variable(x):
    return isinstance(x, VARIABLE_LIKE)


class Module:
    """TF's ``tf.Module``: ``variables``, ``trainable_variables``, ``submodules``,
    ``name`` and ``name_scope``; attributes in ``_TF_MODULE_IGNORED_PROPERTIES`` are skipped."""

    _TF_MODULE_IGNORED_PROPERTIES = frozenset()

    def __init__(self, name=None):
        if name is None:
            name = _camel_to_snake(type(self).__name__)
        elif not re.fullmatch(r"[A-Za-z_][\w.\-]*", name):
            raise ValueError(
                f"'{name}' is not a valid module name. Module names must be valid Python "
                "identifiers (e.g. a valid class name)."
            )
        self._name = name
        self._scope_name = name + "/"

    @property
    def name(self):
        return self._name

    @property
    def name_scope(self):
        return _NameScope(self._scope_name)

    @classmethod
    def with_name_scope(cls, method):
        def wrapped(self, *args, **kwargs):
            with self.name_scope:
                return method(self, *args, **kwargs)

        return wrapped

    def _flatten(self, predicate, recursive=True):
        """TF's order: a module's own attributes (sorted by name, nested containers
        flattened), then each submodule found there, depth first."""
        seen, found, found_ids = {id(self)}, [], set()

        def visit(module):
            subs = []
            for leaf in module._leaves():
                if isinstance(leaf, Module) and id(leaf) not in seen:
                    seen.add(id(leaf))
                    subs.append(leaf)
                if predicate(leaf) and id(leaf) not in found_ids:
                    found_ids.add(id(leaf))
                    found.append(leaf)
            if recursive:
                for sub in subs:
                    visit(sub)

        visit(self)
        return found

    def _leaves(self):
        ignored = self._TF_MODULE_IGNORED_PROPERTIES
        attrs = vars(self)
        for key in sorted(attrs):
            if key in ignored or key in ("_name", "_scope_name"):
                continue
            yield from _flat(attrs[key])

    @property
    def variables(self):
        """Every variable of this module and its submodules, in attribute-name order."""
        return tuple(self._flatten(_is_variable))

    @property
    def trainable_variables(self):
        return tuple(self._flatten(lambda v: _is_variable(v) and v.trainable))

    @property
    def non_trainable_variables(self):
        return tuple(self._flatten(lambda v: _is_variable(v) and not v.trainable))

    @property
    def submodules(self):
        """Every module below this one (not itself), breadth as found while walking."""
        return tuple(self._flatten(lambda v: isinstance(v, Module)))

    # no __repr__: as TF's, a module prints as any Python object (``<__main__.Dense object at``)


class _NameScope:
    def __init__(self, name):
        self.name = name
        self._cm = None

    def __enter__(self):
        self._cm = name_scope(self.name)
        return self._cm.__enter__()

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def _flat(value):
    if isinstance(value, dict):
        for k in sorted(value, key=repr):
            yield from _flat(value[k])
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _flat(v)
    else:
        yield value


def _camel_to_snake(name):
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()
