"""``Sequential``: a plain stack of layers, each feeding the next."""

from __future__ import annotations

from tensorhouse_components import layers as layers_module

from ._model import Model, deserialize_layer, serialize_layer

__all__ = ["Sequential"]


class Sequential(Model):
    """``Sequential([Input(shape=(2,)), Dense(1)])``: with an ``Input`` first (or an
    ``input_shape=`` on the first layer) every layer is built at once; otherwise on the first
    call, for the shape of that batch."""

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name)
        self._sequence: list = []
        self._input_layer = None
        self._output_shapes: dict[int, tuple] = {}
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_rebuild()

    def add(self, layer, rebuild=True):
        """Append a layer (an ``Input(...)`` tensor may come first)."""
        if isinstance(layer, layers_module.KerasTensor):
            origin = layer.node.layer if layer.node is not None else None
            if not isinstance(origin, layers_module.InputLayer):
                raise ValueError(
                    "Only an Input(...) tensor can be added to a Sequential model; received "
                    f"{layer}"
                )
            layer = origin
        if not isinstance(layer, layers_module.Layer):
            raise ValueError(
                "Only instances of `Layer` can be added to a Sequential model. Received: "
                f"{layer!r} (of type {type(layer).__name__})"
            )
        if isinstance(layer, layers_module.InputLayer):
            if self._input_layer is not None or self._sequence:
                raise ValueError(
                    f"Sequential model {self.name!r} already has layers; an InputLayer can only "
                    "be its first layer"
                )
            self._input_layer = layer
        else:
            if any(existing.name == layer.name for existing in self._sequence):
                raise ValueError(
                    f"All layers added to a Sequential model should have unique names. Name "
                    f"{layer.name!r} is already the name of a layer in this model."
                )
            if not self._sequence and self._input_layer is None:
                shape = getattr(layer, "_input_shape_arg", None)
                if shape is not None:  # Dense(..., input_shape=(2,))
                    self._input_layer = layers_module.InputLayer(batch_shape=shape)
            self._sequence.append(layer)
        if rebuild:
            self._maybe_rebuild()

    def pop(self, rebuild=True):
        layer = self._sequence.pop()
        self.built = False
        if rebuild:
            self._maybe_rebuild()
        return layer

    def _maybe_rebuild(self):
        if self._input_layer is not None and self._sequence:
            self._build_symbolic(self._input_layer.batch_shape, self._input_layer.dtype)

    def _build_symbolic(self, batch_shape, dtype="float32"):
        x = layers_module.Input(batch_shape=tuple(batch_shape), dtype=dtype)
        self._output_shapes = {}
        with self._open_name_scope():  # weights are pathed under the model: seq/d1/kernel
            for layer in self._sequence:
                x = layer(x)
                self._output_shapes[id(layer)] = getattr(x, "shape", None)
        self._build_input_shape = tuple(batch_shape)
        self.built = True

    # ---- Layer API ------------------------------------------------------------------------
    @property
    def _layers(self):
        return list(self._sequence)

    @property
    def layers(self) -> list:
        """The layers after the input (Keras 3 leaves the InputLayer out)."""
        return list(self._sequence)

    def build(self, input_shape=None):
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError(
                    "Sequential.build() needs an input_shape when the model has no Input"
                )
            input_shape = self._input_layer.batch_shape
        if not self._sequence:
            raise ValueError(f"Sequential model {self.name!r} has no layers to build")
        shape = (None, *tuple(input_shape)[1:])
        self._build_symbolic(shape, self._input_layer.dtype if self._input_layer else "float32")

    def call(self, inputs, training=None):
        x = inputs
        if self._input_layer is not None:
            x = self._check_input(x)
        for layer in self._sequence:
            x = layer(x, training=training)
        return x

    def _check_input(self, x):
        """As Keras 3's functional Sequential: a one-element list or tuple is its element."""
        if isinstance(x, list | tuple) and len(x) == 1:
            x = x[0]
        shape = getattr(x, "shape", None)
        if shape is not None and getattr(shape, "rank", 0) is not None:
            self._check_shape(shape.as_list() if hasattr(shape, "as_list") else shape)
        return x

    def _check_shape(self, found):
        """An input whose known dimensions differ from the ``Input``'s is Keras's ``ValueError``."""
        expected, found = tuple(self._input_layer.batch_shape), tuple(found)
        if len(found) == len(expected) and any(
            e is not None and f is not None and e != f for e, f in zip(expected[1:], found[1:])
        ):
            raise ValueError(
                f"Input 0 of layer '{self.name}' is incompatible with the layer: expected "
                f"shape={expected}, found shape={found}"
            )

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        if self._input_layer is not None:
            self._check_shape(shape)
        for layer in self._sequence:
            shape = layer.compute_output_shape(shape)
        return shape

    @property
    def input_shape(self):
        if self._input_layer is not None:
            return self._input_layer.batch_shape
        return self._build_input_shape

    @property
    def output_shape(self):
        if not self._sequence or id(self._sequence[-1]) not in self._output_shapes:
            raise AttributeError(f"Sequential model {self.name!r} has no known output shape yet")
        return self._output_shapes[id(self._sequence[-1])]

    def _graph(self):
        """``(input, output)`` KerasTensors of the built model, as Keras 3's Sequential keeps a
        functional graph of itself (made again when layers were added)."""
        shape = self.input_shape if self._sequence else None
        if shape is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined inputs yet.")
        key = (tuple(shape), tuple(id(layer) for layer in self._sequence))
        cached = getattr(self, "_graph_cache", None)
        if cached is None or cached[0] != key:
            given = self._input_layer
            dtype = given.dtype if given is not None else "float32"
            name = given.name if given is not None else f"{self.name}_input"  # no auto-name used
            x = layers_module.Input(batch_shape=tuple(shape), dtype=dtype, name=name)
            y = x
            for layer in self._sequence:
                y = layer(y)
            cached = (key, x, y)
            object.__setattr__(self, "_graph_cache", cached)
        return cached[1], cached[2]

    @property
    def inputs(self):
        return [self._graph()[0]]

    @property
    def outputs(self):
        return [self._graph()[1]]

    def _symbolic_outputs(self):
        shape = self._output_shapes.get(id(self._sequence[-1])) if self._sequence else None
        if shape is None:
            return None
        return layers_module.KerasTensor(shape, self._sequence[-1].compute_dtype)

    # ---- summary and config -----------------------------------------------------------------
    def _summary_layers(self):
        return list(self._sequence)

    def _output_shape_of(self, layer):
        return self._output_shapes.get(id(layer))

    def get_config(self):
        items = [serialize_layer(layer) for layer in self._sequence]
        if self._input_layer is not None:
            items.insert(0, layers_module.serialize(self._input_layer))
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        config["layers"] = items
        if self._build_input_shape is not None:
            config["build_input_shape"] = list(self._build_input_shape)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        items = config.pop("layers")
        build_shape = config.pop("build_input_shape", None)
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for item in items:
            model.add(deserialize_layer(item, custom_objects), rebuild=False)
        if model._input_layer is not None:
            model._maybe_rebuild()
        elif build_shape is not None:
            model.build(tuple(build_shape))
        return model
