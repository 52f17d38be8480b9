"""By hand, with real TF: the ``tf.image`` results ``test_image_compat.py`` compares against.

/tmp/tfv/bin/python tests/compat/make_image_data.py
"""

from __future__ import annotations

import os
import sys

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf

sys.path.insert(0, os.path.dirname(__file__))
from image_cases import CASES, inputs

x = {k: tf.constant(v) for k, v in inputs().items()}
out = {}
for name, fn in CASES.items():
    result = fn(tf, x)
    if isinstance(result, tuple | list):
        for i, r in enumerate(result):
            out[f"{name}:{i}"] = np.asarray(r)
    else:
        out[name] = np.asarray(result)
np.savez_compressed(os.path.join(os.path.dirname(__file__), "data", "image_ops.npz"), **out)
print(len(out), "results written")
