"""tf.keras.losses: every loss class against numbers obtained from real Keras 3.15 / TF 2.21,
its config keys, ``get`` and the short names, masks, and the same numbers inside tf.function."""

import numpy as np
import pytest

REG_T = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75], [0.0, 3.0, 1.0]]
REG_P = [[0.75, -0.5, 1.0], [1.0, 0.5, 0.25], [-0.5, 2.5, 1.5]]
POS_T = [[0.5, 1.0, 2.0], [1.5, 0.25, 0.0], [0.0, 3.0, 1.0]]
POS_P = [[0.75, 0.5, 1.0], [1.0, 0.5, 0.25], [0.1, 2.5, 1.5]]
BIN_T = [[1.0, 0.0, 1.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0]]
PROBS = [[0.7, 0.2, 0.9], [0.3, 0.4, 0.6], [0.8, 0.55, 0.1]]
DIST = [[0.2, 0.3, 0.5], [0.6, 0.1, 0.3], [0.25, 0.25, 0.5]]
LOGITS = [[1.5, -0.5, 2.0], [-1.0, 0.3, 0.8], [2.2, 0.1, -1.7]]
ONEHOT = [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
LABELS = [0, 2, 1]
SW = [1.0, 0.5, 2.0]

# (class, kwargs, y_true, y_pred, default reduction with SW, reduction="none", "sum" with SW);
# the numbers were printed by real tf.keras.losses.
CASES = [
    ("MeanSquaredError", {}, REG_T, REG_P, 0.38541666, [0.4375, 0.4375, 0.25], 1.15625),
    ("MeanAbsoluteError", {}, REG_T, REG_P, 0.625, [0.58333331, 0.58333331, 0.5], 1.875),
    (
        "MeanAbsolutePercentageError",
        {},
        REG_T,
        REG_P,
        111111160.0,
        [50.0, 88.888893, 166666690.0],
        333333470.0,
    ),
    (
        "MeanSquaredLogarithmicError",
        {},
        POS_T,
        POS_P,
        0.054528262,
        [0.090308458, 0.044275731, 0.025569228],
        0.16358478,
    ),
    ("Huber", {"delta": 0.75}, REG_T, REG_P, 0.1875, [0.20833333, 0.20833333, 0.125], 0.5625),
    ("LogCosh", {}, REG_T, REG_P, 0.17754717, [0.19494174, 0.19494168, 0.12011447], 0.53264153),
    (
        "CosineSimilarity",
        {},
        REG_T,
        REG_P,
        -1.0754315,
        [-0.93200696, -0.74001282, -0.96214044],
        -3.2262943,
    ),
    (
        "BinaryCrossentropy",
        {},
        BIN_T,
        PROBS,
        0.35855827,
        [0.228393, 0.45944205, 0.30878037],
        1.0756748,
    ),
    (
        "BinaryCrossentropy",
        {"from_logits": True, "label_smoothing": 0.1},
        BIN_T,
        LOGITS,
        0.44931218,
        [0.33413944, 0.53790587, 0.37242207],
        1.3479365,
    ),
    (
        "BinaryFocalCrossentropy",
        {"apply_class_balancing": True, "alpha": 0.3, "gamma": 1.5},
        BIN_T,
        PROBS,
        0.026955688,
        [0.010850945, 0.056751717, 0.020820132],
        0.080867067,
    ),
    (
        "BinaryFocalCrossentropy",
        {"from_logits": True},
        BIN_T,
        LOGITS,
        0.060790259,
        [0.025359971, 0.11341678, 0.05015121],
        0.18237078,
    ),
    (
        "CategoricalCrossentropy",
        {},
        ONEHOT,
        PROBS,
        1.0899526,
        [0.94446158, 0.7731899, 0.96940058],
        3.2698579,
    ),
    (
        "CategoricalCrossentropy",
        {"from_logits": True, "label_smoothing": 0.2},
        ONEHOT,
        LOGITS,
        1.9711224,
        [1.1239091, 0.72534597, 2.2133925],
        5.9133673,
    ),
    (
        "SparseCategoricalCrossentropy",
        {},
        LABELS,
        PROBS,
        1.0899525,
        [0.94446158, 0.77318984, 0.96940053],
        3.2698574,
    ),
    (
        "SparseCategoricalCrossentropy",
        {"from_logits": True, "ignore_class": 1},
        LABELS,
        LOGITS,
        0.65495771,
        [1.0239091, 0.57201266, 0.0],
        1.3099154,
    ),
    (
        "CategoricalFocalCrossentropy",
        {},
        ONEHOT,
        PROBS,
        0.10097828,
        [0.088178895, 0.056044832, 0.09336675],
        0.30293483,
    ),
    (
        "CategoricalFocalCrossentropy",
        {"from_logits": True, "alpha": 0.5, "gamma": 1.0},
        ONEHOT,
        LOGITS,
        0.79480433,
        [0.32806659, 0.12458766, 0.99702632],
        2.384413,
    ),
    (
        "KLDivergence",
        {},
        DIST,
        PROBS,
        0.081828274,
        [-0.42280638, 0.069314733, 0.31681693],
        0.24548483,
    ),
    ("Poisson", {}, POS_T, POS_P, 0.65999508, [1.0289959, 0.64109552, 0.31522086], 1.9799852),
    ("Hinge", {}, BIN_T, REG_P, 1.2083334, [0.25, 1.4166666, 1.3333334], 3.625),
    ("SquaredHinge", {}, BIN_T, REG_P, 2.3020833, [0.10416666, 2.2708333, 2.8333333], 6.90625),
    ("CategoricalHinge", {}, ONEHOT, REG_P, 0.70833331, [1.25, 1.75, 0.0], 2.125),
    ("MeanSquaredError", {}, REG_T, REG_P, 0.38541666, [0.4375, 0.4375, 0.25], 1.15625),
    ("MeanAbsoluteError", {}, REG_T, REG_P, 0.625, [0.58333331, 0.58333331, 0.5], 1.875),
    (
        "MeanAbsolutePercentageError",
        {},
        REG_T,
        REG_P,
        111111160.0,
        [50.0, 88.888893, 166666690.0],
        333333470.0,
    ),
    (
        "MeanSquaredLogarithmicError",
        {},
        POS_T,
        POS_P,
        0.054528262,
        [0.090308458, 0.044275731, 0.025569228],
        0.16358478,
    ),
    ("Huber", {"delta": 0.75}, REG_T, REG_P, 0.1875, [0.20833333, 0.20833333, 0.125], 0.5625),
    ("LogCosh", {}, REG_T, REG_P, 0.17754717, [0.19494174, 0.19494168, 0.12011447], 0.53264153),
    (
        "CosineSimilarity",
        {},
        REG_T,
        REG_P,
        -1.0754315,
        [-0.93200696, -0.74001282, -0.96214044],
        -3.2262943,
    ),
    (
        "BinaryCrossentropy",
        {},
        BIN_T,
        PROBS,
        0.35855827,
        [0.228393, 0.45944205, 0.30878037],
        1.0756748,
    ),
    (
        "BinaryCrossentropy",
        {"from_logits": True, "label_smoothing": 0.1},
        BIN_T,
        LOGITS,
        0.44931218,
        [0.33413944, 0.53790587, 0.37242207],
        1.3479365,
    ),
    (
        "BinaryFocalCrossentropy",
        {"apply_class_balancing": True, "alpha": 0.3, "gamma": 1.5},
        BIN_T,
        PROBS,
        0.026955688,
        [0.010850945, 0.056751717, 0.020820132],
        0.080867067,
    ),
    (
        "BinaryFocalCrossentropy",
        {"from_logits": True},
        BIN_T,
        LOGITS,
        0.060790259,
        [0.025359971, 0.11341678, 0.05015121],
        0.18237078,
    ),
    (
        "CategoricalCrossentropy",
        {},
        ONEHOT,
        PROBS,
        1.0899526,
        [0.94446158, 0.7731899, 0.96940058],
        3.2698579,
    ),
    (
        "CategoricalCrossentropy",
        {"from_logits": True, "label_smoothing": 0.2},
        ONEHOT,
        LOGITS,
        1.9711224,
        [1.1239091, 0.72534597, 2.2133925],
        5.9133673,
    ),
    (
        "SparseCategoricalCrossentropy",
        {},
        LABELS,
        PROBS,
        1.0899525,
        [0.94446158, 0.77318984, 0.96940053],
        3.2698574,
    ),
    (
        "SparseCategoricalCrossentropy",
        {"from_logits": True, "ignore_class": 1},
        LABELS,
        LOGITS,
        0.65495771,
        [1.0239091, 0.57201266, 0.0],
        1.3099154,
    ),
    (
        "CategoricalFocalCrossentropy",
        {},
        ONEHOT,
        PROBS,
        0.10097828,
        [0.088178895, 0.056044832, 0.09336675],
        0.30293483,
    ),
    (
        "CategoricalFocalCrossentropy",
        {"from_logits": True, "alpha": 0.5, "gamma": 1.0},
        ONEHOT,
        LOGITS,
        0.79480433,
        [0.32806659, 0.12458766, 0.99702632],
        2.384413,
    ),
    (
        "KLDivergence",
        {},
        DIST,
        PROBS,
        0.081828274,
        [-0.42280638, 0.069314733, 0.31681693],
        0.24548483,
    ),
    ("Poisson", {}, POS_T, POS_P, 0.65999508, [1.0289959, 0.64109552, 0.31522086], 1.9799852),
    ("Hinge", {}, BIN_T, REG_P, 1.2083334, [0.25, 1.4166666, 1.3333334], 3.625),
    ("SquaredHinge", {}, BIN_T, REG_P, 2.3020833, [0.10416666, 2.2708333, 2.8333333], 6.90625),
    ("CategoricalHinge", {}, ONEHOT, REG_P, 0.70833331, [1.25, 1.75, 0.0], 2.125),
    (
        "Dice",
        {"axis": -1},
        BIN_T,
        PROBS,
        0.27726927,
        [0.15789479, 0.47826087, 0.21739131],
        0.83180785,
    ),
    (
        "Tversky",
        {"alpha": 0.3, "beta": 0.7, "axis": -1},
        BIN_T,
        PROBS,
        0.24000825,
        [0.13978499, 0.50413227, 0.16408682],
        0.72002476,
    ),
    (
        "CategoricalGeneralizedCrossEntropy",
        {"q": 0.3},
        LABELS,
        DIST,
        1.3500396,
        [1.2765539, 1.0105157, 1.1341536],
        4.0501189,
    ),
]

PLAIN = {"name", "reduction"}
CROSSENTROPY = PLAIN | {"from_logits", "label_smoothing", "axis"}
CONFIG_KEYS = {
    "MeanSquaredError": PLAIN,
    "MeanAbsoluteError": PLAIN,
    "MeanAbsolutePercentageError": PLAIN,
    "MeanSquaredLogarithmicError": PLAIN,
    "Huber": PLAIN,
    "LogCosh": PLAIN,
    "CosineSimilarity": PLAIN,
    "BinaryCrossentropy": CROSSENTROPY,
    "BinaryFocalCrossentropy": CROSSENTROPY | {"apply_class_balancing", "alpha", "gamma"},
    "CategoricalCrossentropy": CROSSENTROPY,
    "SparseCategoricalCrossentropy": PLAIN | {"from_logits", "ignore_class"},
    "CategoricalFocalCrossentropy": CROSSENTROPY | {"alpha", "gamma"},
    "KLDivergence": PLAIN,
    "Poisson": PLAIN,
    "Hinge": PLAIN,
    "SquaredHinge": PLAIN,
    "CategoricalHinge": PLAIN,
    "Dice": PLAIN | {"axis"},
    "Tversky": PLAIN | {"alpha", "beta", "axis"},
    "CategoricalGeneralizedCrossEntropy": PLAIN | {"q"},
}
NAMES = {
    "MeanSquaredError": "mean_squared_error",
    "Huber": "huber_loss",
    "KLDivergence": "kl_divergence",
    "LogCosh": "log_cosh",
    "CategoricalFocalCrossentropy": "categorical_focal_crossentropy",
}


def _ids(case):
    return case[0] + "".join(f"-{k}={v}" for k, v in case[1].items())


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_loss_values_match_keras(tf, case):
    cls_name, kwargs, y_true, y_pred, weighted, per_sample, weighted_sum = case
    cls = getattr(tf.keras.losses, cls_name)
    y_true, y_pred, sw = tf.constant(y_true), tf.constant(y_pred), tf.constant(SW)
    np.testing.assert_allclose(float(cls(**kwargs)(y_true, y_pred, sample_weight=sw)), weighted,
                               rtol=1e-5, atol=1e-7)  # fmt: skip
    none = cls(reduction="none", **kwargs)(y_true, y_pred)
    np.testing.assert_allclose(np.asarray(none), per_sample, rtol=1e-5, atol=1e-7)
    total = cls(reduction="sum", **kwargs)(y_true, y_pred, sample_weight=sw)
    np.testing.assert_allclose(float(total), weighted_sum, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("case", CASES[::3], ids=[_ids(c) for c in CASES[::3]])
def test_loss_values_inside_tf_function(tf, case):
    cls_name, kwargs, y_true, y_pred, weighted, _, _ = case
    loss = getattr(tf.keras.losses, cls_name)(**kwargs)
    fn = tf.function(lambda a, b, w: loss(a, b, sample_weight=w))
    value = fn(tf.constant(y_true), tf.constant(y_pred), tf.constant(SW))
    np.testing.assert_allclose(float(value), weighted, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("cls_name", sorted(CONFIG_KEYS))
def test_config_keys_and_round_trip(tf, cls_name):
    cls = getattr(tf.keras.losses, cls_name)
    config = cls().get_config()
    assert set(config) == CONFIG_KEYS[cls_name]
    assert config["reduction"] == "sum_over_batch_size"
    if cls_name in NAMES:
        assert config["name"] == NAMES[cls_name]
    assert cls.from_config(config).get_config() == config


def test_crossentropy_config_values(tf):
    config = tf.keras.losses.BinaryFocalCrossentropy(
        apply_class_balancing=True, alpha=0.3, gamma=1.5, from_logits=True, label_smoothing=0.1
    ).get_config()
    assert {k: config[k] for k in ("apply_class_balancing", "alpha", "gamma", "axis")} == {
        "apply_class_balancing": True, "alpha": 0.3, "gamma": 1.5, "axis": -1,
    }  # fmt: skip
    config = tf.keras.losses.SparseCategoricalCrossentropy(ignore_class=4).get_config()
    assert config["ignore_class"] == 4 and config["from_logits"] is False


def test_get_resolves_names_like_keras(tf):
    losses = tf.keras.losses
    assert isinstance(losses.get("Huber"), losses.Huber)
    assert isinstance(losses.get("CategoricalHinge"), losses.CategoricalHinge)
    for name in ("mse", "mae", "mape", "msle", "kld", "bce", "huber", "log_cosh", "hinge"):
        fn = losses.get(name)
        assert callable(fn) and not isinstance(fn, losses.Loss), name
    value = losses.get("huber")(tf.constant([[0.0, 2.0]]), tf.constant([[0.5, 0.0]]))
    np.testing.assert_allclose(np.asarray(value), [(0.125 + 1.5) / 2], rtol=1e-6)
    with pytest.raises(ValueError, match="huber_loss"):
        losses.get("huber_loss")


def test_short_names(tf):
    losses = tf.keras.losses
    assert losses.mse is losses.MSE and losses.mae is losses.MAE
    assert losses.kld is losses.KLD is losses.kullback_leibler_divergence
    assert losses.mape is losses.MAPE and losses.msle is losses.MSLE
    y, p = tf.constant([[0.5, 0.5]]), tf.constant([[0.25, 0.75]])
    np.testing.assert_allclose(np.asarray(losses.logcosh(y, p)), [np.log(np.cosh(0.25))],
                               rtol=1e-6)  # fmt: skip
    np.testing.assert_allclose(np.asarray(losses.msle(y, p)), [
        np.mean((np.log1p([0.25, 0.75]) - np.log1p(0.5)) ** 2)], rtol=1e-6)  # fmt: skip
    assert losses.Reduction.SUM_OVER_BATCH_SIZE == "sum_over_batch_size"


def test_invalid_arguments(tf):
    with pytest.raises(ValueError, match="reduction=avg"):
        tf.keras.losses.MeanSquaredError(reduction="avg")
    with pytest.raises(ValueError, match=r"interval \(0, 1\)"):
        tf.keras.losses.CategoricalGeneralizedCrossEntropy(q=1.5)


def test_dice_over_the_whole_batch(tf):
    y_true = tf.constant([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    y_pred = tf.constant([[0.9, 0.2, 0.6], [0.3, 0.7, 0.4]])
    np.testing.assert_allclose(float(tf.keras.losses.Dice()(y_true, y_pred)), 0.26760566,
                               rtol=1e-6)  # fmt: skip
    weighted = tf.keras.losses.Dice()(y_true, y_pred, sample_weight=tf.constant([1.0, 3.0]))
    np.testing.assert_allclose(float(weighted), 0.5352113, rtol=1e-6)


def test_mask_on_y_pred_rescales_the_mean(tf):
    y_true = np.arange(12, dtype=np.float32).reshape(2, 3, 2) / 10
    y_pred = tf.Variable(y_true[::-1] * 1.3)
    y_pred._keras_mask = np.array([[True, False, True], [False, False, True]])
    mse = tf.keras.losses.MeanSquaredError
    np.testing.assert_allclose(float(mse()(y_true, y_pred)), 0.56205, rtol=1e-5)
    np.testing.assert_allclose(float(mse(reduction="sum")(y_true, y_pred)), 1.68615, rtol=1e-5)
    sw = np.array([[1.0], [3.0]], np.float32)
    np.testing.assert_allclose(float(mse()(y_true, y_pred, sample_weight=sw)), 0.70635,
                               rtol=1e-5)  # fmt: skip
    np.testing.assert_allclose(
        float(mse(reduction="mean_with_sample_weight")(y_true, y_pred, sample_weight=sw)),
        0.42381, rtol=1e-5,
    )  # fmt: skip


def test_sparse_labels_out_of_range(tf):
    loss = tf.keras.losses.SparseCategoricalCrossentropy()
    with pytest.raises(tf.errors.InvalidArgumentError, match="label value of 5"):
        loss(tf.constant([0, 5]), tf.constant([[0.5, 0.5], [0.3, 0.7]]))


def test_float64_inputs_give_a_float32_loss(tf):
    y = np.array([[1.0, 2.0]])
    assert tf.keras.losses.MeanSquaredError()(y, y * 2).dtype == tf.float32
    assert tf.keras.losses.MeanSquaredError(dtype="float64")(y, y * 2).dtype == tf.float64
    assert tf.keras.losses.MeanSquaredError().dtype == "float32"
