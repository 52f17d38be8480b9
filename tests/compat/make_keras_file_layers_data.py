"""Writes data/keras_file_layers_keras315.npz with real Keras 3 (run in the compat venv):
for each case of ``keras_file_layers_cases``, the ``.keras`` file real Keras saved (its
bytes), the inputs and what the model predicted, so CI checks the reading direction without TF.

    /tmp/tfv/bin/python tests/compat/make_keras_file_layers_data.py
"""

import io
import os
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras
import numpy as np
from keras_file_layers_cases import CASES, build, inputs, predict

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                   "keras_file_layers_keras315.npz")  # fmt: skip


def main():
    arrays = {"keras_version": np.array(keras.__version__)}
    with tempfile.TemporaryDirectory() as d:
        for case in CASES:
            model, xs = build(keras, case), inputs(case)
            path = os.path.join(d, f"{case}.keras")
            model.save(path)
            with open(path, "rb") as f:
                arrays[f"{case}/file"] = np.frombuffer(f.read(), np.uint8)
            arrays.update({f"{case}/x{i}": x for i, x in enumerate(xs)})
            arrays[f"{case}/y"] = predict(model, xs)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    with open(OUT, "wb") as f:
        f.write(buf.getvalue())
    print(f"{OUT}: {len(CASES)} cases, {len(buf.getvalue())} bytes")


if __name__ == "__main__":
    main()
