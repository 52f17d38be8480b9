"""Traced graphs as data (a tensorhouse addition): write a ``tf.function``'s graphs as versioned
JSON plus tensor bytes, and read them back as callables bound to restored variables. The
SavedModel writer of the models layer is built on this; the format is in ``_graph_io``."""

from ._graph_io import (
    FORMAT,
    VERSION,
    RestoredFunction,
    SignatureFunction,
    TensorStore,
    concrete_functions,
    deserialize_function,
    deserialize_signature,
    function_variables,
    serialize_function,
    serialize_signature,
)

__all__ = [
    "FORMAT", "VERSION", "RestoredFunction", "SignatureFunction", "TensorStore",
    "concrete_functions", "deserialize_function", "deserialize_signature",
    "function_variables", "serialize_function", "serialize_signature",
]  # fmt: skip
