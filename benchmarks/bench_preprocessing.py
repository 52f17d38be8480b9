"""Keras preprocessing layers on host data: tensorhouse against Keras on TF, same process.

Cases (issue 16):
- TextVectorization, 100,000 synthetic sentences (5-20 words drawn Zipf-like from 20,000),
  ``max_tokens=20000``, ``ngrams=2``, ``output_sequence_length=32``: ``adapt`` on the array,
  then the transform (one eager call on all sentences);
- StringLookup + CategoryEncoding: 1,000,000 tokens as (100,000, 10) drawn from 200 words, a
  given vocabulary, then ``multi_hot`` encoding of the indices;
- Normalization.adapt on 1,000,000 x 32 float32.
Each case runs eagerly, as preprocessing code calls these layers. Times are the median (and
the best) of all timed calls over interleaved rounds, each library timed in its own block after
a warm-up call; the ratio is TF's median over tensorhouse's (above 1: tensorhouse is faster).
"""

from __future__ import annotations

import importlib.util
import os
import timeit

import numpy as np

RNG = np.random.default_rng(0)


def _sentences(n=100_000, vocab=20_000):
    words = np.array([f"w{i}" for i in range(vocab)])
    ranks = np.minimum(RNG.zipf(1.3, size=n * 20), vocab) - 1
    lengths = RNG.integers(5, 21, size=n)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    picked = words[ranks]
    return np.array([" ".join(picked[s : s + k]) for s, k in zip(starts, lengths)])


def _tokens(n=1_000_000, vocab=200):
    words = np.array([f"tok{i}" for i in range(vocab)])
    return words[RNG.integers(0, vocab, size=n)].reshape(-1, 10), words.tolist()


def text_vectorization(tf, sentences):
    data = tf.constant(sentences.tolist())
    layer = tf.keras.layers.TextVectorization(
        max_tokens=20_000, ngrams=2, output_sequence_length=32
    )

    def adapt():
        layer.adapt(sentences)

    def transform():
        layer(data).numpy()

    adapt()
    return adapt, transform


def lookup_encode(tf, tokens, vocab):
    data = tf.constant(tokens.tolist())
    lookup = tf.keras.layers.StringLookup(vocabulary=vocab)
    encode = tf.keras.layers.CategoryEncoding(num_tokens=len(vocab) + 1, output_mode="multi_hot")

    def run():
        encode(lookup(data)).numpy()

    return run


def normalization(tf, x):
    def run():
        layer = tf.keras.layers.Normalization()
        layer.adapt(x)

    return run


def samples_ms(fns, repeat=2, rounds=3):
    """Every timed call of each callable (ms) over ``rounds`` interleaved rounds."""
    out = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            fn()  # warm-up: each library's caches and thread pool are its own in its block
            out[name] += [t * 1e3 for t in timeit.repeat(fn, number=1, repeat=repeat)]
    return out


def main() -> int:
    import tensorhouse as th

    libs = {"tensorhouse": th}
    if importlib.util.find_spec("tensorflow") is not None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tensorflow as tf

        libs["tf"] = tf
    sentences = _sentences()
    tokens, vocab = _tokens()
    floats = RNG.standard_normal((1_000_000, 32)).astype(np.float32)
    cases = {}
    for name, lib in libs.items():
        adapt, transform = text_vectorization(lib, sentences)
        cases.setdefault("TextVectorization.adapt (100k)", {})[name] = adapt
        cases.setdefault("TextVectorization call (100k)", {})[name] = transform
        cases.setdefault("StringLookup+CategoryEncoding (1M)", {})[name] = lookup_encode(
            lib, tokens, vocab
        )
        cases.setdefault("Normalization.adapt (1M x 32)", {})[name] = normalization(lib, floats)
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print(f"{'case':<38}{'tensorhouse ms':>22}{'Keras/TF ms':>22}{'vs TF':>8}")
    print(f"{'':<38}{'median (best)':>22}{'median (best)':>22}")
    for case, fns in cases.items():
        times = samples_ms(fns)
        med = {k: float(np.median(v)) for k, v in times.items()}
        cell = {k: f"{med[k]:.1f} ({min(v):.1f})" for k, v in times.items()}
        ratio = f"{med['tf'] / med['tensorhouse']:.2f}x" if "tf" in med else "-"
        print(f"{case:<38}{cell['tensorhouse']:>22}{cell.get('tf', '-'):>22}{ratio:>8}", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
