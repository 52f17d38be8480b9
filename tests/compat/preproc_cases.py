"""The functional model of Keras preprocessing layers that ``make_preproc_data.py`` saves (with
real Keras and with tensorhouse) and ``test_preproc_keras_file_compat.py`` loads: every stateful
preprocessing layer adapted (vocabularies, IDF weights, statistics, bin boundaries), the
stateless ones configured off their defaults, and two random layers (identity at inference)."""

from __future__ import annotations

import numpy as np

RNG = np.random.default_rng(16)
WORDS = ["ant", "bee", "cat", "dog", "eel", "fox"]
N = 10
NUM = RNG.normal(2.0, 3.0, (N, 3)).astype("float32")
WORD = RNG.choice(WORDS, N).astype(object)
CODE = RNG.integers(100, 108, N).astype("int64")
TEXT = np.array(
    [" ".join(RNG.choice(WORDS + ["The", "a!"], RNG.integers(2, 7))) for _ in range(N)],
    dtype=object,
)
IMG = RNG.uniform(0, 255, (N, 8, 8, 3)).astype("float32")


def inputs(tf):
    """The model's inputs as tensors, in its order."""
    return [tf.constant(NUM), tf.constant(WORD.tolist()), tf.constant(CODE),
            tf.constant(TEXT.tolist()), tf.constant(IMG)]  # fmt: skip


def build(keras):
    """Inputs num (3 floats), word, code, text and img (8x8x3), one output per layer chain."""
    L = keras.layers
    num = keras.Input((3,), name="num")
    word = keras.Input((), name="word", dtype="string")
    code = keras.Input((), name="code", dtype="int64")
    text = keras.Input((), name="text", dtype="string")
    img = keras.Input((8, 8, 3), name="img")
    norm = L.Normalization(name="norm")
    norm.adapt(NUM)
    bins = L.Discretization(num_bins=4, output_mode="count", name="bins")
    bins.adapt(NUM)
    tfidf = L.TextVectorization(max_tokens=12, ngrams=2, output_mode="tf_idf", name="tfidf")
    tfidf.adapt(TEXT)
    seq = L.TextVectorization(output_sequence_length=6, standardize="lower", name="seq")
    seq.adapt(TEXT)
    words = L.StringLookup(num_oov_indices=2, output_mode="one_hot", name="words")
    words.adapt(WORD[:6])
    codes = L.IntegerLookup(max_tokens=5, name="codes")
    codes.adapt(CODE)
    outputs = [
        norm(num),
        L.Normalization(
            mean=[1.0, 2.0, 3.0], variance=[4.0, 1.0, 0.25], invert=True, name="denorm"
        )(num),  # fmt: skip
        bins(num),
        tfidf(text),
        seq(text),
        words(word),
        L.CategoryEncoding(num_tokens=5, output_mode="one_hot", name="onehot")(codes(code)),
        L.Hashing(num_bins=5, salt=7, name="hash")(word),
        L.HashedCrossing(num_bins=6, name="cross")((word, code)),
        L.CenterCrop(4, 5, name="crop")(
            L.Resizing(6, 7, name="resize")(L.Rescaling(1 / 255, offset=-0.5, name="scale")(img))
        ),
        L.RandomRotation(0.2, seed=3, name="rotate")(L.RandomFlip(seed=2, name="flip")(img)),
    ]
    return keras.Model([num, word, code, text, img], outputs, name="preproc")
