"""The math ops added after the first release: inverse trigonometric and hyperbolic functions,
lgamma, digamma, zeta, polygamma, atan2, rint, reciprocal_no_nan, logical_xor, tf.bitwise,
trace / matrix_transpose, and floordiv of 16-bit floats. Values against the stdlib, NumPy and
closed forms; gradients against central differences (float64), eagerly and traced."""

from __future__ import annotations

import math

import ml_dtypes
import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_ops import errors

EULER_GAMMA = 0.5772156649015329


def test_closed_forms_of_digamma_zeta_and_polygamma():
    harmonic = [sum(1 / k for k in range(1, n)) for n in range(1, 8)]
    got = tf.math.digamma(tf.constant(np.arange(1.0, 8.0))).numpy()
    np.testing.assert_allclose(got, np.array(harmonic) - EULER_GAMMA, rtol=1e-15, atol=1e-15)
    half = tf.math.digamma(tf.constant([0.5, -0.5], tf.float64)).numpy()
    np.testing.assert_allclose(half, [-EULER_GAMMA - 2 * math.log(2), 2 - EULER_GAMMA
                                      - 2 * math.log(2)], rtol=1e-15, atol=1e-15)  # fmt: skip
    z = tf.math.zeta(tf.constant([2.0, 4.0, 6.0], tf.float64), 1.0).numpy()
    np.testing.assert_allclose(z, [math.pi**2 / 6, math.pi**4 / 90, math.pi**6 / 945], rtol=1e-15)
    # zeta(2, q) - zeta(2, q + 1) = q^-2; trigamma(1/2) = pi^2 / 2
    q = tf.constant([0.3, 1.7, 12.5], tf.float64)
    diff = tf.math.zeta(2.0, q) - tf.math.zeta(2.0, q + 1)
    np.testing.assert_allclose(diff.numpy(), q.numpy() ** -2, rtol=1e-13)
    tri = tf.math.polygamma(tf.constant(1.0, tf.float64), tf.constant([1.0, 0.5], tf.float64))
    np.testing.assert_allclose(tri.numpy(), [math.pi**2 / 6, math.pi**2 / 2], rtol=1e-15)
    assert np.isnan(tf.math.polygamma(1.5, 2.0).numpy())


def test_lgamma_is_the_stdlib_one():
    xs = np.concatenate([np.linspace(-9.7, 30.0, 101), [1e-30, 1e10, 171.7, -0.5]])
    got = tf.math.lgamma(tf.constant(xs)).numpy()
    np.testing.assert_allclose(got, [math.lgamma(v) for v in xs], rtol=1e-14, atol=1e-15)
    f32 = tf.math.lgamma(tf.constant(xs, tf.float32)).numpy()
    want = [math.lgamma(float(v)) for v in xs.astype(np.float32)]
    np.testing.assert_allclose(f32, np.float32(want), rtol=1e-6)


@pytest.mark.parametrize(
    ("name", "ref", "lo", "hi"),
    [
        ("atan", np.arctan, -50.0, 50.0),
        ("acos", np.arccos, -1.0, 1.0),
        ("asin", np.arcsin, -1.0, 1.0),
        ("sinh", np.sinh, -80.0, 80.0),
        ("cosh", np.cosh, -80.0, 80.0),
        ("acosh", np.arccosh, 1.0, 1e6),
        ("asinh", np.arcsinh, -1e6, 1e6),
        ("atanh", np.arctanh, -0.999, 0.999),
    ],
)
def test_float32_is_correctly_rounded_from_double(name, ref, lo, hi):
    x = np.linspace(lo, hi, 1001).astype(np.float32)
    got = getattr(tf.math, name)(tf.constant(x)).numpy()
    np.testing.assert_array_equal(got, ref(x.astype(np.float64)).astype(np.float32))
    x64 = np.linspace(lo, hi, 1001)
    np.testing.assert_allclose(getattr(tf.math, name)(tf.constant(x64)).numpy(), ref(x64),
                               rtol=4e-16)  # fmt: skip


@pytest.mark.parametrize("dtype", [np.float16, ml_dtypes.bfloat16])
def test_floordiv_of_16_bit_floats_floors_the_rounded_quotient(dtype):
    rng = np.random.default_rng(5)
    a = rng.uniform(-20, 20, 4000).astype(dtype)
    b = rng.uniform(0.05, 3, 4000).astype(dtype) * rng.choice([-1, 1], 4000).astype(dtype)
    q = (a.astype(np.float32) / b.astype(np.float32)).astype(dtype).astype(np.float32)
    plain = np.floor(a.astype(np.float32) / b.astype(np.float32))
    assert (plain != np.floor(q)).any()  # the cases that used to differ are in the sample
    devices = [d.name for d in tf.config.list_logical_devices() if d.device_type in XLA_OR_CPU]
    assert "/device:CPU:0" in devices
    for device in devices:
        with tf.device(device):
            got = tf.math.floordiv(tf.constant(a), tf.constant(b))
        assert got.device.endswith(device.lstrip("/"))
        np.testing.assert_array_equal(got.numpy().astype(np.float32), np.floor(q), device)


XLA_OR_CPU = ("CPU", "XLA_CPU")


INT_DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_bitwise_ops_follow_python_integers(dtype):
    np_dt = np.dtype(dtype)
    info, bits = np.iinfo(np_dt), np_dt.itemsize * 8
    rng = np.random.default_rng(bits)
    a = rng.integers(info.min, info.max, 64, dtype=np_dt, endpoint=True)
    b = rng.integers(info.min, info.max, 64, dtype=np_dt, endpoint=True)
    s = rng.integers(-5 if info.min else 0, bits + 5, 64).astype(np_dt)
    ta, tb, ts = tf.constant(a), tf.constant(b), tf.constant(s)

    def wrap(v):  # a Python integer as the dtype's two's complement value
        v &= (1 << bits) - 1
        return v - (1 << bits) if info.min and v >= 1 << (bits - 1) else v

    ia, ib, counts = a.tolist(), b.tolist(), [min(max(int(c), 0), bits - 1) for c in s.tolist()]
    assert tf.bitwise.bitwise_and(ta, tb).numpy().tolist() == [x & y for x, y in zip(ia, ib)]
    assert tf.bitwise.bitwise_or(ta, tb).numpy().tolist() == [x | y for x, y in zip(ia, ib)]
    assert tf.bitwise.bitwise_xor(ta, tb).numpy().tolist() == [x ^ y for x, y in zip(ia, ib)]
    assert tf.bitwise.invert(ta).numpy().tolist() == [wrap(~x) for x in ia]
    assert tf.bitwise.left_shift(ta, ts).numpy().tolist() == [
        wrap(x << c) for x, c in zip(ia, counts)
    ]
    assert tf.bitwise.right_shift(ta, ts).numpy().tolist() == [x >> c for x, c in zip(ia, counts)]
    assert tf.bitwise.left_shift(ta, ts).dtype.name == dtype


def test_large_inputs_split_over_threads_give_the_same_bits():
    x = np.linspace(-0.999, 0.999, 300_001)
    big = tf.math.atanh(tf.constant(x)).numpy()
    small = np.concatenate([tf.math.atanh(tf.constant(c)).numpy() for c in np.array_split(x, 7)])
    np.testing.assert_array_equal(big, small)
    np.testing.assert_allclose(big, np.arctanh(x), rtol=4e-16)
    a = np.arange(300_000, dtype=np.int64)
    shifted = tf.bitwise.left_shift(tf.constant(a), tf.constant(3, tf.int64)).numpy()
    np.testing.assert_array_equal(shifted, a << 3)


def _central(fn, x, eps=1e-6):
    grads = np.zeros_like(x)
    for i in np.ndindex(*x.shape):
        plus, minus = x.copy(), x.copy()
        plus[i] += eps
        minus[i] -= eps
        grads[i] = np.sum(fn(tf.constant(plus)).numpy()) - np.sum(fn(tf.constant(minus)).numpy())
        grads[i] /= 2 * eps
    return grads


def _tape(fn, x):
    t = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(t)
        y = tf.reduce_sum(fn(t))
    return tape.gradient(y, t).numpy()


S = tf.constant([2.5, 3.0, 5.0], tf.float64)
N = tf.constant([0.0, 1.0, 3.0], tf.float64)
GRAD_CASES = {
    "atan": (tf.math.atan, [-2.0, 0.3, 4.0]),
    "acos": (tf.math.acos, [-0.8, 0.1, 0.6]),
    "asin": (tf.math.asin, [-0.8, 0.1, 0.6]),
    "sinh": (tf.math.sinh, [-2.0, 0.3, 1.5]),
    "cosh": (tf.math.cosh, [-2.0, 0.3, 1.5]),
    "acosh": (tf.math.acosh, [1.1, 2.0, 7.5]),
    "asinh": (tf.math.asinh, [-3.0, 0.2, 5.0]),
    "atanh": (tf.math.atanh, [-0.7, 0.1, 0.9]),
    "lgamma": (tf.math.lgamma, [-2.5, 0.4, 6.0]),
    "digamma": (tf.math.digamma, [-2.5, 0.4, 6.0]),
    "atan2_y": (
        lambda y: tf.math.atan2(y, tf.constant([0.5, -1.0, 2.0], tf.float64)),
        [1.0, -0.2, 0.7],
    ),  # fmt: skip
    "atan2_x": (
        lambda x: tf.math.atan2(tf.constant([[1.0], [-2.0]], tf.float64), x),
        [0.5, -1.0, 2.0],
    ),  # fmt: skip
    "zeta": (lambda q: tf.math.zeta(S, q), [0.4, 1.5, 3.0]),
    "polygamma": (lambda x: tf.math.polygamma(N, x), [0.4, 1.5, 3.0]),
    "reciprocal_no_nan": (tf.math.reciprocal_no_nan, [-2.0, 0.5, 3.0]),
}


@pytest.mark.parametrize("traced", [False, True])
@pytest.mark.parametrize("case", sorted(GRAD_CASES))
def test_gradients_match_central_differences(case, traced):
    fn, x = GRAD_CASES[case]
    x = np.array(x)
    want = _central(fn, x)
    if traced:
        got = tf.function(lambda v: _grad_of(fn, v))(tf.constant(x)).numpy()
    else:
        got = _tape(fn, x)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8, err_msg=case)


def _grad_of(fn, t):
    with tf.GradientTape() as tape:
        tape.watch(t)
        y = tf.reduce_sum(fn(t))
    return tape.gradient(y, t)


def test_second_derivatives_through_the_rules():
    x = tf.constant([0.7, 2.5], tf.float64)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.reduce_sum(tf.math.lgamma(x))
        g = inner.gradient(y, x)  # digamma
    h = outer.gradient(g, x)  # trigamma
    want = tf.math.polygamma(tf.constant(1.0, tf.float64), x).numpy()
    np.testing.assert_allclose(h.numpy(), want, rtol=1e-14)
    np.testing.assert_allclose(g.numpy(), tf.math.digamma(x).numpy(), rtol=1e-15)


def test_non_differentiable_ops_give_none():
    x = tf.constant([1.5, 2.5])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        r = tf.math.rint(x)
        z = tf.math.zeta(x, 2.0)
    assert tape.gradient(r, x) is None
    assert tape.gradient(z, x) is None


def test_errors_name_what_was_received():
    with pytest.raises(errors.InvalidArgumentError, match=r"int32.*\[Op:Atan\]"):
        tf.math.atan(tf.constant([1]))
    with pytest.raises(errors.InvalidArgumentError, match=r"float32.*\[Op:LeftShift\]"):
        tf.bitwise.left_shift(tf.constant([1.0]), tf.constant([1.0]))
    with pytest.raises(errors.NotFoundError, match="Rint.*float16"):
        tf.math.rint(tf.constant([1.0], tf.float16))
    with pytest.raises(errors.InvalidArgumentError, match=r"bfloat16.*\[Op:Polygamma\]"):
        tf.math.polygamma(tf.constant([1.0], tf.bfloat16), tf.constant([1.0], tf.bfloat16))
    with pytest.raises(ValueError, match=r"rank >= 2.*shape: \(3,\)"):
        tf.linalg.matrix_transpose(tf.constant([1, 2, 3]))


def test_trace_and_matrix_transpose_traced():
    x = tf.constant(np.arange(18.0).reshape(2, 3, 3))
    f = tf.function(lambda m: (tf.linalg.trace(m), tf.linalg.matrix_transpose(m)))
    tr, mt = f(x)
    np.testing.assert_array_equal(tr.numpy(), np.trace(x.numpy(), axis1=-2, axis2=-1))
    np.testing.assert_array_equal(mt.numpy(), np.swapaxes(x.numpy(), -1, -2))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.linalg.trace(x) * tf.constant([1.0, 2.0], tf.float64))
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), np.eye(3) * [[[1.0]], [[2.0]]])
