"""tf.nest: flatten order (dict keys sorted), pack_sequence_as, map_structure and the error
types of assert_same_structure."""

import pytest


def test_flatten_sorts_dict_keys(tf):
    assert tf.nest.flatten({"b": 2, "a": [1, (3, 4)]}) == [1, 3, 4, 2]


def test_flatten_of_a_leaf(tf):
    assert tf.nest.flatten(5) == [5]
    assert tf.nest.flatten(None) == [None]


def test_pack_sequence_as(tf):
    out = tf.nest.pack_sequence_as({"b": 0, "a": [0, 0]}, [1, 2, 3])
    assert out == {"a": [1, 2], "b": 3}


def test_rebuilt_dicts_keep_their_own_key_order(tf):
    # values are taken in sorted key order, the dict is rebuilt in the template's order
    out = tf.nest.pack_sequence_as({"b": 0, "a": 0}, [10, 20])
    assert list(out.items()) == [("b", 20), ("a", 10)]
    mapped = tf.nest.map_structure(lambda x: x * 10, {"z": 1, "m": {"y": 2, "c": 3}})
    assert list(mapped) == ["z", "m"] and list(mapped["m"].items()) == [("y", 20), ("c", 30)]


def test_map_structure(tf):
    assert tf.nest.map_structure(lambda x: x * 10, (1, [2, {"k": 3}])) == (10, [20, {"k": 30}])
    assert tf.nest.map_structure(lambda x, y: x + y, [1, 2], [10, 20]) == [11, 22]


def test_is_nested(tf):
    assert tf.nest.is_nested([1]) and tf.nest.is_nested({"a": 1})
    assert not tf.nest.is_nested(1) and not tf.nest.is_nested("abc")


def test_assert_same_structure(tf):
    tf.nest.assert_same_structure([1, (2, 3)], [4, (5, 6)])
    with pytest.raises(ValueError):
        tf.nest.assert_same_structure([1, 2], [1, 2, 3])
    with pytest.raises(TypeError):
        tf.nest.assert_same_structure([1, 2], (1, 2))


def test_map_structure_of_different_structures_is_value_error(tf):
    with pytest.raises(ValueError):
        tf.nest.map_structure(lambda x, y: x, [1, 2], [1, [2]])
