"""Saving (``keras.saving``): Keras 3.15's ``.weights.h5`` files, read and written with h5py.

``save_weights(model, filepath)`` / ``load_weights(model, filepath)`` write and read the same
layout as real Keras (``layers/dense/vars/0``, ``optimizer/vars/0``, ...), so each reads the
other's files. Loading only reads numeric arrays: nothing in a file is ever executed.
"""

from ._weights_h5 import load_weights, save_weights

__all__ = ["load_weights", "save_weights"]
