"""``keras.datasets``: Keras's small datasets, downloaded once into the Keras cache
(``keras.utils.get_file``: Keras's file names, URLs and hashes) and returned as NumPy arrays in
Keras's layouts. Files are read without running code from them: ``.npz`` object arrays and the
CIFAR batches go through an unpickler that admits NumPy arrays only."""

from . import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)

__all__ = [
    "boston_housing", "california_housing", "cifar10", "cifar100", "fashion_mnist", "imdb",
    "mnist", "reuters",
]  # fmt: skip
