"""Lamb, Muon, ScheduleFreeAdamW, MultiOptimizer and the Circle loss against Keras 3.15's
formulas written again here in NumPy (float64), eagerly and inside ``ops.function``."""

import numpy as np
import pytest

from tensorhouse_components import layers, losses, ops, optimizers

W0 = np.array([[1.0, -2.0, 0.5], [0.3, 2.0, -1.5]])
GRADS = [
    np.array([[0.1, -0.4, 2.0], [0.0, 0.5, -1.0]]),
    np.array([[-0.3, 0.2, 1.0], [0.5, -0.5, 0.25]]),
    np.array([[0.2, 0.1, -0.6], [1.5, 0.0, 0.75]]),
]
LR = float(np.float32(0.1))  # the optimizers keep their learning rate in a float32 variable


def _run(opt, dtype, traced=False, w0=W0, grads=GRADS):
    w = ops.Variable(w0.astype(dtype), name="w")
    opt.build([w])

    def step(g):
        opt.apply([g], [w])

    fn = ops.function(step) if traced else step
    for g in grads:
        fn(ops.constant(g.astype(dtype)))
    return w.numpy()


def _check(make, want):
    # float64 to 1e-8: ``cast(beta, float64)`` of a Python float goes through float32, as in TF
    np.testing.assert_allclose(_run(make(), np.float64), want, rtol=1e-8)
    for traced in (False, True):
        np.testing.assert_allclose(_run(make(), np.float32, traced), want, rtol=2e-5, atol=1e-6)


def ref_lamb(lr=LR, b1=0.9, b2=0.999, eps=1e-7, wd=0.0):
    w, m, v = W0.copy(), 0 * W0, 0 * W0
    for t, g in enumerate(GRADS, 1):
        w = w - w * wd * lr
        m, v = m + (g - m) * (1 - b1), v + (g * g - v) * (1 - b2)
        u = (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        wn, un = np.linalg.norm(w), np.linalg.norm(u)
        w = w - (wn / un if wn > 0 and un > 0 else 1.0) * lr * u
    return w


def test_lamb():
    _check(lambda: optimizers.Lamb(0.1), ref_lamb())
    _check(lambda: optimizers.Lamb(0.1, beta_1=0.8, weight_decay=0.1), ref_lamb(b1=0.8, wd=0.1))
    # a zero variable has no trust ratio: the Adam-like step itself (ratio 1)
    w = _run(optimizers.Lamb(0.1), np.float64, w0=0 * W0, grads=GRADS[:1])
    np.testing.assert_allclose(w, -0.1 * np.sign(GRADS[0]) * (GRADS[0] != 0), atol=1e-6)


def ref_schedule_free(lr=LR, b1=0.9, b2=0.999, eps=1e-8, warmup=0):
    y, z, v = W0.copy(), W0.copy(), 0 * W0
    for t, g in enumerate(GRADS, 1):
        lr_t = lr * min(t / warmup, 1.0) if warmup else lr
        v = v + (g * g - v) * (1 - b2)
        z = z - lr_t * g / (np.sqrt(v / (1 - b2**t)) + eps)
        # Keras reads z after its update here, which makes y the running mean of the z's
        x = (y - (1 - b1) * z) / b1
        y = (1 - b1) * z + b1 * ((1 - 1 / t) * x + z / t)
    return y


def test_schedule_free_adamw():
    _check(lambda: optimizers.ScheduleFreeAdamW(0.1), ref_schedule_free())
    _check(
        lambda: optimizers.ScheduleFreeAdamW(0.1, beta_1=0.5, warmup_steps=2),
        ref_schedule_free(b1=0.5, warmup=2),
    )
    opt = optimizers.ScheduleFreeAdamW()
    w = ops.Variable(W0, name="w")
    opt.build([w])
    np.testing.assert_array_equal(opt._momentums[0].numpy(), W0)  # z starts at the weights


def ref_newton_schulz(x, steps=5, a=3.4445, b=-4.7750, c=2.0315):
    tall = x.shape[0] > x.shape[1]
    x = x.T if tall else x
    x = x / (np.linalg.norm(x) + 1e-7)
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.T if tall else x


@pytest.mark.parametrize("shape", [(4, 6), (6, 4)])
def test_muon_newton_schulz(shape):
    x = np.random.default_rng(1).normal(size=shape)
    got = optimizers.Muon().zeropower_via_newtonschulz5(ops.constant(x), 5).numpy()
    np.testing.assert_allclose(got, ref_newton_schulz(x), rtol=1e-10, atol=1e-12)
    # close to orthogonal: the singular values land in Muon's band around 1
    assert np.all(np.abs(np.linalg.svd(got, compute_uv=False) - 1) < 0.35)


def test_muon_routes_variables():
    dense, conv, emb = layers.Dense(3, name="proj"), layers.Conv2D(2, 2), layers.Embedding(5, 3)
    dense.build((None, 2))
    conv.build((None, 4, 4, 1))
    emb.build((None,))
    opt = optimizers.Muon(exclude_layers=["^nothing"])
    variables = [dense.kernel, dense.bias, conv.kernel, emb.embeddings]
    opt.build(variables)
    # only the 2-D non-embedding kernel takes Muon steps (no velocity slot)
    assert [v is None for v in opt.adam_velocities] == [True, False, False, False]
    assert opt._should_use_adamw(conv.kernel)  # 4-D
    assert optimizers.Muon(exclude_layers=["pro"])._should_use_adamw(dense.kernel)
    assert not optimizers.Muon(exclude_embeddings=False)._should_use_adamw(emb.embeddings)


def ref_muon_step(w, g, lr=LR, momentum=0.95, wd=0.004, rms_rate=0.2):
    m = g  # first step: m = momentum * 0 + g
    u = g + momentum * m
    w = w - w * wd * lr
    return w - lr * ref_newton_schulz(u) * np.sqrt(max(w.shape)) * rms_rate


def ref_adamw_step(w, g, lr=LR, wd=0.004, b1=0.9, b2=0.999, eps=1e-7):
    w = w - w * wd * lr
    m, v = (1 - b1) * g, (1 - b2) * g * g
    # the bias corrections take the betas cast to the variable's dtype through float32
    b1_t, b2_t = float(np.float32(b1)), float(np.float32(b2))
    return w - m * lr * np.sqrt(1 - b2_t) / (1 - b1_t) / (np.sqrt(v) + eps)


@pytest.mark.parametrize("traced", [False, True])
def test_muon_one_step(traced):
    dense = layers.Dense(3, name="proj", dtype="float64")
    dense.build((None, 2))
    dense.kernel.assign(W0)
    gk, gb = GRADS[0], np.array([0.5, -1.0, 0.25])
    opt = optimizers.Muon(0.1)
    opt.build(dense.trainable_variables)
    step = lambda: opt.apply([ops.constant(gk), ops.constant(gb)], dense.trainable_variables)  # noqa: E731
    (ops.function(step) if traced else step)()
    np.testing.assert_allclose(dense.kernel.numpy(), ref_muon_step(W0, gk), rtol=1e-8)
    np.testing.assert_allclose(dense.bias.numpy(), ref_adamw_step(np.zeros(3), gb), rtol=1e-8)


def test_multi_optimizer_with_a_callable():
    a, b = ops.Variable(np.ones(2), name="a"), ops.Variable(np.ones(2), name="b")

    def pick(variable):
        return optimizers.SGD(1.0) if variable is a else optimizers.SGD(0.5, momentum=0.5)

    multi = optimizers.MultiOptimizer(pick)
    multi.build([a, b])
    assert len(multi.optimizers) == 2
    fn = ops.function(lambda: multi.apply([ops.constant([1.0, 2.0])] * 2, [a, b]))
    fn()
    fn()
    np.testing.assert_allclose(a.numpy(), [-1.0, -3.0])
    np.testing.assert_allclose(b.numpy(), [1 - 0.5 - 0.75, 1 - 1.0 - 1.5])
    weights = [v.numpy() for v in multi.variables]
    assert len(weights) == 2 + 2 + 3  # own, SGD's, SGD with its momentum slot
    multi.set_weights([w * 0 for w in weights])
    assert all(not np.any(v.numpy()) for v in multi.variables)
    with pytest.raises(ValueError, match="one-to-one"):
        multi.apply([ops.constant([1.0, 2.0])], [a])


def _circle_ref(labels, e, gamma=80.0, margin=0.4):
    d = np.maximum(1 - e @ e.T, 0)
    pos = (labels[:, None] == labels[None]) & ~np.eye(len(labels), dtype=bool)
    neg = labels[:, None] != labels[None]
    wp = np.maximum((margin + d) * pos, 0) * -gamma * (margin - d)
    wn = np.maximum((1 + margin - d) * neg, 0) * gamma * (1 - margin - d)

    def lse(x, mask):
        with np.errstate(divide="ignore"):
            x = np.where(mask, x, -np.inf)
            m = np.max(x, axis=1, keepdims=True)
            m = np.where(np.isfinite(m), m, 0)
            return np.log(np.sum(np.exp(x - m), axis=1)) + m[:, 0]

    return np.logaddexp(0, lse(wp, pos) + lse(wn, neg))


def test_circle_against_numpy_and_finite_differences():
    rng = np.random.default_rng(3)
    e = rng.normal(size=(6, 4))
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    labels = np.array([0, 1, 0, 1, 2, 0])  # label 2 has no positive: 0 and masked out
    want = _circle_ref(labels, e, gamma=8.0)
    got = losses.circle(labels, ops.constant(e), gamma=8.0).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-10)
    assert got[4] == 0
    loss = losses.Circle(gamma=8.0, dtype="float64")
    np.testing.assert_allclose(loss(labels, e).numpy(), want[want > 0].mean(), rtol=1e-10)

    def value(x):
        return loss(labels, ops.constant(x)).numpy()

    x = ops.constant(e)
    with ops.GradientTape() as tape:
        tape.watch(x)
        out = loss(labels, x)
    grad = tape.gradient(out, x).numpy()
    numeric = np.zeros_like(e)
    for idx in np.ndindex(*e.shape):
        step = np.zeros_like(e)
        step[idx] = 1e-6
        numeric[idx] = (value(e + step) - value(e - step)) / 2e-6
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)
    assert np.all(np.isfinite(grad))


@pytest.mark.parametrize("traced", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_muon_fuses_its_adamw_variables(monkeypatch, dtype, traced):
    from tensorhouse_components.optimizers import _optimizer

    rng = np.random.default_rng(0)
    shapes = {"kernel": (3, 4), "bias": (4,), "scale": (), "embedding_table": (5, 3)}
    w0 = {k: rng.standard_normal(s).astype(dtype) for k, s in shapes.items()}
    grads = [[rng.standard_normal(s).astype(dtype) for s in shapes.values()] for _ in range(3)]
    calls = []
    real = _optimizer.fused_apply

    def spy(op_type, variables, *args, **kwargs):
        calls.append((op_type, [v.name.split(":")[0] for v in variables]))
        return real(op_type, variables, *args, **kwargs)

    monkeypatch.setattr(_optimizer, "fused_apply", spy)

    def train(fused):
        variables = [ops.Variable(w0[k].copy(), name=k) for k in shapes]
        opt = optimizers.Muon(0.05, adam_lr_ratio=0.5, adam_weight_decay=0.1, weight_decay=0.2)
        opt.exclude_from_weight_decay(var_names=["scale"])
        if not fused:
            opt._fused_update = lambda g, v: False
        step = lambda gs: opt.apply(gs, variables)  # noqa: E731
        fn = ops.function(step) if traced else step
        for g in grads:
            fn([ops.constant(x) for x in g])
        return [v.numpy() for v in variables] + [v.numpy() for v in opt.variables]

    reference = train(fused=False)
    assert not calls
    for got, want in zip(train(fused=True), reference):
        np.testing.assert_array_equal(got, want)  # bit for bit
    assert calls and set(map(str, calls)) == {
        str(("FusedApplyAdam", ["bias", "scale", "embedding_table"]))
    }
