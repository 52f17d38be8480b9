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
        _cpu.conv2d(0, np.ones((1, 2, 2, 1), np.int32), np.ones((1, 1, 1, 1), np.int32),
                    np.ones((1, 2, 2, 1), np.int32), 1, 1, 1, 1, 0, 0)  # fmt: skip


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
