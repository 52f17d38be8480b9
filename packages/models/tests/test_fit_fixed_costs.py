"""What fit skips or reuses to cut its fixed costs, checked against what it stands for: epoch
logs read from the last step, metrics reset by one traced call, batch tensors kept between
fit calls, batch hooks skipped when no callback has them."""

import numpy as np
import pytest

from tensorhouse_models import Input, Model, Sequential, callbacks, layers, metrics, optimizers

RNG = np.random.default_rng(11)
X = RNG.normal(size=(50, 3)).astype(np.float32)
Y = (X @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype(np.float32)
W0 = [np.array([[0.1], [0.2], [-0.1]], np.float32), np.array([0.0], np.float32)]


def linear(cls=Sequential, **compile_kwargs):
    model = cls([Input(shape=(3,)), layers.Dense(1)])
    model.set_weights(W0)
    model.compile(optimizers.SGD(learning_rate=0.05), "mse", **compile_kwargs)
    return model


def numpy_epochs(epochs, batch, x=X, y=Y, lr=0.05):
    """Per epoch: the batch-size-weighted means of the batches' MSE and MAE (each taken before
    its step's update), and the weights after it."""
    w, b = W0[0].astype(np.float64), W0[1].astype(np.float64)
    out = []
    for _ in range(epochs):
        sums = np.zeros(2)
        for s in range(0, len(x), batch):
            xb, yb = x[s : s + batch], y[s : s + batch]
            err = xb @ w + b - yb
            sums += len(xb) * np.array([np.mean(err**2), np.mean(np.abs(err))])
            w, b = w - lr * 2 * xb.T @ err / len(xb), b - lr * 2 * err.sum(0) / len(xb)
        out.append(sums / len(x))
    return np.array(out), (w, b)


def test_epoch_logs_are_the_metrics_results_after_the_epoch():
    model = linear(metrics=["mae"])
    history = model.fit(X, Y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    expected, _ = numpy_epochs(3, 16)
    np.testing.assert_allclose(history["loss"], expected[:, 0], rtol=1e-5)
    np.testing.assert_allclose(history["mae"], expected[:, 1], rtol=1e-5)
    now = {k: float(v) for k, v in model.get_metrics_result().items()}
    assert now == {"loss": history["loss"][-1], "mae": history["mae"][-1]}  # bit for bit


def test_a_callback_between_steps_sees_and_sets_the_epoch_results():
    """A batch callback may change the metrics: the epoch logs are then read after it (Keras
    reads them after the epoch), here after a reset: a Mean of nothing is 0."""

    class Reset(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            self.model.reset_metrics()

    history = linear(metrics=["mae"]).fit(
        X, Y, batch_size=16, epochs=2, verbose=0, callbacks=[Reset()]
    )
    assert history.history == {"loss": [0.0, 0.0], "mae": [0.0, 0.0]}


class CountingMAE(metrics.MeanAbsoluteError):
    resets = 0

    def reset_state(self):
        type(self).resets += 1
        super().reset_state()


class CountingSequential(Sequential):
    resets = 0

    def reset_metrics(self):
        type(self).resets += 1
        super().reset_metrics()


@pytest.mark.parametrize("what", ["metric", "model"])
def test_overridden_resets_run_as_written_once_per_epoch_and_evaluation(what):
    model = (
        linear(metrics=[CountingMAE(name="counted")])
        if what == "metric"
        else linear(CountingSequential, metrics=["mae"])
    )
    counter = CountingMAE if what == "metric" else CountingSequential
    counter.resets = 0
    history = model.fit(
        X, Y, batch_size=16, epochs=3, shuffle=False, verbose=0, validation_data=(X, Y)
    ).history
    # each epoch's start and each validation; a compiled metric is built in the first step,
    # after the first epoch's reset (as before the traced reset)
    assert counter.resets == (5 if what == "metric" else 6)
    name = "counted" if what == "metric" else "mae"
    np.testing.assert_allclose(history[name], numpy_epochs(3, 16)[0][:, 1], rtol=1e-5)


def test_the_traced_reset_zeroes_metrics_built_in_the_first_step():
    """The compiled metrics are built in the first step, after the first reset: later epochs
    reset them too (each epoch's accuracy is its own)."""
    x = np.arange(40, dtype=np.float32)[:, None]
    y = (x[:, 0] < 10).astype(np.float32)[:, None]  # 1 on the first quarter, then 0
    model = Sequential([Input(shape=(1,)), layers.Dense(1, activation="sigmoid")])
    model.set_weights([np.zeros((1, 1), np.float32), np.zeros(1, np.float32)])
    model.compile(optimizers.SGD(learning_rate=0.0), "mse", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=40, epochs=3, verbose=0).history
    assert history["accuracy"] == [0.75] * 3  # sigmoid(0) = 0.5 rounds to 0: 30 of 40 right
    assert history["loss"] == [0.25] * 3
    (accuracy,) = model.metrics[1].metrics
    assert [float(v) for v in accuracy.variables] == [30.0, 40.0]  # the last epoch's alone


def test_repeated_fit_calls_on_arrays_changed_in_place_train_on_the_new_values():
    """fit on the same array objects reuses their batch tensors only while the arrays are
    unchanged: the weights match fits on fresh copies of the values."""
    x, y = X.copy(), Y.copy()
    kept, fresh, unchanged = linear(), linear(), linear()
    for round_ in range(4):
        if round_ == 2:
            x[7, 1] += 1.0  # in place: the same objects, other values
            y[49, 0] = -0.0
        kept.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
        fresh.fit(x.copy(), y.copy(), batch_size=16, epochs=1, shuffle=False, verbose=0)
        unchanged.fit(X, Y, batch_size=16, epochs=1, shuffle=False, verbose=0)
        for a, b in zip(kept.get_weights(), fresh.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
    _, (w, b) = numpy_epochs(4, 16)
    np.testing.assert_allclose(unchanged.get_weights()[0], w, rtol=1e-4, atol=1e-5)
    assert np.abs(kept.get_weights()[0] - w).max() > 1e-3  # the change was trained on


def test_a_callback_appended_to_the_list_gets_the_batch_hooks():
    seen = []
    cbs = callbacks.CallbackList([])
    cbs.append(callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(b)))
    assert cbs.calls("on_train_batch_end") and not cbs.calls("on_test_batch_end")
    cbs.on_train_batch_end(4, {"loss": 1.5})
    assert seen == [4]


def test_functional_model_epoch_logs_match_the_results():
    inp = Input(shape=(3,), name="x")
    model = Model(inp, layers.Dense(1, name="out")(inp))
    model.set_weights(W0)
    model.compile(optimizers.SGD(learning_rate=0.05), "mse", metrics=["mae"])
    history = model.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    expected, _ = numpy_epochs(2, 16)
    np.testing.assert_allclose(history["loss"], expected[:, 0], rtol=1e-5)
    np.testing.assert_allclose(history["mae"], expected[:, 1], rtol=1e-5)
