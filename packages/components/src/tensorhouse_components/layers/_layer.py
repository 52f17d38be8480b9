"""``Layer``: Keras 3's lifecycle on top of ops tensors and variables.

``__init__`` stores the configuration, ``build(input_shape)`` creates the weights with
``add_weight`` on the first call, ``call(inputs, training=None)`` computes. Sublayers assigned
as attributes are tracked, so a layer's ``weights`` include theirs.

A layer's dtype policy (``dtype=``, else the global policy) sets the dtype of its variables and
the one its float inputs are cast to and its outputs come in. The ops layer only stores 16-bit
floats, so under a 16-bit compute dtype the arithmetic of ``call`` runs in float32 (the layer's
``_arithmetic_dtype``): float inputs are rounded to the compute dtype and read in float32, 16-bit
variables are read through a cast, and the float32 results are rounded to the compute dtype. A
sublayer's 16-bit outputs reach its caller's ``call`` in float32, and go back to their dtype if the
caller returns them as they are.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import re
import threading
import warnings

import numpy as np

from tensorhouse_ops import Tensor, Variable, cast, convert_to_tensor, dtypes
from tensorhouse_ops import math as _math
from tensorhouse_ops import shape as _shape
from tensorhouse_ops.nest import flatten as _flatten
from tensorhouse_ops.nest import map_structure as _map_structure

from .. import _naming, constraints, dtype_policies, initializers, regularizers
from .._keras_variable import keras_variable
from .._masks import _table as _masked_tensors
from .._masks import carry_mask, get_keras_mask, set_keras_mask
from ._input_spec import assert_input_compatibility

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


def _scopes() -> list:
    """The layers whose ``build`` or ``call`` is in progress on this thread, innermost last
    (Keras's name scopes: they make the variables' ``path``)."""
    scopes = getattr(_ctx, "scopes", None)
    if scopes is None:
        scopes = _ctx.scopes = []
    return scopes


@contextlib.contextmanager
def _layer_scope(layer):
    scopes = _scopes()
    push = not scopes or scopes[-1] is not layer
    if push:
        scopes.append(layer)
    try:
        yield
    finally:
        if push:
            scopes.pop()


def _scoped_build(build):
    """``build`` under the layer's scope; as Keras's build wrapper, an explicit
    ``layer.build(shape)`` marks the layer built and records its shape (its build config)."""

    @functools.wraps(build)
    def wrapper(self, *args, **kwargs):
        with _layer_scope(self):
            out = build(self, *args, **kwargs)
        shapes = (*args, *kwargs.values())
        if (
            len(shapes) == 1
            and shapes[0] is not None
            and self.__dict__.get("_build_input_shape") is None
        ):
            self._build_input_shape = shapes[0]
        self.built = True
        return out

    wrapper._layer_scoped = True
    return wrapper


def _frames() -> list:
    """The stack of layer calls in progress on this thread, innermost last."""
    frames = getattr(_ctx, "frames", None)
    if frames is None:
        frames = _ctx.frames = []
    return frames


_NOT_PLAIN = object()  # ``Layer._plain_call``'s answer where the common case does not hold


def _keras_snake_case(name: str) -> str:
    """Keras's automatic layer name: ``UpSampling3D`` -> ``up_sampling3d`` (a digit does not
    start a new word)."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _argument_text(value):
    if isinstance(value, Tensor):
        return f"tf.Tensor(shape={value.shape}, dtype={value.dtype.name})"
    return repr(value)


def _raise_framed(layer, error, args, kwargs):
    """Keras's ``inject_argument_info_in_traceback``: raise an error of ``layer.call`` again, of
    its class, its message framed by the call's arguments (the innermost failing call only);
    returns where it leaves the error as it is."""
    if getattr(error, "_keras_call_info_injected", False):
        return
    signature = inspect.signature(layer.call)
    try:
        bound = signature.bind(*args, **kwargs).arguments
    except TypeError:
        return
    lines = []
    for key, param in signature.parameters.items():
        value = _map_structure(_argument_text, bound[key]) if key in bound else param.default
        lines.append(f"  \u2022 {key}={value}")
    if not lines:
        return
    name = f"{type(layer).__name__}.call()"
    message = getattr(error, "message", None) if hasattr(error, "node_def") else None
    if message is None:
        message = error.args[0] if error.args else ""
    message = (
        f"Exception encountered when calling {name}.\n\n\x1b[1m{message}\x1b[0m\n\n"
        f"Arguments received by {name}:\n" + "\n".join(lines)
    )
    try:
        if hasattr(error, "node_def"):  # an op's error keeps its node and op
            new = type(error)(error.node_def, getattr(error, "op", None), message)
        else:
            new = type(error)(message)
    except TypeError:  # an error class without the standard signature
        new = RuntimeError(message)
    new._keras_call_info_injected = True
    raise new.with_traceback(error.__traceback__) from None


def _is_float_tensor(x) -> bool:
    return isinstance(x, Tensor) and x.dtype.is_floating


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

    input_spec = None  # an InputSpec (or a list of them) that __call__ checks inputs against

    def __init__(self, *, trainable=True, dtype=None, autocast=True, name=None, **kwargs):
        activity_regularizer = kwargs.pop("activity_regularizer", None)
        input_shape = kwargs.pop("input_shape", None)
        input_dim = kwargs.pop("input_dim", None)
        batch_size = kwargs.pop("batch_size", None)
        if kwargs:
            raise TypeError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}"
            )
        if name is not None and not isinstance(name, str):
            raise ValueError(  # Keras's class and words
                "Argument `name` must be a string and cannot contain character `/`. "
                f"Received: name={name} (of type {type(name)})"
            )
        object.__setattr__(self, "_tracked_layers", [])
        self.name = name or _naming.unique_name(_keras_snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self._dtype_policy = dtype_policies.get(dtype)
        self.autocast = bool(autocast)
        self.built = False
        self._own_weights: list = []
        self._regularizers: dict = {}  # id(variable) -> regularizer
        self._added_losses: list = []
        self._input_shape_arg = None
        # Keras 3's base-layer ``activity_regularizer``: a loss on each output of a call
        # (divided by the batch size); layers that take it themselves (convolutions,
        # attention) apply their own and never pass it here.
        self._layer_activity_regularizer = regularizers.get(activity_regularizer)
        if not isinstance(getattr(type(self), "activity_regularizer", None), property):
            self.activity_regularizer = self._layer_activity_regularizer
        if input_shape is not None or input_dim is not None:
            shape = tuple(input_shape) if input_shape is not None else (int(input_dim),)
            self._input_shape_arg = (batch_size, *shape)
        self._build_input_shape = None
        params = list(inspect.signature(self.call).parameters)
        # Where ``training`` sits among call's arguments (None: call does not take it).
        self._training_pos = params.index("training") if "training" in params else None
        self._call_params = params

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_layer_scoped", False):
            cls.build = _scoped_build(build)  # weights built here are pathed under the layer

    def _open_name_scope(self):
        """A context in which the weights that layers build are pathed under this layer."""
        return _layer_scope(self)

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
    def dtype_policy(self):
        """The layer's ``DTypePolicy``."""
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value):
        self._dtype_policy = dtype_policies.get(value)

    @property
    def _dtype(self):
        """The variable dtype as a ``DType``."""
        return dtypes.as_dtype(self._dtype_policy.variable_dtype)

    @property
    def dtype(self) -> str:
        """The dtype of the layer's weights, as a string (Keras 3's ``variable_dtype``)."""
        return self._dtype_policy.variable_dtype

    @property
    def compute_dtype(self) -> str:
        """The dtype of the layer's computations and float outputs."""
        return self._dtype_policy.compute_dtype

    @property
    def variable_dtype(self) -> str:
        """The dtype of the layer's weights."""
        return self._dtype_policy.variable_dtype

    @property
    def _arithmetic_dtype(self) -> str:
        """The dtype ``call``'s arithmetic runs in: float32 for a 16-bit compute dtype."""
        compute = self._dtype_policy.compute_dtype
        return "float32" if compute in dtype_policies.HALF else compute

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
        if dtype.name in dtype_policies.HALF:  # drawn in float32, stored in 16 bits
            value = cast(convert_to_tensor(init(shape, dtype="float32"), dtype="float32"), dtype)
        else:
            value = init(shape, dtype=dtype)
        if not isinstance(value, Tensor):
            value = convert_to_tensor(value, dtype=dtype)
        if name is not None and (not isinstance(name, str) or "/" in name):
            raise ValueError(
                "Argument `name` must be a string and cannot contain character `/`. "
                f"Received: name={name}"
            )
        name = name or _naming.unique_name("variable")  # Keras: variable, variable_1, ...
        scopes = _scopes()
        owners = [layer.name for layer in scopes]
        if not scopes or scopes[-1] is not self:
            owners.append(self.name)
        var = keras_variable(
            value, name=name, path="/".join([*owners, name]), trainable=trainable, dtype=dtype,
            constraint=constraints.get(constraint),
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
        return [np.array(w) for w in self.weights]

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
    def _add_activity_losses(self, outputs):
        for output in _flatten(outputs):
            if isinstance(output, Tensor):
                loss = self._layer_activity_regularizer(output)
                if output.shape.rank:
                    batch = cast(_shape(output)[0], loss.dtype)
                    loss = _math.divide_no_nan(loss, batch)
                self.add_loss(loss)

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
        with _layer_scope(self):
            self.build(shapes)
        self.built = True

    def _convert_input(self, x):
        if isinstance(x, Tensor):
            if not x.dtype.is_floating:
                return x
            compute = self._dtype_policy.compute_dtype
            if self.autocast and x.dtype.name != compute:
                x = cast(x, compute)
            if x.dtype.name in dtype_policies.HALF:  # 16-bit floats are read in float32
                x = cast(x, "float32")
            return x
        if isinstance(x, Variable):
            return self._convert_input(x.value())
        if isinstance(x, np.ndarray | np.generic | list | float | int):
            arr = np.asarray(x)
            if self.autocast and arr.dtype.kind == "f":
                return self._convert_input(convert_to_tensor(arr, dtype=self.compute_dtype))
            return self._convert_input(convert_to_tensor(x))
        return x

    def _convert_output(self, x, returned):
        """An output of ``call`` in the dtype the caller sees: a sublayer's output returned as
        it is keeps that sublayer's dtype; a 16-bit policy's float32 results take its compute
        dtype."""
        if not _is_float_tensor(x):
            return x
        entry = returned.get(id(x))
        if entry is not None and entry[0] is x:
            target = entry[1]
        elif x.dtype.name == "float32" and self.compute_dtype in dtype_policies.HALF:
            target = self.compute_dtype
        else:
            return x
        return x if x.dtype.name == target else cast(x, target)

    @staticmethod
    def _to_caller(x, frame):
        """A sublayer's output as its caller's ``call`` reads it (16-bit floats in float32),
        remembered in the caller's ``frame`` with the dtype it has outside."""
        if not _is_float_tensor(x):
            return x
        dtype = x.dtype.name
        if dtype in dtype_policies.HALF:
            x = cast(x, "float32")
        frame[id(x)] = (x, dtype)
        return x

    @contextlib.contextmanager
    def _half_weights_in_float32(self):
        """Within a call, 16-bit trainable weights held as attributes (this layer's and its
        sublayers') read as float32 casts of themselves."""
        swapped, pending, seen = [], [self], set()
        while pending:
            layer = pending.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            pending.extend(layer._layers)
            half = {
                id(w) for w in layer._own_weights
                if w.trainable and w.dtype.name in dtype_policies.HALF
            }  # fmt: skip
            for name, value in list(layer.__dict__.items()) if half else ():
                if isinstance(value, Variable) and id(value) in half:
                    object.__setattr__(layer, name, cast(value, "float32"))
                    swapped.append((layer, name, value))
        try:
            yield
        finally:
            for layer, name, value in reversed(swapped):
                object.__setattr__(layer, name, value)

    def __call__(self, *args, **kwargs):  # Keras's signature: tf.function names it args_0
        if (
            len(args) == 1 and not kwargs and type(args[0]) is Tensor and self.built
            and self.input_spec is None
        ):  # fmt: skip
            outputs = self._plain_call(args[0])
            if outputs is not _NOT_PLAIN:
                return outputs
        if args:
            inputs, args = args[0], args[1:]
        else:  # the inputs by keyword: ``call``'s first argument's name, or ``inputs``
            first = self._call_params[0] if self._call_params else "inputs"
            key = first if first in kwargs else "inputs"
            if key not in kwargs:
                raise TypeError(f"{type(self).__name__}.__call__() received no inputs")
            inputs = kwargs.pop(key)
        from ._input import KerasTensor, symbolic_call

        if any(isinstance(x, KerasTensor) for x in _flatten(inputs)):
            assert_input_compatibility(self.input_spec, inputs, self.name)
            return symbolic_call(self, inputs, args, kwargs)
        if _is_nested_numbers(inputs):  # [[1.0, 2.0]] is one value, not a structure
            inputs = self._convert_input(np.asarray(inputs))
        else:
            inputs = _map_structure(lambda x: carry_mask(x, self._convert_input(x)), inputs)
        assert_input_compatibility(self.input_spec, inputs, self.name)
        if not self.built:  # Keras checks again after build, which may set the spec
            self._maybe_build(inputs)
            assert_input_compatibility(self.input_spec, inputs, self.name)
        self._populate_masks(inputs, args, kwargs)
        if kwargs.get("mask") is not None:
            previous_mask = kwargs["mask"]
        else:
            previous_mask = _map_structure(get_keras_mask, inputs)
        training = kwargs.pop("training", None)
        if training is None:
            training = call_context_training()
        pos = self._training_pos
        if pos is not None and len(args) + 1 <= pos:  # not already given by position
            kwargs["training"] = training
        self._added_losses = []
        frames = _frames()
        returned = {}  # id -> (tensor, dtype outside) of the sublayer outputs of this call
        frames.append(returned)
        if self._dtype_policy.variable_dtype in dtype_policies.HALF:
            weights_scope = self._half_weights_in_float32()
        else:
            weights_scope = contextlib.nullcontext()
        try:
            with _training_scope(training), weights_scope, _layer_scope(self):
                outputs = self.call(inputs, *args, **kwargs)
        except Exception as e:
            _raise_framed(self, e, (inputs, *args), kwargs)
            raise
        finally:
            frames.pop()
        outputs = _map_structure(
            lambda x: carry_mask(x, self._convert_output(x, returned)), outputs
        )
        if frames:
            outputs = _map_structure(
                lambda x: carry_mask(x, self._to_caller(x, frames[-1])), outputs
            )
        if self.__dict__.get("_layer_activity_regularizer") is not None:
            self._add_activity_losses(outputs)
        if self.supports_masking:
            self._set_mask_metadata(inputs, outputs, previous_mask)
        elif any(m is not None for m in _flatten(previous_mask)):
            warnings.warn(
                f"Layer '{self.name}' (of type {type(self).__name__}) was passed an input with a "
                "mask attached to it. However, this layer does not support masking and will "
                "therefore destroy the mask information. Downstream layers will not see the mask.",
                stacklevel=2,
            )
        return outputs

    def _plain_call(self, x):
        """``__call__``'s common case, with less work per call: one eager tensor without a mask,
        no other arguments, a built layer, no 16-bit dtypes, no cast of the input. Returns
        ``_NOT_PLAIN`` where the case does not hold."""
        policy = self._dtype_policy
        compute = policy.compute_dtype
        half = dtype_policies.HALF
        if compute in half or policy.variable_dtype in half:
            return _NOT_PLAIN
        dtype = x.dtype
        if dtype.is_floating and self.autocast and dtype.name != compute:
            return _NOT_PLAIN
        if _masked_tensors and get_keras_mask(x) is not None:
            return _NOT_PLAIN
        pos = self._training_pos
        kwargs = {"training": call_context_training()} if pos else {}  # after ``inputs``
        object.__setattr__(self, "_added_losses", [])
        frames = _frames()
        returned = {}
        frames.append(returned)
        scopes = _scopes()
        push = not scopes or scopes[-1] is not self
        if push:
            scopes.append(self)
        try:
            outputs = self.call(x, **kwargs)
        except Exception as e:
            _raise_framed(self, e, (x,), kwargs)
            raise
        finally:
            if push:
                scopes.pop()
            frames.pop()
        if returned or type(outputs) is not Tensor:  # sublayer outputs or a structure
            outputs = _map_structure(
                lambda y: carry_mask(y, self._convert_output(y, returned)), outputs
            )
        if frames:
            outputs = _map_structure(
                lambda y: carry_mask(y, self._to_caller(y, frames[-1])), outputs
            )
        if self.__dict__.get("_layer_activity_regularizer") is not None:
            self._add_activity_losses(outputs)
        if self.supports_masking and type(self).compute_mask is not Layer.compute_mask:
            self._set_mask_metadata(x, outputs, None)
        return outputs

    def _populate_masks(self, inputs, args, kwargs):
        """Fill ``mask=`` (one tensor argument) or ``<arg>_mask=`` (several) from the masks the
        tensor arguments carry, where ``call`` takes them and they are not given."""
        params = self._call_params
        named = dict(zip(params, (inputs, *args)))
        named.update(kwargs)
        tensors = {
            k: v for k, v in named.items()
            if "mask" not in k and any(isinstance(x, Tensor) for x in _flatten(v))
        }  # fmt: skip
        if len(tensors) == 1:
            if "mask" in params and named.get("mask") is None:
                masks = _map_structure(get_keras_mask, next(iter(tensors.values())))
                if any(m is not None for m in _flatten(masks)):
                    kwargs["mask"] = masks
            return
        for k, v in tensors.items():
            key = f"{k}_mask"
            if key in params and named.get(key) is None:
                masks = _map_structure(get_keras_mask, v)
                if any(m is not None for m in _flatten(masks)):
                    kwargs[key] = masks

    def _set_mask_metadata(self, inputs, outputs, previous_mask):
        flat = [x for x in _flatten(outputs) if isinstance(x, Tensor)]
        if not flat or all(get_keras_mask(x) is not None for x in flat):
            return
        masks = self.compute_mask(inputs, previous_mask)
        if masks is None:
            return
        for x, m in zip(_flatten(outputs), _flatten(masks)):
            if m is not None and isinstance(x, Tensor) and get_keras_mask(x) is None:
                set_keras_mask(x, m)

    # ---- masking ------------------------------------------------------------------------
    @property
    def supports_masking(self) -> bool:
        """Whether ``compute_mask`` gives the outputs a mask (by default: when it is overridden)."""
        value = self.__dict__.get("_supports_masking")
        if value is None:
            return type(self).compute_mask is not Layer.compute_mask
        return value

    @supports_masking.setter
    def supports_masking(self, value):
        object.__setattr__(self, "_supports_masking", bool(value))

    def compute_mask(self, inputs, previous_mask=None):
        """The output mask: ``previous_mask`` (Keras's default; only a layer that
        ``supports_masking`` attaches it to its outputs)."""
        return previous_mask

    def compute_output_shape(self, input_shape):
        """The output shape for an input shape; the default traces ``call`` (no kernel runs)."""
        from ._input import output_shape_by_tracing

        return output_shape_by_tracing(self, input_shape)

    def compute_output_spec(self, *args, **kwargs):
        """Output KerasTensors (shape and dtype) for inputs given as KerasTensors or TensorSpecs,
        as Keras's ``compute_output_spec``: from ``compute_output_shape`` where the layer
        defines it, otherwise from a trace of ``call`` (no kernel runs, unknown dims kept)."""
        from ._input import (
            KerasTensor,
            _as_spec,
            _overrides_output_shape,
            output_spec_by_tracing,
            spec_of,
        )  # fmt: skip

        if _overrides_output_shape(self):
            shapes = _map_structure(
                lambda x: tuple(_as_spec(x, "float32").shape.as_list()), args[0]
            )
            specs = spec_of(self.compute_output_shape(shapes), self.compute_dtype)
        else:
            specs = output_spec_by_tracing(self, *args, **kwargs)
        return _map_structure(lambda s: KerasTensor(s.shape.as_list(), s.dtype), specs)

    # ---- config -------------------------------------------------------------------------
    def get_config(self) -> dict:
        config = {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": dtype_policies.serialize(self._dtype_policy),  # Keras 3: always the dict
        }
        if self.__dict__.get("_layer_activity_regularizer") is not None:
            config["activity_regularizer"] = regularizers.serialize(
                self._layer_activity_regularizer
            )
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_build_config(self):
        return None if self._build_input_shape is None else {"input_shape": self._build_input_shape}

    def build_from_config(self, config):
        if config and config.get("input_shape") is not None and not self.built:
            with _layer_scope(self):
                self.build(config["input_shape"])
            self.built = True

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"
