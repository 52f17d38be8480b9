"""TF's ``tf.autodiff``: reverse mode (``GradientTape``) and forward mode
(``ForwardAccumulator``)."""

from ._forwardprop import ForwardAccumulator
from ._tape import GradientTape

__all__ = ["ForwardAccumulator", "GradientTape"]
