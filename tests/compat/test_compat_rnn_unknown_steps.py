"""Keras's recurrent layers with an unknown number of time steps: traced with
``input_signature=[TensorSpec([None, None, F])]`` and in functional models on
``keras.Input(shape=(None, F))`` fit on batches of different lengths. Outputs against the NumPy
recurrence of test_compat_rnn (which Keras 3 matches), gradients against its central differences
(float64); ``unroll=True`` with unknown steps raises Keras's error."""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from test_compat_rnn import X, close, gru_step, lstm_step, np_rnn, sig, simple_step, weights

MASK = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 1]], dtype=bool)
_R = np.random.default_rng(11)
W_SEQ = _R.normal(size=(2, 5, 6)).astype(np.float32)  # the loss's weights on the outputs and states
W_LAST = _R.normal(size=(2, 6)).astype(np.float32)


def lstm_relu_step(w):  # not the fused op's activations: the generic loop
    k, rk, b = w

    def step(x, s):
        i, f, g, o = np.split(x @ k + s[0] @ rk + b, 4, axis=-1)
        c = sig(f) * s[1] + sig(i) * np.maximum(g, 0.0)
        return [sig(o) * np.maximum(c, 0.0), c]

    return step


def stacked_step(w):
    """SimpleRNNCell(5) then GRUCell(6); states in NumPy order ``[h2, h1]`` (output first)."""
    first, second = simple_step(w[:3]), gru_step(w[3:])

    def step(x, s):
        h1 = first(x, [s[1]])[0]
        return [second(h1, [s[0]])[0], h1]

    return step


def _kinds(tf):
    """kind -> (layer factory, weights, NumPy step factory, zero states)."""
    L = tf.keras.layers
    zeros = [np.zeros((2, 6))]
    return {
        "simple": (lambda **k: L.SimpleRNN(6, **k), weights(4, 6, 1), simple_step, zeros),
        "lstm": (lambda **k: L.LSTM(6, **k), weights(4, 6, 4), lstm_step, zeros * 2),
        "lstm_relu": (
            lambda **k: L.LSTM(6, activation="relu", **k),
            weights(4, 6, 4),
            lstm_relu_step,
            zeros * 2,
        ),
        "gru": (lambda **k: L.GRU(6, **k), weights(4, 6, 3, (2, 18)), gru_step, zeros),
        "gru_reset_before": (
            lambda **k: L.GRU(6, reset_after=False, **k),
            weights(4, 6, 3),
            lambda w: gru_step(w, reset_after=False),
            zeros,
        ),
        "rnn_stacked_cells": (
            lambda **k: L.RNN([L.SimpleRNNCell(5), L.GRUCell(6)], **k),
            [*weights(4, 5, 1), *weights(5, 6, 3, (2, 18))],
            stacked_step,
            [np.zeros((2, 6)), np.zeros((2, 5))],
        ),
    }


KINDS = ["simple", "lstm", "lstm_relu", "gru", "gru_reset_before", "rnn_stacked_cells"]
OPTIONS = [
    {},
    {"return_sequences": True},
    {"return_state": True, "go_backwards": True},
    {"return_sequences": True, "mask": True},
    {"return_sequences": True, "return_state": True, "go_backwards": True, "mask": True},
]


def _np_loss(step, states, opts):
    """The loss on the NumPy recurrence, and its outputs (states in the framework's order)."""
    mask = MASK if opts.get("mask") else None
    seq, last, fin = np_rnn(step, X, states, mask, opts.get("go_backwards", False))
    if len(fin) == 2 and fin[1].shape[1] == 5:  # stacked cells: the framework's order is h1, h2
        fin = fin[::-1]
    loss = (seq * W_SEQ).sum() if opts.get("return_sequences") else (last * W_LAST).sum()
    fin = fin if opts.get("return_state") else []
    loss += sum((s * W_LAST[:, : s.shape[1]]).sum() for s in fin)
    return loss, (seq if opts.get("return_sequences") else last), fin


def _central_differences(make_step, w, states, opts, eps=1e-5):
    w = [a.astype(np.float64) for a in w]
    grads = []
    for a in w:
        g = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            old = a[i]
            a[i] = old + eps
            up = _np_loss(make_step(w), states, opts)[0]
            a[i] = old - eps
            down = _np_loss(make_step(w), states, opts)[0]
            a[i] = old
            g[i] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


@pytest.mark.parametrize("opts", OPTIONS, ids=lambda o: "-".join(o) or "last")
@pytest.mark.parametrize("kind", KINDS)
def test_traced_unknown_steps_outputs_and_gradients(tf, kind, opts):
    make, w, make_step, states = _kinds(tf)[kind]
    layer = make(**{k: v for k, v in opts.items() if k != "mask"})
    layer.build((None, None, 4))
    layer.set_weights(w)
    spec = [tf.TensorSpec([None, None, 4]), tf.TensorSpec([None, None], tf.bool)]

    @tf.function(input_signature=spec)
    def run(x, m):
        with tf.GradientTape() as tape:
            result = layer(x, mask=m if opts.get("mask") else None)
            out = result[0] if opts.get("return_state") else result
            loss = tf.reduce_sum(out * (W_SEQ if opts.get("return_sequences") else W_LAST))
            final = tf.nest.flatten(result[1:]) if opts.get("return_state") else []
            for s in final:
                loss += tf.reduce_sum(s * W_LAST[:, : s.shape[-1]])
        return out, final, loss, tape.gradient(loss, layer.trainable_weights)

    out, final, loss, grads = run(tf.constant(X), tf.constant(MASK))
    ref_loss, ref_out, ref_final = _np_loss(make_step(w), states, opts)
    close(out, ref_out)
    for s, r in zip(final, ref_final, strict=True):
        close(s, r)
    close(loss, ref_loss, 1e-4)
    for g, r in zip(grads, _central_differences(make_step, w, states, opts), strict=True):
        close(g, r, 2e-3)
    eager = layer(X, mask=MASK if opts.get("mask") else None)  # same numbers eagerly
    close(out, eager[0] if opts.get("return_state") else eager, 1e-6)


@pytest.mark.parametrize("mode", ["concat", "sum"])
def test_bidirectional_traced_unknown_steps(tf, mode):
    w = weights(4, 6, 3, (2, 18))
    layer = tf.keras.layers.Bidirectional(
        tf.keras.layers.GRU(6, return_sequences=True, return_state=True), merge_mode=mode
    )
    layer.build((None, None, 4))
    layer.set_weights([*w, *w])
    spec = [tf.TensorSpec([None, None, 4]), tf.TensorSpec([None, None], tf.bool)]
    out, h_fw, h_bw = tf.function(lambda x, m: layer(x, mask=m), input_signature=spec)(X, MASK)
    fw, _, (ref_fw,) = np_rnn(gru_step(w), X, [np.zeros((2, 6))], MASK, zero_output=True)
    bw, _, (ref_bw,) = np_rnn(gru_step(w), X, [np.zeros((2, 6))], MASK, True, True)
    bw = bw[:, ::-1]
    close(out, np.concatenate([fw, bw], -1) if mode == "concat" else fw + bw)
    close(h_fw, ref_fw)
    close(h_bw, ref_bw)


def test_stateful_traced_unknown_steps_carries_states(tf):
    w = weights(4, 6, 1)
    layer = tf.keras.layers.SimpleRNN(6, stateful=True, return_sequences=True)
    layer.build((2, None, 4))
    layer.set_weights(w)
    run = tf.function(layer, input_signature=[tf.TensorSpec([2, None, 4])])
    first, second = run(X[:, :2]), run(X[:, 2:])
    seq = np_rnn(simple_step(w), X, [np.zeros((2, 6))])[0]
    close(np.concatenate([first, second], axis=1), seq)
    layer.reset_states()
    close(run(X[:, :3]), seq[:, :3])


@pytest.mark.parametrize("kind", ["simple", "lstm", "gru"])
def test_functional_model_on_unknown_steps_fits_batches_of_different_lengths(tf, kind):
    make, w, make_step, states = _kinds(tf)[kind]
    inputs = tf.keras.Input(shape=(None, 4))
    model = tf.keras.Model(inputs, make()(inputs))
    assert tuple(model.output_shape) == (None, 6)
    model.set_weights(w)
    model.compile(optimizer=tf.keras.optimizers.SGD(0.5), loss="mse")
    y = W_LAST * 0.5
    for steps in (5, 3):  # two batches of different lengths, one SGD step each
        x = X[:, :steps]
        close(model.predict(x, verbose=0), np_rnn(make_step(w), x, states)[1])

        def mse(w, x=x):
            return ((np_rnn(make_step(w), x, states)[1] - y) ** 2).mean()

        w = [a.astype(np.float64) for a in w]
        grads = []
        for a in w:
            g = np.zeros_like(a)
            for i in np.ndindex(a.shape):
                old = a[i]
                a[i] = old + 1e-5
                up = mse(w)
                a[i] = old - 1e-5
                g[i] = (up - mse(w)) / 2e-5
                a[i] = old
            grads.append(g)
        loss = model.train_on_batch(x, y)
        close(loss, mse(w), 1e-5)
        w = [a - 0.5 * g for a, g in zip(w, grads)]
        for v, r in zip(model.get_weights(), w, strict=True):
            close(v, r, 1e-4)


def test_unroll_with_unknown_steps_raises_keras_error(tf):
    w = weights(4, 3, 4)
    layer = tf.keras.layers.LSTM(3, unroll=True)
    layer.build((None, None, 4))
    layer.set_weights(w)
    run = tf.function(layer, input_signature=[tf.TensorSpec([None, None, 4])])
    with pytest.raises(ValueError, match="Cannot unroll a RNN if the time dimension is undefined"):
        run(X)
    close(layer(X), np_rnn(lstm_step(w), X, [np.zeros((2, 3))] * 2)[1])  # known steps: unrolled


def test_time_distributed_traced_unknown_steps(tf):
    """Batch size = number of steps: Keras 3.15's unknown-steps branch runs as many steps as
    the batch has rows (``vectorized_map`` over ``arange(shape(inputs)[0])``, taken before its
    transpose), so only such inputs agree; tensorhouse runs the real number of steps."""
    r = np.random.default_rng(3)
    kernel, bias = r.normal(size=(4, 3)).astype(np.float32), r.normal(size=3).astype(np.float32)
    layer = tf.keras.layers.TimeDistributed(tf.keras.layers.Dense(3))
    layer.build((None, None, 4))
    layer.set_weights([kernel, bias])
    run = tf.function(layer, input_signature=[tf.TensorSpec([None, None, 4])])
    for x in (X[:, :2], np.concatenate([X, X[:1] * 2.0, X[:2] - 1.0])):  # 2 x 2, 5 x 5
        close(run(x), x @ kernel + bias)


def test_mixed_float16_traced_unknown_steps(tf):
    w = weights(4, 6, 1)
    layer = tf.keras.layers.SimpleRNN(6, return_sequences=True, dtype="mixed_float16")
    layer.build((None, None, 4))
    layer.set_weights(w)
    out = tf.function(layer, input_signature=[tf.TensorSpec([None, None, 4])])(X)
    assert out.dtype == tf.float16 and layer.cell.kernel.dtype == tf.float32
    close(np.asarray(out, np.float32), np_rnn(simple_step(w), X, [np.zeros((2, 6))])[0], 1e-2)
