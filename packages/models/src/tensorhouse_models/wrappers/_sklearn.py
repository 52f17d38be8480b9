"""``SKLearnClassifier`` / ``SKLearnRegressor`` / ``SKLearnTransformer`` as Keras 3 defines
them: ``fit`` builds the model (a callable taking ``X`` and ``y``, or a clone of a model),
fits it on the validated data and keeps it as ``model_``; a classifier one-hot encodes its
targets and decodes the predictions back to the labels."""

from __future__ import annotations

import copy

import numpy as np

from .._model import Model
from ..models import clone_model

try:
    import sklearn
    import sklearn.pipeline
    import sklearn.preprocessing
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
    from sklearn.utils.multiclass import type_of_target as _sk_type_of_target
    from sklearn.utils.validation import check_is_fitted, validate_data
except ImportError:  # the classes still import; constructing one raises Keras's ImportError
    sklearn = None

    class BaseEstimator: ...

    class ClassifierMixin: ...

    class RegressorMixin: ...

    class TransformerMixin: ...


__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]


def _type_of_target(y):
    kind = _sk_type_of_target(y, input_name="")
    if kind == "unknown":
        raise ValueError(f"Unknown label type for data: {y!r}")
    return kind


class _TargetReshaper(TransformerMixin, BaseEstimator):
    """1-D targets to a column and back (for the one-hot encoder, which wants 2-D)."""

    def fit(self, y):
        self.ndim_ = y.ndim
        return self

    def transform(self, y):
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def inverse_transform(self, y):
        check_is_fitted(self)
        return np.squeeze(y, axis=1) if self.ndim_ == 1 and y.ndim == 2 else y


class _SKLBase(BaseEstimator):
    """The shared estimator: ``model`` (a compiled Model, or a callable returning one from
    ``X``, ``y`` and ``model_kwargs``), ``warm_start``, ``model_kwargs``, ``fit_kwargs``."""

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None):
        if sklearn is None:
            raise ImportError(
                f"{type(self).__name__} requires `scikit-learn` to be installed. "
                "Run `pip install scikit-learn` to install it."
            )
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags

    def __sklearn_clone__(self):
        model = self.model if callable(self.model) else copy.deepcopy(self.model)
        return type(self)(model=model, warm_start=self.warm_start,
                          model_kwargs=self.model_kwargs)  # fmt: skip

    @property
    def epoch_(self):
        """The current training epoch."""
        return getattr(self, "history_", {}).get("epoch", 0)

    def _get_model(self, X, y):
        if isinstance(self.model, Model):
            return clone_model(self.model)
        return self.model(X=X, y=y, **(self.model_kwargs or {}))

    def fit(self, X, y, **kwargs):
        """Build the model and fit it on ``X``, ``y`` (``kwargs`` go to ``model.fit``)."""
        X, y = validate_data(self, X, y)
        y = self._process_target(y, reset=True)
        model = self._get_model(X, y)
        if not model.compiled or not model.loss or not model.optimizer:
            raise RuntimeError(
                "Given model needs to be compiled, and have a loss and an optimizer."
            )
        fit_kwargs = self.fit_kwargs or {}
        fit_kwargs.update(kwargs)
        self.history_ = model.fit(X, y, **fit_kwargs)
        self.model_ = model
        return self

    def predict(self, X):
        """The model's predictions (a classifier's as labels)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self._target_encoder.inverse_transform(self.model_.predict(X))

    def _process_target(self, y, reset=False):
        _type_of_target(y)
        if reset:
            self._target_encoder = _TargetReshaper().fit(y)
        return self._target_encoder.transform(y)


class SKLearnClassifier(ClassifierMixin, _SKLBase):
    """Keras 3's scikit-learn classifier: targets one-hot encoded for ``fit``, predictions
    decoded to the labels in ``classes_``; ``decision_function`` gives the raw outputs."""

    def decision_function(self, X):
        """The model's raw outputs."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self.model_.predict(X)

    def _process_target(self, y, reset=False):
        kind = _type_of_target(y)
        if kind not in ("binary", "multiclass"):
            raise ValueError(
                f"Only binary and multiclass target types are supported. Target type: {kind}"
            )
        if reset:
            self._target_encoder = sklearn.pipeline.make_pipeline(
                _TargetReshaper(), sklearn.preprocessing.OneHotEncoder(sparse_output=False)
            ).fit(y)
            self.classes_ = np.unique(y)
            if len(self.classes_) == 1:
                raise ValueError("Classifier can't train when only one class is present.")
        return self._target_encoder.transform(y)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags


class SKLearnRegressor(RegressorMixin, _SKLBase):
    """Keras 3's scikit-learn regressor: the model's predictions, 1-D for 1-D targets."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags


class SKLearnTransformer(TransformerMixin, _SKLBase):
    """Keras 3's scikit-learn transformer: ``transform`` returns the model's outputs."""

    def transform(self, X):
        """The model's outputs for ``X``."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self.model_.predict(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags
