"""The C++ whole-batch string loops (``tensorhouse_kernels.host_strings``) against Python
references on random bytes, and their edge cases (empty strings and rows, read-only inputs,
shared results, non-bytes elements, repeated vocabulary keys)."""

from __future__ import annotations

import numpy as np
import pytest

from tensorhouse_kernels import host_strings as hs

RNG = np.random.default_rng(16)
ALPHABET = list(b"aAbBzZ09 \t\n\r\x0b\x0c.,!-\\[]'\x80\xff")


def S(values):
    out = np.empty(len(values), dtype=object)
    out[:] = [v.encode() if isinstance(v, str) else v for v in values]
    return out


def random_strings(n, max_len=12):
    return S([bytes(RNG.choice(ALPHABET, size=RNG.integers(0, max_len))) for _ in range(n)])


def test_lower_ascii_matches_bytes_lower_any_shape():
    x = random_strings(60).reshape(3, 4, 5)
    out = hs.lower_ascii(x)
    assert out.shape == (3, 4, 5) and out.dtype == object
    assert out.reshape(-1).tolist() == [s.lower() for s in x.reshape(-1).tolist()]
    # bytes >= 0x80 stay as they are (ASCII lowering, as TF's default encoding)
    assert hs.lower_ascii(S([b"\xc3\x89A"])).tolist() == [b"\xc3\x89a"]


def test_lower_ascii_shares_unchanged_strings_and_reads_read_only_arrays():
    x = S([b"abc", b"ABC"])
    x.setflags(write=False)
    out = hs.lower_ascii(x)
    assert out[0] is x[0] and out[1] == b"abc"
    assert out.flags.writeable


def test_delete_bytes_matches_translate():
    x = random_strings(200)
    drop = b"!,.-\\[]'"
    out = hs.delete_bytes(x, drop)
    assert out.tolist() == [s.translate(None, drop) for s in x.tolist()]
    assert hs.delete_bytes(S([b""]), b"a").tolist() == [b""]


def test_split_whitespace_matches_bytes_split():
    x = random_strings(300, 20)
    values, splits = hs.split_whitespace(x)
    parts = [s.split() for s in x.tolist()]
    assert values.tolist() == [w for p in parts for w in p]
    assert splits.dtype == np.int64
    assert splits.tolist() == np.concatenate([[0], np.cumsum([len(p) for p in parts])]).tolist()


def test_split_whitespace_edges():
    values, splits = hs.split_whitespace(S([b"", b"   ", b"one", b" a  b "]))
    assert values.tolist() == [b"one", b"a", b"b"]
    assert splits.tolist() == [0, 0, 0, 1, 3]
    values, splits = hs.split_whitespace(np.empty(0, dtype=object))
    assert values.shape == (0,) and splits.tolist() == [0]


def python_ngrams(values, splits, widths, sep):
    out, lengths = [], []
    for b, e in zip(splits[:-1], splits[1:]):
        row = values[b:e]
        grams = [sep.join(row[i : i + w]) for w in widths for i in range(len(row) - w + 1)]
        out += grams
        lengths.append(len(grams))
    return out, np.concatenate([[0], np.cumsum(lengths)]).tolist()


@pytest.mark.parametrize("widths", [[1], [2], [1, 2], [3, 1], [2, 2]])
def test_ngram_join_matches_python(widths):
    lengths = RNG.integers(0, 6, size=40)
    splits = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    values = S([f"w{i}" for i in range(int(splits[-1]))])
    out, out_splits = hs.ngram_join(values, splits, widths, b"_")
    ref, ref_splits = python_ngrams(values.tolist(), splits.tolist(), widths, b"_")
    assert out.tolist() == ref and out_splits.tolist() == ref_splits


def test_ngram_join_checks_its_arguments():
    values = S([b"a", b"b"])
    with pytest.raises(ValueError, match="widths must be positive"):
        hs.ngram_join(values, np.array([0, 2]), [0], b" ")
    with pytest.raises(ValueError, match="bad row splits"):
        hs.ngram_join(values, np.array([0, 3]), [1], b" ")


def test_unique_with_counts_first_seen_order():
    x = S([b"b", b"a", b"b", b"", b"a", b"b"])
    values, idx, counts = hs.unique_with_counts(x)
    assert values.tolist() == [b"b", b"a", b""]
    assert idx.tolist() == [0, 1, 0, 2, 1, 0] and counts.tolist() == [3, 2, 1]


def test_unique_with_counts_many_values_grows_its_table():
    words = [f"t{i % 5000}".encode() for i in RNG.permutation(20000)]
    values, idx, counts = hs.unique_with_counts(S(words))
    first = list(dict.fromkeys(words))
    assert values.tolist() == first
    assert counts.tolist() == [4] * 5000
    assert [first[i] for i in idx.tolist()] == words


def test_string_index_positions():
    vocab = S([f"v{i}" for i in range(1000)])
    index = hs.StringIndex(vocab)
    assert index.size == 1000
    keys = S([b"v17", b"nope", b"v999", b"", b"v0"]).reshape(5, 1)
    pos = index.positions(keys)
    assert pos.shape == (5, 1) and pos.dtype == np.int64
    assert pos.reshape(-1).tolist() == [17, -1, 999, -1, 0]
    assert hs.StringIndex(np.empty(0, dtype=object)).positions(S([b"a"])).tolist() == [-1]


def test_errors_for_repeated_keys_and_non_bytes():
    with pytest.raises(ValueError, match="repeated key at position 2"):
        hs.StringIndex(S([b"a", b"b", b"a"]))
    with pytest.raises(TypeError, match="element 1 is not bytes"):
        hs.lower_ascii(np.array([b"a", "b"], dtype=object))
    with pytest.raises(TypeError, match="object array of bytes"):
        hs.split_whitespace(np.array([1, 2]))


def test_split_and_ngrams_share_one_object_per_distinct_token():
    values, splits = hs.split_whitespace(S([b"a b a", b"b a", b"c"]))
    assert values.tolist() == [b"a", b"b", b"a", b"b", b"a", b"c"]
    assert values[0] is values[2] is values[4] and values[1] is values[3]
    grams, _ = hs.ngram_join(values, splits, [2], b"+")
    assert grams.tolist() == [b"a+b", b"b+a", b"b+a"]
    assert grams[1] is grams[2]


def test_split_many_distinct_tokens():
    words = [f"t{i}".encode() for i in range(5000)]
    text = S([b" ".join(words[i : i + 50]) for i in range(0, 5000, 50)] * 2)
    values, splits = hs.split_whitespace(text)
    assert values.tolist() == words * 2
    assert values[0] is values[5000] and splits[-1] == 10000


def _split_ngram_reference(strings, widths, sep, vocab):
    """Python's split, then each width's ngrams of each row, looked up in ``vocab``."""
    where = {k: i for i, k in enumerate(vocab)}
    out, splits = [], [0]
    for s in strings:
        toks = s.split()  # bytes.split(): runs of ASCII whitespace, as TF's split
        for w in widths:
            out += [where.get(sep.join(toks[i : i + w]), -1) for i in range(len(toks) - w + 1)]
        splits.append(len(out))
    return out, splits


@pytest.mark.parametrize("widths, sep", [([1], b" "), ([1, 2], b" "), ([3, 1], b"+"),
                                         ([2], b"")])  # fmt: skip
def test_split_ngram_positions_match_python(widths, sep):
    x = random_strings(300, max_len=16)
    # a vocabulary of tokens and ngrams that do occur, plus ones that do not
    grams = set()
    for s in x.tolist():
        toks = s.split()
        for w in widths:
            grams.update(sep.join(toks[i : i + w]) for i in range(len(toks) - w + 1))
    vocab = sorted(grams)[::2] + [b"", b"zz zz", b"\xff"]
    vocab = list(dict.fromkeys(vocab))
    index = hs.StringIndex(S(vocab))
    pos, splits = index.split_ngram_positions(x, widths, sep)
    ref_pos, ref_splits = _split_ngram_reference(x.tolist(), widths, sep, vocab)
    assert pos.tolist() == ref_pos and splits.tolist() == ref_splits
    values = np.arange(len(vocab), dtype=np.int64) * 10 + 3
    mapped, _ = index.split_ngram_positions(x, widths, sep, values, -5)
    assert mapped.tolist() == [int(values[p]) if p >= 0 else -5 for p in ref_pos]


def test_split_ngram_positions_by_hand_and_errors():
    index = hs.StringIndex(S([b"", b"a", b"b c", b"c", b"a b", b"xyz"]))
    pos, splits = index.split_ngram_positions(S([b"a b c", b"  xyz\ta ", b"", b"b c a b"]),
                                              [1, 2], b" ")  # fmt: skip
    # per row: the tokens, then the bigrams
    assert pos.tolist() == [1, -1, 3, 4, 2, 5, 1, -1, -1, 3, 1, -1, 2, -1, 4]
    assert splits.tolist() == [0, 5, 8, 8, 15]
    with pytest.raises(ValueError, match="widths must be positive"):
        index.split_ngram_positions(S([b"a"]), [0], b" ")
    with pytest.raises(ValueError, match="values must be int64, one a key"):
        index.split_ngram_positions(S([b"a"]), [1], b" ", np.zeros(2, np.int64), 0)
    with pytest.raises(TypeError, match="element 0 is not bytes"):
        index.split_ngram_positions(np.array(["a"], dtype=object), [1], b" ")
