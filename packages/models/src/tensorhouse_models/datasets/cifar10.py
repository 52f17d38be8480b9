"""``keras.datasets.cifar10``: 60,000 32x32 colour images in 10 classes."""

import os

import numpy as np

from .._file_utils import get_file
from ._cifar import load_batch, to_layout

__all__ = ["load_data"]

# Keras\'s sha256 of the file
FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"


def load_data():
    """``(x_train, y_train), (x_test, y_test)``: uint8 (50000, 32, 32, 3) / (50000, 1) and
    (10000, 32, 32, 3) / (10000, 1)."""
    path = get_file(
        fname="cifar-10-batches-py-target",
        origin="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
        extract=True,
        file_hash=FILE_HASH,
    )
    path = os.path.join(path, "cifar-10-batches-py")
    x_train = np.empty((50000, 3, 32, 32), dtype="uint8")
    y_train = np.empty((50000,), dtype="uint8")
    for i in range(1, 6):
        rows = slice((i - 1) * 10000, i * 10000)
        x_train[rows], y_train[rows] = load_batch(os.path.join(path, f"data_batch_{i}"))
    x_test, y_test = load_batch(os.path.join(path, "test_batch"))
    y_train = y_train.reshape(len(y_train), 1)
    y_test = np.reshape(y_test, (len(y_test), 1)).astype(y_train.dtype)
    return (to_layout(x_train), y_train), (to_layout(x_test).astype(x_train.dtype), y_test)
