"""By hand: ``.keras`` files of the preprocessing model of ``preproc_cases.build``, kept as test
data in ``tests/compat/data`` so both directions are checked in one run of either library.

    /tmp/tfv/bin/python tests/compat/make_preproc_data.py keras tests/compat/data
    .venv/bin/python tests/compat/make_preproc_data.py tensorhouse tests/compat/data

Writes ``preproc_<lib>.keras`` and, with Keras, ``preproc_keras315.npz`` with its predictions
(``training=False``) on ``preproc_cases.inputs``.
"""

from __future__ import annotations

import os
import sys

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(__file__))
from preproc_cases import build, inputs

LIB, OUT = sys.argv[1], sys.argv[2]
if LIB == "keras":
    import tensorflow as tf

    name = "preproc_keras315"
else:
    import tensorhouse as tf

    name = "preproc_tensorhouse"
model = build(tf.keras)
model.save(os.path.join(OUT, f"{name}.keras"))
if LIB == "keras":
    outputs = [np.asarray(o) for o in model(inputs(tf), training=False)]
    np.savez(os.path.join(OUT, f"{name}.npz"), *outputs)
    print([o.shape for o in outputs])
