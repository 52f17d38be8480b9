"""By hand, with real TF: 16-bit PNGs written by TF's encoder (libpng, which picks a filter per
row), the files ``test_png_modes_compat.py`` decodes.

/tmp/tfv/bin/python tests/compat/make_png16_data.py
"""

from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf

rng = np.random.default_rng(15)
out = {}
for channels in (2, 3, 4):
    rows, cols = np.mgrid[:19, :23]
    smooth = (rows * 2900 + cols * 1700)[..., None] + np.arange(channels) * 5000
    image = (smooth + rng.integers(0, 4000, (19, 23, channels))) % 65536
    image[::4, ::3] = rng.integers(0, 65536, image[::4, ::3].shape)  # some rows worth Paeth
    image = image.astype(np.uint16)
    out[f"image{channels}"] = image
    out[f"png{channels}"] = np.frombuffer(tf.io.encode_png(image).numpy(), np.uint8)
np.savez_compressed(os.path.join(os.path.dirname(__file__), "data", "png16_tf.npz"), **out)
print(len(out), "arrays written")
