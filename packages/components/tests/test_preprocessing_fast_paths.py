"""The whole-batch paths of the preprocessing layers (C++ string loops, vectorised counting,
one-pass float64 moments) against plain-Python and NumPy references."""

from __future__ import annotations

import collections
import re

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_components import layers
from tensorhouse_components.data import Dataset
from tensorhouse_components.layers.preprocessing._index_lookup import _most_frequent

RNG = np.random.default_rng(16)
PUNCT = r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'
WORDS = ["Cat", "dog", "a", "the", "Ran.", "fast!", "x-y", "über", "[z]", "o'k"]


def sentences(n):
    out = []
    for _ in range(n):
        k = int(RNG.integers(0, 8))
        seps = RNG.choice([" ", "  ", "\t", " \n"], size=k)
        out.append("".join(w + s for w, s in zip(RNG.choice(WORDS, size=k), seps)))
    return np.array(out)


def reference_tokens(text, ngrams=2):
    lowered = "".join(c.lower() if c.isascii() else c for c in text)  # ASCII only, as TF
    words = re.sub(PUNCT, "", lowered).split()
    out = []
    for w in range(1, ngrams + 1):
        out += [" ".join(words[i : i + w]) for i in range(len(words) - w + 1)]
    return out


def reference_vocab(texts, max_tokens):
    counts = collections.Counter(t for s in texts for t in reference_tokens(s))
    order = sorted(((c, t.encode()) for t, c in counts.items()), reverse=True)
    return [t.decode() for _, t in order[: max_tokens - 2]]


def test_text_vectorization_adapt_and_call_match_python():
    texts = sentences(300)
    layer = layers.TextVectorization(max_tokens=25, ngrams=2, output_sequence_length=6)
    layer.adapt(texts)
    vocab = reference_vocab(texts, 25)
    assert layer.get_vocabulary() == ["", "[UNK]", *vocab]
    index = {t: i + 2 for i, t in enumerate(vocab)}
    expected = np.zeros((len(texts), 6), np.int64)
    for r, s in enumerate(texts):
        ids = [index.get(t, 1) for t in reference_tokens(s)][:6]
        expected[r, : len(ids)] = ids
    np.testing.assert_array_equal(layer(texts).numpy(), expected)


def test_text_vectorization_streamed_adapt_equals_one_batch():
    texts = sentences(120)
    whole = layers.TextVectorization(max_tokens=30, ngrams=2)
    whole.adapt(texts)
    streamed = layers.TextVectorization(max_tokens=30, ngrams=2)
    streamed.adapt(Dataset.from_tensor_slices(texts).batch(7))
    assert streamed.get_vocabulary() == whole.get_vocabulary()


def test_tf_idf_adapt_document_counts():
    layer = layers.StringLookup(output_mode="tf_idf")
    docs = [["a", "a", "b"], ["b", "c", "c"], ["a", "d", "a"], ["b", "b", "b"]]
    layer.adapt(Dataset.from_tensor_slices(np.array(docs)).batch(3))  # two batches
    # counts: a 4, b 5, c 2, d 1 -> b, a, c, d; documents: b 3, a 2, c 1, d 1
    assert layer.get_vocabulary() == ["[UNK]", "b", "a", "c", "d"]
    df = np.array([3, 2, 1, 1])
    idf = np.log(1 + 4 / (1 + df))
    np.testing.assert_allclose(layer.idf_weights.numpy(), [idf.mean(), *idf], rtol=1e-6)


def test_integer_lookup_adapt_counts_and_ties():
    layer = layers.IntegerLookup(max_tokens=4)
    layer.adapt(np.array([5, 9, 9, 2, 2, 7, 7, 1]))
    # 9, 7, 2 twice each (ties: the larger first), then the rest once: 5 > 1
    assert layer.get_vocabulary() == [-1, 9, 7, 2]


def test_most_frequent_ties_at_the_threshold():
    counts = collections.Counter({b"a": 3, b"b": 1, b"c": 1, b"d": 2, b"e": 1})
    assert _most_frequent(counts) == [b"a", b"d", b"e", b"c", b"b"]
    assert _most_frequent(counts, 3) == [b"a", b"d", b"e"]
    assert _most_frequent(counts, 0) == []
    assert _most_frequent(counts, 10) == [b"a", b"d", b"e", b"c", b"b"]


@pytest.mark.parametrize(
    "pattern",
    [PUNCT, r"[a-c]", r"[-x]", r"[\[\]]", r"[aeiou]+", r"[^a]", r"\s", r"[[:punct:]]", "x|y"],
)
def test_regex_replace_deletions_match_python(pattern):
    texts = ["Hello, wörld! [ok] a-b", "", "x+y=z", "aaa\t b"]
    out = tf.strings.regex_replace(tf.constant(texts), pattern, "").numpy().tolist()
    py = pattern.replace("[[:punct:]]", r"[!-/:-@\[-`{-~]")
    assert [o.decode() for o in out] == [re.sub(py, "", t) for t in texts]


def test_split_and_ngrams_match_python():
    texts = sentences(50)
    data = tf.constant(texts.tolist())
    split = tf.strings.split(data)
    assert [[w.decode() for w in row] for row in split.to_list()] == [s.split() for s in texts]
    grams = tf.strings.ngrams(split, ngram_width=(1, 3), separator="+")
    expected = [
        [*row, *["+".join(row[i : i + 3]) for i in range(len(row) - 2)]]
        for row in (s.split() for s in texts)
    ]
    assert [[w.decode() for w in row] for row in grams.to_list()] == expected
    traced = tf.function(lambda t: tf.strings.lower(tf.strings.split(t)).flat_values)(data)
    assert [w.decode() for w in traced.numpy()] == [w.lower() for s in texts for w in s.split()]


@pytest.mark.parametrize("axis", [-1, (1, 2), None, 0])
def test_normalization_moments_large_offset(axis):
    x = RNG.normal(1e4, 0.1, size=(200, 3, 4)).astype(np.float32)
    layer = layers.Normalization(axis=axis)
    layer.adapt(x)
    keep = () if axis is None else tuple(a % 3 for a in np.atleast_1d(axis))
    reduce = tuple(d for d in range(3) if d not in keep)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(
        np.squeeze(layer.mean.numpy()), np.squeeze(x64.mean(reduce)), rtol=1e-7
    )
    np.testing.assert_allclose(
        np.squeeze(layer.variance.numpy()), np.squeeze(x64.var(reduce)), rtol=1e-5
    )


def test_normalization_moments_integers_and_batches():
    x = RNG.integers(-5, 50, size=(1000, 2))
    layer = layers.Normalization()
    layer.adapt(x, batch_size=300)  # blocks across batches, pooled
    np.testing.assert_allclose(layer.mean.numpy()[0], x.mean(0), rtol=1e-6)
    np.testing.assert_allclose(layer.variance.numpy()[0], x.var(0), rtol=1e-6)
