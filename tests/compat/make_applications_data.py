"""By hand, with real Keras 3.15: the ``keras.applications`` facts that
``test_applications_compat.py`` compares against (names, weight shapes, parameter counts, and
the outputs of each family's smallest member on deterministic weights).

/tmp/tfv/bin/python tests/compat/make_applications_data.py
"""

from __future__ import annotations

import os
import sys

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf

sys.path.insert(0, os.path.dirname(__file__))
from applications_cases import MEMBERS, RUNS, build, describe, fill, image

out = {}
for key, kwargs in MEMBERS.items():
    name, count, layers, weights = describe(build(tf.keras, key, kwargs))
    out[f"{key}:name"], out[f"{key}:count"] = np.array(name), np.array(count)
    out[f"{key}:layers"], out[f"{key}:weights"] = np.array(layers), np.array(weights)
for key, kwargs in RUNS.items():
    model = build(tf.keras, key, kwargs)
    model.set_weights(fill([w.shape for w in model.weights]))
    out[f"{key}:run"] = model.predict(image(kwargs), verbose=0)
path = os.path.join(os.path.dirname(__file__), "data", "applications_keras315.npz")
np.savez_compressed(path, **out)
print(len(out), "results written")
