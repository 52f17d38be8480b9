"""tf.saved_model: what TF defines about loaded signatures (names, structure, calling)."""

import numpy as np
import pytest


def _module(tf):
    class M(tf.Module):
        def __init__(self):
            super().__init__()
            self.v = tf.Variable([1.0, 2.0, 3.0])

        @tf.function(input_signature=[tf.TensorSpec([None, 3])])
        def f(self, x):
            return x * self.v

        @tf.function(input_signature=[tf.TensorSpec([None, 3]), tf.TensorSpec([], tf.int32)])
        def g(self, x, n):
            return {"b": n + 1, "a": x + self.v}

        @tf.function(input_signature=[tf.TensorSpec([2])])
        def pair(self, x):
            return x * 2.0, x - 1.0

    return M()


def test_signature_names_structure_and_outputs(tf, tmp_path):
    m = _module(tf)
    sigs = {"serving_default": m.f, "g": m.g, "pair": m.pair}
    tf.saved_model.save(m, str(tmp_path / "sm"), signatures=sigs)
    loaded = tf.saved_model.load(str(tmp_path / "sm"))
    assert sorted(loaded.signatures.keys()) == ["g", "pair", "serving_default"]
    g = loaded.signatures["g"]
    args, kwargs = g.structured_input_signature
    assert args == () and sorted(kwargs) == ["n", "x"]
    assert kwargs["x"].shape.as_list() == [None, 3] and kwargs["x"].name == "x"
    assert kwargs["n"].dtype == tf.int32
    assert sorted(g.structured_outputs) == ["a", "b"]
    assert g.structured_outputs["a"].name == "a"
    x = np.array([[1.0, 1.0, 1.0]], np.float32)
    out = g(x=tf.constant(x), n=tf.constant(2))
    np.testing.assert_allclose(out["a"].numpy(), [[2.0, 3.0, 4.0]])
    assert out["b"].numpy() == 3
    out = loaded.signatures["serving_default"](x=tf.constant(x))
    assert list(out) == ["output_0"]
    np.testing.assert_allclose(out["output_0"].numpy(), [[1.0, 2.0, 3.0]])
    out = loaded.signatures["pair"](x=tf.constant([1.0, 2.0]))
    assert sorted(out) == ["output_0", "output_1"]
    np.testing.assert_allclose(out["output_1"].numpy(), [0.0, 1.0])
    with pytest.raises(TypeError):
        g(tf.constant(x), tf.constant(2))  # signatures take keyword arguments only


def test_loaded_functions_and_variables(tf, tmp_path):
    m = _module(tf)
    tf.saved_model.save(m, str(tmp_path / "sm"))
    loaded = tf.saved_model.load(str(tmp_path / "sm"))
    assert len(loaded.signatures) == 0  # several functions with signatures: no default
    x = tf.constant([[1.0, 2.0, 3.0]])
    np.testing.assert_allclose(loaded.f(x).numpy(), [[1.0, 4.0, 9.0]])
    np.testing.assert_allclose(loaded.g(x, tf.constant(1))["a"].numpy(), [[2.0, 4.0, 6.0]])
    np.testing.assert_allclose(loaded.v.numpy(), [1.0, 2.0, 3.0])
    loaded.v.assign([0.0, 1.0, 0.0])
    np.testing.assert_allclose(loaded.f(x).numpy(), [[0.0, 2.0, 0.0]])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(loaded.f(x))
    np.testing.assert_allclose(tape.gradient(y, loaded.v).numpy(), [1.0, 2.0, 3.0])
    with pytest.raises(TypeError):
        loaded.f(tf.ones([2, 4]))


def test_keras_export_signatures(tf, tmp_path):
    keras = tf.keras
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    model.export(str(tmp_path / "exp"), verbose=False)
    loaded = tf.saved_model.load(str(tmp_path / "exp"))
    assert sorted(loaded.signatures.keys()) == ["serve", "serving_default"]
    np.testing.assert_allclose(loaded.serve(x).numpy(), model(x).numpy(), rtol=1e-6)
    sig = loaded.signatures["serving_default"]
    assert list(sig.structured_outputs) == ["output_0"]
    (name,) = sig.structured_input_signature[1]
    np.testing.assert_allclose(sig(**{name: tf.constant(x)})["output_0"].numpy(),
                               model(x).numpy(), rtol=1e-6)  # fmt: skip
    assert len(loaded.variables) == 2 and len(loaded.trainable_variables) == 2
    tf.saved_model.save(model, str(tmp_path / "sm"))
    sig = tf.saved_model.load(str(tmp_path / "sm")).signatures["serving_default"]
    assert list(sig.structured_input_signature[1]) == ["inputs"]
    assert list(sig.structured_outputs) == ["output_0"]


def test_signature_outputs_must_be_flat(tf, tmp_path):
    m = tf.Module()
    m.g = tf.function(lambda x: [x, {"a": x}], input_signature=[tf.TensorSpec([2])])
    with pytest.raises(ValueError, match="non-Tensor value"):
        tf.saved_model.save(m, str(tmp_path / "sm"), signatures=m.g)
