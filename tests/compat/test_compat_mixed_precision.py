"""tf.keras mixed precision: dtype policies, the global policy, the dtypes of variables and outputs
per policy and layer family, the config dicts, and training under ``LossScaleOptimizer``."""

import numpy as np
import pytest

RNG = np.random.default_rng(3)
POLICIES = ["mixed_float16", "mixed_bfloat16", "float16", "float64"]


def _x(*shape):
    return RNG.standard_normal(shape).astype("float32")


def _name(tf, dtype):
    return tf.as_dtype(dtype).name


@pytest.fixture
def keras(tf):
    yield tf.keras
    tf.keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize(
    "name, compute, variable",
    [
        ("float32", "float32", "float32"),
        ("float64", "float64", "float64"),
        ("float16", "float16", "float16"),
        ("bfloat16", "bfloat16", "bfloat16"),
        ("mixed_float16", "float16", "float32"),
        ("mixed_bfloat16", "bfloat16", "float32"),
    ],
)
def test_policy(keras, name, compute, variable):
    p = keras.mixed_precision.Policy(name)
    assert isinstance(p, keras.dtype_policies.DTypePolicy)
    assert (p.name, p.compute_dtype, p.variable_dtype) == (name, compute, variable)
    assert repr(p) == f'<DTypePolicy "{name}">'
    assert keras.dtype_policies.get(name) == p
    assert keras.dtype_policies.serialize(p) == {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": {"name": name},
        "registered_name": None,
    }
    assert keras.dtype_policies.deserialize(keras.dtype_policies.serialize(p)) == p


def test_policy_errors(keras):
    with pytest.raises(ValueError, match="Cannot convert 'foo' to a mixed precision DTypePolicy"):
        keras.mixed_precision.Policy("foo")
    with pytest.raises(TypeError, match="'name' must be a string"):
        keras.mixed_precision.Policy(3)
    with pytest.raises(ValueError, match="Cannot interpret `dtype` argument"):
        keras.layers.Dense(2, dtype=3)
    with pytest.raises(ValueError, match="Invalid `policy` argument"):
        keras.mixed_precision.set_global_policy(None)


def test_global_policy_set_and_reset(keras):
    assert keras.mixed_precision.global_policy().name == "float32"
    try:
        keras.mixed_precision.set_global_policy("mixed_float16")
        assert keras.mixed_precision.global_policy().name == "mixed_float16"
        dense = keras.layers.Dense(2)
        assert (dense.dtype_policy.name, dense.compute_dtype, dense.variable_dtype) == (
            "mixed_float16", "float16", "float32",
        )  # fmt: skip
        assert keras.layers.Dense(2, dtype="float32").compute_dtype == "float32"
        keras.mixed_precision.set_global_policy(keras.mixed_precision.Policy("bfloat16"))
        assert keras.layers.Dense(2).variable_dtype == "bfloat16"
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert keras.layers.Dense(2).dtype_policy.name == "float32"


def _families(keras):
    layers = keras.layers
    x3 = _x(2, 5, 4)
    return {
        "Dense": (lambda p: layers.Dense(3, dtype=p), (x3,), {}),
        "Conv2D": (lambda p: layers.Conv2D(3, 2, dtype=p), (_x(2, 4, 4, 2),), {}),
        "BatchNormalization": (
            lambda p: layers.BatchNormalization(dtype=p),
            (x3,),
            {"training": True},
        ),  # fmt: skip
        "LayerNormalization": (lambda p: layers.LayerNormalization(dtype=p), (x3,), {}),
        "MultiHeadAttention": (lambda p: layers.MultiHeadAttention(2, 3, dtype=p), (x3, x3), {}),
        "LSTM": (lambda p: layers.LSTM(3, return_state=True, dtype=p), (x3,), {}),
        "GRU": (lambda p: layers.GRU(3, return_sequences=True, dtype=p), (x3,), {}),
        "Embedding": (
            lambda p: layers.Embedding(6, 3, dtype=p),
            (np.array([[1, 2], [3, 5]]),),
            {},
        ),  # fmt: skip
        "Softmax": (lambda p: layers.Softmax(dtype=p), (x3,), {}),
    }


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize(
    "family",
    [
        "BatchNormalization", "Conv2D", "Dense", "Embedding", "GRU", "LSTM", "LayerNormalization",
        "MultiHeadAttention", "Softmax",
    ],
)  # fmt: skip
def test_variable_and_output_dtypes(tf, keras, family, policy):
    make, args, kwargs = _families(keras)[family]
    layer = make(policy)
    outputs = tf.nest.flatten(layer(*args, **kwargs))
    p = keras.dtype_policies.get(policy)
    assert [_name(tf, y.dtype) for y in outputs] == [p.compute_dtype] * len(outputs)
    expected = set() if family == "Softmax" else {p.variable_dtype}
    assert {_name(tf, w.dtype) for w in layer.weights} == expected
    assert layer.dtype == p.variable_dtype


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_dense_numbers(tf, keras, policy):
    x = _x(4, 3)
    layer = keras.layers.Dense(2, dtype=policy)
    y = tf.cast(layer(x), "float32").numpy()
    kernel, bias = layer.get_weights()
    tol = 2e-2 if policy == "mixed_bfloat16" else 2e-3
    np.testing.assert_allclose(y, x @ kernel + bias, rtol=tol, atol=tol)


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16", "float16", "float64"])
def test_layer_config_dtype(keras, policy):
    layer = keras.layers.Dense(3, dtype=policy)
    config = layer.get_config()
    assert config["dtype"] == {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": {"name": policy},
        "registered_name": None,
    }
    assert keras.layers.Dense.from_config(config).dtype_policy.name == policy
    plain = keras.layers.Dense.from_config({**config, "dtype": policy})
    assert plain.dtype_policy == layer.dtype_policy


def test_functional_model_under_global_mixed_policy(tf, keras):
    try:
        keras.mixed_precision.set_global_policy("mixed_float16")
        inputs = keras.Input((4,))
        hidden = keras.layers.Dense(8, activation="relu")(inputs)
        out = keras.layers.Dense(1)(hidden)
        probs = keras.layers.Activation("sigmoid", dtype="float32")(out)
        assert (_name(tf, hidden.dtype), _name(tf, probs.dtype)) == ("float16", "float32")
        model = keras.Model(inputs, [out, probs])
        y16, y32 = model(_x(5, 4))
        assert (_name(tf, y16.dtype), _name(tf, y32.dtype)) == ("float16", "float32")
        np.testing.assert_allclose(
            y32.numpy(), 1 / (1 + np.exp(-tf.cast(y16, "float32").numpy())), rtol=1e-3, atol=1e-3
        )
        assert {_name(tf, w.dtype) for w in model.weights} == {"float32"}
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_training_with_loss_scale_optimizer(tf, keras):
    x = _x(64, 3)
    y = x @ np.array([[1.0], [-2.0], [0.5]], np.float32)
    try:
        keras.mixed_precision.set_global_policy("mixed_float16")
        hidden = keras.layers.Dense(8, activation="tanh")
        head = keras.layers.Dense(1, dtype="float32")
        opt = keras.mixed_precision.LossScaleOptimizer(
            keras.optimizers.Adam(0.05), initial_scale=1024.0
        )
        assert isinstance(opt, keras.optimizers.LossScaleOptimizer)

        @tf.function
        def step(xb, yb):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(head(hidden(xb)) - yb))
                scaled = opt.scale_loss(loss)
            variables = hidden.trainable_weights + head.trainable_weights
            opt.apply(tape.gradient(scaled, variables), variables)
            return loss

        losses = [float(step(tf.constant(x), tf.constant(y)).numpy()) for _ in range(60)]
        assert losses[-1] < 0.05 * losses[0]
        assert {_name(tf, w.dtype) for w in hidden.weights} == {"float32"}
        assert float(np.asarray(opt.dynamic_scale)) == 1024.0
    finally:
        keras.mixed_precision.set_global_policy("float32")
