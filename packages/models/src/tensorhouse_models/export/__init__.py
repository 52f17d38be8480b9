"""Export beyond TF's own formats: ``to_onnx`` writes a Keras model or a ``tf.function`` as an
ONNX file (needs the optional ``onnx`` package: ``tensorhouse[onnx]``)."""

from ._onnx import to_onnx

__all__ = ["to_onnx"]
