"""TF 2.21's inverse trigonometric / hyperbolic functions, lgamma, digamma, zeta, polygamma,
atan2, rint, reciprocal_no_nan, logical_xor, tf.bitwise, tf.linalg.trace / matrix_transpose and
floordiv of 16-bit floats: values, dtypes, special cases, errors and gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest

UNARY = {
    "atan": (np.arctan, (-10.0, 10.0)),
    "acos": (np.arccos, (-1.0, 1.0)),
    "asin": (np.arcsin, (-1.0, 1.0)),
    "sinh": (np.sinh, (-10.0, 10.0)),
    "cosh": (np.cosh, (-10.0, 10.0)),
    "acosh": (np.arccosh, (1.0, 30.0)),
    "asinh": (np.arcsinh, (-30.0, 30.0)),
    "atanh": (np.arctanh, (-0.99, 0.99)),
    "lgamma": (np.vectorize(math.lgamma), (0.1, 20.0)),
}
TOL = {"float32": 2e-6, "float64": 1e-13, "float16": 2e-3, "bfloat16": 1.6e-2}


def values(tf, t):
    return t.numpy().astype(np.float64).tolist()


def same(got, want, rtol=1e-12):
    np.testing.assert_allclose(np.asarray(got, np.float64), np.asarray(want, np.float64),
                               rtol=rtol, atol=rtol, equal_nan=True)  # fmt: skip


@pytest.mark.parametrize(
    ("name", "dtype"),
    [(n, d) for n in sorted(UNARY) for d in TOL if (n, d) != ("lgamma", "bfloat16")],
)  # TF has no bfloat16 kernel for Lgamma (tested below)
def test_unary_matches_numpy(tf, name, dtype):
    ref, (lo, hi) = UNARY[name]
    x = tf.constant(np.linspace(lo, hi, 23), getattr(tf, dtype))
    y = getattr(tf.math, name)(x)
    assert y.dtype == x.dtype and y.shape == (23,)
    wide = x.numpy().astype(np.float64)
    np.testing.assert_allclose(values(tf, y), ref(wide), rtol=TOL[dtype], atol=TOL[dtype])


def test_top_level_aliases(tf):
    for name in ("atan", "acos", "asin", "sinh", "cosh", "acosh", "asinh", "atanh", "atan2"):
        assert getattr(tf, name) is getattr(tf.math, name)
    assert sorted(n for n in dir(tf.bitwise) if not n.startswith("_")) == [
        "bitwise_and", "bitwise_or", "bitwise_xor", "invert", "left_shift", "right_shift",
    ]  # fmt: skip


def test_special_values(tf):
    f = tf.constant([-1.0, 1.0, 2.0, 0.5, -0.0], tf.float32)
    same(values(tf, tf.math.atanh(f)), [-np.inf, np.inf, np.nan, 0.5493061542510986, -0.0], 1e-7)
    g = tf.constant([0.5, 1.0, 2.0, np.inf, 3e38], tf.float32)
    same(values(tf, tf.math.acosh(g)), [np.nan, 0.0, 1.316957950592041, np.inf, 89.28999328613281],
         1e-7)  # fmt: skip
    h = tf.constant([89.0, 89.5, -710.0], tf.float32)
    same(values(tf, tf.math.sinh(h)), [2.2448063889081578e38, np.inf, -np.inf], 1e-7)
    # asinh(-0.0) is a zero; its sign in TF varies with the state of the process (-0.0 alone,
    # +0.0 after other tests ran), so only the value is checked
    assert tf.math.asinh(tf.constant(-0.0)).numpy() == 0.0


def test_lgamma_and_digamma_special_values(tf):
    x = tf.constant([0.0, -0.0, -1.0, -2.5, 0.5, 1.0, 2.0, 100.0, 1e30, np.inf, -np.inf, np.nan,
                     -0.5], tf.float64)  # fmt: skip
    same(values(tf, tf.math.lgamma(x)),
         [np.inf, np.inf, np.inf, -0.05624371649767407, 0.5723649429247001, 0.0, 0.0,
          359.13420536957545, 6.8077552789821365e31, np.inf, np.inf, np.nan,
          1.2655121234846454], 1e-14)  # fmt: skip
    d = tf.constant([0.0, -1.0, -2.5, 0.5, 1.0, 2.0, 100.0, 1e30, np.inf, -np.inf, np.nan, 1e-8,
                     -1e-8], tf.float64)  # fmt: skip
    same(values(tf, tf.math.digamma(d)),
         [np.nan, np.nan, 1.1031566406452433, -1.9635100260214227, -0.5772156649015323,
          0.42278433509846747, 4.600161852738088, 69.07755278982137, np.inf, np.nan, np.nan,
          -100000000.57721566, 99999999.42278431], 1e-14)  # fmt: skip
    d32 = tf.math.digamma(tf.constant([1.0, 0.5, 100.0]))
    assert d32.dtype == tf.float32
    same(values(tf, d32), [-0.5772156649015323, -1.9635100260214227, 4.600161852738088], 1e-6)


def test_zeta_and_polygamma(tf):
    x = tf.constant([2.0, 3.0, 1.0, 0.5, 2.5, 4.0, 2.0, 2.0, 30.0, 2.0, np.inf, 2.0, 3.0, 3.0,
                     2.0, 3.0], tf.float64)  # fmt: skip
    q = tf.constant([1.0, 2.0, 1.0, 1.0, -1.5, -2.0, 0.0, 1e-3, 3.0, np.inf, 2.0, -np.inf, -1.0,
                     0.0, -1.5, -1.5], tf.float64)  # fmt: skip
    same(values(tf, tf.math.zeta(x, q)),
         [1.6449340668482266, 0.2020569031595943, np.inf, np.nan, np.nan, np.inf, np.inf,
          1000001.6425331959, 4.857804189667248e-15, 0.0, 0.0, np.inf, np.nan, np.nan,
          9.379246644989124, 0.11810202582086413], 1e-13)  # fmt: skip
    n = tf.constant([0.0, 1.0, 2.0, 3.0, 1.5, -1.0, 1.0, 1.0, 1.0, 0.0, 4.0, 2.0, 1.0],
                    tf.float64)  # fmt: skip
    v = tf.constant([1.0, 1.0, 0.5, 2.5, 1.0, 1.0, -1.5, 0.0, -2.0, -2.0, 1e-3, -2.5, -2.5],
                    tf.float64)  # fmt: skip
    same(values(tf, tf.math.polygamma(n, v)),
         [-0.5772156649015323, 1.6449340668482266, -16.828796644234316, 0.2239058488172521,
          np.nan, np.nan, 9.379246644989124, np.inf, np.inf, np.nan, -2.4000000000000024e16,
          -0.1082040516417282, 9.539246644989124], 1e-13)  # fmt: skip
    out = tf.math.polygamma(tf.constant([[1.0], [2.0]]), tf.constant([1.0, 2.0, 3.0]))
    same(values(tf, out), [[1.644934058189392, 0.6449341177940369, 0.3949340581893921],
                           [-2.404114007949829, -0.4041138291358948, -0.1541137993335724]],
         1e-6)  # fmt: skip


def test_atan2_quadrants_and_signed_zeros(tf):
    y = tf.constant([0.0, -0.0, 1.0, -1.0, 0.0, np.inf, np.nan])
    x = tf.constant([-0.0, -1.0, 0.0, np.inf, 0.0, np.inf, 1.0])
    out = tf.math.atan2(y, x)
    same(values(tf, out), [math.pi, -math.pi, math.pi / 2, -0.0, 0.0, math.pi / 4, np.nan], 1e-7)
    assert math.copysign(1.0, float(out.numpy()[3])) == -1.0
    b = tf.math.atan2(
        tf.constant([[1.0], [-1.0]], tf.float64), tf.constant([1.0, -1.0], tf.float64)
    )
    same(values(tf, b), [[math.pi / 4, 3 * math.pi / 4], [-math.pi / 4, -3 * math.pi / 4]])


def test_rint_rounds_half_to_even(tf):
    x = tf.constant([0.5, 1.5, 2.5, -0.5, -1.5, np.nan, np.inf, -2.7, 3.2])
    out = tf.math.rint(x)
    same(values(tf, out), [0.0, 2.0, 2.0, -0.0, -2.0, np.nan, np.inf, -3.0, 3.0])
    assert math.copysign(1.0, float(out.numpy()[3])) == -1.0


def test_missing_16_bit_kernels_are_not_found(tf):
    with pytest.raises(tf.errors.NotFoundError):
        tf.math.rint(tf.constant([1.5], tf.float16))
    with pytest.raises(tf.errors.NotFoundError):
        tf.math.lgamma(tf.constant([1.5], tf.bfloat16))
    with pytest.raises(tf.errors.NotFoundError):
        tf.math.digamma(tf.constant([1.5], tf.bfloat16))
    assert tf.math.lgamma(tf.constant([0.5], tf.float16)).dtype == tf.float16


@pytest.mark.parametrize(
    "call",
    [
        lambda tf: tf.math.acos(tf.constant([1])),
        lambda tf: tf.math.atan(tf.constant([1], tf.int64)),
        lambda tf: tf.math.atan2(tf.constant([1]), tf.constant([0])),
        lambda tf: tf.math.zeta(tf.constant([2.0], tf.float16), tf.constant([1.0], tf.float16)),
        lambda tf: tf.math.polygamma(tf.constant([1]), tf.constant([1])),
        lambda tf: tf.math.reciprocal_no_nan(tf.constant([2])),
        lambda tf: tf.math.logical_xor(tf.constant([1]), tf.constant([0])),
        lambda tf: tf.bitwise.bitwise_and(tf.constant([True]), tf.constant([True])),
        lambda tf: tf.bitwise.bitwise_or(tf.constant([1.0]), tf.constant([1.0])),
        lambda tf: tf.bitwise.bitwise_xor(tf.constant([1]), tf.constant([1], tf.int64)),
        lambda tf: tf.bitwise.left_shift(tf.constant([1, 2]), tf.constant([1, 2, 3])),
        lambda tf: tf.bitwise.invert(tf.constant([1.0])),
        lambda tf: tf.linalg.trace(tf.range(4)),
        lambda tf: tf.linalg.trace(tf.constant([[True]])),
    ],
)
def test_bad_dtypes_and_shapes_are_invalid_argument(tf, call):
    with pytest.raises(tf.errors.InvalidArgumentError):
        call(tf)


BITS = {"int8": 8, "int16": 16, "int32": 32, "int64": 64, "uint8": 8, "uint16": 16}


@pytest.mark.parametrize("dtype", sorted(BITS))
def test_shift_counts_are_clamped_to_the_width(tf, dtype):
    dt, bits = getattr(tf, dtype), BITS[dtype]
    x = tf.constant([1, 3, 5], dt)
    top = -(2 ** (bits - 1)) if dtype.startswith("int") else 2 ** (bits - 1)
    past = 200 if dtype.startswith("uint") else -1
    assert tf.bitwise.left_shift(x, tf.constant([0, bits, past], dt)).numpy().tolist() == [
        1, top, top if dtype.startswith("uint") else 5,
    ]  # fmt: skip
    assert tf.bitwise.left_shift(x, tf.constant([bits - 1, bits + 1, 3], dt)).numpy().tolist() == [
        top, top, 40,
    ]  # fmt: skip
    assert tf.bitwise.invert(x).numpy().tolist() == (
        [-2, -4, -6] if dtype.startswith("int") else [2**bits - 2, 2**bits - 4, 2**bits - 6]
    )
    if dtype.startswith("int"):
        y = tf.constant([-100, 100, -1], dt)
        assert tf.bitwise.right_shift(y, tf.constant([2, bits, -1], dt)).numpy().tolist() == [
            -25, 0, -1,
        ]  # fmt: skip
        assert tf.bitwise.right_shift(y, tf.constant([bits + 5, 1, 100], dt)).numpy().tolist() == [
            -1, 50, -1,
        ]  # fmt: skip
    else:
        z = tf.constant([200, 255, 7], dt)
        assert tf.bitwise.right_shift(z, tf.constant([1, 100, 0], dt)).numpy().tolist() == [
            100, 1 if bits == 8 else 0, 7,
        ]  # fmt: skip


def test_bitwise_broadcasting_and_operators(tf):
    a = tf.constant([[1], [2]])
    b = tf.constant([3, 7, 2])
    assert tf.bitwise.bitwise_and(a, b).numpy().tolist() == [[1, 1, 0], [2, 2, 2]]
    assert tf.bitwise.bitwise_or(a, b).numpy().tolist() == [[3, 7, 3], [3, 7, 2]]
    assert tf.bitwise.bitwise_xor(a, b).numpy().tolist() == [[2, 6, 3], [1, 5, 0]]
    x, y = tf.constant([5, 6]), tf.constant([3, 3])
    assert (x & y).numpy().tolist() == [1, 2]
    assert (x | y).numpy().tolist() == [7, 7]
    assert (x ^ y).numpy().tolist() == [6, 5]
    assert (~x).numpy().tolist() == [-6, -7]
    assert (3 & x).numpy().tolist() == [1, 2]
    t = tf.constant([True, False])
    assert (t ^ t).numpy().tolist() == [False, False]
    assert (t ^ True).numpy().tolist() == [False, True]
    assert (~t).numpy().tolist() == [False, True]
    assert (t & True).numpy().tolist() == [True, False]
    assert (t | False).numpy().tolist() == [True, False]


def test_logical_xor_broadcasts(tf):
    out = tf.math.logical_xor(tf.constant([True, False]), tf.constant([[True], [False]]))
    assert out.dtype == tf.bool
    assert out.numpy().tolist() == [[False, True], [True, False]]


def test_reciprocal_no_nan(tf):
    out = tf.math.reciprocal_no_nan(tf.constant([0.0, 2.0, np.inf, -0.0, -4.0]))
    assert out.numpy().tolist() == [0.0, 0.5, 0.0, 0.0, -0.25]
    assert tf.math.reciprocal_no_nan(tf.constant([0.0], tf.float16)).dtype == tf.float16


def test_trace_and_matrix_transpose(tf):
    x = tf.reshape(tf.range(24), [2, 3, 4])
    tr = tf.linalg.trace(x)
    assert tr.dtype == tf.int32 and tr.numpy().tolist() == [15, 51]
    assert tf.linalg.trace(tf.constant([[1.5, 2.0], [3.0, -0.5]])).numpy() == 1.0
    m = tf.linalg.matrix_transpose(tf.reshape(tf.range(6), [1, 2, 3]), conjugate=True)
    assert m.shape == (1, 3, 2) and m.numpy().tolist() == [[[0, 3], [1, 4], [2, 5]]]
    assert tf.linalg.adjoint(tf.constant([[1.0, 2.0]])).numpy().tolist() == [[1.0], [2.0]]
    with pytest.raises(ValueError, match="rank >= 2"):
        tf.linalg.matrix_transpose(tf.range(4))


@pytest.mark.parametrize(
    ("dtype", "want"),
    [("float16", [5.0, 10.0, 10.0, 16.0, -64.0]), ("bfloat16", [6.0, 10.0, 10.0, 16.0, -64.0])],
)
def test_floordiv_of_16_bit_floats_rounds_the_quotient_first(tf, dtype, want):
    dt = getattr(tf, dtype)
    a = tf.constant([-1.0, 7.0, 1.0, 5.0, -7.0], dt)
    b = tf.constant([-0.166992, 0.7, 0.1, 0.3, 0.11], dt)
    for out in (tf.math.floordiv(a, b), a // b, tf.function(lambda p, q: p // q)(a, b)):
        assert out.dtype == dt
        assert out.numpy().astype(np.float32).tolist() == want


def test_floormod_of_16_bit_floats_is_exact(tf):
    a = tf.constant([-1.0, 7.0, 1.0, 5.0, -7.0], tf.float16)
    b = tf.constant([-0.166992, 0.7, 0.1, 0.3, 0.11], tf.float16)
    assert tf.math.floormod(a, b).numpy().astype(np.float32).tolist() == [
        -0.1650390625, 0.6982421875, 0.000244140625, 0.19921875, 0.0390625,
    ]  # fmt: skip


def _grad(tf, fn, *xs):
    xs = [tf.constant(x, tf.float64) for x in xs]
    with tf.GradientTape() as tape:
        for x in xs:
            tape.watch(x)
        y = fn(*xs)
    return tape.gradient(y, xs)


def test_gradients(tf):
    (g,) = _grad(tf, tf.math.digamma, [1.5, -0.3, 4.0])
    same(g.numpy(), [0.9348022005446793, 13.945160267805724, 0.28382295573711525], 1e-12)
    (g,) = _grad(tf, tf.math.lgamma, [1.5, -0.3, 4.0])
    same(g.numpy(), [0.03648997397857645, 2.1133097796353986, 1.2561176684318007], 1e-12)
    gx, gq = _grad(tf, tf.math.zeta, [3.0], [2.0])
    assert gx is None
    same(gq.numpy(), [-0.2469697], 1e-6)
    gn, gv = _grad(tf, tf.math.polygamma, [3.0], [2.0])
    assert gn is None
    same(gv.numpy(), [-0.88626612], 1e-7)
    (g,) = _grad(tf, tf.math.rint, [1.5])
    assert g is None
    (g,) = _grad(tf, tf.math.reciprocal_no_nan, [1.5])
    same(g.numpy(), [-1 / 2.25])
    gy, gx = _grad(tf, tf.math.atan2, [[1.0], [2.0]], [3.0, -1.0])
    same(gy.numpy(), [[3 / 10 - 1 / 2], [3 / 13 - 1 / 5]])
    same(gx.numpy(), [-1 / 10 - 2 / 13, -1 / 2 - 2 / 5])
    for name, x, want in [("atan", 0.5, 1 / 1.25), ("acos", 0.6, -1 / 0.8), ("asin", 0.6, 1.25),
                          ("sinh", 1.0, math.cosh(1.0)), ("cosh", 1.0, math.sinh(1.0)),
                          ("acosh", 2.0, 1 / math.sqrt(3)), ("asinh", 0.75, 0.8),
                          ("atanh", 0.5, 1 / 0.75)]:  # fmt: skip
        (g,) = _grad(tf, getattr(tf.math, name), [x])
        same(g.numpy(), [want], 1e-14)


def test_traced_matches_eager(tf):
    x = tf.constant([0.3, 0.7, 2.5])
    fns = [tf.math.atan, tf.math.asinh, tf.math.lgamma, tf.math.digamma, tf.math.rint,
           lambda v: tf.math.atan2(v, v - 1.0), lambda v: tf.math.zeta(v + 1.5, v),
           lambda v: tf.linalg.trace(tf.reshape(tf.concat([v, v, v], 0), [3, 3]))]  # fmt: skip
    for fn in fns:
        np.testing.assert_array_equal(tf.function(fn)(x).numpy(), fn(x).numpy())
    ints = tf.constant([7, -8, 100])
    shifted = tf.function(lambda v: tf.bitwise.right_shift(v, 2) ^ tf.bitwise.invert(v))(ints)
    assert shifted.numpy().tolist() == [(7 >> 2) ^ ~7, (-8 >> 2) ^ ~-8, (100 >> 2) ^ ~100]
