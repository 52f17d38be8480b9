"""Keras 3's ``keras.export``: ``ExportArchive`` (serving endpoints written as a SavedModel);
and, beyond TF's own formats, ``to_onnx``, which writes a Keras model or a ``tf.function`` as
an ONNX file (needs the optional ``onnx`` package: ``tensorhouse[onnx]``)."""

from ._archive import ExportArchive
from ._onnx import to_onnx

__all__ = ["ExportArchive", "to_onnx"]
