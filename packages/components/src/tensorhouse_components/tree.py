"""Keras 3's ``keras.tree``: nested structures of lists, tuples, namedtuples and dicts.

A structure's nodes are lists, tuples, namedtuples, dicts (their keys in sorted order; an
``OrderedDict`` keeps its own order) and ``collections.deque``; everything else, ``None``
included unless ``none_is_leaf=False``, is a leaf (tensors, arrays, strings, sets, numbers).
The models layer's epoch iterator walks its inputs with it.
"""

from __future__ import annotations

import collections
import warnings

__all__ = [
    "MAP_TO_NONE", "assert_same_paths", "assert_same_structure", "flatten", "flatten_with_path",
    "is_nested", "lists_to_tuples", "map_shape_structure", "map_structure",
    "map_structure_up_to", "pack_sequence_as", "traverse",
]  # fmt: skip


class MAP_TO_NONE:  # Keras's name and spelling
    """Returned by a ``traverse`` function: put ``None`` in that place of the result."""


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def _is_node(x, none_is_leaf=True) -> bool:
    if x is None:
        return not none_is_leaf
    return isinstance(x, list | tuple | dict | collections.deque)


def _keys(d) -> list:
    """A dict's keys in the order its children are visited: sorted, unless the dict is ordered
    by construction (``OrderedDict``) or its keys do not sort."""
    if isinstance(d, collections.OrderedDict):
        return list(d)
    try:
        return sorted(d)
    except TypeError:
        return list(d)


def _children(x) -> list:
    if x is None:
        return []
    if isinstance(x, dict):
        return [x[k] for k in _keys(x)]
    return list(x)


def _child_keys(x) -> list:
    """The path component of each child: an index, or a dict key."""
    if isinstance(x, dict):
        return _keys(x)
    return list(range(len(x))) if x is not None else []


def _rebuild(node, children: list):
    """A node of ``node``'s type holding ``children`` (in visiting order)."""
    if node is None:
        return None
    if isinstance(node, dict):
        by_key = dict(zip(_keys(node), children))
        if isinstance(node, collections.defaultdict):
            out = collections.defaultdict(node.default_factory)
        else:
            out = type(node)()
        for k in node:  # the result keeps the input's own key order
            out[k] = by_key[k]
        return out
    if _is_namedtuple(node):
        return type(node)(*children)
    if isinstance(node, collections.deque):
        return collections.deque(children, maxlen=node.maxlen)
    if isinstance(node, tuple):
        return tuple(children) if type(node) is tuple else type(node)(children)
    return list(children) if type(node) is list else type(node)(children)


def _type_name(node) -> str:
    if _is_namedtuple(node):
        return "collections.namedtuple"
    if isinstance(node, collections.OrderedDict):
        return "collections.OrderedDict"
    if isinstance(node, collections.defaultdict):
        return "collections.defaultdict"
    if isinstance(node, collections.deque):
        return "collections.deque"
    return type(node).__name__


def _same_kind(a, b) -> bool:
    if _is_namedtuple(a) or _is_namedtuple(b):
        return type(a) is type(b)
    for kind in (collections.OrderedDict, collections.defaultdict, dict, collections.deque):
        if isinstance(a, kind):
            return isinstance(b, kind)
    for kind in (list, tuple):
        if isinstance(a, kind):
            return isinstance(b, kind) and not _is_namedtuple(b)
    return False


def _check_match(a, b, none_is_leaf=True):
    """Raise Keras's ValueError when ``b``'s top node differs from ``a``'s (a node)."""
    if not _is_node(b, none_is_leaf) or not _same_kind(a, b):
        raise ValueError(f"Expected an instance of {_type_name(a)}, got {b!r}.")
    if isinstance(a, dict):
        if set(a) != set(b):
            want, got = _keys(a), _keys(b)
            missing = [k for k in want if k not in b]
            extra = [k for k in got if k not in a]
            raise ValueError(
                f"dictionary key mismatch; expected key(s): {want}, got key(s): {got}, "
                f"missing key(s): {missing}, extra key(s): {extra}; dict: {b!r}."
            )
    elif a is not None and len(a) != len(b):
        raise ValueError(
            f"{_type_name(a)} arity mismatch; expected: {len(a)}, got: {len(b)}; "
            f"{_type_name(a)}: {b!r}."
        )


def is_nested(structure) -> bool:
    """Whether ``structure`` is a node (a list, tuple, namedtuple, dict or deque)."""
    return _is_node(structure)


def flatten(structure) -> list:
    """The leaves of ``structure``, depth first; dict values in sorted-key order."""
    out: list = []

    def walk(x):
        if _is_node(x):
            for c in _children(x):
                walk(c)
        else:
            out.append(x)

    walk(structure)
    return out


def flatten_with_path(structure) -> list:
    """``(path, leaf)`` pairs, a path being the tuple of indices and dict keys down to it."""
    out: list = []

    def walk(x, path):
        if _is_node(x):
            for k, c in zip(_child_keys(x), _children(x)):
                walk(c, (*path, k))
        else:
            out.append((path, x))

    walk(structure, ())
    return out


def map_structure(func, *structures, none_is_leaf=True):
    """``func`` applied leaf by leaf across ``structures`` (all of the same structure); the
    result has the first one's structure. With ``none_is_leaf=False`` a ``None`` is kept as it
    is, never passed to ``func``."""
    if not structures:
        raise ValueError("Must provide at least one structure")

    def walk(xs):
        first = xs[0]
        if not _is_node(first, none_is_leaf):
            for other in xs[1:]:
                if _is_node(other, none_is_leaf):
                    raise ValueError(f"Expected an instance of {_type_name(first)}, got {other!r}.")
            return func(*xs)
        for other in xs[1:]:
            _check_match(first, other, none_is_leaf)
        columns = zip(*[_children(x) for x in xs])
        return _rebuild(first, [walk(list(c)) for c in columns])

    return walk(list(structures))


def map_structure_up_to(shallow_structure, func, *structures):
    """``func`` applied to the sub-structures of ``structures`` found at the leaves of
    ``shallow_structure``; the result has the shallow structure."""
    if not structures:
        raise ValueError("Must provide at least one structure")

    def walk(shallow, xs):
        if not _is_node(shallow):
            return func(*xs)
        for x in xs:
            _check_match(shallow, x)
        if isinstance(shallow, dict):  # by the shallow dict's keys (their order may not sort)
            keys = _keys(shallow)
            columns = [[x[k] for x in xs] for k in keys]
            return _rebuild(shallow, [walk(s, c) for s, c in zip(_children(shallow), columns)])
        columns = [list(c) for c in zip(*[_children(x) for x in xs])]
        return _rebuild(shallow, [walk(s, c) for s, c in zip(_children(shallow), columns)])

    return walk(shallow_structure, list(structures))


def pack_sequence_as(structure, flat_sequence):
    """``flat_sequence``'s values put back into ``structure``'s shape (its leaves replaced in
    ``flatten`` order)."""
    flat = list(flat_sequence)
    expected = len(flatten(structure))
    if len(flat) < expected:
        raise ValueError(f"Too few leaves for PyTreeSpec; expected: {expected}, got: {len(flat)}.")
    if len(flat) > expected:
        raise ValueError(f"Too many leaves for PyTreeSpec; expected: {expected}.")
    it = iter(flat)

    def walk(x):
        if _is_node(x):
            return _rebuild(x, [walk(c) for c in _children(x)])
        return next(it)

    return walk(structure)


def assert_same_structure(a, b, check_types=None):
    """Raise ValueError unless ``a`` and ``b`` have the same structure (node types included)."""
    if check_types is not None:
        warnings.warn(
            "The `check_types` argument is deprecated and no longer has any effect, please remove.",
            DeprecationWarning,
            stacklevel=2,
        )
    map_structure(lambda *_: None, a, b)


def assert_same_paths(a, b):
    """Raise ValueError unless ``a`` and ``b`` have the same set of leaf paths."""
    pa = {p for p, _ in flatten_with_path(a)}
    pb = {p for p, _ in flatten_with_path(b)}
    if pa != pb:
        raise ValueError(
            f"`a` and `b` don't have the same paths.\nPaths in `a` missing in `b`:\n{pa - pb}\n"
            f"Paths in `b` missing in `a`:\n{pb - pa}"
        )


def lists_to_tuples(structure):
    """``structure`` with every list turned into a tuple, at every depth."""

    def walk(x):
        if not _is_node(x):
            return x
        children = [walk(c) for c in _children(x)]
        if isinstance(x, list):
            return tuple(children)
        return _rebuild(x, children)

    return walk(structure)


def _is_shape(x) -> bool:
    return isinstance(x, list | tuple) and all(
        d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in x
    )


def map_shape_structure(func, structure):
    """``func`` applied to each shape in ``structure`` (a tuple or list of ints and ``None``
    is a shape, not a node)."""
    if _is_shape(structure) or not _is_node(structure):
        return func(structure)
    return _rebuild(structure, [map_shape_structure(func, c) for c in _children(structure)])


def traverse(func, structure, top_down=True):
    """Visit every node and leaf. Top down: where ``func`` returns something other than
    ``None`` that replaces the subtree (``MAP_TO_NONE``: a ``None``), else the walk goes into
    it. Bottom up: ``func`` sees each node after its children were visited and replaced."""

    def value(ret, default):
        if ret is MAP_TO_NONE:
            return None
        return default if ret is None else ret

    def down(x):
        ret = func(x)
        if ret is not None:
            return value(ret, x)
        if _is_node(x):
            return _rebuild(x, [down(c) for c in _children(x)])
        return x

    def up(x):
        if _is_node(x):
            x = _rebuild(x, [up(c) for c in _children(x)])
        return value(func(x), x)

    return down(structure) if top_down else up(structure)
