"""The complex kernels (complex.cpp, fft.cpp) through ``execute``: elementwise ops and their
broadcasting, the real <-> complex ops, casts, GEMM with adjoints, the planes path of the linear
ops, the Fourier transforms against NumPy at mixed-radix and Bluestein lengths, the op errors."""

import numpy as np
import pytest

import tensorhouse_kernels as tk
from tensorhouse_hw_runtime import errors, get_device

CPU = get_device("/device:CPU:0")
RNG = np.random.default_rng(11)
C64, C128 = np.dtype(np.complex64), np.dtype(np.complex128)


def run(op, inputs, **attrs):
    outputs, used = tk.execute(op, inputs, attrs, CPU)
    assert used is CPU
    return outputs[0] if len(outputs) == 1 else outputs


def cplx(shape, dtype=C128):
    return np.asarray(RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape), dtype)


def tol(dtype):
    return dict(rtol=3e-6, atol=3e-6) if dtype == C64 else dict(rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("dtype", [C64, C128])
@pytest.mark.parametrize(
    "op, fn",
    [("AddV2", np.add), ("Sub", np.subtract), ("Mul", np.multiply), ("RealDiv", np.divide),
     ("Pow", np.power)],
)  # fmt: skip
def test_binary_ops_broadcast(op, fn, dtype):
    for sa, sb in [((3, 4), (3, 4)), ((3, 1, 4), (5, 1)), ((), (2, 3)), ((4,), ())]:
        a, b = cplx(sa, dtype), cplx(sb, dtype)
        out = run(op, [a, b])
        assert out.dtype == dtype and out.shape == np.broadcast_shapes(sa, sb)
        np.testing.assert_allclose(out, fn(a, b), **tol(dtype))


@pytest.mark.parametrize("dtype", [C64, C128])
def test_unary_and_to_real_ops(dtype):
    x = cplx((2, 7), dtype)
    refs = {"Neg": -x, "Conj": np.conj(x), "Square": x * x, "Sqrt": np.sqrt(x),
            "Rsqrt": 1 / np.sqrt(x), "Exp": np.exp(x), "Log": np.log(x),
            "Reciprocal": 1 / x, "Sign": x / np.abs(x), "Sin": np.sin(x), "Cos": np.cos(x),
            "Tanh": np.tanh(x)}  # fmt: skip
    for op, want in refs.items():
        out = run(op, [x])
        assert out.dtype == dtype, op
        np.testing.assert_allclose(out, want, err_msg=op, **tol(dtype))
    real = x.real.dtype
    for op, want in {"Real": x.real, "Imag": x.imag, "ComplexAbs": np.abs(x),
                     "Angle": np.angle(x)}.items():  # fmt: skip
        out = run(op, [x])
        assert out.dtype == real, op
        np.testing.assert_allclose(out, want, err_msg=op, **tol(dtype))


def test_complex_from_parts_broadcasts_and_checks_dtypes():
    re, im = np.array([[1.0], [2.0]], np.float32), np.array([3.0, 4.0, 5.0], np.float32)
    out = run("Complex", [re, im])
    assert out.dtype == C64
    np.testing.assert_array_equal(out, re + 1j * im)
    with pytest.raises(errors.InvalidArgumentError, match="Complex"):
        run("Complex", [re, im.astype(np.float64)])
    with pytest.raises(errors.InvalidArgumentError, match="complex64 or complex128"):
        run("Real", [re])


def test_equal_and_division_by_zero():
    a = np.array([1 + 2j, 3j, 0j])
    np.testing.assert_array_equal(run("Equal", [a, np.array(3j)]), [False, True, False])
    np.testing.assert_array_equal(run("NotEqual", [a, a]), [False] * 3)
    q = run("RealDiv", [np.array([1 + 2j]), np.array([0j])])
    assert np.isinf(q.real[0]) and np.isinf(q.imag[0])


def test_casts():
    z = np.array([1.7 - 2j, -3e10 + 1j, complex(np.nan, 1)], C128)
    np.testing.assert_array_equal(run("Cast", [z], DstT=np.dtype("int32")),
                                  [1, -2147483648, 0])  # fmt: skip
    np.testing.assert_array_equal(run("Cast", [z], DstT=np.dtype("float64")), z.real)
    np.testing.assert_array_equal(run("Cast", [z[:2]], DstT=C64), z[:2].astype(C64))
    f16 = np.array([1.5, -2.25], np.float16)
    np.testing.assert_array_equal(run("Cast", [f16], DstT=C128), [1.5, -2.25])
    np.testing.assert_array_equal(run("Cast", [np.array([True, False])], DstT=C64), [1, 0])
    np.testing.assert_array_equal(run("Cast", [np.array([0j, 1j, 2])], DstT=np.dtype(bool)),
                                  [False, False, True])  # fmt: skip


@pytest.mark.parametrize("dtype", [C64, C128])
def test_matmul_flags_and_batches(dtype):
    a, b = cplx((3, 4), dtype), cplx((4, 5), dtype)
    np.testing.assert_allclose(run("MatMul", [a, b]), a @ b, **tol(dtype))
    np.testing.assert_allclose(run("MatMul", [a.T.copy(), b], transpose_a=True), a @ b,
                               **tol(dtype))  # fmt: skip
    np.testing.assert_allclose(run("MatMul", [a, b.T.copy()], transpose_b=True), a @ b,
                               **tol(dtype))  # fmt: skip
    x, y = cplx((2, 1, 4, 3), dtype), cplx((3, 4, 5), dtype)
    want = np.conj(np.swapaxes(x, -1, -2)) @ y
    out = run("BatchMatMulV2", [x, y], adj_x=True)
    assert out.shape == (2, 3, 3, 5)
    np.testing.assert_allclose(out, want, **tol(dtype))
    out = run("BatchMatMulV2", [y, y], adj_y=True)
    np.testing.assert_allclose(out, y @ np.conj(np.swapaxes(y, -1, -2)), **tol(dtype))
    empty = run("MatMul", [np.zeros((2, 0), dtype), np.zeros((0, 3), dtype)])
    np.testing.assert_array_equal(empty, np.zeros((2, 3)))


@pytest.mark.parametrize("dtype", [C64, C128])
def test_linear_ops_run_per_plane(dtype):
    x = cplx((3, 4), dtype)
    np.testing.assert_array_equal(run("Transpose", [x], perm=[1, 0]), x.T)
    np.testing.assert_array_equal(run("ConcatV2", [x, x], axis=1), np.concatenate([x, x], 1))
    np.testing.assert_array_equal(run("GatherV2", [x, np.array([2, 0])], axis=0), x[[2, 0]])
    np.testing.assert_array_equal(run("Pad", [x], paddings=[[1, 0], [0, 1]], constant_values=2j),
                                  np.pad(x, [[1, 0], [0, 1]], constant_values=2j))  # fmt: skip
    np.testing.assert_array_equal(run("Fill", [], shape=[2], dtype=dtype, value=1 - 3j),
                                  np.full(2, 1 - 3j, dtype))  # fmt: skip
    np.testing.assert_array_equal(run("SelectV2", [np.array([True, False, True, False]), x, x[0]]),
                                  np.where([True, False, True, False], x, x[0]))  # fmt: skip
    np.testing.assert_allclose(run("Sum", [x], axis=[0]), x.sum(0), **tol(dtype))
    np.testing.assert_allclose(run("Mean", [x], axis=None), x.mean(), **tol(dtype))
    np.testing.assert_allclose(run("Cumsum", [x], axis=1), np.cumsum(x, 1), **tol(dtype))
    y = cplx((2, 3, 4), dtype)
    np.testing.assert_allclose(run("Prod", [y], axis=[0, 2]), y.prod((0, 2)), **tol(dtype))
    np.testing.assert_allclose(run("Prod", [y], axis=[1], keep_dims=True),
                               y.prod(1, keepdims=True), **tol(dtype))  # fmt: skip
    np.testing.assert_array_equal(run("Prod", [y[:, :0]], axis=None), np.ones((), dtype))
    seg = run("UnsortedSegmentSum", [x, np.array([1, 0, 1])], num_segments=2)
    np.testing.assert_allclose(seg, [x[1], x[0] + x[2]], **tol(dtype))
    assert run("Reshape", [x], shape=[2, 6]).shape == (2, 6)


# ---- Fourier transforms -------------------------------------------------------------------------

# powers of two, mixed radix (2, 3, 5, 7, 11, 13), and Bluestein (prime factors above 13)
LENGTHS = [1, 2, 3, 4, 5, 6, 7, 8, 12, 17, 97, 128, 143, 194, 1000, 1024, 4096, 4099]


@pytest.mark.parametrize("n", LENGTHS)
def test_fft_matches_numpy_at_any_length(n):
    z = cplx((2, n))
    want = np.fft.fft(z)
    scale = np.abs(want).max()
    assert np.abs(run("FFT", [z]) - want).max() < 2e-15 * scale * max(np.log2(n), 1)
    assert np.abs(run("IFFT", [want]) - z).max() < 2e-15 * np.abs(z).max() * max(np.log2(n), 1)
    z32 = z.astype(C64)
    got = run("FFT", [z32])
    ref = np.fft.fft(z32.astype(C128))
    assert got.dtype == C64
    # computed in float32, as NumPy's pocketfft: float32 roundings growing with log2(n)
    assert np.abs(got - ref).max() < 2.5e-7 * np.abs(ref).max() * max(np.log2(n), 1)


def test_fft_threads_over_many_rows():
    z = cplx((600, 96))  # enough work for OpenMP
    np.testing.assert_allclose(run("FFT", [z]), np.fft.fft(z), atol=1e-11)
    np.testing.assert_allclose(run("IFFT2D", [z.reshape(20, 30, 96)]),
                               np.fft.ifft2(z.reshape(20, 30, 96)), atol=1e-13)  # fmt: skip


# rows go through the SIMD transform four (or two) at a time: counts that leave a partly filled
# batch, and 2-D / 3-D shapes whose middle axis is prime (its lanes are read across rows)
@pytest.mark.parametrize("rows", [1, 3, 5, 13, 67])
@pytest.mark.parametrize("n", [8, 60, 97, 256])
def test_fft_partly_filled_row_batches(rows, n):
    z = cplx((rows, n))
    for op, fn in (("FFT", np.fft.fft), ("IFFT", np.fft.ifft)):
        np.testing.assert_allclose(run(op, [z]), fn(z), rtol=1e-12, atol=1e-12)
        got = run(op, [z.astype(C64)])
        ref = fn(z.astype(C64).astype(C128))
        assert np.abs(got - ref).max() < 1.2e-7 * np.abs(ref).max() * max(np.log2(n), 1)
    x = RNG.standard_normal((rows, n))
    np.testing.assert_allclose(run("RFFT", [x], fft_length=[n]), np.fft.rfft(x), atol=1e-11)
    h = np.fft.rfft(x)
    np.testing.assert_allclose(run("IRFFT", [h], fft_length=[n]), x, atol=1e-12)


@pytest.mark.parametrize("shape", [(4, 17, 12), (3, 5, 17, 12), (2, 13, 7, 9)])
def test_multidimensional_fft_with_prime_inner_axes(shape):
    z = cplx(shape)
    np.testing.assert_allclose(run("FFT2D", [z]), np.fft.fft2(z), atol=1e-11)
    np.testing.assert_allclose(run("IFFT2D", [z]), np.fft.ifft2(z), atol=1e-12)
    if len(shape) >= 4:
        np.testing.assert_allclose(run("FFT3D", [z]), np.fft.fftn(z, axes=(-3, -2, -1)),
                                   atol=1e-10)  # fmt: skip
        np.testing.assert_allclose(run("IFFT3D", [z]), np.fft.ifftn(z, axes=(-3, -2, -1)),
                                   atol=1e-12)  # fmt: skip


@pytest.mark.parametrize("op, rank", [("FFT2D", 2), ("IFFT2D", 2), ("FFT3D", 3), ("IFFT3D", 3)])
def test_multidimensional_fft(op, rank):
    z = cplx((2, 3, 5, 97))
    fn = np.fft.ifftn if op.startswith("I") else np.fft.fftn
    np.testing.assert_allclose(run(op, [z]), fn(z, axes=tuple(range(-rank, 0))), atol=1e-12)


@pytest.mark.parametrize("lengths", [[6, 10], [4, 7], [9, 16], [1, 1]])
def test_rfft2d_and_irfft2d_crop_and_pad(lengths):
    x = RNG.standard_normal((2, 6, 10))
    out = run("RFFT2D", [x], fft_length=lengths)
    assert out.dtype == C128
    np.testing.assert_allclose(out, np.fft.rfftn(x, s=lengths, axes=(1, 2)), atol=1e-12)
    h = cplx((2, 5, 4))
    out = run("IRFFT2D", [h], fft_length=lengths)
    assert out.dtype == np.float64 and out.shape == (2, *lengths)
    np.testing.assert_allclose(out, np.fft.irfftn(h, s=lengths, axes=(1, 2)), atol=1e-12)


def test_rfft_irfft_float32_and_zero_lengths():
    x = RNG.standard_normal((3, 11)).astype(np.float32)
    out = run("RFFT", [x], fft_length=[11])
    assert out.dtype == C64 and out.shape == (3, 6)
    np.testing.assert_allclose(out, np.fft.rfft(x), atol=1e-5)
    back = run("IRFFT", [out], fft_length=[11])
    assert back.dtype == np.float32
    np.testing.assert_allclose(back, x, atol=1e-6)
    assert run("RFFT", [x], fft_length=[0]).shape == (3, 0)
    assert run("IRFFT", [out], fft_length=[0]).shape == (3, 0)


def test_fft_op_errors():
    with pytest.raises(errors.InvalidArgumentError, match="complex64 or complex128"):
        run("FFT", [np.ones(3, np.float32)])
    with pytest.raises(errors.InvalidArgumentError, match=r"rank of at least 2 but got: \[3\]"):
        run("FFT2D", [np.ones(3, C64)])
    with pytest.raises(errors.InvalidArgumentError, match="float32 or float64"):
        run("RFFT", [np.ones(3, C64)], fft_length=[3])
    with pytest.raises(errors.InvalidArgumentError, match="fft_length must be 2"):
        run("RFFT2D", [np.ones((3, 3))], fft_length=[3])
    with pytest.raises(errors.InvalidArgumentError, match="non-negative"):
        run("IRFFT", [np.ones(3, C64)], fft_length=[-2])


MORE_UNARY = {
    "Tan": np.tan, "Sinh": np.sinh, "Cosh": np.cosh, "Asin": np.arcsin, "Acos": np.arccos,
    "Atan": np.arctan, "Asinh": np.arcsinh, "Acosh": np.arccosh, "Atanh": np.arctanh,
    "Sigmoid": lambda z: 1 / (1 + np.exp(-z)), "Expm1": np.expm1, "Log1p": np.log1p,
}  # fmt: skip


@pytest.mark.parametrize("dtype", [C64, C128])
@pytest.mark.parametrize("op", sorted(MORE_UNARY))
def test_more_unary_ops_on_complex(op, dtype):
    z = cplx((3, 5), dtype) * 0.7
    out = run(op, [z])
    assert out.dtype == dtype
    np.testing.assert_allclose(out, MORE_UNARY[op](z.astype(C128)), **tol(dtype))


@pytest.mark.parametrize("n", [2, 6, 10, 30, 64, 90])
def test_even_rfft_through_half_length_transform(n):
    x = RNG.standard_normal((4, n))
    out = run("RFFT", [x], fft_length=(n,))
    np.testing.assert_allclose(out, np.fft.rfft(x), rtol=1e-13, atol=1e-12)
    assert np.all(out[:, 0].imag == 0) and np.all(out[:, -1].imag == 0)


@pytest.mark.parametrize("n", [2, 6, 10, 30, 64, 90])
def test_even_irfft_through_half_length_transform(n):
    spec = cplx((3, n // 2 + 1))  # imaginary parts at 0 and n / 2 drop out, as NumPy's
    out = run("IRFFT", [spec], fft_length=(n,))
    np.testing.assert_allclose(out, np.fft.irfft(spec, n), rtol=1e-13, atol=1e-13)
