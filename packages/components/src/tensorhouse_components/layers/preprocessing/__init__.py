"""Preprocessing layers: normalization, discretization, category encoding, string and integer
lookup, hashing, text vectorization, rescaling, and image resizing, cropping and random
augmentation."""

from ._categorical import CategoryEncoding
from ._feature_space import FeatureSpace
from ._geometric import RandomRotation, RandomTranslation, RandomZoom
from ._hashing import HashedCrossing, Hashing
from ._image import (
    CenterCrop,
    RandomBrightness,
    RandomContrast,
    RandomCrop,
    RandomFlip,
    Resizing,
)
from ._numerical import Discretization, Normalization, Rescaling
from ._string_lookup import IntegerLookup, StringLookup
from ._text_vectorization import TextVectorization

__all__ = [
    "CategoryEncoding", "CenterCrop", "Discretization", "FeatureSpace", "HashedCrossing",
    "Hashing", "IntegerLookup", "Normalization",
    "RandomBrightness", "RandomContrast", "RandomCrop", "RandomFlip", "RandomRotation",
    "RandomTranslation", "RandomZoom", "Rescaling", "Resizing", "StringLookup",
    "TextVectorization",
]  # fmt: skip
