"""By hand, with real Keras: the legacy ``.h5`` files kept as test data in
``packages/models/tests/data/legacy_h5`` (so CI checks the reading direction without TF).

    /tmp/tfv/bin/python tests/compat/make_legacy_h5_data.py packages/models/tests/data/legacy_h5

Writes ``cnn.h5`` (a compiled, trained Sequential CNN with its Adam state), ``two_inputs.h5``
(an uncompiled Functional model with two inputs, a shared layer and a nested Sequential) and
``rnn.h5`` (Embedding, LSTM, Bidirectional GRU, RMSprop), and ``expected.npz`` with each model's
inputs, predictions and optimizer values.
"""

from __future__ import annotations

import os
import sys

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)
keras.utils.set_random_seed(0)
xi = rng.random((16, 8, 8, 1), dtype=np.float32)
yi = rng.integers(0, 3, 16)
xa = rng.standard_normal((4, 3)).astype("float32")
xb = rng.standard_normal((4, 2)).astype("float32")
xs = rng.integers(1, 20, (16, 5))
ys = rng.standard_normal((16, 1)).astype("float32")

cnn = keras.Sequential([
    keras.Input((8, 8, 1)),
    keras.layers.Conv2D(4, 3, activation="relu"),
    keras.layers.MaxPooling2D(),
    keras.layers.Flatten(),
    keras.layers.Dense(6),
    keras.layers.BatchNormalization(),
    keras.layers.Dropout(0.5),
    keras.layers.Dense(3, activation="softmax"),
])  # fmt: skip
cnn.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
cnn.fit(xi, yi, batch_size=4, epochs=1, shuffle=False, verbose=0)
cnn.save(os.path.join(out, "cnn.h5"))

a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
shared = keras.layers.Dense(3, activation="tanh", name="shared")
inner = keras.Sequential([keras.Input((5,)), keras.layers.Dense(2)], name="inner")
two = keras.Model([a, b], inner(keras.layers.Concatenate()([shared(shared(a)), b])))
two.save(os.path.join(out, "two_inputs.h5"))

rnn = keras.Sequential([
    keras.Input((5,)),
    keras.layers.Embedding(20, 4),
    keras.layers.LSTM(6, return_sequences=True),
    keras.layers.Bidirectional(keras.layers.GRU(3)),
    keras.layers.Dense(1),
])  # fmt: skip
rnn.compile(keras.optimizers.RMSprop(0.01), "mse")
rnn.fit(xs, ys, batch_size=8, epochs=1, shuffle=False, verbose=0)
rnn.save(os.path.join(out, "rnn.h5"))

np.savez(
    os.path.join(out, "expected.npz"),
    xi=xi, xa=xa, xb=xb, xs=xs,
    cnn=np.asarray(cnn(xi, training=False)),
    two=np.asarray(two([xa, xb])),
    rnn=np.asarray(rnn(xs, training=False)),
    **{f"cnn_opt_{i}": np.asarray(v) for i, v in enumerate(cnn.optimizer.variables)},
    **{f"rnn_opt_{i}": np.asarray(v) for i, v in enumerate(rnn.optimizer.variables)},
)  # fmt: skip
print("written to", out)
