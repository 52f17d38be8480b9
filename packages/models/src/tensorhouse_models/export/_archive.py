"""Keras 3's ``keras.export.ExportArchive``: serving endpoints, tracked layers and variable
collections written as one SavedModel (tensorhouse's layout, ``saving/_saved_model.py``) that
``tf.saved_model.load`` reads back with each endpoint a method of the loaded object."""

from __future__ import annotations

import os

from tensorhouse_components import layers as layers_module
from tensorhouse_components import ops

from ..saving import _saved_model as _sm

__all__ = ["ExportArchive"]

_PROPERTIES = ("variables", "trainable_variables", "non_trainable_variables")


class _Root:
    """What is written: the endpoints, the tracked variables and the variable collections."""

    def __init__(self):
        for name in _PROPERTIES:
            setattr(self, name, [])


def _tensor_spec(x):
    """Keras's ``make_tf_tensor_spec``: a TensorSpec from a TensorSpec, an InputSpec, a
    KerasTensor or a tensor (the last two with any batch size)."""
    if isinstance(x, ops.TensorSpec):
        return x
    if isinstance(x, layers_module.InputSpec):
        if x.shape is None or x.dtype is None:
            raise ValueError(f"The `shape` and `dtype` must be provided. Received: x={x}")
        return ops.TensorSpec(x.shape, x.dtype, x.name)
    if isinstance(x, layers_module.KerasTensor) or ops.is_tensor(x):
        name = x.name if isinstance(x, layers_module.KerasTensor) else None
        return ops.TensorSpec((None, *tuple(x.shape)[1:]), x.dtype, name)
    raise TypeError(
        f"Unsupported x={x} of the type ({type(x)}). Supported types are: "
        "`keras.InputSpec`, `keras.KerasTensor` and backend tensor."
    )


class ExportArchive:
    """Keras 3's: ``track`` layers, ``add_endpoint`` serving functions and
    ``add_variable_collection`` variables, then ``write_out`` a SavedModel whose loaded
    object has each endpoint as a method (the first one also as ``serving_default``)."""

    def __init__(self, format="saved_model"):  # noqa: A002
        if format == "neptune_model":
            raise NotImplementedError(
                "ExportArchive(format='neptune_model') is not supported by tensorhouse."
            )
        if format != "saved_model":
            raise ValueError(f"Unsupported format: {format}")
        self._endpoint_names = []
        self._endpoint_signatures = {}
        self._root = _Root()

    @property
    def variables(self):
        return self._root.variables

    @property
    def trainable_variables(self):
        return self._root.trainable_variables

    @property
    def non_trainable_variables(self):
        return self._root.non_trainable_variables

    def track(self, resource):
        """Track a layer's or model's variables (saved and restored as the archive's
        ``variables`` / ``trainable_variables`` / ``non_trainable_variables``); a ``tf.Module``
        is accepted and adds nothing (its variables are saved when an endpoint uses them)."""
        if isinstance(resource, ops.Module) and not isinstance(resource, layers_module.Layer):
            return
        if not isinstance(resource, layers_module.Layer):
            raise ValueError(
                "Invalid resource type. Expected a Keras `Layer` or `Model` or a TensorFlow "
                f"`Trackable` object. Received object {resource} of type '{type(resource)}'. "
            )
        if not resource.built:
            raise ValueError(
                "The layer provided has not yet been built. It must be built before export."
            )
        for name in _PROPERTIES:
            getattr(self._root, name).extend(getattr(resource, name))

    def add_endpoint(self, name, fn, input_signature=None, **kwargs):
        """Register ``fn`` (traced with ``input_signature``, or a tf.function traced at least
        once) as the endpoint ``name``; returns the tf.function."""
        if name in self._endpoint_names:
            raise ValueError(f"Endpoint name '{name}' is already taken.")
        if "jax2tf_kwargs" in kwargs or "is_static" in kwargs:
            raise ValueError(
                "'jax2tf_kwargs' and 'is_static' are only supported with the jax backend. "
                "Current backend: tensorflow"
            )
        if input_signature is None:
            if not isinstance(fn, ops.Function):
                raise ValueError(
                    "If the `fn` argument provided is not a `tf.function`, you must provide "
                    "an `input_signature` argument to specify the shape and dtype of the "
                    "function arguments. Example:\n\nexport_archive.add_endpoint(\n"
                    "    name='call',\n    fn=model.call,\n    input_signature=[\n"
                    "        keras.InputSpec(\n            shape=(None, 224, 224, 3),\n"
                    "            dtype='float32',\n        )\n    ],\n)"
                )
            if not ops.graph_io.concrete_functions(fn):
                raise ValueError(
                    f"The provided tf.function '{fn}' has never been called. To specify the "
                    "expected shape and dtype of the function's arguments, you must either "
                    "provide a function that has been called at least once, or alternatively "
                    "pass an `input_signature` argument in `add_endpoint()`."
                )
            decorated = fn
        else:
            input_signature = ops.nest.map_structure(_tensor_spec, input_signature)
            decorated = ops.function(fn, input_signature=input_signature, autograph=False)
            self._endpoint_signatures[name] = input_signature
        setattr(self._root, name, decorated)
        self._endpoint_names.append(name)
        return decorated

    def track_and_add_endpoint(self, name, resource, input_signature, **kwargs):
        """``track(resource)`` then ``add_endpoint(name, resource.__call__, ...)``."""
        self.track(resource)
        return self.add_endpoint(name, resource.__call__, input_signature, **kwargs)

    def add_variable_collection(self, name, variables):
        """Save ``variables`` (a list, tuple or set) as the loaded object's attribute
        ``name``."""
        if not isinstance(variables, list | tuple | set):
            raise ValueError(
                "Expected `variables` to be a list/tuple/set. "
                f"Received instead object of type '{type(variables)}'."
            )
        if not all(isinstance(v, ops.Variable) for v in variables):
            raise ValueError(
                "Expected all elements in `variables` to be `tf.Variable` instances. Found "
                f"instead the following types: {list(set(type(v) for v in variables))}"
            )
        setattr(self._root, name, list(variables))

    def write_out(self, filepath, options=None, verbose=True):
        """Write the SavedModel: every endpoint is also a signature, and the first one is
        ``serving_default`` too unless an endpoint already has that name."""
        if not self._endpoint_names:
            raise ValueError("No endpoints have been set yet. Call add_endpoint().")
        endpoints = {name: getattr(self._root, name) for name in self._endpoint_names}
        signatures = {name: _signature(fn) for name, fn in endpoints.items()}
        signatures.setdefault("serving_default", signatures[self._endpoint_names[0]])
        saver = _sm._Saver()
        walker = _sm._Walker(saver)
        walker.node(self._root)
        walker.objects[0]["class_name"] = "_UserObject"
        _sm._save(walker.objects, saver, signatures, os.fspath(filepath))
        if verbose:
            text = "\n\n".join(_describe(fn, name) for name, fn in endpoints.items())
            print(
                f"Saved artifact at '{filepath}'. The following endpoints are available:\n\n{text}"
            )


def _signature(fn):
    """The function a signature serves: a tf.function with an input_signature, else its
    first concrete function (Keras's ``_get_concrete_fn``)."""
    if fn.input_signature is not None:
        return fn
    return ops.graph_io.concrete_functions(fn)[0]


def _describe(fn, name):
    concrete = ops.graph_io.concrete_functions(fn)[0]
    lines = concrete.pretty_printed_signature().split("\n")
    return "\n".join([f"* Endpoint '{name}'", *lines[1:]])
