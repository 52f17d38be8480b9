"""keras.wrappers as Keras 3.15 has them: SKLearnClassifier / SKLearnRegressor /
SKLearnTransformer around a model-building callable (or a compiled model, cloned), checked
with scikit-learn's own estimator checks as Keras's tests use them."""

import importlib

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
from sklearn import datasets  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.utils import estimator_checks as checks  # noqa: E402

QUIET = {"epochs": 2, "verbose": 0}


class DynamicModel:
    """Keras's test model builder (a picklable callable: the library is named, not held)."""

    def __init__(self, library):
        self.library = library

    def __call__(self, X, y, loss, out_activation_function="softmax"):
        k = importlib.import_module(self.library).keras
        inp = k.Input(shape=(X.shape[1],))
        hidden = k.layers.Dense(10, activation="relu")(inp)
        out = k.layers.Dense(y.shape[1] if y.ndim > 1 else 1, activation=out_activation_function)
        model = k.Model(inp, out(hidden))
        model.compile(loss=loss, optimizer="rmsprop")
        return model


def _estimators(tf):
    w, build = tf.keras.wrappers, DynamicModel(tf.__name__)
    return [
        w.SKLearnClassifier(
            build, model_kwargs={"loss": "categorical_crossentropy"}, fit_kwargs=dict(QUIET)
        ),
        w.SKLearnRegressor(
            build,
            model_kwargs={"loss": "mse", "out_activation_function": None},
            fit_kwargs=dict(QUIET),
        ),
        w.SKLearnTransformer(build, model_kwargs={"loss": "mse"}, fit_kwargs=dict(QUIET)),
    ]


SKLEARN_CHECKS = [
    "check_estimators_dtypes",
    "check_fit_score_takes_y",
    "check_estimators_fit_returns_self",
    "check_estimators_empty_data_messages",
    "check_estimators_nan_inf",
    "check_fit2d_1sample",
    "check_fit1d",
    "check_get_params_invariance",
    "check_set_params",
    "check_n_features_in",
    "check_dont_overwrite_parameters",
    "check_fit_check_is_fitted",
    "check_estimators_unfitted",
    "check_no_attributes_set_in_init",
]


@pytest.mark.parametrize("index", [0, 1, 2], ids=["classifier", "regressor", "transformer"])
@pytest.mark.parametrize("check", SKLEARN_CHECKS)
def test_sklearn_checks(tf, index, check):
    est = _estimators(tf)[index]
    getattr(checks, check)(type(est).__name__, est)


def test_pickle_round_trip(tf):
    est = _estimators(tf)[1]
    checks.check_estimators_pickle(type(est).__name__, est)


def test_classifier_labels_and_decision_function(tf):
    X, y = datasets.make_classification(
        n_samples=24, n_features=5, n_informative=3, n_classes=3, random_state=0
    )
    labels = np.array(["ant", "bee", "cat"])[y]
    est = _estimators(tf)[0].fit(X, labels)
    np.testing.assert_array_equal(est.classes_, ["ant", "bee", "cat"])
    raw = est.decision_function(X)
    assert raw.shape == (24, 3)
    np.testing.assert_allclose(raw.sum(axis=1), 1.0, rtol=1e-5)  # softmax outputs
    np.testing.assert_array_equal(est.predict(X), est.classes_[raw.argmax(axis=1)])
    assert est.history_.epoch == [0, 1] and est.n_features_in_ == 5
    with pytest.raises(ValueError, match="only one class is present"):
        clone(est).fit(X, np.zeros(24))
    with pytest.raises(ValueError, match="Only binary and multiclass target types"):
        clone(est).fit(X, np.linspace(0.0, 1.0, 24))


def test_regressor_and_transformer_outputs(tf):
    X, y = datasets.make_regression(n_samples=20, n_features=4, random_state=0)
    reg = _estimators(tf)[1].fit(X, y)
    pred = reg.predict(X)
    assert pred.shape == (20,)
    np.testing.assert_allclose(pred, np.ravel(reg.model_.predict(X, verbose=0)), rtol=1e-6)
    with pytest.raises(ValueError, match="y should be a 1d array"):
        _estimators(tf)[1].fit(X, np.stack([y, -y], axis=1))
    trs = _estimators(tf)[2].fit(X, y)
    np.testing.assert_allclose(trs.transform(X), trs.model_.predict(X, verbose=0), rtol=1e-6)
    assert trs.transform(X).shape == (20, 1)


def test_compiled_model_is_cloned_and_checked(tf):
    k = tf.keras
    X, y = datasets.make_regression(n_samples=16, n_features=3, random_state=1)
    model = k.Sequential([k.Input((3,)), k.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    est = k.wrappers.SKLearnRegressor(model, fit_kwargs=dict(QUIET)).fit(X, y)
    assert est.model_ is not model and est.model_.compiled
    bare = k.Sequential([k.Input((3,)), k.layers.Dense(1)])
    with pytest.raises(RuntimeError, match="needs to be compiled, and have a loss"):
        k.wrappers.SKLearnRegressor(bare).fit(X, y)
    params = clone(est).get_params()
    assert sorted(params) == ["fit_kwargs", "model", "model_kwargs", "warm_start"]
    assert params["fit_kwargs"] is None  # Keras's __sklearn_clone__ drops fit_kwargs
