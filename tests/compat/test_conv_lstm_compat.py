"""tf.keras.layers.ConvLSTM1D / 2D / 3D (Keras 3): fixed weights via set_weights, outputs against
a NumPy recurrence (an N-D convolution written with NumPy) that real Keras matches within
float32 tolerance: padding, strides, dilation, both data formats, masks, initial states,
go_backwards, stateful, traced with unknown time steps; weight names, shapes and order, the
forget-gate bias, config keys, output shapes, errors; ``.keras`` files crossing both ways."""

import importlib.util
import inspect
import os

import numpy as np
import pytest

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "conv_lstm_keras315.npz")
SPATIAL = {1: (7,), 2: (5, 4), 3: (4, 3, 4)}
MASK = np.array([[1, 1, 0, 1], [0, 1, 1, 1]], dtype=bool)
BOTH = importlib.util.find_spec("keras") is not None and (
    importlib.util.find_spec("tensorhouse_models") is not None
)


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def sig(v):
    return 1.0 / (1.0 + np.exp(-v))


def np_conv(x, k, strides, padding, dilation):
    """Channels-last N-D convolution of ``x`` (batch, *spatial, c) with ``k`` (*window, c, f);
    "same" pads as TF does (the odd one after)."""
    rank = k.ndim - 2
    spans = [(n - 1) * d + 1 for n, d in zip(k.shape[:rank], dilation)]
    if padding == "same":
        totals = [max((-(-n // s) - 1) * s + span - n, 0)
                  for n, span, s in zip(x.shape[1:-1], spans, strides)]  # fmt: skip
        x = np.pad(x, [(0, 0), *[(t // 2, t - t // 2) for t in totals], (0, 0)])
    out = [(n - span) // s + 1 for n, span, s in zip(x.shape[1:-1], spans, strides)]
    y = np.zeros((x.shape[0], *out, k.shape[-1]))
    for tap in np.ndindex(*k.shape[:rank]):
        window = tuple(slice(i * d, i * d + (o - 1) * s + 1, s)
                       for i, d, o, s in zip(tap, dilation, out, strides))  # fmt: skip
        y += x[(slice(None), *window)] @ k[tap]
    return y


def np_conv_lstm(w, x, strides=1, padding="valid", dilation=1, mask=None, backwards=False,
                 states=None, first=False):  # fmt: skip
    """(outputs in processing order, [h, c]) of a ConvLSTM with default activations."""
    k, rk, b = (a.astype(np.float64) for a in w)
    rank = k.ndim - 2
    strides, dilation, ones = (strides,) * rank, (dilation,) * rank, (1,) * rank
    x = np.moveaxis(x, 2, -1) if first else x.astype(np.float64)
    if states is None:
        shape = np_conv(x[:, 0], k, strides, padding, dilation).shape[:-1] + (rk.shape[-2],)
        states = [np.zeros(shape), np.zeros(shape)]
    prev, outs = np.zeros_like(states[0]), []
    for t in range(x.shape[1] - 1, -1, -1) if backwards else range(x.shape[1]):
        z = np_conv(x[:, t], k, strides, padding, dilation) + b
        i, f, g, o = np.split(z + np_conv(states[0], rk, ones, "same", ones), 4, axis=-1)
        c = sig(f) * states[1] + sig(i) * np.tanh(g)
        new = [sig(o) * np.tanh(c), c]
        keep = True if mask is None else mask[:, t].reshape(-1, *(1,) * (rank + 1))
        states, prev = (
            [np.where(keep, n, s) for n, s in zip(new, states)],
            np.where(keep, new[0], prev),
        )
        outs.append(prev)
    outs = np.stack(outs, axis=1)
    if first:
        return np.moveaxis(outs, -1, 2), [np.moveaxis(s, -1, 1) for s in states]
    return outs, states


def weights(rank, channels=2, filters=3, window=2, seed=0):
    r = np.random.default_rng(seed)
    kw = (window,) * rank
    w = [
        r.normal(size=(*kw, channels, 4 * filters)) * 0.4,
        r.normal(size=(*kw, filters, 4 * filters)) * 0.4,
        r.normal(size=(4 * filters,)) * 0.3,
    ]
    return [a.astype(np.float32) for a in w]  # fmt: skip


def inputs(rank, steps=4, first=False, seed=1):
    shape = (2, steps, 2, *SPATIAL[rank]) if first else (2, steps, *SPATIAL[rank], 2)
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def layer_class(tf, rank):
    return getattr(tf.keras.layers, f"ConvLSTM{rank}D")


CASES = {
    "valid": {},
    "same": {"padding": "same"},
    "same_strided": {"padding": "same", "strides": 2},
    "valid_strided_backwards": {"strides": 2, "go_backwards": True},
    "dilated": {"padding": "same", "dilation_rate": 2},
    "channels_first": {"data_format": "channels_first", "padding": "same"},
}


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("case", sorted(CASES))
def test_outputs_and_states_match_the_recurrence(tf, rank, case):
    opts = CASES[case]
    first = opts.get("data_format") == "channels_first"
    x, w = inputs(rank, first=first), weights(rank)
    layer = layer_class(tf, rank)(3, 2, return_sequences=True, return_state=True, **opts)
    layer.build(x.shape)
    layer.set_weights(w)
    seq, h, c = layer(x)
    ref, (rh, rc) = np_conv_lstm(
        w, x, opts.get("strides", 1), opts.get("padding", "valid"), opts.get("dilation_rate", 1),
        backwards=opts.get("go_backwards", False), first=first,
    )  # fmt: skip
    close(seq, ref)
    close(h, rh)
    close(c, rc)
    shapes = layer.compute_output_shape((None, None, *x.shape[2:]))
    assert [tuple(s) for s in shapes] == [(None, None, *ref.shape[2:]), (None, *rh.shape[1:]),
                                          (None, *rc.shape[1:])]  # fmt: skip


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_mask_and_initial_state(tf, rank):
    x, w = inputs(rank), weights(rank)
    layer = layer_class(tf, rank)(3, 2, padding="same", return_sequences=True, return_state=True)
    layer.build(x.shape)
    layer.set_weights(w)
    h0 = np.random.default_rng(2).normal(size=(2, *SPATIAL[rank], 3)).astype(np.float32)
    seq, h, c = layer(x, mask=MASK, initial_state=[h0, h0 * 0.5])
    ref, (rh, rc) = np_conv_lstm(w, x, padding="same", mask=MASK, states=[h0, h0 * 0.5])
    close(seq, ref)
    close(h, rh)
    close(c, rc)


def test_traced_with_unknown_steps_equals_eager(tf):
    x, w = inputs(2, steps=5), weights(2)
    layer = tf.keras.layers.ConvLSTM2D(3, 2, padding="same", return_sequences=True)
    layer.build((None, None, *x.shape[2:]))
    layer.set_weights(w)
    spec = [tf.TensorSpec([None, None, *x.shape[2:]]), tf.TensorSpec([None, None], tf.bool)]
    run = tf.function(lambda x, m: layer(x, mask=m), input_signature=spec)
    mask = np.ones((2, 5), bool)
    mask[0, 3:] = False
    ref, _ = np_conv_lstm(w, x, padding="same", mask=mask)
    close(run(x, mask), ref)
    close(run(x[:1, :2], mask[:1, :2]), ref[:1, :2])
    close(layer(x, mask=mask), ref)


def test_stateful_carries_states_between_calls(tf):
    x, w = inputs(1), weights(1)
    layer = tf.keras.layers.ConvLSTM1D(3, 2, stateful=True)
    layer.build(x.shape)
    layer.set_weights(w)
    layer(x[:, :2])
    close(layer(x[:, 2:]), np_conv_lstm(w, x)[1][0])
    layer.reset_states()
    close(layer(x[:, 2:]), np_conv_lstm(w, x[:, 2:])[1][0])


def test_weights_forget_bias_and_config(tf):
    layer = tf.keras.layers.ConvLSTM2D(3, (2, 3), name="clstm")
    layer.build((None, 4, 5, 5, 2))
    assert [(w.path, tuple(w.shape)) for w in layer.weights] == [
        ("clstm/conv_lstm_cell/kernel", (2, 3, 2, 12)),
        ("clstm/conv_lstm_cell/recurrent_kernel", (2, 3, 3, 12)),
        ("clstm/conv_lstm_cell/bias", (12,)),
    ]
    close(layer.get_weights()[2], [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0], 0)
    config = layer.get_config()
    assert sorted(config) == sorted([
        "name", "trainable", "dtype", "return_sequences", "return_state", "go_backwards",
        "stateful", "unroll", "zero_output_for_mask", "filters", "kernel_size", "strides",
        "padding", "data_format", "dilation_rate", "activation", "recurrent_activation",
        "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer",
        "unit_forget_bias", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
        "activity_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint",
        "dropout", "recurrent_dropout", "seed",
    ])  # fmt: skip
    assert (config["kernel_size"], config["strides"], config["padding"]) == ((2, 3), (1, 1),
                                                                              "valid")  # fmt: skip
    params = list(inspect.signature(tf.keras.layers.ConvLSTM1D).parameters)
    assert params == [
        "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
        "activation", "recurrent_activation", "use_bias", "kernel_initializer",
        "recurrent_initializer", "bias_initializer", "unit_forget_bias", "kernel_regularizer",
        "recurrent_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
        "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "seed",
        "return_sequences", "return_state", "go_backwards", "stateful", "kwargs",
    ]  # fmt: skip
    assert tf.keras.layers.ConvLSTM2D(3, 2, 2, "same").strides == (2, 2)  # positionally
    again = tf.keras.layers.ConvLSTM2D.from_config(config)
    assert again.get_config() == config
    assert tf.keras.layers.ConvLSTM3D(2, 1, dropout=1.5).dropout == 1.0
    assert tf.keras.layers.ConvLSTM1D(2, 3).name.startswith("conv_lstm1d")


def test_regularizers_and_constraints(tf):
    x, w = inputs(1), weights(1)
    R = tf.keras.regularizers
    layer = tf.keras.layers.ConvLSTM1D(
        3, 2, kernel_regularizer=R.L2(0.1), bias_regularizer=R.L1(0.2), kernel_constraint="non_neg"
    )
    layer.build(x.shape)
    layer.set_weights(w)
    layer(x)
    want = 0.1 * np.sum(w[0].astype(np.float64) ** 2) + 0.2 * np.sum(np.abs(w[2]))
    close(sum(float(np.asarray(v)) for v in layer.losses), want, 1e-4)
    kernel = layer.trainable_weights[0]
    kernel.assign(kernel.constraint(kernel))
    close(layer.get_weights()[0], np.maximum(w[0], 0.0), 0)


def test_errors(tf):
    L = tf.keras.layers
    with pytest.raises(ValueError, match="expected ndim=5, found ndim=4"):
        L.ConvLSTM2D(3, 2)(np.zeros((1, 2, 4, 4), np.float32))
    with pytest.raises(ValueError, match="only support static input shapes for the spatial"):
        L.ConvLSTM2D(3, 2).build((None, 2, None, 4, 1))
    with pytest.raises(ValueError, match="channel dimension of the inputs"):
        L.ConvLSTM2D(3, 2).build((None, 2, 4, 4, None))
    with pytest.raises(ValueError, match="Specifying `strides > 1` is not compatible"):
        L.ConvLSTM2D(3, 2, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match=r"list/tuple or one of \{.*\}\. Received: causal"):
        L.ConvLSTM1D(3, 2, padding="causal")
    with pytest.raises(ValueError, match="`kernel_size` argument must be a tuple of 2 integers"):
        L.ConvLSTM2D(3, (2, 2, 2))
    with pytest.raises(ValueError, match=r"output size would be zero or negative.*\(9, 9, 1, 3\)"):
        L.ConvLSTM2D(3, 9)(np.zeros((1, 2, 4, 4, 1), np.float32))
    with pytest.raises(ValueError, match="`data_format` argument must be one of"):
        L.ConvLSTM2D(3, 2, data_format="nhwc")


def test_mixed_float16(tf):
    x, w = inputs(2), weights(2)
    layer = tf.keras.layers.ConvLSTM2D(3, 2, padding="same", dtype="mixed_float16")
    layer.build(x.shape)
    layer.set_weights(w)
    y = layer(x)
    assert y.dtype.name == "float16"
    assert [np.asarray(v).dtype for v in layer.get_weights()] == [np.float32] * 3
    close(np.asarray(y, np.float32), np_conv_lstm(w, x, padding="same")[1][0], 1e-2)


def build_model(keras, rank):
    """A one-layer model per rank, with options that reach the ``.keras`` config."""
    kwargs = {"return_sequences": True, "padding": "same", "strides": 1 + (rank == 1),
              "kernel_constraint": "non_neg", "recurrent_dropout": 0.2}  # fmt: skip
    if rank == 2:
        kwargs["data_format"] = "channels_first"
    x = inputs(rank, first=rank == 2)
    inp = keras.Input(x.shape[1:])
    model = keras.Model(inp, getattr(keras.layers, f"ConvLSTM{rank}D")(3, 2, name="clstm",
                                                                        **kwargs)(inp))  # fmt: skip
    model.set_weights(weights(rank))
    return model, x


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_reads_the_files_real_keras_wrote(tf, rank, tmp_path):
    with np.load(DATA) as data:
        path = tmp_path / "model.keras"
        path.write_bytes(data[f"{rank}/file"].tobytes())
        x, y = data[f"{rank}/x"], data[f"{rank}/y"]
    model = tf.keras.models.load_model(str(path))
    assert type(model.get_layer("clstm")).__name__ == f"ConvLSTM{rank}D"
    close(model(x), y)


@pytest.mark.skipif(not BOTH, reason="needs real keras beside tensorhouse (the compat venv)")
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_keras_files_cross_both_ways(rank, tmp_path):
    import keras

    import tensorhouse_models as ours

    for src, dst in ((keras, ours), (ours, keras)):
        model, x = build_model(src, rank)
        path = str(tmp_path / f"{src.__name__}.keras")
        model.save(path)
        loaded = dst.saving.load_model(path)
        assert type(loaded.get_layer("clstm")).__name__ == f"ConvLSTM{rank}D"
        close(np.asarray(loaded(x)), np.asarray(model(x)))
