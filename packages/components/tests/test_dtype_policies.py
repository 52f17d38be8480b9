"""Dtype policies and mixed precision: policies, the global policy, variables stored in the
variable dtype, outputs in the compute dtype for every layer family, training under
``LossScaleOptimizer`` inside ``function``, and config round trips."""

import numpy as np
import pytest

import tensorhouse_components as keras
import tensorhouse_ops as tf
from tensorhouse_components import dtype_policies, layers, mixed_precision, optimizers

RNG = np.random.default_rng(7)
# bfloat16 storage comes from ml_dtypes (a dependency of the ops layer)
BF16 = dtype_policies.bfloat16_storage()
NEEDS_BF16 = pytest.mark.skipif(not BF16, reason="bfloat16 storage needs ml_dtypes")
MIXED = ["mixed_float16", pytest.param("mixed_bfloat16", marks=NEEDS_BF16)]


def _x(*shape):
    return RNG.standard_normal(shape).astype("float32")


def _round(a, dtype):
    """``a`` rounded to ``dtype`` and back to float32 (NumPy; bfloat16 through the ops layer)."""
    return tf.cast(tf.cast(tf.constant(np.asarray(a, "float32")), dtype), "float32").numpy()


@pytest.fixture(autouse=True)
def _reset_global_policy():
    yield
    dtype_policies.set_dtype_policy("float32")


# ---- policies -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, compute, variable",
    [
        ("float32", "float32", "float32"),
        ("float64", "float64", "float64"),
        ("float16", "float16", "float16"),
        pytest.param("bfloat16", "bfloat16", "bfloat16", marks=NEEDS_BF16),
        ("mixed_float16", "float16", "float32"),
        pytest.param("mixed_bfloat16", "bfloat16", "float32", marks=NEEDS_BF16),
    ],
)
def test_policy_dtypes(name, compute, variable):
    p = dtype_policies.DTypePolicy(name)
    assert (p.name, p.compute_dtype, p.variable_dtype) == (name, compute, variable)
    assert p.quantization_mode is None
    assert repr(p) == f'<DTypePolicy "{name}">'


def test_policy_equality_default_and_errors():
    assert dtype_policies.DTypePolicy() == dtype_policies.DTypePolicy("float32")
    assert dtype_policies.DTypePolicy("float32") != dtype_policies.DTypePolicy("mixed_float16")
    assert dtype_policies.DTypePolicy("float32") != "float32"
    with pytest.raises(TypeError, match="unhashable"):
        hash(dtype_policies.DTypePolicy("float32"))
    with pytest.raises(ValueError, match="Cannot convert 'foo' to a mixed precision"):
        dtype_policies.DTypePolicy("foo")
    with pytest.raises(TypeError, match="'name' must be a string.*name=3"):
        dtype_policies.DTypePolicy(3)
    with pytest.raises(ValueError, match="Cannot interpret `dtype` argument.*dtype=3"):
        dtype_policies.get(3)


@NEEDS_BF16
def test_get_serialize_deserialize():
    p = dtype_policies.get("mixed_bfloat16")
    assert dtype_policies.get(p) is p
    assert dtype_policies.get(tf.float64) == dtype_policies.DTypePolicy("float64")
    config = dtype_policies.serialize(p)
    assert config == {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": {"name": "mixed_bfloat16"},
        "registered_name": None,
    }
    assert dtype_policies.deserialize(config) == p
    assert dtype_policies.get(config) == p
    old = dtype_policies.serialize(dtype_policies.FloatDTypePolicy("float16"))
    assert old["class_name"] == "FloatDTypePolicy"
    assert dtype_policies.deserialize(old).compute_dtype == "float16"
    with pytest.raises(ValueError, match="dtype policy config"):
        dtype_policies.deserialize({"class_name": "Nope", "config": {}})


@NEEDS_BF16
def test_global_policy_and_mixed_precision_aliases():
    assert dtype_policies.dtype_policy().name == "float32"
    assert dtype_policies.get(None).name == "float32"
    mixed_precision.set_global_policy("mixed_float16")
    assert mixed_precision.global_policy() == mixed_precision.Policy("mixed_float16")
    assert dtype_policies.get(None).name == "mixed_float16"
    dense = layers.Dense(2)
    assert (dense.dtype, dense.compute_dtype, dense.variable_dtype) == (
        "float32", "float16", "float32",
    )  # fmt: skip
    assert layers.Dense(2, dtype="float64").dtype_policy.name == "float64"
    dtype_policies.set_dtype_policy(dtype_policies.DTypePolicy("bfloat16"))
    assert mixed_precision.dtype_policy().name == "bfloat16"
    assert mixed_precision.LossScaleOptimizer is optimizers.LossScaleOptimizer
    assert keras.mixed_precision is mixed_precision and keras.dtype_policies is dtype_policies
    with pytest.raises(ValueError, match=r"Invalid `policy` argument.*policy=None"):
        dtype_policies.set_dtype_policy(None)
    with pytest.raises(ValueError, match="Cannot convert 'foo'"):
        mixed_precision.set_global_policy("foo")
    assert dtype_policies.dtype_policy().name == "bfloat16"  # a failed set changes nothing


@NEEDS_BF16
def test_layer_dtype_properties_and_setter():
    layer = layers.Dense(2, dtype=dtype_policies.DTypePolicy("mixed_bfloat16"))
    assert layer.dtype_policy.name == "mixed_bfloat16"
    assert (layer.dtype, layer.compute_dtype, layer.variable_dtype) == (
        "float32", "bfloat16", "float32",
    )  # fmt: skip
    layer.dtype_policy = "float64"
    assert layer.compute_dtype == "float64"
    layer = layers.Dense(2, dtype={"class_name": "DTypePolicy", "config": {"name": "float16"}})
    assert layer.variable_dtype == "float16"
    with pytest.raises(ValueError, match="Cannot interpret `dtype`"):
        layers.Dense(2, dtype=1.5)


# ---- layer families: float32 variables, outputs in the compute dtype ------------------------


def _family_cases():
    x3 = _x(2, 5, 4)
    return {
        "Dense": (lambda p: layers.Dense(3, dtype=p), (x3,), {}),
        "EinsumDense": (lambda p: layers.EinsumDense("abc,cd->abd", (5, 3), dtype=p), (x3,), {}),
        "Conv1D": (lambda p: layers.Conv1D(3, 2, dtype=p), (x3,), {}),
        "Conv2D": (lambda p: layers.Conv2D(3, 2, dtype=p), (_x(2, 4, 4, 2),), {}),
        "SeparableConv1D": (lambda p: layers.SeparableConv1D(3, 2, dtype=p), (x3,), {}),
        "BatchNormalization": (
            lambda p: layers.BatchNormalization(dtype=p),
            (x3,),
            {"training": True},
        ),  # fmt: skip
        "LayerNormalization": (lambda p: layers.LayerNormalization(dtype=p), (x3,), {}),
        "GroupNormalization": (lambda p: layers.GroupNormalization(2, dtype=p), (x3,), {}),
        "Attention": (lambda p: layers.Attention(dtype=p), ([x3, x3],), {}),
        "MultiHeadAttention": (lambda p: layers.MultiHeadAttention(2, 3, dtype=p), (x3, x3), {}),
        "SimpleRNN": (lambda p: layers.SimpleRNN(3, dtype=p), (x3,), {}),
        "LSTM": (lambda p: layers.LSTM(3, return_state=True, dtype=p), (x3,), {}),
        "GRU": (lambda p: layers.GRU(3, return_sequences=True, dtype=p), (x3,), {}),
        "Bidirectional": (
            lambda p: layers.Bidirectional(layers.LSTM(2, dtype=p), dtype=p),
            (x3,),
            {},
        ),  # fmt: skip
        "Embedding": (
            lambda p: layers.Embedding(6, 3, dtype=p),
            (np.array([[1, 2], [3, 5]]),),
            {},
        ),  # fmt: skip
        "PReLU": (lambda p: layers.PReLU(dtype=p), (x3,), {}),
        "Softmax": (lambda p: layers.Softmax(dtype=p), (x3,), {}),
        "MaxPooling1D": (lambda p: layers.MaxPooling1D(2, dtype=p), (x3,), {}),
        "Dropout": (lambda p: layers.Dropout(0.5, seed=1, dtype=p), (x3,), {}),
        "Concatenate": (lambda p: layers.Concatenate(dtype=p), ([x3, x3],), {}),
    }


@pytest.mark.parametrize("policy", MIXED + ["float16"])
@pytest.mark.parametrize("family", sorted(_family_cases()))
def test_layer_family_dtypes(family, policy):
    make, args, kwargs = _family_cases()[family]
    layer = make(policy)
    out = tf.nest.flatten(layer(*args, **kwargs))
    compute, variable = policy.removeprefix("mixed_"), dtype_policies.get(policy).variable_dtype
    assert [t.dtype.name for t in out] == [compute] * len(out)
    assert {w.dtype.name for w in layer.weights} <= {variable}
    reference = make("float32")  # the same layer in float32, with the same weights
    reference(*args, **kwargs)
    reference.set_weights(layer.get_weights())
    expected = tf.nest.flatten(reference(*args, **kwargs))
    tol = 2e-2 if "bfloat16" in policy else 4e-3
    for got, want in zip(out, expected):
        got = tf.cast(got, "float32").numpy()
        np.testing.assert_allclose(got, _round(want.numpy(), compute), rtol=tol, atol=tol)


def test_mixed_dense_numbers_are_the_rounded_float32_computation():
    x = _x(4, 3)
    layer = layers.Dense(2, dtype="mixed_float16")
    y = layer(x)
    kernel, bias = (w.numpy() for w in layer.weights)
    expected = (x.astype(np.float16).astype(np.float32) @ kernel + bias).astype(np.float16)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-3)
    assert layer(tf.constant(x, "float64")).dtype.name == "float16"  # float inputs autocast
    assert layers.Dense(2, dtype="mixed_float16", autocast=True)(
        tf.constant([[1, 2, 3]])
    ).dtype == (tf.float16)  # int features are cast too


def test_batch_normalization_keeps_float32_statistics():
    x = _x(8, 3) * 3.0 + 1.0
    bn = layers.BatchNormalization(momentum=0.5, dtype="mixed_float16")
    y = bn(x, training=True)
    assert y.dtype.name == "float16"
    assert [w.dtype.name for w in bn.weights] == ["float32"] * 4
    xr = x.astype(np.float16).astype(np.float32)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.5 * xr.mean(0), rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.5 + 0.5 * xr.var(0), rtol=1e-5)
    expected = (xr - xr.mean(0)) / np.sqrt(xr.var(0) + 1e-3)
    np.testing.assert_allclose(y.numpy(), expected, rtol=3e-3, atol=3e-3)


@NEEDS_BF16
def test_sublayers_take_the_policy():
    mha = layers.MultiHeadAttention(2, 3, dtype="mixed_bfloat16")
    mha(_x(1, 2, 4), _x(1, 2, 4))
    assert mha._query_dense.dtype_policy.name == "mixed_bfloat16"
    assert {w.dtype.name for w in mha.weights} == {"float32"}


class _Block(layers.Layer):
    """A composite: returns a sublayer's output as it is, and a result of its own arithmetic."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = layers.Dense(2, dtype="float32")
        self.half = layers.Dense(2, dtype="mixed_float16")

    def call(self, x):
        a = self.half(x)  # float16 outside; float32 here, so arithmetic works
        return self.inner(x), a, a * 2.0


@NEEDS_BF16
def test_composite_outputs_keep_sublayer_dtypes():
    block = _Block(dtype="mixed_bfloat16")
    x = _x(3, 4)
    inner, half, doubled = block(x)
    assert (inner.dtype.name, half.dtype.name, doubled.dtype.name) == (
        "float32", "float16", "bfloat16",
    )  # fmt: skip
    np.testing.assert_allclose(
        tf.cast(doubled, "float32").numpy(),
        _round(2 * tf.cast(half, "float32").numpy(), "bfloat16"),
    )


# ---- tracing and training -----------------------------------------------------------------


@pytest.mark.parametrize("policy", MIXED)
def test_eager_equals_traced(policy):
    model = [layers.Conv1D(4, 2, activation="relu", dtype=policy), layers.LSTM(3, dtype=policy)]
    x = _x(2, 6, 3)

    def run(t):
        for layer in model:
            t = layer(t)
        return t

    eager = run(x)
    traced = tf.function(run)(tf.constant(x))
    assert traced.dtype.name == policy.removeprefix("mixed_")
    np.testing.assert_array_equal(tf.cast(traced, "float32").numpy(), tf.cast(eager, "float32"))


def test_training_with_loss_scale_optimizer_inside_function():
    x = _x(64, 3)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], np.float32)).astype(np.float32)
    hidden = layers.Dense(8, activation="tanh", dtype="mixed_float16")
    head = layers.Dense(1, dtype="mixed_float16")
    out = layers.Activation("linear", dtype="float32")
    opt = mixed_precision.LossScaleOptimizer(optimizers.Adam(0.05), initial_scale=2.0**10)

    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            pred = out(head(hidden(xb)))
            loss = tf.reduce_mean(tf.square(pred - yb))
            scaled = opt.scale_loss(loss)
        variables = hidden.trainable_weights + head.trainable_weights
        grads = tape.gradient(scaled, variables)
        opt.apply(grads, variables)
        return loss, pred, grads

    losses = []
    for _ in range(60):
        loss, pred, grads = step(tf.constant(x), tf.constant(y))
        losses.append(float(loss.numpy()))
    assert pred.dtype.name == "float32"
    assert {g.dtype.name for g in grads} == {"float32"}
    assert {w.dtype.name for w in hidden.weights + head.weights} == {"float32"}
    assert losses[-1] < 0.05 * losses[0]
    assert float(opt.dynamic_scale.numpy()) == 2.0**10  # every step was finite


def test_loss_scale_optimizer_skips_a_non_finite_step():
    v = tf.Variable([1.0, 2.0])
    opt = mixed_precision.LossScaleOptimizer(optimizers.SGD(0.1), initial_scale=8.0)
    opt.apply([tf.constant([np.inf, 1.0])], [v])
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])
    assert float(opt.dynamic_scale.numpy()) == 4.0
    opt.apply([tf.constant([4.0, 8.0])], [v])  # unscaled: [1, 2]
    np.testing.assert_allclose(v.numpy(), [0.9, 1.8], rtol=1e-6)


# ---- config -------------------------------------------------------------------------------


@pytest.mark.parametrize("policy", MIXED + ["float16", "float64"])
def test_config_round_trip(policy):
    layer = layers.Dense(3, dtype=policy)
    config = layer.get_config()
    assert config["dtype"] == {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": {"name": policy},
        "registered_name": None,
    }
    again = layers.Dense.from_config(config)
    assert again.dtype_policy == layer.dtype_policy
    plain = layers.Dense.from_config({**config, "dtype": policy})  # a plain string too
    assert plain.dtype_policy == layer.dtype_policy
    assert layers.deserialize(layers.serialize(layer)).dtype_policy.name == policy


def test_bfloat16_policies_without_ml_dtypes_say_what_is_missing(monkeypatch):
    monkeypatch.setattr(dtype_policies, "bfloat16_storage", lambda: False)
    with pytest.raises(ValueError, match="needs bfloat16 storage.*ml_dtypes"):
        dtype_policies.DTypePolicy("mixed_bfloat16")
    with pytest.raises(ValueError, match="ml_dtypes"):
        layers.Dense(2, dtype="bfloat16")
    assert dtype_policies.DTypePolicy("mixed_float16").compute_dtype == "float16"


def test_float32_config_and_global_default():
    assert layers.Dense(2).get_config()["dtype"] == {  # Keras 3 writes the policy's dict
        "module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
        "registered_name": None,
    }  # fmt: skip
    assert layers.Dense.from_config({"units": 2, "dtype": "float32"}).dtype == "float32"
    dtype_policies.set_dtype_policy("mixed_float16")
    config = layers.Dense(2).get_config()
    assert config["dtype"]["config"] == {"name": "mixed_float16"}
    dtype_policies.set_dtype_policy("float32")
    assert layers.Dense.from_config(config).compute_dtype == "float16"
