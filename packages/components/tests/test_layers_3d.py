"""The 3-D layers through ``run_layer_test`` (shapes, config, eager == traced, float64
gradients against central differences), and ``Conv3D`` (composed of 2-D convolutions) against a
direct NumPy 3-D convolution."""

import numpy as np
import pytest

import tensorhouse_ops as ops
from tensorhouse_components import layers
from tensorhouse_components.testing import run_layer_test

RNG = np.random.default_rng(4)

CASES = [
    (layers.Conv3D, {"filters": 2, "kernel_size": 2}, (2, 3, 4, 3, 2), (2, 2, 3, 2, 2),
     {"check_gradients": True}),
    (layers.Conv3D, {"filters": 2, "kernel_size": 3, "padding": "same", "strides": 2},
     (1, 5, 4, 3, 2), (1, 3, 2, 2, 2), {"check_gradients": True}),
    (layers.Conv3D, {"filters": 4, "kernel_size": (2, 1, 2), "groups": 2,
                     "data_format": "channels_first"}, (1, 2, 3, 3, 3), (1, 4, 2, 3, 2), {}),
    (layers.Conv3DTranspose, {"filters": 2, "kernel_size": 2, "strides": 2}, (1, 2, 3, 2, 2),
     (1, 4, 6, 4, 2), {"check_gradients": True}),
    (layers.Conv3DTranspose, {"filters": 3, "kernel_size": 3, "padding": "same",
                              "data_format": "channels_first"}, (2, 2, 3, 2, 3), (2, 3, 3, 2, 3),
     {}),
    (layers.UpSampling3D, {"size": (2, 1, 3)}, (2, 2, 3, 2, 1), (2, 4, 3, 6, 1),
     {"check_gradients": True}),
    (layers.MaxPooling3D, {"pool_size": 2}, (1, 4, 4, 4, 2), (1, 2, 2, 2, 2), {}),
    (layers.AveragePooling3D, {"pool_size": 2, "padding": "same"}, (1, 3, 3, 3, 1),
     (1, 2, 2, 2, 1), {"check_gradients": True}),
    (layers.GlobalAveragePooling3D, {}, (2, 2, 3, 2, 4), (2, 4), {"check_gradients": True}),
    (layers.SpatialDropout3D, {"rate": 0.5, "seed": 1}, (2, 2, 2, 2, 3), (2, 2, 2, 2, 3),
     {"random_in_training": True}),
    (layers.GlobalMaxPooling3D, {"keepdims": True}, (2, 2, 3, 2, 4), (2, 1, 1, 1, 4), {}),
    (layers.ZeroPadding3D, {"padding": 1}, (1, 2, 2, 2, 1), (1, 4, 4, 4, 1), {}),
    (layers.Cropping3D, {"cropping": ((1, 0), (0, 1), (1, 1))}, (1, 3, 3, 4, 2),
     (1, 2, 2, 2, 2), {}),
]  # fmt: skip


@pytest.mark.parametrize("cls, kwargs, input_shape, output_shape, extra", CASES)
def test_3d_layers_run_layer_test(cls, kwargs, input_shape, output_shape, extra):
    run_layer_test(cls, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   **extra)  # fmt: skip


def np_conv3d(x, k, strides=(1, 1, 1), padding="valid", dilation=(1, 1, 1)):
    """Direct 3-D cross-correlation of NDHWC ``x`` with a DHWIO kernel (TF's SAME padding)."""
    spans = [(n - 1) * d + 1 for n, d in zip(k.shape[:3], dilation)]
    if padding == "same":
        outs = [-(-n // s) for n, s in zip(x.shape[1:4], strides)]
        totals = [max((o - 1) * s + sp - n, 0)
                  for o, s, sp, n in zip(outs, strides, spans, x.shape[1:4])]  # fmt: skip
        x = np.pad(x, [(0, 0), *[(t // 2, t - t // 2) for t in totals], (0, 0)])
    outs = [(n - sp) // s + 1 for n, sp, s in zip(x.shape[1:4], spans, strides)]
    y = np.zeros((x.shape[0], *outs, k.shape[-1]))
    for a in range(k.shape[0]):
        for b in range(k.shape[1]):
            for c in range(k.shape[2]):
                starts = (a * dilation[0], b * dilation[1], c * dilation[2])
                sl = x[:, starts[0] :: strides[0], starts[1] :: strides[1], starts[2] :: strides[2]]
                sl = sl[:, : outs[0], : outs[1], : outs[2]]
                y += np.einsum("bdhwc,cf->bdhwf", sl, k[a, b, c])
    return y


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"padding": "same"},
        {"strides": (2, 1, 2)},
        {"dilation_rate": 2},
        {"padding": "same", "strides": 2},
    ],  # fmt: skip
)
def test_conv3d_matches_numpy_eager_and_traced(kwargs):
    x = RNG.normal(size=(2, 6, 5, 6, 3)).astype(np.float32)
    layer = layers.Conv3D(4, (3, 2, 3), **kwargs)
    layer.build(x.shape)
    k = RNG.normal(size=(3, 2, 3, 3, 4)).astype(np.float32)
    b = RNG.normal(size=(4,)).astype(np.float32)
    layer.set_weights([k, b])
    expected = np_conv3d(
        x, k, kwargs.get("strides", (1, 1, 1)) if not isinstance(kwargs.get("strides"), int)
        else (kwargs["strides"],) * 3, kwargs.get("padding", "valid"),
        (kwargs.get("dilation_rate", 1),) * 3,
    ) + b  # fmt: skip
    np.testing.assert_allclose(layer(x), expected, rtol=1e-4, atol=1e-4)
    traced = ops.function(lambda v: layer(v))(ops.constant(x))
    np.testing.assert_allclose(traced, expected, rtol=1e-4, atol=1e-4)


def test_conv3d_kernel_gradient_is_the_correlation_with_the_output_gradient():
    x = RNG.normal(size=(2, 4, 3, 4, 2))
    layer = layers.Conv3D(3, 2, use_bias=False, dtype="float64")
    layer.build(x.shape)
    g = RNG.normal(size=(2, 3, 2, 3, 3))
    with ops.GradientTape() as tape:
        loss = ops.reduce_sum(layer(x) * g)
    grad = tape.gradient(loss, layer.kernel).numpy()
    expected = np.zeros((2, 2, 2, 2, 3))
    for a in range(2):
        for b in range(2):
            for c in range(2):
                sl = x[:, a : a + 3, b : b + 2, c : c + 3]
                expected[a, b, c] = np.einsum("bdhwc,bdhwf->cf", sl, g)
    np.testing.assert_allclose(grad, expected, rtol=1e-10)


def test_conv3d_bad_input_rank_and_config():
    layer = layers.Conv3D(2, 3)
    with pytest.raises(ValueError, match="expected ndim=5"):
        layer(np.zeros((1, 4, 4, 2), np.float32))
    cfg = layers.Conv3D(2, 3).get_config()
    assert cfg["kernel_size"] == (3, 3, 3) and cfg["strides"] == (1, 1, 1)
    assert cfg["dilation_rate"] == (1, 1, 1) and cfg["groups"] == 1
    assert layers.Convolution3D is layers.Conv3D
    assert layers.UpSampling3D().get_config()["size"] == (2, 2, 2)


def test_spatial_dropout_3d_drops_whole_channels():
    x = np.ones((4, 2, 3, 2, 8), np.float32)
    y = np.asarray(layers.SpatialDropout3D(0.5, seed=1)(x, training=True))
    per_channel = y.reshape(4, -1, 8)
    assert np.all(per_channel == per_channel[:, :1])  # one draw per (sample, channel)
    assert set(np.unique(y)) <= {0.0, 2.0}
    np.testing.assert_array_equal(layers.SpatialDropout3D(0.5)(x), x)
