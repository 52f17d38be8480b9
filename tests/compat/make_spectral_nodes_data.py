"""By hand: ``.keras`` files of ``spectral_nodes_cases.build``, kept as test data in
``tests/compat/data`` so both directions are checked in one run of either library.

    /tmp/tfv/bin/python tests/compat/make_spectral_nodes_data.py keras tests/compat/data
    .venv/bin/python tests/compat/make_spectral_nodes_data.py tensorhouse tests/compat/data

Writes ``spectral_nodes_<lib>.keras`` and, with Keras, ``spectral_nodes_keras315.npz`` with its
predictions on ``spectral_nodes_cases.XA`` / ``XB``.
"""

from __future__ import annotations

import os
import sys

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
from spectral_nodes_cases import XA, XB, build

LIB, OUT = sys.argv[1], sys.argv[2]
if LIB == "keras":
    import keras

    name = "spectral_nodes_keras315"
else:
    import tensorhouse

    keras = tensorhouse.keras
    name = "spectral_nodes_tensorhouse"
model = build(keras)
model.save(os.path.join(OUT, f"{name}.keras"))
if LIB == "keras":
    outs = [np.asarray(o, dtype="float32") for o in model([XA, XB])]
    np.savez(os.path.join(OUT, f"{name}.npz"), *outs)
print(name, [o.shape for o in model.outputs])
