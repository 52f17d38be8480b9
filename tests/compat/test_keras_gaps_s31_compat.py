"""Keras 3 names a user reaches for (session 31): every ``keras.activations`` function (values
and gradients on a grid with the kinks, string lookup, names in configs), ``keras.utils``'s
``to_categorical`` / ``normalize`` / ``pad_sequences``, ``get_custom_objects``,
``keras.backend.clear_session``, ``initializers.Identity`` and
``regularizers.OrthogonalRegularizer``."""

import numpy as np
import pytest

# The kinks of every activation below (0, +-0.5, +-1, +-3, 6), plus values off them.
GRID = np.array(
    [-8.0, -6.0, -3.0, -2.5, -1.0, -0.75, -0.5, -0.25, 0.0, 0.3, 0.5, 1.0, 1.5, 3.0, 4.0, 6.0,
     7.5], np.float32
)  # fmt: skip

CASES = [
    ("celu", {}), ("celu", {"alpha": 0.5}), ("elu", {}), ("elu", {"alpha": 2.0}),
    ("exponential", {}), ("gelu", {}), ("gelu", {"approximate": True}), ("hard_shrink", {}),
    ("hard_shrink", {"threshold": 1.0}), ("hard_sigmoid", {}), ("hard_silu", {}),
    ("hard_swish", {}), ("hard_tanh", {}), ("leaky_relu", {}),
    ("leaky_relu", {"negative_slope": 0.1}),
    ("linear", {}), ("log_sigmoid", {}), ("mish", {}), ("relu", {}),
    ("relu", {"negative_slope": 0.1}), ("relu", {"max_value": 6.0}), ("relu", {"max_value": 4.0}),
    ("relu", {"threshold": 1.0}),
    ("relu", {"negative_slope": 0.1, "max_value": 4.0, "threshold": 1.0}),
    ("relu6", {}), ("selu", {}), ("sigmoid", {}), ("silu", {}), ("swish", {}), ("soft_shrink", {}),
    ("soft_shrink", {"threshold": 1.0}), ("softplus", {}), ("softsign", {}), ("sparse_plus", {}),
    ("sparse_sigmoid", {}), ("squareplus", {}), ("squareplus", {"b": 1}), ("tanh", {}),
    ("tanh_shrink", {}), ("threshold", {"threshold": 0.5, "default_value": -2.0}),
]  # fmt: skip

NAMES = sorted(
    ["celu", "elu", "exponential", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu",
     "hard_swish", "hard_tanh", "leaky_relu", "linear", "log_sigmoid", "log_softmax", "mish",
     "relu", "relu6", "selu", "sigmoid", "silu", "soft_shrink", "softmax", "softplus", "softsign",
     "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh", "tanh_shrink",
     "threshold"]
)  # fmt: skip

# NumPy references (float64), for the numbers each case must give on GRID.
_erf = np.vectorize(__import__("math").erf)


def _softplus(x):
    return np.logaddexp(0.0, x)


def _hsig(x):
    return np.clip(x + 3, 0, 6) / 6


def _relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    y = np.where(x > threshold, x, 0.0)
    if max_value is not None:
        y = np.minimum(y, max_value)
    return y - negative_slope * np.maximum(threshold - x, 0) if negative_slope else y


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


REF = {
    "celu": lambda x, alpha=1.0: np.maximum(x, 0) + alpha * np.expm1(np.minimum(x, 0) / alpha),
    "elu": _elu,
    "exponential": np.exp,
    "gelu": lambda x, approximate=False: (
        0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))
        if approximate else 0.5 * x * (1 + _erf(x / np.sqrt(2)))
    ),
    "hard_shrink": lambda x, threshold=0.5: np.where(np.abs(x) > threshold, x, 0.0),
    "hard_sigmoid": _hsig,
    "hard_silu": lambda x: x * _hsig(x),
    "hard_swish": lambda x: x * _hsig(x),
    "hard_tanh": lambda x: np.clip(x, -1, 1),
    "leaky_relu": lambda x, negative_slope=0.2: np.where(x >= 0, x, negative_slope * x),
    "linear": lambda x: x,
    "log_sigmoid": lambda x: -_softplus(-x),
    "mish": lambda x: x * np.tanh(_softplus(x)),
    "relu": _relu,
    "relu6": lambda x: np.clip(x, 0, 6),
    "selu": lambda x: 1.0507009873554805 * _elu(x, 1.6732632423543772),
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "silu": lambda x: x / (1 + np.exp(-x)),
    "swish": lambda x: x / (1 + np.exp(-x)),
    "soft_shrink": lambda x, threshold=0.5: np.sign(x) * np.maximum(np.abs(x) - threshold, 0),
    "softplus": _softplus,
    "softsign": lambda x: x / (1 + np.abs(x)),
    "sparse_plus": lambda x: np.where(x <= -1, 0.0, np.where(x < 1, (x + 1) ** 2 / 4, x)),
    "sparse_sigmoid": lambda x: np.clip((x + 1) / 2, 0, 1),
    "squareplus": lambda x, b=4: (x + np.sqrt(x * x + b)) / 2,
    "tanh": np.tanh,
    "tanh_shrink": lambda x: x - np.tanh(x),
    "threshold": lambda x, threshold, default_value: np.where(x > threshold, x, default_value),
}  # fmt: skip


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), rtol=tol,
                               atol=tol)  # fmt: skip


def grad_of(tf, fn, x):
    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
    return y, tape.gradient(y, x)


def fd_grad(ref, kwargs, x, h=1e-4):
    x = x.astype(np.float64)
    return (ref(x + h, **kwargs) - ref(x - h, **kwargs)) / (2 * h)


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=[f"{n}{k or ''}" for n, k in CASES])
def test_activation_values_and_gradients(tf, name, kwargs):
    fn = getattr(tf.keras.activations, name)
    y, g = grad_of(tf, lambda x: fn(x, **kwargs), GRID)
    assert y.dtype == tf.float32 and tuple(y.shape) == GRID.shape
    close(y, REF[name](GRID.astype(np.float64), **kwargs))
    traced = tf.function(lambda x: grad_of(tf, lambda v: fn(v, **kwargs), x))
    ty, tg = traced(GRID)
    close(ty, y, 1e-6)
    close(tg, g, 1e-6)
    # Off the kinks the gradient is the derivative; on them it is TF's choice, pinned below.
    kinks = np.array([0.0, 0.5, -0.5, 1.0, -1.0, 3.0, -3.0, 6.0, 4.0], np.float32)
    smooth = ~np.isin(GRID, kinks)
    close(np.asarray(g)[smooth], fd_grad(REF[name], kwargs, GRID[smooth]), 2e-3)


# TF's gradient at each kink (the side its kernel or ``where`` picks).
KINK_GRADS = [
    ("relu", {}, [0.0], [0.0]),
    ("relu6", {}, [0.0, 6.0], [0.0, 0.0]),
    ("relu", {"max_value": 4.0}, [0.0, 4.0], [0.0, 1.0]),
    ("relu", {"threshold": 1.0}, [1.0], [0.0]),
    ("leaky_relu", {}, [0.0], [0.2]),
    ("elu", {}, [0.0], [1.0]),
    ("hard_sigmoid", {}, [-3.0, 3.0], [0.0, 0.0]),
    ("hard_tanh", {}, [-1.0, 1.0], [1.0, 1.0]),
    ("hard_shrink", {}, [-0.5, 0.5], [0.0, 0.0]),
    ("soft_shrink", {}, [-0.5, 0.5], [0.0, 0.0]),
    ("sparse_plus", {}, [-1.0, 1.0], [0.0, 1.0]),
    ("sparse_sigmoid", {}, [-1.0, 1.0], [0.0, 0.0]),
    ("threshold", {"threshold": 0.5, "default_value": -2.0}, [0.5], [0.0]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "kwargs", "xs", "want"), KINK_GRADS)
def test_activation_gradients_at_kinks(tf, name, kwargs, xs, want):
    fn = getattr(tf.keras.activations, name)
    _, g = grad_of(tf, lambda x: fn(x, **kwargs), np.array(xs, np.float32))
    close(g, want, 1e-6)


def test_axis_activations(tf):
    a = tf.keras.activations
    x = np.array([[0.5, -1.0, 2.0, 0.0], [3.0, 1.0, -2.0, 0.25]], np.float32)
    e = np.exp(x - x.max(-1, keepdims=True))
    close(a.softmax(x), e / e.sum(-1, keepdims=True))
    e0 = np.exp(x - x.max(0, keepdims=True))
    close(a.softmax(x, axis=0), e0 / e0.sum(0, keepdims=True))
    close(a.log_softmax(x), np.log(e / e.sum(-1, keepdims=True)))
    ea = np.exp(x - x.max())
    close(a.softmax(x, axis=None), ea / ea.sum())  # None: over every element
    close(a.log_softmax(x, axis=None), np.log(ea / ea.sum()))
    close(a.glu(x), x[:, :2] / (1 + np.exp(-x[:, 2:])))
    close(a.glu(x, axis=0), x[:1] / (1 + np.exp(-x[1:])))
    with pytest.raises(ValueError, match="divisible by 2"):
        a.glu(np.ones((2, 3), np.float32))
    # sparsemax where the support is one element (Keras's TF backend differs from the simplex
    # projection when it is larger: see the unit tests).
    s = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 4.0]], np.float32)
    close(a.sparsemax(s), [[0, 0, 1], [0, 0, 1]])
    _, g = grad_of(tf, lambda v: a.softmax(v) * tf.constant([1.0, 2.0, 3.0, 4.0]), x)
    p = e / e.sum(-1, keepdims=True)
    w = np.array([1.0, 2.0, 3.0, 4.0])
    close(g, p * (w - (p * w).sum(-1, keepdims=True)))


def test_get_serialize_deserialize(tf):
    a = tf.keras.activations
    for name in NAMES:
        fn = a.get(name)
        assert fn is getattr(a, name) and callable(fn)
        if name not in ("swish", "hard_swish"):  # Keras's deserialize refuses the aliases
            assert a.deserialize(name) is fn
        want = {"swish": "silu", "hard_swish": "hard_silu"}.get(name, name)
        assert a.serialize(fn) == want
    assert a.swish is a.silu and a.hard_swish is a.hard_silu
    assert a.get(None) is a.linear
    assert a.get(a.mish) is a.mish
    assert a.get({"module": "keras.activations", "class_name": "function", "config": "gelu",
                  "registered_name": None}) is a.gelu  # fmt: skip
    for bad in ("nope", 3):
        with pytest.raises(ValueError, match="Could not interpret activation function identifier"):
            a.get(bad)


def test_activations_by_string_in_layers_and_configs(tf):
    L = tf.keras.layers
    x = np.linspace(-3, 3, 8, dtype=np.float32).reshape(2, 4)
    dense = L.Dense(3, activation="gelu", kernel_initializer="ones", bias_initializer="zeros")
    s = x.sum(-1, keepdims=True).astype(np.float64)
    close(dense(x), np.repeat(REF["gelu"](s), 3, axis=1))
    cfg = dense.get_config()
    assert cfg["activation"] == "gelu"
    assert L.Dense.from_config(cfg).activation is tf.keras.activations.gelu
    assert L.Dense(2, activation="swish").get_config()["activation"] == "silu"
    close(L.Activation("mish")(x), REF["mish"](x.astype(np.float64)))
    close(L.Activation("hard_swish")(x), REF["hard_silu"](x.astype(np.float64)))
    assert L.Activation("sparsemax").get_config()["activation"] == "sparsemax"
    lstm = L.LSTM(2, recurrent_activation="hard_sigmoid", activation="relu6")
    assert lstm(np.ones((1, 3, 2), np.float32)).shape == (1, 2)
    cfg = lstm.get_config()
    assert (cfg["recurrent_activation"], cfg["activation"]) == ("hard_sigmoid", "relu6")
    conv = L.Conv1D(2, 2, activation="leaky_relu")
    assert conv.get_config()["activation"] == "leaky_relu"
    with pytest.raises(ValueError, match="Could not interpret activation function identifier"):
        L.Dense(2, activation="gelu_new")


def test_activations_saved_and_loaded_in_keras_files(tf, tmp_path):
    k = tf.keras
    names = ["gelu", "mish", "hard_swish", "swish", "sparse_plus", "squareplus", "celu"]
    inputs = k.Input((4,))
    outs = [k.layers.Dense(3, activation=a)(inputs) for a in names]
    lstm = k.layers.LSTM(2, activation="mish", recurrent_activation="hard_sigmoid")
    outs.append(lstm(k.layers.Reshape((2, 2))(inputs)))
    model = k.Model(inputs, outs)
    model.save(tmp_path / "a.keras")
    loaded = k.models.load_model(tmp_path / "a.keras")
    saved = [c["config"].get("activation") for c in loaded.get_config()["layers"]]
    assert [a for a in saved if a][:7] == ["gelu", "mish", "hard_silu", "silu", "sparse_plus",
                                           "squareplus", "celu"]  # fmt: skip
    x = np.random.default_rng(1).normal(size=(3, 4)).astype(np.float32)
    for a, b in zip(loaded(x), model(x), strict=True):
        close(a, b, 1e-6)


def test_to_categorical(tf):
    u = tf.keras.utils
    got = u.to_categorical([[1], [2], [0]])
    assert isinstance(got, np.ndarray) and got.dtype == np.float64 and got.shape == (3, 3)
    np.testing.assert_array_equal(got, np.eye(3)[[1, 2, 0]])
    np.testing.assert_array_equal(u.to_categorical(np.array([[1, 3], [0, 2]]), 5),
                                  np.eye(5)[[[1, 3], [0, 2]]])  # fmt: skip
    t = u.to_categorical(tf.constant([[1], [2]]), 4)
    assert t.dtype == tf.float32 and tuple(t.shape) == (2, 4)
    np.testing.assert_array_equal(t, np.eye(4, dtype=np.float32)[[1, 2]])
    with pytest.raises(IndexError):
        u.to_categorical([1, 5], 3)


def test_normalize(tf):
    u = tf.keras.utils
    x = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, -1.0]])
    got = u.normalize(x)
    assert isinstance(got, np.ndarray) and got.dtype == np.float64
    close(got, [[0.6, 0.8], [0, 0], [2**-0.5, -(2**-0.5)]])
    close(u.normalize(x, order=1), [[3 / 7, 4 / 7], [0, 0], [0.5, -0.5]])
    t = u.normalize(tf.constant(x, tf.float32), axis=0)
    assert t.dtype == tf.float32
    close(t, x / np.linalg.norm(x, axis=0, keepdims=True))


def test_pad_sequences(tf):
    u = tf.keras.utils
    seqs = [[1, 2, 3], [4], [], [5, 6, 7, 8, 9]]
    got = u.pad_sequences(seqs)
    assert got.dtype == np.int32 and got.shape == (4, 5)
    np.testing.assert_array_equal(got, [[0, 0, 1, 2, 3], [0, 0, 0, 0, 4], [0] * 5, [5, 6, 7, 8, 9]])
    np.testing.assert_array_equal(
        u.pad_sequences(seqs, maxlen=3, padding="post", truncating="post", value=-1),
        [[1, 2, 3], [4, -1, -1], [-1, -1, -1], [5, 6, 7]],
    )
    np.testing.assert_array_equal(u.pad_sequences(seqs, maxlen=2), [[2, 3], [0, 4], [0, 0], [8, 9]])
    f = u.pad_sequences([[0.5, 1.5], [2.5]], dtype="float32", value=0.25)
    assert f.dtype == np.float32
    np.testing.assert_array_equal(f, [[0.5, 1.5], [0.25, 2.5]])
    feats = u.pad_sequences([np.ones((2, 3)), np.full((1, 3), 2.0)], dtype="float64")
    assert feats.shape == (2, 2, 3) and feats[1, 0].tolist() == [0, 0, 0]
    s = u.pad_sequences([["a", "b"], ["c"]], dtype=object, value="-")
    assert s.tolist() == [["a", "b"], ["-", "c"]]
    with pytest.raises(ValueError, match="must be iterable"):
        u.pad_sequences(5)
    with pytest.raises(ValueError, match="list of iterables"):
        u.pad_sequences([[1], 2])
    with pytest.raises(ValueError, match='Padding type "mid" not understood'):
        u.pad_sequences(seqs, padding="mid")
    with pytest.raises(ValueError, match='Truncating type "mid" not understood'):
        u.pad_sequences(seqs, truncating="mid")
    with pytest.raises(ValueError, match="is not compatible with `value`'s type"):
        u.pad_sequences(seqs, value="x")
    with pytest.raises(ValueError, match="is different from expected shape"):
        u.pad_sequences([np.ones((2, 3)), np.ones((1, 4))])


def test_custom_objects_clear_session_version(tf):
    k = tf.keras
    objects = k.utils.get_custom_objects()
    assert isinstance(objects, dict) and objects is k.utils.get_custom_objects()
    k.backend.clear_session()
    assert k.layers.Dense(1).name == "dense"
    assert k.layers.Dense(1).name == "dense_1"
    k.backend.clear_session(free_memory=False)
    assert k.layers.Dense(1).name == "dense"
    assert k.utils.clear_session is not None
    assert k.__version__.split(".")[0] == "3"


def test_identity_initializer(tf):
    i = tf.keras.initializers
    close(i.Identity()((3, 3)), np.eye(3))
    got = i.Identity(gain=2.5)((2, 4))
    assert got.dtype == tf.float32
    close(got, 2.5 * np.eye(2, 4))
    assert i.Identity()((3, 2), dtype="float64").dtype == tf.float64
    assert i.identity is i.Identity or isinstance(i.identity(), i.Identity)
    assert isinstance(i.get("identity"), i.Identity) and isinstance(i.get("Identity"), i.Identity)
    assert i.serialize(i.Identity())["class_name"] == "Identity"
    assert isinstance(i.deserialize({"class_name": "Identity", "config": {}}), i.Identity)
    with pytest.raises(ValueError, match="can only be used for 2D matrices"):
        i.Identity()((2, 2, 2))
    dense = tf.keras.layers.Dense(3, kernel_initializer="identity")
    close(dense(np.array([[1.0, 2.0, 3.0]], np.float32)), [[1.0, 2.0, 3.0]])


def _orth_ref(w, factor, mode):
    w = w.astype(np.float64)
    w = w if mode == "rows" else w.T
    w = w / np.maximum(np.linalg.norm(w, axis=1, keepdims=True), 1e-7)
    p = np.abs(w @ w.T) * (1 - np.eye(len(w)))
    return factor * 0.5 * p.sum() / (len(w) * (len(w) - 1) / 2)


def test_orthogonal_regularizer(tf):
    r = tf.keras.regularizers
    w = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 1.0], [3.0, 0.0, 1.0], [1.0, 1.0, 1.0]], np.float32)
    for mode in ("rows", "columns"):
        reg = r.OrthogonalRegularizer(0.1, mode=mode)
        close(reg(tf.constant(w)), _orth_ref(w, 0.1, mode))
    close(r.orthogonal_regularizer()(tf.constant(np.eye(3, dtype=np.float32))), 0.0)
    close(r.OrthogonalRegularizer()(tf.constant(w)), _orth_ref(w, 0.01, "rows"))
    reg = r.OrthogonalRegularizer(0.1)
    assert reg.get_config() == {"factor": float(np.float32(0.1)), "mode": "rows"}
    s = r.serialize(reg)
    assert s["class_name"] == "OrthogonalRegularizer" and s["module"] == "keras.regularizers"
    back = r.deserialize(s)
    assert isinstance(back, r.OrthogonalRegularizer) and back.mode == "rows"
    assert isinstance(r.get("orthogonal_regularizer"), r.OrthogonalRegularizer)
    for bad in (-1.0, "a", float("nan"), float("inf")):
        with pytest.raises(ValueError, match="expected a non-negative float"):
            r.OrthogonalRegularizer(bad)
    with pytest.raises(ValueError, match="Invalid value for argument `mode`"):
        r.OrthogonalRegularizer(mode="x")
    with pytest.raises(ValueError, match="must have rank 2"):
        reg(tf.constant(np.ones((2, 2, 2), np.float32)))
    dense = tf.keras.layers.Dense(3, kernel_regularizer=reg, kernel_initializer="ones")
    dense(np.ones((1, 4), np.float32))
    close(dense.losses[0], 0.1 * 0.5 * 12 / 6)  # 4 equal rows: 12 off-diagonal 1s, 6 pairs


RNG = np.random.default_rng(31)
IMAGES = RNG.uniform(0, 1, (2, 6, 9, 3)).astype(np.float32)


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest", "bicubic", "area", "lanczos3"])
@pytest.mark.parametrize("antialias", [False, True])
def test_image_resize(tf, interpolation, antialias):
    im = tf.keras.ops.image
    got = im.resize(IMAGES, (4, 5), interpolation=interpolation, antialias=antialias)
    want = tf.image.resize(IMAGES, (4, 5), method=interpolation, antialias=antialias)
    assert got.dtype == tf.float32 and tuple(got.shape) == (2, 4, 5, 3)
    close(got, want, 1e-5)
    first = im.resize(np.transpose(IMAGES[0], (2, 0, 1)), (4, 5), interpolation=interpolation,
                      antialias=antialias, data_format="channels_first")  # fmt: skip
    close(first, np.transpose(np.asarray(want)[0], (2, 0, 1)), 1e-5)


def test_image_resize_to_aspect_ratio(tf):
    im = tf.keras.ops.image
    x = IMAGES  # 6 x 9: a square target crops the width to 6 (from column 1) or pads the height
    close(im.resize(x, (3, 3), crop_to_aspect_ratio=True),
          tf.image.resize(x[:, :, 1:7], (3, 3)), 1e-6)  # fmt: skip
    padded = np.pad(x, [(0, 0), (1, 1), (0, 0), (0, 0)], constant_values=0.5)
    close(im.resize(x, (4, 4), pad_to_aspect_ratio=True, fill_value=0.5),
          tf.image.resize(padded, (4, 4)), 1e-6)  # fmt: skip
    close(im.resize(x[:, :, :4], (2, 4), crop_to_aspect_ratio=True),
          tf.image.resize(x[:, 2:4, :4], (2, 4)), 1e-6)  # fmt: skip
    for kwargs, match in [
        ({"size": (3,)}, "tuple of 2 integers"), ({"size": (0, 3)}, "positive height and width"),
        ({"size": (3, 3), "interpolation": "cubic"}, "Invalid value for argument `interpolation`"),
        ({"size": (3, 3), "fill_mode": "reflect"}, "Only `'constant'` is supported"),
        ({"size": (3, 3), "crop_to_aspect_ratio": True, "pad_to_aspect_ratio": True},
         "Only one of `pad_to_aspect_ratio`"),
    ]:  # fmt: skip
        with pytest.raises(ValueError, match=match):
            im.resize(x, **kwargs)
    with pytest.raises(ValueError, match="Invalid images rank"):
        im.resize(x[0, 0], (2, 2))


def test_image_colour(tf):
    im = tf.keras.ops.image
    gray = im.rgb_to_grayscale(IMAGES)
    assert tuple(gray.shape) == (2, 6, 9, 1)
    close(gray, (IMAGES.astype(np.float64) @ [0.2989, 0.5870, 0.1140])[..., None], 1e-6)
    first = im.rgb_to_grayscale(np.transpose(IMAGES, (0, 3, 1, 2)), data_format="channels_first")
    close(first, np.transpose(np.asarray(gray), (0, 3, 1, 2)), 1e-6)
    u8 = (IMAGES * 255).astype(np.uint8)
    g8 = im.rgb_to_grayscale(u8)
    assert g8.dtype == tf.uint8
    np.testing.assert_array_equal(
        g8,
        (u8.astype(np.float32) @ np.float32([0.2989, 0.5870, 0.1140])).astype(np.uint8)[..., None],
    )
    close(im.rgb_to_grayscale(gray), gray)
    with pytest.raises(ValueError, match="Invalid channel size"):
        im.rgb_to_grayscale(IMAGES[..., :2])
    hsv = im.rgb_to_hsv(IMAGES)
    close(hsv, tf.image.rgb_to_hsv(IMAGES), 1e-6)
    close(im.hsv_to_rgb(hsv), IMAGES, 1e-5)
    close(im.rgb_to_hsv(np.transpose(IMAGES[0], (2, 0, 1)), data_format="channels_first"),
          np.transpose(np.asarray(hsv)[0], (2, 0, 1)), 1e-6)  # fmt: skip
    with pytest.raises(ValueError, match="expected float dtype"):
        im.rgb_to_hsv(u8)


def test_image_crop_and_pad(tf):
    im = tf.keras.ops.image
    x = IMAGES
    close(im.crop_images(x, 1, 2, target_height=3, target_width=4), x[:, 1:4, 2:6])
    close(im.crop_images(x, top_cropping=1, bottom_cropping=2, left_cropping=3,
                         right_cropping=1), x[:, 1:4, 3:8])  # fmt: skip
    close(im.crop_images(x[0], bottom_cropping=1, target_height=2, right_cropping=2,
                         target_width=3), x[0, 3:5, 4:7])  # fmt: skip
    xc = np.transpose(x, (0, 3, 1, 2))
    close(im.crop_images(xc, 1, 2, target_height=3, target_width=4, data_format="channels_first"),
          xc[:, :, 1:4, 2:6])  # fmt: skip
    close(im.pad_images(x, 1, 2, target_height=8, target_width=12),
          np.pad(x, [(0, 0), (1, 1), (2, 1), (0, 0)]))  # fmt: skip
    close(im.pad_images(x[0], top_padding=0, bottom_padding=2, left_padding=1, right_padding=0),
          np.pad(x[0], [(0, 2), (1, 0), (0, 0)]))  # fmt: skip
    with pytest.raises(ValueError, match="Must specify exactly two of"):
        im.pad_images(x, 1, 1, bottom_padding=1, target_height=8, target_width=10)
    with pytest.raises(ValueError, match="Must specify exactly two of"):
        im.crop_images(x, 1, target_width=2)
    with pytest.raises(ValueError, match="top_padding must be >= 0"):
        im.pad_images(x, top_padding=-1, bottom_padding=0, left_padding=0, right_padding=0)
    with pytest.raises(ValueError, match="top_cropping must be >= 0"):
        im.crop_images(x, bottom_cropping=1, target_height=6, left_cropping=0, target_width=2)


def patches_ref(x, ph, pw, sh, sw, padding):
    """Every (ph, pw) window at strides (sh, sw), flattened row by row; "same" pads as TF."""
    h, w = x.shape[1:3]
    if padding == "same":
        oh, ow = -(-h // sh), -(-w // sw)
        th, tw = max((oh - 1) * sh + ph - h, 0), max((ow - 1) * sw + pw - w, 0)
        x = np.pad(x, [(0, 0), (th // 2, th - th // 2), (tw // 2, tw - tw // 2), (0, 0)])
    else:
        oh, ow = (h - ph) // sh + 1, (w - pw) // sw + 1
    return np.stack(
        [np.stack([x[:, i * sh : i * sh + ph, j * sw : j * sw + pw].reshape(len(x), -1)
                   for j in range(ow)], 1) for i in range(oh)], 1
    )  # fmt: skip


@pytest.mark.parametrize(
    "kwargs",
    [{"size": 2}, {"size": (2, 3), "strides": (1, 2)}, {"size": 3, "strides": 2, "padding": "same"},
     {"size": (4, 2), "strides": 3, "padding": "same"}],
)  # fmt: skip
def test_image_extract_patches(tf, kwargs):
    im = tf.keras.ops.image
    got = im.extract_patches(IMAGES, **kwargs)
    size = kwargs["size"]
    ph, pw = (size, size) if isinstance(size, int) else size
    strides = kwargs.get("strides", size)
    sh, sw = (strides, strides) if isinstance(strides, int) else strides
    want = patches_ref(IMAGES, ph, pw, sh, sw, kwargs.get("padding", "valid"))
    close(got, want, 1e-6)
    one = im.extract_patches(np.transpose(IMAGES[0], (2, 0, 1)), data_format="channels_first",
                             **kwargs)  # fmt: skip
    close(one, np.transpose(np.asarray(want)[0], (2, 0, 1)), 1e-6)
    with pytest.raises(TypeError, match="Expected an int or a tuple"):
        im.extract_patches(IMAGES, "2")
    with pytest.raises(ValueError, match="Expected a tuple of length 2 or 3"):
        im.extract_patches(IMAGES, (2,))


def test_image_ops_trace_and_build_functional_models(tf, tmp_path):
    im = tf.keras.ops.image
    traced = tf.function(lambda v: im.resize(im.rgb_to_grayscale(v), (3, 3)))
    close(traced(IMAGES), im.resize(im.rgb_to_grayscale(IMAGES), (3, 3)), 1e-6)
    inputs = tf.keras.Input((6, 9, 3))
    out = im.extract_patches(im.crop_images(inputs, 0, 0, target_height=4, target_width=8), 2)
    assert tuple(out.shape) == (None, 2, 4, 12)
    model = tf.keras.Model(inputs, out)
    close(model(IMAGES), im.extract_patches(IMAGES[:, :4, :8], 2), 1e-6)
    # Saved as Keras's operation classes (keras.src.ops.image.Resize, ...) and loaded back.
    gray = im.resize(im.rgb_to_grayscale(inputs), (4, 4), interpolation="bicubic", antialias=True,
                     crop_to_aspect_ratio=True)  # fmt: skip
    hsv = im.pad_images(im.rgb_to_hsv(inputs), 1, 0, target_height=8, target_width=10)
    model = tf.keras.Model(inputs, [out, gray, im.hsv_to_rgb(hsv)])
    model.save(tmp_path / "m.keras")
    loaded = tf.keras.models.load_model(tmp_path / "m.keras")
    classes = {(c["module"], c["class_name"]) for c in loaded.get_config()["layers"]}
    assert {("keras.src.ops.image", n) for n in ("Resize", "RGBToHSV", "ExtractPatches")} <= classes
    for a, b in zip(loaded(IMAGES), model(IMAGES), strict=True):
        close(a, b, 1e-6)


def map_ref(x, coords, order, fill_mode, fill_value):
    """Keras's map_coordinates rules in NumPy: per-axis nearest (halves to even) or linear
    nodes, indices folded by ``fill_mode`` (``constant`` reads ``fill_value`` outside)."""
    out = np.zeros(coords.shape[1:])
    axes = []
    for c, n in zip(coords.astype(np.float64), x.shape, strict=True):
        if order == 0:
            nodes = [(np.round(c).astype(int), np.ones_like(c))]
        else:
            lo = np.floor(c)
            nodes = [(lo.astype(int), 1 - (c - lo)), (lo.astype(int) + 1, c - lo)]
        folded = []
        for i, w in nodes:
            inside = np.ones(i.shape, bool)
            if fill_mode == "constant":
                inside = (i >= 0) & (i < n)
                i = np.clip(i, 0, n - 1)
            elif fill_mode == "nearest":
                i = np.clip(i, 0, n - 1)
            elif fill_mode == "wrap":
                i = np.mod(i, n)
            else:  # mirror: d c b | a b c d | c b a; reflect: d c b a | a b c d | d c b a
                period = 2 * n - 2 if fill_mode == "mirror" else 2 * n
                m = np.mod(i, period) if period else np.zeros_like(i)
                i = np.where(m < n, m, period - m - (fill_mode == "reflect"))
            folded.append((i, inside, w))
        axes.append(folded)
    for corner in __import__("itertools").product(*axes):
        idx, ok, w = zip(*corner, strict=True)
        v = x[idx].astype(np.float64)
        if fill_mode == "constant":
            v = np.where(np.logical_and.reduce(ok), v, fill_value)
        out += np.prod(w, axis=0) * v
    return out


@pytest.mark.parametrize("fill_mode", ["constant", "nearest", "wrap", "reflect"])
@pytest.mark.parametrize("order", [0, 1])
def test_image_map_coordinates(tf, fill_mode, order):
    # Keras's TF backend folds "reflect" wrongly below 0 and reads out of range with "mirror"
    # (its JAX backend and its docs agree with the reference): those are unit-tested.
    im = tf.keras.ops.image
    x = RNG.uniform(-1, 1, (5, 6)).astype(np.float32)
    low = 0.0 if fill_mode == "reflect" else -7.3
    coords = np.stack(np.meshgrid(np.linspace(low, 11.5, 9), np.linspace(-low, 12.5, 8),
                                  indexing="ij")).astype(np.float32)  # fmt: skip
    got = im.map_coordinates(x, coords, order, fill_mode=fill_mode, fill_value=0.25)
    assert got.dtype == tf.float32 and tuple(got.shape) == (9, 8)
    close(got, map_ref(x, coords, order, fill_mode, 0.25), 1e-5)
    xi = np.arange(30, dtype=np.int32).reshape(5, 6)
    gi = im.map_coordinates(xi, coords, order, fill_mode=fill_mode)
    assert gi.dtype == tf.int32
    # rounded: within half a unit of the float reference (ties may go either way in float32)
    assert np.abs(np.asarray(gi) - map_ref(xi, coords, order, fill_mode, 0)).max() <= 0.5 + 1e-4


def test_image_map_coordinates_errors(tf):
    im = tf.keras.ops.image
    x = np.ones((3, 4), np.float32)
    with pytest.raises(ValueError, match="First dim of `coordinates`"):
        im.map_coordinates(x, np.zeros((3, 2), np.float32), 1)
    with pytest.raises(NotImplementedError, match="order<=1"):
        im.map_coordinates(x, np.zeros((2, 2), np.float32), 3)


TRANSFORMS = np.array(
    [[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0],  # identity
     [0.9, -0.3, 1.2, 0.25, 1.1, -0.7, 0.0, 0.0],  # rotation-ish, shifted
     [1.0, 0.0, -2.5, 0.0, 1.0, 1.5, 0.0, 0.0],  # pure translation
     [1.1, 0.2, -1.0, -0.1, 0.9, 0.5, 0.02, -0.03]],  # projective
    np.float32,
)  # fmt: skip


def bilinear_ref(img, t, fill):
    """TF's projective resampling, bilinear, each of the 4 neighbours ``fill`` outside."""
    h, w, _ = img.shape
    out = np.empty(img.shape)

    def read(y, x):
        return img[y, x] if 0 <= y < h and 0 <= x < w else fill

    for y in range(h):
        for x in range(w):
            k = t[6] * x + t[7] * y + 1.0
            sx, sy = (t[0] * x + t[1] * y + t[2]) / k, (t[3] * x + t[4] * y + t[5]) / k
            x0, y0 = int(np.floor(sx)), int(np.floor(sy))
            fx, fy = sx - x0, sy - y0
            top = read(y0, x0) * (1 - fx) + read(y0, x0 + 1) * fx
            bottom = read(y0 + 1, x0) * (1 - fx) + read(y0 + 1, x0 + 1) * fx
            out[y, x] = top * (1 - fy) + bottom * fy
    return out


@pytest.mark.parametrize("fill_mode", ["constant", "nearest", "wrap", "reflect"])
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_image_affine_transform(tf, fill_mode, interpolation):
    im = tf.keras.ops.image
    x = np.concatenate([IMAGES, IMAGES * 0.5])
    kw = {"interpolation": interpolation, "fill_mode": fill_mode, "fill_value": 0.5}
    got = im.affine_transform(x, TRANSFORMS, **kw)
    assert got.dtype == tf.float32 and tuple(got.shape) == x.shape
    close(got[0], x[0])
    if fill_mode == "constant" and interpolation == "nearest":  # translation by whole pixels
        want = np.full_like(x[2], 0.5)
        want[:4, 3:] = x[2, 2:6, 1:7]  # (x, y) reads (x - 2.5, y + 1.5), halves away from 0
        close(got[2], want)
    if fill_mode == "constant" and interpolation == "bilinear":
        for i in (1, 3):
            close(got[i], bilinear_ref(x[i].astype(np.float64), TRANSFORMS[i], 0.5), 1e-5)
    one = im.affine_transform(np.transpose(x[1], (2, 0, 1)), TRANSFORMS[1],
                              data_format="channels_first", **kw)  # fmt: skip
    close(one, np.transpose(np.asarray(got[1]), (2, 0, 1)), 1e-6)
    traced = tf.function(lambda v, t: im.affine_transform(v, t, **kw))
    close(traced(x, TRANSFORMS), got, 1e-6)
    u8 = im.affine_transform((x * 255).astype(np.uint8), TRANSFORMS, **kw)
    assert u8.dtype == tf.uint8


def test_image_affine_transform_errors(tf):
    im = tf.keras.ops.image
    for kwargs, match in [
        ({"interpolation": "bicubic"}, "Invalid value for argument `interpolation`"),
        ({"fill_mode": "mirror"}, "Invalid value for argument `fill_mode`"),
    ]:  # fmt: skip
        with pytest.raises(ValueError, match=match):
            im.affine_transform(IMAGES, TRANSFORMS[:2], **kwargs)
    with pytest.raises(ValueError, match="Invalid transform rank"):
        im.affine_transform(IMAGES, TRANSFORMS[None])
    with pytest.raises(ValueError, match="Invalid images rank"):
        im.affine_transform(IMAGES[0, 0], TRANSFORMS[0])
