"""tf.keras.optimizers: three steps of each optimizer on fixed variables and gradients,
against values read off real Keras 3.15 (TF 2.21); loss scaling, EMA, schedules, config keys."""

import numpy as np
import pytest

W0 = [[1.0, -2.0, 0.5], [0.3, 2.0, -1.5]]
B0 = [0.5, -0.25, 1.0]
GW = [
    [[0.1, -0.4, 2.0], [0.0, 0.5, -1.0]],
    [[-0.3, 0.2, 1.0], [0.5, -0.5, 0.25]],
    [[0.2, 0.1, -0.6], [1.5, 0.0, 0.75]],
]
GB = [[0.5, -1.0, 0.25], [0.1, 0.3, -0.2], [-0.4, 0.6, 0.05]]

# name: (optimizer, w after 3 steps, b after 3 steps), from real Keras.
EXPECTED = {
    "sgd_nesterov": (
        lambda K: K.SGD(0.1, momentum=0.9, nesterov=True),
        [[1.0089099, -1.93564, -0.3448], [-0.1205, 1.96355, -1.3663499]],
        [0.37695, -0.10140002, 0.95872504],
    ),
    "adam": (
        lambda K: K.Adam(0.1),
        [[0.94754303, -1.8672293, 0.25376198], [0.14679992, 1.9093328, -1.3613287]],
        [0.31032866, -0.110402, 0.87988567],
    ),
    "adam_amsgrad": (
        lambda K: K.Adam(0.1, beta_1=0.8, beta_2=0.9, amsgrad=True),
        [[0.94903761, -1.8792064, 0.26061156], [0.14194015, 1.9189426, -1.3753796]],
        [0.32342204, -0.12377513, 0.88912672],
    ),
    "adamw": (
        lambda K: K.AdamW(0.1, weight_decay=0.1),
        [[0.91933775, -1.8100836, 0.24183366], [0.13863374, 1.8518682, -1.3192366]],
        [0.29827118, -0.10539458, 0.85223275],
    ),
    "rmsprop_centered": (
        lambda K: K.RMSprop(0.1, momentum=0.5, centered=True),
        [[0.70335686, -1.7148908, -0.23280674], [-0.52773559, 1.7608819, -1.2388922]],
        [0.019621834, 0.017978087, 0.6694386],
    ),
    "adagrad": (
        lambda K: K.Adagrad(0.1),
        [[0.99610609, -1.976029, 0.38262391], [0.12245853, 1.9800342, -1.4849447]],
        [0.45428792, -0.23034787, 0.97138399],
    ),
    "adadelta": (
        lambda K: K.Adadelta(1.0),
        [[0.99899286, -1.9999948, 0.49826142], [0.29668367, 2.0000181, -1.5003197]],
        [0.49946624, -0.25023901, 0.99947768],
    ),
    "adamax": (
        lambda K: K.Adamax(0.1),
        [[0.93548787, -1.8748592, 0.29074675], [0.199398, 1.9085877, -1.371856]],
        [0.33502227, -0.12060794, 0.88400912],
    ),
    "nadam": (
        lambda K: K.Nadam(0.1),
        [[0.93604529, -1.9533225, 0.35890156], [0.093744427, 1.961491, -1.4700501]],
        [0.4253163, -0.21519196, 0.93477076],
    ),
    "lion": (
        lambda K: K.Lion(0.1),
        [[0.89999998, -2.0999999, 0.40000001], [0.10000002, 2.0999999, -1.6]],
        [0.40000001, -0.34999999, 0.89999998],
    ),
    "ftrl": (
        lambda K: K.Ftrl(
            0.1,
            l1_regularization_strength=0.01,
            l2_regularization_strength=0.02,
            l2_shrinkage_regularization_strength=0.01,
            beta=0.1,
        ),
        [[0.026115764, -0.59999448, 0.2881909], [-0.15861101, 0.76623929, -0.93435353]],
        [0.15684792, -0.14014734, 0.14227459],
    ),
    "adafactor": (
        lambda K: K.Adafactor(0.1),
        [[0.89027894, -1.9871325, 0.3702938], [-0.19567579, 1.9541292, -1.5034261]],
        [0.4852564, -0.26788151, 0.96990311],
    ),
    "clipnorm": (
        lambda K: K.SGD(0.1, clipnorm=1.0),
        [[1.0076232, -2.0037622, 0.37065014], [0.17800757, 2.0169563, -1.5180424]],
        [0.48635644, -0.25271285, 0.99317819],
    ),
    "global_clipnorm": (
        lambda K: K.SGD(0.1, global_clipnorm=1.0),
        [[1.0079727, -2.0045257, 0.38005286], [0.18555282, 2.0176659, -1.5186836]],
        [0.49401253, -0.26462606, 1.0025556],
    ),
    "clipvalue": (
        lambda K: K.SGD(0.1, clipvalue=0.5),
        [[1, -1.99, 0.44999999], [0.2, 2, -1.525]],
        [0.47999999, -0.28, 0.99000001],
    ),
    "weight_decay": (
        lambda K: K.SGD(0.1, weight_decay=0.5),
        [[0.85685003, -1.7076499, 0.2131875], [0.059712514, 1.7171251, -1.2945625]],
        [0.41406247, -0.21259375, 0.84881252],
    ),
    "accumulation": (
        lambda K: K.Adam(0.1, gradient_accumulation_steps=2),
        [[1.0999962, -1.9000038, 0.40000087], [0.20000194, 2, -1.4000015]],
        [0.4000017, -0.15000156, 0.90001333],
    ),
    "loss_scale_factor": (
        lambda K: K.SGD(0.1, loss_scale_factor=4.0),
        [[1, -1.9975001, 0.44], [0.25000003, 2, -1.5]],
        [0.495, -0.24749999, 0.99749994],
    ),
    "ema_overwrite": (
        lambda K: K.SGD(0.1, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2),
        [[0.98500001, -1.98, 0.31], [0.125, 1.975, -1.4875]],
        [0.48499998, -0.22500001, 0.98000002],
    ),
    "schedule": (
        lambda K: K.SGD(K.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)),
        [[1, -1.9725001, 0.26499999], [0.23750001, 1.975, -1.43125]],
        [0.45499998, -0.18000001, 0.98374999],
    ),
}


def _three_steps(tf, opt, traced=False):
    w = tf.Variable(np.array(W0, np.float32))
    b = tf.Variable(np.array(B0, np.float32))

    def step(gw, gb):
        opt.apply_gradients([(gw, w), (gb, b)])

    fn = tf.function(step) if traced else step
    for gw, gb in zip(GW, GB):
        fn(tf.constant(gw), tf.constant(gb))
    return np.asarray(w), np.asarray(b)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_three_steps_match_keras(tf, name):
    make, want_w, want_b = EXPECTED[name]
    w, b = _three_steps(tf, make(tf.keras.optimizers))
    np.testing.assert_allclose(w, want_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b, want_b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["nadam", "ftrl", "accumulation", "ema_overwrite", "schedule"])
def test_three_traced_steps_match_keras(tf, name):
    make, want_w, want_b = EXPECTED[name]
    w, b = _three_steps(tf, make(tf.keras.optimizers), traced=True)
    np.testing.assert_allclose(w, want_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b, want_b, rtol=1e-5, atol=1e-6)


def test_ema_finalize_variable_values(tf):
    opt = tf.keras.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5)
    w = tf.Variable(np.array([1.0, -2.0], np.float32))
    for g in ([0.5, 1.0], [1.0, -1.0], [0.2, 0.4]):
        opt.apply_gradients([(tf.constant(g), w)])
    np.testing.assert_allclose(np.asarray(w), [0.83, -2.04], rtol=1e-6)
    opt.finalize_variable_values([w])
    np.testing.assert_allclose(np.asarray(w), [0.865, -2.045], rtol=1e-6)
    assert len(opt.variables) == 3


def test_loss_scale_optimizer_skips_halves_and_grows(tf):
    K = tf.keras.optimizers
    lso = K.LossScaleOptimizer(K.SGD(0.1), initial_scale=8.0, dynamic_growth_steps=2)
    w = tf.Variable(np.array([1.0, -2.0], np.float32))
    assert float(lso.scale_loss(tf.constant(2.0))) == 16.0
    grads = ([8.0, 16.0], [np.inf, 1.0], [4.0, 4.0], [np.nan, 0.0], [2.0, 2.0], [4.0, 8.0],
             [1.0, 1.0])  # fmt: skip
    scales, ws, iterations = [], [], []
    for g in grads:
        lso.apply_gradients([(tf.constant(np.array(g, np.float32)), w)])
        scales.append(float(np.asarray(lso.dynamic_scale)))
        ws.append(np.asarray(w).copy())
        iterations.append(int(np.asarray(lso.iterations)))
    assert scales == [8.0, 4.0, 4.0, 2.0, 2.0, 4.0, 4.0]
    assert iterations == [1, 1, 2, 2, 3, 4, 5]
    np.testing.assert_allclose(
        ws,
        [[0.9, -2.2], [0.9, -2.2], [0.8, -2.3], [0.8, -2.3], [0.7, -2.4], [0.5, -2.8],
         [0.475, -2.825]],
        rtol=1e-6,
    )  # fmt: skip
    assert float(lso.scale_loss(tf.constant(2.0))) == 8.0
    assert len(lso.variables) == 6
    assert sorted(lso.get_config()) == [
        "dynamic_growth_steps", "initial_scale", "inner_optimizer", "name"
    ]  # fmt: skip
    np.testing.assert_allclose(float(np.asarray(lso.learning_rate)), 0.1)


STEPS = [0, 1, 3, 5, 10, 15, 40]
SCHEDULES = {
    "exp": (
        lambda S: S.ExponentialDecay(0.1, 4, 0.5),
        [0.1, 0.084089644, 0.059460353, 0.042044822, 0.01767767, 0.0074325441, 9.7656251e-05],
    ),
    "exp_stair": (
        lambda S: S.ExponentialDecay(0.1, 4, 0.5, staircase=True),
        [0.1, 0.1, 0.1, 0.05, 0.025, 0.0125, 9.7656251e-05],
    ),
    "piecewise": (
        lambda S: S.PiecewiseConstantDecay([3, 10], [1.0, 0.5, 0.1]),
        [1.0, 1.0, 1.0, 0.5, 0.5, 0.1, 0.1],
    ),
    "poly": (
        lambda S: S.PolynomialDecay(0.1, 10, end_learning_rate=0.01, power=2.0),
        [0.1, 0.0829, 0.0541, 0.0325, 0.01, 0.01, 0.01],
    ),
    "poly_cycle": (
        lambda S: S.PolynomialDecay(0.1, 10, end_learning_rate=0.01, cycle=True),
        [0.1, 0.091, 0.073, 0.055, 0.01, 0.0325, 0.01],
    ),
    "inv": (
        lambda S: S.InverseTimeDecay(0.1, 5, 0.5),
        [0.1, 0.090909094, 0.07692308, 0.06666667, 0.05, 0.04, 0.02],
    ),
    "inv_stair": (
        lambda S: S.InverseTimeDecay(0.1, 5, 0.5, staircase=True),
        [0.1, 0.1, 0.1, 0.06666667, 0.05, 0.04, 0.02],
    ),
    "cos": (
        lambda S: S.CosineDecay(0.1, 10, alpha=0.1),
        [0.1, 0.097797543, 0.081450336, 0.055, 0.01, 0.01, 0.01],
    ),
    "cos_warm": (
        lambda S: S.CosineDecay(0.0, 10, warmup_target=0.2, warmup_steps=5),
        [0.0, 0.04, 0.12, 0.2, 0.1, 0.0, 0.0],
    ),
    "restarts": (
        lambda S: S.CosineDecayRestarts(0.1, 4, t_mul=2.0, m_mul=0.5, alpha=0.1),
        [0.1, 0.086819813, 0.023180196, 0.053287294, 0.016590098, 0.030604033, 0.017777596],
    ),
    "restarts_t1": (
        lambda S: S.CosineDecayRestarts(0.1, 4, t_mul=1.0, m_mul=0.5),
        [0.1, 0.085355341, 0.014644662, 0.04267767, 0.0125, 0.0018305827, 9.7656251e-05],
    ),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedule_values(tf, name):
    make, want = SCHEDULES[name]
    schedule = make(tf.keras.optimizers.schedules)
    got = [float(np.asarray(schedule(tf.constant(t, dtype=tf.int64)))) for t in STEPS]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-8)
    traced = tf.function(lambda step: schedule(step))
    got = [float(np.asarray(traced(tf.constant(t, dtype=tf.int64)))) for t in STEPS]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-8)


def test_schedule_serialization(tf):
    S = tf.keras.optimizers.schedules
    data = S.serialize(S.CosineDecay(0.0, 10, warmup_target=0.2, warmup_steps=5))
    assert data["module"] == "keras.optimizers.schedules"
    assert data["class_name"] == "CosineDecay"
    assert data["config"] == {
        "initial_learning_rate": 0.0, "decay_steps": 10, "alpha": 0.0, "name": "CosineDecay",
        "warmup_target": 0.2, "warmup_steps": 5,
    }  # fmt: skip
    clone = S.deserialize(data)
    np.testing.assert_allclose(float(np.asarray(clone(3))), 0.12, rtol=1e-6)
    opt = tf.keras.optimizers.SGD(S.ExponentialDecay(0.1, 4, 0.5))
    assert opt.get_config()["learning_rate"]["class_name"] == "ExponentialDecay"
    assert [v.name.split(":")[0] for v in opt.variables] == ["iteration"]


BASE_KEYS = [
    "clipnorm", "clipvalue", "ema_momentum", "ema_overwrite_frequency", "global_clipnorm",
    "gradient_accumulation_steps", "learning_rate", "loss_scale_factor", "name", "use_ema",
    "weight_decay",
]  # fmt: skip
OWN_KEYS = {
    "Adagrad": ["epsilon", "initial_accumulator_value"],
    "Adadelta": ["epsilon", "rho"],
    "Adamax": ["beta_1", "beta_2", "epsilon"],
    "Nadam": ["beta_1", "beta_2", "epsilon"],
    "Lion": ["beta_1", "beta_2"],
    "Ftrl": ["beta", "initial_accumulator_value", "l1_regularization_strength",
             "l2_regularization_strength", "l2_shrinkage_regularization_strength",
             "learning_rate_power"],
    "Adafactor": ["beta_2_decay", "clip_threshold", "epsilon_1", "epsilon_2", "relative_step"],
    "Adam": ["amsgrad", "beta_1", "beta_2", "epsilon"],
    "SGD": ["momentum", "nesterov"],
    "RMSprop": ["centered", "epsilon", "momentum", "rho"],
}  # fmt: skip
DEFAULTS = {
    "Adagrad": {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
    "Adadelta": {"learning_rate": 0.001, "rho": 0.95, "epsilon": 1e-7},
    "Adamax": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
    "Nadam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
    "Lion": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.99},
    "Ftrl": {"learning_rate": 0.001, "learning_rate_power": -0.5, "beta": 0.0,
             "initial_accumulator_value": 0.1, "l1_regularization_strength": 0.0},
    "Adafactor": {"learning_rate": 0.001, "beta_2_decay": -0.8, "epsilon_1": 1e-30,
                  "epsilon_2": 1e-3, "clip_threshold": 1.0, "relative_step": True},
}  # fmt: skip


@pytest.mark.parametrize("name", list(OWN_KEYS))
def test_config_keys_and_defaults(tf, name):
    opt = getattr(tf.keras.optimizers, name)()
    config = opt.get_config()
    assert sorted(config) == sorted(BASE_KEYS + OWN_KEYS[name])
    for key, value in DEFAULTS.get(name, {}).items():
        np.testing.assert_allclose(config[key], value, rtol=1e-6)
    assert config["use_ema"] is False and config["ema_momentum"] == 0.99
    assert isinstance(tf.keras.optimizers.get(name.lower()), type(opt))


def test_bad_arguments(tf):
    K = tf.keras.optimizers
    with pytest.raises(ValueError, match="learning_rate"):
        K.Adagrad(learning_rate=1)
    with pytest.raises(ValueError, match="gradient_accumulation_steps"):
        K.SGD(gradient_accumulation_steps=1)
    with pytest.raises(ValueError, match="Only one of"):
        K.Nadam(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match="beta_1"):
        K.Lion(beta_1=0.0)
    with pytest.raises(ValueError, match="learning_rate_power"):
        K.Ftrl(learning_rate_power=0.5)
    with pytest.raises(ValueError, match="decay_steps"):
        K.schedules.ExponentialDecay(0.1, 0, 0.5)
