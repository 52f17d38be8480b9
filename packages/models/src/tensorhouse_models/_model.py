"""``Model``: a Layer that trains (Keras 3's ``Model``: ``Layer`` plus ``Trainer``).

``fit``, ``evaluate`` and ``predict`` live in ``trainers/_trainer.py``; each runs the
overridable ``train_step``, ``test_step`` or ``predict_step`` inside a traced function.
"""

from __future__ import annotations

from tensorhouse_components import layers, ops

from . import _summary
from .trainers._trainer import Trainer

__all__ = ["Model"]


def _functional_args(args, kwargs):
    return (
        (len(args) == 2)
        or (len(args) == 1 and "outputs" in kwargs)
        or ("inputs" in kwargs and "outputs" in kwargs)
    )


class Model(Trainer, layers.Layer):
    """A trainable layer graph: subclass it (``call``), or use ``Sequential``, or
    ``Model(inputs, outputs)`` on ``Input`` tensors (the Functional API)."""

    def __new__(cls, *args, **kwargs):
        if cls is Model and _functional_args(args, kwargs):
            from ._functional import Functional

            return Functional.__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
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
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No such layer: {name}. Existing layers are: {[layer.name for layer in self.layers]}"
        )

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
        shape = getattr(layer, "_last_output_shape", None)
        return None if shape is None else tuple(shape)
