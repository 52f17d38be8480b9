"""The main job (``tensorhouse demo``): a short tour of the three API levels, then a real
classifier.

Part 1 fits the seed's linear regression, y = X @ [2, -3] + 3 + noise on 400 points, once per
API level (ops, components, models); each must recover w and b within 0.1.
Part 2 trains a small CNN on the 8x8 digit images that ship with scikit-learn (the ``demo``
extra: ``pip install 'tensorhouse[demo]'``) with ``fit`` and Keras's live progress bar,
evaluates it on held-out images (accuracy and confusion matrix), saves it as a Keras 3
``.keras`` file and loads it back with the same predictions, and, when matplotlib is
installed, writes the training curves and the confusion matrix to a PNG.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
import time
from typing import Any

import numpy as np

import tensorhouse as tf

TRUE_W = np.array([2.0, -3.0])
TRUE_B = 3.0
TOLERANCE = 0.1
MIN_DIGITS_ACCURACY = 0.9


def make_data(n=400, seed=42):
    """The seed's data set: features X (n, 2) and targets y (n, 1), float32."""
    tf.random.set_seed(seed)
    X = tf.random.normal((n, 2))
    noise = tf.random.normal((n, 1), stddev=0.1)
    y = tf.matmul(X, tf.constant([[2.0], [-3.0]])) + 3.0 + noise
    return X, y


def low_level(X, y, steps=200, learning_rate=0.1, verbose=0):
    """Bricks: Variable, GradientTape, reduce_mean, matmul, manual assign_sub updates."""
    w = tf.Variable(tf.zeros((2, 1)), name="w")
    b = tf.Variable(0.0, name="b")
    for _ in range(steps):
        with tf.GradientTape() as tape:
            pred = tf.matmul(X, w) + b
            loss = tf.reduce_mean(tf.square(pred - y))
        dw, db = tape.gradient(loss, [w, b])
        w.assign_sub(learning_rate * dw)
        b.assign_sub(learning_rate * db)
    return w.numpy().reshape(-1), float(b.numpy()), float(loss)


def mid_level(X, y, epochs=20, learning_rate=0.1, verbose=0):
    """Walls: a Dense layer, a loss, an optimizer and a Dataset pipeline, in a traced step."""
    layer = tf.keras.layers.Dense(1)
    loss_fn = tf.keras.losses.MeanSquaredError()
    optimizer = tf.keras.optimizers.SGD(learning_rate=learning_rate)
    dataset = tf.data.Dataset.from_tensor_slices((X, y)).shuffle(400, seed=1).batch(32)
    layer.build((None, 2))

    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            loss = loss_fn(yb, layer(xb))
        grads = tape.gradient(loss, layer.trainable_weights)
        optimizer.apply_gradients(zip(grads, layer.trainable_weights))
        return loss

    loss = None
    for _ in range(epochs):
        for xb, yb in dataset:
            loss = step(xb, yb)
    assert loss is not None, "no batches"
    kernel, bias = layer.get_weights()
    return kernel.reshape(-1), float(bias[0]), float(loss)


def high_level(X, y, epochs=20, learning_rate=0.1, verbose=0):
    """Houses: Sequential, compile, fit, predict, get_weights."""
    tf.keras.utils.set_random_seed(7)
    model = tf.keras.Sequential([tf.keras.Input(shape=(2,)), tf.keras.layers.Dense(1)])
    model.compile(optimizer=tf.keras.optimizers.SGD(learning_rate=learning_rate), loss="mse")
    history = model.fit(X, y, epochs=epochs, batch_size=32, verbose=verbose)
    kernel, bias = model.get_weights()
    pred = model.predict(X, verbose=0)
    # predict must agree with the weights it reports
    expected = np.asarray(X) @ kernel + bias
    if pred.shape != (400, 1) or not np.allclose(pred, expected, atol=1e-4):
        raise AssertionError(f"predict disagrees with get_weights: {pred[:3]} vs {expected[:3]}")
    return kernel.reshape(-1), float(bias[0]), history.history["loss"][-1]


LEVELS = (
    ("1. ops (bricks)", low_level,
     "Variable + GradientTape + assign_sub, 200 full-batch gradient steps"),
    ("2. components (walls)", mid_level,
     "Dense + MeanSquaredError + SGD over a shuffled Dataset, 20 epochs, in a tf.function"),
    ("3. models (houses)", high_level,
     "Sequential + compile + fit, 20 epochs of batches of 32"),
)  # fmt: skip


def regression_tour(verbose=0) -> int:
    print("Part 1: the same linear regression at each API level")
    print("  data: 400 points, X ~ N(0, 1) in 2 features, y = X @ [2, -3] + 3 + N(0, 0.1) noise")
    print("  goal: recover the true w = [+2.0000, -3.0000] and b = +3.0000 within 0.1\n")
    X, y = make_data()
    failures = 0
    for name, fn, what in LEVELS:
        print(f"  {name}: {what}", flush=True)
        start = time.perf_counter()
        w, b, loss = fn(X, y, verbose=verbose if fn is high_level else 0)
        took = time.perf_counter() - start
        ok = np.all(np.abs(w - TRUE_W) < TOLERANCE) and abs(b - TRUE_B) < TOLERANCE
        failures += not ok
        print(
            f"     found w = [{w[0]:+.4f}, {w[1]:+.4f}]  b = {b:+.4f}  (mean squared error "
            f"{loss:.5f}, {took:.2f} s)  {'OK' if ok else 'FAILED: not within 0.1'}\n",
            flush=True,
        )
    return failures


def digits_model():
    layers = tf.keras.layers
    return tf.keras.Sequential([
        tf.keras.Input((8, 8, 1)),
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(10),
    ], name="digits_cnn")  # fmt: skip


def confusion_matrix(labels, predicted, n=10):
    out = np.zeros((n, n), dtype=np.int64)
    np.add.at(out, (labels, predicted), 1)
    return out


def _plot(history, confusion, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    epochs = np.arange(1, len(history["loss"]) + 1)
    for key, style in (("loss", "-"), ("val_loss", "--")):
        ax1.plot(epochs, history[key], style, label=key)
    ax1b = ax1.twinx()
    for key, style in (("accuracy", "-"), ("val_accuracy", "--")):
        ax1b.plot(epochs, history[key], style, color="tab:green", label=key)
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("loss")
    ax1b.set_ylabel("accuracy")
    ax1.set_title("training curves")
    ax1.legend(loc="center left")
    ax1b.legend(loc="center right")
    ax2.imshow(confusion, cmap="Blues")
    for (i, j), v in np.ndenumerate(confusion):
        ax2.text(j, i, str(v), ha="center", va="center", fontsize=7)
    ax2.set_xlabel("predicted digit")
    ax2.set_ylabel("true digit")
    ax2.set_xticks(range(10))
    ax2.set_yticks(range(10))
    ax2.set_title("confusion matrix (held-out images)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _save_and_reload(model, images, predicted) -> bool:
    """Save the trained model as a Keras 3 ``.keras`` file, load it back, and check that the
    reloaded model predicts what the trained one predicted."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "digits_cnn.keras")
        model.save(path)
        size = os.path.getsize(path)
        reloaded = tf.keras.models.load_model(path)
    same = bool(np.array_equal(reloaded.predict(images, verbose=0).argmax(axis=-1), predicted))
    print(f"  saved as a .keras file ({size / 1024:.0f} KiB) and loaded back: "
          f"{'the same predictions' if same else 'FAILED: different predictions'}")  # fmt: skip
    return same


def digits_classifier(verbose=1, png="tensorhouse-demo.png") -> int:
    print("Part 2: a convolutional network that reads handwritten digits")
    if importlib.util.find_spec("sklearn") is None:
        print("  skipped: the digit images come with scikit-learn; install the demo extra with "
              "pip install 'tensorhouse[demo]'\n")  # fmt: skip
        return 0
    from sklearn.datasets import load_digits

    digits: Any = load_digits()  # a Bunch (the stubs also allow the return_X_y tuple)
    images = (digits.images / 16.0).astype(np.float32)[..., None]
    labels = digits.target.astype(np.int32)
    order = np.random.default_rng(0).permutation(len(labels))
    test, train = order[:360], order[360:]
    print(f"  data: scikit-learn's {len(labels)} 8x8 grey images of the digits 0-9; "
          f"{len(train)} to train on, {len(test)} held out")  # fmt: skip
    tf.keras.utils.set_random_seed(1)
    model = digits_model()
    model.compile(optimizer=tf.keras.optimizers.Adam(2e-3),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])  # fmt: skip
    model.summary()
    start = time.perf_counter()
    history = model.fit(images[train], labels[train], batch_size=32, epochs=12,
                        validation_split=0.1, verbose=verbose)  # fmt: skip
    took = time.perf_counter() - start
    loss, accuracy = model.evaluate(images[test], labels[test], verbose=0)
    predicted = model.predict(images[test], verbose=0).argmax(axis=-1)
    confusion = confusion_matrix(labels[test], predicted)
    ok = accuracy >= MIN_DIGITS_ACCURACY
    print(f"\n  trained in {took:.1f} s; on the {len(test)} held-out images: accuracy "
          f"{accuracy:.4f}, loss {loss:.4f}  "
          f"{'OK' if ok else f'FAILED: below {MIN_DIGITS_ACCURACY}'}")  # fmt: skip
    ok &= _save_and_reload(model, images[test], predicted)
    print("  confusion matrix (rows: true digit, columns: predicted digit):")
    print("       " + " ".join(f"{d:>3d}" for d in range(10)))
    for d, row in enumerate(confusion):
        print(f"    {d:>2d} " + " ".join(f"{v:>3d}" for v in row))
    if importlib.util.find_spec("matplotlib") is not None:
        _plot(history.history, confusion, png)
        print(f"  training curves and confusion matrix written to {os.path.abspath(png)}")
    else:
        print("  (install matplotlib, or the demo extra, for a PNG of the curves)")
    print()
    return 0 if ok else 1


def main(verbose=1, png="tensorhouse-demo.png") -> int:
    failures = regression_tour(verbose=0)
    failures += digits_classifier(verbose=verbose, png=png)
    print("demo: all OK" if not failures else f"demo: {failures} part(s) FAILED")
    return 1 if failures else 0
