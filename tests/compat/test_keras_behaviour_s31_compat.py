"""Keras 3 behaviours the TF guides show (intro_to_graphs, intro_to_modules), against real
Keras 3.15 and tensorhouse: when ``fit`` traces, what an explicit ``build`` records, how an
error in ``call`` reads, what ``tf.function(model)`` names its argument, the config dicts."""

import numpy as np
import pytest

X = np.arange(12, dtype="float32").reshape(4, 3) / 10
POLICY_FLOAT32 = {
    "module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
    "registered_name": None,
}  # fmt: skip


def _printing_model(keras):
    class Printing(keras.layers.Layer):
        def call(self, inputs):
            print("CALL")
            return inputs

    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__()
            self.flatten = keras.layers.Flatten()
            self.dense = keras.layers.Dense(10)
            self.printing = Printing()

        def call(self, x):
            return self.printing(self.dense(self.flatten(x)))

    return Subclassed()


def test_fit_traces_after_the_epoch_line_and_eager_fit_calls_once_per_step(tf, capsys):
    keras = tf.keras
    model = _printing_model(keras)
    x = np.random.default_rng(0).uniform(size=(60, 28, 28)).astype("float32")
    y = np.random.default_rng(1).integers(0, 10, size=(60,)).astype("float32")
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(loss=loss)
    model.fit(x, y, epochs=2, verbose=2)  # 2 steps: 32 then 28 samples
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Epoch 1/2"
    assert out.index("Epoch 2/2") > out.index("CALL")
    assert out.count("CALL") == 3  # the guide's cell 16: three traces' worth of prints
    assert "CALL" not in out[out.index("Epoch 2/2") :]
    model.compile(run_eagerly=True, loss=loss)
    model.fit(x, y, epochs=1, verbose=2)
    out = capsys.readouterr().out.splitlines()
    assert out.count("CALL") == 2  # one call per step (cell 17)


def test_explicit_build_records_the_shape_and_the_weights_load_back(tf, tmp_path):
    keras = tf.keras

    @keras.utils.register_keras_serializable(package="s31behav")
    class Scale(keras.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 2), initializer="zeros")

        def call(self, x):
            return x @ self.w

    layer = Scale()
    layer.build((None, 3))
    assert layer.built and layer.get_build_config() == {"input_shape": (None, 3)}
    kernel = np.arange(6, dtype="float32").reshape(3, 2)
    layer.w.assign(kernel)
    np.testing.assert_allclose(np.asarray(layer(X)), X @ kernel, rtol=1e-6)
    assert len(layer.weights) == 1  # the call did not build it a second time
    again = keras.layers.deserialize(keras.layers.serialize(layer))  # built from build_config
    assert again.built and [tuple(w.shape) for w in again.weights] == [(3, 2)]
    model = keras.Sequential([keras.Input((3,)), layer])
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded.layers[0].get_weights()[0], kernel)
    np.testing.assert_allclose(np.asarray(loaded(X)), X @ kernel, rtol=1e-6)


def test_an_error_in_call_is_framed_with_the_arguments(tf):
    keras = tf.keras

    class Failing(keras.layers.Layer):
        def call(self, x, training=None):
            raise ValueError("boom")

    class Outer(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.inner = Failing()

        def call(self, x):
            return self.inner(x)

    with pytest.raises(ValueError) as info:
        Failing()(X, training=True)
    assert str(info.value) == (
        "Exception encountered when calling Failing.call().\n\n\x1b[1mboom\x1b[0m\n\n"
        "Arguments received by Failing.call():\n"
        "  \u2022 x=tf.Tensor(shape=(4, 3), dtype=float32)\n  \u2022 training=True"
    )
    with pytest.raises(ValueError) as info:
        Outer()(tf.constant(X))
    assert "calling Failing.call()" in str(info.value)  # the innermost call only
    assert "Outer" not in str(info.value)


def test_tf_function_of_a_model_names_its_argument_args_0(tf):
    keras = tf.keras
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    concrete = tf.function(model).get_concrete_function(tf.TensorSpec([None, 3], tf.float32))
    args, kwargs = concrete.structured_input_signature
    assert [s.name for s in args] == ["args_0"] and kwargs == {}
    assert concrete.inputs[0].name == "args_0:0"
    np.testing.assert_allclose(np.asarray(concrete(tf.constant(X))), np.asarray(model(X)))
    dense = keras.layers.Dense(2, kernel_initializer="ones")
    np.testing.assert_allclose(np.asarray(dense(inputs=X)), X @ np.ones((3, 2)), rtol=1e-6)


def test_configs_write_the_dtype_policy_dict_and_input_layer_keys(tf):
    keras = tf.keras
    assert keras.layers.Dense(2).get_config()["dtype"] == POLICY_FLOAT32
    assert keras.layers.Dropout(0.5).get_config()["dtype"] == POLICY_FLOAT32
    mixed = keras.layers.Dense(2, dtype="mixed_float16").get_config()["dtype"]
    assert mixed == {**POLICY_FLOAT32, "config": {"name": "mixed_float16"}}
    assert keras.layers.InputLayer(shape=(3,), name="in").get_config() == {
        "batch_shape": (None, 3), "dtype": "float32", "sparse": False, "ragged": False,
        "name": "in", "optional": False,
    }  # fmt: skip
    # an older config with the dtype as a string still loads
    old = keras.layers.Dense.from_config({"name": "d", "units": 2, "dtype": "float16"})
    assert old.dtype == "float16" and old.get_config()["dtype"]["config"] == {"name": "float16"}
