"""Each Keras preprocessing layer works three ways (issue 16): eagerly on arrays, inside
``Dataset.map``, and inside a functional model (``predict``), plus inside ``tf.function``; all
four give the same values, checked against NumPy or hand-computed references that pass against
Keras 3.15 on TF 2.21. The random layers transform by default (``training`` defaults to true:
eagerly and in ``Dataset.map``), are the identity at inference (``predict``), and repeat with a
seed."""

from __future__ import annotations

import numpy as np
import pytest

RNG = np.random.default_rng(16)
IMG = RNG.uniform(0, 255, (4, 8, 8, 3)).astype("float32")
NUM = RNG.normal(size=(6, 3)).astype("float32")
WORDS = np.array([["a", "b"], ["c", "a"], ["zz", "b"]], dtype=object)
INTS = np.array([[1, 2], [3, 1], [9, 2]], dtype="int64")
TEXT = np.array(["the cat sat", "a dog ran fast", "the dog"], dtype=object)


def one_hot(index, depth):
    return np.eye(depth, dtype="float32")[index]


def counts(index, depth):
    return np.stack([np.bincount(row, minlength=depth) for row in index]).astype("float32")


OOV_IDF = (0.5 + 1.0 + 2.0) / 3  # TextVectorization's OOV weight: the mean of idf_weights

CASES = {
    "Normalization": (
        lambda L: L.Normalization(mean=[0.1, 0.2, 0.3], variance=[1.0, 2.0, 4.0]), NUM,
        lambda: (NUM - [0.1, 0.2, 0.3]) / np.sqrt([1.0, 2.0, 4.0]),
    ),
    "Rescaling": (lambda L: L.Rescaling(1 / 255, offset=-0.5), IMG, lambda: IMG / 255 - 0.5),
    "CenterCrop": (lambda L: L.CenterCrop(5, 6), IMG, lambda: IMG[:, 1:6, 1:7]),
    "Discretization": (
        lambda L: L.Discretization(bin_boundaries=[-0.5, 0.0, 0.5], output_mode="one_hot"),
        NUM[:, 0], lambda: one_hot(np.digitize(NUM[:, 0], [-0.5, 0.0, 0.5]), 4),
    ),
    "StringLookup": (
        lambda L: L.StringLookup(vocabulary=["a", "b", "c"], output_mode="multi_hot"), WORDS,
        lambda: [[0, 1, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0]],
    ),
    "StringLookup int": (
        lambda L: L.StringLookup(vocabulary=["a", "b", "c"], num_oov_indices=2), WORDS,
        lambda: [[2, 3], [4, 2], [0, 3]],  # "zz" hashes to OOV index 0 of 0..1
    ),
    "IntegerLookup": (
        lambda L: L.IntegerLookup(vocabulary=[1, 2, 3], output_mode="count"), INTS,
        lambda: counts([[1, 2], [3, 1], [0, 2]], 4),
    ),
    "CategoryEncoding": (
        lambda L: L.CategoryEncoding(num_tokens=10, output_mode="count"), INTS,
        lambda: counts(INTS, 10),
    ),
    "Hashing salt": (
        lambda L: L.Hashing(num_bins=7, salt=[3, 4]), WORDS, lambda: [[6, 0], [1, 6], [0, 0]]
    ),
    "Hashing": (lambda L: L.Hashing(num_bins=7), WORDS, lambda: [[5, 2], [5, 5], [1, 2]]),
    "TextVectorization ngrams": (
        lambda L: L.TextVectorization(
            vocabulary=["the", "dog", "cat", "the dog"], ngrams=2, output_sequence_length=5
        ),
        TEXT, lambda: [[2, 4, 1, 1, 1], [1, 3, 1, 1, 1], [2, 3, 5, 0, 0]],
    ),
    "TextVectorization tf_idf": (
        lambda L: L.TextVectorization(
            vocabulary=["the", "dog", "cat"], idf_weights=[0.5, 1.0, 2.0], output_mode="tf_idf"
        ),
        TEXT, lambda: [[OOV_IDF, 0.5, 0, 2], [3 * OOV_IDF, 0, 1, 0], [0, 0.5, 1, 0]],
    ),
}  # fmt: skip


def as_input(tf, x):
    return tf.constant(x.tolist()) if x.dtype == object else x


def four_ways(tf, layer, x):
    """The layer's output eagerly, in ``Dataset.map``, in ``predict`` and in ``tf.function``."""
    dtype = "string" if x.dtype == object else x.dtype.name
    eager = np.asarray(layer(as_input(tf, x)))
    ds = tf.data.Dataset.from_tensor_slices(as_input(tf, x)).batch(2).map(layer)
    mapped = np.concatenate([np.asarray(b) for b in ds])
    inp = tf.keras.Input(x.shape[1:], dtype=dtype)
    model = tf.keras.Model(inp, layer(inp))
    predicted = np.asarray(model.predict(as_input(tf, x), batch_size=2, verbose=0))
    traced = np.asarray(tf.function(layer)(as_input(tf, x)))
    return eager, mapped, predicted, traced


@pytest.mark.parametrize("name", list(CASES))
def test_deterministic_layer_three_ways(tf, name):
    make, x, expected = CASES[name]
    for out in four_ways(tf, make(tf.keras.layers), x):
        np.testing.assert_allclose(out, np.asarray(expected(), "float64"), rtol=1e-5, atol=1e-5)


def test_resizing_three_ways(tf):
    outs = four_ways(tf, tf.keras.layers.Resizing(5, 6), IMG)
    ref = np.asarray(tf.image.resize(IMG, (5, 6)))  # bilinear, as the image op is checked
    for out in outs:
        np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-3)


RANDOM = {
    "RandomFlip": {}, "RandomRotation": {"factor": 0.2}, "RandomZoom": {"height_factor": 0.3},
    "RandomTranslation": {"height_factor": 0.3, "width_factor": 0.3},
    "RandomCrop": {"height": 5, "width": 6}, "RandomContrast": {"factor": 0.5},
    "RandomBrightness": {"factor": 0.5},
}  # fmt: skip


@pytest.mark.parametrize("name", list(RANDOM))
def test_random_layer_three_ways(tf, name):
    L = tf.keras.layers
    x = np.concatenate([IMG] * 4)  # 16 images: RandomFlip leaves some as they are
    layer = getattr(L, name)(seed=7, **RANDOM[name])
    inp = tf.keras.Input(x.shape[1:])
    predicted = np.asarray(tf.keras.Model(inp, layer(inp)).predict(x, verbose=0))
    np.testing.assert_allclose(predicted, x if name != "RandomCrop" else predicted.clip(0, 255))
    shape = (16, 5, 6, 3) if name == "RandomCrop" else x.shape
    eager = np.asarray(layer(x))
    mapped = np.concatenate([np.asarray(b) for b in tf.data.Dataset.from_tensor_slices(x)
                             .batch(8).map(layer)])  # fmt: skip
    for out in (eager, mapped):
        assert out.shape == shape
        assert np.all(np.isfinite(out))
        if name != "RandomCrop":
            assert not np.allclose(out, x)  # transformed: training defaults to true
    traced = tf.function(lambda t: layer(t, training=True))
    first, second = np.asarray(traced(x)), np.asarray(traced(x))
    assert first.shape == second.shape == shape
    assert not np.array_equal(first, second)  # each run of the traced function draws anew
    again = getattr(L, name)(seed=7, **RANDOM[name])
    np.testing.assert_array_equal(np.asarray(again(x)), eager)  # the same seed repeats
