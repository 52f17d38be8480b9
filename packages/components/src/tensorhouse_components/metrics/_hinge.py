"""Hinge metrics: ``Hinge``, ``SquaredHinge`` and ``CategoricalHinge``."""

from __future__ import annotations

from ..losses import categorical_hinge, hinge, squared_hinge
from ._reduction import MeanMetricWrapper, PlainConfig

__all__ = ["CategoricalHinge", "Hinge", "SquaredHinge"]


class Hinge(PlainConfig, MeanMetricWrapper):
    """The mean hinge loss."""

    def __init__(self, name="hinge", dtype=None):
        super().__init__(hinge, name=name, dtype=dtype)


class SquaredHinge(PlainConfig, MeanMetricWrapper):
    """The mean squared hinge loss."""

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, name=name, dtype=dtype)


class CategoricalHinge(PlainConfig, MeanMetricWrapper):
    """The mean categorical hinge loss of one-hot labels."""

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, name=name, dtype=dtype)
