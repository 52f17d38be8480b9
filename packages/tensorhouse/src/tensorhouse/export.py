"""``tensorhouse.export``: ``to_onnx`` (a tensorhouse addition; the optional ``onnx`` extra)."""

from tensorhouse_models import export as _export

to_onnx = _export.to_onnx

__all__ = ["to_onnx"]
