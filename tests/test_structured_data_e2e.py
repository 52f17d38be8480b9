"""End to end (issue 16): a structured-data model with numeric, categorical and text features
trains from a CSV file through tf.data and preprocessing layers to a stated accuracy.

The label is a rule over all three kinds of feature (a numeric threshold, a colour, a word in
the text), so a model that ignored one kind could not pass 0.9 accuracy on held-out rows."""

from __future__ import annotations

import csv

import numpy as np

import tensorhouse as tf

keras = tf.keras
COLOURS = ["red", "green", "blue", "yellow"]
WORDS = ["good", "bad", "fine", "great", "poor", "okay", "nice", "awful"]


def _write_csv(path, n, seed):
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        age = float(rng.uniform(18, 80))
        income = float(rng.normal(50, 15))
        colour = COLOURS[rng.integers(0, 4)]
        words = list(rng.choice(WORDS, size=4))
        text = " ".join(words)
        score = (age > 45) + (colour in ("red", "blue")) + ("great" in words or "nice" in words)
        rows.append((age, income, colour, text, int(score >= 2)))
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["age", "income", "colour", "review", "label"])
        writer.writerows(rows)
    return rows


def _dataset(path, batch_size, shuffle):
    return tf.data.experimental.make_csv_dataset(
        path, batch_size=batch_size, label_name="label", num_epochs=1, shuffle=shuffle,
        shuffle_seed=1,
    )  # fmt: skip


def test_csv_to_preprocessing_to_fit(tmp_path):
    keras.utils.set_random_seed(0)
    train_path, test_path = str(tmp_path / "train.csv"), str(tmp_path / "test.csv")
    rows = _write_csv(train_path, 2000, 0)
    _write_csv(test_path, 500, 1)

    numeric = keras.layers.Normalization(axis=None)
    numeric.adapt(np.array([r[0] for r in rows], dtype="float32"))
    income = keras.layers.Normalization(axis=None)
    income.adapt(np.array([r[1] for r in rows], dtype="float32"))
    colour = keras.layers.StringLookup(output_mode="one_hot")
    colour.adapt(np.array([r[2] for r in rows]))
    review = keras.layers.TextVectorization(max_tokens=20, output_mode="multi_hot")
    review.adapt(np.array([r[3] for r in rows]))

    inputs = {
        "age": keras.Input((), name="age", dtype="float32"),
        "income": keras.Input((), name="income", dtype="float32"),
        "colour": keras.Input((), name="colour", dtype="string"),
        "review": keras.Input((), name="review", dtype="string"),
    }
    features = keras.layers.Concatenate()([
        keras.layers.Reshape((1,))(numeric(inputs["age"])),
        keras.layers.Reshape((1,))(income(inputs["income"])),
        colour(inputs["colour"]),
        review(inputs["review"]),
    ])  # fmt: skip
    hidden = keras.layers.Dense(32, activation="relu")(features)
    output = keras.layers.Dense(1, activation="sigmoid")(hidden)
    model = keras.Model(inputs, output)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    model.fit(_dataset(train_path, 64, True), epochs=12, verbose=0)
    logs = model.evaluate(_dataset(test_path, 128, False), return_dict=True, verbose=0)
    assert logs["accuracy"] >= 0.9, logs
