"""Test utilities (Keras 3's ``keras.src.testing``): ``run_layer_test`` puts one layer through
the checks every layer owes its users."""

from ._layer_test import run_layer_test

__all__ = ["run_layer_test"]
