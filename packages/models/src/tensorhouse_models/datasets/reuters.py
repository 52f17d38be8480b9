"""``keras.datasets.reuters``: 11,228 newswires as word-index sequences over 46 topics."""

import json

import numpy as np

from .._file_utils import get_file
from ._files import ORIGIN, clip_vocabulary, drop_long, fetch, load_npz, shift

__all__ = ["get_label_names", "get_word_index", "load_data"]

# Keras\'s sha256 of the file
FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"

_LABELS = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply",
    "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas",
    "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin",
    "strategic-metal", "livestock", "retail", "ipi", "iron-steel", "rubber", "heat", "jobs",
    "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog", "lead",
)  # fmt: skip


def load_data(
    path="reuters.npz",
    num_words=None,
    skip_top=0,
    maxlen=None,
    test_split=0.2,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
):
    """``(x_train, y_train), (x_test, y_test)``: object arrays of word-index lists and topic
    labels, shuffled with ``seed`` and split at ``1 - test_split``, with Keras's word-index
    rules."""
    f = load_npz(
        fetch(path, "reuters.npz", FILE_HASH)  # fmt: skip
    )
    xs, labels = f["x"], f["y"]
    indices = np.arange(len(xs))
    np.random.RandomState(seed).shuffle(indices)
    xs, labels = xs[indices], labels[indices]
    if start_char is not None or index_from:
        xs = shift(xs, start_char, index_from)
    if maxlen:
        xs, labels = drop_long(xs, labels, maxlen)
    xs = clip_vocabulary(list(xs), num_words, skip_top, oov_char)
    cut = int(len(xs) * (1 - test_split))
    return (
        (np.array(xs[:cut], dtype="object"), np.array(labels[:cut])),
        (np.array(xs[cut:], dtype="object"), np.array(labels[cut:])),
    )


def get_word_index(path="reuters_word_index.json"):
    """``{word: index}`` of the newswires' vocabulary."""
    path = get_file(
        path,
        origin=ORIGIN + "reuters_word_index.json",
        file_hash="4d44cc38712099c9e383dc6e5f11a921",
    )
    with open(path) as f:
        return json.load(f)


def get_label_names():
    """The 46 topic names, by label."""
    return _LABELS
