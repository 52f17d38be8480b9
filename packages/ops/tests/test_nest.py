"""tf.nest: flatten, pack_sequence_as, map_structure, assert_same_structure."""

import collections

import pytest

from tensorhouse_ops import nest

Point = collections.namedtuple("Point", ["x", "y"])


def test_flatten_orders_dict_keys_and_keeps_leaves():
    s = {"b": [1, (2, 3)], "a": Point(4, {"z": 5, "y": 6}), "c": None}
    assert nest.flatten(s) == [4, 6, 5, 1, 2, 3, None]
    assert nest.flatten(7) == [7]
    assert nest.flatten([]) == []


def test_pack_sequence_as_round_trips_types():
    s = {"b": [1, (2, 3)], "a": Point(4, 5)}
    packed = nest.pack_sequence_as(s, [10, 20, 30, 40, 50])
    assert packed == {"a": Point(10, 20), "b": [30, (40, 50)]}
    assert type(packed["a"]) is Point and type(packed["b"][1]) is tuple
    with pytest.raises(ValueError, match="5 leaves but flat_sequence has 6"):
        nest.pack_sequence_as(s, range(6))


def test_map_structure_over_parallel_structures():
    a = {"w": [1, 2], "b": 3}
    b = {"w": [10, 20], "b": 30}
    assert nest.map_structure(lambda x, y: x + y, a, b) == {"b": 33, "w": [11, 22]}
    with pytest.raises(ValueError, match="same number of elements"):
        nest.map_structure(lambda x, y: x, [1, 2], [1])
    with pytest.raises(TypeError, match="list and tuple"):
        nest.map_structure(lambda x, y: x, [1], (1,))
    assert nest.map_structure(lambda x, y: x, [1], (1,), check_types=False) == [1]
