"""``SwapEMAWeights`` (swaps by hand-computed averages, under a MultiOptimizer, Keras's
``predict`` quirk) and ``RemoteMonitor`` (a local HTTP server: error statuses, NaN in JSON)."""

import http.server
import threading
import warnings

import numpy as np
import pytest

from tensorhouse_models import Input, Sequential, callbacks, layers, optimizers

X = np.array([[1.0, 2.0], [0.5, -1.0], [2.0, 0.0], [-1.0, 1.0]], np.float32)
Y = (X @ np.array([[2.0], [-1.0]], np.float32) + 0.5).astype(np.float32)


def _model(optimizer):
    model = Sequential([Input((2,)), layers.Dense(1, name="out")])
    model.set_weights([np.array([[0.1], [0.2]], np.float32), np.array([0.0], np.float32)])
    model.compile(optimizer, "mse")
    return model


def _flat(model):
    return np.concatenate([np.ravel(w) for w in model.get_weights()])


def _sgd_with_ema_by_hand(steps, lr=0.1, momentum=0.5):
    """Full-batch SGD on the MSE of ``Dense(1)`` and Keras's EMA (the first step copies)."""
    w = np.array([0.1, 0.2, 0.0])
    xb = np.concatenate([X, np.ones((len(X), 1))], axis=1)
    average = None
    for _ in range(steps):
        grad = 2 * xb.T @ (xb @ w - Y[:, 0]) / len(X)
        w = w - lr * grad
        average = w.copy() if average is None else momentum * average + (1 - momentum) * w
    return w, average


def test_swap_puts_the_averages_in_for_evaluate_and_back():
    opt = optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5)
    model = _model(opt)
    model.fit(X, Y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    trained, average = _sgd_with_ema_by_hand(3)
    np.testing.assert_allclose(_flat(model), average, rtol=1e-5)  # fit ends on the averages
    model.set_weights([trained[:2, None].astype(np.float32), trained[2:].astype(np.float32)])
    swap = callbacks.SwapEMAWeights()
    seen = []
    probe = callbacks.LambdaCallback(on_test_batch_begin=lambda b, logs: seen.append(_flat(model)))
    got = model.evaluate(X, Y, verbose=0, callbacks=[swap, probe])
    np.testing.assert_allclose(seen[0], average, rtol=1e-5)
    xb = np.concatenate([X, np.ones((4, 1))], axis=1)
    np.testing.assert_allclose(got, np.mean((xb @ average - Y[:, 0]) ** 2), rtol=1e-5)
    np.testing.assert_allclose(_flat(model), trained, rtol=1e-6)  # swapped back
    # Keras 3.15's on_predict_end swaps back only when the averages are not in: they stay
    model.predict(X, verbose=0, callbacks=[swap])
    np.testing.assert_allclose(_flat(model), average, rtol=1e-6)


def test_swap_under_a_multi_optimizer():
    ema = optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5)
    multi = optimizers.MultiOptimizer(
        optimizers.OptimizerMap(optimizers.SGD(0.1), {".*/out/bias": ema})
    )
    model = _model(multi)
    model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    trained, _ = _sgd_with_ema_by_hand(2)
    np.testing.assert_allclose(_flat(model)[:2], trained[:2], rtol=1e-5)  # no EMA on the kernel
    bias = ema._model_variables_moving_average[0].numpy()
    seen = []
    probe = callbacks.LambdaCallback(on_test_begin=lambda logs: seen.append(_flat(model)))
    model.evaluate(X, Y, verbose=0, callbacks=[callbacks.SwapEMAWeights(), probe])
    np.testing.assert_allclose(seen[0][2:], bias, rtol=1e-6)
    np.testing.assert_allclose(seen[0][:2], trained[:2], rtol=1e-5)
    plain = optimizers.MultiOptimizer(optimizers.OptimizerMap(optimizers.SGD(0.1)))
    model = _model(plain)
    with pytest.raises(ValueError, match="at least one inner optimizer"):
        model.evaluate(X, Y, verbose=0, callbacks=[callbacks.SwapEMAWeights()])


@pytest.fixture
def server():
    """A local server answering each POST with the status queued in ``statuses`` (200)."""
    bodies, statuses = [], []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            bodies.append(self.rfile.read(int(self.headers["Content-Length"])).decode())
            self.send_response(statuses.pop(0) if statuses else 200)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}", bodies, statuses
    httpd.shutdown()
    httpd.server_close()


def test_remote_monitor_error_status_and_nan(server):
    root, bodies, statuses = server
    monitor = callbacks.RemoteMonitor(root=root)
    statuses.append(500)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an answer, even an error status, is no warning
        monitor.on_epoch_end(0, {"loss": float("nan")})
    assert bodies == ["data=%7B%22epoch%22%3A+0%2C+%22loss%22%3A+NaN%7D"]
    as_json = callbacks.RemoteMonitor(root=root, send_as_json=True)
    with pytest.warns(UserWarning, match="Could not reach"):  # JSON has no NaN: not sent
        as_json.on_epoch_end(1, {"loss": float("nan")})
    assert len(bodies) == 1
    with pytest.warns(UserWarning, match="Could not reach"):
        callbacks.RemoteMonitor(root="localhost:9000").on_epoch_end(0)  # no scheme
