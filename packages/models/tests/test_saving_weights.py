"""``saving.save_weights`` / ``load_weights``: Keras 3.15's ``.weights.h5`` layout and round
trips (the layouts below are those real Keras 3.15 writes for the same models)."""

import os
import warnings

import h5py
import numpy as np
import pytest

from tensorhouse_models import Input, Model, Sequential, layers, optimizers, saving

X = np.linspace(-1.0, 1.0, 24, dtype=np.float32).reshape(6, 4)
Y = np.sin(np.arange(12, dtype=np.float32)).reshape(6, 2)


def _layout(path):
    """Every group and dataset of the file: {path: shape or ('group', name attribute)}."""
    out = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            out[name] = tuple(obj.shape)
        else:
            out[name] = ("group", obj.attrs.get("name"))

    with h5py.File(path, "r") as f:
        f.visititems(visit)
    return out


def _datasets(path):
    return {k: v for k, v in _layout(path).items() if v[:1] != ("group",)}


def _mlp(units=3):
    return Sequential([Input((4,)), layers.Dense(units), layers.BatchNormalization(),
                       layers.Dense(2)])  # fmt: skip


def test_sequential_layout_is_keras(tmp_path):
    model = _mlp()
    path = tmp_path / "m.weights.h5"
    saving.save_weights(model, path)
    names = [layer.name for layer in model.layers]
    assert _layout(path) == {
        "layers": ("group", None),
        "layers/dense": ("group", None),
        "layers/dense/vars": ("group", names[0]),
        "layers/dense/vars/0": (4, 3),
        "layers/dense/vars/1": (3,),
        "layers/batch_normalization": ("group", None),
        "layers/batch_normalization/vars": ("group", names[1]),
        **{f"layers/batch_normalization/vars/{i}": (3,) for i in range(4)},
        "layers/dense_1": ("group", None),
        "layers/dense_1/vars": ("group", names[2]),
        "layers/dense_1/vars/0": (3, 2),
        "layers/dense_1/vars/1": (2,),
        "vars": ("group", model.name),
    }
    with h5py.File(path, "r") as f:  # the values are the variables', in Keras's order
        bn = model.layers[1]
        for i, w in enumerate([bn.gamma, bn.beta, bn.moving_mean, bn.moving_variance]):
            np.testing.assert_array_equal(f[f"layers/batch_normalization/vars/{i}"], w.numpy())
        np.testing.assert_array_equal(f["layers/dense/vars/0"], model.layers[0].kernel.numpy())


def test_round_trip_gives_the_same_predictions(tmp_path):
    model = _mlp()
    model.compile(optimizers.SGD(0.1), "mse")
    model.fit(X, Y, epochs=2, batch_size=3, verbose=0)  # moves the BN statistics too
    path = tmp_path / "m.weights.h5"
    saving.save_weights(model, path)
    fresh = _mlp()
    before = fresh.predict(X, verbose=0)
    assert not np.allclose(before, model.predict(X, verbose=0))
    saving.load_weights(fresh, str(path))
    np.testing.assert_array_equal(fresh.predict(X, verbose=0), model.predict(X, verbose=0))
    for a, b in zip(fresh.weights, model.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_optimizer_state_is_restored_and_the_next_step_is_identical(tmp_path):
    model = _mlp()
    model.compile(optimizers.Adam(0.01), "mse")
    model.fit(X, Y, epochs=3, batch_size=2, verbose=0)
    path = tmp_path / "m.weights.h5"
    saving.save_weights(model, path)
    layout = _datasets(path)
    # iterations, learning rate, then m and v for each of the 8 trainable variables
    assert [layout[f"optimizer/vars/{i}"] for i in range(4)] == [(), (), (4, 3), (4, 3)]
    assert len([k for k in layout if k.startswith("optimizer/vars/")]) == 2 + 2 * 6

    fresh = _mlp()
    fresh.compile(optimizers.Adam(0.01), "mse")
    fresh.optimizer.build(fresh.trainable_variables)
    saving.load_weights(fresh, path)
    assert int(fresh.optimizer.iterations.numpy()) == 9
    for a, b in zip(fresh.optimizer.variables, model.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    model.train_on_batch(X, Y)
    fresh.train_on_batch(X, Y)
    for a, b in zip(fresh.weights, model.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)


def test_unbuilt_optimizer_is_skipped_with_a_warning(tmp_path):
    model = _mlp()
    model.compile(optimizers.Adam(0.01), "mse")
    model.fit(X, Y, epochs=1, verbose=0)
    path = tmp_path / "m.weights.h5"
    saving.save_weights(model, path)
    fresh = _mlp()
    fresh.compile(optimizers.Adam(0.01), "mse")
    with pytest.warns(UserWarning, match="Skipping variable loading for optimizer"):
        saving.load_weights(fresh, path)
    np.testing.assert_array_equal(fresh.predict(X, verbose=0), model.predict(X, verbose=0))


def _functional():
    inputs = Input((4,))
    shared = layers.Dense(4, activation="tanh")
    inner = Sequential([Input((4,)), layers.Dense(2)])
    return Model(inputs, inner(shared(shared(inputs))))


def test_nested_models_and_shared_layers(tmp_path):
    model = _functional()
    path = tmp_path / "f.weights.h5"
    saving.save_weights(model, path)
    layout = _layout(path)
    # the shared Dense is saved once; the InputLayer has its (empty) group, as in Keras
    assert _datasets(path) == {
        "layers/dense/vars/0": (4, 4),
        "layers/dense/vars/1": (4,),
        "layers/sequential/layers/dense/vars/0": (4, 2),
        "layers/sequential/layers/dense/vars/1": (2,),
    }
    assert layout["layers/input_layer/vars"] == ("group", model.layers[0].name)
    assert layout["layers/sequential/vars"] == ("group", model.layers[2].name)
    assert layout["vars"] == ("group", model.name)
    fresh = _functional()
    saving.load_weights(fresh, path)
    np.testing.assert_array_equal(fresh.predict(X, verbose=0), model.predict(X, verbose=0))


class Block(layers.Layer):
    def __init__(self):
        super().__init__()
        self.b = layers.Dense(2)
        self.a = layers.Dense(2)
        self.stack = [layers.Dense(2), layers.Dense(2)]
        self.w = self.add_weight(shape=(2,), initializer="ones", name="w")

    def call(self, x):
        x = self.a(self.b(x))
        for layer in self.stack:
            x = layer(x)
        return x * self.w


class Net(Model):
    def __init__(self):
        super().__init__()
        self.blk = Block()
        self.out = layers.Dense(1)
        self.v = self.add_weight(shape=(1,), initializer="zeros", name="v")

    def call(self, x):
        return self.out(self.blk(x)) + self.v


def test_subclassed_paths_follow_attribute_names_in_keras_order(tmp_path):
    model = Net()
    model(X)
    path = tmp_path / "s.weights.h5"
    saving.save_weights(model, path)
    # "blk" sorts before "layers", so the block is saved under its attribute; "out" comes
    # after, so it is saved as the model's ``layers`` list's second entry, as Keras does.
    assert _datasets(path) == {
        "blk/a/vars/0": (2, 2), "blk/a/vars/1": (2,),
        "blk/b/vars/0": (4, 2), "blk/b/vars/1": (2,),
        "blk/stack/dense/vars/0": (2, 2), "blk/stack/dense/vars/1": (2,),
        "blk/stack/dense_1/vars/0": (2, 2), "blk/stack/dense_1/vars/1": (2,),
        "blk/vars/0": (2,),
        "layers/dense/vars/0": (2, 1), "layers/dense/vars/1": (1,),
        "vars/0": (1,),
    }  # fmt: skip
    model.v.assign([0.25])
    model.blk.w.assign([2.0, -1.0])
    saving.save_weights(model, path)
    fresh = Net()
    fresh(X)
    saving.load_weights(fresh, path)
    np.testing.assert_array_equal(fresh.predict(X, verbose=0), model.predict(X, verbose=0))
    np.testing.assert_array_equal(fresh.v.numpy(), [0.25])


class TrainableLast(layers.Layer):
    def build(self, input_shape):
        self.count = self.add_weight(shape=(), initializer="zeros", trainable=False, name="c")
        self.kernel = self.add_weight(shape=(input_shape[-1], 1), name="kernel")

    def call(self, x):
        return x @ self.kernel + self.count


def test_own_variables_trainable_first(tmp_path):
    model = Sequential([Input((4,)), TrainableLast()])
    model.layers[0].count.assign(7.0)
    path = tmp_path / "t.weights.h5"
    saving.save_weights(model, path)
    with h5py.File(path, "r") as f:
        assert f["layers/trainable_last/vars/0"].shape == (4, 1)
        assert float(f["layers/trainable_last/vars/1"][()]) == 7.0


def test_loss_scale_optimizer_saves_its_inner_optimizer_too(tmp_path):
    model = _mlp()
    model.compile(optimizers.LossScaleOptimizer(optimizers.SGD(0.1, momentum=0.5)), "mse")
    model.fit(X, Y, epochs=1, verbose=0)
    path = tmp_path / "l.weights.h5"
    saving.save_weights(model, path)
    layout = _layout(path)
    n_slots = len(model.trainable_variables)
    assert layout["optimizer/vars"] == ("group", model.optimizer.name)
    assert layout["optimizer/inner_optimizer/vars"] == (
        "group",
        model.optimizer.inner_optimizer.name,
    )
    assert (
        len([k for k in layout if k.startswith("optimizer/inner_optimizer/vars/")]) == 2 + n_slots
    )
    assert len([k for k in layout if k.startswith("optimizer/vars/")]) == 4 + 2 + n_slots


def test_shape_mismatch_names_the_layer_and_shapes(tmp_path):
    path = tmp_path / "m.weights.h5"
    saving.save_weights(_mlp(3), path)
    other = _mlp(5)
    with pytest.raises(ValueError) as info:
        saving.load_weights(other, path)
    message = str(info.value)
    assert message.startswith("A total of 3 objects could not be loaded.")
    assert f"Layer '{other.layers[0].name}'" in message
    assert "variable.shape=(4, 5), Received: value.shape=(4, 3)" in message
    assert f"<Dense name={other.layers[2].name}, built=True>" in message


def test_skip_mismatch_warns_and_loads_the_rest(tmp_path):
    source = _mlp(3)
    path = tmp_path / "m.weights.h5"
    saving.save_weights(source, path)
    target = Sequential([Input((4,)), layers.Dense(5), layers.BatchNormalization(),
                         layers.Dense(2)])  # fmt: skip
    kept = target.layers[0].kernel.numpy()
    with pytest.warns(UserWarning, match="could not be loaded") as record:
        saving.load_weights(target, path, skip_mismatch=True)
    assert len(record) == 1
    np.testing.assert_array_equal(target.layers[0].kernel.numpy(), kept)


def test_variable_count_mismatch(tmp_path):
    path = tmp_path / "m.weights.h5"
    saving.save_weights(Sequential([Input((4,)), layers.Dense(3)]), path)
    model = Sequential([Input((4,)), layers.Dense(3, use_bias=False)])
    with pytest.raises(ValueError, match=r"expected 1 variables, but received 2 variables"):
        saving.load_weights(model, path)


def test_file_name_and_state_errors(tmp_path):
    model = _mlp()
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`. Received: filepath="):
        saving.save_weights(model, tmp_path / "m.h5")
    with pytest.raises(ValueError, match="File format not supported"):
        saving.load_weights(model, tmp_path / "m.npz")
    with pytest.raises(FileNotFoundError, match=r"m\.h5"):  # legacy files: test_legacy_h5
        saving.load_weights(model, tmp_path / "m.h5")
    with pytest.raises(FileNotFoundError, match="m.keras"):
        saving.load_weights(model, tmp_path / "m.keras")
    with pytest.raises(FileNotFoundError, match="missing.weights.h5"):
        saving.load_weights(model, tmp_path / "missing.weights.h5")
    unbuilt = Sequential([layers.Dense(2)])
    with pytest.raises(ValueError, match="has not yet been built"):
        saving.save_weights(unbuilt, tmp_path / "u.weights.h5")
    with pytest.raises(ValueError, match="has not yet been built"):
        saving.load_weights(unbuilt, tmp_path / "u.weights.h5")


class Exploding(layers.Layer):
    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], 2), name="kernel")

    def call(self, x):
        return x @ self.kernel

    def save_own_variables(self, store):
        store["0"] = self.kernel.numpy()
        raise OSError("disk full")


def test_a_failing_write_leaves_the_old_file_intact(tmp_path):
    good = Sequential([Input((4,)), layers.Dense(2)])
    path = tmp_path / "m.weights.h5"
    saving.save_weights(good, path)
    before = path.read_bytes()
    bad = Sequential([Input((4,)), layers.Dense(2), Exploding()])
    with pytest.raises(OSError, match="disk full"):
        saving.save_weights(bad, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.weights.h5"]  # no temporary file left behind
    fresh = Sequential([Input((4,)), layers.Dense(2)])
    saving.load_weights(fresh, path)
    np.testing.assert_array_equal(fresh.predict(X, verbose=0), good.predict(X, verbose=0))


def test_overwrite_false_asks(tmp_path, monkeypatch):
    path = tmp_path / "m.weights.h5"
    saving.save_weights(_mlp(), path)
    before = path.read_bytes()
    monkeypatch.setattr("builtins.input", lambda prompt="": "n")
    saving.save_weights(_mlp(), path, overwrite=False)
    assert path.read_bytes() == before
    monkeypatch.setattr("builtins.input", lambda prompt="": "y")
    saving.save_weights(_mlp(), path, overwrite=False)
    assert path.read_bytes() != before


def test_loading_refuses_links_and_non_numeric_data(tmp_path):
    model = Sequential([Input((4,)), layers.Dense(2)])
    path = tmp_path / "m.weights.h5"
    saving.save_weights(model, path)
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["x"] = np.zeros((4, 2), np.float32)
    with h5py.File(path, "a") as f:
        del f["layers/dense/vars/0"]
        f["layers/dense/vars/0"] = h5py.ExternalLink(str(other), "x")
    with pytest.raises(ValueError, match="Not allowed: H5 file with ExternalLink"):
        saving.load_weights(model, path)
    with h5py.File(path, "a") as f:
        del f["layers/dense/vars/0"]
        f["layers/dense/vars/0"] = "__import__('os').system('echo pwned')"
    with pytest.raises(ValueError, match="non-numeric dtype"):
        saving.load_weights(model, path)


def test_saving_does_not_warn(tmp_path):
    model = _mlp()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        saving.save_weights(model, tmp_path / "m.weights.h5")
        saving.load_weights(model, tmp_path / "m.weights.h5")


class Head(layers.Layer):
    def __init__(self, owner_holder):
        super().__init__()
        self.dense = layers.Dense(2)
        self.holder = owner_holder  # a list that will hold the model itself: a cycle

    def call(self, x):
        return self.dense(x)


def test_attribute_cycles_do_not_recurse_forever(tmp_path):
    holder = []
    model = Sequential([Input((4,)), Head(holder)])
    holder.append(model)
    path = tmp_path / "c.weights.h5"
    saving.save_weights(model, path)
    assert set(_datasets(path)) == {"layers/head/dense/vars/0", "layers/head/dense/vars/1"}
    fresh_holder = []
    fresh = Sequential([Input((4,)), Head(fresh_holder)])
    fresh_holder.append(fresh)
    saving.load_weights(fresh, path)
    np.testing.assert_array_equal(fresh.predict(X, verbose=0), model.predict(X, verbose=0))


def test_a_layer_holding_its_parent_keeps_its_own_weights(tmp_path):
    holder = []
    head = Head(holder)
    model = Sequential([Input((4,)), head])
    holder.append(model)
    head.offset = head.add_weight(shape=(2,), initializer="ones", name="offset")
    path = tmp_path / "p.weights.h5"
    saving.save_weights(model, path)
    assert _datasets(path)["layers/head/vars/0"] == (2,)
