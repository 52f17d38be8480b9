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


MASKS = {
    "right_padded": [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]],
    "left_padded": [[0, 0, 1, 1, 1], [0, 1, 1, 1, 1], [0, 0, 0, 0, 1]],
    "holes": [[1, 0, 1, 0, 1], [0, 0, 0, 0, 0], [0, 1, 1, 0, 1]],  # one row all masked
}
MASKED_CONFIGS = [
    (layers.LSTM, {"return_sequences": True, "return_state": True}),
    (layers.LSTM, {"go_backwards": True, "return_state": True}),
    (layers.LSTM, {"return_sequences": True, "zero_output_for_mask": True, "go_backwards": True}),
    (layers.GRU, {"return_sequences": True, "return_state": True}),
    (layers.GRU, {"reset_after": False, "return_sequences": True, "go_backwards": True}),
    (layers.GRU, {"zero_output_for_mask": True, "return_state": True}),
]


@pytest.mark.parametrize("mask_kind", sorted(MASKS))
@pytest.mark.parametrize("cls,kwargs", MASKED_CONFIGS)
def test_masked_fused_path_matches_the_cell_loop(monkeypatch, counting, cls, kwargs, mask_kind):
    x = tf.constant(RNG.standard_normal((3, 5, 4)).astype("float32"))
    mask = tf.constant(np.array(MASKS[mask_kind], dtype=bool))
    states = [tf.constant(RNG.standard_normal((3, 6)).astype("float32")) for _ in range(2)]
    layer = cls(6, **kwargs)
    layer(x)
    layer.set_weights([RNG.uniform(-0.5, 0.5, w.shape) for w in layer.get_weights()])
    initial = states if cls is layers.LSTM else states[:1]  # nonzero: carried where masked
    call = {"mask": mask, "initial_state": initial}
    fused = [_outputs_and_grads(layer, x, traced, **call) for traced in (False, True)]
    assert counting.calls >= 2
    _loop_only(monkeypatch)
    loop = _outputs_and_grads(layer, x, False, **call)
    for got in fused:
        assert len(got) == len(loop)
        for a, b in zip(got, loop):
            np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)


def _masked_ops_numbers(kind, mask, backwards):
    """The fused op's outputs for float64 inputs and its finite-difference gradients."""
    r = np.random.default_rng(3)
    b, t, i, u = 2, 4, 3, 2
    gates = 4 if kind == "lstm" else 3
    ins = [r.standard_normal((b, t, i)), r.standard_normal((b, u))]
    if kind == "lstm":
        ins.append(r.standard_normal((b, u)))
    ins += [r.uniform(-0.6, 0.6, (i, gates * u)), r.uniform(-0.6, 0.6, (u, gates * u))]
    ins.append(r.uniform(-0.3, 0.3, (2, 3 * u) if kind == "gru" else (gates * u,)))
    w = [r.standard_normal((b, t, u)), r.standard_normal((b, u)), r.standard_normal((b, u))]

    def loss(*args):
        fn = tf.nn.lstm_sequence if kind == "lstm" else tf.nn.gru_sequence
        outs = fn(*args, go_backwards=backwards, mask=mask)
        return sum(tf.reduce_sum(o * c) for o, c in zip(outs, w))

    return ins, loss


@pytest.mark.parametrize("backwards", [False, True])
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_masked_fused_gradients_by_finite_differences(kind, backwards):
    mask = tf.constant(np.array([[1, 0, 1, 1], [0, 1, 1, 0]], dtype=bool))
    ins, loss = _masked_ops_numbers(kind, mask, backwards)
    tensors = [tf.constant(a) for a in ins]
    with tf.GradientTape() as tape:
        for v in tensors:
            tape.watch(v)
        value = loss(*tensors)
    grads = tape.gradient(value, tensors)
    eps = 1e-6
    for k, a in enumerate(ins):
        numeric = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            plus, minus = [x.copy() for x in ins], [x.copy() for x in ins]
            plus[k][idx] += eps
            minus[k][idx] -= eps
            diff = loss(*map(tf.constant, plus)).numpy() - loss(*map(tf.constant, minus)).numpy()
            numeric[idx] = diff / (2 * eps)
        np.testing.assert_allclose(grads[k].numpy(), numeric, rtol=1e-6, atol=1e-7)


def test_masked_step_keeps_the_states():
    x = tf.constant(RNG.standard_normal((2, 3, 4)).astype("float32"))
    layer = layers.LSTM(3, return_sequences=True, return_state=True)
    h0, c0 = (tf.constant(RNG.standard_normal((2, 3)).astype("float32")) for _ in range(2))
    mask = tf.constant([[False, False, False], [True, False, True]])
    seq, h, c = layer(x, mask=mask, initial_state=[h0, c0])
    np.testing.assert_array_equal(h.numpy()[0], h0.numpy()[0])  # all masked: states as given
    np.testing.assert_array_equal(c.numpy()[0], c0.numpy()[0])
    np.testing.assert_array_equal(seq.numpy()[0], np.zeros((3, 3)))  # no output yet: zeros
    np.testing.assert_array_equal(seq.numpy()[1, 1], seq.numpy()[1, 0])  # repeats the last


def test_falls_back_to_the_loop(counting):
    x = tf.constant(RNG.standard_normal((2, 4, 3)).astype("float32"))
    layers.LSTM(4, activation="relu")(x)
    layers.GRU(4, recurrent_activation="relu")(x)
    layers.LSTM(4, dropout=0.5)(x, training=True)
    layers.GRU(4, recurrent_dropout=0.5)(x, training=True)
    layers.LSTM(4, unroll=True)(x)
    layers.SimpleRNN(4)(x)
    assert counting.calls == 0
    layers.LSTM(4, dropout=0.5)(x, training=False)  # no active dropout: fused
    assert counting.calls == 1
    mask = tf.constant([[True, True, False, False], [True, True, True, True]])
    layers.GRU(4)(x, mask=mask)  # masks run fused too
    assert counting.calls == 2


def test_a_gpu_keeps_the_loop(monkeypatch, counting):
    x = tf.constant(RNG.standard_normal((2, 4, 3)).astype("float32"))
    layers.LSTM(4)(x)
    assert counting.calls == 1  # no GPU here: fused
    monkeypatch.setattr(_rnn, "_gpu_present", lambda: True)
    layers.LSTM(4)(x)
    layers.GRU(4)(x)
    assert counting.calls == 1  # the fused ops have no CUDA kernel: the loop runs on the GPU


def test_masked_bidirectional_and_embedding_mask(monkeypatch, counting):
    tokens = tf.constant(np.array([[4, 2, 7, 0, 0], [0, 0, 3, 1, 5], [6, 0, 2, 0, 1]]))
    emb = layers.Embedding(8, 4, mask_zero=True)
    bi = layers.Bidirectional(layers.GRU(3, return_sequences=True), merge_mode="concat")
    bi(emb(tokens))
    bi.set_weights([RNG.uniform(-0.5, 0.5, w.shape) for w in bi.get_weights()])

    def run(traced):
        def call(t):
            with tf.GradientTape() as tape:
                out = bi(emb(t))
                loss = tf.reduce_sum(out * out)
            return [out, *tape.gradient(loss, bi.trainable_weights)]

        fn = tf.function(call) if traced else call
        return [v.numpy() for v in fn(tokens)]

    fused = [run(False), run(True)]
    assert counting.calls >= 4  # forward and backward layers, eager and traced
    _loop_only(monkeypatch)
    loop = run(False)
    for got in fused:
        for a, b in zip(got, loop):
            np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)
