"""The array pass of fit's epoch iterator: every row once per epoch, x and y kept together."""

from __future__ import annotations

import collections
import gc

import numpy as np
import pytest

from tensorhouse_components import ops, tree
from tensorhouse_models.trainers import _epoch_iterator
from tensorhouse_models.trainers._epoch_iterator import EpochIterator


def _epoch(it):
    return [tuple(np.asarray(t) for t in batch)
            for _, _, steps in it.enumerate_epoch() for batch in steps]  # fmt: skip


@pytest.mark.parametrize("n,bs", [(1000, 8), (129, 64), (5, 64), (16 * 8 * 3 + 5, 8)])
def test_shuffled_epochs_are_permutations_with_pairs_kept(n, bs):
    x = np.arange(n, dtype=np.float32)[:, None] * np.ones((1, 3), np.float32)
    y = np.arange(n, dtype=np.int64) * 10
    it = EpochIterator(x, y, None, batch_size=bs, shuffle=True, seed=(3, 4))
    orders = []
    for _ in range(2):
        batches = _epoch(it)
        assert [len(b[0]) for b in batches] == [min(bs, n - s) for s in range(0, n, bs)]
        xs = np.concatenate([b[0] for b in batches])
        ys = np.concatenate([b[1] for b in batches])
        np.testing.assert_array_equal(xs[:, 0] * 10, ys)  # each x row with its own y
        np.testing.assert_array_equal(xs[:, 0], xs[:, 2])
        assert sorted(ys.tolist()) == list(range(0, 10 * n, 10))  # each row exactly once
        orders.append(ys)
    if n > 5:
        assert not np.array_equal(orders[0], np.arange(n) * 10)  # shuffled
        assert not np.array_equal(orders[0], orders[1])  # a new order each epoch


def test_unshuffled_pass_is_in_order():
    x = np.arange(300, dtype=np.float32).reshape(100, 3)
    batches = _epoch(EpochIterator(x, None, None, batch_size=32, shuffle=False, seed=(1, 2)))
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), x)


_Pair = collections.namedtuple("_Pair", ["first", "second"])


@pytest.mark.parametrize("shuffle", [False, True, "batch"])
@pytest.mark.parametrize(
    "make_x",
    [
        lambda a: {"zeta": a[0], "alpha": [a[1], (a[2],)]},  # keys not in sorted order
        lambda a: [a[0], {"b": a[1], "a": a[2]}],
        lambda a: collections.OrderedDict(zeta=a[0], alpha=(a[1], a[2])),
        lambda a: _Pair(a[0], {"k": [a[1], a[2]]}),
    ],
)
def test_nested_inputs_keep_each_array_in_its_place(make_x, shuffle):
    """Each batch has the input's structure (node types, key order) and each array's own rows,
    the same rows in every array (x leaves, y and sample_weight)."""
    n, bs = 37, 8
    rows = np.arange(n, dtype=np.float32)
    arrays = [np.stack([rows + 1000 * k, -rows], axis=1) for k in range(3)]  # each its own
    x = make_x(arrays)
    it = EpochIterator(x, rows * 10, rows + 0.5, batch_size=bs, shuffle=shuffle, seed=(5, 6))
    seen = []
    for _, _, steps in it.enumerate_epoch():
        for bx, by, bsw in steps:
            assert type(bx) is type(x)
            if isinstance(x, dict):
                assert list(bx) == list(x)
            ids = (np.asarray(by) / 10).astype(np.int64)
            np.testing.assert_array_equal(np.asarray(bsw), ids + 0.5)
            for array, leaf in zip(tree.flatten(x), tree.flatten(bx), strict=True):
                np.testing.assert_array_equal(np.asarray(leaf), array[ids])
            seen.extend(ids.tolist())
    assert len(seen) == n and sorted(seen) == rows.tolist()
    assert (seen == rows.tolist()) == (shuffle is False)


@pytest.mark.parametrize("shuffle", [False, True, "batch"])
@pytest.mark.parametrize("budget,per_block", [(10**9, 16), (1000, 5), (100, 1)])
def test_batches_are_converted_a_block_at_a_time(monkeypatch, shuffle, budget, per_block):
    """Up to 16 batches are converted at once, fewer when they would pass the byte budget
    (one at a time for batches bigger than it); every row still comes once, with its label."""
    converted = []
    constant = ops.constant
    monkeypatch.setattr(ops, "constant", lambda v: converted.append(len(v)) or constant(v))
    monkeypatch.setattr(_epoch_iterator, "_BLOCK_BYTES", budget)
    monkeypatch.setattr(_epoch_iterator, "_REUSE_BYTES", 0)  # no batches kept: converted anew
    n = 100  # rows of 10 float32 + an int64 label: 48 bytes, 192 bytes a batch of 4
    x = np.arange(n, dtype=np.float32)[:, None] * np.ones((1, 10), np.float32)
    y = np.arange(n, dtype=np.int64)
    epoch = EpochIterator(x, y, batch_size=4, shuffle=shuffle, seed=(7, 8)).enumerate_epoch()
    first = next(epoch)
    assert len(converted) == 2 * per_block  # x and y of each batch of the first block
    rest = [batch for _, _, steps in epoch for batch in steps]
    xs = np.concatenate([np.asarray(b[0]) for b in [*first[2], *rest]])
    ys = np.concatenate([np.asarray(b[1]) for b in [*first[2], *rest]])
    np.testing.assert_array_equal(xs[:, 0], ys)
    assert sorted(ys.tolist()) == list(range(n))
    assert len(converted) == 2 * 25


def _counting_constant(monkeypatch):
    converted = []
    constant = ops.constant
    monkeypatch.setattr(ops, "constant", lambda v: converted.append(len(v)) or constant(v))
    return converted


@pytest.mark.parametrize("shuffle", [False, "batch"])
def test_unchanged_arrays_reuse_their_batch_tensors(monkeypatch, shuffle):
    """Arrays given again (later epochs, later iterators: later fit calls) in the same slices
    are converted once; "batch" shuffling keeps the order a seed gives when nothing is kept."""
    monkeypatch.setattr(_epoch_iterator, "_kept", {})
    converted = _counting_constant(monkeypatch)
    x = np.arange(50, dtype=np.float32).reshape(25, 2)
    y = np.arange(25, dtype=np.int64)
    it = EpochIterator(x, y, batch_size=4, shuffle=shuffle, seed=(3, 4))
    first = [_epoch(it) for _ in range(3)]
    again = _epoch(EpochIterator(x, y, batch_size=4, shuffle=shuffle, seed=(3, 4)))
    assert len(converted) == 2 * 7  # x and y of 7 batches, once
    monkeypatch.setattr(_epoch_iterator, "_kept", {})
    monkeypatch.setattr(_epoch_iterator, "_REUSE_BYTES", 0)
    fresh = EpochIterator(x, y, batch_size=4, shuffle=shuffle, seed=(3, 4))
    for kept, made in zip([*first, again], [*[_epoch(fresh) for _ in range(3)], first[0]]):
        for (kx, ky), (mx, my) in zip(kept, made, strict=True):
            np.testing.assert_array_equal(kx, mx)
            np.testing.assert_array_equal(ky, my)
    assert len(converted) == 2 * 7 * 4
    if shuffle == "batch":
        assert [b[1][0] for b in first[0]] != [b[1][0] for b in first[1]]  # a new order


@pytest.mark.parametrize(
    "change",
    [
        lambda x: x.__setitem__((24, 1), 7.5),  # the last row of the last, partial batch
        lambda x: x.__setitem__((0, 0), -0.0),  # equal to 0.0, another bit pattern
        lambda x: x.__setitem__((3, 1), np.float32("nan")),
    ],
)
def test_arrays_changed_in_place_are_converted_again(monkeypatch, change):
    """A kept batch is used only while its array is bitwise what it was made from: a change
    between epochs or between fit calls shows in the next epoch."""
    converted = _counting_constant(monkeypatch)
    x = np.arange(50, dtype=np.float32).reshape(25, 2)
    it = EpochIterator(x, None, batch_size=4, shuffle=False)
    _epoch(it)
    change(x)
    for batches in (_epoch(it), _epoch(EpochIterator(x, None, batch_size=4))):
        got = np.concatenate([b[0] for b in batches])
        np.testing.assert_array_equal(got.view(np.uint32), x.view(np.uint32))
    assert len(converted) == 2 * 7  # converted again once, then kept


def test_kept_batches_go_with_their_arrays_and_stay_in_budget(monkeypatch):
    """What was made from an array is dropped when the array is; the oldest goes first past
    the byte budget; arrays that do not fit in it are converted a block at a time, each
    epoch."""
    monkeypatch.setattr(_epoch_iterator, "_kept", {})
    kept = _epoch_iterator._kept
    a, b = np.ones((100, 10), np.float32), np.zeros((100, 10), np.float32)  # 4000 bytes each
    monkeypatch.setattr(_epoch_iterator, "_REUSE_BYTES", 2 * 8000)
    _epoch(EpochIterator(a, None, batch_size=8))
    _epoch(EpochIterator(b, None, batch_size=8))
    assert len(kept) == 2  # a tensor copy and a NumPy copy of each
    del a
    gc.collect()  # keras.tree's walks leave cycles that hold the leaves until a collection
    assert len(kept) == 1
    c = np.full((100, 10), 2.0, np.float32)
    _epoch(EpochIterator(c, None, batch_size=8))
    d = np.full((100, 10), 3.0, np.float32)
    _epoch(EpochIterator(d, None, batch_size=8))
    assert [k[0] for k in kept] == [(id(c),), (id(d),)]  # b, the oldest, made room
    converted = _counting_constant(monkeypatch)
    big = np.arange(4200, dtype=np.float32).reshape(420, 10)
    it = EpochIterator(big, None, batch_size=100)
    for _ in range(2):
        np.testing.assert_array_equal(np.concatenate([b[0] for b in _epoch(it)]), big)
    assert converted == [100, 100, 100, 100, 20] * 2 and len(kept) == 2


def test_tensors_are_kept_and_lists_or_class_weights_are_not(monkeypatch):
    x, y = ops.constant(np.ones((10, 3), np.float32)), np.arange(10) % 2
    converted = _counting_constant(monkeypatch)
    for _ in range(2):
        _epoch(EpochIterator(x, y, batch_size=4))
    assert len(converted) == 6
    for _ in range(2):
        _epoch(EpochIterator(np.ones((10, 3)).tolist(), None, batch_size=4))
        _epoch(EpochIterator(x, y, batch_size=4, class_weight={0: 1.0, 1: 2.0}))
    assert len(converted) == 6 + 2 * (3 + 9)


def test_kept_batches_are_packed_anew_each_epoch():
    """A step may change its batch's dicts and lists (``x.pop("label")``): the next epoch and
    the next iterator still get whole batches."""
    x = {"a": np.arange(10, dtype=np.float32), "label": np.arange(10) % 2}
    it = EpochIterator(x, None, batch_size=4, shuffle=False)
    for make in (lambda: it, lambda: it, lambda: EpochIterator(x, None, batch_size=4)):
        for _, _, steps in make().enumerate_epoch():
            (bx,) = steps[0]
            assert sorted(bx) == ["a", "label"]
            np.testing.assert_array_equal(bx.pop("label"), np.asarray(bx["a"]).astype(int) % 2)
