"""The array pass of fit's epoch iterator: every row once per epoch, x and y kept together."""

from __future__ import annotations

import numpy as np
import pytest

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
