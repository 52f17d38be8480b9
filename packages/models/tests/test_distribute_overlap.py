"""The gradient all-reduce overlapped with the backward pass: ``Filling`` (arrays put one at a
time, each bucket started when full, a small first bucket), and ``fit`` over ``mpiexec -n 2``
with and without the overlap ending with the same weights, equal to a hand-computed average."""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from tensorhouse_models.distribute._buckets import BucketPlan


class _Request:
    def __init__(self, log, buffer):
        self.log, self.buffer = log, buffer

    def test(self):  # done at once; ``wait`` logs when the plan waits
        return True

    def wait(self):
        self.log.append(("wait", self.buffer.size))
        return self.buffer


class _FakeComm:
    """Records the calls; the "all-reduce" doubles the buffer (two ranks, same values)."""

    def __init__(self):
        self.log = []

    def iallreduce(self, buffer, op="sum"):
        self.log.append(("start", buffer.size, op))
        buffer *= 2
        return _Request(self.log, buffer)


def test_the_first_bucket_closes_at_its_own_smaller_size():
    specs = [((4,), "float32"), ((4,), "float32"), ((8,), "float32"), ((2,), "float32")]
    plan = BucketPlan(_FakeComm(), specs, bucket_bytes=64, first_bucket_bytes=16)
    # 16 B closes the first bucket; then 64 B buckets: 16 + 32 + 8 B = 56 B, one bucket
    assert [b.size for b in plan.buffers] == [4, 14]
    same = BucketPlan(_FakeComm(), specs, bucket_bytes=16, first_bucket_bytes=64)
    assert [b.size for b in same.buffers] == [4, 4, 8, 2]  # never above bucket_bytes


def test_filling_starts_each_bucket_once_its_arrays_are_put_in_any_order():
    comm = _FakeComm()
    specs = [((3,), "float32"), ((2,), "float32"), ((5,), "float32")]
    plan = BucketPlan(comm, specs, bucket_bytes=20)  # [a, b] (20 B) | [c]
    filling = plan.begin()
    filling.put(2, np.arange(5, dtype="float32"))
    assert comm.log == [("start", 5, "sum")]
    filling.put(1, np.array([1.0, 2.0], "float64"))  # cast into the float32 view
    assert len(comm.log) == 1 and filling.missing() == [0]
    out = filling.wait()  # the missing array is put as zeros, its bucket started
    assert comm.log[1] == ("start", 5, "sum")
    assert [e[0] for e in comm.log[2:]] == ["wait", "wait"]
    np.testing.assert_array_equal(out[0], [0, 0, 0])
    np.testing.assert_array_equal(out[1], [2, 4])
    np.testing.assert_array_equal(out[2], 2 * np.arange(5))
    with pytest.raises(ValueError, match="already put"):
        second = plan.begin()
        second.put(0, None)
        second.put(0, None)


pytest.importorskip("mpi4py")


def _mpiexec():
    here = Path(sys.executable).parent / "mpiexec"
    return str(here) if here.exists() else shutil.which("mpiexec")


WORKER = textwrap.dedent(
    """
    import os, sys
    import numpy as np
    from tensorhouse_models import Input, Sequential, distribute, layers, optimizers
    from tensorhouse_models.distribute import _buckets

    out = sys.argv[1]
    options = distribute.experimental.CommunicationOptions(bytes_per_pack=64, timeout_seconds=20)
    strategy = distribute.MultiWorkerMirroredStrategy(communication_options=options)
    rank = strategy.cluster_resolver.task_id
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 5)).astype("float32")
    y = rng.normal(size=(32, 1)).astype("float32")
    w0 = [np.random.default_rng(1).normal(size=s).astype("float32")
          for s in [(5, 8), (8,), (8, 1), (1,)]]

    puts = []  # (array index, buckets started before it was put)
    put = _buckets.Filling.put
    def logged(self, i, value):
        puts.append((i, len(self.requests)))
        put(self, i, value)
    _buckets.Filling.put = logged

    def fit(overlap, eager=False, layers_=None, jit=False):
        strategy._overlap = overlap
        with strategy.scope():
            model = Sequential(layers_ or [Input((5,)), layers.Dense(8, activation="tanh"),
                                           layers.Dense(1)])
            model.set_weights(w0 if layers_ is None else model.get_weights())
            model.compile(optimizers.SGD(0.1, momentum=0.5), "mse", run_eagerly=eager,
                          jit_compile=jit)
        model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        return model.get_weights()

    on = fit(True)
    first_step = list(puts)
    off = fit(False)
    eager = fit(True, eager=True)
    jit = fit(True, jit=True)  # XLA runs no Python callbacks: the step without the overlap
    # one step of a linear model by hand: the mean over the global batch of 8 (4 per worker)
    w = np.array([[0.5], [-1.0], [0.25], [2.0], [1.0]], "float32")
    with strategy.scope():
        lin = Sequential([Input((5,)), layers.Dense(1)])
        lin.set_weights([w, np.zeros(1, "float32")])
        lin.compile(optimizers.SGD(0.1), "mse")
    lin.fit(x[:8], y[:8], batch_size=8, epochs=1, shuffle=False, verbose=0)
    # a trainable variable with no gradient: zeros in its bucket, as one process leaves it
    class Spare(layers.Layer):
        def build(self, shape):
            self.k = self.add_weight(shape=(5, 1), initializer="ones")
            self.spare = self.add_weight(shape=(2,), initializer="ones")
        def call(self, inputs):
            return inputs @ self.k
    def spare_fit(strategy_scope):
        with strategy_scope:
            model = Sequential([Input((5,)), Spare()])
            model.compile(optimizers.SGD(0.1, momentum=0.5), "mse")
        model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
        return model.get_weights()
    import contextlib
    spare = spare_fit(strategy.scope()) + spare_fit(contextlib.nullcontext())
    np.savez(os.path.join(out, f"rank{rank}.npz"), *on, *off, *eager, *lin.get_weights(),
             *spare, *jit, puts=np.array(first_step[:6]))
    """
)


@pytest.mark.skipif(_mpiexec() is None, reason="mpiexec (the mpich wheel) is not installed")
@pytest.mark.skipif(sys.platform == "win32", reason="MPICH's mpiexec is POSIX")
def test_fit_with_and_without_overlap_on_two_workers_gives_the_same_weights(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("TF_CONFIG", None)
    cmd = [_mpiexec(), "-n", "2", "-host", "127.0.0.1", sys.executable, str(script), str(tmp_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = []
    for rank in (0, 1):
        with np.load(tmp_path / f"rank{rank}.npz") as f:
            arrays = [f[f"arr_{i}"] for i in range(22)]
            puts = f["puts"]
        on, off, eager = arrays[:4], arrays[4:8], arrays[8:12]
        for a, b, c in zip(on, off, eager):
            np.testing.assert_array_equal(a, b)  # the same sums, only started earlier
            np.testing.assert_allclose(c, a, rtol=1e-6, atol=1e-7)
        assert np.abs(on[0] - np.random.default_rng(1).normal(size=(5, 8))).max() > 1e-3
        spare, alone = arrays[14:16], arrays[16:18]
        for a, b in zip(arrays[18:22], on):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(spare[0], alone[0], rtol=1e-5)
        np.testing.assert_array_equal(spare[1], [1.0, 1.0])  # never updated
        assert np.abs(spare[0] - 1).max() > 1e-3
        # the backward pass hands the last layer's gradients over first (laid out first in
        # the buckets: 4 + 32 + 32 B close the first 64 B bucket), and that bucket's
        # all-reduce has started before the first layer's kernel gradient is put
        assert [int(i) for i, _ in puts[:4]] == [0, 1, 2, 3]
        assert puts[3][1] == 1
        results.append(arrays)
    for a, b in zip(results[0], results[1]):
        np.testing.assert_array_equal(a, b)  # every worker holds the same weights
    # the linear model's step by hand: gradient of mean((x w + b - y)^2) over all 8 samples
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 5)).astype("float64")[:8]
    y = rng.normal(size=(32, 1)).astype("float64")[:8]
    w = np.array([[0.5], [-1.0], [0.25], [2.0], [1.0]])
    err = x @ w - y
    np.testing.assert_allclose(results[0][12], w - 0.1 * 2 * x.T @ err / 8, rtol=1e-5)
    np.testing.assert_allclose(results[0][13], -0.1 * 2 * err.mean(0), rtol=1e-5, atol=1e-7)
