"""LSTM / GRU on the fused sequence ops give the numbers of the step-by-step cell loop (outputs,
states, gradients; eager and traced), and fall back to the loop where the fused op does not
apply."""

from __future__ import annotations

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_components import layers
from tensorhouse_components.layers import _rnn

RNG = np.random.default_rng(11)


class _Counting:
    """Stands in for ``tensorhouse_ops.nn`` in ``_rnn``, counting the fused calls."""

    def __init__(self):
        self.calls = 0

    def __getattr__(self, name):
        fn = getattr(tf.nn, name)

        def wrapped(*args, **kwargs):
            self.calls += 1
            return fn(*args, **kwargs)

        return wrapped


@pytest.fixture
def counting(monkeypatch):
    c = _Counting()
    monkeypatch.setattr(_rnn, "_nn", c)
    return c


def _loop_only(monkeypatch):
    monkeypatch.setattr(_rnn.RNN, "_fused", lambda self, *a: None)


def _outputs_and_grads(layer, x, traced, **call_kwargs):
    def run(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            out = layer(x, **call_kwargs)
            outs = list(out) if isinstance(out, list | tuple) else [out]
            loss = sum(tf.reduce_sum(o * o) * (k + 1.0) for k, o in enumerate(outs))
        return outs + tape.gradient(loss, [x, *layer.trainable_weights])

    fn = tf.function(run) if traced else run
    return [t.numpy() for t in fn(x)]


CONFIGS = [
    (layers.LSTM, {"return_sequences": True}),
    (layers.LSTM, {"go_backwards": True, "return_state": True}),
    (layers.LSTM, {"use_bias": False, "unit_forget_bias": False}),
    (layers.GRU, {"return_sequences": True, "return_state": True}),
    (layers.GRU, {"reset_after": False, "go_backwards": True}),
    (layers.GRU, {"use_bias": False}),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cls,kwargs", CONFIGS)
def test_fused_path_matches_the_cell_loop(monkeypatch, counting, cls, kwargs, dtype):
    x = tf.constant(RNG.standard_normal((3, 5, 4)).astype(dtype))
    layer = cls(6, dtype=dtype, **kwargs)
    layer(x)
    layer.set_weights([RNG.uniform(-0.5, 0.5, w.shape) for w in layer.get_weights()])
    tol = {"rtol": 2e-5, "atol": 2e-6} if dtype == "float32" else {"rtol": 1e-11, "atol": 1e-12}
    fused = [_outputs_and_grads(layer, x, traced) for traced in (False, True)]
    assert counting.calls >= 2
    _loop_only(monkeypatch)
    loop = _outputs_and_grads(layer, x, False)
    for got in fused:
        assert len(got) == len(loop)
        for a, b in zip(got, loop):
            np.testing.assert_allclose(a, b, **tol)


def test_initial_state_and_stateful(monkeypatch, counting):
    x = RNG.standard_normal((2, 4, 3)).astype("float32")
    h0, c0 = (RNG.standard_normal((2, 5)).astype("float32") for _ in range(2))
    layer = layers.LSTM(5, return_state=True)
    fused = [t.numpy() for t in layer(tf.constant(x), initial_state=[h0, c0])]
    stateful = layers.GRU(5, stateful=True)
    first, second = stateful(tf.constant(x)).numpy(), stateful(tf.constant(x)).numpy()
    fused_state = stateful.states[0].numpy()
    assert counting.calls == 3
    assert not np.allclose(first, second)  # the second call starts from the first's state
    _loop_only(monkeypatch)
    for a, b in zip(fused, layer(tf.constant(x), initial_state=[h0, c0])):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-5, atol=1e-6)
    stateful.reset_states()
    np.testing.assert_allclose(stateful(tf.constant(x)).numpy(), first, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(stateful(tf.constant(x)).numpy(), second, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(stateful.states[0].numpy(), fused_state, rtol=1e-5, atol=1e-6)


def test_falls_back_to_the_loop(counting):
    x = tf.constant(RNG.standard_normal((2, 4, 3)).astype("float32"))
    mask = tf.constant([[True, True, False, False], [True, True, True, True]])
    layers.LSTM(4)(x, mask=mask)
    layers.LSTM(4, activation="relu")(x)
    layers.GRU(4, recurrent_activation="relu")(x)
    layers.LSTM(4, dropout=0.5)(x, training=True)
    layers.GRU(4, recurrent_dropout=0.5)(x, training=True)
    layers.LSTM(4, unroll=True)(x)
    layers.SimpleRNN(4)(x)
    assert counting.calls == 0
    layers.LSTM(4, dropout=0.5)(x, training=False)  # no active dropout: fused
    assert counting.calls == 1


def test_a_gpu_keeps_the_loop(monkeypatch, counting):
    x = tf.constant(RNG.standard_normal((2, 4, 3)).astype("float32"))
    layers.LSTM(4)(x)
    assert counting.calls == 1  # no GPU here: fused
    monkeypatch.setattr(_rnn, "_gpu_present", lambda: True)
    layers.LSTM(4)(x)
    layers.GRU(4)(x)
    assert counting.calls == 1  # the fused ops have no CUDA kernel: the loop runs on the GPU
