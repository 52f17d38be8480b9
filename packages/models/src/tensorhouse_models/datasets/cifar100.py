"""``keras.datasets.cifar100``: 60,000 32x32 colour images in 100 fine / 20 coarse classes."""

import os

import numpy as np

from .._file_utils import get_file
from ._cifar import load_batch, to_layout

__all__ = ["load_data"]

# Keras\'s sha256 of the file
FILE_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"


def load_data(label_mode="fine"):
    """``(x_train, y_train), (x_test, y_test)``: uint8 (50000, 32, 32, 3) / (50000, 1) and
    (10000, 32, 32, 3) / (10000, 1); ``label_mode`` ``"fine"`` or ``"coarse"``."""
    if label_mode not in ("fine", "coarse"):
        raise ValueError(
            f'`label_mode` must be one of `"fine"`, `"coarse"`. Received: label_mode={label_mode}.'
        )
    path = get_file(
        fname="cifar-100-python-target",
        origin="https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
        extract=True,
        file_hash=FILE_HASH,
    )
    path = os.path.join(path, "cifar-100-python")
    key = f"{label_mode}_labels"
    x_train, y_train = load_batch(os.path.join(path, "train"), label_key=key)
    x_test, y_test = load_batch(os.path.join(path, "test"), label_key=key)
    y_train = np.reshape(y_train, (len(y_train), 1))
    y_test = np.reshape(y_test, (len(y_test), 1))
    return (to_layout(x_train), y_train), (to_layout(x_test), y_test)
