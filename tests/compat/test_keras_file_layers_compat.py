"""``.keras`` files cross between real Keras 3 and tensorhouse for every built-in layer both
have (issue 17), one small model per layer (``keras_file_layers_cases.py``):

- files real Keras 3.15 wrote (``data/keras_file_layers_keras315.npz``, made by
  ``make_keras_file_layers_data.py``) load with ``load_model`` and predict what Keras did;
  this runs in CI without TF (and against real Keras with ``TENSORHOUSE_COMPAT_TF=1``);
- where ``keras`` imports beside tensorhouse (the compat venv), each model is also built and
  saved by one side and loaded by the other, both ways, with the same predictions."""

import importlib.util
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from keras_file_layers_cases import CASES, build, inputs, predict

pytest.importorskip("h5py")

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                    "keras_file_layers_keras315.npz")  # fmt: skip
BOTH = importlib.util.find_spec("keras") is not None


@pytest.fixture(scope="module")
def data():
    with np.load(DATA) as f:
        return {k: f[k] for k in f.files}


def _close(got, want, case):
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5, err_msg=case)


@pytest.mark.parametrize("case", sorted(CASES))
def test_reads_the_file_real_keras_wrote(tf, data, case, tmp_path):
    path = tmp_path / f"{case}.keras"
    path.write_bytes(data[f"{case}/file"].tobytes())
    xs = [data[f"{case}/x{i}"] for i in range(len(CASES[case][2]))]
    model = tf.keras.models.load_model(str(path))
    assert type(model.get_layer(case)).__name__ == getattr(tf.keras.layers, CASES[case][0]).__name__
    _close(predict(model, xs), data[f"{case}/y"], case)


@pytest.mark.skipif(not BOTH, reason="needs real keras beside tensorhouse (the compat venv)")
@pytest.mark.parametrize("case", sorted(CASES))
def test_files_cross_both_ways(case, tmp_path):
    import keras

    import tensorhouse_models as ours

    xs = inputs(case)
    for src, dst in ((keras, ours), (ours, keras)):
        model = build(src, case)
        path = str(tmp_path / f"{src.__name__}.keras")
        model.save(path)
        loaded = dst.saving.load_model(path)
        assert type(loaded.get_layer(case)).__name__ == getattr(dst.layers, CASES[case][0]).__name__
        _close(predict(loaded, xs), predict(model, xs), f"{case}: {src.__name__} -> keras file")


def _functional(keras):
    """Two inputs, two outputs, a shared layer and a nested Sequential; compiled, one step."""
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    shared = keras.layers.Dense(3, activation="tanh", name="shared")
    inner = keras.Sequential([keras.Input((5,)), keras.layers.Dense(2, name="d")], name="inner")
    h = keras.layers.Concatenate(name="cat")([shared(shared(a)), b])
    model = keras.Model([a, b], [inner(h), keras.layers.Dense(1, name="head")(h)])
    model.compile(keras.optimizers.Adam(0.01), ["mse", "mae"])
    return model


def _subclassed(keras):
    def register(name):
        utils = getattr(keras.utils, "register_keras_serializable", None)
        return (utils or keras.saving.register_keras_serializable)("audit17", name)

    @register("Block")
    class Block(keras.Model):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.dense = keras.layers.Dense(units, activation="relu")
            self.out = keras.layers.Dense(2)

        def call(self, x):
            return self.out(self.dense(x))

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    model = Block(4)
    model(np.zeros((1, 3), "float32"))
    model.compile(keras.optimizers.RMSprop(0.01), "mse")
    return model


@pytest.mark.skipif(not BOTH, reason="needs real keras beside tensorhouse (the compat venv)")
@pytest.mark.parametrize("make", [_functional, _subclassed])
def test_compiled_models_cross_both_ways(make, tmp_path):
    import keras

    import tensorhouse_models as ours

    rng = np.random.default_rng(5)
    xa, xb = rng.standard_normal((8, 3), "float32"), rng.standard_normal((8, 2), "float32")
    xs = [xa, xb] if make is _functional else [xa]
    ys = [rng.standard_normal((8, 2), "float32"), rng.standard_normal((8, 1), "float32")]
    ys = ys if make is _functional else ys[0]
    models = {keras: make(keras), ours: make(ours)}  # each side's class registered first
    for src, dst in ((keras, ours), (ours, keras)):
        model = models[src]
        model.fit(xs if len(xs) > 1 else xs[0], ys, batch_size=4, verbose=0)
        path = str(tmp_path / f"{src.__name__}.keras")
        model.save(path)
        loaded = dst.saving.load_model(path)
        want, got = model(xs if len(xs) > 1 else xs[0]), loaded(xs if len(xs) > 1 else xs[0])
        for w, g in zip(
            want if isinstance(want, list) else [want], got if isinstance(got, list) else [got]
        ):
            _close(np.asarray(g), np.asarray(w), f"{make.__name__}: {src.__name__} -> file")
        assert type(loaded.optimizer).__name__ == type(model.optimizer).__name__
        assert int(np.asarray(loaded.optimizer.iterations)) == 2
        for w, g in zip(model.optimizer.variables, loaded.optimizer.variables):
            _close(np.asarray(g), np.asarray(w), f"{make.__name__}: optimizer {w.name}")
