"""keras.export.ExportArchive as Keras 3.15 has it: tracked layers, endpoints (with an input
signature, or a tf.function traced before), variable collections, ``serving_default`` added
for the first endpoint, and Keras's errors; each library reloads its own SavedModel with
``tf.saved_model.load`` (real TF cannot read tensorhouse's directory layout)."""

import numpy as np
import pytest

X = np.arange(6, dtype="float32").reshape(2, 3) / 5.0


def _model(tf):
    k = tf.keras
    model = k.Sequential(
        [
            k.Input((3,)),
            k.layers.Dense(2, kernel_initializer="ones"),
            k.layers.BatchNormalization(epsilon=0.0),
        ]
    )
    model.layers[0].bias.assign([0.5, -1.0])
    return model


def test_endpoints_variables_and_reload(tf, tmp_path, capsys):
    k = tf.keras
    model = _model(tf)
    archive = k.export.ExportArchive()
    archive.track(model)
    assert (len(archive.variables), len(archive.trainable_variables)) == (6, 4)
    spec = [k.InputSpec(shape=(None, 3), dtype="float32")]
    archive.add_endpoint("call_inference", lambda x: model(x, training=False), spec)
    archive.add_endpoint(
        "call_training", lambda x: model(x, training=True), [tf.TensorSpec((None, 3), tf.float32)]
    )
    archive.add_variable_collection("kernel_only", (model.layers[0].kernel,))
    archive.write_out(str(tmp_path / "a"))
    out = capsys.readouterr().out
    assert out.startswith(f"Saved artifact at '{tmp_path / 'a'}'. The following endpoints")
    assert (
        "* Endpoint 'call_inference'\n  x (POSITIONAL_OR_KEYWORD): TensorSpec(shape=(None, 3)"
        in out
    )
    assert "* Endpoint 'call_training'" in out
    loaded = tf.saved_model.load(str(tmp_path / "a"))
    assert sorted(loaded.signatures) == ["call_inference", "call_training", "serving_default"]
    expect = X.sum(axis=1, keepdims=True) + np.array([0.5, -1.0], "float32")
    np.testing.assert_allclose(loaded.call_inference(X), expect, rtol=1e-6)
    got = loaded.signatures["serving_default"](x=tf.constant(X))
    np.testing.assert_allclose(got["output_0"], expect, rtol=1e-6)
    centred = expect - expect.mean(axis=0)  # training: the batch's own mean and variance
    np.testing.assert_allclose(loaded.call_training(X), centred / centred.std(axis=0), rtol=1e-5)
    assert [len(loaded.variables), len(loaded.trainable_variables)] == [6, 4]
    assert len(loaded.non_trainable_variables) == 2
    np.testing.assert_array_equal(loaded.kernel_only[0], np.ones((3, 2), "float32"))


def test_traced_function_endpoint_and_named_default(tf, tmp_path):
    k = tf.keras
    model = _model(tf)
    fn = tf.function(lambda x: model(x, training=False))
    archive = k.export.ExportArchive()
    with pytest.raises(ValueError, match="has never been called"):
        archive.add_endpoint("serve", fn)
    fn(tf.constant(X))
    assert archive.add_endpoint("serve", fn) is fn
    archive.add_endpoint(
        "serving_default",
        lambda x: 2.0 * model(x, training=False),
        [tf.TensorSpec((None, 3), tf.float32)],
    )
    archive.write_out(str(tmp_path / "b"), verbose=False)
    loaded = tf.saved_model.load(str(tmp_path / "b"))
    expect = np.asarray(model(X))
    np.testing.assert_allclose(loaded.serve(X), expect, rtol=1e-6)
    got = loaded.signatures["serving_default"](x=tf.constant(X))["output_0"]
    np.testing.assert_allclose(got, 2 * expect, rtol=1e-6)


def test_track_and_add_endpoint(tf, tmp_path):
    k = tf.keras
    model = _model(tf)
    archive = k.export.ExportArchive()
    archive.track_and_add_endpoint("serve", model, [k.InputSpec(shape=(None, 3), dtype="float32")])
    archive.write_out(str(tmp_path / "c"), verbose=False)
    loaded = tf.saved_model.load(str(tmp_path / "c"))
    np.testing.assert_allclose(loaded.serve(X), model(X), rtol=1e-6)
    assert sorted(loaded.signatures) == ["serve", "serving_default"]


def test_errors(tf):
    k = tf.keras
    archive = k.export.ExportArchive()
    with pytest.raises(ValueError, match="No endpoints have been set yet"):
        archive.write_out("unused")
    with pytest.raises(ValueError, match="has not yet been built"):
        archive.track(k.layers.Dense(2))
    with pytest.raises(ValueError, match="Invalid resource type"):
        archive.track(3)
    with pytest.raises(ValueError, match="must provide an `input_signature`"):
        archive.add_endpoint("call", lambda x: x)
    spec = [tf.TensorSpec((None, 3), tf.float32)]
    archive.add_endpoint("call", lambda x: x + 1.0, spec)
    with pytest.raises(ValueError, match="Endpoint name 'call' is already taken"):
        archive.add_endpoint("call", lambda x: x, spec)
    with pytest.raises(ValueError, match="'jax2tf_kwargs' and 'is_static' are only supported"):
        archive.add_endpoint("other", lambda x: x, spec, is_static=True)
    with pytest.raises(ValueError, match="Expected `variables` to be a list/tuple/set"):
        archive.add_variable_collection("v", tf.Variable(1.0))
    with pytest.raises(ValueError, match="Expected all elements in `variables` to be"):
        archive.add_variable_collection("v", [1.0])
    with pytest.raises(ValueError, match="Unsupported format: onnx"):
        k.export.ExportArchive(format="onnx")
    with pytest.raises(ValueError, match="The `shape` and `dtype` must be provided"):
        archive.add_endpoint("bad", lambda x: x, [k.InputSpec(ndim=2)])
