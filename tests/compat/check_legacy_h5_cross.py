"""By hand: legacy whole-model ``.h5`` files written by tensorhouse load in real Keras 3.

    .venv/bin/python tests/compat/check_legacy_h5_cross.py write /tmp/xh
    /tmp/tfv/bin/python tests/compat/check_legacy_h5_cross.py read /tmp/xh

``write`` trains and saves, with tensorhouse, a compiled Sequential CNN and a Functional model
with two inputs, a shared layer and a nested Sequential, and their predictions; ``read`` loads
both with real Keras's ``load_model`` (no model code) and checks the predictions and the
optimizer's class. (Real Keras 3.15 builds a legacy file's optimizer for no variables, so it
keeps only ``iteration`` and ``learning_rate`` of the saved state and cannot train on; this
check does not ask it to. The other direction, files real Keras wrote, is tested in CI from
``packages/models/tests/data/legacy_h5``.)
"""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
MODE, OUT = sys.argv[1], sys.argv[2]


def write():
    import tensorhouse as tf

    keras = tf.keras
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(0)
    xi = rng.random((16, 8, 8, 1), dtype=np.float32)
    cnn = keras.Sequential([
        keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3, activation="relu"),
        keras.layers.MaxPooling2D(), keras.layers.Flatten(), keras.layers.Dense(6),
        keras.layers.BatchNormalization(), keras.layers.Dropout(0.5),
        keras.layers.Dense(3, activation="softmax"),
    ])  # fmt: skip
    cnn.compile(
        keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    cnn.fit(xi, rng.integers(0, 3, 16), batch_size=4, shuffle=False, verbose=0)
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    shared = keras.layers.Dense(3, activation="tanh", name="shared")
    inner = keras.Sequential([keras.Input((5,)), keras.layers.Dense(2)], name="inner")
    two = keras.Model([a, b], inner(keras.layers.Concatenate()([shared(shared(a)), b])))
    xa = rng.standard_normal((4, 3)).astype("float32")
    xb = rng.standard_normal((4, 2)).astype("float32")
    os.makedirs(OUT, exist_ok=True)
    cnn.save(os.path.join(OUT, "cnn.h5"))
    two.save(os.path.join(OUT, "two.h5"))
    np.savez(os.path.join(OUT, "expected.npz"), xi=xi, xa=xa, xb=xb,
             cnn=np.asarray(cnn(xi, training=False)), two=np.asarray(two([xa, xb])))  # fmt: skip


def read():
    import keras

    e = np.load(os.path.join(OUT, "expected.npz"))
    cnn = keras.saving.load_model(os.path.join(OUT, "cnn.h5"))
    np.testing.assert_allclose(np.asarray(cnn(e["xi"], training=False)), e["cnn"], atol=1e-6)
    assert type(cnn.optimizer).__name__ == "Adam", cnn.optimizer
    two = keras.saving.load_model(os.path.join(OUT, "two.h5"))
    np.testing.assert_allclose(np.asarray(two([e["xa"], e["xb"]])), e["two"], atol=1e-6)
    print("real Keras read both files: predictions equal")


write() if MODE == "write" else read()
