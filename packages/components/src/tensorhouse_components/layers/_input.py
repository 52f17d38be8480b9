"""Symbolic tensors: ``Input`` returns a ``KerasTensor`` that records a shape and a dtype.

Calling a layer on a KerasTensor builds the layer for that shape and returns a new KerasTensor
for the output shape, without computing anything; each such call is kept as a ``Node``, so the
models layer can rebuild the graph from the outputs (the Functional API) and Sequential can
build all its layers as soon as it knows its input shape.
"""

from __future__ import annotations

import inspect

from tensorhouse_ops import TensorSpec, dtypes, function, zeros
from tensorhouse_ops.nest import flatten, pack_sequence_as

from .. import _naming, _serialization, tree
from ._layer import Layer, _flatten, _map_structure

__all__ = [
    "Input",
    "InputLayer",
    "KerasTensor",
    "Node",
    "Operation",
    "apply_operation",
    "deserialize_operation",
    "is_operation_config",
    "serialize_operation",
]

_FALLBACK_ERRORS = (ValueError, TypeError, NotImplementedError, IndexError)


class Node:
    """One call of a layer on symbolic inputs: ``layer(*call_args, **call_kwargs) -> outputs``."""

    def __init__(self, layer, call_args=(), call_kwargs=None, outputs=None):
        self.layer = layer
        self.call_args = tuple(call_args)
        self.call_kwargs = dict(call_kwargs or {})
        self.outputs = outputs
        self.input_tensors = [
            x for x in _flatten(list(self.call_args)) if isinstance(x, KerasTensor)
        ]

    @property
    def is_input(self) -> bool:
        return not self.input_tensors

    @property
    def arguments(self):
        """``(args, kwargs)`` as Keras 3 records the call (an operation's own arguments)."""
        if isinstance(self.layer, Operation):
            return self.layer.arguments
        return self.call_args, self.call_kwargs

    def __repr__(self):
        return f"<Node layer={self.layer.name} inputs={len(self.input_tensors)}>"


class KerasTensor:
    """A symbolic tensor: a shape (``None`` for unknown dims), a dtype and the node made it."""

    def __init__(self, shape, dtype="float32", name=None, node=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = dtypes.as_dtype(dtype).name
        self.name = name
        self.node = node  # the Node whose outputs include this tensor

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def _keras_history(self):
        return (self.node.layer, 0, 0) if self.node is not None else None

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __bool__(self):
        raise TypeError(
            "A symbolic KerasTensor has no truth value; use it as the input of a layer or model"
        )

    def numpy(self):
        raise TypeError(
            f"A symbolic KerasTensor ({self}) has no value: call a model or layer on real "
            "data (NumPy arrays or tensors) to get one"
        )

    # Operators record an ``Operation`` node through ``keras.ops``, as Keras 3's do (``y = x * 2``
    # in a functional model). ``==`` and hashing stay by identity: models keep KerasTensors in
    # sets and dicts.
    __array_priority__ = 100  # NumPy hands ``array * x`` to ``x.__rmul__``

    def __add__(self, other):
        return _keras_op("add", self, other)

    def __radd__(self, other):
        return _keras_op("add", other, self)

    def __sub__(self, other):
        return _keras_op("subtract", self, other)

    def __rsub__(self, other):
        return _keras_op("subtract", other, self)

    def __mul__(self, other):
        return _keras_op("multiply", self, other)

    def __rmul__(self, other):
        return _keras_op("multiply", other, self)

    def __truediv__(self, other):
        return _keras_op("true_divide", self, other)

    def __rtruediv__(self, other):
        return _keras_op("true_divide", other, self)

    def __floordiv__(self, other):
        return _keras_op("floor_divide", self, other)

    def __rfloordiv__(self, other):
        return _keras_op("floor_divide", other, self)

    def __mod__(self, other):
        return _keras_op("mod", self, other)

    def __rmod__(self, other):
        return _keras_op("mod", other, self)

    def __pow__(self, other):
        return _keras_op("power", self, other)

    def __rpow__(self, other):
        return _keras_op("power", other, self)

    def __matmul__(self, other):
        return _keras_op("matmul", self, other)

    def __rmatmul__(self, other):
        return _keras_op("matmul", other, self)

    def __neg__(self):
        return _keras_op("negative", self)

    def __abs__(self):
        return _keras_op("absolute", self)

    def __invert__(self):
        return _keras_op("logical_not", self)

    def __and__(self, other):
        return _keras_op("logical_and", self, other)

    def __or__(self, other):
        return _keras_op("logical_or", self, other)

    def __xor__(self, other):
        return _keras_op("logical_xor", self, other)

    def __lt__(self, other):
        return _keras_op("less", self, other)

    def __le__(self, other):
        return _keras_op("less_equal", self, other)

    def __gt__(self, other):
        return _keras_op("greater", self, other)

    def __ge__(self, other):
        return _keras_op("greater_equal", self, other)

    def __getitem__(self, key):
        return _keras_op("get_item", self, key)

    def __iter__(self):
        raise TypeError(f"A symbolic KerasTensor ({self}) cannot be iterated over")

    __hash__ = object.__hash__


def _keras_op(name, *args):
    from .. import keras_ops

    return getattr(keras_ops, name)(*args)


_CONFIG_TYPES = (str, int, float, bool, type(None))


class Operation(Layer):
    """A tensor function applied to KerasTensors (an operator, ``keras.ops.*``): one node of a
    functional graph, as Keras 3's ``Operation``. Its inputs are the KerasTensors among the
    call arguments, in order; the other arguments are kept as given. A ``keras.ops`` function
    saves as Keras's class for it: its constructor arguments in ``config``."""

    def __init__(self, fn, config=None, spec=None, name=None):
        super().__init__(autocast=False, name=name)
        self.fn = fn
        self.spec = spec  # the keras_ops OpSpec, or None for a function Keras cannot save
        self.op_config = dict(config or {})
        self._structure = ((), {})

    @property
    def arguments(self):
        """The call's ``(args, kwargs)`` as given, KerasTensors included."""
        return self._structure

    def symbolic_call(self, *args, **kwargs):
        """``self(*args, **kwargs)`` on KerasTensors: the output KerasTensors."""
        self._structure = (tuple(args), dict(kwargs))
        return self([x for x in flatten(self._structure) if isinstance(x, KerasTensor)])

    def call(self, tensors):
        given = iter(tensors if isinstance(tensors, list | tuple) else [tensors])
        flat = [next(given) if isinstance(x, KerasTensor) else x for x in _flat_args(self)]
        args, kwargs = pack_sequence_as(self._structure, flat)
        if self.spec is not None:  # by name: Keras's call order is not always the function's
            n = len(self.spec.call_args)
            kwargs = dict(zip(self.spec.call_args, args)) | kwargs
            if self.spec.call_varargs:  # the rest go in order, after the leading arguments
                return _call_with_varargs(self.fn, kwargs | self.op_config, args[n:])
            args = ()
        return self.fn(*args, **kwargs, **self.op_config)

    def get_config(self):
        values = flatten(self.op_config)
        if self.spec is None or not all(isinstance(v, _CONFIG_TYPES) for v in values):
            raise NotImplementedError(
                f"The operation {self.name!r} ({getattr(self.fn, '__name__', self.fn)!r}) "
                "applied to KerasTensors cannot be serialized: its function is not a keras.ops "
                "function, or it was given arguments other than numbers, strings and lists of "
                "them. Wrap it in a layer (a registered Layer subclass) to save the model"
            )
        return {"name": self.name, **self.op_config}

    @classmethod
    def from_config(cls, config):
        raise NotImplementedError(
            "An Operation is rebuilt from its module and class name: use deserialize_operation"
        )


def _call_with_varargs(fn, named, rest):
    """``fn(<its leading parameters from named>, *rest, **<the other named>)``."""
    named, lead = dict(named), []
    for p in inspect.signature(fn).parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            break
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            lead.append(named.pop(p.name, p.default))
    return fn(*lead, *rest, **named)


def serialize_operation(op):
    """Keras 3's dict for an operation node: ``module``, ``class_name``, ``config``."""
    config = op.get_config()
    return {
        "module": op.spec.module,
        "class_name": op.spec.class_name,
        "config": config,
        "registered_name": op.spec.class_name,
    }


def is_operation_config(config) -> bool:
    """Whether a layer dict of a functional config is a Keras operation (``keras.src.ops.*``)."""
    return isinstance(config, dict) and str(config.get("module", "")).startswith("keras.src.ops.")


def deserialize_operation(config):
    """An ``Operation`` from Keras 3's dict, its class looked up by module and class name in a
    fixed table (nothing in the dict is imported or run)."""
    from .. import keras_ops
    from ..keras_ops import _op_table

    module, class_name = config.get("module"), config.get("class_name")
    spec = _op_table.spec_for_class(module, class_name)
    if spec is None:
        raise ValueError(
            f"Could not deserialize '{module}.{class_name}': it is not a Keras operation this "
            f"library knows. Full object config: {config}"
        )
    inner = dict(config.get("config") or {})
    name = inner.pop("name", None)
    unknown = sorted(set(inner) - set(spec.init_args))
    if unknown:
        raise TypeError(
            f"{class_name}.__init__() got unexpected keyword arguments {unknown}; it takes "
            f"{list(spec.init_args)}. Received config: {config.get('config')}"
        )
    return Operation(keras_ops._operation_function(spec), inner, spec, name=name)


def _flat_args(op):
    return flatten(op._structure)


def apply_operation(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` where some arguments are KerasTensors: a new ``Operation`` node
    and its output KerasTensors. A ``keras.ops`` function's arguments split as Keras's class
    for it splits them: the tensors to ``call``, the rest to the config."""
    from .. import keras_ops
    from ..keras_ops import _op_table

    spec = keras_ops._operation_spec(fn)
    if spec is None:
        op = Operation(fn, name=_operation_name(getattr(fn, "__name__", "operation")))
        return op.symbolic_call(*args, **kwargs)
    signature = inspect.signature(fn)
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    values = dict(bound.arguments)
    for p in signature.parameters.values():
        if p.kind is p.VAR_KEYWORD:
            values |= values.pop(p.name, {})
    config = {k: values[k] for k in spec.init_args if k in values}
    if any(isinstance(v, KerasTensor) for v in flatten(config)):  # Keras cannot save it either
        op = Operation(fn, name=_operation_name(_serialization.snake_case(spec.class_name)))
        return op.symbolic_call(*args, **kwargs)
    call_kwargs = {k: values.get(k) for k in spec.call_kwargs}
    config = _op_table.normalize_config(spec, config)
    op = Operation(fn, config, spec, name=_operation_name(_serialization.snake_case(
        spec.class_name)))  # fmt: skip
    rest = values.get(spec.call_varargs, ()) if spec.call_varargs else ()
    return op.symbolic_call(*[values.get(k) for k in spec.call_args], *rest, **call_kwargs)


def _operation_name(base):
    return _naming.unique_name(base.strip("_") or "operation")


def has_keras_tensor(args, kwargs) -> bool:
    """Whether a KerasTensor is among ``args`` / ``kwargs`` (or one list level inside them)."""
    for a in (*args, *kwargs.values()):
        if isinstance(a, KerasTensor):
            return True
        if isinstance(a, list | tuple) and any(isinstance(b, KerasTensor) for b in a):
            return True
    return False


class InputLayer(Layer):
    """The layer behind ``Input``: its ``output`` is a KerasTensor of ``batch_shape``."""

    def __init__(
        self,
        shape=None,
        batch_size=None,
        dtype=None,
        sparse=None,
        ragged=None,
        batch_shape=None,
        input_tensor=None,
        optional=False,
        name=None,
        **kwargs,
    ):
        for arg, value in (("sparse", sparse), ("ragged", ragged), ("optional", optional)):
            if value:
                raise NotImplementedError(f"Input({arg}=True) is not supported in this release")
        if input_tensor is not None:
            raise NotImplementedError("Input(input_tensor=...) is not supported in this release")
        super().__init__(name=name, dtype=dtype, **kwargs)
        if shape is not None and batch_shape is not None:
            raise ValueError("Pass `shape` or `batch_shape` to Input, not both.")
        if batch_shape is None:
            if shape is None:
                raise ValueError(
                    "You must pass a `shape` argument to Input (the shape of one sample, "
                    "without the batch dimension), e.g. Input(shape=(2,))."
                )
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size, *tuple(shape))
        self.batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        self.output = KerasTensor(self.batch_shape, self.dtype, name=self.name)
        self.output.node = Node(self, (), {}, self.output)
        self.built = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            "batch_shape": self.batch_shape,
            "dtype": self.dtype,
            "sparse": False,
            "ragged": False,
            "name": self.name,
            "optional": False,
        }


def Input(
    shape=None, batch_size=None, dtype=None, sparse=None, ragged=None, batch_shape=None,
    name=None, tensor=None, optional=False,
):  # fmt: skip
    """A symbolic input: ``Input(shape=(2,))`` is a KerasTensor of shape ``(None, 2)``."""
    layer = InputLayer(
        shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse, batch_shape=batch_shape,
        name=name, ragged=ragged, optional=optional, input_tensor=tensor,
    )  # fmt: skip
    return layer.output


def _is_shape(s) -> bool:
    return isinstance(s, tuple | list) and all(d is None or isinstance(d, int) for d in s)


def symbolic_call(layer, inputs, args, kwargs):
    """``layer(KerasTensor)``: build for the input shape, return KerasTensors for the output."""
    shapes = _map_structure(lambda t: t.shape if isinstance(t, KerasTensor) else t, inputs)
    if not layer.built:
        layer._build_input_shape = shapes
        layer.build(shapes)
        layer.built = True
    node = Node(layer, (inputs, *args), kwargs)
    if _overrides_output_shape(layer) and not _overrides(layer, "compute_output_spec"):
        out_shape = layer.compute_output_shape(shapes)
        dtype = layer.compute_dtype

        def make(shape):
            return KerasTensor(shape, dtype, name=layer.name, node=node)

        if _is_shape(out_shape):
            outputs = make(out_shape)
        else:
            outputs = _map_structure_shapes(make, out_shape)
    else:  # the output specs of ``call`` traced on the inputs' specs

        def make(out):
            return KerasTensor(out.shape, out.dtype, name=layer.name, node=node)

        try:
            specs = layer.compute_output_spec(inputs, *args, **kwargs)
        except _FALLBACK_ERRORS:  # ``call`` cannot be traced with these unknown dims: run it
            specs = spec_of(output_shape_by_running(layer, shapes), layer.compute_dtype)
        outputs = _map_structure(make, specs)
    node.outputs = outputs
    return outputs


def _overrides(layer, method):
    """Whether the layer's class defines its own ``method``."""
    return getattr(type(layer), method) is not getattr(Layer, method)


def _overrides_output_shape(layer):
    return _overrides(layer, "compute_output_shape")


def _as_spec(x, dtype):
    """A KerasTensor (its shape and dtype) or a shape tuple (of ``dtype``) as a TensorSpec."""
    if isinstance(x, TensorSpec):
        return x
    if isinstance(x, KerasTensor):
        return TensorSpec(x.shape, x.dtype)
    return TensorSpec(tuple(x), dtype)


def spec_of(shapes, dtype):
    """A shape, or a structure of shapes, as TensorSpecs of ``dtype``."""
    if _is_shape(shapes):
        return TensorSpec(tuple(shapes), dtype)
    return _map_structure_shapes(lambda s: TensorSpec(s, dtype), shapes)


def _layer_tree(layer):
    out, pending, seen = [], [layer], set()
    while pending:
        lay = pending.pop()
        if id(lay) not in seen:
            seen.add(id(lay))
            out.append(lay)
            pending.extend(getattr(lay, "_layers", []))
    return out


def output_spec_by_tracing(layer, *args, **kwargs):
    """The output TensorSpecs of ``layer(*args, **kwargs)``, where the inputs are TensorSpecs
    (or KerasTensors): ``call`` traced by ``function`` with those specs, unknown dims kept, no
    kernel run. ``training`` defaults to False; the layer's losses are left as they were."""
    kwargs.setdefault("training", False)
    structure = [list(args), kwargs]
    leaves = flatten(structure)
    leaves = [TensorSpec(x.shape, x.dtype) if isinstance(x, KerasTensor) else x for x in leaves]
    traced = [isinstance(x, TensorSpec) for x in leaves]
    first = next((x for x in leaves if isinstance(x, TensorSpec)), None)
    if not layer.built and first is not None:  # built eagerly, not inside the trace
        shapes = _map_structure(
            lambda x: tuple(x.shape.as_list()) if isinstance(x, TensorSpec) else x, args[0]
        )
        layer._build_input_shape = shapes
        layer.build(shapes)
        layer.built = True

    def call(*tensors):
        fed = iter(tensors)
        values = [next(fed) if t else x for x, t in zip(leaves, traced)]
        call_args, call_kwargs = pack_sequence_as(structure, values)
        return layer(*call_args, **call_kwargs)

    tree = _layer_tree(layer)
    losses = [list(lay._added_losses) for lay in tree]
    try:
        specs = [x for x, t in zip(leaves, traced) if t]
        concrete = function(call).get_concrete_function(*specs)
    finally:
        for lay, kept in zip(tree, losses):
            lay._added_losses = kept
    return _map_structure(lambda t: TensorSpec(t.shape, t.dtype), concrete.structured_outputs)


def output_shape_by_tracing(layer, input_shape):
    """A layer's output shape for an input shape (``None`` for unknown dims), read from a trace
    of ``call``; where ``call`` cannot be traced with those unknown dims (an op that needs them,
    such as ``conv2d_transpose``'s output shape or an RNN's unrolled steps), or where a fully
    known input gives unknown output dims, the shape found by running it on zeros."""
    dtype = layer._arithmetic_dtype
    if _is_shape(input_shape):
        specs = _as_spec(input_shape, dtype)
    else:
        specs = _map_structure_shapes(lambda s: _as_spec(s, dtype), input_shape)
    try:
        out = output_spec_by_tracing(layer, specs)
    except _FALLBACK_ERRORS:
        return output_shape_by_running(layer, input_shape)
    shapes = _map_structure(lambda spec: tuple(spec.shape.as_list()), flatten(out))
    known_in = all(None not in s.shape.as_list() for s in flatten(specs))
    if known_in and any(None in s for s in shapes):
        # a fully known input whose trace lost a dim (the ops layer does not fold a shape
        # computed from ``shape(x)``): run it, as Keras's TF backend would know the dim
        return output_shape_by_running(layer, input_shape)
    return _map_structure(lambda spec: tuple(spec.shape.as_list()), out)


def _map_structure_shapes(fn, shapes):
    """``fn(shape)`` on each shape (a tuple) of a structure of shapes (``keras.tree``'s)."""
    return tree.map_shape_structure(lambda s: fn(tuple(s)), shapes)


def output_shape_by_running(layer, input_shape):
    """A layer's output shape found by calling it on zeros (batch and unknown dims as 1): the
    fallback where ``call`` cannot be traced."""

    def zeros_for(shape):
        return zeros([1 if d is None else d for d in shape], dtype=layer._arithmetic_dtype)

    if _is_shape(input_shape):
        sample = zeros_for(input_shape)
    else:
        sample = _map_structure_shapes(zeros_for, input_shape)
    out = layer(sample, training=False)
    first = input_shape
    while not _is_shape(first):
        first = next(iter(first.values())) if isinstance(first, dict) else first[0]
    batch = first[0] if first else None

    def shape_of(t):
        dims = t.shape.as_list()
        return tuple([batch, *dims[1:]]) if dims else ()

    return _map_structure(shape_of, out)
