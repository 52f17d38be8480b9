"""keras.losses against NumPy references: every loss, every reduction, sample weights, logits,
label smoothing, ignore_class, masks; eager == traced; gradients against central differences."""

import warnings

import numpy as np
import pytest

from tensorhouse_components import losses, ops

EPS = 1e-7
RNG = np.random.default_rng(7)
N, C = 5, 4
REG_T = RNG.normal(size=(N, C)).astype(np.float32)
REG_P = RNG.normal(size=(N, C)).astype(np.float32)
POS_T = RNG.uniform(0.0, 3.0, size=(N, C)).astype(np.float32)
POS_P = RNG.uniform(0.05, 3.0, size=(N, C)).astype(np.float32)
BIN_T = (RNG.uniform(size=(N, C)) > 0.5).astype(np.float32)
PROBS = RNG.uniform(0.02, 1.0, size=(N, C)).astype(np.float32)
DIST = (PROBS / PROBS.sum(-1, keepdims=True))[::-1].copy()
LOGITS = RNG.normal(scale=2.0, size=(N, C)).astype(np.float32)
LABELS = np.array([0, 3, 1, 1, 2])
ONEHOT = np.eye(C, dtype=np.float32)[LABELS]
SW = np.array([1.0, 0.5, 2.0, 0.0, 1.5], np.float32)
REDUCTIONS = ["sum_over_batch_size", "sum", "none", None, "mean", "mean_with_sample_weight"]


# ---- NumPy references (float64) ----------------------------------------------------------
def _f64(*xs):
    return [np.asarray(x, np.float64) for x in xs]


def _log_softmax(x, axis=-1):
    x = x - x.max(axis, keepdims=True)
    return x - np.log(np.exp(x).sum(axis, keepdims=True))


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def ref_mse(t, p):
    t, p = _f64(t, p)
    return ((t - p) ** 2).mean(-1)


def ref_mae(t, p):
    t, p = _f64(t, p)
    return np.abs(t - p).mean(-1)


def ref_mape(t, p):
    t, p = _f64(t, p)
    return 100 * (np.abs(t - p) / np.maximum(np.abs(t), EPS)).mean(-1)


def ref_msle(t, p):
    t, p = _f64(t, p)
    return ((np.log1p(np.maximum(p, EPS)) - np.log1p(np.maximum(t, EPS))) ** 2).mean(-1)


def ref_huber(t, p, delta=1.0):
    t, p = _f64(t, p)
    e = np.abs(p - t)
    return np.where(e <= delta, 0.5 * e**2, delta * e - 0.5 * delta**2).mean(-1)


def ref_log_cosh(t, p):
    t, p = _f64(t, p)
    return np.log(np.cosh(p - t)).mean(-1)


def ref_cosine(t, p, axis=-1):
    t, p = _f64(t, p)
    tn = t / np.linalg.norm(t, axis=axis, keepdims=True)
    pn = p / np.linalg.norm(p, axis=axis, keepdims=True)
    return -(tn * pn).sum(axis)


def _smooth(t, ls, n):
    return t * (1 - ls) + ls / n


def _bce_elements(t, p, from_logits):
    if from_logits:  # -log(sigmoid(x)) = logaddexp(0, -x)
        return t * np.logaddexp(0, -p) + (1 - t) * np.logaddexp(0, p)
    p = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p))


def ref_bce(t, p, from_logits=False, label_smoothing=0.0, axis=-1):
    t, p = _f64(t, p)
    return _bce_elements(_smooth(t, label_smoothing, 2), p, from_logits).mean(axis)


def ref_bfce(t, p, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
             label_smoothing=0.0, axis=-1):  # fmt: skip
    t, p = _f64(t, p)
    t = _smooth(t, label_smoothing, 2)
    p = _sigmoid(p) if from_logits else p
    focal = (1 - (t * p + (1 - t) * (1 - p))) ** gamma * _bce_elements(t, p, False)
    if apply_class_balancing:
        focal = focal * (t * alpha + (1 - t) * (1 - alpha))
    return focal.mean(axis)


def ref_cce(t, p, from_logits=False, label_smoothing=0.0, axis=-1):
    t, p = _f64(t, p)
    t = _smooth(t, label_smoothing, t.shape[-1])
    if from_logits:
        return -(t * _log_softmax(p, axis)).sum(axis)
    q = np.clip(p / p.sum(axis, keepdims=True), EPS, 1 - EPS)
    return -(t * np.log(q)).sum(axis)


def ref_cfce(t, p, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1):
    t, p = _f64(t, p)
    t = _smooth(t, label_smoothing, t.shape[-1])
    p = np.exp(_log_softmax(p, axis)) if from_logits else p
    q = np.clip(p / p.sum(axis, keepdims=True), EPS, 1 - EPS)
    return (alpha * (1 - q) ** gamma * -t * np.log(q)).sum(axis)


def ref_scce(labels, p, from_logits=False, ignore_class=None):
    (p,) = _f64(p)
    labels = np.asarray(labels).reshape(p.shape[:-1])
    logits = p if from_logits else np.log(np.clip(p, EPS, 1 - EPS))
    safe = np.where(labels == ignore_class, 0, labels) if ignore_class is not None else labels
    out = -np.take_along_axis(_log_softmax(logits), safe[..., None], -1)[..., 0]
    return np.where(labels == ignore_class, 0.0, out) if ignore_class is not None else out


def ref_kld(t, p):
    t, p = _f64(t, p)
    t, p = np.clip(t, EPS, 1), np.clip(p, EPS, 1)
    return (t * np.log(t / p)).sum(-1)


def ref_poisson(t, p):
    t, p = _f64(t, p)
    return (p - t * np.log(p + EPS)).mean(-1)


def _signed(t):
    return 2 * t - 1 if np.isin(t, (0, 1)).all() else t


def ref_hinge(t, p):
    t, p = _f64(t, p)
    return np.maximum(1 - _signed(t) * p, 0).mean(-1)


def ref_squared_hinge(t, p):
    t, p = _f64(t, p)
    return (np.maximum(1 - _signed(t) * p, 0) ** 2).mean(-1)


def ref_categorical_hinge(t, p):
    t, p = _f64(t, p)
    return np.maximum(((1 - t) * p).max(-1) - (t * p).sum(-1) + 1, 0)


def ref_dice(t, p, axis=None):
    t, p = _f64(t, p)
    return 1 - 2 * (t * p).sum(axis) / (t.sum(axis) + p.sum(axis) + EPS)


def ref_tversky(t, p, alpha=0.5, beta=0.5, axis=None):
    t, p = _f64(t, p)
    tp, fp, fn = (t * p).sum(axis), ((1 - p) * t).sum(axis), (p * (1 - t)).sum(axis)
    return 1 - tp / (tp + alpha * fp + beta * fn + EPS)


def ref_cgce(labels, p, q):
    (p,) = _f64(p)
    picked = p[np.arange(len(labels)), labels]
    return (1 - picked**q) / q


def ref_reduce(values, weights, reduction, valid=None):
    """Keras's reduction of per-sample values (``valid``: the ignore_class mask)."""
    values = np.asarray(values, np.float64)
    if valid is not None:
        scale = valid.size / valid.sum() if reduction in ("sum_over_batch_size", "mean") else 1
        mask = valid * scale
        weights = mask if weights is None else weights * mask
    if weights is not None:
        values = values * weights
    if reduction in ("none", None):
        return values
    if reduction == "sum":
        return values.sum()
    if reduction == "mean_with_sample_weight" and weights is not None:
        return values.sum() / np.sum(weights)
    return values.sum() / values.size


# (id, class, kwargs, reference, y_true, y_pred)
CASES = [
    ("mse", losses.MeanSquaredError, {}, ref_mse, REG_T, REG_P),
    ("mae", losses.MeanAbsoluteError, {}, ref_mae, REG_T, REG_P),
    ("mape", losses.MeanAbsolutePercentageError, {}, ref_mape, REG_T, REG_P),
    ("msle", losses.MeanSquaredLogarithmicError, {}, ref_msle, POS_T, REG_P),
    ("huber", losses.Huber, {}, ref_huber, REG_T, 2 * REG_P),
    ("huber_delta", losses.Huber, {"delta": 0.4}, ref_huber, REG_T, 2 * REG_P),
    ("log_cosh", losses.LogCosh, {}, ref_log_cosh, REG_T, 3 * REG_P),
    ("cosine", losses.CosineSimilarity, {}, ref_cosine, REG_T, REG_P),
    ("bce", losses.BinaryCrossentropy, {}, ref_bce, BIN_T, PROBS),
    ("bce_logits", losses.BinaryCrossentropy, {"from_logits": True}, ref_bce, BIN_T, LOGITS),
    ("bce_smooth", losses.BinaryCrossentropy, {"label_smoothing": 0.2}, ref_bce, BIN_T, PROBS),
    ("bfce", losses.BinaryFocalCrossentropy, {}, ref_bfce, BIN_T, PROBS),
    ("bfce_all", losses.BinaryFocalCrossentropy,
     {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5, "from_logits": True,
      "label_smoothing": 0.1}, ref_bfce, BIN_T, LOGITS),
    ("cce", losses.CategoricalCrossentropy, {}, ref_cce, ONEHOT, PROBS),
    ("cce_logits", losses.CategoricalCrossentropy, {"from_logits": True}, ref_cce, ONEHOT,
     LOGITS),
    ("cce_smooth", losses.CategoricalCrossentropy, {"label_smoothing": 0.3, "from_logits": True},
     ref_cce, ONEHOT, LOGITS),
    ("cfce", losses.CategoricalFocalCrossentropy, {}, ref_cfce, ONEHOT, PROBS),
    ("cfce_all", losses.CategoricalFocalCrossentropy,
     {"alpha": 0.5, "gamma": 3.0, "from_logits": True, "label_smoothing": 0.1}, ref_cfce,
     ONEHOT, LOGITS),
    ("scce", losses.SparseCategoricalCrossentropy, {}, ref_scce, LABELS, PROBS),
    ("scce_logits_n1", losses.SparseCategoricalCrossentropy, {"from_logits": True}, ref_scce,
     LABELS[:, None], LOGITS),
    ("kld", losses.KLDivergence, {}, ref_kld, DIST, PROBS),
    ("poisson", losses.Poisson, {}, ref_poisson, POS_T, POS_P),
    ("hinge01", losses.Hinge, {}, ref_hinge, BIN_T, REG_P),
    ("hinge_pm1", losses.Hinge, {}, ref_hinge, 2 * BIN_T - 1, REG_P),
    ("squared_hinge", losses.SquaredHinge, {}, ref_squared_hinge, BIN_T, REG_P),
    ("categorical_hinge", losses.CategoricalHinge, {}, ref_categorical_hinge, ONEHOT, REG_P),
    ("dice", losses.Dice, {"axis": -1}, ref_dice, BIN_T, PROBS),
    ("tversky", losses.Tversky, {"alpha": 0.3, "beta": 0.8, "axis": -1}, ref_tversky, BIN_T,
     PROBS),
    ("cgce", losses.CategoricalGeneralizedCrossEntropy, {"q": 0.3}, ref_cgce, LABELS, DIST),
]  # fmt: skip
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_loss_matches_numpy_reference(case, reduction):
    _, cls, kwargs, ref, y_true, y_pred = case
    per_sample = ref(y_true, y_pred, **kwargs)
    loss = cls(reduction=reduction, **kwargs)
    for weights in (None, SW):
        got = loss(y_true, y_pred, sample_weight=weights)
        assert got.dtype == ops.float32
        np.testing.assert_allclose(got.numpy(), ref_reduce(per_sample, weights, reduction),
                                   rtol=2e-5, atol=1e-6)  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_function_form_gives_per_sample_values(case):
    _, cls, kwargs, ref, y_true, y_pred = case
    fn = cls(**kwargs).fn
    got = fn(y_true, y_pred, **kwargs)
    np.testing.assert_allclose(got.numpy(), ref(y_true, y_pred, **kwargs), rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_eager_equals_traced(case):
    _, cls, kwargs, _, y_true, y_pred = case
    loss = cls(**kwargs)
    traced = ops.function(lambda a, b, w: loss(a, b, sample_weight=w))
    a, b, w = ops.constant(y_true), ops.constant(y_pred), ops.constant(SW)
    eager = loss(a, b, sample_weight=w).numpy()
    np.testing.assert_allclose(traced(a, b, w).numpy(), eager, rtol=1e-6, atol=1e-7)
    per_sample = ops.function(lambda a, b: cls(reduction="none", **kwargs)(a, b))
    np.testing.assert_allclose(per_sample(a, b).numpy(), cls(reduction=None, **kwargs)(a, b),
                               rtol=1e-6, atol=1e-7)  # fmt: skip


def test_traced_with_an_unknown_batch_size():
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=3)
    spec = [ops.TensorSpec([None], ops.int32), ops.TensorSpec([None, C], ops.float32)]
    traced = ops.function(lambda a, b: loss(a, b), input_signature=spec)
    for n in (5, 3):
        expected = ref_reduce(ref_scce(LABELS[:n], LOGITS[:n], True, 3), None,
                              "sum_over_batch_size", valid=LABELS[:n] != 3)  # fmt: skip
        got = traced(ops.constant(LABELS[:n], ops.int32), ops.constant(LOGITS[:n]))
        np.testing.assert_allclose(float(got), expected, rtol=1e-5)
    per_sample = ops.function(  # no fused op without known shapes: a bad label gives NaN
        lambda a, b: losses.sparse_categorical_crossentropy(a, b, from_logits=True),
        input_signature=spec,
    )
    got = per_sample(ops.constant([0, 9, 1], ops.int32), ops.constant(LOGITS[:3])).numpy()
    np.testing.assert_allclose(got[[0, 2]], ref_scce(LABELS[[0, 2]], LOGITS[[0, 2]], True),
                               rtol=1e-5)  # fmt: skip
    assert np.isnan(got[1])
    mse = ops.function(lambda a, b: losses.MeanSquaredError()(a, b),
                       input_signature=[ops.TensorSpec([None, C])] * 2)  # fmt: skip
    np.testing.assert_allclose(float(mse(REG_T[:2], REG_P[:2])),
                               ref_mse(REG_T[:2], REG_P[:2]).mean(), rtol=1e-6)  # fmt: skip


# ---- axis, ignore_class, masks, shapes and dtypes ----------------------------------------
def test_axis_argument():
    for cls, ref, t, p in (
        (losses.BinaryCrossentropy, ref_bce, BIN_T, LOGITS),
        (losses.CategoricalCrossentropy, ref_cce, ONEHOT, LOGITS),
        (losses.CategoricalFocalCrossentropy, ref_cfce, ONEHOT, LOGITS),
    ):
        got = cls(from_logits=True, axis=0, reduction=None)(t, p).numpy()
        np.testing.assert_allclose(got, ref(t, p, from_logits=True, axis=0), rtol=2e-5)
    got = losses.CosineSimilarity(axis=0, reduction=None)(REG_T, REG_P).numpy()
    np.testing.assert_allclose(got, ref_cosine(REG_T, REG_P, axis=0), rtol=2e-5)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_ignore_class(reduction, from_logits):
    labels = np.array([0, -1, 1, 3, -1])
    p = LOGITS if from_logits else PROBS
    per_sample = ref_scce(labels, p, from_logits, ignore_class=-1)
    valid = (labels != -1).astype(np.float64)
    loss = losses.SparseCategoricalCrossentropy(from_logits, ignore_class=-1, reduction=reduction)
    for weights in (None, SW):
        got = loss(labels[:, None], p, sample_weight=weights).numpy()
        np.testing.assert_allclose(got, ref_reduce(per_sample, weights, reduction, valid),
                                   rtol=2e-5, atol=1e-6)  # fmt: skip
    fn = losses.sparse_categorical_crossentropy(labels, p, from_logits, ignore_class=-1)
    np.testing.assert_allclose(fn.numpy(), per_sample, rtol=2e-5, atol=1e-6)


def test_sparse_ignore_class_on_a_sequence():
    logits = RNG.normal(size=(2, 3, C)).astype(np.float32)
    labels = np.array([[2, 9, 0], [9, 9, 1]])
    per = ref_scce(labels, logits, True, ignore_class=9)
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=9)
    np.testing.assert_allclose(float(loss(labels, logits)), per.sum() / 3, rtol=1e-5)
    w = np.array([1.0, 3.0], np.float32)  # per sequence: broadcast over the time axis
    np.testing.assert_allclose(float(loss(labels, logits, sample_weight=w[:, None])),
                               (per * w[:, None]).sum() / 3, rtol=1e-5)  # fmt: skip


def test_mask_attribute_on_y_pred():
    y_pred = ops.Variable(REG_P)
    mask = np.array([True, False, True, True, False])
    y_pred._keras_mask = mask
    per = ref_mse(REG_T, REG_P)
    got = losses.MeanSquaredError()(REG_T, y_pred)
    np.testing.assert_allclose(float(got), per[mask].mean(), rtol=1e-6)
    got = losses.MeanSquaredError(reduction="sum")(REG_T, y_pred, sample_weight=SW)
    np.testing.assert_allclose(float(got), (per * SW)[mask].sum(), rtol=1e-6)
    got = losses.MeanSquaredError(reduction="mean_with_sample_weight")(REG_T, y_pred, SW)
    np.testing.assert_allclose(float(got), (per * SW)[mask].sum() / SW[mask].sum(), rtol=1e-6)
    y_pred._keras_mask = np.zeros(N, bool)  # nothing valid: 0, not NaN
    assert float(losses.MeanSquaredError()(REG_T, y_pred)) == 0.0


def test_mask_and_ignore_class_combine():
    logits = ops.Variable(LOGITS)
    logits._keras_mask = np.array([True, True, False, True, True])
    labels = np.array([0, -1, 1, 3, 2])
    per = ref_scce(labels, LOGITS, True, ignore_class=-1)
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    np.testing.assert_allclose(float(loss(labels, logits)), per[[0, 3, 4]].mean(), rtol=1e-5)


def test_rank_rule_for_y_true_and_y_pred():
    t = np.array([1.0, 2.0, 3.0], np.float32)
    p = np.array([[1.5], [2.0], [2.0]], np.float32)
    for a, b in ((t, p), (p, t), (t[:, None, None], p), (p, t[:, None, None])):
        np.testing.assert_allclose(losses.MeanSquaredError(reduction=None)(a, b).numpy(),
                                   [0.25, 0.0, 1.0], rtol=1e-6)  # fmt: skip
    labels = np.array([[1.0], [0.0]], np.float32)  # (N, 1) labels against (N,) predictions
    got = losses.BinaryCrossentropy(reduction=None)(labels, np.array([0.8, 0.3], np.float32))
    np.testing.assert_allclose(got.numpy(), [-np.log(0.8), -np.log(0.7)], rtol=1e-5)


def test_sample_weight_shapes():
    y_true = RNG.normal(size=(2, 3, 2)).astype(np.float32)
    y_pred = RNG.normal(size=(2, 3, 2)).astype(np.float32)
    per = ref_mse(y_true, y_pred)  # (2, 3)
    mse = losses.MeanSquaredError()
    w = np.array([[1.0, 0.0, 2.0], [3.0, 1.0, 1.0]], np.float32)
    for weights in (w, w[..., None]):
        np.testing.assert_allclose(float(mse(y_true, y_pred, weights)), (per * w).mean(),
                                   rtol=1e-6)  # fmt: skip
    col = np.array([[1.0], [3.0]], np.float32)
    np.testing.assert_allclose(float(mse(y_true, y_pred, col)), (per * col).mean(), rtol=1e-6)
    np.testing.assert_allclose(float(mse(y_true, y_pred, 2.0)), 2 * per.mean(), rtol=1e-6)
    mws = losses.MeanSquaredError(reduction="mean_with_sample_weight")
    np.testing.assert_allclose(float(mws(y_true, y_pred, 2.0)), per.sum(), rtol=1e-6)
    with pytest.raises(ops.errors.InvalidArgumentError, match="Incompatible shapes"):
        mse(y_true, y_pred, np.ones(2, np.float32))


def test_dtypes():
    t64, p64 = REG_T.astype(np.float64), REG_P.astype(np.float64)
    assert losses.MeanSquaredError().dtype == "float32"
    assert losses.MeanSquaredError()(t64, p64).dtype == ops.float32
    loss64 = losses.MeanSquaredError(dtype="float64")
    assert loss64.dtype == "float64" and loss64(REG_T, REG_P).dtype == ops.float64
    assert losses.mean_squared_error(t64, p64).dtype == ops.float64
    assert losses.mean_squared_error([[1, 2]], [[1, 4]]).numpy().tolist() == [2.0]
    got = losses.SparseCategoricalCrossentropy()(LABELS.astype(np.float32), PROBS)
    np.testing.assert_allclose(float(got), ref_scce(LABELS, PROBS).mean(), rtol=1e-5)
    got = losses.binary_crossentropy(BIN_T.astype(bool), PROBS)
    np.testing.assert_allclose(got.numpy(), ref_bce(BIN_T, PROBS), rtol=1e-5)


def test_dice_and_tversky_over_the_whole_batch():
    value = losses.Dice()(BIN_T, PROBS)
    assert value.shape == ()
    np.testing.assert_allclose(float(value), ref_dice(BIN_T, PROBS), rtol=1e-6)
    # One value for the batch: weights broadcast it, then the reduction averages.
    weighted = losses.Tversky(alpha=0.2, beta=0.9)(BIN_T, PROBS, sample_weight=SW)
    np.testing.assert_allclose(float(weighted), ref_tversky(BIN_T, PROBS, 0.2, 0.9) * SW.mean(),
                               rtol=1e-6)  # fmt: skip
    got = losses.dice(BIN_T, PROBS, axis=(0, 1))
    np.testing.assert_allclose(float(got), ref_dice(BIN_T, PROBS), rtol=1e-6)


def test_hinge_keeps_labels_that_are_not_binary():
    t = np.array([[0.5, 1.0, -1.0]], np.float32)
    p = np.array([[0.3, -0.2, 0.4]], np.float32)
    expected = np.maximum(1 - t * p, 0).mean(-1)
    np.testing.assert_allclose(losses.hinge(t, p).numpy(), expected, rtol=1e-6)


def test_stable_logits_and_clipping():
    big = np.array([[80.0, -80.0]], np.float32)
    z = np.array([[0.0, 1.0]], np.float32)
    got = losses.binary_crossentropy(z, big, from_logits=True).numpy()
    np.testing.assert_allclose(got, [80.0], rtol=1e-6)
    got = losses.categorical_crossentropy(np.array([[0.0, 1.0]]), big, from_logits=True)
    np.testing.assert_allclose(got.numpy(), [160.0], rtol=1e-6)
    got = losses.binary_crossentropy(z, np.array([[0.0, 0.0]], np.float32)).numpy()
    np.testing.assert_allclose(got, [-np.log(np.float32(EPS)) / 2], rtol=1e-4)
    np.testing.assert_allclose(losses.log_cosh([[0.0]], [[100.0]]).numpy(), [100 - np.log(2)],
                               rtol=1e-6)  # fmt: skip
    assert float(losses.cosine_similarity([[0.0, 0.0]], [[1.0, 2.0]])[0]) == 0.0


# ---- gradients -----------------------------------------------------------------------------
GRAD_CASES = [
    ("mse", losses.MeanSquaredError(dtype="float64"), REG_T, REG_P),
    ("huber", losses.Huber(delta=0.7, dtype="float64"), REG_T, 2 * REG_P),
    ("log_cosh", losses.LogCosh(dtype="float64"), REG_T, REG_P),
    ("cosine", losses.CosineSimilarity(dtype="float64"), REG_T, REG_P),
    ("bce_logits", losses.BinaryCrossentropy(True, 0.1, dtype="float64"), BIN_T, LOGITS),
    ("bfce", losses.BinaryFocalCrossentropy(True, from_logits=True, dtype="float64"), BIN_T,
     LOGITS),
    ("cce_probs", losses.CategoricalCrossentropy(dtype="float64"), ONEHOT, PROBS),
    ("cce_logits", losses.CategoricalCrossentropy(True, 0.2, dtype="float64"), ONEHOT, LOGITS),
    ("scce_logits", losses.SparseCategoricalCrossentropy(True, ignore_class=1, dtype="float64"),
     LABELS, LOGITS),
    ("kld", losses.KLDivergence(dtype="float64"), DIST, PROBS),
    ("poisson", losses.Poisson(dtype="float64"), POS_T, POS_P),
    ("squared_hinge", losses.SquaredHinge(dtype="float64"), BIN_T, REG_P),
    ("dice", losses.Dice(axis=-1, dtype="float64"), BIN_T, PROBS),
    ("cgce", losses.CategoricalGeneralizedCrossEntropy(0.4, dtype="float64"), LABELS, DIST),
]  # fmt: skip


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradient_matches_central_differences(case):
    _, loss, y_true, y_pred = case
    y_pred = y_pred.astype(np.float64)
    w = SW.astype(np.float64)
    var = ops.Variable(y_pred)
    with ops.GradientTape() as tape:
        value = loss(y_true, var, sample_weight=w)
    grad = tape.gradient(value, var).numpy()
    h = 1e-6
    numeric = np.zeros_like(y_pred)
    for idx in np.ndindex(y_pred.shape):
        up, down = y_pred.copy(), y_pred.copy()
        up[idx] += h
        down[idx] -= h
        numeric[idx] = (float(loss(y_true, up, w)) - float(loss(y_true, down, w))) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


# ---- errors --------------------------------------------------------------------------------
def test_errors():
    with pytest.raises(ValueError, match="reduction=avg"):
        losses.Huber(reduction="avg")
    with pytest.raises(ValueError, match=r"same shape. Received: target.shape=\(2, 3\)"):
        losses.CategoricalCrossentropy()(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="same shape"):
        losses.binary_crossentropy(np.ones((2, 3)), np.full((2, 4), 0.5))
    with pytest.raises(ValueError, match="same rank"):
        losses.binary_crossentropy(np.ones((2, 3)), np.full((2, 3, 1), 0.5))
    with pytest.raises(ValueError, match="axis=True"):
        losses.categorical_crossentropy(ONEHOT, PROBS, axis=True)
    with pytest.raises(ValueError, match="Only axis=-1 is currently supported. Received: axis=0"):
        losses.SparseCategoricalCrossentropy(axis=0)(LABELS, PROBS)
    with pytest.raises(ValueError, match=r"target.shape=\(1, 5\)"):
        losses.SparseCategoricalCrossentropy()(LABELS[None], PROBS)
    with pytest.raises(ops.errors.InvalidArgumentError, match="label value of 7"):
        losses.SparseCategoricalCrossentropy()(np.array([0, 7, 1, 1, 2]), PROBS)
    with pytest.raises(ops.errors.InvalidArgumentError, match="label value of 7"):
        ops.function(lambda a, b: losses.SparseCategoricalCrossentropy()(a, b))(
            ops.constant([0, 7, 1, 1, 2]), ops.constant(PROBS)
        )
    with pytest.raises(ValueError, match=r"interval \(0, 1\). Received: q=1.5"):
        losses.CategoricalGeneralizedCrossEntropy(q=1.5)
    with pytest.raises(NotImplementedError, match="call"):
        losses.Loss()(REG_T, REG_P)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        losses.categorical_crossentropy(np.ones((2, 1)), np.full((2, 1), 0.5))
    assert [w.category for w in caught] == [SyntaxWarning]


# ---- namespace, get, serialization ---------------------------------------------------------
KERAS_NAMES = {  # dir(keras.losses) and dir(tf.keras.losses) of Keras 3.15, less CTC and Circle
    "BinaryCrossentropy", "BinaryFocalCrossentropy", "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy", "CategoricalGeneralizedCrossEntropy", "CategoricalHinge",
    "CosineSimilarity", "Dice", "Hinge", "Huber", "Tversky", "dice", "tversky",
    "categorical_generalized_cross_entropy",
    "KLD", "KLDivergence", "LogCosh", "Loss", "MAE", "MAPE", "MSE", "MSLE", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredError", "MeanSquaredLogarithmicError", "Poisson",
    "Reduction", "SparseCategoricalCrossentropy", "SquaredHinge", "binary_crossentropy",
    "binary_focal_crossentropy", "categorical_crossentropy", "categorical_focal_crossentropy",
    "categorical_hinge", "cosine_similarity", "deserialize", "get", "hinge", "huber",
    "kl_divergence", "kld", "kullback_leibler_divergence", "log_cosh", "logcosh", "mae", "mape",
    "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
    "mean_squared_logarithmic_error", "mse", "msle", "poisson", "serialize",
    "sparse_categorical_crossentropy", "squared_hinge",
}  # fmt: skip


def test_namespace():
    assert KERAS_NAMES <= set(losses.__all__)
    assert all(hasattr(losses, name) for name in losses.__all__)
    assert losses.mse is losses.MSE is losses.mean_squared_error
    assert losses.kld is losses.kullback_leibler_divergence is losses.kl_divergence
    assert losses.logcosh is losses.log_cosh and losses.msle is losses.MSLE
    assert losses.Reduction.all() == ("auto", "none", "sum", "sum_over_batch_size")
    with pytest.raises(ValueError, match="Invalid Reduction Key: avg"):
        losses.Reduction.validate("avg")


def test_get():
    assert losses.get("mse") is losses.mean_squared_error
    assert losses.get("bce") is losses.binary_crossentropy
    assert losses.get("log_cosh") is losses.log_cosh and losses.get("huber") is losses.huber
    assert isinstance(losses.get("Huber"), losses.Huber)
    assert isinstance(losses.get(losses.Poisson), losses.Poisson)
    assert losses.get(None) is None
    loss = losses.Hinge()
    assert losses.get(loss) is loss
    clone = losses.get({"class_name": "Huber", "config": {"name": "h", "reduction": "sum"}})
    assert isinstance(clone, losses.Huber) and clone.reduction == "sum"
    assert isinstance(losses.get("Dice"), losses.Dice) and losses.get("tversky") is losses.tversky
    for bad in ("huber_loss", "logcosh", "CategoricalGeneralizedCrossEntropy"):  # not in Keras's
        with pytest.raises(ValueError, match=f"'{bad}'"):
            losses.get(bad)
    with pytest.raises(ValueError, match="identifier: 3"):
        losses.get(3)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_config_round_trip(case):
    _, cls, kwargs, _, y_true, y_pred = case
    loss = cls(reduction="sum", name="custom", **kwargs)
    config = loss.get_config()
    assert config["name"] == "custom" and config["reduction"] == "sum"
    clone = losses.deserialize(losses.serialize(loss))
    assert type(clone) is cls and clone.get_config() == config
    if set(config) > {"name", "reduction"}:  # Keras keeps these arguments in the config
        np.testing.assert_allclose(clone(y_true, y_pred).numpy(), loss(y_true, y_pred).numpy())


def test_wrapper_and_custom_losses():
    wrapper = losses.LossFunctionWrapper(losses.huber, name="w", delta=0.5)
    config = wrapper.get_config()
    assert config["fn"] == {"module": "builtins", "class_name": "function",
                            "config": "huber", "registered_name": "function"}  # fmt: skip
    assert config["delta"] == 0.5
    clone = losses.LossFunctionWrapper.from_config(config)
    assert clone.fn is losses.huber
    np.testing.assert_allclose(float(clone(REG_T, REG_P)), ref_huber(REG_T, REG_P, 0.5).mean(),
                               rtol=1e-6)  # fmt: skip
    assert losses.serialize(losses.mse)["config"] == "mean_squared_error"
    assert losses.deserialize(losses.serialize(losses.mse)) is losses.mean_squared_error

    class Scaled(losses.Loss):
        def call(self, y_true, y_pred):
            return 3.0 * ops.reduce_mean(y_pred - y_true, axis=-1)

    first, second = Scaled(), Scaled()
    assert first.name == "scaled" and second.name.startswith("scaled_")
    expected = 3 * (REG_P - REG_T).mean(-1)
    np.testing.assert_allclose(float(first(REG_T, REG_P, SW)), (expected * SW).mean(), rtol=1e-5)


def test_reduce_values():
    values = np.array([1.0, 2.0, 4.0], np.float32)
    w = np.array([1.0, 0.0, 0.5], np.float32)
    assert float(losses.reduce_values(values)) == pytest.approx(7 / 3)
    assert float(losses.reduce_values(values, w, "sum")) == pytest.approx(3.0)
    assert float(losses.reduce_values(values, w, "mean_with_sample_weight")) == pytest.approx(2.0)
    np.testing.assert_allclose(losses.reduce_values(values, w, "none").numpy(), [1.0, 0.0, 2.0])
