"""keras_ops: Keras 3's ``keras.ops`` against NumPy, Keras's dtype promotion table, tracing."""

import numpy as np
import pytest

import tensorhouse_ops as tops
from tensorhouse_components import keras_ops as K
from tensorhouse_components.keras_ops import config

RNG = np.random.default_rng(0)
A = RNG.normal(size=(3, 4)).astype(np.float32)
B = RNG.normal(size=(3, 4)).astype(np.float32)
P = RNG.uniform(0.5, 2.0, size=(3, 4)).astype(np.float32)
V = RNG.normal(size=(4,)).astype(np.float32)
IM = np.array([[3, -1, 0, 7], [2, 2, -5, 1]], dtype=np.int32)
SQ = (RNG.normal(size=(3, 3)) + 3 * np.eye(3)).astype(np.float64)


def np_of(x):
    if isinstance(x, list | tuple):
        return [np_of(v) for v in x]
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x)


# ---------------------------------------------------------------- dtype promotion
DTS = ["bool", "uint8", "int8", "int16", "int32", "int64", "bfloat16", "float16", "float32",
       "float64"]  # fmt: skip
# Keras 3.15's result_type on the TF backend, row dtype with column dtype, then with Python
# int, float and bool (read off real Keras once and written here by hand).
TABLE = {
    "bool": "bool uint8 int8 int16 int32 int64 bfloat16 float16 float32 float64 "
    "int32 float32 bool",
    "uint8": "uint8 uint8 int16 int16 int32 int64 bfloat16 float16 float32 float64 "
    "uint8 float32 uint8",
    "int8": "int8 int16 int8 int16 int32 int64 bfloat16 float16 float32 float64 "
    "int8 float32 int8",
    "int16": "int16 int16 int16 int16 int32 int64 bfloat16 float16 float32 float64 "
    "int16 float32 int16",
    "int32": "int32 int32 int32 int32 int32 int64 bfloat16 float16 float32 float64 "
    "int32 float32 int32",
    "int64": "int64 int64 int64 int64 int64 int64 bfloat16 float16 float32 float64 "
    "int64 float32 int64",
    "bfloat16": "bfloat16 bfloat16 bfloat16 bfloat16 bfloat16 bfloat16 bfloat16 float32 float32 "
    "float64 bfloat16 bfloat16 bfloat16",
    "float16": "float16 float16 float16 float16 float16 float16 float32 float16 float32 float64 "
    "float16 float16 float16",
    "float32": " ".join(["float32"] * 9 + ["float64"] + ["float32"] * 3),
    "float64": " ".join(["float64"] * 13),
}  # fmt: skip


@pytest.mark.parametrize("a", DTS)
def test_result_type_table(a):
    expected = TABLE[a].split()
    got = [K.result_type(a, b) for b in DTS] + [K.result_type(a, t) for t in (int, float, bool)]
    assert got == expected
    assert [K.result_type(b, a) for b in DTS] == expected[:10]  # symmetric


def test_result_type_python_scalars_alone():
    assert K.result_type(int, float) == "float32"
    assert K.result_type(int) == "int32"
    assert K.result_type(bool) == "bool"
    assert K.result_type(int, bool) == "int32"
    assert K.result_type("int32", "float32", "float64") == "float64"


# the dtypes whose arithmetic kernels the ops layer has
RUN_DTS = ["uint8", "int32", "int64", "float32", "float64"]


@pytest.mark.parametrize("a", RUN_DTS)
@pytest.mark.parametrize("b", RUN_DTS)
def test_binary_ops_promote(a, b):
    x, y = np.array([1, 2], a), np.array([3, 1], b)
    out = K.add(x, y)
    assert out.dtype.name == TABLE[a].split()[DTS.index(b)]
    np.testing.assert_array_equal(np_of(out), [4, 3])
    assert K.multiply(K.array(x), y).dtype.name == out.dtype.name
    assert K.maximum(x, y).dtype.name == out.dtype.name


@pytest.mark.parametrize("a", RUN_DTS)
def test_python_scalars_are_weak(a):
    x = K.array(np.array([1, 2], a))
    assert K.add(x, 1).dtype.name == a
    want_float = a if a.startswith("float") else "float32"
    out = K.add(x, 1.5)
    assert out.dtype.name == want_float
    np.testing.assert_allclose(np_of(out), [2.5, 3.5])
    assert K.subtract(2, x).dtype.name == a


def test_scalar_and_list_promotion():
    assert K.add(True, 2).dtype.name == "int32"
    assert K.add(np.float64(2.0), 1).dtype.name == "float64"
    assert K.add([1, 2], 1.5).dtype.name == "float32"
    assert K.add(np.array([1.0, 2.0]), 1).dtype.name == "float64"
    assert K.where(np.array([True, False]), np.array([1, 2], "int64"), 2).dtype.name == "int64"


UNARY_DTYPES = {
    # function: dtypes for bool, uint8, int32, int64, float32, float64 inputs
    "sqrt": "float32 float32 float32 float32 float32 float64",
    "exp": "float32 float32 float32 float32 float32 float64",
    "mean": "float32 float32 float32 float32 float32 float64",
    "var": "float32 float32 float32 float32 float32 float64",
    "floor": "float32 float32 float32 float32 float32 float64",
    "sum": "int32 int32 int32 int64 float32 float64",
    "cumsum": "int32 uint8 int32 int64 float32 float64",
    "square": "int32 uint8 int32 int64 float32 float64",
    "max": "bool uint8 int32 int64 float32 float64",
    "abs": "bool uint8 int32 int64 float32 float64",
    "argmax": "int32 int32 int32 int32 int32 int32",
    "count_nonzero": "int32 int32 int32 int32 int32 int32",
    "any": "bool bool bool bool bool bool",
    "divide": "float32 float32 float32 float32 float32 float64",
}


@pytest.mark.parametrize("name", sorted(UNARY_DTYPES))
def test_unary_result_dtypes(name):
    dts = ["bool", "uint8", "int32", "int64", "float32", "float64"]
    fn = getattr(K, name)
    got = []
    for d in dts:
        x = K.ones((2,), dtype=d) if d != "bool" else K.array(np.array([True, True]))
        got.append((fn(x, x) if name == "divide" else fn(x)).dtype.name)
    assert got == UNARY_DTYPES[name].split()


def test_creation_dtypes():
    assert K.zeros(2).dtype.name == "float32"
    assert K.full((2,), 3).dtype.name == "float32"
    assert K.arange(3).dtype.name == "int32"
    assert K.arange(0.0, 3).dtype.name == "float32"
    assert K.linspace(0, 1, 3).dtype.name == "float32"
    assert K.full_like(np.ones(2, "int32"), 2.5).numpy().tolist() == [2, 2]
    assert K.convert_to_tensor(2.0).dtype.name == "float32"
    assert K.convert_to_tensor(np.float64(2.0)).dtype.name == "float64"


def test_floatx_changes_defaults():
    try:
        config.set_floatx("float64")
        assert K.zeros(2).dtype.name == "float64"
        assert K.result_type("int32", float) == "float64"
        assert K.sqrt(np.array([4], "int32")).dtype.name == "float64"
    finally:
        config.set_floatx("float32")


# ---------------------------------------------------------------- values against NumPy
CASES = [
    ("abs", (A,), np.abs), ("add", (A, B), np.add), ("subtract", (A, V), np.subtract),
    ("multiply", (A, B), np.multiply), ("divide", (A, P), np.divide),
    ("true_divide", (IM, 2), np.true_divide), ("floor_divide", (IM, 3), np.floor_divide),
    ("mod", (IM, 3), np.mod), ("power", (P, B), np.power), ("maximum", (A, B), np.maximum),
    ("minimum", (A, 0.0), np.minimum), ("negative", (A,), np.negative),
    ("sign", (A,), np.sign), ("square", (A,), np.square), ("sqrt", (P,), np.sqrt),
    ("exp", (A,), np.exp), ("expm1", (A,), np.expm1), ("log", (P,), np.log),
    ("log1p", (P,), np.log1p), ("log2", (P,), np.log2), ("log10", (P,), np.log10),
    ("sin", (A,), np.sin), ("cos", (A,), np.cos), ("tan", (A,), np.tan),
    ("tanh", (A,), np.tanh), ("sinh", (A,), np.sinh), ("cosh", (A,), np.cosh),
    ("floor", (A,), np.floor), ("ceil", (A,), np.ceil), ("reciprocal", (P,), np.reciprocal),
    ("clip", (A, -0.5, 0.5), np.clip), ("round", (A * 10,), np.round),
    ("equal", (IM, 2), np.equal), ("not_equal", (IM, 2), np.not_equal),
    ("greater", (A, B), np.greater), ("greater_equal", (IM, 2), np.greater_equal),
    ("less", (A, B), np.less), ("less_equal", (IM, 2), np.less_equal),
    ("logical_and", (A > 0, B > 0), np.logical_and), ("logical_or", (A > 0, B > 0), np.logical_or),
    ("logical_xor", (A > 0, B > 0), np.logical_xor), ("logical_not", (A > 0,), np.logical_not),
    ("isnan", (np.array([1.0, np.nan]),), np.isnan),
    ("isinf", (np.array([np.inf, 1.0]),), np.isinf),
    ("isfinite", (np.array([np.inf, 1.0, np.nan]),), np.isfinite),
]  # fmt: skip


@pytest.mark.parametrize("name,args,ref", CASES, ids=[c[0] for c in CASES])
def test_elementwise_vs_numpy(name, args, ref):
    np.testing.assert_allclose(np_of(getattr(K, name)(*args)), ref(*args), rtol=1e-5, atol=1e-6)


def test_round_decimals_half_to_even():
    np.testing.assert_allclose(np_of(K.round(np.array([1.26, 2.5, 3.5]), 1)), [1.3, 2.5, 3.5])
    np.testing.assert_array_equal(np_of(K.round(np.array([0.5, 1.5, 2.5]))), [0.0, 2.0, 2.0])


X3 = RNG.normal(size=(2, 3, 4)).astype(np.float32)
REDUCTIONS = [
    ("sum", np.sum), ("prod", np.prod), ("mean", np.mean), ("var", np.var), ("std", np.std),
    ("max", np.max), ("min", np.min), ("amax", np.amax), ("amin", np.amin),
    ("all", lambda x, axis=None, keepdims=False: np.all(x > 0, axis=axis, keepdims=keepdims)),
    ("any", lambda x, axis=None, keepdims=False: np.any(x > 0, axis=axis, keepdims=keepdims)),
    ("median", np.median),
]  # fmt: skip


@pytest.mark.parametrize("name,ref", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
@pytest.mark.parametrize("axis", [None, 1, -1, (0, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_vs_numpy(name, ref, axis, keepdims):
    x = X3 > 0 if name in ("all", "any") else X3
    got = getattr(K, name)(x, axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(np_of(got), ref(X3, axis=axis, keepdims=keepdims), rtol=1e-5)


def test_reduction_extras():
    np.testing.assert_allclose(np_of(K.max(A, axis=0, initial=1.0)), np.max(A, 0, initial=1.0))
    np.testing.assert_array_equal(np_of(K.argmax(A, axis=1)), np.argmax(A, 1))
    np.testing.assert_array_equal(np_of(K.argmin(A)), np.argmin(A))
    assert K.argmax(A, axis=1, keepdims=True).shape == (3, 1)
    np.testing.assert_array_equal(np_of(K.count_nonzero(IM, axis=0)), np.count_nonzero(IM, 0))
    w = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    np.testing.assert_allclose(np_of(K.average(A, axis=1, weights=w)), np.average(A, 1, w))
    np.testing.assert_allclose(np_of(K.cumsum(A, axis=1)), np.cumsum(A, 1), rtol=1e-6)
    np.testing.assert_allclose(np_of(K.cumsum(A)), np.cumsum(A), rtol=1e-5)
    np.testing.assert_allclose(np_of(K.cumprod(P, axis=0)), np.cumprod(P, 0), rtol=1e-6)
    np.testing.assert_allclose(np_of(K.trace(SQ)), np.trace(SQ))
    with pytest.raises(tops.errors.InvalidArgumentError, match="max of an empty tensor"):
        K.max(np.zeros((0,), np.float32))


SHAPES = [
    ("reshape", lambda k: k.reshape(X3, (4, -1)), lambda: X3.reshape(4, -1)),
    ("ravel", lambda k: k.ravel(X3), lambda: X3.ravel()),
    ("expand_dims", lambda k: k.expand_dims(A, (0, -1)), lambda: np.expand_dims(A, (0, -1))),
    ("squeeze", lambda k: k.squeeze(A[None, :, None]), lambda: A),
    ("transpose", lambda k: k.transpose(X3), lambda: X3.T),
    ("transpose_axes", lambda k: k.transpose(X3, (1, 0, 2)), lambda: X3.transpose(1, 0, 2)),
    ("moveaxis", lambda k: k.moveaxis(X3, 0, -1), lambda: np.moveaxis(X3, 0, -1)),
    ("moveaxis2", lambda k: k.moveaxis(X3, [0, 1], [2, 0]),
     lambda: np.moveaxis(X3, [0, 1], [2, 0])),
    ("swapaxes", lambda k: k.swapaxes(X3, 0, 2), lambda: np.swapaxes(X3, 0, 2)),
    ("broadcast_to", lambda k: k.broadcast_to(V, (3, 4)), lambda: np.broadcast_to(V, (3, 4))),
    ("concatenate", lambda k: k.concatenate([A, B], axis=1), lambda: np.concatenate([A, B], 1)),
    ("append", lambda k: k.append(A, B), lambda: np.append(A, B)),
    ("stack", lambda k: k.stack([A, B], axis=1), lambda: np.stack([A, B], 1)),
    ("hstack", lambda k: k.hstack([A, B]), lambda: np.hstack([A, B])),
    ("vstack", lambda k: k.vstack([A, B]), lambda: np.vstack([A, B])),
    ("vstack_1d", lambda k: k.vstack([V, V]), lambda: np.concatenate([V, V])),
    ("flip", lambda k: k.flip(A, 1), lambda: np.flip(A, 1)),
    ("flip_all", lambda k: k.flip(A), lambda: np.flip(A)),
    ("roll", lambda k: k.roll(A, 2, axis=1), lambda: np.roll(A, 2, 1)),
    ("roll_flat", lambda k: k.roll(A, 5), lambda: np.roll(A, 5)),
    ("tile", lambda k: k.tile(V, (2, 2)), lambda: np.tile(V, (2, 2))),
    ("repeat", lambda k: k.repeat(A, 2, axis=0), lambda: np.repeat(A, 2, 0)),
    ("repeat_flat", lambda k: k.repeat(A, 2), lambda: np.repeat(A, 2)),
    ("pad", lambda k: k.pad(A, ((1, 0), (2, 1))), lambda: np.pad(A, ((1, 0), (2, 1)))),
    ("pad_int", lambda k: k.pad(A, 1, constant_values=3.0),
     lambda: np.pad(A, 1, constant_values=3.0)),
    ("pad_reflect", lambda k: k.pad(A, ((1, 1), (2, 2)), "reflect"),
     lambda: np.pad(A, ((1, 1), (2, 2)), "reflect")),
    ("pad_symmetric", lambda k: k.pad(A, (1, 2), "symmetric"),
     lambda: np.pad(A, (1, 2), "symmetric")),
    ("diag_vec", lambda k: k.diag(V, 1), lambda: np.diag(V, 1)),
    ("diag_mat", lambda k: k.diag(A, -1), lambda: np.diag(A, -1)),
    ("diagonal", lambda k: k.diagonal(X3, 1, 1, 2), lambda: np.diagonal(X3, 1, 1, 2)),
    ("diff", lambda k: k.diff(A, 2), lambda: np.diff(A, 2)),
    ("sort", lambda k: k.sort(A, axis=0), lambda: np.sort(A, 0)),
    ("argsort", lambda k: k.argsort(A), lambda: np.argsort(A, kind="stable")),
    ("take", lambda k: k.take(A, np.array([2, -1, 0]), axis=1), lambda: np.take(A, [2, -1, 0], 1)),
    ("take_flat", lambda k: k.take(A, np.array([[0, 5], [11, -2]])),
     lambda: np.take(A, [[0, 5], [11, -2]])),
    ("take_along_axis", lambda k: k.take_along_axis(A, np.argsort(A, 1), axis=1),
     lambda: np.take_along_axis(A, np.argsort(A, 1), 1)),
    ("take_along_axis_bcast", lambda k: k.take_along_axis(X3, np.array([[[0], [3], [1]]]), axis=2),
     lambda: np.take_along_axis(X3, np.array([[[0], [3], [1]]]), 2)),
    ("tril", lambda k: k.tril(X3, -1), lambda: np.tril(X3, -1)),
    ("triu", lambda k: k.triu(A, 1), lambda: np.triu(A, 1)),
    ("eye", lambda k: k.eye(3, 4, k=1), lambda: np.eye(3, 4, k=1)),
    ("identity", lambda k: k.identity(3), lambda: np.identity(3)),
    ("tri", lambda k: k.tri(3, 2, -1), lambda: np.tri(3, 2, -1)),
    ("arange", lambda k: k.arange(1, 2, 0.25), lambda: np.arange(1, 2, 0.25)),
    ("arange_neg", lambda k: k.arange(5, 0, -2), lambda: np.arange(5, 0, -2)),
    ("linspace", lambda k: k.linspace(0, 1, 5), lambda: np.linspace(0, 1, 5)),
    ("linspace_open", lambda k: k.linspace(2.0, 3.0, 4, endpoint=False),
     lambda: np.linspace(2.0, 3.0, 4, endpoint=False)),
    ("full", lambda k: k.full((2, 3), 7), lambda: np.full((2, 3), 7.0)),
    ("zeros_like", lambda k: k.zeros_like(IM), lambda: np.zeros_like(IM)),
    ("ones_like", lambda k: k.ones_like(A), lambda: np.ones_like(A)),
    ("where", lambda k: k.where(A > 0, A, B), lambda: np.where(A > 0, A, B)),
    ("matmul", lambda k: k.matmul(X3, A.T), lambda: X3 @ A.T),
    ("matmul_vec", lambda k: k.matmul(A, V), lambda: A @ V),
    ("matmul_int", lambda k: k.matmul(IM, IM.T), lambda: IM @ IM.T),
    ("dot", lambda k: k.dot(A, V), lambda: np.dot(A, V)),
    ("dot_nd", lambda k: k.dot(X3, X3.transpose(0, 2, 1)),
     lambda: np.dot(X3, X3.transpose(0, 2, 1))),
    ("tensordot", lambda k: k.tensordot(X3, A, axes=([1, 2], [0, 1])),
     lambda: np.tensordot(X3, A, ([1, 2], [0, 1]))),
    ("outer", lambda k: k.outer(V, V[:2]), lambda: np.outer(V, V[:2])),
    ("einsum", lambda k: k.einsum("ij,kj->ik", A, B), lambda: np.einsum("ij,kj->ik", A, B)),
    ("nan_to_num", lambda k: k.nan_to_num(np.array([np.nan, np.inf, -np.inf, 1.0]), posinf=9.0),
     lambda: np.nan_to_num(np.array([np.nan, np.inf, -np.inf, 1.0]), posinf=9.0)),
    ("meshgrid", lambda k: k.meshgrid(V[:2], V, indexing="ij"),
     lambda: np.meshgrid(V[:2], V, indexing="ij")),
    ("split", lambda k: k.split(A, 2, axis=1), lambda: np.split(A, 2, 1)),
    ("split_idx", lambda k: k.split(np.arange(6), [2, 3]), lambda: np.split(np.arange(6), [2, 3])),
]  # fmt: skip


@pytest.mark.parametrize("name,got,ref", SHAPES, ids=[s[0] for s in SHAPES])
def test_shapes_and_products_vs_numpy(name, got, ref):
    out, want = got(K), ref()
    if isinstance(want, list | tuple):
        assert len(out) == len(want)
        for o, w in zip(out, want):
            np.testing.assert_allclose(np_of(o), w, rtol=1e-5, atol=1e-6)
    else:
        assert tuple(out.shape) == want.shape
        np.testing.assert_allclose(np_of(out), want, rtol=1e-5, atol=1e-6)


def test_numpy_errors_name_inputs():
    with pytest.raises(tops.errors.InvalidArgumentError, match=r"split_dim 1 \(size = 4\)"):
        K.split(A, 3, axis=1)
    with pytest.raises(ValueError, match="Cannot squeeze axis=0"):
        K.squeeze(A, 0)
    with pytest.raises(ValueError, match="Received `mode` = WRAP"):
        K.pad(A, 1, mode="wrap")
    with pytest.raises(ValueError, match="both"):
        K.where(A > 0, A)
    nz = K.where(np.array([[True, False], [False, True]]))
    assert [np_of(v).tolist() for v in nz] == [[0, 1], [0, 1]]


# ---------------------------------------------------------------- nn
def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def _sig(x):
    return 1 / (1 + np.exp(-x))


NN = [
    ("relu", (A,), lambda x: np.maximum(x, 0)), ("relu6", (A * 5,), lambda x: np.clip(x, 0, 6)),
    ("sigmoid", (A,), _sig), ("softplus", (A,), lambda x: np.log1p(np.exp(x))),
    ("softsign", (A,), lambda x: x / (1 + np.abs(x))), ("silu", (A,), lambda x: x * _sig(x)),
    ("log_sigmoid", (A,), lambda x: np.log(_sig(x))),
    ("leaky_relu", (A, 0.1), lambda x, a: np.where(x >= 0, x, a * x)),
    ("elu", (A, 0.5), lambda x, a: np.where(x > 0, x, a * np.expm1(x))),
    ("hard_sigmoid", (A * 4,), lambda x: np.clip(x / 6 + 0.5, 0, 1)),
    ("hard_silu", (A * 4,), lambda x: x * np.clip(x / 6 + 0.5, 0, 1)),
    ("gelu", (A,), lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))),
    ("softmax", (A,), _softmax), ("softmax", (A, 0), _softmax),
    ("log_softmax", (A,), lambda x: np.log(_softmax(x))),
    ("glu", (A,), lambda x: x[:, :2] * _sig(x[:, 2:])),
    ("squareplus", (A,), lambda x: (x + np.sqrt(x * x + 4)) / 2),
    ("selu", (A,),
     lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x))),
]  # fmt: skip


@pytest.mark.parametrize("name,args,ref", NN, ids=[f"{n[0]}{i}" for i, n in enumerate(NN)])
def test_activations_vs_numpy(name, args, ref):
    np.testing.assert_allclose(np_of(getattr(K, name)(*args)), ref(*args), rtol=1e-5, atol=1e-6)


def test_gelu_exact_and_softmax_tuple_axis():
    from math import erf

    exact = np.vectorize(lambda v: 0.5 * v * (1 + erf(v / np.sqrt(2))))(A)
    np.testing.assert_allclose(np_of(K.gelu(A, approximate=False)), exact, rtol=1e-5, atol=1e-6)
    e = np.exp(A - A.max())
    np.testing.assert_allclose(np_of(K.softmax(A, axis=(0, 1))), e / e.sum(), rtol=1e-5)


def test_one_hot_and_multi_hot():
    out = K.one_hot(np.array([0, 2, -1]), 3)
    np.testing.assert_array_equal(np_of(out), [[1, 0, 0], [0, 0, 1], [0, 0, 0]])
    assert out.dtype.name == "float32"
    assert np_of(K.one_hot(np.array([1]), 3, axis=0)).shape == (3, 1)
    mh = K.multi_hot(np.array([[0, 2], [1, 1]]), 4)
    np.testing.assert_array_equal(np_of(mh), [[1, 0, 1, 0], [0, 1, 0, 0]])


def _np_conv2d(x, k, stride=1):
    n, h, w, c = x.shape
    kh, kw, _, f = k.shape
    oh, ow = (h - kh) // stride + 1, (w - kw) // stride + 1
    out = np.zeros((n, oh, ow, f))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * stride : i * stride + kh, j * stride : j * stride + kw, :]
            out[:, i, j, :] = np.tensordot(patch, k, axes=([1, 2, 3], [0, 1, 2]))
    return out


def test_conv_vs_numpy():
    x = RNG.normal(size=(2, 6, 5, 3)).astype(np.float32)
    k = RNG.normal(size=(3, 2, 3, 4)).astype(np.float32)
    np.testing.assert_allclose(np_of(K.conv(x, k)), _np_conv2d(x, k), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np_of(K.conv(x, k, strides=2)), _np_conv2d(x, k, 2), rtol=1e-4,
                               atol=1e-5)  # fmt: skip
    cf = K.conv(x.transpose(0, 3, 1, 2), k, data_format="channels_first")
    np.testing.assert_allclose(np_of(cf), _np_conv2d(x, k).transpose(0, 3, 1, 2), rtol=1e-4,
                               atol=1e-5)  # fmt: skip
    assert K.conv(x, k, padding="same").shape == (2, 6, 5, 4)
    # 1-D and grouped
    x1 = RNG.normal(size=(2, 7, 4)).astype(np.float32)
    k1 = RNG.normal(size=(3, 2, 6)).astype(np.float32)  # 2 groups of 2 channels
    got = np_of(K.conv(x1, k1))
    want = np.concatenate(
        [_np_conv2d(x1[:, None, :, 2 * g : 2 * g + 2], k1[None, :, :, 3 * g : 3 * g + 3])[:, 0]
         for g in range(2)], axis=-1)  # fmt: skip
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_depthwise_and_transpose_conv():
    x = RNG.normal(size=(1, 5, 5, 2)).astype(np.float32)
    k = RNG.normal(size=(3, 3, 2, 2)).astype(np.float32)
    got = np_of(K.depthwise_conv(x, k))
    want = np.concatenate(
        [_np_conv2d(x[..., c : c + 1], k[:, :, c : c + 1, :]) for c in range(2)], axis=-1
    )
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    kt = RNG.normal(size=(3, 3, 4, 2)).astype(np.float32)
    y = K.conv_transpose(x, kt, strides=2)
    assert y.shape == (1, 11, 11, 4)
    # the transpose of the convolution: <conv_t(x), z> == <x, conv(z)>
    z = RNG.normal(size=(1, 11, 11, 4)).astype(np.float32)
    lhs = float(np.sum(np_of(y) * z))
    rhs = float(np.sum(x * np_of(K.conv(z, kt, strides=2))))
    assert abs(lhs - rhs) < 1e-3 * max(1.0, abs(lhs))


def test_pooling():
    x = RNG.normal(size=(2, 4, 6, 3)).astype(np.float32)
    want_max = x.reshape(2, 2, 2, 3, 2, 3).max(axis=(2, 4))
    np.testing.assert_allclose(np_of(K.max_pool(x, 2)), want_max)
    want_avg = x.reshape(2, 2, 2, 3, 2, 3).mean(axis=(2, 4))
    np.testing.assert_allclose(np_of(K.average_pool(x, (2, 2))), want_avg, rtol=1e-5)
    x1 = RNG.normal(size=(2, 6, 3)).astype(np.float32)
    np.testing.assert_allclose(np_of(K.max_pool(x1, 3, strides=3)), x1.reshape(2, 2, 3, 3).max(2))
    assert K.max_pool(x, 3, strides=1, padding="same").shape == x.shape


def test_crossentropies():
    p = _softmax(A)
    t = np.eye(4, dtype=np.float32)[[0, 3, 1]]
    want = -np.sum(t * np.log(p), -1)
    np.testing.assert_allclose(np_of(K.categorical_crossentropy(t, p)), want, rtol=1e-5)
    np.testing.assert_allclose(np_of(K.categorical_crossentropy(t, A, from_logits=True)), want,
                               rtol=1e-5)  # fmt: skip
    np.testing.assert_allclose(
        np_of(K.sparse_categorical_crossentropy(np.array([0, 3, 1]), A, from_logits=True)), want,
        rtol=1e-5,
    )  # fmt: skip
    q, y = _sig(A), (B > 0).astype(np.float32)
    want_b = -(y * np.log(q) + (1 - y) * np.log(1 - q))
    np.testing.assert_allclose(np_of(K.binary_crossentropy(y, q)), want_b, rtol=1e-4)
    np.testing.assert_allclose(np_of(K.binary_crossentropy(y, A, from_logits=True)), want_b,
                               rtol=1e-4)  # fmt: skip
    with pytest.raises(ValueError, match="same shape"):
        K.binary_crossentropy(y[:2], q)


def test_moments_batchnorm_attention():
    m, v = K.moments(X3, axes=[0, 1])
    np.testing.assert_allclose(np_of(m), X3.mean((0, 1)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np_of(v), X3.var((0, 1)), rtol=1e-5)
    assert K.moments(X3, [1], keepdims=True)[0].shape == (2, 1, 4)
    mean, var = X3.mean((0, 2)), X3.var((0, 2))
    g, b = np.array([1.0, 2.0, 3.0], np.float32), np.array([0.0, 1.0, -1.0], np.float32)
    got = K.batch_normalization(X3, mean, var, axis=1, offset=b, scale=g, epsilon=1e-3)
    want = (X3 - mean[:, None]) / np.sqrt(var[:, None] + 1e-3) * g[:, None] + b[:, None]
    np.testing.assert_allclose(np_of(got), want, rtol=1e-5, atol=1e-5)
    q = RNG.normal(size=(2, 3, 4, 5)).astype(np.float32)  # B T N H
    k = RNG.normal(size=(2, 6, 2, 5)).astype(np.float32)  # two kv heads
    val = RNG.normal(size=(2, 6, 2, 5)).astype(np.float32)
    kk, vv = np.repeat(k, 2, axis=2), np.repeat(val, 2, axis=2)
    logits = np.einsum("btnh,bsnh->bnts", q, kk) / np.sqrt(5)
    causal = np.tril(np.ones((3, 6), bool))
    w = _softmax(np.where(causal, logits, -1e30))
    want = np.einsum("bnts,bsnh->btnh", w, vv)
    got = K.dot_product_attention(q, k, val, is_causal=True)
    np.testing.assert_allclose(np_of(got), want, rtol=1e-4, atol=1e-5)
    unmasked = np.einsum("bnts,bsnh->btnh", _softmax(logits), vv)
    np.testing.assert_allclose(np_of(K.dot_product_attention(q, k, val)), unmasked, rtol=1e-4,
                               atol=1e-5)  # fmt: skip


# ---------------------------------------------------------------- math and linalg
def test_math_functions():
    data = np.arange(12, dtype=np.float32).reshape(6, 2)
    ids = np.array([0, 0, 2, 1, 2, 2])
    want = np.stack([data[ids == s].sum(0) for s in range(4)])
    np.testing.assert_allclose(np_of(K.segment_sum(data, ids, num_segments=4)), want)
    np.testing.assert_allclose(np_of(K.segment_sum(data, ids)), want[:3])
    got = np_of(K.segment_max(data, ids, num_segments=4))
    np.testing.assert_allclose(got[:3], np.stack([data[ids == s].max(0) for s in range(3)]))
    np.testing.assert_array_equal(got[3], np.finfo(np.float32).min)  # TF's lowest value
    vals, idx = K.top_k(A, 2)
    np.testing.assert_allclose(np_of(vals), -np.sort(-A, 1)[:, :2])
    assert idx.dtype.name == "int32"
    np.testing.assert_array_equal(np_of(idx), np.argsort(-A, 1)[:, :2])
    pred = np.array([[0.1, 0.5, 0.4], [0.3, 0.3, 0.4]], np.float32)
    np.testing.assert_array_equal(np_of(K.in_top_k(np.array([2, 0]), pred, 1)), [False, False])
    np.testing.assert_array_equal(np_of(K.in_top_k(np.array([2, 1]), pred, 2)), [True, True])
    np.testing.assert_allclose(np_of(K.logsumexp(A, axis=1)), np.log(np.exp(A).sum(1)), rtol=1e-5)
    from math import erf

    np.testing.assert_allclose(np_of(K.erf(A)), np.vectorize(erf)(A), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np_of(K.rsqrt(P)), 1 / np.sqrt(P), rtol=1e-5)
    seqs = K.extract_sequences(np.arange(10.0), 4, 3)
    np.testing.assert_array_equal(np_of(seqs), [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]])


def test_linalg_vs_numpy():
    np.testing.assert_allclose(np_of(K.linalg.inv(SQ)), np.linalg.inv(SQ), rtol=1e-8)
    np.testing.assert_allclose(np_of(K.det(SQ)), np.linalg.det(SQ), rtol=1e-8)
    spd = SQ @ SQ.T
    low = np.linalg.cholesky(spd)
    np.testing.assert_allclose(np_of(K.cholesky(spd)), low, rtol=1e-8)
    np.testing.assert_allclose(np_of(K.cholesky(spd, upper=True)), low.T, rtol=1e-8)
    b = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(np_of(K.solve(SQ, b)), np.linalg.solve(SQ, b), rtol=1e-8)
    np.testing.assert_allclose(np_of(K.solve_triangular(SQ, b, lower=True)),
                               np.linalg.solve(np.tril(SQ), b), rtol=1e-8)  # fmt: skip
    np.testing.assert_allclose(np_of(K.logdet(spd)), np.log(np.linalg.det(spd)), rtol=1e-8)
    for ord_ in (None, 1, 2, np.inf, -np.inf, 0, 3):
        np.testing.assert_allclose(np_of(K.norm(V, ord=ord_)), np.linalg.norm(V, ord_), rtol=1e-5)
    for ord_ in ("fro", 1, -1, np.inf, -np.inf):
        np.testing.assert_allclose(np_of(K.norm(A, ord=ord_)), np.linalg.norm(A, ord_), rtol=1e-5)
    np.testing.assert_allclose(np_of(K.norm(X3, axis=-1, keepdims=True)),
                               np.linalg.norm(X3, axis=-1, keepdims=True), rtol=1e-5)  # fmt: skip
    np.testing.assert_allclose(np_of(K.norm(X3)), np.linalg.norm(X3.ravel()), rtol=1e-5)
    assert K.norm(IM).dtype.name == "float32"
    with pytest.raises(ValueError, match=r"non-square input with shape \(3, 4\)"):
        K.inv(A)


# ---------------------------------------------------------------- core
def test_core_conversion_and_shapes():
    assert K.shape(A) == (3, 4)
    assert K.dtype(A) == "float32"
    assert K.is_tensor(K.array(A)) and not K.is_tensor(A)
    np.testing.assert_array_equal(K.convert_to_numpy(K.array(IM)), IM)
    assert K.cast(A, "int32").dtype.name == "int32"
    assert K.convert_to_tensor([1, 2], dtype="float64").dtype.name == "float64"
    np.testing.assert_array_equal(np_of(K.saturate_cast(np.array([300, -5]), "uint8")), [255, 0])
    np.testing.assert_allclose(np_of(K.slice(A, (1, 1), (2, 2))), A[1:3, 1:3])
    out = np_of(K.slice_update(A, (1, 2), np.zeros((2, 2), np.float32)))
    want = A.copy()
    want[1:3, 2:4] = 0
    np.testing.assert_allclose(out, want)
    np.testing.assert_allclose(
        np_of(K.scatter(np.array([[0, 1], [2, 0], [0, 1]]), np.array([1.0, 2.0, 3.0]), (3, 2))),
        [[0, 4], [0, 0], [2, 0]],
    )
    upd = np_of(K.scatter_update(A, np.array([[0, 0], [2, 3]]), np.array([9.0, 8.0])))
    want = A.copy()
    want[0, 0], want[2, 3] = 9, 8
    np.testing.assert_allclose(upd, want)


def test_core_control_flow():
    assert float(K.cond(K.array(True), lambda: K.array(1.0), lambda: K.array(2.0))) == 1.0
    i, s = K.while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, s + i), (0, 0))
    assert (int(i), int(s)) == (5, 10)
    assert int(K.while_loop(lambda x: x < 100, lambda x: x * 2, 3)) == 192
    assert int(K.fori_loop(0, 4, lambda i, v: v + i * i, K.array(0))) == 14
    xs = np.array([1.0, 2.0, 3.0], np.float32)
    carry, ys = K.scan(lambda c, x: (c + x, c * x), K.array(0.0), xs)
    assert float(carry) == 6.0
    np.testing.assert_allclose(np_of(ys), [0.0, 2.0, 9.0])
    carry, ys = K.scan(lambda c, x: (c + x, c), K.array(0.0), xs, reverse=True)
    np.testing.assert_allclose(np_of(ys), [5.0, 3.0, 0.0])
    np.testing.assert_allclose(np_of(K.vectorized_map(lambda r: K.sum(r * r), A)), (A * A).sum(1),
                               rtol=1e-5)  # fmt: skip
    np.testing.assert_allclose(np_of(K.associative_scan(lambda a, b: a + b, A, axis=1)),
                               np.cumsum(A, 1), rtol=1e-5)  # fmt: skip
    branches = [lambda x: x + 1, lambda x: x * 10]
    assert float(K.switch(1, branches, K.array(2.0))) == 20.0
    assert float(K.switch(5, branches, K.array(2.0))) == 20.0


def test_custom_gradient_and_stop_gradient():
    @K.custom_gradient
    def f(x):
        def grad(upstream):
            return upstream * 3.0

        return x * x, grad

    x = tops.Variable(2.0)
    with tops.GradientTape() as tape:
        y = f(x) + K.stop_gradient(x) * 5.0
    assert float(tape.gradient(y, x)) == 3.0


# ---------------------------------------------------------------- random
def test_random_seeds_follow_keras():
    a, b = K.random.normal((5,), seed=3), K.random.normal((5,), seed=3)
    np.testing.assert_array_equal(np_of(a), np_of(b))
    g1, g2 = K.random.SeedGenerator(7), K.random.SeedGenerator(7)
    x1, x2 = K.random.uniform((5,), seed=g1), K.random.uniform((5,), seed=g1)
    assert not np.array_equal(np_of(x1), np_of(x2))
    np.testing.assert_array_equal(np_of(K.random.uniform((5,), seed=g2)), np_of(x1))
    np.testing.assert_array_equal(np_of(g1.state), [7, 2])
    assert g1.get_config()["seed"] == 7
    with pytest.raises(ValueError, match="must be an integer"):
        K.random.SeedGenerator("a")
    with pytest.raises(ValueError, match="SeedGenerator"):
        K.random.normal((2,), seed="x")
    with pytest.raises(ValueError, match="floating point"):
        K.random.uniform((2,), dtype="int32")
    with pytest.raises(ValueError, match="integer `dtype`"):
        K.random.randint((2,), 0, 3, dtype="float32")


def test_random_distributions():
    n = K.random.normal((20000,), mean=1.0, stddev=2.0, seed=1)
    assert n.dtype.name == "float32"
    assert abs(np_of(n).mean() - 1.0) < 0.06 and abs(np_of(n).std() - 2.0) < 0.06
    u = np_of(K.random.uniform((20000,), 2.0, 3.0, seed=1))
    assert u.min() >= 2.0 and u.max() < 3.0 and abs(u.mean() - 2.5) < 0.02
    t = np_of(K.random.truncated_normal((20000,), seed=2))
    assert np.abs(t).max() <= 2.0 and abs(t.std() - 0.88) < 0.03
    r = np_of(K.random.randint((20000,), 3, 7, seed=4))
    assert r.dtype == np.int32 and set(np.unique(r)) == {3, 4, 5, 6}
    x = np.ones((20000,), np.float32)
    d = np_of(K.random.dropout(x, 0.25, seed=5))
    assert set(np.unique(d)) == {0.0, np.float32(1 / 0.75)} and abs((d == 0).mean() - 0.25) < 0.02
    with pytest.raises(ValueError, match="rate"):
        K.random.dropout(x, 1.0)
    s = np_of(K.random.shuffle(np.arange(50), seed=6))
    assert sorted(s.tolist()) == list(range(50)) and s.tolist() != list(range(50))
    logits = np.log(np.array([[0.2, 0.8], [0.9, 0.1]], np.float32))
    c = np_of(K.random.categorical(logits, 5000, seed=8))
    assert c.shape == (2, 5000) and c.dtype == np.int32
    assert abs(c[0].mean() - 0.8) < 0.03 and abs(c[1].mean() - 0.1) < 0.03


def test_config():
    assert config.backend() == "tensorflow" and config.floatx() == "float32"
    assert config.epsilon() == 1e-7 and config.image_data_format() == "channels_last"
    with pytest.raises(ValueError, match="Unknown `floatx` value: float8"):
        config.set_floatx("float8")
    with pytest.raises(ValueError, match="data_format=x"):
        config.set_image_data_format("x")
    try:
        config.set_epsilon(1e-3)
        assert config.epsilon() == 1e-3
    finally:
        config.set_epsilon(1e-7)


# ---------------------------------------------------------------- tracing
TRACED = [
    lambda x, y: K.add(x, 1) * K.sqrt(K.abs(y)),
    lambda x, y: K.mean(K.matmul(x, K.transpose(y)), axis=0),
    lambda x, y: K.concatenate([K.sort(x), K.argsort(y, axis=0) * 1.0], axis=1),
    lambda x, y: K.take_along_axis(x, K.argsort(y, axis=1), axis=1),
    lambda x, y: K.softmax(x) + K.log_softmax(y, axis=0) + K.gelu(x),
    lambda x, y: K.categorical_crossentropy(K.softmax(y), K.softmax(x)),
    lambda x, y: K.where(x > y, K.tril(K.ones((3, 4))), K.clip(y, -0.1, 0.1)),
    lambda x, y: K.segment_max(x, np.array([0, 1, 0]), num_segments=2),
    lambda x, y: K.norm(x, axis=1) + K.logsumexp(y, axis=1) + K.var(x, axis=1),
    lambda x, y: K.fori_loop(0, 3, lambda i, v: v * 2.0, x),
    lambda x, y: K.scan(lambda c, r: (c + r, c), K.zeros((4,)), x)[1],
    lambda x, y: K.while_loop(lambda a, b: K.sum(a) < 100.0, lambda a, b: (a * 2.0 + 1, b),
                              (K.abs(x), y))[0],
    lambda x, y: K.slice_update(x, (0, 1), K.ones((2, 2))) + K.pad(y, 0),
    lambda x, y: K.dot_product_attention(x[None, :, None], y[None, :, None], y[None, :, None]),
    lambda x, y: K.cond(K.sum(x) > 0, lambda: x, lambda: y),
]  # fmt: skip


@pytest.mark.parametrize("fn", TRACED, ids=[str(i) for i in range(len(TRACED))])
def test_eager_equals_traced(fn):
    x, y = K.array(A), K.array(B)
    eager = fn(x, y)
    traced = tops.function(fn)(x, y)
    np.testing.assert_allclose(np_of(traced), np_of(eager), rtol=1e-6, atol=1e-6)


def test_random_traces_with_seed_generator():
    gen = K.random.SeedGenerator(11)

    @tops.function
    def draw():
        return K.random.dropout(K.ones((1000,)), 0.5, seed=gen), K.random.normal((1000,), seed=3)

    (a, n1), (b, n2) = draw(), draw()
    a, b = np_of(a), np_of(b)
    assert not np.array_equal(a, b)  # the generator gives new numbers on each call
    np.testing.assert_array_equal(np_of(gen.state), [11, 2])
    assert set(np.unique(a)) == {0.0, 2.0} and abs((a == 0).mean() - 0.5) < 0.1
    np.testing.assert_array_equal(np_of(n1), np_of(n2))  # an integer seed repeats
    np.testing.assert_array_equal(np_of(n1), np_of(K.random.normal((1000,), seed=3)))


TRACED_MORE = [
    lambda x, y: K.conv(x[None, :, :, None], K.ones((2, 2, 1, 3)), padding="same"),
    lambda x, y: K.max_pool(x[None, :, :, None], 2, 1) + K.average_pool(y[None, :, :, None], 2, 1),
    lambda x, y: K.one_hot(K.argmax(x, axis=1), 4) * K.median(y, axis=1, keepdims=True),
    lambda x, y: K.segment_sum(x, np.array([1, 0, 1]), num_segments=2) + K.eye(2, 4),
    lambda x, y: K.take(x, np.array([2, -1]), axis=1) * K.linspace(0.0, 1.0, 2),
    lambda x, y: K.top_k(x, 2)[0]
    + K.cast(K.in_top_k(np.array([0, 1, 2]), y, 2), "float32")[:, None],
    lambda x, y: K.scatter_update(x, np.array([[0, 1]]), K.ones((1,)))
    + K.diag(K.diag(y)[:3], 1)[:3],
    lambda x, y: K.stack(K.split(x, 2, axis=1), axis=0) + K.moveaxis(K.reshape(y, (3, 2, 2)), 1, 0),
]  # fmt: skip


@pytest.mark.parametrize("fn", TRACED_MORE, ids=[str(i) for i in range(len(TRACED_MORE))])
def test_eager_equals_traced_more(fn):
    x, y = K.array(A), K.array(B)
    np.testing.assert_allclose(
        np_of(tops.function(fn)(x, y)), np_of(fn(x, y)), rtol=1e-6, atol=1e-6
    )


GRADS = [
    lambda x: K.sum(K.take_along_axis(x, np.array([[1], [0], [3]]), axis=1) ** 2),
    lambda x: K.sum(K.logsumexp(x, axis=1)),
    lambda x: K.norm(x) + K.sum(K.norm(x, ord=3, axis=0)),
    lambda x: K.sum(K.dot_product_attention(x[None, :, None], x[None, :, None], x[None, :, None])
                    ** 2),
    lambda x: K.sum(K.conv(x[None, :, :, None], np.arange(4.0).reshape(2, 2, 1, 1)) ** 2),
    lambda x: K.sum(K.categorical_crossentropy(K.softmax(x), K.softmax(x * 2.0))),
    lambda x: K.sum(K.gelu(x) * K.silu(x)) + K.var(x) + K.sum(K.median(x, axis=0)),
    lambda x: K.sum(K.segment_max(x, np.array([0, 1, 0]), num_segments=2)),
]  # fmt: skip


@pytest.mark.parametrize("fn", GRADS, ids=[str(i) for i in range(len(GRADS))])
def test_gradients_match_finite_differences(fn):
    x0 = A.astype(np.float64)
    v = tops.Variable(x0)
    with tops.GradientTape() as tape:
        y = fn(v)
    g = np_of(tape.gradient(y, v))
    num = np.zeros_like(x0)
    h = 1e-6
    for idx in np.ndindex(*x0.shape):
        e = np.zeros_like(x0)
        e[idx] = h
        num[idx] = (float(fn(K.array(x0 + e))) - float(fn(K.array(x0 - e)))) / (2 * h)
    np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-6)


NAN = np.array([1.0, np.nan, 3.0, -np.inf], np.float32)
SEQ = np.array([1.0, 2.0, 2.0, 5.0], np.float32)
MORE = [
    ("isclose", lambda o: o.isclose(A, A * 1.000001), np.ones((3, 4), bool), "bool"),
    ("isclose_nan", lambda o: o.isclose(NAN, NAN, equal_nan=True), [True, True, True, False],
     "bool"),
    ("allclose", lambda o: o.allclose(A, B), False, "bool"),
    ("logaddexp", lambda o: o.logaddexp(A, B), np.logaddexp(A, B), "float32"),
    ("logaddexp2", lambda o: o.logaddexp2(A[:2], IM), np.logaddexp2(A[:2], IM), "float32"),
    ("logspace", lambda o: o.logspace(0, 2, 5), np.logspace(0, 2, 5), "float32"),
    ("logspace_base", lambda o: o.logspace(0.0, 1.0, 3, base=2, endpoint=False),
     np.logspace(0, 1, 3, base=2, endpoint=False), "float32"),
    ("exp2", lambda o: o.exp2(IM), np.exp2(IM), "float32"),
    ("cbrt", lambda o: o.cbrt(A * 8), np.cbrt(A * 8), "float32"),
    ("sinc", lambda o: o.sinc(np.array([0.0, 0.5, 1.5], np.float32)), np.sinc([0.0, 0.5, 1.5]),
     "float32"),
    ("trunc", lambda o: o.trunc(A * 3), np.trunc(A * 3), "float32"),
    ("trunc_int", lambda o: o.trunc(IM), IM, "int32"),
    ("fabs", lambda o: o.fabs(IM), np.fabs(IM), "float32"),
    ("fmod", lambda o: o.fmod(IM, 3), np.fmod(IM, 3), "int32"),
    ("fmod_float", lambda o: o.fmod(A * 3, 1.5), np.fmod(A * 3, 1.5), "float32"),
    ("hypot", lambda o: o.hypot(A, B), np.hypot(A, B), "float32"),
    ("heaviside", lambda o: o.heaviside(np.array([-1.0, 0.0, 2.0], np.float32), 0.5),
     [0.0, 0.5, 1.0], "float32"),
    ("signbit", lambda o: o.signbit(np.array([-0.0, 0.0, -2.0, 3.0], np.float32)),
     [True, False, True, False], "bool"),
    ("deg2rad", lambda o: o.deg2rad(IM), np.deg2rad(IM), "float32"),
    ("isposinf", lambda o: o.isposinf(NAN), np.isposinf(NAN), "bool"),
    ("isneginf", lambda o: o.isneginf(NAN), np.isneginf(NAN), "bool"),
    ("ptp", lambda o: o.ptp(A, axis=1), np.ptp(A, 1), "float32"),
    ("ptp_int", lambda o: o.ptp(IM), np.ptp(IM), "int32"),
    ("vdot", lambda o: o.vdot(A, B), np.vdot(A, B), "float32"),
    ("inner", lambda o: o.inner(A, B), np.inner(A, B), "float32"),
    ("cross", lambda o: o.cross(A[:, :3], B[:, :3]), np.cross(A[:, :3], B[:, :3]), "float32"),
    ("select", lambda o: o.select([A > 0.5, A < -0.5], [A, B], default=7.0),
     np.select([A > 0.5, A < -0.5], [A, B], 7.0), "float32"),
    ("fliplr", lambda o: o.fliplr(A), np.fliplr(A), "float32"),
    ("rot90", lambda o: o.rot90(X3, 3, axes=(1, 2)), np.rot90(X3, 3, (1, 2)), "float32"),
    ("diagflat", lambda o: o.diagflat(A[:2, :2], 1), np.diagflat(A[:2, :2], 1), "float32"),
    ("vander", lambda o: o.vander(np.array([1, 2, 3])), np.vander([1, 2, 3]), "int64"),
    ("nansum", lambda o: o.nansum(NAN[:3]), 4.0, "float32"),
    ("nanmean", lambda o: o.nanmean(np.array([[1.0, np.nan], [3.0, 4.0]], np.float32), axis=1),
     [1.0, 3.5], "float32"),
    ("nanmax", lambda o: o.nanmax(np.array([[1.0, np.nan], [2.0, 5.0]], np.float32), axis=1),
     [1.0, 5.0], "float32"),
    ("quantile", lambda o: o.quantile(A, 0.3, axis=1), np.quantile(A, 0.3, axis=1), "float32"),
    ("quantile_q", lambda o: o.quantile(X3, np.array([0.1, 0.9]), axis=(0, 2), keepdims=True),
     np.quantile(X3, [0.1, 0.9], axis=(0, 2), keepdims=True), "float32"),
    ("quantile_lower", lambda o: o.quantile(A, 0.4, method="lower"),
     np.quantile(A, 0.4, method="lower"), "float32"),
    ("percentile", lambda o: o.percentile(A, 25, axis=0), np.percentile(A, 25, axis=0), "float32"),
    ("searchsorted", lambda o: o.searchsorted(SEQ, np.array([2.0, 0.0, 6.0], np.float32)),
     np.searchsorted(SEQ, [2.0, 0.0, 6.0]), "int32"),
    ("searchsorted_right", lambda o: o.searchsorted(SEQ, np.array([2.0], np.float32), "right"),
     [3], "int32"),
    ("digitize", lambda o: o.digitize(A, np.array([-1.0, 0.0, 1.0], np.float32)),
     np.digitize(A, [-1.0, 0.0, 1.0]), "int32"),
    ("bincount", lambda o: o.bincount(np.array([0, 2, 2, 5])), np.bincount([0, 2, 2, 5]), "int32"),
    ("bincount_weights", lambda o: o.bincount(np.array([0, 1, 1]),
                                              weights=np.array([0.5, 1.0, 2.0], np.float32),
                                              minlength=4), [0.5, 3.0, 0.0, 0.0], "float32"),
    ("hard_tanh", lambda o: o.hard_tanh(A * 2), np.clip(A * 2, -1, 1), "float32"),
    ("hard_shrink", lambda o: o.hard_shrink(A), np.where(np.abs(A) > 0.5, A, 0), "float32"),
    ("soft_shrink", lambda o: o.soft_shrink(A, 0.3),
     np.sign(A) * np.maximum(np.abs(A) - 0.3, 0), "float32"),
    ("tanh_shrink", lambda o: o.tanh_shrink(A), A - np.tanh(A), "float32"),
    ("threshold", lambda o: o.threshold(A, 0.1, -5.0), np.where(A > 0.1, A, -5.0), "float32"),
    ("segment_min", lambda o: o.segment_min(A, np.array([0, 1, 0]), num_segments=3),
     np.stack([np.minimum(A[0], A[2]), A[1], np.full(4, np.finfo(np.float32).max)]), "float32"),
]  # fmt: skip


@pytest.mark.parametrize("name,fn,want,dtype", MORE, ids=[m[0] for m in MORE])
def test_more_numpy_functions(name, fn, want, dtype):
    out = fn(K)
    assert out.dtype.name == dtype
    np.testing.assert_allclose(np_of(out), want, rtol=1e-5, atol=1e-6)


def test_more_lists_and_indices():
    assert [np_of(p).tolist() for p in K.array_split(np.arange(7), 3)] == [
        [0, 1, 2],
        [3, 4],
        [5, 6],
    ]
    assert [tuple(p.shape) for p in K.hsplit(A, 2)] == [(3, 2), (3, 2)]
    rows, cols = K.unravel_index(np.array([5, 7, 0]), (2, 4))
    assert np_of(rows).tolist() == [1, 1, 0] and np_of(cols).tolist() == [1, 3, 0]
    assert [np_of(v).tolist() for v in K.nonzero(np.array([[0, 3], [4, 0]]))] == [[0, 1], [1, 0]]
    assert K.ndim(X3) == 3 and K.numpy.quantile is K.quantile


EINSUMS = [
    ("ii->", [SQ]), ("ii", [SQ]), ("bii->b", [X3[:, :3, :3]]), ("ij,jk,kl->il", [SQ, SQ, SQ]),
    ("ij,jk,kl", [A[:, :3], SQ.astype(np.float32), A]), ("...ij,jk->...ik", [X3, A.T]),
    ("...ii->...i", [X3[:, :3, :3]]), ("bij,bjk,kl->bil", [X3[:, :, :3], X3, A.T]),
    ("ij,ij->", [A, B]),
]  # fmt: skip


@pytest.mark.parametrize("eq,ops", EINSUMS, ids=[e[0] for e in EINSUMS])
def test_einsum_vs_numpy(eq, ops):
    np.testing.assert_allclose(np_of(K.einsum(eq, *ops)), np.einsum(eq, *ops), rtol=1e-5,
                               atol=1e-5)  # fmt: skip
