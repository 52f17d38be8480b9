"""``keras.datasets.imdb``: 50,000 movie reviews as word-index sequences, labelled by sentiment."""

import json

import numpy as np

from .._file_utils import get_file
from ._files import ORIGIN, clip_vocabulary, drop_long, fetch, load_npz, shift

__all__ = ["get_word_index", "load_data"]

# Keras\'s sha256 of the file
FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"


def load_data(
    path="imdb.npz",
    num_words=None,
    skip_top=0,
    maxlen=None,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
    **kwargs,
):
    """``(x_train, y_train), (x_test, y_test)``: object arrays of word-index lists and 0/1
    labels, each split shuffled with ``seed``, with Keras's ``num_words`` / ``skip_top`` /
    ``maxlen`` / ``start_char`` / ``oov_char`` / ``index_from`` rules."""
    if kwargs:
        raise TypeError(f"Unrecognized keyword arguments: {kwargs}.")
    f = load_npz(fetch(path, "imdb.npz", FILE_HASH))
    rng = np.random.RandomState(seed)
    splits = []
    for x, y in ((f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])):
        indices = np.arange(len(x))
        rng.shuffle(indices)
        splits.append([shift(x[indices], start_char, index_from), y[indices]])
    if maxlen:
        for split in splits:
            split[0], split[1] = drop_long(split[0], split[1], maxlen)
            if not split[0]:
                raise ValueError(
                    f"After filtering for sequences shorter than maxlen={maxlen}, no sequence "
                    "was kept. Increase maxlen."
                )
    (x_train, y_train), (x_test, y_test) = splits
    xs = clip_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([np.asarray(y_train), np.asarray(y_test)])
    cut = len(x_train)
    return (
        (np.array(xs[:cut], dtype="object"), labels[:cut]),
        (np.array(xs[cut:], dtype="object"), labels[cut:]),
    )


def get_word_index(path="imdb_word_index.json"):
    """``{word: index}`` of the reviews' vocabulary (indices in the data are shifted by
    ``index_from``)."""
    path = get_file(
        fname=path,
        origin=ORIGIN + "imdb_word_index.json",
        file_hash="bfafd718b763782e994055a2d397834f",
    )
    with open(path) as f:
        return json.load(f)
