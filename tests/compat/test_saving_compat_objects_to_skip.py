"""``objects_to_skip`` of Keras 3.15's ``keras.saving.save_weights`` / ``load_weights``, checked
against real Keras 3.15 (``TENSORHOUSE_COMPAT_TF=1``) and tensorhouse: skipped objects (and what
is reached only through them) are neither written nor read, ``.keras`` and legacy ``.h5`` files
refuse the argument, and files written with it cross both ways.

The crossing uses files kept in ``packages/models/tests/data/objects_to_skip``: ``keras/``
written by real Keras 3.15, ``tensorhouse/`` by tensorhouse. Both runs load both sets. Rewrite
them with

    /tmp/tfv/bin/python tests/compat/test_saving_compat_objects_to_skip.py keras
    .venv/bin/python tests/compat/test_saving_compat_objects_to_skip.py tensorhouse
"""

import os
import sys

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")

DATA = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "packages", "models", "tests", "data",
    "objects_to_skip",
)  # fmt: skip
X = np.linspace(-1.0, 1.0, 12, dtype="float32").reshape(3, 4)


def mlp(keras, offset=0.0):
    """Dense 4->3 ("a"), Dense 3->2 ("b"); weights ``arange / 10 + offset``."""
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3, name="a"), keras.layers.Dense(2, name="b")]
    )
    _fill(model, offset)
    return model


def nested(keras, offset=0.0):
    """Functional: Dense "first", then an inner Sequential ("inner": Dense "c", Dense "d")."""
    inputs = keras.Input((4,))
    inner = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(3, name="c"), keras.layers.Dense(2, name="d")],
        name="inner",
    )
    model = keras.Model(inputs, inner(keras.layers.Dense(3, name="first")(inputs)))
    _fill(model, offset)
    return model


def values(shape, offset=0.0):
    """``arange / 10 + offset`` in float32: what ``_fill`` puts in a weight of ``shape``."""
    return np.arange(np.prod(shape), dtype="float32").reshape(shape) / 10 + np.float32(offset)


def _fill(model, offset):
    model.set_weights([values(w.shape, offset) for w in model.get_weights()])


def saving(tf):
    """``keras.saving`` (TF's ``tf.keras`` lacks the submodule: Keras 3's own then)."""
    if hasattr(tf.keras, "saving"):
        return tf.keras.saving
    import keras

    return keras.saving


def datasets(path):
    out = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            out[name] = tuple(obj.shape)

    with h5py.File(path, "r") as f:
        f.visititems(visit)
    return out


def weights_of(layer):
    return [np.asarray(w) for w in layer.get_weights()]


def test_skipped_layer_is_not_written(tf, tmp_path):
    keras = tf.keras
    model = mlp(keras)
    path = str(tmp_path / "m.weights.h5")
    saving(tf).save_weights(model, path, objects_to_skip=[model.layers[0]])
    assert datasets(path) == {"layers/dense_1/vars/0": (3, 2), "layers/dense_1/vars/1": (2,)}
    with h5py.File(path, "r") as f:  # paths by class ("dense_1"), the layer's name an attribute
        assert "layers/dense" not in f and f["vars"].attrs["name"] == model.name
        assert f["layers/dense_1/vars"].attrs["name"] == "b"
        got = f["layers/dense_1/vars/0"][()]
    np.testing.assert_array_equal(got, values((3, 2)))


def test_skipped_layer_keeps_its_values_on_load(tf, tmp_path):
    keras = tf.keras
    path = str(tmp_path / "m.weights.h5")
    saving(tf).save_weights(mlp(keras), path)  # every layer written
    model = mlp(keras, offset=5.0)
    model.load_weights(path, objects_to_skip=[model.layers[0]])
    kernel_a, bias_a = weights_of(model.layers[0])
    np.testing.assert_array_equal(kernel_a, values((4, 3), 5.0))  # kept
    np.testing.assert_array_equal(bias_a, values(3, 5.0))
    kernel_b, bias_b = weights_of(model.layers[1])
    np.testing.assert_array_equal(kernel_b, values((3, 2)))  # read
    np.testing.assert_array_equal(bias_b, values(2))


def test_file_without_a_layer_needs_it_skipped(tf, tmp_path):
    keras = tf.keras
    path = str(tmp_path / "m.weights.h5")
    source = mlp(keras)
    saving(tf).save_weights(source, path, objects_to_skip=[source.layers[0]])
    model = mlp(keras, offset=1.0)
    with pytest.raises(ValueError, match="Layer 'a' expected 2 variables, but received 0"):
        model.load_weights(path)
    model = mlp(keras, offset=1.0)
    model.load_weights(path, objects_to_skip=[model.layers[0]])
    np.testing.assert_array_equal(weights_of(model.layers[0])[1], values(3, 1.0))
    np.testing.assert_array_equal(weights_of(model.layers[1])[0], values((3, 2)))


def test_skipping_a_nested_model_skips_its_layers(tf, tmp_path):
    keras = tf.keras
    model = nested(keras)
    inner = model.get_layer("inner")
    path = str(tmp_path / "n.weights.h5")
    saving(tf).save_weights(model, path, objects_to_skip=[inner])
    assert datasets(path) == {"layers/dense/vars/0": (4, 3), "layers/dense/vars/1": (3,)}
    fresh = nested(keras, offset=2.0)
    fresh.load_weights(path, objects_to_skip=[fresh.get_layer("inner")])
    np.testing.assert_array_equal(weights_of(fresh.get_layer("first"))[1], values(3))
    np.testing.assert_array_equal(weights_of(fresh.get_layer("inner").get_layer("d"))[1],
                                  values(2, 2.0))  # fmt: skip


def test_skipping_the_optimizer(tf, tmp_path):
    keras = tf.keras
    model = mlp(keras)
    model.compile(keras.optimizers.Adam(0.1), "mse")
    model.optimizer.build(model.trainable_variables)
    path = str(tmp_path / "m.weights.h5")
    saving(tf).save_weights(model, path, objects_to_skip=[model.optimizer])
    assert not any(name.startswith("optimizer") for name in datasets(path))
    saving(tf).save_weights(model, path)
    assert "optimizer/vars/0" in datasets(path)
    fresh = mlp(keras, offset=3.0)
    fresh.compile(keras.optimizers.Adam(0.1), "mse")
    fresh.optimizer.build(fresh.trainable_variables)
    fresh.optimizer.iterations.assign(7)
    fresh.load_weights(path, objects_to_skip=[fresh.optimizer])
    assert int(fresh.optimizer.iterations.numpy()) == 7
    np.testing.assert_array_equal(weights_of(fresh.layers[0])[1], values(3))


def test_sharded_files_honour_it(tf, tmp_path):
    keras = tf.keras
    model = mlp(keras)
    path = str(tmp_path / "s.weights.json")
    saving(tf).save_weights(
        model, path, max_shard_size=1 / 1024**2, objects_to_skip=[model.layers[1]]
    )
    assert datasets(tmp_path / "s_00000.weights.h5") == {
        "layers/dense/vars/0": (4, 3), "layers/dense/vars/1": (3,),
    }  # fmt: skip
    fresh = mlp(keras, offset=4.0)
    fresh.load_weights(path, objects_to_skip=[fresh.layers[1]])
    np.testing.assert_array_equal(weights_of(fresh.layers[0])[1], values(3))
    np.testing.assert_array_equal(weights_of(fresh.layers[1])[1], values(2, 4.0))


def test_refused_outside_weights_files(tf, tmp_path):
    keras = tf.keras
    model = mlp(keras)
    model.save(str(tmp_path / "m.keras"))
    message = r"`objects_to_skip` only supports loading '\.weights\.h5' files\.Received: "
    with pytest.raises(ValueError, match=message + r".*m\.keras"):
        model.load_weights(str(tmp_path / "m.keras"), objects_to_skip=[])
    with pytest.raises(ValueError, match=message + r".*m\.h5"):
        model.load_weights(str(tmp_path / "m.h5"), objects_to_skip=[])
    model.load_weights(str(tmp_path / "m.keras"), objects_to_skip=None)  # None: no skipping
    with pytest.raises(TypeError, match="objects_to_skip"):
        model.save_weights(str(tmp_path / "m.weights.h5"), objects_to_skip=[model.layers[0]])
    with pytest.raises(TypeError, match="not iterable"):
        saving(tf).save_weights(model, str(tmp_path / "m.weights.h5"),
                                  objects_to_skip=model.layers[0])  # fmt: skip


# ---- both ways ---------------------------------------------------------------------------------
@pytest.mark.parametrize("writer", ["keras", "tensorhouse"])
def test_loads_files_each_side_wrote(tf, writer):
    keras = tf.keras
    folder = os.path.join(DATA, writer)
    model = mlp(keras, offset=9.0)
    model.load_weights(os.path.join(folder, "mlp_skip_a.weights.h5"),
                       objects_to_skip=[model.layers[0]])  # fmt: skip
    np.testing.assert_array_equal(weights_of(model.layers[0])[0],
                                  values((4, 3), 9.0))  # fmt: skip
    np.testing.assert_array_equal(weights_of(model.layers[1])[0], values((3, 2)))
    model = nested(keras, offset=9.0)
    model.load_weights(os.path.join(folder, "nested_skip_inner.weights.h5"),
                       objects_to_skip=[model.get_layer("inner")])  # fmt: skip
    np.testing.assert_array_equal(weights_of(model.get_layer("first"))[0],
                                  values((4, 3)))  # fmt: skip
    assert float(model.predict(X, verbose=0)[0, 0]) != 0.0
    with pytest.raises(ValueError, match="could not be loaded"):
        mlp(keras).load_weights(os.path.join(folder, "mlp_skip_a.weights.h5"))


def test_both_sides_wrote_the_same_datasets():
    for name in ("mlp_skip_a", "nested_skip_inner"):
        k = datasets(os.path.join(DATA, "keras", f"{name}.weights.h5"))
        t = datasets(os.path.join(DATA, "tensorhouse", f"{name}.weights.h5"))
        assert k == t and k


# ---- the data files ------------------------------------------------------------------------------
def _write_data(lib, folder):
    if lib == "keras":
        import keras
    else:
        import tensorhouse as th

        keras = th.keras
    os.makedirs(folder, exist_ok=True)
    model = mlp(keras)
    keras.saving.save_weights(model, os.path.join(folder, "mlp_skip_a.weights.h5"),
                              objects_to_skip=[model.layers[0]])  # fmt: skip
    model = nested(keras)
    keras.saving.save_weights(model, os.path.join(folder, "nested_skip_inner.weights.h5"),
                              objects_to_skip=[model.get_layer("inner")])  # fmt: skip


if __name__ == "__main__":
    _write_data(sys.argv[1], os.path.join(DATA, sys.argv[1]))
