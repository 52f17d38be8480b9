"""``tf.train``: the ``Example`` family of protobuf messages (wire-compatible with TF's), and
the fused optimizer updates (``fused_apply``) the Keras optimizers run."""

from ._example import (
    BytesList,
    Example,
    Feature,
    FeatureList,
    FeatureLists,
    Features,
    FloatList,
    Int64List,
    SequenceExample,
)
from ._optim import fused_apply, fused_apply_supported

__all__ = [
    "BytesList",
    "Example",
    "Feature",
    "FeatureList",
    "FeatureLists",
    "Features",
    "FloatList",
    "Int64List",
    "SequenceExample",
    "fused_apply",
    "fused_apply_supported",
]
