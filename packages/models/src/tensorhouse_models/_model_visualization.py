"""Keras 3's ``plot_model`` / ``model_to_dot``: a model's layers as a ``pydot`` graph (a
record node per layer, an edge per connection), written out by Graphviz. pydot is optional:
without it both raise Keras's ``ImportError``."""

from __future__ import annotations

import os

from tensorhouse_components import tree

__all__ = ["model_to_dot", "plot_model"]


def _pydot():
    for name in ("pydot", "pydot_ng", "pydotplus"):  # the last two: pydot's older forks
        try:
            return __import__(name)
        except ImportError:
            continue
    return None


def _check_built(model):
    if not model.built:
        raise ValueError(
            "This model has not yet been built. Build the model first by calling `build()` or "
            "by calling the model on a batch of data."
        )


def _check_kwargs(kwargs):
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")


def _cell(text, colour="white", font=""):
    return f'<td bgcolor="{colour}"><font point-size="14"{font}>{text}</font></td>'


def _shapes(model):
    """Each layer's (input, output) shapes: a functional model's from its graph, a
    Sequential's from ``compute_output_shape`` down the chain."""
    out = {}
    if hasattr(model, "_nodes"):
        for node in model._nodes:
            ins = [tuple(t.shape) for t in tree.flatten(node.input_tensors)]
            outs = tree.map_structure(lambda t: tuple(t.shape), node.outputs)
            out[id(node.layer)] = (ins[0] if len(ins) == 1 else ins or None, outs)
        return out
    shape = getattr(getattr(model, "_input_layer", None), "batch_shape", None)
    for layer in getattr(model, "layers", []):
        try:
            new = tuple(layer.compute_output_shape(shape))
        except (ValueError, TypeError, AttributeError, NotImplementedError):
            new = None
        out[id(layer)], shape = (shape, new), new
    return out


def _shape_text(shape):
    if shape is None:
        return "?"
    text = (
        ", ".join(f"{k}: {v}" for k, v in shape.items()) if isinstance(shape, dict) else f"{shape}"
    )
    return text.replace("{", "").replace("}", "")


def _label(layer, io, names, activations, dtype, shapes, trainable):
    """Keras's HTML-like record label: the name / class row, then activation, shapes, output
    dtype and trainability cells as asked."""
    cls = type(layer).__name__
    cols = []
    if shapes:
        if cls != "InputLayer":
            cols.append(_cell(f"Input shape: <b>{_shape_text(io[0])}</b>"))
        cols.append(_cell(f"Output shape: <b>{_shape_text(io[1])}</b>"))
    if dtype:
        cols.append(_cell(f"Output dtype: <b>{getattr(layer, 'compute_dtype', None) or '?'}</b>"))
    if trainable and layer.weights:
        good = layer.trainable
        text = "<b>Trainable</b>" if good else "<b>Non-trainable</b>"
        cols.append(_cell(text, "forestgreen" if good else "firebrick", ' color="white"'))
    span = max(1, 2 * shapes + dtype + trainable)
    title = f"<b>{layer.name}</b> ({cls})" if names else f"<b>{cls}</b>"
    rows = [f'<tr><td colspan="{span}" bgcolor="black"><font point-size="16" color="white">'
            f"{title}</font></td></tr>"]  # fmt: skip
    act = getattr(layer, "activation", None)
    if activations and act is not None:
        name = getattr(act, "name", None) or getattr(act, "__name__", None) or str(act)
        rows.append(f'<tr><td bgcolor="white" colspan="{span}"><font point-size="14">'
                    f"Activation: <b>{name}</b></font></td></tr>")  # fmt: skip
    if cols:
        rows.append(f"<tr>{''.join(cols)}</tr>")
    table = '<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
    return table + "".join(rows) + "</table>>"


def _edges(model):
    """(source layer, destination layer) pairs: a Sequential's chain, a functional model's
    connections; a subclassed model is one node."""
    if hasattr(model, "_nodes") and not hasattr(model, "pop"):  # functional
        return [(t._keras_history[0], node.layer) for node in model._nodes
                for t in tree.flatten(node.input_tensors)]  # fmt: skip
    if hasattr(model, "pop"):  # Sequential
        return list(zip(model.layers, model.layers[1:]))
    return []


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB",
                 expand_nested=False, dpi=200, subgraph=False, show_layer_activations=False,
                 show_trainable=False, splines="ortho", **kwargs):  # fmt: skip
    """Keras 3's: the model as a ``pydot.Dot`` (a ``pydot.Cluster`` with ``subgraph=True``);
    nested models are drawn as one node each (``expand_nested`` is not supported)."""
    _check_built(model)
    pydot = _pydot()
    if pydot is None:
        raise ImportError("You must install pydot (`pip install pydot`) for model_to_dot to work.")
    _check_kwargs(kwargs)
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name)
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        for key, value in (("rankdir", rankdir), ("concentrate", True), ("dpi", dpi),
                           ("splines", splines)):  # fmt: skip
            dot.set(key, value)
        dot.set_node_defaults(shape="record")
    edges = _edges(model)
    layers = model.layers if edges or hasattr(model, "pop") else [model]
    shapes = _shapes(model)
    for layer in layers:
        io = shapes.get(id(layer), (None, None))
        label = _label(layer, io, show_layer_names, show_layer_activations, show_dtype, show_shapes,
                       show_trainable)  # fmt: skip
        node = pydot.Node(str(id(layer)), label=label)
        for key, value in (("fontname", "Helvetica"), ("border", "0"), ("margin", "0")):
            node.set(key, value)
        dot.add_node(node)
    for src, dst in edges:
        if not dot.get_edge(str(id(src)), str(id(dst))):
            edge = pydot.Edge(str(id(src)), str(id(dst)))
            edge.set("penwidth", "2")
            dot.add_edge(edge)
    return dot


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=False, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, splines="ortho",
               **kwargs):  # fmt: skip
    """Keras 3's: ``model_to_dot`` written to ``to_file`` in the format its extension names
    (PNG without one); needs pydot and Graphviz."""
    _check_built(model)
    pydot = _pydot()
    if pydot is None:
        raise ImportError("You must install pydot (`pip install pydot`) for `plot_model` to work.")
    try:
        pydot.Dot.create(pydot.Dot())
    except (OSError, pydot.PydotException):
        raise ImportError(
            "You must install graphviz (see instructions at "
            "https://graphviz.gitlab.io/download/) for `plot_model` to work."
        ) from None
    _check_kwargs(kwargs)
    dot = model_to_dot(model, show_shapes, show_dtype, show_layer_names, rankdir, expand_nested,
                       dpi, show_layer_activations=show_layer_activations,
                       show_trainable=show_trainable, splines=splines)  # fmt: skip
    to_file = str(to_file)
    extension = os.path.splitext(to_file)[1][1:] or "png"
    dot.write(to_file, format=extension)
    if extension != "pdf":
        try:
            from IPython import display
        except ImportError:
            return None
        return display.Image(filename=to_file)
    return None
