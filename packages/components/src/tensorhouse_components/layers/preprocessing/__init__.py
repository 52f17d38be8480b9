"""Preprocessing layers (the numeric ones): normalization, discretization, category encoding,
integer lookup, rescaling, and image resizing, cropping and random augmentation."""

from ._categorical import CategoryEncoding, IntegerLookup
from ._geometric import RandomRotation, RandomTranslation, RandomZoom
from ._image import (
    CenterCrop,
    RandomBrightness,
    RandomContrast,
    RandomCrop,
    RandomFlip,
    Resizing,
)
from ._numerical import Discretization, Normalization, Rescaling

__all__ = [
    "CategoryEncoding", "CenterCrop", "Discretization", "IntegerLookup", "Normalization",
    "RandomBrightness", "RandomContrast", "RandomCrop", "RandomFlip", "RandomRotation",
    "RandomTranslation", "RandomZoom", "Rescaling", "Resizing",
]  # fmt: skip
