"""``clone_model``: the same structure with new layers (and so new weights)."""

from __future__ import annotations

from tensorhouse_components import layers as layers_module
from tensorhouse_components.ops import nest

from ._functional import Functional, functional_like
from ._sequential import Sequential

__all__ = ["clone_model"]


def _default_clone(layer):
    return type(layer).from_config(layer.get_config())


def _check_layer(new, old):
    if not isinstance(new, layers_module.Layer):
        raise ValueError(
            "The clone_function passed to clone_model must return a Layer. Received: "
            f"{new!r} (of type {type(new).__name__}) for layer {old.name!r}"
        )
    return new


def _new_input(layer):
    return layers_module.Input(batch_shape=layer.batch_shape, dtype=layer.dtype, name=layer.name)


def clone_model(model, input_tensors=None, clone_function=None):
    """A new model with the structure of ``model`` and fresh weights; ``clone_function(layer)``
    makes each new layer (default: ``layer.__class__.from_config(layer.get_config())``); a
    compiled model's clone is compiled with the same configuration, as Keras's."""
    clone = clone_function or _default_clone
    if isinstance(model, Sequential | Functional):
        cloner = _clone_sequential if isinstance(model, Sequential) else _clone_functional
        new = cloner(model, input_tensors, clone)
        if model.compiled:
            new.compile_from_config(model.get_compile_config())
        return new
    raise ValueError(
        "Arguments clone_function and input_tensors are only supported for Sequential models "
        "or Functional models. Received model of type "
        f"'{type(model).__name__}'"
    )


def _clone_sequential(model, input_tensors, clone):
    new_layers = [_check_layer(clone(layer), layer) for layer in model._sequence]
    if input_tensors is not None:
        flat = nest.flatten(input_tensors)
        if len(flat) != 1:
            raise ValueError(
                "To clone a Sequential model, input_tensors must be a single tensor. "
                f"Received: {len(flat)} tensors"
            )
        first = flat[0]
        if not isinstance(first, layers_module.KerasTensor):
            raise ValueError(
                f"input_tensors must be Input(...) tensors (KerasTensors). Received: {first!r}"
            )
        new_layers.insert(0, first)
    elif model._input_layer is not None:
        new_layers.insert(0, _new_input(model._input_layer))
    new = Sequential(new_layers, name=model.name, trainable=model.trainable)
    if not new.built and model.built and model._build_input_shape is not None:
        new.build(model._build_input_shape)
    return new


def _clone_functional(model, input_tensors, clone):
    old_inputs = model.inputs
    if input_tensors is not None:
        given = nest.flatten(input_tensors)
        if len(given) != len(old_inputs):
            raise ValueError(
                f"input_tensors must give one tensor per model input ({len(old_inputs)}). "
                f"Received: {len(given)}"
            )
        for t in given:
            if not isinstance(t, layers_module.KerasTensor):
                raise ValueError(
                    f"input_tensors must be Input(...) tensors (KerasTensors). Received: {t!r}"
                )
        new_inputs = given
    else:
        new_inputs = [_new_input(t.node.layer) for t in old_inputs]
    values = {id(old): new for old, new in zip(old_inputs, new_inputs)}
    new_layers = {}

    def value_of(x):
        return values[id(x)] if isinstance(x, layers_module.KerasTensor) else x

    for node in model._nodes:
        if node.is_input:
            continue
        layer = node.layer
        if isinstance(layer, layers_module.Operation):  # an op node: the same op, new inputs
            op = layers_module.Operation(layer.fn, layer.op_config, layer.spec, name=layer.name)
            op_args, op_kwargs = nest.map_structure(value_of, node.arguments)
            out = op.symbolic_call(*op_args, **op_kwargs)
            for old, new in zip(nest.flatten(node.outputs), nest.flatten(out)):
                values[id(old)] = new
            continue
        if id(layer) not in new_layers:  # a shared layer is cloned once, and shared again
            new_layers[id(layer)] = _check_layer(clone(layer), layer)
        args = [nest.map_structure(value_of, a) for a in node.call_args]
        kwargs = {k: nest.map_structure(value_of, v) for k, v in node.call_kwargs.items()}
        out = new_layers[id(layer)](*args, **kwargs)
        for old, new in zip(nest.flatten(node.outputs), nest.flatten(out)):
            values[id(old)] = new

    def rebuild(struct, flat_new):
        flat_old = nest.flatten(struct)
        mapped = {id(o): n for o, n in zip(flat_old, flat_new)}
        return nest.map_structure(lambda t: mapped[id(t)], struct)

    inputs = rebuild(model._inputs_struct, new_inputs)
    outputs = nest.map_structure(value_of, model._outputs_struct)
    model_cls = type(model) if functional_like(type(model)) else Functional  # Keras's rule
    return model_cls(inputs, outputs, name=model.name, trainable=model.trainable)
