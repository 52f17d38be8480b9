"""ops: eager op overhead, a traced function call, and an MLP training step (issue 5).

Targets (ops issue):
- eager ``a + b`` on two float32 tensors of shape (4,): at most 2x PyTorch's time and at least
  5x faster than TensorFlow eager;
- calling a traced function that adds two small tensors: at least 10x faster than
  TensorFlow's ``tf.function`` call;
- a training step of a 64-256-256-10 MLP on a batch of 64 (forward, tape, Adam written with
  ops), eager and traced, beside PyTorch and ``jax.jit``; target for the traced step: faster
  than ``jax.jit``.

Peers (PyTorch, JAX, TensorFlow, NumPy) are timed when installed, in the same run.

    python benchmarks/bench_ops.py
"""

from __future__ import annotations

import importlib.util
import sys

import numpy as np

import tensorhouse_ops as tf

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from _timing import per_call_us, table

SIZES = (64, 256, 256, 10)
BATCH = 64
LR, B1, B2, EPS = 1e-3, 0.9, 0.999, 1e-7


def _has(name):
    return importlib.util.find_spec(name) is not None


def _data():
    rng = np.random.default_rng(0)
    ws = [
        (rng.standard_normal((i, o)) * np.sqrt(2.0 / i)).astype(np.float32)
        for i, o in zip(SIZES[:-1], SIZES[1:])
    ]
    bs = [np.zeros(o, np.float32) for o in SIZES[1:]]
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH).astype(np.int32)
    return ws, bs, x, y


# ---- the tensorhouse MLP: forward, tape, Adam with ops ---------------------------------------


class MLP(tf.Module):
    def __init__(self, ws, bs):
        super().__init__()
        self.params = [tf.Variable(a) for pair in zip(ws, bs) for a in pair]
        self.m = [tf.Variable(tf.zeros_like(p.value())) for p in self.params]
        self.v = [tf.Variable(tf.zeros_like(p.value())) for p in self.params]
        self.t = tf.Variable(0.0)

    def forward(self, x):
        h = x
        n = len(self.params) // 2
        for i in range(n):
            h = tf.matmul(h, self.params[2 * i]) + self.params[2 * i + 1]
            if i < n - 1:
                h = tf.nn.relu(h)
        return h

    def step(self, x, y):
        with tf.GradientTape() as tape:
            logits = self.forward(x)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits))
        grads = tape.gradient(loss, self.params)
        self.t.assign_add(1.0)
        t = self.t.value()
        lr = LR * tf.sqrt(1.0 - tf.pow(B2, t)) / (1.0 - tf.pow(B1, t))
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m.assign(B1 * m + (1.0 - B1) * g)
            v.assign(B2 * v + (1.0 - B2) * tf.square(g))
            p.assign_sub(lr * m / (tf.sqrt(v.value()) + EPS))
        return loss


def bench_add(rows):
    a = tf.constant(np.arange(4, dtype=np.float32))
    b = tf.constant(np.ones(4, dtype=np.float32))
    ours = per_call_us(lambda: a + b)
    rows.append(("tensorhouse eager a + b (4,)", ours, "1.00x"))
    peers = {}
    an, bn = a.numpy(), b.numpy()
    peers["numpy a + b"] = per_call_us(lambda: an + bn)
    if _has("torch"):
        import torch

        ta, tb = torch.from_numpy(an.copy()), torch.from_numpy(bn.copy())
        peers["torch a + b"] = per_call_us(lambda: ta + tb)
    if _has("jax"):
        import jax.numpy as jnp

        ja, jb = jnp.asarray(an), jnp.asarray(bn)
        peers["jax.numpy a + b (eager)"] = per_call_us(lambda: ja + jb, 2000)
    if _has("tensorflow"):
        import tensorflow as real_tf

        fa, fb = real_tf.constant(an), real_tf.constant(bn)
        peers["tf eager a + b"] = per_call_us(lambda: fa + fb, 2000)
    for name, us in peers.items():
        rows.append((name, us, f"ours {ours / us:.2f}x its time"))
    return ours, peers


def bench_function_call(rows):
    a = tf.constant(np.arange(4, dtype=np.float32))
    b = tf.constant(np.ones(4, dtype=np.float32))
    f = tf.function(lambda x, y: x + y)
    f(a, b)
    ours = per_call_us(lambda: f(a, b))
    rows.append(("tensorhouse tf.function add call", ours, "1.00x"))
    peers = {}
    if _has("tensorflow"):
        import tensorflow as real_tf

        fa, fb = real_tf.constant(a.numpy()), real_tf.constant(b.numpy())
        g = real_tf.function(lambda x, y: x + y)
        peers["tf.function add call"] = per_call_us(lambda: g(fa, fb), 2000)
    if _has("jax"):
        import jax

        ja, jb = jax.numpy.asarray(a.numpy()), jax.numpy.asarray(b.numpy())
        j = jax.jit(lambda x, y: x + y)
        peers["jax.jit add call"] = per_call_us(lambda: j(ja, jb), 2000)
    for name, us in peers.items():
        rows.append((name, us, f"ours {ours / us:.2f}x its time"))
    return ours, peers


def bench_mlp(rows):
    ws, bs, xn, yn = _data()
    x, y = tf.constant(xn), tf.constant(yn)
    eager = MLP(ws, bs)
    traced = MLP(ws, bs)
    step = tf.function(traced.step)
    # the traced step computes what the eager one does
    for _ in range(3):
        le, lt = float(eager.step(x, y)), float(step(x, y))
        assert abs(le - lt) < 1e-4 * max(1.0, abs(le)), (le, lt)
    t_eager = per_call_us(lambda: eager.step(x, y), 50, 5)
    t_traced = per_call_us(lambda: step(x, y), 200, 5)
    rows.append(("tensorhouse MLP step, eager", t_eager, ""))
    rows.append(("tensorhouse MLP step, tf.function", t_traced, "1.00x"))
    peers = {}
    if _has("torch"):
        import torch

        layers = []
        for i, (w, b) in enumerate(zip(ws, bs)):
            lin = torch.nn.Linear(*w.shape)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(w.T.copy()))
                lin.bias.copy_(torch.from_numpy(b))
            layers.append(lin)
            if i < len(ws) - 1:
                layers.append(torch.nn.ReLU())
        model = torch.nn.Sequential(*layers)
        opt = torch.optim.Adam(model.parameters(), lr=LR, eps=EPS)
        tx, ty = torch.from_numpy(xn), torch.from_numpy(yn.astype(np.int64))
        lossf = torch.nn.CrossEntropyLoss()

        def torch_step():
            opt.zero_grad()
            loss = lossf(model(tx), ty)
            loss.backward()
            opt.step()
            return loss

        peers["torch MLP step (eager)"] = per_call_us(torch_step, 200, 5)
    if _has("jax"):
        import jax
        import jax.numpy as jnp

        params = [jnp.asarray(a) for pair in zip(ws, bs) for a in pair]
        state = (params, [jnp.zeros_like(p) for p in params], [jnp.zeros_like(p) for p in params])

        def loss_fn(ps, xb, yb):
            h = xb
            for i in range(0, len(ps), 2):
                h = h @ ps[i] + ps[i + 1]
                if i < len(ps) - 2:
                    h = jax.nn.relu(h)
            logp = jax.nn.log_softmax(h)
            return -jnp.mean(jnp.take_along_axis(logp, yb[:, None], axis=1))

        @jax.jit
        def jax_step(state, t, xb, yb):
            ps, ms, vs = state
            loss, gs = jax.value_and_grad(loss_fn)(ps, xb, yb)
            lr = LR * jnp.sqrt(1 - B2**t) / (1 - B1**t)
            ms = [B1 * m + (1 - B1) * g for m, g in zip(ms, gs)]
            vs = [B2 * v + (1 - B2) * g * g for v, g in zip(vs, gs)]
            ps = [p - lr * m / (jnp.sqrt(v) + EPS) for p, m, v in zip(ps, ms, vs)]
            return (ps, ms, vs), loss

        jx, jy = jnp.asarray(xn), jnp.asarray(yn)
        box = [state, 0.0]

        def run_jax():
            box[1] += 1.0
            box[0], loss = jax_step(box[0], box[1], jx, jy)
            loss.block_until_ready()

        peers["jax.jit MLP step"] = per_call_us(run_jax, 200, 5)
    if _has("tensorflow"):
        peers.update(_tf_mlp(ws, bs, xn, yn))
    for name, us in peers.items():
        rows.append((name, us, f"ours (traced) {t_traced / us:.2f}x its time"))
    return t_eager, t_traced, peers


def _tf_mlp(ws, bs, xn, yn):
    import tensorflow as real_tf

    params = [real_tf.Variable(a) for pair in zip(ws, bs) for a in pair]
    opt = real_tf.keras.optimizers.Adam(LR, epsilon=EPS)
    x, y = real_tf.constant(xn), real_tf.constant(yn)

    def step():
        with real_tf.GradientTape() as tape:
            h = x
            for i in range(0, len(params), 2):
                h = h @ params[i] + params[i + 1]
                if i < len(params) - 2:
                    h = real_tf.nn.relu(h)
            loss = real_tf.reduce_mean(real_tf.nn.sparse_softmax_cross_entropy_with_logits(y, h))
        opt.apply_gradients(zip(tape.gradient(loss, params), params))
        return loss

    fn = real_tf.function(step)
    fn()
    return {
        "tf eager MLP step": per_call_us(step, 20, 5),
        "tf.function MLP step": per_call_us(fn, 100, 5),
    }


def main() -> int:
    rows: list = []
    add, add_peers = bench_add(rows)
    call, call_peers = bench_function_call(rows)
    t_eager, t_traced, mlp_peers = bench_mlp(rows)
    print(table(rows))
    print()

    def verdict(ok):
        return "MET" if ok else "NOT MET"

    if "torch a + b" in add_peers:
        r = add / add_peers["torch a + b"]
        print(f"eager add: {r:.2f}x PyTorch's time (target <= 2x): {verdict(r <= 2.0)}")
    if "tf eager a + b" in add_peers:
        r = add_peers["tf eager a + b"] / add
        print(f"eager add: {r:.1f}x faster than TF eager (target >= 5x): {verdict(r >= 5.0)}")
    else:
        print("eager add vs TF eager: TensorFlow is not installed (issue's figure: TF ~11 us)")
    if "tf.function add call" in call_peers:
        r = call_peers["tf.function add call"] / call
        print(
            f"function call: {r:.1f}x faster than tf.function (target >= 10x): {verdict(r >= 10)}"
        )
    else:
        ok = verdict(call <= 15.0)
        print(f"function call: {call:.2f} us; TensorFlow is not installed (issue's figure: "
              f"tf.function ~150 us, so the target is <= 15 us: {ok})")  # fmt: skip
    if "jax.jit MLP step" in mlp_peers:
        j = mlp_peers["jax.jit MLP step"]
        print(f"MLP step traced {t_traced:.1f} us vs jax.jit {j:.1f} us (target: faster): "
              f"{verdict(t_traced < j)}")  # fmt: skip
    print(f"MLP step eager {t_eager:.1f} us, traced {t_traced:.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
