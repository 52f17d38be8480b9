"""``StringIndex.split_ngram_positions(..., width=, pad=)``: the dense rows straight from C++,
equal to the ragged result cut to ``width`` and padded."""

import numpy as np
import pytest

from tensorhouse_kernels import host_strings

KEYS = np.array([b"a", b"b", b"a b", b"c"], dtype=object)
TEXT = np.array([b"a b c", b"  b a ", b"", b"c c c c c"], dtype=object)


def ragged_rows(widths, values=None, fill=-1):
    index = host_strings.StringIndex(KEYS)
    out, splits = index.split_ngram_positions(TEXT, widths, b" ", values, fill)
    return [out[s:e].tolist() for s, e in zip(splits[:-1], splits[1:])]


@pytest.mark.parametrize("width", [0, 2, 5, 12])
@pytest.mark.parametrize("values", [None, np.array([10, 11, 12, 13], np.int64)])
def test_dense_rows_equal_the_ragged_ones_cut_and_padded(width, values):
    index = host_strings.StringIndex(KEYS)
    dense, kept = index.split_ngram_positions(TEXT, [1, 2], b" ", values, 1, width=width, pad=-7)
    fill = -1 if values is None else 1
    rows = ragged_rows([1, 2], values, fill)
    assert dense.shape == (4, width) and dense.dtype == np.int64
    assert dense.tolist() == [(r + [-7] * width)[:width] for r in rows]
    assert kept.tolist() == np.cumsum([0] + [min(len(r), width) for r in rows]).tolist()


def test_dense_row_values_by_hand():
    index = host_strings.StringIndex(KEYS)
    dense, _ = index.split_ngram_positions(TEXT, [1, 2], b" ", None, -1, width=6, pad=9)
    # "a b c": a, b, c, then "a b", "b c" (absent); "  b a ": b, a, "b a" (absent)
    assert dense.tolist()[:2] == [[0, 1, 3, 2, -1, 9], [1, 0, -1, 9, 9, 9]]
