"""``Model``: a Layer that trains (Keras 3's ``Model``: ``Layer`` plus ``Trainer``).

``fit``, ``evaluate`` and ``predict`` live in ``trainers/_trainer.py``; each runs the
overridable ``train_step``, ``test_step`` or ``predict_step`` inside a traced function.
"""

from __future__ import annotations

import inspect
import io
import json

from tensorhouse_components import layers, ops

from . import _summary, saving
from .distribute import _training as _distribute
from .trainers._trainer import Trainer

__all__ = ["Model"]


def _functional_args(args, kwargs):
    return (
        (len(args) == 2)
        or (len(args) == 1 and "outputs" in kwargs)
        or ("inputs" in kwargs and "outputs" in kwargs)
    )


_FUNCTIONAL_SUBCLASSES: dict = {}


def _with_functional(cls, functional):
    """``cls`` with ``Functional`` after it in the MRO (one class per subclass)."""
    if cls not in _FUNCTIONAL_SUBCLASSES:
        attrs = {"__module__": cls.__module__, "__qualname__": cls.__qualname__}
        _FUNCTIONAL_SUBCLASSES[cls] = type(cls.__name__, (cls, functional), attrs)
    return _FUNCTIONAL_SUBCLASSES[cls]


class Model(Trainer, layers.Layer):
    """A trainable layer graph: subclass it (``call``), or use ``Sequential``, or
    ``Model(inputs, outputs)`` on ``Input`` tensors (the Functional API)."""

    def __new__(cls, *args, **kwargs):
        if cls is Model and _functional_args(args, kwargs):
            from ._functional import Functional

            return Functional.__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        from ._functional import Functional

        if _functional_args(args, kwargs) and not isinstance(self, Functional):
            # a subclass built as ``Sub(inputs, outputs)`` is a functional model with the
            # subclass's methods (``train_step``, ...), as Keras 3 makes it
            self.__class__ = _with_functional(type(self), Functional)
            Functional.__init__(self, *args, **kwargs)
            return
        if args:
            raise TypeError(
                f"{type(self).__name__}() takes keyword arguments only (name=, trainable=, "
                f"dtype=); received {len(args)} positional arguments"
            )
        super().__init__(**kwargs)
        self._init_trainer()

    # ---- weights and structure ------------------------------------------------------------
    def _maybe_build(self, inputs):
        # A subclassed model builds its sublayers by running: its first call is the build.
        if type(self).build is Model.build:
            if not self.built:
                self.built = True
                if hasattr(inputs, "shape"):  # saved as build_config, as Keras's
                    self._build_input_shape = tuple(inputs.shape)
            return
        super()._maybe_build(inputs)

    def build(self, input_shape=None):
        """Create the weights of a subclassed model by calling it once on zeros."""
        if self.built:
            return
        if input_shape is None:
            raise ValueError(
                f"{self.name}: build() needs an input_shape, e.g. build((None, 2)), or call "
                "the model on a batch of data"
            )
        self.built = True
        shape = [1 if d is None else int(d) for d in input_shape]
        try:
            self(ops.zeros(shape, dtype=self.compute_dtype), training=False)
        except Exception:
            self.built = False
            raise
        self._build_input_shape = tuple(input_shape)

    @property
    def layers(self) -> list:
        return list(self._layers)

    def get_layer(self, name=None, index=None):
        """A sublayer by name or by index in ``layers``."""
        if index is not None and name is not None:
            raise ValueError(
                f"Provide only a layer name or a layer index. Received: index={index}, name={name}."
            )
        if index is not None:
            if len(self.layers) <= index:
                raise ValueError(
                    f"Was asked to retrieve layer at index {index} but model only has "
                    f"{len(self.layers)} layers."
                )
            return self.layers[index]
        if name is not None:
            for layer in self.layers:
                if layer.name == name:
                    return layer
            raise ValueError(
                f"No such layer: {name}. Existing layers are: "
                f"{[layer.name for layer in self.layers]}."
            )
        raise ValueError("Provide either a layer name or layer index at `get_layer`.")

    # ---- config and JSON ------------------------------------------------------------------
    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A model from ``get_config()``: a functional config rebuilds the layer graph."""
        if "input_layers" in config and "output_layers" in config and "layers" in config:
            from ._functional import functional_from_config

            return functional_from_config(cls, config, custom_objects)
        return cls(**config)

    def __reduce__(self):
        """Pickled as Keras 3 pickles a model: a built one as the bytes of its ``.keras``
        file (config, weights, optimizer state), an unbuilt one as its serialized config."""
        if self.built:
            buffer = io.BytesIO()
            saving.save_model(self, buffer)
            return _model_from_keras_bytes, (buffer.getvalue(),)
        return saving.deserialize_keras_object, (saving.serialize_keras_object(self),)

    # ---- weights files ------------------------------------------------------------------
    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Save the whole model (config, weights, optimizer state) as a Keras 3 ``.keras``
        file."""
        if not _distribute.should_write(self):
            return  # under a multi-worker strategy only the chief writes files
        saving.save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def save_weights(self, filepath, overwrite=True, max_shard_size=None):
        """Write the weights (and the optimizer's state) to a Keras 3 ``.weights.h5`` file, or
        to ``.weights.json`` plus shards of at most ``max_shard_size`` GiB each."""
        if not _distribute.should_write(self):
            return  # under a multi-worker strategy only the chief writes files
        saving.save_weights(self, filepath, overwrite=overwrite, max_shard_size=max_shard_size)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Read a Keras 3 ``.weights.h5`` file, a sharded ``.weights.json`` index (or a legacy
        ``.h5`` file, ``by_name`` as Keras) into the weights (and the optimizer's state)."""
        saving.load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    def export(self, filepath, format="tf_saved_model", verbose=None,  # noqa: A002
               input_signature=None, **kwargs):  # fmt: skip
        """Keras 3's export: a SavedModel with a ``serve`` endpoint (or an ONNX file)."""
        from .saving._saved_model import export_model

        export_model(self, filepath, format, verbose, input_signature, **kwargs)

    def get_compile_config(self):
        """Keras's: the arguments ``compile`` was given, serialized (``{}`` when the model is
        not compiled)."""
        from .saving._keras_file import compile_config

        return compile_config(self)

    def compile_from_config(self, config):
        """``compile`` with the arguments of ``get_compile_config`` (the optimizer is built at
        once when the model is)."""
        from .saving._keras_file import _compile_from_config

        _compile_from_config(self, config, {}, True)

    def to_json(self, **kwargs):
        """The model's structure as Keras's JSON string (``json.dumps`` takes ``kwargs``)."""
        return json.dumps(serialize_layer(self), **kwargs)

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):  # fmt: skip
        """Print Keras 3's table of the layers: name (type), output shape, parameter count
        (and connections for functional models), then the parameter totals."""
        _summary.print_summary(
            self, line_length=line_length, positions=positions, print_fn=print_fn,
            expand_nested=expand_nested, show_trainable=show_trainable, layer_range=layer_range,
        )  # fmt: skip

    def _summary_layers(self):
        return self.layers

    def _output_shape_of(self, layer):
        """As Keras's summary for a layer outside a graph: its output shape for the input
        shape it was built with, ``None`` ("?") when unbuilt or not computable."""
        config = layer.get_build_config() or {}
        if config.get("input_shape") is None:
            return None
        try:
            shape = layer.compute_output_shape(config["input_shape"])
        except (NotImplementedError, TypeError, ValueError):
            return None
        return tuple(shape) if isinstance(shape, list | tuple) else shape


def serialize_layer(layer):
    """Keras 3's dict for a layer; Functional and Sequential models name their own class."""
    from ._functional import Functional
    from ._sequential import Sequential

    kind = type(layer)
    if kind is Functional or kind is Sequential:
        functional = kind is Functional
        out = {
            "module": "keras.src.models.functional" if functional else "keras",
            "class_name": kind.__name__,
            "config": layer.get_config(),
            "registered_name": "Functional" if functional else None,
        }
        if functional:
            out["build_config"] = {"input_shape": None}
        elif layer.built:
            out["build_config"] = {"input_shape": list(layer.input_shape)}
        if not layer.compiled:
            out["compile_config"] = {}
        return out
    if isinstance(layer, layers.Operation):
        return layers.serialize_operation(layer)
    out = layers.serialize(layer)
    module = getattr(kind, "_keras_module", None)
    if module is not None:  # a library class outside keras.layers (keras.utils.FeatureSpace)
        out["module"], out["registered_name"] = module, None
    return out


def deserialize_layer(config, custom_objects=None):
    """A layer (or model) from its dict: models by their class name, other layers from the
    components' registry plus ``custom_objects``; nothing in the config is executed."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "Could not deserialize a layer: expected a dict with 'class_name' and 'config'. "
            f"Received: {config!r}"
        )
    if layers.is_operation_config(config):  # a keras.ops node: a fixed table, by module
        return layers.deserialize_operation(config)
    name = config["class_name"]
    custom = (custom_objects or {}).get(name)
    if custom is None and name in ("Functional", "Model", "Sequential"):
        from ._functional import Functional
        from ._sequential import Sequential

        inner = config.get("config")
        if not isinstance(inner, dict) or "layers" not in inner:
            raise ValueError(
                f"Could not deserialize a {name} model: its 'config' must be a dict with "
                f"'layers'. Received: config={inner!r}"
            )
        model_cls = Sequential if name == "Sequential" else Functional
        return model_cls.from_config(dict(inner), custom_objects)
    if isinstance(custom, type) and issubclass(custom, Model):
        inner = dict(config.get("config") or {})
        if "custom_objects" in inspect.signature(custom.from_config).parameters:
            return custom.from_config(inner, custom_objects)
        return custom.from_config(inner)
    # The model's graph builds each layer when it calls it (which also records the build
    # shape for the next get_config), so the layer's build_config is not replayed here.
    config = {k: v for k, v in config.items() if k != "build_config"}
    return layers.deserialize(config, custom_objects)


def _model_from_keras_bytes(data):
    """The model a pickled ``.keras`` archive holds (``Model.__reduce__``)."""
    return saving.load_model(io.BytesIO(data))
