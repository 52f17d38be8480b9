"""The high-level API end to end: Sequential + compile + fit on a noisy linear problem."""

import re

import numpy as np
import pytest

from tensorhouse_models import Input, Sequential, data, layers, optimizers, utils

TRUE_W = np.array([[2.0], [-3.0]])
TRUE_B = 3.0


def make_data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    y = x @ TRUE_W + TRUE_B + rng.normal(scale=0.1, size=(n, 1))
    return x.astype(np.float32), y.astype(np.float32)


def train(epochs=10, seed=0, **fit_kwargs):
    x, y = make_data()
    utils.set_random_seed(seed)
    model = Sequential([Input(shape=(2,)), layers.Dense(1)])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse")
    history = model.fit(x, y, epochs=epochs, batch_size=32, verbose=0, **fit_kwargs)
    return model, history


@pytest.fixture(scope="module")
def trained():
    return train()


def test_learns_the_weights(trained):
    model, _ = trained
    kernel, bias = model.get_weights()
    assert kernel.shape == (2, 1) and bias.shape == (1,)
    np.testing.assert_allclose(kernel[:, 0], TRUE_W[:, 0], atol=0.1)
    np.testing.assert_allclose(bias, [TRUE_B], atol=0.1)


def test_history_has_one_loss_per_epoch(trained):
    _, history = trained
    losses = history.history["loss"]
    assert len(losses) == 10 and history.epoch == list(range(10))
    assert all(isinstance(v, float) for v in losses)
    assert losses[-1] < losses[0] and losses[-1] < 0.05
    # the noise floor: the variance of the noise (0.1^2)
    assert 0.005 < losses[-1] < 0.02


def test_predict_matches_numpy(trained):
    model, _ = trained
    x, _ = make_data(50, seed=1)
    kernel, bias = model.get_weights()
    pred = model.predict(x, batch_size=16)
    assert isinstance(pred, np.ndarray) and pred.shape == (50, 1)
    np.testing.assert_allclose(pred, x @ kernel + bias, rtol=1e-5, atol=1e-5)


def test_evaluate_is_the_mse_of_predict(trained):
    model, _ = trained
    x, y = make_data(100, seed=2)
    expected = float(np.mean((model.predict(x) - y) ** 2))
    loss = model.evaluate(x, y, batch_size=32, verbose=0)
    assert isinstance(loss, float)
    np.testing.assert_allclose(loss, expected, rtol=1e-5)
    assert model.evaluate(x, y, verbose=0, return_dict=True) == {"loss": pytest.approx(expected)}


def test_same_seed_same_weights():
    a, _ = train(epochs=3, seed=7)
    b, _ = train(epochs=3, seed=7)
    c, _ = train(epochs=3, seed=8)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert not np.array_equal(a.get_weights()[0], c.get_weights()[0])


def test_shuffle_changes_the_run_and_no_shuffle_is_ordered():
    shuffled, _ = train(epochs=2, seed=7)
    ordered, _ = train(epochs=2, seed=7, shuffle=False)
    assert not np.array_equal(shuffled.get_weights()[0], ordered.get_weights()[0])


def test_fit_on_a_dataset():
    x, y = make_data()
    utils.set_random_seed(0)
    model = Sequential([Input(shape=(2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.optimizer.learning_rate = 0.1
    ds = data.Dataset.from_tensor_slices((x, y)).shuffle(400).batch(32)
    history = model.fit(ds, epochs=8, verbose=0, validation_data=ds.take(2))
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(kernel[:, 0], TRUE_W[:, 0], atol=0.1)
    np.testing.assert_allclose(bias, [TRUE_B], atol=0.1)
    assert len(history.history["loss"]) == 8 and len(history.history["val_loss"]) == 8
    assert int(model.optimizer.iterations) == 8 * 13


def test_fit_on_ops_tensors_and_a_repeated_dataset_with_steps():
    x, y = make_data()
    model = Sequential([Input(shape=(2,)), layers.Dense(1)])
    model.compile(optimizer=optimizers.Adam(learning_rate=0.1), loss="mse")
    from tensorhouse_models import ops

    model.fit(ops.constant(x), ops.constant(y), epochs=2, verbose=0)
    ds = data.Dataset.from_tensor_slices((x, y)).batch(50).repeat()
    history = model.fit(ds, epochs=3, steps_per_epoch=5, verbose=0)
    assert len(history.history["loss"]) == 3
    assert int(model.optimizer.iterations) == 2 * 13 + 3 * 5


def test_verbose_prints_one_line_per_epoch(capsys):
    x, y = make_data()
    model = Sequential([Input(shape=(2,)), layers.Dense(1)])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse", metrics=["mae"])
    model.fit(x, y, epochs=2, batch_size=32, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    assert re.fullmatch(
        r"13/13 - \d+s - \d+[mu]?s/step - loss: \d\.\d{4} - mae: \d\.\d{4}", lines[3]
    )
    model.fit(x, y, epochs=1, verbose=0)
    assert capsys.readouterr().out == ""
