"""tf.keras.metrics: fixed inputs, two ``update_state`` batches, results pinned to the numbers
real Keras 3 (TF 2.21) gives."""

import numpy as np
import pytest

# Two fixed batches of every kind of input.
BIN_T = [
    np.array([[1, 0, 1], [0, 1, 1], [1, 1, 0], [0, 0, 1]], np.float32),
    np.array([[0, 1, 0], [1, 0, 1], [1, 1, 1], [0, 0, 0]], np.float32),
]
BIN_P = [
    np.array([[0.9, 0.2, 0.6], [0.1, 0.7, 0.4], [0.55, 0.45, 0.2], [0.3, 0.05, 0.8]], np.float32),
    np.array(
        [[0.35, 0.65, 0.15], [0.6, 0.25, 0.95], [0.75, 0.4, 0.52], [0.12, 0.33, 0.02]], np.float32
    ),
]
LABELS = [np.array([2, 0, 1, 3], np.int32), np.array([1, 1, 3, 0], np.int32)]
ONEHOT = [np.eye(4, dtype=np.float32)[y] for y in LABELS]
PROBS = [
    np.array(
        [
            [0.1, 0.2, 0.6, 0.1],
            [0.5, 0.3, 0.1, 0.1],
            [0.25, 0.25, 0.4, 0.1],
            [0.05, 0.15, 0.3, 0.5],
        ],
        np.float32,
    ),
    np.array(
        [[0.2, 0.5, 0.2, 0.1], [0.4, 0.35, 0.15, 0.1], [0.1, 0.1, 0.3, 0.5], [0.3, 0.3, 0.2, 0.2]],
        np.float32,
    ),
]
LOGITS = [
    np.array(
        [
            [0.5, -1.0, 2.0, 0.1],
            [1.5, 0.2, -0.3, 0.0],
            [-0.2, 0.8, 0.4, 1.1],
            [0.0, -0.5, 0.3, 1.7],
        ],
        np.float32,
    ),
    np.array(
        [
            [-1.0, 1.2, 0.3, 0.0],
            [0.7, 0.6, -0.2, -1.5],
            [0.1, 0.2, 0.3, 0.9],
            [2.0, -0.4, 0.5, 0.0],
        ],
        np.float32,
    ),
]
REG_T = [
    np.array([[1.0, -0.5, 2.0], [0.3, 0.8, -1.2], [1.5, 0.0, 0.7], [-0.4, 2.2, 1.0]], np.float32),
    np.array([[0.2, 1.1, -0.6], [2.5, -0.3, 0.4], [0.9, 0.9, 1.8], [-1.0, 0.5, 0.0]], np.float32),
]
REG_P = [
    np.array([[0.8, -0.1, 1.5], [0.5, 0.6, -0.9], [1.0, 0.3, 0.2], [0.1, 1.8, 1.3]], np.float32),
    np.array([[0.0, 1.4, -0.2], [2.0, 0.1, 0.8], [1.2, 0.5, 1.5], [-0.6, 0.9, 0.4]], np.float32),
]
POS_T = [np.abs(x) + 0.1 for x in REG_T]
POS_P = [np.abs(x) + 0.2 for x in REG_P]
SEG_T = [
    np.array([[0, 1], [2, 2], [1, 0], [2, 1]], np.int32),
    np.array([[1, 1], [0, 2], [2, 0], [0, 0]], np.int32),
]
SEG_P = [
    np.array([[0, 2], [2, 1], [1, 0], [0, 1]], np.int32),
    np.array([[1, 0], [0, 2], [2, 2], [1, 0]], np.int32),
]
SW = [np.array([1.0, 0.5, 2.0, 1.5], np.float32), np.array([0.0, 1.0, 1.0, 3.0], np.float32)]
INPUTS = {
    "bin_t": BIN_T,
    "bin_p": BIN_P,
    "labels": LABELS,
    "onehot": ONEHOT,
    "probs": PROBS,
    "logits": LOGITS,
    "reg_t": REG_T,
    "reg_p": REG_P,
    "pos_t": POS_T,
    "pos_p": POS_P,
    "seg_t": SEG_T,
    "seg_p": SEG_P,
}

# (metric, constructor arguments, y_true, y_pred, weighted by SW)
CASES = [
    ("Mean", {}, None, "reg_p", True),
    ("Sum", {}, None, "reg_p", True),
    ("Accuracy", {}, "seg_t", "seg_p", False),
    ("BinaryAccuracy", {}, "bin_t", "bin_p", True),
    ("BinaryAccuracy", {"threshold": 0.3}, "bin_t", "bin_p", False),
    ("CategoricalAccuracy", {}, "onehot", "probs", True),
    ("SparseCategoricalAccuracy", {}, "labels", "probs", False),
    ("TopKCategoricalAccuracy", {"k": 2}, "onehot", "logits", True),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "labels", "probs", False),
    ("TruePositives", {}, "bin_t", "bin_p", True),
    ("FalsePositives", {"thresholds": [0.2, 0.5, 0.8]}, "bin_t", "bin_p", False),
    ("TrueNegatives", {"thresholds": [0.0, 0.5, 1.0]}, "bin_t", "bin_p", True),
    ("FalseNegatives", {}, "bin_t", "bin_p", False),
    ("Precision", {}, "bin_t", "bin_p", True),
    ("Precision", {"top_k": 2}, "bin_t", "bin_p", False),
    ("Recall", {"thresholds": [0.3, 0.6]}, "bin_t", "bin_p", True),
    ("Recall", {"class_id": 1}, "bin_t", "bin_p", False),
    ("AUC", {}, "bin_t", "bin_p", False),
    ("AUC", {"num_thresholds": 50}, "bin_t", "bin_p", True),
    ("AUC", {"curve": "PR"}, "bin_t", "bin_p", True),
    ("AUC", {"curve": "PR", "summation_method": "minoring"}, "bin_t", "bin_p", False),
    ("AUC", {"thresholds": [0.25, 0.5, 0.7]}, "bin_t", "bin_p", True),
    ("AUC", {"multi_label": True}, "bin_t", "bin_p", True),
    ("AUC", {"from_logits": True}, "onehot", "logits", False),
    ("PrecisionAtRecall", {"recall": 0.5}, "bin_t", "bin_p", True),
    ("RecallAtPrecision", {"precision": 0.6}, "bin_t", "bin_p", False),
    ("SensitivityAtSpecificity", {"specificity": 0.5}, "bin_t", "bin_p", True),
    ("SpecificityAtSensitivity", {"sensitivity": 0.5}, "bin_t", "bin_p", False),
    ("F1Score", {}, "onehot", "probs", False),
    ("F1Score", {"average": "micro", "threshold": 0.3}, "bin_t", "bin_p", True),
    ("FBetaScore", {"average": "weighted", "beta": 2.0, "threshold": 0.5}, "bin_t", "bin_p", False),
    ("MeanIoU", {"num_classes": 3}, "seg_t", "seg_p", False),
    ("IoU", {"num_classes": 3, "target_class_ids": [0, 2]}, "seg_t", "seg_p", False),
    ("BinaryIoU", {}, "bin_t", "bin_p", False),
    ("OneHotIoU", {"num_classes": 4, "target_class_ids": [0, 1, 3]}, "onehot", "probs", False),
    ("OneHotMeanIoU", {"num_classes": 4}, "onehot", "probs", False),
    ("R2Score", {}, "reg_t", "reg_p", False),
    ("R2Score", {"class_aggregation": "variance_weighted_average"}, "reg_t", "reg_p", True),
    ("MeanSquaredError", {}, "reg_t", "reg_p", True),
    ("RootMeanSquaredError", {}, "reg_t", "reg_p", True),
    ("MeanAbsoluteError", {}, "reg_t", "reg_p", False),
    ("MeanAbsolutePercentageError", {}, "reg_t", "reg_p", True),
    ("MeanSquaredLogarithmicError", {}, "pos_t", "pos_p", False),
    ("CosineSimilarity", {}, "reg_t", "reg_p", True),
    ("LogCoshError", {}, "reg_t", "reg_p", False),
    ("BinaryCrossentropy", {}, "bin_t", "bin_p", True),
    (
        "BinaryCrossentropy",
        {"from_logits": True, "label_smoothing": 0.1},
        "onehot",
        "logits",
        False,
    ),
    ("CategoricalCrossentropy", {}, "onehot", "probs", True),
    ("CategoricalCrossentropy", {"from_logits": True}, "onehot", "logits", False),
    ("SparseCategoricalCrossentropy", {}, "labels", "probs", False),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "labels", "logits", True),
    ("KLDivergence", {}, "onehot", "probs", True),
    ("Poisson", {}, "pos_t", "pos_p", False),
    ("Hinge", {}, "bin_t", "reg_p", True),
    ("SquaredHinge", {}, "bin_t", "reg_p", False),
    ("CategoricalHinge", {}, "onehot", "logits", True),
]

# Obtained from real Keras 3.15 (TensorFlow 2.21) with this file's inputs.
EXPECTED = {
    'Mean': 0.61,
    'Sum': 18.3,
    'Accuracy': 0.625,
    'BinaryAccuracy': 0.8833334,
    'BinaryAccuracy-threshold=0.3': 0.9166667,
    'CategoricalAccuracy': 0.7,
    'SparseCategoricalAccuracy': 0.75,
    'TopKCategoricalAccuracy-k=2': 1.0,
    'SparseTopKCategoricalAccuracy-k=2': 1.0,
    'TruePositives': 10.0,
    'FalsePositives-thresholds=[0.2, 0.5, 0.8]': [4.0, 0.0, 0.0],
    'TrueNegatives-thresholds=[0.0, 0.5, 1.0]': [0.0, 16.5, 16.5],
    'FalseNegatives': 3.0,
    'Precision': 1.0,
    'Precision-top_k=2': 0.75,
    'Recall-thresholds=[0.3, 0.6]': [1.0, 0.3703704],
    'Recall-class_id=1': 0.5,
    'AUC': 1.0,
    'AUC-num_thresholds=50': 1.0,
    'AUC-curve=PR': 1.0,
    'AUC-curve=PR-summation_method=minoring': 0.9230769,
    'AUC-thresholds=[0.25, 0.5, 0.7]': 0.9646465,
    'AUC-multi_label=True': 1.0,
    'AUC-from_logits=True': 0.9791667,
    'PrecisionAtRecall-recall=0.5': 1.0,
    'RecallAtPrecision-precision=0.6': 1.0,
    'SensitivityAtSpecificity-specificity=0.5': 1.0,
    'SpecificityAtSensitivity-sensitivity=0.5': 1.0,
    'F1Score': [0.8, 0.3999999, 0.6666666, 1.0],
    'F1Score-average=micro-threshold=0.3': 0.9,
    'FBetaScore-average=weighted-beta=2.0-threshold=0.5': 0.7991453,
    'MeanIoU-num_classes=3': 0.452381,
    'IoU-num_classes=3-target_class_ids=[0, 2]': 0.4642857,
    'BinaryIoU': 0.7774725,
    'OneHotIoU-num_classes=4-target_class_ids=[0, 1, 3]': 0.6666667,
    'OneHotMeanIoU-num_classes=4': 0.625,
    'R2Score': 0.843631,
    'R2Score-class_aggregation=variance_weighted_average': 0.8238248,
    'MeanSquaredError': 0.1605,
    'RootMeanSquaredError': 0.4006245,
    'MeanAbsoluteError': 0.3625,
    'MeanAbsolutePercentageError': 60000040.0,
    'MeanSquaredLogarithmicError': 0.03490419,
    'CosineSimilarity': 0.9147944,
    'LogCoshError': 0.06865294,
    'BinaryCrossentropy': 0.3355793,
    'BinaryCrossentropy-from_logits=True-label_smoothing=0.1': 0.6227862,
    'CategoricalCrossentropy': 1.00246,
    'CategoricalCrossentropy-from_logits=True': 0.6724756,
    'SparseCategoricalCrossentropy': 0.8654379,
    'SparseCategoricalCrossentropy-from_logits=True': 0.6706233,
    'KLDivergence': 1.002455,
    'Poisson': 0.8601342,
    'Hinge': 0.8516666,
    'SquaredHinge': 1.113333,
    'CategoricalHinge': 0.41,
}  # fmt: skip


def _result(tf, name, kwargs, true_key, pred_key, weighted):
    metric = getattr(tf.keras.metrics, name)(**kwargs)
    for i in range(2):
        args = [INPUTS[pred_key][i]]
        if true_key is not None:
            args.insert(0, INPUTS[true_key][i])
        metric.update_state(*args, sample_weight=SW[i] if weighted else None)
    return np.asarray(metric.result())


def _case_id(case):
    name, kwargs = case[0], case[1]
    return name + "".join(f"-{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_metric_result_after_two_batches(tf, case):
    got = _result(tf, *case)
    np.testing.assert_allclose(got, EXPECTED[_case_id(case)], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c[0] in ("AUC", "Precision", "MeanIoU", "SparseTopKCategoricalAccuracy",
                                  "F1Score", "R2Score", "SparseCategoricalCrossentropy")],
    ids=_case_id,
)  # fmt: skip
def test_update_state_inside_tf_function_gives_the_same_result(tf, case):
    name, kwargs, true_key, pred_key, weighted = case
    metric = getattr(tf.keras.metrics, name)(**kwargs)
    update = tf.function(metric.update_state)
    for i in range(2):
        args = [tf.constant(INPUTS[true_key][i]), tf.constant(INPUTS[pred_key][i])]
        update(*args, sample_weight=tf.constant(SW[i]) if weighted else None)
    np.testing.assert_allclose(
        np.asarray(metric.result()), EXPECTED[_case_id(case)], rtol=1e-5, atol=1e-6
    )
    metric.reset_state()  # back to a fresh metric's state (a fresh result)
    fresh = getattr(tf.keras.metrics, name)(**kwargs)
    fresh.update_state(INPUTS[true_key][0], INPUTS[pred_key][0])
    metric.update_state(INPUTS[true_key][0], INPUTS[pred_key][0])
    np.testing.assert_allclose(np.asarray(metric.result()), np.asarray(fresh.result()), rtol=1e-6)


def test_keras_default_names_configs_and_get(tf):
    m = tf.keras.metrics.AUC(num_thresholds=7, curve="PR")
    config = m.get_config()
    assert config["num_thresholds"] == 7 and config["curve"] == "PR"
    assert config["summation_method"] == "interpolation" and config["multi_label"] is False
    assert [tuple(v.shape) for v in m.variables] == [(7,)] * 4
    assert tf.keras.metrics.LogCoshError().name == "logcosh"
    assert tf.keras.metrics.MeanIoU(num_classes=2).dtype == "int64"
    assert tf.keras.metrics.F1Score().get_config() == {
        "name": "f1_score", "dtype": "float32", "average": None, "threshold": None,
    }  # fmt: skip
    assert isinstance(tf.keras.metrics.get("auc"), tf.keras.metrics.AUC)
    assert isinstance(tf.keras.metrics.get("msle"), tf.keras.metrics.MeanSquaredLogarithmicError)
    with pytest.raises(ValueError):
        tf.keras.metrics.get("precision_at_k")
