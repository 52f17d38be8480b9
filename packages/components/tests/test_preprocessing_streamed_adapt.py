"""``adapt`` streams its data (issue 16): every adapting layer reads an iterable or a Dataset
one batch at a time, keeping no earlier batch alive, and learns what it learns from the whole
data at once; ``steps`` stops it reading an endless Dataset."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

from tensorhouse_components import data, layers

RNG = np.random.default_rng(16)
WORDS = np.array([f"w{i}" for i in range(30)])
FLOATS = [RNG.normal(i, 1.0 + i, (40, 3)).astype("float32") for i in range(25)]
TOKENS = [WORDS[np.minimum(RNG.zipf(1.5, (40, 4)), 30) - 1] for _ in range(25)]
CODES = [np.minimum(RNG.zipf(1.5, (40, 4)), 30).astype("int64") for _ in range(25)]
TEXTS = [np.array([" ".join(row) for row in batch]) for batch in TOKENS]

LAYERS = {
    "Normalization": (lambda: layers.Normalization(), FLOATS,
                      lambda layer: (layer.mean, layer.variance)),
    "Discretization": (lambda: layers.Discretization(num_bins=5), FLOATS,
                       lambda layer: (layer.bin_boundaries,)),
    "StringLookup": (lambda: layers.StringLookup(max_tokens=12), TOKENS,
                     lambda layer: (layer.get_vocabulary(),)),
    "IntegerLookup": (lambda: layers.IntegerLookup(output_mode="tf_idf"), CODES,
                      lambda layer: (layer.get_vocabulary(), layer.idf_weights)),
    "TextVectorization": (lambda: layers.TextVectorization(max_tokens=20, ngrams=2), TEXTS,
                          lambda layer: (layer.get_vocabulary(),)),
}  # fmt: skip


def check(name, layer, batches):
    """``layer`` learnt from ``batches`` what one adapt on all of them learns."""
    whole = LAYERS[name][0]()
    whole.adapt(np.concatenate(batches))
    if name == "Discretization":  # approximate quantiles: the merged summaries drift a little
        data = np.sort(np.concatenate(batches).ravel())
        ranks = np.searchsorted(data, layer.bin_boundaries) / data.size
        # Keras 3.15 streaming these 25 batches: ranks 0.209, 0.415, 0.628, 0.839
        np.testing.assert_allclose(ranks, [0.2, 0.4, 0.6, 0.8], atol=0.045)
        return
    for mine, theirs in zip(LAYERS[name][2](layer), LAYERS[name][2](whole)):
        if isinstance(mine, list):
            assert mine == theirs
        else:
            np.testing.assert_allclose(np.asarray(mine), np.asarray(theirs), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", list(LAYERS))
def test_adapt_keeps_no_earlier_batch_alive(name):
    make, batches, _ = LAYERS[name]
    alive, refs = [], []

    def stream():
        for batch in batches:
            gc.collect()
            alive.append(sum(r() is not None for r in refs))
            fresh = batch.copy()
            refs.append(weakref.ref(fresh))
            yield fresh

    streamed = make()
    streamed.adapt(stream())
    assert len(alive) == len(batches) and max(alive) <= 1  # at most the batch being read
    check(name, streamed, batches)


@pytest.mark.parametrize("name", list(LAYERS))
def test_adapt_reads_steps_batches_of_an_endless_dataset(name):
    make, batches, _ = LAYERS[name]
    endless = data.Dataset.from_tensor_slices(np.stack(batches[:3])).repeat()
    streamed = make()
    streamed.adapt(endless, steps=3)
    check(name, streamed, batches[:3])
