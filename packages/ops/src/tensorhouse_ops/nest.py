"""``tf.nest``: nested structures of lists, tuples (named too) and dicts; anything else is a leaf.

Dicts flatten in sorted key order and are rebuilt in their own key order, as in TF.
"""

from __future__ import annotations

from ._composite import CompositeTensor, TypeSpec

__all__ = ["is_nested", "flatten", "map_structure", "pack_sequence_as", "assert_same_structure"]


def is_nested(x) -> bool:
    return isinstance(x, list | tuple | dict)


def _children(x):
    if isinstance(x, dict):
        return [x[k] for k in sorted(x)]
    return list(x)


def _rebuild(like, children):
    if isinstance(like, dict):  # values come in sorted key order; keys keep like's order
        values = dict(zip(sorted(like), children))
        return type(like)((k, values[k]) for k in like)
    if isinstance(like, tuple) and hasattr(like, "_fields"):  # a namedtuple
        return type(like)(*children)
    return type(like)(children)


def _components(x):
    """A composite's (or a composite TypeSpec's) component list; None for anything else."""
    if isinstance(x, CompositeTensor):
        return x._type_spec._to_components(x)
    if isinstance(x, TypeSpec):
        return x._component_specs
    return None


def flatten(structure, expand_composites=False) -> list:
    if expand_composites:
        parts = _components(structure)
        if parts is not None:
            return flatten(parts, True)
    if not is_nested(structure):
        return [structure]
    return [leaf for child in _children(structure) for leaf in flatten(child, expand_composites)]


def pack_sequence_as(structure, flat_sequence, expand_composites=False):
    flat_sequence = list(flat_sequence)
    packed, used = _pack(structure, flat_sequence, 0, expand_composites)
    if used != len(flat_sequence):
        raise ValueError(
            f"Could not pack sequence: structure has {used} leaves but flat_sequence has "
            f"{len(flat_sequence)} items"
        )
    return packed


def _pack(structure, flat, pos, expand=False):
    if expand:
        parts = _components(structure)
        if parts is not None:
            spec = structure if isinstance(structure, TypeSpec) else structure._type_spec
            packed, pos = _pack(parts, flat, pos, True)
            return spec._from_components(packed), pos
    if not is_nested(structure):
        if pos >= len(flat):
            raise ValueError(f"Could not pack sequence: too few items ({len(flat)})")
        return flat[pos], pos + 1
    children = []
    for child in _children(structure):
        packed, pos = _pack(child, flat, pos, expand)
        children.append(packed)
    return _rebuild(structure, children), pos


def assert_same_structure(nest1, nest2, check_types=True, expand_composites=False):
    if is_nested(nest1) != is_nested(nest2):
        raise ValueError(f"The two structures don't have the same nested structure: {nest1!r} "
                         f"and {nest2!r}")  # fmt: skip
    if not is_nested(nest1):
        return
    if check_types and type(nest1) is not type(nest2):
        raise TypeError(f"The two structures don't have the same sequence type: "
                        f"{type(nest1).__name__} and {type(nest2).__name__}")  # fmt: skip
    if isinstance(nest1, dict) and sorted(nest1) != sorted(nest2):
        raise ValueError(f"The two dicts don't have the same keys: {sorted(nest1)} and "
                         f"{sorted(nest2)}")  # fmt: skip
    a, b = _children(nest1), _children(nest2)
    if len(a) != len(b):
        raise ValueError(f"The two structures don't have the same number of elements: {len(a)} "
                         f"and {len(b)}")  # fmt: skip
    for x, y in zip(a, b):
        assert_same_structure(x, y, check_types)


def map_structure(func, *structure, check_types=True, expand_composites=False):
    """Apply ``func`` to the leaves of one or more structures of the same shape."""
    if not structure:
        raise ValueError("map_structure needs at least one structure")
    for other in structure[1:]:
        assert_same_structure(structure[0], other, check_types)
    leaves = [flatten(s, expand_composites) for s in structure]
    return pack_sequence_as(
        structure[0], [func(*xs) for xs in zip(*leaves)], expand_composites=expand_composites
    )
