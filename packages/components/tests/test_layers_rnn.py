"""Recurrent layers against NumPy recurrences: SimpleRNN / LSTM / GRU and their cells, RNN over
stacked cells, masks, go_backwards, stateful, dropout masks, Bidirectional, TimeDistributed;
gradients by central differences, eager == traced, a small training loop, configs, errors."""

import numpy as np
import pytest

import tensorhouse_components as keras
import tensorhouse_ops as tf

L = keras.layers
RNG = np.random.default_rng(3)
X = RNG.normal(size=(2, 4, 3)).astype(np.float32)
MASK = np.array([[1, 1, 0, 0], [1, 0, 1, 1]], dtype=bool)


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def sig(v):
    return 1.0 / (1.0 + np.exp(-v))


def weights(d, u, gates, bias_shape=None, seed=0):
    r = np.random.default_rng(seed)
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
        x_z, x_r, x_h = np.split(x @ k + (b[0] if reset_after else b), 3, axis=-1)
        if reset_after:
            r_z, r_r, r_h = np.split(h @ rk + b[1], 3, axis=-1)
            rec_h = sig(x_r + r_r) * r_h
        else:
            r_z, r_r = np.split(h @ rk[:, : 2 * u], 2, axis=-1)
            rec_h = (sig(x_r + r_r) * h) @ rk[:, 2 * u :]
        z = sig(x_z + r_z)
        return [z * h + (1 - z) * np.tanh(x_h + rec_h)]

    return step


def np_rnn(step, x, states, mask=None, backwards=False, zero_output=False):
    """(outputs in processing order, last output, final states)."""
    states = [np.asarray(s, np.float64) for s in states]
    order = range(x.shape[1] - 1, -1, -1) if backwards else range(x.shape[1])
    prev, outs = None, []
    for t in order:
        new = step(x[:, t].astype(np.float64), states)
        out = new[0]
        if mask is not None:
            m = mask[:, t : t + 1]
            new = [np.where(m, n, s) for n, s in zip(new, states)]
            fill = 0.0 if (zero_output or prev is None) else prev
            out = np.where(m, out, fill)
        states, prev = new, out
        outs.append(out)
    return np.stack(outs, axis=1), outs[-1], states


def zeros(n, u, batch=2):
    return [np.zeros((batch, u)) for _ in range(n)]


def built(layer, shape, w):
    layer.build(shape)
    layer.set_weights(w)
    return layer


CASES = {
    "simple": (lambda **kw: L.SimpleRNN(2, **kw), lambda: weights(3, 2, 1), simple_step, 1),
    "lstm": (lambda **kw: L.LSTM(2, **kw), lambda: weights(3, 2, 4), lstm_step, 2),
    "gru": (
        lambda **kw: L.GRU(2, **kw),
        lambda: weights(3, 2, 3, (2, 6)),
        lambda w: gru_step(w, True),
        1,
    ),
    "gru_reset_before": (
        lambda **kw: L.GRU(2, reset_after=False, **kw),
        lambda: weights(3, 2, 3),
        lambda w: gru_step(w, False),
        1,
    ),
}


@pytest.mark.parametrize("kind", sorted(CASES))
@pytest.mark.parametrize("backwards", [False, True])
def test_layers_match_numpy_sequences_and_states(kind, backwards):
    make, w_fn, step_fn, n_states = CASES[kind]
    w = w_fn()
    layer = built(
        make(return_sequences=True, return_state=True, go_backwards=backwards), (2, 4, 3), w
    )
    out = layer(X)
    seq, _, states = np_rnn(step_fn(w), X, zeros(n_states, 2), backwards=backwards)
    assert len(out) == 1 + n_states
    close(out[0], seq)
    for got, want in zip(out[1:], states):
        close(got, want)


@pytest.mark.parametrize("kind", sorted(CASES))
def test_masked_steps_keep_previous_state_and_output(kind):
    make, w_fn, step_fn, n_states = CASES[kind]
    w = w_fn()
    layer = built(make(return_sequences=True, return_state=True), (2, 4, 3), w)
    out = layer(X, mask=tf.constant(MASK))
    seq, _, states = np_rnn(step_fn(w), X, zeros(n_states, 2), mask=MASK)
    close(out[0], seq)
    close(out[1], states[0])
    last = built(make(), (2, 4, 3), w)
    close(last(X, mask=MASK), np_rnn(step_fn(w), X, zeros(n_states, 2), mask=MASK)[1])


def test_zero_output_for_mask_and_go_backwards_mask():
    w = weights(3, 2, 1)
    layer = built(L.RNN(L.SimpleRNNCell(2), return_sequences=True, zero_output_for_mask=True,
                        go_backwards=True), (2, 4, 3), w)  # fmt: skip
    ref = np_rnn(simple_step(w), X, zeros(1, 2), MASK, backwards=True, zero_output=True)[0]
    close(layer(X, mask=MASK), ref)


def test_cells_one_step_and_initial_state():
    w = weights(3, 2, 4)
    cell = built(L.LSTMCell(2), (2, 3), w)
    h0, c0 = np.full((2, 2), 0.3, np.float32), np.full((2, 2), -0.1, np.float32)
    out, (h, c) = cell(X[:, 0], [h0, c0])
    ref = lstm_step(w)(X[:, 0].astype(np.float64), [h0, c0])
    close(out, ref[0])
    close(c, ref[1])
    layer = built(L.LSTM(2), (2, 4, 3), w)
    close(layer(X, initial_state=[h0, c0]), np_rnn(lstm_step(w), X, [h0, c0])[1])
    gcell = built(L.GRUCell(2, reset_after=False), (2, 3), weights(3, 2, 3))
    out, _ = gcell(X[:, 0], [h0])
    close(out, gru_step(weights(3, 2, 3), False)(X[:, 0].astype(np.float64), [h0])[0])


def test_lstm_weights_unit_forget_bias_and_orthogonal_recurrent_kernel():
    layer = L.LSTM(3)
    layer.build((2, 4, 5))
    assert [tuple(w.shape.as_list()) for w in layer.weights] == [(5, 12), (3, 12), (12,)]
    assert [w.name.split("/")[-1].split(":")[0] for w in layer.weights] == [
        "kernel", "recurrent_kernel", "bias",
    ]  # fmt: skip
    close(layer.get_weights()[2], [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    rk = layer.get_weights()[1]
    close(rk @ rk.T, np.eye(3))
    no_forget = L.LSTM(3, unit_forget_bias=False)
    no_forget.build((2, 4, 5))
    close(no_forget.get_weights()[2], np.zeros(12))


def test_stacked_cells():
    w1, w2 = weights(3, 2, 4, seed=1), weights(2, 3, 1, seed=2)
    layer = built(L.RNN([L.LSTMCell(2), L.SimpleRNNCell(3)], return_state=True), (2, 4, 3),
                  w1 + w2)  # fmt: skip
    out, (h1, c1), (h2,) = layer(X)
    states = zeros(2, 2) + zeros(1, 3)
    for t in range(4):
        a = lstm_step(w1)(X[:, t].astype(np.float64), states[:2])
        b = simple_step(w2)(a[0], states[2:])
        states = [*a, *b]
    close(out, states[2])
    close(h1, states[0])
    close(c1, states[1])
    close(h2, states[2])


def test_stateful_two_calls_equal_one_long_call_and_reset():
    w = weights(3, 2, 4)
    layer = built(L.LSTM(2, stateful=True), (2, 4, 3), w)
    assert len(layer.weights) == 3  # the state variables are not weights
    layer(X[:, :2])
    close(layer(X[:, 2:]), np_rnn(lstm_step(w), X, zeros(2, 2))[1])
    layer.reset_states()
    close(layer(X[:, 2:]), np_rnn(lstm_step(w), X[:, 2:], zeros(2, 2))[1])
    with pytest.raises(ValueError, match="batch size must be static"):
        L.LSTM(2, stateful=True).build((None, 4, 3))


def test_stateful_inside_function():
    w = weights(3, 2, 1)
    layer = built(L.SimpleRNN(2, stateful=True), (2, 4, 3), w)
    f = tf.function(lambda x: layer(x))
    f(tf.constant(X[:, :2]))
    close(f(tf.constant(X[:, 2:])), np_rnn(simple_step(w), X, zeros(1, 2))[1])


def test_dropout_masks_drawn_once_per_call():
    # linear cell, no recurrence: every step with the same input sees the same input mask
    cell = L.SimpleRNNCell(4, activation=None, use_bias=False, dropout=0.5, seed=1)
    layer = L.RNN(cell, return_sequences=True)
    layer.build((3, 5, 4))
    layer.set_weights([np.eye(4, dtype=np.float32), np.zeros((4, 4), np.float32)])
    x = np.ones((3, 5, 4), np.float32)
    y = layer(x, training=True).numpy()
    for t in range(1, 5):
        close(y[:, t], y[:, 0])
    assert set(np.unique(y)) <= {0.0, 2.0} and 0.0 in y and 2.0 in y
    close(layer(x, training=False), x)


@pytest.mark.parametrize("mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_merge_modes(mode):
    wf, wb = weights(3, 2, 1, seed=4), weights(3, 2, 1, seed=5)
    layer = built(L.Bidirectional(L.SimpleRNN(2, return_sequences=True), merge_mode=mode),
                  (2, 4, 3), wf + wb)  # fmt: skip
    fwd = np_rnn(simple_step(wf), X, zeros(1, 2))[0]
    bwd = np_rnn(simple_step(wb), X, zeros(1, 2), backwards=True)[0][:, ::-1]
    out = layer(X)
    if mode is None:
        close(out[0], fwd)
        close(out[1], bwd)
        return
    expected = {"concat": np.concatenate([fwd, bwd], -1), "sum": fwd + bwd, "mul": fwd * bwd,
                "ave": (fwd + bwd) / 2}[mode]  # fmt: skip
    close(out, expected)


def test_bidirectional_backward_layer_states_and_errors():
    fw, bw = L.GRU(2, return_state=True), L.GRU(2, return_state=True, go_backwards=True)
    layer = L.Bidirectional(fw, backward_layer=bw, merge_mode="sum")
    wf, wb = weights(3, 2, 3, (2, 6), seed=6), weights(3, 2, 3, (2, 6), seed=7)
    built(layer, (2, 4, 3), wf + wb)
    out, hf, hb = layer(X)
    _, lf, (rf,) = np_rnn(gru_step(wf), X, zeros(1, 2))
    _, lb, (rb,) = np_rnn(gru_step(wb), X, zeros(1, 2), backwards=True)
    close(out, lf + lb)
    close(hf, rf)
    close(hb, rb)
    with pytest.raises(ValueError, match="go_backwards"):
        L.Bidirectional(L.GRU(2), backward_layer=L.GRU(2))
    with pytest.raises(ValueError, match="return_sequences"):
        L.Bidirectional(L.GRU(2), backward_layer=L.GRU(2, go_backwards=True,
                                                       return_sequences=True))  # fmt: skip
    with pytest.raises(ValueError, match="Merge mode"):
        L.Bidirectional(L.GRU(2), merge_mode="max")


def test_time_distributed_dense():
    k, b = RNG.normal(size=(3, 5)).astype(np.float32), np.linspace(-1, 1, 5).astype(np.float32)
    layer = built(L.TimeDistributed(L.Dense(5)), (2, 4, 3), [k, b])
    close(layer(X), X @ k + b)
    close(tf.function(lambda x: layer(x))(tf.constant(X)), X @ k + b)
    assert layer.compute_output_shape((None, 4, 3)) == (None, 4, 5)
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        L.TimeDistributed(L.Dense(2)).build((2, 3))
    with pytest.raises(ValueError, match="Layer"):
        L.TimeDistributed("dense")


@pytest.mark.parametrize("kind", sorted(CASES))
def test_eager_equals_traced(kind):
    make, w_fn, _, _ = CASES[kind]
    layer = built(make(return_sequences=True, go_backwards=True), (2, 4, 3), w_fn())
    f = tf.function(lambda x, m: layer(x, mask=m))
    close(f(tf.constant(X), tf.constant(MASK)), layer(X, mask=MASK), 1e-6)


def _finite_difference_check(layer, w):
    x = tf.constant(X.astype(np.float64))
    layer.build((2, 4, 3))
    layer.set_weights([a.astype(np.float64) for a in w])

    def loss():
        return tf.reduce_sum(layer(x) * tf.constant(np.linspace(-1, 1, 16).reshape(2, 4, 2)))

    with tf.GradientTape() as tape:
        value = loss()
    grads = tape.gradient(value, layer.trainable_weights)
    traced = tf.function(lambda: tape_grads(layer, loss))()
    eps = 1e-6
    for var, g, tg in zip(layer.trainable_weights, grads, traced):
        base = var.numpy().copy()
        num = np.zeros_like(base)
        for idx in np.ndindex(base.shape):
            for sign in (1, -1):
                shifted = base.copy()
                shifted[idx] += sign * eps
                var.assign(shifted)
                num[idx] += sign * loss().numpy() / (2 * eps)
        var.assign(base)
        close(g, num, 1e-6)
        close(tg, num, 1e-6)


def tape_grads(layer, loss):
    with tf.GradientTape() as tape:
        value = loss()
    return tape.gradient(value, layer.trainable_weights)


def test_lstm_gradients_match_central_differences():
    _finite_difference_check(L.LSTM(2, dtype="float64", return_sequences=True), weights(3, 2, 4))


def test_gru_gradients_match_central_differences():
    layer = L.GRU(2, dtype="float64", return_sequences=True)
    _finite_difference_check(layer, weights(3, 2, 3, (2, 6)))


def test_training_loop_inside_function_lowers_loss():
    keras.utils.set_random_seed(0)
    lstm, dense = L.LSTM(8), L.Dense(1)
    r = np.random.default_rng(0)
    x = r.normal(size=(16, 6, 2)).astype(np.float32)
    y = x[:, :, :1].sum(axis=1) * 0.5
    opt = keras.optimizers.Adam(learning_rate=0.03)
    dense(lstm(x))  # build
    params = lstm.trainable_weights + dense.trainable_weights

    @tf.function
    def train_step(xb, yb):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(dense(lstm(xb, training=True)) - yb))
        opt.apply_gradients(zip(tape.gradient(loss, params), params))
        return loss

    losses = [float(train_step(tf.constant(x), tf.constant(y)).numpy()) for _ in range(40)]
    assert losses[-1] < 0.3 * losses[0]


def test_config_round_trip():
    for layer in [
        L.LSTM(3, return_sequences=True, dropout=0.2, recurrent_dropout=0.1, seed=4),
        L.GRU(2, reset_after=False, go_backwards=True),
        L.SimpleRNN(4, activation="relu", stateful=True),
        L.RNN([L.LSTMCell(2), L.GRUCell(3)], return_state=True),
        L.Bidirectional(L.LSTM(2, return_sequences=True), merge_mode="ave"),
        L.TimeDistributed(L.Dense(3)),
    ]:
        config = layer.get_config()
        again = type(layer).from_config(config)
        assert again.get_config() == config
        restored = L.deserialize(L.serialize(layer))
        assert type(restored) is type(layer)
    config = L.LSTM(3).get_config()
    assert config["recurrent_initializer"]["class_name"] == "Orthogonal"
    assert "seed" not in L.SimpleRNN(2).get_config()


def test_errors():
    with pytest.raises(ValueError, match="units"):
        L.LSTM(0)
    with pytest.raises(ValueError, match="ndim"):
        L.GRU(2)(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="`call` method"):
        L.RNN(object())
    with pytest.raises(TypeError, match="recurrent_activation"):
        L.SimpleRNN(2, recurrent_activation="sigmoid")
    layer = L.LSTM(2, unroll=True)
    layer.build((None, None, 3))
    f = tf.function(lambda x: layer(x), input_signature=[tf.TensorSpec([2, None, 3])])
    with pytest.raises(ValueError, match="Cannot unroll a RNN if the time dimension"):
        f.get_concrete_function()


def test_recurrent_dropout_only_while_training():
    w = weights(3, 2, 4)
    layer = built(L.LSTM(2, dropout=0.3, recurrent_dropout=0.4, seed=2), (2, 4, 3), w)
    ref = np_rnn(lstm_step(w), X, zeros(2, 2))[1]
    close(layer(X), ref)
    close(layer(X, training=False), ref)
    dropped = layer(X, training=True).numpy()
    assert np.all(np.isfinite(dropped)) and not np.allclose(dropped, ref)
    traced = tf.function(lambda x: layer(x, training=True))
    assert traced(tf.constant(X)).shape == (2, 2)


def test_stateful_batch_mismatch():
    layer = L.SimpleRNN(2, stateful=True)
    layer(X)
    with pytest.raises(ValueError, match="batch size"):
        layer(np.zeros((3, 4, 3), np.float32))


def test_unknown_steps_loop_reuses_the_dropout_masks_of_the_call():
    """Traced with an unknown number of steps, the masks drawn at the first step (before the
    while_loop) serve every step: input dropout with x_t = 1, kernel I and no recurrence gives
    the same mask at each step; recurrent dropout with h_t = 1 + m * h_{t-1} the same m."""
    spec = [tf.TensorSpec([None, None, 3])]
    ones = np.ones((4, 5, 3), np.float32)
    eye, zero = np.eye(3, dtype=np.float32), np.zeros((3, 3), np.float32)

    def linear_rnn(w, **kwargs):
        layer = L.SimpleRNN(3, activation="linear", seed=1, return_sequences=True, **kwargs)
        return built(layer, (None, None, 3), w)

    layer = linear_rnn([eye, zero, zero[0]], dropout=0.5)
    seq = tf.function(lambda x: layer(x, training=True), input_signature=spec)(ones).numpy()
    assert set(np.unique(seq)) == {0.0, 2.0}
    close(seq, np.repeat(seq[:, :1], 5, axis=1))
    layer = linear_rnn([zero, eye, zero[0] + 1.0], recurrent_dropout=0.5)
    seq = tf.function(lambda x: layer(x, training=True), input_signature=spec)(ones).numpy()
    m = seq[:, 1] - 1.0
    assert set(np.unique(m)) == {0.0, 2.0}
    for t in range(1, 5):
        close(seq[:, t], 1.0 + m * seq[:, t - 1])


def test_unknown_steps_dropout_trains_lstm_and_gru_in_the_loop():
    spec = [tf.TensorSpec([None, None, 3])]
    for layer in (L.LSTM(2, dropout=0.3, recurrent_dropout=0.4, seed=2), L.GRU(2, dropout=0.2)):
        layer.build((None, None, 3))
        run = tf.function(lambda x, layer=layer: layer(x, training=True), input_signature=spec)
        dropped = run(X).numpy()
        assert np.all(np.isfinite(dropped)) and not np.allclose(dropped, layer(X))
        close(tf.function(layer, input_signature=spec)(X), layer(X))  # not training: no dropout


def test_time_distributed_unknown_steps_runs_every_step():
    layer = L.TimeDistributed(L.Dense(2))
    layer.build((None, None, 3))
    kernel, bias = (np.asarray(w) for w in layer.get_weights())
    run = tf.function(layer, input_signature=[tf.TensorSpec([None, None, 3])])
    for x in (X, X[:1], X[:, :1]):  # 2 x 4, 1 x 4, 2 x 1
        close(run(x), x @ kernel + bias)


def test_traced_loop_is_one_while_node_with_static_shapes_kept():
    layer = built(L.SimpleRNN(2, return_sequences=True, return_state=True), (None, 4, 3),
                  weights(3, 2, 1))  # fmt: skip
    for dims, want in (([None, 50, 3], (None, 50, 2)), ([2, None, 3], (2, None, 2))):
        cf = tf.function(layer, input_signature=[tf.TensorSpec(dims)]).get_concrete_function()
        seq, h = cf.structured_outputs
        assert tuple(seq.shape.as_list()) == want and h.shape.as_list() == [want[0], 2]
        types = [op.type for op in cf.graph.get_operations()]
        assert types.count("StatelessWhile") == 1 and types.count("MatMul") == 2
    unrolled = L.SimpleRNN(2, unroll=True)
    unrolled.build((None, 4, 3))
    cf = tf.function(unrolled, input_signature=[tf.TensorSpec([None, 4, 3])])
    types = [op.type for op in cf.get_concrete_function().graph.get_operations()]
    assert "StatelessWhile" not in types and types.count("MatMul") == 8
