"""What the dataset loaders share: Keras's download folder, safe ``.npz`` / pickle reading, the
train/test split and the word-index sequence rules of ``imdb`` and ``reuters``."""

from __future__ import annotations

import io
import pickle
import zipfile

import numpy as np

from .._file_utils import get_file

__all__ = [
    "ORIGIN", "clip_vocabulary", "drop_long", "fetch", "load_npz", "load_pickle", "shift",
    "shuffled_split",
]  # fmt: skip

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

# The only globals a dataset pickle may name: NumPy's array reconstruction.
_ARRAY_GLOBALS = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
}


class _ArraysOnly(pickle.Unpickler):
    """Unpickles plain containers and NumPy arrays; any other class is refused, so a crafted
    file cannot run code."""

    def find_class(self, module, name):
        if (module, name) in _ARRAY_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"Refusing to load `{module}.{name}` from a dataset file: only NumPy arrays are "
            "allowed (the file may be corrupted or malicious)."
        )


def load_pickle(fileobj, encoding="ASCII"):
    """A pickle holding only containers, numbers, strings and NumPy arrays."""
    return _ArraysOnly(fileobj, encoding=encoding).load()


def _read_npy(buffer):
    try:
        return np.lib.format.read_array(buffer, allow_pickle=False)
    except ValueError:  # an object array (ragged sequences): restricted unpickling
        buffer.seek(0)
        major, _ = np.lib.format.read_magic(buffer)
        if major == 1:
            np.lib.format.read_array_header_1_0(buffer)
        elif major in (2, 3):
            np.lib.format.read_array_header_2_0(buffer)
        else:
            raise ValueError(f"Unsupported `.npy` file version: {major}.") from None
        return load_pickle(buffer)


def load_npz(path) -> dict:
    """Every array of an ``.npz`` file; object arrays are read without running code."""
    out = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                with archive.open(member) as raw:
                    out[member[: -len(".npy")]] = _read_npy(io.BytesIO(raw.read()))
    return out


def fetch(path, name, file_hash):
    """The cached path of ``tf-keras-datasets/<name>`` (downloaded once) as ``path``."""
    return get_file(fname=path, origin=ORIGIN + name, file_hash=file_hash)


def shuffled_split(x, y, test_split, seed):
    """Shuffle with ``np.random.RandomState(seed)`` and cut at ``1 - test_split``, as Keras."""
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))


def shift(xs, start_char, index_from):
    """Word indices moved up by ``index_from``, each sequence led by ``start_char`` (if set)."""
    if start_char is not None:
        return [[start_char] + [w + index_from for w in x] for x in xs]
    return [[w + index_from for w in x] for x in xs]


def drop_long(xs, labels, maxlen):
    """The sequences shorter than ``maxlen`` and their labels."""
    kept = [(x, label) for x, label in zip(xs, labels) if len(x) < maxlen]
    return [x for x, _ in kept], [label for _, label in kept]


def clip_vocabulary(xs, num_words, skip_top, oov_char):
    """Words outside ``[skip_top, num_words)`` become ``oov_char`` (dropped when it is None);
    ``num_words`` defaults to the largest index."""
    if not num_words:
        num_words = max(max(x) for x in xs)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]
