"""Losses and metrics against NumPy references."""

import numpy as np
import pytest

from tensorhouse_components import losses, metrics, ops

RNG = np.random.default_rng(42)
Y_TRUE = RNG.normal(size=(8, 3)).astype(np.float32)
Y_PRED = RNG.normal(size=(8, 3)).astype(np.float32)


def test_mean_squared_error_matches_numpy():
    per_sample = np.mean((Y_TRUE - Y_PRED) ** 2, axis=-1)
    np.testing.assert_allclose(losses.mean_squared_error(Y_TRUE, Y_PRED).numpy(), per_sample,
                               rtol=1e-6)  # fmt: skip
    assert losses.mse is losses.mean_squared_error
    loss = losses.MeanSquaredError()(Y_TRUE, Y_PRED)
    assert loss.shape.as_list() == []
    np.testing.assert_allclose(float(loss), per_sample.mean(), rtol=1e-6)
    np.testing.assert_allclose(float(losses.get("mse")(Y_TRUE, Y_PRED).numpy().mean()),
                               per_sample.mean(), rtol=1e-6)  # fmt: skip


def test_mse_reductions_and_sample_weight():
    per_sample = np.mean((Y_TRUE - Y_PRED) ** 2, axis=-1)
    w = np.arange(8, dtype=np.float32)
    np.testing.assert_allclose(
        float(losses.MeanSquaredError(reduction="sum")(Y_TRUE, Y_PRED)), per_sample.sum(),
        rtol=1e-5,
    )  # fmt: skip
    none = losses.MeanSquaredError(reduction=None)(Y_TRUE, Y_PRED).numpy()
    np.testing.assert_allclose(none, per_sample, rtol=1e-6)
    weighted = losses.MeanSquaredError()(Y_TRUE, Y_PRED, sample_weight=w)
    np.testing.assert_allclose(float(weighted), (per_sample * w).sum() / 8, rtol=1e-5)
    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="avg")


def test_labels_of_rank_one_are_expanded_like_keras():
    y = np.array([1.0, 2.0, 3.0], np.float32)
    p = np.array([[1.5], [2.0], [2.0]], np.float32)
    np.testing.assert_allclose(float(losses.MeanSquaredError()(y, p)), (0.25 + 0 + 1) / 3,
                               rtol=1e-6)  # fmt: skip


def test_mean_absolute_error():
    expected = np.mean(np.abs(Y_TRUE - Y_PRED))
    np.testing.assert_allclose(float(losses.MeanAbsoluteError()(Y_TRUE, Y_PRED)), expected,
                               rtol=1e-6)  # fmt: skip


def test_binary_crossentropy_probabilities_and_logits():
    z = (RNG.uniform(size=(6, 2)) > 0.5).astype(np.float32)
    logits = RNG.normal(scale=3, size=(6, 2)).astype(np.float32)
    p = 1 / (1 + np.exp(-logits))
    p_clipped = np.clip(p, 1e-7, 1 - 1e-7)
    ref = np.mean(-(z * np.log(p_clipped) + (1 - z) * np.log(1 - p_clipped)))
    np.testing.assert_allclose(float(losses.BinaryCrossentropy()(z, p)), ref, rtol=1e-4)
    ref_logits = np.mean(np.maximum(logits, 0) - logits * z + np.log1p(np.exp(-np.abs(logits))))
    np.testing.assert_allclose(float(losses.BinaryCrossentropy(from_logits=True)(z, logits)),
                               ref_logits, rtol=1e-5)  # fmt: skip


def test_categorical_and_sparse_crossentropy():
    logits = RNG.normal(size=(5, 4)).astype(np.float32)
    labels = np.array([0, 3, 1, 1, 2])
    onehot = np.eye(4, dtype=np.float32)[labels]
    log_p = logits - logits.max(-1, keepdims=True)
    log_p = log_p - np.log(np.exp(log_p).sum(-1, keepdims=True))
    ref = -np.mean(log_p[np.arange(5), labels])
    cce = losses.CategoricalCrossentropy(from_logits=True)(onehot, logits)
    scce = losses.SparseCategoricalCrossentropy(from_logits=True)(labels, logits)
    np.testing.assert_allclose([float(cce), float(scce)], [ref, ref], rtol=1e-5)
    probs = np.exp(log_p)
    np.testing.assert_allclose(float(losses.CategoricalCrossentropy()(onehot, probs)), ref,
                               rtol=1e-4)  # fmt: skip


def test_loss_gradient():
    p = ops.Variable(np.array([[1.0], [3.0]], np.float32))
    y = np.array([[0.0], [1.0]], np.float32)
    with ops.GradientTape() as tape:
        loss = losses.MeanSquaredError()(y, p)
    # d/dp mean((p - y)^2) = 2 (p - y) / n
    np.testing.assert_allclose(tape.gradient(loss, p).numpy(), [[1.0], [2.0]], rtol=1e-6)


def test_loss_get_and_errors():
    assert isinstance(losses.get("MeanSquaredError"), losses.MeanSquaredError)
    assert losses.get("mae") is losses.mean_absolute_error
    config = losses.BinaryCrossentropy(from_logits=True).get_config()
    clone = losses.deserialize(losses.serialize(losses.BinaryCrossentropy(from_logits=True)))
    assert clone.get_config() == config
    with pytest.raises(ValueError, match="'msee'"):
        losses.get("msee")


def test_mean_metric_streams_and_resets():
    m = metrics.Mean()
    m.update_state([1.0, 2.0, 3.0])
    m.update_state(np.array([10.0], np.float32))
    np.testing.assert_allclose(float(m.result()), 4.0)
    m.update_state([2.0], sample_weight=[4.0])
    np.testing.assert_allclose(float(m.result()), (16 + 8) / 8)
    m.reset_state()
    assert float(m.result()) == 0.0


def test_mse_and_mae_metrics_accumulate_over_batches():
    mse, mae = metrics.MeanSquaredError(), metrics.MeanAbsoluteError()
    for a, b in ((Y_TRUE[:5], Y_PRED[:5]), (Y_TRUE[5:], Y_PRED[5:])):
        mse.update_state(a, b)
        mae.update_state(a, b)
    np.testing.assert_allclose(float(mse.result()), np.mean((Y_TRUE - Y_PRED) ** 2), rtol=1e-5)
    np.testing.assert_allclose(float(mae.result()), np.mean(np.abs(Y_TRUE - Y_PRED)), rtol=1e-5)
    assert mse.name == "mean_squared_error"
    rmse = metrics.RootMeanSquaredError()
    rmse.update_state(Y_TRUE, Y_PRED)
    np.testing.assert_allclose(float(rmse.result()), np.sqrt(np.mean((Y_TRUE - Y_PRED) ** 2)),
                               rtol=1e-5)  # fmt: skip


def test_accuracies():
    acc = metrics.BinaryAccuracy()
    acc.update_state([[1.0], [0.0], [1.0], [0.0]], [[0.9], [0.2], [0.4], [0.7]])
    np.testing.assert_allclose(float(acc.result()), 0.5)
    sacc = metrics.SparseCategoricalAccuracy()
    sacc.update_state([2, 0, 1], [[0.1, 0.2, 0.7], [0.8, 0.1, 0.1], [0.6, 0.3, 0.1]])
    np.testing.assert_allclose(float(sacc.result()), 2 / 3, rtol=1e-6)
    cacc = metrics.CategoricalAccuracy()
    cacc.update_state([[0, 1], [1, 0]], [[0.3, 0.7], [0.2, 0.8]])
    np.testing.assert_allclose(float(cacc.result()), 0.5)


def test_metric_get():
    assert metrics.get("mse") is losses.mean_squared_error
    assert isinstance(metrics.get("MeanAbsoluteError"), metrics.MeanAbsoluteError)
    with pytest.raises(ValueError, match="'precision_at_k'"):
        metrics.get("precision_at_k")
