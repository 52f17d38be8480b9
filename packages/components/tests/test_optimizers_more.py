"""Adagrad, Adadelta, Adamax, Nadam, Lion, Ftrl, Adafactor and the base class's options
(clipping, weight decay, EMA, gradient accumulation, loss scaling), each against Keras 3's
update written again here in NumPy (float64), eagerly and inside ``ops.function``."""

import math

import numpy as np
import pytest

from tensorhouse_components import initializers, ops, optimizers

W0 = np.array([[1.0, -2.0, 0.5], [0.3, 2.0, -1.5]], np.float32)
GRADS = [
    np.array([[0.1, -0.4, 2.0], [0.0, 0.5, -1.0]], np.float32),
    np.array([[-0.3, 0.2, 1.0], [0.5, -0.5, 0.25]], np.float32),
    np.array([[0.2, 0.1, -0.6], [1.5, 0.0, 0.75]], np.float32),
]


def _run(opt, grads=GRADS, w0=W0, traced=False):
    w = ops.Variable(w0.copy(), name="w")

    def step(g):
        opt.apply([g], [w])

    fn = ops.function(step) if traced else step
    for g in grads:
        fn(ops.constant(g))
    return w.numpy()


def _check(make, reference, rtol=1e-5, atol=1e-6, w0=W0, grads=GRADS):
    expected = reference(w0.astype(np.float64), [g.astype(np.float64) for g in grads])
    eager = _run(make(), grads, w0)
    np.testing.assert_allclose(eager, expected, rtol=rtol, atol=atol)
    # Traced: the same ops, possibly fused; equal up to float32 rounding.
    np.testing.assert_allclose(_run(make(), grads, w0, traced=True), eager, rtol=1e-6, atol=1e-7)


# ---- NumPy references of Keras 3's update_step --------------------------------------------
def _adagrad(w, grads, lr=0.1, init=0.1, eps=1e-7):
    a = np.full_like(w, init)
    for g in grads:
        a = a + g**2
        w = w - lr * g / np.sqrt(a + eps)
    return w


def _adadelta(w, grads, lr=1.0, rho=0.95, eps=1e-7):
    eg, ed = np.zeros_like(w), np.zeros_like(w)
    for g in grads:
        eg = rho * eg + (1 - rho) * g**2
        d = -np.sqrt(ed + eps) * g / np.sqrt(eg + eps)
        ed = rho * ed + (1 - rho) * d**2
        w = w + lr * d
    return w


def _adamax(w, grads, lr=0.1, b1=0.9, b2=0.999, eps=1e-7):
    m, u = np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g))
        w = w - lr * m / ((1 - b1**t) * (u + eps))
    return w


def _nadam(w, grads, lr=0.1, b1=0.9, b2=0.999, eps=1e-7):
    m, v, prod = np.zeros_like(w), np.zeros_like(w), 1.0

    def mu(t):
        return b1 * (1 - 0.5 * 0.96**t)

    for t, g in enumerate(grads, start=1):
        prod = prod * mu(t)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat = mu(t + 1) * m / (1 - prod * mu(t + 1)) + (1 - mu(t)) * g / (1 - prod)
        w = w - lr * m_hat / (np.sqrt(v / (1 - b2**t)) + eps)
    return w


def _lion(w, grads, lr=0.1, b1=0.9, b2=0.99):
    m = np.zeros_like(w)
    for g in grads:
        w = w - lr * np.sign(b1 * m + (1 - b1) * g)
        m = b2 * m + (1 - b2) * g
    return w


def _ftrl(w, grads, lr=0.1, power=-0.5, init=0.1, l1=0.01, l2=0.02, shrink=0.01, beta=0.1):
    n, z = np.full_like(w, init), np.zeros_like(w)
    l2 = l2 + beta / (2 * lr)
    for g in grads:
        new_n = n + g**2
        z = z + g + 2 * shrink * w - (new_n ** (-power) - n ** (-power)) / lr * w
        quadratic = new_n ** (-power) / lr + 2 * l2
        w = (np.clip(z, -l1, l1) - z) / quadratic
        n = new_n
    return w


def _adafactor(w, grads, lr=0.1, decay=-0.8, eps1=1e-30, eps2=1e-3, clip=1.0):
    r, c, v = np.zeros(w.shape[:-1]), np.zeros(w.shape[:-2] + w.shape[-1:]), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        rho = min(lr, 1 / math.sqrt(t))
        alpha = max(eps2, np.sqrt(np.mean(w**2))) * rho
        sq = g**2 + eps1
        beta = 1 - t**decay
        if w.ndim >= 2:
            r = beta * r + (1 - beta) * sq.mean(-1)
            c = beta * c + (1 - beta) * sq.mean(-2)
            v = (r / r.mean(-1, keepdims=True))[..., None] * c[..., None, :]
        else:
            v = beta * v + (1 - beta) * sq
        u = g / np.sqrt(v)
        w = w - alpha * u / max(1.0, np.sqrt(np.mean(u**2)) / clip)
    return w


def test_adagrad_three_steps():
    _check(lambda: optimizers.Adagrad(0.1), _adagrad)


def test_adadelta_three_steps():
    _check(lambda: optimizers.Adadelta(1.0), _adadelta)


def test_adamax_three_steps():
    _check(lambda: optimizers.Adamax(0.1), _adamax)


def test_nadam_three_steps():
    _check(lambda: optimizers.Nadam(0.1), _nadam)


def test_lion_three_steps():
    _check(lambda: optimizers.Lion(0.1), _lion)
    # Every weight with a nonzero step moves by exactly lr.
    moved = np.abs(_run(optimizers.Lion(0.1), GRADS[:1]) - W0)
    np.testing.assert_allclose(moved[GRADS[0] != 0], 0.1, rtol=1e-5)


def test_ftrl_three_steps():
    _check(
        lambda: optimizers.Ftrl(
            0.1, l1_regularization_strength=0.01, l2_regularization_strength=0.02,
            l2_shrinkage_regularization_strength=0.01, beta=0.1,
        ),
        _ftrl,
    )  # fmt: skip


def test_ftrl_plain_defaults():
    _check(
        lambda: optimizers.Ftrl(0.1),
        lambda w, g: _ftrl(w, g, l1=0.0, l2=0.0, shrink=0.0, beta=0.0),
    )


def test_adafactor_three_steps_matrix_and_vector():
    _check(lambda: optimizers.Adafactor(0.1), _adafactor)
    vec = np.array([0.5, -0.25, 1.0], np.float32)
    grads = [np.array([0.5, -1.0, 0.25], np.float32), np.array([0.1, 0.3, -0.2], np.float32)]
    _check(lambda: optimizers.Adafactor(0.1), _adafactor, w0=vec, grads=grads)


def test_amsgrad_and_rmsprop_momentum_centered():
    def amsgrad(w, grads, lr=0.1, b1=0.8, b2=0.9, eps=1e-7):
        m, v, vmax = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
        for t, g in enumerate(grads, start=1):
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g**2
            vmax = np.maximum(vmax, v)
            w = w - lr * math.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(vmax) + eps)
        return w

    def rmsprop(w, grads, lr=0.1, rho=0.9, mom=0.5, eps=1e-7):
        v, a, m = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
        for g in grads:
            v = rho * v + (1 - rho) * g**2
            a = rho * a + (1 - rho) * g
            m = mom * m + lr * g / np.sqrt(v - a**2 + eps)
            w = w - m
        return w

    _check(lambda: optimizers.Adam(0.1, beta_1=0.8, beta_2=0.9, amsgrad=True), amsgrad)
    _check(lambda: optimizers.RMSprop(0.1, momentum=0.5, centered=True), rmsprop, rtol=1e-4)


# ---- the base class's options -------------------------------------------------------------
def _sgd(w, grads, lr=0.1):
    for g in grads:
        w = w - lr * g
    return w


def test_clipnorm_clipvalue_global_clipnorm():
    def per_tensor(w, grads):
        return _sgd(w, [g * min(1.0, 1.0 / np.linalg.norm(g)) for g in grads])

    _check(lambda: optimizers.SGD(0.1, clipnorm=1.0), per_tensor)
    _check(lambda: optimizers.SGD(0.1, clipvalue=0.5), lambda w, g: _sgd(w, np.clip(g, -0.5, 0.5)))
    # Global: one scale for all variables.
    w, b = ops.Variable(W0.copy()), ops.Variable(np.array([3.0, 4.0], np.float32))
    gw, gb = GRADS[0], np.array([3.0, 4.0], np.float32)
    optimizers.SGD(1.0, global_clipnorm=2.0).apply([ops.constant(gw), ops.constant(gb)], [w, b])
    scale = 2.0 / math.sqrt(np.sum(gw.astype(np.float64) ** 2) + 25.0)
    np.testing.assert_allclose(w.numpy(), W0 - scale * gw, rtol=1e-5)
    np.testing.assert_allclose(b.numpy(), [3.0 - 3 * scale, 4.0 - 4 * scale], rtol=1e-5)
    # clipnorm=0 means no clipping, as in Keras.
    _check(lambda: optimizers.SGD(0.1, clipnorm=0.0), _sgd)


def test_global_clipnorm_of_a_non_finite_gradient_is_nan():
    w = ops.Variable(np.array([1.0, 2.0], np.float32))
    optimizers.SGD(0.1, global_clipnorm=1.0).apply([ops.constant([np.inf, 1.0])], [w])
    assert np.isnan(w.numpy()).all()


def test_weight_decay_and_exclusions():
    def decayed(w, grads, lr=0.1, wd=0.5):
        for g in grads:
            w = w - w * wd * lr - lr * g
        return w

    _check(lambda: optimizers.SGD(0.1, weight_decay=0.5), decayed)
    kernel = ops.Variable(W0.copy(), name="dense/kernel")
    bias = ops.Variable(np.ones(3, np.float32), name="dense/bias")
    other = ops.Variable(np.ones(3, np.float32), name="other")
    opt = optimizers.SGD(0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_list=[other], var_names=["bias"])
    zero3 = ops.zeros([3])
    opt.apply([ops.zeros([2, 3]), zero3, zero3], [kernel, bias, other])
    np.testing.assert_allclose(kernel.numpy(), W0 * 0.95, rtol=1e-6)
    np.testing.assert_array_equal(bias.numpy(), np.ones(3))
    np.testing.assert_array_equal(other.numpy(), np.ones(3))
    with pytest.raises(ValueError, match="before the optimizer is built"):
        opt.exclude_from_weight_decay(var_names=["kernel"])


def test_adamw_decays_with_the_learning_rate():
    def adamw(w, grads, lr=0.01, wd=0.1, b1=0.9, b2=0.999, eps=1e-7):
        m, v = np.zeros_like(w), np.zeros_like(w)
        for t, g in enumerate(grads, start=1):
            w = w - w * wd * lr
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g**2
            w = w - lr * math.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + eps)
        return w

    _check(lambda: optimizers.AdamW(0.01, weight_decay=0.1), adamw)
    with pytest.raises(ValueError, match="weight_decay=None"):
        optimizers.AdamW(weight_decay=None)


def test_ema_average_overwrite_and_finalize():
    def ema(w, grads, lr=0.1, momentum=0.5, every=None):
        avg = None
        for t, g in enumerate(grads):
            w = w - lr * g
            avg = w.copy() if t == 0 else momentum * avg + (1 - momentum) * w
            if every and (t + 1) % every == 0:
                w = avg.copy()
        return w, avg

    grads = GRADS + GRADS[:1]
    expected_w, expected_avg = ema(W0.astype(np.float64), grads)
    opt = optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5)
    w = ops.Variable(W0.copy(), name="w")
    for g in grads:
        opt.apply([ops.constant(g)], [w])
    np.testing.assert_allclose(w.numpy(), expected_w, rtol=1e-6)
    opt.finalize_variable_values([w])
    np.testing.assert_allclose(w.numpy(), expected_avg, rtol=1e-6)
    every2 = ema(W0.astype(np.float64), grads, every=2)[0]
    for traced in (False, True):
        got = _run(optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2),
                   grads, traced=traced)  # fmt: skip
        np.testing.assert_allclose(got, every2, rtol=1e-6)


def test_gradient_accumulation_updates_every_n_steps_with_the_mean():
    grads = GRADS + GRADS[:1]
    mean01, mean23 = (GRADS[0] + GRADS[1]) / 2, (GRADS[2] + GRADS[0]) / 2
    for traced in (False, True):
        opt = optimizers.SGD(0.1, momentum=0.5, gradient_accumulation_steps=2)
        w = ops.Variable(W0.copy())

        def step(g, opt=opt, w=w):
            opt.apply([g], [w])

        fn = ops.function(step) if traced else step
        seen = []
        for g in grads:
            fn(ops.constant(g))
            seen.append((w.numpy().copy(), int(opt.iterations)))
        m1 = -0.1 * mean01
        m2 = 0.5 * m1 - 0.1 * mean23
        np.testing.assert_array_equal(seen[0][0], W0)
        np.testing.assert_allclose(seen[1][0], W0 + m1, rtol=1e-6)
        np.testing.assert_allclose(seen[2][0], W0 + m1, rtol=1e-6)
        np.testing.assert_allclose(seen[3][0], W0 + m1 + m2, rtol=1e-6)
        assert [s[1] for s in seen] == [0, 1, 1, 2]
        assert int(opt._iterations) == 4
    with pytest.raises(ValueError, match="gradient_accumulation_steps=1"):
        optimizers.SGD(gradient_accumulation_steps=1)


def test_loss_scale_factor_unscales_gradients():
    _check(
        lambda: optimizers.SGD(0.1, loss_scale_factor=4.0), lambda w, g: _sgd(w, [x / 4 for x in g])
    )
    opt = optimizers.SGD(loss_scale_factor=4.0)
    assert float(opt.scale_loss(ops.constant(2.5))) == 10.0
    assert float(optimizers.SGD().scale_loss(ops.constant(2.5))) == 2.5


def _lso_run(traced):
    lso = optimizers.LossScaleOptimizer(optimizers.SGD(0.5), initial_scale=8.0,
                                        dynamic_growth_steps=2)  # fmt: skip
    w = ops.Variable(np.array([1.0, -2.0], np.float32))
    fn = ops.function(lambda g: lso.apply([g], [w])) if traced else (lambda g: lso.apply([g], [w]))
    log = []
    for g in ([8.0, 16.0], [np.inf, 1.0], [4.0, 4.0], [np.nan, 0.0], [2.0, 2.0], [4.0, 8.0]):
        fn(ops.constant(np.array(g, np.float32)))
        log.append((w.numpy().copy(), float(lso.dynamic_scale.numpy()), int(lso.iterations)))
    return lso, log


@pytest.mark.parametrize("traced", [False, True])
def test_loss_scale_optimizer_skips_halves_and_grows(traced):
    lso, log = _lso_run(traced)
    # scale 8: step (1, 2) * 0.5, counter 1.  inf: skipped, scale 4, counter 0.
    # scale 4: step (1, 1) * 0.5, counter 1.  nan: skipped, scale 2, counter 0.
    # scale 2: step (1, 1) * 0.5, counter 1.  scale 2: step (2, 4) * 0.5, then grows to 4.
    w1 = np.array([0.5, -3.0])
    w2 = w1 - 0.5
    w3 = w2 - 0.5
    w4 = w3 - np.array([1.0, 2.0])
    expected = [(w1, 8, 1), (w1, 4, 1), (w2, 4, 2), (w2, 2, 2), (w3, 2, 3), (w4, 4, 4)]
    for (w, scale, it), (ew, escale, eit) in zip(log, expected):
        np.testing.assert_allclose(w, ew, rtol=1e-6)
        assert (scale, it) == (escale, eit)
    assert float(lso.scale_loss(ops.constant(0.5))) == 2.0
    assert len(lso.variables) == 4 + 2  # own: iteration, lr, step_counter, scale; inner's 2


def test_loss_scale_optimizer_config_and_errors():
    lso = optimizers.LossScaleOptimizer(optimizers.Adam(0.01), dynamic_growth_steps=10)
    assert float(lso.scale_loss(ops.constant(1.0))) == 2.0**15
    config = lso.get_config()
    assert sorted(config) == ["dynamic_growth_steps", "initial_scale", "inner_optimizer", "name"]
    clone = optimizers.deserialize(optimizers.serialize(lso))
    assert isinstance(clone.inner_optimizer, optimizers.Adam)
    assert clone.dynamic_growth_steps == 10
    np.testing.assert_allclose(float(clone.learning_rate), 0.01)
    with pytest.raises(ValueError, match="does not support `clipnorm`"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), clipnorm=1.0)
    with pytest.raises(ValueError, match="dynamic=False"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), dynamic=False)


# ---- state, config, errors -----------------------------------------------------------------
def test_variables_follow_keras_order_and_names():
    w = ops.Variable(W0.copy(), name="w")
    b = ops.Variable(np.zeros(3, np.float32), name="b")
    opt = optimizers.Adam(use_ema=True)
    opt.build([w, b])
    names = [v.name.split(":")[0] for v in opt.variables]
    assert names == ["iteration", "learning_rate", "w_0_average", "b_0_average",
                     "w_0_momentum", "w_0_velocity", "b_0_momentum", "b_0_velocity"]  # fmt: skip
    nadam = optimizers.Nadam()
    nadam.build([w, b])
    assert len(nadam.variables) == 2 + 4 + 1
    adafactor = optimizers.Adafactor()
    adafactor.build([w, b])
    assert [tuple(v.shape.as_list()) for v in adafactor.variables[2:]] == [
        (2,),
        (3,),
        (2, 3),
        (),
        (),
        (3,),
    ]
    acc = optimizers.Adagrad(initial_accumulator_value=0.25)
    acc.build([w])
    np.testing.assert_array_equal(acc.variables[2].numpy(), np.full((2, 3), 0.25))


def test_learning_rate_forms():
    opt = optimizers.SGD(0.1)
    assert isinstance(opt.learning_rate, ops.Variable)
    opt.learning_rate = 0.5
    np.testing.assert_allclose(float(opt.learning_rate), 0.5)
    sched = optimizers.schedules.ExponentialDecay(0.1, 1, 0.5)
    opt = optimizers.SGD(sched)
    w = ops.Variable(np.zeros(2, np.float32))
    lrs = []
    for _ in range(3):
        lrs.append(float(opt.learning_rate))
        opt.apply([ops.ones([2])], [w])
    np.testing.assert_allclose(lrs, [0.1, 0.05, 0.025], rtol=1e-6)
    np.testing.assert_allclose(w.numpy(), [-0.175, -0.175], rtol=1e-6)
    assert len(opt.variables) == 1  # no learning-rate variable under a schedule
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.1
    np.testing.assert_allclose(float(optimizers.SGD(lambda: 0.25).learning_rate), 0.25)
    with pytest.raises(ValueError, match="learning_rate=1"):
        optimizers.SGD(1)


def test_config_round_trip_of_every_optimizer():
    base_keys = {
        "name", "learning_rate", "weight_decay", "clipnorm", "global_clipnorm", "clipvalue",
        "use_ema", "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
        "gradient_accumulation_steps",
    }  # fmt: skip
    own = {
        "Adagrad": {"initial_accumulator_value", "epsilon"},
        "Adadelta": {"rho", "epsilon"},
        "Adamax": {"beta_1", "beta_2", "epsilon"},
        "Nadam": {"beta_1", "beta_2", "epsilon"},
        "Lion": {"beta_1", "beta_2"},
        "Ftrl": {"learning_rate_power", "initial_accumulator_value", "l1_regularization_strength",
                 "l2_regularization_strength", "l2_shrinkage_regularization_strength", "beta"},
        "Adafactor": {"beta_2_decay", "epsilon_1", "epsilon_2", "clip_threshold",
                      "relative_step"},
    }  # fmt: skip
    for name, keys in own.items():
        opt = optimizers.get(name.lower())
        assert type(opt).__name__ == name and opt.name.startswith(name.lower())
        config = opt.get_config()
        assert set(config) == base_keys | keys
        clone = optimizers.deserialize(optimizers.serialize(opt))
        assert type(clone) is type(opt) and clone.get_config() == config
    sched = optimizers.schedules.CosineDecay(0.1, 100, warmup_target=0.5, warmup_steps=10)
    config = optimizers.SGD(sched, use_ema=True).get_config()
    assert config["learning_rate"]["class_name"] == "CosineDecay"
    clone = optimizers.SGD.from_config(config)
    assert isinstance(clone._learning_rate, optimizers.schedules.CosineDecay)
    assert clone.use_ema is True
    assert isinstance(optimizers.get("NADAM"), optimizers.Nadam)


def test_constructor_errors():
    with pytest.raises(ValueError, match="not recognized"):
        optimizers.Adagrad(foo=1)
    with pytest.raises(ValueError, match="ema_momentum=2"):
        optimizers.SGD(use_ema=True, ema_momentum=2)
    with pytest.raises(ValueError, match="beta_1=0"):
        optimizers.Lion(beta_1=0)
    with pytest.raises(ValueError, match="learning_rate_power=0.5"):
        optimizers.Ftrl(learning_rate_power=0.5)
    with pytest.raises(ValueError, match="l1_regularization_strength=-1"):
        optimizers.Ftrl(l1_regularization_strength=-1)
    with pytest.raises(ValueError, match="momentum"):
        optimizers.SGD(momentum=1)
    with pytest.warns(UserWarning, match="decay"):
        optimizers.SGD(decay=0.1)


def test_custom_optimizer_on_the_base_class():
    class SignSGD(optimizers.Optimizer):
        def __init__(self, learning_rate=0.1, **kwargs):
            super().__init__(learning_rate=learning_rate, **kwargs)

        def build(self, var_list):
            super().build(var_list)
            self.steps = self.add_optimizer_variables(var_list, "steps", initializers.Ones())

        def update_step(self, gradient, variable, learning_rate):
            s = self.steps[self._get_variable_index(variable)]
            variable.assign_sub(learning_rate * ops.sign(gradient) * s.value())
            s.assign(s.value() * 2.0)

    got = _run(SignSGD(), traced=True)
    np.testing.assert_allclose(got, W0 - 0.1 * sum(np.sign(g) * 2**i for i, g in enumerate(GRADS)))


def test_set_weights_and_own_variables_round_trip():
    w = ops.Variable(W0.copy(), name="w")
    opt = optimizers.Adam(0.1)
    opt.apply([ops.constant(GRADS[0])], [w])
    store = {}
    opt.save_own_variables(store)
    clone = optimizers.Adam(0.1)
    clone.build([w])
    clone.load_own_variables(store)
    for a, b in zip(opt.variables, clone.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert int(clone.iterations) == 1
    with pytest.raises(ValueError, match="not compatible"):
        clone.set_weights([np.zeros(3)])
    with pytest.raises(ValueError, match="not yet been built"):
        optimizers.Adam().set_weights([])
