"""Convolution and pooling layers against NumPy references (loops over kernel offsets)."""

import itertools

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_components import layers, regularizers

# ---- NumPy references (channels-last) ---------------------------------------------------------


def _same_pads(n, k, s, d):
    span = (k - 1) * d + 1
    total = max((-(-n // s) - 1) * s + span - n, 0)
    return total // 2, total - total // 2


def ref_conv(x, w, strides, padding, dilation, groups=1):
    """x (N, *spatial, C), w (*k, C / groups, F): cross-correlation, TF's "same" split."""
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
    for k in np.ndindex(*w.shape[:r]):
        sl = tuple(
            slice(k[i] * dilation[i], k[i] * dilation[i] + (out_sp[i] - 1) * strides[i] + 1,
                  strides[i])
            for i in range(r)
        )  # fmt: skip
        patch = xp[(slice(None), *sl)]
        for g in range(groups):
            out[..., g * fg : (g + 1) * fg] += (
                patch[..., g * cg : (g + 1) * cg] @ w[k][:, g * fg : (g + 1) * fg]
            )
    return out


def ref_depthwise(x, w, strides, padding, dilation):
    """w (*k, C, M): output channel c * M + m is channel c convolved with w[..., c, m]."""
    *k, c, m = w.shape
    return ref_conv(x, w.reshape(*k, 1, c * m), strides, padding, dilation, groups=c)


def ref_conv_transpose(x, w, strides, padding, dilation, out_sp):
    """x (N, *spatial, C), w (*k, F, C): scatter each input through the kernel, then crop."""
    r = x.ndim - 2
    before, full = [], []
    for i in range(r):
        n, k, s, d = x.shape[1 + i], w.shape[i], strides[i], dilation[i]
        span = (k - 1) * d + 1
        b = max((n - 1) * s + span - out_sp[i], 0) // 2 if padding == "same" else 0
        before.append(b)
        full.append(max((n - 1) * s + span, b + out_sp[i]))
    buf = np.zeros((x.shape[0], *full, w.shape[-2]))
    for k in np.ndindex(*w.shape[:r]):
        sl = tuple(
            slice(k[i] * dilation[i], k[i] * dilation[i] + (x.shape[1 + i] - 1) * strides[i] + 1,
                  strides[i])
            for i in range(r)
        )  # fmt: skip
        buf[(slice(None), *sl)] += x.astype(np.float64) @ w[k].T
    crop = tuple(slice(before[i], before[i] + out_sp[i]) for i in range(r))
    return buf[(slice(None), *crop)]


def ref_pool(x, pool, strides, padding, mode):
    """TF's pooling: "same" pads with nothing (max ignores it, mean does not count it)."""
    r = x.ndim - 2
    pads = [(0, 0)] * r
    if padding == "same":
        pads = [_same_pads(x.shape[1 + i], pool[i], strides[i], 1) for i in range(r)]
    xp = np.pad(x.astype(np.float64), [(0, 0), *pads, (0, 0)], constant_values=np.nan)
    out_sp = [(xp.shape[1 + i] - pool[i]) // strides[i] + 1 for i in range(r)]
    out = np.zeros((x.shape[0], *out_sp, x.shape[-1]))
    for o in np.ndindex(*out_sp):
        win = xp[(slice(None), *(slice(o[i] * strides[i], o[i] * strides[i] + pool[i])
                                 for i in range(r)))]  # fmt: skip
        axes = tuple(range(1, r + 1))
        out[(slice(None), *o)] = (np.nanmax if mode == "max" else np.nanmean)(win, axis=axes)
    return out


def _first(x, r):
    """channels_last -> channels_first."""
    return np.moveaxis(x, -1, 1)


def _last(x, r):
    return np.moveaxis(x, 1, -1)


def _run(layer, x, weights=None):
    layer.build(x.shape)
    if weights is not None:
        layer.set_weights(weights)
    y = layer(x)
    assert tuple(y.shape.as_list()) == tuple(layer.compute_output_shape(x.shape))
    return y.numpy()


RNG = np.random.default_rng(1234)
SPATIAL = {1: (9,), 2: (7, 8)}

# ---- convolutions ----------------------------------------------------------------------------

CONV_CASES = [
    (rank, padding, stride, dilation, fmt, groups)
    for rank, padding, stride, dilation, fmt, groups in itertools.product(
        (1, 2),
        ("valid", "same", "causal"),
        (1, 2),
        (1, 2),
        ("channels_last", "channels_first"),
        (1, 2),
    )  # fmt: skip
    if not (stride > 1 and dilation > 1) and not (padding == "causal" and rank == 2)
]


@pytest.mark.parametrize("rank,padding,stride,dilation,fmt,groups", CONV_CASES)
def test_conv_matches_numpy(rank, padding, stride, dilation, fmt, groups):
    cls = {1: layers.Conv1D, 2: layers.Conv2D}[rank]
    x = RNG.normal(size=(2, *SPATIAL[rank], 4)).astype(np.float32)
    w = RNG.normal(size=(*(3,) * rank, 4 // groups, 6)).astype(np.float32)
    b = RNG.normal(size=(6,)).astype(np.float32)
    layer = cls(6, 3, strides=stride, padding=padding, dilation_rate=dilation,
                data_format=fmt, groups=groups, activation="relu")  # fmt: skip
    xin = x if fmt == "channels_last" else _first(x, rank)
    y = _run(layer, xin, [w, b])
    if fmt == "channels_first":
        y = _last(y, rank)
    strides, dil = (stride,) * rank, (dilation,) * rank
    expected = np.maximum(ref_conv(x, w, strides, padding, dil, groups) + b, 0)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)


def test_conv_non_square_kernel_strides_and_no_bias():
    x = RNG.normal(size=(2, 9, 8, 3)).astype(np.float32)
    w = RNG.normal(size=(3, 2, 3, 5)).astype(np.float32)
    layer = layers.Conv2D(5, (3, 2), strides=(2, 1), padding="same", use_bias=False)
    y = _run(layer, x, [w])
    assert [v.name.split("/")[-1].split(":")[0] for v in layer.weights] == ["kernel"]
    np.testing.assert_allclose(y, ref_conv(x, w, (2, 1), "same", (1, 1)), rtol=1e-4, atol=1e-4)


TRANSPOSE_CASES = [
    (rank, padding, stride, dilation, out_pad, fmt)
    for rank, padding, stride, dilation, out_pad, fmt in itertools.product(
        (1, 2),
        ("valid", "same"),
        (1, 2, 3),
        (1, 2),
        (None, 0, 1),
        ("channels_last", "channels_first"),
    )  # fmt: skip
    if not (stride > 1 and dilation > 1) and (out_pad is None or out_pad < stride)
]


@pytest.mark.parametrize("rank,padding,stride,dilation,out_pad,fmt", TRANSPOSE_CASES)
def test_conv_transpose_matches_numpy(rank, padding, stride, dilation, out_pad, fmt):
    cls = {1: layers.Conv1DTranspose, 2: layers.Conv2DTranspose}[rank]
    x = RNG.normal(size=(2, *(4, 5)[:rank], 3)).astype(np.float32)
    w = RNG.normal(size=(*(3, 5)[:rank], 5, 3)).astype(np.float32)
    b = RNG.normal(size=(5,)).astype(np.float32)
    layer = cls(5, (3, 5)[:rank], strides=stride, padding=padding, dilation_rate=dilation,
                output_padding=out_pad, data_format=fmt)  # fmt: skip
    xin = x if fmt == "channels_last" else _first(x, rank)
    y = _run(layer, xin, [w, b])
    if fmt == "channels_first":
        y = _last(y, rank)
    expected = ref_conv_transpose(x, w, (stride,) * rank, padding, (dilation,) * rank,
                                  y.shape[1:-1]) + b  # fmt: skip
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("padding", ("valid", "same"))
@pytest.mark.parametrize("stride", (1, 2))
def test_conv_transpose_even_kernel_matches_numpy(padding, stride):
    # Odd spans above: with an even span, "same" and an explicit output_padding give lengths
    # TF's kernel rejects (Keras fails there too), so even kernels are checked without it.
    x = RNG.normal(size=(2, 4, 3, 3)).astype(np.float32)
    w = RNG.normal(size=(2, 4, 5, 3)).astype(np.float32)
    layer = layers.Conv2DTranspose(5, (2, 4), strides=stride, padding=padding, use_bias=False)
    y = _run(layer, x, [w])
    expected = ref_conv_transpose(x, w, (stride, stride), padding, (1, 1), y.shape[1:-1])
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)


def test_conv_transpose_output_lengths_follow_keras():
    # valid: n * s + max(k - s, 0); same: n * s; with output_padding: (n-1)s + k - 2(k//2) + p
    def length(**kw):
        return layers.Conv1DTranspose(2, 3, **kw).compute_output_shape((None, 5, 4))[1]

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
def test_depthwise_conv_matches_numpy(rank, padding, stride, dilation, mult, fmt):
    cls = {1: layers.DepthwiseConv1D, 2: layers.DepthwiseConv2D}[rank]
    x = RNG.normal(size=(2, *SPATIAL[rank], 3)).astype(np.float32)
    w = RNG.normal(size=(*(3,) * rank, 3, mult)).astype(np.float32)
    b = RNG.normal(size=(3 * mult,)).astype(np.float32)
    layer = cls(3, strides=stride, padding=padding, dilation_rate=dilation,
                depth_multiplier=mult, data_format=fmt)  # fmt: skip
    xin = x if fmt == "channels_last" else _first(x, rank)
    y = _run(layer, xin, [w, b])
    if fmt == "channels_first":
        y = _last(y, rank)
    expected = ref_depthwise(x, w, (stride,) * rank, padding, (dilation,) * rank) + b
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)


SEP_CASES = [
    c
    for c in itertools.product(
        (1, 2), ("valid", "same"), (1, 2), (1, 2), (1, 2), ("channels_last", "channels_first")
    )  # fmt: skip
    if not (c[2] > 1 and c[3] > 1)
]


@pytest.mark.parametrize("rank,padding,stride,dilation,mult,fmt", SEP_CASES)
def test_separable_conv_matches_numpy(rank, padding, stride, dilation, mult, fmt):
    cls = {1: layers.SeparableConv1D, 2: layers.SeparableConv2D}[rank]
    x = RNG.normal(size=(2, *SPATIAL[rank], 3)).astype(np.float32)
    dw = RNG.normal(size=(*(3,) * rank, 3, mult)).astype(np.float32)
    pw = RNG.normal(size=(*(1,) * rank, 3 * mult, 4)).astype(np.float32)
    b = RNG.normal(size=(4,)).astype(np.float32)
    layer = cls(4, 3, strides=stride, padding=padding, dilation_rate=dilation,
                depth_multiplier=mult, data_format=fmt)  # fmt: skip
    xin = x if fmt == "channels_last" else _first(x, rank)
    y = _run(layer, xin, [dw, pw, b])
    if fmt == "channels_first":
        y = _last(y, rank)
    depth = ref_depthwise(x, dw, (stride,) * rank, padding, (dilation,) * rank)
    expected = depth @ pw.reshape(3 * mult, 4) + b
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)


def test_weight_names_shapes_and_order():
    def names(layer):
        return [(v.name.split("/")[-1].split(":")[0], tuple(v.shape.as_list()))
                for v in layer.weights]  # fmt: skip

    c = layers.Conv1D(4, 3, groups=2)
    c.build((None, 7, 6))
    assert names(c) == [("kernel", (3, 3, 4)), ("bias", (4,))]
    t = layers.Conv2DTranspose(4, (2, 3))
    t.build((None, 5, 5, 6))
    assert names(t) == [("kernel", (2, 3, 4, 6)), ("bias", (4,))]
    d = layers.DepthwiseConv2D(3, depth_multiplier=2, data_format="channels_first")
    d.build((None, 6, 5, 5))
    assert names(d) == [("kernel", (3, 3, 6, 2)), ("bias", (12,))]
    s = layers.SeparableConv1D(4, 3, depth_multiplier=2)
    s.build((None, 7, 6))
    assert names(s) == [
        ("depthwise_kernel", (3, 6, 2)), ("pointwise_kernel", (1, 12, 4)), ("bias", (4,))
    ]  # fmt: skip
    assert s.count_params() == 36 + 48 + 4
    assert layers.Conv2D(1, 1).name.startswith("conv2d")
    assert layers.GlobalAveragePooling1D().name.startswith("global_average_pooling1d")


# ---- pooling ---------------------------------------------------------------------------------

POOL_CASES = [
    (rank, mode, padding, pool, stride, fmt)
    for rank, mode, padding, pool, stride, fmt in itertools.product(
        (1, 2, 3),
        ("max", "avg"),
        ("valid", "same"),
        (2, 3),
        (None, 1, 2),
        ("channels_last", "channels_first"),
    )  # fmt: skip
]
POOL_CLASSES = {
    ("max", 1): layers.MaxPooling1D, ("max", 2): layers.MaxPooling2D,
    ("max", 3): layers.MaxPooling3D, ("avg", 1): layers.AveragePooling1D,
    ("avg", 2): layers.AveragePooling2D, ("avg", 3): layers.AveragePooling3D,
}  # fmt: skip


@pytest.mark.parametrize("rank,mode,padding,pool,stride,fmt", POOL_CASES)
def test_pooling_matches_numpy(rank, mode, padding, pool, stride, fmt):
    x = RNG.normal(size=(2, *(7, 6, 5)[:rank], 3)).astype(np.float32)
    pools = (pool, 2, 3)[:rank]
    layer = POOL_CLASSES[mode, rank](pools, strides=stride, padding=padding, data_format=fmt)
    xin = x if fmt == "channels_last" else _first(x, rank)
    y = _run(layer, xin)
    if fmt == "channels_first":
        y = _last(y, rank)
    strides = pools if stride is None else (stride,) * rank
    np.testing.assert_allclose(y, ref_pool(x, pools, strides, padding, mode), rtol=1e-5,
                               atol=1e-6)  # fmt: skip


def test_max_pooling_defaults_and_aliases():
    assert layers.MaxPooling1D().pool_size == (2,) and layers.MaxPooling1D().strides == (2,)
    assert layers.MaxPooling2D().get_config()["strides"] == (2, 2)
    assert layers.MaxPooling3D().pool_size == (2, 2, 2)
    assert layers.MaxPool2D is layers.MaxPooling2D and layers.AvgPool1D is layers.AveragePooling1D
    assert layers.GlobalAvgPool3D is layers.GlobalAveragePooling3D
    assert layers.Convolution2D is layers.Conv2D and layers.get("MaxPool2D") is layers.MaxPooling2D


@pytest.mark.parametrize("rank", (1, 2, 3))
@pytest.mark.parametrize("mode", ("max", "avg"))
@pytest.mark.parametrize("fmt", ("channels_last", "channels_first"))
@pytest.mark.parametrize("keepdims", (False, True))
def test_global_pooling_matches_numpy(rank, mode, fmt, keepdims):
    cls = {
        ("max", 1): layers.GlobalMaxPooling1D, ("max", 2): layers.GlobalMaxPooling2D,
        ("max", 3): layers.GlobalMaxPooling3D, ("avg", 1): layers.GlobalAveragePooling1D,
        ("avg", 2): layers.GlobalAveragePooling2D, ("avg", 3): layers.GlobalAveragePooling3D,
    }[mode, rank]  # fmt: skip
    x = RNG.normal(size=(2, 3, *(5, 4, 3)[:rank])).astype(np.float32)  # channels_first
    axes = tuple(range(2, 2 + rank))
    if fmt == "channels_last":
        x = _last(x, rank)
        axes = tuple(range(1, 1 + rank))
    y = _run(cls(data_format=fmt, keepdims=keepdims), x)
    fn = np.max if mode == "max" else np.mean
    np.testing.assert_allclose(y, fn(x, axis=axes, keepdims=keepdims), rtol=1e-5, atol=1e-6)


# ---- gradients, tracing, config --------------------------------------------------------------


def test_conv2d_gradients_match_central_differences():
    x0 = RNG.normal(size=(1, 5, 4, 2))
    w0 = RNG.normal(size=(3, 2, 2, 3))
    layer = layers.Conv2D(3, (3, 2), strides=(2, 1), padding="same", activation="tanh",
                          dtype="float64")  # fmt: skip
    layer.build(x0.shape)
    layer.set_weights([w0, np.array([0.1, -0.2, 0.3])])
    probe = RNG.normal(size=layer.compute_output_shape(x0.shape))

    def loss_of(x):
        return float(np.sum(layer(x).numpy() * probe))

    x = tf.constant(x0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(layer(x) * probe)
    gx, gw = tape.gradient(loss, [x, layer.kernel])
    eps = 1e-6
    num_x = np.zeros_like(x0)
    for i in np.ndindex(*x0.shape):
        d = np.zeros_like(x0)
        d[i] = eps
        num_x[i] = (loss_of(x0 + d) - loss_of(x0 - d)) / (2 * eps)
    np.testing.assert_allclose(gx.numpy(), num_x, rtol=1e-6, atol=1e-7)
    num_w = np.zeros_like(w0)
    for i in np.ndindex(*w0.shape):
        for sign in (1, -1):
            w = w0.copy()
            w[i] += sign * eps
            layer.kernel.assign(w)
            num_w[i] += sign * loss_of(x0) / (2 * eps)
    layer.kernel.assign(w0)
    np.testing.assert_allclose(gw.numpy(), num_w, rtol=1e-6, atol=1e-7)


TRACED = [
    (lambda: layers.Conv1D(3, 3, padding="causal", dilation_rate=2), (2, 9, 4)),
    (
        lambda: layers.Conv2D(
            4, 3, strides=2, padding="same", groups=2, data_format="channels_first"
        ),
        (2, 4, 7, 7),
    ),  # fmt: skip
    (lambda: layers.Conv2DTranspose(3, 3, strides=2, output_padding=1), (2, 4, 5, 3)),
    (lambda: layers.Conv1DTranspose(3, 2, padding="same"), (2, 6, 3)),
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=2), (2, 6, 6, 3)),
    (lambda: layers.SeparableConv1D(4, 3, padding="same"), (2, 8, 3)),
    (lambda: layers.MaxPooling3D(padding="same"), (2, 5, 4, 3, 2)),
    (lambda: layers.AveragePooling2D(3, strides=1, data_format="channels_first"), (2, 2, 5, 5)),
    (lambda: layers.GlobalAveragePooling1D(keepdims=True), (2, 5, 3)),
]


@pytest.mark.parametrize("make,shape", TRACED)
def test_eager_equals_traced(make, shape):
    layer = make()
    x = tf.constant(RNG.normal(size=shape).astype(np.float32))
    eager = layer(x).numpy()
    traced = tf.function(lambda t: layer(t))
    np.testing.assert_allclose(traced(x).numpy(), eager, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(traced(x * 2.0).numpy(), layer(x * 2.0).numpy(), rtol=1e-6,
                               atol=1e-6)  # fmt: skip


@pytest.mark.parametrize("make,shape", TRACED)
def test_config_round_trip(make, shape):
    layer = make()
    x = RNG.normal(size=shape).astype(np.float32)
    y = layer(x).numpy()
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    clone.build(shape)
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(clone(x).numpy(), y)
    again = layers.deserialize(layers.serialize(layer))
    assert type(again) is type(layer) and again.get_config() == config


def test_conv_config_keys_match_keras():
    common = {"name", "trainable", "dtype", "kernel_size", "strides", "padding", "data_format",
              "dilation_rate", "activation", "use_bias", "bias_initializer", "bias_regularizer",
              "activity_regularizer", "bias_constraint"}  # fmt: skip
    kernel = {"kernel_initializer", "kernel_regularizer", "kernel_constraint", "filters"}
    depth = {"depthwise_initializer", "depthwise_regularizer", "depthwise_constraint",
             "depth_multiplier"}  # fmt: skip
    point = {"pointwise_initializer", "pointwise_regularizer", "pointwise_constraint", "filters"}
    assert set(layers.Conv2D(2, 3).get_config()) == common | kernel | {"groups"}
    assert set(layers.Conv1DTranspose(2, 3).get_config()) == common | kernel | {"output_padding"}
    assert set(layers.DepthwiseConv1D(3).get_config()) == common | depth
    assert set(layers.SeparableConv2D(2, 3).get_config()) == common | depth | point
    config = layers.Conv1D(2, 3).get_config()
    assert config["kernel_size"] == (3,) and config["strides"] == (1,)
    assert config["data_format"] == "channels_last" and config["activation"] == "linear"
    assert set(layers.MaxPooling2D().get_config()) == {
        "name", "trainable", "dtype", "pool_size", "padding", "strides", "data_format"
    }  # fmt: skip
    assert set(layers.GlobalMaxPooling3D().get_config()) == {
        "name", "trainable", "dtype", "data_format", "keepdims"
    }  # fmt: skip


def test_regularizers_and_activity_regularizer_losses():
    x = RNG.normal(size=(4, 6, 2)).astype(np.float32)
    layer = layers.Conv1D(2, 3, kernel_regularizer=regularizers.L2(0.1),
                          activity_regularizer=regularizers.L1(0.01))  # fmt: skip
    y = layer(x).numpy()
    kernel_loss, activity_loss = (float(v.numpy()) for v in layer.losses)
    np.testing.assert_allclose(kernel_loss, 0.1 * np.sum(layer.kernel.numpy() ** 2), rtol=1e-5)
    np.testing.assert_allclose(activity_loss, 0.01 * np.abs(y).sum() / 4, rtol=1e-5)


def test_symbolic_call_and_integer_inputs():
    inp = layers.Input(shape=(8, 8, 3))
    out = layers.MaxPooling2D()(layers.Conv2D(2, 3, padding="same")(inp))
    assert out.shape == (None, 4, 4, 2)
    y = layers.AveragePooling1D(2)(np.arange(8, dtype=np.int32).reshape(1, 4, 2))
    np.testing.assert_allclose(y.numpy(), [[[1, 2], [5, 6]]])


# ---- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda: layers.Conv2D(0, 3), "filters=0"),
        (lambda: layers.Conv1D(-2, 3), "filters=-2"),
        (lambda: layers.Conv2D(2, 0), "kernel_size=0"),
        (lambda: layers.Conv2D(2, (3, 3, 3)), r"kernel_size=\(3, 3, 3\)"),
        (lambda: layers.Conv2D(2, 3, strides=0), "strides=0"),
        (lambda: layers.Conv2D(2, 3, dilation_rate=-1), "dilation_rate=-1"),
        (lambda: layers.Conv2D(2, 3, padding="full"), "Received: full"),
        (lambda: layers.Conv2D(2, 3, padding="causal"), "Received: causal"),
        (lambda: layers.Conv2D(2, 3, data_format="NHWC"), "data_format=nhwc"),
        (lambda: layers.Conv2D(3, 3, groups=2), "groups=2, filters=3"),
        (lambda: layers.Conv2D(3, 3, groups=0), "groups=0"),
        (lambda: layers.Conv2D(2, 3, strides=2, dilation_rate=2), "dilation_rate"),
        (lambda: layers.Conv2DTranspose(2, 3, strides=2, output_padding=2), "output_padding"),
        (lambda: layers.DepthwiseConv2D(3, depth_multiplier=0), "depth_multiplier=0"),
        (lambda: layers.SeparableConv1D(0, 3), "filters=0"),
        (lambda: layers.MaxPooling2D(0), "pool_size=0"),
        (lambda: layers.AveragePooling1D(2, padding="causal"), "Received: causal"),
        (lambda: layers.GlobalMaxPooling2D(data_format="x"), "data_format=x"),
    ],
)
def test_bad_arguments_raise_value_error(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_inputs_raise_value_error():
    with pytest.raises(ValueError, match="3 channels"):
        layers.Conv2D(4, 3, groups=2)(np.zeros((1, 5, 5, 3), np.float32))
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=3"):
        layers.Conv2D(4, 3)(np.zeros((1, 5, 5), np.float32))
    with pytest.raises(ValueError, match="zero or negative"):
        layers.Conv2D(2, 7)(np.zeros((1, 5, 5, 3), np.float32))
    with pytest.raises(ValueError, match="zero or negative"):
        layers.MaxPooling2D(7)(np.zeros((1, 5, 5, 3), np.float32))
    with pytest.raises(ValueError, match="expected ndim=5"):
        layers.GlobalMaxPooling3D()(np.zeros((1, 5, 5, 3), np.float32))


@pytest.mark.parametrize("fmt", ("channels_last", "channels_first"))
def test_global_average_pooling_1d_mask(fmt):
    x = RNG.normal(size=(2, 5, 3)).astype(np.float32)
    mask = np.array([[1, 0, 1, 1, 0], [0, 0, 0, 1, 0]], bool)
    layer = layers.GlobalAveragePooling1D(data_format=fmt)
    xin = x if fmt == "channels_last" else _first(x, 1)
    y = layer(xin, mask=mask).numpy()
    expected = [x[i][mask[i]].mean(axis=0) for i in range(2)]
    np.testing.assert_allclose(y, expected, rtol=1e-6)
    assert layer.supports_masking and layer.compute_mask(xin, mask) is None
    traced = tf.function(lambda t, m: layer(t, mask=m))
    np.testing.assert_allclose(traced(tf.constant(xin), tf.constant(mask)).numpy(), y, rtol=1e-6)


GRADIENT_CASES = [
    (layers.Conv1D, (4, 3), {"padding": "causal", "groups": 2, "dilation_rate": 2}, (1, 6, 2)),
    (layers.Conv2DTranspose, (2, 3), {"strides": 2, "padding": "same", "output_padding": 1,
                                      "data_format": "channels_first"}, (1, 2, 3, 2)),
    (layers.DepthwiseConv2D, (2,), {"depth_multiplier": 2, "strides": 2}, (1, 4, 5, 2)),
    (layers.SeparableConv1D, (2, 3), {"padding": "same"}, (1, 5, 2)),
    (layers.MaxPooling3D, (2,), {"strides": 1, "padding": "same"}, (1, 3, 3, 2, 2)),
    (layers.AveragePooling3D, (2,), {"padding": "same", "data_format": "channels_first"},
     (1, 2, 3, 3, 3)),
    (layers.GlobalMaxPooling2D, (), {}, (2, 3, 3, 2)),
]  # fmt: skip


@pytest.mark.parametrize("cls,args,kwargs,shape", GRADIENT_CASES)
def test_input_gradients_match_central_differences(cls, args, kwargs, shape):
    layer = cls(*args, dtype="float64", **kwargs)
    x0 = RNG.normal(size=shape)
    probe = RNG.normal(size=layer.compute_output_shape(shape))
    x = tf.constant(x0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(layer(x) * probe)
    grad = tape.gradient(loss, x).numpy()
    eps, num = 1e-6, np.zeros_like(x0)
    for i in np.ndindex(*shape):
        d = np.zeros_like(x0)
        d[i] = eps
        num[i] = np.sum((layer(x0 + d).numpy() - layer(x0 - d).numpy()) * probe) / (2 * eps)
    np.testing.assert_allclose(grad, num, rtol=1e-5, atol=1e-7)
