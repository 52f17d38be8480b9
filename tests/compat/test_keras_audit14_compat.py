"""Issue 14's last gaps: ``keras.ops`` ``linalg`` (eigh, lstsq, pinv, matrix_rank,
cholesky_inverse, lu_factor), ``image`` (extract_patches_3d, gaussian_blur, sobel_edges,
perspective_transform), the rest of ``keras.ops.numpy`` (inverse trigonometry, bitwise, NaN-aware
reductions, windows), ``nn`` / ``math`` additions, Keras 3's other initializer spellings, the
focal / Huber metric functions and ``Flatten(data_format=)``; NumPy references, green on TF 2.21
and on tensorhouse."""

import itertools

import numpy as np
import pytest

RNG = np.random.default_rng(14)
VOL = RNG.random((2, 7, 6, 5, 3)).astype(np.float32)
IMG = RNG.random((2, 9, 8, 3)).astype(np.float32)
SPD = RNG.random((4, 4))
SPD = (SPD @ SPD.T + np.eye(4)).astype(np.float32)


def npy(x):
    return np.asarray(x)


# ---------------------------------------------------------------- linalg
def test_eigh(tf):
    w, v = tf.keras.ops.linalg.eigh(SPD)
    np.testing.assert_allclose(npy(w), np.linalg.eigvalsh(SPD), rtol=1e-5)
    np.testing.assert_allclose(npy(v) @ np.diag(npy(w)) @ npy(v).T, SPD, atol=1e-5)
    assert npy(w).dtype == np.float32


@pytest.mark.parametrize("rcond", [None, 0.5])
def test_lstsq(tf, rcond):
    a = RNG.random((5, 3)).astype(np.float32)
    if rcond:  # one small singular value, which rcond=0.5 drops: the minimum-norm solution
        a[:, 2] = a[:, 0] + 1e-3 * a[:, 1]
    b = RNG.random((5, 2)).astype(np.float32)
    want = np.linalg.lstsq(a.astype(np.float64), b, rcond=rcond)[0]
    got = tf.keras.ops.lstsq(a, b, rcond=rcond)
    np.testing.assert_allclose(npy(got), want, rtol=1e-4, atol=1e-5)
    vec = tf.keras.ops.linalg.lstsq(a, b[:, 0], rcond=rcond)
    assert npy(vec).shape == (3,)
    np.testing.assert_allclose(npy(vec), npy(got)[:, 0], rtol=1e-5, atol=1e-6)


def test_lstsq_bad_shapes(tf):
    with pytest.raises(ValueError, match="Leading dimensions"):
        tf.keras.ops.lstsq(np.ones((3, 2), "float32"), np.ones((4,), "float32"))
    with pytest.raises(TypeError, match="3-dimensional array given"):
        tf.keras.ops.lstsq(np.ones((3, 2, 2), "float32"), np.ones((3,), "float32"))


def test_pinv_and_matrix_rank(tf):
    a = RNG.random((5, 3)).astype(np.float32)
    np.testing.assert_allclose(npy(tf.keras.ops.pinv(a)), np.linalg.pinv(a), atol=1e-5)
    low = np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 0.5]).astype(np.float32)
    rank = tf.keras.ops.linalg.matrix_rank(low)
    assert int(npy(rank)) == 1 and npy(rank).dtype == np.int32
    assert int(npy(tf.keras.ops.matrix_rank(SPD))) == 4


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_inverse(tf, upper):
    low = np.linalg.cholesky(SPD.astype(np.float64)).astype(np.float32)
    got = tf.keras.ops.linalg.cholesky_inverse(low.T if upper else low, upper=upper)
    np.testing.assert_allclose(npy(got), np.linalg.inv(SPD.astype(np.float64)), atol=1e-5)


def test_lu_factor(tf):
    a = RNG.random((4, 4)).astype(np.float32)
    lu, piv = tf.keras.ops.linalg.lu_factor(a)
    lu, piv = npy(lu), npy(piv)
    lower, upper = np.tril(lu, -1) + np.eye(4), np.triu(lu)
    np.testing.assert_allclose((lower @ upper)[piv], a, atol=1e-5)
    assert sorted(piv.tolist()) == [0, 1, 2, 3] and piv.dtype == np.int32


def test_numpy_namespace_slogdet(tf):
    sign, logdet = tf.keras.ops.numpy.slogdet(SPD)
    np.testing.assert_allclose([npy(sign), npy(logdet)], np.linalg.slogdet(SPD), rtol=1e-5)


# ---------------------------------------------------------------- image
def patches_3d_ref(v, size, strides, dilation, padding):
    """Each patch flattened (depth, rows, columns, channels), by loops."""
    if padding == "same":
        pads = [(0, 0)]
        for n, k, s, d in zip(v.shape[1:4], size, strides, dilation, strict=True):
            out, span = -(-n // s), (k - 1) * d + 1
            total = max((out - 1) * s + span - n, 0)
            pads.append((total // 2, total - total // 2))
        v = np.pad(v, pads + [(0, 0)])
    spans = [(k - 1) * d + 1 for k, d in zip(size, dilation, strict=True)]
    outs = [(n - sp) // s + 1 for n, sp, s in zip(v.shape[1:4], spans, strides, strict=True)]
    res = np.zeros((v.shape[0], *outs, int(np.prod(size)) * v.shape[-1]), v.dtype)
    for o in itertools.product(*(range(n) for n in outs)):
        taps = [
            v[:, o[0] * strides[0] + t[0] * dilation[0], o[1] * strides[1] + t[1] * dilation[1],
              o[2] * strides[2] + t[2] * dilation[2]]
            for t in itertools.product(*(range(k) for k in size))
        ]  # fmt: skip
        res[:, o[0], o[1], o[2]] = np.concatenate(taps, axis=-1)
    return res


@pytest.mark.parametrize(
    "size, strides, dilation, padding",
    [
        ((2, 2, 2), None, 1, "valid"),
        ((3, 2, 2), (2, 1, 3), 1, "same"),
        ((2, 2, 2), 1, (2, 1, 2), "valid"),
        (2, None, 1, "same"),
    ],
)
def test_extract_patches_3d(tf, size, strides, dilation, padding):
    got = tf.keras.ops.image.extract_patches_3d(VOL, size, strides, dilation, padding)
    t3 = lambda v: (v,) * 3 if isinstance(v, int) else tuple(v)  # noqa: E731
    want = patches_3d_ref(VOL, t3(size), t3(strides or size), t3(dilation), padding)
    np.testing.assert_array_equal(npy(got), want)


def test_extract_patches_3d_layouts(tf):
    ops = tf.keras.ops
    want = patches_3d_ref(VOL, (2, 3, 2), (2, 3, 2), (1, 1, 1), "valid")
    first = ops.image.extract_patches_3d(
        np.transpose(VOL, (0, 4, 1, 2, 3)), (2, 3, 2), data_format="channels_first"
    )
    np.testing.assert_array_equal(npy(first), np.transpose(want, (0, 4, 1, 2, 3)))
    # an unbatched volume, through extract_patches with a 3-tuple size
    np.testing.assert_array_equal(npy(ops.image.extract_patches(VOL[0], (2, 3, 2))), want[0])
    with pytest.raises(ValueError, match="strides > 1"):
        ops.image.extract_patches_3d(VOL, 2, strides=2, dilation_rate=2)


def gaussian_ref(images, ksize, sigma):
    """Keras's kernel: the row profile from ``ksize[1], sigma[1]``, the column one from
    ``ksize[0], sigma[0]``, laid out ``(ksize[0], ksize[1])``; zero ``SAME`` padding."""

    def profile(n, s):
        k = np.exp(-0.5 * ((np.arange(n) - (n - 1) / 2) / s) ** 2)
        return k / k.sum()

    kernel = np.outer(profile(ksize[1], sigma[1]), profile(ksize[0], sigma[0]))
    kernel = kernel.reshape(ksize)
    kh, kw = ksize
    top, left = (kh - 1) // 2, (kw - 1) // 2
    padded = np.pad(images, [(0, 0), (top, kh - 1 - top), (left, kw - 1 - left), (0, 0)])
    h, w = images.shape[1:3]
    out = np.zeros(images.shape)
    for i, j in itertools.product(range(kh), range(kw)):
        out += kernel[i, j] * padded[:, i : i + h, j : j + w]
    return out


@pytest.mark.parametrize("ksize, sigma", [((3, 3), (1.0, 1.0)), ((3, 5), (1.0, 2.0))])
def test_gaussian_blur(tf, ksize, sigma):
    got = tf.keras.ops.image.gaussian_blur(IMG, ksize, sigma)
    np.testing.assert_allclose(npy(got), gaussian_ref(IMG, ksize, sigma), atol=1e-6)


def test_gaussian_blur_channels_first_unbatched(tf):
    x = np.transpose(IMG[0], (2, 0, 1))
    got = tf.keras.ops.image.gaussian_blur(x, (5, 3), (0.7, 1.5), data_format="channels_first")
    want = gaussian_ref(IMG[:1], (5, 3), (0.7, 1.5))[0]
    np.testing.assert_allclose(npy(got), np.transpose(want, (2, 0, 1)), atol=1e-6)


def test_sobel_edges(tf):
    got = npy(tf.keras.ops.image.sobel_edges(IMG))
    assert got.shape == (2, 9, 8, 3, 2)
    # interior points: dy and dx are the Sobel stencils
    p = IMG[:, 3:6, 2:5]
    col, row = np.array([1.0, 2.0, 1.0]), np.array([-1.0, 0.0, 1.0])
    dy = np.einsum("bijc,i,j->bc", p, row, col)
    dx = np.einsum("bijc,i,j->bc", p, col, row)
    np.testing.assert_allclose(got[:, 4, 3], np.stack([dy, dx], -1), atol=1e-5)
    first = tf.keras.ops.image.sobel_edges(
        np.transpose(IMG, (0, 3, 1, 2)), data_format="channels_first"
    )
    np.testing.assert_allclose(npy(first), np.transpose(got, (0, 3, 1, 2, 4)), atol=1e-6)


QUAD = np.array([[0, 0], [7, 0], [7, 8], [0, 8]], np.float32)


def test_perspective_transform_shift(tf):
    # end = start moved right by 2: output (x, y) reads the input at (x - 2, y), zeros outside
    got = npy(tf.keras.ops.image.perspective_transform(IMG, QUAD, QUAD + [2, 0]))
    want = np.zeros_like(IMG)
    want[:, :, 2:] = IMG[:, :, :-2]
    np.testing.assert_allclose(got, want, atol=1e-5)
    same = tf.keras.ops.image.perspective_transform(IMG[0], QUAD, QUAD, interpolation="nearest")
    np.testing.assert_allclose(npy(same), IMG[0], atol=1e-6)


def test_perspective_transform_projective(tf):
    end = np.array([[1, 0], [6, 1], [7, 7], [0, 8]], np.float32)
    # the projective numbers from NumPy: end corner i maps back onto start corner i
    rows, rhs = [], []
    for (sx, sy), (ex, ey) in zip(QUAD, end, strict=True):
        rows += [[ex, ey, 1, 0, 0, 0, -sx * ex, -sx * ey], [0, 0, 0, ex, ey, 1, -sy * ex, -sy * ey]]
        rhs += [sx, sy]
    m = np.linalg.solve(np.array(rows, np.float64), np.array(rhs)).astype(np.float32)
    got = tf.keras.ops.image.perspective_transform(IMG, QUAD, end, fill_value=0.5)
    want = tf.keras.ops.image.affine_transform(IMG, np.stack([m, m]), fill_value=0.5)
    np.testing.assert_allclose(npy(got), npy(want), atol=1e-4)
    # one transform for a batch: every image gets it
    one = tf.keras.ops.image.affine_transform(IMG, m, fill_value=0.5)
    np.testing.assert_allclose(npy(one), npy(want), atol=1e-6)
    with pytest.raises(ValueError, match="start_points and end_points must have the same"):
        tf.keras.ops.image.perspective_transform(IMG, QUAD, np.stack([end, end]))


# ---------------------------------------------------------------- names
def test_initializer_spellings(tf):
    init = tf.keras.initializers
    pairs = {
        "constant": "Constant", "zeros": "Zeros", "ones": "Ones", "orthogonal": "Orthogonal",
        "random_normal": "RandomNormal", "random_uniform": "RandomUniform",
        "truncated_normal": "TruncatedNormal", "variance_scaling": "VarianceScaling",
        "glorot_normal": "GlorotNormal", "glorot_uniform": "GlorotUniform",
        "he_normal": "HeNormal", "he_uniform": "HeUniform", "lecun_normal": "LecunNormal",
        "lecun_uniform": "LecunUniform", "OrthogonalInitializer": "Orthogonal",
        "IdentityInitializer": "Identity",
    }  # fmt: skip
    for alias, name in pairs.items():
        assert getattr(init, alias) is getattr(init, name), alias
    w = npy(init.glorot_uniform(seed=3)((40, 60)))
    assert w.shape == (40, 60) and np.abs(w).max() <= np.sqrt(6 / 100) + 1e-6


def test_metric_loss_functions(tf):
    m, lo = tf.keras.metrics, tf.keras.losses
    for name in ("huber", "binary_focal_crossentropy", "categorical_focal_crossentropy"):
        assert getattr(m, name) is getattr(lo, name)
    got = m.huber(np.array([[0.0, 1.0]], "float32"), np.array([[2.0, 1.5]], "float32"))
    np.testing.assert_allclose(npy(got), [(1.5 + 0.125) / 2], rtol=1e-6)


# ---------------------------------------------------------------- keras.ops.numpy's rest
F = RNG.uniform(-0.9, 0.9, (3, 4)).astype(np.float32)
G = RNG.uniform(1.1, 3.0, (3, 4)).astype(np.float32)
IN = RNG.integers(0, 50, (3, 4)).astype(np.int32)
J = RNG.integers(0, 5, (3, 4)).astype(np.int32)
U8 = RNG.integers(0, 200, (5,)).astype(np.uint8)
NANX = F.copy()
NANX[0, 1] = np.nan
NANX[2, :] = np.nan
FA = np.array([1.0, np.nan, 3.0, np.nan], np.float32)
FB = np.array([np.nan, 2.0, 1.0, np.nan], np.float32)

# name -> (call on keras.ops, NumPy reference, result dtype)
NUMPY_CASES = {
    "arccos": (lambda o: o.arccos(F), np.arccos(F), "float32"),
    "arccos_int": (lambda o: o.arccos(J % 2), np.arccos((J % 2).astype(np.float32)), "float32"),
    "arcsin": (lambda o: o.arcsin(F), np.arcsin(F), "float32"),
    "arctan": (lambda o: o.arctan(IN), np.arctan(IN.astype(np.float32)), "float32"),
    "arctanh": (lambda o: o.arctanh(F), np.arctanh(F), "float32"),
    "arcsinh": (lambda o: o.arcsinh(F), np.arcsinh(F), "float32"),
    "arccosh": (lambda o: o.arccosh(G), np.arccosh(G), "float32"),
    "arctan2": (lambda o: o.arctan2(F, G), np.arctan2(F, G), "float32"),
    "arctan2_int": (lambda o: o.arctan2(IN, J), np.arctan2(IN, J).astype(np.float32), "float32"),
    "angle": (lambda o: o.angle(F), np.angle(F), "float32"),
    "isreal": (lambda o: o.isreal(F), np.isreal(F), "bool"),
    "bitwise_and": (lambda o: o.bitwise_and(IN, J), IN & J, "int32"),
    "bitwise_or": (lambda o: o.bitwise_or(U8, np.uint8(3)), U8 | 3, "uint8"),
    "bitwise_xor": (lambda o: o.bitwise_xor(IN, J), IN ^ J, "int32"),
    "bitwise_invert": (lambda o: o.bitwise_invert(IN), ~IN, "int32"),
    "bitwise_not": (lambda o: o.bitwise_not(U8), ~U8, "uint8"),
    "left_shift": (lambda o: o.left_shift(IN, J), IN << J, "int32"),
    "bitwise_left_shift": (lambda o: o.bitwise_left_shift(U8, 2), U8 << 2, "uint8"),
    "right_shift": (lambda o: o.right_shift(IN, 2), IN >> 2, "int32"),
    "bitwise_right_shift": (lambda o: o.bitwise_right_shift(IN, J), IN >> J, "int32"),
    "fmax": (lambda o: o.fmax(FA, FB), np.fmax(FA, FB), "float32"),
    "fmin": (lambda o: o.fmin(FA, FB), np.fmin(FA, FB), "float32"),
    "fmax_int": (lambda o: o.fmax(IN, J), np.fmax(IN, J), "int32"),
    "fmin_scalar": (lambda o: o.fmin(FA, 2), np.fmin(FA, 2), "float32"),
    "ldexp": (lambda o: o.ldexp(F, J), np.ldexp(F, J), "float32"),
    "ldexp_int": (lambda o: o.ldexp(IN, J), np.ldexp(IN, J).astype(np.float32), "float32"),
    "nanprod": (lambda o: o.nanprod(NANX, axis=1), np.nanprod(NANX, axis=1), "float32"),
    "nancumsum": (lambda o: o.nancumsum(NANX, axis=1), np.nancumsum(NANX, axis=1), "float32"),
    "nancumprod": (lambda o: o.nancumprod(NANX), np.nancumprod(NANX), "float32"),
    "nanvar": (lambda o: o.nanvar(NANX[:2], axis=1), np.nanvar(NANX[:2], axis=1), "float32"),
    "nanstd": (lambda o: o.nanstd(NANX[:2]), np.nanstd(NANX[:2]), "float32"),
    "nanvar_keepdims": (
        lambda o: o.nanvar(NANX[:2], axis=0, keepdims=True),
        np.nanvar(NANX[:2], axis=0, keepdims=True),
        "float32",
    ),
    "nanargmax": (lambda o: o.nanargmax(NANX, axis=1), [*np.nanargmax(NANX[:2], 1), -1], "int32"),
    "nanargmin": (lambda o: o.nanargmin(NANX[:2], axis=1), np.nanargmin(NANX[:2], 1), "int32"),
    "nanargmin_int": (lambda o: o.nanargmin(IN, axis=0), np.argmin(IN, axis=0), "int32"),
    "trapezoid": (lambda o: o.trapezoid(F), np.trapezoid(F), "float32"),
    "trapezoid_x": (
        lambda o: o.trapezoid(F, x=np.array([0, 1, 3, 4.5], np.float32)),
        np.trapezoid(F, x=[0, 1, 3, 4.5]),
        "float32",
    ),
    "trapezoid_axis": (
        lambda o: o.trapezoid(F, dx=0.5, axis=0),
        np.trapezoid(F, dx=0.5, axis=0),
        "float32",
    ),  # fmt: skip
    "trapezoid_int": (lambda o: o.trapezoid(IN), np.trapezoid(IN), "float32"),
    "hamming": (lambda o: o.hamming(7), np.hamming(7), "float32"),
    "hanning": (lambda o: o.hanning(7), np.hanning(7), "float32"),
    "bartlett": (lambda o: o.bartlett(7), np.bartlett(7), "float32"),
    "blackman": (lambda o: o.blackman(7), np.blackman(7), "float32"),
    "blackman_1": (lambda o: o.blackman(1), np.blackman(1), "float32"),
    "dstack": (lambda o: o.dstack([F, IN]), np.dstack([F, IN]), "float32"),
    "dstack_1d": (
        lambda o: o.dstack([np.arange(3), np.arange(3)]),
        np.dstack([np.arange(3)] * 2),
        "int64",
    ),
}


@pytest.mark.parametrize("name", sorted(NUMPY_CASES))
def test_numpy_rest(tf, name):
    call, want, dtype = NUMPY_CASES[name]
    got = npy(call(tf.keras.ops))
    assert got.dtype.name == dtype
    np.testing.assert_allclose(got, np.asarray(want, dtype=got.dtype), rtol=2e-6, atol=1e-6)


def test_numpy_rest_namespaces_and_dsplit(tf):
    ops = tf.keras.ops
    parts = ops.numpy.dsplit(np.arange(16.0).reshape(2, 2, 4), 2)
    np.testing.assert_array_equal(npy(parts[1]), np.arange(16.0).reshape(2, 2, 4)[..., 2:])
    assert ops.numpy.arccos is ops.arccos and ops.numpy.bitwise_and is ops.bitwise_and
    with pytest.raises(TypeError, match="ldexp exponent must be an integer"):
        ops.ldexp(F, F)


# ---------------------------------------------------------------- nn and math
def d2s_ref(x, b):
    n, h, w, c = x.shape
    y = x.reshape(n, h, w, b, b, c // (b * b)).transpose(0, 1, 3, 2, 4, 5)
    return y.reshape(n, h * b, w * b, c // (b * b))


def test_depth_to_space_and_back(tf):
    ops = tf.keras.ops
    x = RNG.random((2, 3, 4, 8)).astype(np.float32)
    np.testing.assert_array_equal(npy(ops.nn.depth_to_space(x, 2)), d2s_ref(x, 2))
    first = ops.depth_to_space(np.transpose(x, (0, 3, 1, 2)), 2, data_format="channels_first")
    np.testing.assert_array_equal(npy(first), np.transpose(d2s_ref(x, 2), (0, 3, 1, 2)))
    back = ops.nn.space_to_depth(d2s_ref(x, 2), 2)
    np.testing.assert_array_equal(npy(back), x)
    back_cf = ops.space_to_depth(np.transpose(d2s_ref(x, 2), (0, 3, 1, 2)), 2, "channels_first")
    np.testing.assert_array_equal(npy(back_cf), np.transpose(x, (0, 3, 1, 2)))


def test_psnr_polar_cdist(tf):
    ops = tf.keras.ops
    x = RNG.random((2, 3, 4)).astype(np.float32)
    want = 20 * np.log10(2.0) - 10 * np.log10(np.mean((0.1 * x) ** 2))
    np.testing.assert_allclose(npy(ops.nn.psnr(x, 0.9 * x, 2.0)), want, rtol=1e-5)
    with pytest.raises(ValueError, match="must match for PSNR"):
        ops.psnr(x, x[0], 1.0)
    z = npy(ops.nn.polar(x[0], x[1]))
    assert z.dtype == np.complex64
    np.testing.assert_allclose(z, x[0] * np.exp(1j * x[1]), rtol=1e-6, atol=1e-6)
    a, b = RNG.random((2, 3, 4)), RNG.random((2, 5, 4))
    want = np.sqrt(((a[:, :, None] - b[:, None]) ** 2).sum(-1))
    np.testing.assert_allclose(npy(ops.cdist(a, b)), want, rtol=1e-12)
    with pytest.raises(ValueError, match="Last dimension of inputs to `cdist` must match"):
        ops.cdist(a, b[..., :3])


def test_segment_prod(tf):
    ops = tf.keras.ops
    data = RNG.random((4, 3)).astype(np.float32)
    got = ops.segment_prod(data, np.array([0, 0, 2, 1]), num_segments=4)
    want = np.stack([data[0] * data[1], data[3], data[2], np.ones(3)])
    np.testing.assert_allclose(npy(got), want, rtol=1e-6)
    ints = ops.segment_prod(np.array([2, 3, 4, 5, 6], np.int32), np.array([0, 0, 1, 1, 2]))
    assert npy(ints).tolist() == [6, 20, 6] and npy(ints).dtype == np.int32
    srt = ops.segment_prod(data, np.array([0, 0, 1, 1]), sorted=True)
    np.testing.assert_allclose(npy(srt), [data[0] * data[1], data[2] * data[3]], rtol=1e-6)


def test_new_ops_traced_equal_eager(tf):
    ops = tf.keras.ops

    def body(x, m):
        return (
            ops.arctan2(x, ops.fmax(x, 0.5)),
            ops.nanvar(x, axis=1),
            ops.linalg.lstsq(m, x[:, :2]),
            ops.image.gaussian_blur(x[None, :, :, None], (3, 3), (1.0, 1.0)),
            ops.image.extract_patches_3d(x[None, :, :, None, None], (2, 2, 1)),
            ops.depth_to_space(ops.reshape(x[:, :4], (1, 2, 2, 4)), 2),
        )

    x = RNG.random((4, 6)).astype(np.float32)
    m = RNG.random((4, 3)).astype(np.float32)
    eager = body(x, m)
    traced = tf.function(body)(tf.constant(x), tf.constant(m))
    for e, t in zip(eager, traced, strict=True):
        np.testing.assert_allclose(npy(t), npy(e), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- layers
def test_flatten_data_format(tf):
    x = np.arange(24, dtype=np.float32).reshape(1, 2, 3, 4)
    first = tf.keras.layers.Flatten(data_format="channels_first")
    np.testing.assert_array_equal(npy(first(x)), np.moveaxis(x, 1, -1).reshape(1, -1))
    assert first.get_config()["data_format"] == "channels_first"
    last = tf.keras.layers.Flatten.from_config(tf.keras.layers.Flatten().get_config())
    assert last.data_format == "channels_last"
    np.testing.assert_array_equal(npy(last(x)), x.reshape(1, -1))
    assert tuple(first(np.ones((3, 5), np.float32)).shape) == (3, 5)


def test_variance_scaling_axes(tf):
    init = tf.keras.initializers
    # the default fans of a (3, 3, 4, 8) kernel, named by axes: the same draw
    plain = npy(init.HeUniform(seed=5)((3, 3, 4, 8)))
    named = npy(init.HeUniform(seed=5, input_axes=[0, 1, 2], output_axes=[3])((3, 3, 4, 8)))
    np.testing.assert_array_equal(plain, named)
    # fan_in = 7 (axis 0) instead of the receptive-field rule's 3 * 5
    w = npy(init.VarianceScaling(1.0, "fan_in", "uniform", 1, [0], [1, 2])((7, 3, 5)))
    assert np.abs(w).max() <= np.sqrt(3 / 7) + 1e-6 and np.abs(w).max() > np.sqrt(3 / 15)
    config = init.GlorotNormal(seed=2, input_axes=[0], output_axes=[1]).get_config()
    assert config == {"seed": 2, "input_axes": [0], "output_axes": [1]}
    assert init.VarianceScaling().get_config()["output_axes"] is None


def test_backend_uid_keras_tensor_and_config_policy(tf):
    k = tf.keras
    k.backend.clear_session()
    assert k.backend.get_uid("audit_prefix") == 1 and k.backend.get_uid("audit_prefix") == 2
    assert k.backend.get_uid("dense") == 1
    assert k.layers.Dense(2).name == "dense_1"  # the same counter names layers
    assert k.backend.get_uid("dense") == 3
    x = k.Input((2,))
    assert k.backend.is_keras_tensor(x) and not k.backend.is_keras_tensor(tf.constant(1.0))
    assert k.config.dtype_policy().name == "float32"
    k.config.set_dtype_policy("mixed_float16")
    try:
        assert k.layers.Dense(2).compute_dtype == "float16"
    finally:
        k.config.set_dtype_policy("float32")
    k.backend.clear_session()


def test_gcd_lcm(tf):
    ops = tf.keras.ops
    a = np.array([12, -18, 0, 7, 0, 45], np.int32)
    b = np.array([8, 24, 5, 0, 0, -30], np.int32)
    assert npy(ops.gcd(a, b)).tolist() == np.gcd(a, b).tolist()
    assert npy(ops.lcm(a, b)).tolist() == np.lcm(a, b).tolist()
    grid = npy(ops.gcd(a[:, None], np.array([4, 6], np.int32)))
    np.testing.assert_array_equal(grid, np.gcd(a[:, None], [4, 6]))
    small = ops.gcd(np.array([12, 200], np.uint8), np.array([18, 150], np.uint8))
    assert npy(small).tolist() == [6, 50] and npy(small).dtype == np.uint8
    with pytest.raises(TypeError, match="lcm must be integers"):
        ops.lcm(np.ones(2, np.float32), b[:2])


def test_geomspace_logspace_corrcoef(tf):
    ops = tf.keras.ops
    np.testing.assert_allclose(npy(ops.geomspace(1, 1000, 4)), [1, 10, 100, 1000], rtol=1e-6)
    neg = npy(ops.geomspace(-2.0, -32.0, 5, endpoint=False))
    np.testing.assert_allclose(neg, np.geomspace(-2.0, -32.0, 5, endpoint=False), rtol=1e-6)
    wide = npy(ops.logspace(0, 1.3, 4, dtype="float64"))  # 1.3 read as a float64
    np.testing.assert_allclose(wide, np.logspace(0, 1.3, 4), rtol=1e-15)
    assert wide.dtype == np.float64 and npy(ops.logspace(np.float64(0), 1, 3)).dtype == np.float64
    x = RNG.random((3, 5)).astype(np.float32)
    np.testing.assert_allclose(npy(ops.corrcoef(x)), np.corrcoef(x), rtol=1e-5, atol=1e-6)
    ints = npy(ops.corrcoef(np.array([[1, 2, 3, 5], [2, 1, 0, 4]], np.int32)))
    assert ints.dtype == np.float32
    np.testing.assert_allclose(ints, np.corrcoef([[1, 2, 3, 5], [2, 1, 0, 4]]), rtol=1e-6)


@pytest.mark.parametrize("axis, epsilon", [(-1, 1e-6), ([1, 2], 1e-3)])
def test_rms_normalization(tf, axis, epsilon):
    x = RNG.standard_normal((2, 3, 4)).astype(np.float32)
    layer = tf.keras.layers.RMSNormalization(axis=axis, epsilon=epsilon)
    layer.build(x.shape)
    (scale,) = layer.get_weights()
    assert [w.path for w in layer.weights] == [f"{layer.name}/scale"]
    axes = (2,) if axis == -1 else (1, 2)
    assert scale.shape == tuple(x.shape[a] for a in axes) and np.all(scale == 1)
    scale = np.arange(1, scale.size + 1, dtype=np.float32).reshape(scale.shape)
    layer.set_weights([scale])
    want = x / np.sqrt((x**2).mean(axis=axes, keepdims=True) + epsilon) * scale
    np.testing.assert_allclose(npy(layer(x)), want, rtol=1e-5, atol=1e-6)
    config = layer.get_config()
    assert config["axis"] == list(axes if axis != -1 else [-1]) and config["epsilon"] == epsilon


def pearson_ref(t, p, axis):
    t = t - t.mean(axis, keepdims=True)
    p = p - p.mean(axis, keepdims=True)
    return (t / t.std(axis, keepdims=True) * p / p.std(axis, keepdims=True)).mean(axis)


def concordance_ref(t, p, axis):
    tm, pm = t.mean(axis, keepdims=True), p.mean(axis, keepdims=True)
    norm = (t - tm).var(axis, keepdims=True) + (p - pm).var(axis, keepdims=True) + (tm - pm) ** 2
    return (2 * (t - pm) * (p - pm) / (norm + 1e-7)).mean(axis)  # Keras 3's covariance term


@pytest.mark.parametrize("axis", [-1, 0])
def test_correlation_metrics(tf, axis):
    m = tf.keras.metrics
    yt = RNG.random((4, 5)).astype(np.float32)
    yp = (yt + 0.3 * RNG.random((4, 5))).astype(np.float32)
    for cls, ref in (
        (m.PearsonCorrelation, pearson_ref),
        (m.ConcordanceCorrelation, concordance_ref),
    ):
        metric = cls(axis=axis)
        metric.update_state(yt, yp)
        np.testing.assert_allclose(float(metric.result()), ref(yt, yp, axis).mean(), rtol=1e-5)
        if axis == -1:  # weighted by sample, over two batches
            metric.update_state(yt[:2], 2 * yp[:2], sample_weight=np.array([1.0, 3.0]))
            values = np.concatenate([ref(yt, yp, -1), ref(yt[:2], 2 * yp[:2], -1)])
            weights = np.array([1, 1, 1, 1, 1.0, 3.0])
            want = (values * weights).sum() / weights.sum()
            np.testing.assert_allclose(float(metric.result()), want, rtol=1e-5)
        assert metric.get_config()["axis"] == axis
        assert [v.path for v in metric.variables] == [
            f"{metric.name}/total",
            f"{metric.name}/count",
        ]
    fn = m.pearson_correlation(yt, yp)
    np.testing.assert_allclose(npy(fn), pearson_ref(yt, yp, -1), rtol=1e-5)
    assert type(m.get("concordance_correlation")).__name__ == "ConcordanceCorrelation"


def test_view_as_real_and_complex(tf):
    ops = tf.keras.ops
    z = np.array([1 + 2j, 3 - 1j], np.complex128)
    real = npy(ops.view_as_real(z))
    assert real.dtype == np.float64 and real.tolist() == [[1.0, 2.0], [3.0, -1.0]]
    assert npy(ops.view_as_real(np.array([1.0, 2.0], np.float32))).tolist() == [[1, 0], [2, 0]]
    back = npy(ops.view_as_complex(np.array([[1.0, 2.0], [3.0, 4.0]])))
    assert back.dtype == np.complex64 and back.tolist() == [1 + 2j, 3 + 4j]
    with pytest.raises(ValueError, match="Last dimension of input must be size 2"):
        ops.view_as_complex(np.ones((2, 3), np.float32))


def ssim_ref(a, b, max_val=1.0, size=11, sigma=1.5, k1=0.01, k2=0.03):
    """Keras 3's SSIM in NumPy: VALID Gaussian windows per channel, then the means."""
    r = np.arange(size) - (size - 1) / 2.0
    g = np.exp(-(r**2) / (2 * sigma**2))
    g /= g.sum()
    kernel = np.outer(g, g)
    h, w = a.shape[1] - size + 1, a.shape[2] - size + 1

    def blur(t):
        out = np.zeros((t.shape[0], h, w, t.shape[3]))
        for i, j in itertools.product(range(size), range(size)):
            out += kernel[i, j] * t[:, i : i + h, j : j + w]
        return out

    a, b = a.astype(np.float64), b.astype(np.float64)
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    mu1, mu2 = blur(a), blur(b)
    v1, v2, cov = blur(a * a) - mu1**2, blur(b * b) - mu2**2, blur(a * b) - mu1 * mu2
    num = (2 * mu1 * mu2 + c1) * (2 * cov + c2)
    return (num / ((mu1**2 + mu2**2 + c1) * (v1 + v2 + c2))).mean(axis=(1, 2, 3))


def test_ssim(tf):
    ops = tf.keras.ops
    a = RNG.random((2, 16, 15, 3)).astype(np.float32)
    b = np.clip(a + 0.1 * RNG.standard_normal(a.shape), 0, 1).astype(np.float32)
    np.testing.assert_allclose(npy(ops.image.ssim(a, b)), ssim_ref(a, b), rtol=1e-5)
    one = ops.image.ssim(a[0], b[0], max_val=2.0, filter_size=5, filter_sigma=1.0)
    want = ssim_ref(a[:1], b[:1], max_val=2.0, size=5, sigma=1.0)[0]
    np.testing.assert_allclose(npy(one), want, rtol=1e-5)
    first = ops.image.ssim(
        np.transpose(a, (0, 3, 1, 2)), np.transpose(b, (0, 3, 1, 2)), data_format="channels_first"
    )
    np.testing.assert_allclose(npy(first), ssim_ref(a, b), rtol=1e-5)
    assert npy(ops.image.ssim(a.astype(np.float64), a.astype(np.float64))).tolist() == [1.0, 1.0]
