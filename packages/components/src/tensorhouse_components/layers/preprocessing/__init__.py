"""Preprocessing layers: normalization, discretization, category encoding, string and integer
lookup, hashing, text vectorization, rescaling, and image resizing, cropping and random
augmentation."""

from ._augment import (
    RandomElasticTransform,
    RandomErasing,
    RandomGaussianBlur,
    RandomPerspective,
    RandomShear,
)
from ._categorical import CategoryEncoding
from ._color import (
    AutoContrast,
    ContrastLimitedAdaptiveHistogramEqualization,
    Equalization,
    RandomColorDegeneration,
    RandomColorJitter,
    RandomGrayscale,
    RandomHue,
    RandomInvert,
    RandomPosterization,
    RandomSaturation,
    RandomSharpness,
    Solarization,
)
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
from ._mixing import AugMix, CutMix, MaxNumBoundingBoxes, MixUp, Pipeline, RandAugment
from ._numerical import Discretization, Normalization, Rescaling
from ._string_lookup import IntegerLookup, StringLookup
from ._text_vectorization import TextVectorization

__all__ = [
    "CategoryEncoding", "CenterCrop", "Discretization", "FeatureSpace", "HashedCrossing",
    "Hashing", "IntegerLookup", "Normalization",
    "RandomBrightness", "RandomContrast", "RandomCrop", "RandomFlip", "RandomRotation",
    "RandomTranslation", "RandomZoom", "Rescaling", "Resizing", "StringLookup",
    "TextVectorization",
    # geometric, mixing and composite augmentation (Keras 3.15)
    "AugMix", "CutMix", "MaxNumBoundingBoxes", "MixUp", "Pipeline", "RandAugment",
    "RandomElasticTransform", "RandomErasing", "RandomGaussianBlur", "RandomPerspective",
    "RandomShear",
]  # fmt: skip
__all__ += [  # colour augmentation
    "AutoContrast", "ContrastLimitedAdaptiveHistogramEqualization", "Equalization",
    "RandomColorDegeneration", "RandomColorJitter", "RandomGrayscale", "RandomHue",
    "RandomInvert", "RandomPosterization", "RandomSaturation", "RandomSharpness", "Solarization",
]  # fmt: skip
