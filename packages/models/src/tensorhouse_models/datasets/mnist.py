"""``keras.datasets.mnist``: 70,000 28x28 grayscale digits."""

import numpy as np

from ._files import fetch

__all__ = ["load_data"]

# Keras\'s sha256 of the file
FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(path="mnist.npz"):
    """``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shape (60000, 28, 28) / (60000,)
    and (10000, 28, 28) / (10000,)."""
    path = fetch(path, "mnist.npz", FILE_HASH)
    with np.load(path, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
