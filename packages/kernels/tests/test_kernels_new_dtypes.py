"""TruncateMod, and the kernels of the dtypes TF has that came later: bool Equal, integer
MatMul, int8 / int16, float16 / bfloat16 (computed in float32, each result rounded back).
Each check runs on the CPU kernels and, where JAX is installed, on the XLA ones."""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest

import tensorhouse_kernels as tk
from tensorhouse_hw_runtime import errors, from_host, get_device, list_devices, to_host

CPU = get_device("/device:CPU:0")
HAS_JAX = importlib.util.find_spec("jax") is not None
XLA = next(iter(list_devices("XLA_CPU")), None) if HAS_JAX else None
DEVICES = [CPU] + ([XLA] if XLA is not None else [])
IDS = [d.device_type for d in DEVICES]


def run(device, op, inputs, attrs=None):
    """The outputs of ``op`` on ``device`` as NumPy arrays."""
    ins = [from_host(np.asarray(x), device) for x in inputs]
    outputs, used = tk.execute(op, ins, dict(attrs or {}), device)
    assert used is device
    return [np.asarray(to_host(o, device)) for o in outputs]


def run1(device, op, inputs, attrs=None):
    (out,) = run(device, op, inputs, attrs)
    return out


# ---- TruncateMod ---------------------------------------------------------------------------


@pytest.mark.parametrize("device", DEVICES, ids=IDS)
def test_truncate_mod_floats_are_fmod(device):
    x = np.float32([-3.0, 3.4e38, 7.5, -7.5, 7.5, -0.0, 5.0, np.inf, 1e-45])
    y = np.float32([np.inf, 7.0, 2.0, 2.0, -2.0, 3.0, 0.0, 2.0, 2.0])
    out = run1(device, "TruncateMod", [x, y])
    assert out.dtype == np.float32
    want = np.float32([-3, 1, 1.5, -1.5, 1.5, -0.0, np.nan, np.nan, 1e-45])
    np.testing.assert_array_equal(out, want)
    assert np.signbit(out[5])
    big = run1(device, "TruncateMod", [np.float64([1e300, -5.5]), np.float64([7.0, 2.0])])
    np.testing.assert_array_equal(big, [math.fmod(1e300, 7.0), -1.5])


@pytest.mark.parametrize("device", DEVICES, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_truncate_mod_subnormal_divisor_is_nan_as_tf_cpu(device, dtype):
    tiny = np.finfo(dtype).tiny
    y = np.array([tiny / 4, tiny, -tiny / 1024], dtype)  # subnormal, smallest normal, subnormal
    out = run1(device, "TruncateMod", [np.full(3, 2, dtype), y])
    assert np.isnan(out[0]) and np.isnan(out[2])
    assert out[1] == np.fmod(dtype(2), tiny)


@pytest.mark.parametrize("device", DEVICES, ids=IDS)
@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_truncate_mod_integers_are_c_remainder(device, dtype):
    x = np.array([7, -7, 7, -7, 0, np.iinfo(dtype).min, 9], dtype)
    y = np.array([3, 3, -3, -3, 5, -1, 1], dtype)
    out = run1(device, "TruncateMod", [x, y])
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, [1, -1, 1, -1, 0, 0, 0])
    bc = run1(device, "TruncateMod", [np.array([[9], [-9]], dtype), np.array([2, 4, 5], dtype)])
    np.testing.assert_array_equal(bc, [[1, 1, 4], [-1, -1, -4]])


@pytest.mark.parametrize("device", DEVICES, ids=IDS)
def test_truncate_mod_integer_zero_divisor_is_tfs_internal_error(device):
    with pytest.raises(errors.InternalError, match=r"only integer div and mod.*\[Op:TruncateMod\]"):
        run(device, "TruncateMod", [np.int32([1, 2]), np.int32([1, 0])])
    # an empty result divides nothing
    assert run1(device, "TruncateMod", [np.zeros(0, np.int32), np.zeros(0, np.int32)]).shape == (0,)


def test_truncate_mod_has_no_half_kernel_as_tf():
    with pytest.raises(errors.NotFoundError):
        run(CPU, "TruncateMod", [np.float16([1.0]), np.float16([1.0])])


# ---- bool Equal, integer MatMul --------------------------------------------------------------


@pytest.mark.parametrize("device", DEVICES, ids=IDS)
def test_equal_and_not_equal_on_bool(device):
    a = np.array([[True, False, True, False]])
    b = np.array([[True], [False]])
    np.testing.assert_array_equal(run1(device, "Equal", [a, b]), a == b)
    np.testing.assert_array_equal(run1(device, "NotEqual", [a, b]), a != b)


@pytest.mark.parametrize("device", DEVICES, ids=IDS)
@pytest.mark.parametrize("dtype", [np.int16, np.int32, np.int64])
def test_integer_matmul(device, dtype):
    rng = np.random.default_rng(3)
    a = rng.integers(-50, 50, (5, 7)).astype(dtype)
    b = rng.integers(-50, 50, (7, 4)).astype(dtype)
    want = (a.astype(np.int64) @ b.astype(np.int64)).astype(dtype)  # wraps as TF's
    np.testing.assert_array_equal(run1(device, "MatMul", [a, b]), want)
    got = run1(
        device, "MatMul", [a.T.copy(), b.T.copy()], {"transpose_a": True, "transpose_b": True}
    )
    np.testing.assert_array_equal(got, want)
    x = rng.integers(-9, 9, (3, 1, 2, 5)).astype(dtype)
    y = rng.integers(-9, 9, (4, 5, 3)).astype(dtype)
    out = run1(device, "BatchMatMulV2", [x, y])
    assert out.dtype == dtype and out.shape == (3, 4, 2, 3)
    np.testing.assert_array_equal(out, np.matmul(x.astype(np.int64), y).astype(dtype))


def test_int32_matmul_wraps_and_threads_agree():
    a = np.full((300, 200), 2**20, np.int32)
    b = np.full((200, 150), 3, np.int32)
    want = np.full((300, 150), np.int64(2**20) * 3 * 200, np.int64).astype(np.int32)
    np.testing.assert_array_equal(run1(CPU, "MatMul", [a, b]), want)


# ---- int8 / int16 --------------------------------------------------------------------------


@pytest.mark.parametrize("device", DEVICES, ids=IDS)
@pytest.mark.parametrize("dtype", [np.int8, np.int16])
def test_small_int_arithmetic_wraps_as_tf(device, dtype):
    info = np.iinfo(dtype)
    a = np.array([info.max, info.min, 7, -7, 100], dtype)
    b = np.array([1, -1, 2, 2, 3], dtype)
    np.testing.assert_array_equal(run1(device, "AddV2", [a, b]), (a.astype(int) + b).astype(dtype))
    np.testing.assert_array_equal(run1(device, "Mul", [a, b]), (a.astype(int) * b).astype(dtype))
    with np.errstate(over="ignore"):  # min // -1 wraps
        np.testing.assert_array_equal(run1(device, "FloorDiv", [a, b]), np.floor_divide(a, b))
    np.testing.assert_array_equal(run1(device, "Abs", [a[2:]]), np.abs(a[2:]))
    np.testing.assert_array_equal(run1(device, "Less", [a, b]), a < b)
    s = run1(device, "Sum", [np.full((4, 50), 3, dtype)], {"axis": [1]})
    np.testing.assert_array_equal(s, np.full(4, 150, np.int64).astype(dtype))
    m = run1(device, "Max", [a], {"axis": [0]})
    assert m == info.max
    got = run1(device, "Cast", [np.float32([1.9, -1.9, 300.0])], {"DstT": np.dtype(dtype)})
    assert got.dtype == dtype and got[:2].tolist() == [1, -1]


# ---- float16 / bfloat16 --------------------------------------------------------------------


def _halves():
    out = [np.dtype(np.float16)]
    if importlib.util.find_spec("ml_dtypes"):
        import ml_dtypes

        out.append(np.dtype(ml_dtypes.bfloat16))
    return out


HALVES = _halves()


@pytest.mark.parametrize("device", DEVICES, ids=IDS)
@pytest.mark.parametrize("dtype", HALVES, ids=[d.name for d in HALVES])
def test_half_elementwise_rounds_each_float32_result(device, dtype):
    a = np.array([1.0, 0.1, 65504.0, -3.3, 1e-3], dtype)
    b = np.array([1e-3, 0.2, 65504.0, 3.0, 7.0], dtype)
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    for op, ref in (("AddV2", a32 + b32), ("Mul", a32 * b32), ("RealDiv", a32 / b32)):
        out = run1(device, op, [a, b])
        assert out.dtype == dtype
        with np.errstate(over="ignore"):  # 65504 + 65504 is inf in float16
            want = ref.astype(dtype).astype(np.float32)
        np.testing.assert_array_equal(out.astype(np.float32), want)
    ex = run1(device, "Exp", [a[:2]])
    np.testing.assert_array_equal(ex, np.exp(a32[:2]).astype(dtype))


def test_float16_values_are_tfs():
    # checked against TF 2.21: 1 + 1e-3 rounds to 1 + 2^-10; 65504 + 65504 overflows to inf;
    # 0.1 * 0.2 is 0x251e; ten 0.1s sum to 1.0 (long sums differ: TF adds in float16)
    h = np.float16
    out = run1(CPU, "AddV2", [h([1.0, 65504.0]), h([1e-3, 65504.0])])
    np.testing.assert_array_equal(out, [1.0009765625, np.inf])
    assert run1(CPU, "Mul", [h([0.1]), h([0.2])]).view(np.uint16)[0] == 0x251E
    assert run1(CPU, "Sum", [h([0.1] * 10)], {"axis": [0]}) == h(1.0)


@pytest.mark.parametrize("device", DEVICES, ids=IDS)
@pytest.mark.parametrize("dtype", HALVES, ids=[d.name for d in HALVES])
def test_half_array_ops_move_the_bits(device, dtype):
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4).astype(dtype)
    x[0, 0, 0] = -0.0
    attrs = {"begin": [0, 1, 0], "end": [2, 3, 4], "strides": [1, 1, 2]}
    np.testing.assert_array_equal(run1(device, "StridedSlice", [x], attrs), x[:, 1:3, ::2])
    np.testing.assert_array_equal(
        run1(device, "Transpose", [x], {"perm": [2, 0, 1]}), x.transpose(2, 0, 1)
    )
    np.testing.assert_array_equal(
        run1(device, "ConcatV2", [x, x], {"axis": 1}), np.concatenate([x, x], 1)
    )
    got = run1(device, "GatherV2", [x, np.int32([2, 0])], {"axis": 1})
    np.testing.assert_array_equal(got, x[:, [2, 0]])
    pad = run1(device, "Pad", [x[0, 0]], {"paddings": [[1, 2]], "constant_values": 1.5})
    np.testing.assert_array_equal(pad, np.pad(x[0, 0], (1, 2), constant_values=1.5))
    fill = run1(device, "Fill", [], {"shape": [2], "dtype": dtype, "value": 0.1})
    np.testing.assert_array_equal(fill, np.array([0.1, 0.1], dtype))
    assert np.signbit(run1(device, "Identity", [x])[0, 0, 0])


@pytest.mark.parametrize("device", DEVICES, ids=IDS)
def test_half_matmul_reduce_and_softmax(device):
    rng = np.random.default_rng(0)
    a = rng.uniform(-1, 1, (4, 6)).astype(np.float16)
    b = rng.uniform(-1, 1, (6, 3)).astype(np.float16)
    want = (a.astype(np.float32) @ b.astype(np.float32)).astype(np.float16)
    got = run1(device, "MatMul", [a, b]).astype(np.float32)
    np.testing.assert_allclose(got, want.astype(np.float32), rtol=5e-3, atol=1e-3)
    mean = run1(device, "Mean", [a], {"axis": [1]})
    want_mean = a.astype(np.float32).mean(1)  # XLA adds in float16: a looser bound
    np.testing.assert_allclose(mean.astype(np.float32), want_mean, rtol=5e-3, atol=1e-3)
    sm = run1(device, "Softmax", [a])
    assert sm.dtype == np.float16
    np.testing.assert_allclose(sm.astype(np.float32).sum(1), 1.0, rtol=3e-3)
    idx = run1(device, "ArgMax", [a], {"axis": 1, "output_type": np.int64})
    np.testing.assert_array_equal(idx, a.argmax(1))
    np.testing.assert_array_equal(run1(device, "IsNan", [np.float16([np.nan, 1.0])]), [True, False])


@pytest.mark.parametrize("device", DEVICES, ids=IDS)
def test_half_range_is_i_times_delta_plus_start_as_tf(device):
    # TF 2.21's values: each step rounded to float16 (not accumulated, not float32 rounded once)
    attrs = {"start": -2.5, "limit": 7.3, "delta": 0.7, "dtype": np.dtype(np.float16)}
    out = run1(device, "Range", [], attrs)
    assert out.dtype == np.float16 and out.shape == (14,)
    assert out[3] == np.float16(-0.3984) and out[5] == 1.0 and out[-1] == np.float16(6.6)
    attrs = {"start": 0.0, "limit": 300.0, "delta": 0.1, "dtype": np.dtype(np.float16)}
    np.testing.assert_array_equal(
        run1(device, "Range", [], attrs)[-3:], np.float16([299.5, 299.8, 300.0])
    )
