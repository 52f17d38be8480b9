"""By hand, with real TF on a CPU with AVX-512: float32 ``tf.nn.softmax`` outputs, the bits
``test_softmax_bits_compat.py`` compares (TF 2.21 runs oneDNN's JIT softmax there).

/tmp/tfv/bin/python tests/compat/make_softmax_bits_data.py
"""

from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf

SHAPES = [(1, 3), (2, 3), (3, 5), (4, 10), (3, 16), (2, 33), (3, 100), (2, 257), (2, 1000),
          (64, 10)]  # fmt: skip
rng = np.random.default_rng(18)
out = {}
for i, shape in enumerate(SHAPES):
    x = (rng.normal(0, 3, shape) * rng.uniform(0.2, 8, (shape[0], 1))).astype(np.float32)
    out[f"x{i}"] = x
    out[f"y{i}"] = tf.nn.softmax(x).numpy()
# Near the flush to zero: exp(x - max) about FLT_MIN.
x = np.array([[v, 0.0] for v in np.linspace(-87.5, -86.0, 40)], np.float32)
out[f"x{len(SHAPES)}"], out[f"y{len(SHAPES)}"] = x, tf.nn.softmax(x).numpy()
np.savez_compressed(os.path.join(os.path.dirname(__file__), "data", "softmax_tf_bits.npz"), **out)
print(len(out), "arrays written")
