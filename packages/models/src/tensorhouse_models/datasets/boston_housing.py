"""``keras.datasets.boston_housing``: 506 houses, 13 features, median value."""

import numpy as np

from ._files import fetch, shuffled_split

__all__ = ["load_data"]

# Keras\'s sha256 of the file
FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """``(x_train, y_train), (x_test, y_test)`` shuffled with ``seed``, split at
    ``1 - test_split``."""
    if not 0 <= test_split < 1:
        raise ValueError(
            f"Invalid `test_split` argument: {test_split}. It must be between 0 and 1 "
            "(exclusive of 1)."
        )
    path = fetch(path, "boston_housing.npz",
                 FILE_HASH)  # fmt: skip
    with np.load(path, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    return shuffled_split(x, y, test_split, seed)
