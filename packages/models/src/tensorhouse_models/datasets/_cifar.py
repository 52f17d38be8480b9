"""The CIFAR archives' batch files: Python pickles of ``{b"data": uint8 (n, 3072), b"labels" /
b"fine_labels" / b"coarse_labels": [int]}``, read with the arrays-only unpickler."""

import numpy as np

from ._files import load_pickle

__all__ = ["load_batch", "to_layout"]


def load_batch(fpath, label_key="labels"):
    """``(data (n, 3, 32, 32) uint8, labels)`` of one batch file."""
    with open(fpath, "rb") as f:
        d = load_pickle(f, encoding="bytes")
    if not isinstance(d, dict):
        raise ValueError(f"{fpath}: not a CIFAR batch (a dict of arrays)")
    d = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in d.items()}
    data = np.asarray(d["data"])
    return data.reshape(data.shape[0], 3, 32, 32), d[label_key]


def to_layout(x):
    """Channels last, as ``keras.config.image_data_format()`` is here."""
    return x.transpose(0, 2, 3, 1)
