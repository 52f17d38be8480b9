"""The Functional API: ``Model(inputs, outputs)`` over the graph of ``Input`` tensors.

Each layer call on KerasTensors left a ``Node`` (layer, call arguments, outputs). The model
walks back from its outputs to its inputs once, keeps the nodes in an order where every input
comes first, and replays them on real tensors in ``call``.
"""

from __future__ import annotations

import inspect

import numpy as np

from tensorhouse_components import layers as layers_module
from tensorhouse_components import ops
from tensorhouse_components.ops import nest

from ._model import Model, deserialize_layer, serialize_layer

__all__ = ["Functional", "functional_from_config", "functional_like"]

KerasTensor = layers_module.KerasTensor
Operation = layers_module.Operation


class Functional(Model):
    """A model defined by its ``Input`` tensors and the output tensors computed from them."""

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        for t in nest.flatten(inputs):
            if not isinstance(t, KerasTensor) or not isinstance(
                getattr(t.node, "layer", None), layers_module.InputLayer
            ):
                raise ValueError(
                    f"Model(inputs, outputs): every input must come from Input(...); received {t}"
                )
        for t in nest.flatten(outputs):
            if not isinstance(t, KerasTensor):
                raise ValueError(
                    f"Model(inputs, outputs): every output must be a KerasTensor; received {t!r}"
                )
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self._nodes = self._sort_nodes()
        self._graph_layers = self._layers_by_depth()
        names = [layer.name for layer in self._graph_layers]
        for name in names:
            if names.count(name) != 1:
                raise ValueError(
                    f'The name "{name}" is used {names.count(name)} times in the model. All '
                    "operation names should be unique."
                )
        self.built = True

    def _sort_nodes(self):
        """The nodes that lead to the outputs, inputs first (a depth-first post-order)."""
        inputs = {id(t) for t in nest.flatten(self._inputs_struct)}
        order, done, active = [], set(), set()
        self._first_seen = first_seen = {}  # id(layer) -> when the walk first met it

        def visit(tensor, path):
            node = tensor.node
            if id(node) in done:
                return
            if node.is_input and id(tensor) not in inputs:
                raise ValueError(
                    f"Graph disconnected: cannot obtain value for {tensor} at layer "
                    f"{path[-1].layer.name if path else '?'}: it comes from an Input that is "
                    "not among the model's inputs"
                )
            if id(node) in active:
                raise ValueError("The layer graph has a cycle")
            first_seen.setdefault(id(node.layer), len(first_seen))
            active.add(id(node))
            for t in node.input_tensors:
                visit(t, [*path, node])
            active.discard(id(node))
            done.add(id(node))
            order.append(node)

        for t in nest.flatten(self._outputs_struct):
            visit(t, [])
        # Inputs no output depends on still belong to the model (Keras keeps them first).
        unused = [t.node for t in nest.flatten(self._inputs_struct) if id(t.node) not in done]
        for node in unused:
            first_seen[id(node.layer)] = -1
        return unused + order

    def _layers_by_depth(self):
        """Keras's layer order: deepest (farthest from the outputs) first, ties in the order
        the walk from the outputs first met them."""
        node_depth, layer_depth, by_id = {}, {}, {}
        for node in reversed(self._nodes):
            depth = max(node_depth.get(id(node), 0), layer_depth.get(id(node.layer), 0))
            node_depth[id(node)] = layer_depth[id(node.layer)] = depth
            by_id[id(node.layer)] = node.layer
            for t in node.input_tensors:
                node_depth[id(t.node)] = max(depth + 1, node_depth.get(id(t.node), 0))
        return sorted(
            by_id.values(), key=lambda layer: (-layer_depth[id(layer)], self._first_seen[id(layer)])
        )

    def _node_indices(self):
        """id(node) -> its index among its layer's calls in this model."""
        counts, out = {}, {}
        for node in self._nodes:
            out[id(node)] = counts.get(id(node.layer), 0)
            counts[id(node.layer)] = out[id(node)] + 1
        return out

    @property
    def _layers(self):
        return [op for op in self._graph_layers if not isinstance(op, Operation)]

    @property
    def operations(self):
        """Every layer and operation node of the graph (Keras's ``model.operations``)."""
        return list(self._graph_layers)

    @property
    def inputs(self):
        return nest.flatten(self._inputs_struct)

    @property
    def outputs(self):
        return nest.flatten(self._outputs_struct)

    @property
    def input(self):
        """The model's inputs in the structure it was built with (Keras's ``model.input``)."""
        return self._inputs_struct

    @property
    def output(self):
        """The model's outputs in the structure it was built with (Keras's ``model.output``)."""
        return self._outputs_struct

    @property
    def input_shape(self):
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def _feed(self, inputs):
        struct = self._inputs_struct
        if isinstance(struct, dict):
            if not isinstance(inputs, dict):
                raise ValueError(f"Model {self.name!r} expects a dict of inputs {sorted(struct)}")
            return {id(struct[k]): _adjust_rank(struct[k], inputs[k]) for k in struct}
        flat = nest.flatten(struct)
        given = [inputs] if len(flat) == 1 and not isinstance(inputs, list | tuple) else list(
            inputs
        )  # fmt: skip
        if len(given) != len(flat):
            raise ValueError(
                f"Model {self.name!r} expects {len(flat)} inputs, but it received "
                f"{len(given)} input tensors"
            )
        return {id(t): _adjust_rank(t, v) for t, v in zip(flat, given)}

    def call(self, inputs, training=None):
        values = self._feed(inputs)

        def value_of(x):
            return values[id(x)] if isinstance(x, KerasTensor) else x

        for node in self._nodes:
            if node.is_input:
                continue
            args = [nest.map_structure(value_of, a) for a in node.call_args]
            kwargs = {k: nest.map_structure(value_of, v) for k, v in node.call_kwargs.items()}
            if training is not None or "training" not in kwargs:  # a given mode wins
                kwargs["training"] = training
            out = node.layer(*args, **kwargs)
            for symbolic, real in zip(nest.flatten(node.outputs), nest.flatten(out)):
                values[id(symbolic)] = real
        out = nest.map_structure(value_of, self._outputs_struct)
        # Keras 3 returns a one-output list (``Model(x, [y])``) as its tensor
        return out[0] if isinstance(out, list | tuple) and len(out) == 1 else out

    def compute_output_shape(self, input_shape):
        return nest.map_structure(lambda t: t.shape, self._outputs_struct)

    def _summary_layers(self):
        return self.operations  # Keras's ``model._operations``: inputs first, by depth

    def _is_chain(self):
        """Keras's "sequential-like": one input, then one call after another, each reading
        the previous one's single output; no layer used twice."""
        calls = [node for node in self._nodes if not node.is_input]
        if len(self._nodes) - len(calls) != 1 or len(nest.flatten(self._outputs_struct)) != 1:
            return False
        readers: dict = {}
        for node in calls:
            if len(node.input_tensors) != 1:
                return False
            source = id(node.input_tensors[0].node)
            readers[source] = readers.get(source, 0) + 1
        if any(n > 1 for n in readers.values()):
            return False
        return len({id(node.layer) for node in calls}) == len(calls)

    def _connections(self, layer):
        """``"dense[0][0], z[0][0]"``: the inbound layer, its call index and output index of
        each input of the layer's calls in this model."""
        node_index = {}
        for node in self._nodes:
            node_index[id(node)] = sum(1 for n in self._nodes[: self._nodes.index(node)]
                                       if n.layer is node.layer)  # fmt: skip
        parts = []
        for node in self._nodes:
            if node.layer is not layer:
                continue
            for t in node.input_tensors:
                outs = nest.flatten(t.node.outputs)
                index = next(i for i, o in enumerate(outs) if o is t)
                parts.append(
                    f"{t.node.layer.name}[[color(34)]{node_index[id(t.node)]}[/]]"
                    f"[[color(34)]{index}[/]]"
                )
        return ", ".join(parts) or "-"

    def _symbolic_outputs(self):
        return self._outputs_struct

    @property
    def input_names(self):
        struct = self._inputs_struct
        if isinstance(struct, dict):
            return sorted(struct)
        return [t.node.layer.name for t in nest.flatten(struct)]

    @property
    def output_names(self):
        struct = self._outputs_struct
        if isinstance(struct, dict):
            return sorted(struct)
        return [t.node.layer.name for t in nest.flatten(struct)]

    def _output_shape_of(self, layer):
        shapes = [
            [t.shape for t in nest.flatten(node.outputs)]
            for node in self._nodes
            if node.layer is layer
        ]
        if not shapes:
            return None
        flat = [s for group in shapes for s in group]
        return flat[0] if len(flat) == 1 else flat

    def get_config(self):
        """Keras 3's functional config: every layer with the calls that feed it
        (``inbound_nodes``), and where the inputs and outputs come from."""
        index = self._node_indices()

        def history(t, offset=0):
            outs = nest.flatten(t.node.outputs)
            position = next(i for i, o in enumerate(outs) if o is t)
            return [t.node.layer.name, index[id(t.node)] + offset, position]

        def io_history(t):
            # As in Keras: a nested Functional model's own graph is its node 0, so the model's
            # inputs and outputs count its calls from 1 (the inbound nodes count from 0).
            return history(t, 1 if isinstance(t.node.layer, Functional) else 0)

        def encode(value):
            if isinstance(value, KerasTensor):
                config = {"shape": list(value.shape), "dtype": value.dtype}
                return {"class_name": "__keras_tensor__", "config": config | {
                    "keras_history": history(value)}}  # fmt: skip
            if isinstance(value, dict):
                return {k: encode(v) for k, v in value.items()}
            if isinstance(value, list | tuple):
                return [encode(v) for v in value]
            if isinstance(value, np.generic):
                return value.item()
            if isinstance(value, slice):
                parts = {"start": value.start, "stop": value.stop, "step": value.step}
                return {"class_name": "__slice__", "config": encode(parts)}
            if value is Ellipsis:
                return {"class_name": "__ellipsis__", "config": {}}
            if isinstance(value, np.ndarray):
                config = {"value": value.tolist(), "dtype": value.dtype.name}
                return {"class_name": "__numpy__", "config": config}
            if ops.is_tensor(value):
                config = {"value": ops.convert_to_numpy(value).tolist(), "dtype": value.dtype.name}
                return {"class_name": "__tensor__", "config": config}
            if value is None or isinstance(value, bool | int | float | str):
                return value
            raise TypeError(
                f"Model {self.name!r}: cannot serialize the call argument {value!r} (of type "
                f"{type(value).__name__}) in get_config()"
            )

        layer_configs = []
        for layer in self.operations:
            item = serialize_layer(layer)
            item["name"] = layer.name
            item["inbound_nodes"] = [
                {"args": encode(list(node.arguments[0])), "kwargs": encode(node.arguments[1])}
                for node in self._nodes
                if node.layer is layer and not node.is_input
            ]
            layer_configs.append(item)
        return {
            "name": self.name,
            "trainable": self.trainable,
            "layers": layer_configs,
            "input_layers": nest.map_structure(io_history, self._inputs_struct),
            "output_layers": nest.map_structure(io_history, self._outputs_struct),
        }


class _NotReady(Exception):
    """A node's inputs are not computed yet."""


def functional_like(cls):
    """Keras's test for rebuilding a model of class ``cls`` as ``cls(inputs, outputs, ...)``:
    a ``Model`` subclass whose ``__init__`` takes ``inputs, outputs`` or ``*args``."""
    if not issubclass(cls, Model) or cls is Model:
        return False
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    return [p.name for p in params[:2]] == ["inputs", "outputs"] or any(
        p.kind is p.VAR_POSITIONAL for p in params
    )


def functional_from_config(cls, config, custom_objects=None):
    """Rebuild a functional model: make each layer from its config, then call it on the
    tensors its ``inbound_nodes`` name, each layer's calls in their order."""
    outputs = {}  # (layer name, node index) -> the flat outputs of that call
    pending = []  # [layer, name, node configs left, next node index]
    created = {}
    for item in config["layers"]:
        layer = deserialize_layer(item, custom_objects)
        name = item.get("name", layer.name)
        if isinstance(layer, layers_module.InputLayer):
            outputs[(name, 0)] = [layer.output]
        created[name] = layer
        pending.append([layer, name, list(item.get("inbound_nodes") or []), 0])

    def tensor(history):
        name, node_index, tensor_index = history
        found = outputs.get((name, node_index))
        if found is None:
            raise _NotReady(name)
        return found[tensor_index]

    def decode(value):
        if isinstance(value, dict):
            kind = value.get("class_name")
            if kind == "__keras_tensor__":
                return tensor(value["config"]["keras_history"])
            if kind == "__slice__":
                inner = value.get("config") or {}
                return slice(inner.get("start"), inner.get("stop"), inner.get("step"))
            if kind == "__ellipsis__":
                return Ellipsis
            if kind in ("__numpy__", "__tensor__"):
                inner = value["config"]
                array = np.asarray(inner["value"], dtype=inner["dtype"])
                return array if kind == "__numpy__" else ops.convert_to_tensor(array)
            return {k: decode(v) for k, v in value.items()}
        if isinstance(value, list):
            return [decode(v) for v in value]
        return value

    progress = True
    while progress:
        progress = False
        for entry in pending:
            layer, name, nodes, _ = entry
            while nodes:
                try:
                    args = decode(nodes[0].get("args", []))
                    kwargs = decode(nodes[0].get("kwargs", {}))
                except _NotReady:
                    break
                call = layer.symbolic_call if isinstance(layer, Operation) else layer
                outputs[(name, entry[3])] = nest.flatten(call(*args, **kwargs))
                entry[3] += 1
                nodes.pop(0)
                progress = True
    stuck = [entry[1] for entry in pending if entry[2]]
    if stuck:
        raise ValueError(
            f"Cannot rebuild the model from its config: the inputs of layers {stuck} are never "
            "computed (the config names a layer call that does not exist)"
        )

    def structure(spec):
        if isinstance(spec, dict):
            return {k: structure(v) for k, v in spec.items()}
        if len(spec) == 3 and isinstance(spec[0], str):
            name, node_index, tensor_index = spec
            if isinstance(created.get(name), Functional):
                node_index -= 1  # see get_config: counted from 1 here
            try:
                return tensor([name, node_index, tensor_index])
            except _NotReady:
                raise ValueError(
                    f"Cannot rebuild the model from its config: {spec} names no layer call"
                ) from None
        return [structure(s) for s in spec]

    model_cls = cls if isinstance(cls, type) and functional_like(cls) else Functional
    return model_cls(
        structure(config["input_layers"]),
        structure(config["output_layers"]),
        name=config.get("name"),
        trainable=config.get("trainable", True),
    )


def _adjust_rank(symbolic, value):
    """Keras 3's one-axis leniency: a value one rank short of an input whose last dimension is 1
    gets that axis, and one with an extra trailing axis of size 1 loses it."""
    want = getattr(symbolic, "shape", None)
    if want is None or isinstance(value, KerasTensor | dict | list | tuple):
        return value
    shape = getattr(value, "shape", None)
    if shape is None or getattr(shape, "rank", 0) is None:
        return value
    rank = len(shape)
    if rank == len(want) - 1 and want[-1] == 1:
        return ops.expand_dims(value, -1)
    if rank == len(want) + 1 and rank and shape[-1] == 1:
        return ops.squeeze(value, -1)
    return value
