"""tf.keras.layers' recurrent layers: SimpleRNN, LSTM, GRU, RNN over cells, Bidirectional and
TimeDistributed. Fixed weights via set_weights (seeded NumPy); outputs against a NumPy recurrence
that Keras 3 matches; weight names / shapes / order and config keys."""

import numpy as np
import pytest

RNG = np.random.default_rng(7)
X = RNG.normal(size=(2, 5, 4)).astype(np.float32)
MASK = np.array([[1, 1, 1, 0, 0], [1, 0, 1, 1, 1]], dtype=bool)


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def names(layer):
    return [(w.name.split("/")[-1].split(":")[0], tuple(w.shape)) for w in layer.weights]


def sig(v):
    return 1.0 / (1.0 + np.exp(-v))


def weights(d, u, gates, bias_shape=None):
    r = np.random.default_rng(d * 100 + u * 10 + gates)
    w = [r.normal(size=(d, gates * u)) * 0.5, r.normal(size=(u, gates * u)) * 0.5]
    w.append(r.normal(size=bias_shape or (gates * u,)) * 0.3)
    return [a.astype(np.float32) for a in w]


def simple_step(w):
    k, rk, b = w
    return lambda x, s: [np.tanh(x @ k + s[0] @ rk + b)]


def lstm_step(w):
    k, rk, b = w

    def step(x, s):
        i, f, g, o = np.split(x @ k + s[0] @ rk + b, 4, axis=-1)
        c = sig(f) * s[1] + sig(i) * np.tanh(g)
        return [sig(o) * np.tanh(c), c]

    return step


def gru_step(w, reset_after=True):
    k, rk, b = w
    u = rk.shape[0]

    def step(x, s):
        h = s[0]
        xb = x @ k + (b[0] if reset_after else b)
        x_z, x_r, x_h = np.split(xb, 3, axis=-1)
        if reset_after:
            r_z, r_r, r_h = np.split(h @ rk + b[1], 3, axis=-1)
        else:
            r_z, r_r = np.split(h @ rk[:, : 2 * u], 2, axis=-1)
        z, r = sig(x_z + r_z), sig(x_r + r_r)
        hh = np.tanh(x_h + (r * r_h if reset_after else (r * h) @ rk[:, 2 * u :]))
        return [z * h + (1 - z) * hh]

    return step


def np_rnn(step, x, states, mask=None, backwards=False, zero_output=False):
    """(sequence outputs in processing order, last output, final states)."""
    x = x.astype(np.float64)
    states = [s.astype(np.float64) for s in states]
    order = range(x.shape[1] - 1, -1, -1) if backwards else range(x.shape[1])
    prev = np.zeros_like(step(x[:, 0], states)[0])
    outs = []
    for t in order:
        new = step(x[:, t], states)
        out = new[0]
        if mask is not None:
            m = mask[:, t : t + 1]
            new = [np.where(m, n, s) for n, s in zip(new, states)]
            out = np.where(m, out, 0.0 if zero_output else prev)
        states, prev = new, out
        outs.append(out)
    return np.stack(outs, axis=1), outs[-1], states


def zeros(n, u):
    return [np.zeros((2, u), np.float32) for _ in range(n)]


def built(layer, shape, w):
    layer.build(shape)
    layer.set_weights(w)
    return layer


# ---- the three layers -----------------------------------------------------------------------
def test_simple_rnn_sequences_state_and_weights(tf):
    w = weights(4, 3, 1)
    layer = built(
        tf.keras.layers.SimpleRNN(3, return_sequences=True, return_state=True), (None, 5, 4), w
    )
    assert names(layer) == [("kernel", (4, 3)), ("recurrent_kernel", (3, 3)), ("bias", (3,))]
    seq, h = layer(X)
    ref_seq, _, ref_states = np_rnn(simple_step(w), X, zeros(1, 3))
    close(seq, ref_seq)
    close(h, ref_states[0])


def test_lstm_gate_order_state_and_unit_forget_bias(tf):
    layer = tf.keras.layers.LSTM(3, return_state=True)
    layer.build((None, 5, 4))
    assert names(layer) == [("kernel", (4, 12)), ("recurrent_kernel", (3, 12)), ("bias", (12,))]
    close(layer.get_weights()[2], [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    rk = layer.get_weights()[1]
    close(rk @ rk.T, np.eye(3), 1e-5)  # the default "orthogonal": orthonormal rows (3 x 12)
    w = weights(4, 3, 4)
    layer.set_weights(w)
    out, h, c = layer(X)
    _, last, (ref_h, ref_c) = np_rnn(lstm_step(w), X, zeros(2, 3))
    close(out, last)
    close(h, ref_h)
    close(c, ref_c)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_both_variants(tf, reset_after):
    w = weights(4, 3, 3, (2, 9) if reset_after else (9,))
    layer = built(
        tf.keras.layers.GRU(3, reset_after=reset_after, return_sequences=True), (None, 5, 4), w
    )
    assert names(layer)[2] == ("bias", (2, 9) if reset_after else (9,))
    close(layer(X), np_rnn(gru_step(w, reset_after), X, zeros(1, 3))[0])


def test_go_backwards_returns_steps_in_processing_order(tf):
    w = weights(4, 3, 4)
    layer = built(
        tf.keras.layers.LSTM(3, go_backwards=True, return_sequences=True), (None, 5, 4), w
    )
    close(layer(X), np_rnn(lstm_step(w), X, zeros(2, 3), backwards=True)[0])


def test_initial_state(tf):
    w = weights(4, 3, 4)
    h0 = RNG.normal(size=(2, 3)).astype(np.float32)
    c0 = RNG.normal(size=(2, 3)).astype(np.float32)
    layer = built(tf.keras.layers.LSTM(3), (None, 5, 4), w)
    close(layer(X, initial_state=[h0, c0]), np_rnn(lstm_step(w), X, [h0, c0])[1])


# ---- masks ----------------------------------------------------------------------------------
def test_mask_keeps_previous_state_and_output(tf):
    w = weights(4, 3, 4)
    layer = built(
        tf.keras.layers.LSTM(3, return_sequences=True, return_state=True), (None, 5, 4), w
    )
    seq, h, c = layer(X, mask=tf.constant(MASK))
    ref_seq, _, (ref_h, ref_c) = np_rnn(lstm_step(w), X, zeros(2, 3), mask=MASK)
    close(seq, ref_seq)
    close(h, ref_h)
    close(c, ref_c)


def test_zero_output_for_mask(tf):
    w = weights(4, 3, 1)
    cell = tf.keras.layers.SimpleRNNCell(3)
    layer = tf.keras.layers.RNN(cell, return_sequences=True, zero_output_for_mask=True)
    built(layer, (None, 5, 4), w)
    close(
        layer(X, mask=tf.constant(MASK)),
        np_rnn(simple_step(w), X, zeros(1, 3), MASK, zero_output=True)[0],
    )
    last = tf.keras.layers.RNN(tf.keras.layers.SimpleRNNCell(3), zero_output_for_mask=True)
    built(last, (None, 5, 4), w)
    close(
        last(X, mask=tf.constant(MASK)),
        np_rnn(simple_step(w), X, zeros(1, 3), MASK, zero_output=True)[1],
    )


MASKS = {
    "right": np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=bool),
    "left": np.array([[0, 0, 1, 1, 1], [0, 1, 1, 1, 1]], dtype=bool),
    "holes": np.array([[1, 0, 1, 0, 1], [0, 0, 0, 0, 0]], dtype=bool),
}


@pytest.mark.parametrize("kind", sorted(MASKS))
@pytest.mark.parametrize("backwards", [False, True])
@pytest.mark.parametrize("zero_output", [False, True])
def test_masked_lstm_and_gru(tf, kind, backwards, zero_output):
    mask = MASKS[kind]
    h0 = RNG.normal(size=(2, 3)).astype(np.float32)
    c0 = RNG.normal(size=(2, 3)).astype(np.float32)
    opts = {"return_sequences": True, "return_state": True, "go_backwards": backwards,
            "zero_output_for_mask": zero_output}  # fmt: skip
    w = weights(4, 3, 4)
    lstm = built(tf.keras.layers.LSTM(3, **opts), (None, 5, 4), w)
    seq, h, c = lstm(X, mask=tf.constant(mask), initial_state=[h0, c0])
    ref_seq, _, (ref_h, ref_c) = np_rnn(lstm_step(w), X, [h0, c0], mask, backwards, zero_output)
    close(seq, ref_seq)
    close(h, ref_h)
    close(c, ref_c)
    for reset_after in (True, False):
        w = weights(4, 3, 3, (2, 9) if reset_after else (9,))
        gru = built(tf.keras.layers.GRU(3, reset_after=reset_after, **opts), (None, 5, 4), w)
        seq, h = gru(X, mask=tf.constant(mask), initial_state=[h0])
        step = gru_step(w, reset_after)
        ref_seq, _, (ref_h,) = np_rnn(step, X, [h0], mask, backwards, zero_output)
        close(seq, ref_seq)
        close(h, ref_h)


def test_masked_last_output_and_embedding_mask(tf):
    w = weights(4, 3, 4)
    layer = built(tf.keras.layers.LSTM(3), (None, 5, 4), w)
    _, last, _ = np_rnn(lstm_step(w), X, zeros(2, 3), MASKS["holes"])
    close(layer(X, mask=tf.constant(MASKS["holes"])), last)  # the last unmasked output, or 0
    tokens = np.array([[3, 1, 4, 0, 0], [2, 7, 1, 8, 2]], dtype=np.int32)
    emb = RNG.normal(size=(10, 4)).astype(np.float32)
    inp = tf.keras.Input((5,), dtype="int32")
    embedded = tf.keras.layers.Embedding(10, 4, mask_zero=True)
    gru = tf.keras.layers.GRU(3, return_sequences=True)
    model = tf.keras.Model(inp, gru(embedded(inp)))
    embedded.set_weights([emb])
    w = weights(4, 3, 3, (2, 9))
    gru.set_weights(w)
    ref = np_rnn(gru_step(w), emb[tokens], zeros(1, 3), tokens != 0)[0]
    close(model(tokens), ref)


# ---- RNN over cells ---------------------------------------------------------------------------
def test_stacked_cells_and_state_structure(tf):
    layers = tf.keras.layers
    layer = layers.RNN([layers.LSTMCell(3), layers.GRUCell(2)], return_state=True)
    w1, w2 = weights(4, 3, 4), weights(3, 2, 3, (2, 6))
    built(layer, (None, 5, 4), w1 + w2)
    assert [n for n, _ in names(layer)] == ["kernel", "recurrent_kernel", "bias"] * 2
    out, s1, s2 = layer(X)
    assert len(s1) == 2 and len(s2) == 1
    step1, step2 = lstm_step(w1), gru_step(w2)
    states = [np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((2, 2))]
    for t in range(5):
        a = step1(X[:, t].astype(np.float64), states[:2])
        b = step2(a[0], states[2:])
        states = [*a, *b]
    close(out, states[2])
    close(s1[0], states[0])
    close(s1[1], states[1])
    close(s2[0], states[2])


def test_cell_called_directly(tf):
    w = weights(4, 3, 4)
    cell = tf.keras.layers.LSTMCell(3)
    cell.build((None, 4))
    cell.set_weights(w)
    h0, c0 = np.full((2, 3), 0.1, np.float32), np.full((2, 3), -0.2, np.float32)
    out, (h, c) = cell(X[:, 0], [h0, c0])
    ref = lstm_step(w)(X[:, 0].astype(np.float64), [h0, c0])
    close(out, ref[0])
    close(c, ref[1])


# ---- stateful -------------------------------------------------------------------------------
def test_stateful_carries_states_across_calls_until_reset(tf):
    w = weights(4, 3, 1)
    layer = built(tf.keras.layers.SimpleRNN(3, stateful=True), (2, 5, 4), w)
    layer(X[:, :2])
    second = layer(X[:, 2:])
    close(second, np_rnn(simple_step(w), X, zeros(1, 3))[1])
    layer.reset_states()
    close(layer(X[:, 2:]), np_rnn(simple_step(w), X[:, 2:], zeros(1, 3))[1])
    assert names(layer) == [("kernel", (4, 3)), ("recurrent_kernel", (3, 3)), ("bias", (3,))]


# ---- Bidirectional --------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_merge_modes(tf, mode):
    wf = weights(4, 3, 1)
    wb = [wf[0] * 0.7, wf[1].T, np.linspace(-0.2, 0.2, 3).astype(np.float32)]
    layer = tf.keras.layers.Bidirectional(
        tf.keras.layers.SimpleRNN(3, return_sequences=True), merge_mode=mode
    )
    built(layer, (None, 5, 4), wf + wb)
    fwd = np_rnn(simple_step(wf), X, zeros(1, 3))[0]
    bwd = np_rnn(simple_step(wb), X, zeros(1, 3), backwards=True)[0][:, ::-1]
    expected = {
        "concat": np.concatenate([fwd, bwd], -1), "sum": fwd + bwd, "mul": fwd * bwd,
        "ave": (fwd + bwd) / 2, None: None,
    }[mode]  # fmt: skip
    out = layer(X)
    if mode is None:
        close(out[0], fwd)
        close(out[1], bwd)
    else:
        close(out, expected)


def test_bidirectional_states_weights_and_config(tf):
    layer = tf.keras.layers.Bidirectional(tf.keras.layers.LSTM(3, return_state=True))
    layer.build((None, 5, 4))
    assert [n for n, _ in names(layer)] == ["kernel", "recurrent_kernel", "bias"] * 2
    wf, wb = weights(4, 3, 4), weights(4, 3, 4)
    wb = [a * 0.5 for a in wb]
    layer.set_weights(wf + wb)
    out, hf, cf, hb, cb = layer(X)
    _, lf, (rhf, rcf) = np_rnn(lstm_step(wf), X, zeros(2, 3))
    _, lb, (rhb, rcb) = np_rnn(lstm_step(wb), X, zeros(2, 3), backwards=True)
    close(out, np.concatenate([lf, lb], -1))
    close(hb, rhb)
    close(cb, rcb)
    config = layer.get_config()
    assert {"merge_mode", "layer", "backward_layer", "name", "trainable"} <= set(config)
    assert config["backward_layer"]["config"]["go_backwards"] is True
    assert layer.forward_layer.name.startswith("forward_")
    assert layer.backward_layer.name.startswith("backward_")


def test_bidirectional_bad_merge_mode(tf):
    with pytest.raises(ValueError, match="merge mode"):
        tf.keras.layers.Bidirectional(tf.keras.layers.LSTM(2), merge_mode="max")


# ---- TimeDistributed ------------------------------------------------------------------------
def test_time_distributed_dense(tf):
    dense = tf.keras.layers.Dense(2)
    layer = tf.keras.layers.TimeDistributed(dense)
    k, b = RNG.normal(size=(4, 2)).astype(np.float32), np.array([0.1, -0.3], np.float32)
    built(layer, (None, 5, 4), [k, b])
    assert names(layer) == [("kernel", (4, 2)), ("bias", (2,))]
    close(layer(X), X @ k + b)
    assert tuple(layer.compute_output_shape((None, 5, 4))) == (None, 5, 2)
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        tf.keras.layers.TimeDistributed(tf.keras.layers.Dense(2)).build((None, 4))


# ---- config ---------------------------------------------------------------------------------
RNN_KEYS = {
    "name", "trainable", "dtype", "return_sequences", "return_state", "go_backwards", "stateful",
    "unroll", "zero_output_for_mask", "units", "activation", "use_bias", "kernel_initializer",
    "recurrent_initializer", "bias_initializer", "kernel_regularizer", "recurrent_regularizer",
    "bias_regularizer", "activity_regularizer", "kernel_constraint", "recurrent_constraint",
    "bias_constraint", "dropout", "recurrent_dropout",
}  # fmt: skip


def test_config_keys(tf):
    layers = tf.keras.layers
    assert set(layers.SimpleRNN(2).get_config()) == RNN_KEYS
    lstm = layers.LSTM(2).get_config()
    assert set(lstm) == RNN_KEYS | {"recurrent_activation", "unit_forget_bias", "seed"}
    assert set(layers.GRU(2).get_config()) == RNN_KEYS | {
        "recurrent_activation",
        "reset_after",
        "seed",
    }
    assert lstm["recurrent_initializer"]["class_name"] == "Orthogonal"
    assert lstm["activation"] == "tanh" and lstm["recurrent_activation"] == "sigmoid"
    cell = layers.LSTMCell(2).get_config()
    assert "return_sequences" not in cell and cell["unit_forget_bias"] is True
    assert set(layers.RNN(layers.GRUCell(2)).get_config()) == {
        "name", "trainable", "dtype", "return_sequences", "return_state", "go_backwards",
        "stateful", "unroll", "zero_output_for_mask", "cell",
    }  # fmt: skip
    back = layers.LSTM.from_config(layers.LSTM(4, return_sequences=True, dropout=0.25).get_config())
    assert back.units == 4 and back.return_sequences and back.dropout == 0.25


def test_invalid_units(tf):
    with pytest.raises(ValueError, match="units"):
        tf.keras.layers.LSTM(0)
    with pytest.raises(ValueError, match="units"):
        tf.keras.layers.GRUCell(-1)


def test_gru_without_bias(tf):
    w = weights(4, 3, 3)[:2]
    layer = built(tf.keras.layers.GRU(3, use_bias=False), (None, 5, 4), w)
    assert names(layer) == [("kernel", (4, 9)), ("recurrent_kernel", (3, 9))]
    step = gru_step([*w, np.zeros((2, 9))], reset_after=True)
    close(layer(X), np_rnn(step, X, zeros(1, 3))[1])


def test_traced_call_matches_eager(tf):
    w = weights(4, 3, 4)
    layer = built(tf.keras.layers.LSTM(3, return_sequences=True), (None, 5, 4), w)
    traced = tf.function(lambda x, m: layer(x, mask=m))
    close(traced(tf.constant(X), tf.constant(MASK)), layer(X, mask=tf.constant(MASK)), 1e-6)


def test_sequential_lstm_fit_lowers_loss(tf):
    keras = tf.keras
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((6, 2)), keras.layers.LSTM(8), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.03), loss="mse")
    r = np.random.default_rng(0)
    x = r.normal(size=(32, 6, 2)).astype(np.float32)
    y = x[:, :, :1].sum(axis=1) * 0.5
    losses = model.fit(x, y, epochs=6, batch_size=8, verbose=0, shuffle=False).history["loss"]
    assert losses[-1] < 0.5 * losses[0]


def test_activity_regularizer_on_every_output(tf):
    layer = built(
        tf.keras.layers.LSTM(3, activity_regularizer="l2", return_state=True),
        (None, 5, 4),
        weights(4, 3, 4),
    )
    outputs = layer(X)
    got = sorted(float(np.asarray(v)) for v in layer.losses)
    want = sorted(0.01 * float(np.sum(np.square(np.asarray(y)))) / 2 for y in outputs)
    close(got, want)


def test_bidirectional_initial_state_split_in_halves(tf):
    w = weights(4, 3, 1)
    layer = tf.keras.layers.Bidirectional(tf.keras.layers.SimpleRNN(3), merge_mode="sum")
    built(layer, (None, 5, 4), w + w)
    h_f, h_b = np.full((2, 3), 0.5, np.float32), np.full((2, 3), -0.5, np.float32)
    out = layer(X, initial_state=[h_f, h_b])
    fwd = np_rnn(simple_step(w), X, [h_f])[1]
    bwd = np_rnn(simple_step(w), X, [h_b], backwards=True)[1]
    close(out, fwd + bwd)
