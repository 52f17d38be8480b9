"""keras.tree (components' one tree walker): node kinds, orders and errors, hand-checked."""

from __future__ import annotations

import collections

import pytest

from tensorhouse_components import ops, tree

P = collections.namedtuple("P", "x y")


def test_flatten_pack_round_trip_keeps_every_node_type():
    s = {"b": [1, P(2, (3, None))], "a": collections.OrderedDict([("z", 4), ("y", 5)])}
    flat = tree.flatten(s)
    assert flat == [4, 5, 1, 2, 3, None]  # "a" before "b"; the OrderedDict in its own order
    back = tree.pack_sequence_as(s, flat)
    assert back == s and type(back["b"][1]) is P and type(back["a"]) is collections.OrderedDict
    assert [p for p, _ in tree.flatten_with_path(s)] == [
        ("a", "z"), ("a", "y"), ("b", 0), ("b", 1, 0), ("b", 1, 1, 0), ("b", 1, 1, 1),
    ]  # fmt: skip


def test_tensors_are_leaves_and_map_structure_zips():
    t = ops.constant([1.0, 2.0])
    assert tree.flatten([t, (t,)]) == [t, t]
    out = tree.map_structure(lambda a, b: a * b, {"u": 2, "v": [3]}, {"v": [5], "u": 7})
    assert out == {"u": 14, "v": [15]}
    with pytest.raises(ValueError, match="tuple arity mismatch; expected: 2, got: 1"):
        tree.map_structure(lambda a, b: a, (1, 2), (1,))


def test_traverse_and_lists_to_tuples():
    assert tree.traverse(lambda v: "S" if isinstance(v, tuple) else None, [1, (2, 3)]) == [1, "S"]
    assert tree.traverse(lambda v: tree.MAP_TO_NONE if v == 1 else None, [1, 2]) == [None, 2]
    assert tree.lists_to_tuples({"a": [1, [2]]}) == {"a": (1, (2,))}
    assert tree.map_shape_structure(len, [(1, 2, 3), {"k": [None]}]) == [3, {"k": 1}]
