"""``keras.datasets.california_housing``: 20,640 districts, 8 features, median house value."""

import numpy as np

from ._files import fetch, shuffled_split

__all__ = ["load_data"]

# Keras\'s sha256 of the file
FILE_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """``(x_train, y_train), (x_test, y_test)`` (``version="small"``: the first 600 rows),
    shuffled with ``seed``, split at ``1 - test_split``."""
    path = fetch(path, "california_housing.npz",
                 FILE_HASH)  # fmt: skip
    with np.load(path, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    if version == "small":
        x, y = x[:600], y[:600]
    elif version != "large":
        raise ValueError(
            f"Argument `version` must be one of 'small', 'large'. Received: version={version}"
        )
    return shuffled_split(x, y, test_split, seed)
