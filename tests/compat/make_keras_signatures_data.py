"""Writes data/keras_signatures_keras315.json with real Keras 3 (run in the compat venv): for
each class of keras.layers / optimizers / losses / metrics, its constructor's
``inspect.signature`` as ``[name, kind, repr(default) or "<required>"]`` rows, which
``test_keras_signatures_compat`` checks tensorhouse's classes against.

    /tmp/tfv/bin/python tests/compat/make_keras_signatures_data.py
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras
from test_keras_signatures_compat import DATA, NAMESPACES, signature_rows


def main():
    table = {"keras_version": keras.__version__}
    for ns in NAMESPACES:
        module = getattr(keras, ns)
        for name in sorted(dir(module)):
            rows = signature_rows(getattr(module, name))
            if rows is not None:
                table[f"{ns}.{name}"] = rows
    with open(DATA, "w") as f:
        json.dump(table, f, indent=0, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
