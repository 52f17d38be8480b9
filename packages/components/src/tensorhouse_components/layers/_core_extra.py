"""More core layers: ``Embedding``, ``Masking``, ``Lambda``, ``Identity``, ``EinsumDense``."""

from __future__ import annotations

import inspect
import re

from tensorhouse_ops import cast, gather, not_equal, reduce_any
from tensorhouse_ops.nest import map_structure

from .. import _serialization, activations, constraints, initializers, regularizers
from ._args import einsum, initializer, per_batch, regularizer_config, unsupported
from ._layer import Layer

__all__ = ["EinsumDense", "Embedding", "Identity", "Lambda", "Masking"]


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(
            f"`{name}` must be a positive integer. Received: {name}={value!r} "
            f"(of type {type(value).__name__})."
        )
    return value


def _add_activity_loss(layer, outputs):
    """Keras 3's activity regularization: the penalty of the output over the batch size."""
    if layer.activity_regularizer is None:
        return
    loss = layer.activity_regularizer(outputs)
    layer.add_loss(per_batch(loss, outputs) if outputs.shape.rank else loss)


class Embedding(Layer):
    """Maps integer ids in ``[0, input_dim)`` to rows of an ``(input_dim, output_dim)`` matrix.

    With ``mask_zero=True``, ``compute_mask`` marks the id 0 as padding (so ``input_dim`` should
    count it).
    """

    def __init__(
        self,
        input_dim,
        output_dim,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero=False,
        weights=None,
        lora_rank=None,
        lora_alpha=None,
        quantization_config=None,
        **kwargs,
    ):
        kwargs.pop("input_length", None)  # Keras 2's argument, ignored by Keras 3
        activity_regularizer = kwargs.pop("activity_regularizer", None)
        super().__init__(**kwargs)
        unsupported(self, lora_rank=lora_rank, lora_alpha=lora_alpha,
                    quantization_config=quantization_config)  # fmt: skip
        self.input_dim = _positive_int(input_dim, "input_dim")
        self.output_dim = _positive_int(output_dim, "output_dim")
        self.embeddings_initializer = initializer(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.embeddings = None
        if weights is not None:
            self.build()
            self.built = True
            if not (isinstance(weights, list) and len(weights) == 1):
                weights = [weights]
            self.set_weights(weights)

    def build(self, input_shape=None):
        if self.embeddings is not None:
            return
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer,
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
            name="embeddings",
        )
        self.built = True

    def call(self, inputs):
        if inputs.dtype.name not in ("int32", "int64"):
            inputs = cast(inputs, "int32")
        outputs = gather(self.embeddings, inputs, axis=0)
        _add_activity_loss(self, outputs)
        return outputs

    def compute_mask(self, inputs, previous_mask=None):
        """``inputs != 0`` when ``mask_zero``, else None."""
        if not self.mask_zero:
            return None
        return not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape), self.output_dim)

    def get_config(self):
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizer_config(self.embeddings_regularizer),
            "activity_regularizer": regularizer_config(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "quantization_config": None,
        }


class Masking(Layer):
    """Masks the timesteps whose features all equal ``mask_value``: they come out as zeros and
    ``compute_mask`` is False there."""

    supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value

    def compute_mask(self, inputs, previous_mask=None):
        """True for the timesteps with any feature different from ``mask_value``."""
        return reduce_any(not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs):
        keep = reduce_any(not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        return inputs * cast(keep, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}


class Identity(Layer):
    """Returns its input unchanged (any structure)."""

    supports_masking = True

    def __init__(self, **kwargs):  # Keras's signature: the base layer's arguments by name
        super().__init__(**kwargs)

    def call(self, inputs):
        return map_structure(lambda x: x, inputs)

    def compute_output_shape(self, input_shape):
        return input_shape


def _function_reference(fn, what):
    """A named function as Keras's reference dict; lambdas and other code cannot be stored."""
    name = getattr(fn, "__name__", None)
    if not inspect.isfunction(fn) or name is None or name == "<lambda>":
        raise ValueError(
            f"Cannot serialize the {what} of a Lambda layer: {fn!r} is not a named function. "
            "Python code (lambdas, bytecode) is never stored in a config; define the function "
            "with `def` and pass it to `from_config` / `deserialize` via `custom_objects` or "
            "`register_serializable`."
        )
    return {"module": fn.__module__, "class_name": "function", "config": name,
            "registered_name": "function"}  # fmt: skip


def _resolve_function(ref, custom_objects, what):
    """A function from a reference dict or name, looked up in custom_objects / registrations."""
    if ref is None or callable(ref):
        return ref
    name = ref.get("config") if isinstance(ref, dict) else ref
    if not isinstance(name, str):
        raise ValueError(f"Could not deserialize the {what} of a Lambda layer: {ref!r}")
    fn = (custom_objects or {}).get(name) or _serialization._CUSTOM.get(name)
    if fn is None:
        raise ValueError(
            f"Unknown function {name!r} for the {what} of a Lambda layer. Pass it in "
            "`custom_objects` or register it with `register_serializable`; functions are "
            "never imported by path."
        )
    return fn


class Lambda(Layer):
    """Wraps a Python callable as a layer: ``Lambda(fn)(x) == fn(x, **arguments)``.

    ``get_config`` stores a named function by name only (lambdas raise), and ``from_config``
    finds it in ``custom_objects`` or among registered objects.
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"`function` must be callable. Received: function={function!r}")
        self.function = function
        self.arguments = dict(arguments or {})
        self._output_shape = output_shape
        self.mask = mask
        self.supports_masking = mask is not None
        params = inspect.signature(function).parameters
        self._fn_takes_mask = "mask" in params
        self._fn_takes_training = "training" in params

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_takes_mask:
            kwargs["mask"] = mask
        if self._fn_takes_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, previous_mask=None):
        if callable(self.mask):
            return self.mask(inputs, previous_mask)
        return self.mask

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return tuple(self._output_shape(input_shape))
        first = input_shape
        while first and isinstance(first[0], list | tuple):
            first = first[0]
        return (first[0] if first else None, *tuple(self._output_shape))

    def get_config(self):
        def ref(value, what):
            if callable(value):
                return _function_reference(value, what)
            return list(value) if isinstance(value, tuple) else value

        cfg = {**super().get_config(), "function": _function_reference(self.function, "function")}
        if self._output_shape is not None:
            cfg["output_shape"] = ref(self._output_shape, "output_shape")
        if self.mask is not None:
            cfg["mask"] = ref(self.mask, "mask")
        cfg["arguments"] = dict(self.arguments)
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["function"] = _resolve_function(config["function"], custom_objects, "function")
        for key in ("output_shape", "mask"):
            if isinstance(config.get(key), dict):
                config[key] = _resolve_function(config[key], custom_objects, key)
        return cls(**config)


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_PLAIN = re.compile(r"^([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$")
_LEFT = re.compile(r"^\.\.\.([a-zA-Z]+),([a-zA-Z]+)->\.\.\.([a-zA-Z]+)$")
_RIGHT = re.compile(r"^([a-zA-Z]{2,})\.\.\.,([a-zA-Z]+)->([a-zA-Z]{2,})\.\.\.$")


def _einsum_plan(equation, bias_axes, input_shape, output_shape):
    """Kernel shape, bias shape (or None), full output shape, and the equation with any
    ``...`` written out in spare letters, for an EinsumDense input of ``input_shape``."""
    eq = equation.replace(" ", "")
    patterns = ((_PLAIN, "plain"), (_LEFT, "left"), (_RIGHT, "right"))
    found = [(p.match(eq), mode) for p, mode in patterns if p.match(eq)]
    if not found:
        raise ValueError(
            "Invalid einsum equation for EinsumDense: it must be of the form 'ab,bc->ac', "
            f"'...ab,bc->...ac' or 'ab...,bc->ac...'. Received: equation={equation!r}"
        )
    match, mode = found[0]
    in_spec, k_spec, out_spec = match.groups()
    rank = len(input_shape)
    elided = rank - len(in_spec)
    if (mode == "plain" and elided != 0) or elided < 0:
        raise ValueError(
            f"EinsumDense equation {equation!r} does not fit an input of rank {rank} "
            f"(input_shape={tuple(input_shape)})"
        )
    given = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    batch = input_shape[0]
    if mode == "left":
        full = [batch, *input_shape[1:elided], *given]
    elif mode == "right":
        full = [batch, *given, *input_shape[rank - elided :]]
    else:
        full = [batch, *given]
    end_aligned = mode == "left"

    def index(spec, i, total):
        return i - len(spec) + total if end_aligned else i

    in_pos = {c: index(in_spec, i, rank) for i, c in enumerate(in_spec)}
    out_pos = {c: index(out_spec, i, len(full)) for i, c in enumerate(out_spec)}
    if len(out_spec) > len(full) or max(out_pos.values()) >= len(full):
        raise ValueError(
            f"`output_shape` {tuple(given)} does not fit the output spec {out_spec!r} of "
            f"equation {equation!r}"
        )
    for c in in_spec:
        if c in out_pos:
            want, have = full[out_pos[c]], input_shape[in_pos[c]]
            if want is not None and have is not None and want != have:
                raise ValueError(
                    f"Input shape and output shape do not match at shared dimension '{c}'. "
                    f"Input shape is {have}, and output shape is {want}."
                )
            if want is None:
                full[out_pos[c]] = have
    for c in out_spec:
        if c not in in_spec and c not in k_spec:
            raise ValueError(
                f"Dimension '{c}' was specified in the output '{out_spec}' but has no "
                f"corresponding dim in the input spec '{in_spec}' or weight spec '{k_spec}'"
            )
    kernel_shape = []
    for c in k_spec:
        if c in in_pos:
            kernel_shape.append(input_shape[in_pos[c]])
        elif c in out_pos:
            kernel_shape.append(full[out_pos[c]])
        else:
            raise ValueError(
                f"Weight dimension '{c}' did not have a match in either the input spec "
                f"'{in_spec}' or the output spec '{out_spec}'. For this layer, the weight must "
                "be fully specified."
            )
    bias_shape = None
    if bias_axes:
        for c in bias_axes:
            if c not in out_spec:
                raise ValueError(
                    f"Bias dimension '{c}' was requested, but is not part of the output spec "
                    f"'{out_spec}'"
                )
        first = min(out_spec.index(c) for c in bias_axes)
        bias_shape = [full[out_pos[c]] if c in bias_axes else 1 for c in out_spec[first:]]
        if mode == "right":
            bias_shape += [1] * elided
    spare = "".join(c for c in _LETTERS if c not in eq)[:elided]
    if mode == "left":
        explicit = f"{spare}{in_spec},{k_spec}->{spare}{out_spec}"
    elif mode == "right":
        explicit = f"{in_spec}{spare},{k_spec}->{out_spec}{spare}"
    else:
        explicit = eq
    return kernel_shape, bias_shape, tuple(full), explicit


class EinsumDense(Layer):
    """A dense layer written as an einsum: ``activation(einsum(equation, x, kernel) + bias)``.

    ``output_shape`` is the output's shape without the batch axis (None entries are taken from
    the input); ``bias_axes`` names the output letters that get a bias.
    """

    def __init__(
        self,
        equation,
        output_shape,
        activation=None,
        bias_axes=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        lora_rank=None,
        lora_alpha=None,
        gptq_unpacked_column_size=None,
        quantization_config=None,
        **kwargs,
    ):
        activity_regularizer = kwargs.pop("activity_regularizer", None)
        super().__init__(**kwargs)
        unsupported(self, lora_rank=lora_rank, lora_alpha=lora_alpha,
                    gptq_unpacked_column_size=gptq_unpacked_column_size,
                    quantization_config=quantization_config)  # fmt: skip
        if not isinstance(equation, str):
            raise TypeError(f"`equation` must be a string. Received: equation={equation!r}")
        self.equation = equation
        if isinstance(output_shape, int):
            self.partial_output_shape = (output_shape,)
        else:
            self.partial_output_shape = tuple(output_shape)
        self.activation = activations.get(activation)
        self.bias_axes = bias_axes
        self.kernel_initializer = initializer(kernel_initializer)
        self.bias_initializer = initializer(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel = None
        self.bias = None
        self.full_output_shape = None
        self._explicit = None

    def build(self, input_shape):
        kernel_shape, bias_shape, full, explicit = _einsum_plan(
            self.equation, self.bias_axes, tuple(input_shape), self.partial_output_shape
        )
        self.full_output_shape = full
        self._explicit = explicit
        self.kernel = self.add_weight(
            shape=kernel_shape, initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint, name="kernel",
        )  # fmt: skip
        if bias_shape is not None:
            self.bias = self.add_weight(
                shape=bias_shape, initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint, name="bias",
            )  # fmt: skip
        self.built = True

    def call(self, inputs):
        if not inputs.dtype.is_floating:
            inputs = cast(inputs, self._arithmetic_dtype)
        out = einsum(self._explicit, inputs, self.kernel)
        if self.bias is not None:
            out = out + self.bias
        out = self.activation(out)
        _add_activity_loss(self, out)
        return out

    def compute_output_shape(self, input_shape):
        return _einsum_plan(
            self.equation, self.bias_axes, tuple(input_shape), self.partial_output_shape
        )[2]

    def get_config(self):
        return {
            **super().get_config(),
            "output_shape": self.partial_output_shape,
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizer_config(self.kernel_regularizer),
            "bias_regularizer": regularizer_config(self.bias_regularizer),
            "activity_regularizer": regularizer_config(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "quantization_config": None,
        }
