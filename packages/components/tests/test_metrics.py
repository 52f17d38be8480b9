"""keras.metrics: every metric against NumPy references, over several batches, eager and traced."""

import numpy as np
import pytest

import tensorhouse_ops as tf_ops
from tensorhouse_components import losses, metrics

EPS = 1e-7
RNG = np.random.default_rng(7)


def _batches(n=3, size=6, classes=4):
    """Random batches with every kind of label and prediction the metrics take."""
    out = []
    for _ in range(n):
        labels = RNG.integers(0, classes, size=(size,))
        probs = RNG.uniform(0.05, 1.0, size=(size, classes)).astype(np.float32)
        out.append(
            {
                "bin_t": (RNG.uniform(size=(size, 3)) > 0.5).astype(np.float32),
                "bin_p": RNG.uniform(size=(size, 3)).astype(np.float32),
                "sparse": labels.astype(np.int32),
                "onehot": np.eye(classes, dtype=np.float32)[labels],
                "probs": probs / probs.sum(-1, keepdims=True),
                "logits": RNG.normal(size=(size, classes)).astype(np.float32),
                "reg_t": RNG.normal(size=(size, 3)).astype(np.float32),
                "reg_p": RNG.normal(size=(size, 3)).astype(np.float32),
                "pos_t": RNG.uniform(0.1, 3.0, size=(size, 3)).astype(np.float32),
                "pos_p": RNG.uniform(0.1, 3.0, size=(size, 3)).astype(np.float32),
                "seg_t": RNG.integers(0, 3, size=(size, 2)).astype(np.int32),
                "seg_p": RNG.integers(0, 3, size=(size, 2)).astype(np.int32),
                "sw": RNG.uniform(0.0, 2.0, size=(size,)).astype(np.float32),
            }
        )
    return out


BATCHES = _batches()


def _cat(key):
    return np.concatenate([b[key] for b in BATCHES])


def _run(metric, true_key, pred_key, weighted=False, traced=False):
    """Update ``metric`` with every batch (eagerly or through one traced function)."""
    update = metric.update_state
    if traced:
        update = tf_ops.function(metric.update_state)
    for b in BATCHES:
        args = [b[pred_key]] if true_key is None else [b[true_key], b[pred_key]]
        sw = b["sw"] if weighted else None
        if traced:
            args = [tf_ops.constant(a) for a in args]
            sw = None if sw is None else tf_ops.constant(sw)
        update(*args, sample_weight=sw)
    if traced:
        assert update.experimental_get_tracing_count() <= 2  # 2: variables made on trace 1
    return np.asarray(metric.result().numpy())


def _mean(values, w=None):
    values = values.reshape(len(values), -1).mean(-1)
    return values.mean() if w is None else (values * w).sum() / w.sum()


# ---- the base class and the reductions ------------------------------------------------------


def test_sum_and_mean_follow_keras_examples():
    s, m = metrics.Sum(), metrics.Mean()
    s.update_state([1, 3, 5, 7])
    m.update_state([1, 3, 5, 7])
    assert float(s.result()) == 16.0 and float(m.result()) == 4.0
    s.reset_state()
    m.reset_state()
    assert float(m.result()) == 0.0  # divide_no_nan before any update
    s.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert float(s.result()) == 4.0 and float(m.result()) == 2.0


def test_mean_weights_rows_of_a_matrix_like_keras():
    values = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32)
    m = metrics.Mean()
    m.update_state(values)  # one value per sample (the row mean), counted per sample
    assert float(m.count.numpy()) == 2.0
    m.update_state(values, sample_weight=[[1.0], [3.0]])
    np.testing.assert_allclose(float(m.result()), (2 + 5 + 2 + 15) / 6, rtol=1e-6)
    w2d = np.array([[1.0, 0.0, 1.0], [0.5, 0.5, 2.0]], np.float32)
    m2 = metrics.Mean()
    m2.update_state(values, sample_weight=w2d)
    np.testing.assert_allclose(float(m2.result()), (values * w2d).sum() / w2d.sum(), rtol=1e-6)
    s = metrics.Sum()
    s.update_state(values, sample_weight=w2d)
    np.testing.assert_allclose(float(s.result()), (values * w2d).sum(), rtol=1e-6)


@pytest.mark.parametrize("traced", [False, True])
def test_mean_and_sum_over_batches(traced):
    values, w = _cat("reg_p"), _cat("sw")
    np.testing.assert_allclose(_run(metrics.Mean(), None, "reg_p", True, traced),
                               _mean(values, w), rtol=1e-5)  # fmt: skip
    np.testing.assert_allclose(_run(metrics.Sum(), None, "reg_p", True, traced),
                               (values.sum(-1) * w).sum(), rtol=1e-5)  # fmt: skip


def test_metric_base_class_contract():
    class Count(metrics.Metric):
        def __init__(self, name=None, dtype=None):
            super().__init__(name=name, dtype=dtype)
            self.n = self.add_variable(shape=(2,), initializer="ones", name="n")

        def update_state(self, x):
            self.n.assign_add(tf_ops.ones([2]) * tf_ops.cast(tf_ops.size(x), "float32"))

        def result(self):
            return self.n.value()

    c = Count()
    assert c.name == "count" and c.dtype == "float32" and c.variables == [c.n]
    assert not c.n.trainable
    np.testing.assert_array_equal(c([1.0, 2.0, 3.0]).numpy(), [4.0, 4.0])
    c.reset_state()  # Keras: every variable back to zero, whatever its initializer
    np.testing.assert_array_equal(c.result().numpy(), [0.0, 0.0])
    assert Count().name == "count_1"
    assert repr(c) == "<Count name=count>"
    with pytest.raises(ValueError, match="aggregation"):
        c.add_variable(shape=(), initializer="zeros", aggregation="max")

    class Forgot(metrics.Metric):
        def __init__(self):
            pass

    with pytest.raises(RuntimeError, match="super"):
        Forgot().add_variable((), "zeros")


def test_nested_metrics_are_tracked():
    class Pair(metrics.Metric):
        def __init__(self):
            super().__init__(name="pair")
            self.a, self.b = metrics.Mean(), metrics.Sum()

    p = Pair()
    assert p.variables == [p.a.total, p.a.count, p.b.total]


def test_mean_metric_wrapper_and_its_config():
    def scaled_error(y_true, y_pred, scale=1.0):
        return scale * tf_ops.abs(tf_ops.convert_to_tensor(y_true) - y_pred)

    m = metrics.MeanMetricWrapper(scaled_error, name="se", scale=2.0)
    m.update_state(np.array([1.0, 2.0], np.float32), np.array([2.0, 2.0], np.float32))
    np.testing.assert_allclose(float(m.result()), 1.0)
    assert m.get_config() == {"name": "se", "dtype": "float32", "fn": "scaled_error", "scale": 2.0}
    mse = metrics.MeanMetricWrapper(metrics.mean_squared_error, name="w")
    clone = metrics.MeanMetricWrapper.from_config(mse.get_config())
    clone.update_state([[1.0, 3.0]], [[0.0, 0.0]])
    np.testing.assert_allclose(float(clone.result()), 5.0)


CONFIGS = [
    (metrics.Mean, {}), (metrics.Sum, {}), (metrics.Accuracy, {}),
    (metrics.BinaryAccuracy, {"threshold": 0.3}), (metrics.TopKCategoricalAccuracy, {"k": 2}),
    (metrics.SparseTopKCategoricalAccuracy, {"k": 3, "from_sorted_ids": True}),
    (metrics.TruePositives, {"thresholds": [0.2, 0.7]}), (metrics.FalseNegatives, {}),
    (metrics.Precision, {"top_k": 2, "class_id": 1}), (metrics.Recall, {"thresholds": 0.4}),
    (metrics.AUC, {"num_thresholds": 10, "curve": "PR", "multi_label": True, "num_labels": 2,
                   "label_weights": [1.0, 2.0], "from_logits": True}),
    (metrics.AUC, {"thresholds": [0.3, 0.6], "summation_method": "minoring"}),
    (metrics.PrecisionAtRecall, {"recall": 0.4, "num_thresholds": 20, "class_id": 2}),
    (metrics.RecallAtPrecision, {"precision": 0.8}),
    (metrics.SensitivityAtSpecificity, {"specificity": 0.3}),
    (metrics.SpecificityAtSensitivity, {"sensitivity": 0.6}),
    (metrics.F1Score, {"average": "macro", "threshold": 0.4}),
    (metrics.FBetaScore, {"average": "weighted", "beta": 2.0}),
    (metrics.MeanIoU, {"num_classes": 3, "ignore_class": 0}),
    (metrics.IoU, {"num_classes": 3, "target_class_ids": [1, 2]}),
    (metrics.BinaryIoU, {"target_class_ids": [1], "threshold": 0.4}),
    (metrics.OneHotIoU, {"num_classes": 4, "target_class_ids": [0]}),
    (metrics.OneHotMeanIoU, {"num_classes": 4, "sparse_y_pred": True}),
    (metrics.R2Score, {"class_aggregation": None, "num_regressors": 2}),
    (metrics.MeanSquaredError, {}), (metrics.RootMeanSquaredError, {}),
    (metrics.MeanAbsoluteError, {}), (metrics.MeanAbsolutePercentageError, {}),
    (metrics.MeanSquaredLogarithmicError, {}), (metrics.CosineSimilarity, {}),
    (metrics.LogCoshError, {}),
    (metrics.BinaryCrossentropy, {"from_logits": True, "label_smoothing": 0.1}),
    (metrics.CategoricalCrossentropy, {"label_smoothing": 0.2, "axis": -1}),
    (metrics.SparseCategoricalCrossentropy, {"from_logits": True, "ignore_class": 3}),
    (metrics.KLDivergence, {}), (metrics.Poisson, {}), (metrics.Hinge, {}),
    (metrics.SquaredHinge, {}), (metrics.CategoricalHinge, {}),
]  # fmt: skip


@pytest.mark.parametrize("cls,kwargs", CONFIGS, ids=lambda v: getattr(v, "__name__", ""))
def test_config_round_trip(cls, kwargs):
    m = cls(**kwargs)
    config = m.get_config()
    assert config["name"] == m.name and config["dtype"] == m.dtype
    for key, value in kwargs.items():
        if key not in ("thresholds",):
            assert config[key] == value, key
    clone = cls.from_config(config)
    assert clone.get_config() == config
    assert [tuple(v.shape.as_list()) for v in clone.variables] == [
        tuple(v.shape.as_list()) for v in m.variables
    ]
    again = metrics.deserialize(metrics.serialize(m))
    assert type(again) is cls and again.get_config() == config


# ---- accuracies -----------------------------------------------------------------------------


def _np_in_top_k(labels, scores, k):
    target = scores[np.arange(len(labels)), labels]
    return ((scores > target[:, None]).sum(-1) < k).astype(np.float32)


@pytest.mark.parametrize("traced", [False, True])
def test_accuracy_family(traced):
    w = _cat("sw")
    bt, bp = _cat("bin_t"), _cat("bin_p")
    got = _run(metrics.BinaryAccuracy(threshold=0.4), "bin_t", "bin_p", True, traced)
    np.testing.assert_allclose(got, _mean(((bp > 0.4) == bt).astype(np.float32), w), rtol=1e-5)
    got = _run(metrics.Accuracy(), "seg_t", "seg_p", False, traced)
    np.testing.assert_allclose(got, (_cat("seg_t") == _cat("seg_p")).mean(), rtol=1e-6)
    labels, probs, logits = _cat("sparse"), _cat("probs"), _cat("logits")
    hits = (probs.argmax(-1) == labels).astype(np.float32)
    got = _run(metrics.CategoricalAccuracy(), "onehot", "probs", True, traced)
    np.testing.assert_allclose(got, _mean(hits, w), rtol=1e-5)
    got = _run(metrics.SparseCategoricalAccuracy(), "sparse", "probs", False, traced)
    np.testing.assert_allclose(got, hits.mean(), rtol=1e-6)
    got = _run(metrics.TopKCategoricalAccuracy(k=2), "onehot", "logits", True, traced)
    np.testing.assert_allclose(got, _mean(_np_in_top_k(labels, logits, 2), w), rtol=1e-5)
    got = _run(metrics.SparseTopKCategoricalAccuracy(k=3), "sparse", "probs", False, traced)
    np.testing.assert_allclose(got, _np_in_top_k(labels, probs, 3).mean(), rtol=1e-6)


def test_accuracy_edge_cases():
    acc = metrics.BinaryAccuracy()
    acc.update_state([[1.0], [0.0], [1.0], [0.0]], [[0.9], [0.2], [0.4], [0.7]])
    assert float(acc.result()) == 0.5
    # Ties at the top-k boundary count as inside (TF's in_top_k).
    top1 = metrics.SparseTopKCategoricalAccuracy(k=1)
    top1.update_state([0, 1, 2], [[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.5, 0.5, 0.0]])
    np.testing.assert_allclose(float(top1.result()), 2 / 3, rtol=1e-6)
    # Labels of shape (n, 1), and ids already sorted by score.
    sparse = metrics.SparseCategoricalAccuracy()
    sparse.update_state([[2], [0]], [[0.1, 0.2, 0.7], [0.3, 0.6, 0.1]])
    assert float(sparse.result()) == 0.5
    ids = metrics.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True)
    ids.update_state([1, 0, 2], [[0, 1, 2], [2, 1, 0], [1, 0, 2]])
    np.testing.assert_allclose(float(ids.result()), 1 / 3, rtol=1e-6)


# ---- confusion-matrix metrics ---------------------------------------------------------------


def _np_counts(y_true, y_pred, thresholds, w=None):
    """tp, fp, tn, fn at each threshold (``y_pred > threshold``), weights per sample."""
    y_true, y_pred = y_true.reshape(len(y_true), -1), y_pred.reshape(len(y_pred), -1)
    w = np.ones(len(y_true)) if w is None else w
    w = np.broadcast_to(w[:, None], y_true.shape)
    pos = y_pred[None] > np.asarray(thresholds)[:, None, None]
    lab = (y_true != 0)[None]
    return {
        "tp": (w * (pos & lab)).sum((1, 2)),
        "fp": (w * (pos & ~lab)).sum((1, 2)),
        "tn": (w * (~pos & ~lab)).sum((1, 2)),
        "fn": (w * (~pos & lab)).sum((1, 2)),
    }


@pytest.mark.parametrize("traced", [False, True])
@pytest.mark.parametrize("thresholds", [None, [0.15, 0.5, 0.9], [0.0, 0.25, 0.5, 0.75, 1.0]])
def test_confusion_counts(traced, thresholds):
    ref = _np_counts(_cat("bin_t"), _cat("bin_p"), thresholds or [0.5], _cat("sw"))
    for cls, key in ((metrics.TruePositives, "tp"), (metrics.FalsePositives, "fp"),
                     (metrics.TrueNegatives, "tn"), (metrics.FalseNegatives, "fn")):  # fmt: skip
        got = _run(cls(thresholds=thresholds), "bin_t", "bin_p", True, traced)
        expected = ref[key] if thresholds else ref[key][0]
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5, err_msg=key)


def _np_top_k(x, k):
    keep = np.zeros_like(x, dtype=bool)
    np.put_along_axis(keep, np.argsort(-x, axis=-1, kind="stable")[:, :k], True, axis=-1)
    return np.where(keep, x, -1e10)


@pytest.mark.parametrize("traced", [False, True])
def test_precision_and_recall(traced):
    yt, yp, w = _cat("bin_t"), _cat("bin_p"), _cat("sw")
    c = _np_counts(yt, yp, [0.3, 0.6], w)
    got = _run(metrics.Precision(thresholds=[0.3, 0.6]), "bin_t", "bin_p", True, traced)
    np.testing.assert_allclose(got, c["tp"] / (c["tp"] + c["fp"]), rtol=1e-5)
    got = _run(metrics.Recall(thresholds=[0.3, 0.6]), "bin_t", "bin_p", True, traced)
    np.testing.assert_allclose(got, c["tp"] / (c["tp"] + c["fn"]), rtol=1e-5)
    c = _np_counts(yt[:, 1], yp[:, 1], [0.5])
    got = _run(metrics.Recall(class_id=1), "bin_t", "bin_p", False, traced)
    np.testing.assert_allclose(got, c["tp"][0] / (c["tp"][0] + c["fn"][0]), rtol=1e-5)
    c = _np_counts(yt, _np_top_k(yp, 2), [-1e10])
    got = _run(metrics.Precision(top_k=2), "bin_t", "bin_p", False, traced)
    np.testing.assert_allclose(got, c["tp"][0] / (c["tp"][0] + c["fp"][0]), rtol=1e-5)
    c = _np_counts(yt[:, 2], _np_top_k(yp, 1)[:, 2], [-1e10], w)
    got = _run(metrics.Recall(top_k=1, class_id=2), "bin_t", "bin_p", True, traced)
    np.testing.assert_allclose(got, c["tp"][0] / (c["tp"][0] + c["fn"][0]), rtol=1e-5)


def test_precision_hand_computed_and_reset():
    p = metrics.Precision()
    p.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    np.testing.assert_allclose(float(p.result()), 2 / 3, rtol=1e-6)
    p.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
    np.testing.assert_allclose(float(p.result()), 3 / 4, rtol=1e-6)
    p.reset_state()
    assert float(p.result()) == 0.0
    r = metrics.Recall(thresholds=[0.0, 0.5])  # 0.0 is not "above 0.0"
    r.update_state([1, 1, 1, 0], [0.0, 0.4, 0.8, 0.9])
    np.testing.assert_allclose(r.result().numpy(), [2 / 3, 1 / 3], rtol=1e-6)


def _auc_thresholds(n):
    return [-EPS] + [(i + 1) / (n - 1) for i in range(n - 2)] + [1 + EPS]


def _np_auc(c, curve="ROC", method="interpolation"):
    tp, fp, tn, fn = c["tp"], c["fp"], c["tn"], c["fn"]
    div = lambda a, b: np.divide(a, b, out=np.zeros_like(a), where=b != 0)  # noqa: E731
    if curve == "PR" and method == "interpolation":
        dtp, p = tp[:-1] - tp[1:], tp + fp
        dp = p[:-1] - p[1:]
        slope = div(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        ratio = np.where((p[:-1] > 0) & (p[1:] > 0), div(p[:-1], np.maximum(p[1:], 0)), 1.0)
        return div(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0)).sum()
    recall = div(tp, tp + fn)
    x, y = (div(fp, fp + tn), recall) if curve == "ROC" else (recall, div(tp, tp + fp))
    heights = {"interpolation": (y[:-1] + y[1:]) / 2, "minoring": np.minimum(y[:-1], y[1:]),
               "majoring": np.maximum(y[:-1], y[1:])}[method]  # fmt: skip
    return ((x[:-1] - x[1:]) * heights).sum()


@pytest.mark.parametrize("traced", [False, True])
@pytest.mark.parametrize(
    "curve,method,n",
    [("ROC", "interpolation", 200), ("ROC", "majoring", 13), ("PR", "interpolation", 200),
     ("PR", "minoring", 50)],
)  # fmt: skip
def test_auc_against_numpy(traced, curve, method, n):
    c = _np_counts(_cat("bin_t"), _cat("bin_p"), _auc_thresholds(n), _cat("sw"))
    m = metrics.AUC(num_thresholds=n, curve=curve, summation_method=method)
    got = _run(m, "bin_t", "bin_p", True, traced)
    np.testing.assert_allclose(got, _np_auc(c, curve, method), rtol=1e-5)


def test_auc_hand_computed():
    # Three of the four (positive, negative) pairs are ordered right: ROC AUC 0.75.
    m = metrics.AUC()
    m.update_state([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    np.testing.assert_allclose(float(m.result()), 0.75, rtol=1e-6)
    m.reset_state()
    m.update_state([0, 1], [0.2, 0.9])
    np.testing.assert_allclose(float(m.result()), 1.0, rtol=1e-6)
    m.reset_state()
    m.update_state([1, 0, 1], [0.0, 1.0, 0.5])  # 0 is above the first threshold (-1e-7)
    np.testing.assert_array_equal(m.true_positives.numpy()[[0, 1, 99, 100, 199]], [2, 1, 1, 0, 0])
    np.testing.assert_array_equal(m.false_positives.numpy()[[0, 198, 199]], [1, 1, 0])
    np.testing.assert_array_equal(m.false_negatives.numpy()[[0, 1, 100]], [0, 1, 2])
    logits = metrics.AUC(from_logits=True)
    logits.update_state([0, 0, 1, 1], np.log(np.array([0.1, 0.4, 0.35, 0.8]) / (1 - np.array(
        [0.1, 0.4, 0.35, 0.8]))).astype(np.float32))  # fmt: skip
    np.testing.assert_allclose(float(logits.result()), 0.75, rtol=1e-5)


@pytest.mark.parametrize("traced", [False, True])
def test_auc_multi_label_thresholds_and_label_weights(traced):
    yt, yp, w = _cat("bin_t"), _cat("bin_p"), _cat("sw")
    thr = _auc_thresholds(200)
    per_label = [_np_auc(_np_counts(yt[:, i], yp[:, i], thr, w)) for i in range(3)]
    got = _run(metrics.AUC(multi_label=True), "bin_t", "bin_p", True, traced)
    np.testing.assert_allclose(got, np.mean(per_label), rtol=1e-5)
    lw = np.array([1.0, 2.0, 0.5])
    got = _run(metrics.AUC(multi_label=True, num_labels=3, label_weights=list(lw)), "bin_t",
               "bin_p", True, traced)  # fmt: skip
    np.testing.assert_allclose(got, (np.array(per_label) * lw).sum() / lw.sum(), rtol=1e-5)
    given = [0.2, 0.45, 0.7]
    c = _np_counts(yt, yp, [-EPS, *given, 1 + EPS], w)
    got = _run(metrics.AUC(thresholds=given), "bin_t", "bin_p", True, traced)
    np.testing.assert_allclose(got, _np_auc(c), rtol=1e-5)
    # label_weights without multi_label weigh each column's entries.
    c = _np_counts(yt * 1, yp, thr)
    lw_entries = np.broadcast_to(lw, yt.shape)
    pos = yp[None] > np.asarray(thr)[:, None, None]
    lab = (yt != 0)[None]
    masks = {"tp": pos & lab, "fp": pos & ~lab, "tn": ~pos & ~lab, "fn": ~pos & lab}
    c = {k: (lw_entries * m).sum((1, 2)) for k, m in masks.items()}
    got = _run(metrics.AUC(label_weights=list(lw)), "bin_t", "bin_p", False, traced)
    np.testing.assert_allclose(got, _np_auc(c), rtol=1e-5)


@pytest.mark.parametrize("traced", [False, True])
def test_value_at_constraint_metrics(traced):
    yt, yp, w = _cat("bin_t"), _cat("bin_p"), _cat("sw")
    n = 200
    thr = [0.0] + [(i + 1) / (n - 1) for i in range(n - 2)] + [1.0]
    c = _np_counts(yt, yp, thr, w)
    div = lambda a, b: np.divide(a, b, out=np.zeros_like(a), where=b != 0)  # noqa: E731
    rec, prec = div(c["tp"], c["tp"] + c["fn"]), div(c["tp"], c["tp"] + c["fp"])
    spec = div(c["tn"], c["tn"] + c["fp"])

    def best(given, value, target):
        return max(np.where(given >= value, target, 0.0).max(), 0.0)

    for m, expected in (
        (metrics.PrecisionAtRecall(0.6), best(rec, 0.6, prec)),
        (metrics.RecallAtPrecision(0.7), best(prec, 0.7, rec)),
        (metrics.SensitivityAtSpecificity(0.5), best(spec, 0.5, rec)),
        (metrics.SpecificityAtSensitivity(0.8), best(rec, 0.8, spec)),
    ):
        np.testing.assert_allclose(_run(m, "bin_t", "bin_p", True, traced), expected, rtol=1e-5)


def test_sensitivity_at_specificity_hand_computed():
    m = metrics.SensitivityAtSpecificity(0.5, num_thresholds=1)  # one threshold, 0.5
    m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    np.testing.assert_allclose(float(m.result()), 0.5, rtol=1e-6)
    m = metrics.PrecisionAtRecall(0.5)
    m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8], sample_weight=[2, 2, 2, 1, 1])
    np.testing.assert_allclose(float(m.result()), 1 / 3, rtol=1e-6)


# ---- F-scores, IoU, R2 ----------------------------------------------------------------------


def _np_fbeta(yt, yp, beta, average, threshold, w=None):
    pred = (yp > threshold) if threshold is not None else (
        (yp >= yp.max(-1, keepdims=True)) & (np.abs(yp) > 1e-9))  # fmt: skip
    pred = pred.astype(np.float64)
    w = np.ones(len(yt)) if w is None else w
    axis = None if average == "micro" else 0
    tp = (pred * yt * w[:, None]).sum(axis)
    fp = (pred * (1 - yt) * w[:, None]).sum(axis)
    fn = ((1 - pred) * yt * w[:, None]).sum(axis)
    support = (yt * w[:, None]).sum(axis)
    p, r = tp / (tp + fp + EPS), tp / (tp + fn + EPS)
    f = (1 + beta**2) * p * r / (beta**2 * p + r + EPS)
    if average == "weighted":
        return (f * support / (support.sum() + EPS)).sum()
    return f.mean() if average else f


@pytest.mark.parametrize("traced", [False, True])
@pytest.mark.parametrize(
    "average,beta,threshold", [(None, 1.0, None), ("micro", 1.0, 0.5), ("macro", 2.0, None),
                               ("weighted", 0.5, 0.3)],
)  # fmt: skip
def test_f_scores(traced, average, beta, threshold):
    cls = metrics.F1Score if beta == 1.0 else metrics.FBetaScore
    kwargs = {"average": average, "threshold": threshold} | ({"beta": beta} if beta != 1.0 else {})
    got = _run(cls(**kwargs), "bin_t", "bin_p", True, traced)
    expected = _np_fbeta(_cat("bin_t"), _cat("bin_p"), beta, average, threshold, _cat("sw"))
    np.testing.assert_allclose(got, expected, rtol=1e-4)


def _np_iou(cm, ids):
    tp = np.diag(cm)[ids]
    denom = (cm.sum(0) + cm.sum(1) - np.diag(cm))[ids]
    valid = denom > 1e-9
    return np.where(valid, tp / (denom + EPS), 0).sum() / (valid.sum() + EPS)


def _np_cm(t, p, n, w=None, ignore=None):
    cm = np.zeros((n, n))
    w = np.ones(len(t)) if w is None else w
    for a, b, c in zip(t, p, w, strict=True):
        if 0 <= a < n and 0 <= b < n and a != ignore:
            cm[a, b] += c
    return cm


@pytest.mark.parametrize("traced", [False, True])
def test_iou_family(traced):
    t, p = _cat("seg_t").ravel(), _cat("seg_p").ravel()
    cm = _np_cm(t, p, 3)
    got = _run(metrics.MeanIoU(num_classes=3), "seg_t", "seg_p", False, traced)
    np.testing.assert_allclose(got, _np_iou(cm, [0, 1, 2]), rtol=1e-5)
    got = _run(metrics.IoU(3, target_class_ids=[0, 2]), "seg_t", "seg_p", False, traced)
    np.testing.assert_allclose(got, _np_iou(cm, [0, 2]), rtol=1e-5)
    got = _run(metrics.IoU(3, [1, 2], ignore_class=0), "seg_t", "seg_p", False, traced)
    np.testing.assert_allclose(got, _np_iou(_np_cm(t, p, 3, ignore=0), [1, 2]), rtol=1e-5)
    bt, bp = _cat("bin_t").ravel().astype(int), (_cat("bin_p").ravel() >= 0.4).astype(int)
    got = _run(metrics.BinaryIoU(threshold=0.4), "bin_t", "bin_p", False, traced)
    np.testing.assert_allclose(got, _np_iou(_np_cm(bt, bp, 2), [0, 1]), rtol=1e-5)
    labels, pred = _cat("sparse"), _cat("probs").argmax(-1)
    cm4 = _np_cm(labels, pred, 4)
    got = _run(metrics.OneHotMeanIoU(num_classes=4), "onehot", "probs", False, traced)
    np.testing.assert_allclose(got, _np_iou(cm4, [0, 1, 2, 3]), rtol=1e-5)
    got = _run(metrics.OneHotIoU(4, target_class_ids=[1, 3]), "onehot", "probs", False, traced)
    np.testing.assert_allclose(got, _np_iou(cm4, [1, 3]), rtol=1e-5)


def test_iou_hand_computed_weights_and_int_state():
    m = metrics.IoU(num_classes=2, target_class_ids=[0], dtype="float32")
    m.update_state([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=[0.3, 0.3, 0.3, 0.1])
    # cm = [[0.3, 0.3], [0.3, 0.1]]: class 0 IoU = 0.3 / (0.6 + 0.6 - 0.3)
    np.testing.assert_allclose(float(m.result()), 0.3 / 0.9, rtol=1e-5)
    mean = metrics.MeanIoU(num_classes=3)
    assert mean.dtype == "int64" and mean.total_cm.dtype.name == "int64"
    mean.update_state([0, 1, 2, -1], [0, 2, 2, 1])  # -1 is out of range: skipped
    np.testing.assert_array_equal(mean.total_cm.numpy(), [[1, 0, 0], [0, 0, 1], [0, 0, 1]])
    np.testing.assert_allclose(float(mean.result()), (1 + 0 + 0.5) / 3, rtol=1e-5)
    with pytest.warns(UserWarning, match="float"):
        mean.update_state([0], [0], sample_weight=np.array([1.0], np.float32))


def _np_r2(yt, yp, w, aggregation="uniform_average", regressors=0):
    w = np.broadcast_to(w[:, None], yt.shape)
    mean = (yt * w).sum(0) / w.sum(0)
    total = (w * yt * yt).sum(0) - (yt * w).sum(0) * mean
    raw = 1 - (w * (yt - yp) ** 2).sum(0) / total
    weighted = (total * raw).sum() / total.sum()
    score = {"uniform_average": raw.mean(), None: raw, "variance_weighted_average": weighted}
    score = score[aggregation]
    n = yt.size
    if regressors and regressors < n - 1:
        score = 1 - (1 - score) * (n - 1) / (n - regressors - 1)
    return score


@pytest.mark.parametrize("traced", [False, True])
@pytest.mark.parametrize(
    "aggregation,regressors,weighted",
    [("uniform_average", 0, False), ("variance_weighted_average", 0, True), (None, 0, True),
     ("uniform_average", 3, False), ("uniform_average", 100, False)],
)  # fmt: skip
def test_r2_score(traced, aggregation, regressors, weighted):
    w = _cat("sw") if weighted else np.ones(len(_cat("sw")), np.float32)
    expected = _np_r2(_cat("reg_t"), _cat("reg_p"), w, aggregation, regressors)
    m = metrics.R2Score(class_aggregation=aggregation, num_regressors=regressors)
    got = _run(m, "reg_t", "reg_p", weighted, traced)
    np.testing.assert_allclose(got, expected, rtol=1e-4)


# ---- per-sample functions: regression, probabilistic, hinge ---------------------------------


def _clip(x, lo, hi):
    return np.clip(x, lo, hi)


def _log_softmax(x):
    z = x - x.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def _signs(y):
    return 2 * y - 1 if np.isin(y, [0, 1]).all() else y


def _mean_fn_cases():
    t, p, lbl = "reg_t", "reg_p", "sparse"
    return [
        (metrics.MeanSquaredError, {}, t, p, lambda a, b: ((a - b) ** 2).mean(-1)),
        (metrics.MeanAbsoluteError, {}, t, p, lambda a, b: np.abs(a - b).mean(-1)),
        (metrics.MeanAbsolutePercentageError, {}, t, p,
         lambda a, b: 100 * np.abs((a - b) / np.maximum(np.abs(a), EPS)).mean(-1)),
        (metrics.MeanSquaredLogarithmicError, {}, "pos_t", "pos_p",
         lambda a, b: ((np.log1p(b) - np.log1p(a)) ** 2).mean(-1)),
        (metrics.LogCoshError, {}, t, p, lambda a, b: np.log(np.cosh(b - a)).mean(-1)),
        (metrics.CosineSimilarity, {}, t, p, lambda a, b: (a * b).sum(-1) / (
            np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))),
        (metrics.BinaryCrossentropy, {}, "bin_t", "bin_p", lambda a, b: -(
            a * np.log(_clip(b, EPS, 1 - EPS)) + (1 - a) * np.log(1 - _clip(b, EPS, 1 - EPS))
        ).mean(-1)),
        (metrics.BinaryCrossentropy, {"from_logits": True, "label_smoothing": 0.2}, "bin_t",
         "reg_p", lambda a, b: (np.maximum(b, 0) - b * (a * 0.8 + 0.1)
                                + np.log1p(np.exp(-np.abs(b)))).mean(-1)),
        (metrics.CategoricalCrossentropy, {}, "onehot", "probs",
         lambda a, b: -(a * np.log(_clip(b / b.sum(-1, keepdims=True), EPS, 1 - EPS))).sum(-1)),
        (metrics.CategoricalCrossentropy, {"from_logits": True, "label_smoothing": 0.1}, "onehot",
         "logits", lambda a, b: -((a * 0.9 + 0.1 / 4) * _log_softmax(b)).sum(-1)),
        (metrics.SparseCategoricalCrossentropy, {}, lbl, "probs",
         lambda a, b: -_log_softmax(np.log(_clip(b, EPS, 1 - EPS)))[np.arange(len(a)), a]),
        (metrics.SparseCategoricalCrossentropy, {"from_logits": True, "ignore_class": 2}, lbl,
         "logits", lambda a, b: np.where(
             a == 2, 0.0, -_log_softmax(b)[np.arange(len(a)), np.where(a == 2, 0, a)])),
        (metrics.KLDivergence, {}, "probs", "probs", lambda a, b: np.zeros(len(a))),
        (metrics.KLDivergence, {}, "onehot", "probs", lambda a, b: (
            _clip(a, EPS, 1) * np.log(_clip(a, EPS, 1) / _clip(b, EPS, 1))).sum(-1)),
        (metrics.Poisson, {}, "pos_t", "pos_p", lambda a, b: (b - a * np.log(b + EPS)).mean(-1)),
        (metrics.Hinge, {}, "bin_t", "reg_p",
         lambda a, b: np.maximum(1 - _signs(a) * b, 0).mean(-1)),
        (metrics.SquaredHinge, {}, "bin_t", "reg_p",
         lambda a, b: (np.maximum(1 - _signs(a) * b, 0) ** 2).mean(-1)),
        (metrics.Hinge, {}, "reg_t", "reg_p", lambda a, b: np.maximum(1 - a * b, 0).mean(-1)),
        (metrics.CategoricalHinge, {}, "onehot", "logits", lambda a, b: np.maximum(
            ((1 - a) * b).max(-1) - (a * b).sum(-1) + 1, 0)),
    ]  # fmt: skip


@pytest.mark.parametrize("traced", [False, True])
@pytest.mark.parametrize("case", _mean_fn_cases(), ids=lambda c: c[0].__name__ + str(c[1]))
def test_mean_of_per_sample_functions(case, traced):
    cls, kwargs, tk, pk, ref = case
    weighted = "ignore_class" not in kwargs
    got = _run(cls(**kwargs), tk, pk, weighted, traced)
    per_sample = np.concatenate([ref(b[tk].astype(np.float64) if tk != "sparse" else b[tk],
                                     b[pk].astype(np.float64)) for b in BATCHES])  # fmt: skip
    w = _cat("sw") if weighted else None
    np.testing.assert_allclose(got, _mean(per_sample, w), rtol=2e-4, atol=1e-6)


@pytest.mark.parametrize("traced", [False, True])
def test_root_mean_squared_error(traced):
    yt, yp, w = _cat("reg_t"), _cat("reg_p"), _cat("sw")
    got = _run(metrics.RootMeanSquaredError(), "reg_t", "reg_p", True, traced)
    np.testing.assert_allclose(got, np.sqrt(_mean((yt - yp) ** 2, w)), rtol=1e-5)


def test_loss_functions_are_those_of_losses():
    assert metrics.mean_squared_error is losses.mean_squared_error
    assert metrics.hinge is losses.hinge
    assert metrics.sparse_categorical_crossentropy is losses.sparse_categorical_crossentropy
    with pytest.raises(AttributeError):
        metrics.not_a_metric  # noqa: B018


# ---- get / serialize / errors ---------------------------------------------------------------


def test_get_resolves_keras_names():
    assert metrics.get("mse") is losses.mean_squared_error  # kept from earlier releases
    assert metrics.get("accuracy") is metrics.accuracy
    for name, cls in (("auc", metrics.AUC), ("AUC", metrics.AUC),
                      ("bce", metrics.BinaryCrossentropy),
                      ("MAPE", metrics.MeanAbsolutePercentageError),
                      ("msle", metrics.MeanSquaredLogarithmicError),
                      ("MSE", metrics.MeanSquaredError),
                      ("mean_squared_error", metrics.MeanSquaredError),
                      ("binary_accuracy", metrics.BinaryAccuracy), ("f1_score", metrics.F1Score),
                      ("binary_io_u", metrics.BinaryIoU), ("r2_score", metrics.R2Score),
                      ("kl_divergence", metrics.KLDivergence), ("precision", metrics.Precision),
                      ("categorical_hinge", metrics.CategoricalHinge)):  # fmt: skip
        assert type(metrics.get(name)) is cls, name
    m = metrics.Precision()
    assert metrics.get(m) is m
    got = metrics.get({"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}})
    assert isinstance(got, metrics.CategoricalCrossentropy) and got.from_logits
    with pytest.raises(ValueError, match="'precision_at_k'"):
        metrics.get("precision_at_k")
    with pytest.raises(TypeError):
        metrics.get("mean_io_u")  # num_classes is required, as in Keras


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda: metrics.AUC(curve="XX"), "Invalid AUC curve value"),
        (lambda: metrics.AUC(summation_method="avg"), "summation method"),
        (lambda: metrics.AUC(num_thresholds=1), "num_thresholds=1"),
        (lambda: metrics.AUC(num_labels=3), "only when `multi_label`"),
        (lambda: metrics.Precision(thresholds=[0.5, 1.5]), r"Received: \[1.5\]"),
        (lambda: metrics.TruePositives(thresholds=-0.1), r"\[-0.1\]"),
        (lambda: metrics.SensitivityAtSpecificity(1.5), "specificity=1.5"),
        (lambda: metrics.SpecificityAtSensitivity(-0.1), "sensitivity=-0.1"),
        (lambda: metrics.PrecisionAtRecall(2.0), "recall=2.0"),
        (lambda: metrics.RecallAtPrecision(0.5, num_thresholds=0), "num_thresholds=0"),
        (lambda: metrics.F1Score(average="mean"), "average=mean"),
        (lambda: metrics.FBetaScore(beta=2), "beta=2"),
        (lambda: metrics.FBetaScore(beta=-1.0), "beta=-1.0"),
        (lambda: metrics.F1Score(threshold=1), "threshold=1"),
        (lambda: metrics.F1Score(threshold=1.5), "threshold=1.5"),
        (lambda: metrics.IoU(3, [0, 3]), r"Target class id 3 is out of range"),
        (lambda: metrics.R2Score(class_aggregation="mean"), "class_aggregation=mean"),
        (lambda: metrics.R2Score(num_regressors=-1), "num_regressors=-1"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_inputs_raise_value_error_naming_shapes():
    ones3 = np.ones((2, 2, 2), np.float32)
    with pytest.raises(ValueError, match="rank 2 when `multi_label=True`"):
        metrics.AUC(multi_label=True).update_state(ones3, ones3)
    with pytest.raises(ValueError, match="class_id is provided"):
        metrics.Precision(class_id=1).update_state(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match=r"FBetaScore expects 2D inputs.*\(3,\)"):
        metrics.F1Score().update_state(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match=r"R2Score expects 2D inputs.*\(2, 2, 2\)"):
        metrics.R2Score().update_state(ones3, ones3)
    with pytest.raises(ValueError, match=r"same shape.*\(3, 2\)"):
        metrics.BinaryCrossentropy().update_state(np.ones((3, 2)), np.ones((3, 3)) * 0.5)


def test_lazily_built_metrics_reset_and_trace_once_built():
    f1 = metrics.F1Score()
    f1.reset_state()  # before build: nothing to reset, no error
    assert f1.variables == []
    update = tf_ops.function(f1.update_state)
    update(tf_ops.constant([[1.0, 0.0]]), tf_ops.constant([[0.8, 0.3]]))
    update(tf_ops.constant([[0.0, 1.0]]), tf_ops.constant([[0.2, 0.9]]))
    np.testing.assert_allclose(f1.result().numpy(), [1.0, 1.0], rtol=1e-5)
    assert len(f1.variables) == 4
    f1.reset_state()
    np.testing.assert_allclose(f1.result().numpy(), [0.0, 0.0])


def _traced_update(metric, signature):
    return tf_ops.function(lambda a, b: metric.update_state(a, b), input_signature=signature)


def test_unknown_batch_size_while_tracing():
    spec = tf_ops.TensorSpec([None, 3], tf_ops.float32)
    yt, yp, w = _cat("bin_t"), _cat("bin_p"), _cat("sw")
    cases = [
        (metrics.Mean, [spec, tf_ops.TensorSpec([None], tf_ops.float32)], yp, w),
        (metrics.AUC, [spec, spec], yt, yp),
        (lambda: metrics.TopKCategoricalAccuracy(k=1), [spec, spec], yt, yp),
        (metrics.R2Score, [spec, spec], yt, yp),
    ]
    for make, signature, first, second in cases:
        traced, eager = make(), make()
        update = _traced_update(traced, signature)
        for part in (slice(0, 5), slice(5, None)):
            update(tf_ops.constant(first[part]), tf_ops.constant(second[part]))
            eager.update_state(first[part], second[part])
        assert update.experimental_get_tracing_count() <= 2
        np.testing.assert_allclose(traced.result().numpy(), eager.result().numpy(), rtol=1e-6)


def test_dtype_argument_sets_state_and_result_dtype():
    m = metrics.Mean(dtype="float64")
    m.update_state([1.0, 2.0])
    assert m.dtype == "float64" and [v.dtype.name for v in m.variables] == ["float64"] * 2
    assert m.result().dtype.name == "float64" and float(m.result()) == 1.5
    auc = metrics.AUC(dtype=tf_ops.float64)
    auc.update_state([0, 1], [0.2, 0.8])
    assert auc.result().dtype.name == "float64" and float(auc.result()) == 1.0
    iou = metrics.IoU(2, [0], dtype="int32")
    assert iou.total_cm.dtype.name == "int32" and metrics.IoU(2, [0]).dtype == "int64"
