"""The strided copy's block path: a short contiguous innermost run (an image's channels) copied
as one block of the next dimension out, for every block size, under flipped, broadcast and
transposed sources, against NumPy."""

from __future__ import annotations

import numpy as np
import pytest

from tensorhouse_kernels import _cpu


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.float32, np.float64])
@pytest.mark.parametrize("inner", [1, 2, 3, 4, 5, 8, 17])
def test_blocks_of_every_size(dtype, inner):
    x = np.arange(6 * 7 * inner).astype(dtype).reshape(6, 7, inner)
    views = [x[:, ::-1], x[::-1, ::-2], x[:, :, None, :].repeat(1, 2)[:, ::-1, 0],
             np.broadcast_to(x[:, :1], x.shape), x.transpose(1, 0, 2), x[:, 1:, :]]  # fmt: skip
    for view in views:
        out = np.full(view.shape, 99, dtype)
        _cpu.copy(view, out)
        np.testing.assert_array_equal(out, view)


def test_blocks_over_threads_match():
    x = np.random.default_rng(0).random((8, 128, 128, 3)).astype(np.float32)
    out = np.empty_like(x)
    _cpu.copy(x[:, :, ::-1], out)  # large enough for the copy's thread split
    np.testing.assert_array_equal(out, x[:, :, ::-1])
