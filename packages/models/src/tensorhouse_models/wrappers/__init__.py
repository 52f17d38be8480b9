"""Keras 3's ``keras.wrappers``: scikit-learn estimators around a compiled Keras model
(scikit-learn is imported when this module is, on first use of ``keras.wrappers``)."""

from ._sklearn import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]
