"""tensorhouse.export.to_onnx: the file run by onnxruntime gives the model's numbers."""

import types

import numpy as np
import pytest

import tensorhouse_models

# TF 2's names from this layer alone (the meta-package sits above it)
tf = types.ModuleType("tf")
tf.__dict__.update(
    {n: getattr(tensorhouse_models.ops, n) for n in dir(tensorhouse_models.ops) if n[:2] != "__"}
)
tf.keras, tf.data = tensorhouse_models, tensorhouse_models.data
tf.saved_model, tf.export = tensorhouse_models.saved_model, tensorhouse_models.export

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

keras = tf.keras
L = keras.layers


def _run(path, *xs):
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {i.name: x for i, x in zip(sess.get_inputs(), xs)}
    return sess.run(None, feeds)


def _check(model, shape, tmp_path, batches=(1, 4)):
    path = tmp_path / "m.onnx"
    tf.export.to_onnx(model, path)
    for b in batches:
        x = np.random.default_rng(b).normal(size=(b, *shape)).astype(np.float32)
        (got,) = _run(path, x)
        want = model(x, training=False).numpy()
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)


def test_mlp(tmp_path):
    keras.utils.set_random_seed(1)
    model = keras.Sequential([
        keras.Input((8,)), L.Dense(16, activation="relu"), L.Dropout(0.5),
        L.Dense(8, activation="tanh"), L.Dense(4, activation="softmax"),
    ])  # fmt: skip
    _check(model, (8,), tmp_path)


def test_cnn_with_batchnorm_inference(tmp_path):
    keras.utils.set_random_seed(2)
    model = keras.Sequential([
        keras.Input((12, 12, 3)),
        L.Conv2D(4, 3, padding="same", activation="relu"),
        L.BatchNormalization(),
        L.MaxPooling2D(),
        L.Conv2D(6, 2, strides=2, padding="valid"),
        L.AveragePooling2D(pool_size=2, padding="same"),
        L.Flatten(),
        L.Dense(3),
    ])  # fmt: skip
    bn = model.layers[1]
    bn.moving_mean.assign(np.array([0.1, -0.2, 0.3, 0.0], np.float32))
    bn.moving_variance.assign(np.array([0.5, 2.0, 1.5, 1.0], np.float32))
    bn.gamma.assign(np.array([1.5, 0.5, 1.0, 2.0], np.float32))
    _check(model, (12, 12, 3), tmp_path)


def test_lstm(tmp_path):
    keras.utils.set_random_seed(3)
    model = keras.Sequential([
        keras.Input((5, 6)), L.LSTM(7, return_sequences=True), L.LSTM(3), L.Dense(2),
    ])  # fmt: skip
    _check(model, (5, 6), tmp_path)


def test_multi_head_attention(tmp_path):
    keras.utils.set_random_seed(4)
    i = keras.Input((6, 8))
    o = L.MultiHeadAttention(num_heads=2, key_dim=4)(i, i)
    o = L.LayerNormalization()(L.Add()([o, i]))
    o = L.GlobalAveragePooling1D()(o)
    model = keras.Model(i, L.Dense(2)(o))
    _check(model, (6, 8), tmp_path)


def test_tf_function_with_slices_and_several_outputs(tmp_path):
    w = tf.Variable(np.arange(12, dtype=np.float32).reshape(4, 3) / 10)

    @tf.function(input_signature=[tf.TensorSpec([None, 5, 4], name="x")])
    def f(x):
        a = x[:, 1:4:2, ::-1]
        b = x[..., 0]
        c = x[:, tf.newaxis, -1, :2]
        d = tf.matmul(tf.reshape(x, [-1, 4]), w, transpose_b=False)
        e = tf.reduce_max(x, axis=[1, 2]) - tf.reduce_mean(x, axis=1)[:, 0]
        return a, b, c, tf.nn.relu6(d * 3.0), e

    path = tmp_path / "f.onnx"
    model = tf.export.to_onnx(f, path)
    assert [i.name for i in model.graph.input] == ["x"]
    assert [o.name for o in model.graph.output] == [f"output_{i}" for i in range(5)]
    x = np.random.default_rng(0).normal(size=(3, 5, 4)).astype(np.float32) * 3
    for got, want in zip(_run(path, x), f(x)):
        np.testing.assert_allclose(got, want.numpy(), atol=1e-5, rtol=1e-5)


def test_unsupported_op_names_the_op_type(tmp_path):
    @tf.function(input_signature=[tf.TensorSpec([3])])
    def f(x):
        return tf.py_function(lambda a: a * 2, [x], tf.float32)

    with pytest.raises(NotImplementedError, match="EagerPyFunc"):
        tf.export.to_onnx(f, tmp_path / "f.onnx")

    @tf.function(input_signature=[tf.TensorSpec([3])])
    def g(x):
        return tf.math.cumsum(x)

    with pytest.raises(NotImplementedError, match="'Cumsum'"):
        tf.export.to_onnx(g, tmp_path / "g.onnx")
    assert not (tmp_path / "g.onnx").exists()


def test_model_export_format_onnx(tmp_path):
    model = keras.Sequential([keras.Input((3,)), L.Dense(2, activation="sigmoid")])
    model.export(str(tmp_path / "m.onnx"), format="onnx", verbose=False)
    x = np.array([[1.0, 2.0, -1.0]], np.float32)
    np.testing.assert_allclose(_run(tmp_path / "m.onnx", x)[0], model(x).numpy(), atol=1e-6)


@pytest.mark.parametrize(
    "name, shape, dtype, make",
    [
        ("embedding", (5,), "int32",
         lambda: [L.Embedding(10, 4), L.GlobalAveragePooling1D(), L.Dense(2)]),
        ("gru_rnn", (5, 3), "float32", lambda: [L.GRU(4, return_sequences=True), L.SimpleRNN(3)]),
        ("bidirectional", (5, 3), "float32", lambda: [L.Bidirectional(L.LSTM(2))]),
        ("conv1d", (10, 3), "float32",
         lambda: [L.Conv1D(4, 3, padding="causal"), L.MaxPooling1D(), L.GlobalMaxPooling1D()]),
        ("depthwise", (8, 8, 3), "float32",
         lambda: [L.DepthwiseConv2D(3, depth_multiplier=2), L.SeparableConv2D(4, 3)]),
        ("transpose_conv", (6, 6, 3), "float32",
         lambda: [L.Conv2DTranspose(2, 3, strides=2), L.UpSampling2D(), L.ZeroPadding2D(1),
                  L.Cropping2D(1), L.GlobalMaxPooling2D()]),
        ("activations", (6,), "float32",
         lambda: [L.Dense(5, activation=tf.nn.gelu), L.LeakyReLU(), L.PReLU(),
                  L.Dense(4, activation=tf.nn.elu), L.Dense(3, activation=tf.nn.selu),
                  L.Dense(3, activation=tf.nn.silu), L.ReLU(max_value=2.0), L.Softmax()]),
        ("group_norm", (4, 4, 4), "float32",
         lambda: [L.GroupNormalization(2), L.Reshape((16, 4)), L.Permute((2, 1)), L.Flatten()]),
    ],
)  # fmt: skip
def test_more_layers(tmp_path, name, shape, dtype, make):
    keras.utils.set_random_seed(5)
    model = keras.Sequential([keras.Input(shape, dtype=dtype), *make()])
    path = tmp_path / f"{name}.onnx"
    tf.export.to_onnx(model, path)
    rng = np.random.default_rng(0)
    if dtype == "int32":
        x = rng.integers(0, 10, size=(3, *shape)).astype(np.int32)
    else:
        x = rng.normal(size=(3, *shape)).astype(np.float32)
    np.testing.assert_allclose(_run(path, x)[0], model(x).numpy(), atol=1e-5, rtol=1e-5)


def test_cond_and_while_loop_become_if_and_loop(tmp_path):
    w = tf.Variable([1.0, -2.0, 0.5])

    @tf.function(input_signature=[tf.TensorSpec([None, 3])])
    def f(x):
        y = x * w
        if tf.reduce_sum(y) > 0:
            y = y * 2.0 + 1.0
        else:
            y = -y
        i = tf.constant(0)
        while i < 4:
            y = tf.tanh(y) + x * 0.1
            i += 1
        (z,) = tf.while_loop(lambda a: tf.reduce_sum(a) < 10.0, lambda a: a * 2.0,
                             [tf.abs(y) + 0.1], maximum_iterations=3)  # fmt: skip
        return y, z

    path = tmp_path / "cf.onnx"
    model = tf.export.to_onnx(f, path)
    assert {"If", "Loop"} <= {n.op_type for n in model.graph.node}
    for x in (np.ones((2, 3), np.float32), np.full((1, 3), -3.0, np.float32)):
        for got, want in zip(_run(path, x), f(x)):
            np.testing.assert_allclose(got, want.numpy(), atol=1e-5, rtol=1e-5)
