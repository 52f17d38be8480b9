"""Writes data/conv_lstm_keras315.npz with real Keras 3 (run in the compat venv): for ConvLSTM1D,
2D and 3D, the ``.keras`` file of ``test_conv_lstm_compat.build_model`` (its bytes), its input
and what real Keras predicted, so CI checks the reading direction without TF.

    /tmp/tfv/bin/python tests/compat/make_conv_lstm_data.py
"""

import io
import os
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras
import numpy as np
from test_conv_lstm_compat import DATA, build_model


def main():
    arrays = {"keras_version": np.array(keras.__version__)}
    with tempfile.TemporaryDirectory() as d:
        for rank in (1, 2, 3):
            model, x = build_model(keras, rank)
            path = os.path.join(d, f"{rank}.keras")
            model.save(path)
            with open(path, "rb") as f:
                arrays[f"{rank}/file"] = np.frombuffer(f.read(), np.uint8)
            arrays[f"{rank}/x"], arrays[f"{rank}/y"] = x, np.asarray(model(x))
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    with open(DATA, "wb") as f:
        f.write(buf.getvalue())
    print(f"{DATA}: {len(buf.getvalue())} bytes")


if __name__ == "__main__":
    main()
