"""``Layer``: Keras 3's lifecycle on top of ops tensors and variables.

``__init__`` stores the configuration, ``build(input_shape)`` creates the weights with
``add_weight`` on the first call, ``call(inputs, training=None)`` computes. Sublayers assigned
as attributes are tracked, so a layer's ``weights`` include theirs.
"""

from __future__ import annotations

import contextlib
import inspect
import threading

import numpy as np

from tensorhouse_ops import Tensor, Variable, cast, convert_to_tensor, dtypes
from tensorhouse_ops.nest import flatten as _flatten
from tensorhouse_ops.nest import map_structure as _map_structure

from .. import _naming, initializers, regularizers

__all__ = ["Layer", "call_context_training"]

_ctx = threading.local()


def call_context_training():
    """The ``training`` flag of the outermost layer call in progress (None outside any)."""
    return getattr(_ctx, "training", None)


@contextlib.contextmanager
def _training_scope(training):
    saved = getattr(_ctx, "training", None)
    _ctx.training = training
    try:
        yield
    finally:
        _ctx.training = saved


def _is_nested_numbers(x) -> bool:
    if isinstance(x, list | tuple):
        return bool(x) and all(_is_nested_numbers(v) for v in x)
    return isinstance(x, int | float) and not isinstance(x, bool)


def _shape_of(x):
    if hasattr(x, "shape") and not isinstance(x, np.ndarray | Tensor | Variable):
        return tuple(x.shape)  # a KerasTensor
    if isinstance(x, Tensor | Variable):
        return tuple(x.shape.as_list())
    return tuple(np.shape(x))


class Layer:
    """Base class of all layers (Keras 3's ``keras.layers.Layer``)."""

    def __init__(self, *, trainable=True, dtype=None, autocast=True, name=None, **kwargs):
        input_shape = kwargs.pop("input_shape", None)
        input_dim = kwargs.pop("input_dim", None)
        batch_size = kwargs.pop("batch_size", None)
        if kwargs:
            raise TypeError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}"
            )
        if name is not None and not isinstance(name, str):
            raise TypeError(f"`name` must be a string. Received: name={name!r}")
        object.__setattr__(self, "_tracked_layers", [])
        self.name = name or _naming.unique_name(type(self).__name__)
        self._trainable = bool(trainable)
        self._dtype = dtypes.as_dtype(dtype if dtype is not None else "float32")
        self.autocast = bool(autocast)
        self.built = False
        self._own_weights: list = []
        self._regularizers: dict = {}  # id(variable) -> regularizer
        self._added_losses: list = []
        self._input_shape_arg = None
        if input_shape is not None or input_dim is not None:
            shape = tuple(input_shape) if input_shape is not None else (int(input_dim),)
            self._input_shape_arg = (batch_size, *shape)
        self._build_input_shape = None
        params = list(inspect.signature(self.call).parameters)
        # Where ``training`` sits among call's arguments (None: call does not take it).
        self._training_pos = params.index("training") if "training" in params else None

    # ---- attribute tracking -------------------------------------------------------------
    def __setattr__(self, name, value):
        if not name.startswith("_tracked"):
            tracked = self.__dict__.get("_tracked_layers")
            if tracked is None:
                object.__setattr__(self, "_tracked_layers", [])
                tracked = self._tracked_layers
            for v in value if isinstance(value, list | tuple) else (value,):
                if isinstance(v, Layer) and v is not self and not any(v is t for t in tracked):
                    tracked.append(v)
        object.__setattr__(self, name, value)

    @property
    def _layers(self) -> list:
        """The sublayers whose weights count as this layer's: those assigned as attributes.

        Sequential and Functional models override this with their own list of layers.
        """
        return self.__dict__.get("_tracked_layers", [])

    # ---- dtype and trainability ---------------------------------------------------------
    @property
    def dtype(self) -> str:
        """The dtype of the layer's weights, as a string (Keras 3's ``variable_dtype``)."""
        return self._dtype.name

    @property
    def compute_dtype(self) -> str:
        return self._dtype.name

    variable_dtype = dtype

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for layer in self._layers:
            layer.trainable = value

    # ---- weights ------------------------------------------------------------------------
    def add_weight(
        self,
        shape=None,
        initializer=None,
        dtype=None,
        trainable=True,
        autocast=True,
        regularizer=None,
        constraint=None,
        aggregation="none",
        name=None,
    ):
        """Create a weight variable owned by this layer (Keras 3's arguments and defaults).

        ``initializer`` defaults to ``"glorot_uniform"`` for float weights, else ``"zeros"``;
        ``constraint`` is applied by the optimizers after each update.
        """
        shape = () if shape is None else tuple(int(d) for d in shape)
        dtype = dtypes.as_dtype(dtype if dtype is not None else self._dtype)
        if initializer is None:
            initializer = "glorot_uniform" if dtype.is_floating else "zeros"
        init = initializers.get(initializer)
        value = init(shape, dtype=dtype)
        if not isinstance(value, Tensor):
            value = convert_to_tensor(value, dtype=dtype)
        name = name or f"variable_{len(self._own_weights)}"
        var = Variable(
            value, trainable=trainable, name=f"{self.name}/{name}", dtype=dtype,
            constraint=constraint,
        )  # fmt: skip
        self._own_weights.append(var)
        if regularizer is not None:
            self._regularizers[id(var)] = regularizers.get(regularizer)
        return var

    @property
    def weights(self) -> list:
        """Own weights in creation order, then the tracked sublayers' weights."""
        out, seen = [], set()
        for w in self._own_weights + [w for layer in self._layers for w in layer.weights]:
            if id(w) not in seen:
                seen.add(id(w))
                out.append(w)
        return out

    @property
    def trainable_weights(self) -> list:
        if not self._trainable:
            return []
        own = [w for w in self._own_weights if w.trainable]
        out, seen = [], set()
        for w in own + [w for layer in self._layers for w in layer.trainable_weights]:
            if id(w) not in seen:
                seen.add(id(w))
                out.append(w)
        return out

    @property
    def non_trainable_weights(self) -> list:
        trainable = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in trainable]

    variables = weights
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    def get_weights(self) -> list:
        """The weights as NumPy arrays (copies), in the order of ``weights``."""
        return [np.array(w.numpy()) for w in self.weights]

    def set_weights(self, weights) -> None:
        """Assign NumPy arrays to the weights, in the order of ``weights``."""
        params = self.weights
        weights = list(weights)
        if len(weights) != len(params):
            raise ValueError(
                f"Layer {self.name!r} expected {len(params)} weights, but received "
                f"{len(weights)} input weights."
            )
        for var, value in zip(params, weights):
            value = np.asarray(value)
            if tuple(var.shape.as_list()) != value.shape:
                raise ValueError(
                    f"Layer {self.name!r} weight shape {tuple(var.shape.as_list())} is not "
                    f"compatible with provided weight shape {value.shape} (weight {var.name})."
                )
            var.assign(value.astype(var.dtype.as_numpy_dtype, copy=False))

    def count_params(self) -> int:
        if not self.built:
            raise ValueError(
                f"You tried to call `count_params` on layer {self.name!r}, but the layer isn't "
                "built. You can build it manually via: `layer.build(input_shape)`."
            )
        return int(sum(int(np.prod(w.shape.as_list(), dtype=np.int64)) for w in self.weights))

    # ---- saving: Keras 3's per-layer hooks ------------------------------------------------
    def _saved_variables(self) -> list:
        """This layer's own variables (not its sublayers') in Keras's saving order: trainable
        first, then the others, each group in creation order."""
        own = self._own_weights
        return [w for w in own if w.trainable] + [w for w in own if not w.trainable]

    def save_own_variables(self, store) -> None:
        """Write the layer's own variables to ``store["0"]``, ``store["1"]``, ... (NumPy)."""
        for i, variable in enumerate(self._saved_variables()):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store) -> None:
        """Assign ``store``'s arrays to the layer's own variables, in ``save_own_variables``'s
        order; a count or shape mismatch is Keras's ``ValueError``."""
        variables = self._saved_variables()
        if len(store.keys()) != len(variables):
            if not variables and not self.built:
                raise ValueError(
                    f"Layer '{self.name}' was never built and thus it doesn't have any "
                    f"variables. However the weights file lists {len(store.keys())} variables "
                    "for this layer."
                )
            raise ValueError(
                f"Layer '{self.name}' expected {len(variables)} variables, but received "
                f"{len(store.keys())} variables during loading. Expected: "
                f"{[v.name.rsplit('/', 1)[-1].split(':', 1)[0] for v in variables]}"
            )
        values = [np.asarray(store[str(i)]) for i in range(len(variables))]
        for variable, value in zip(variables, values):
            shape = tuple(variable.shape.as_list())
            if value.shape != shape:
                raise ValueError(
                    f"Layer '{self.name}': the shape of the target variable and the shape of "
                    "the target value in `variable.assign(value)` must match. "
                    f"variable.shape={shape}, Received: value.shape={value.shape}. Target "
                    f"variable: {variable.name}"
                )
        for variable, value in zip(variables, values):
            variable.assign(value.astype(variable.dtype.as_numpy_dtype, copy=False))

    # ---- losses -------------------------------------------------------------------------
    def add_loss(self, loss) -> None:
        """Add a scalar loss tensor to ``losses`` (cleared at the start of each call)."""
        self._added_losses.append(loss)

    @property
    def losses(self) -> list:
        """Regularization penalties of the weights plus the losses added in the last call."""
        out = []
        for w in self._own_weights:
            reg = self._regularizers.get(id(w))
            if reg is not None:
                out.append(reg(w))
        out.extend(self._added_losses)
        for layer in self._layers:
            out.extend(layer.losses)
        return out

    # ---- lifecycle ----------------------------------------------------------------------
    def build(self, input_shape=None):
        """Create the weights; the default creates none."""
        self.built = True

    def call(self, inputs, *args, **kwargs):
        raise NotImplementedError(f"Layer {type(self).__name__} does not implement call()")

    def _maybe_build(self, inputs):
        if self.built:
            return
        shapes = _map_structure(_shape_of, inputs)
        self._build_input_shape = shapes
        self.build(shapes)
        self.built = True

    def _convert_input(self, x):
        if isinstance(x, Tensor):
            if self.autocast and x.dtype.is_floating and x.dtype is not self._dtype:
                return cast(x, self._dtype)
            return x
        if isinstance(x, Variable):
            return self._convert_input(x.value())
        if isinstance(x, np.ndarray | np.generic | list | float | int):
            arr = np.asarray(x)
            if self.autocast and arr.dtype.kind == "f":
                return convert_to_tensor(arr, dtype=self._dtype)
            return convert_to_tensor(x)
        return x

    def __call__(self, inputs, *args, **kwargs):
        from ._input import KerasTensor, symbolic_call

        if any(isinstance(x, KerasTensor) for x in _flatten(inputs)):
            return symbolic_call(self, inputs, args, kwargs)
        if _is_nested_numbers(inputs):  # [[1.0, 2.0]] is one value, not a structure
            inputs = self._convert_input(np.asarray(inputs))
        else:
            inputs = _map_structure(self._convert_input, inputs)
        self._maybe_build(inputs)
        training = kwargs.pop("training", None)
        if training is None:
            training = call_context_training()
        pos = self._training_pos
        if pos is not None and len(args) + 1 <= pos:  # not already given by position
            kwargs["training"] = training
        self._added_losses = []
        with _training_scope(training):
            return self.call(inputs, *args, **kwargs)

    # ---- masking ------------------------------------------------------------------------
    supports_masking = False  # Keras's flag: the layer passes an input mask through

    def compute_mask(self, inputs, previous_mask=None):
        """The output mask: ``previous_mask`` when ``supports_masking``, else None."""
        return previous_mask if self.supports_masking else None

    def compute_output_shape(self, input_shape):
        """The output shape for an input shape; the default runs ``call`` on zeros."""
        from ._input import output_shape_by_running

        return output_shape_by_running(self, input_shape)

    # ---- config -------------------------------------------------------------------------
    def get_config(self) -> dict:
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_build_config(self):
        return None if self._build_input_shape is None else {"input_shape": self._build_input_shape}

    def build_from_config(self, config):
        if config and config.get("input_shape") is not None and not self.built:
            self.build(config["input_shape"])
            self.built = True

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"
