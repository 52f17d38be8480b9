"""By hand, with real Keras: the ``.keras`` file of a FeatureSpace kept as test data in
``tests/compat/data`` (so the reading direction is checked without TF).

    /tmp/tfv/bin/python tests/compat/make_feature_space_data.py tests/compat/data

Writes ``feature_space_keras315.keras`` (every built-in feature type and a cross, adapted) and
``feature_space_keras315.npz`` with the raw inputs and Keras's encoded output.
"""

from __future__ import annotations

import os
import sys

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras
import tensorflow as tf

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(5)
n = 12
data = {
    "plain": rng.normal(size=n).astype("float32"),
    "scaled": rng.uniform(0, 10, n).astype("float32"),
    "norm": rng.normal(3.0, 2.0, n).astype("float32"),
    "bucket": rng.uniform(0, 1, n).astype("float32"),
    "kind": rng.integers(0, 4, n).astype("int64"),
    "word": rng.choice(["ant", "bee", "cat", "dog", "eel"], n),
    "tag": rng.choice(["x", "y", "z"], n),
    "code": rng.integers(100, 110, n).astype("int64"),
}
FS = keras.utils.FeatureSpace
fs = FS(
    {
        "plain": "float",
        "scaled": FS.float_rescaled(scale=0.1, offset=-0.5),
        "norm": "float_normalized",
        "bucket": FS.float_discretized(num_bins=3),
        "kind": "integer_categorical",
        "word": FS.string_categorical(max_tokens=4),
        "tag": FS.string_hashed(num_bins=5),
        "code": FS.integer_hashed(num_bins=6),
    },
    crosses=[FS.cross(("word", "kind"), crossing_dim=7)],
)
fs.adapt(tf.data.Dataset.from_tensor_slices(data))
encoded = np.asarray(fs(data))
fs.save(os.path.join(out, "feature_space_keras315.keras"))
np.savez(os.path.join(out, "feature_space_keras315.npz"), encoded=encoded, **data)
print(encoded.shape)
