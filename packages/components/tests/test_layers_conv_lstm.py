"""ConvLSTM1D / 2D / 3D against a float64 NumPy recurrence (an N-D convolution written with
NumPy): padding, strides, dilation, both data formats, masks, go_backwards, initial and
stateful states, dropout; gradients by central differences, eager == traced (unknown time
steps in one while_loop), shapes, configs and errors."""

import numpy as np
import pytest

import tensorhouse_components as keras
import tensorhouse_ops as tf
from tensorhouse_components.testing import run_layer_test

L = keras.layers
LAYERS = {1: L.ConvLSTM1D, 2: L.ConvLSTM2D, 3: L.ConvLSTM3D}
SPATIAL = {1: (7,), 2: (5, 4), 3: (4, 3, 4)}
MASK = np.array([[1, 1, 0, 1], [0, 1, 1, 1]], dtype=bool)


def close(a, b, tol=1e-6):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def sig(v):
    return 1.0 / (1.0 + np.exp(-v))


def np_conv(x, k, strides, padding, dilation):
    """Channels-last N-D convolution of ``x`` (batch, *spatial, c) with ``k`` (*window, c, f),
    "same" padding split as TF splits it (the extra one after)."""
    rank = k.ndim - 2
    spans = [(n - 1) * d + 1 for n, d in zip(k.shape[:rank], dilation)]
    if padding == "same":
        pads = []
        for n, span, s in zip(x.shape[1:-1], spans, strides):
            total = max((-(-n // s) - 1) * s + span - n, 0)
            pads.append((total // 2, total - total // 2))
        x = np.pad(x, [(0, 0), *pads, (0, 0)])
    out = [(n - span) // s + 1 for n, span, s in zip(x.shape[1:-1], spans, strides)]
    y = np.zeros((x.shape[0], *out, k.shape[-1]))
    for tap in np.ndindex(*k.shape[:rank]):
        window = tuple(slice(i * d, i * d + (o - 1) * s + 1, s)
                       for i, d, o, s in zip(tap, dilation, out, strides))  # fmt: skip
        y += x[(slice(None), *window)] @ k[tap]
    return y


def np_conv_lstm(w, x, rank, strides=None, padding="valid", dilation=None, mask=None,
                 backwards=False, states=None, first=False):  # fmt: skip
    """(outputs in processing order, final [h, c]) of Keras's ConvLSTM, float64."""
    k, rk, b = (a.astype(np.float64) for a in w)
    strides, dilation, ones = strides or (1,) * rank, dilation or (1,) * rank, (1,) * rank
    x = x.astype(np.float64)
    if first:  # channels first -> last, and back at the end
        x = np.moveaxis(x, 2, -1)
        states = None if states is None else [np.moveaxis(s, 1, -1) for s in states]
    if states is None:
        shape = np_conv(x[:, 0], k, strides, padding, dilation).shape[:-1] + (rk.shape[-2],)
        states = [np.zeros(shape), np.zeros(shape)]
    prev, outs = np.zeros_like(states[0]), []
    for t in range(x.shape[1] - 1, -1, -1) if backwards else range(x.shape[1]):
        z = (
            np_conv(x[:, t], k, strides, padding, dilation)
            + np_conv(states[0], rk, ones, "same", ones)
            + b
        )
        i, f, g, o = np.split(z, 4, axis=-1)
        c = sig(f) * states[1] + sig(i) * np.tanh(g)
        new = [sig(o) * np.tanh(c), c]
        if mask is not None:
            m = mask[:, t].reshape(-1, *(1,) * (rank + 1))
            new = [np.where(m, n, s) for n, s in zip(new, states)]
            new_out = np.where(m, new[0], prev)
        else:
            new_out = new[0]
        states, prev = new, new_out
        outs.append(prev)
    outs = np.stack(outs, axis=1)
    if first:
        outs, states = np.moveaxis(outs, -1, 2), [np.moveaxis(s, -1, 1) for s in states]
    return outs, states


def weights(rank, channels, filters, window=2, seed=0):
    r = np.random.default_rng(seed)
    kw = (window,) * rank
    return [r.normal(size=(*kw, channels, 4 * filters)) * 0.4,
            r.normal(size=(*kw, filters, 4 * filters)) * 0.4,
            r.normal(size=(4 * filters,)) * 0.3]  # fmt: skip


def inputs(rank, batch=2, steps=4, channels=2, first=False, seed=1):
    shape = (
        (batch, steps, channels, *SPATIAL[rank])
        if first
        else (batch, steps, *SPATIAL[rank], channels)
    )
    return np.random.default_rng(seed).normal(size=shape)


def built(layer, x, w, dtype=np.float64):
    layer.build(x.shape)
    layer.set_weights([a.astype(dtype) for a in w])
    return layer


OPTIONS = [
    {},
    {"padding": "same"},
    {"padding": "same", "strides": 2},
    {"dilation_rate": 2, "padding": "same"},
    {"data_format": "channels_first", "padding": "same"},
    {"go_backwards": True, "strides": 2},
]


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("opts", OPTIONS, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
def test_matches_numpy_reference_float64(rank, opts):
    first = opts.get("data_format") == "channels_first"
    x, w = inputs(rank, first=first), weights(rank, 2, 3)
    layer = LAYERS[rank](3, 2, dtype="float64", return_sequences=True, return_state=True, **opts)
    seq, h, c = built(layer, x, w)(x)
    s, d = opts.get("strides"), opts.get("dilation_rate")
    ref, (rh, rc) = np_conv_lstm(w, x, rank, s and (s,) * rank, opts.get("padding", "valid"),
                                 d and (d,) * rank, backwards=opts.get("go_backwards", False),
                                 first=first)  # fmt: skip
    close(seq, ref, 1e-10)
    close(h, rh, 1e-10)
    close(c, rc, 1e-10)
    assert layer.compute_output_shape(x.shape) == (seq.shape, h.shape, c.shape)


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_mask_initial_state_and_eager_equals_traced_unknown_steps(rank):
    x, w = inputs(rank).astype(np.float32), weights(rank, 2, 3)
    layer = LAYERS[rank](3, 2, padding="same", return_sequences=True, return_state=True)
    built(layer, x, w, np.float32)
    h0 = np.random.default_rng(2).normal(size=(2, *SPATIAL[rank], 3)).astype(np.float32)
    seq, h, c = layer(x, mask=MASK, initial_state=[h0, h0 * 0.5])
    ref, (rh, rc) = np_conv_lstm(w, x, rank, padding="same", mask=MASK, states=[h0, h0 * 0.5])
    close(seq, ref, 1e-5)
    close(h, rh, 1e-5)
    close(c, rc, 1e-5)
    spec = [tf.TensorSpec([None, None, *x.shape[2:]]), tf.TensorSpec([None, None], tf.bool)]
    run = tf.function(lambda x, m: layer(x, mask=m, initial_state=[h0, h0 * 0.5]),
                      input_signature=spec)  # fmt: skip
    for got, want in zip(run(x, MASK), (seq, h, c)):
        close(got, want, 1e-6)
    graph = run.get_concrete_function().graph
    assert [op.type for op in graph.get_operations()].count("StatelessWhile") == 1

    def grads(x, m):  # of a weighted sum of every output: through the loop, masked steps too
        with tf.GradientTape() as tape:
            outs = layer(x, mask=m, initial_state=[h0, h0 * 0.5])
            loss = sum(tf.reduce_sum(tf.sin(3.0 * o + 1.0)) for o in outs)
        return tape.gradient(loss, layer.trainable_weights)

    for got, want in zip(tf.function(grads, input_signature=spec)(x, MASK), grads(x, MASK)):
        close(got, want, 1e-5)


def test_stateful_two_calls_equal_one_long_call_and_reset():
    x, w = inputs(2), weights(2, 2, 3)
    layer = built(L.ConvLSTM2D(3, 2, padding="same", stateful=True, dtype="float64"), x, w)
    assert len(layer.weights) == 3
    layer(x[:, :2])
    _, (rh, _) = np_conv_lstm(w, x, 2, padding="same")
    close(layer(x[:, 2:]), rh, 1e-10)
    layer.reset_states()
    _, (rh, _) = np_conv_lstm(w, x[:, 2:], 2, padding="same")
    close(layer(x[:, 2:]), rh, 1e-10)


def test_weights_unit_forget_bias_and_defaults():
    layer = L.ConvLSTM2D(3, (2, 3))
    layer.build((None, 4, 5, 5, 2))
    assert [(w.path, tuple(w.shape)) for w in layer.weights] == [
        (f"{layer.name}/conv_lstm_cell/kernel", (2, 3, 2, 12)),
        (f"{layer.name}/conv_lstm_cell/recurrent_kernel", (2, 3, 3, 12)),
        (f"{layer.name}/conv_lstm_cell/bias", (12,)),
    ]
    close(layer.get_weights()[2], [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0], 0)
    no_forget = L.ConvLSTM1D(2, 3, unit_forget_bias=False, bias_initializer="ones")
    no_forget.build((None, 4, 6, 1))
    close(no_forget.get_weights()[2], np.ones(8), 0)
    assert (layer.padding, layer.strides, layer.data_format) == ("valid", (1, 1), "channels_last")


def test_dropout_only_while_training_one_mask_per_gate_fixed_within_a_call():
    x, w = inputs(1).astype(np.float32), weights(1, 2, 3)
    layer = built(L.ConvLSTM1D(3, 2, dropout=0.5, recurrent_dropout=0.3, seed=3), x, w,
                  np.float32)  # fmt: skip
    ref, _ = np_conv_lstm(w, x, 1)
    close(layer(x, training=False), ref[:, -1], 1e-5)
    dropped = layer(x, training=True).numpy()
    assert np.all(np.isfinite(dropped)) and not np.allclose(dropped, ref[:, -1], atol=1e-3)
    # linear gates, 1x1 kernel of ones, no recurrence, x = 1: i, f, g, o are each gate's input
    # mask (0 or 2), so h_0 = o * i * g is 8 for 1/8 of the units (independent masks), and
    # with the masks kept for the whole call each unit stays 0 or runs 8, 8 (f = 0) or 8, 24
    lin = L.ConvLSTM1D(1, 1, activation="linear", recurrent_activation="linear",
                       use_bias=False, dropout=0.5, seed=1, return_sequences=True)  # fmt: skip
    ones = np.ones((3, 5, 200, 1), np.float32)
    built(lin, ones, [np.ones((1, 1, 4)), np.zeros((1, 1, 4))], np.float32)
    spec = [tf.TensorSpec([None, None, 200, 1])]
    traced = tf.function(lambda x: lin(x, training=True), input_signature=spec)
    for y in (lin(ones, training=True).numpy(), traced(ones).numpy()):
        assert set(np.unique(y[:, 0])) == {0.0, 8.0}
        assert 0.05 < np.mean(y[:, 0] > 0) < 0.25
        assert np.array_equal(y == 0, np.broadcast_to(y[:, :1] == 0, y.shape))
        assert set(np.unique(y[:, 1])) == {0.0, 8.0, 24.0}


GRADIENT_CASES = [  # rank, options, output shape of a (2, 3, *SPATIAL, 2) input
    (1, {}, (2, 6, 2)),
    (1, {"strides": 2, "padding": "same", "go_backwards": True}, (2, 4, 2)),
    (2, {"data_format": "channels_first", "return_sequences": True}, (2, 3, 2, 4, 3)),
    (3, {"dilation_rate": (1, 2, 1), "padding": "same"}, (2, 4, 3, 4, 2)),
]


@pytest.mark.parametrize(("rank", "opts", "out"), GRADIENT_CASES)
def test_run_layer_test_with_gradients(rank, opts, out):
    spatial = SPATIAL[rank]
    first = opts.get("data_format") == "channels_first"
    shape = (2, 3, 2, *spatial) if first else (2, 3, *spatial, 2)
    run_layer_test(LAYERS[rank], {"filters": 2, "kernel_size": 2, **opts}, input_shape=shape,
                   expected_output_shape=out, expected_num_trainable_weights=3,
                   check_gradients=True)  # fmt: skip


def test_config_round_trip_and_serialization():
    layer = L.ConvLSTM3D(2, (1, 2, 2), strides=(1, 2, 1), padding="SAME", dropout=0.1,
                         go_backwards=True, kernel_regularizer="l2", name="cl")  # fmt: skip
    config = layer.get_config()
    assert config["kernel_size"] == (1, 2, 2) and config["padding"] == "same"
    assert config["seed"] is None and config["unit_forget_bias"] is True
    assert "units" not in config and "cell" not in config
    again = L.ConvLSTM3D.from_config(config)
    assert again.get_config() == config
    assert type(L.deserialize(L.serialize(layer))) is L.ConvLSTM3D
    assert L.get("ConvLSTM1D") is L.ConvLSTM1D


def test_errors():
    with pytest.raises(ValueError, match="expected ndim=5, found ndim=4"):
        L.ConvLSTM2D(3, 2).build((1, 2, 4, 4))
    with pytest.raises(ValueError, match="static input shapes for the spatial"):
        L.ConvLSTM2D(3, 2).build((None, 2, None, 4, 1))
    with pytest.raises(ValueError, match="channel dimension"):
        L.ConvLSTM2D(3, 2).build((None, 2, 4, 4, None))
    with pytest.raises(ValueError, match="not compatible with `dilation_rate > 1`"):
        L.ConvLSTM2D(3, 2, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="`padding` argument"):
        L.ConvLSTM1D(3, 2, padding="causal")
    with pytest.raises(ValueError, match="tuple of 2 integers"):
        L.ConvLSTM2D(3, (2, 2, 2))
    with pytest.raises(ValueError, match=r"output size would be zero or negative.*\(9, 9, 1, 3\)"):
        L.ConvLSTM2D(3, 9)(np.zeros((1, 2, 4, 4, 1), np.float32))
    with pytest.raises(ValueError, match="`strides` argument must be a tuple of 2 integers"):
        L.ConvLSTM2D(3, 2, strides=0)  # (Keras: an OverflowError at the first call)
    with pytest.raises(ValueError, match="Expected a strictly positive value. Received filters=0"):
        L.ConvLSTM2D(0, 2)
    with pytest.raises(ValueError, match="batch size must be static"):
        L.ConvLSTM1D(2, 2, stateful=True).build((None, 4, 6, 1))
