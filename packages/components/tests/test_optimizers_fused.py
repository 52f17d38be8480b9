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
          "adagrad", "adam_schedule"]  # fmt: skip


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
        (lambda: optimizers.Adam(use_ema=True), ("float32",) * 3),
        (lambda: optimizers.Adam(gradient_accumulation_steps=2), ("float32",) * 3),
        (lambda: optimizers.Adamax(), ("float32",) * 3),  # no fused form
        (lambda: _OwnStep(learning_rate=0.1), ("float32",) * 3),  # its own update_step
        (lambda: optimizers.Adam(), ("float32", "float64", "float32")),  # mixed dtypes
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
