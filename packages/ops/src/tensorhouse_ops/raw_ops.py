"""``tf.raw_ops``: TF's ops by op name, keyword arguments only (``_raw_ops`` defines them)."""

from ._raw_ops import OPS

globals().update(OPS)
__all__ = sorted(OPS)
del OPS
