"""Neural-network kernels (NHWC): TF's errors for bad input, the C++ safety net, and threads.

The NumPy references for every registered (op, dtype) are in test_kernels_reference.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import tensorhouse_kernels as tk
from tensorhouse_hw_runtime import errors
from tensorhouse_kernels import _cpu

CONV = {"strides": [1, 1, 1, 1], "padding": "SAME"}
POOL = {"ksize": [1, 2, 2, 1], "strides": [1, 2, 2, 1], "padding": "VALID"}


def f32(*shape):
    return np.ones(shape, np.float32)


def run(cpu, op, inputs, attrs):
    outputs, _ = tk.execute(op, inputs, attrs, cpu)
    return outputs


# ---- TF's errors ------------------------------------------------------------------------------


def test_conv2d_depth_mismatch_names_the_shapes(cpu):
    with pytest.raises(errors.InvalidArgumentError) as info:
        run(cpu, "Conv2D", [f32(1, 4, 4, 3), f32(2, 2, 2, 5)], CONV)
    msg = str(info.value)
    assert "3 vs 2" in msg and "[1,4,4,3]" in msg and "[2,2,2,5]" in msg
    assert msg.endswith("[Op:Conv2D]")


def test_conv2d_rank_and_dtype(cpu):
    with pytest.raises(
        errors.InvalidArgumentError, match=r"input must be 4-dimensional.*\[4,4,3\]"
    ):
        run(cpu, "Conv2D", [f32(4, 4, 3), f32(2, 2, 3, 5)], CONV)
    with pytest.raises(errors.InvalidArgumentError, match="float32 tensor but is a float64"):
        run(cpu, "Conv2D", [f32(1, 4, 4, 3), np.ones((2, 2, 3, 5))], CONV)


def test_conv2d_negative_output_size(cpu):
    attrs = {"strides": [1, 1, 1, 1], "padding": "VALID"}
    with pytest.raises(errors.InvalidArgumentError, match="Computed output size would be negative"):
        run(cpu, "Conv2D", [f32(1, 2, 2, 1), f32(4, 1, 1, 1)], attrs)


def test_conv2d_bad_attrs(cpu):
    with pytest.raises(errors.UnimplementedError, match="batch and depth"):
        run(
            cpu,
            "Conv2D",
            [f32(1, 4, 4, 1), f32(2, 2, 1, 1)],
            {"strides": [2, 1, 1, 1], "padding": "SAME"},
        )
    with pytest.raises(errors.InvalidArgumentError, match="Unknown padding"):
        run(cpu, "Conv2D", [f32(1, 4, 4, 1), f32(2, 2, 1, 1)], {"strides": 1, "padding": "FULL"})
    with pytest.raises(errors.InvalidArgumentError, match="explicit_paddings"):
        run(cpu, "Conv2D", [f32(1, 4, 4, 1), f32(2, 2, 1, 1)],
            {"strides": 1, "padding": "EXPLICIT", "explicit_paddings": [1, 1]})  # fmt: skip
    with pytest.raises(errors.UnimplementedError, match="NHWC"):
        run(cpu, "Conv2D", [f32(1, 4, 4, 1), f32(2, 2, 1, 1)], dict(CONV, data_format="NCHW"))


def test_conv_backprop_shape_mismatch(cpu):
    attrs = dict(CONV, input_sizes=(1, 4, 4, 3))
    with pytest.raises(errors.InvalidArgumentError, match=r"out_backprop shape \[1,3,4,5\]"):
        run(cpu, "Conv2DBackpropInput", [f32(2, 2, 3, 5), f32(1, 3, 4, 5)], attrs)


def test_pool_and_bias_errors(cpu):
    with pytest.raises(errors.InvalidArgumentError, match=r"gradient shape \[1,3,2,1\]"):
        run(cpu, "MaxPoolGrad", [f32(1, 4, 4, 1), f32(1, 2, 2, 1), f32(1, 3, 2, 1)], POOL)
    with pytest.raises(errors.InvalidArgumentError, match=r"bias must be 1-D of size 4.*\[3\]"):
        run(cpu, "BiasAdd", [f32(2, 4), f32(3)], {})
    with pytest.raises(errors.InvalidArgumentError, match="at least 2D"):
        run(cpu, "BiasAdd", [f32(4), f32(4)], {})


def test_batch_norm_errors(cpu):
    with pytest.raises(errors.InvalidArgumentError, match=r"scale must be 1-D of size 3.*\[2\]"):
        run(cpu, "FusedBatchNormV3", [f32(1, 2, 2, 3), f32(2), f32(3), f32(0), f32(0)], {})
    # inference needs the running statistics
    with pytest.raises(errors.InvalidArgumentError, match="mean must be 1-D"):
        run(cpu, "FusedBatchNormV3", [f32(1, 2, 2, 3), f32(3), f32(3), f32(0), f32(0)],
            {"is_training": False})  # fmt: skip
    with pytest.raises(errors.InvalidArgumentError, match="gamma must be 1-D of size 4"):
        run(cpu, "LayerNorm", [f32(2, 4), f32(3), f32(4)], {})


def test_cpp_safety_net_checks_before_touching_memory():
    # Called directly, past the op definitions: a mismatched output is refused, not written.
    with pytest.raises(ValueError, match="do not match"):
        _cpu.conv2d(0, f32(1, 4, 4, 3), f32(2, 2, 2, 5), f32(1, 4, 4, 5), 1, 1, 1, 1, 0, 0)
    with pytest.raises(ValueError, match="strides"):
        _cpu.conv2d(0, f32(1, 4, 4, 3), f32(2, 2, 3, 5), f32(1, 4, 4, 5), 0, 1, 1, 1, 0, 0)
    with pytest.raises(ValueError, match="4-D"):
        _cpu.pool(0, f32(4, 4, 3), f32(1, 2, 2, 3), f32(1), 2, 2, 2, 2, 0, 0)
    with pytest.raises(ValueError, match="bias must be 1-D"):
        _cpu.bias_add(f32(2, 4), f32(3), f32(2, 4))
    with pytest.raises(TypeError, match="float32 or float64"):
        _cpu.conv2d(0, np.ones((1, 2, 2, 1), np.int64), np.ones((1, 1, 1, 1), np.int64),
                    np.ones((1, 2, 2, 1), np.int64), 1, 1, 1, 1, 0, 0)  # fmt: skip


def test_geometry_beyond_the_input_reads_only_padding(cpu):
    # Explicit padding larger than the filter: windows entirely in the padding give zeros.
    attrs = {"strides": [1, 1, 1, 1], "padding": "EXPLICIT",
             "explicit_paddings": [0, 0, 3, 3, 3, 3, 0, 0]}  # fmt: skip
    (y,) = run(cpu, "Conv2D", [f32(1, 2, 2, 1), f32(1, 1, 1, 1)], attrs)
    assert y.shape == (1, 8, 8, 1) and y.sum() == 4


# ---- threads: bit-identical at 1, 2 and 7 -----------------------------------------------------


def same_at_thread_counts(kernel_threads, cpu, op, inputs, attrs):
    results = []
    for n in (1, 2, 7):
        kernel_threads(n)
        results.append(run(cpu, op, inputs, attrs))
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b, err_msg=op)
    return results[0]


NN_THREAD_CASES = [
    ("Conv2D", [(8, 20, 20, 8), (3, 3, 8, 16)], CONV),
    ("Conv2DBackpropInput", [(3, 3, 8, 16), (8, 20, 20, 16)],
     dict(CONV, input_sizes=(8, 20, 20, 8))),
    ("Conv2DBackpropFilter", [(8, 20, 20, 8), (8, 20, 20, 16)],
     dict(CONV, filter_sizes=(3, 3, 8, 16))),
    ("DepthwiseConv2dNative", [(8, 20, 20, 8), (3, 3, 8, 2)], CONV),
    ("DepthwiseConv2dNativeBackpropInput", [(3, 3, 8, 2), (8, 20, 20, 16)],
     dict(CONV, input_sizes=(8, 20, 20, 8))),
    ("DepthwiseConv2dNativeBackpropFilter", [(8, 20, 20, 8), (8, 20, 20, 16)],
     dict(CONV, filter_sizes=(3, 3, 8, 2))),
    ("MaxPool", [(8, 40, 40, 16)], POOL),
    ("AvgPool", [(8, 40, 40, 16)], dict(POOL, padding="SAME", strides=[1, 1, 1, 1])),
    ("MaxPoolGrad", [(8, 40, 40, 16), (8, 20, 20, 16), (8, 20, 20, 16)], POOL),
    ("AvgPoolGrad", [(8, 20, 20, 16)], dict(POOL, orig_input_shape=(8, 40, 40, 16))),
    ("BiasAdd", [(4000, 64), (64,)], {}),
    ("BiasAddGrad", [(4000, 64)], {}),
    ("FusedBatchNormV3", [(8, 30, 30, 16), (16,), (16,), (0,), (0,)], {}),
    ("FusedBatchNormGradV3", [(8, 30, 30, 16), (8, 30, 30, 16), (16,), (16,), (16,), (0,)], {}),
    ("LayerNorm", [(2000, 64), (64,), (64,)], {}),
    ("LayerNormGrad", [(2000, 64), (2000, 64), (64,), (2000,), (2000,)], {}),
]  # fmt: skip


@pytest.mark.parametrize("op, shapes, attrs", NN_THREAD_CASES, ids=[c[0] for c in NN_THREAD_CASES])
def test_threads_bit_identical(op, shapes, attrs, cpu, kernel_threads):
    rng = np.random.default_rng(11)
    inputs = [rng.uniform(0.5, 1.5, s).astype(np.float32) for s in shapes]
    same_at_thread_counts(kernel_threads, cpu, op, inputs, attrs)


# ---- the direct AVX-512 convolutions (channels a multiple of 16) against float64 -------------
# On CPUs with AVX-512, float32 Conv2D and its filter gradient with output channels a multiple
# of 16, and the input gradient at stride 1 with input channels a multiple of 16, skip im2col.
# The registry's reference cases use fewer channels, so these cases cover that path (elsewhere
# they check the GEMM path again).


def conv_refs(x, f, dy, s, d, pads):
    """Forward, input gradient and filter gradient in float64, with explicit padding."""
    (t, b, lft, r), (kh, kw) = pads, f.shape[:2]
    xp = np.pad(x.astype(np.float64), ((0, 0), (t, b), (lft, r), (0, 0)))
    oh, ow = dy.shape[1:3]

    def view(a, ky, kx):
        y0, x0 = ky * d[0], kx * d[1]
        return a[:, y0 : y0 + (oh - 1) * s[0] + 1 : s[0], x0 : x0 + (ow - 1) * s[1] + 1 : s[1]]

    y = np.zeros(dy.shape)
    dxp = np.zeros(xp.shape)
    df = np.zeros(f.shape)
    f64, dy64 = f.astype(np.float64), dy.astype(np.float64)
    for ky in range(kh):
        for kx in range(kw):
            y += view(xp, ky, kx) @ f64[ky, kx]
            view(dxp, ky, kx)[...] += dy64 @ f64[ky, kx].T
            df[ky, kx] = np.einsum("nhwc,nhwo->co", view(xp, ky, kx), dy64)
    dx = dxp[:, t : t + x.shape[1], lft : lft + x.shape[2]]
    return y, dx, df


DIRECT_CASES = [  # x shape, (kh, kw), out channels, strides, dilations, (top, bottom, left, right)
    ((2, 9, 11, 16), (3, 3), 32, (1, 1), (1, 1), (1, 1, 1, 1)),
    ((3, 28, 28, 16), (3, 3), 32, (1, 1), (1, 1), (1, 1, 1, 1)),
    ((2, 9, 11, 16), (3, 3), 16, (1, 1), (1, 1), (0, 0, 0, 0)),
    ((1, 10, 9, 3), (3, 2), 48, (2, 1), (1, 2), (1, 2, 0, 1)),
    ((2, 7, 30, 32), (5, 5), 16, (1, 1), (1, 1), (3, 3, 0, 4)),
    ((1, 8, 8, 16), (3, 3), 64, (1, 1), (2, 2), (2, 2, 2, 2)),
    ((1, 4, 4, 16), (1, 1), 16, (1, 1), (1, 1), (0, 0, 0, 0)),
    ((1, 2, 2, 16), (1, 1), 16, (1, 1), (1, 1), (3, 3, 3, 3)),
    ((1, 9, 7, 17), (2, 2), 16, (1, 1), (1, 1), (1, 0, 0, 1)),
]  # fmt: skip


@pytest.mark.parametrize("case", DIRECT_CASES, ids=[str(i) for i in range(len(DIRECT_CASES))])
def test_direct_conv_matches_float64(case, cpu):
    xs, (kh, kw), o, s, d, pads = case
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, xs).astype(np.float32)
    f = rng.uniform(-1, 1, (kh, kw, xs[3], o)).astype(np.float32)
    oh = (xs[1] + pads[0] + pads[1] - (kh - 1) * d[0] - 1) // s[0] + 1
    ow = (xs[2] + pads[2] + pads[3] - (kw - 1) * d[1] - 1) // s[1] + 1
    dy = rng.uniform(-1, 1, (xs[0], oh, ow, o)).astype(np.float32)
    attrs = {"strides": [1, *s, 1], "dilations": [1, *d, 1], "padding": "EXPLICIT",
             "explicit_paddings": [0, 0, *pads, 0, 0]}  # fmt: skip
    y_ref, dx_ref, df_ref = conv_refs(x, f, dy, s, d, pads)
    (y,) = run(cpu, "Conv2D", [x, f], attrs)
    (dx,) = run(cpu, "Conv2DBackpropInput", [f, dy], dict(attrs, input_sizes=xs))
    (df,) = run(cpu, "Conv2DBackpropFilter", [x, dy], dict(attrs, filter_sizes=f.shape))
    np.testing.assert_allclose(y, y_ref, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(df, df_ref, rtol=1e-5, atol=1e-3)
