"""``keras.tree`` as Keras 3.15 has it (optree's rules): sorted dict keys, ordered dicts kept in
order, ``None`` a leaf, tensors and sets leaves, Keras's ValueError texts."""

import collections
import warnings

import numpy as np
import pytest

P = collections.namedtuple("P", "b a")


def _sample():
    return {
        "z": [1, (2, None)],
        "a": P(3, {"y": 4, "x": 5}),
        "o": collections.OrderedDict([("q", 6), ("p", 7)]),
    }


def test_flatten_orders_and_paths(tf):
    t = tf.keras.tree
    assert t.flatten(_sample()) == [3, 5, 4, 6, 7, 1, 2, None]
    assert t.flatten_with_path(_sample()) == [
        (("a", 0), 3), (("a", 1, "x"), 5), (("a", 1, "y"), 4), (("o", "q"), 6),
        (("o", "p"), 7), (("z", 0), 1), (("z", 1, 0), 2), (("z", 1, 1), None),
    ]  # fmt: skip
    assert t.flatten(None) == [None] and t.flatten(3) == [3] and t.flatten([]) == []
    assert t.flatten({3, 1}) == [{1, 3}]  # a set is a leaf
    assert t.flatten(collections.deque([1, 2])) == [1, 2]
    assert t.flatten(collections.defaultdict(int, {"b": 1, "a": 2})) == [2, 1]
    assert t.flatten_with_path([None, {"a": ()}]) == [((0,), None)]
    leaf = tf.constant([1, 2])
    assert len(t.flatten(leaf)) == 1 and t.flatten(leaf)[0] is leaf


def test_is_nested(tf):
    t = tf.keras.tree
    assert [t.is_nested(v) for v in ([], (), {}, 1, np.ones(2), None, "ab")] == [
        True, True, True, False, False, False, False,
    ]  # fmt: skip


def test_map_structure_keeps_types_and_key_order(tf):
    t = tf.keras.tree
    out = t.map_structure(lambda v: None if v is None else v * 10, _sample())
    assert list(out) == ["z", "a", "o"]
    assert out["z"] == [10, (20, None)]
    assert out["a"] == P(30, {"y": 40, "x": 50}) and type(out["a"]) is P
    assert type(out["o"]) is collections.OrderedDict and list(out["o"].items()) == [
        ("q", 60), ("p", 70),
    ]  # fmt: skip
    assert t.map_structure(lambda a, b: a + b, [1, 2], [3, 4]) == [4, 6]
    assert t.map_structure(lambda x: 1, [None, 2], none_is_leaf=False) == [None, 1]
    assert t.map_structure(lambda x: x, None) is None
    d = t.map_structure(lambda x: x, collections.defaultdict(int, {"b": 1, "a": 2}))
    assert isinstance(d, collections.defaultdict) and list(d.items()) == [("b", 1), ("a", 2)]


def test_pack_sequence_as(tf):
    t = tf.keras.tree
    out = t.pack_sequence_as(_sample(), list(range(8)))
    assert out["z"] == [5, (6, 7)] and out["a"] == P(0, {"y": 2, "x": 1})
    assert list(out["o"].items()) == [("q", 3), ("p", 4)]
    assert t.pack_sequence_as(None, [5]) == 5
    with pytest.raises(ValueError, match="Too few leaves for PyTreeSpec; expected: 2, got: 1"):
        t.pack_sequence_as([1, 2], [1])
    with pytest.raises(ValueError, match="Too many leaves for PyTreeSpec; expected: 2"):
        t.pack_sequence_as([1, 2], [1, 2, 3])


def test_structure_mismatch_errors(tf):
    t = tf.keras.tree
    with pytest.raises(ValueError, match=r"Expected an instance of list, got \(1, 2\)"):
        t.assert_same_structure([1, 2], (1, 2))
    with pytest.raises(ValueError, match="Expected an instance of list, got 2"):
        t.map_structure(lambda a, b: a, [1, [2]], [1, 2])
    with pytest.raises(ValueError, match="Expected an instance of collections.namedtuple"):
        t.assert_same_structure(P(1, 2), (1, 2))
    with pytest.raises(ValueError, match=r"dictionary key mismatch; expected key\(s\): \['a'\]"):
        t.map_structure(lambda a, b: a, {"a": 1}, {"b": 1})
    with pytest.raises(ValueError, match="list arity mismatch; expected: 2, got: 3"):
        t.assert_same_structure([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="Must provide at least one structure"):
        t.map_structure(lambda a: a)
    with pytest.raises(ValueError, match="don't have the same paths"):
        t.assert_same_paths({"a": 1}, {"b": 1})
    t.assert_same_paths({"a": [1]}, {"a": (2,)})  # the same paths, other node types
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        t.assert_same_structure([1, [2]], [3, [4]], check_types=True)


def test_map_structure_up_to(tf):
    t = tf.keras.tree
    out = t.map_structure_up_to([1, (2, 3)], lambda a, b: (a, b), [[1, 2], (3, 4)], [5, (6, 7)])
    assert out == [([1, 2], 5), ((3, 6), (4, 7))]
    out = t.map_structure_up_to({"a": 1, "b": 2}, lambda x, y: (x, y),
                                {"a": [1, 2], "b": 3}, {"a": 4, "b": 5})  # fmt: skip
    assert out == {"a": ([1, 2], 4), "b": (3, 5)}
    with pytest.raises(ValueError, match="list arity mismatch; expected: 2, got: 1"):
        t.map_structure_up_to([1, 2], lambda a: a, [1])


def test_lists_to_tuples_and_shapes(tf):
    t = tf.keras.tree
    assert t.lists_to_tuples([1, [2, {"a": [3]}]]) == (1, (2, {"a": (3,)}))
    od = t.lists_to_tuples(collections.OrderedDict(a=[1]))
    assert type(od) is collections.OrderedDict and od["a"] == (1,)
    out = t.map_shape_structure(lambda s: ("S", s), {"a": (2, 3), "b": [(None, 4), (5,)]})
    assert out == {"a": ("S", (2, 3)), "b": [("S", (None, 4)), ("S", (5,))]}


def test_traverse(tf):
    t = tf.keras.tree
    seen = []
    assert t.traverse(lambda x: seen.append(x), [1, (2, 3)]) == [1, (2, 3)]
    assert seen == [[1, (2, 3)], 1, (2, 3), 2, 3]
    f = lambda x: t.MAP_TO_NONE if x == 2 else (x * 10 if isinstance(x, int) else None)  # noqa: E731
    assert t.traverse(f, [1, (2, 3)]) == [10, (None, 30)]
    up = t.traverse(lambda x: len(x) if isinstance(x, tuple) else None, [1, (2, 3)], top_down=False)
    assert up == [1, 2]
