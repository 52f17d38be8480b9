"""tf.keras.layers convolution and pooling layers: outputs with fixed weights against a NumPy
reference (so a green run against TensorFlow proves the reference is Keras's), weight names,
shapes and order, output shapes, config keys, aliases and argument errors."""

import itertools

import numpy as np
import pytest

# ---- NumPy references (channels-last) ---------------------------------------------------------


def _same_pads(n, k, s, d):
    span = (k - 1) * d + 1
    total = max((-(-n // s) - 1) * s + span - n, 0)
    return total // 2, total - total // 2


def _windows(x, shape, strides, dilation, out_sp):
    """For each kernel offset k: the strided slice of x that offset k sees."""
    r = len(out_sp)
    for k in np.ndindex(*shape):
        yield k, x[(slice(None), *(
            slice(k[i] * dilation[i], k[i] * dilation[i] + (out_sp[i] - 1) * strides[i] + 1,
                  strides[i]) for i in range(r)))]  # fmt: skip


def ref_conv(x, w, strides, padding, dilation, groups=1):
    r = x.ndim - 2
    if padding == "causal":
        pads = [((w.shape[0] - 1) * dilation[0], 0)]
    elif padding == "same":
        pads = [_same_pads(x.shape[1 + i], w.shape[i], strides[i], dilation[i]) for i in range(r)]
    else:
        pads = [(0, 0)] * r
    xp = np.pad(x.astype(np.float64), [(0, 0), *pads, (0, 0)])
    out_sp = [
        (xp.shape[1 + i] - (w.shape[i] - 1) * dilation[i] - 1) // strides[i] + 1 for i in range(r)
    ]
    cg, f = w.shape[-2], w.shape[-1]
    fg = f // groups
    out = np.zeros((x.shape[0], *out_sp, f))
    for k, patch in _windows(xp, w.shape[:r], strides, dilation, out_sp):
        for g in range(groups):
            out[..., g * fg : (g + 1) * fg] += (
                patch[..., g * cg : (g + 1) * cg] @ w[k][:, g * fg : (g + 1) * fg]
            )
    return out


def ref_depthwise(x, w, strides, padding, dilation):
    *k, c, m = w.shape
    return ref_conv(x, w.reshape(*k, 1, c * m), strides, padding, dilation, groups=c)


def ref_conv_transpose(x, w, strides, padding, dilation, out_sp):
    r = x.ndim - 2
    before, full = [], []
    for i in range(r):
        n, k, s, d = x.shape[1 + i], w.shape[i], strides[i], dilation[i]
        span = (k - 1) * d + 1
        b = max((n - 1) * s + span - out_sp[i], 0) // 2 if padding == "same" else 0
        before.append(b)
        full.append(max((n - 1) * s + span, b + out_sp[i]))
    buf = np.zeros((x.shape[0], *full, w.shape[-2]))
    for k, view in _windows(buf, w.shape[:r], strides, dilation, x.shape[1:-1]):
        view += x.astype(np.float64) @ w[k].T  # a view: writes into buf
    return buf[(slice(None), *(slice(before[i], before[i] + out_sp[i]) for i in range(r)))]


def ref_pool(x, pool, strides, padding, mode):
    r = x.ndim - 2
    pads = [(0, 0)] * r
    if padding == "same":
        pads = [_same_pads(x.shape[1 + i], pool[i], strides[i], 1) for i in range(r)]
    xp = np.pad(x.astype(np.float64), [(0, 0), *pads, (0, 0)], constant_values=np.nan)
    out_sp = [(xp.shape[1 + i] - pool[i]) // strides[i] + 1 for i in range(r)]
    out = np.zeros((x.shape[0], *out_sp, x.shape[-1]))
    fn = np.nanmax if mode == "max" else np.nanmean
    for o in np.ndindex(*out_sp):
        win = xp[(slice(None), *(slice(o[i] * strides[i], o[i] * strides[i] + pool[i])
                                 for i in range(r)))]  # fmt: skip
        out[(slice(None), *o)] = fn(win, axis=tuple(range(1, r + 1)))
    return out


def _run(layer, x, weights=None):
    layer.build(x.shape)
    out = tuple(layer.compute_output_shape(x.shape))
    if getattr(layer, "data_format", None) == "channels_first" and weights and out[1] == out[-1]:
        # Keras 3.15's TF backend adds a bias to channels-first outputs along the last axis
        # when that axis happens to have as many entries as there are channels.
        raise AssertionError(f"test sizes hit Keras's channels-first bias bug: {out}")
    if weights is not None:
        layer.set_weights(weights)
    y = np.asarray(layer(x))
    assert tuple(y.shape) == tuple(layer.compute_output_shape(x.shape))
    return y


def _cf(x):
    return np.moveaxis(x, -1, 1)


def _cl(x):
    return np.moveaxis(x, 1, -1)


def _short_name(v):
    return v.name.split("/")[-1].split(":")[0]


SPATIAL = {1: (18,), 2: (7, 18)}  # output widths never equal a channel count

# ---- convolutions ----------------------------------------------------------------------------

CONV_CASES = [
    c
    for c in itertools.product(
        (1, 2),
        ("valid", "same", "causal"),
        (1, 2),
        (1, 2),
        ("channels_last", "channels_first"),
        (1, 2),
    )  # fmt: skip
    if not (c[2] > 1 and c[3] > 1) and not (c[1] == "causal" and c[0] == 2)
]


@pytest.mark.parametrize("rank,padding,stride,dilation,fmt,groups", CONV_CASES)
def test_conv(tf, rank, padding, stride, dilation, fmt, groups):
    rng = np.random.default_rng(rank * 100 + stride * 10 + dilation)
    cls = {1: tf.keras.layers.Conv1D, 2: tf.keras.layers.Conv2D}[rank]
    x = rng.normal(size=(2, *SPATIAL[rank], 4)).astype(np.float32)
    w = rng.normal(size=(*(3,) * rank, 4 // groups, 6)).astype(np.float32)
    b = rng.normal(size=(6,)).astype(np.float32)
    layer = cls(6, 3, strides=stride, padding=padding, dilation_rate=dilation,
                data_format=fmt, groups=groups, activation="relu")  # fmt: skip
    y = _run(layer, x if fmt == "channels_last" else _cf(x), [w, b])
    y = y if fmt == "channels_last" else _cl(y)
    expected = np.maximum(
        ref_conv(x, w, (stride,) * rank, padding, (dilation,) * rank, groups) + b, 0
    )
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)


TRANSPOSE_CASES = [
    c
    for c in itertools.product(
        (1, 2),
        ("valid", "same"),
        (1, 2, 3),
        (1, 2),
        (None, 0, 1),
        ("channels_last", "channels_first"),
    )  # fmt: skip
    if not (c[2] > 1 and c[3] > 1) and (c[4] is None or c[4] < c[2])
]


@pytest.mark.parametrize("rank,padding,stride,dilation,out_pad,fmt", TRANSPOSE_CASES)
def test_conv_transpose(tf, rank, padding, stride, dilation, out_pad, fmt):
    # Odd kernels: with an even one, "same" plus an explicit output_padding asks TF's kernel
    # for lengths it rejects.
    rng = np.random.default_rng(rank * 100 + stride * 10 + dilation)
    cls = {1: tf.keras.layers.Conv1DTranspose, 2: tf.keras.layers.Conv2DTranspose}[rank]
    x = rng.normal(size=(2, *(4, 5)[:rank], 3)).astype(np.float32)
    w = rng.normal(size=(*(3, 5)[:rank], 2, 3)).astype(np.float32)
    b = rng.normal(size=(2,)).astype(np.float32)
    layer = cls(2, (3, 5)[:rank], strides=stride, padding=padding, dilation_rate=dilation,
                output_padding=out_pad, data_format=fmt)  # fmt: skip
    y = _run(layer, x if fmt == "channels_last" else _cf(x), [w, b])
    y = y if fmt == "channels_last" else _cl(y)
    expected = ref_conv_transpose(x, w, (stride,) * rank, padding, (dilation,) * rank,
                                  y.shape[1:-1]) + b  # fmt: skip
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("padding", ("valid", "same"))
@pytest.mark.parametrize("stride", (1, 2))
def test_conv_transpose_even_kernel(tf, padding, stride):
    rng = np.random.default_rng(stride)
    x = rng.normal(size=(2, 4, 3, 3)).astype(np.float32)
    w = rng.normal(size=(2, 4, 5, 3)).astype(np.float32)
    layer = tf.keras.layers.Conv2DTranspose(5, (2, 4), strides=stride, padding=padding,
                                            use_bias=False)  # fmt: skip
    y = _run(layer, x, [w])
    expected = ref_conv_transpose(x, w, (stride, stride), padding, (1, 1), y.shape[1:-1])
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)


def test_conv_transpose_output_lengths(tf):
    def length(**kw):
        layer = tf.keras.layers.Conv1DTranspose(2, 3, **kw)
        return tuple(layer.compute_output_shape((None, 5, 4)))[1]

    assert length(strides=2) == 11 and length(strides=4) == 20
    assert length(strides=2, padding="same") == 10
    assert length(strides=2, padding="same", output_padding=1) == 10
    assert length(strides=3, padding="same", output_padding=0) == 13
    assert length(strides=2, output_padding=1) == 12
    assert length(dilation_rate=2) == 9


DW_CASES = list(
    itertools.product(
        (1, 2), ("valid", "same"), (1, 2), (1, 2), (1, 2), ("channels_last", "channels_first")
    )  # fmt: skip
)


@pytest.mark.parametrize("rank,padding,stride,dilation,mult,fmt", DW_CASES)
def test_depthwise_conv(tf, rank, padding, stride, dilation, mult, fmt):
    rng = np.random.default_rng(rank * 100 + stride * 10 + dilation + mult)
    cls = {1: tf.keras.layers.DepthwiseConv1D, 2: tf.keras.layers.DepthwiseConv2D}[rank]
    x = rng.normal(size=(2, *SPATIAL[rank], 3)).astype(np.float32)
    w = rng.normal(size=(*(3,) * rank, 3, mult)).astype(np.float32)
    b = rng.normal(size=(3 * mult,)).astype(np.float32)
    layer = cls(3, strides=stride, padding=padding, dilation_rate=dilation,
                depth_multiplier=mult, data_format=fmt)  # fmt: skip
    y = _run(layer, x if fmt == "channels_last" else _cf(x), [w, b])
    y = y if fmt == "channels_last" else _cl(y)
    expected = ref_depthwise(x, w, (stride,) * rank, padding, (dilation,) * rank) + b
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)


SEP_CASES = [c for c in DW_CASES if not (c[2] > 1 and c[3] > 1)]


@pytest.mark.parametrize("rank,padding,stride,dilation,mult,fmt", SEP_CASES)
def test_separable_conv(tf, rank, padding, stride, dilation, mult, fmt):
    rng = np.random.default_rng(rank * 100 + stride * 10 + dilation + mult)
    cls = {1: tf.keras.layers.SeparableConv1D, 2: tf.keras.layers.SeparableConv2D}[rank]
    x = rng.normal(size=(2, *SPATIAL[rank], 3)).astype(np.float32)
    dw = rng.normal(size=(*(3,) * rank, 3, mult)).astype(np.float32)
    pw = rng.normal(size=(*(1,) * rank, 3 * mult, 4)).astype(np.float32)
    b = rng.normal(size=(4,)).astype(np.float32)
    layer = cls(4, 3, strides=stride, padding=padding, dilation_rate=dilation,
                depth_multiplier=mult, data_format=fmt)  # fmt: skip
    y = _run(layer, x if fmt == "channels_last" else _cf(x), [dw, pw, b])
    y = y if fmt == "channels_last" else _cl(y)
    depth = ref_depthwise(x, dw, (stride,) * rank, padding, (dilation,) * rank)
    np.testing.assert_allclose(y, depth @ pw.reshape(3 * mult, 4) + b, rtol=1e-4, atol=1e-4)


def test_conv2d_hard_coded_values(tf):
    # Keras 3.15's output (checked by hand: the first is 2*5 + 6 - 2 + 0.5; "same" pads one row
    # above and one below, and no column for width 4, window 2, stride 2).
    x = np.arange(1, 17, dtype=np.float32).reshape(1, 4, 4, 1)
    w = np.array([[1, 0], [0, -1], [2, 1]], np.float32).reshape(3, 2, 1, 1)
    layer = tf.keras.layers.Conv2D(1, (3, 2), strides=(1, 2), padding="same")
    y = _run(layer, x, [w, np.array([0.5], np.float32)])
    np.testing.assert_allclose(
        y[0, :, :, 0], [[14.5, 18.5], [23.5, 29.5], [35.5, 41.5], [-4.5, -4.5]]
    )


def test_weight_names_shapes_and_order(tf):
    def names(layer):
        return [(_short_name(v), tuple(v.shape)) for v in layer.weights]

    c = tf.keras.layers.Conv1D(4, 3, groups=2)
    c.build((None, 7, 6))
    assert names(c) == [("kernel", (3, 3, 4)), ("bias", (4,))]
    t = tf.keras.layers.Conv2DTranspose(4, (2, 3))
    t.build((None, 5, 5, 6))
    assert names(t) == [("kernel", (2, 3, 4, 6)), ("bias", (4,))]
    t1 = tf.keras.layers.Conv1DTranspose(4, 2, use_bias=False)
    t1.build((None, 5, 6))
    assert names(t1) == [("kernel", (2, 4, 6))]
    d = tf.keras.layers.DepthwiseConv2D(3, depth_multiplier=2, data_format="channels_first")
    d.build((None, 6, 5, 5))
    assert names(d) == [("kernel", (3, 3, 6, 2)), ("bias", (12,))]
    d1 = tf.keras.layers.DepthwiseConv1D(3)
    d1.build((None, 7, 6))
    assert names(d1) == [("kernel", (3, 6, 1)), ("bias", (6,))]
    s = tf.keras.layers.SeparableConv1D(4, 3, depth_multiplier=2)
    s.build((None, 7, 6))
    assert names(s) == [
        ("depthwise_kernel", (3, 6, 2)), ("pointwise_kernel", (1, 12, 4)), ("bias", (4,))
    ]  # fmt: skip
    s2 = tf.keras.layers.SeparableConv2D(4, 3)
    s2.build((None, 7, 7, 6))
    assert names(s2)[:2] == [("depthwise_kernel", (3, 3, 6, 1)), ("pointwise_kernel", (1, 1, 6, 4))]
    assert s.count_params() == 36 + 48 + 4
    assert [_short_name(v) for v in s.trainable_weights] == [n for n, _ in names(s)]


# ---- pooling ---------------------------------------------------------------------------------

POOL_CASES = list(
    itertools.product(
        (1, 2, 3),
        ("max", "avg"),
        ("valid", "same"),
        (2, 3),
        (None, 1, 2),
        ("channels_last", "channels_first"),
    )  # fmt: skip
)


@pytest.mark.parametrize("rank,mode,padding,pool,stride,fmt", POOL_CASES)
def test_pooling(tf, rank, mode, padding, pool, stride, fmt):
    L = tf.keras.layers
    cls = {
        ("max", 1): L.MaxPooling1D, ("max", 2): L.MaxPooling2D, ("max", 3): L.MaxPooling3D,
        ("avg", 1): L.AveragePooling1D, ("avg", 2): L.AveragePooling2D,
        ("avg", 3): L.AveragePooling3D,
    }[mode, rank]  # fmt: skip
    rng = np.random.default_rng(rank * 10 + pool)
    x = rng.normal(size=(2, *(7, 6, 5)[:rank], 3)).astype(np.float32)
    pools = (pool, 2, 3)[:rank]
    layer = cls(pools, strides=stride, padding=padding, data_format=fmt)
    y = _run(layer, x if fmt == "channels_last" else _cf(x))
    y = y if fmt == "channels_last" else _cl(y)
    strides = pools if stride is None else (stride,) * rank
    np.testing.assert_allclose(y, ref_pool(x, pools, strides, padding, mode), rtol=1e-5,
                               atol=1e-6)  # fmt: skip


@pytest.mark.parametrize("rank", (1, 2, 3))
@pytest.mark.parametrize("mode", ("Max", "Average"))
@pytest.mark.parametrize("fmt", ("channels_last", "channels_first"))
@pytest.mark.parametrize("keepdims", (False, True))
def test_global_pooling(tf, rank, mode, fmt, keepdims):
    cls = getattr(tf.keras.layers, f"Global{mode}Pooling{rank}D")
    x = np.random.default_rng(rank).normal(size=(2, 3, *(5, 4, 3)[:rank])).astype(np.float32)
    axes = tuple(range(2, 2 + rank))
    if fmt == "channels_last":
        x, axes = _cl(x), tuple(range(1, 1 + rank))
    y = _run(cls(data_format=fmt, keepdims=keepdims), x)
    fn = np.max if mode == "Max" else np.mean
    np.testing.assert_allclose(y, fn(x, axis=axes, keepdims=keepdims), rtol=1e-5, atol=1e-6)


def test_pooling_defaults_and_aliases(tf):
    L = tf.keras.layers
    assert tuple(L.MaxPooling1D().pool_size) == (2,) and tuple(L.MaxPooling1D().strides) == (2,)
    config = L.MaxPooling2D(3).get_config()
    assert tuple(config["pool_size"]) == (3, 3) and tuple(config["strides"]) == (3, 3)
    assert config["padding"] == "valid" and config["data_format"] == "channels_last"
    assert tuple(L.MaxPooling3D().pool_size) == (2, 2, 2)
    with pytest.raises(TypeError):
        L.AveragePooling2D()  # Keras 3's average pooling has no default pool_size
    aliases = {
        "MaxPool1D": "MaxPooling1D", "MaxPool2D": "MaxPooling2D", "MaxPool3D": "MaxPooling3D",
        "AvgPool1D": "AveragePooling1D", "AvgPool2D": "AveragePooling2D",
        "AvgPool3D": "AveragePooling3D", "GlobalMaxPool2D": "GlobalMaxPooling2D",
        "GlobalAvgPool1D": "GlobalAveragePooling1D", "Convolution2D": "Conv2D",
        "Convolution1DTranspose": "Conv1DTranspose", "SeparableConvolution2D": "SeparableConv2D",
    }  # fmt: skip
    for alias, name in aliases.items():
        assert getattr(L, alias) is getattr(L, name)


# ---- shapes, config, tracing, errors ---------------------------------------------------------


def test_output_shapes_and_names(tf):
    L = tf.keras.layers
    assert tuple(L.Conv2D(4, 3, strides=2, padding="same").compute_output_shape(
        (None, 7, 8, 3))) == (None, 4, 4, 4)  # fmt: skip
    assert tuple(L.Conv1D(4, 3, padding="causal", dilation_rate=2).compute_output_shape(
        (None, 9, 3))) == (None, 9, 4)  # fmt: skip
    assert tuple(L.DepthwiseConv2D(3, depth_multiplier=2, data_format="channels_first")
                 .compute_output_shape((None, 3, 7, 7))) == (None, 6, 5, 5)  # fmt: skip
    assert tuple(L.MaxPooling3D(padding="same").compute_output_shape((None, 5, 4, 3, 2))) == (
        None, 3, 2, 2, 2)  # fmt: skip
    assert tuple(L.GlobalAveragePooling2D(keepdims=True).compute_output_shape(
        (None, 5, 5, 3))) == (None, 1, 1, 3)  # fmt: skip
    out = L.MaxPooling2D()(L.Conv2D(2, 3, padding="same")(tf.keras.Input(shape=(8, 8, 3))))
    assert tuple(out.shape) == (None, 4, 4, 2)
    for cls, name in [(L.Conv2D, "conv2d"), (L.Conv1DTranspose, "conv1d_transpose"),
                      (L.SeparableConv2D, "separable_conv2d")]:  # fmt: skip
        assert cls(1, 1).name.startswith(name)
    assert L.DepthwiseConv1D(1).name.startswith("depthwise_conv1d")
    assert L.GlobalMaxPooling3D().name.startswith("global_max_pooling3d")


COMMON_KEYS = {
    "name", "trainable", "dtype", "kernel_size", "strides", "padding", "data_format",
    "dilation_rate", "activation", "use_bias", "bias_initializer", "bias_regularizer",
    "activity_regularizer", "bias_constraint",
}  # fmt: skip
KERNEL_KEYS = {"filters", "kernel_initializer", "kernel_regularizer", "kernel_constraint"}
DEPTH_KEYS = {
    "depth_multiplier", "depthwise_initializer", "depthwise_regularizer", "depthwise_constraint"
}  # fmt: skip
POINT_KEYS = {"filters", "pointwise_initializer", "pointwise_regularizer", "pointwise_constraint"}


def test_config_keys_and_values(tf):
    L = tf.keras.layers
    assert set(L.Conv1D(2, 3).get_config()) == COMMON_KEYS | KERNEL_KEYS | {"groups"}
    assert set(L.Conv2D(2, 3).get_config()) == COMMON_KEYS | KERNEL_KEYS | {"groups"}
    for cls in (L.Conv1DTranspose, L.Conv2DTranspose):
        assert set(cls(2, 3).get_config()) == COMMON_KEYS | KERNEL_KEYS | {"output_padding"}
    for cls in (L.DepthwiseConv1D, L.DepthwiseConv2D):
        assert set(cls(3).get_config()) == COMMON_KEYS | DEPTH_KEYS
    for cls in (L.SeparableConv1D, L.SeparableConv2D):
        assert set(cls(2, 3).get_config()) == COMMON_KEYS | DEPTH_KEYS | POINT_KEYS
    pool_keys = {"name", "trainable", "dtype", "pool_size", "padding", "strides", "data_format"}
    assert set(L.AveragePooling1D(2).get_config()) == pool_keys
    assert set(L.MaxPooling3D().get_config()) == pool_keys
    assert set(L.GlobalMaxPooling2D().get_config()) == {
        "name", "trainable", "dtype", "data_format", "keepdims"
    }  # fmt: skip
    c = L.Conv1D(2, 3, padding="SAME").get_config()
    assert c["kernel_size"] == (3,) and c["strides"] == (1,) and c["dilation_rate"] == (1,)
    assert c["padding"] == "same" and c["activation"] == "linear" and c["groups"] == 1
    assert c["kernel_initializer"]["class_name"] == "GlorotUniform"
    assert c["bias_initializer"]["class_name"] == "Zeros" and c["kernel_regularizer"] is None
    t = L.Conv2DTranspose(2, 3, strides=2, output_padding=1).get_config()
    assert t["output_padding"] == (1, 1) and t["strides"] == (2, 2)
    assert L.Conv2DTranspose(2, 3).get_config()["output_padding"] is None
    s = L.SeparableConv2D(2, (3, 1), depth_multiplier=2).get_config()
    assert s["kernel_size"] == (3, 1) and s["depth_multiplier"] == 2


def test_config_round_trip_gives_the_same_outputs(tf):
    L = tf.keras.layers
    rng = np.random.default_rng(5)
    for layer, shape in [
        (L.Conv2D(4, 3, strides=2, padding="same", groups=2, activation="relu"), (2, 7, 7, 4)),
        (L.Conv1DTranspose(3, 3, strides=2, output_padding=1), (2, 5, 2)),
        (L.SeparableConv1D(3, 3, depth_multiplier=2, padding="same"), (2, 6, 2)),
        (L.AveragePooling3D(2, padding="same"), (2, 3, 3, 3, 2)),
    ]:
        x = rng.normal(size=shape).astype(np.float32)
        y = np.asarray(layer(x))
        clone = type(layer).from_config(layer.get_config())
        clone.build(shape)
        clone.set_weights(layer.get_weights())
        np.testing.assert_allclose(np.asarray(clone(x)), y, rtol=1e-6, atol=1e-6)


def test_eager_equals_traced(tf):
    L = tf.keras.layers
    rng = np.random.default_rng(6)
    for layer, shape in [
        (L.Conv1D(3, 3, padding="causal", dilation_rate=2), (2, 9, 4)),
        (L.Conv2DTranspose(3, 3, strides=2, padding="same"), (2, 4, 5, 3)),
        (L.DepthwiseConv2D(3, depth_multiplier=2, padding="same"), (2, 6, 6, 3)),
        (L.MaxPooling3D(), (2, 4, 4, 4, 2)),
    ]:
        x = tf.constant(rng.normal(size=shape).astype(np.float32))
        traced = tf.function(lambda t, layer=layer: layer(t))
        np.testing.assert_allclose(np.asarray(traced(x)), np.asarray(layer(x)), rtol=1e-6,
                                   atol=1e-6)  # fmt: skip


def test_gradient_of_conv2d(tf):
    # d/dx sum(conv(x, w) * g) is the transposed convolution of g with w.
    rng = np.random.default_rng(7)
    x0 = rng.normal(size=(1, 5, 5, 2)).astype(np.float32)
    w = rng.normal(size=(3, 3, 2, 3)).astype(np.float32)
    layer = tf.keras.layers.Conv2D(3, 3, use_bias=False)
    layer.build(x0.shape)
    layer.set_weights([w])
    g = rng.normal(size=(1, 3, 3, 3)).astype(np.float32)
    x = tf.constant(x0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(layer(x) * g)
    gx, gw = tape.gradient(loss, [x, layer.kernel])
    expected_x = ref_conv_transpose(g, w, (1, 1), "valid", (1, 1), (5, 5))
    np.testing.assert_allclose(np.asarray(gx), expected_x, rtol=1e-4, atol=1e-4)
    expected_w = np.zeros_like(w, dtype=np.float64)
    for i, j in np.ndindex(3, 3):
        expected_w[i, j] = x0[0, i : i + 3, j : j + 3].reshape(9, 2).T @ g[0].reshape(9, 3)
    np.testing.assert_allclose(np.asarray(gw), expected_w, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "args,match",
    [
        (("Conv2D", 0, 3), "filters=0"),
        (("Conv1D", -2, 3), "filters=-2"),
        (("Conv2D", 2, 0), "kernel_size=0"),
        (("Conv2D", 2, (3, 3, 3)), r"kernel_size=\(3, 3, 3\)"),
        (("SeparableConv2D", 0, 3), "filters=0"),
        (("Conv2DTranspose", 0, 3), "filters=0"),
    ],
)
def test_bad_constructor_arguments(tf, args, match):
    name, *rest = args
    with pytest.raises(ValueError, match=match):
        getattr(tf.keras.layers, name)(*rest)


@pytest.mark.parametrize(
    "name,kwargs,match",
    [
        ("Conv2D", {"strides": 0}, "strides=0"),
        ("Conv2D", {"dilation_rate": 0}, "dilation_rate=0"),
        ("Conv2D", {"padding": "full"}, "Received: full"),
        ("Conv2D", {"padding": "causal"}, "Received: causal"),
        ("Conv1DTranspose", {"padding": "causal"}, "Received: causal"),
        ("Conv2D", {"data_format": "NHWC"}, "data_format=nhwc"),
        ("Conv2D", {"groups": 0}, "groups=0"),
        ("Conv2D", {"strides": 2, "dilation_rate": 2}, "dilation_rate > 1"),
        ("Conv2DTranspose", {"strides": 2, "dilation_rate": 2}, "dilation_rate > 1"),
        ("Conv2DTranspose", {"strides": 2, "output_padding": 2}, "output_padding"),
    ],
)
def test_bad_keyword_arguments(tf, name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        getattr(tf.keras.layers, name)(3, 3, **kwargs)


def test_bad_arguments_of_depthwise_and_pooling(tf):
    L = tf.keras.layers
    with pytest.raises(ValueError, match="groups=2, filters=3"):
        L.Conv2D(3, 3, groups=2)
    with pytest.raises(ValueError, match="depth_multiplier=0"):
        L.DepthwiseConv2D(3, depth_multiplier=0)
    with pytest.raises(ValueError, match="pool_size=0"):
        L.MaxPooling2D(0)
    with pytest.raises(ValueError, match="data_format=nhwc"):
        L.MaxPooling2D(2, data_format="nhwc")
    with pytest.raises(ValueError, match="data_format=x"):
        L.GlobalAveragePooling1D(data_format="x")


def test_bad_inputs(tf):
    L = tf.keras.layers
    with pytest.raises(ValueError, match="3 channels"):
        L.Conv2D(4, 3, groups=2)(np.zeros((1, 5, 5, 3), np.float32))
    with pytest.raises(ValueError, match="expected .*ndim=4, found ndim=3"):
        L.Conv2D(4, 3)(np.zeros((1, 5, 5), np.float32))
    with pytest.raises(ValueError, match="zero or negative"):
        L.Conv2D(2, 7)(np.zeros((1, 5, 5, 3), np.float32))
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=3"):
        L.MaxPooling2D()(np.zeros((1, 5, 5), np.float32))


def test_global_average_pooling_1d_mask(tf):
    x = np.arange(24, dtype=np.float32).reshape(2, 4, 3)
    mask = np.array([[True, False, True, False], [False, False, False, True]])
    layer = tf.keras.layers.GlobalAveragePooling1D(keepdims=True)
    y = np.asarray(layer(x, mask=mask))
    np.testing.assert_allclose(y, [[[3, 4, 5]], [[21, 22, 23]]])
    channels_first = tf.keras.layers.GlobalAveragePooling1D(data_format="channels_first")
    y = np.asarray(channels_first(np.moveaxis(x, -1, 1), mask=mask))
    np.testing.assert_allclose(y, [[3, 4, 5], [21, 22, 23]])
    assert layer.supports_masking and not tf.keras.layers.GlobalMaxPooling1D().supports_masking
