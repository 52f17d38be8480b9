"""The Functional API: ``Model(inputs, outputs)`` over the graph of ``Input`` tensors.

Each layer call on KerasTensors left a ``Node`` (layer, call arguments, outputs). The model
walks back from its outputs to its inputs once, keeps the nodes in an order where every input
comes first, and replays them on real tensors in ``call``.
"""

from __future__ import annotations

from tensorhouse_components import layers as layers_module
from tensorhouse_components.ops import nest

from ._model import Model

__all__ = ["Functional"]

KerasTensor = layers_module.KerasTensor


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
        unique = []
        for node in self._nodes:
            if not any(node.layer is layer for layer in unique):
                unique.append(node.layer)
        self._graph_layers = unique
        self.built = True

    def _sort_nodes(self):
        """The nodes that lead to the outputs, inputs first (a depth-first post-order)."""
        inputs = {id(t) for t in nest.flatten(self._inputs_struct)}
        order, done, active = [], set(), set()

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
            active.add(id(node))
            for t in node.input_tensors:
                visit(t, [*path, node])
            active.discard(id(node))
            done.add(id(node))
            order.append(node)

        for t in nest.flatten(self._outputs_struct):
            visit(t, [])
        return order

    @property
    def _layers(self):
        return list(self._graph_layers)

    @property
    def inputs(self):
        return nest.flatten(self._inputs_struct)

    @property
    def outputs(self):
        return nest.flatten(self._outputs_struct)

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
            return {id(struct[k]): inputs[k] for k in struct}
        flat = nest.flatten(struct)
        given = [inputs] if len(flat) == 1 and not isinstance(inputs, list | tuple) else list(
            inputs
        )  # fmt: skip
        if len(given) != len(flat):
            raise ValueError(
                f"Model {self.name!r} expects {len(flat)} inputs, but it received "
                f"{len(given)} input tensors"
            )
        return {id(t): v for t, v in zip(flat, given)}

    def call(self, inputs, training=None):
        values = self._feed(inputs)

        def value_of(x):
            return values[id(x)] if isinstance(x, KerasTensor) else x

        for node in self._nodes:
            if node.is_input:
                continue
            args = [nest.map_structure(value_of, a) for a in node.call_args]
            kwargs = {k: nest.map_structure(value_of, v) for k, v in node.call_kwargs.items()}
            kwargs["training"] = training
            out = node.layer(*args, **kwargs)
            for symbolic, real in zip(nest.flatten(node.outputs), nest.flatten(out)):
                values[id(symbolic)] = real
        return nest.map_structure(value_of, self._outputs_struct)

    def compute_output_shape(self, input_shape):
        return nest.map_structure(lambda t: t.shape, self._outputs_struct)

    def _summary_layers(self):
        layers = []
        for node in self._nodes:
            if not any(node.layer is layer for layer in layers):
                layers.append(node.layer)
        return layers

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
        raise NotImplementedError(
            "get_config() of a Functional model is not supported in this release (its layer "
            "graph is not serialized yet); use Sequential or save the weights with get_weights()"
        )
