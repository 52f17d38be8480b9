"""The fused optimizer update (one FusedApply* kernel call per step) against the per-variable
``update_step`` path: same numbers for each optimizer and option, eager and traced, and the
fallbacks to the per-variable path."""

import numpy as np
import pytest

from tensorhouse_components import ops, optimizers
from tensorhouse_components.optimizers import _optimizer

SHAPES = {"kernel": (3, 4), "bias": (4,), "scale": ()}
STEPS = 3

CONFIGS = {
    "sgd": lambda: optimizers.SGD(learning_rate=0.1),
    "sgd_momentum": lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9),
    "sgd_nesterov_wd": lambda: optimizers.SGD(
        learning_rate=0.1, momentum=0.8, nesterov=True, weight_decay=0.05
    ),
    "adam": lambda: optimizers.Adam(learning_rate=0.05),
    "adam_amsgrad_clip": lambda: optimizers.Adam(learning_rate=0.05, amsgrad=True, clipvalue=0.5),
    "adam_schedule": lambda: optimizers.Adam(
        learning_rate=optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    ),
    "adamw": lambda: optimizers.AdamW(learning_rate=0.05, weight_decay=0.1),
    "adamw_amsgrad_globalclip": lambda: optimizers.AdamW(
        learning_rate=0.05, weight_decay=0.1, amsgrad=True, global_clipnorm=1.0
    ),
    "rmsprop": lambda: optimizers.RMSprop(learning_rate=0.01),
    "rmsprop_momentum_centered": lambda: optimizers.RMSprop(
        learning_rate=0.01, momentum=0.5, centered=True
    ),
    "rmsprop_centered_clipnorm": lambda: optimizers.RMSprop(
        learning_rate=0.01, centered=True, clipnorm=0.7
    ),
    "rmsprop_momentum": lambda: optimizers.RMSprop(learning_rate=0.01, momentum=0.9),
    "adagrad": lambda: optimizers.Adagrad(learning_rate=0.1),
    "adagrad_wd": lambda: optimizers.Adagrad(learning_rate=0.1, weight_decay=0.02),
    "adam_ema": lambda: optimizers.Adam(learning_rate=0.05, use_ema=True, ema_momentum=0.5),
    "adamax": lambda: optimizers.Adamax(learning_rate=0.05),
    "adamax_wd_clipnorm": lambda: optimizers.Adamax(
        learning_rate=0.05, weight_decay=0.1, clipnorm=0.7
    ),
    "nadam": lambda: optimizers.Nadam(learning_rate=0.05),
    "nadam_wd_clipvalue_ema": lambda: optimizers.Nadam(
        learning_rate=0.05,
        weight_decay=0.1,
        clipvalue=0.5,
        use_ema=True,
        ema_overwrite_frequency=2,
    ),
    "lion": lambda: optimizers.Lion(learning_rate=0.05),
    "lion_wd_globalclip": lambda: optimizers.Lion(
        learning_rate=0.05, beta_1=0.5, weight_decay=0.1, global_clipnorm=1.0
    ),
    "ftrl": lambda: optimizers.Ftrl(learning_rate=0.1),
    "ftrl_all_terms_wd": lambda: optimizers.Ftrl(
        learning_rate=0.1,
        learning_rate_power=-0.6,
        l1_regularization_strength=0.01,
        l2_regularization_strength=0.02,
        l2_shrinkage_regularization_strength=0.03,
        beta=0.1,
        weight_decay=0.05,
        clipvalue=1.0,
    ),
    "adadelta": lambda: optimizers.Adadelta(learning_rate=1.0),
    "adadelta_wd_ema_clipnorm": lambda: optimizers.Adadelta(
        learning_rate=1.0, rho=0.9, weight_decay=0.1, use_ema=True, clipnorm=0.7
    ),
}


def _values(dtype, seed=0):
    rng = np.random.default_rng(seed)
    w0 = {k: rng.standard_normal(s).astype(dtype) for k, s in SHAPES.items()}
    grads = [{k: rng.standard_normal(s).astype(dtype) for k, s in SHAPES.items()}
             for _ in range(STEPS)]  # fmt: skip
    return w0, grads


def _train(make, dtype, fused, traced, exclude=False):
    """Run STEPS steps; returns (variables, optimizer variables, fused calls per step)."""
    w0, grads = _values(dtype)
    variables = [ops.Variable(w0[k].copy(), name=k) for k in SHAPES]
    opt = make()
    if exclude:
        opt.exclude_from_weight_decay(var_names=["bias"])
    calls = []
    real = opt._fused_update
    if fused:

        def counted(g, v):
            ran = real(g, v)
            calls.append(ran)
            return ran

        opt._fused_update = counted
    else:
        opt._fused_update = lambda g, v: False

    def step(gs):
        opt.apply(gs, variables)

    fn = ops.function(step) if traced else step
    for g in grads:
        fn([ops.constant(g[k]) for k in SHAPES])
    return [v.numpy() for v in variables], [v.numpy() for v in opt.variables], calls


def _assert_same(a, b):
    """Bit for bit: the fused kernel runs the per-variable path's operations in its order."""
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_fused_matches_per_variable_eager(name, dtype):
    make = CONFIGS[name]
    exclude = "wd" in name or "adamw" in name
    w_ref, s_ref, _ = _train(make, dtype, fused=False, traced=False, exclude=exclude)
    w, s, calls = _train(make, dtype, fused=True, traced=False, exclude=exclude)
    assert calls == [True] * STEPS  # the fused path ran, once per step
    _assert_same(w, w_ref)
    _assert_same(s, s_ref)  # iteration, learning rate and every slot
    assert not np.array_equal(w[0], _values(dtype)[0]["kernel"])


TRACED = ["sgd_nesterov_wd", "adam", "adamw_amsgrad_globalclip", "rmsprop_momentum_centered",
          "adagrad", "adam_schedule", "adamax_wd_clipnorm", "nadam_wd_clipvalue_ema",
          "lion_wd_globalclip", "ftrl_all_terms_wd", "adadelta_wd_ema_clipnorm"]  # fmt: skip


@pytest.mark.parametrize("name", TRACED)
def test_fused_traced_matches_eager(name):
    make = CONFIGS[name]
    exclude = "wd" in name or "adamw" in name
    w_ref, s_ref, _ = _train(make, "float32", fused=False, traced=False, exclude=exclude)
    w_t, s_t, calls = _train(make, "float32", fused=True, traced=True, exclude=exclude)
    assert calls and all(calls)  # at tracing (the first trace builds the slots: traced again)
    _assert_same(w_t, w_ref)
    _assert_same(s_t, s_ref)
    w_e, s_e, _ = _train(make, "float32", fused=True, traced=False, exclude=exclude)
    _assert_same(w_t, w_e)


def test_one_kernel_call_per_step(monkeypatch):
    seen = []
    real = _optimizer.fused_apply

    def spy(op_type, variables, *args, **kwargs):
        seen.append((op_type, len(variables)))
        return real(op_type, variables, *args, **kwargs)

    monkeypatch.setattr(_optimizer, "fused_apply", spy)
    _train(CONFIGS["adam"], "float32", fused=True, traced=False)
    assert seen == [("FusedApplyAdam", 3)] * STEPS


def test_traced_graph_holds_one_fused_node():
    variables = [ops.Variable(np.ones(s, np.float32), name=k) for k, s in SHAPES.items()]
    opt = optimizers.RMSprop(learning_rate=0.01, momentum=0.5)
    opt.build(variables)
    fn = ops.function(lambda gs: opt.apply(gs, variables))
    grads = [ops.constant(np.full(s, 0.5, np.float32)) for s in SHAPES.values()]
    graph = fn.get_concrete_function(grads).graph
    types = [op.type for op in graph.get_operations()]
    assert types.count("FusedApplyRMSProp") == 1
    assert types.count("AssignVariableOp") == 3 * len(SHAPES)  # variables, velocities, momentums


class _OwnStep(optimizers.SGD):
    def update_step(self, gradient, variable, learning_rate):
        variable.assign_sub(gradient * learning_rate * 2.0)


@pytest.mark.parametrize(
    "make, dtypes",
    [
        (lambda: optimizers.Adam(gradient_accumulation_steps=2), ("float32",) * 3),
        (lambda: optimizers.Adafactor(), ("float32",) * 3),  # no fused form
        (lambda: _OwnStep(learning_rate=0.1), ("float32",) * 3),  # its own update_step
        (lambda: optimizers.Adam(), ("float32", "float16", "float32")),  # one dtype unfused
        (lambda: optimizers.SGD(momentum=0.5), ("float16",) * 3),
    ],
)
def test_per_variable_path_where_needed(make, dtypes):
    variables = [ops.Variable(np.ones(s, dt), name=k) for (k, s), dt in zip(SHAPES.items(), dtypes)]
    opt = make()
    ran = []
    real = opt._fused_update
    opt._fused_update = lambda g, v: ran.append(real(g, v)) or ran[-1]
    for _ in range(2):  # two: gradient accumulation updates on the second
        opt.apply([ops.constant(np.full(s, 0.5, dt)) for s, dt in zip(SHAPES.values(), dtypes)],
                  variables)  # fmt: skip
    assert not any(ran)
    assert not np.array_equal(variables[0].numpy(), np.ones(SHAPES["kernel"]))  # still moved


def test_own_update_step_keeps_its_numbers():
    w = ops.Variable(np.ones((2,), np.float32), name="w")
    _OwnStep(learning_rate=0.1).apply([ops.constant(np.full((2,), 0.5, np.float32))], [w])
    np.testing.assert_allclose(w.numpy(), 1.0 - 0.5 * 0.1 * 2.0, rtol=1e-6)


MIXED = ("float32", "float64", "float32")  # kernel, bias, scale


def _train_mixed(make, fused, monkeypatch):
    """STEPS steps over variables of two dtypes; returns (values, slots, fused calls)."""
    rng = np.random.default_rng(7)
    shapes = list(SHAPES.values())
    variables = [ops.Variable(rng.standard_normal(s).astype(dt), name=k)
                 for (k, s), dt in zip(SHAPES.items(), MIXED)]  # fmt: skip
    grads = [[rng.standard_normal(s).astype(dt) for s, dt in zip(shapes, MIXED)]
             for _ in range(STEPS)]  # fmt: skip
    opt = make()
    seen = []
    real = _optimizer.fused_apply

    def spy(op_type, group, *args, **kwargs):
        seen.append((op_type, [v.dtype.name for v in group]))
        return real(op_type, group, *args, **kwargs)

    monkeypatch.setattr(_optimizer, "fused_apply", spy)
    if not fused:
        opt._fused_update = lambda g, v: False
    for g in grads:
        opt.apply([ops.constant(x) for x in g], variables)
    return [v.numpy() for v in variables], [v.numpy() for v in opt.variables], seen


@pytest.mark.parametrize("name", ["adamw_amsgrad_globalclip", "nadam_wd_clipvalue_ema", "ftrl"])
def test_mixed_dtypes_fuse_once_per_dtype(name, monkeypatch):
    w_ref, s_ref, none = _train_mixed(CONFIGS[name], False, monkeypatch)
    assert none == []
    w, s, seen = _train_mixed(CONFIGS[name], True, monkeypatch)
    op_type = seen[0][0]
    assert seen == [(op_type, ["float32", "float32"]), (op_type, ["float64"])] * STEPS
    for x, y, dt in zip(w, w_ref, MIXED):
        assert x.dtype == np.dtype(dt)
        np.testing.assert_array_equal(x, y)
    _assert_same(s, s_ref)


def _f32(x):
    """``x`` as Keras's ``ops.cast(x, "float64")`` gives it: through a float32 tensor."""
    return float(np.float32(x))


def _np_update(name, w, g, t, s, lr):
    """One Keras 3 update_step in NumPy (float64); ``s`` holds the slots between steps."""
    if name == "adamax":
        s["m"] = 0.9 * s.get("m", 0.0) + (1 - 0.9) * g
        s["u"] = np.maximum(0.999 * s.get("u", 0.0), np.abs(g))
        return w - lr * s["m"] / ((1 - _f32(0.9) ** t) * (s["u"] + 1e-7))
    if name == "nadam":
        b1, b2 = _f32(0.9), _f32(0.999)
        decay = lambda k: 1 - 0.5 * _f32(0.96) ** k  # noqa: E731
        s["p"] = s.get("p", 1.0) * 0.9 * decay(t)
        s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - b1)
        s["v"] = s.get("v", 0.0) + (g * g - s.get("v", 0.0)) * (1 - b2)
        mu, mu1 = b1 * decay(t), b1 * decay(t + 1)
        m_hat = mu1 * s["m"] / (1 - s["p"] * mu1) + (1 - mu) * g / (1 - s["p"])
        return w - lr * m_hat / (np.sqrt(s["v"] / (1 - b2**t)) + 1e-7)
    if name == "lion":
        m = s.get("m", 0.0)
        s["m"] = 0.99 * m + 0.01 * g
        return w - lr * np.sign(0.9 * m + 0.1 * g)
    if name == "ftrl":  # l1 0.01, l2 0.02, shrinkage 0.01, beta 0.1, power -0.5
        n = s.get("n", 0.1)
        s["n"] = n + g * g
        s["z"] = s.get("z", 0.0) + g + 0.02 * w - (np.sqrt(s["n"]) - np.sqrt(n)) / lr * w
        quadratic = np.sqrt(s["n"]) / lr + 2 * (0.02 + 0.1 / (2 * lr))
        return (np.clip(s["z"], -0.01, 0.01) - s["z"]) / quadratic
    s["eg"] = 0.95 * s.get("eg", 0.0) + 0.05 * g * g  # adadelta
    d = -np.sqrt(s.get("ed", 0.0) + 1e-7) * g / np.sqrt(s["eg"] + 1e-7)
    s["ed"] = 0.95 * s.get("ed", 0.0) + 0.05 * d * d
    return w + lr * d


NUMPY_CHECKED = {
    "adamax": lambda **kw: optimizers.Adamax(learning_rate=0.05, **kw),
    "nadam": lambda **kw: optimizers.Nadam(learning_rate=0.05, **kw),
    "lion": lambda **kw: optimizers.Lion(learning_rate=0.05, **kw),
    "ftrl": lambda **kw: optimizers.Ftrl(
        learning_rate=0.1,
        l1_regularization_strength=0.01,
        l2_regularization_strength=0.02,
        l2_shrinkage_regularization_strength=0.01,
        beta=0.1,
        **kw,
    ),  # fmt: skip
    "adadelta": lambda **kw: optimizers.Adadelta(learning_rate=1.0, **kw),
}


@pytest.mark.parametrize("name", sorted(NUMPY_CHECKED))
def test_fused_matches_numpy_with_weight_decay_and_clipnorm(name):
    lr = _f32({"ftrl": 0.1, "adadelta": 1.0}.get(name, 0.05))  # a float32 variable
    make = lambda: NUMPY_CHECKED[name](weight_decay=0.1, clipnorm=0.8)  # noqa: E731
    wd = _f32(0.1)
    w, _, calls = _train(make, "float64", fused=True, traced=False)
    assert calls == [True] * STEPS
    w0, grads = _values("float64")
    for v, k in zip(w, SHAPES):
        want, state = w0[k], {}
        for t, g in enumerate((step[k] for step in grads), start=1):
            g = g * 0.8 / max(np.sqrt(np.sum(g * g)), 0.8)  # clipnorm, per tensor
            want = _np_update(name, want - want * wd * lr, g, t, state, lr)
        np.testing.assert_allclose(v, want, rtol=1e-9, atol=1e-12)
