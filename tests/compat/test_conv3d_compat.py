"""tf.keras.layers' 3-D layers: Conv3D (padding, strides, dilation, groups, channels_first),
the 3-D poolings, UpSampling3D, ZeroPadding3D, Cropping3D and SpatialDropout3D, against direct
NumPy references with fixed weights; weight names, shapes, config keys and default names."""

import numpy as np
import pytest

RNG = np.random.default_rng(21)
X = RNG.normal(size=(2, 5, 6, 4, 3)).astype(np.float32)


def close(a, b, tol=1e-4):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def same_pad(x, windows, strides, dilations=(1, 1, 1), value=0.0):
    spans = [(w - 1) * d + 1 for w, d in zip(windows, dilations)]
    outs = [-(-n // s) for n, s in zip(x.shape[1:4], strides)]
    totals = [max((o - 1) * s + sp - n, 0)
              for o, s, sp, n in zip(outs, strides, spans, x.shape[1:4])]  # fmt: skip
    pads = [(0, 0), *[(t // 2, t - t // 2) for t in totals], (0, 0)]
    return np.pad(x, pads, constant_values=value)


def np_conv3d(x, k, strides=(1, 1, 1), padding="valid", dilations=(1, 1, 1), groups=1):
    if padding == "same":
        x = same_pad(x, k.shape[:3], strides, dilations)
    spans = [(w - 1) * d + 1 for w, d in zip(k.shape[:3], dilations)]
    outs = [(n - sp) // s + 1 for n, sp, s in zip(x.shape[1:4], spans, strides)]
    cin, f = k.shape[3], k.shape[4]
    y = np.zeros((x.shape[0], *outs, f))
    for a in range(k.shape[0]):
        for b in range(k.shape[1]):
            for c in range(k.shape[2]):
                starts = (a * dilations[0], b * dilations[1], c * dilations[2])
                sl = x[:, starts[0] :: strides[0], starts[1] :: strides[1], starts[2] :: strides[2]]
                sl = sl[:, : outs[0], : outs[1], : outs[2]]
                for g in range(groups):
                    fs = slice(g * f // groups, (g + 1) * f // groups)
                    xs = sl[..., g * cin : (g + 1) * cin]
                    y[..., fs] += np.einsum("bdhwc,cf->bdhwf", xs, k[a, b, c][:, fs])
    return y


def np_pool3d(x, pool, strides, padding, op):
    if padding == "same":
        x = same_pad(x, pool, strides, value=np.nan)
    outs = [(n - p) // s + 1 for n, p, s in zip(x.shape[1:4], pool, strides)]
    y = np.zeros((x.shape[0], *outs, x.shape[-1]))
    for i in range(outs[0]):
        for j in range(outs[1]):
            for k in range(outs[2]):
                win = x[:, i * strides[0] : i * strides[0] + pool[0],
                        j * strides[1] : j * strides[1] + pool[1],
                        k * strides[2] : k * strides[2] + pool[2]]  # fmt: skip
                y[:, i, j, k] = op(win.reshape(x.shape[0], -1, x.shape[-1]), axis=1)
    return y


CONV_CASES = [
    ({}, (2, 3, 2)),
    ({"padding": "same"}, (3, 3, 3)),
    ({"strides": (2, 1, 2)}, (2, 2, 2)),
    ({"dilation_rate": (2, 1, 1)}, (2, 3, 2)),
    ({"padding": "same", "strides": 2}, (3, 2, 3)),
]


@pytest.mark.parametrize("kwargs, ksize", CONV_CASES)
def test_conv3d_numbers(tf, kwargs, ksize):
    layer = tf.keras.layers.Conv3D(4, ksize, **kwargs)
    layer.build(X.shape)
    k = RNG.normal(size=(*ksize, 3, 4)).astype(np.float32)
    b = RNG.normal(size=(4,)).astype(np.float32)
    layer.set_weights([k, b])
    strides = kwargs.get("strides", 1)
    strides = (strides,) * 3 if isinstance(strides, int) else strides
    expected = np_conv3d(X, k, strides, kwargs.get("padding", "valid"),
                         kwargs.get("dilation_rate", (1, 1, 1))) + b  # fmt: skip
    close(layer(X), expected)
    close(tf.function(lambda v: layer(v))(tf.constant(X)), expected)
    assert tuple(layer.compute_output_shape(X.shape)) == expected.shape


def test_conv3d_groups_channels_first_and_weights(tf):
    x = RNG.normal(size=(1, 4, 4, 3, 4)).astype(np.float32)
    layer = tf.keras.layers.Conv3D(6, 2, groups=2, data_format="channels_first",
                                   activation="relu")  # fmt: skip
    xc = x.transpose(0, 4, 1, 2, 3)
    layer.build(xc.shape)
    assert [(w.name, tuple(w.shape)) for w in layer.weights] == [
        ("kernel", (2, 2, 2, 2, 6)), ("bias", (6,))
    ]  # fmt: skip
    k = RNG.normal(size=(2, 2, 2, 2, 6)).astype(np.float32)
    layer.set_weights([k, np.zeros(6, np.float32)])
    expected = np.maximum(np_conv3d(x, k, groups=2), 0).transpose(0, 4, 1, 2, 3)
    close(layer(xc), expected)


def test_conv3d_trains_in_fit(tf):
    layers = tf.keras.layers
    model = tf.keras.Sequential([tf.keras.Input((4, 4, 4, 1)), layers.Conv3D(2, 2),
                                 layers.GlobalAveragePooling3D(), layers.Dense(1)])  # fmt: skip
    conv, dense = model.layers[0], model.layers[2]
    k = RNG.normal(size=(2, 2, 2, 1, 2)).astype(np.float32)
    conv.set_weights([k, np.zeros(2, np.float32)])
    dk = np.array([[1.0], [-0.5]], np.float32)
    dense.set_weights([dk, np.zeros(1, np.float32)])
    x = RNG.normal(size=(3, 4, 4, 4, 1)).astype(np.float32)
    y = RNG.normal(size=(3, 1)).astype(np.float32)
    model.compile(optimizer=tf.keras.optimizers.SGD(0.1), loss="mse")
    model.fit(x, y, batch_size=3, epochs=1, verbose=0, shuffle=False)
    # d loss / d kernel: the mean over output positions of the input windows, weighted
    feats = np_conv3d(x, k).mean(axis=(1, 2, 3))
    r = 2 * (feats @ dk - y) / 3  # (3, 1)
    grad_k = np.zeros_like(k, dtype=np.float64)
    for a in range(2):
        for b in range(2):
            for c in range(2):
                win = x[:, a : a + 3, b : b + 3, c : c + 3, 0].mean(axis=(1, 2, 3))
                grad_k[a, b, c, 0] = (r * win[:, None] * dk[:, 0]).sum(0)
    close(conv.get_weights()[0], k - 0.1 * grad_k, 1e-5)


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_pooling3d_numbers(tf, padding):
    layers = tf.keras.layers
    pool, strides = (2, 3, 2), (2, 2, 1)
    close(layers.MaxPooling3D(pool, strides, padding)(X),
          np_pool3d(X, pool, strides, padding, np.nanmax))  # fmt: skip
    close(layers.AveragePooling3D(pool, strides, padding)(X),
          np_pool3d(X, pool, strides, padding, np.nanmean))  # fmt: skip
    close(layers.GlobalAveragePooling3D()(X), X.mean(axis=(1, 2, 3)))
    close(layers.GlobalMaxPooling3D(keepdims=True)(X), X.max(axis=(1, 2, 3), keepdims=True))


def test_upsampling_padding_cropping_3d(tf):
    layers = tf.keras.layers
    close(layers.UpSampling3D((2, 1, 3))(X), X.repeat(2, 1).repeat(3, 3))
    xc = X.transpose(0, 4, 1, 2, 3)
    close(layers.UpSampling3D(2, data_format="channels_first")(xc),
          xc.repeat(2, 2).repeat(2, 3).repeat(2, 4))  # fmt: skip
    close(layers.ZeroPadding3D(((1, 0), (0, 2), (1, 1)))(X),
          np.pad(X, [(0, 0), (1, 0), (0, 2), (1, 1), (0, 0)]))  # fmt: skip
    close(layers.Cropping3D(((1, 2), (0, 1), (1, 0)))(X), X[:, 1:-2, :-1, 1:])
    cfg = layers.UpSampling3D((1, 2, 3)).get_config()
    assert (cfg["size"], cfg["data_format"]) == ((1, 2, 3), "channels_last")
    assert layers.UpSampling3D().name.startswith("up_sampling3d")


def test_spatial_dropout_3d_whole_channels(tf):
    x = np.ones((4, 2, 2, 3, 6), np.float32)
    y = np.asarray(tf.keras.layers.SpatialDropout3D(0.5, seed=3)(x, training=True))
    flat = y.reshape(4, -1, 6)
    assert np.all(flat == flat[:, :1])
    assert set(np.unique(y)) <= {0.0, 2.0}
    close(tf.keras.layers.SpatialDropout3D(0.5)(x), x)


def test_conv3d_config_keys_and_errors(tf):
    layers = tf.keras.layers
    cfg = layers.Conv3D(2, 3).get_config()
    assert sorted(cfg) == [
        "activation", "activity_regularizer", "bias_constraint", "bias_initializer",
        "bias_regularizer", "data_format", "dilation_rate", "dtype", "filters", "groups",
        "kernel_constraint", "kernel_initializer", "kernel_regularizer", "kernel_size", "name",
        "padding", "strides", "trainable", "use_bias",
    ]  # fmt: skip
    assert (cfg["kernel_size"], cfg["strides"]) == ((3, 3, 3), (1, 1, 1))
    assert layers.Conv3D.from_config(cfg).get_config()["kernel_size"] == (3, 3, 3)
    with pytest.raises(ValueError, match="ndim=5"):
        layers.Conv3D(2, 3)(np.zeros((1, 4, 4, 2), np.float32))
    with pytest.raises(ValueError):
        layers.Conv3D(2, 3, strides=2, dilation_rate=2)


def np_conv3d_transpose(x, k, strides, padding, output_padding=None, dilations=(1, 1, 1)):
    """Scatter-add definition: input step ``i`` and tap ``a`` land on ``i * s + a * d``; then
    Keras's output length is cut from the full result."""
    spans = [(n - 1) * d + 1 for n, d in zip(k.shape[:3], dilations)]
    full = [(n - 1) * s + sp for n, s, sp in zip(x.shape[1:4], strides, spans)]
    y = np.zeros((x.shape[0], *full, k.shape[3]))
    for i in range(x.shape[1]):
        for j in range(x.shape[2]):
            for m in range(x.shape[3]):
                for a in range(k.shape[0]):
                    for b in range(k.shape[1]):
                        for c in range(k.shape[2]):
                            at = (
                                i * strides[0] + a * dilations[0],
                                j * strides[1] + b * dilations[1],
                                m * strides[2] + c * dilations[2],
                            )
                            y[:, at[0], at[1], at[2]] += x[:, i, j, m] @ k[a, b, c].T
    sl = [slice(None)]
    for n, s, sp, f, axis in zip(x.shape[1:4], strides, spans, full, range(3)):
        op = None if output_padding is None else output_padding[axis]
        if op is None:
            out = n * s + (max(sp - s, 0) if padding == "valid" else 0)
        else:
            out = (n - 1) * s + sp - 2 * (sp // 2 if padding == "same" else 0) + op
        before = max((-(-out // s) - 1) * s + sp - out, 0) // 2 if padding == "same" else 0
        if op is not None and padding == "same":
            before = sp // 2
        if before + out > f:
            y = np.pad(y, [(0, 0)] * (axis + 1) + [(0, before + out - f)] + [(0, 0)] * (3 - axis))
        sl.append(slice(before, before + out))
    return y[tuple(sl)]


TRANSPOSE_CASES = [
    {},
    {"strides": (2, 2, 2)},
    {"strides": (2, 1, 3), "padding": "same"},
    {"strides": (2, 2, 2), "output_padding": (1, 1, 1)},
    {"dilation_rate": (2, 2, 2)},
]


@pytest.mark.parametrize("kwargs", TRANSPOSE_CASES)
def test_conv3d_transpose_numbers(tf, kwargs):
    x = RNG.normal(size=(2, 3, 2, 3, 2)).astype(np.float32)
    layer = tf.keras.layers.Conv3DTranspose(3, (3, 2, 3), **kwargs)
    layer.build(x.shape)
    k = RNG.normal(size=(3, 2, 3, 3, 2)).astype(np.float32)
    layer.set_weights([k, np.array([0.5, -1.0, 0.0], np.float32)])
    expected = np_conv3d_transpose(
        x, k, kwargs.get("strides", (1, 1, 1)), kwargs.get("padding", "valid"),
        kwargs.get("output_padding"), kwargs.get("dilation_rate", (1, 1, 1)),
    ) + np.array([0.5, -1.0, 0.0])  # fmt: skip
    close(layer(x), expected)
    close(tf.function(lambda v: layer(v))(tf.constant(x)), expected)
    assert [(w.name, tuple(w.shape)) for w in layer.weights] == [
        ("kernel", (3, 2, 3, 3, 2)), ("bias", (3,))
    ]  # fmt: skip
    assert tuple(layer.compute_output_shape(x.shape)) == expected.shape
