"""tensorhouse's side of keras.utils.model_to_dot (the dot graph it builds, on a stand-in
pydot that records the calls), the wrappers without scikit-learn, and the distribution
functions tensorhouse does not provide (each raises NotImplementedError saying so)."""

import sys
import types

import pytest

import tensorhouse_models as models
from tensorhouse_models import _model_visualization as viz
from tensorhouse_models.wrappers import _sklearn


class _Obj:
    def __init__(self, *args, **kwargs):
        self.args, self.attrs = args, dict(kwargs)

    def set(self, key, value):
        self.attrs[key] = value


class _Dot(_Obj):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.nodes, self.edges, self.defaults = [], [], {}

    def set_node_defaults(self, **kwargs):
        self.defaults.update(kwargs)

    def add_node(self, node):
        self.nodes.append(node)

    def get_edge(self, src, dst):
        return [e for e in self.edges if e.args == (src, dst)]

    def add_edge(self, edge):
        self.edges.append(edge)


@pytest.fixture
def fake_pydot(monkeypatch):
    mod = types.ModuleType("pydot")
    mod.Dot, mod.Cluster, mod.Node, mod.Edge = _Dot, _Dot, _Obj, _Obj
    monkeypatch.setitem(sys.modules, "pydot", mod)
    return mod


def test_model_to_dot_functional(fake_pydot):
    k = models
    x = k.Input((3,), name="x")
    h = k.layers.Dense(4, activation="relu", name="d1")(x)
    y = k.layers.Add(name="add")([h, k.layers.Dense(4, name="d2")(x)])
    model = k.Model(x, y)
    dot = viz.model_to_dot(model, show_shapes=True, show_layer_activations=True, rankdir="LR")
    assert dot.attrs == {"rankdir": "LR", "concentrate": True, "dpi": 200, "splines": "ortho"}
    assert dot.defaults == {"shape": "record"}
    ids = {str(id(layer)): layer.name for layer in model.layers}
    assert [ids[n.args[0]] for n in dot.nodes] == [layer.name for layer in model.layers]
    edges = sorted((ids[e.args[0]], ids[e.args[1]]) for e in dot.edges)
    assert edges == [("d1", "add"), ("d2", "add"), ("x", "d1"), ("x", "d2")]
    labels = {ids[n.args[0]]: n.attrs["label"] for n in dot.nodes}
    assert "<b>d1</b> (Dense)" in labels["d1"] and "Activation: <b>relu</b>" in labels["d1"]
    assert "Input shape: <b>(None, 3)</b>" in labels["d1"]
    assert "Output shape: <b>(None, 4)</b>" in labels["add"]
    assert "Input shape" not in labels["x"]  # an InputLayer shows its output only
    assert labels["d1"].startswith('<<table border="0" cellborder="1" bgcolor="black"')


def test_model_to_dot_sequential_and_subgraph(fake_pydot):
    k = models
    model = k.Sequential([k.Input((3,)), k.layers.Dense(2, name="a"), k.layers.Dense(1, name="b")])
    dot = viz.model_to_dot(model, show_layer_names=False, show_trainable=True, subgraph=True)
    assert dot.attrs == {
        "style": "dashed",
        "graph_name": model.name,
        "label": model.name,
        "labeljust": "l",
    }
    assert [e.args for e in dot.edges] == [(str(id(model.layers[0])), str(id(model.layers[1])))]
    assert all(
        "<b>Dense</b>" in n.attrs["label"] and "Trainable" in n.attrs["label"] for n in dot.nodes
    )
    shaped = viz.model_to_dot(model, show_shapes=True, show_dtype=True).nodes[1].attrs["label"]
    assert "Input shape: <b>(None, 2)</b>" in shaped and "Output shape: <b>(None, 1)</b>" in shaped
    assert "Output dtype: <b>float32</b>" in shaped
    with pytest.raises(ValueError, match="Argument `layer_range` is no longer supported"):
        viz.model_to_dot(model, layer_range=["a", "b"])
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        viz.model_to_dot(model, colour=1)


def test_wrappers_without_sklearn(monkeypatch):
    monkeypatch.setattr(_sklearn, "sklearn", None)
    with pytest.raises(
        ImportError,
        match=r"SKLearnRegressor requires `scikit-learn` to be "
        r"installed. Run `pip install scikit-learn`",
    ):
        models.wrappers.SKLearnRegressor(model=None)


def test_distribution_not_provided():
    d = models.distribution
    assert d.get_device_count() == len(d.list_devices()) == 1
    with pytest.raises(NotImplementedError, match="tensors are not sharded across devices"):
        d.distribute_tensor(models.ops.ones((2, 2)), d.TensorLayout([None, None]))
    with pytest.raises(NotImplementedError, match="multi-host set-up"):
        d.initialize()
